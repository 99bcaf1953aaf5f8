//! Date and time functions.

//! Lookup and reference functions.

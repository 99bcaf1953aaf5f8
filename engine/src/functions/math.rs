//! Math and trigonometry functions.

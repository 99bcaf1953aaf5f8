//! Text functions.

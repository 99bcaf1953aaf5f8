//! One 64-bit lane holds any Excel value: a finite `f64` is a number; everything else is a
//! quiet NaN whose payload says what it is (NaN-boxing).
//!
//! ```text
//! 0x7FF8_TTTT_PPPP_PPPP   T: tag (1 error, 2 boolean, 3 text, 4 blank), P: payload
//! ```
//!
//! Arithmetic on boxed values needs no branch in the common case: an operation on two numbers
//! gives a number; when an operand is boxed (or the result overflows), the result is NaN or
//! infinite, and a scalar fix-up pass recomputes those lanes with Excel's full semantics. Any
//! other NaN (hardware `0/0`, `∞−∞`) and any infinity read as `#NUM!`.
//!
//! Text lanes hold an index into a string table: strings known at compile time come first,
//! strings made while running a batch are appended by the thread running it.

use std::sync::Arc;

use crate::value::{ErrorKind, Value};

const QNAN: u64 = 0x7FF8_0000_0000_0000;
const TAG_SHIFT: u32 = 32;
const TAG_MASK: u64 = 0x7FFF;
const TAG_ERROR: u64 = 1;
const TAG_BOOL: u64 = 2;
const TAG_TEXT: u64 = 3;
const TAG_BLANK: u64 = 4;

#[inline]
fn boxed(tag: u64, payload: u32) -> f64 {
    f64::from_bits(QNAN | (tag << TAG_SHIFT) | u64::from(payload))
}

/// A boxed error.
#[inline]
pub fn error(e: ErrorKind) -> f64 {
    boxed(TAG_ERROR, u32::from(e.type_code()))
}

/// A boxed boolean.
#[inline]
pub fn boolean(b: bool) -> f64 {
    boxed(TAG_BOOL, u32::from(b))
}

/// The boxed blank.
#[inline]
pub fn blank() -> f64 {
    boxed(TAG_BLANK, 0)
}

/// A boxed text: index into the string table.
#[inline]
pub fn text(id: u32) -> f64 {
    boxed(TAG_TEXT, id)
}

/// What a lane holds, without looking up text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lane {
    /// A number.
    Number(f64),
    /// An error.
    Error(ErrorKind),
    /// A boolean.
    Bool(bool),
    /// Text: an index into the string table.
    Text(u32),
    /// Blank.
    Blank,
}

fn error_of_code(code: u32) -> ErrorKind {
    ErrorKind::ALL.into_iter().find(|e| u32::from(e.type_code()) == code).unwrap_or(ErrorKind::Num)
}

/// Reads a lane.
#[inline]
pub fn unbox(x: f64) -> Lane {
    if x.is_finite() {
        return Lane::Number(x);
    }
    let bits = x.to_bits();
    // Infinities, negative NaNs and signalling NaNs are not boxes.
    if bits & 0xFFF8_0000_0000_0000 != QNAN {
        return Lane::Error(ErrorKind::Num);
    }
    let payload = bits as u32;
    match (bits >> TAG_SHIFT) & TAG_MASK {
        TAG_ERROR => Lane::Error(error_of_code(payload)),
        TAG_BOOL => Lane::Bool(payload != 0),
        TAG_TEXT => Lane::Text(payload),
        TAG_BLANK => Lane::Blank,
        _ => Lane::Error(ErrorKind::Num),
    }
}

/// Is the lane a number (the fast path)?
#[inline]
pub fn is_number(x: f64) -> bool {
    x.is_finite()
}

/// Strings referred to by text lanes: compile-time constants first, then strings made while
/// running (per thread, reset between batches).
#[derive(Clone, Debug, Default)]
pub struct Strings {
    items: Vec<Arc<str>>,
    constants: usize,
}

impl Strings {
    /// A table holding the compile-time strings.
    pub fn new(constants: Vec<Arc<str>>) -> Strings {
        let n = constants.len();
        Strings { items: constants, constants: n }
    }

    /// Forgets the strings made while running (keeps the constants).
    pub fn reset(&mut self) {
        self.items.truncate(self.constants);
    }

    /// The string of a text lane.
    pub fn get(&self, id: u32) -> Arc<str> {
        self.items.get(id as usize).cloned().unwrap_or_else(|| Arc::from(""))
    }

    /// Adds a string; returns its id.
    pub fn add(&mut self, s: Arc<str>) -> u32 {
        self.items.push(s);
        (self.items.len() - 1) as u32
    }
}

/// A lane as a [`Value`].
pub fn to_value(x: f64, strings: &Strings) -> Value {
    match unbox(x) {
        Lane::Number(n) => Value::Number(n),
        Lane::Error(e) => Value::Error(e),
        Lane::Bool(b) => Value::Bool(b),
        Lane::Text(id) => Value::Text(strings.get(id)),
        Lane::Blank => Value::Blank,
    }
}

/// A [`Value`] as a lane; text is added to the table. An array gives its first element
/// (lanes hold single values).
pub fn from_value(v: &Value, strings: &mut Strings) -> f64 {
    match v {
        Value::Number(n) if n.is_finite() => *n,
        Value::Number(_) => error(ErrorKind::Num),
        Value::Error(e) => error(*e),
        Value::Bool(b) => boolean(*b),
        Value::Blank => blank(),
        Value::Text(s) => text(strings.add(s.clone())),
        Value::Array(a) => match a.get(0, 0) {
            Some(first) => from_value(first, strings),
            None => error(ErrorKind::Calc),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        let mut s = Strings::new(vec![Arc::from("const")]);
        for v in [
            Value::Number(1.5),
            Value::Number(-0.0),
            Value::Bool(true),
            Value::Bool(false),
            Value::Blank,
            Value::Error(ErrorKind::Div0),
            Value::Error(ErrorKind::NA),
            Value::Error(ErrorKind::Calc),
            Value::from("hello"),
        ] {
            let x = from_value(&v, &mut s);
            assert_eq!(to_value(x, &s), v);
        }
        assert_eq!(to_value(text(0), &s), Value::from("const"));
    }

    #[test]
    fn hardware_nan_and_infinity_are_num_errors() {
        assert_eq!(unbox(f64::NAN), Lane::Error(ErrorKind::Num));
        assert_eq!(unbox(-f64::NAN), Lane::Error(ErrorKind::Num));
        assert_eq!(unbox(f64::INFINITY), Lane::Error(ErrorKind::Num));
        assert_eq!(unbox(f64::NAN), Lane::Error(ErrorKind::Num));
        // Arithmetic on a boxed value is never finite: the fix-up pass sees it.
        assert!(!(boolean(true) + 1.0).is_finite());
        assert!(!(error(ErrorKind::NA) * 0.0).is_finite());
    }
}

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
//! strings made while running a batch are appended by the thread running it. A table only
//! grows during a batch, so the thread collects it between two operations once the strings
//! made since the last collection pass a threshold ([`Strings::collect`]): a chain of `&` makes
//! a longer string per operation and lane, and keeping them all takes memory in the square of
//! the chain's length.

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

/// Bytes a string made while running is counted for besides its text: the header of its `Arc`
/// (two counts) and its slot in the table (a pointer and a length).
pub const STRING_OVERHEAD: usize = 32;

/// Strings referred to by text lanes: compile-time constants first, then strings made while
/// running (per thread, reset between batches, collected when they take too much memory).
#[derive(Clone, Debug, Default)]
pub struct Strings {
    items: Vec<Arc<str>>,
    constants: usize,
    /// Bytes of the strings made while running that the table holds.
    held: usize,
    /// Bytes of the strings added since the last reset or collection.
    added: usize,
    /// The most bytes `held` has been.
    peak: usize,
    /// Collections done.
    collections: u64,
    /// Working memory of a collection: per string made while running, its new id (`u32::MAX`:
    /// dropped).
    renumber: Vec<u32>,
}

impl Strings {
    /// A table holding the compile-time strings.
    pub fn new(constants: Vec<Arc<str>>) -> Strings {
        let n = constants.len();
        Strings { items: constants, constants: n, ..Strings::default() }
    }

    /// Forgets the strings made while running (keeps the constants).
    pub fn reset(&mut self) {
        self.items.truncate(self.constants);
        self.held = 0;
        self.added = 0;
    }

    /// The string of a text lane.
    pub fn get(&self, id: u32) -> Arc<str> {
        self.items.get(id as usize).cloned().unwrap_or_else(|| Arc::from(""))
    }

    /// Adds a string; returns its id.
    pub fn add(&mut self, s: Arc<str>) -> u32 {
        let bytes = s.len() + STRING_OVERHEAD;
        self.held += bytes;
        self.added += bytes;
        self.peak = self.peak.max(self.held);
        self.items.push(s);
        (self.items.len() - 1) as u32
    }

    /// Bytes of the strings added since the last reset or collection (text and
    /// [`STRING_OVERHEAD`] each; a string added twice counts twice).
    pub fn added_bytes(&self) -> usize {
        self.added
    }

    /// Bytes of the strings made while running that the table holds now.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// The most bytes of strings made while running the table has held at once.
    pub fn peak_bytes(&self) -> usize {
        self.peak
    }

    /// Collections done.
    pub fn collections(&self) -> u64 {
        self.collections
    }

    /// Keeps only the strings made while running that a lane of `live` refers to, renumbered in
    /// the order they were made (after the constants, whose ids never change), and rewrites
    /// those lanes with the new ids. Every lane that will be read again must be in `live`: any
    /// other text lane is left with an id that is now another string's, or none.
    pub fn collect(&mut self, live: &mut [&mut [f64]]) {
        let constants = self.constants;
        let made = self.items.len() - constants;
        let mut renumber = std::mem::take(&mut self.renumber);
        renumber.clear();
        renumber.resize(made, u32::MAX);
        for lanes in live.iter() {
            for &x in lanes.iter() {
                if let Some(k) = made_index(x, constants, made) {
                    renumber[k] = 0;
                }
            }
        }
        for (new, id) in (constants as u32..).zip(renumber.iter_mut().filter(|id| **id != u32::MAX)) {
            *id = new;
        }
        let mut k = 0;
        self.items.retain(|_| {
            let keep = k < constants || renumber[k - constants] != u32::MAX;
            k += 1;
            keep
        });
        for lanes in live.iter_mut() {
            for x in lanes.iter_mut() {
                if let Some(k) = made_index(*x, constants, made) {
                    *x = text(renumber[k]);
                }
            }
        }
        self.held = self.items[constants..].iter().map(|s| s.len() + STRING_OVERHEAD).sum();
        self.added = 0;
        self.collections += 1;
        self.renumber = renumber;
    }
}

/// Where among `made` strings made while running (after `constants` constants) is the string of
/// a text lane.
#[inline]
fn made_index(x: f64, constants: usize, made: usize) -> Option<usize> {
    match unbox(x) {
        Lane::Text(id) => {
            let k = (id as usize).checked_sub(constants)?;
            (k < made).then_some(k)
        }
        _ => None,
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
    fn a_collection_keeps_the_strings_of_the_live_lanes_and_renumbers_them() {
        let mut s = Strings::new(vec![Arc::from("k0"), Arc::from("k1")]);
        let made: Vec<u32> = (0..10).map(|i| s.add(Arc::from(format!("made {i}")))).collect();
        assert_eq!(made[0], 2);
        let bytes = |t: &str| t.len() + STRING_OVERHEAD;
        assert_eq!(s.held_bytes(), 10 * bytes("made 0"));
        assert_eq!(s.added_bytes(), s.held_bytes());
        // Two registers: constants, numbers and made strings (one twice, in both).
        let mut a = [text(made[7]), text(1), 1.5, text(made[3]), blank(), text(made[7])];
        let mut b = [text(made[3]), error(ErrorKind::NA), text(0), text(made[9])];
        // A dead register: its lanes are neither kept nor rewritten.
        let dead = [text(made[5])];
        let before: Vec<Value> = a.iter().chain(&b).map(|&x| to_value(x, &s)).collect();
        s.collect(&mut [&mut a, &mut b]);
        let after: Vec<Value> = a.iter().chain(&b).map(|&x| to_value(x, &s)).collect();
        assert_eq!(before, after);
        // Kept in the order they were made, after the constants (whose ids do not change).
        let lanes = |xs: &[f64]| xs.iter().map(|&x| unbox(x)).collect::<Vec<_>>();
        assert_eq!(lanes(&a), lanes(&[text(3), text(1), 1.5, text(2), blank(), text(3)]));
        assert_eq!(lanes(&b), lanes(&[text(2), error(ErrorKind::NA), text(0), text(4)]));
        assert_eq!(&*s.get(2), "made 3");
        assert_eq!(&*s.get(4), "made 9");
        assert_eq!(to_value(dead[0], &s), Value::from(""), "past the table");
        assert_eq!((s.held_bytes(), s.added_bytes(), s.collections()), (3 * bytes("made 0"), 0, 1));
        assert_eq!(s.peak_bytes(), 10 * bytes("made 0"));
        // New strings follow the kept ones; a reset keeps the constants only.
        assert_eq!(s.add(Arc::from("new")), 5);
        assert_eq!(s.added_bytes(), bytes("new"));
        s.reset();
        assert_eq!((s.held_bytes(), s.added_bytes()), (0, 0));
        assert_eq!(s.add(Arc::from("new")), 2);
        assert_eq!(&*s.get(1), "k1");
        // Nothing live: only the constants stay.
        s.collect(&mut []);
        assert_eq!((s.held_bytes(), s.collections()), (0, 2));
        assert_eq!(s.add(Arc::from("again")), 2);
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

//! Criteria of `SUMIF`, `COUNTIF`, `AVERAGEIF`, `MAXIFS`…: `5`, `">=10"`, `"<>x"`, `"a*b?"`.
//!
//! A criterion is an optional comparison operator (`=`, `<>`, `<`, `<=`, `>`, `>=`) followed
//! by an operand. A numeric operand compares with numbers (and with text cells that read as
//! that number for `=`); a text operand compares case-insensitively, with `*` and `?`
//! wildcards (`~` escapes them) for `=` and `<>`; `TRUE`/`FALSE` compare with booleans. An
//! empty criterion matches empty cells.

use std::cmp::Ordering;

use crate::value::{ErrorKind, Value, compare_numbers, compare_text, parse_number};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Number(f64),
    Bool(bool),
    Text(String),
    Error(ErrorKind),
    Empty,
}

/// A parsed criterion.
#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    op: Op,
    operand: Operand,
    wildcard: bool,
}

impl Criterion {
    /// Parses a criterion given as a value (a number, a boolean, or text such as `">=5"`).
    pub fn new(v: &Value) -> Criterion {
        let plain = |operand| Criterion { op: Op::Eq, operand, wildcard: false };
        match v {
            Value::Number(n) => plain(Operand::Number(*n)),
            Value::Bool(b) => plain(Operand::Bool(*b)),
            Value::Error(e) => plain(Operand::Error(*e)),
            Value::Blank => plain(Operand::Number(0.0)),
            Value::Array(a) => Criterion::new(a.get(0, 0).unwrap_or(&Value::Blank)),
            Value::Text(s) => Criterion::from_text(s),
        }
    }

    fn from_text(s: &str) -> Criterion {
        let (op, rest) = [("<=", Op::Le), (">=", Op::Ge), ("<>", Op::Ne), ("<", Op::Lt), (">", Op::Gt), ("=", Op::Eq)]
            .iter()
            .find_map(|(p, op)| s.strip_prefix(p).map(|rest| (*op, rest)))
            .unwrap_or((Op::Eq, s));
        let operand = if rest.is_empty() {
            Operand::Empty
        } else if let Some(n) = parse_number(rest) {
            Operand::Number(n)
        } else if rest.eq_ignore_ascii_case("TRUE") {
            Operand::Bool(true)
        } else if rest.eq_ignore_ascii_case("FALSE") {
            Operand::Bool(false)
        } else if let Some(e) = ErrorKind::parse(rest) {
            Operand::Error(e)
        } else {
            Operand::Text(rest.to_owned())
        };
        let wildcard =
            matches!(op, Op::Eq | Op::Ne) && matches!(&operand, Operand::Text(t) if t.contains(['*', '?', '~']));
        Criterion { op, operand, wildcard }
    }

    /// Does a cell value satisfy the criterion?
    pub fn matches(&self, v: &Value) -> bool {
        let ord: Option<Ordering> = match (&self.operand, v) {
            (Operand::Empty, _) => {
                // "=" (or "") matches blanks and empty text; "<>" anything not blank; "<",
                // "<=", ">", ">=" with nothing after them match nothing.
                return match self.op {
                    Op::Eq => matches!(v, Value::Blank) || matches!(v, Value::Text(t) if t.is_empty()),
                    Op::Ne => !matches!(v, Value::Blank),
                    _ => false,
                };
            }
            (Operand::Number(n), Value::Number(x)) => Some(compare_numbers(*x, *n)),
            (Operand::Number(n), Value::Text(t)) if self.op == Op::Eq => {
                parse_number(t).map(|x| compare_numbers(x, *n))
            }
            (Operand::Bool(b), Value::Bool(x)) => Some(x.cmp(b)),
            (Operand::Error(e), Value::Error(x)) => (e == x).then_some(Ordering::Equal),
            (Operand::Text(t), Value::Text(x)) => {
                if self.wildcard {
                    Some(if wildcard_match(t, x) { Ordering::Equal } else { Ordering::Less })
                } else {
                    Some(compare_text(x, t))
                }
            }
            _ => None,
        };
        match (self.op, ord) {
            (Op::Eq, Some(o)) => o == Ordering::Equal,
            (Op::Ne, Some(o)) => o != Ordering::Equal,
            (Op::Ne, None) => true,
            (Op::Lt, Some(o)) => o == Ordering::Less,
            (Op::Le, Some(o)) => o != Ordering::Greater,
            (Op::Gt, Some(o)) => o == Ordering::Greater,
            (Op::Ge, Some(o)) => o != Ordering::Less,
            (_, None) => false,
        }
    }
}

/// Case-insensitive match of `text` against a pattern with `*`, `?` and `~` escapes.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Char(char),
        One,
        Many,
    }
    let mut pat = Vec::new();
    let mut chars = pattern.chars().flat_map(char::to_lowercase).peekable();
    while let Some(c) = chars.next() {
        match c {
            '~' => match chars.next() {
                Some(n) => pat.push(P::Char(n)),
                None => pat.push(P::Char('~')),
            },
            '*' => pat.push(P::Many),
            '?' => pat.push(P::One),
            c => pat.push(P::Char(c)),
        }
    }
    let txt: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    // Iterative matching with backtracking to the last '*'.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < txt.len() {
        match pat.get(p) {
            Some(P::Char(c)) if *c == txt[t] => {
                p += 1;
                t += 1;
            }
            Some(P::One) => {
                p += 1;
                t += 1;
            }
            Some(P::Many) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|x| *x == P::Many)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(c: &str, v: Value) -> bool {
        Criterion::new(&Value::from(c)).matches(&v)
    }

    #[test]
    fn operators_and_wildcards() {
        assert!(m(">5", Value::Number(6.0)));
        assert!(!m(">5", Value::Number(5.0)));
        assert!(m("<>5", Value::from("x")));
        assert!(m("a*", Value::from("Apple")));
        assert!(m("?pple", Value::from("apple")));
        assert!(!m("a?", Value::from("abc")));
        assert!(m("~*", Value::from("*")));
        assert!(m("", Value::Blank));
        assert!(!m("", Value::Number(0.0)));
        assert!(m("<>", Value::Number(0.0)));
        assert!(Criterion::new(&Value::Number(3.0)).matches(&Value::Number(3.0)));
        assert!(m("TRUE", Value::Bool(true)));
        assert!(!m("<=", Value::Blank));
        assert!(!m(">=", Value::Blank));
        assert!(!m("<", Value::from("")));
        assert!(m("=", Value::Blank));
    }
}

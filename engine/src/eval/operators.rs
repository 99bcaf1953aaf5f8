//! Excel's operators on values, element by element over arrays.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::functions::ScalarFn;
use crate::parse::{BinaryOp, UnaryOp};
use crate::value::{Array, ErrorKind, Value, compare};

/// `-x`, `+x`, `x%`.
pub(super) fn unary(op: UnaryOp, v: Value) -> Value {
    if let Value::Array(a) = &v {
        return Value::from(a.map(|e| unary(op, e.clone())));
    }
    match op {
        UnaryOp::Plus => v,
        UnaryOp::Neg => v.to_number().map(|n| -n).into(),
        UnaryOp::Percent => v.to_number().map(|n| n / 100.0).into(),
    }
}

/// Dimensions of the result of an element-wise operation on arrays of these dimensions: a
/// single row or column stretches, otherwise the larger size wins (missing elements are `#N/A`).
fn broadcast_dims(dims: impl Iterator<Item = (usize, usize)>) -> (usize, usize) {
    dims.fold((1, 1), |(r, c), (ar, ac)| (r.max(ar), c.max(ac)))
}

/// A binary operator on two values (arrays element by element).
pub fn binary_values(op: BinaryOp, l: &Value, r: &Value) -> Value {
    match (l, r) {
        (Value::Array(a), Value::Array(b)) => {
            let (rows, cols) = broadcast_dims([(a.rows(), a.cols()), (b.rows(), b.cols())].into_iter());
            let mut out = Vec::with_capacity(rows * cols);
            for i in 0..rows {
                for j in 0..cols {
                    out.push(scalar_binary(op, &a.get_broadcast(i, j), &b.get_broadcast(i, j)));
                }
            }
            Value::from(Array::new(rows, cols, out))
        }
        (Value::Array(a), s) => Value::from(a.map(|e| scalar_binary(op, e, s))),
        (s, Value::Array(b)) => Value::from(b.map(|e| scalar_binary(op, s, e))),
        _ => scalar_binary(op, l, r),
    }
}

/// The most characters (UTF-16 code units) a text value holds in Excel.
const MAX_TEXT: usize = 32_767;

fn scalar_binary(op: BinaryOp, l: &Value, r: &Value) -> Value {
    if let Value::Error(e) = l {
        return Value::Error(*e);
    }
    if let Value::Error(e) = r {
        return Value::Error(*e);
    }
    match op {
        BinaryOp::Concat => match (l.to_text(), r.to_text()) {
            // Longer than a cell holds (32,767 characters): #VALUE!, as CONCAT gives.
            (Ok(a), Ok(b))
                if a.len() + b.len() > MAX_TEXT && a.encode_utf16().count() + b.encode_utf16().count() > MAX_TEXT =>
            {
                Value::Error(ErrorKind::Value)
            }
            (Ok(a), Ok(b)) => {
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(&a);
                s.push_str(&b);
                Value::Text(Arc::from(s))
            }
            (Err(e), _) | (_, Err(e)) => Value::Error(e),
        },
        BinaryOp::Eq => Value::Bool(compare(l, r) == Ordering::Equal),
        BinaryOp::Ne => Value::Bool(compare(l, r) != Ordering::Equal),
        BinaryOp::Lt => Value::Bool(compare(l, r) == Ordering::Less),
        BinaryOp::Le => Value::Bool(compare(l, r) != Ordering::Greater),
        BinaryOp::Gt => Value::Bool(compare(l, r) == Ordering::Greater),
        BinaryOp::Ge => Value::Bool(compare(l, r) != Ordering::Less),
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow => {
            let (a, b) = match (l.to_number(), r.to_number()) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) | (_, Err(e)) => return Value::Error(e),
            };
            Value::from(arithmetic(op, a, b))
        }
        BinaryOp::Range | BinaryOp::Intersect | BinaryOp::Union => Value::Error(ErrorKind::Value),
    }
}

/// Excel's arithmetic on two numbers.
pub(crate) fn arithmetic(op: BinaryOp, a: f64, b: f64) -> Result<f64, ErrorKind> {
    match op {
        BinaryOp::Add => Ok(a + b),
        BinaryOp::Sub => Ok(a - b),
        BinaryOp::Mul => Ok(a * b),
        BinaryOp::Div if b == 0.0 => Err(ErrorKind::Div0),
        BinaryOp::Div => Ok(a / b),
        BinaryOp::Pow => power(a, b),
        _ => Err(ErrorKind::Value),
    }
}

/// `a^b` with Excel's domain rules.
pub(crate) fn power(a: f64, b: f64) -> Result<f64, ErrorKind> {
    if a == 0.0 {
        return if b == 0.0 {
            Err(ErrorKind::Num)
        } else if b < 0.0 {
            Err(ErrorKind::Div0)
        } else {
            Ok(0.0)
        };
    }
    if a < 0.0 && b.fract() != 0.0 {
        return Err(ErrorKind::Num);
    }
    let r = a.powf(b);
    if r.is_finite() { Ok(r) } else { Err(ErrorKind::Num) }
}

/// Applies a scalar function; when an argument is an array the function is applied to each
/// element (arguments broadcast as for the operators).
pub fn lift(f: ScalarFn, args: &[Value]) -> Value {
    let arrays = args.iter().filter_map(|v| match v {
        Value::Array(a) => Some((a.rows(), a.cols())),
        _ => None,
    });
    let mut arrays = arrays.peekable();
    if arrays.peek().is_none() {
        return f(args).unwrap_or_else(Value::Error);
    }
    let (rows, cols) = broadcast_dims(arrays);
    let mut out = Vec::with_capacity(rows * cols);
    let mut scalars = Vec::with_capacity(args.len());
    for i in 0..rows {
        for j in 0..cols {
            scalars.clear();
            scalars.extend(args.iter().map(|v| match v {
                Value::Array(a) => a.get_broadcast(i, j),
                other => other.clone(),
            }));
            out.push(f(&scalars).unwrap_or_else(Value::Error));
        }
    }
    Value::from(Array::new(rows, cols, out))
}

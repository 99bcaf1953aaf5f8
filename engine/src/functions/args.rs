//! Reading the arguments of functions: conversions with Excel's rules, defaults for omitted
//! arguments, and the flattening of numbers from ranges that aggregate functions share.

use std::sync::Arc;

use crate::eval::{Evaluator, Source};
use crate::parse::Expr;
use crate::value::{ErrorKind, Value};

/// Argument `i` as a number (`#VALUE!` for non-numeric text; errors propagate).
pub fn num(args: &[Value], i: usize) -> Result<f64, ErrorKind> {
    args.get(i).map_or(Err(ErrorKind::Value), Value::to_number)
}

/// Argument `i` as a number, or `default` when the argument is not given at all.
pub fn num_or(args: &[Value], i: usize, default: f64) -> Result<f64, ErrorKind> {
    match args.get(i) {
        None => Ok(default),
        Some(v) => v.to_number(),
    }
}

/// Argument `i` truncated to an integer.
pub fn int(args: &[Value], i: usize) -> Result<f64, ErrorKind> {
    num(args, i).map(f64::trunc)
}

/// Argument `i` truncated to an integer, or `default` when not given.
pub fn int_or(args: &[Value], i: usize, default: f64) -> Result<f64, ErrorKind> {
    num_or(args, i, default).map(f64::trunc)
}

/// Argument `i` as text.
pub fn text(args: &[Value], i: usize) -> Result<Arc<str>, ErrorKind> {
    args.get(i).map_or(Err(ErrorKind::Value), Value::to_text)
}

/// Argument `i` as a boolean.
pub fn boolean(args: &[Value], i: usize) -> Result<bool, ErrorKind> {
    args.get(i).map_or(Err(ErrorKind::Value), Value::to_bool)
}

/// Argument `i` as a boolean, or `default` when not given.
pub fn boolean_or(args: &[Value], i: usize, default: bool) -> Result<bool, ErrorKind> {
    match args.get(i) {
        None => Ok(default),
        Some(v) => v.to_bool(),
    }
}

/// How an aggregate treats values that are not numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// `SUM`, `AVERAGE`, `MAX`…: numbers typed as arguments are converted (`"2"`, `TRUE`);
    /// text, booleans and blanks inside ranges and arrays are skipped.
    Standard,
    /// `AVERAGEA`, `MAXA`…: like `Standard`, but text in ranges counts as 0 and booleans as
    /// 0 or 1.
    All,
}

/// Collects the numbers of aggregate arguments. Errors propagate.
pub fn numbers(ev: &mut Evaluator<'_>, args: &[Expr], rule: Numbers) -> Result<Vec<f64>, ErrorKind> {
    let mut out = Vec::new();
    ev.visit_values(args, &mut |src, v| {
        match (src, v) {
            (_, Value::Number(n)) => out.push(n),
            (_, Value::Error(e)) => return Err(e),
            (Source::Direct, Value::Blank) => out.push(0.0),
            (Source::Direct, v) => out.push(v.to_number()?),
            (_, Value::Bool(b)) if rule == Numbers::All => out.push(f64::from(u8::from(b))),
            (_, Value::Text(_)) if rule == Numbers::All => out.push(0.0),
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

/// The numbers of one argument that must hold numbers in a range or array (`LARGE`,
/// `PERCENTILE`, `CORREL`…): non-numbers are skipped, errors propagate.
pub fn array_numbers(ev: &mut Evaluator<'_>, arg: &Expr) -> Result<Vec<f64>, ErrorKind> {
    let mut out = Vec::new();
    ev.visit_values(std::slice::from_ref(arg), &mut |src, v| {
        match (src, v) {
            (_, Value::Number(n)) => out.push(n),
            (_, Value::Error(e)) => return Err(e),
            (Source::Direct, v @ (Value::Text(_) | Value::Bool(_))) => out.push(v.to_number()?),
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

/// Evaluates argument `i` to a single value (`Blank` when absent).
pub fn scalar(ev: &mut Evaluator<'_>, args: &[Expr], i: usize) -> Value {
    match args.get(i) {
        None | Some(Expr::Missing) => Value::Blank,
        Some(e) => match ev.value(e) {
            Value::Array(a) => a.get(0, 0).cloned().unwrap_or(Value::Blank),
            v => v,
        },
    }
}

/// Evaluates argument `i` to a number.
pub fn scalar_num(ev: &mut Evaluator<'_>, args: &[Expr], i: usize) -> Result<f64, ErrorKind> {
    scalar(ev, args, i).to_number()
}

/// Evaluates argument `i` to a number, or `default` when the argument is absent.
pub fn scalar_num_or(ev: &mut Evaluator<'_>, args: &[Expr], i: usize, default: f64) -> Result<f64, ErrorKind> {
    if args.len() <= i { Ok(default) } else { scalar_num(ev, args, i) }
}

//! Operators that files store as functions: `SINGLE` (the `@` implicit intersection) and
//! `ANCHORARRAY` (the `#` spill reference).

use crate::eval::{Evaluator, Operand};
use crate::parse::Expr;
use crate::value::{ErrorKind, Value};

/// `@x`: a reference is reduced to the cell in the formula's row or column; an array to its
/// first element.
pub(super) fn single(ev: &mut Evaluator<'_>, a: &[Expr]) -> Result<Operand, ErrorKind> {
    match ev.eval(&a[0]) {
        Operand::Ref(area) => match ev.intersect(&area) {
            Some(cell) => Ok(Operand::Ref(crate::address::Area::cell(cell))),
            None => Err(ErrorKind::Value),
        },
        Operand::Value(Value::Array(arr)) => Ok(Operand::Value(arr.get(0, 0).cloned().unwrap_or(Value::Blank))),
        Operand::Refs(_) => Err(ErrorKind::Value),
        v => Ok(v),
    }
}

/// `A1#`: the range that the array formula anchored at the cell fills.
pub(super) fn anchor_array(ev: &mut Evaluator<'_>, a: &[Expr]) -> Result<Operand, ErrorKind> {
    let area = ev.reference(&a[0])?;
    ev.spill_area(area.top_left()).map(Operand::Ref).ok_or(ErrorKind::Ref)
}

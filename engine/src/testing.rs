//! Helpers for the unit tests of the engine.

use crate::recalc::recalculate;
use crate::value::Value;
use crate::workbook::workbook_from_cells;

/// The value of `formula` written in `A1` of a one-sheet workbook that also holds `cells`
/// (`("B2", "=…")` is a formula, anything else a constant). A circular reference gives blank.
pub(crate) fn eval_formula(formula: &str, cells: &[(&str, &str)]) -> Value {
    let mut all: Vec<(&str, &str)> = vec![("A1", formula)];
    all.extend_from_slice(cells);
    let r = recalculate(&workbook_from_cells(&all)).unwrap_or_default();
    r.cells.into_iter().find(|c| c.address == "A1").map_or(Value::Blank, |c| c.value)
}

/// [`eval_formula`], which must give a number.
pub(crate) fn eval_number(formula: &str, cells: &[(&str, &str)]) -> f64 {
    match eval_formula(formula, cells) {
        Value::Number(n) => n,
        other => panic!("{formula} gave {other:?}"),
    }
}

/// [`eval_formula`], which must give an error.
pub(crate) fn eval_error(formula: &str, cells: &[(&str, &str)]) -> crate::value::ErrorKind {
    match eval_formula(formula, cells) {
        Value::Error(e) => e,
        other => panic!("{formula} gave {other:?}"),
    }
}

//! Information functions: the `IS…` tests, `TYPE`, `N`, `NA`, `ERROR.TYPE`, `CELL`, `SHEET`,
//! `SHEETS`, `FORMULATEXT`.
//!
//! The tests of a value's type are scalar (an error argument is a value they inspect, never a
//! failure). Those that look at a reference itself rather than its value (`ISREF`,
//! `ISFORMULA`, `CELL`, `SHEET`, `FORMULATEXT`, `N` and `TYPE` of a range) evaluate their own
//! argument.

use super::FnResult;
use super::args;
use crate::address::{Area, CellRef, quote_sheet_name};
use crate::eval::{Evaluator, Operand};
use crate::parse::{Expr, SheetLookup};
use crate::value::{ErrorKind, Value};
use crate::workbook::CellContent;

type Special = Result<Operand, ErrorKind>;

fn arg(a: &[Value]) -> &Value {
    a.first().unwrap_or(&Value::Blank)
}

/// `NA()`
pub(super) fn na(_: &[Value]) -> FnResult {
    Err(ErrorKind::NA)
}

/// `ISERROR(value)`
pub(super) fn iserror(a: &[Value]) -> FnResult {
    Ok(Value::Bool(matches!(arg(a), Value::Error(_))))
}

/// `ISERR(value)`: any error but `#N/A`.
pub(super) fn iserr(a: &[Value]) -> FnResult {
    Ok(Value::Bool(matches!(arg(a), Value::Error(e) if *e != ErrorKind::NA)))
}

/// `ISNA(value)`
pub(super) fn isna(a: &[Value]) -> FnResult {
    Ok(Value::Bool(matches!(arg(a), Value::Error(ErrorKind::NA))))
}

/// `ISNUMBER(value)`: numbers only (numeric text is text).
pub(super) fn isnumber(a: &[Value]) -> FnResult {
    Ok(Value::Bool(matches!(arg(a), Value::Number(_))))
}

/// `ISTEXT(value)`
pub(super) fn istext(a: &[Value]) -> FnResult {
    Ok(Value::Bool(matches!(arg(a), Value::Text(_))))
}

/// `ISNONTEXT(value)`: TRUE for anything but text, blanks and errors included.
pub(super) fn isnontext(a: &[Value]) -> FnResult {
    Ok(Value::Bool(!matches!(arg(a), Value::Text(_))))
}

/// `ISLOGICAL(value)`
pub(super) fn islogical(a: &[Value]) -> FnResult {
    Ok(Value::Bool(matches!(arg(a), Value::Bool(_))))
}

/// `ISBLANK(value)`: TRUE only for an empty cell (a formula returning `""` is not blank).
pub(super) fn isblank(a: &[Value]) -> FnResult {
    Ok(Value::Bool(matches!(arg(a), Value::Blank)))
}

/// The integer part of the argument of `ISEVEN`/`ISODD`: booleans are `#VALUE!`, numeric
/// text converts.
fn parity_arg(a: &[Value]) -> Result<f64, ErrorKind> {
    match arg(a) {
        Value::Bool(_) => Err(ErrorKind::Value),
        v => v.to_number().map(f64::trunc),
    }
}

/// `ISEVEN(number)`
pub(super) fn iseven(a: &[Value]) -> FnResult {
    Ok(Value::Bool(parity_arg(a)? % 2.0 == 0.0))
}

/// `ISODD(number)`
pub(super) fn isodd(a: &[Value]) -> FnResult {
    Ok(Value::Bool(parity_arg(a)? % 2.0 != 0.0))
}

/// `ERROR.TYPE(error_val)`: the number of an error, `#N/A` for anything else.
pub(super) fn error_type(a: &[Value]) -> FnResult {
    match arg(a) {
        Value::Error(e) => Ok(Value::Number(f64::from(e.type_code()))),
        _ => Err(ErrorKind::NA),
    }
}

/// `ISREF(value)`: is the argument a reference (an error is not)?
pub(super) fn isref(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let op = ev.eval(&a[0]);
    Ok(Value::Bool(matches!(op, Operand::Ref(_) | Operand::Refs(_))).into())
}

/// The reference argument `i`, or `None` when it is not given.
fn ref_arg(ev: &mut Evaluator<'_>, a: &[Expr], i: usize) -> Result<Option<Area>, ErrorKind> {
    match a.get(i) {
        None | Some(Expr::Missing) => Ok(None),
        Some(e) => match ev.eval(e) {
            Operand::Ref(area) => Ok(Some(area)),
            Operand::Refs(list) => list.first().copied().map(Some).ok_or(ErrorKind::Value),
            Operand::Value(Value::Error(e)) => Err(e),
            Operand::Value(_) => Err(ErrorKind::Value),
            Operand::Lambda(_) => Err(ErrorKind::Value),
        },
    }
}

/// `ISFORMULA(reference)`
pub(super) fn isformula(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let area = ref_arg(ev, a, 0)?.ok_or(ErrorKind::Value)?;
    let content = ev.workbook().cell(area.top_left());
    Ok(Value::Bool(matches!(content, Some(CellContent::Formula(_) | CellContent::ArrayMember { .. }))).into())
}

/// `FORMULATEXT(reference)`: the formula of the cell as Excel shows it, `#N/A` when the cell
/// holds no formula.
pub(super) fn formulatext(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let area = match ev.eval(&a[0]) {
        Operand::Ref(area) => area,
        Operand::Refs(list) => *list.first().ok_or(ErrorKind::NA)?,
        Operand::Value(Value::Error(e)) => return Err(e),
        Operand::Value(_) => return Err(ErrorKind::NA),
        Operand::Lambda(_) => return Err(ErrorKind::NA),
    };
    let wb = ev.workbook();
    let id = match wb.cell(area.top_left()) {
        Some(CellContent::Formula(id) | CellContent::ArrayMember { anchor: id, .. }) => *id,
        _ => return Err(ErrorKind::NA),
    };
    let text = display_formula(&wb.formula(id).text);
    Ok(Value::from(format!("={text}")).into())
}

/// A formula as stored in a file, as Excel displays it: without the `_xlfn.`, `_xlws.` and
/// `_xlpm.` prefixes (string literals are kept as written).
fn display_formula(stored: &str) -> String {
    const PREFIXES: [&str; 4] = ["_xlfn.", "_xlws.", "_xlpm.", "_xll."];
    let mut out = String::with_capacity(stored.len());
    let mut in_string = false;
    let mut rest = stored;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            in_string = !in_string;
        }
        if !in_string
            && c == '_'
            && let Some(p) = PREFIXES.iter().find(|p| rest.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p)))
        {
            rest = &rest[p.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `N(value)`: a number as is, TRUE/FALSE as 1/0, anything else 0; errors propagate. A
/// reference reads its top-left cell.
pub(super) fn n(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    fn of(v: &Value) -> Value {
        match v {
            Value::Number(x) => Value::Number(*x),
            Value::Bool(b) => Value::Number(f64::from(u8::from(*b))),
            Value::Error(e) => Value::Error(*e),
            Value::Array(arr) => Value::from(arr.map(of)),
            Value::Text(_) | Value::Blank => Value::Number(0.0),
        }
    }
    let v = match ev.eval(&a[0]) {
        Operand::Ref(area) => ev.cell_value(area.top_left()),
        Operand::Refs(list) => match list.first() {
            Some(area) => ev.cell_value(area.top_left()),
            None => Value::Error(ErrorKind::Value),
        },
        Operand::Value(v) => v,
        Operand::Lambda(_) => Value::Error(ErrorKind::Calc),
    };
    Ok(of(&v).into())
}

/// `TYPE(value)`: 1 number (or blank), 2 text, 4 logical, 16 error, 64 array (a multi-cell
/// range included).
pub(super) fn type_(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let v = match ev.eval(&a[0]) {
        Operand::Ref(area) if area.is_cell() => ev.cell_value(area.top_left()),
        Operand::Ref(_) => return Ok(Value::Number(64.0).into()),
        Operand::Refs(_) => return Ok(Value::Number(16.0).into()),
        Operand::Value(v) => v,
        Operand::Lambda(_) => return Ok(Value::Number(128.0).into()),
    };
    let code = match v {
        Value::Number(_) | Value::Blank => 1.0,
        Value::Text(_) => 2.0,
        Value::Bool(_) => 4.0,
        Value::Error(_) => 16.0,
        Value::Array(_) => 64.0,
    };
    Ok(Value::Number(code).into())
}

/// `SHEET([value])`: the number of the sheet of a reference, or of the sheet named by a text;
/// without argument, the formula's sheet.
pub(super) fn sheet(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let id = match a.first() {
        None | Some(Expr::Missing) => ev.current_cell().sheet,
        Some(e) => match ev.eval(e) {
            Operand::Ref(area) => area.sheet,
            Operand::Refs(list) => list.first().ok_or(ErrorKind::NA)?.sheet,
            Operand::Value(Value::Error(e)) => return Err(e),
            Operand::Value(Value::Text(name)) => ev.workbook().sheet_id(&name).ok_or(ErrorKind::NA)?,
            Operand::Value(_) => return Err(ErrorKind::NA),
            Operand::Lambda(_) => return Err(ErrorKind::NA),
        },
    };
    Ok(Value::Number(f64::from(id.0 + 1)).into())
}

/// `SHEETS([reference])`: the number of sheets in a reference (a 3-D reference spans
/// several); without argument, in the workbook.
pub(super) fn sheets(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let count = match a.first() {
        None | Some(Expr::Missing) => ev.workbook().sheets().len(),
        Some(e) => match ev.eval(e) {
            Operand::Ref(_) => 1,
            Operand::Refs(list) => {
                let mut ids: Vec<u32> = list.iter().map(|a| a.sheet.0).collect();
                ids.sort_unstable();
                ids.dedup();
                ids.len()
            }
            Operand::Value(Value::Error(e)) => return Err(e),
            Operand::Value(_) => return Err(ErrorKind::NA),
            Operand::Lambda(_) => return Err(ErrorKind::NA),
        },
    };
    Ok(Value::Number(count as f64).into())
}

/// `CELL(info_type, [reference])`: information about the top-left cell of the reference
/// (the formula's own cell when omitted). Supported: `address`, `col`, `row`, `contents`,
/// `type`, `prefix`, `filename` (`[Book]Sheet`: the file's path is unknown), `sheetname`…
pub(super) fn cell(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let info = match args::scalar(ev, a, 0) {
        Value::Text(s) => s,
        Value::Error(e) => return Err(e),
        _ => return Err(ErrorKind::Value),
    };
    let area = ref_arg(ev, a, 1)?.unwrap_or_else(|| Area::cell(ev.current_cell()));
    let cell: CellRef = area.top_left();
    let value = |ev: &mut Evaluator<'_>| ev.cell_value(cell);
    let v = match info.to_ascii_lowercase().as_str() {
        "address" => {
            let mut s = String::new();
            if cell.sheet != ev.current_cell().sheet
                && let Some(sh) = ev.workbook().sheet(cell.sheet)
            {
                s.push_str(&quote_sheet_name(&sh.name));
                s.push('!');
            }
            s.push_str(&format!("${}${}", crate::address::column_letters(cell.col), cell.row + 1));
            Value::from(s)
        }
        "col" => Value::Number(f64::from(cell.col + 1)),
        "row" => Value::Number(f64::from(cell.row + 1)),
        "contents" => value(ev),
        "type" => Value::from(match value(ev) {
            Value::Blank => "b",
            Value::Text(_) => "l",
            _ => "v",
        }),
        "prefix" => Value::from(match value(ev) {
            Value::Text(_) => "'",
            _ => "",
        }),
        "filename" => {
            let name = ev.workbook().sheet(cell.sheet).map(|s| s.name.clone()).unwrap_or_default();
            Value::from(format!("[Book]{name}"))
        }
        "format" => Value::from("G"),
        "parentheses" | "color" => Value::Number(0.0),
        "protect" => Value::Number(1.0),
        _ => return Err(ErrorKind::Value),
    };
    Ok(v.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_tests_see_errors_as_values() {
        let e = [Value::Error(ErrorKind::NA)];
        assert_eq!(iserror(&e), Ok(Value::Bool(true)));
        assert_eq!(iserr(&e), Ok(Value::Bool(false)));
        assert_eq!(isna(&e), Ok(Value::Bool(true)));
        assert_eq!(isnontext(&e), Ok(Value::Bool(true)));
        assert_eq!(isnumber(&[Value::from("1")]), Ok(Value::Bool(false)));
        assert_eq!(isblank(&[Value::from("")]), Ok(Value::Bool(false)));
        assert_eq!(isblank(&[Value::Blank]), Ok(Value::Bool(true)));
    }

    #[test]
    fn parity_truncates_converts_text_and_rejects_booleans() {
        assert_eq!(isodd(&[Value::Number(-5.5)]), Ok(Value::Bool(true)));
        assert_eq!(iseven(&[Value::Number(2.3)]), Ok(Value::Bool(true)));
        assert_eq!(iseven(&[Value::from("12")]), Ok(Value::Bool(true)));
        assert_eq!(iseven(&[Value::Blank]), Ok(Value::Bool(true)));
        assert_eq!(isodd(&[Value::Bool(true)]), Err(ErrorKind::Value));
        assert_eq!(isodd(&[Value::from("Hey")]), Err(ErrorKind::Value));
    }

    #[test]
    fn error_type_codes() {
        assert_eq!(error_type(&[Value::Error(ErrorKind::Div0)]), Ok(Value::Number(2.0)));
        assert_eq!(error_type(&[Value::Number(1.0)]), Err(ErrorKind::NA));
    }

    #[test]
    fn formula_display_drops_prefixes_outside_strings() {
        assert_eq!(display_formula("_xlfn.FORMULATEXT(A13)"), "FORMULATEXT(A13)");
        assert_eq!(display_formula("_xlfn._xlws.SORT(A1:A3)&\"_xlfn.\""), "SORT(A1:A3)&\"_xlfn.\"");
    }
}

#[cfg(test)]
mod sheet_tests {
    use crate::testing::eval_formula as eval;
    use crate::value::{ErrorKind, Value};

    #[test]
    fn functions_that_look_at_references() {
        assert_eq!(eval("=ISREF(B2:B3)", &[]), Value::Bool(true));
        assert_eq!(eval("=ISREF(1+2)", &[]), Value::Bool(false));
        assert_eq!(eval("=ISFORMULA(B1)", &[("B1", "=1+1")]), Value::Bool(true));
        assert_eq!(eval("=ISFORMULA(B1)", &[("B1", "2")]), Value::Bool(false));
        assert_eq!(eval("=FORMULATEXT(B1)", &[("B1", "=1+1")]), Value::from("=1+1"));
        assert_eq!(eval("=FORMULATEXT(B1)", &[("B1", "2")]), Value::Error(ErrorKind::NA));
        assert_eq!(eval("=ISBLANK(B1)", &[]), Value::Bool(true));
        assert_eq!(eval("=ISBLANK(B1)", &[("B1", "=\"\"")]), Value::Bool(false));
    }

    #[test]
    fn n_type_cell_sheet() {
        assert_eq!(eval("=N(B1:B2)", &[("B1", "7"), ("B2", "x")]), Value::Number(7.0));
        assert_eq!(eval("=N(\"7\")", &[]), Value::Number(0.0));
        assert_eq!(eval("=N(TRUE)", &[]), Value::Number(1.0));
        assert_eq!(eval("=TYPE({1,2})", &[]), Value::Number(64.0));
        assert_eq!(eval("=TYPE(1/0)", &[]), Value::Number(16.0));
        assert_eq!(eval("=TYPE(B1)", &[("B1", "x")]), Value::Number(2.0));
        assert_eq!(eval("=CELL(\"address\",B2:C3)", &[]), Value::from("$B$2"));
        assert_eq!(eval("=CELL(\"type\",B2)", &[("B2", "x")]), Value::from("l"));
        assert_eq!(eval("=CELL(\"type\",B2)", &[]), Value::from("b"));
        assert_eq!(eval("=CELL(\"nonsense\",B2)", &[]), Value::Error(ErrorKind::Value));
        assert_eq!(eval("=SHEET()", &[]), Value::Number(1.0));
        assert_eq!(eval("=SHEET(\"Sheet1\")", &[]), Value::Number(1.0));
        assert_eq!(eval("=SHEET(\"Nope\")", &[]), Value::Error(ErrorKind::NA));
        assert_eq!(eval("=SHEETS()", &[]), Value::Number(1.0));
        assert_eq!(eval("=ERROR.TYPE(NA())", &[]), Value::Number(7.0));
    }
}

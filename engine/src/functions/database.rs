//! Database functions: DSUM, DAVERAGE, DCOUNT, DGET, … over a table with a criteria range.
//!
//! A database is a range whose first row holds the field names; a field is chosen by name
//! (case-insensitive) or by 1-based column number. The criteria range also starts with a
//! row of field names; each following row is a set of conditions that must all hold (AND
//! across columns), and a record is selected when any row holds (OR across rows). An empty
//! condition cell places no condition; a row without conditions selects every record. A
//! plain text condition `abc` selects values beginning with `abc` (as Excel's database
//! criteria do); `=abc` selects exactly `abc`; other conditions follow
//! [`Criterion`] (`>5`, `<>x`, `a*b?`).

use std::cmp::Ordering;

use super::criteria::Criterion;
use crate::eval::{Evaluator, Operand};
use crate::parse::Expr;
use crate::value::{Array, ErrorKind, Value, compare_text, parse_number};

type Special = Result<Operand, ErrorKind>;

/// Is the value an empty condition (or an empty field name)?
fn is_empty(v: &Value) -> bool {
    matches!(v, Value::Blank) || matches!(v, Value::Text(t) if t.is_empty())
}

/// The column of the database whose field name reads as `name` (case-insensitive).
fn column_named(header: &[Value], name: &str) -> Option<usize> {
    header.iter().position(|h| match h {
        Value::Error(_) | Value::Blank => false,
        h => h.to_text().is_ok_and(|t| compare_text(&t, name) == Ordering::Equal),
    })
}

/// The criterion a condition cell stands for.
fn condition(v: &Value) -> Criterion {
    if let Value::Text(s) = v {
        let plain = !s.starts_with(['<', '>', '='])
            && parse_number(s).is_none()
            && !s.eq_ignore_ascii_case("TRUE")
            && !s.eq_ignore_ascii_case("FALSE")
            && ErrorKind::parse(s).is_none();
        if plain {
            return Criterion::new(&Value::from(format!("{s}*")));
        }
    }
    Criterion::new(v)
}

/// One row of conditions: (column, criterion) pairs, or `None` when a condition names no
/// field of the database (the row selects nothing).
fn condition_row(header: &[Value], names: &[Value], row: &[Value]) -> Option<Vec<(usize, Criterion)>> {
    let mut out = Vec::new();
    for (name, cell) in names.iter().zip(row) {
        if is_empty(cell) {
            continue;
        }
        let col = match name {
            Value::Error(_) | Value::Blank => None,
            n => n.to_text().ok().and_then(|t| column_named(header, &t)),
        }?;
        out.push((col, condition(cell)));
    }
    Some(out)
}

fn rows_of(a: &Array) -> Vec<&[Value]> {
    a.values().chunks(a.cols()).collect()
}

/// Resolves the field argument: a name, or a 1-based column number (booleans are numbers).
fn field_index(field: &Value, header: &[Value]) -> Result<usize, ErrorKind> {
    let by_number = |n: f64| {
        let i = n.trunc();
        if i < 1.0 || i > header.len() as f64 { Err(ErrorKind::Value) } else { Ok(i as usize - 1) }
    };
    match field {
        Value::Number(n) => by_number(*n),
        Value::Bool(b) => by_number(f64::from(u8::from(*b))),
        Value::Text(t) => column_named(header, t).ok_or(ErrorKind::Value),
        Value::Error(e) => Err(*e),
        Value::Blank => Err(ErrorKind::Value),
        Value::Array(a) => field_index(a.get(0, 0).unwrap_or(&Value::Blank), header),
    }
}

/// The values of the field in the selected records (or, without a field, one `Blank` per
/// selected record).
fn selected(ev: &mut Evaluator<'_>, a: &[Expr], field_optional: bool) -> Result<Vec<Value>, ErrorKind> {
    let db = ev.array(&a[0])?;
    let field = match a.get(1) {
        None | Some(Expr::Missing) if field_optional => None,
        None | Some(Expr::Missing) => return Err(ErrorKind::Value),
        Some(e) => Some(match ev.value(e) {
            Value::Array(arr) => arr.get(0, 0).cloned().unwrap_or(Value::Blank),
            v => v,
        }),
    };
    let criteria = ev.array(&a[2])?;
    let rows = rows_of(&db);
    let Some((header, records)) = rows.split_first() else { return Err(ErrorKind::Value) };
    if records.is_empty() {
        return Err(ErrorKind::Value);
    }
    let field = field.map(|f| field_index(&f, header)).transpose()?;
    let crit_rows = rows_of(&criteria);
    let Some((names, cond_rows)) = crit_rows.split_first() else { return Err(ErrorKind::Value) };
    let conditions: Vec<Option<Vec<(usize, Criterion)>>> =
        cond_rows.iter().map(|row| condition_row(header, names, row)).collect();
    let mut out = Vec::new();
    for record in records {
        let hit = conditions
            .iter()
            .any(|row| row.as_ref().is_some_and(|conds| conds.iter().all(|(col, c)| c.matches(&record[*col]))));
        if hit {
            out.push(field.map_or(Value::Blank, |f| record[f].clone()));
        }
    }
    Ok(out)
}

/// The numbers among the selected values (other values are skipped).
fn selected_numbers(ev: &mut Evaluator<'_>, a: &[Expr]) -> Result<Vec<f64>, ErrorKind> {
    Ok(selected(ev, a, false)?.iter().filter_map(Value::as_number).collect())
}

fn num(n: f64) -> Special {
    Ok(Operand::Value(Value::number(n)))
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn variance(xs: &[f64], sample: bool) -> Result<f64, ErrorKind> {
    let d = if sample { xs.len().saturating_sub(1) } else { xs.len() };
    if d == 0 {
        return Err(ErrorKind::Div0);
    }
    let m = mean(xs);
    Ok(xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / d as f64)
}

/// `DSUM(database, field, criteria)`
pub(super) fn dsum(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(selected_numbers(ev, a)?.iter().sum())
}

/// `DAVERAGE(database, field, criteria)`
pub(super) fn daverage(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = selected_numbers(ev, a)?;
    if xs.is_empty() { Err(ErrorKind::Div0) } else { num(mean(&xs)) }
}

/// `DCOUNT(database, [field], criteria)`: numbers in the field of the selected records (the
/// selected records themselves without a field).
pub(super) fn dcount(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let no_field = matches!(a.get(1), None | Some(Expr::Missing));
    let vs = selected(ev, a, true)?;
    let n = if no_field { vs.len() } else { vs.iter().filter(|v| matches!(v, Value::Number(_))).count() };
    num(n as f64)
}

/// `DCOUNTA(database, [field], criteria)`: non-empty values in the field of the selected
/// records.
pub(super) fn dcounta(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let no_field = matches!(a.get(1), None | Some(Expr::Missing));
    let vs = selected(ev, a, true)?;
    let n = if no_field { vs.len() } else { vs.iter().filter(|v| !matches!(v, Value::Blank)).count() };
    num(n as f64)
}

/// `DGET(database, field, criteria)`: the single selected value (`#VALUE!` when none,
/// `#NUM!` when several).
pub(super) fn dget(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let vs = selected(ev, a, false)?;
    match vs.as_slice() {
        [] => Err(ErrorKind::Value),
        [v] => Ok(Operand::Value(v.clone())),
        _ => Err(ErrorKind::Num),
    }
}

/// `DMAX(database, field, criteria)`
pub(super) fn dmax(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(selected_numbers(ev, a)?.into_iter().reduce(f64::max).unwrap_or(0.0))
}

/// `DMIN(database, field, criteria)`
pub(super) fn dmin(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(selected_numbers(ev, a)?.into_iter().reduce(f64::min).unwrap_or(0.0))
}

/// `DPRODUCT(database, field, criteria)`
pub(super) fn dproduct(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = selected_numbers(ev, a)?;
    num(if xs.is_empty() { 0.0 } else { xs.iter().product() })
}

/// `DSTDEV(database, field, criteria)`
pub(super) fn dstdev(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(variance(&selected_numbers(ev, a)?, true)?.sqrt())
}

/// `DSTDEVP(database, field, criteria)`
pub(super) fn dstdevp(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(variance(&selected_numbers(ev, a)?, false)?.sqrt())
}

/// `DVAR(database, field, criteria)`
pub(super) fn dvar(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(variance(&selected_numbers(ev, a)?, true)?)
}

/// `DVARP(database, field, criteria)`
pub(super) fn dvarp(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(variance(&selected_numbers(ev, a)?, false)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    fn eval(formula: &str) -> Value {
        let cells: &[(&str, &str)] = &[
            ("B1", "Name"),
            ("C1", "Units"),
            ("B2", "Bob"),
            ("C2", "10"),
            ("B3", "Bobby"),
            ("C3", "20"),
            ("B4", "Ann"),
            ("C4", "x"),
            ("E1", "Name"),
            ("F1", "Units"),
            ("E2", "bob"),
            ("E3", "Ann"),
            ("G1", "Name"),
            ("G2", "=\"=Bob\""),
        ];
        crate::testing::eval_formula(formula, cells)
    }

    #[test]
    fn database_functions_select_records() {
        // "bob" selects Bob and Bobby (prefix), OR Ann.
        assert_eq!(eval("=DSUM(B1:C4,\"Units\",E1:E3)"), Value::Number(30.0));
        assert_eq!(eval("=DCOUNT(B1:C4,2,E1:E3)"), Value::Number(2.0));
        assert_eq!(eval("=DCOUNTA(B1:C4,2,E1:E3)"), Value::Number(3.0));
        assert_eq!(eval("=DCOUNT(B1:C4,,E1:E3)"), Value::Number(3.0));
        assert_eq!(eval("=DGET(B1:C4,\"units\",G1:G2)"), Value::Number(10.0));
        assert_eq!(eval("=DGET(B1:C4,\"units\",E1:E2)"), Value::Error(ErrorKind::Num));
        assert_eq!(eval("=DAVERAGE(B1:C4,\"Units\",F1:F2)"), Value::Number(15.0));
        assert_eq!(eval("=DSUM(B1:C4,\"Nope\",E1:E3)"), Value::Error(ErrorKind::Value));
        assert_eq!(eval("=DSUM(B1:C1,2,E1:E3)"), Value::Error(ErrorKind::Value));
    }

    #[test]
    fn plain_text_conditions_match_prefixes() {
        assert!(condition(&t("b")).matches(&t("Balpha")));
        assert!(!condition(&t("=b")).matches(&t("Balpha")));
        assert!(condition(&t("=b")).matches(&t("B")));
        assert!(condition(&t(">100")).matches(&Value::Number(120.0)));
        assert!(condition(&Value::Bool(true)).matches(&Value::Bool(true)));
        assert!(!condition(&Value::Number(1.0)).matches(&Value::Bool(true)));
    }

    #[test]
    fn fields_by_name_or_number() {
        let header = [t("Region"), Value::Bool(true), Value::Number(1.0), t("true")];
        assert_eq!(field_index(&t("region"), &header), Ok(0));
        assert_eq!(field_index(&t("TRUE"), &header), Ok(1));
        assert_eq!(field_index(&t("1"), &header), Ok(2));
        assert_eq!(field_index(&Value::Bool(true), &header), Ok(0));
        assert_eq!(field_index(&Value::Number(4.9), &header), Ok(3));
        assert_eq!(field_index(&Value::Number(0.5), &header), Err(ErrorKind::Value));
        assert_eq!(field_index(&t("nope"), &header), Err(ErrorKind::Value));
    }

    #[test]
    fn conditions_on_unknown_fields_select_nothing() {
        let header = [t("Region"), t("Units")];
        assert!(condition_row(&header, &[t("Revnu")], &[t("x")]).is_none());
        assert_eq!(condition_row(&header, &[t("Revnu")], &[Value::Blank]).map(|r| r.len()), Some(0));
        assert!(condition_row(&header, &[Value::Blank], &[t("East")]).is_none());
    }
}

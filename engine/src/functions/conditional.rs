//! Conditional aggregates: SUMIF(S), COUNTIF(S), AVERAGEIF(S), MAXIFS, MINIFS.
//!
//! The ranges are read sparsely: only the cells that hold something are visited, so a whole
//! column costs what its populated cells cost. Criteria are parsed by [`super::criteria`].
//! A criterion given as an array (or a range in an array formula) gives an array of results.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::criteria::Criterion;
use crate::address::{Area, CellRef, MAX_COLS, MAX_ROWS};
use crate::eval::{Evaluator, Operand};
use crate::parse::Expr;
use crate::value::{Array, ErrorKind, Value};

type Special = Result<Operand, ErrorKind>;

/// A non-blank value with its position relative to the top-left corner of its range.
type Cell = ((u32, u32), Value);

/// A range argument: a reference (read sparsely) or an array.
#[derive(Clone, Debug)]
enum Grid {
    Area(Area),
    Array(Arc<Array>),
}

impl Grid {
    fn dims(&self) -> (u32, u32) {
        match self {
            Grid::Area(a) => (a.rows(), a.cols()),
            Grid::Array(a) => (a.rows() as u32, a.cols() as u32),
        }
    }

    /// The same top-left corner, with another shape (`SUMIF`'s sum range).
    fn resized(&self, rows: u32, cols: u32) -> Grid {
        match self {
            Grid::Area(a) => Grid::Area(Area {
                bottom: (a.top + rows - 1).min(MAX_ROWS - 1),
                right: (a.left + cols - 1).min(MAX_COLS - 1),
                ..*a
            }),
            Grid::Array(_) => self.clone(),
        }
    }

    /// The non-blank cells with their positions relative to the top-left corner.
    fn populated(&self, ev: &mut Evaluator<'_>) -> Result<Vec<Cell>, ErrorKind> {
        let mut out = Vec::new();
        match self {
            Grid::Area(a) => {
                let (top, left) = (a.top, a.left);
                ev.visit_area(a, &mut |cell, v| {
                    if !matches!(v, Value::Blank) {
                        out.push(((cell.row - top, cell.col - left), v));
                    }
                    Ok(())
                })?;
            }
            Grid::Array(arr) => {
                for (i, j, v) in arr.iter_indexed() {
                    if !matches!(v, Value::Blank) {
                        out.push(((i as u32, j as u32), v.clone()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The value at a position relative to the top-left corner.
    fn get(&self, ev: &mut Evaluator<'_>, (i, j): (u32, u32)) -> Value {
        match self {
            Grid::Area(a) => {
                let (r, c) = (a.top + i, a.left + j);
                if r > a.bottom || c > a.right {
                    return Value::Blank;
                }
                ev.cell_value(CellRef::new(a.sheet, r, c))
            }
            Grid::Array(arr) => arr.get(i as usize, j as usize).cloned().unwrap_or(Value::Blank),
        }
    }
}

fn grid(ev: &mut Evaluator<'_>, e: &Expr) -> Result<Grid, ErrorKind> {
    match ev.eval(e) {
        Operand::Ref(a) => Ok(Grid::Area(a)),
        Operand::Value(Value::Array(a)) => Ok(Grid::Array(a)),
        Operand::Value(Value::Error(e)) => Err(e),
        Operand::Value(v) => Ok(Grid::Array(Arc::new(Array::filled(1, 1, v)))),
        Operand::Refs(_) => Err(ErrorKind::Value),
        Operand::Lambda(_) => Err(ErrorKind::Calc),
    }
}

/// What is computed over the matching cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Agg {
    Sum,
    Count,
    Average,
    Max,
    Min,
}

/// Aggregates `target` (or counts) over the positions where every criterion matches.
fn compute(ev: &mut Evaluator<'_>, target: Option<&Grid>, conds: &[(Grid, Criterion)], agg: Agg) -> Value {
    match compute_inner(ev, target, conds, agg) {
        Ok(v) => Value::number(v),
        Err(e) => Value::Error(e),
    }
}

fn all_match(ev: &mut Evaluator<'_>, conds: &[(Grid, Criterion)], pos: (u32, u32)) -> bool {
    conds.iter().all(|(g, c)| {
        let v = g.get(ev, pos);
        c.matches(&v)
    })
}

fn compute_inner(
    ev: &mut Evaluator<'_>,
    target: Option<&Grid>,
    conds: &[(Grid, Criterion)],
    agg: Agg,
) -> Result<f64, ErrorKind> {
    let Some((first, _)) = conds.first() else { return Err(ErrorKind::Value) };
    let (rows, cols) = first.dims();
    let in_shape = |(i, j): (u32, u32)| i < rows && j < cols;
    if agg == Agg::Count {
        // Positions that can match: the populated cells of a criterion that refuses blanks.
        if let Some(k) = conds.iter().position(|(_, c)| !c.matches(&Value::Blank)) {
            let cells = conds[k].0.populated(ev)?;
            let mut n = 0.0;
            for (pos, _) in cells {
                if in_shape(pos) && all_match(ev, conds, pos) {
                    n += 1.0;
                }
            }
            return Ok(n);
        }
        // Every criterion accepts blanks: count the positions minus those that fail.
        let mut positions = BTreeSet::new();
        for (g, _) in conds {
            for (pos, _) in g.populated(ev)? {
                if in_shape(pos) {
                    positions.insert(pos);
                }
            }
        }
        let mut failures = 0.0;
        for pos in positions {
            if !all_match(ev, conds, pos) {
                failures += 1.0;
            }
        }
        return Ok(f64::from(rows) * f64::from(cols) - failures);
    }
    let target = target.ok_or(ErrorKind::Value)?;
    let mut sum = 0.0;
    let mut count = 0usize;
    let mut max = f64::NEG_INFINITY;
    let mut min = f64::INFINITY;
    for (pos, v) in target.populated(ev)? {
        if !in_shape(pos) || !all_match(ev, conds, pos) {
            continue;
        }
        match v {
            Value::Number(n) => {
                sum += n;
                count += 1;
                max = max.max(n);
                min = min.min(n);
            }
            Value::Error(e) => return Err(e),
            _ => {}
        }
    }
    match agg {
        Agg::Sum => Ok(sum),
        Agg::Average if count == 0 => Err(ErrorKind::Div0),
        Agg::Average => Ok(sum / count as f64),
        Agg::Max => Ok(if count == 0 { 0.0 } else { max }),
        Agg::Min => Ok(if count == 0 { 0.0 } else { min }),
        Agg::Count => Ok(count as f64),
    }
}

/// Evaluates the criteria and computes the aggregate, once per element when a criterion is
/// an array.
fn run(ev: &mut Evaluator<'_>, target: Option<Grid>, ranges: Vec<Grid>, crit_exprs: &[&Expr], agg: Agg) -> Special {
    let mut crits = Vec::with_capacity(crit_exprs.len());
    for e in crit_exprs {
        let v = match e {
            Expr::Missing => Value::Blank,
            e => ev.value(e),
        };
        crits.push(v);
    }
    let dims = crits.iter().fold(None, |acc: Option<(usize, usize)>, v| match v {
        Value::Array(a) => {
            let (r, c) = acc.unwrap_or((1, 1));
            Some((r.max(a.rows()), c.max(a.cols())))
        }
        _ => acc,
    });
    let Some((rows, cols)) = dims else {
        let conds: Vec<(Grid, Criterion)> = ranges.into_iter().zip(crits.iter().map(Criterion::new)).collect();
        return match compute(ev, target.as_ref(), &conds, agg) {
            Value::Error(e) => Err(e),
            v => Ok(v.into()),
        };
    };
    let mut out = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for j in 0..cols {
            let conds: Vec<(Grid, Criterion)> = ranges
                .iter()
                .cloned()
                .zip(crits.iter().map(|v| match v {
                    Value::Array(a) => Criterion::new(&a.get_broadcast(i, j)),
                    v => Criterion::new(v),
                }))
                .collect();
            out.push(compute(ev, target.as_ref(), &conds, agg));
        }
    }
    Ok(Value::from(Array::new(rows, cols, out)).into())
}

/// `SUMIF`/`AVERAGEIF`: `(range, criteria, [value_range])`; the value range takes the
/// shape of `range` from its top-left cell.
fn single(ev: &mut Evaluator<'_>, a: &[Expr], agg: Agg) -> Special {
    let range = grid(ev, &a[0])?;
    let target = match a.get(2) {
        None | Some(Expr::Missing) => range.clone(),
        Some(e) => {
            let (rows, cols) = range.dims();
            grid(ev, e)?.resized(rows, cols)
        }
    };
    run(ev, Some(target), vec![range], &[&a[1]], agg)
}

/// The `…IFS` forms: `(value_range, range1, criteria1, …)` or, for `COUNTIFS`,
/// `(range1, criteria1, …)`. All ranges must have the same shape.
fn multi(ev: &mut Evaluator<'_>, a: &[Expr], agg: Agg) -> Special {
    let (target, pairs) = if agg == Agg::Count { (None, a) } else { (Some(grid(ev, &a[0])?), &a[1..]) };
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(ErrorKind::Value);
    }
    let mut ranges = Vec::with_capacity(pairs.len() / 2);
    let mut crits = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks(2) {
        ranges.push(grid(ev, &pair[0])?);
        crits.push(&pair[1]);
    }
    let dims = ranges[0].dims();
    if ranges.iter().any(|g| g.dims() != dims) || target.as_ref().is_some_and(|t| t.dims() != dims) {
        return Err(ErrorKind::Value);
    }
    run(ev, target, ranges, &crits, agg)
}

/// `SUMIF(range, criteria, [sum_range])`
pub(super) fn sumif(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    single(ev, a, Agg::Sum)
}

/// `AVERAGEIF(range, criteria, [average_range])`
pub(super) fn averageif(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    single(ev, a, Agg::Average)
}

/// `COUNTIF(range, criteria)`
pub(super) fn countif(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let range = grid(ev, &a[0])?;
    run(ev, None, vec![range], &[&a[1]], Agg::Count)
}

/// `SUMIFS(sum_range, criteria_range1, criteria1, …)`
pub(super) fn sumifs(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    multi(ev, a, Agg::Sum)
}

/// `AVERAGEIFS(average_range, criteria_range1, criteria1, …)`
pub(super) fn averageifs(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    multi(ev, a, Agg::Average)
}

/// `COUNTIFS(criteria_range1, criteria1, …)`
pub(super) fn countifs(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    multi(ev, a, Agg::Count)
}

/// `MAXIFS(max_range, criteria_range1, criteria1, …)`
pub(super) fn maxifs(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    multi(ev, a, Agg::Max)
}

/// `MINIFS(min_range, criteria_range1, criteria1, …)`
pub(super) fn minifs(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    multi(ev, a, Agg::Min)
}

#[cfg(test)]
mod tests {
    use crate::testing::eval_formula as eval;
    use crate::value::{ErrorKind, Value};

    const DATA: [(&str, &str); 10] = [
        ("B1", "apple"),
        ("C1", "10"),
        ("B2", "banana"),
        ("C2", "20"),
        ("B3", "Apple"),
        ("C3", "30"),
        ("B4", "cherry"),
        ("C4", "x"),
        ("B5", "5"),
        ("C5", "40"),
    ];

    #[test]
    fn sumif_and_friends() {
        assert_eq!(eval("=SUMIF(B1:B5,\"apple\",C1:C5)", &DATA), Value::Number(40.0));
        assert_eq!(eval("=SUMIF(B1:B5,\"a*\",C1)", &DATA), Value::Number(40.0));
        assert_eq!(eval("=SUMIF(C1:C5,\">15\")", &DATA), Value::Number(90.0));
        assert_eq!(eval("=AVERAGEIF(C1:C5,\"<>20\")", &DATA), Value::Number(80.0 / 3.0));
        assert_eq!(eval("=AVERAGEIF(B1:B5,\"zzz\",C1:C5)", &DATA), Value::Error(ErrorKind::Div0));
        assert_eq!(eval("=COUNTIF(B1:B5,\"?????\")", &DATA), Value::Number(2.0));
        assert_eq!(eval("=COUNTIF(B1:B5,5)", &DATA), Value::Number(1.0));
        assert_eq!(eval("=COUNTIF(C1:C5,\"<>x\")", &DATA), Value::Number(4.0));
    }

    #[test]
    fn ifs_forms() {
        assert_eq!(eval("=SUMIFS(C1:C5,B1:B5,\"*a*\",C1:C5,\">10\")", &DATA), Value::Number(50.0));
        assert_eq!(eval("=COUNTIFS(B1:B5,\"*a*\",C1:C5,\">10\")", &DATA), Value::Number(2.0));
        assert_eq!(eval("=MAXIFS(C1:C5,B1:B5,\"<>banana\")", &DATA), Value::Number(40.0));
        assert_eq!(eval("=MINIFS(C1:C5,B1:B5,\"nothing\")", &DATA), Value::Number(0.0));
        assert_eq!(eval("=AVERAGEIFS(C1:C5,B1:B5,\"apple\")", &DATA), Value::Number(20.0));
        assert_eq!(eval("=SUMIFS(C1:C5,B1:B4,\"apple\")", &DATA), Value::Error(ErrorKind::Value));
    }

    #[test]
    fn whole_columns_and_blanks() {
        // 1,048,576 cells in column B, 5 of them not blank.
        assert_eq!(eval("=COUNTIF(B:B,\"\")", &DATA), Value::Number(1_048_571.0));
        assert_eq!(eval("=COUNTIF(B:B,\"<>apple\")", &DATA), Value::Number(1_048_574.0));
        assert_eq!(eval("=SUMIF(B:B,\"apple\",C:C)", &DATA), Value::Number(40.0));
        assert_eq!(eval("=COUNTIFS(B:B,\"\",C:C,\"\")", &DATA), Value::Number(1_048_571.0));
    }

    #[test]
    fn errors_in_ranges() {
        let cells = [("B1", "1"), ("B2", "=1/0"), ("B3", "1"), ("C1", "5"), ("C2", "6"), ("C3", "=NA()")];
        assert_eq!(eval("=SUMIF(B1:B3,1,C1:C3)", &cells), Value::Error(ErrorKind::NA));
        assert_eq!(eval("=SUMIF(B1:B3,1)", &cells), Value::Number(2.0));
        assert_eq!(eval("=COUNTIF(B1:B3,\"#DIV/0!\")", &cells), Value::Number(1.0));
    }
}

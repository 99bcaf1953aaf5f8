//! Lookup and reference functions: `VLOOKUP`, `HLOOKUP`, `LOOKUP`, `MATCH`, `XLOOKUP`,
//! `XMATCH`, `INDEX`, `OFFSET`, `INDIRECT`, `ROW`, `ROWS`, `COLUMN`, `COLUMNS`, `ADDRESS`,
//! `AREAS`, `TRANSPOSE`.
//!
//! # Matching
//!
//! - The legacy functions (`VLOOKUP`, `HLOOKUP`, `MATCH`, `LOOKUP`) compare values of the same
//!   type only: a number never matches text, `TRUE` never matches `"TRUE"`, empty cells
//!   match nothing. Exact matches of text use the `*`, `?`, `~` wildcards. Approximate
//!   matches are a binary search that skips the values of another type than the lookup
//!   value, as Excel does, so that `LOOKUP(2, 1/(A1:A9="x"), B1:B9)` finds the last match.
//! - `XLOOKUP` and `XMATCH` order values across types as Excel sorts them: numbers < text <
//!   logicals < errors < empty cells. Their binary searches return the first of equal values
//!   in ascending order.
//!
//! # References
//!
//! `INDEX`, `OFFSET`, `INDIRECT` and `XLOOKUP` return references (so `SUM(INDEX(A:C,0,2))`
//! and `A1:INDEX(…)` work); they compute areas without reading the cells. Whole-column
//! ranges are read clipped to the sheet's used cells.

use std::cmp::Ordering;
use std::sync::Arc;

use super::FnResult;
use super::args;
use super::criteria::wildcard_match;
use crate::address::{Area, MAX_COLS, MAX_ROWS, SheetId, column_from_letters, column_letters, quote_sheet_name};
use crate::eval::{Evaluator, Operand};
use crate::parse::{Expr, SheetLookup};
use crate::value::{Array, ErrorKind, Value, compare, compare_text, numbers_equal};

type Special = Result<Operand, ErrorKind>;

// ── Tables: a reference or an array ───────────────────────────────────────────────────────

/// A range or an array that a lookup function searches or reads from.
enum Table {
    Ref(Area),
    Arr(Arc<Array>),
}

impl Table {
    fn rows(&self) -> usize {
        match self {
            Table::Ref(a) => a.rows() as usize,
            Table::Arr(a) => a.rows(),
        }
    }

    fn cols(&self) -> usize {
        match self {
            Table::Ref(a) => a.cols() as usize,
            Table::Arr(a) => a.cols(),
        }
    }

    /// The values of row `i` (`by_row`) or column `i`, clipped for large references: past the
    /// end every value is blank.
    fn line(&self, ev: &mut Evaluator<'_>, by_row: bool, i: usize) -> Vec<Value> {
        match self {
            Table::Ref(a) => {
                let line = if by_row {
                    Area { top: a.top + i as u32, bottom: a.top + i as u32, ..*a }
                } else {
                    Area { left: a.left + i as u32, right: a.left + i as u32, ..*a }
                };
                ev.area_array(&line).into_values()
            }
            Table::Arr(arr) => {
                if by_row {
                    (0..arr.cols()).map(|j| arr.get(i, j).cloned().unwrap_or_default()).collect()
                } else {
                    (0..arr.rows()).map(|r| arr.get(r, i).cloned().unwrap_or_default()).collect()
                }
            }
        }
    }

    /// The values of a one-row or one-column table, in order.
    fn vector(&self, ev: &mut Evaluator<'_>) -> Vec<Value> {
        if self.rows() == 1 { self.line(ev, true, 0) } else { self.line(ev, false, 0) }
    }

    /// The value at (row, col), zero-based.
    fn get(&self, ev: &mut Evaluator<'_>, row: usize, col: usize) -> Value {
        match self {
            Table::Ref(a) => {
                let r = a.top as usize + row;
                let c = a.left as usize + col;
                if r >= MAX_ROWS as usize || c >= MAX_COLS as usize {
                    return Value::Error(ErrorKind::Ref);
                }
                ev.cell_value(crate::address::CellRef::new(a.sheet, r as u32, c as u32))
            }
            Table::Arr(arr) => arr.get(row, col).cloned().unwrap_or(Value::Error(ErrorKind::NA)),
        }
    }

    /// The part of the table with rows `r0..r0+nr` and columns `c0..c0+nc`: a reference stays
    /// one, an array part of one element is that value.
    fn part(&self, r0: usize, nr: usize, c0: usize, nc: usize) -> Operand {
        match self {
            Table::Ref(a) => Operand::Ref(Area {
                sheet: a.sheet,
                top: a.top + r0 as u32,
                left: a.left + c0 as u32,
                bottom: a.top + (r0 + nr - 1) as u32,
                right: a.left + (c0 + nc - 1) as u32,
            }),
            Table::Arr(arr) => {
                if nr == 1 && nc == 1 {
                    return Operand::Value(arr.get(r0, c0).cloned().unwrap_or(Value::Error(ErrorKind::Ref)));
                }
                let mut out = Vec::with_capacity(nr * nc);
                for r in r0..r0 + nr {
                    for c in c0..c0 + nc {
                        out.push(arr.get(r, c).cloned().unwrap_or(Value::Error(ErrorKind::Ref)));
                    }
                }
                Operand::Value(Value::from(Array::new(nr, nc, out)))
            }
        }
    }
}

/// How a lookup function treats a text where it expects a table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TextTable {
    /// `#VALUE!` (`VLOOKUP`, `HLOOKUP`).
    Reject,
    /// A one-element table.
    Accept,
}

/// Evaluates a table argument (array context, references kept).
fn table(ev: &mut Evaluator<'_>, expr: &Expr, text: TextTable) -> Result<Table, ErrorKind> {
    match ev.eval_array_context(expr) {
        Operand::Ref(a) => Ok(Table::Ref(a)),
        Operand::Refs(_) => Err(ErrorKind::NA),
        Operand::Value(Value::Array(a)) => Ok(Table::Arr(a)),
        Operand::Value(Value::Error(e)) => Err(e),
        Operand::Value(Value::Text(_)) if text == TextTable::Reject => Err(ErrorKind::Value),
        Operand::Value(v) => Ok(Table::Arr(Arc::new(Array::filled(1, 1, v)))),
        Operand::Lambda(_) => Err(ErrorKind::Calc),
    }
}

/// Applies `f` to the lookup value, or to each element when it is an array.
fn each(target: Value, mut f: impl FnMut(&Value) -> Result<Value, ErrorKind>) -> Special {
    match target {
        Value::Array(arr) => Ok(Value::from(arr.map(|v| f(v).unwrap_or_else(Value::Error))).into()),
        v => f(&v).map(Operand::Value),
    }
}

// ── Matching ─────────────────────────────────────────────────────────────────────────────

/// Does `text` use wildcards?
fn has_wildcards(text: &str) -> bool {
    text.contains(['*', '?', '~'])
}

/// Equality of the legacy lookups: same type only, text case-insensitive (with wildcards when
/// `wildcards`).
fn legacy_equal(cell: &Value, target: &Value, wildcards: bool) -> bool {
    match (cell, target) {
        (Value::Number(a), Value::Number(b)) => numbers_equal(*a, *b),
        (Value::Text(s), Value::Text(p)) => {
            if wildcards && has_wildcards(p) {
                wildcard_match(p, s)
            } else {
                compare_text(s, p) == Ordering::Equal
            }
        }
        (Value::Bool(a), Value::Bool(b)) => a == b,
        _ => false,
    }
}

/// Are two values of the same type for the legacy approximate search?
fn same_kind(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Number(_), Value::Number(_)) | (Value::Text(_), Value::Text(_)) | (Value::Bool(_), Value::Bool(_))
    )
}

/// First position of an exact match (legacy rules).
fn legacy_exact(values: &[Value], target: &Value, wildcards: bool) -> Option<usize> {
    values.iter().position(|v| legacy_equal(v, target, wildcards))
}

/// Excel's approximate lookup: a binary search for the last value ≤ `target` (≥ when
/// `descending`) among the values of the target's type; values of other types are skipped
/// by stepping down from the probe.
fn legacy_approx(values: &[Value], target: &Value, descending: bool) -> Option<usize> {
    let mut lo: isize = 0;
    let mut hi: isize = values.len() as isize - 1;
    let mut best = None;
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        let mut m = mid;
        while m >= lo && !same_kind(&values[m as usize], target) {
            m -= 1;
        }
        if m < lo {
            lo = mid + 1;
            continue;
        }
        let ord = compare(&values[m as usize], target);
        let ok = if descending { ord != Ordering::Less } else { ord != Ordering::Greater };
        if ok {
            best = Some(m as usize);
            lo = mid + 1;
        } else {
            hi = m - 1;
        }
    }
    best
}

/// The ordering of `XLOOKUP`/`XMATCH`: Excel's sort order across types, with errors after
/// all values and empty cells last.
fn xcmp(cell: &Value, target: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Blank => 2,
            Value::Error(_) => 1,
            _ => 0,
        }
    }
    match (rank(cell), rank(target)) {
        (0, 0) => compare(cell, target),
        (a, b) => a.cmp(&b),
    }
}

/// `XLOOKUP`'s `match_mode`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MatchMode {
    Exact,
    NextSmaller,
    NextLarger,
    Wildcard,
    Regex,
}

/// `XLOOKUP`'s `search_mode`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SearchMode {
    First,
    Last,
    BinaryAscending,
    BinaryDescending,
}

fn match_mode(v: &Value) -> Result<MatchMode, ErrorKind> {
    if matches!(v, Value::Blank) {
        return Ok(MatchMode::Exact);
    }
    match v.to_number()?.trunc() as i64 {
        0 => Ok(MatchMode::Exact),
        -1 => Ok(MatchMode::NextSmaller),
        1 => Ok(MatchMode::NextLarger),
        2 => Ok(MatchMode::Wildcard),
        3 => Ok(MatchMode::Regex),
        _ => Err(ErrorKind::Value),
    }
}

fn search_mode(v: &Value) -> Result<SearchMode, ErrorKind> {
    if matches!(v, Value::Blank) {
        return Ok(SearchMode::First);
    }
    match v.to_number()?.trunc() as i64 {
        1 => Ok(SearchMode::First),
        -1 => Ok(SearchMode::Last),
        2 => Ok(SearchMode::BinaryAscending),
        -2 => Ok(SearchMode::BinaryDescending),
        _ => Err(ErrorKind::Value),
    }
}

/// Does `cell` equal `target` for `XLOOKUP` in this match mode?
fn x_equal(cell: &Value, target: &Value, mode: MatchMode) -> bool {
    match (mode, cell, target) {
        (MatchMode::Wildcard, Value::Text(s), Value::Text(p)) if has_wildcards(p) => wildcard_match(p, s),
        (MatchMode::Wildcard, _, Value::Text(p)) if has_wildcards(p) => false,
        (MatchMode::Regex, c, t) => {
            let (Ok(pattern), Ok(text)) = (t.to_text(), c.to_text()) else { return false };
            if matches!(c, Value::Blank | Value::Error(_)) {
                return false;
            }
            super::regex::compile(&pattern, false).is_ok_and(|re| re.is_match(&text))
        }
        _ => xcmp(cell, target) == Ordering::Equal,
    }
}

/// The position `XLOOKUP`/`XMATCH` find.
fn x_search(values: &[Value], target: &Value, mode: MatchMode, search: SearchMode) -> Result<Option<usize>, ErrorKind> {
    match search {
        SearchMode::First | SearchMode::Last => {
            let n = values.len();
            let mut best: Option<usize> = None;
            for k in 0..n {
                let i = if search == SearchMode::Last { n - 1 - k } else { k };
                let v = &values[i];
                if x_equal(v, target, mode) {
                    return Ok(Some(i));
                }
                if matches!(v, Value::Blank | Value::Error(_)) {
                    continue;
                }
                let wanted = match mode {
                    MatchMode::NextSmaller => Ordering::Less,
                    MatchMode::NextLarger => Ordering::Greater,
                    _ => continue,
                };
                if xcmp(v, target) == wanted && best.is_none_or(|b| xcmp(v, &values[b]) == wanted.reverse()) {
                    best = Some(i);
                }
            }
            Ok(best)
        }
        SearchMode::BinaryAscending | SearchMode::BinaryDescending => {
            if matches!(mode, MatchMode::Wildcard | MatchMode::Regex) {
                return Err(ErrorKind::Value);
            }
            let n = values.len();
            let at = |k: usize| if search == SearchMode::BinaryDescending { n - 1 - k } else { k };
            // Lower bound: the first position (in ascending order) not less than the target.
            let (mut lo, mut hi) = (0, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if xcmp(&values[at(mid)], target) == Ordering::Less {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            if lo < n && xcmp(&values[at(lo)], target) == Ordering::Equal {
                return Ok(Some(at(lo)));
            }
            let found = match mode {
                MatchMode::NextLarger if lo < n => Some(at(lo)),
                MatchMode::NextSmaller if lo > 0 => Some(at(lo - 1)),
                _ => None,
            };
            Ok(found.filter(|&i| !matches!(values[i], Value::Blank) || matches!(target, Value::Blank)))
        }
    }
}

// ── VLOOKUP, HLOOKUP, LOOKUP, MATCH ───────────────────────────────────────────────────────

fn vhlookup(ev: &mut Evaluator<'_>, a: &[Expr], vertical: bool) -> Special {
    let target = ev.value(&a[0]);
    let table = table(ev, &a[1], TextTable::Reject)?;
    let index = args::scalar_num(ev, a, 2)?.trunc();
    let approximate = match a.get(3) {
        None => true,
        Some(_) => args::scalar(ev, a, 3).to_bool()?,
    };
    let width = if vertical { table.cols() } else { table.rows() };
    if index < 1.0 {
        return Err(ErrorKind::Value);
    }
    if index > width as f64 {
        return Err(ErrorKind::Ref);
    }
    let index = index as usize - 1;
    let keys = table.line(ev, !vertical, 0);
    each(target, |t| {
        if let Value::Error(e) = t {
            return Err(*e);
        }
        let found = if approximate { legacy_approx(&keys, t, false) } else { legacy_exact(&keys, t, true) };
        let i = found.ok_or(ErrorKind::NA)?;
        Ok(if vertical { table.get(ev, i, index) } else { table.get(ev, index, i) })
    })
}

/// `VLOOKUP(lookup_value, table_array, col_index_num, [range_lookup])`
pub(super) fn vlookup(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    vhlookup(ev, a, true)
}

/// `HLOOKUP(lookup_value, table_array, row_index_num, [range_lookup])`
pub(super) fn hlookup(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    vhlookup(ev, a, false)
}

/// `LOOKUP(lookup_value, lookup_vector, [result_vector])`: approximate match only. With two
/// arguments and a 2-D array, searches the first row (wider than tall) or column and returns
/// from the last.
pub(super) fn lookup(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let target = ev.value(&a[0]);
    let search = table(ev, &a[1], TextTable::Accept)?;
    let result = match a.get(2) {
        Some(e) => Some(table(ev, e, TextTable::Accept)?),
        None => None,
    };
    let by_row = search.cols() > search.rows();
    let keys = search.line(ev, by_row, 0);
    each(target, |t| {
        if let Value::Error(e) = t {
            return Err(*e);
        }
        let i = legacy_approx(&keys, t, false).ok_or(ErrorKind::NA)?;
        match &result {
            None if by_row => Ok(search.get(ev, search.rows() - 1, i)),
            None => Ok(search.get(ev, i, search.cols() - 1)),
            Some(r) if r.rows() == 1 && r.cols() > 1 => Ok(r.get(ev, 0, i)),
            Some(r) if r.cols() == 1 => Ok(r.get(ev, i, 0)),
            Some(r) if r.rows() == 1 => Ok(r.get(ev, 0, i)),
            Some(_) => Err(ErrorKind::NA),
        }
    })
}

/// `MATCH(lookup_value, lookup_array, [match_type])`
pub(super) fn match_(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let target = ev.value(&a[0]);
    let array = table(ev, &a[1], TextTable::Accept)?;
    let kind = match a.get(2) {
        None => 1.0,
        Some(_) => args::scalar_num(ev, a, 2)?,
    };
    if array.rows() > 1 && array.cols() > 1 {
        return Err(ErrorKind::NA);
    }
    let values = array.vector(ev);
    each(target, |t| {
        if let Value::Error(e) = t {
            return Err(*e);
        }
        let found = if kind == 0.0 { legacy_exact(&values, t, true) } else { legacy_approx(&values, t, kind < 0.0) };
        found.map(|i| Value::Number((i + 1) as f64)).ok_or(ErrorKind::NA)
    })
}

// ── XLOOKUP, XMATCH ───────────────────────────────────────────────────────────────────────

fn optional(ev: &mut Evaluator<'_>, a: &[Expr], i: usize) -> Value {
    args::scalar(ev, a, i)
}

/// `XLOOKUP(lookup_value, lookup_array, return_array, [if_not_found], [match_mode],
/// [search_mode])`: returns the matching row or column of `return_array` (a reference when
/// it is one).
pub(super) fn xlookup(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let target = ev.value(&a[0]);
    let keys_table = table(ev, &a[1], TextTable::Accept)?;
    let result = table(ev, &a[2], TextTable::Accept)?;
    let mode = match_mode(&optional(ev, a, 4))?;
    let search = search_mode(&optional(ev, a, 5))?;
    let (rows, cols) = (keys_table.rows(), keys_table.cols());
    if rows > 1 && cols > 1 {
        return Err(ErrorKind::Value);
    }
    let by_row = rows == 1 && cols > 1;
    if (by_row && result.cols() != cols) || (!by_row && result.rows() != rows) {
        return Err(ErrorKind::Value);
    }
    let keys = keys_table.vector(ev);
    let not_found = |ev: &mut Evaluator<'_>| -> Special {
        match a.get(3) {
            None | Some(Expr::Missing) => Err(ErrorKind::NA),
            Some(e) => Ok(ev.eval(e)),
        }
    };
    if let Value::Array(targets) = &target {
        let mut out = Vec::with_capacity(targets.values().len());
        for t in targets.values() {
            let v = match t {
                Value::Error(e) => Value::Error(*e),
                t => match x_search(&keys, t, mode, search)? {
                    Some(i) if by_row => result.get(ev, 0, i),
                    Some(i) => result.get(ev, i, 0),
                    None => match not_found(ev) {
                        Ok(op) => args_first(ev, op),
                        Err(e) => Value::Error(e),
                    },
                },
            };
            out.push(v);
        }
        return Ok(Value::from(Array::new(targets.rows(), targets.cols(), out)).into());
    }
    if let Value::Error(e) = target {
        return Err(e);
    }
    match x_search(&keys, &target, mode, search)? {
        Some(i) if by_row => Ok(result.part(0, result.rows(), i, 1)),
        Some(i) => Ok(result.part(i, 1, 0, result.cols())),
        None => not_found(ev),
    }
}

/// The first value of an operand.
fn args_first(ev: &mut Evaluator<'_>, op: Operand) -> Value {
    match ev.operand_array(op) {
        Ok(arr) => arr.get(0, 0).cloned().unwrap_or_default(),
        Err(e) => Value::Error(e),
    }
}

/// `XMATCH(lookup_value, lookup_array, [match_mode], [search_mode])`
pub(super) fn xmatch(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let target = ev.value(&a[0]);
    let array = table(ev, &a[1], TextTable::Accept)?;
    let mode = match_mode(&optional(ev, a, 2))?;
    let search = search_mode(&optional(ev, a, 3))?;
    if array.rows() > 1 && array.cols() > 1 {
        return Err(ErrorKind::Value);
    }
    let values = array.vector(ev);
    each(target, |t| {
        if let Value::Error(e) = t {
            return Err(*e);
        }
        x_search(&values, t, mode, search)?.map(|i| Value::Number((i + 1) as f64)).ok_or(ErrorKind::NA)
    })
}

// ── INDEX, OFFSET, INDIRECT ───────────────────────────────────────────────────────────────

/// A row or column number of `INDEX`: truncated, 0 (or omitted) for all, negative `#VALUE!`.
fn index_number(v: &Value) -> Result<usize, ErrorKind> {
    let n = match v {
        Value::Blank => 0.0,
        v => v.to_number()?.trunc(),
    };
    if n < 0.0 {
        return Err(ErrorKind::Value);
    }
    Ok(n as usize)
}

/// A row or column argument of `INDEX`: a value, or an array of positions.
fn position_arg(ev: &mut Evaluator<'_>, expr: &Expr) -> Value {
    match expr {
        Expr::Missing => Value::Blank,
        e => ev.value(e),
    }
}

/// `INDEX` of a table at (row, col), 1-based, 0 for all.
fn index_part(t: &Table, row: usize, col: usize) -> Special {
    let (rows, cols) = (t.rows(), t.cols());
    if row > rows || col > cols {
        return Err(ErrorKind::Ref);
    }
    let (r0, nr) = if row == 0 { (0, rows) } else { (row - 1, 1) };
    let (c0, nc) = if col == 0 { (0, cols) } else { (col - 1, 1) };
    Ok(t.part(r0, nr, c0, nc))
}

/// `INDEX(array, row_num, [column_num], [area_num])`: the cell, row or column (number 0) of a
/// reference or an array; a reference stays a reference.
pub(super) fn index(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let source = ev.eval_array_context(&a[0]);
    let row = position_arg(ev, &a[1]);
    let col = a.get(2).map(|e| position_arg(ev, e));
    let area_num = if a.len() > 3 {
        match args::scalar(ev, a, 3) {
            Value::Blank => 1.0,
            v => v.to_number()?.trunc(),
        }
    } else {
        1.0
    };
    if area_num < 1.0 {
        return Err(ErrorKind::Value);
    }
    let t = match source {
        Operand::Ref(area) if area_num == 1.0 => Table::Ref(area),
        Operand::Refs(list) => Table::Ref(*list.get(area_num as usize - 1).ok_or(ErrorKind::Ref)?),
        _ if area_num != 1.0 => return Err(ErrorKind::Ref),
        Operand::Ref(_) => return Err(ErrorKind::Ref),
        Operand::Value(Value::Array(arr)) => Table::Arr(arr),
        Operand::Value(Value::Error(e)) => return Err(e),
        Operand::Value(v) => Table::Arr(Arc::new(Array::filled(1, 1, v))),
        Operand::Lambda(_) => return Err(ErrorKind::Calc),
    };
    if let Value::Error(e) = row {
        return Err(e);
    }
    if let Some(Value::Error(e)) = col {
        return Err(e);
    }
    // Arrays of positions: one value per position.
    if matches!(row, Value::Array(_)) || matches!(col, Some(Value::Array(_))) {
        let one_row = t.rows() == 1 && col.is_none();
        let (row, col) = if one_row { (Value::Number(1.0), row) } else { (row, col.unwrap_or(Value::Blank)) };
        let size = |v: &Value| match v {
            Value::Array(x) => (x.rows(), x.cols()),
            _ => (1, 1),
        };
        let ((r1, c1), (r2, c2)) = (size(&row), size(&col));
        let (nr, nc) = (r1.max(r2), c1.max(c2));
        let pick = |v: &Value, i: usize, j: usize| match v {
            Value::Array(x) => x.get_broadcast(i, j),
            other => other.clone(),
        };
        let mut out = Vec::with_capacity(nr * nc);
        for i in 0..nr {
            for j in 0..nc {
                let v = match (index_number(&pick(&row, i, j)), index_number(&pick(&col, i, j))) {
                    (Ok(r), Ok(c)) => {
                        let r = if r == 0 && t.rows() == 1 { 1 } else { r };
                        let c = if c == 0 && t.cols() == 1 { 1 } else { c };
                        if r == 0 || c == 0 {
                            Value::Error(ErrorKind::Value)
                        } else {
                            match index_part(&t, r, c) {
                                Ok(op) => args_first(ev, op),
                                Err(e) => Value::Error(e),
                            }
                        }
                    }
                    (Err(e), _) | (_, Err(e)) => Value::Error(e),
                };
                out.push(v);
            }
        }
        return Ok(Value::from(Array::new(nr, nc, out)).into());
    }
    let r = index_number(&row)?;
    match col {
        // INDEX(row_or_column, n): the n-th element of a single row or column.
        None if t.rows() == 1 => index_part(&t, 1, r),
        None => index_part(&t, r, 0),
        Some(c) => index_part(&t, r, index_number(&c)?),
    }
}

/// A height or width of `OFFSET`: truncated toward zero, but a fraction is one cell; 0 is
/// `#REF!`.
fn extent(v: f64) -> Result<i64, ErrorKind> {
    if v == 0.0 {
        return Err(ErrorKind::Ref);
    }
    let t = v.trunc() as i64;
    Ok(if t == 0 { v.signum() as i64 } else { t })
}

/// `OFFSET(reference, rows, cols, [height], [width])`: a reference moved and resized (a
/// negative height or width extends up or left).
pub(super) fn offset(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let base = match ev.eval(&a[0]) {
        Operand::Ref(area) => area,
        Operand::Value(Value::Error(e)) => return Err(e),
        _ => return Err(ErrorKind::Value),
    };
    let dr = args::scalar_num(ev, a, 1)?.trunc() as i64;
    let dc = args::scalar_num(ev, a, 2)?.trunc() as i64;
    let size = |ev: &mut Evaluator<'_>, i: usize, default: u32| -> Result<i64, ErrorKind> {
        match a.get(i) {
            None | Some(Expr::Missing) => Ok(i64::from(default)),
            Some(_) => extent(args::scalar_num(ev, a, i)?),
        }
    };
    let h = size(ev, 3, base.rows())?;
    let w = size(ev, 4, base.cols())?;
    let top = i64::from(base.top) + dr;
    let left = i64::from(base.left) + dc;
    let (r1, r2) = if h > 0 { (top, top + h - 1) } else { (top + h + 1, top) };
    let (c1, c2) = if w > 0 { (left, left + w - 1) } else { (left + w + 1, left) };
    if r1 < 0 || c1 < 0 || r2 >= i64::from(MAX_ROWS) || c2 >= i64::from(MAX_COLS) {
        return Err(ErrorKind::Ref);
    }
    Ok(Operand::Ref(Area::new(base.sheet, r1 as u32, c1 as u32, r2 as u32, c2 as u32)))
}

/// One end of a reference written as text: a cell, a whole column or a whole row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefPart {
    Cell(u32, u32),
    Column(u32),
    Row(u32),
}

/// Parses `$B$07`, `B`, `$7` (A1 style; leading zeros allowed, as `INDIRECT` accepts them).
fn a1_part(text: &str) -> Option<RefPart> {
    let t = text.strip_prefix('$').unwrap_or(text);
    let split = t.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (letters, rest) = t.split_at(split);
    let digits = rest.strip_prefix('$').unwrap_or(rest);
    if rest.starts_with('$') && letters.is_empty() {
        return None;
    }
    let row = if digits.is_empty() {
        None
    } else {
        if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 12 {
            return None;
        }
        let r: u64 = digits.parse().ok()?;
        if r == 0 || r > u64::from(MAX_ROWS) {
            return None;
        }
        Some(r as u32 - 1)
    };
    let col = if letters.is_empty() { None } else { Some(column_from_letters(letters)?) };
    match (row, col) {
        (Some(r), Some(c)) => Some(RefPart::Cell(r, c)),
        (None, Some(c)) if !rest.starts_with('$') => Some(RefPart::Column(c)),
        (Some(r), None) => Some(RefPart::Row(r)),
        _ => None,
    }
}

/// Parses `R2C3`, `R[-1]C`, `R2`, `C[1]` (R1C1 style, relative to `base` = (row, col)).
fn r1c1_part(text: &str, base: (u32, u32)) -> Option<RefPart> {
    fn coord(s: &str, base: u32, max: u32) -> Option<(Option<u32>, &str)> {
        // Returns the coordinate and the rest of the text.
        if let Some(inner) = s.strip_prefix('[') {
            let end = inner.find(']')?;
            let n: i64 = inner[..end].parse().ok()?;
            let v = i64::from(base) + n;
            if v < 0 || v >= i64::from(max) {
                return None;
            }
            return Some((Some(v as u32), &inner[end + 1..]));
        }
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        if end == 0 {
            return Some((Some(base), s));
        }
        let n: u64 = s[..end].parse().ok()?;
        if n == 0 || n > u64::from(max) {
            return None;
        }
        Some((Some(n as u32 - 1), &s[end..]))
    }
    let upper = text.to_ascii_uppercase();
    let s = upper.as_str();
    let (row, s) = match s.strip_prefix('R') {
        Some(rest) => coord(rest, base.0, MAX_ROWS)?,
        None => (None, s),
    };
    let (col, s) = match s.strip_prefix('C') {
        Some(rest) => coord(rest, base.1, MAX_COLS)?,
        None => (None, s),
    };
    if !s.is_empty() {
        return None;
    }
    match (row, col) {
        (Some(r), Some(c)) => Some(RefPart::Cell(r, c)),
        (Some(r), None) => Some(RefPart::Row(r)),
        (None, Some(c)) => Some(RefPart::Column(c)),
        (None, None) => None,
    }
}

/// Splits `'My sheet'!A1` or `Sheet1!A1` into the sheet name and the rest.
fn split_sheet(text: &str) -> Result<(Option<String>, &str), ErrorKind> {
    if let Some(quoted) = text.strip_prefix('\'') {
        let mut name = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                    chars.next();
                    name.push('\'');
                    continue;
                }
                let rest = quoted[i + 1..].strip_prefix('!').ok_or(ErrorKind::Ref)?;
                return Ok((Some(name), rest));
            }
            name.push(c);
        }
        return Err(ErrorKind::Ref);
    }
    match text.rfind('!') {
        Some(i) => Ok((Some(text[..i].to_owned()), &text[i + 1..])),
        None => Ok((None, text)),
    }
}

/// The area a reference text designates, or `None` when it is not a reference.
fn parse_reference(text: &str, sheet: SheetId, a1: bool, base: (u32, u32)) -> Option<Area> {
    let part = |s: &str| if a1 { a1_part(s) } else { r1c1_part(s, base) };
    let (p1, p2) = match text.split_once(':') {
        Some((x, y)) => (part(x)?, Some(part(y)?)),
        None => (part(text)?, None),
    };
    let last_row = MAX_ROWS - 1;
    let last_col = MAX_COLS - 1;
    Some(match (p1, p2) {
        (RefPart::Cell(r, c), None) => Area::new(sheet, r, c, r, c),
        (RefPart::Cell(r1, c1), Some(RefPart::Cell(r2, c2))) => Area::new(sheet, r1, c1, r2, c2),
        (RefPart::Column(c1), Some(RefPart::Column(c2))) => Area::new(sheet, 0, c1, last_row, c2),
        (RefPart::Row(r1), Some(RefPart::Row(r2))) => Area::new(sheet, r1, 0, r2, last_col),
        // In R1C1 style a lone `R2` or `C3` is a whole row or column.
        (RefPart::Row(r), None) if !a1 => Area::new(sheet, r, 0, r, last_col),
        (RefPart::Column(c), None) if !a1 => Area::new(sheet, 0, c, last_row, c),
        _ => return None,
    })
}

/// `INDIRECT(ref_text, [a1])`: the reference a text designates (A1 or, when `a1` is FALSE,
/// R1C1 style; a defined name also works); `#REF!` when the text is no reference.
pub(super) fn indirect(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let text = args::scalar(ev, a, 0).to_text()?;
    let a1 = match a.get(1) {
        None => true,
        Some(_) => match args::scalar(ev, a, 1) {
            Value::Blank => false,
            v => v.to_bool()?,
        },
    };
    let text = text.trim();
    let cur = ev.current_cell();
    let wb = ev.workbook();
    let (sheet_name, rest) = split_sheet(text)?;
    let sheet = match &sheet_name {
        Some(name) => wb.sheet_id(name).ok_or(ErrorKind::Ref)?,
        None => cur.sheet,
    };
    if let Some(area) = parse_reference(rest, sheet, a1, (cur.row, cur.col)) {
        return Ok(Operand::Ref(area));
    }
    // A defined name that refers to a range.
    if !rest.is_empty() && wb.name(sheet, rest).is_some() {
        let name = Expr::Name { sheet: sheet_name.map(|_| sheet), name: Arc::from(rest.to_uppercase()) };
        return match ev.eval(&name) {
            op @ (Operand::Ref(_) | Operand::Refs(_)) => Ok(op),
            _ => Err(ErrorKind::Ref),
        };
    }
    Err(ErrorKind::Ref)
}

// ── ROW, COLUMN, ROWS, COLUMNS, AREAS, ADDRESS, TRANSPOSE ─────────────────────────────────

fn row_or_column(ev: &mut Evaluator<'_>, a: &[Expr], rows: bool) -> Special {
    let area = match a.first() {
        None | Some(Expr::Missing) => Area::cell(ev.current_cell()),
        Some(e) => ev.reference(e)?,
    };
    let n = if rows { area.rows() } else { area.cols() };
    let first = if rows { area.top } else { area.left };
    if n == 1 || !ev.in_array_context() {
        return Ok(Value::Number(f64::from(first + 1)).into());
    }
    let clipped = ev.clip(&area);
    let n = if rows { clipped.rows() } else { clipped.cols() } as usize;
    let values: Vec<Value> = (0..n).map(|i| Value::Number(f64::from(first + 1) + i as f64)).collect();
    let arr = if rows { Array::new(n, 1, values) } else { Array::new(1, n, values) };
    Ok(Value::from(arr).into())
}

/// `ROW([reference])`: the row number (an array of them in array context).
pub(super) fn row(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    row_or_column(ev, a, true)
}

/// `COLUMN([reference])`: the column number (an array of them in array context).
pub(super) fn column(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    row_or_column(ev, a, false)
}

fn dims(ev: &mut Evaluator<'_>, expr: &Expr) -> Result<(usize, usize), ErrorKind> {
    match ev.eval_array_context(expr) {
        Operand::Ref(area) => Ok((area.rows() as usize, area.cols() as usize)),
        Operand::Refs(_) => Err(ErrorKind::Ref),
        Operand::Value(Value::Array(arr)) => Ok((arr.rows(), arr.cols())),
        Operand::Value(Value::Error(e)) => Err(e),
        Operand::Value(_) => Ok((1, 1)),
        Operand::Lambda(_) => Err(ErrorKind::Calc),
    }
}

/// `ROWS(array)`
pub(super) fn rows(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    Ok(Value::Number(dims(ev, &a[0])?.0 as f64).into())
}

/// `COLUMNS(array)`
pub(super) fn columns(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    Ok(Value::Number(dims(ev, &a[0])?.1 as f64).into())
}

/// `AREAS(reference)`: the number of areas of a reference.
pub(super) fn areas(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    match ev.eval(&a[0]) {
        Operand::Ref(_) => Ok(Value::Number(1.0).into()),
        Operand::Refs(list) => Ok(Value::Number(list.len() as f64).into()),
        Operand::Value(Value::Error(e)) => Err(e),
        Operand::Value(_) => Err(ErrorKind::Value),
        Operand::Lambda(_) => Err(ErrorKind::Value),
    }
}

/// `ADDRESS(row_num, column_num, [abs_num], [a1], [sheet_text])`
pub(super) fn address(a: &[Value]) -> FnResult {
    let row = args::int(a, 0)?;
    let col = args::int(a, 1)?;
    let abs = match a.get(2) {
        None | Some(Value::Blank) => 1.0,
        Some(v) => v.to_number()?.trunc(),
    };
    let a1 = match a.get(3) {
        None | Some(Value::Blank) => true,
        Some(v) => v.to_bool()?,
    };
    let sheet = match a.get(4) {
        None | Some(Value::Blank) => None,
        Some(v) => Some(v.to_text()?),
    };
    if !(1.0..=f64::from(MAX_ROWS)).contains(&row) || !(1.0..=f64::from(MAX_COLS)).contains(&col) {
        return Err(ErrorKind::Value);
    }
    if !(1.0..=4.0).contains(&abs) {
        return Err(ErrorKind::Value);
    }
    let (row, col) = (row as u32, col as u32);
    let (abs_row, abs_col) = match abs as u8 {
        1 => (true, true),
        2 => (true, false),
        3 => (false, true),
        _ => (false, false),
    };
    let mut out = String::new();
    if let Some(s) = sheet {
        out.push_str(&quote_sheet_name(&s));
        out.push('!');
    }
    if a1 {
        if abs_col {
            out.push('$');
        }
        out.push_str(&column_letters(col - 1));
        if abs_row {
            out.push('$');
        }
        out.push_str(&row.to_string());
    } else {
        out.push_str(&if abs_row { format!("R{row}") } else { format!("R[{row}]") });
        out.push_str(&if abs_col { format!("C{col}") } else { format!("C[{col}]") });
    }
    Ok(Value::from(out))
}

/// `TRANSPOSE(array)`
pub(super) fn transpose(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let arr = ev.array(&a[0])?;
    Ok(Value::from(arr.transpose()).into())
}

// ── Dynamic arrays: SEQUENCE, SORT, SORTBY, FILTER, UNIQUE, stacking and reshaping ────────

/// An argument as an array; an error value becomes a 1×1 array holding it.
fn array_arg(ev: &mut Evaluator<'_>, expr: &Expr) -> Arc<Array> {
    ev.array(expr).unwrap_or_else(|e| Arc::new(Array::filled(1, 1, Value::Error(e))))
}

/// An array from rows × cols values, `#CALC!` when empty.
fn array_result(rows: usize, cols: usize, values: Vec<Value>) -> Special {
    if rows == 0 || cols == 0 {
        return Err(ErrorKind::Calc);
    }
    Ok(Value::from(Array::new(rows, cols, values)).into())
}

/// Optional integer argument `i` (truncated); `default` when absent or omitted.
fn int_arg(ev: &mut Evaluator<'_>, a: &[Expr], i: usize, default: i64) -> Result<i64, ErrorKind> {
    match args::scalar(ev, a, i) {
        Value::Blank => Ok(default),
        v => Ok(v.to_number()?.trunc() as i64),
    }
}

/// Optional boolean argument `i`.
fn bool_arg(ev: &mut Evaluator<'_>, a: &[Expr], i: usize) -> Result<bool, ErrorKind> {
    match args::scalar(ev, a, i) {
        Value::Blank => Ok(false),
        v => v.to_bool(),
    }
}

/// `SEQUENCE(rows, [columns], [start], [step])`
pub(super) fn sequence(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let rows = int_arg(ev, a, 0, 1)?;
    let cols = int_arg(ev, a, 1, 1)?;
    let start = match args::scalar(ev, a, 2) {
        Value::Blank => 1.0,
        v => v.to_number()?,
    };
    let step = match args::scalar(ev, a, 3) {
        Value::Blank => 1.0,
        v => v.to_number()?,
    };
    if rows < 0 || cols < 0 {
        return Err(ErrorKind::Value);
    }
    if rows.saturating_mul(cols) > i64::from(MAX_ROWS) * 16 {
        return Err(ErrorKind::Num);
    }
    let (rows, cols) = (rows as usize, cols as usize);
    let values = (0..rows * cols).map(|k| Value::number(start + step * k as f64)).collect();
    array_result(rows, cols, values)
}

/// Excel's sort order: numbers < text < logicals < errors < blanks; text case-insensitive
/// (the sorts are stable: equal keys keep their order, descending too).
fn sort_cmp(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Number(_) => 0,
            Value::Text(_) => 1,
            Value::Bool(_) => 2,
            Value::Error(_) | Value::Array(_) => 3,
            Value::Blank => 4,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Value::Text(x), Value::Text(y)) => compare_text(x, y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Error(x), Value::Error(y)) => x.type_code().cmp(&y.type_code()),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Compares two keys in the given order (`descending`); blanks stay last either way.
fn key_cmp(a: &Value, b: &Value, descending: bool) -> Ordering {
    match (a, b) {
        (Value::Blank, Value::Blank) => Ordering::Equal,
        (Value::Blank, _) => Ordering::Greater,
        (_, Value::Blank) => Ordering::Less,
        _ if descending => sort_cmp(b, a),
        _ => sort_cmp(a, b),
    }
}

/// The rows (or columns, `by_col`) of an array as vectors.
fn lines(arr: &Array, by_col: bool) -> Vec<Vec<Value>> {
    if by_col {
        (0..arr.cols()).map(|c| (0..arr.rows()).map(|r| arr.get(r, c).cloned().unwrap_or_default()).collect()).collect()
    } else {
        (0..arr.rows()).map(|r| (0..arr.cols()).map(|c| arr.get(r, c).cloned().unwrap_or_default()).collect()).collect()
    }
}

/// Rebuilds an array from its rows (or columns, `by_col`).
fn from_lines(lines: Vec<Vec<Value>>, by_col: bool) -> Special {
    let n = lines.len();
    let m = lines.first().map_or(0, Vec::len);
    if n == 0 || m == 0 {
        return Err(ErrorKind::Calc);
    }
    let arr = Array::new(n, m, lines.into_iter().flatten().collect());
    Ok(Value::from(if by_col { arr.transpose() } else { arr }).into())
}

/// `SORT(array, [sort_index], [sort_order], [by_col])`
pub(super) fn sort(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let arr = ev.array(&a[0])?;
    let index = int_arg(ev, a, 1, 1)?;
    let order = int_arg(ev, a, 2, 1)?;
    let by_col = bool_arg(ev, a, 3)?;
    let width = if by_col { arr.rows() } else { arr.cols() };
    if index < 1 || index as usize > width || (order != 1 && order != -1) {
        return Err(ErrorKind::Value);
    }
    let k = index as usize - 1;
    let mut ls = lines(&arr, by_col);
    ls.sort_by(|x, y| key_cmp(&x[k], &y[k], order == -1));
    from_lines(ls, by_col)
}

/// `SORTBY(array, by_array1, [sort_order1], …)`
pub(super) fn sortby(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let arr = ev.array(&a[0])?;
    let mut keys: Vec<(Vec<Value>, bool)> = Vec::new();
    let mut by_col = None;
    let mut i = 1;
    while i < a.len() {
        let by = ev.array(&a[i])?;
        let order = int_arg(ev, a, i + 1, 1)?;
        if order != 1 && order != -1 {
            return Err(ErrorKind::Value);
        }
        let this_by_col = if by.cols() == 1 && by.rows() == arr.rows() && !(by.rows() == 1 && arr.rows() != 1) {
            false
        } else if by.rows() == 1 && by.cols() == arr.cols() {
            true
        } else {
            return Err(ErrorKind::Value);
        };
        if by_col.is_some_and(|b| b != this_by_col) {
            return Err(ErrorKind::Value);
        }
        by_col = Some(this_by_col);
        keys.push((by.values().to_vec(), order == -1));
        i += 2;
    }
    let by_col = by_col.unwrap_or(false);
    let ls = lines(&arr, by_col);
    let mut idx: Vec<usize> = (0..ls.len()).collect();
    idx.sort_by(|&x, &y| {
        keys.iter()
            .map(|(k, desc)| key_cmp(&k[x], &k[y], *desc))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    from_lines(idx.into_iter().map(|i| ls[i].clone()).collect(), by_col)
}

/// `FILTER(array, include, [if_empty])`
pub(super) fn filter(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let arr = ev.array(&a[0])?;
    let include = ev.array(&a[1])?;
    let by_col = if include.cols() == 1 && include.rows() == arr.rows() {
        false
    } else if include.rows() == 1 && include.cols() == arr.cols() {
        true
    } else {
        return Err(ErrorKind::Value);
    };
    let mut keep = Vec::with_capacity(include.values().len());
    for v in include.values() {
        keep.push(match v {
            Value::Error(e) => return Err(*e),
            Value::Text(_) => return Err(ErrorKind::Value),
            v => v.to_bool()?,
        });
    }
    let kept: Vec<Vec<Value>> =
        lines(&arr, by_col).into_iter().zip(keep).filter_map(|(line, k)| k.then_some(line)).collect();
    if kept.is_empty() {
        return match a.get(2) {
            None | Some(Expr::Missing) => Err(ErrorKind::Calc),
            Some(e) => Ok(ev.eval(e)),
        };
    }
    from_lines(kept, by_col)
}

/// Equality of `UNIQUE`: same type and equal (text case-insensitive).
fn same_value(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
        && match (a, b) {
            (Value::Error(x), Value::Error(y)) => x == y,
            _ => compare(a, b) == Ordering::Equal,
        }
}

/// `UNIQUE(array, [by_col], [exactly_once])`
pub(super) fn unique(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let arr = ev.array(&a[0])?;
    let by_col = bool_arg(ev, a, 1)?;
    let once = bool_arg(ev, a, 2)?;
    let ls = lines(&arr, by_col);
    let eq = |x: &[Value], y: &[Value]| x.iter().zip(y).all(|(p, q)| same_value(p, q));
    let mut groups: Vec<(usize, usize)> = Vec::new(); // (first line, count)
    for (i, line) in ls.iter().enumerate() {
        match groups.iter_mut().find(|(f, _)| eq(&ls[*f], line)) {
            Some(g) => g.1 += 1,
            None => groups.push((i, 1)),
        }
    }
    let out: Vec<Vec<Value>> =
        groups.into_iter().filter(|&(_, n)| !once || n == 1).map(|(f, _)| ls[f].clone()).collect();
    from_lines(out, by_col)
}

fn stack(ev: &mut Evaluator<'_>, a: &[Expr], horizontal: bool) -> Special {
    let parts: Vec<Arc<Array>> = a.iter().map(|e| array_arg(ev, e)).collect();
    let parts: Vec<Array> = parts.iter().map(|p| if horizontal { p.transpose() } else { p.as_ref().clone() }).collect();
    // Stack vertically (horizontal stacking is the transpose of stacking the transposes).
    let cols = parts.iter().map(Array::cols).max().unwrap_or(0);
    let rows: usize = parts.iter().map(Array::rows).sum();
    let mut out = Vec::with_capacity(rows * cols);
    for p in &parts {
        for r in 0..p.rows() {
            for c in 0..cols {
                out.push(p.get(r, c).cloned().unwrap_or(Value::Error(ErrorKind::NA)));
            }
        }
    }
    if rows == 0 || cols == 0 {
        return Err(ErrorKind::Calc);
    }
    let arr = Array::new(rows, cols, out);
    Ok(Value::from(if horizontal { arr.transpose() } else { arr }).into())
}

/// `HSTACK(array1, …)`: side by side, short arrays padded with `#N/A`.
pub(super) fn hstack(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    stack(ev, a, true)
}

/// `VSTACK(array1, …)`: one under the other, narrow arrays padded with `#N/A`.
pub(super) fn vstack(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    stack(ev, a, false)
}

/// The part of an array with rows `r0..r1` and columns `c0..c1`.
fn sub_array(arr: &Array, (r0, r1): (usize, usize), (c0, c1): (usize, usize)) -> Special {
    let mut out = Vec::with_capacity((r1 - r0) * (c1 - c0));
    for r in r0..r1 {
        for c in c0..c1 {
            out.push(arr.get(r, c).cloned().unwrap_or_default());
        }
    }
    array_result(r1.saturating_sub(r0), c1.saturating_sub(c0), out)
}

/// The range of indices `TAKE` (`take`) or `DROP` keeps of `n` with count `k`.
fn take_drop_range(n: usize, k: Option<i64>, take: bool) -> Result<(usize, usize), ErrorKind> {
    let Some(k) = k else { return Ok((0, n)) };
    let m = k.unsigned_abs().min(n as u64) as usize;
    Ok(match (take, k >= 0) {
        (true, true) => (0, m),
        (true, false) => (n - m, n),
        (false, true) => (m, n),
        (false, false) => (0, n - m),
    })
}

fn take_drop(ev: &mut Evaluator<'_>, a: &[Expr], take: bool) -> Special {
    let arr = ev.array(&a[0])?;
    let count = |ev: &mut Evaluator<'_>, i: usize| -> Result<Option<i64>, ErrorKind> {
        match args::scalar(ev, a, i) {
            Value::Blank => Ok(None),
            v => Ok(Some(v.to_number()?.trunc() as i64)),
        }
    };
    let rows = count(ev, 1)?;
    let cols = count(ev, 2)?;
    if take && (rows == Some(0) || cols == Some(0)) {
        return Err(ErrorKind::Calc);
    }
    let r = take_drop_range(arr.rows(), rows, take)?;
    let c = take_drop_range(arr.cols(), cols, take)?;
    if r.0 >= r.1 || c.0 >= c.1 {
        return Err(ErrorKind::Calc);
    }
    sub_array(&arr, r, c)
}

/// `TAKE(array, rows, [columns])`: the first (last, when negative) rows and columns.
pub(super) fn take(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    take_drop(ev, a, true)
}

/// `DROP(array, rows, [columns])`: all but the first (last, when negative) rows and columns.
pub(super) fn drop(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    take_drop(ev, a, false)
}

fn choose_lines(ev: &mut Evaluator<'_>, a: &[Expr], by_col: bool) -> Special {
    let arr = ev.array(&a[0])?;
    let ls = lines(&arr, by_col);
    let n = ls.len() as i64;
    let mut out = Vec::new();
    for e in &a[1..] {
        let picks = ev.array(e)?;
        for v in picks.values() {
            let k = v.to_number()?.trunc() as i64;
            let i = if k > 0 { k - 1 } else { n + k };
            if k == 0 || i < 0 || i >= n {
                return Err(ErrorKind::Value);
            }
            out.push(ls[i as usize].clone());
        }
    }
    from_lines(out, by_col)
}

/// `CHOOSECOLS(array, col_num1, …)` (negative numbers count from the end)
pub(super) fn choosecols(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    choose_lines(ev, a, true)
}

/// `CHOOSEROWS(array, row_num1, …)` (negative numbers count from the end)
pub(super) fn chooserows(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    choose_lines(ev, a, false)
}

fn to_vector(ev: &mut Evaluator<'_>, a: &[Expr], column: bool) -> Special {
    let arr = ev.array(&a[0])?;
    let ignore = int_arg(ev, a, 1, 0)?;
    let by_col = bool_arg(ev, a, 2)?;
    if !(0..=3).contains(&ignore) {
        return Err(ErrorKind::Value);
    }
    let source = if by_col { arr.transpose() } else { arr.as_ref().clone() };
    let values: Vec<Value> = source
        .into_values()
        .into_iter()
        .filter(|v| match v {
            Value::Blank => ignore & 1 == 0,
            Value::Error(_) => ignore & 2 == 0,
            _ => true,
        })
        .collect();
    let n = values.len();
    if column { array_result(n, 1, values) } else { array_result(1, n, values) }
}

/// `TOCOL(array, [ignore], [scan_by_column])`
pub(super) fn tocol(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    to_vector(ev, a, true)
}

/// `TOROW(array, [ignore], [scan_by_column])`
pub(super) fn torow(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    to_vector(ev, a, false)
}

fn wrap(ev: &mut Evaluator<'_>, a: &[Expr], rows: bool) -> Special {
    let arr = array_arg(ev, &a[0]);
    let count = args::scalar_num(ev, a, 1)?.trunc();
    let pad = match a.get(2) {
        None | Some(Expr::Missing) => Value::Error(ErrorKind::NA),
        Some(_) => args::scalar(ev, a, 2),
    };
    if arr.rows() > 1 && arr.cols() > 1 {
        return Err(ErrorKind::Value);
    }
    if count < 1.0 {
        return Err(ErrorKind::Num);
    }
    let values = arr.values();
    let width = (count as usize).min(values.len().max(1));
    let lines_n = values.len().div_ceil(width);
    let mut out = Vec::with_capacity(lines_n * width);
    for k in 0..lines_n * width {
        out.push(values.get(k).cloned().unwrap_or_else(|| pad.clone()));
    }
    let arr = Array::new(lines_n, width, out);
    Ok(Value::from(if rows { arr } else { arr.transpose() }).into())
}

/// `WRAPROWS(vector, wrap_count, [pad_with])`
pub(super) fn wraprows(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    wrap(ev, a, true)
}

/// `WRAPCOLS(vector, wrap_count, [pad_with])`
pub(super) fn wrapcols(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    wrap(ev, a, false)
}

/// `EXPAND(array, rows, [columns], [pad_with])`
pub(super) fn expand(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let arr = array_arg(ev, &a[0]);
    let rows = int_arg(ev, a, 1, arr.rows() as i64)?;
    let cols = int_arg(ev, a, 2, arr.cols() as i64)?;
    let pad = match a.get(3) {
        None | Some(Expr::Missing) => Value::Error(ErrorKind::NA),
        Some(_) => args::scalar(ev, a, 3),
    };
    if rows < arr.rows() as i64 || cols < arr.cols() as i64 {
        return Err(ErrorKind::Value);
    }
    let (rows, cols) = (rows as usize, cols as usize);
    let mut out = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            out.push(arr.get(r, c).cloned().unwrap_or_else(|| pad.clone()));
        }
    }
    array_result(rows, cols, out)
}

/// `TRIMRANGE(range, [trim_rows], [trim_cols])`: the reference without its empty outer rows
/// and columns (0 none, 1 leading, 2 trailing, 3 both — the default).
pub(super) fn trimrange(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let area = ev.reference(&a[0])?;
    let trim_rows = int_arg(ev, a, 1, 3)?;
    let trim_cols = int_arg(ev, a, 2, 3)?;
    if !(0..=3).contains(&trim_rows) || !(0..=3).contains(&trim_cols) {
        return Err(ErrorKind::Value);
    }
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    ev.visit_area(&area, &mut |cell, v| {
        if !matches!(v, Value::Blank) {
            bounds = Some(match bounds {
                None => (cell.row, cell.col, cell.row, cell.col),
                Some((t, l, b, r)) => (t.min(cell.row), l.min(cell.col), b.max(cell.row), r.max(cell.col)),
            });
        }
        Ok(())
    })?;
    let Some((t, l, b, r)) = bounds else { return Err(ErrorKind::Ref) };
    let pick = |mode: i64, lead: u32, trail: u32, lo: u32, hi: u32| {
        (if mode & 1 != 0 { lead } else { lo }, if mode & 2 != 0 { trail } else { hi })
    };
    let (top, bottom) = pick(trim_rows, t, b, area.top, area.bottom);
    let (left, right) = pick(trim_cols, l, r, area.left, area.right);
    Ok(Operand::Ref(Area { sheet: area.sheet, top, left, bottom, right }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::eval_formula as eval;

    fn n(x: f64) -> Value {
        Value::Number(x)
    }

    fn e(k: ErrorKind) -> Value {
        Value::Error(k)
    }

    const TABLE: [(&str, &str); 8] = [
        ("C1", "1"),
        ("C2", "3"),
        ("C3", "5"),
        ("C4", "7"),
        ("D1", "one"),
        ("D2", "three"),
        ("D3", "five"),
        ("D4", "seven"),
    ];

    #[test]
    fn vlookup_exact_and_approximate() {
        assert_eq!(eval("=VLOOKUP(5,C1:D4,2,FALSE)", &TABLE), Value::from("five"));
        assert_eq!(eval("=VLOOKUP(6,C1:D4,2)", &TABLE), Value::from("five"));
        assert_eq!(eval("=VLOOKUP(0,C1:D4,2)", &TABLE), e(ErrorKind::NA));
        assert_eq!(eval("=VLOOKUP(6,C1:D4,2,FALSE)", &TABLE), e(ErrorKind::NA));
        assert_eq!(eval("=VLOOKUP(5,C1:D4,3,FALSE)", &TABLE), e(ErrorKind::Ref));
        assert_eq!(eval("=VLOOKUP(5,C1:D4,0,FALSE)", &TABLE), e(ErrorKind::Value));
        assert_eq!(eval("=VLOOKUP(\"f*\",D1:D4,1,FALSE)", &TABLE), Value::from("five"));
        assert_eq!(eval("=HLOOKUP(2,{1,2,3;\"a\",\"b\",\"c\"},2,FALSE)", &[]), Value::from("b"));
        // The number 3 never matches the text "3".
        assert_eq!(eval("=VLOOKUP(\"3\",C1:D4,2,FALSE)", &TABLE), e(ErrorKind::NA));
    }

    #[test]
    fn approximate_search_skips_other_types() {
        // LOOKUP(2, 1/(cond), result) finds the last match.
        let cells =
            [("C1", "x"), ("C2", "y"), ("C3", "x"), ("C4", "z"), ("D1", "1"), ("D2", "2"), ("D3", "3"), ("D4", "4")];
        assert_eq!(eval("=LOOKUP(2,1/(C1:C4=\"x\"),D1:D4)", &cells), n(3.0));
        assert_eq!(eval("=MATCH(\"zzz\",{\"a\",1,\"b\",2})", &[]), n(3.0));
        assert_eq!(eval("=MATCH(9,{1,\"a\",3,\"b\"})", &[]), n(3.0));
        assert_eq!(eval("=LOOKUP(\"b\",{\"a\",\"b\",\"c\";1,2,3})", &[]), n(2.0));
    }

    #[test]
    fn match_types() {
        assert_eq!(eval("=MATCH(5,C1:C4,0)", &TABLE), n(3.0));
        assert_eq!(eval("=MATCH(6,C1:C4)", &TABLE), n(3.0));
        assert_eq!(eval("=MATCH(4,{9,7,5,3,1},-1)", &[]), n(3.0));
        assert_eq!(eval("=MATCH(1,{1,2;3,4},0)", &[]), e(ErrorKind::NA));
        assert_eq!(eval("=MATCH(\"B*\",{\"abc\",\"bcd\"},0)", &[]), n(2.0));
    }

    #[test]
    fn xlookup_modes() {
        assert_eq!(eval("=XLOOKUP(5,C1:C4,D1:D4)", &TABLE), Value::from("five"));
        assert_eq!(eval("=XLOOKUP(6,C1:C4,D1:D4)", &TABLE), e(ErrorKind::NA));
        assert_eq!(eval("=XLOOKUP(6,C1:C4,D1:D4,\"none\")", &TABLE), Value::from("none"));
        assert_eq!(eval("=XLOOKUP(6,C1:C4,D1:D4,,-1)", &TABLE), Value::from("five"));
        assert_eq!(eval("=XLOOKUP(6,C1:C4,D1:D4,,1)", &TABLE), Value::from("seven"));
        assert_eq!(eval("=XLOOKUP(6,C1:C4,D1:D4,,1,2)", &TABLE), Value::from("seven"));
        assert_eq!(eval("=XLOOKUP(\"t*\",D1:D4,C1:C4,,2)", &TABLE), n(3.0));
        assert_eq!(eval("=XLOOKUP(\"t*\",D1:D4,C1:C4,,2,2)", &TABLE), e(ErrorKind::Value));
        assert_eq!(eval("=XLOOKUP(5,C1:C4,D1:D3)", &TABLE), e(ErrorKind::Value));
        assert_eq!(eval("=XLOOKUP(5,C1:C4,D1:D4,,7)", &TABLE), e(ErrorKind::Value));
        // Last-to-first finds the last duplicate; binary search the first.
        assert_eq!(eval("=XMATCH(20,{10,20,20,30},0,-1)", &[]), n(3.0));
        assert_eq!(eval("=XMATCH(20,{10,20,20,30},0,2)", &[]), n(2.0));
        assert_eq!(eval("=XMATCH(25,{50,40,30,20,10},-1,-2)", &[]), n(4.0));
        // XLOOKUP returns a reference.
        assert_eq!(eval("=SUM(XLOOKUP(3,C1:C4,C1:C4):C4)", &TABLE), n(15.0));
        assert_eq!(eval("=XMATCH(\"[A-Z][a-z]+y\",{\"Spain\",\"Italy\"},3)", &[]), n(2.0));
    }

    #[test]
    fn index_returns_references() {
        assert_eq!(eval("=SUM(INDEX(C1:D4,0,1))", &TABLE), n(16.0));
        assert_eq!(eval("=SUM(C1:INDEX(C1:C4,3))", &TABLE), n(9.0));
        assert_eq!(eval("=INDEX(C1:D4,2,2)", &TABLE), Value::from("three"));
        assert_eq!(eval("=INDEX(C1:D4,5,1)", &TABLE), e(ErrorKind::Ref));
        assert_eq!(eval("=INDEX(C1:D4,-1,1)", &TABLE), e(ErrorKind::Value));
        assert_eq!(eval("=INDEX({1,2,3},2)", &[]), n(2.0));
        assert_eq!(eval("=INDEX((C1:C2,D1:D2),2,1,2)", &TABLE), Value::from("three"));
        assert_eq!(eval("=INDEX({1,2,3},1,0,2)", &[]), e(ErrorKind::Ref));
        assert_eq!(eval("=SUM(INDEX(C1:C4,{1,4}))", &TABLE), n(8.0));
    }

    #[test]
    fn offset_and_indirect() {
        assert_eq!(eval("=OFFSET(C1,2,1)", &TABLE), Value::from("five"));
        assert_eq!(eval("=SUM(OFFSET(C1,1,0,3,1))", &TABLE), n(15.0));
        assert_eq!(eval("=SUM(OFFSET(C4,0,0,-2,1))", &TABLE), n(12.0));
        assert_eq!(eval("=OFFSET(C1,-1,0)", &TABLE), e(ErrorKind::Ref));
        assert_eq!(eval("=SUM(OFFSET(C1,0,0,4,0))", &TABLE), e(ErrorKind::Ref));
        assert_eq!(eval("=ROWS(OFFSET(C1,0,0,2.7,0.5))", &TABLE), n(2.0));
        assert_eq!(eval("=INDIRECT(\"C0\"&\"2\")", &TABLE), n(3.0));
        assert_eq!(eval("=SUM(INDIRECT(\"C:C\"))", &TABLE), n(16.0));
        assert_eq!(eval("=INDIRECT(\"R3C4\",FALSE)", &TABLE), Value::from("five"));
        assert_eq!(eval("=INDIRECT(\"nope\")", &TABLE), e(ErrorKind::Ref));
        assert_eq!(eval("=INDIRECT(\"Other!A1\")", &TABLE), e(ErrorKind::Ref));
    }

    #[test]
    fn rows_columns_and_addresses() {
        assert_eq!(eval("=ROW()", &[]), n(1.0));
        assert_eq!(eval("=COLUMN(AB10)", &[]), n(28.0));
        assert_eq!(eval("=ROWS(C:C)", &[]), n(1_048_576.0));
        assert_eq!(eval("=COLUMNS({1,2,3})", &[]), n(3.0));
        assert_eq!(eval("=SUMPRODUCT(ROW(C1:C4))", &TABLE), n(10.0));
        assert_eq!(eval("=AREAS((C1,D1:D3))", &[]), n(2.0));
        assert_eq!(eval("=ADDRESS(23,45,2)", &[]), Value::from("AS$23"));
        assert_eq!(eval("=ADDRESS(23,45,3,FALSE)", &[]), Value::from("R[23]C45"));
        assert_eq!(eval("=ADDRESS(1,1,1,1,\"My Sheet\")", &[]), Value::from("'My Sheet'!$A$1"));
        assert_eq!(eval("=ADDRESS(0,1)", &[]), e(ErrorKind::Value));
    }

    #[test]
    fn dynamic_arrays() {
        assert_eq!(eval("=SUM(SEQUENCE(3,2,5,5))", &[]), n(105.0));
        assert_eq!(eval("=INDEX(SORT({3;1;2}),1)", &[]), n(1.0));
        assert_eq!(eval("=INDEX(SORT({3;\"a\";TRUE;1},1,-1),1)", &[]), Value::Bool(true));
        assert_eq!(eval("=ROWS(UNIQUE({\"a\";\"A\";\"b\"}))", &[]), n(2.0));
        assert_eq!(eval("=SUM(FILTER({1;2;3},{1;0;1}))", &[]), n(4.0));
        assert_eq!(eval("=FILTER({1;2;3},{0;0;0})", &[]), e(ErrorKind::Calc));
        assert_eq!(eval("=COLUMNS(HSTACK({1,2},{3;4}))", &[]), n(3.0));
        assert_eq!(eval("=INDEX(TAKE({1;2;3},-1),1)", &[]), n(3.0));
        assert_eq!(eval("=ROWS(DROP({1;2;3},1))", &[]), n(2.0));
        assert_eq!(eval("=SUM(CHOOSECOLS({1,2,3},-1,1))", &[]), n(4.0));
        assert_eq!(eval("=ROWS(TOCOL({1,2;3,4}))", &[]), n(4.0));
        assert_eq!(eval("=ROWS(WRAPROWS({1,2,3},2))", &[]), n(2.0));
        assert_eq!(eval("=INDEX(EXPAND({1},2,2,0),2,2)", &[]), n(0.0));
    }

    #[test]
    fn reference_text_parsing() {
        let s = SheetId(0);
        assert_eq!(parse_reference("$B$07", s, true, (0, 0)), Some(Area::new(s, 6, 1, 6, 1)));
        assert_eq!(parse_reference("$7:8", s, true, (0, 0)), Some(Area::new(s, 6, 0, 7, MAX_COLS - 1)));
        assert_eq!(parse_reference("XFE:XFE", s, true, (0, 0)), None);
        assert_eq!(parse_reference("R[-1]C", s, false, (5, 2)), Some(Area::new(s, 4, 2, 4, 2)));
        assert_eq!(parse_reference("A1", s, true, (0, 0)), Some(Area::new(s, 0, 0, 0, 0)));
        assert_eq!(split_sheet("'It''s'!A1"), Ok((Some("It's".to_owned()), "A1")));
    }
}

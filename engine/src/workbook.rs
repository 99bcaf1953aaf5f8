//! The workbook model: sheets of cells (constants and formulas), defined names, array formulas.
//!
//! A [`Workbook`] is built from an import ([`crate::import`]) or programmatically
//! ([`WorkbookBuilder`], used by tests and generators). Building parses every formula once;
//! a formula that does not parse keeps its [`ParseError`] and evaluates to `#NAME?`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::address::{Area, CellRef, SheetId, quote_sheet_name};
use crate::parse::{Callee, Expr, ParseError, SheetLookup, parse_formula};
use crate::value::Value;

/// Bounds (top, left, bottom, right) grown to hold the cell at (row, col).
pub(crate) fn bounds_with(bounds: Option<(u32, u32, u32, u32)>, row: u32, col: u32) -> (u32, u32, u32, u32) {
    match bounds {
        None => (row, col, row, col),
        Some((t, l, b, r)) => (t.min(row), l.min(col), b.max(row), r.max(col)),
    }
}

/// The entries of a row-major grid map inside `area`'s rows and columns, row by row. `used`
/// bounds the map's keys (top, left, bottom, right). An area much narrower than the used
/// columns is read one row at a time (a lookup per row), so a column of a wide sheet does not
/// walk every cell of its rows; a wide area is read in one pass over its rows.
pub(crate) fn in_rectangle<'m, V>(
    map: &'m BTreeMap<(u32, u32), V>,
    used: Option<(u32, u32, u32, u32)>,
    area: &Area,
) -> impl Iterator<Item = (&'m (u32, u32), &'m V)> + 'm {
    let (top, bottom, left, right, width) = match used {
        Some((t, l, b, r)) => (area.top.max(t), area.bottom.min(b), area.left.max(l), area.right.min(r), r - l + 1),
        None => (1, 0, 1, 0, 0),
    };
    let empty = top > bottom || left > right;
    let by_row = !empty && u64::from(right - left + 1) * 4 < u64::from(width);
    let (whole, rows) = if empty {
        (None, None)
    } else if by_row {
        (None, Some((top..=bottom).flat_map(move |r| map.range((r, left)..=(r, right)))))
    } else {
        (Some(map.range((top, left)..=(bottom, right)).filter(move |((_, c), _)| (left..=right).contains(c))), None)
    };
    whole.into_iter().flatten().chain(rows.into_iter().flatten())
}

/// Index of a formula in its workbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FormulaId(pub u32);

impl FormulaId {
    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a cell holds.
#[derive(Clone, Debug, PartialEq)]
pub enum CellContent {
    /// A constant.
    Value(Value),
    /// A formula (its anchor cell, for an array formula).
    Formula(FormulaId),
    /// A cell inside the range of an array formula, other than its anchor; holds the value
    /// Excel cached for it.
    ArrayMember {
        /// The array formula.
        anchor: FormulaId,
        /// Excel's cached value for this cell.
        cached: Value,
    },
}

/// A formula cell.
#[derive(Clone, Debug)]
pub struct Formula {
    /// Where it is (the anchor, for an array formula).
    pub cell: CellRef,
    /// The formula text as stored in the file, without `=`.
    pub text: String,
    /// The parsed formula, or why it could not be parsed.
    pub expr: Result<Expr, ParseError>,
    /// The range of an array (CSE or dynamic) formula.
    pub array: Option<Area>,
    /// The value Excel cached for the cell.
    pub cached: Value,
}

/// A worksheet.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    /// The sheet's name.
    pub name: String,
    cells: BTreeMap<(u32, u32), CellContent>,
    /// Bounds of the cells that hold something: (top, left, bottom, right).
    used: Option<(u32, u32, u32, u32)>,
}

impl Sheet {
    /// What the cell at (row, col) holds.
    pub fn get(&self, row: u32, col: u32) -> Option<&CellContent> {
        self.cells.get(&(row, col))
    }

    /// All non-empty cells, row by row.
    pub fn cells(&self) -> impl Iterator<Item = ((u32, u32), &CellContent)> {
        self.cells.iter().map(|(k, v)| (*k, v))
    }

    /// Cells inside `area` (same sheet assumed), row by row.
    pub fn cells_in(&self, area: &Area) -> impl Iterator<Item = ((u32, u32), &CellContent)> {
        in_rectangle(&self.cells, self.used, area).map(|(k, v)| (*k, v))
    }

    /// Bounds of the used cells: (top, left, bottom, right).
    pub fn used_bounds(&self) -> Option<(u32, u32, u32, u32)> {
        self.used
    }

    /// Number of non-empty cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Does the sheet hold no cells?
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn set(&mut self, row: u32, col: u32, content: CellContent) {
        self.cells.insert((row, col), content);
        self.used = Some(bounds_with(self.used, row, col));
    }
}

/// A defined name.
#[derive(Clone, Debug)]
pub struct DefinedName {
    /// The name as written.
    pub name: String,
    /// The sheet it is local to, or `None` for workbook scope.
    pub scope: Option<SheetId>,
    /// Its formula text (usually a reference such as `Sheet1!$A$1:$A$9`).
    pub text: String,
    /// The parsed formula.
    pub expr: Result<Expr, ParseError>,
}

/// A formula that could not be parsed, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormulaProblem {
    /// `Sheet!B7`
    pub cell: String,
    /// The formula text.
    pub formula: String,
    /// The parse error.
    pub error: ParseError,
}

/// A workbook: sheets, formulas and names.
#[derive(Clone, Debug, Default)]
pub struct Workbook {
    sheets: Vec<Sheet>,
    formulas: Vec<Formula>,
    names: Vec<DefinedName>,
    name_index: HashMap<(Option<SheetId>, String), usize>,
    /// True when the workbook uses the 1904 date system.
    pub date1904: bool,
}

impl SheetLookup for Workbook {
    fn sheet_id(&self, name: &str) -> Option<SheetId> {
        self.sheets.iter().position(|s| s.name.eq_ignore_ascii_case(name)).map(|i| SheetId(i as u32))
    }
}

impl Workbook {
    /// The sheets, in workbook order.
    pub fn sheets(&self) -> &[Sheet] {
        &self.sheets
    }

    /// A sheet by id.
    pub fn sheet(&self, id: SheetId) -> Option<&Sheet> {
        self.sheets.get(id.index())
    }

    /// All formulas, indexed by [`FormulaId`].
    pub fn formulas(&self) -> &[Formula] {
        &self.formulas
    }

    /// One formula.
    pub fn formula(&self, id: FormulaId) -> &Formula {
        &self.formulas[id.index()]
    }

    /// The defined names.
    pub fn names(&self) -> &[DefinedName] {
        &self.names
    }

    /// Looks a defined name up as a formula on `sheet` sees it: the sheet's own name first,
    /// then the workbook's.
    pub fn name(&self, sheet: SheetId, name: &str) -> Option<&DefinedName> {
        let upper = name.to_uppercase();
        self.name_index
            .get(&(Some(sheet), upper.clone()))
            .or_else(|| self.name_index.get(&(None, upper)))
            .map(|&i| &self.names[i])
    }

    /// What a cell holds.
    pub fn cell(&self, cell: CellRef) -> Option<&CellContent> {
        self.sheet(cell.sheet)?.get(cell.row, cell.col)
    }

    /// `Sheet!B7` with the sheet quoted when needed.
    pub fn cell_name(&self, cell: CellRef) -> String {
        let sheet = self.sheet(cell.sheet).map_or("?", |s| s.name.as_str());
        format!("{}!{}", quote_sheet_name(sheet), cell.a1())
    }

    /// `Sheet!A1:B9`.
    pub fn area_name(&self, area: &Area) -> String {
        let sheet = self.sheet(area.sheet).map_or("?", |s| s.name.as_str());
        format!("{}!{}", quote_sheet_name(sheet), area.a1())
    }

    /// The formulas that did not parse.
    pub fn problems(&self) -> Vec<FormulaProblem> {
        self.formulas
            .iter()
            .filter_map(|f| {
                f.expr.as_ref().err().map(|error| FormulaProblem {
                    cell: self.cell_name(f.cell),
                    formula: f.text.clone(),
                    error: error.clone(),
                })
            })
            .collect()
    }

    /// Names of functions used in formulas that the engine does not know, sorted. Calls of
    /// defined names (which may hold a `LAMBDA`) and of `LET`/`LAMBDA` parameters are not
    /// counted.
    pub fn unsupported_functions(&self) -> Vec<String> {
        let mut out = BTreeSet::new();
        let exprs = self
            .formulas
            .iter()
            .filter_map(|f| f.expr.as_ref().ok())
            .chain(self.names.iter().filter_map(|n| n.expr.as_ref().ok()));
        for e in exprs {
            e.walk(&mut |e| {
                if let Expr::Call { callee: Callee::Unknown(name), .. } = e {
                    let local = name.starts_with("_XLPM.") || name.starts_with("_XLOP.");
                    let defined = self.names.iter().any(|n| n.name.eq_ignore_ascii_case(name));
                    if !local && !defined {
                        out.insert(name.to_string());
                    }
                }
            });
        }
        out.into_iter().collect()
    }

    /// Number of formula cells, counting every cell of an array formula's range.
    pub fn formula_cell_count(&self) -> usize {
        self.sheets.iter().flat_map(|s| s.cells.values()).filter(|c| !matches!(c, CellContent::Value(_))).count()
    }
}

/// Builds a [`Workbook`]: add sheets, then cells, formulas and names; `build` parses.
#[derive(Debug, Default)]
pub struct WorkbookBuilder {
    sheet_names: Vec<String>,
    cells: Vec<(SheetId, u32, u32, PendingCell)>,
    names: Vec<(String, Option<SheetId>, String)>,
    date1904: bool,
}

#[derive(Debug)]
enum PendingCell {
    Value(Value),
    Formula { text: String, cached: Value, array: Option<Area> },
}

impl WorkbookBuilder {
    /// An empty builder.
    pub fn new() -> WorkbookBuilder {
        WorkbookBuilder::default()
    }

    /// Adds a sheet; returns its id.
    pub fn add_sheet(&mut self, name: &str) -> SheetId {
        self.sheet_names.push(name.to_owned());
        SheetId(self.sheet_names.len() as u32 - 1)
    }

    /// Sets the date system.
    pub fn date1904(&mut self, on: bool) -> &mut Self {
        self.date1904 = on;
        self
    }

    /// Sets a constant.
    pub fn value(&mut self, sheet: SheetId, row: u32, col: u32, value: Value) -> &mut Self {
        if value != Value::Blank {
            self.cells.push((sheet, row, col, PendingCell::Value(value)));
        }
        self
    }

    /// Sets a formula (text with or without `=`) with the value Excel cached for it.
    pub fn formula(&mut self, sheet: SheetId, row: u32, col: u32, text: &str, cached: Value) -> &mut Self {
        let text = text.strip_prefix('=').unwrap_or(text).to_owned();
        self.cells.push((sheet, row, col, PendingCell::Formula { text, cached, array: None }));
        self
    }

    /// Sets an array formula over `range` (anchored at its top-left cell). Cached values of
    /// the other cells are given with [`WorkbookBuilder::value`] afterwards, or left blank.
    pub fn array_formula(&mut self, range: Area, text: &str, cached: Value) -> &mut Self {
        let text = text.strip_prefix('=').unwrap_or(text).to_owned();
        self.cells.push((
            range.sheet,
            range.top,
            range.left,
            PendingCell::Formula { text, cached, array: Some(range) },
        ));
        self
    }

    /// Defines a name (workbook scope when `scope` is `None`).
    pub fn name(&mut self, name: &str, scope: Option<SheetId>, text: &str) -> &mut Self {
        let text = text.strip_prefix('=').unwrap_or(text).to_owned();
        self.names.push((name.to_owned(), scope, text));
        self
    }

    /// Parses every formula and assembles the workbook.
    pub fn build(self) -> Workbook {
        let mut wb = Workbook {
            sheets: self.sheet_names.iter().map(|n| Sheet { name: n.clone(), ..Sheet::default() }).collect(),
            date1904: self.date1904,
            ..Workbook::default()
        };
        let mut arrays = Vec::new();
        for (sheet, row, col, cell) in self.cells {
            let Some(s) = wb.sheets.get_mut(sheet.index()) else { continue };
            match cell {
                PendingCell::Value(v) => {
                    // A value inside an array formula's range is that cell's cached value.
                    s.set(row, col, CellContent::Value(v));
                }
                PendingCell::Formula { text, cached, array } => {
                    let id = FormulaId(wb.formulas.len() as u32);
                    let cell = CellRef::new(sheet, row, col);
                    s.set(row, col, CellContent::Formula(id));
                    if let Some(a) = array {
                        arrays.push((id, a));
                    }
                    wb.formulas.push(Formula { cell, text, expr: Err(ParseError::new(0, "")), array, cached });
                }
            }
        }
        // Cells covered by an array formula become its members.
        for (id, area) in arrays {
            let Some(s) = wb.sheets.get_mut(area.sheet.index()) else { continue };
            for row in area.top..=area.bottom {
                for col in area.left..=area.right {
                    if (row, col) == (area.top, area.left) {
                        continue;
                    }
                    let cached = match s.get(row, col) {
                        Some(CellContent::Value(v)) => v.clone(),
                        _ => Value::Blank,
                    };
                    s.set(row, col, CellContent::ArrayMember { anchor: id, cached });
                }
            }
        }
        let parsed: Vec<_> = wb.formulas.iter().map(|f| parse_formula(&f.text, f.cell.sheet, &wb)).collect();
        for (f, expr) in wb.formulas.iter_mut().zip(parsed) {
            f.expr = expr;
        }
        for (name, scope, text) in self.names {
            let expr = parse_formula(&text, scope.unwrap_or(SheetId(0)), &wb);
            let key = (scope, name.to_uppercase());
            wb.name_index.insert(key, wb.names.len());
            wb.names.push(DefinedName { name, scope, text, expr });
        }
        wb
    }
}

/// Convenience for tests: a one-sheet workbook from `(cell, content)` pairs where content
/// starting with `=` is a formula and anything else a constant (numbers parsed).
pub fn workbook_from_cells(cells: &[(&str, &str)]) -> Workbook {
    let mut b = WorkbookBuilder::new();
    let s = b.add_sheet("Sheet1");
    for (cell, content) in cells {
        let Some((row, col)) = crate::address::parse_a1(cell) else { continue };
        if content.starts_with('=') {
            b.formula(s, row, col, content, Value::Blank);
        } else if let Ok(n) = content.parse::<f64>() {
            b.value(s, row, col, Value::Number(n));
        } else if content.eq_ignore_ascii_case("TRUE") || content.eq_ignore_ascii_case("FALSE") {
            b.value(s, row, col, Value::Bool(content.eq_ignore_ascii_case("TRUE")));
        } else {
            b.value(s, row, col, Value::Text(Arc::from(*content)));
        }
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_in_a_rectangle_are_those_a_full_scan_finds_row_by_row() {
        // A sparse, wide grid: every third cell of 40 columns over 300 rows.
        let mut map = BTreeMap::new();
        for r in 1..=300u32 {
            for c in 1..=40u32 {
                if (r * 7 + c * 13) % 3 == 0 {
                    map.insert((r, c), r * 100 + c);
                }
            }
        }
        let used = Some((1, 1, 300, 40));
        let sheet = SheetId(0);
        let areas = [
            (1, 1, 300, 1),         // a column (read row by row)
            (2, 5, 301, 5),         // past the bottom
            (10, 3, 20, 6),         // narrow block
            (1, 1, 300, 40),        // everything (one pass)
            (5, 2, 5, 39),          // one wide row
            (1, 30, 1_048_576, 45), // whole columns, past the right edge
            (400, 1, 500, 40),      // below the used rows
            (1, 41, 300, 50),       // right of the used columns
        ];
        for (top, left, bottom, right) in areas {
            let area = Area { sheet, top, left, bottom, right };
            let found: Vec<(u32, u32)> = in_rectangle(&map, used, &area).map(|(k, _)| *k).collect();
            let expected: Vec<(u32, u32)> = map
                .keys()
                .copied()
                .filter(|&(r, c)| (top..=bottom).contains(&r) && (left..=right).contains(&c))
                .collect();
            assert_eq!(found, expected, "{area:?}");
        }
        assert_eq!(in_rectangle(&map, None, &Area { sheet, top: 1, left: 1, bottom: 9, right: 9 }).count(), 0);
    }
}

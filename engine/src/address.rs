//! Cell addresses: sheets, cells, areas, and the A1 notation.

use std::fmt;

/// Rows in a worksheet (Excel 2007+).
pub const MAX_ROWS: u32 = 1_048_576;
/// Columns in a worksheet (`A` … `XFD`).
pub const MAX_COLS: u32 = 16_384;

/// Index of a sheet in its workbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SheetId(pub u32);

impl SheetId {
    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A cell: sheet, zero-based row and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellRef {
    /// The sheet.
    pub sheet: SheetId,
    /// Zero-based row (row 1 is 0).
    pub row: u32,
    /// Zero-based column (column A is 0).
    pub col: u32,
}

impl CellRef {
    /// A cell reference.
    pub fn new(sheet: SheetId, row: u32, col: u32) -> CellRef {
        CellRef { sheet, row, col }
    }

    /// The A1 text of the cell without its sheet, e.g. `B7`.
    pub fn a1(&self) -> String {
        format_a1(self.row, self.col)
    }
}

/// A rectangular block of cells on one sheet; all bounds inclusive and zero-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Area {
    /// The sheet.
    pub sheet: SheetId,
    /// First row.
    pub top: u32,
    /// First column.
    pub left: u32,
    /// Last row.
    pub bottom: u32,
    /// Last column.
    pub right: u32,
}

impl Area {
    /// The area spanning two corners in any order.
    pub fn new(sheet: SheetId, r1: u32, c1: u32, r2: u32, c2: u32) -> Area {
        Area { sheet, top: r1.min(r2), left: c1.min(c2), bottom: r1.max(r2), right: c1.max(c2) }
    }

    /// A single cell as an area.
    pub fn cell(cell: CellRef) -> Area {
        Area::new(cell.sheet, cell.row, cell.col, cell.row, cell.col)
    }

    /// Number of rows.
    pub fn rows(&self) -> u32 {
        self.bottom - self.top + 1
    }

    /// Number of columns.
    pub fn cols(&self) -> u32 {
        self.right - self.left + 1
    }

    /// Number of cells.
    pub fn len(&self) -> u64 {
        u64::from(self.rows()) * u64::from(self.cols())
    }

    /// Always false: an area holds at least one cell.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Is this a single cell?
    pub fn is_cell(&self) -> bool {
        self.top == self.bottom && self.left == self.right
    }

    /// The top-left cell.
    pub fn top_left(&self) -> CellRef {
        CellRef::new(self.sheet, self.top, self.left)
    }

    /// Does the area contain the cell?
    pub fn contains(&self, cell: CellRef) -> bool {
        cell.sheet == self.sheet
            && (self.top..=self.bottom).contains(&cell.row)
            && (self.left..=self.right).contains(&cell.col)
    }

    /// The intersection of two areas, if they overlap.
    pub fn intersect(&self, other: &Area) -> Option<Area> {
        if self.sheet != other.sheet {
            return None;
        }
        let top = self.top.max(other.top);
        let left = self.left.max(other.left);
        let bottom = self.bottom.min(other.bottom);
        let right = self.right.min(other.right);
        (top <= bottom && left <= right).then_some(Area { sheet: self.sheet, top, left, bottom, right })
    }

    /// Excel's implicit intersection of the area with the row or column of the cell `at`
    /// (where a formula in `at` reads the area as one value): the area's only cell, the cell of
    /// a one-column area in `at`'s row, or of a one-row area in `at`'s column.
    pub fn implicit_intersection(&self, at: CellRef) -> Option<CellRef> {
        if self.is_cell() {
            Some(self.top_left())
        } else if self.cols() == 1 && (self.top..=self.bottom).contains(&at.row) {
            Some(CellRef::new(self.sheet, at.row, self.left))
        } else if self.rows() == 1 && (self.left..=self.right).contains(&at.col) {
            Some(CellRef::new(self.sheet, self.top, at.col))
        } else {
            None
        }
    }

    /// The smallest area covering both (same sheet assumed).
    pub fn union_bounds(&self, other: &Area) -> Area {
        Area {
            sheet: self.sheet,
            top: self.top.min(other.top),
            left: self.left.min(other.left),
            bottom: self.bottom.max(other.bottom),
            right: self.right.max(other.right),
        }
    }

    /// The A1 text without sheet, e.g. `A1:B9` (or `B7` for one cell).
    pub fn a1(&self) -> String {
        if self.is_cell() {
            format_a1(self.top, self.left)
        } else {
            format!("{}:{}", format_a1(self.top, self.left), format_a1(self.bottom, self.right))
        }
    }
}

/// Column letters of a zero-based column: 0 → `A`, 27 → `AB`.
pub fn column_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Zero-based column of column letters (any case); `None` past `XFD`.
pub fn column_from_letters(letters: &str) -> Option<u32> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut n: u32 = 0;
    for b in letters.bytes() {
        if !b.is_ascii_alphabetic() {
            return None;
        }
        n = n * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1;
    }
    (n <= MAX_COLS).then(|| n - 1)
}

/// `B7` for zero-based (6, 1).
pub fn format_a1(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), row + 1)
}

/// Parses `B7` or `$B$7` into zero-based (row, col).
pub fn parse_a1(text: &str) -> Option<(u32, u32)> {
    let t = text.trim_start_matches('$');
    let split = t.find(|c: char| !c.is_ascii_alphabetic())?;
    let (letters, rest) = t.split_at(split);
    let digits = rest.strip_prefix('$').unwrap_or(rest);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    let row: u32 = digits.parse().ok()?;
    if row == 0 || row > MAX_ROWS {
        return None;
    }
    Some((row - 1, column_from_letters(letters)?))
}

/// A sheet name as it must be written in a formula: quoted when it is not a plain identifier.
pub fn quote_sheet_name(name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && parse_a1(name).is_none();
    if plain { name.to_owned() } else { format!("'{}'", name.replace('\'', "''")) }
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}!{}", self.sheet.0, self.a1())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_round_trips() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
        assert_eq!(column_from_letters("xfd"), Some(16_383));
        assert_eq!(column_from_letters("XFE"), None);
        assert_eq!(parse_a1("$B$7"), Some((6, 1)));
        assert_eq!(parse_a1("A0"), None);
        assert_eq!(parse_a1("A1048577"), None);
        assert_eq!(format_a1(6, 1), "B7");
    }

    #[test]
    fn sheet_names_are_quoted_when_needed() {
        assert_eq!(quote_sheet_name("Model"), "Model");
        assert_eq!(quote_sheet_name("My Sheet"), "'My Sheet'");
        assert_eq!(quote_sheet_name("It's"), "'It''s'");
        assert_eq!(quote_sheet_name("A1"), "'A1'");
    }
}

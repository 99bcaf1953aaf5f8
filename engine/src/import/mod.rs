//! Reading `.xlsx` files into a [`Workbook`].
//!
//! Two passes over the upload:
//! 1. [`guard`]: every zip entry is decompressed once under hard [`Limits`]; a part with a
//!    `<!DOCTYPE` is refused; the workbook part, its relationships and the array-formula
//!    ranges of each sheet are kept;
//! 2. calamine streams each worksheet's cells (values, formulas with shared formulas
//!    expanded, cached values) without building dense ranges, so a sparse sheet with a cell at
//!    `XFD1048576` costs no more than its cells.

mod guard;
mod parts;
mod rich_values;

use std::io::Cursor;
use std::path::Path;

use calamine::{CellErrorType, DataRef, Reader, Xlsx, XlsxFormulaMetadata, expand_shared_formula};

use crate::address::{Area, SheetId};
use crate::value::{ErrorKind, Value};
use crate::workbook::{Workbook, WorkbookBuilder};

/// Hard limits applied while reading an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Most zip entries.
    pub max_entries: usize,
    /// Largest decompressed entry, in bytes.
    pub max_part_bytes: u64,
    /// Most decompressed bytes over all entries.
    pub max_total_bytes: u64,
    /// Highest ratio of decompressed to compressed size for entries of 1 MiB or more.
    pub max_compression_ratio: u64,
    /// Most cells over all sheets.
    pub max_cells: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 100 << 20,
            max_entries: 10_000,
            max_part_bytes: 512 << 20,
            max_total_bytes: 1 << 30,
            max_compression_ratio: 200,
            max_cells: 10_000_000,
        }
    }
}

/// Why a file could not be read. Every variant's message is one line meant for the user.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read from disk.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Larger than [`Limits::max_file_bytes`].
    #[error("file is {size} bytes; the limit is {limit} bytes")]
    FileTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not a zip archive (an `.xlsx` is one), or truncated.
    #[error("not an .xlsx file (not a readable zip archive: {0})")]
    NotZip(String),
    /// A damaged entry.
    #[error("damaged .xlsx file: {0}")]
    Corrupt(String),
    /// More entries than [`Limits::max_entries`].
    #[error("the archive has {count} entries; the limit is {limit}")]
    TooManyEntries {
        /// Entries found.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// An entry decompresses to more than [`Limits::max_part_bytes`].
    #[error("part {part} decompresses to more than {limit} bytes (zip bomb?)")]
    PartTooLarge {
        /// The entry.
        part: String,
        /// The limit.
        limit: u64,
    },
    /// All entries decompress to more than [`Limits::max_total_bytes`].
    #[error("the archive decompresses to more than {limit} bytes (zip bomb?)")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// An entry is compressed more than [`Limits::max_compression_ratio`].
    #[error("part {part} is compressed {ratio}:1; the limit is {limit}:1 (zip bomb?)")]
    CompressionRatio {
        /// The entry.
        part: String,
        /// Its ratio.
        ratio: u64,
        /// The limit.
        limit: u64,
    },
    /// An XML part declares a document type (entity expansion attacks).
    #[error("part {part} contains a <!DOCTYPE> declaration, which is not allowed")]
    Doctype {
        /// The entry.
        part: String,
    },
    /// More cells than [`Limits::max_cells`].
    #[error("the workbook has more than {limit} cells")]
    TooManyCells {
        /// The limit.
        limit: u64,
    },
    /// A required part is missing.
    #[error("not an .xlsx workbook: {0} is missing")]
    MissingPart(&'static str),
    /// The spreadsheet reader failed.
    #[error("cannot read the workbook: {0}")]
    Read(String),
}

/// Reads an `.xlsx` file from disk.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Workbook, ImportError> {
    let io = |source| ImportError::Io { path: path.display().to_string(), source };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limits.max_file_bytes {
        return Err(ImportError::FileTooLarge { size, limit: limits.max_file_bytes });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    read_bytes(&bytes, limits)
}

/// Reads an `.xlsx` file from memory.
pub fn read_bytes(bytes: &[u8], limits: &Limits) -> Result<Workbook, ImportError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ImportError::FileTooLarge { size: bytes.len() as u64, limit: limits.max_file_bytes });
    }
    let package = guard::inspect(bytes, limits)?;
    let workbook_xml = package.parts.get("xl/workbook.xml").ok_or(ImportError::MissingPart("xl/workbook.xml"))?;
    let rels = package.parts.get("xl/_rels/workbook.xml.rels").map(Vec::as_slice);
    let info =
        parts::workbook_info(workbook_xml, rels).map_err(|e| ImportError::Corrupt(format!("xl/workbook.xml: {e}")))?;

    let mut xlsx: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| ImportError::Read(e.to_string()))?;
    let mut builder = WorkbookBuilder::new();
    builder.date1904(info.date1904);
    let ids: Vec<SheetId> = info.sheets.iter().map(|s| builder.add_sheet(&s.name)).collect();
    let rich_errors = rich_values::value_metadata_errors(&package.parts);
    let mut cells: u64 = 0;
    for (entry, &sheet) in info.sheets.iter().zip(&ids) {
        if entry.kind != parts::SheetKind::Worksheet {
            continue;
        }
        let scan = entry.path.as_ref().and_then(|p| package.sheets.get(p));
        let arrays: std::collections::HashMap<(u32, u32), guard::Bounds> =
            scan.map(|s| s.arrays.iter().copied().collect()).unwrap_or_default();
        let cell_errors: std::collections::HashMap<(u32, u32), ErrorKind> = scan
            .map(|s| s.rich_errors.iter().filter_map(|(at, vm)| Some((*at, *rich_errors.get(vm)?))).collect())
            .unwrap_or_default();
        let mut reader = xlsx
            .worksheet_cells_reader(&entry.name)
            .map_err(|e| ImportError::Read(format!("sheet '{}': {e}", entry.name)))?;
        // Shared formulas by index: the cell that carries the text and the text. Derived cells
        // shift the text by their offset from that cell (calamine's own expansion measures the
        // offset from the top-left of the `ref` range, which is wrong when the formula text
        // sits in another cell of the range).
        let mut shared: std::collections::HashMap<usize, ((u32, u32), String)> = std::collections::HashMap::new();
        while let Some(cell) = reader
            .next_cell_with_formula_metadata()
            .map_err(|e| ImportError::Read(format!("sheet '{}': {e}", entry.name)))?
        {
            cells += 1;
            if cells > limits.max_cells {
                return Err(ImportError::TooManyCells { limit: limits.max_cells });
            }
            let (row, col) = cell.pos;
            let value = match (convert(&cell.value), cell_errors.get(&cell.pos)) {
                (Value::Error(_), Some(real)) => Value::Error(*real),
                (v, _) => v,
            };
            let formula = match cell.formula {
                None => None,
                Some(XlsxFormulaMetadata::Normal { formula }) => Some(formula),
                Some(XlsxFormulaMetadata::Shared { shared_index, formula, .. }) => {
                    shared.insert(shared_index, (cell.pos, formula.clone()));
                    Some(formula)
                }
                Some(XlsxFormulaMetadata::SharedDerived { shared_index }) => match shared.get(&shared_index) {
                    Some((anchor, text)) => Some(
                        expand_shared_formula(text, *anchor, cell.pos)
                            .map_err(|e| ImportError::Read(format!("sheet '{}': {e}", entry.name)))?,
                    ),
                    None => None,
                },
                Some(_) => None,
            };
            match formula.filter(|f| !f.is_empty()) {
                Some(text) => match arrays.get(&(row, col)) {
                    Some(&(t, l, b, r)) => {
                        builder.array_formula(Area::new(sheet, t, l, b, r), &text, value);
                    }
                    None => {
                        builder.formula(sheet, row, col, &text, value);
                    }
                },
                None => {
                    builder.value(sheet, row, col, value);
                }
            }
        }
    }
    for n in &info.names {
        if n.name.starts_with("_xlnm.") {
            continue;
        }
        let scope = n.local_sheet.and_then(|i| ids.get(i as usize).copied());
        builder.name(&n.name, scope, &n.text);
    }
    Ok(builder.build())
}

fn convert(d: &DataRef<'_>) -> Value {
    match d {
        DataRef::Int(i) => Value::Number(*i as f64),
        DataRef::Float(f) => Value::Number(*f),
        DataRef::String(s) => Value::from(s.as_str()),
        DataRef::SharedString(s) => Value::from(*s),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(dt) => Value::Number(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::from(s.as_str()),
        DataRef::Error(e) => Value::Error(match e {
            CellErrorType::Div0 => ErrorKind::Div0,
            CellErrorType::NA => ErrorKind::NA,
            CellErrorType::Name => ErrorKind::Name,
            CellErrorType::Null => ErrorKind::Null,
            CellErrorType::Num => ErrorKind::Num,
            CellErrorType::Ref => ErrorKind::Ref,
            CellErrorType::Value => ErrorKind::Value,
            CellErrorType::GettingData => ErrorKind::GettingData,
        }),
        DataRef::Empty => Value::Blank,
    }
}

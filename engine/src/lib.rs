//! montecell's formula engine.
//!
//! The crate reads top-down in the order a workbook travels through it:
//!
//! 1. [`import`] — read an `.xlsx` (calamine), with hard limits while unzipping;
//! 2. [`parse`] — formula text → syntax tree ([`parse::Expr`]);
//! 3. [`workbook`] — the model: sheets, cells, formulas, defined names;
//! 4. [`graph`] — dependency order of the formulas, circular references;
//! 5. [`eval`] — Excel semantics: values, errors, implicit intersection, array formulas;
//! 6. [`functions`] — the function table and its implementations;
//! 7. [`recalc`] — recompute a whole workbook and compare with Excel's cached values.
//!
//! [`value`], [`address`] and [`datetime`] hold the vocabulary they share.

pub mod address;
pub mod compile;
pub mod datetime;
pub mod eval;
pub mod fidelity;
pub mod functions;
pub mod graph;
pub mod import;
pub mod parse;
pub mod recalc;
pub mod result;
pub mod rng;
pub mod run;
pub mod sampling;
pub mod simulate;
pub mod spec;
pub mod special;
pub mod stats;
#[cfg(test)]
mod testing;
pub mod value;
pub mod workbook;
pub mod xlsx_writer;

pub use address::{Area, CellRef, SheetId};
pub use value::{Array, ErrorKind, Value};
pub use workbook::{Workbook, WorkbookBuilder};

//! Excel's worksheet functions: one table ([`table`]) maps each name to its implementation
//! and arity; the modules beside it implement them by category.
//!
//! A function is either
//! - [`Kind::Scalar`]: a pure function of single values. The evaluator evaluates every
//!   argument (implicit intersection of ranges in value context) and, when an argument is an
//!   array, applies the function to each element. Most math, text, date and distribution
//!   functions are scalar, which also makes them usable by the vectorised simulation engine;
//! - [`Kind::Special`]: a function that evaluates its own arguments, because it is lazy
//!   (`IF`, `IFERROR`, `CHOOSE`), reads ranges (`SUM`, `VLOOKUP`, `SUMIF`), or returns a
//!   reference (`INDEX`, `OFFSET`).

pub mod args;
mod conditional;
mod core;
pub mod criteria;
mod database;
mod date;
pub mod distributions;
mod engineering;
pub(crate) mod financial;
pub mod format;
mod information;
mod logical;
mod lookup;
mod math;
mod regex;
mod simulation;
mod statistical;
mod table;
mod text;

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::eval::{Evaluator, Operand};
use crate::parse::Expr;
use crate::value::{ErrorKind, Value};

pub use table::FUNCTIONS;

/// What a scalar function returns: a value, or an error value.
pub type FnResult = Result<Value, ErrorKind>;

/// A function of single values.
pub type ScalarFn = fn(&[Value]) -> FnResult;

/// A function that evaluates its own arguments.
pub type SpecialFn = fn(&mut Evaluator<'_>, &[Expr]) -> Result<Operand, ErrorKind>;

/// How a function is implemented.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Arguments are evaluated to single values first; arrays are applied element-wise.
    Scalar(ScalarFn),
    /// Evaluates its own arguments.
    Special(SpecialFn),
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Scalar(_) => "Scalar",
            Kind::Special(_) => "Special",
        })
    }
}

/// Function categories, as Excel groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Category {
    /// Math and trigonometry.
    Math,
    /// Statistical (aggregates and distributions).
    Statistical,
    /// Financial.
    Financial,
    /// Database functions (`DSUM`, `DGET`, …).
    Database,
    /// Logical.
    Logical,
    /// Lookup and reference.
    Lookup,
    /// Information.
    Information,
    /// Date and time.
    DateTime,
    /// Text.
    Text,
    /// Engineering.
    Engineering,
    /// Simulation: @RISK and Analytic Solver distribution, property and output functions.
    Simulation,
    /// Operators stored as functions in files (`SINGLE` for `@`, `ANCHORARRAY` for `#`).
    Internal,
}

/// Arity marker for functions that take any number of arguments (Excel's limit is 255).
pub const VARIADIC: u8 = u8::MAX;

/// One row of the function table.
#[derive(Debug)]
pub struct FunctionDef {
    /// The name, upper case, without `_xlfn.`.
    pub name: &'static str,
    /// Fewest arguments.
    pub min_args: u8,
    /// Most arguments ([`VARIADIC`] for no limit).
    pub max_args: u8,
    /// The implementation.
    pub kind: Kind,
    /// The category.
    pub category: Category,
    /// Does the function return a reference (so that it can be used with `:`)?
    pub returns_reference: bool,
}

/// Index of a function in [`FUNCTIONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FnId(u16);

impl FnId {
    /// The function's table row.
    pub fn def(self) -> &'static FunctionDef {
        &FUNCTIONS[usize::from(self.0)]
    }
}

fn index() -> &'static HashMap<&'static str, FnId> {
    static INDEX: OnceLock<HashMap<&'static str, FnId>> = OnceLock::new();
    INDEX.get_or_init(|| FUNCTIONS.iter().enumerate().map(|(i, d)| (d.name, FnId(i as u16))).collect())
}

/// Finds a function by its normalised name (upper case, no `_xlfn.` prefix).
pub fn lookup(name: &str) -> Option<FnId> {
    index().get(name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_unique_and_normalised() {
        let mut seen = std::collections::HashSet::new();
        for d in FUNCTIONS {
            assert!(seen.insert(d.name), "{} is in the table twice", d.name);
            assert_eq!(d.name, d.name.to_ascii_uppercase());
            assert!(d.min_args <= d.max_args, "{}", d.name);
        }
        assert!(lookup("SUM").is_some());
        assert!(lookup("NOPE").is_none());
    }
}

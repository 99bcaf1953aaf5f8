//! The function table: every function the engine knows, with its arity and implementation.
//! `docs/functions.md` is generated from this table (`montecell functions --markdown`).

use super::Category::{self, *};
use super::{FunctionDef, Kind, ScalarFn, SpecialFn, VARIADIC};
#[allow(unused_imports)] // until every category module has entries
use super::{conditional, core, database, date, distributions, financial, information, logical, lookup, math, statistical, text};

const fn scalar(name: &'static str, min_args: u8, max_args: u8, category: Category, f: ScalarFn) -> FunctionDef {
    FunctionDef { name, min_args, max_args, kind: Kind::Scalar(f), category, returns_reference: false }
}

const fn special(name: &'static str, min_args: u8, max_args: u8, category: Category, f: SpecialFn) -> FunctionDef {
    FunctionDef { name, min_args, max_args, kind: Kind::Special(f), category, returns_reference: false }
}

/// A special function that may return a reference.
const fn reference(name: &'static str, min_args: u8, max_args: u8, category: Category, f: SpecialFn) -> FunctionDef {
    FunctionDef { name, min_args, max_args, kind: Kind::Special(f), category, returns_reference: true }
}

/// Every function, grouped by category.
pub static FUNCTIONS: &[FunctionDef] = &[
    // ── Internal (operators stored as functions) ───────────────────────────────────────────
    reference("SINGLE", 1, 1, Internal, core::single),
    reference("ANCHORARRAY", 1, 1, Internal, core::anchor_array),
    // ── Logical ────────────────────────────────────────────────────────────────────────────
    reference("IF", 1, 3, Logical, logical::if_),
    reference("IFS", 2, VARIADIC, Logical, logical::ifs),
    special("IFERROR", 2, 2, Logical, logical::iferror),
    special("IFNA", 2, 2, Logical, logical::ifna),
    reference("SWITCH", 3, VARIADIC, Logical, logical::switch),
    special("AND", 1, VARIADIC, Logical, logical::and),
    special("OR", 1, VARIADIC, Logical, logical::or),
    special("XOR", 1, VARIADIC, Logical, logical::xor),
    scalar("NOT", 1, 1, Logical, logical::not),
    scalar("TRUE", 0, 0, Logical, logical::true_),
    scalar("FALSE", 0, 0, Logical, logical::false_),
    // ── Lookup and reference ───────────────────────────────────────────────────────────────
    reference("CHOOSE", 2, VARIADIC, Lookup, logical::choose),
    // ── Math and trigonometry (functions/math.rs) ───────────────────────────────────────────
    // ── Conditional aggregates (functions/conditional.rs) ──────────────────────────────────
    // ── Statistical (functions/statistical.rs) ─────────────────────────────────────────────
    // ── Distributions and tests (functions/distributions.rs) ───────────────────────────────
    // ── Database (functions/database.rs) ──────────────────────────────────────────────────
    // ── Financial (functions/financial.rs) ─────────────────────────────────────────────────
    // ── Date and time (functions/date.rs) ──────────────────────────────────────────────────
    // ── Lookup and reference (functions/lookup.rs) ─────────────────────────────────────────
    // ── Information (functions/information.rs) ─────────────────────────────────────────────
    // ── Text (functions/text.rs) ───────────────────────────────────────────────────────────
    // ── Engineering ────────────────────────────────────────────────────────────────────────
];

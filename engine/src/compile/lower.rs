//! Lowering formulas to tape operations.
//!
//! A formula is lowered to vector operations when every part of it has one (literals, cell
//! references, operators, scalar functions, `IF`/`IFERROR`/`CHOOSE`, the common aggregates,
//! distribution calls). Anything else — lookups, `SUMIF`, `IRR`, array formulas, text
//! functions over ranges — makes the whole formula an [`Op::Interpret`]: the scalar evaluator
//! computes it lane by lane with Excel's full semantics. Correctness never depends on which
//! path a formula takes; only speed does.

use rustc_hash::FxHashMap;
use std::sync::Arc;

use super::analysis::{CellSet, is_stochastic, output_marker};
use super::boxing;
use super::tape::{AggItem, AggKind, Folded, Op, Reg, SeriesKind, Tape};
use super::{CompileError, Input, InputOrigin};
use crate::address::{Area, CellRef};
use crate::eval::{Evaluator, binary_values, lift};
use crate::functions::criteria::Criterion;
use crate::functions::{FnResult, Kind, args};
use crate::graph::referenced_areas;
use crate::parse::{BinaryOp, Callee, Expr, UnaryOp};
use crate::rng::stream_id;
use crate::sampling::functions as dist;
use crate::sampling::{Distribution, InputDistribution};
use crate::value::{ErrorKind, Value};
use crate::workbook::{CellContent, FormulaId, Workbook};

/// A lowered expression.
#[derive(Clone, Debug)]
enum Lowered {
    /// Known at compile time.
    Const(Value),
    /// A value of the tape.
    Val(Reg),
    /// A reference (resolved by whoever uses it).
    Area(Area),
}

/// What an operation without side effects computes (for [`Lowerer::pure`]).
#[derive(Debug, PartialEq, Eq, Hash)]
enum Pure {
    Unary(UnaryOp, Reg),
    Binary(BinaryOp, Reg, Reg),
    /// The constant by its bits, and whether it is the left operand.
    Scalar(BinaryOp, Reg, u64, bool),
}

/// Why a formula is interpreted rather than lowered (kept for statistics).
#[derive(Debug)]
struct Fallback;

type L = Result<Lowered, Fallback>;

/// Builds the tape.
pub(super) struct Lowerer<'a, 'wb> {
    wb: &'wb Workbook,
    base: &'a mut Evaluator<'wb>,
    uncertain: &'a CellSet,
    pub(super) tape: Tape,
    /// Values of uncertain cells.
    pub(super) cell_regs: FxHashMap<CellRef, Reg>,
    constants: FxHashMap<u64, Reg>,
    /// Operations emitted, by what they compute.
    computed: FxHashMap<Pure, Reg>,
    strings: FxHashMap<Arc<str>, u32>,
    pub(super) inputs: Vec<Input>,
    /// The tape value holding each input's sample.
    pub(super) input_samples: Vec<Reg>,
    /// Values that may hold a blank (a formula result must turn it into 0).
    may_blank: Vec<bool>,
    /// The formula being lowered.
    cell: CellRef,
    /// How many random calls the current formula has met (for unnamed input identities).
    calls_in_cell: usize,
    /// Statistics.
    pub(super) native: usize,
    pub(super) interpreted: usize,
}

/// `RANDBETWEEN(bottom, top)` from the lane's uniform `u` (third argument): Excel rounds
/// the bottom up and the top down.
fn randbetween_from_uniform(a: &[Value]) -> FnResult {
    let lo = args::num(a, 0)?.ceil();
    let hi = args::num(a, 1)?.floor();
    let u = args::num(a, 2)?;
    if lo > hi {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number((lo + (u * (hi - lo + 1.0)).floor()).min(hi)))
}

impl<'a, 'wb> Lowerer<'a, 'wb> {
    pub(super) fn new(wb: &'wb Workbook, base: &'a mut Evaluator<'wb>, uncertain: &'a CellSet) -> Self {
        Lowerer {
            wb,
            base,
            uncertain,
            tape: Tape::default(),
            cell_regs: FxHashMap::default(),
            constants: FxHashMap::default(),
            computed: FxHashMap::default(),
            strings: FxHashMap::default(),
            inputs: Vec::new(),
            input_samples: Vec::new(),
            may_blank: Vec::new(),
            cell: CellRef::new(crate::address::SheetId(0), 0, 0),
            calls_in_cell: 0,
            native: 0,
            interpreted: 0,
        }
    }

    fn fresh(&mut self) -> Reg {
        let r = self.tape.registers;
        self.tape.registers += 1;
        self.may_blank.push(false);
        r
    }

    /// The tape value of a constant (one per distinct constant).
    fn constant(&mut self, v: &Value) -> Reg {
        let lane = match v {
            Value::Text(s) => {
                let next = self.strings.len() as u32;
                let id = *self.strings.entry(s.clone()).or_insert(next);
                if id == next {
                    self.tape.strings.push(s.clone());
                }
                boxing::text(id)
            }
            other => {
                let mut scratch = boxing::Strings::default();
                boxing::from_value(other, &mut scratch)
            }
        };
        if let Some(r) = self.constants.get(&lane.to_bits()) {
            return *r;
        }
        let r = self.fresh();
        self.may_blank[r as usize] = matches!(v, Value::Blank);
        self.constants.insert(lane.to_bits(), r);
        self.tape.constants.push((r, lane));
        r
    }

    /// Registers an input whose sample the sampler writes; returns its tape value.
    pub(super) fn add_input(&mut self, input: Input) -> Reg {
        let r = self.fresh();
        self.tape.sampled.push(r);
        self.input_samples.push(r);
        self.inputs.push(input);
        r
    }

    /// The value of a cell at compile time or on the tape.
    fn cell_operand(&mut self, cell: CellRef) -> Lowered {
        match self.cell_regs.get(&cell) {
            Some(r) => Lowered::Val(*r),
            None => Lowered::Const(self.base.cell_value(cell)),
        }
    }

    fn reg_of(&mut self, l: Lowered) -> Reg {
        match l {
            Lowered::Val(r) => r,
            Lowered::Const(v) => self.constant(&v),
            Lowered::Area(a) => {
                let v = self.intersect(a);
                self.reg_of(v)
            }
        }
    }

    /// Implicit intersection of an area with the formula's cell.
    fn intersect(&mut self, a: Area) -> Lowered {
        match a.implicit_intersection(self.cell) {
            Some(c) => self.cell_operand(c),
            None => Lowered::Const(Value::Error(ErrorKind::Value)),
        }
    }

    /// An expression where a single value is expected.
    fn value(&mut self, e: &'wb Expr) -> L {
        match self.lower(e)? {
            Lowered::Area(a) => Ok(self.intersect(a)),
            Lowered::Const(Value::Array(_)) => Err(Fallback),
            other => Ok(other),
        }
    }

    fn emit(&mut self, op: Op) {
        self.tape.ops.push(op);
    }

    fn lower(&mut self, e: &'wb Expr) -> L {
        Ok(match e {
            Expr::Number(n) => Lowered::Const(Value::Number(*n)),
            Expr::Text(s) => Lowered::Const(Value::Text(s.clone())),
            Expr::Bool(b) => Lowered::Const(Value::Bool(*b)),
            Expr::Error(k) => Lowered::Const(Value::Error(*k)),
            Expr::Missing => Lowered::Const(Value::Blank),
            Expr::Array(a) => Lowered::Const(Value::Array(a.clone())),
            Expr::Area(a) => Lowered::Area(*a),
            Expr::Area3d { .. } => return Err(Fallback),
            Expr::Name { sheet, name } => {
                let scope = sheet.unwrap_or(self.cell.sheet);
                let def = self.wb.name(scope, name).ok_or(Fallback)?;
                match &def.expr {
                    Ok(Expr::Area(a)) => Lowered::Area(*a),
                    Ok(Expr::Number(n)) => Lowered::Const(Value::Number(*n)),
                    _ => return Err(Fallback),
                }
            }
            Expr::Binary { op: BinaryOp::Range | BinaryOp::Intersect | BinaryOp::Union, .. } => return Err(Fallback),
            Expr::Unary { .. } | Expr::Binary { .. } => return self.operators(e),
            Expr::Call { callee: Callee::Unknown(_), .. } => return Err(Fallback),
            Expr::Call { callee: Callee::Builtin(id), args } => {
                let name = id.def().name;
                if is_stochastic(e).is_some() {
                    return self.sample(e).map(Lowered::Val).map_err(|_| Fallback);
                }
                if output_marker(e).is_some() {
                    return match (name, args.first()) {
                        ("PSIOUTPUT", Some(x)) => self.value(x),
                        _ => Ok(Lowered::Const(Value::Number(0.0))),
                    };
                }
                match (name, id.def().kind) {
                    ("IF", _) => return self.lower_if(args),
                    ("IFERROR" | "IFNA", _) => {
                        let value = self.value(&args[0])?;
                        let alt = self.value(&args[1])?;
                        let na_only = name == "IFNA";
                        match value {
                            Lowered::Const(Value::Error(k)) if !na_only || k == ErrorKind::NA => alt,
                            Lowered::Const(v) => Lowered::Const(v),
                            value => {
                                let value = self.reg_of(value);
                                let alt = self.reg_of(alt);
                                let dst = self.fresh();
                                self.may_blank[dst as usize] =
                                    self.may_blank[value as usize] || self.may_blank[alt as usize];
                                self.emit(Op::IfError { value, alt, na_only, dst });
                                Lowered::Val(dst)
                            }
                        }
                    }
                    ("CHOOSE", _) => return self.lower_choose(args),
                    ("SUM", _) => return self.aggregate(AggKind::Sum, args),
                    ("PRODUCT", _) => return self.aggregate(AggKind::Product, args),
                    ("MIN", _) => return self.aggregate(AggKind::Min, args),
                    ("MAX", _) => return self.aggregate(AggKind::Max, args),
                    ("AVERAGE", _) => return self.aggregate(AggKind::Average, args),
                    ("SUMIF" | "SUMIFS" | "AVERAGEIF" | "AVERAGEIFS" | "MAXIFS" | "MINIFS", _) => {
                        return self.conditional_aggregate(name, args);
                    }
                    ("NPV", _) => return self.series(SeriesKind::Npv, args),
                    ("IRR", _) => return self.series(SeriesKind::Irr, args),
                    (_, Kind::Scalar(f)) => {
                        let mut vals = Vec::with_capacity(args.len());
                        for a in args {
                            vals.push(self.value(a)?);
                        }
                        if vals.iter().all(|v| matches!(v, Lowered::Const(_))) {
                            let consts: Vec<Value> = vals
                                .into_iter()
                                .map(|v| match v {
                                    Lowered::Const(c) => c,
                                    _ => Value::Blank,
                                })
                                .collect();
                            return Ok(Lowered::Const(lift(f, &consts)));
                        }
                        let args: Vec<Reg> = vals.into_iter().map(|v| self.reg_of(v)).collect();
                        let dst = self.fresh();
                        self.emit(Op::Call { f, name, args, dst });
                        Lowered::Val(dst)
                    }
                    _ => return Err(Fallback),
                }
            }
        })
    }

    /// An operator and the operators below it on its left (`1+1+…+1` is a tree as deep as it
    /// has operators: thousands in a formula of Excel's maximum length), in a loop, bottom
    /// first; only right operands are lowered by recursion.
    fn operators(&mut self, e: &'wb Expr) -> L {
        let mut spine = Vec::new();
        let mut bottom = e;
        loop {
            match bottom {
                Expr::Binary { op: BinaryOp::Range | BinaryOp::Intersect | BinaryOp::Union, .. } => break,
                Expr::Unary { expr: below, .. } | Expr::Binary { lhs: below, .. } => {
                    spine.push(bottom);
                    bottom = below;
                }
                _ => break,
            }
        }
        let mut acc = self.value(bottom)?;
        for (i, node) in spine.iter().rev().enumerate() {
            if i > 0 && matches!(acc, Lowered::Const(Value::Array(_))) {
                return Err(Fallback);
            }
            acc = match node {
                Expr::Unary { op, .. } => match acc {
                    Lowered::Const(v) => Lowered::Const(unary_const(*op, v)),
                    other => {
                        let a = self.reg_of(other);
                        let op = *op;
                        Lowered::Val(self.pure(Pure::Unary(op, a), |dst| Op::Unary { op, a, dst }))
                    }
                },
                Expr::Binary { op, rhs, .. } => {
                    let b = self.value(rhs)?;
                    match (acc, b) {
                        (Lowered::Const(x), Lowered::Const(y)) => Lowered::Const(binary_values(*op, &x, &y)),
                        (Lowered::Const(Value::Number(k)), other) if k.is_finite() => {
                            self.binary_scalar(*op, other, k, true)
                        }
                        (other, Lowered::Const(Value::Number(k))) if k.is_finite() => {
                            self.binary_scalar(*op, other, k, false)
                        }
                        (a, b) => {
                            let a = self.reg_of(a);
                            let b = self.reg_of(b);
                            let op = *op;
                            Lowered::Val(self.pure(Pure::Binary(op, a, b), |dst| Op::Binary { op, a, b, dst }))
                        }
                    }
                }
                _ => return Err(Fallback),
            };
        }
        Ok(acc)
    }

    fn lower_if(&mut self, args: &'wb [Expr]) -> L {
        let branch = |this: &mut Self, e: Option<&'wb Expr>, absent: bool| -> L {
            match e {
                None => Ok(Lowered::Const(Value::Bool(absent))),
                Some(Expr::Missing) => Ok(Lowered::Const(Value::Number(0.0))),
                Some(x) => this.lower(x),
            }
        };
        let cond = self.value(&args[0])?;
        if let Lowered::Const(c) = &cond {
            // Decided at compile time: only the branch taken is lowered (as Excel does).
            return match c.to_bool() {
                Ok(true) => branch(self, args.get(1), true),
                Ok(false) => branch(self, args.get(2), false),
                Err(k) => Ok(Lowered::Const(Value::Error(k))),
            };
        }
        let then = branch(self, args.get(1), true)?;
        let otherwise = branch(self, args.get(2), false)?;
        let single = |l: Lowered| -> L {
            match l {
                Lowered::Area(a) if !a.is_cell() => Err(Fallback),
                Lowered::Const(Value::Array(_)) => Err(Fallback),
                l => Ok(l),
            }
        };
        let then = single(then)?;
        let otherwise = single(otherwise)?;
        let cond = self.reg_of(cond);
        let then = self.reg_of(then);
        let otherwise = self.reg_of(otherwise);
        let dst = self.fresh();
        self.may_blank[dst as usize] = self.may_blank[then as usize] || self.may_blank[otherwise as usize];
        self.emit(Op::Select { cond, then, otherwise, dst });
        Ok(Lowered::Val(dst))
    }

    /// `other op k` (or `k op other` when `scalar_left`) with a number known at compile time.
    fn binary_scalar(&mut self, op: BinaryOp, other: Lowered, k: f64, scalar_left: bool) -> Lowered {
        let a = self.reg_of(other);
        let key = Pure::Scalar(op, a, k.to_bits(), scalar_left);
        Lowered::Val(self.pure(key, |dst| Op::BinaryScalar { op, a, k, scalar_left, dst }))
    }

    /// The value of an operation without side effects: the one already computed when the
    /// same operation on the same values was emitted before (a model that computes
    /// `1 + growth` in every year computes it once).
    fn pure(&mut self, key: Pure, op: impl FnOnce(Reg) -> Op) -> Reg {
        if let Some(&r) = self.computed.get(&key) {
            return r;
        }
        let dst = self.fresh();
        self.emit(op(dst));
        self.computed.insert(key, dst);
        dst
    }

    fn lower_choose(&mut self, args: &'wb [Expr]) -> L {
        let index = self.value(&args[0])?;
        if let Lowered::Const(c) = &index {
            return match c.to_number() {
                Ok(n) if n >= 1.0 && (n.trunc() as usize) < args.len() => match &args[n.trunc() as usize] {
                    Expr::Missing => Ok(Lowered::Const(Value::Number(0.0))),
                    x => self.lower(x),
                },
                Ok(_) => Ok(Lowered::Const(Value::Error(ErrorKind::Value))),
                Err(k) => Ok(Lowered::Const(Value::Error(k))),
            };
        }
        let mut options = Vec::with_capacity(args.len() - 1);
        for a in &args[1..] {
            let v = match a {
                Expr::Missing => Lowered::Const(Value::Number(0.0)),
                x => self.value(x)?,
            };
            options.push(self.reg_of(v));
        }
        let index = self.reg_of(index);
        let dst = self.fresh();
        self.may_blank[dst as usize] = options.iter().any(|o| self.may_blank[*o as usize]);
        self.emit(Op::Choose { index, options, dst });
        Ok(Lowered::Val(dst))
    }

    /// `SUM`, `MIN`… over references (cells of ranges: constants folded, uncertain cells as
    /// items) and typed arguments.
    fn aggregate(&mut self, kind: AggKind, args: &'wb [Expr]) -> L {
        let mut folded = Folded::empty();
        let items = self.operand_items(args, Some(&mut folded), true)?;
        let dst = self.fresh();
        self.emit(Op::Aggregate { kind, items, folded, dst });
        Ok(Lowered::Val(dst))
    }

    /// The operands of an aggregate or of `NPV`/`IRR`, in order: the cells of references
    /// ([`Lowerer::aggregate_cell`]) and, where `direct` allows, values typed as arguments.
    fn operand_items(
        &mut self,
        args: &'wb [Expr],
        mut folded: Option<&mut Folded>,
        direct: bool,
    ) -> Result<Vec<AggItem>, Fallback> {
        let mut items = Vec::new();
        for a in args {
            match self.lower(a)? {
                Lowered::Area(area) => {
                    for (cell, value) in self.area_cells(&area) {
                        self.aggregate_cell(&mut items, folded.as_deref_mut(), cell, value)?;
                    }
                }
                Lowered::Const(Value::Array(_)) => return Err(Fallback),
                _ if !direct => return Err(Fallback),
                l => {
                    let reg = self.reg_of(l);
                    items.push(AggItem { reg, direct: true });
                }
            }
        }
        Ok(items)
    }

    /// A cell of a range: a constant number is folded (or, without `folded`, kept as a
    /// constant operand), a constant error kept, other constants skipped, an uncertain cell
    /// read from its register.
    fn aggregate_cell(
        &mut self,
        items: &mut Vec<AggItem>,
        folded: Option<&mut Folded>,
        cell: CellRef,
        value: Option<Value>,
    ) -> Result<(), Fallback> {
        match (value, folded) {
            (Some(Value::Number(n)), Some(folded)) => {
                folded.sum += n;
                folded.product *= n;
                folded.count += 1;
                folded.min = folded.min.min(n);
                folded.max = folded.max.max(n);
            }
            (Some(v @ (Value::Number(_) | Value::Error(_))), _) => {
                let reg = self.constant(&v);
                items.push(AggItem { reg, direct: false });
            }
            (Some(_), _) => {}
            (None, _) => {
                let reg = self.cell_regs.get(&cell).copied().ok_or(Fallback)?;
                items.push(AggItem { reg, direct: false });
            }
        }
        Ok(())
    }

    /// `SUMIF`, `SUMIFS`, `AVERAGEIF(S)`, `MAXIFS`, `MINIFS` whose criteria ranges and criteria
    /// do not vary: which cells match is decided once, at compile time, and the function
    /// becomes an aggregate of the matching cells of its value range (the ones that vary read
    /// per iteration). Anything else is interpreted.
    fn conditional_aggregate(&mut self, name: &str, args: &'wb [Expr]) -> L {
        let kind = match name {
            "SUMIF" | "SUMIFS" => AggKind::Sum,
            "AVERAGEIF" | "AVERAGEIFS" => AggKind::Average,
            "MAXIFS" => AggKind::Max,
            "MINIFS" => AggKind::Min,
            _ => return Err(Fallback),
        };
        let area = |l: Lowered| match l {
            Lowered::Area(a) => Ok(a),
            _ => Err(Fallback),
        };
        let (target, pairs): (Area, Vec<(Area, &'wb Expr)>) = if name.ends_with('S') {
            if args.len() < 3 || args.len().is_multiple_of(2) {
                return Err(Fallback);
            }
            let target = area(self.lower(&args[0])?)?;
            let mut pairs = Vec::new();
            for pair in args[1..].chunks(2) {
                let range = area(self.lower(&pair[0])?)?;
                if (range.rows(), range.cols()) != (target.rows(), target.cols()) {
                    return Err(Fallback);
                }
                pairs.push((range, &pair[1]));
            }
            (target, pairs)
        } else {
            let range = area(self.lower(&args[0])?)?;
            let target = match args.get(2) {
                None | Some(Expr::Missing) => range,
                Some(e) => {
                    let t = area(self.lower(e)?)?;
                    // The value range takes the shape of the criteria range from its corner.
                    Area { bottom: t.top + (range.bottom - range.top), right: t.left + (range.right - range.left), ..t }
                }
            };
            (target, vec![(range, &args[1])])
        };
        let mut criteria = Vec::with_capacity(pairs.len());
        for (range, e) in &pairs {
            if self.uncertain.intersects(range) {
                return Err(Fallback);
            }
            let c = match e {
                Expr::Missing => Value::Blank,
                e => match self.value(e)? {
                    Lowered::Const(Value::Array(_)) | Lowered::Val(_) | Lowered::Area(_) => return Err(Fallback),
                    Lowered::Const(v) => v,
                },
            };
            criteria.push((*range, Criterion::new(&c)));
        }
        let mut items = Vec::new();
        let mut folded = Folded::empty();
        for (cell, value) in self.area_cells(&target) {
            let (dr, dc) = (cell.row - target.top, cell.col - target.left);
            let matches = criteria.iter().all(|(range, criterion)| {
                let v = self.base.cell_value(CellRef::new(range.sheet, range.top + dr, range.left + dc));
                criterion.matches(&v)
            });
            if matches {
                self.aggregate_cell(&mut items, Some(&mut folded), cell, value)?;
            }
        }
        let dst = self.fresh();
        self.emit(Op::Aggregate { kind, items, folded, dst });
        Ok(Lowered::Val(dst))
    }

    /// `NPV(rate, values…)` or `IRR(values, [guess])`: the values in order, constants as
    /// constant registers.
    fn series(&mut self, kind: SeriesKind, args: &'wb [Expr]) -> L {
        let (scalar, values) = match kind {
            SeriesKind::Npv => (Some(&args[0]), &args[1..]),
            SeriesKind::Irr => match args.get(1) {
                None | Some(Expr::Missing) => (None, &args[..1]),
                Some(g) => (Some(g), &args[..1]),
            },
        };
        let scalar = match scalar {
            Some(e) => {
                let v = self.value(e)?;
                Some(self.reg_of(v))
            }
            None => None,
        };
        // IRR's values are a reference or an array (arrays are interpreted); NPV's may be
        // typed as arguments. The values keep their order: nothing is folded.
        let items = self.operand_items(values, None, kind == SeriesKind::Npv)?;
        let dst = self.fresh();
        self.emit(Op::Series { kind, scalar, items, dst });
        Ok(Lowered::Val(dst))
    }

    /// The cells of an area that hold something, row by row: a constant value, or `None` for
    /// an uncertain cell (read from its register).
    fn area_cells(&mut self, area: &Area) -> Vec<(CellRef, Option<Value>)> {
        let area = self.base.clip(area);
        let mut out: Vec<(CellRef, Option<Value>)> = Vec::new();
        let uncertain = self.uncertain.in_area(&area);
        if let Some(sheet) = self.wb.sheet(area.sheet) {
            let constants: Vec<CellRef> =
                sheet.cells_in(&area).map(|((r, c), _)| CellRef::new(area.sheet, r, c)).collect();
            for cell in constants {
                if !self.uncertain.contains(cell) {
                    let v = self.base.cell_value(cell);
                    out.push((cell, Some(v)));
                }
            }
        }
        out.extend(uncertain.into_iter().map(|c| (c, None)));
        out.sort_by_key(|(c, _)| (c.row, c.col));
        out
    }

    /// Lowers a distribution call (or `RAND`, `RANDBETWEEN`): an input whose sample the
    /// sampler writes, or, when its parameters vary, an operation computing the sample.
    fn sample(&mut self, call: &'wb Expr) -> Result<Reg, CompileError> {
        let Expr::Call { callee: Callee::Builtin(id), args } = call else {
            return Err(CompileError::Internal("sample of a non-call".into()));
        };
        let function = id.def().name;
        self.calls_in_cell += 1;
        let address = self.wb.cell_name(self.cell);
        let unnamed =
            if self.calls_in_cell == 1 { address.clone() } else { format!("{address}#{}", self.calls_in_cell) };
        let bad = |message: String| CompileError::InvalidDistribution { cell: address.clone(), message };
        match function {
            "RAND" | "RANDBETWEEN" => {
                let uniform = InputDistribution {
                    distribution: Distribution::Uniform { min: 0.0, max: 1.0 },
                    truncate: None,
                    shift: 0.0,
                    fixed: None,
                };
                let input = Input {
                    stream: stream_id(&unnamed),
                    name: unnamed,
                    cell: self.cell,
                    address: address.clone(),
                    origin: if function == "RAND" { InputOrigin::Rand } else { InputOrigin::RandBetween },
                    distribution: Some(uniform),
                };
                let u = self.add_input(input);
                if function == "RAND" {
                    return Ok(u);
                }
                let lo = self.value(&args[0]).map_err(|_| bad("RANDBETWEEN: bottom cannot be compiled".into()))?;
                let hi = self.value(&args[1]).map_err(|_| bad("RANDBETWEEN: top cannot be compiled".into()))?;
                let lo = self.reg_of(lo);
                let hi = self.reg_of(hi);
                let dst = self.fresh();
                self.emit(Op::Call { f: randbetween_from_uniform, name: "RANDBETWEEN", args: vec![lo, hi, u], dst });
                Ok(dst)
            }
            _ => {
                let cell = self.cell;
                // Parameters that vary per iteration make the distribution per lane.
                let varying = args.iter().any(|a| {
                    if matches!(a, Expr::Call { callee: Callee::Builtin(p), .. } if dist::is_property_function(p.def().name))
                    {
                        return false;
                    }
                    let mut areas = Vec::new();
                    referenced_areas(self.wb, cell.sheet, a, &mut areas);
                    let mut stochastic = false;
                    a.walk(&mut |x| stochastic |= is_stochastic(x).is_some());
                    stochastic || areas.iter().any(|ar| self.uncertain.intersects(ar))
                });
                let (params, properties) = self
                    .base
                    .in_cell(cell, false, |ev| dist::split_call(ev, args))
                    .map_err(|k| bad(format!("{function}: {k} in its parameters")))?;
                let name = properties.name.clone().unwrap_or(unnamed);
                if varying {
                    let mut regs = Vec::new();
                    for a in args.iter().filter(|a| {
                        !matches!(a, Expr::Call { callee: Callee::Builtin(p), .. } if dist::is_property_function(p.def().name))
                    }) {
                        let v = self.value(a).map_err(|_| {
                            bad(format!("{function}: parameters that vary per iteration must be single values"))
                        })?;
                        regs.push(self.reg_of(v));
                    }
                    let input = Input {
                        stream: stream_id(&name),
                        name,
                        cell,
                        address,
                        origin: InputOrigin::Function(function.to_owned()),
                        distribution: None,
                    };
                    let uniform = self.add_input(input);
                    let dst = self.fresh();
                    self.emit(Op::SampleVarying { function, params: regs, properties, uniform, dst });
                    if let Some(last) = self.input_samples.last_mut() {
                        *last = dst;
                    }
                    return Ok(dst);
                }
                let distribution = dist::from_call(function, &params, &properties).map_err(|e| bad(e.to_string()))?;
                let input = Input {
                    stream: stream_id(&name),
                    name,
                    cell,
                    address,
                    origin: InputOrigin::Function(function.to_owned()),
                    distribution: Some(distribution),
                };
                Ok(self.add_input(input))
            }
        }
    }

    /// Lowers one uncertain formula (its cell gets a tape value).
    pub(super) fn formula(&mut self, id: FormulaId, reads: &[Area]) -> Result<(), CompileError> {
        let f = self.wb.formula(id);
        self.cell = f.cell;
        self.calls_in_cell = 0;
        let start_ops = self.tape.ops.len();
        let start_inputs = self.inputs.len();
        let native = match (&f.expr, f.array) {
            (Ok(expr), None) => {
                match self.value(expr) {
                    Ok(l) => Some(l),
                    Err(Fallback) => {
                        // Undo the partial lowering (its inputs too: they are lowered again for
                        // the interpreted formula, with the same identities).
                        self.tape.ops.truncate(start_ops);
                        self.inputs.truncate(start_inputs);
                        self.tape.sampled.truncate(start_inputs);
                        self.input_samples.truncate(start_inputs);
                        None
                    }
                }
            }
            _ => None,
        };
        if let Some(l) = native {
            let reg = match l {
                Lowered::Const(v) => {
                    let v = if matches!(v, Value::Blank) { Value::Number(0.0) } else { v };
                    self.constant(&v)
                }
                l => {
                    let r = self.reg_of(l);
                    if self.may_blank[r as usize] {
                        let dst = self.fresh();
                        self.emit(Op::BlankToZero { a: r, dst });
                        dst
                    } else {
                        r
                    }
                }
            };
            self.cell_regs.insert(f.cell, reg);
            self.native += 1;
            return Ok(());
        }
        // Interpreted: the uncertain cells it reads, and its distribution calls.
        self.interpreted += 1;
        self.calls_in_cell = 0;
        let mut cells = Vec::new();
        for area in reads {
            for cell in self.uncertain.in_area(area) {
                if let Some(r) = self.cell_regs.get(&cell) {
                    cells.push((cell, *r));
                }
            }
        }
        cells.sort_by_key(|(c, _)| *c);
        cells.dedup();
        let mut calls = Vec::new();
        if let Ok(expr) = &f.expr {
            let mut found = Vec::new();
            expr.walk(&mut |x| {
                if is_stochastic(x).is_some() {
                    found.push(x);
                }
            });
            for call in found {
                let r = self.sample(call)?;
                calls.push((call as *const Expr as usize, r));
            }
        }
        let mut dsts = Vec::new();
        match f.array {
            Some(area) => {
                for r in area.top..=area.bottom {
                    for c in area.left..=area.right {
                        let reg = self.fresh();
                        dsts.push((r - area.top, c - area.left, reg));
                        self.cell_regs.insert(CellRef::new(area.sheet, r, c), reg);
                    }
                }
            }
            None => {
                let reg = self.fresh();
                dsts.push((0, 0, reg));
                self.cell_regs.insert(f.cell, reg);
            }
        }
        self.emit(Op::Interpret { formula: id, cells, calls, dsts });
        Ok(())
    }

    /// The tape value of a cell for an output: its register, or its constant value.
    pub(super) fn output(&mut self, cell: CellRef) -> Reg {
        match self.cell_regs.get(&cell) {
            Some(r) => *r,
            None => {
                let v = match self.wb.cell(cell) {
                    Some(CellContent::Value(v)) => v.clone(),
                    _ => self.base.cell_value(cell),
                };
                let v = if matches!(v, Value::Blank) { Value::Number(0.0) } else { v };
                self.constant(&v)
            }
        }
    }
}

fn unary_const(op: UnaryOp, v: Value) -> Value {
    let n = match (op, &v) {
        (UnaryOp::Plus, _) => return v,
        (_, v) => v.to_number(),
    };
    match (op, n) {
        (UnaryOp::Neg, Ok(n)) => Value::number(-n),
        (UnaryOp::Percent, Ok(n)) => Value::number(n / 100.0),
        (_, Err(k)) => Value::Error(k),
        (UnaryOp::Plus, Ok(n)) => Value::number(n),
    }
}

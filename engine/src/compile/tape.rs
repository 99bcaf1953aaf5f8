//! The compiled form of the uncertain part of a workbook: a tape of operations over
//! registers, each register a vector of lanes (one lane per iteration of a batch).
//!
//! The compiler emits operations on *values* (single assignment); [`Tape::allocate`] then maps
//! values to physical registers by liveness, so that a register is reused once its value is
//! dead. A destination never shares a register with the operands of its own operation, which
//! lets every kernel borrow its operands and its destination separately.

use std::sync::Arc;

use crate::address::CellRef;
use crate::functions::ScalarFn;
use crate::parse::{BinaryOp, UnaryOp};
use crate::workbook::FormulaId;

/// A value of the tape (before allocation) or a physical register (after).
pub type Reg = u32;

/// What an aggregate computes. All read their operands as `SUM` does: numbers in ranges
/// (text, booleans and blanks skipped), typed arguments converted, the first error propagated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKind {
    /// `SUM`
    Sum,
    /// `PRODUCT`
    Product,
    /// `MIN`
    Min,
    /// `MAX`
    Max,
    /// `AVERAGE`
    Average,
}

/// A function of a list of numbers read like an aggregate's operands, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesKind {
    /// `NPV(rate, values…)`: the scalar is the rate.
    Npv,
    /// `IRR(values, [guess])`: the scalar is the guess (0.1 when absent).
    Irr,
}

/// One operand of an aggregate: read like a cell of a range, or like a typed argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggItem {
    /// The value.
    pub reg: Reg,
    /// Typed directly as an argument (text and booleans convert) rather than found in a range
    /// (text and booleans are skipped).
    pub direct: bool,
}

/// Constant numbers of an aggregate's ranges, folded at compile time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Folded {
    /// Their sum.
    pub sum: f64,
    /// Their product.
    pub product: f64,
    /// How many.
    pub count: u32,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Folded {
    /// Nothing folded yet.
    pub fn empty() -> Folded {
        Folded { sum: 0.0, product: 1.0, count: 0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

/// An operation of the tape.
#[derive(Clone, Debug)]
pub enum Op {
    /// `dst = a op b` with Excel's rules (arithmetic, comparison, `&`).
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        a: Reg,
        /// Right operand.
        b: Reg,
        /// Result.
        dst: Reg,
    },
    /// `dst = a op k` (or `k op a`) with a number known at compile time: no register of copies
    /// of `k` to read.
    BinaryScalar {
        /// The operator.
        op: BinaryOp,
        /// The operand that varies.
        a: Reg,
        /// The constant operand.
        k: f64,
        /// The constant is the left operand.
        scalar_left: bool,
        /// Result.
        dst: Reg,
    },
    /// `dst = -a`, `+a`, `a%`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Operand.
        a: Reg,
        /// Result.
        dst: Reg,
    },
    /// `dst = f(args…)`, an Excel scalar function applied lane by lane.
    Call {
        /// The function.
        f: ScalarFn,
        /// Its name (for profiles and messages).
        name: &'static str,
        /// Arguments.
        args: Vec<Reg>,
        /// Result.
        dst: Reg,
    },
    /// `dst = IF(cond, then, otherwise)`.
    Select {
        /// Condition.
        cond: Reg,
        /// Value when TRUE.
        then: Reg,
        /// Value when FALSE.
        otherwise: Reg,
        /// Result.
        dst: Reg,
    },
    /// `dst = CHOOSE(index, options…)`.
    Choose {
        /// 1-based index.
        index: Reg,
        /// The options.
        options: Vec<Reg>,
        /// Result.
        dst: Reg,
    },
    /// `dst = IFERROR(value, alt)` or `IFNA`.
    IfError {
        /// The value tested.
        value: Reg,
        /// The replacement.
        alt: Reg,
        /// Only `#N/A` is replaced (`IFNA`).
        na_only: bool,
        /// Result.
        dst: Reg,
    },
    /// An aggregate over registers and folded constants.
    Aggregate {
        /// What it computes.
        kind: AggKind,
        /// Operands, in argument order.
        items: Vec<AggItem>,
        /// Constant numbers folded at compile time.
        folded: Folded,
        /// Result.
        dst: Reg,
    },
    /// `NPV` or `IRR` of registers (constants included, in order).
    Series {
        /// What it computes.
        kind: SeriesKind,
        /// The rate or guess.
        scalar: Option<Reg>,
        /// The values, in order.
        items: Vec<AggItem>,
        /// Result.
        dst: Reg,
    },
    /// A formula's result: a blank becomes 0.
    BlankToZero {
        /// Operand.
        a: Reg,
        /// Result.
        dst: Reg,
    },
    /// A sample of a distribution whose parameters vary per iteration.
    SampleVarying {
        /// The distribution function (`RISKNORMAL`…).
        function: &'static str,
        /// Its parameters.
        params: Vec<Reg>,
        /// Truncation, shift and static value, as written in the call.
        properties: crate::sampling::Properties,
        /// The uniform of the input.
        uniform: Reg,
        /// Result.
        dst: Reg,
    },
    /// A formula the compiler does not turn into vector operations, computed lane by lane by
    /// the scalar evaluator with the lane's values of the uncertain cells and calls it reads.
    Interpret {
        /// The formula.
        formula: FormulaId,
        /// Uncertain cells it reads, with their values.
        cells: Vec<(CellRef, Reg)>,
        /// Distribution calls inside it (by the address of their expression node), with their
        /// samples.
        calls: Vec<(usize, Reg)>,
        /// Where its results go: (row offset, column offset) in its range → register.
        dsts: Vec<(u32, u32, Reg)>,
    },
}

impl Op {
    /// The values the operation reads.
    pub fn sources(&self) -> Vec<Reg> {
        match self {
            Op::Binary { a, b, .. } => vec![*a, *b],
            Op::Unary { a, .. } | Op::BinaryScalar { a, .. } | Op::BlankToZero { a, .. } => vec![*a],
            Op::Call { args, .. } => args.clone(),
            Op::Select { cond, then, otherwise, .. } => vec![*cond, *then, *otherwise],
            Op::Choose { index, options, .. } => std::iter::once(*index).chain(options.iter().copied()).collect(),
            Op::IfError { value, alt, .. } => vec![*value, *alt],
            Op::Aggregate { items, .. } => items.iter().map(|i| i.reg).collect(),
            Op::Series { scalar, items, .. } => scalar.iter().copied().chain(items.iter().map(|i| i.reg)).collect(),
            Op::SampleVarying { params, uniform, .. } => params.iter().copied().chain([*uniform]).collect(),
            Op::Interpret { cells, calls, .. } => {
                cells.iter().map(|(_, r)| *r).chain(calls.iter().map(|(_, r)| *r)).collect()
            }
        }
    }

    /// The values the operation writes.
    pub fn destinations(&self) -> Vec<Reg> {
        match self {
            Op::Binary { dst, .. }
            | Op::BinaryScalar { dst, .. }
            | Op::Unary { dst, .. }
            | Op::Call { dst, .. }
            | Op::Select { dst, .. }
            | Op::Choose { dst, .. }
            | Op::IfError { dst, .. }
            | Op::Aggregate { dst, .. }
            | Op::Series { dst, .. }
            | Op::BlankToZero { dst, .. }
            | Op::SampleVarying { dst, .. } => vec![*dst],
            Op::Interpret { dsts, .. } => dsts.iter().map(|(_, _, r)| *r).collect(),
        }
    }

    fn rename(&mut self, map: &[Reg]) {
        let m = |r: &mut Reg| *r = map[*r as usize];
        match self {
            Op::Binary { a, b, dst, .. } => {
                m(a);
                m(b);
                m(dst);
            }
            Op::Unary { a, dst, .. } | Op::BinaryScalar { a, dst, .. } | Op::BlankToZero { a, dst } => {
                m(a);
                m(dst);
            }
            Op::Call { args, dst, .. } => {
                args.iter_mut().for_each(m);
                m(dst);
            }
            Op::Select { cond, then, otherwise, dst } => {
                m(cond);
                m(then);
                m(otherwise);
                m(dst);
            }
            Op::Choose { index, options, dst } => {
                m(index);
                options.iter_mut().for_each(m);
                m(dst);
            }
            Op::IfError { value, alt, dst, .. } => {
                m(value);
                m(alt);
                m(dst);
            }
            Op::Aggregate { items, dst, .. } => {
                items.iter_mut().for_each(|i| m(&mut i.reg));
                m(dst);
            }
            Op::Series { scalar, items, dst, .. } => {
                scalar.iter_mut().for_each(m);
                items.iter_mut().for_each(|i| m(&mut i.reg));
                m(dst);
            }
            Op::SampleVarying { params, uniform, dst, .. } => {
                params.iter_mut().for_each(m);
                m(uniform);
                m(dst);
            }
            Op::Interpret { cells, calls, dsts, .. } => {
                cells.iter_mut().for_each(|(_, r)| m(r));
                calls.iter_mut().for_each(|(_, r)| m(r));
                dsts.iter_mut().for_each(|(_, _, r)| m(r));
            }
        }
    }
}

/// The tape: constants, operations, and the values that must survive to the end.
#[derive(Clone, Debug, Default)]
pub struct Tape {
    /// Values with a constant lane value, filled once per thread.
    pub constants: Vec<(Reg, f64)>,
    /// Values the sampler writes before the operations run (one per input).
    pub sampled: Vec<Reg>,
    /// The operations, in order.
    pub ops: Vec<Op>,
    /// Values read after the operations (outputs, recorded input samples).
    pub results: Vec<Reg>,
    /// Number of registers (after allocation) or of values (before).
    pub registers: u32,
    /// Strings known at compile time (text lanes index them).
    pub strings: Vec<Arc<str>>,
}

impl Tape {
    /// Maps values to registers by liveness. Constants, sampled values and results keep a
    /// register of their own for the whole run; every other register is reused once its
    /// value is dead, never as the destination of an operation that reads it.
    pub fn allocate(&mut self) {
        let n = self.registers as usize;
        const NEVER: usize = usize::MAX;
        let mut last_use = vec![NEVER; n];
        for (i, op) in self.ops.iter().enumerate() {
            for r in op.sources() {
                last_use[r as usize] = i;
            }
        }
        // Constants nothing reads (left by formulas that fell back to interpretation) are
        // dropped.
        let mut used: Vec<bool> = last_use.iter().map(|&u| u != NEVER).collect();
        for &r in &self.results {
            used[r as usize] = true;
        }
        self.constants.retain(|(r, _)| used[*r as usize]);
        let mut pinned = vec![false; n];
        for r in self
            .constants
            .iter()
            .map(|(r, _)| *r)
            .chain(self.sampled.iter().copied())
            .chain(self.results.iter().copied())
        {
            pinned[r as usize] = true;
        }
        let mut map: Vec<Reg> = vec![Reg::MAX; n];
        let mut next: Reg = 0;
        let mut free: Vec<Reg> = Vec::new();
        let mut fresh = |map: &mut Vec<Reg>, v: Reg, free: &mut Vec<Reg>, pinned: bool| {
            if map[v as usize] != Reg::MAX {
                return;
            }
            let r = if pinned { None } else { free.pop() };
            map[v as usize] = r.unwrap_or_else(|| {
                next += 1;
                next - 1
            });
        };
        for &(v, _) in &self.constants {
            fresh(&mut map, v, &mut free, true);
        }
        for &v in &self.sampled {
            fresh(&mut map, v, &mut free, true);
        }
        for (i, op) in self.ops.iter().enumerate() {
            for d in op.destinations() {
                fresh(&mut map, d, &mut free, pinned[d as usize]);
                // A value written but never read (and not a result) dies at once.
                if last_use[d as usize] == NEVER && !pinned[d as usize] {
                    last_use[d as usize] = i;
                }
            }
            let mut dying: Vec<Reg> = op.sources();
            dying.extend(op.destinations());
            dying.sort_unstable();
            dying.dedup();
            for v in dying {
                if last_use[v as usize] == i && !pinned[v as usize] && map[v as usize] != Reg::MAX {
                    free.push(map[v as usize]);
                }
            }
        }
        // A value read but never defined (a compiler bug) still gets a register of its own.
        for v in 0..n as Reg {
            if used[v as usize] {
                fresh(&mut map, v, &mut free, true);
            }
        }
        for op in &mut self.ops {
            op.rename(&map);
        }
        for (r, _) in &mut self.constants {
            *r = map[*r as usize];
        }
        for r in self.sampled.iter_mut().chain(self.results.iter_mut()) {
            *r = map[*r as usize];
        }
        self.registers = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_are_reused_but_never_as_their_own_destination() {
        // v0, v1 sampled; v2 = v0+v1; v3 = v2*v0; v4 = v3-v2 (result)
        let mut t = Tape {
            sampled: vec![0, 1],
            ops: vec![
                Op::Binary { op: BinaryOp::Add, a: 0, b: 1, dst: 2 },
                Op::Binary { op: BinaryOp::Mul, a: 2, b: 0, dst: 3 },
                Op::Binary { op: BinaryOp::Sub, a: 3, b: 2, dst: 4 },
                Op::Binary { op: BinaryOp::Add, a: 4, b: 4, dst: 5 },
                Op::Binary { op: BinaryOp::Add, a: 5, b: 5, dst: 6 },
            ],
            results: vec![6],
            registers: 7,
            ..Tape::default()
        };
        t.allocate();
        for op in &t.ops {
            let srcs = op.sources();
            for d in op.destinations() {
                assert!(!srcs.contains(&d), "{op:?}");
            }
        }
        assert!(t.registers < 7, "{}", t.registers);
    }
}

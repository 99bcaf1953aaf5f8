//! The operations of the tape over a batch of lanes.
//!
//! Each kernel has a fast path for lanes that hold numbers, written as plain loops over
//! slices so the compiler vectorises them, and falls back to Excel's full semantics (through
//! [`Value`]) for the lanes that hold anything else — the two always agree.

use std::cmp::Ordering;

use crate::compile::boxing::{self, Lane, Strings};
use crate::compile::tape::{AggItem, AggKind, Folded, Op, Reg, SeriesKind};
use crate::eval::{Evaluator, FormulaResult, binary_values};
use crate::functions::financial::{IRR_EPSILON, IRR_MAX_ITERATIONS, irr_of, npv_of};
use crate::parse::{BinaryOp, UnaryOp};
use crate::sampling::functions as dist;
use crate::value::{ErrorKind, Value, compare_numbers};

/// The registers of a batch: `registers × lanes` values, register-major.
pub(super) struct Registers {
    pub(super) data: Vec<f64>,
    pub(super) lanes: usize,
}

/// Borrows the destination register mutably and every other register immutably.
struct Split<'r> {
    before: &'r [f64],
    after: &'r [f64],
    dst: usize,
    lanes: usize,
}

impl Split<'_> {
    fn get(&self, r: Reg) -> &[f64] {
        let r = r as usize;
        let l = self.lanes;
        if r < self.dst {
            &self.before[r * l..(r + 1) * l]
        } else {
            &self.after[(r - self.dst - 1) * l..(r - self.dst) * l]
        }
    }
}

impl Registers {
    pub(super) fn new(registers: usize, lanes: usize) -> Registers {
        Registers { data: vec![0.0; registers * lanes], lanes }
    }

    pub(super) fn get(&self, r: Reg) -> &[f64] {
        let l = self.lanes;
        &self.data[r as usize * l..(r as usize + 1) * l]
    }

    pub(super) fn get_mut(&mut self, r: Reg) -> &mut [f64] {
        let l = self.lanes;
        &mut self.data[r as usize * l..(r as usize + 1) * l]
    }

    fn split(&mut self, dst: Reg) -> (Split<'_>, &mut [f64]) {
        let l = self.lanes;
        let d = dst as usize;
        let (before, rest) = self.data.split_at_mut(d * l);
        let (dst_slice, after) = rest.split_at_mut(l);
        (Split { before, after, dst: d, lanes: l }, dst_slice)
    }
}

/// Per-thread state the kernels need.
pub(super) struct Context<'wb> {
    pub(super) strings: Strings,
    pub(super) ev: Evaluator<'wb>,
    args: Vec<Value>,
    numbers: Vec<f64>,
    /// Per-operation working memory (reused from batch to batch).
    scratch: Vec<f64>,
}

impl<'wb> Context<'wb> {
    pub(super) fn new(strings: Strings, ev: Evaluator<'wb>) -> Self {
        Context { strings, ev, args: Vec::new(), numbers: Vec::new(), scratch: Vec::new() }
    }
}

fn slow_binary(op: BinaryOp, x: f64, y: f64, strings: &mut Strings) -> f64 {
    let a = boxing::to_value(x, strings);
    let b = boxing::to_value(y, strings);
    boxing::from_value(&binary_values(op, &a, &b), strings)
}

/// Excel's order of two numbers (equal at 15 significant digits), quickly when they are far
/// apart.
#[inline]
fn order(a: f64, b: f64) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let scale = a.abs().max(b.abs());
    if (a - b).abs() > 1e-13 * scale {
        return if a < b { Ordering::Less } else { Ordering::Greater };
    }
    compare_numbers(a, b)
}

fn truth(x: f64, strings: &Strings) -> Result<bool, ErrorKind> {
    match boxing::unbox(x) {
        Lane::Number(n) => Ok(n != 0.0),
        Lane::Bool(b) => Ok(b),
        Lane::Blank => Ok(false),
        Lane::Error(e) => Err(e),
        Lane::Text(id) => Value::Text(strings.get(id)).to_bool(),
    }
}

/// An operand of a binary operation: a register's lanes, or one number for every lane.
#[derive(Clone, Copy)]
enum Side<'r> {
    Lanes(&'r [f64]),
    Scalar(f64),
}

impl Side<'_> {
    #[inline]
    fn at(self, i: usize) -> f64 {
        match self {
            Side::Lanes(x) => x[i],
            Side::Scalar(k) => k,
        }
    }
}

/// `d[i] = f(l[i], r[i])` as a plain loop for each shape of operands (so it vectorises).
#[inline]
fn zip_with(d: &mut [f64], l: Side<'_>, r: Side<'_>, f: impl Fn(f64, f64) -> f64) {
    match (l, r) {
        (Side::Lanes(x), Side::Lanes(y)) => d.iter_mut().zip(x.iter().zip(y)).for_each(|(d, (x, y))| *d = f(*x, *y)),
        (Side::Lanes(x), Side::Scalar(k)) => d.iter_mut().zip(x).for_each(|(d, x)| *d = f(*x, k)),
        (Side::Scalar(k), Side::Lanes(y)) => d.iter_mut().zip(y).for_each(|(d, y)| *d = f(k, *y)),
        (Side::Scalar(k), Side::Scalar(m)) => d.fill(f(k, m)),
    }
}

/// Are all lanes finite numbers (no boxed value, no infinity)? A branch-free reduction (an OR,
/// which the compiler vectorises, unlike a sum of floats or a short-circuiting search).
#[inline]
fn all_finite(xs: &[f64]) -> bool {
    !xs.iter().fold(false, |acc, x| acc | !x.is_finite())
}

/// `d = l op r` lane by lane with Excel's rules: arithmetic on numbers as vector loops, the
/// lanes that are not finite numbers redone through [`Value`].
#[inline(always)]
fn binary(op: BinaryOp, l: Side<'_>, r: Side<'_>, d: &mut [f64], strings: &mut Strings) {
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
            match op {
                BinaryOp::Add => zip_with(d, l, r, |x, y| x + y),
                BinaryOp::Sub => zip_with(d, l, r, |x, y| x - y),
                BinaryOp::Mul => zip_with(d, l, r, |x, y| x * y),
                _ => zip_with(d, l, r, |x, y| x / y),
            }
            if !all_finite(d) {
                for (i, d) in d.iter_mut().enumerate() {
                    if !d.is_finite() {
                        *d = slow_binary(op, l.at(i), r.at(i), strings);
                    }
                }
            }
        }
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            for (i, d) in d.iter_mut().enumerate() {
                let (x, y) = (l.at(i), r.at(i));
                *d = if x.is_finite() && y.is_finite() {
                    let o = order(x, y);
                    boxing::boolean(match op {
                        BinaryOp::Eq => o == Ordering::Equal,
                        BinaryOp::Ne => o != Ordering::Equal,
                        BinaryOp::Lt => o == Ordering::Less,
                        BinaryOp::Le => o != Ordering::Greater,
                        BinaryOp::Gt => o == Ordering::Greater,
                        _ => o != Ordering::Less,
                    })
                } else {
                    slow_binary(op, x, y, strings)
                };
            }
        }
        _ => {
            for (i, d) in d.iter_mut().enumerate() {
                *d = slow_binary(op, l.at(i), r.at(i), strings);
            }
        }
    }
}

/// Runs one operation on lanes `0..n`.
#[inline(always)]
pub(super) fn execute(op: &Op, regs: &mut Registers, n: usize, cx: &mut Context<'_>) {
    match op {
        Op::Binary { op, a, b, dst } => {
            let (s, d) = regs.split(*dst);
            let (a, b) = (Side::Lanes(&s.get(*a)[..n]), Side::Lanes(&s.get(*b)[..n]));
            binary(*op, a, b, &mut d[..n], &mut cx.strings);
        }
        Op::BinaryScalar { op, a, k, scalar_left, dst } => {
            let (s, d) = regs.split(*dst);
            let (a, k) = (Side::Lanes(&s.get(*a)[..n]), Side::Scalar(*k));
            let (l, r) = if *scalar_left { (k, a) } else { (a, k) };
            binary(*op, l, r, &mut d[..n], &mut cx.strings);
        }
        Op::Unary { op, a, dst } => {
            let (s, d) = regs.split(*dst);
            let a = &s.get(*a)[..n];
            for i in 0..n {
                let x = a[i];
                d[i] = match (op, x.is_finite()) {
                    (UnaryOp::Neg, true) => -x,
                    (UnaryOp::Percent, true) => x / 100.0,
                    (UnaryOp::Plus, _) => x,
                    _ => {
                        let v = boxing::to_value(x, &cx.strings);
                        let r = match op {
                            UnaryOp::Neg => v.to_number().map(|n| -n),
                            _ => v.to_number().map(|n| n / 100.0),
                        };
                        boxing::from_value(&Value::from(r), &mut cx.strings)
                    }
                };
            }
        }
        Op::Call { f, args, dst, .. } => {
            let (s, d) = regs.split(*dst);
            let srcs: Vec<&[f64]> = args.iter().map(|r| s.get(*r)).collect();
            for (i, d) in d[..n].iter_mut().enumerate() {
                lane_values(&srcs, i, &mut cx.args, &cx.strings);
                let v = f(&cx.args).unwrap_or_else(Value::Error);
                *d = boxing::from_value(&v, &mut cx.strings);
            }
        }
        Op::Select { cond, then, otherwise, dst } => {
            let (s, d) = regs.split(*dst);
            let (c, t, o) = (s.get(*cond), s.get(*then), s.get(*otherwise));
            for i in 0..n {
                d[i] = match truth(c[i], &cx.strings) {
                    Ok(true) => t[i],
                    Ok(false) => o[i],
                    Err(e) => boxing::error(e),
                };
            }
        }
        Op::Choose { index, options, dst } => {
            let (s, d) = regs.split(*dst);
            let idx = s.get(*index);
            for i in 0..n {
                let k = boxing::to_value(idx[i], &cx.strings).to_number();
                d[i] = match k {
                    Ok(k) if k >= 1.0 && (k.trunc() as usize) <= options.len() => {
                        s.get(options[k.trunc() as usize - 1])[i]
                    }
                    Ok(_) => boxing::error(ErrorKind::Value),
                    Err(e) => boxing::error(e),
                };
            }
        }
        Op::IfError { value, alt, na_only, dst } => {
            let (s, d) = regs.split(*dst);
            let (v, a) = (s.get(*value), s.get(*alt));
            for i in 0..n {
                let x = v[i];
                d[i] = if x.is_finite() {
                    x
                } else {
                    match boxing::unbox(x) {
                        Lane::Error(ErrorKind::NA) => a[i],
                        Lane::Error(_) if !na_only => a[i],
                        _ => x,
                    }
                };
            }
        }
        Op::BlankToZero { a, dst } => {
            let (s, d) = regs.split(*dst);
            let a = s.get(*a);
            for i in 0..n {
                d[i] = if boxing::unbox(a[i]) == Lane::Blank { 0.0 } else { a[i] };
            }
        }
        Op::Aggregate { kind, items, folded, dst } => {
            let (s, d) = regs.split(*dst);
            let d = &mut d[..n];
            let srcs = operands(&s, items, n);
            if srcs.is_empty() {
                for (i, d) in d.iter_mut().enumerate() {
                    *d = aggregate(*kind, folded, &srcs, i, &cx.strings);
                }
                return;
            }
            // Fast path, item by item over all lanes (the same operations in the same order
            // as the lane-by-lane path, so the same bits); a lane where any operand is not a
            // number, or the result is not finite, is redone by the lane-by-lane path.
            let check = &mut cx.scratch;
            check.clear();
            check.resize(n, 0.0);
            let start = match kind {
                AggKind::Sum | AggKind::Average => folded.sum,
                AggKind::Product => folded.product,
                AggKind::Min => folded.min,
                AggKind::Max => folded.max,
            };
            d.fill(start);
            for (x, _) in &srcs {
                match kind {
                    AggKind::Sum | AggKind::Average => d.iter_mut().zip(*x).for_each(|(d, x)| *d += x),
                    AggKind::Product => d.iter_mut().zip(*x).for_each(|(d, x)| *d *= x),
                    AggKind::Min => d.iter_mut().zip(*x).for_each(|(d, x)| *d = d.min(*x)),
                    AggKind::Max => d.iter_mut().zip(*x).for_each(|(d, x)| *d = d.max(*x)),
                }
                // NaN (a boxed value) or an infinity in any operand makes the check NaN.
                check.iter_mut().zip(*x).for_each(|(c, x)| *c += x * 0.0);
            }
            if *kind == AggKind::Average {
                let count = folded.count as f64 + srcs.len() as f64;
                d.iter_mut().for_each(|x| *x /= count);
            }
            if !all_finite(check) || !all_finite(d) {
                for i in 0..n {
                    if check[i].is_nan() || !d[i].is_finite() {
                        d[i] = aggregate(*kind, folded, &srcs, i, &cx.strings);
                    }
                }
            }
        }
        Op::Series { kind, scalar, items, dst } => {
            let (s, d) = regs.split(*dst);
            let srcs = operands(&s, items, n);
            let scalar = scalar.map(|r| &s.get(r)[..n]);
            let d = &mut d[..n];
            // Lanes of numbers several at a time; the others (and any a fast path leaves) one
            // by one with Excel's full rules.
            let fast = match kind {
                SeriesKind::Npv => npv_lanes(scalar, &srcs, d, &mut cx.scratch),
                SeriesKind::Irr => irr_lanes(scalar, &srcs, d),
            };
            for i in (0..n).filter(|&i| !fast[i]) {
                d[i] = series(*kind, scalar.map(|x| x[i]), &srcs, i, &mut cx.numbers, &cx.strings);
            }
        }
        Op::SampleVarying { function, params, properties, uniform, dst } => {
            let (s, d) = regs.split(*dst);
            let srcs: Vec<&[f64]> = params.iter().map(|r| s.get(*r)).collect();
            let u = s.get(*uniform);
            for i in 0..n {
                lane_values(&srcs, i, &mut cx.args, &cx.strings);
                d[i] = match dist::from_call(function, &cx.args, properties) {
                    Ok(distribution) => distribution.quantile(u[i]),
                    Err(_) => boxing::error(ErrorKind::Num),
                };
            }
        }
        Op::Interpret { formula, cells, calls, dsts } => {
            let out = &mut cx.scratch;
            out.clear();
            out.resize(dsts.len() * n, 0.0);
            for i in 0..n {
                for (cell, r) in cells {
                    let v = boxing::to_value(regs.get(*r)[i], &cx.strings);
                    cx.ev.set_overlay_cell(*cell, v);
                }
                for (call, r) in calls {
                    let v = boxing::to_value(regs.get(*r)[i], &cx.strings);
                    cx.ev.set_overlay_call_address(*call, v);
                }
                let result = cx.ev.compute_formula(*formula);
                for (k, (dr, dc, _)) in dsts.iter().enumerate() {
                    let v = match &result {
                        FormulaResult::Scalar(v) => v.clone(),
                        FormulaResult::Array(a) => a.get_broadcast(*dr as usize, *dc as usize),
                    };
                    out[k * n + i] = boxing::from_value(&v, &mut cx.strings);
                }
            }
            cx.ev.clear_overlay();
            for (k, (_, _, r)) in dsts.iter().enumerate() {
                regs.get_mut(*r)[..n].copy_from_slice(&out[k * n..(k + 1) * n]);
            }
        }
    }
}

/// Lane `i` of each source, as values.
fn lane_values(srcs: &[&[f64]], i: usize, out: &mut Vec<Value>, strings: &Strings) {
    out.clear();
    out.extend(srcs.iter().map(|src| boxing::to_value(src[i], strings)));
}

/// The first `n` lanes of an aggregate's operands, with how each is read.
fn operands<'r>(s: &'r Split<'_>, items: &[AggItem], n: usize) -> Vec<(&'r [f64], bool)> {
    items.iter().map(|AggItem { reg, direct }| (&s.get(*reg)[..n], *direct)).collect()
}

/// A lane of an aggregate's operand as a number: `None` where it is skipped (text, booleans
/// and blanks found in ranges).
#[inline]
fn operand_number(x: f64, direct: bool, strings: &Strings) -> Result<Option<f64>, ErrorKind> {
    if x.is_finite() {
        return Ok(Some(x));
    }
    match boxing::unbox(x) {
        Lane::Number(n) => Ok(Some(n)),
        Lane::Error(e) => Err(e),
        Lane::Blank if direct => Ok(Some(0.0)),
        Lane::Bool(b) if direct => Ok(Some(f64::from(u8::from(b)))),
        Lane::Text(id) if direct => Value::Text(strings.get(id)).to_number().map(Some),
        _ => Ok(None),
    }
}

/// One lane of `NPV` or `IRR`.
fn series(
    kind: SeriesKind,
    scalar: Option<f64>,
    srcs: &[(&[f64], bool)],
    i: usize,
    numbers: &mut Vec<f64>,
    strings: &Strings,
) -> f64 {
    let mut lane = || -> Result<f64, ErrorKind> {
        let scalar = match scalar {
            Some(x) if x.is_finite() => Some(x),
            Some(x) => Some(boxing::to_value(x, strings).to_number()?),
            None => None,
        };
        numbers.clear();
        for (src, direct) in srcs {
            if let Some(n) = operand_number(src[i], *direct, strings)? {
                numbers.push(n);
            }
        }
        match kind {
            SeriesKind::Npv => npv_of(scalar.unwrap_or(0.0), numbers),
            SeriesKind::Irr => irr_of(numbers, scalar.unwrap_or(0.1)),
        }
    };
    match lane() {
        Ok(r) if r.is_finite() => r,
        Ok(_) => boxing::error(ErrorKind::Num),
        Err(e) => boxing::error(e),
    }
}

/// Is lane `i` of every operand, and of the rate or guess, a finite number (so read as
/// itself, whether typed or found in a range)?
#[inline(always)]
fn numbers_only(scalar: Option<&[f64]>, srcs: &[(&[f64], bool)], i: usize) -> bool {
    scalar.is_none_or(|x| x[i].is_finite()) && srcs.iter().all(|(x, _)| x[i].is_finite())
}

/// `NPV` over all lanes as vector loops: the operations of [`npv_of`] in the same order.
/// Returns which lanes it computed: those whose operands are finite numbers, rate not −1, and
/// result finite.
#[inline(always)]
fn npv_lanes(rate: Option<&[f64]>, srcs: &[(&[f64], bool)], d: &mut [f64], factor: &mut Vec<f64>) -> Vec<bool> {
    let n = d.len();
    let rate_at = |i: usize| rate.map_or(0.0, |r| r[i]);
    factor.clear();
    factor.resize(n, 1.0);
    d.fill(0.0);
    // Every slice cut to `n` lanes and the rate's presence decided outside the loop, so that
    // the loop has no bounds check or branch and runs several lanes at a time.
    let factor = &mut factor[..n];
    for (c, _) in srcs {
        let c = &c[..n];
        match rate {
            Some(r) => {
                let r = &r[..n];
                for i in 0..n {
                    factor[i] *= 1.0 + r[i];
                    d[i] += c[i] / factor[i];
                }
            }
            None => {
                for i in 0..n {
                    d[i] += c[i] / factor[i];
                }
            }
        }
    }
    (0..n).map(|i| d[i].is_finite() && rate_at(i) != -1.0 && numbers_only(rate, srcs, i)).collect()
}

/// Lanes of `IRR` computed together.
const IRR_LANES: usize = 8;

/// `IRR` of groups of [`IRR_LANES`] lanes at once: Newton's method of [`irr_of`] on the
/// discount factor, the same operations in the same order for each lane, a lane stopping when
/// it converges or fails. Returns which lanes it computed (whole groups whose operands are
/// finite numbers and guesses above −1).
#[inline(always)]
fn irr_lanes(guess: Option<&[f64]>, srcs: &[(&[f64], bool)], d: &mut [f64]) -> Vec<bool> {
    const W: usize = IRR_LANES;
    let n = d.len();
    let mut done = vec![false; n];
    let guess_at = |i: usize| guess.map_or(0.1, |g| g[i]);
    for base in (0..n / W).map(|g| g * W) {
        let lanes = base..base + W;
        if !lanes.clone().all(|i| numbers_only(guess, srcs, i) && guess_at(i) > -1.0) {
            continue;
        }
        let mut x = [0.0; W];
        let mut active = [false; W];
        for l in 0..W {
            let i = base + l;
            let (mut pos, mut neg) = (false, false);
            for (c, _) in srcs {
                pos |= c[i] > 0.0;
                neg |= c[i] < 0.0;
            }
            active[l] = pos && neg;
            x[l] = 1.0 / (1.0 + guess_at(i));
            d[i] = boxing::error(ErrorKind::Num);
        }
        for _ in 0..IRR_MAX_ITERATIONS {
            if !active.iter().any(|&a| a) {
                break;
            }
            let (mut f, mut slope) = ([0.0; W], [0.0; W]);
            for (c, _) in srcs.iter().rev() {
                let c = &c[base..base + W];
                for l in 0..W {
                    slope[l] = slope[l] * x[l] + f[l];
                    f[l] = f[l] * x[l] + c[l];
                }
            }
            // The step of every lane computed, then kept or not, without a branch (so the
            // lanes step together): a lane stops with #NUM! where the function, its slope or
            // the step is unusable, with the rate where the step is below the tolerance.
            let num = boxing::error(ErrorKind::Num);
            let out = &mut d[base..base + W];
            for l in 0..W {
                let usable = f[l].is_finite() && slope[l].is_finite() && slope[l] != 0.0;
                let next = x[l] - f[l] / slope[l];
                let inside = next.is_finite() && next > 0.0;
                let converged = (next - x[l]).abs() < IRR_EPSILON;
                let r = 1.0 / next - 1.0;
                let r = if r.is_finite() { r } else { num };
                let stop = !(usable && inside) || converged;
                let result = if usable && inside { r } else { num };
                out[l] = if active[l] && stop { result } else { out[l] };
                x[l] = if active[l] && !stop { next } else { x[l] };
                active[l] = active[l] && !stop;
            }
        }
        // Lanes still active did not converge: #NUM!, already written.
        done[lanes].fill(true);
    }
    done
}

/// One lane of an aggregate, read as `SUM` reads its arguments.
fn aggregate(kind: AggKind, folded: &Folded, srcs: &[(&[f64], bool)], i: usize, strings: &Strings) -> f64 {
    let (mut sum, mut product, mut count, mut min, mut max) =
        (folded.sum, folded.product, folded.count as f64, folded.min, folded.max);
    for (src, direct) in srcs {
        let n = match operand_number(src[i], *direct, strings) {
            Ok(Some(n)) => n,
            Ok(None) => continue,
            Err(e) => return boxing::error(e),
        };
        sum += n;
        product *= n;
        count += 1.0;
        min = min.min(n);
        max = max.max(n);
    }
    let r = match kind {
        AggKind::Sum => sum,
        AggKind::Product if count == 0.0 => 0.0,
        AggKind::Product => product,
        AggKind::Min if count == 0.0 => 0.0,
        AggKind::Min => min,
        AggKind::Max if count == 0.0 => 0.0,
        AggKind::Max => max,
        AggKind::Average if count == 0.0 => return boxing::error(ErrorKind::Div0),
        AggKind::Average => sum / count,
    };
    if r.is_finite() { r } else { boxing::error(ErrorKind::Num) }
}

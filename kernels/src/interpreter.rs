//! The tape as a program for the device-side interpreter (`kernels/cuda/interpreter.cu`): the
//! fallback for models whose tape is too long for straight-line code ([`crate::codegen::plan`]).
//! One kernel serves every model (compiled once per process); the model travels as data.

use montecell_engine::compile::Model;
use montecell_engine::compile::tape::{AggItem, AggKind, Op, SeriesKind};
use montecell_engine::parse::{BinaryOp, UnaryOp};
use montecell_engine::sampling::{Method, Sampler};

use crate::codegen::{PreparedFields, check_supported};
use crate::error::GpuError;

/// The interpreter kernel's name.
pub const INTERPRETER_KERNEL: &str = "mc_interpret";

/// An encoded model.
#[derive(Clone, Debug)]
pub struct Program {
    /// The program (layout in interpreter.cu).
    pub code: Vec<u32>,
    /// Constants, prepared laws, tables, the copula factor.
    pub data: Vec<f64>,
    /// Rows of register memory per iteration (tape registers and the copula's scratch).
    pub rows: usize,
    /// Outputs written per iteration.
    pub outputs: usize,
    /// Inputs written per iteration.
    pub inputs: usize,
    /// Inputs whose strata are written, in the order of the strata array.
    pub stratified: Vec<usize>,
}

fn op_code(op: BinaryOp) -> u32 {
    match op {
        BinaryOp::Add => 0,
        BinaryOp::Sub => 1,
        BinaryOp::Mul => 2,
        BinaryOp::Div => 3,
        BinaryOp::Pow => 4,
        BinaryOp::Eq => 5,
        BinaryOp::Ne => 6,
        BinaryOp::Lt => 7,
        BinaryOp::Le => 8,
        BinaryOp::Gt => 9,
        // Ge; the others are rejected by check_supported.
        _ => 10,
    }
}

fn agg_code(k: AggKind) -> u32 {
    match k {
        AggKind::Sum => 0,
        AggKind::Product => 1,
        AggKind::Min => 2,
        AggKind::Max => 3,
        AggKind::Average => 4,
    }
}

fn offset(x: usize) -> Result<u32, GpuError> {
    u32::try_from(x).map_err(|_| GpuError::Unsupported("the model is too large to encode".to_owned()))
}

fn items(code: &mut Vec<u32>, items: &[AggItem]) {
    for i in items {
        code.push(i.reg);
        code.push(u32::from(i.direct));
    }
}

/// Encodes a model (the same checks as the straight-line generator).
pub fn encode(model: &Model<'_>, sampler: &Sampler) -> Result<Program, GpuError> {
    check_supported(model).map_err(GpuError::Unsupported)?;
    let tape = &model.tape;
    let n_in = model.inputs.len();
    let n_out = model.outputs.len();
    let stratified: Vec<usize> = (0..n_in).filter(|&j| sampler.stratified(j)).collect();
    let mut data = Vec::new();
    let (members, factor): (&[usize], &[f64]) = sampler.correlation_factor().unwrap_or((&[], &[]));
    let m = members.len();
    let factor_at = data.len();
    data.extend_from_slice(factor);
    let mut code: Vec<u32> = vec![0; 9];
    code[0] = offset(n_in)?;
    code[1] = u32::from(sampler.method() == Method::LatinHypercube);
    code[2] = offset(m)?;
    code[3] = offset(n_out)?;
    code[4] = tape.registers;
    code[7] = offset(tape.constants.len())?;
    code[8] = offset(factor_at)?;
    for (j, &stream) in sampler.streams().iter().enumerate() {
        let Some(Some(d)) = model.prepared.get(j) else {
            return Err(GpuError::Unsupported(format!("input {j} has no prepared distribution")));
        };
        let fields = PreparedFields::new(d, &mut data);
        let at = data.len();
        data.extend_from_slice(&fields.flat());
        code.extend([
            stream as u32,
            (stream >> 32) as u32,
            offset(at)?,
            tape.sampled[j],
            tape.results[n_out + j],
            stratified.iter().position(|&s| s == j).map_or(u32::MAX, |s| s as u32),
        ]);
    }
    for (k, &j) in members.iter().enumerate() {
        let row = &factor[k * m..k * m + k + 1];
        let keep = row[k] == 1.0 && row[..k].iter().all(|&l| l == 0.0);
        code.extend([offset(j)?, u32::from(keep)]);
    }
    code.extend(tape.results[..n_out].iter().copied());
    for &(r, lane) in &tape.constants {
        code.extend([r, offset(data.len())?]);
        data.push(lane);
    }
    code[5] = offset(code.len())?;
    for op in &tape.ops {
        match op {
            Op::Binary { op, a, b, dst } => code.extend([1, op_code(*op), *a, *b, *dst]),
            Op::BinaryScalar { op, a, k, scalar_left, dst } => {
                let at = offset(data.len())?;
                data.push(*k);
                if *scalar_left {
                    code.extend([2, op_code(*op), at, *a, *dst]);
                } else {
                    code.extend([3, op_code(*op), *a, at, *dst]);
                }
            }
            Op::Unary { op, a, dst } => {
                let o = match op {
                    UnaryOp::Neg => 0,
                    UnaryOp::Plus => 1,
                    UnaryOp::Percent => 2,
                };
                code.extend([4, o, *a, *dst]);
            }
            Op::Select { cond, then, otherwise, dst } => code.extend([5, *cond, *then, *otherwise, *dst]),
            Op::Choose { index, options, dst } => {
                code.extend([6, *index, offset(options.len())?]);
                code.extend(options.iter().copied());
                code.push(*dst);
            }
            Op::IfError { value, alt, na_only, dst } => code.extend([7, *value, *alt, u32::from(*na_only), *dst]),
            Op::BlankToZero { a, dst } => code.extend([8, *a, *dst]),
            Op::Aggregate { kind, items: its, folded, dst } => {
                let at = offset(data.len())?;
                data.extend([folded.sum, folded.product, f64::from(folded.count), folded.min, folded.max]);
                code.extend([9, agg_code(*kind), at, offset(its.len())?]);
                items(&mut code, its);
                code.push(*dst);
            }
            Op::Series { kind, scalar, items: its, dst } => {
                let k = u32::from(*kind == SeriesKind::Irr);
                code.extend([10, k, u32::from(scalar.is_some()), scalar.unwrap_or(0), offset(its.len())?]);
                items(&mut code, its);
                code.push(*dst);
            }
            Op::Call { args, dst, .. } => code.extend([11, args[0], args[1], args[2], *dst]),
            Op::SampleVarying { .. } | Op::Interpret { .. } => {
                return Err(GpuError::Unsupported("an operation the interpreter does not run".to_owned()));
            }
        }
    }
    code[6] = offset(code.len())?;
    if data.is_empty() {
        data.push(0.0);
    }
    Ok(Program { code, data, rows: tape.registers as usize + m, outputs: n_out, inputs: n_in, stratified })
}

//! Code generation: a compiled model's tape → one CUDA C kernel, one thread per iteration,
//! every tape register a local variable (registers of the GPU), the operations straight-line
//! in tape order — and the rule ([`plan`]) for what runs where.
//!
//! The kernel draws each input's uniform (Philox, Latin Hypercube, copula), turns it into the
//! sample by the prepared inverse CDF, runs the tape with the engine's Excel semantics
//! (`excel.cuh`), and writes the outputs, the inputs' samples and the Latin Hypercube strata
//! per iteration — the layout of [`montecell_engine::run::Samples`], so the engine's own
//! statistics summarise a GPU run exactly as a CPU run.
//!
//! Parameters of the distributions, streams, the copula factor and the operations are
//! literals of the source (exact: written as bit patterns); the seed and the number of Latin
//! Hypercube strata are kernel arguments, so one compiled kernel serves every seed and size;
//! tables (discrete, piecewise-linear, quantile guides) travel in one `data` array.

use std::fmt::Write as _;

use montecell_engine::compile::Model;
use montecell_engine::compile::tape::{AggKind, Op, SeriesKind};
use montecell_engine::parse::{BinaryOp, UnaryOp};
use montecell_engine::sampling::distribution::Kernel;
use montecell_engine::sampling::{Distribution, Method, PreparedDistribution, PreparedLaw, Sampler};

use crate::error::GpuError;
use crate::sources;

/// The name of a generated kernel.
pub const MODEL_KERNEL: &str = "mc_model";

/// What a generated kernel computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Draws, tape and outputs.
    Full,
    /// Draws only (the inputs' samples and strata): for models whose tape the generator does
    /// not translate, so that their sampling can still be checked against the engine.
    SamplingOnly,
}

/// A generated kernel and what its launch needs.
#[derive(Clone, Debug)]
pub struct GeneratedKernel {
    /// The full translation unit (headers and the model's kernel).
    pub source: String,
    /// The model's part of it (after the headers), for reading.
    pub body: String,
    /// The kernel's name ([`MODEL_KERNEL`]).
    pub name: &'static str,
    /// Cache key: SHA-256 of `source`.
    pub key: String,
    /// The tables the kernel reads.
    pub data: Vec<f64>,
    /// Outputs written per iteration (0 in [`Mode::SamplingOnly`]).
    pub outputs: usize,
    /// Inputs whose samples are written per iteration.
    pub inputs: usize,
    /// The inputs whose Latin Hypercube strata are written, in the order of the strata array.
    pub stratified: Vec<usize>,
    /// The mode.
    pub mode: Mode,
    /// Operations of the tape translated.
    pub operations: usize,
    /// Registers (local variables) of the kernel.
    pub registers: usize,
}

/// A double as an exact literal: its bit pattern (with the value in a comment).
fn lit(x: f64) -> String {
    format!("mc_from_bits(0x{:016x}ULL)/*{x:e}*/", x.to_bits())
}

pub(crate) fn binary_op(op: BinaryOp) -> Option<&'static str> {
    Some(match op {
        BinaryOp::Add => "MC_OP_ADD",
        BinaryOp::Sub => "MC_OP_SUB",
        BinaryOp::Mul => "MC_OP_MUL",
        BinaryOp::Div => "MC_OP_DIV",
        BinaryOp::Pow => "MC_OP_POW",
        BinaryOp::Eq => "MC_OP_EQ",
        BinaryOp::Ne => "MC_OP_NE",
        BinaryOp::Lt => "MC_OP_LT",
        BinaryOp::Le => "MC_OP_LE",
        BinaryOp::Gt => "MC_OP_GT",
        BinaryOp::Ge => "MC_OP_GE",
        BinaryOp::Concat | BinaryOp::Range | BinaryOp::Intersect | BinaryOp::Union => return None,
    })
}

/// Why an operation cannot be generated, or `None` when it can.
fn unsupported_op(op: &Op) -> Option<String> {
    match op {
        Op::Binary { op, .. } | Op::BinaryScalar { op, .. } if binary_op(*op).is_none() => {
            Some(format!("the operator {op:?} (text is not computed on the GPU)"))
        }
        Op::Call { name, args, .. } if !(*name == "RANDBETWEEN" && args.len() == 3) => {
            Some(format!("the function {name} (computed lane by lane by the CPU engine)"))
        }
        Op::SampleVarying { function, .. } => Some(format!("{function} with parameters that vary per iteration")),
        Op::Interpret { .. } => Some("a formula the CPU engine interprets lane by lane".to_owned()),
        _ => None,
    }
}

/// Can the whole model run on the GPU? `Err` says why not (the first reason).
pub fn check_supported(model: &Model<'_>) -> Result<(), String> {
    if !model.tape.strings.is_empty() {
        return Err("the model computes with text".to_owned());
    }
    if let Some(why) = model.tape.ops.iter().find_map(unsupported_op) {
        return Err(why);
    }
    check_sampling(model)
}

pub(crate) fn check_sampling(model: &Model<'_>) -> Result<(), String> {
    if let Some(i) = model.prepared.iter().position(Option::is_none) {
        return Err(format!("input {} has parameters that vary per iteration", model.inputs[i].name));
    }
    Ok(())
}

/// The numbers of an `mc_prepared` (distributions.cuh): the law, its kernel, its integer law,
/// table offsets and sizes, truncation and shift. Codes as the `MC_LAW_*`, `MC_K_*` defines.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PreparedFields {
    law: u32,
    kernel: u32,
    k: [f64; 4],
    intlaw: u32,
    int_a: f64,
    int_b: f64,
    t0: usize,
    t1: usize,
    t2: usize,
    n: usize,
    first: usize,
    last: usize,
    total: f64,
    end: f64,
    truncated: bool,
    window: (f64, f64, f64),
    lo: f64,
    hi: f64,
    shift: f64,
    support_top: f64,
}

/// Longest tape compiled as straight-line code. Measured with NVRTC 12.8 on the 2-core build
/// machine (kernels/README.md): ~1,000 operations take 1.7 s and 0.7 MiB of PTX, ~4,000 take
/// 13 s and 2.6 MiB, ~16,000 24 s and 10 MiB, ~36,000 89 s and 23 MiB, and the 18,652-formula
/// benchmark model exhausted the machine's 23 GiB. PTX of that size also costs the driver's
/// JIT (PTX → SASS) at module load, per process. Above this limit the tape runs on the
/// device-side interpreter instead (one kernel for every model, compiled once).
pub const STRAIGHT_LINE_MAX_OPERATIONS: usize = 2048;

/// Where a model runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// One generated straight-line kernel ([`generate`]).
    StraightLine,
    /// The device-side interpreter of the tape ([`crate::interpreter`]).
    Interpreter,
    /// The CPU engine, with the reason.
    Cpu(String),
}

/// The rule: a model with an operation the GPU does not compute runs on the CPU engine; a
/// tape of at most [`STRAIGHT_LINE_MAX_OPERATIONS`] operations becomes straight-line code;
/// longer tapes run on the interpreter.
pub fn plan(model: &Model<'_>) -> Plan {
    match check_supported(model) {
        Err(why) => Plan::Cpu(why),
        Ok(()) if model.tape.ops.len() <= STRAIGHT_LINE_MAX_OPERATIONS => Plan::StraightLine,
        Ok(()) => Plan::Interpreter,
    }
}

fn kernel_code(k: Kernel) -> (u32, [f64; 4]) {
    match k {
        Kernel::Constant(x) => (0, [x, 0.0, 0.0, 0.0]),
        Kernel::Normal { mean, std } => (1, [mean, std, 0.0, 0.0]),
        Kernel::LogNormal { mu, sigma } => (2, [mu, sigma, 0.0, 0.0]),
        Kernel::Uniform { min, max } => (3, [min, max, 0.0, 0.0]),
        Kernel::Triangular { min, mode, max } => (4, [min, mode, max, 0.0]),
        Kernel::Beta { a, b, min, max } => (5, [a, b, min, max]),
        Kernel::Gamma { shape, scale } => (6, [shape, scale, 0.0, 0.0]),
        Kernel::Exponential { mean } => (7, [mean, 0.0, 0.0, 0.0]),
        Kernel::Weibull { shape, scale } => (8, [shape, scale, 0.0, 0.0]),
        Kernel::Student { nu } => (9, [nu, 0.0, 0.0, 0.0]),
    }
}

impl PreparedFields {
    /// The fields of a prepared distribution; its tables are appended to `data`.
    pub(crate) fn new(d: &PreparedDistribution, data: &mut Vec<f64>) -> PreparedFields {
        let parts = d.parts();
        let mut push = |xs: &[f64]| -> usize {
            let at = data.len();
            data.extend_from_slice(xs);
            at
        };
        let mut f = PreparedFields {
            law: 0,
            kernel: 0,
            k: [0.0; 4],
            intlaw: 0,
            int_a: 0.0,
            int_b: 0.0,
            t0: 0,
            t1: 0,
            t2: 0,
            n: 0,
            first: 0,
            last: 0,
            total: 0.0,
            end: 0.0,
            truncated: parts.truncated,
            window: parts.window,
            lo: parts.lo,
            hi: parts.hi,
            shift: parts.shift,
            support_top: 0.0,
        };
        match parts.law {
            PreparedLaw::Kernel(k) => (f.kernel, f.k) = kernel_code(k),
            PreparedLaw::Tabulated { kernel, x, slope } => {
                f.law = 1;
                (f.kernel, f.k) = kernel_code(kernel);
                f.t0 = push(x);
                f.t1 = push(slope);
            }
            PreparedLaw::Table { values, below, above, first, last } => {
                f.law = 2;
                f.t0 = push(values);
                f.t1 = push(below);
                f.t2 = push(above);
                (f.n, f.first, f.last) = (values.len(), first, last);
            }
            PreparedLaw::LinearCdf { xs, ps } => {
                f.law = 3;
                f.t0 = push(xs);
                f.t1 = push(ps);
                f.n = xs.len();
            }
            PreparedLaw::LinearDensity { pieces, area_after, total, end } => {
                f.law = 4;
                let flat: Vec<f64> = pieces.iter().flatten().copied().collect();
                f.t0 = push(&flat);
                f.t1 = push(area_after);
                (f.n, f.total, f.end) = (pieces.len(), total, end);
            }
            PreparedLaw::Direct(dist) => {
                f.law = 5;
                match dist {
                    Distribution::Poisson { lambda } => {
                        (f.intlaw, f.int_a, f.support_top) = (0, *lambda, f64::INFINITY)
                    }
                    Distribution::Binomial { n, p } => {
                        (f.intlaw, f.int_a, f.int_b, f.support_top) = (1, *n as f64, *p, *n as f64);
                    }
                    _ => {}
                }
            }
        }
        f
    }

    /// The C initialiser of an `mc_prepared`.
    fn initializer(&self) -> String {
        let (lo_p, hi_q, width) = self.window;
        format!(
            "{{{}, {{{}, {}, {}, {}, {}}}, {{{}, {}, {}}}, {}ULL, {}ULL, {}ULL, {}ULL, {}ULL, {}ULL, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}}",
            self.law,
            self.kernel,
            lit(self.k[0]),
            lit(self.k[1]),
            lit(self.k[2]),
            lit(self.k[3]),
            self.intlaw,
            lit(self.int_a),
            lit(self.int_b),
            self.t0,
            self.t1,
            self.t2,
            self.n,
            self.first,
            self.last,
            lit(self.total),
            lit(self.end),
            self.truncated,
            lit(lo_p),
            lit(hi_q),
            lit(width),
            lit(self.lo),
            lit(self.hi),
            lit(self.shift),
            lit(self.support_top),
        )
    }

    /// The 25 doubles `mc_prepared_load` (interpreter.cu) reads. Sizes and offsets are far below
    /// 2^53, so they are exact as doubles.
    pub(crate) fn flat(&self) -> [f64; 25] {
        let (lo_p, hi_q, width) = self.window;
        [
            f64::from(self.law),
            f64::from(self.kernel),
            self.k[0],
            self.k[1],
            self.k[2],
            self.k[3],
            f64::from(self.intlaw),
            self.int_a,
            self.int_b,
            self.t0 as f64,
            self.t1 as f64,
            self.t2 as f64,
            self.n as f64,
            self.first as f64,
            self.last as f64,
            self.total,
            self.end,
            f64::from(u8::from(self.truncated)),
            lo_p,
            hi_q,
            width,
            self.lo,
            self.hi,
            self.shift,
            self.support_top,
        ]
    }
}

/// Generates the kernel of a compiled model for a sampler (method, streams, correlations).
pub fn generate(model: &Model<'_>, sampler: &Sampler, mode: Mode) -> Result<GeneratedKernel, GpuError> {
    match mode {
        Mode::Full => check_supported(model),
        Mode::SamplingOnly => check_sampling(model),
    }
    .map_err(GpuError::Unsupported)?;
    let tape = &model.tape;
    let n_in = model.inputs.len();
    let n_out = if mode == Mode::Full { model.outputs.len() } else { 0 };
    let stratified: Vec<usize> = (0..n_in).filter(|&j| sampler.stratified(j)).collect();
    let mut data = Vec::new();
    let mut b = String::new();
    let w = &mut b;
    // `write!` to a String cannot fail.
    macro_rules! emit {
        ($($t:tt)*) => {{ let _ = writeln!(w, $($t)*); }};
    }
    emit!("// Generated by montecell-kernels from the tape of a compiled model.");
    emit!(
        "// {} inputs, {} outputs, {} operations, {} registers; sampling: {:?}.",
        n_in,
        model.outputs.len(),
        tape.ops.len(),
        tape.registers,
        sampler.method()
    );
    emit!(
        "MC_KERNEL void {MODEL_KERNEL}(mc_u64 seed, mc_u64 strata_n, mc_u64 first, mc_u64 count, const double* __restrict__ data,"
    );
    emit!(
        "                            double* __restrict__ outputs, double* __restrict__ inputs, mc_u32* __restrict__ strata) {{"
    );
    emit!("    mc_u64 i = (mc_u64)blockIdx.x * blockDim.x + threadIdx.x;");
    emit!("    if (i >= count) return;");
    emit!("    const mc_u64 it = first + i;");
    emit!("    (void)data; (void)outputs; (void)strata; (void)strata_n;");
    // Uniforms.
    for (j, &stream) in sampler.streams().iter().enumerate() {
        match sampler.method() {
            Method::MonteCarlo => emit!("    double u{j} = mc_uniform(seed, 0x{stream:016x}ULL, it);"),
            Method::LatinHypercube => {
                emit!("    mc_u32 s{j};");
                emit!("    double u{j} = mc_lhs_uniform(seed, 0x{stream:016x}ULL, strata_n, it, &s{j});");
            }
        }
    }
    if let Some((members, factor)) = sampler.correlation_factor() {
        let m = members.len();
        emit!("    // Gaussian copula of inputs {members:?}.");
        for (k, &j) in members.iter().enumerate() {
            emit!("    double z{k} = mc_copula_to_normal(u{j});");
        }
        for (k, &j) in members.iter().enumerate() {
            let row = &factor[k * m..k * m + k + 1];
            let keep = row[k] == 1.0 && row[..k].iter().all(|&l| l == 0.0);
            if keep {
                continue;
            }
            emit!(
                "    {{ const double row[{}] = {{{}}};",
                k + 1,
                row.iter().map(|&l| lit(l)).collect::<Vec<_>>().join(", ")
            );
            emit!(
                "      const double z[{}] = {{{}}};",
                k + 1,
                (0..=k).map(|q| format!("z{q}")).collect::<Vec<_>>().join(", ")
            );
            emit!("      u{j} = mc_copula_to_uniform(mc_copula_dot(row, z, {k})); }}");
        }
    }
    for (s, &j) in stratified.iter().enumerate() {
        emit!("    strata[{s}ULL * count + i] = s{j};");
    }
    // Samples.
    for (j, prepared) in model.prepared.iter().enumerate() {
        let Some(d) = prepared else { continue };
        emit!("    const mc_prepared d{j} = {};", PreparedFields::new(d, &mut data).initializer());
        emit!("    double x{j} = mc_prepared_quantile(d{j}, data, u{j});");
    }
    let mut operations = 0;
    if mode == Mode::SamplingOnly {
        for j in 0..n_in {
            emit!("    inputs[{j}ULL * count + i] = x{j};");
        }
    } else {
        let regs = tape.registers as usize;
        if regs > 0 {
            let names: Vec<String> = (0..regs).map(|r| format!("r{r} = 0.0")).collect();
            for chunk in names.chunks(16) {
                emit!("    double {};", chunk.join(", "));
            }
        }
        for &(r, lane) in &tape.constants {
            emit!("    r{r} = {};", lit(lane));
        }
        for (j, &r) in tape.sampled.iter().enumerate() {
            emit!("    r{r} = x{j};");
        }
        for op in &tape.ops {
            write_op(w, op);
            operations += 1;
        }
        for k in 0..n_out {
            emit!("    outputs[{k}ULL * count + i] = r{};", tape.results[k]);
        }
        for j in 0..n_in {
            emit!("    inputs[{j}ULL * count + i] = r{};", tape.results[model.outputs.len() + j]);
        }
    }
    emit!("}}");
    let mut source = sources::headers();
    source.push_str("#line 1 \"generated model\"\n");
    source.push_str(&b);
    let key = sources::source_hash(&source);
    Ok(GeneratedKernel {
        source,
        body: b,
        name: MODEL_KERNEL,
        key,
        data,
        outputs: n_out,
        inputs: n_in,
        stratified,
        mode,
        operations,
        registers: tape.registers as usize,
    })
}

fn agg_kind(k: AggKind) -> &'static str {
    match k {
        AggKind::Sum => "MC_AGG_SUM",
        AggKind::Product => "MC_AGG_PRODUCT",
        AggKind::Min => "MC_AGG_MIN",
        AggKind::Max => "MC_AGG_MAX",
        AggKind::Average => "MC_AGG_AVERAGE",
    }
}

/// One operation (already checked by [`check_supported`]).
fn write_op(w: &mut String, op: &Op) {
    macro_rules! emit {
        ($($t:tt)*) => {{ let _ = writeln!(w, $($t)*); }};
    }
    match op {
        Op::Binary { op, a, b, dst } => {
            emit!("    r{dst} = mc_binary({}, r{a}, r{b});", binary_op(*op).unwrap_or("MC_OP_ADD"));
        }
        Op::BinaryScalar { op, a, k, scalar_left, dst } => {
            let o = binary_op(*op).unwrap_or("MC_OP_ADD");
            if *scalar_left {
                emit!("    r{dst} = mc_binary({o}, {}, r{a});", lit(*k));
            } else {
                emit!("    r{dst} = mc_binary({o}, r{a}, {});", lit(*k));
            }
        }
        Op::Unary { op, a, dst } => {
            let o = match op {
                UnaryOp::Neg => "MC_UN_NEG",
                UnaryOp::Plus => "MC_UN_PLUS",
                UnaryOp::Percent => "MC_UN_PERCENT",
            };
            emit!("    r{dst} = mc_unary({o}, r{a});");
        }
        Op::Call { args, dst, .. } => {
            // RANDBETWEEN(bottom, top, uniform): the only call check_supported lets through.
            emit!("    r{dst} = mc_randbetween(r{}, r{}, r{});", args[0], args[1], args[2]);
        }
        Op::Select { cond, then, otherwise, dst } => {
            emit!("    r{dst} = mc_select(r{cond}, r{then}, r{otherwise});");
        }
        Op::Choose { index, options, dst } => {
            emit!("    {{ double e; switch (mc_choose_index(r{index}, {}, &e)) {{", options.len());
            for (k, o) in options.iter().enumerate() {
                emit!("      case {k}: r{dst} = r{o}; break;");
            }
            emit!("      default: r{dst} = e; }} }}");
        }
        Op::IfError { value, alt, na_only, dst } => {
            emit!("    r{dst} = mc_iferror(r{value}, r{alt}, {na_only});");
        }
        Op::BlankToZero { a, dst } => emit!("    r{dst} = mc_blank_to_zero(r{a});"),
        Op::Aggregate { kind, items, folded, dst } => {
            let start = format!(
                "mc_agg_start({}, {}, {}, {}, {})",
                lit(folded.sum),
                lit(folded.product),
                lit(f64::from(folded.count)),
                lit(folded.min),
                lit(folded.max)
            );
            if items.is_empty() {
                emit!("    r{dst} = mc_agg_finish({start}, {});", agg_kind(*kind));
                return;
            }
            let init = match kind {
                AggKind::Sum | AggKind::Average => folded.sum,
                AggKind::Product => folded.product,
                AggKind::Min => folded.min,
                AggKind::Max => folded.max,
            };
            emit!("    {{ double f = {}; bool bad = false;", lit(init));
            for it in items {
                let x = format!("r{}", it.reg);
                match kind {
                    AggKind::Sum | AggKind::Average => emit!("      f += {x}; bad |= !mc_isfinite({x});"),
                    AggKind::Product => emit!("      f *= {x}; bad |= !mc_isfinite({x});"),
                    AggKind::Min => emit!("      f = mc_min(f, {x}); bad |= !mc_isfinite({x});"),
                    AggKind::Max => emit!("      f = mc_max(f, {x}); bad |= !mc_isfinite({x});"),
                }
            }
            if *kind == AggKind::Average {
                emit!("      f /= {};", lit(f64::from(folded.count) + items.len() as f64));
            }
            emit!("      if (bad || !mc_isfinite(f)) {{ mc_agg a = {start};");
            for it in items {
                emit!("        mc_agg_add(a, r{}, {});", it.reg, it.direct);
            }
            emit!("        f = mc_agg_finish(a, {}); }}", agg_kind(*kind));
            emit!("      r{dst} = f; }}");
        }
        Op::Series { kind, scalar, items, dst } => {
            emit!("    {{ double res = 0.0, s = {}; bool ok = true;", lit(0.1));
            if let Some(sr) = scalar {
                emit!("      ok = mc_series_scalar(r{sr}, &s, &res);");
            } else if *kind == SeriesKind::Npv {
                emit!("      s = 0.0;");
            }
            emit!("      double v[{}]; int n = 0; double num; int e;", items.len().max(1));
            for it in items {
                emit!(
                    "      if (ok) {{ int k = mc_operand_number(r{}, {}, &num, &e); if (k < 0) {{ res = mc_error(e); ok = false; }} else if (k > 0) v[n++] = num; }}",
                    it.reg,
                    it.direct
                );
            }
            match kind {
                SeriesKind::Npv => emit!("      if (ok) res = mc_npv(s, v, n);"),
                SeriesKind::Irr => emit!("      if (ok) res = mc_irr(v, n, s);"),
            }
            emit!("      r{dst} = res; }}");
        }
        // Rejected by check_supported.
        Op::SampleVarying { dst, .. } => emit!("    r{dst} = mc_error(MC_E_VALUE);"),
        Op::Interpret { dsts, .. } => {
            for (_, _, r) in dsts {
                emit!("    r{r} = mc_error(MC_E_VALUE);");
            }
        }
    }
}

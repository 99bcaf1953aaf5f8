//! Parity without a device: the generated kernel of each model, compiled as C++ on the host
//! (g++) from the very source NVRTC compiles, against the CPU engine — the same draws bit for
//! bit, the same outputs, and statistics equal to 1e-9 relative.
#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use common::{HostSamples, cpu_samples, example, host_interpret, host_run, prepare, rel};
use montecell_engine::compile::Model;
use montecell_engine::run::Samples;
use montecell_engine::sampling::PreparedLaw;
use montecell_engine::sampling::Sampler;
use montecell_engine::simulate::summarise;
use montecell_engine::spec::{ResolvedSpec, SimulationSpec};
use montecell_engine::workbook::workbook_from_cells;
use montecell_kernels::codegen::{Mode, generate};
use std::collections::BTreeSet;

/// Compares the host build's samples with the CPU engine's; returns the largest relative
/// difference of the output statistics (0 when the samples are identical).
fn compare(label: &str, resolved: &ResolvedSpec, model: &Model<'_>, sampler: &Sampler, mode: Mode) -> f64 {
    let n = resolved.iterations;
    let g = generate(model, sampler, mode).expect("generates");
    let host = host_run(&g, sampler.seed(), sampler.iterations(), 0, n);
    let cpu = cpu_samples(model, sampler, n);
    let HostSamples { outputs, inputs, strata } = host;
    for (j, (h, c)) in inputs.iter().zip(&cpu.inputs).enumerate() {
        if let Some(i) = (0..h.len()).find(|&i| h[i].to_bits() != c[i].to_bits()) {
            panic!("{label}: input {} iteration {i}: host {} vs engine {}", model.inputs[j].name, h[i], c[i]);
        }
    }
    for (s, &j) in g.stratified.iter().enumerate() {
        assert_eq!(strata[s], cpu.strata[j], "{label}: strata of input {j}");
    }
    if mode == Mode::SamplingOnly {
        eprintln!("{label}: {} inputs × {n} draws identical (sampling only)", inputs.len());
        return 0.0;
    }
    for (k, (h, c)) in outputs.iter().zip(&cpu.outputs).enumerate() {
        if let Some(i) = (0..h.len()).find(|&i| h[i].to_bits() != c[i].to_bits()) {
            panic!(
                "{label}: output {} iteration {i}: host {:?} ({:#x}) vs engine {:?} ({:#x})",
                model.outputs[k].name,
                h[i],
                h[i].to_bits(),
                c[i],
                c[i].to_bits()
            );
        }
    }
    // The device-side interpreter (the path of large models) on the same model.
    let program = montecell_kernels::interpreter::encode(model, sampler).expect("encodes");
    let interpreted = host_interpret(&program, sampler.seed(), sampler.iterations(), n);
    for (what, a, b) in [("output", &interpreted.outputs, &cpu.outputs), ("input", &interpreted.inputs, &cpu.inputs)] {
        for (k, (h, c)) in a.iter().zip(b).enumerate() {
            if let Some(i) = (0..h.len()).find(|&i| h[i].to_bits() != c[i].to_bits()) {
                panic!("{label}: interpreter, {what} {k} iteration {i}: {:?} vs engine {:?}", h[i], c[i]);
            }
        }
    }
    for (s, &j) in program.stratified.iter().enumerate() {
        assert_eq!(interpreted.strata[s], cpu.strata[j], "{label}: interpreter strata of input {j}");
    }
    let gpu = Samples { outputs, inputs, strata: cpu.strata.clone(), batch: 0, threads: 0 };
    let a = summarise(model, resolved, &cpu);
    let b = summarise(model, resolved, &gpu);
    let mut worst = 0.0f64;
    for (x, y) in a.outputs.iter().zip(&b.outputs) {
        for (u, v) in [(x.mean, y.mean), (x.std, y.std), (x.min, y.min), (x.max, y.max), (x.skewness, y.skewness)] {
            worst = worst.max(rel(u, v));
        }
        for (p, q) in x.percentiles.iter().zip(&y.percentiles) {
            assert_eq!(p.value.to_bits(), q.value.to_bits(), "{label}: percentile {}", p.p);
        }
        assert_eq!(x.errors.count, y.errors.count, "{label}: errors of {}", x.name);
    }
    assert!(worst <= 1e-9, "{label}: statistics differ by {worst:e} relative");
    eprintln!(
        "{label}: {} outputs, {} inputs × {n} iterations identical (generated code and interpreter); statistics max rel. diff {worst:e}",
        model.outputs.len(),
        model.inputs.len()
    );
    worst
}

#[test]
fn every_example_model_gives_the_engines_draws_and_outputs() {
    for name in common::EXAMPLES {
        let (wb, spec) = example(name);
        let (resolved, model, sampler) = prepare(&wb, &spec);
        match montecell_kernels::codegen::check_supported(&model) {
            Ok(()) => {
                compare(name, &resolved, &model, &sampler, Mode::Full);
            }
            Err(why) => {
                eprintln!("{name}: outputs stay on the CPU engine ({why}); checking its draws");
                compare(name, &resolved, &model, &sampler, Mode::SamplingOnly);
            }
        }
    }
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Every family of the engine, with truncation and shift on some.
const DISTRIBUTIONS: [&str; 24] = [
    r#"{"type": "normal", "mean": 10, "std": 3}"#,
    r#"{"type": "normal", "mean": 0, "std": 1, "truncate": {"min": -0.5, "max": 2}, "shift": 1}"#,
    r#"{"type": "lognormal", "mean": 5, "std": 2}"#,
    r#"{"type": "lognormal2", "mu": 0.5, "sigma": 0.8, "truncate": {"max": 4}}"#,
    r#"{"type": "uniform", "min": -3, "max": 7}"#,
    r#"{"type": "triangular", "min": 1, "mode": 2, "max": 6}"#,
    r#"{"type": "trigen", "bottom": 2, "mode": 4, "top": 9, "bottom_perc": 0.1, "top_perc": 0.9}"#,
    r#"{"type": "pert", "min": 0, "mode": 1, "max": 10}"#,
    r#"{"type": "beta", "alpha": 0.5, "beta": 0.7}"#,
    r#"{"type": "beta_general", "alpha": 3, "beta": 1.5, "min": -1, "max": 4, "truncate": {"min": 0}}"#,
    r#"{"type": "gamma", "alpha": 2.5, "beta": 1.5}"#,
    r#"{"type": "gamma", "alpha": 0.4, "beta": 2}"#,
    r#"{"type": "exponential", "mean": 3, "shift": -1}"#,
    r#"{"type": "weibull", "alpha": 1.7, "beta": 4}"#,
    r#"{"type": "student", "nu": 4.5}"#,
    r#"{"type": "student", "nu": 1, "truncate": {"min": -20, "max": 20}}"#,
    r#"{"type": "poisson", "lambda": 3.5}"#,
    r#"{"type": "binomial", "n": 40, "p": 0.3, "truncate": {"min": 5, "max": 20}}"#,
    r#"{"type": "discrete", "values": [-1, 0, 2, 5], "weights": [1, 3, 2, 0.5]}"#,
    r#"{"type": "bernoulli", "p": 0.3}"#,
    r#"{"type": "cumulative", "min": 0, "max": 10, "values": [2, 5, 7], "probabilities": [0.1, 0.6, 0.8]}"#,
    r#"{"type": "general", "min": 0, "max": 8, "values": [2, 3, 6], "weights": [1, 4, 2]}"#,
    r#"{"type": "histogram", "min": -2, "max": 3, "weights": [1, 0, 3, 2]}"#,
    r#"{"type": "normal", "mean": 100, "std": 15, "truncate": {"min": 130}}"#,
];

fn random_formula(rng: &mut Rng, operands: &[String]) -> String {
    let mut x = || operands[rng.below(operands.len())].clone();
    let (a, b, c) = (x(), x(), x());
    let k = ["0", "1", "2.5", "-3", "0.1", "10"][rng.below(6)];
    match rng.below(25) {
        0 => format!("={a}+{b}*{k}"),
        1 => format!("={a}-{b}/{c}"),
        2 => format!("={a}*{b}-{k}"),
        3 => format!("=({a}-{b})/({c}-{k})"),
        4 => format!("=IF({a}>{b}, {a}*2, -{c})"),
        5 => format!("=IF({a}<={k}, {b}, {c}%)"),
        6 => format!("=SUM({a}, {b}, {k})"),
        7 => format!("=MIN({a}, {b})+MAX({c}, {k})"),
        8 => format!("=AVERAGE({a}, {b}, {c})"),
        9 => format!("=PRODUCT({a}, {b})"),
        10 => format!("=IFERROR(1/({a}-{b}), {k})"),
        11 => format!("=CHOOSE(1+({a}>{b}), {a}, {c})"),
        12 => format!("=({a}>{b})*{c}+({a}={b})"),
        13 => format!("={a}^2-{b}^0.5"),
        14 => format!("=IFERROR({a}/({b}>{k}), -1)"),
        15 => format!("=NPV(0.05, {a}, {b}, {c})"),
        16 => format!("=-{a}+RANDBETWEEN(1, 6)"),
        17 => format!("=IF({a}<>{b}, TRUE, FALSE)"),
        18 => format!("={a}>=IF({b}>0, {c}, {k})"),
        19 => format!("=IFNA({a}/{b}, 0)"),
        20 => format!("=MAX({a}*{b}, {c}/{k})"),
        21 => format!("=1/({a}-ROUND(0.4, 0))"),
        22 => format!("=IRR(Z1:Z4)+{a}"),
        23 => format!("=IF({a}>{b}, Y1, {c})"),
        _ => format!("={a}*(1+{k})-{b}"),
    }
}

/// Random models over every distribution and every operation the generator translates, in
/// both sampling methods, some with correlations: identical draws and outputs.
#[test]
fn randomized_models_give_the_engines_draws_and_outputs() {
    let mut rng = Rng(20_261_206);
    let mut laws = BTreeSet::new();
    let mut ops = BTreeSet::new();
    let mut next_distribution = 0;
    for model_no in 0..8 {
        let n_inputs = 4 + rng.below(8);
        let n_formulas = 10 + rng.below(30);
        let mut cells: Vec<(String, String)> = Vec::new();
        let mut inputs = Vec::new();
        let mut operands: Vec<String> = Vec::new();
        for j in 0..n_inputs {
            let cell = format!("A{}", j + 1);
            cells.push((cell.clone(), "0".to_owned()));
            let d = DISTRIBUTIONS[next_distribution % DISTRIBUTIONS.len()];
            next_distribution += 1 + rng.below(2);
            inputs.push(format!(r#"{{"cell": "{cell}", "distribution": {d}}}"#));
            operands.push(cell);
        }
        // Cash flows for IRR: one fixed outlay, three uncertain inflows.
        cells.push(("Z1".to_owned(), "-10".to_owned()));
        for (r, a) in (2..=4).zip(["A1", "A2", "A3"]) {
            cells.push((format!("Z{r}"), format!("={a}+4")));
        }
        let mut outputs = Vec::new();
        for f in 0..n_formulas {
            let cell = format!("B{}", f + 1);
            cells.push((cell.clone(), random_formula(&mut rng, &operands)));
            if rng.below(3) == 0 || f + 1 == n_formulas {
                outputs.push(format!(r#"{{"cell": "{cell}"}}"#));
            }
            operands.push(cell);
        }
        let method = if model_no % 2 == 0 { "lhs" } else { "mc" };
        let correlations = if model_no % 3 == 0 {
            r#", "correlations": [{"inputs": ["Sheet1!A1", "Sheet1!A2"], "rank": 0.6}, {"inputs": ["Sheet1!A3", "Sheet1!A1"], "rank": -0.4}]"#
        } else {
            ""
        };
        let json = format!(
            r#"{{"inputs": [{}], "outputs": [{}], "iterations": 3000, "seed": {}, "sampling": "{method}"{correlations}}}"#,
            inputs.join(", "),
            outputs.join(", "),
            model_no * 7919 + 1
        );
        let refs: Vec<(&str, &str)> = cells.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let wb = workbook_from_cells(&refs);
        let spec = SimulationSpec::from_json(&json).expect("spec");
        let (resolved, model, sampler) = prepare(&wb, &spec);
        let label = format!("random model {model_no} ({method}, {} ops)", model.tape.ops.len());
        for p in model.prepared.iter().flatten() {
            let law = match p.parts().law {
                PreparedLaw::Kernel(k) => format!("{k:?}").split([' ', '(']).next().unwrap_or("").to_owned(),
                PreparedLaw::Tabulated { kernel, .. } => {
                    format!("tabulated {kernel:?}").split([' ', '{']).take(2).collect()
                }
                PreparedLaw::Table { .. } => "table".to_owned(),
                PreparedLaw::LinearCdf { .. } => "linear cdf".to_owned(),
                PreparedLaw::LinearDensity { .. } => "linear density".to_owned(),
                PreparedLaw::Direct(_) => "direct".to_owned(),
            };
            laws.insert(law);
        }
        for op in &model.tape.ops {
            ops.insert(format!("{op:?}").split([' ', '{']).next().unwrap_or("").to_owned());
        }
        match montecell_kernels::codegen::check_supported(&model) {
            Ok(()) => {
                compare(&label, &resolved, &model, &sampler, Mode::Full);
            }
            Err(why) => {
                eprintln!("{label}: not on the GPU ({why}); checking its draws");
                compare(&label, &resolved, &model, &sampler, Mode::SamplingOnly);
            }
        }
    }
    eprintln!("laws covered: {laws:?}\noperations covered: {ops:?}");
    assert!(laws.len() >= 12, "{laws:?}");
    for op in
        ["Binary", "BinaryScalar", "Unary", "Call", "Select", "Choose", "IfError", "Aggregate", "Series", "BlankToZero"]
    {
        assert!(ops.contains(op), "{op} not covered: {ops:?}");
    }
}

/// Poisson too wide for a table: the search on the incomplete gamma function, per draw.
#[test]
fn a_poisson_too_wide_for_a_table_is_searched_identically() {
    let wb = workbook_from_cells(&[("A1", "0"), ("B1", "=A1/1000")]);
    let spec = SimulationSpec::from_json(
        r#"{"inputs": [{"cell": "A1", "distribution": {"type": "poisson", "lambda": 3e8, "truncate": {"max": 300000000}}}],
            "outputs": [{"cell": "B1"}], "iterations": 24, "seed": 3, "sampling": "mc"}"#,
    )
    .expect("spec");
    let (resolved, model, sampler) = prepare(&wb, &spec);
    compare("wide poisson", &resolved, &model, &sampler, Mode::Full);
}

/// The large benchmark model (`MONTECELL_LARGE_MODEL`: a `large-model.xlsx` with its
/// `.spec.json` beside it, from `cargo run -p montecell-engine --example gen_workbooks`),
/// through the interpreter (its tape is far over the straight-line limit) and the CPU engine.
#[test]
fn the_large_model_through_the_interpreter_matches_the_engine() {
    let Ok(path) = std::env::var("MONTECELL_LARGE_MODEL") else {
        eprintln!("\n*** SKIPPED: set MONTECELL_LARGE_MODEL to a large-model.xlsx to run this test ***\n");
        return;
    };
    let path = std::path::PathBuf::from(path);
    let wb = montecell_engine::import::read_file(&path, &montecell_engine::import::Limits::default()).expect("reads");
    let text = std::fs::read_to_string(path.with_extension("spec.json")).expect("spec");
    let mut spec = SimulationSpec::from_json(&text).expect("spec");
    spec.iterations = Some(2000);
    let (resolved, model, sampler) = prepare(&wb, &spec);
    let plan = montecell_kernels::codegen::plan(&model);
    eprintln!("large model: {} operations, {} registers: {plan:?}", model.tape.ops.len(), model.tape.registers);
    let program = montecell_kernels::interpreter::encode(&model, &sampler).expect("encodes");
    let host = host_interpret(&program, sampler.seed(), sampler.iterations(), resolved.iterations);
    let cpu = cpu_samples(&model, &sampler, resolved.iterations);
    for (a, b) in host.outputs.iter().chain(&host.inputs).zip(cpu.outputs.iter().chain(&cpu.inputs)) {
        assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "large model differs");
    }
    eprintln!(
        "large model: {} outputs, {} inputs × {} iterations identical",
        host.outputs.len(),
        host.inputs.len(),
        resolved.iterations
    );
}

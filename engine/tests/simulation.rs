//! The Monte Carlo engine end to end: reproducibility, closed-form answers, the two execution
//! paths (vector operations and the per-lane interpreter) agreeing, errors counted per output.

use montecell_engine::compile::boxing::{self, Lane};
use montecell_engine::import::{Limits, read_file};
use montecell_engine::result::OutputResult;
use montecell_engine::run::{Instructions, RunOptions, detected_instructions};
use montecell_engine::sampling::Method;
use montecell_engine::simulate::{Simulation, SimulationError, simulate};
use montecell_engine::spec::SimulationSpec;
use montecell_engine::special::norm_inv;
use montecell_engine::stats;
use montecell_engine::workbook::workbook_from_cells;
use montecell_engine::{Value, Workbook};

fn spec(json: &str) -> SimulationSpec {
    SimulationSpec::from_json(json).unwrap_or_else(|e| panic!("{e}"))
}

fn run_with(wb: &Workbook, spec: &SimulationSpec, threads: usize, batch: usize) -> Simulation {
    let options = RunOptions { threads, batch, ..RunOptions::default() };
    simulate(wb, spec, &options).unwrap_or_else(|e| panic!("{e}"))
}

fn run(wb: &Workbook, spec: &SimulationSpec) -> Simulation {
    run_with(wb, spec, 0, 0)
}

fn output<'a>(sim: &'a Simulation, name: &str) -> &'a OutputResult {
    match sim.result.outputs.iter().find(|o| o.name == name) {
        Some(o) => o,
        None => panic!("no output {name}: {:?}", sim.result.outputs.iter().map(|o| &o.name).collect::<Vec<_>>()),
    }
}

fn percentile(o: &OutputResult, p: f64) -> f64 {
    match o.percentiles.iter().find(|x| x.p == p) {
        Some(x) => x.value,
        None => panic!("no P{p}"),
    }
}

fn example(name: &str) -> Workbook {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name);
    read_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn example_spec(name: &str) -> SimulationSpec {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    spec(&text)
}

/// The result without what legitimately depends on how it was run (timings, threads, batch).
fn comparable(sim: &Simulation) -> serde_json::Value {
    let mut v = serde_json::to_value(&sim.result).unwrap_or_else(|e| panic!("{e}"));
    if let Some(engine) = v.get_mut("engine").and_then(|e| e.as_object_mut()) {
        engine.remove("timing_ms");
        engine.remove("threads");
        engine.remove("batch");
    }
    v
}

fn bits(xs: &[Vec<f64>]) -> Vec<Vec<u64>> {
    xs.iter().map(|s| s.iter().map(|x| x.to_bits()).collect()).collect()
}

#[test]
fn same_seed_gives_identical_results_for_any_thread_count_and_batch_size() {
    let wb = example("npv.xlsx");
    for sampling in ["lhs", "mc"] {
        // Correlated inputs (the spec's), NPV vectorised, IRR with some #NUM! iterations.
        let mut s = example_spec("npv.spec.json");
        s.iterations = Some(20_011);
        s.sampling = Some(if sampling == "lhs" { Method::LatinHypercube } else { Method::MonteCarlo });
        let reference = run_with(&wb, &s, 1, 4096);
        for (threads, batch) in [(2, 64), (3, 1000), (4, 77), (0, 0)] {
            let other = run_with(&wb, &s, threads, batch);
            assert_eq!(bits(&reference.samples.outputs), bits(&other.samples.outputs), "{sampling} {threads}×{batch}");
            assert_eq!(bits(&reference.samples.inputs), bits(&other.samples.inputs), "{sampling} {threads}×{batch}");
            assert_eq!(comparable(&reference), comparable(&other), "{sampling} {threads}×{batch}");
        }
        // And again from scratch: same seed, same numbers.
        assert_eq!(comparable(&reference), comparable(&run_with(&wb, &s, 1, 4096)));
        // A different seed gives different draws.
        s.seed = Some(7);
        assert_ne!(bits(&reference.samples.inputs), bits(&run_with(&wb, &s, 1, 4096).samples.inputs));
    }
}

#[test]
fn every_instruction_set_gives_the_same_bits() {
    // The hot loops are compiled for the x86-64 baseline, AVX2 and AVX-512; a run uses the
    // widest the processor has. Each level this machine has must reproduce the baseline's every
    // sample, on every example (triangular, PERT, discrete and correlated inputs; NPV, IRR,
    // lookups, interpreted formulas) and under both sampling methods.
    let levels: Vec<Instructions> =
        [Instructions::Avx2, Instructions::Avx512].into_iter().filter(|l| l.resolve() == *l).collect();
    eprintln!(
        "instruction sets compared with the baseline on this machine: {levels:?} (detected: {:?})",
        detected_instructions()
    );
    for name in ["npv", "cost-risk", "loan-portfolio"] {
        let wb = example(&format!("{name}.xlsx"));
        for sampling in [Method::LatinHypercube, Method::MonteCarlo] {
            let mut s = example_spec(&format!("{name}.spec.json"));
            s.iterations = Some(5_003);
            s.sampling = Some(sampling);
            let with = |instructions| {
                let options = RunOptions { threads: 2, batch: 256, instructions, ..RunOptions::default() };
                simulate(&wb, &s, &options).unwrap_or_else(|e| panic!("{name}: {e}"))
            };
            let reference = with(Instructions::Baseline);
            for &level in &levels {
                let other = with(level);
                assert_eq!(
                    bits(&reference.samples.outputs),
                    bits(&other.samples.outputs),
                    "{name} {sampling:?} {level:?}"
                );
                assert_eq!(
                    bits(&reference.samples.inputs),
                    bits(&other.samples.inputs),
                    "{name} {sampling:?} {level:?}"
                );
                assert_eq!(comparable(&reference), comparable(&other), "{name} {sampling:?} {level:?}");
            }
        }
    }
}

#[test]
fn a_sum_of_normals_matches_theory() {
    let wb = workbook_from_cells(&[
        ("A1", "=RiskNormal(10, 2)"),
        ("A2", "=RiskNormal(-3, 1.5)"),
        ("A3", "=A1+A2+RiskOutput(\"sum\")"),
    ]);
    for sampling in ["lhs", "mc"] {
        let n: f64 = 100_000.0;
        let sim = run(&wb, &spec(&format!(r#"{{"iterations": {n}, "seed": 3, "sampling": "{sampling}"}}"#)));
        let o = output(&sim, "sum");
        // N(7, 2.5²): the mean within 4 standard errors, the spread within 2%.
        let (mean, sd) = (7.0, 2.5);
        assert!((o.mean - mean).abs() < 4.0 * sd / n.sqrt(), "{sampling}: mean {}", o.mean);
        assert!((o.std / sd - 1.0).abs() < 0.02, "{sampling}: std {}", o.std);
        assert!(o.skewness.abs() < 0.05 && o.kurtosis.abs() < 0.1, "{sampling}: {} {}", o.skewness, o.kurtosis);
        // Percentiles within 4 standard errors of a sample quantile, √(p(1−p)/n)/f(x).
        for p in [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0] {
            let q = p / 100.0;
            let z = norm_inv(q);
            let theory = mean + sd * z;
            let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt() / sd;
            let se = (q * (1.0 - q) / n).sqrt() / density;
            let got = percentile(o, p);
            assert!((got - theory).abs() < 4.0 * se, "{sampling}: P{p} {got} vs {theory} (se {se})");
        }
        assert_eq!(o.errors.count, 0);
        // Both inputs matter, the first more (variance 4 against 2.25).
        assert_eq!(o.sensitivity[0].input, "Sheet1!A1");
        let shares: f64 = o.sensitivity.iter().map(|s| s.contribution).sum();
        assert!((shares - 1.0).abs() < 1e-9);
        assert!((o.sensitivity[0].contribution - 4.0 / 6.25).abs() < 0.02, "{:?}", o.sensitivity);
    }
}

#[test]
fn a_product_of_lognormals_matches_theory() {
    // ln(XY) ~ N(μ₁+μ₂, σ₁²+σ₂²): median e^(μ₁+μ₂), mean e^(μ+σ²/2).
    let wb = workbook_from_cells(&[("B1", "1"), ("B2", "1"), ("B3", "=B1*B2")]);
    let s = spec(
        r#"{"inputs": [
            {"cell": "Sheet1!B1", "name": "x", "distribution": {"type": "lognormal2", "mu": 0.5, "sigma": 0.3}},
            {"cell": "Sheet1!B2", "name": "y", "distribution": {"type": "lognormal2", "mu": 1.0, "sigma": 0.4}}],
          "outputs": [{"cell": "Sheet1!B3", "name": "product"}],
          "iterations": 200000, "seed": 11}"#,
    );
    let sim = run(&wb, &s);
    let o = output(&sim, "product");
    let (mu, s2) = (1.5_f64, 0.3_f64 * 0.3 + 0.4 * 0.4);
    let mean = (mu + s2 / 2.0).exp();
    let sd = ((s2.exp() - 1.0) * (2.0 * mu + s2).exp()).sqrt();
    assert!((o.mean / mean - 1.0).abs() < 0.005, "mean {} vs {mean}", o.mean);
    assert!((o.std / sd - 1.0).abs() < 0.02, "std {} vs {sd}", o.std);
    for p in [5.0, 50.0, 95.0] {
        let theory = (mu + s2.sqrt() * norm_inv(p / 100.0)).exp();
        assert!((percentile(o, p) / theory - 1.0).abs() < 0.01, "P{p} {} vs {theory}", percentile(o, p));
    }
}

#[test]
fn vector_operations_and_the_interpreter_agree_lane_by_lane() {
    // Each pair computes the same thing; INDEX(…, 1) has no vector form, so the second of each
    // pair runs through the scalar evaluator lane by lane.
    let wb = workbook_from_cells(&[
        ("A1", "=RiskTriang(-0.2, 0.05, 0.3)"),
        ("A2", "=RiskUniform(-100, 300)"),
        ("A3", "=RiskDiscrete({0,1,2},{0.2,0.5,0.3})"),
        ("B1", "-1000"),
        ("C1", "=A2*3"),
        ("D1", "=A2*2+200"),
        ("E1", "=IF(A3=0, \"x\", 400)"),
        ("F1", "=500+A1*100"),
        ("G1", "=NPV(A1, B1:F1)+RiskOutput(\"npv\")"),
        ("G2", "=INDEX(NPV(A1, B1:F1), 1)+RiskOutput(\"npv interpreted\")"),
        ("H1", "=IRR(B1:F1)+RiskOutput(\"irr\")"),
        ("H2", "=INDEX(IRR(B1:F1), 1)+RiskOutput(\"irr interpreted\")"),
        ("I1", "=IFERROR(1/A3, -1)*SUM(A1:A2, 5)+MAX(C1:D1)/A2+RiskOutput(\"mixed\")"),
        ("I2", "=INDEX(IFERROR(1/A3, -1)*SUM(A1:A2, 5)+MAX(C1:D1)/A2, 1)+RiskOutput(\"mixed interpreted\")"),
        ("J1", "=(CHOOSE(A3+1, A1, A2, \"t\")&\"\")+RiskOutput(\"choose\")"),
        ("J2", "=INDEX(CHOOSE(A3+1, A1, A2, \"t\")&\"\", 1)+RiskOutput(\"choose interpreted\")"),
        // Conditional aggregates with constant criteria: the matching cells are chosen at
        // compile time.
        ("B3", "a"),
        ("C3", "b"),
        ("D3", "a"),
        ("E3", "a"),
        ("F3", "c"),
        ("B4", "1"),
        ("C4", "2"),
        ("D4", "2"),
        ("E4", "1"),
        ("F4", "2"),
        ("K1", "=SUMIF(B3:F3, \"a\", B1:F1)+RiskOutput(\"sumif\")"),
        ("K2", "=INDEX(SUMIF(B3:F3, \"a\", B1:F1), 1)+RiskOutput(\"sumif interpreted\")"),
        ("L1", "=AVERAGEIFS(B1:F1, B3:F3, \"<>b\", B4:F4, \">1\")+RiskOutput(\"averageifs\")"),
        ("L2", "=INDEX(AVERAGEIFS(B1:F1, B3:F3, \"<>b\", B4:F4, \">1\"), 1)+RiskOutput(\"averageifs interpreted\")"),
        ("M1", "=MAXIFS(B1:F1, B3:F3, \"a\")-MINIFS(B1:F1, B4:F4, 2)+RiskOutput(\"maxifs\")"),
        ("M2", "=INDEX(MAXIFS(B1:F1, B3:F3, \"a\")-MINIFS(B1:F1, B4:F4, 2), 1)+RiskOutput(\"maxifs interpreted\")"),
    ]);
    let sim = run(&wb, &spec(r#"{"iterations": 5000, "seed": 5}"#));
    let stats = &sim.result.engine.model;
    assert!(stats.interpreted >= 7 && stats.vectorised >= 7, "{stats:?}");
    let index = |name: &str| match sim.result.outputs.iter().position(|o| o.name == name) {
        Some(i) => i,
        None => panic!("no output {name}"),
    };
    for name in ["npv", "irr", "mixed", "choose", "sumif", "averageifs", "maxifs"] {
        let native = &sim.samples.outputs[index(name)];
        let interpreted = &sim.samples.outputs[index(&format!("{name} interpreted"))];
        for (i, (a, b)) in native.iter().zip(interpreted).enumerate() {
            let same = a.to_bits() == b.to_bits()
                || matches!((boxing::unbox(*a), boxing::unbox(*b)), (Lane::Number(x), Lane::Number(y)) if x == y);
            assert!(same, "{name}, iteration {i}: {:?} vs {:?}", boxing::unbox(*a), boxing::unbox(*b));
        }
    }
    // The text branch of E1 makes some NPVs skip a value and some IRRs fail; errors are
    // counted, never turned into numbers.
    let mixed = output(&sim, "mixed");
    assert_eq!(mixed.errors.count, 0);
    let choose = output(&sim, "choose");
    assert!(choose.errors.count > 1000, "{:?}", choose.errors);
}

#[test]
fn excel_errors_are_counted_per_output_and_never_become_zero() {
    let wb = workbook_from_cells(&[
        ("A1", "=RiskUniform(-1, 1)"),
        ("A2", "=1/(A1>0)+RiskOutput(\"half errors\")"),
        ("A3", "=IFERROR(A2, 5)+RiskOutput(\"caught\")"),
    ]);
    let sim = run(&wb, &spec(r#"{"iterations": 10000, "sampling": "lhs"}"#));
    let o = output(&sim, "half errors");
    assert_eq!(o.errors.count, 5000, "{:?}", o.errors);
    assert_eq!(o.errors.by_kind.get("#DIV/0!"), Some(&5000));
    // The numeric iterations are all 1: statistics over them, not over zeros.
    assert_eq!((o.mean, o.min, o.max), (1.0, 1.0, 1.0));
    // The result's JSON reads back, even for an output that is an error in every iteration
    // (its statistics are null).
    let wb = workbook_from_cells(&[("A1", "=RiskUniform(0, 1)"), ("A2", "=NA()+A1+RiskOutput(\"never\")")]);
    let all_errors = run(&wb, &spec(r#"{"iterations": 100}"#));
    let json = serde_json::to_string(&all_errors.result).unwrap_or_else(|e| panic!("{e}"));
    assert!(json.contains("\"mean\":null"), "{json}");
    let back: montecell_engine::result::SimulationResult =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert!(back.outputs[0].mean.is_nan() && back.outputs[0].std_error.is_nan());
    assert_eq!(back.outputs[0].errors.count, 100);
    let caught = output(&sim, "caught");
    assert_eq!(caught.errors.count, 0);
    assert!((caught.mean - 3.0).abs() < 1e-9, "{}", caught.mean);
}

#[test]
fn lookups_and_conditional_sums_vary_per_iteration() {
    // A lookup with an uncertain key and a SUMIF over uncertain values.
    let wb = workbook_from_cells(&[
        ("A1", "1"),
        ("A2", "2"),
        ("A3", "3"),
        ("B1", "10"),
        ("B2", "20"),
        ("B3", "30"),
        ("C1", "=RiskDiscrete({1,2,3},{1,1,2})"),
        ("C2", "=VLOOKUP(C1, A1:B3, 2, FALSE)+RiskOutput(\"lookup\")"),
        ("D1", "=RiskUniform(0, 1)"),
        ("D2", "=RiskUniform(0, 1)"),
        ("D3", "=RiskUniform(0, 1)"),
        ("D4", "=SUMIF(D1:D3, \">0.5\")+RiskOutput(\"sumif\")"),
    ]);
    let sim = run(&wb, &spec(r#"{"iterations": 40000, "seed": 9}"#));
    let lookup = output(&sim, "lookup");
    // 10·¼ + 20·¼ + 30·½ = 22.5 exactly under Latin Hypercube with n divisible by 4.
    assert!((lookup.mean - 22.5).abs() < 1e-9, "{}", lookup.mean);
    let sumif = output(&sim, "sumif");
    // Three uniforms, each contributing E[U; U > ½] = 3/8.
    assert!((sumif.mean - 1.125).abs() < 0.01, "{}", sumif.mean);
}

#[test]
fn outside_a_simulation_distribution_functions_return_their_mean_or_static_value() {
    let wb = workbook_from_cells(&[
        ("A1", "=RiskNormal(10, 2)"),
        ("A2", "=RiskTriang(0, 3, 9)"),
        ("A3", "=RiskNormal(10, 2, RiskStatic(7))"),
        ("A4", "=PsiUniform(2, 4)"),
    ]);
    let mut ev = montecell_engine::eval::Evaluator::new(&wb);
    let order = montecell_engine::graph::evaluation_order(&wb);
    ev.evaluate_in_order(&order);
    let mut cell = |a1: &str| match montecell_engine::address::parse_a1(a1) {
        Some((r, c)) => ev.cell_value(montecell_engine::CellRef::new(montecell_engine::SheetId(0), r, c)),
        None => Value::Blank,
    };
    assert_eq!(cell("A1"), Value::Number(10.0));
    assert_eq!(cell("A2"), Value::Number(4.0));
    assert_eq!(cell("A3"), Value::Number(7.0));
    assert_eq!(cell("A4"), Value::Number(3.0));
}

#[test]
fn a_model_without_inputs_or_outputs_says_how_to_mark_them() {
    let wb = workbook_from_cells(&[("A1", "1"), ("A2", "=A1*2")]);
    let no_outputs = simulate(&wb, &SimulationSpec::default(), &RunOptions::default());
    let message = match no_outputs {
        Err(e @ SimulationError::Compile(_)) => e.to_string(),
        other => panic!("expected a compile error, got {:?}", other.map(|s| s.result.iterations)),
    };
    assert!(message.contains("no outputs") && message.contains("RiskOutput"), "{message}");
    let s = spec(r#"{"outputs": [{"cell": "Sheet1!A2"}]}"#);
    let message = match simulate(&wb, &s, &RunOptions::default()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a model without inputs ran"),
    };
    assert!(message.contains("no uncertain inputs") && message.contains("RiskNormal"), "{message}");
    // A cell that does not exist in the workbook's sheets is named.
    let s = spec(r#"{"outputs": [{"cell": "Nope!A2"}]}"#);
    let message = match simulate(&wb, &s, &RunOptions::default()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("an unknown sheet was accepted"),
    };
    assert!(message.contains("Nope"), "{message}");
}

#[test]
fn rand_calls_are_independent_streams() {
    let wb = workbook_from_cells(&[
        ("A1", "=RAND()"),
        ("A2", "=RAND()"),
        ("A3", "=A1-A2+RiskOutput(\"difference\")"),
        ("A4", "=RANDBETWEEN(1, 6)+RiskOutput(\"die\")"),
    ]);
    let sim = run(&wb, &spec(r#"{"iterations": 60000, "seed": 2}"#));
    let d = output(&sim, "difference");
    // U₁ − U₂ is triangular on (−1, 1): variance 1/6 (it would be 0 if the calls shared a stream).
    assert!((d.std * d.std - 1.0 / 6.0).abs() < 0.005, "{}", d.std);
    let die = output(&sim, "die");
    assert!((die.mean - 3.5).abs() < 1e-9 && die.min == 1.0 && die.max == 6.0, "{:?}", (die.mean, die.min, die.max));
}

#[test]
fn uncertain_formulas_that_read_each_other_are_a_compile_error_naming_the_cells() {
    let wb = workbook_from_cells(&[
        ("A1", "=RiskUniform(0, 1)"),
        ("B1", "=IF(A1>2, C1, A1)"),
        ("C1", "=B1*2+RiskOutput(\"c\")"),
    ]);
    let message = match simulate(&wb, &spec(r#"{"iterations": 10}"#), &RunOptions::default()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a cycle among uncertain formulas was compiled"),
    };
    assert_eq!(message, "circular reference among uncertain formulas: Sheet1!C1 → Sheet1!B1 → Sheet1!C1");
}

#[test]
fn a_reference_computed_by_indirect_to_a_later_formula_carries_its_uncertainty() {
    // B1 comes before C1 in the static order (it names no cell), but reads it through
    // INDIRECT: the analysis must go round again to find that B1 varies.
    let wb = workbook_from_cells(&[
        ("A1", "=RiskUniform(0, 1)"),
        ("B1", "=INDIRECT(\"C\"&1)+RiskOutput(\"b\")"),
        ("C1", "=A1*2"),
    ]);
    let sim = run(&wb, &spec(r#"{"iterations": 1000}"#));
    let b = &sim.samples.outputs[0];
    for (i, (&x, &a)) in b.iter().zip(&sim.samples.inputs[0]).enumerate() {
        assert_eq!(x, a * 2.0, "iteration {i}");
    }
    assert!(output(&sim, "b").std > 0.1);
}

#[test]
fn sensitivities_and_output_correlations_are_spearman_over_the_numeric_iterations() {
    // Every way the statistics rank: Latin Hypercube inputs with and without ties (ranked
    // from their strata), copula inputs (sorted), outputs with many, few and no error
    // iterations, with and without ties. Each correlation must be Spearman's over the
    // iterations where the output (both outputs) is a number, to the bit.
    let wb = workbook_from_cells(&[
        ("A1", "=RiskDiscrete({0,1,2},{0.2,0.5,0.3})"),
        ("A2", "=RiskUniform(-1, 1)"),
        ("A3", "=RiskNormal(0, 1)"),
        ("A4", "=RiskTriang(0, 1, 3)"),
        ("B1", "=1/(A2>-0.5)+A3+A4+RiskOutput(\"many errors\")"),
        ("B2", "=ROUND(A3, 1)+A1+RiskOutput(\"ties\")"),
        ("B3", "=A2+A3*A1-A4+RiskOutput(\"full\")"),
        ("B4", "=IF(A2>0.999, 1/0, A3-A2*A4)+RiskOutput(\"few errors\")"),
    ]);
    let sim = run(
        &wb,
        &spec(
            r#"{"iterations": 20000, "seed": 3, "correlations": [{"inputs": ["Sheet1!A2", "Sheet1!A3"], "rank": 0.6}]}"#,
        ),
    );
    let numbers = |lanes: &[f64]| -> Vec<Option<f64>> {
        lanes
            .iter()
            .map(|&x| match boxing::unbox(x) {
                Lane::Number(n) => Some(n),
                _ => None,
            })
            .collect()
    };
    let outputs: Vec<Vec<Option<f64>>> = sim.samples.outputs.iter().map(|o| numbers(o)).collect();
    let errors: Vec<usize> = outputs.iter().map(|o| o.iter().filter(|x| x.is_none()).count()).collect();
    assert!(errors[0] > 1000 && errors[1] == 0 && errors[2] == 0 && (1..=64).contains(&errors[3]), "{errors:?}");
    for (k, out) in sim.result.outputs.iter().enumerate() {
        for (j, input) in sim.result.inputs.iter().enumerate() {
            let (xs, ys): (Vec<f64>, Vec<f64>) =
                outputs[k].iter().zip(&sim.samples.inputs[j]).filter_map(|(y, &x)| y.map(|y| (x, y))).unzip();
            let expected = stats::spearman(&xs, &ys);
            let got = out.sensitivity.iter().find(|s| s.input == input.name).map(|s| s.rank_correlation);
            assert_eq!(got.map(f64::to_bits), Some(expected.to_bits()), "{} with {}", out.name, input.name);
        }
        for (l, other) in outputs.iter().enumerate().filter(|&(l, _)| l != k) {
            let (a, b): (Vec<f64>, Vec<f64>) =
                outputs[k].iter().zip(other).filter_map(|(a, b)| Some((((*a)?), (*b)?))).unzip();
            let expected = stats::spearman(&a, &b);
            assert_eq!(sim.result.output_correlations[k][l].to_bits(), expected.to_bits(), "outputs {k} and {l}");
        }
    }
}

#[test]
fn output_markers_name_their_outputs() {
    let wb = workbook_from_cells(&[
        ("A1", "=RiskNormal(0, 1)"),
        ("B1", "Profit"),
        ("A2", "=RiskOutput(\"Net \"&B1)+A1"),
        ("A3", "=RiskOutput(B1)+A1*2"),
        ("A4", "=RiskOutput()+A1*3"),
        ("A5", "=PsiOutput(B1)&A1"),
    ]);
    let sim = run(&wb, &spec(r#"{"iterations": 100}"#));
    let names: Vec<&str> = sim.result.outputs.iter().map(|o| o.name.as_str()).collect();
    // PsiOutput's argument is its value, not a name.
    assert_eq!(names, ["Net Profit", "Profit", "Sheet1!A4", "Sheet1!A5"]);
}

#[test]
fn an_operation_repeated_on_the_same_values_is_computed_once() {
    let wb = workbook_from_cells(&[("A1", "=RiskNormal(0, 1)"), ("B1", "=(A1+1)*2"), ("C1", "=(A1+1)*3")]);
    let sim = run(&wb, &spec(r#"{"outputs": [{"cell": "Sheet1!B1"}, {"cell": "Sheet1!C1"}], "iterations": 1000}"#));
    // A1+1 once, then the two products.
    assert_eq!(sim.result.engine.model.operations, 3, "{:?}", sim.result.engine.model);
    let (b, c) = (&sim.samples.outputs[0], &sim.samples.outputs[1]);
    assert!(b.iter().zip(c).all(|(b, c)| (b / 2.0 - c / 3.0).abs() < 1e-12));
}

/// `detect` lists the workbook's own distribution calls and output markers, one per call.
#[test]
fn detect_lists_distribution_calls_and_markers() {
    let wb = workbook_from_cells(&[
        ("A1", "=RiskNormal(10, 2) + _xll.RiskUniform(0, 1)"),
        ("A2", "=RAND()"),
        ("A3", "=A1 + A2 + RiskOutput(\"total\")"),
        ("A4", "=PsiOutput() + A3"),
        ("A5", "=SUM(A1:A4)"),
    ]);
    let (inputs, outputs) = montecell_engine::compile::detect(&wb);
    let pairs = |d: &[montecell_engine::compile::Detected]| -> Vec<(String, String)> {
        d.iter().map(|d| (d.cell.clone(), d.function.clone())).collect()
    };
    assert_eq!(
        pairs(&inputs),
        [("Sheet1!A1", "RISKNORMAL"), ("Sheet1!A1", "RISKUNIFORM"), ("Sheet1!A2", "RAND")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(
        pairs(&outputs),
        [("Sheet1!A3", "RISKOUTPUT"), ("Sheet1!A4", "PSIOUTPUT")].map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

//! The text a simulation makes while running a batch takes bounded memory: a thread's string
//! table is collected between operations once the strings made since the last collection pass
//! a threshold, and the results are those of a run that keeps every string. The case that
//! needs it: the longest formula Excel allows as one chain of `&` over a cell that varies per
//! iteration makes, per iteration, strings whose lengths sum to the square of the chain's
//! (gigabytes per batch when every string is kept until the batch ends).

#![allow(clippy::expect_used)]

use montecell_engine::compile::boxing::{self, Lane, STRING_OVERHEAD};
use montecell_engine::compile::compile;
use montecell_engine::eval::Evaluator;
use montecell_engine::parse::MAX_FORMULA_CHARS;
use montecell_engine::run::{COLLECT_TEXT_AFTER, RunOptions, Samples, TextOptions, TextStats, run_with_text};
use montecell_engine::simulate::build_sampler;
use montecell_engine::spec::SimulationSpec;
use montecell_engine::workbook::workbook_from_cells;
use montecell_engine::{CellRef, SheetId, Value, Workbook};

fn at(a1: &str) -> CellRef {
    let (row, col) = montecell_engine::address::parse_a1(a1).expect("a1");
    CellRef::new(SheetId(0), row, col)
}

/// Runs the simulation `spec` describes (its iterations) with these options.
fn run(wb: &Workbook, spec: &str, threads: usize, batch: usize, collect_after: usize) -> (Samples, TextStats) {
    let spec = SimulationSpec::from_json(spec).expect("spec");
    let resolved = spec.resolve(wb).expect("resolve");
    let model = compile(wb, &resolved.inputs, &resolved.outputs).expect("compile");
    let (sampler, _) = build_sampler(&model, &resolved).expect("sampler");
    let options = RunOptions { threads, batch, ..RunOptions::default() };
    run_with_text(&model, &sampler, resolved.iterations, &options, TextOptions { collect_after }).expect("run")
}

/// A lane, comparable: numbers, booleans and errors by their bits, text as text (its id is the
/// batch's business).
fn comparable(x: f64) -> String {
    match boxing::unbox(x) {
        Lane::Text(_) => "text".to_owned(),
        _ => format!("{:#x}", x.to_bits()),
    }
}

fn same_outputs(a: &Samples, b: &Samples, what: &str) {
    assert_eq!(a.outputs.len(), b.outputs.len());
    for (k, (x, y)) in a.outputs.iter().zip(&b.outputs).enumerate() {
        let (x, y): (Vec<String>, Vec<String>) =
            (x.iter().map(|&v| comparable(v)).collect(), y.iter().map(|&v| comparable(v)).collect());
        if let Some(i) = (0..x.len()).find(|&i| x[i] != y[i]) {
            panic!("{what}: output {k}, iteration {i}: {} vs {}", x[i], y[i]);
        }
    }
    for (x, y) in a.inputs.iter().zip(&b.inputs) {
        assert!(x.iter().zip(y).all(|(x, y)| x.to_bits() == y.to_bits()), "{what}: inputs");
    }
}

/// `A1` uniform on [1, 2]; `A2` a text made from it by the formula `piece`; `B1` the longest
/// chain `=A2&A2&…&A2` (`n` times `A2`); the outputs read the chain as numbers (and B1 as
/// text). Returns the workbook, `n` and the spec (its iterations to be filled in).
fn chain_workbook(piece: &str) -> (Workbook, usize, String) {
    let n = (MAX_FORMULA_CHARS + 1) / 3; // `A2` and n − 1 times `&A2`: 3n − 1 characters.
    let chain = format!("={}", vec!["A2"; n].join("&"));
    assert_eq!(chain.chars().count(), MAX_FORMULA_CHARS + 1, "Excel's longest formula, after its `=`");
    let rept = format!("=B1=REPT(A2,{n})");
    let cells = [
        ("A1", "1.5"),
        ("A2", piece),
        ("B1", chain.as_str()),
        ("C1", "=LEN(B1)"),
        ("C2", rept.as_str()),
        ("C3", "=VALUE(RIGHT(B1,LEN(A2)))"),
        ("C4", "=CODE(MID(B1,LEN(B1)/2,1))"),
    ];
    let spec = r#"{"inputs": [{"cell": "Sheet1!A1", "distribution": {"type": "uniform", "min": 1, "max": 2}}],
        "outputs": [{"cell": "Sheet1!B1"}, {"cell": "Sheet1!C1"}, {"cell": "Sheet1!C2"}, {"cell": "Sheet1!C3"},
            {"cell": "Sheet1!C4"}],
        "iterations": ITERATIONS, "seed": 11, "sampling": "mc"}"#;
    (workbook_from_cells(&cells), n, spec.to_owned())
}

/// The outputs of some iterations against the scalar evaluator given the iteration's input.
fn check_against_evaluator(wb: &Workbook, samples: &Samples, iterations: &[usize]) {
    for &i in iterations {
        let mut ev = Evaluator::new(wb);
        ev.set_overlay_cell(at("A1"), Value::Number(samples.inputs[0][i]));
        for (k, cell) in ["C1", "C2", "C3", "C4"].iter().enumerate() {
            let lane = samples.outputs[k + 1][i];
            let want = boxing::from_value(&ev.cell_value(at(cell)), &mut boxing::Strings::default());
            assert_eq!(lane.to_bits(), want.to_bits(), "{cell}, iteration {i}: {:?}", boxing::unbox(lane));
        }
        assert!(matches!(boxing::unbox(samples.outputs[0][i]), Lane::Text(_)), "B1, iteration {i}");
    }
}

/// With the iterations filled in.
fn with_iterations(spec: &str, iterations: usize) -> String {
    spec.replace("ITERATIONS", &iterations.to_string())
}

/// The first `n` iterations of `a` and `b` computed the same.
fn same_first(a: &Samples, b: &Samples, n: usize, what: &str) {
    let cut = |s: &Samples| Samples {
        outputs: s.outputs.iter().map(|o| o[..n].to_vec()).collect(),
        inputs: s.inputs.iter().map(|i| i[..n].to_vec()).collect(),
        ..Samples::default()
    };
    same_outputs(&cut(a), &cut(b), what);
}

/// The longest `&` chain over a one-character text that varies per iteration, for full batches
/// of 4,096 iterations on one and two threads: the strings a thread holds stay under the
/// collection threshold plus a few registers of the longest strings, where keeping every
/// string takes more than that for 64 iterations (and 64 times more for a full batch: 15 GB);
/// the results are those of the scalar evaluator and of a run that keeps every string.
#[test]
fn the_longest_chain_over_a_full_batch_keeps_text_memory_bounded() {
    let (wb, n, spec) = chain_workbook("=MID(A1,4,1)");
    let (one, one_stats) = run(&wb, &with_iterations(&spec, 4096), 1, 0, COLLECT_TEXT_AFTER);
    assert_eq!(one.batch, 4096, "a default batch");
    let (two, two_stats) = run(&wb, &with_iterations(&spec, 8192), 2, 0, COLLECT_TEXT_AFTER);
    assert_eq!((two.batch, two.threads), (4096, 2));

    // The chain's registers (the value read and the value made) and one more, of strings of at
    // most `n` characters, over the threshold.
    let bound = COLLECT_TEXT_AFTER + 3 * one.batch * (n + STRING_OVERHEAD);
    for (stats, what) in [(one_stats, "one thread"), (two_stats, "two threads")] {
        assert!(stats.peak_bytes <= bound, "{what}: {stats:?}, bound {bound}");
        assert!(stats.collections > 0, "{what}: {stats:?}");
    }
    check_against_evaluator(&wb, &one, &[0, 1, 4095]);
    check_against_evaluator(&wb, &two, &[4096, 8191]);
    assert_eq!(one.outputs[1][7], n as f64, "LEN: one character per `A2`");
    assert_eq!(boxing::unbox(one.outputs[2][7]), Lane::Bool(true), "B1 = REPT(A2, n)");
    same_first(&one, &two, 4096, "one thread, two threads");

    // Every string kept until the batch ends (no collection), for 64 iterations only.
    let (kept, kept_stats) = run(&wb, &with_iterations(&spec, 64), 1, 0, usize::MAX);
    assert_eq!(kept_stats.collections, 0);
    assert!(kept_stats.peak_bytes > bound, "{kept_stats:?}, bound {bound}");
    same_first(&one, &kept, 64, "collected, kept");
}

/// The longest chain over an 11-character text (the chain's result, 30,041 characters, within
/// Excel's 32,767), in batches of 64 on one and two threads, collected after 4 MiB.
#[test]
fn a_chain_over_a_longer_text_is_collected_at_the_threshold_asked() {
    let (wb, n, spec) = chain_workbook(r#"=TEXT(A1,"0.000000000")"#);
    let spec = with_iterations(&spec, 192);
    let after = 4 << 20;
    let (one, one_stats) = run(&wb, &spec, 1, 64, after);
    let (two, two_stats) = run(&wb, &spec, 2, 64, after);
    let longest = 11 * n;
    assert_eq!(one.outputs[1][0], longest as f64);
    assert!(longest <= 32_767);
    let bound = after + 3 * 64 * (longest + STRING_OVERHEAD);
    for (stats, what) in [(one_stats, "one thread"), (two_stats, "two threads")] {
        assert!(stats.peak_bytes <= bound, "{what}: {stats:?}, bound {bound}");
        assert!(stats.collections > 0, "{what}: {stats:?}");
    }
    check_against_evaluator(&wb, &one, &[0, 100, 191]);
    same_outputs(&one, &two, "one thread, two threads");
    // Kept until the batch ends: four iterations take more.
    let (kept, kept_stats) = run(&wb, &spec.replace("192", "4"), 1, 64, usize::MAX);
    assert!(kept_stats.peak_bytes > bound, "{kept_stats:?}, bound {bound}");
    same_first(&one, &kept, 4, "collected, kept");
}

/// Text through every kind of operation of the tape (concatenation, functions, IF, CHOOSE,
/// IFERROR, aggregates, formulas interpreted lane by lane), outputs that read it as numbers:
/// collecting after every operation that makes text (so that any register the collection
/// misses, or keeps with the wrong id, changes a result) gives the results of never
/// collecting, for any thread count and batch size.
#[test]
fn collecting_after_every_operation_changes_no_result() {
    let cells = [
        ("A1", "0.5"),
        ("A2", "1"),
        ("A3", "pad"),
        ("B1", r#"="x"&A1"#),
        ("B2", r#"=IF(A1>0.5,B1&"-hi",UPPER(B1))"#),
        ("B3", r#"=CHOOSE(A2,B1,B2,"three")"#),
        ("B4", "=IFERROR(VALUE(B3),B2&B3)"),
        // An intersection: interpreted lane by lane.
        ("B5", "=A1 A1&B4"),
        ("B6", r#"=TEXT(A1,"0.000")&REPT("ab",A2)"#),
        ("B7", "=B6&B6&B6&B1&B2&A3"),
        ("B8", "=IF(LEN(B7)>40,LEFT(B7,5),B5)"),
        ("B9", "=B8&B3"),
        ("C1", "=LEN(B2)"),
        ("C2", "=LEN(B7)+LEN(B9)"),
        ("C3", "=B7=B6&B6&B6&B1&B2&A3"),
        ("C4", "=CODE(RIGHT(B3))"),
        ("C5", r#"=FIND("ab",B7&"ab")"#),
        ("C6", "=VALUE(MID(B6,3,3))"),
        ("C7", "=SUM(LEN(B1),LEN(B4),LEN(B5))"),
        ("C8", "=IFERROR(VALUE(B4),-1)"),
        ("C9", "=EXACT(B9,B8&B3)"),
        ("C10", "=LEN(A1 A1&B9)"),
        ("C11", r#"=IF(B3="three",1,2)+LEN(B8)"#),
    ];
    let wb = workbook_from_cells(&cells);
    let numeric = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C11"];
    let outputs: Vec<String> =
        numeric.iter().chain(&["B5", "B9"]).map(|c| format!(r#"{{"cell": "Sheet1!{c}"}}"#)).collect();
    let spec = format!(
        r#"{{"inputs": [
                {{"cell": "Sheet1!A1", "distribution": {{"type": "uniform", "min": 0, "max": 1}}}},
                {{"cell": "Sheet1!A2", "distribution": {{"type": "discrete", "values": [1, 2, 3], "weights": [1, 1, 1]}}}}],
            "outputs": [{}], "iterations": 300, "seed": 5}}"#,
        outputs.join(",")
    );
    let (reference, never) = run(&wb, &spec, 1, 0, usize::MAX);
    assert_eq!(never.collections, 0);
    // The outputs are numbers (not all errors), and agree with the scalar evaluator.
    for (k, cell) in numeric.iter().enumerate() {
        let lanes = &reference.outputs[k];
        assert!(
            lanes.iter().all(|&x| matches!(boxing::unbox(x), Lane::Number(_) | Lane::Bool(_))),
            "{cell}: {:?}",
            lanes.iter().map(|&x| boxing::unbox(x)).find(|l| !matches!(l, Lane::Number(_) | Lane::Bool(_)))
        );
        for i in [0, 1, 2, 150, 299] {
            let mut ev = Evaluator::new(&wb);
            ev.set_overlay_cell(at("A1"), Value::Number(reference.inputs[0][i]));
            ev.set_overlay_cell(at("A2"), Value::Number(reference.inputs[1][i]));
            let want = boxing::from_value(&ev.cell_value(at(cell)), &mut boxing::Strings::default());
            assert_eq!(lanes[i].to_bits(), want.to_bits(), "{cell}, iteration {i}");
        }
    }
    for (threads, batch) in [(1, 0), (1, 64), (2, 64), (2, 7), (1, 1)] {
        let (samples, stats) = run(&wb, &spec, threads, batch, 0);
        assert!(stats.collections > 0, "{stats:?}");
        same_outputs(
            &reference,
            &samples,
            &format!("{threads} threads, batch {batch}, collecting after every operation"),
        );
        let (samples, _) = run(&wb, &spec, threads, batch, COLLECT_TEXT_AFTER);
        same_outputs(&reference, &samples, &format!("{threads} threads, batch {batch}"));
    }
}

//! Replays what the fuzz targets (`fuzz/`, `scripts/fuzz`) found, and their seeds, through the
//! same code on every test run: the formula parser answers an expression or a positioned error,
//! the import answers a workbook or an error, and neither panics. Also the formula of Excel's
//! maximum length that makes the deepest tree (a stack overflow aborts the whole process).

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

use montecell_engine::address::SheetId;
use montecell_engine::import::{Limits, read_bytes};
use montecell_engine::parse::parse_formula;

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    out.sort();
    out
}

#[test]
fn formula_inputs_parse_or_fail_cleanly() {
    let inputs = [files("fuzz/seeds/formula_parser"), files("fuzz/regressions/formula_parser")].concat();
    assert!(!inputs.is_empty(), "the seeds are part of the repository");
    let sheets = vec!["Inputs".to_owned(), "Model".to_owned(), "My Sheet".to_owned()];
    for path in inputs {
        let bytes = std::fs::read(&path).expect("read");
        if let Ok(text) = std::str::from_utf8(&bytes)
            && let Err(e) = parse_formula(text, SheetId(1), &sheets)
        {
            assert!(e.position <= text.len() + 1, "{}: error position past the text", path.display());
        }
    }
}

#[test]
fn workbook_inputs_import_or_fail_cleanly() {
    let inputs = [files("examples"), files("fuzz/regressions/xlsx_import")].concat();
    assert!(inputs.iter().any(|p| p.extension().is_some_and(|e| e == "xlsx")));
    for path in inputs.iter().filter(|p| p.extension().is_none_or(|e| e != "json")) {
        let bytes = std::fs::read(path).expect("read");
        if let Ok(wb) = read_bytes(&bytes, &Limits::default()) {
            let _ = montecell_engine::recalc::recalculate(&wb);
        }
    }
}

/// A formula body of exactly `len` characters: `first`, then `steps` (cycled) `n` times, after as
/// many `+` signs as the length needs (a unary plus: no effect on a number).
fn chain(first: &str, steps: &[&str], n: usize, len: usize) -> String {
    let body: String = std::iter::once(first).chain(steps.iter().copied().cycle().take(n)).collect();
    assert!(body.len() <= len, "{first}: {} > {len}", body.len());
    format!("{}{body}", "+".repeat(len - body.len()))
}

/// How many `steps` fit after the longest of `firsts` in `len` characters.
fn steps_that_fit(firsts: &[&str], steps: &[&str], len: usize) -> usize {
    let longest = firsts.iter().map(|f| f.len()).max().unwrap_or(0);
    let mut used = longest;
    let mut n = 0;
    while used + steps[n % steps.len()].len() <= len {
        used += steps[n % steps.len()].len();
        n += 1;
    }
    n
}

/// The longest formula Excel allows (8,192 characters) made of one chain of operators is a
/// tree thousands of levels deep (`1+1+…+1`: 4,096). It must parse, evaluate (in the
/// recalculation and in the per-iteration interpreter) and compile to the simulation tape on a
/// thread with the 2 MiB stack of tokio's workers and of the simulation's threads, without a
/// stack overflow (which would abort the process: the service, not just the request). One
/// character more is a parse error, and the cell is `#NAME?` as for any formula that does not
/// parse.
#[test]
fn longest_formulas_parse_evaluate_and_compile_on_a_2_mib_stack() {
    use montecell_engine::compile::boxing::{self, Lane};
    use montecell_engine::eval::Evaluator;
    use montecell_engine::parse::MAX_FORMULA_CHARS;
    use montecell_engine::run::RunOptions;
    use montecell_engine::simulate::simulate;
    use montecell_engine::spec::SimulationSpec;
    use montecell_engine::workbook::workbook_from_cells;
    use montecell_engine::{CellRef, ErrorKind, SheetId, Value};

    let work = || {
        let len = MAX_FORMULA_CHARS;
        // Each chain twice: starting with `A1` (the formula is compiled to vector operations)
        // and with `A1 A1` (an intersection, which has none: the whole formula is interpreted
        // lane by lane); both read the same value. The text chain reads A2, whose text is one
        // character, to stay quick; `tests/text_memory.rs` runs long chains over longer text and
        // bounds the memory their strings take.
        let sum = ["+1"];
        let arith = ["+1", "-1", "*1", "/1", "^1"];
        let all = ["+1", "-1", "*1", "/1", "^1", "%", "&1", "<>0", "=TRUE", "<2", ">=A1", "<=1", ">0"];
        let concat = ["&A2"];
        let kinds: [(&str, [&str; 2], &[&str]); 4] = [
            ("sum", ["A1", "A1 A1"], &sum),
            ("arith", ["A1", "A1 A1"], &arith),
            ("all", ["A1", "A1 A1"], &all),
            ("concat", ["A2", "A2 A2"], &concat),
        ];
        let mut cells: Vec<(String, String)> = vec![("A1".into(), "2".into()), ("A2".into(), "2".into())];
        let mut outputs = Vec::new();
        let mut counts = Vec::new();
        for (row, (name, firsts, steps)) in kinds.iter().enumerate() {
            let n = steps_that_fit(firsts, steps, len);
            counts.push(n);
            for (col, first) in ["B", "C"].iter().zip(firsts) {
                let formula = chain(first, steps, n, len);
                assert_eq!(formula.chars().count(), MAX_FORMULA_CHARS);
                let cell = format!("{col}{}", row + 1);
                outputs.push(format!(r#"{{"cell": "Sheet1!{cell}", "name": "{name} {first}"}}"#));
                cells.push((cell, format!("={formula}")));
            }
        }
        // A constant chain (not uncertain: only the recalculation evaluates it), and one
        // character too many.
        cells.push(("D1".into(), format!("={}", chain("1", &sum, (len - 1) / 2, len))));
        cells.push(("D2".into(), format!("={}", chain("1", &sum, (len - 1) / 2, len + 1))));
        let refs: Vec<(&str, &str)> = cells.iter().map(|(c, f)| (c.as_str(), f.as_str())).collect();
        let wb = workbook_from_cells(&refs);

        let problems = wb.problems();
        assert_eq!(
            problems.len(),
            1,
            "only D2 does not parse: {:?}",
            problems.iter().map(|p| &p.cell).collect::<Vec<_>>()
        );
        assert!(problems[0].cell.ends_with("D2"), "{}", problems[0].cell);
        assert!(problems[0].error.message.contains("longer than 8192 characters"), "{}", problems[0].error);
        // The stored formula has no `=`: its first character past the limit.
        assert_eq!(problems[0].error.position, MAX_FORMULA_CHARS);

        // Evaluated by the recalculation's evaluator (A1 = A2 = 2).
        let at = |a1: &str| {
            let (row, col) = montecell_engine::address::parse_a1(a1).expect("a1");
            CellRef::new(SheetId(0), row, col)
        };
        let fold = |x: f64, steps: &[&str], n: usize| {
            steps.iter().cycle().take(n).fold(x, |acc, s| match *s {
                "+1" => acc + 1.0,
                "-1" => acc - 1.0,
                _ => acc,
            })
        };
        // The evaluator walks a chain in a loop: its stack does not grow with the chain, and it
        // runs on a stack of 256 KiB (walking the 4,096 levels by recursion took 1.5 MiB).
        std::thread::scope(|scope| {
            let evaluate = || {
                let mut ev = Evaluator::new(&wb);
                for col in ["B", "C"] {
                    assert_eq!(ev.cell_value(at(&format!("{col}1"))), Value::Number(fold(2.0, &sum, counts[0])));
                    assert_eq!(ev.cell_value(at(&format!("{col}2"))), Value::Number(fold(2.0, &arith, counts[1])));
                    assert!(matches!(ev.cell_value(at(&format!("{col}3"))), Value::Bool(_)));
                    assert_eq!(ev.cell_value(at(&format!("{col}4"))), Value::Text("2".repeat(counts[3] + 1).into()));
                }
                assert_eq!(ev.cell_value(at("D1")), Value::Number(4096.0));
                assert_eq!(ev.cell_value(at("D2")), Value::Error(ErrorKind::Name));
            };
            std::thread::Builder::new()
                .name("256 KiB stack".into())
                .stack_size(256 << 10)
                .spawn_scoped(scope, evaluate)
                .expect("spawn")
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        });

        // Compiled to the tape and run: A1 uniform on [1, 2], A2 1 or 2.
        let spec = SimulationSpec::from_json(&format!(
            r#"{{"inputs": [
                    {{"cell": "Sheet1!A1", "distribution": {{"type": "uniform", "min": 1, "max": 2}}}},
                    {{"cell": "Sheet1!A2", "distribution": {{"type": "discrete", "values": [1, 2], "weights": [1, 1]}}}}],
                "outputs": [{}], "iterations": 16, "seed": 3}}"#,
            outputs.join(",")
        ))
        .expect("spec");
        let sim = simulate(&wb, &spec, &RunOptions { threads: 1, ..RunOptions::default() }).expect("simulate");
        let stats = &sim.result.engine.model;
        assert_eq!((stats.vectorised, stats.interpreted), (4, 4), "{stats:?}");
        assert!(stats.operations > 4000, "the chains are on the tape: {stats:?}");
        let out = |k: usize| &sim.samples.outputs[k];
        for (i, &x) in sim.samples.inputs[0].iter().enumerate() {
            for col in 0..2 {
                assert_eq!(out(col)[i], fold(x, &sum, counts[0]), "sum, iteration {i}");
                assert_eq!(out(2 + col)[i], fold(x, &arith, counts[1]), "arith, iteration {i}");
                assert!(matches!(boxing::unbox(out(6 + col)[i]), Lane::Text(_)), "concat, iteration {i}");
            }
            let (native, interpreted) = (boxing::unbox(out(4)[i]), boxing::unbox(out(5)[i]));
            assert!(
                matches!(native, Lane::Bool(_)) && native == interpreted,
                "all, iteration {i}: {native:?} vs {interpreted:?}"
            );
        }
    };
    std::thread::Builder::new()
        .name("2 MiB stack".into())
        .stack_size(2 << 20)
        .spawn(work)
        .expect("spawn")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

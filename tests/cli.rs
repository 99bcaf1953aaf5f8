//! The `montecell` command line, run as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use montecell_engine::xlsx_writer::{SheetInput, WorkbookInput, write_xlsx};

fn montecell(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_montecell")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output();
    match out {
        Ok(o) => o,
        Err(e) => panic!("cannot run montecell: {e}"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch file under the target directory, unique per test.
fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join(name);
    std::fs::write(&path, bytes).ok();
    path
}

#[test]
fn recalc_of_the_bundled_example_matches_its_cached_values() {
    let out = montecell(&["recalc", "examples/npv.xlsx"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.starts_with("98 of 98 formula cells match"), "{stdout}");
}

#[test]
fn recalc_json_lists_every_formula_cell() {
    let out = montecell(&["recalc", "examples/npv.xlsx", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let cells = json["cells"].as_array().cloned().unwrap_or_default();
    assert_eq!(cells.len(), 98);
    let npv = cells.iter().find(|c| c["sheet"] == "Model" && c["cell"] == "B14");
    assert!(npv.is_some_and(|c| c["value"].as_f64().is_some_and(|v| (v - 19_943.963_343_499).abs() < 1e-6)));
    let verdict = cells.iter().find(|c| c["cell"] == "B17").map(|c| c["value"].clone());
    assert_eq!(verdict, Some(serde_json::json!("invest (NPV 19,944)")));
}

#[test]
fn errors_are_json_objects() {
    let mut s = SheetInput::new("S");
    s.formula(0, 0, "=1/0").formula(0, 1, "=NOPE()");
    let path =
        scratch("errors.xlsx", &write_xlsx(&WorkbookInput { sheets: vec![s], names: vec![] }).unwrap_or_default());
    let out = montecell(&["recalc", &path.to_string_lossy(), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(json["cells"][0]["value"], serde_json::json!({"error": "#DIV/0!"}));
    assert_eq!(json["cells"][1]["value"], serde_json::json!({"error": "#NAME?"}));
    let report = montecell(&["recalc", &path.to_string_lossy()]);
    assert!(text(&report.stdout).contains("unsupported functions: NOPE"), "{}", text(&report.stdout));
}

#[test]
fn unreadable_files_fail_with_one_line() {
    let cases = [
        ("not-a-zip.xlsx", b"hello, I am text".to_vec()),
        ("truncated.xlsx", {
            let full = std::fs::read("examples/npv.xlsx").unwrap_or_default();
            full[..full.len() / 2].to_vec()
        }),
    ];
    for (name, bytes) in cases {
        let path = scratch(name, &bytes);
        let out = montecell(&["recalc", &path.to_string_lossy()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(name), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = montecell(&["recalc", "no/such/file.xlsx"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error: "));
}

#[test]
fn circular_model_fails_with_its_cells() {
    let mut s = SheetInput::new("Model");
    s.formula(0, 0, "=B1").formula(0, 1, "=A1*2");
    let path =
        scratch("cycle.xlsx", &write_xlsx(&WorkbookInput { sheets: vec![s], names: vec![] }).unwrap_or_default());
    let out = montecell(&["recalc", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("circular reference: Model!A1 → Model!B1 → Model!A1"), "{stderr}");
}

#[test]
fn simulate_the_bundled_example_prints_statistics_and_the_tornado() {
    // The spec beside the workbook (examples/npv.spec.json) is found without --spec.
    let out = montecell(&["simulate", "examples/npv.xlsx", "--iterations", "2000"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("2000 iterations (Latin Hypercube, seed 42)"), "{stdout}");
    assert!(stdout.contains("NPV (Model!B14)") && stdout.contains("IRR (Model!B15)"), "{stdout}");
    assert!(stdout.contains("sensitivity (rank correlation, share of variance)"), "{stdout}");
    assert!(stdout.contains("Unit cost"), "{stdout}");
}

#[test]
fn simulate_json_is_the_result_type_and_samples_are_csv() {
    let csv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-tests").join("npv-samples.csv");
    std::fs::create_dir_all(csv.parent().unwrap_or(Path::new("."))).ok();
    let out = montecell(&[
        "simulate",
        "examples/npv.xlsx",
        "-n",
        "1000",
        "--seed",
        "5",
        "--sampling",
        "mc",
        "--json",
        "--samples",
        &csv.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(json["iterations"], 1000);
    assert_eq!(json["seed"], 5);
    assert_eq!(json["sampling"], "mc");
    let npv = &json["outputs"][0];
    assert_eq!(npv["name"], "NPV");
    assert_eq!(npv["cell"], "Model!B14");
    for field in ["mean", "std", "min", "max", "skewness", "kurtosis", "std_error"] {
        assert!(npv[field].is_number(), "{field}: {npv}");
    }
    assert_eq!(npv["percentiles"].as_array().map(Vec::len), Some(15));
    assert_eq!(npv["histogram"]["counts"].as_array().map(Vec::len), Some(50));
    assert_eq!(npv["sensitivity"].as_array().map(Vec::len), Some(8));
    assert_eq!(json["inputs"].as_array().map(Vec::len), Some(8));
    let samples = std::fs::read_to_string(&csv).unwrap_or_default();
    let lines: Vec<&str> = samples.lines().collect();
    assert_eq!(lines.len(), 1001);
    assert!(lines[0].starts_with("iteration,\"Initial investment\""), "{}", lines[0]);
    assert_eq!(lines[1].split(',').count(), 1 + 8 + 2);
}

#[test]
fn simulate_a_model_without_outputs_explains_how_to_mark_them() {
    let mut s = SheetInput::new("S");
    s.number(0, 0, 1.0).formula(0, 1, "=A1*2");
    let path =
        scratch("no-outputs.xlsx", &write_xlsx(&WorkbookInput { sheets: vec![s], names: vec![] }).unwrap_or_default());
    let out = montecell(&["simulate", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no outputs") && stderr.contains("RiskOutput()"), "{stderr}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    // `montecell functions | head -1`: the reader goes away after one line.
    let child = Command::new(env!("CARGO_BIN_EXE_montecell"))
        .arg("functions")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!("cannot run montecell: {e}"),
    };
    drop(child.stdout.take());
    let out = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

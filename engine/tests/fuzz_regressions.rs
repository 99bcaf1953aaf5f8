//! Replays what the fuzz targets (`fuzz/`, `scripts/fuzz`) found, and their seeds, through the
//! same code on every test run: the formula parser answers an expression or a positioned error,
//! the import answers a workbook or an error, and neither panics.

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

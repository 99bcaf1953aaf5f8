//! Formula fidelity against Excel: one test per workbook of `../shared/corpus/ironcalc-calc-tests`
//! (workbooks saved by Microsoft Excel, with the values Excel computed cached in every formula
//! cell). A workbook passes when every formula cell recomputes to Excel's value (numbers
//! within 5e-8 absolute or relative; text, booleans and errors exactly).
//!
//! Workbooks known to fail are listed in [`EXPECTED_FAILURES`] with the reason. The list is
//! strict both ways: a listed workbook that starts to pass fails its test (remove it from the
//! list), and in the categories montecell must reproduce (financial, logical, lookup, math,
//! statistical, information and the root workbooks) only workbooks built on dynamic arrays or
//! LAMBDA may be listed.
//!
//! The corpus lives beside the checkout (`../shared/corpus`) or where `MONTECELL_CORPUS`
//! points. When it is missing the tests are skipped loudly — except in CI (`CI` set), where a
//! missing corpus fails.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use montecell_engine::fidelity::{WorkbookFidelity, check_workbook, workbooks_under};

/// Workbooks that do not reproduce Excel yet, with the reason.
const EXPECTED_FAILURES: &[(&str, &str)] = &[(
    "TEXT/T_VALUE_VALUETOTEXT.xlsx",
    "2 cells computed by an Excel with day-first dates: VALUE(\"10-12-1999\") and VALUE(\"2/3/2023\") \
     were read as 10 December and 2 March; montecell reads dates month-first (en-US), as a file \
     does not record its author's locale",
)];

/// Categories whose workbooks must all pass, except those built on dynamic arrays or LAMBDA.
const REQUIRED: &[&str] =
    &["", "FINANCIAL", "LOGICAL", "LOOKUP_AND_REFERENCE", "MATH_AND_TRIGONOMETRY", "STATISTICAL", "INFORMATION"];

/// The fraction of core-function cells that must match over the whole corpus.
const CORE_CELLS_REQUIRED: f64 = 0.98;

fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("MONTECELL_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/ironcalc-calc-tests"),
    };
    dir.is_dir().then_some(dir)
}

fn relative_name(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

fn describe_failure(r: &WorkbookFidelity) -> String {
    if let Some(e) = &r.error {
        return format!("could not recompute: {e}");
    }
    let mut msg = format!("{} of {} formula cells match Excel", r.matched, r.compared);
    for c in r.mismatches.iter().take(10) {
        msg.push_str(&format!(
            "\n  {}!{} ={}  computed {:?}  excel {:?}",
            c.sheet, c.address, c.formula, c.value, c.cached
        ));
    }
    if r.mismatches.len() > 10 {
        msg.push_str(&format!("\n  … and {} more", r.mismatches.len() - 10));
    }
    msg
}

fn workbook_trial(path: PathBuf, root: PathBuf) -> Trial {
    let name = relative_name(&path, &root);
    let expected = EXPECTED_FAILURES.iter().find(|(n, _)| *n == name).map(|(_, why)| *why);
    Trial::test(format!("corpus::{name}"), move || {
        let r = check_workbook(&path, &root);
        let passed = r.error.is_none() && r.matched == r.compared;
        match expected {
            None if passed => Ok(()),
            None => Err(Failed::from(describe_failure(&r))),
            Some(why) if passed => {
                Err(Failed::from(format!("listed as expected to fail ({why}) but now passes: remove it from the list")))
            }
            Some(why) => {
                if REQUIRED.contains(&r.category.as_str()) && !r.dynamic_arrays {
                    return Err(Failed::from(format!(
                        "in a required category and not built on dynamic arrays, so it may not be listed ({why}):\n{}",
                        describe_failure(&r)
                    )));
                }
                Ok(())
            }
        }
    })
}

fn core_cells_trial(files: Vec<PathBuf>, root: PathBuf) -> Trial {
    Trial::test("corpus::core_function_cells_match_at_least_98_percent", move || {
        let (mut matched, mut compared) = (0usize, 0usize);
        for f in &files {
            let r = check_workbook(f, &root);
            matched += r.core_matched;
            compared += r.core_compared;
        }
        let fraction = if compared == 0 { 0.0 } else { matched as f64 / compared as f64 };
        if compared > 0 && fraction >= CORE_CELLS_REQUIRED {
            Ok(())
        } else {
            Err(Failed::from(format!(
                "{matched} of {compared} core-function cells match ({:.2}%); at least {:.0}% required",
                100.0 * fraction,
                100.0 * CORE_CELLS_REQUIRED
            )))
        }
    })
}

fn main() {
    let args = Arguments::from_args();
    let trials = match corpus_dir() {
        Some(root) => {
            let files = workbooks_under(&root);
            let mut trials: Vec<Trial> = files.iter().map(|f| workbook_trial(f.clone(), root.clone())).collect();
            let names: Vec<String> = files.iter().map(|f| relative_name(f, &root)).collect();
            let stale: Vec<&str> =
                EXPECTED_FAILURES.iter().map(|(n, _)| *n).filter(|n| !names.iter().any(|x| x == n)).collect();
            trials.push(Trial::test("corpus::expected_failures_name_existing_workbooks", move || {
                if stale.is_empty() { Ok(()) } else { Err(Failed::from(format!("not in the corpus: {stale:?}"))) }
            }));
            trials.push(core_cells_trial(files, root));
            trials
        }
        None if std::env::var_os("CI").is_some() => vec![Trial::test("corpus::present", || {
            Err(Failed::from("the corpus ../shared/corpus/ironcalc-calc-tests is missing; CI requires it"))
        })],
        None => {
            eprintln!("\n**********************************************************************");
            eprintln!("* SKIPPED: formula-fidelity corpus not found (../shared/corpus or    *");
            eprintln!("* MONTECELL_CORPUS). These tests did NOT run.                         *");
            eprintln!("**********************************************************************\n");
            vec![Trial::test("corpus::present", || Ok(())).with_ignored_flag(true)]
        }
    };
    libtest_mimic::run(&args, trials).exit();
}

//! The `montecell` command line.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use montecell_engine::import::{self, Limits};
use montecell_engine::recalc::{self, CellResult, Recalculation};
use montecell_engine::sampling::Method;
use montecell_engine::{Value, Workbook};

use crate::output::{out, outln};
use crate::service::{self, Overrides, Role};
use crate::simulate::{self, SimulateArgs};
use crate::{admin, corpus};

/// Monte Carlo simulation of Excel workbooks.
#[derive(Debug, Parser)]
#[command(name = "montecell", version, about)]
struct Cli {
    /// Without a command: the service in one process (API and worker on SQLite, blobs under
    /// ./data, the CPU engine), on 127.0.0.1:8080 unless configured otherwise.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Recompute every formula of a workbook and compare with the values cached in the file
    /// (computed by Excel, or by whatever saved it).
    Recalc {
        /// The .xlsx file.
        file: PathBuf,
        /// Print every formula cell's value as JSON instead of the comparison.
        #[arg(long)]
        json: bool,
        /// Also list the cells that match.
        #[arg(long)]
        all: bool,
        /// Print the time of each phase (import and parse, graph and evaluation) to stderr.
        #[arg(long)]
        timings: bool,
    },
    /// Recompute every workbook under a folder and report the fraction of formula cells that
    /// reproduce Excel's values, per workbook and per category.
    Corpus {
        /// The folder (e.g. ../shared/corpus/ironcalc-calc-tests).
        dir: PathBuf,
        /// Write the markdown of docs/functions.md (function table and pass rates).
        #[arg(long)]
        markdown: bool,
    },
    /// Run a Monte Carlo simulation of a workbook: inputs and outputs from a JSON spec and/or
    /// from distribution functions (`RiskNormal`, `PsiTriangular`, `RAND()`…) and `RiskOutput`
    /// markers in the workbook.
    Simulate {
        /// The .xlsx file.
        file: PathBuf,
        /// The simulation spec (JSON, see docs/simulation-spec.md). Default: FILE's name with
        /// `.spec.json` instead of `.xlsx`, when that file exists.
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Iterations (overrides the spec; default 10,000).
        #[arg(long, short = 'n')]
        iterations: Option<u64>,
        /// Seed of the random streams (overrides the spec; default 1).
        #[arg(long)]
        seed: Option<u64>,
        /// Sampling method: Latin Hypercube (default) or plain Monte Carlo.
        #[arg(long, value_parser = ["lhs", "mc"])]
        sampling: Option<String>,
        /// Threads (default: one per core). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Iterations per batch (default: chosen from the model). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        batch: usize,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Write every iteration's inputs and outputs to this CSV file.
        #[arg(long)]
        samples: Option<PathBuf>,
    },
    /// List the functions the engine supports.
    Functions,
    /// The HTTP API alone (production: workers run separately).
    Api {
        /// Listen address (overrides MONTECELL_BIND).
        #[arg(long)]
        bind: Option<String>,
    },
    /// A worker alone: pulls simulation jobs from the queue and runs them.
    Worker {
        /// Pin to GPU N (`all`: one worker per device). Without a usable driver or device the
        /// worker says so once and runs the CPU engine.
        #[arg(long)]
        gpu: Option<String>,
        /// Simulations run at a time (overrides MONTECELL_WORKER_CONCURRENCY).
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// API keys: create, list, revoke (in the database the settings name).
    Keys {
        #[command(subcommand)]
        command: admin::KeysCommand,
    },
    /// Tenants and their limits: list, set.
    Tenants {
        #[command(subcommand)]
        command: admin::TenantsCommand,
    },
    /// API and a worker in one process (what `montecell` with no command runs).
    Serve {
        /// Listen address (overrides MONTECELL_BIND).
        #[arg(long)]
        bind: Option<String>,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return finish(service::run(Role::Embedded, &Overrides::default()));
    };
    let result = match command {
        Command::Recalc { file, json, all, timings } => recalc_command(&file, json, all, timings),
        Command::Corpus { dir, markdown } => corpus::run(&dir, markdown),
        Command::Simulate { file, spec, iterations, seed, sampling, threads, batch, json, samples } => {
            let spec = spec.or_else(|| {
                let beside = file.with_extension("spec.json");
                beside.is_file().then_some(beside)
            });
            let sampling = sampling.map(|s| if s == "mc" { Method::MonteCarlo } else { Method::LatinHypercube });
            simulate::run(&SimulateArgs { file, spec, iterations, seed, sampling, threads, batch, json, samples })
        }
        Command::Functions => {
            out!("{}", corpus::function_table_markdown());
            Ok(())
        }
        Command::Api { bind } => service::run(Role::Api, &Overrides { bind, ..Overrides::default() }),
        Command::Worker { gpu, concurrency } => {
            service::run(Role::Worker, &Overrides { gpu, concurrency, ..Overrides::default() })
        }
        Command::Keys { command } => admin::keys(command),
        Command::Tenants { command } => admin::tenants(command),
        Command::Serve { bind } => service::run(Role::Embedded, &Overrides { bind, ..Overrides::default() }),
    };
    finish(result)
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a workbook with the default limits; the error is one line for the user.
pub fn load(path: &Path) -> Result<Workbook, String> {
    import::read_file(path, &Limits::default()).map_err(|e| format!("{}: {e}", path.display()))
}

fn recalc_command(path: &Path, json: bool, all: bool, timings: bool) -> Result<(), String> {
    let start = Instant::now();
    let wb = load(path)?;
    let loaded = Instant::now();
    let result = recalc::recalculate(&wb).map_err(|e| format!("{}: {e}", path.display()))?;
    let computed = Instant::now();
    if timings {
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        eprintln!(
            "timings: import+parse {:.1} ms, graph+evaluate {:.1} ms, total {:.1} ms ({} formulas)",
            ms(start, loaded),
            ms(loaded, computed),
            ms(start, computed),
            wb.formulas().len()
        );
    }
    if json {
        let cells: Vec<serde_json::Value> = result
            .cells
            .iter()
            .map(|c| serde_json::json!({"sheet": c.sheet, "cell": c.address, "value": value_json(&c.value)}))
            .collect();
        outln!("{}", serde_json::json!({ "cells": cells }));
        return Ok(());
    }
    print_report(&wb, &result, all);
    Ok(())
}

/// A value as JSON: number, string, boolean, or `{"error": "#N/A"}`.
pub fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Number(n) => serde_json::json!(n),
        Value::Text(s) => serde_json::json!(s.as_ref()),
        Value::Bool(b) => serde_json::json!(b),
        Value::Error(e) => serde_json::json!({"error": e.as_str()}),
        Value::Blank => serde_json::Value::Null,
        Value::Array(_) => serde_json::json!({"error": "#VALUE!"}),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Text(s) => format!("{s:?}"),
        Value::Blank => "(empty)".to_owned(),
        Value::Number(n) => format!("{n}"),
        other => other.to_string(),
    }
}

fn print_cell(c: &CellResult, tag: &str) {
    outln!(
        "{tag} {}!{}  ={}  computed {}  excel {}",
        c.sheet,
        c.address,
        c.formula,
        describe(&c.value),
        describe(&c.cached)
    );
}

fn print_report(wb: &Workbook, r: &Recalculation, all: bool) {
    for c in &r.cells {
        if c.volatile {
            continue;
        }
        if !c.matches {
            print_cell(c, "MISMATCH");
        } else if all {
            print_cell(c, "ok      ");
        }
    }
    for p in wb.problems() {
        outln!("UNPARSED {}  ={}  {}", p.cell, p.formula, p.error);
    }
    for d in &r.diagnostics {
        outln!("WARNING  {d}");
    }
    let (matched, compared) = r.score();
    let volatile = r.cells.len() - compared;
    let unsupported = wb.unsupported_functions();
    outln!(
        "{matched} of {compared} formula cells match the cached values ({:.2}%), {} mismatches, {volatile} volatile skipped, {} unparsed{}",
        // Rounded down: 100.00% means every cell.
        if compared == 0 { 100.0 } else { (10_000.0 * matched as f64 / compared as f64).floor() / 100.0 },
        compared - matched,
        wb.problems().len(),
        if unsupported.is_empty() {
            String::new()
        } else {
            format!(", unsupported functions: {}", unsupported.join(" "))
        }
    );
}

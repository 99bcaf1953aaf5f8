//! `montecell simulate`: runs a simulation and prints the results as a table (with the
//! tornado of sensitivities) or as JSON.
#![allow(clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use montecell_engine::compile::boxing::{self, Lane};
use montecell_engine::result::{OutputResult, SimulationResult, Tail};
use montecell_engine::run::RunOptions;
use montecell_engine::sampling::Method;
use montecell_engine::simulate::{Simulation, simulate};
use montecell_engine::spec::SimulationSpec;

use crate::cli::load;
use crate::output::outln;

/// What `simulate` was asked.
#[derive(Debug)]
pub(crate) struct SimulateArgs {
    pub(crate) file: PathBuf,
    pub(crate) spec: Option<PathBuf>,
    pub(crate) iterations: Option<u64>,
    pub(crate) seed: Option<u64>,
    pub(crate) sampling: Option<Method>,
    pub(crate) threads: usize,
    pub(crate) batch: usize,
    pub(crate) json: bool,
    pub(crate) samples: Option<PathBuf>,
}

/// Runs the command.
pub(crate) fn run(args: &SimulateArgs) -> Result<(), String> {
    let wb = load(&args.file)?;
    let mut spec = match &args.spec {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            SimulationSpec::from_json(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => SimulationSpec::default(),
    };
    if args.iterations.is_some() {
        spec.iterations = args.iterations;
    }
    if args.seed.is_some() {
        spec.seed = args.seed;
    }
    if args.sampling.is_some() {
        spec.sampling = args.sampling;
    }
    let progress = Progress::new(!args.json && std::io::stderr().is_terminal());
    let report = |done: u64, total: u64| progress.update(done, total);
    let options = RunOptions {
        threads: args.threads,
        batch: args.batch,
        progress: Some(&report),
        cancel: None::<&AtomicBool>,
        ..RunOptions::default()
    };
    let sim = std::thread::scope(|scope| {
        let ticker = scope.spawn(|| progress.draw_until_done());
        let sim = simulate(&wb, &spec, &options);
        progress.finish();
        let _ = ticker.join();
        sim
    })
    .map_err(|e| format!("{}: {e}", args.file.display()))?;
    if let Some(path) = &args.samples {
        write_samples(path, &sim)?;
    }
    if args.json {
        let json = serde_json::to_string_pretty(&sim.result).map_err(|e| e.to_string())?;
        outln!("{json}");
    } else {
        print_table(&args.file, &sim.result);
        if let Some(path) = &args.samples {
            outln!("raw samples written to {}", path.display());
        }
    }
    Ok(())
}

/// A progress bar on stderr for runs longer than a moment.
struct Progress {
    enabled: bool,
    done: AtomicU64,
    total: AtomicU64,
    finished: AtomicBool,
}

impl Progress {
    fn new(enabled: bool) -> Progress {
        Progress { enabled, done: AtomicU64::new(0), total: AtomicU64::new(0), finished: AtomicBool::new(false) }
    }

    fn update(&self, done: u64, total: u64) {
        self.done.fetch_max(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    fn finish(&self) {
        self.finished.store(true, Ordering::Relaxed);
    }

    fn draw_until_done(&self) {
        let start = Instant::now();
        let mut drawn = false;
        while !self.finished.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            if !self.enabled || start.elapsed() < Duration::from_millis(500) {
                continue;
            }
            let (done, total) = (self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed).max(1));
            let width = 30;
            let filled = (done as usize * width / total as usize).min(width);
            let rate = done as f64 / start.elapsed().as_secs_f64();
            eprint!(
                "\r[{}{}] {:>3}%  {done}/{total} iterations  {}/s ",
                "#".repeat(filled),
                ".".repeat(width - filled),
                done * 100 / total,
                human(rate)
            );
            let _ = std::io::stderr().flush();
            drawn = true;
        }
        if drawn {
            eprint!("\r{}\r", " ".repeat(80));
        }
    }
}

fn human(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// A number with thousands separators and a sensible number of decimals.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return "—".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let a = x.abs();
    let decimals = if a >= 1000.0 {
        0
    } else if a >= 10.0 {
        2
    } else if a >= 0.01 || a == 0.0 {
        4
    } else {
        return format!("{x:.4e}");
    };
    let s = format!("{a:.decimals$}");
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

fn print_output(o: &OutputResult) {
    outln!("\n{} ({})", o.name, o.cell);
    outln!(
        "  mean {}   95% CI [{}, {}]   std {}   min {}   max {}",
        num(o.mean),
        num(o.mean_ci95[0]),
        num(o.mean_ci95[1]),
        num(o.std),
        num(o.min),
        num(o.max)
    );
    outln!("  skewness {:.3}   kurtosis {:.3}", o.skewness, o.kurtosis);
    let show = [5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0];
    let ps: Vec<String> =
        o.percentiles.iter().filter(|p| show.contains(&p.p)).map(|p| format!("P{} {}", p.p, num(p.value))).collect();
    outln!("  {}", ps.join("   "));
    for t in &o.targets {
        outln!("  P(≤ {}) = {:.2}%   P(≥ {}) = {:.2}%", num(t.value), 100.0 * t.p_le, num(t.value), 100.0 * t.p_ge);
    }
    let tail = |t: Tail| o.value_at_risk.iter().find(|v| v.tail == t);
    if let (Some(lo), Some(hi)) = (tail(Tail::Lower), tail(Tail::Upper)) {
        outln!(
            "  low {:.0}% tail: ≤ {} (mean {})   high {:.0}% tail: ≥ {} (mean {})",
            100.0 * (1.0 - lo.level),
            num(lo.var),
            num(lo.cvar),
            100.0 * (1.0 - hi.level),
            num(hi.var),
            num(hi.cvar)
        );
    }
    if o.errors.count > 0 {
        let kinds: Vec<String> = o.errors.by_kind.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        outln!("  errors in {} iterations: {}", o.errors.count, kinds.join(", "));
    }
    if !o.sensitivity.is_empty() {
        outln!("  sensitivity (rank correlation, share of variance):");
        let width = o.sensitivity.iter().map(|s| s.input.chars().count()).max().unwrap_or(0).min(28);
        for s in o.sensitivity.iter().take(10) {
            let bar_len = (s.rank_correlation.abs() * 20.0).round() as usize;
            let bar = if s.rank_correlation < 0.0 {
                format!("{:>20}|", "◀".repeat(bar_len))
            } else {
                format!("{:>20}|{}", "", "▶".repeat(bar_len))
            };
            let name: String = s.input.chars().take(28).collect();
            outln!("    {name:<width$} {:+.3}  {:>5.1}%  {bar}", s.rank_correlation, 100.0 * s.contribution.abs());
        }
        if o.sensitivity.len() > 10 {
            outln!("    … {} more in --json", o.sensitivity.len() - 10);
        }
    }
}

fn print_table(file: &Path, r: &SimulationResult) {
    let m = &r.engine.model;
    outln!(
        "{}: {} iterations ({}, seed {}) in {:.2} s on {} threads — {} inputs, {} outputs; {} formulas, {} uncertain ({} vectorised, {} interpreted)",
        file.display(),
        r.iterations,
        match r.sampling {
            Method::LatinHypercube => "Latin Hypercube",
            Method::MonteCarlo => "Monte Carlo",
        },
        r.seed,
        (r.engine.timing_ms.compile + r.engine.timing_ms.run + r.engine.timing_ms.statistics) / 1e3,
        r.engine.threads,
        r.inputs.len(),
        r.outputs.len(),
        m.formulas,
        m.uncertain,
        m.vectorised,
        m.interpreted
    );
    for o in &r.outputs {
        print_output(o);
    }
    if let Some(rep) = &r.correlation_repair {
        outln!(
            "\nnote: the input correlations were not a valid correlation matrix; repaired to the nearest one (largest change {:.4})",
            rep.max_abs_change
        );
    }
}

/// Writes every iteration's inputs and outputs as CSV (errors as their literal).
fn write_samples(path: &Path, sim: &Simulation) -> Result<(), String> {
    let r = &sim.result;
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut header = vec!["iteration".to_owned()];
    header.extend(r.inputs.iter().map(|i| quote(&i.name)));
    header.extend(r.outputs.iter().map(|o| quote(&o.name)));
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    writeln!(w, "{}", header.join(",")).map_err(io)?;
    let n = r.iterations as usize;
    let cell = |x: f64| match boxing::unbox(x) {
        Lane::Number(n) => format!("{n}"),
        Lane::Error(e) => e.as_str().to_owned(),
        Lane::Bool(b) => if b { "TRUE" } else { "FALSE" }.to_owned(),
        Lane::Text(_) => "(text)".to_owned(),
        Lane::Blank => String::new(),
    };
    for i in 0..n {
        let mut row = vec![(i + 1).to_string()];
        row.extend(sim.samples.inputs.iter().map(|s| cell(s[i])));
        row.extend(sim.samples.outputs.iter().map(|s| cell(s[i])));
        writeln!(w, "{}", row.join(",")).map_err(io)?;
    }
    w.flush().map_err(io)
}

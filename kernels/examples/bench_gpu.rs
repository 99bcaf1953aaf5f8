//! The GPU benchmark behind `scripts/bench-gpu`: one workbook and spec, run as GPU jobs at one or
//! more iteration counts, and on the CPU engine in the same process for the ratio.
//!
//! ```text
//! bench_gpu probe [--device N]
//! bench_gpu header
//! bench_gpu run NAME WORKBOOK.xlsx SPEC.json --iterations N[,N…] [--cpu-iterations M]
//!                [--device N] [--cpu-only] [--jsonl FILE]
//! ```
//!
//! `probe` prints the device, the CUDA version its driver supports and NVRTC's version, or
//! says `no CUDA device: …` (exit 2) or `NVRTC not found: …` (exit 3).
//!
//! `run` prints one line per iteration count (`header` prints the column names). Each GPU job is
//! a first job: NVRTC's cache is emptied and the device opened afresh, so it generates the
//! kernel, compiles it with NVRTC and loads the module (the driver's PTX JIT; `scripts/bench-gpu`
//! sets `CUDA_CACHE_DISABLE=1` so that the JIT is not served from the driver's disk cache), then
//! runs the iterations in chunks and computes the engine's statistics and sensitivities on the
//! host. Columns:
//!
//! - `nvrtc`, `load`: NVRTC and the module load (part of `e2e`);
//! - `kernel`: the kernels alone, CUDA events around each launch;
//! - `run`: the device buffers, every launch and the copies back into the host's samples;
//! - `stats`: statistics and sensitivities (the engine's `summarise`, on all cores);
//! - `e2e`: the whole job from the parsed workbook to the result — spec, model compile, code
//!   generation, NVRTC, module load, run, statistics (reading the file excluded, as in
//!   `scripts/bench-engine`);
//! - the CPU engine's rates, measured once per model at `--cpu-iterations` (at most the smallest
//!   N) on every core, and the ratios GPU kernel rate / CPU run-only rate and GPU e2e rate / CPU
//!   e2e rate. The CPU rate is extrapolated to N as a rate (iterations per second);
//!   its statistics grow slightly faster than linearly (sorting), so at larger N the ratio
//!   flatters the CPU a little.
//!
//! With `BENCH_GPU_DEADLINE` (Unix seconds) set, iteration counts that would start after it are
//! skipped and said so. Models that the GPU does not compute (`codegen::plan` says CPU) get the
//! CPU columns only.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use montecell_engine::compile::compile;
use montecell_engine::import::{Limits, read_file};
use montecell_engine::run::RunOptions;
use montecell_engine::simulate::simulate;
use montecell_engine::spec::SimulationSpec;
use montecell_engine::workbook::Workbook;
use montecell_kernels::codegen::{Plan, plan};
use montecell_kernels::gpu::{self, GpuEngine, GpuRunOptions};
use montecell_kernels::{GpuError, nvrtc};
use serde_json::json;

const USAGE: &str = "usage: bench_gpu probe [--device N]
       bench_gpu header
       bench_gpu run NAME WORKBOOK.xlsx SPEC.json --iterations N[,N...] [--cpu-iterations M] [--device N] [--cpu-only] [--jsonl FILE]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("probe") => Options::parse(&args[1..], 0).and_then(|o| probe(o.device).map(|_| ())),
        Some("header") => {
            header();
            Ok(())
        }
        Some("run") => Options::parse(&args[1..], 3).and_then(|o| run(&o)),
        _ => Err(Failure::Usage(USAGE.to_owned())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("{m}");
            ExitCode::from(64)
        }
        Err(Failure::NoDevice(m)) => {
            eprintln!("no CUDA device: {m}");
            ExitCode::from(2)
        }
        Err(Failure::NoNvrtc(m)) => {
            eprintln!("NVRTC not found: {m}");
            ExitCode::from(3)
        }
        Err(Failure::Other(m)) => {
            eprintln!("bench_gpu: {m}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    Usage(String),
    NoDevice(String),
    NoNvrtc(String),
    Other(String),
}

#[derive(Default)]
struct Options {
    positional: Vec<String>,
    iterations: Vec<u64>,
    cpu_iterations: Option<u64>,
    device: usize,
    cpu_only: bool,
    jsonl: Option<PathBuf>,
}

impl Options {
    fn parse(args: &[String], positional: usize) -> Result<Options, Failure> {
        let mut o = Options::default();
        let mut it = args.iter();
        let bad = |what: &str| Failure::Usage(format!("bench_gpu: {what}\n{USAGE}"));
        let number = |v: Option<&String>, what: &str| -> Result<u64, Failure> {
            v.and_then(|s| s.replace('_', "").parse::<u64>().ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| bad(&format!("{what} needs a positive number")))
        };
        while let Some(a) = it.next() {
            match a.as_str() {
                "--iterations" => {
                    let v = it.next().ok_or_else(|| bad("--iterations needs N[,N...]"))?;
                    for n in v.split([',', ' ']).filter(|s| !s.is_empty()) {
                        o.iterations.push(number(Some(&n.to_owned()), "--iterations")?);
                    }
                }
                "--cpu-iterations" => o.cpu_iterations = Some(number(it.next(), "--cpu-iterations")?),
                "--device" => {
                    o.device = it
                        .next()
                        .and_then(|s| s.parse::<usize>().ok())
                        .ok_or_else(|| bad("--device needs a device number"))?;
                }
                "--cpu-only" => o.cpu_only = true,
                "--jsonl" => o.jsonl = Some(PathBuf::from(it.next().ok_or_else(|| bad("--jsonl needs a file"))?)),
                s if s.starts_with("--") => return Err(bad(&format!("unknown option {s}"))),
                s => o.positional.push(s.to_owned()),
            }
        }
        if o.positional.len() != positional {
            return Err(bad(&format!("expected {positional} arguments, got {}", o.positional.len())));
        }
        if positional > 0 && o.iterations.is_empty() {
            return Err(bad("--iterations is required"));
        }
        o.iterations.sort_unstable();
        o.iterations.dedup();
        Ok(o)
    }
}

/// The device, or why there is none.
fn probe(device: usize) -> Result<GpuEngine, Failure> {
    if !gpu::driver_available() {
        return Err(Failure::NoDevice(
            "the CUDA driver library (libcuda.so / libcuda.so.1) does not load: no NVIDIA driver on this machine, or its folder is not on the loader's path".to_owned(),
        ));
    }
    let count = gpu::device_count();
    if count == 0 {
        return Err(Failure::NoDevice("the CUDA driver loads but reports no device (cuDeviceGetCount = 0)".to_owned()));
    }
    if !nvrtc::available() {
        return Err(Failure::NoNvrtc(format!(
            "libnvrtc does not load ({} devices present): run `eval \"$(.ci/nvrtc-setup)\"` or set {} to libnvrtc.so.*'s path",
            count,
            nvrtc::NVRTC_LIB_VAR
        )));
    }
    let gpu = GpuEngine::open(device).map_err(|e| match e {
        GpuError::NoDevice { .. } | GpuError::DriverMissing => Failure::NoDevice(e.to_string()),
        other => Failure::NoDevice(format!("device {device} does not open: {other}")),
    })?;
    let (free, total) = gpu.memory().map_err(|e| Failure::NoDevice(e.to_string()))?;
    let v = |x: Option<(i32, i32)>| x.map_or("unknown".to_owned(), |(a, b)| format!("{a}.{b}"));
    println!(
        "device: {} ({:.1} of {:.1} GiB free); {} device(s); CUDA driver API {}; NVRTC {}{}",
        gpu.device(),
        free as f64 / (1u64 << 30) as f64,
        total as f64 / (1u64 << 30) as f64,
        count,
        v(gpu::driver_version()),
        v(nvrtc::version()),
        std::env::var(nvrtc::NVRTC_LIB_VAR).map(|p| format!(" ({p})")).unwrap_or_default(),
    );
    Ok(gpu)
}

const COLUMNS: [(&str, usize); 17] = [
    ("model", 15),
    ("plan", 13),
    ("ops", 6),
    ("iterations", 11),
    ("nvrtc_ms", 9),
    ("load_ms", 8),
    ("kernel_ms", 10),
    ("run_ms", 9),
    ("stats_ms", 9),
    ("e2e_ms", 9),
    ("gpu_it/s_kernel", 16),
    ("gpu_it/s_e2e", 13),
    ("cpu_iters", 10),
    ("cpu_it/s_run", 13),
    ("cpu_it/s_e2e", 13),
    ("x_kernel", 9),
    ("x_e2e", 8),
];

fn header() {
    let mut line = String::new();
    for (i, (name, width)) in COLUMNS.iter().enumerate() {
        if i < 2 {
            line.push_str(&format!("{name:<width$} "));
        } else {
            line.push_str(&format!("{name:>width$} "));
        }
    }
    println!("{}", line.trim_end());
}

fn row(cells: &[String]) {
    let mut line = String::new();
    for (i, ((_, width), cell)) in COLUMNS.iter().zip(cells).enumerate() {
        if i < 2 {
            line.push_str(&format!("{cell:<width$} "));
        } else {
            line.push_str(&format!("{cell:>width$} "));
        }
    }
    println!("{}", line.trim_end());
    let _ = std::io::stdout().flush();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn rate(n: u64, d: f64) -> f64 {
    if d > 0.0 { n as f64 / d * 1e3 } else { f64::NAN }
}

fn fmt_ms(x: f64) -> String {
    if x.is_nan() { "-".to_owned() } else { format!("{x:.1}") }
}

fn fmt_rate(x: f64) -> String {
    if x.is_finite() { format!("{x:.0}") } else { "-".to_owned() }
}

fn fmt_ratio(x: f64) -> String {
    if x.is_finite() { format!("{x:.1}x") } else { "-".to_owned() }
}

/// What the CPU engine did at its iteration count.
struct Cpu {
    iterations: u64,
    e2e_ms: f64,
    run_ms: f64,
    stats_ms: f64,
    mean: f64,
}

fn cpu_reference(wb: &Workbook, spec: &SimulationSpec, iterations: u64) -> Result<Cpu, Failure> {
    let mut spec = spec.clone();
    spec.iterations = Some(iterations);
    let start = Instant::now();
    let sim = simulate(wb, &spec, &RunOptions::default()).map_err(|e| Failure::Other(format!("CPU engine: {e}")))?;
    let e2e = start.elapsed();
    Ok(Cpu {
        iterations,
        e2e_ms: ms(e2e),
        run_ms: sim.result.engine.timing_ms.run,
        stats_ms: sim.result.engine.timing_ms.statistics,
        mean: sim.result.outputs.first().map_or(f64::NAN, |o| o.mean),
    })
}

fn deadline_passed() -> bool {
    let Some(deadline) = std::env::var("BENCH_GPU_DEADLINE").ok().and_then(|s| s.trim().parse::<u64>().ok()) else {
        return false;
    };
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() >= deadline).unwrap_or(false)
}

fn run(o: &Options) -> Result<(), Failure> {
    let (name, path, spec_path) = (&o.positional[0], Path::new(&o.positional[1]), Path::new(&o.positional[2]));
    let read = Instant::now();
    let wb = read_file(path, &Limits::default()).map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
    let read_ms = ms(read.elapsed());
    let text =
        std::fs::read_to_string(spec_path).map_err(|e| Failure::Other(format!("{}: {e}", spec_path.display())))?;
    let spec = SimulationSpec::from_json(&text).map_err(|e| Failure::Other(format!("{}: {e}", spec_path.display())))?;

    // What the GPU would do with it: straight-line code, the interpreter, or the CPU engine.
    let resolved = spec.resolve(&wb).map_err(|e| Failure::Other(format!("{name}: invalid spec: {e}")))?;
    let model =
        compile(&wb, &resolved.inputs, &resolved.outputs).map_err(|e| Failure::Other(format!("{name}: {e}")))?;
    let operations = model.tape.ops.len();
    let (plan_name, cpu_why) = match plan(&model) {
        Plan::StraightLine => ("straight-line", None),
        Plan::Interpreter => ("interpreter", None),
        Plan::Cpu(why) => ("cpu-only", Some(why)),
    };
    drop(model);

    if let Some(why) = &cpu_why {
        eprintln!("{name}: the GPU does not compute this model, the CPU engine runs it ({why})");
    }
    let gpu_wanted = !o.cpu_only && cpu_why.is_none();
    let device_name = if gpu_wanted { Some(probe_quiet(o.device)?) } else { None };

    let smallest = o.iterations[0];
    let cpu_n = o.cpu_iterations.unwrap_or(smallest).min(smallest);
    let cpu = cpu_reference(&wb, &spec, cpu_n)?;
    let cpu_run_rate = rate(cpu.iterations, cpu.run_ms);
    let cpu_e2e_rate = rate(cpu.iterations, cpu.e2e_ms);

    let mut jsonl = match &o.jsonl {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| Failure::Other(format!("{}: {e}", p.display())))?,
        ),
        None => None,
    };
    let threads = std::thread::available_parallelism().map_or(0, |n| n.get());
    for &n in &o.iterations {
        if deadline_passed() {
            eprintln!("{name}: {n} iterations skipped: BENCH_GPU_DEADLINE has passed");
            continue;
        }
        let mut record = json!({
            "model": name,
            "workbook": path.display().to_string(),
            "plan": plan_name,
            "operations": operations,
            "iterations": n,
            "read_ms": read_ms,
            "cpu": {
                "iterations": cpu.iterations,
                "threads": threads,
                "e2e_ms": cpu.e2e_ms,
                "run_ms": cpu.run_ms,
                "statistics_ms": cpu.stats_ms,
                "it_per_s_run": cpu_run_rate,
                "it_per_s_e2e": cpu_e2e_rate,
                "mean_output0": cpu.mean,
                "extrapolated": cpu.iterations != n,
            },
        });
        let dash = || "-".to_owned();
        let mut cells = vec![
            name.clone(),
            plan_name.to_owned(),
            operations.to_string(),
            n.to_string(),
            dash(),
            dash(),
            dash(),
            dash(),
            dash(),
            dash(),
            dash(),
            dash(),
            cpu.iterations.to_string(),
            fmt_rate(cpu_run_rate),
            fmt_rate(cpu_e2e_rate),
            dash(),
            dash(),
        ];
        if let Some(device) = &device_name {
            // A first job: nothing compiled or loaded in this process yet.
            nvrtc::clear_cache();
            let gpu = GpuEngine::open(o.device).map_err(|e| Failure::NoDevice(e.to_string()))?;
            let mut spec_n = spec.clone();
            spec_n.iterations = Some(n);
            let start = Instant::now();
            let (sim, t) = gpu
                .simulate_timed(&wb, &spec_n, &GpuRunOptions::default())
                .map_err(|e| Failure::Other(format!("{name}, {n} iterations on the GPU: {e}")))?;
            let e2e = ms(start.elapsed());
            let timing = sim.result.engine.timing_ms;
            let kernel_rate = rate(n, ms(t.kernel));
            let e2e_rate = rate(n, e2e);
            cells[4] = fmt_ms(ms(t.nvrtc));
            cells[5] = fmt_ms(ms(t.load));
            cells[6] = fmt_ms(ms(t.kernel));
            cells[7] = fmt_ms(ms(t.run));
            cells[8] = fmt_ms(timing.statistics);
            cells[9] = fmt_ms(e2e);
            cells[10] = fmt_rate(kernel_rate);
            cells[11] = fmt_rate(e2e_rate);
            cells[15] = fmt_ratio(kernel_rate / cpu_run_rate);
            cells[16] = fmt_ratio(e2e_rate / cpu_e2e_rate);
            record["gpu"] = json!({
                "device": device,
                "chunk": t.chunk,
                "model_compile_ms": timing.compile,
                "generate_ms": ms(t.generate),
                "nvrtc_ms": ms(t.nvrtc),
                "load_ms": ms(t.load),
                "kernel_ms": ms(t.kernel),
                "run_ms": ms(t.run),
                "copies_and_buffers_ms": ms(t.run.saturating_sub(t.kernel)),
                "statistics_ms": timing.statistics,
                "e2e_ms": e2e,
                "e2e_without_nvrtc_and_load_ms": e2e - ms(t.nvrtc) - ms(t.load),
                "it_per_s_kernel": kernel_rate,
                "it_per_s_run": rate(n, ms(t.run)),
                "it_per_s_e2e": e2e_rate,
                "mean_output0": sim.result.outputs.first().map_or(f64::NAN, |o| o.mean),
            });
            record["ratio"] = json!({
                "kernel_vs_cpu_run": kernel_rate / cpu_run_rate,
                "gpu_run_vs_cpu_run": rate(n, ms(t.run)) / cpu_run_rate,
                "e2e_vs_cpu_e2e": e2e_rate / cpu_e2e_rate,
            });
            drop(sim);
        } else if let Some(why) = &cpu_why {
            record["gpu"] = json!({ "unsupported": why });
        }
        row(&cells);
        if let Some(f) = jsonl.as_mut() {
            writeln!(f, "{record}").map_err(|e| Failure::Other(format!("writing the JSON lines: {e}")))?;
            f.flush().map_err(|e| Failure::Other(format!("writing the JSON lines: {e}")))?;
        }
    }
    Ok(())
}

/// The device's name (the probe's checks, without printing).
fn probe_quiet(device: usize) -> Result<String, Failure> {
    if !gpu::driver_available() || gpu::device_count() == 0 {
        return Err(Failure::NoDevice("no CUDA driver or device (run `bench_gpu probe` for details)".to_owned()));
    }
    if !nvrtc::available() {
        return Err(Failure::NoNvrtc(format!("libnvrtc does not load; set {}", nvrtc::NVRTC_LIB_VAR)));
    }
    GpuEngine::open(device).map(|g| g.device()).map_err(|e| Failure::NoDevice(e.to_string()))
}

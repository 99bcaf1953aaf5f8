//! Where a simulation's time goes, phase by phase, on one thread: the fastest of several
//! repetitions of compiling, sampling the inputs alone, running (sampling and the tape) and
//! summarising (statistics and sensitivities). The minimum is what the code costs on a quiet
//! machine; the median shows the noise.
//!
//! ```sh
//! cargo bench -p montecell-engine --bench phases -- WORKBOOK.xlsx SPEC.json [ITERATIONS] [REPETITIONS]
//! ```
//!
//! `scripts/bench-engine` measures the whole, side by side with IronCalc; this is for finding
//! what to make faster.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Instant;

use montecell_engine::compile::compile;
use montecell_engine::import::{Limits, read_file};
use montecell_engine::run::{RunOptions, run};
use montecell_engine::simulate::{build_sampler, summarise};
use montecell_engine::spec::SimulationSpec;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let (Some(book), Some(spec)) = (args.first(), args.get(1)) else {
        return Err("usage: phases WORKBOOK.xlsx SPEC.json [ITERATIONS] [REPETITIONS]".to_owned());
    };
    let number = |i: usize, default: u64| -> Result<u64, String> {
        args.get(i).map_or(Ok(default), |a| a.parse().map_err(|e| format!("{a}: {e}")))
    };
    let wb = read_file(&PathBuf::from(book), &Limits::default()).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(spec).map_err(|e| format!("{spec}: {e}"))?;
    let mut spec = SimulationSpec::from_json(&text).map_err(|e| e.to_string())?;
    spec.iterations = Some(number(2, 100_000)?);
    let repetitions = number(3, 7)?.max(1) as usize;
    let resolved = spec.resolve(&wb).map_err(|e| e.to_string())?;
    let n = resolved.iterations;
    let options = RunOptions { threads: 1, ..RunOptions::default() };

    let mut times: [Vec<f64>; 4] = Default::default();
    for _ in 0..repetitions {
        let t0 = Instant::now();
        let model = compile(&wb, &resolved.inputs, &resolved.outputs).map_err(|e| e.to_string())?;
        let (sampler, _) = build_sampler(&model, &resolved).map_err(|e| e.to_string())?;
        let t1 = Instant::now();
        let batch = montecell_engine::run::default_batch(model.tape.registers as usize);
        let mut uniforms = vec![Vec::new(); model.inputs.len()];
        let mut first = 0;
        while first < n {
            let lanes = (n - first).min(batch as u64) as usize;
            sampler.uniforms(first, lanes, &mut uniforms);
            first += lanes as u64;
        }
        let t2 = Instant::now();
        let samples = run(&model, &sampler, n, &options).map_err(|e| e.to_string())?;
        let t3 = Instant::now();
        let result = summarise(&model, &resolved, &samples);
        let t4 = Instant::now();
        std::hint::black_box(result);
        for (k, (a, b)) in [(t0, t1), (t1, t2), (t2, t3), (t3, t4)].into_iter().enumerate() {
            times[k].push((b - a).as_secs_f64() * 1e3);
        }
    }
    println!("{book}: {n} iterations, {repetitions} repetitions, one thread (ms: min / median)");
    for (name, t) in
        ["compile", "uniforms only", "run (uniforms, samples, tape)", "statistics (all cores)"].iter().zip(&mut times)
    {
        t.sort_by(f64::total_cmp);
        println!("  {name:32} {:9.2} / {:9.2}", t[0], t[t.len() / 2]);
    }
    Ok(())
}

//! The simulation, end to end: check the spec, compile the workbook, sample and run every
//! iteration, and summarise the outputs.

use std::borrow::Cow;
use std::time::Instant;

use crate::compile::boxing::{self, Lane};
use crate::compile::{CompileError, InputOrigin, Model, compile};
use crate::result::{
    EngineInfo, ErrorCounts, InputResult, OutputResult, Percentile, Sensitivity, SimulationResult, Tail, Target,
    Timing, ValueAtRisk,
};
use crate::run::{RunError, RunOptions, Samples, run};
use crate::sampling::{Sampler, SamplingError};
use crate::spec::{ResolvedSpec, SimulationSpec, SpecError};
use crate::stats;
use crate::workbook::Workbook;

/// Why a simulation did not produce results.
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// The spec does not fit the workbook.
    #[error("invalid spec: {0}")]
    Spec(#[from] SpecError),
    /// The workbook cannot be compiled.
    #[error("{0}")]
    Compile(#[from] CompileError),
    /// The sampling setup is invalid (an unknown input in a correlation…).
    #[error("{0}")]
    Sampling(#[from] SamplingError),
    /// The run stopped.
    #[error("{0}")]
    Run(#[from] RunError),
}

/// A finished simulation: the summary and the raw samples.
#[derive(Debug)]
pub struct Simulation {
    /// The summary.
    pub result: SimulationResult,
    /// Every iteration's inputs and outputs.
    pub samples: Samples,
}

/// Confidence levels of the value at risk.
const VAR_LEVELS: [f64; 2] = [0.95, 0.99];

/// Runs a simulation of a workbook.
pub fn simulate(wb: &Workbook, spec: &SimulationSpec, options: &RunOptions<'_>) -> Result<Simulation, SimulationError> {
    let resolved = spec.resolve(wb)?;
    let start = Instant::now();
    let model = compile(wb, &resolved.inputs, &resolved.outputs)?;
    let sampler = build_sampler(&model, &resolved)?;
    let compiled = Instant::now();
    let samples = run(&model, &sampler.0, resolved.iterations, options)?;
    let ran = Instant::now();
    let mut result = summarise(&model, &resolved, &samples);
    result.correlation_repair = sampler.1;
    let done = Instant::now();
    let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
    result.engine.timing_ms =
        Timing { compile: ms(start, compiled), run: ms(compiled, ran), statistics: ms(ran, done) };
    Ok(Simulation { result, samples })
}

/// Checks a simulation without running it: the spec fits the workbook, the model compiles,
/// the correlations are valid. What `simulate` would refuse, this refuses with the same error.
/// Returns the iterations the spec asks for.
pub fn check(wb: &Workbook, spec: &SimulationSpec) -> Result<u64, SimulationError> {
    let resolved = spec.resolve(wb)?;
    let model = compile(wb, &resolved.inputs, &resolved.outputs)?;
    build_sampler(&model, &resolved)?;
    Ok(resolved.iterations)
}

/// The sampler of a compiled model for a resolved spec (its correlations checked and, when
/// needed, repaired — the repair is returned). Another engine (the GPU) draws from it.
pub fn build_sampler(
    model: &Model<'_>,
    spec: &ResolvedSpec,
) -> Result<(Sampler, Option<crate::sampling::CorrelationRepair>), SimulationError> {
    let streams: Vec<u64> = model.inputs.iter().map(|i| i.stream).collect();
    let index = |name: &str, field: usize| -> Result<usize, SpecError> {
        model.inputs.iter().position(|i| i.name.eq_ignore_ascii_case(name)).ok_or_else(|| SpecError {
            field: format!("correlations[{field}]"),
            message: format!(
                "no input named '{name}' (inputs: {})",
                model.inputs.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        })
    };
    let mut pairs = Vec::new();
    for (k, (a, b, rank)) in spec.correlations.iter().enumerate() {
        pairs.push((index(a, k)?, index(b, k)?, *rank));
    }
    Ok(Sampler::new(spec.seed, spec.sampling, spec.iterations, streams, &pairs)?)
}

/// The numeric iterations of an output (with their indices, `None` where every iteration is
/// a number: then the values are the lanes themselves, not copied), and its errors.
fn split_numeric(lanes: &[f64]) -> (Option<Vec<usize>>, Cow<'_, [f64]>, ErrorCounts, u64) {
    if lanes.iter().all(|x| x.is_finite()) {
        return (None, Cow::Borrowed(lanes), ErrorCounts::default(), 0);
    }
    let mut idx = Vec::with_capacity(lanes.len());
    let mut vals = Vec::with_capacity(lanes.len());
    let mut errors = ErrorCounts::default();
    let mut other = 0;
    for (i, &x) in lanes.iter().enumerate() {
        if x.is_finite() {
            idx.push(i);
            vals.push(x);
        } else {
            match boxing::unbox(x) {
                Lane::Error(e) => {
                    errors.count += 1;
                    *errors.by_kind.entry(e.as_str().to_owned()).or_default() += 1;
                }
                Lane::Number(n) => {
                    idx.push(i);
                    vals.push(n);
                }
                _ => other += 1,
            }
        }
    }
    (Some(idx), Cow::Owned(vals), errors, other)
}

/// `f(k)` for `k` in `0..count`, on as many threads as there are cores, in order. Each thread
/// takes the next `k` when it is free, so a few costly items (inputs to sort among inputs
/// ranked from their strata) do not leave a core idle.
fn parallel_map<T: Send>(count: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    parallel_map_with(count, |_: &mut (), k| f(k))
}

/// [`parallel_map`] where `f` also gets its thread's scratch space (`S::default()` once per
/// thread, then whatever the thread's last item left in it): memory a thread reuses from item
/// to item is memory the system does not have to map again for each.
fn parallel_map_with<S: Default, T: Send>(count: usize, f: impl Fn(&mut S, usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map(usize::from).unwrap_or(1).clamp(1, count.max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    let mut scratch = S::default();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if k >= count {
                            return mine;
                        }
                        mine.push((k, f(&mut scratch, k)));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    done.sort_unstable_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, t)| t).collect()
}

/// One input's ranks, and its ascending order where a rank correlation over part of the
/// iterations needs it (an input with ties, ranked again along it).
struct RankedInput<'s> {
    ranks: InputRanks<'s>,
    order: Option<Vec<u32>>,
    moments: stats::Moments,
}

/// An input's ranks for [`stats::rank_correlation`].
enum InputRanks<'s> {
    /// Doubled ranks ([`stats::Ranked::ranks`]).
    Doubled(Vec<u32>),
    /// The strata of a Latin Hypercube input without ties ([`stats::StrataRanks::Distinct`]).
    Strata(&'s [u32]),
}

impl InputRanks<'_> {
    fn as_slice(&self) -> &[u32] {
        match self {
            InputRanks::Doubled(ranks) => ranks,
            InputRanks::Strata(strata) => strata,
        }
    }

    /// The 0-based rank of iteration `i`, for an input without ties.
    fn rank(&self, i: usize) -> u32 {
        match self {
            InputRanks::Doubled(ranks) => stats::undoubled(ranks[i]),
            InputRanks::Strata(strata) => strata[i],
        }
    }
}

/// One output's numeric samples: their iterations, values, order and ranks; its errors.
struct NumericOutput<'s> {
    /// The iterations whose value is a number, where some are not (`None`: every one is).
    iterations: Option<Vec<usize>>,
    values: Cow<'s, [f64]>,
    /// Sorted and ranked among the numeric iterations (with whether two are equal).
    ranked: stats::Ranked,
    errors: ErrorCounts,
    non_numeric: u64,
}

impl NumericOutput<'_> {
    /// Is every iteration a number?
    fn complete(&self) -> bool {
        self.iterations.is_none()
    }

    /// The iteration of the `p`-th numeric value.
    fn iteration(&self, p: usize) -> usize {
        self.iterations.as_ref().map_or(p, |it| it[p])
    }

    /// The iterations whose value is a number, of `n`.
    fn kept(&self, n: usize) -> Cow<'_, [usize]> {
        match &self.iterations {
            Some(it) => Cow::Borrowed(it),
            None => Cow::Owned((0..n).collect()),
        }
    }

    /// `(iteration, value)` in ascending order of value.
    fn ascending(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.ranked.order.iter().zip(&self.ranked.sorted).map(|(&p, &x)| (self.iteration(p as usize), x))
    }
}

fn numeric_output(lanes: &[f64]) -> NumericOutput<'_> {
    let (iterations, values, errors, non_numeric) = split_numeric(lanes);
    let ranked = stats::rank(&values);
    NumericOutput { iterations, values, ranked, errors, non_numeric }
}

/// Where each iteration is among `kept` (`u32::MAX` where it is not).
fn positions(kept: &[usize], n: usize) -> Vec<u32> {
    let mut position = vec![u32::MAX; n];
    for (p, &i) in kept.iter().enumerate() {
        position[i] = p as u32;
    }
    position
}

/// The `(position, value)` pairs of the iterations `position` keeps, from `(iteration, value)`
/// pairs (the order kept).
fn kept(ascending: impl Iterator<Item = (usize, f64)>, position: &[u32]) -> impl Iterator<Item = (usize, f64)> {
    ascending.filter(move |&(i, _)| position[i] != u32::MAX).map(move |(i, x)| (position[i] as usize, x))
}

/// Doubled ranks over the iterations `position` keeps, from `(iteration, value)` pairs in
/// ascending order of value.
fn ranks_among(ascending: impl Iterator<Item = (usize, f64)>, position: &[u32], kept_count: usize) -> Vec<u32> {
    stats::doubled_ranks_along(kept(ascending, position), kept_count)
}

/// The rank correlation of two outputs over the iterations where both are numbers.
fn output_rank_correlation(a: &NumericOutput, b: &NumericOutput, n: usize) -> f64 {
    if a.complete() && b.complete() {
        return stats::rank_correlation(&a.ranked.ranks, &b.ranked.ranks);
    }
    // One numeric everywhere and without ties: its ranks over the other's numeric iterations
    // follow from its ranks (the correlation is symmetric).
    for (full, part) in [(a, b), (b, a)] {
        if full.complete() && !full.ranked.ties {
            let ranks = &full.ranked.ranks;
            return stats::rank_correlation_kept(|i| stats::undoubled(ranks[i]), n, &part.kept(n), &part.ranked.ranks);
        }
    }
    let in_b = positions(&b.kept(n), n);
    let common: Vec<usize> = a.kept(n).iter().copied().filter(|&i| in_b[i] != u32::MAX).collect();
    let position = positions(&common, n);
    let ra = ranks_among(a.ascending(), &position, common.len());
    stats::rank_correlation_along(kept(b.ascending(), &position), &ra)
}

/// The rank correlation of an input with an output, on the output's numeric iterations;
/// `position` ([`positions`] of those iterations) is given for an output with error
/// iterations when some input has ties (an [`RankedInput::order`]).
fn rank_correlation(input: &RankedInput, samples: &[f64], out: &NumericOutput, position: Option<&[u32]>) -> f64 {
    let n = samples.len();
    if out.complete() {
        return stats::rank_correlation(input.ranks.as_slice(), &out.ranked.ranks);
    }
    match (&input.order, position) {
        // With ties: the input ranked again over the numeric iterations, in the order known.
        (Some(order), Some(position)) => {
            let ascending = order.iter().map(|&i| (i as usize, samples[i as usize]));
            stats::rank_correlation_along(kept(ascending, position), &out.ranked.ranks)
        }
        // Without: its ranks among the numeric iterations follow from its ranks.
        _ => stats::rank_correlation_kept(|i| input.ranks.rank(i), n, &out.kept(n), &out.ranked.ranks),
    }
}

/// Input `j` ranked (from its strata where they rank it, else by sorting), with its moments.
/// `by_stratum` is scratch space of `n` values ([`stats::ranks_of_strata_in`]).
fn ranked_input<'s>(
    samples: &'s Samples,
    j: usize,
    n: usize,
    need_order: bool,
    by_stratum: &mut Vec<f64>,
) -> RankedInput<'s> {
    let xs = &samples.inputs[j];
    // A stratified input's order is that of its strata (checked, not assumed).
    if let Some(strata) = samples.strata.get(j).filter(|s| s.len() == n)
        && let Some(ranks) = stats::ranks_of_strata_in(xs, strata, by_stratum)
    {
        let ranks = match ranks {
            stats::StrataRanks::Distinct => InputRanks::Strata(strata),
            stats::StrataRanks::Tied(doubled) => InputRanks::Doubled(doubled),
        };
        // The order is for ranking again with ties; without, the ranks suffice.
        let order = (need_order && matches!(ranks, InputRanks::Doubled(_))).then(|| {
            let mut order = vec![0u32; n];
            for (i, &s) in strata.iter().enumerate() {
                order[s as usize] = i as u32;
            }
            order
        });
        return RankedInput { ranks, order, moments: stats::moments(xs) };
    }
    let ranked = stats::rank_order(xs);
    RankedInput {
        ranks: InputRanks::Doubled(ranked.ranks),
        order: (need_order && ranked.ties).then_some(ranked.order),
        moments: stats::moments(xs),
    }
}

/// The statistics of a run's samples (the CPU engine's, or another engine's with the same
/// layout). `engine` in the result says the CPU ran it: another engine overwrites it.
pub fn summarise(model: &Model<'_>, spec: &ResolvedSpec, samples: &Samples) -> SimulationResult {
    let n = spec.iterations as usize;
    // Every output and input is sorted once, on all cores.
    let numeric: Vec<NumericOutput> = parallel_map(samples.outputs.len(), |k| numeric_output(&samples.outputs[k]));
    // Inputs are ranked again over the numeric iterations of an output with errors.
    let need_order = numeric.iter().any(|o| !o.complete());
    let inputs_ranked: Vec<RankedInput> =
        parallel_map_with(samples.inputs.len(), |by_stratum, j| ranked_input(samples, j, n, need_order, by_stratum));
    // Sensitivity: the rank correlation of each input with each output over the output's
    // numeric iterations, every pair on its own (an output with errors ranks each input again).
    // Positions in an output's numeric iterations, for inputs with ties ranked again there.
    let any_order = inputs_ranked.iter().any(|r| r.order.is_some());
    let positions_of: Vec<Option<Vec<u32>>> =
        numeric.iter().map(|o| (any_order && !o.complete()).then(|| positions(&o.kept(n), n))).collect();
    let n_in = samples.inputs.len();
    let rhos = parallel_map(numeric.len() * n_in, |p| {
        let (k, j) = (p / n_in, p % n_in);
        rank_correlation(&inputs_ranked[j], &samples.inputs[j], &numeric[k], positions_of[k].as_deref())
    });
    let outputs = parallel_map(model.outputs.len(), |k| {
        summarise_output(model, spec, &rhos[k * n_in..(k + 1) * n_in], &numeric[k], k)
    });
    let k = model.outputs.len();
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|a| (a + 1..k).map(move |b| (a, b))).collect();
    let rhos = parallel_map(pairs.len(), |p| output_rank_correlation(&numeric[pairs[p].0], &numeric[pairs[p].1], n));
    let mut output_correlations = vec![vec![1.0; k]; k];
    for (&(a, b), rho) in pairs.iter().zip(rhos) {
        output_correlations[a][b] = rho;
        output_correlations[b][a] = rho;
    }
    let inputs = model
        .inputs
        .iter()
        .zip(inputs_ranked.iter().map(|r| &r.moments))
        .map(|(input, m)| InputResult {
            name: input.name.clone(),
            cell: input.address.clone(),
            source: match &input.origin {
                InputOrigin::Spec => "spec".to_owned(),
                InputOrigin::Function(f) => f.clone(),
                InputOrigin::Rand => "RAND".to_owned(),
                InputOrigin::RandBetween => "RANDBETWEEN".to_owned(),
            },
            distribution: input.distribution.clone(),
            mean: m.mean,
            std: m.std,
            min: m.min,
            max: m.max,
        })
        .collect();
    SimulationResult {
        iterations: spec.iterations,
        seed: spec.seed,
        sampling: spec.sampling,
        outputs,
        inputs,
        output_correlations,
        correlation_repair: None,
        engine: EngineInfo {
            kind: "cpu".to_owned(),
            device: None,
            threads: samples.threads,
            batch: samples.batch,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            model: model.stats,
            timing_ms: Timing::default(),
        },
    }
}

/// The statistics of output `k`.
fn summarise_output(
    model: &Model<'_>,
    spec: &ResolvedSpec,
    rank_correlations: &[f64],
    numeric: &NumericOutput,
    k: usize,
) -> OutputResult {
    let out = &model.outputs[k];
    let sorted = &numeric.ranked.sorted;
    let m = stats::moments(&numeric.values);
    let percentiles =
        spec.percentiles.iter().map(|&p| Percentile { p, value: stats::percentile_inc(sorted, p / 100.0) }).collect();
    let targets = spec
        .outputs
        .iter()
        .position(|o| o.cell == out.cell)
        .and_then(|i| spec.targets.get(i))
        .map(|ts| {
            ts.iter()
                .map(|&t| {
                    let le = stats::fraction_at_most(sorted, t);
                    let lt = if sorted.is_empty() {
                        f64::NAN
                    } else {
                        sorted.partition_point(|&v| v < t) as f64 / sorted.len() as f64
                    };
                    Target { value: t, p_le: le, p_ge: 1.0 - lt }
                })
                .collect()
        })
        .unwrap_or_default();
    let value_at_risk = [Tail::Lower, Tail::Upper]
        .into_iter()
        .flat_map(|tail| VAR_LEVELS.iter().map(move |&level| (tail, level)))
        .map(|(tail, level)| {
            let (var, samples) = match tail {
                Tail::Lower => {
                    let var = stats::percentile_inc(sorted, 1.0 - level);
                    (var, &sorted[..sorted.partition_point(|&v| v <= var)])
                }
                Tail::Upper => {
                    let var = stats::percentile_inc(sorted, level);
                    (var, &sorted[sorted.partition_point(|&v| v < var)..])
                }
            };
            let cvar = if samples.is_empty() { var } else { stats::sum(samples) / samples.len() as f64 };
            ValueAtRisk { tail, level, var, cvar }
        })
        .collect();
    // Sensitivity: rank correlation of each input with the output, on the numeric iterations.
    let mut sens: Vec<Sensitivity> = model
        .inputs
        .iter()
        .zip(rank_correlations)
        .map(|(input, &rho)| Sensitivity {
            input: input.name.clone(),
            cell: input.address.clone(),
            rank_correlation: rho,
            contribution: 0.0,
        })
        .collect();
    let rhos: Vec<f64> = sens.iter().map(|s| s.rank_correlation).collect();
    for (s, c) in sens.iter_mut().zip(stats::contribution_to_variance(&rhos)) {
        s.contribution = c;
    }
    sens.sort_by(|a, b| b.rank_correlation.abs().total_cmp(&a.rank_correlation.abs()));
    OutputResult {
        name: out.name.clone(),
        cell: out.address.clone(),
        mean: m.mean,
        std: m.std,
        min: m.min,
        max: m.max,
        skewness: m.skewness,
        kurtosis: m.kurtosis,
        std_error: m.std_error,
        mean_ci95: m.mean_ci95,
        percentiles,
        histogram: stats::histogram(sorted, spec.bins),
        targets,
        value_at_risk,
        errors: numeric.errors.clone(),
        non_numeric: numeric.non_numeric,
        sensitivity: sens,
    }
}

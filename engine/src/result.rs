//! The result of a simulation: one serde type, printed by `montecell simulate --json` and
//! returned by the HTTP API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sampling::{CorrelationRepair, InputDistribution, Method};
use crate::stats::Histogram;

/// Everything a simulation reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimulationResult {
    /// Iterations run.
    pub iterations: u64,
    /// The seed of the random streams.
    pub seed: u64,
    /// Sampling method.
    pub sampling: Method,
    /// Per output.
    pub outputs: Vec<OutputResult>,
    /// Per input.
    pub inputs: Vec<InputResult>,
    /// Rank correlations between the outputs (the order of `outputs`).
    pub output_correlations: Vec<Vec<f64>>,
    /// When the requested input correlations were not a valid correlation matrix: how the
    /// matrix was changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_repair: Option<CorrelationRepair>,
    /// Where and how it ran.
    pub engine: EngineInfo,
}

/// A percentile.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Percentile {
    /// In percent.
    pub p: f64,
    /// Its value (Excel's `PERCENTILE.INC`).
    #[serde(deserialize_with = "nullable")]
    pub value: f64,
}

/// Probabilities around a target value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The value.
    pub value: f64,
    /// P(output ≤ value).
    #[serde(deserialize_with = "nullable")]
    pub p_le: f64,
    /// P(output ≥ value).
    #[serde(deserialize_with = "nullable")]
    pub p_ge: f64,
}

/// Which end of a distribution is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tail {
    /// Low values are bad (NPV, profit): the (1 − level) percentile and the mean below it.
    Lower,
    /// High values are bad (cost, loss): the level percentile and the mean above it.
    Upper,
}

/// Value at risk and conditional value at risk (expected shortfall) of one tail.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueAtRisk {
    /// The tail.
    pub tail: Tail,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// The percentile that cuts the tail off: P(1 − level) for the lower tail, P(level) for
    /// the upper.
    #[serde(deserialize_with = "nullable")]
    pub var: f64,
    /// The mean of the samples in the tail (at or beyond `var`).
    #[serde(deserialize_with = "nullable")]
    pub cvar: f64,
}

/// How strongly an output moves with an input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// The input's name.
    pub input: String,
    /// Its cell.
    pub cell: String,
    /// Spearman rank correlation of input and output.
    pub rank_correlation: f64,
    /// Share of the output's variance attributed to the input (normalised squared rank
    /// correlations, signed like the correlation).
    pub contribution: f64,
}

/// Iterations whose output was an error.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorCounts {
    /// How many.
    pub count: u64,
    /// By error (`#DIV/0!` → count).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_kind: BTreeMap<String, u64>,
}

/// The statistics of an output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputResult {
    /// Its name.
    pub name: String,
    /// Its cell (`Sheet!B10`).
    pub cell: String,
    /// Mean of the numeric iterations.
    #[serde(deserialize_with = "nullable")]
    pub mean: f64,
    /// Sample standard deviation.
    #[serde(deserialize_with = "nullable")]
    pub std: f64,
    /// Smallest value.
    #[serde(deserialize_with = "nullable")]
    pub min: f64,
    /// Largest value.
    #[serde(deserialize_with = "nullable")]
    pub max: f64,
    /// Skewness (Excel's `SKEW`).
    #[serde(deserialize_with = "nullable")]
    pub skewness: f64,
    /// Excess kurtosis (Excel's `KURT`).
    #[serde(deserialize_with = "nullable")]
    pub kurtosis: f64,
    /// Standard error of the mean.
    #[serde(deserialize_with = "nullable")]
    pub std_error: f64,
    /// 95% confidence interval of the mean.
    #[serde(deserialize_with = "nullable_pair")]
    pub mean_ci95: [f64; 2],
    /// Percentiles.
    pub percentiles: Vec<Percentile>,
    /// Histogram of the numeric iterations.
    pub histogram: Histogram,
    /// Probabilities at the requested targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// Value at risk at 95% and 99%.
    pub value_at_risk: Vec<ValueAtRisk>,
    /// Iterations that gave an error (left out of every statistic).
    pub errors: ErrorCounts,
    /// Iterations that gave text or a boolean (left out too).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub non_numeric: u64,
    /// Sensitivity to every input, strongest first (a tornado).
    pub sensitivity: Vec<Sensitivity>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What an input did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputResult {
    /// Its name.
    pub name: String,
    /// Its cell.
    pub cell: String,
    /// Where it comes from: `spec`, or the function's name in capitals (`RISKNORMAL`, `RAND`…).
    pub source: String,
    /// Its distribution (absent when the parameters vary per iteration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<InputDistribution>,
    /// Mean of the samples.
    #[serde(deserialize_with = "nullable")]
    pub mean: f64,
    /// Standard deviation of the samples.
    #[serde(deserialize_with = "nullable")]
    pub std: f64,
    /// Smallest sample.
    #[serde(deserialize_with = "nullable")]
    pub min: f64,
    /// Largest sample.
    #[serde(deserialize_with = "nullable")]
    pub max: f64,
}

/// Where and how the simulation ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// `cpu` (or `cuda`).
    pub kind: String,
    /// The device, for GPU runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Threads.
    pub threads: usize,
    /// Iterations per batch.
    pub batch: usize,
    /// montecell version.
    pub version: String,
    /// Formulas in the workbook, and how the uncertain ones were compiled.
    pub model: crate::compile::CompileStats,
    /// Milliseconds spent: compile, run, statistics.
    pub timing_ms: Timing,
}

/// Milliseconds per phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Base evaluation, analysis and compilation.
    pub compile: f64,
    /// Sampling and evaluation of all iterations.
    pub run: f64,
    /// Statistics and sensitivities.
    pub statistics: f64,
}

/// A statistic that JSON carries as `null` when it does not exist (no numeric iterations):
/// read back as NaN, which serde_json writes as `null`.
fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// [`nullable`] for a pair.
fn nullable_pair<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
    let [a, b] = <[Option<f64>; 2]>::deserialize(d)?;
    Ok([a.unwrap_or(f64::NAN), b.unwrap_or(f64::NAN)])
}

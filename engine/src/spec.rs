//! The simulation request: what is uncertain, what to observe, how many iterations, how to
//! sample and correlate (the shape the HTTP API will accept); `docs/simulation-spec.md`
//! documents it and `docs/simulation-spec.schema.json` is its JSON Schema.
//!
//! ```json
//! {
//!   "inputs": [{"cell": "Inputs!B3", "name": "units", "distribution": {"type": "triangular", "min": 9000, "mode": 12000, "max": 14000}}],
//!   "outputs": [{"cell": "Model!B14", "name": "npv", "targets": [0]}],
//!   "iterations": 100000, "seed": 42, "sampling": "lhs",
//!   "correlations": [{"inputs": ["units", "price"], "rank": -0.5}],
//!   "percentiles": [2.5, 97.5]
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::address::CellRef;
use crate::compile::{InputRequest, OutputRequest};
use crate::parse::{Expr, parse_formula};
use crate::sampling::{InputDistribution, Method};
use crate::workbook::Workbook;

/// Iterations when the spec gives none.
pub const DEFAULT_ITERATIONS: u64 = 10_000;
/// Most iterations one simulation may ask for.
pub const MAX_ITERATIONS: u64 = 100_000_000;
/// Seed when the spec gives none: results are reproducible by default.
pub const DEFAULT_SEED: u64 = 1;
/// Histogram bins when the spec gives none.
pub const DEFAULT_BINS: usize = 50;
/// Percentiles always reported.
pub const DEFAULT_PERCENTILES: [f64; 15] =
    [1.0, 5.0, 10.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0, 90.0, 95.0, 99.0];

/// A simulation request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSpec {
    /// Cells to sample (in addition to the workbook's own distribution functions).
    #[serde(default)]
    pub inputs: Vec<InputSpec>,
    /// Cells to observe (in addition to cells marked with `RiskOutput`/`PsiOutput`).
    #[serde(default)]
    pub outputs: Vec<OutputSpec>,
    /// Number of iterations (default 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u64>,
    /// Seed of the random streams (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// `"lhs"` (Latin Hypercube, the default) or `"mc"` (plain Monte Carlo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Method>,
    /// Rank correlations between inputs (by name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub correlations: Vec<CorrelationSpec>,
    /// Percentiles to report besides the default ones, in percent (0–100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub percentiles: Vec<f64>,
    /// Histogram bins (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram_bins: Option<usize>,
}

/// An input of the spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// `Sheet!B4`, `'My Sheet'!B4`, or a defined name of one cell.
    pub cell: String,
    /// A name (identifies the input and its random stream; default: the cell's address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The distribution: `{"type": "normal", "mean": 0, "std": 1}` and so on, with optional
    /// `truncate: {min, max}`, `shift` and `static`.
    pub distribution: InputDistribution,
}

/// An output of the spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// The cell.
    pub cell: String,
    /// A name (default: the cell's address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Values whose probabilities P(output ≤ t) and P(output ≥ t) to report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<f64>,
}

/// A rank correlation: between two inputs, or a matrix over several.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CorrelationSpec {
    /// `{"inputs": ["a", "b"], "rank": 0.6}`
    Pair {
        /// The two inputs.
        inputs: [String; 2],
        /// Spearman rank correlation, −1…1.
        rank: f64,
    },
    /// `{"inputs": ["a", "b", "c"], "matrix": [[1, 0.5, 0], [0.5, 1, 0.2], [0, 0.2, 1]]}`
    Matrix {
        /// The inputs, in the matrix's order.
        inputs: Vec<String>,
        /// Rank correlations, symmetric with a unit diagonal.
        matrix: Vec<Vec<f64>>,
    },
}

/// A spec that does not fit the workbook or is malformed; names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SpecError {
    /// The field, as a path: `inputs[2].distribution`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl SpecError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError { field: field.into(), message: message.into() }
    }
}

/// Resolves a cell reference written in a spec: `Sheet!B4`, `'My Sheet'!B4`, `B4` (first
/// sheet), or a defined name of a single cell.
pub fn resolve_cell(wb: &Workbook, text: &str) -> Result<CellRef, String> {
    let expr = parse_formula(text.trim(), crate::address::SheetId(0), wb)
        .map_err(|e| format!("'{text}' is not a cell reference ({e})"))?;
    let area = match &expr {
        Expr::Area(a) => *a,
        Expr::Name { sheet, name } => {
            let def = wb
                .name(sheet.unwrap_or(crate::address::SheetId(0)), name)
                .ok_or_else(|| format!("'{text}' is neither a cell nor a defined name"))?;
            match &def.expr {
                Ok(Expr::Area(a)) => *a,
                _ => return Err(format!("defined name '{text}' does not refer to a cell")),
            }
        }
        Expr::Error(_) => return Err(format!("'{text}': no such sheet")),
        _ => return Err(format!("'{text}' is not a cell reference")),
    };
    if !area.is_cell() {
        return Err(format!("'{text}' is a range; give a single cell"));
    }
    if wb.sheet(area.sheet).is_none() {
        return Err(format!("'{text}': no such sheet"));
    }
    Ok(area.top_left())
}

/// A spec checked against its workbook.
#[derive(Clone, Debug)]
pub struct ResolvedSpec {
    /// Inputs to sample.
    pub inputs: Vec<InputRequest>,
    /// Outputs to observe.
    pub outputs: Vec<OutputRequest>,
    /// Targets per output of the spec (same order as `outputs`).
    pub targets: Vec<Vec<f64>>,
    /// Iterations.
    pub iterations: u64,
    /// Seed.
    pub seed: u64,
    /// Sampling method.
    pub sampling: Method,
    /// Correlations as (input name, input name, rank).
    pub correlations: Vec<(String, String, f64)>,
    /// Percentiles to report (in percent, sorted, without duplicates).
    pub percentiles: Vec<f64>,
    /// Histogram bins.
    pub bins: usize,
}

impl SimulationSpec {
    /// Parses a spec from JSON; the error names the place.
    pub fn from_json(text: &str) -> Result<SimulationSpec, SpecError> {
        serde_json::from_str(text)
            .map_err(|e| SpecError::new(format!("line {} column {}", e.line(), e.column()), e.to_string()))
    }

    /// Checks the spec against the workbook.
    pub fn resolve(&self, wb: &Workbook) -> Result<ResolvedSpec, SpecError> {
        let mut inputs = Vec::new();
        for (i, input) in self.inputs.iter().enumerate() {
            let cell = resolve_cell(wb, &input.cell).map_err(|m| SpecError::new(format!("inputs[{i}].cell"), m))?;
            input
                .distribution
                .validate()
                .map_err(|e| SpecError::new(format!("inputs[{i}].distribution"), e.to_string()))?;
            if inputs.iter().any(|r: &InputRequest| r.cell == cell) {
                return Err(SpecError::new(format!("inputs[{i}].cell"), format!("{} is already an input", input.cell)));
            }
            if let Some(name) = &input.name
                && name.trim().is_empty()
            {
                return Err(SpecError::new(format!("inputs[{i}].name"), "a name must not be empty"));
            }
            inputs.push(InputRequest { cell, name: input.name.clone(), distribution: input.distribution.clone() });
        }
        let mut outputs = Vec::new();
        let mut targets = Vec::new();
        for (i, output) in self.outputs.iter().enumerate() {
            let cell = resolve_cell(wb, &output.cell).map_err(|m| SpecError::new(format!("outputs[{i}].cell"), m))?;
            if output.targets.iter().any(|t| !t.is_finite()) {
                return Err(SpecError::new(format!("outputs[{i}].targets"), "targets must be finite numbers"));
            }
            outputs.push(OutputRequest { cell, name: output.name.clone() });
            targets.push(output.targets.clone());
        }
        let iterations = self.iterations.unwrap_or(DEFAULT_ITERATIONS);
        if iterations == 0 || iterations > MAX_ITERATIONS {
            return Err(SpecError::new("iterations", format!("must be between 1 and {MAX_ITERATIONS}")));
        }
        let mut correlations = Vec::new();
        for (i, c) in self.correlations.iter().enumerate() {
            let field = format!("correlations[{i}]");
            match c {
                CorrelationSpec::Pair { inputs: [a, b], rank } => {
                    check_rank(*rank, &field)?;
                    if a == b {
                        return Err(SpecError::new(field, "an input cannot be correlated with itself"));
                    }
                    correlations.push((a.clone(), b.clone(), *rank));
                }
                CorrelationSpec::Matrix { inputs: names, matrix } => {
                    if matrix.len() != names.len() || matrix.iter().any(|r| r.len() != names.len()) {
                        return Err(SpecError::new(
                            format!("{field}.matrix"),
                            format!("must be {0}×{0} for {0} inputs", names.len()),
                        ));
                    }
                    for (r, row) in matrix.iter().enumerate() {
                        for (c, &v) in row.iter().enumerate() {
                            let place = format!("{field}.matrix[{r}][{c}]");
                            if r == c && (v - 1.0).abs() > 1e-12 {
                                return Err(SpecError::new(place, "the diagonal must be 1"));
                            }
                            check_rank(v, &place)?;
                            if (v - matrix[c][r]).abs() > 1e-12 {
                                return Err(SpecError::new(place, "the matrix must be symmetric"));
                            }
                            if r < c {
                                correlations.push((names[r].clone(), names[c].clone(), v));
                            }
                        }
                    }
                }
            }
        }
        let mut percentiles: Vec<f64> = DEFAULT_PERCENTILES.to_vec();
        for (i, p) in self.percentiles.iter().enumerate() {
            if !(0.0..=100.0).contains(p) {
                return Err(SpecError::new(format!("percentiles[{i}]"), "percentiles are in percent, 0 to 100"));
            }
            percentiles.push(*p);
        }
        percentiles.sort_by(f64::total_cmp);
        percentiles.dedup();
        let bins = self.histogram_bins.unwrap_or(DEFAULT_BINS);
        if !(1..=10_000).contains(&bins) {
            return Err(SpecError::new("histogram_bins", "must be between 1 and 10000"));
        }
        Ok(ResolvedSpec {
            inputs,
            outputs,
            targets,
            iterations,
            seed: self.seed.unwrap_or(DEFAULT_SEED),
            sampling: self.sampling.unwrap_or(Method::LatinHypercube),
            correlations,
            percentiles,
            bins,
        })
    }
}

fn check_rank(v: f64, field: &str) -> Result<(), SpecError> {
    if v.is_finite() && (-1.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(SpecError::new(field, format!("a rank correlation must be between -1 and 1, not {v}")))
    }
}

//! Compiling a workbook for simulation.
//!
//! 1. Every formula is computed once by the scalar evaluator, distribution functions giving
//!    their static value (the *base* evaluation): cells that do not depend on an uncertain
//!    input keep that value.
//! 2. [`analysis`] finds the formulas that vary per iteration and that the outputs need.
//! 3. [`lower`] turns them, in dependency order, into a [`tape::Tape`] of vector operations
//!    (or per-lane interpretation where no vector operation exists), and registers the
//!    inputs: the cells the spec samples and every distribution call of the workbook.
//! 4. [`tape::Tape::allocate`] assigns registers by liveness.

mod analysis;
pub mod boxing;
mod lower;
pub mod tape;

use crate::address::CellRef;
use crate::eval::Evaluator;
use crate::graph::{dependency_lists, evaluation_order_of, read_areas};
use crate::parse::{Callee, Expr};
use crate::rng::stream_id;
use crate::sampling::functions as dist;
use crate::sampling::{InputDistribution, PreparedDistribution};
use crate::workbook::Workbook;

pub use tape::{Reg, Tape};

/// A cell to sample, as the spec asks.
#[derive(Clone, Debug)]
pub struct InputRequest {
    /// The cell; its formula, if any, is replaced by the sample.
    pub cell: CellRef,
    /// The name (identity of its random stream); the cell's address when absent.
    pub name: Option<String>,
    /// Its distribution.
    pub distribution: InputDistribution,
}

/// A cell whose values to collect.
#[derive(Clone, Debug)]
pub struct OutputRequest {
    /// The cell.
    pub cell: CellRef,
    /// The name; the cell's address when absent.
    pub name: Option<String>,
}

/// Where an input comes from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "function")]
pub enum InputOrigin {
    /// The spec.
    Spec,
    /// A distribution function in the workbook (`RISKNORMAL`…).
    Function(String),
    /// A `RAND()` call.
    Rand,
    /// A `RANDBETWEEN()` call (the input is its uniform).
    RandBetween,
}

/// An uncertain input of the compiled model.
#[derive(Clone, Debug)]
pub struct Input {
    /// Its name: given, `RiskName`, or the cell's address (`Sheet!B4`, `Sheet!B4#2` for a
    /// second call in the same cell).
    pub name: String,
    /// The cell it is in.
    pub cell: CellRef,
    /// `Sheet!B4`.
    pub address: String,
    /// Where it comes from.
    pub origin: InputOrigin,
    /// Its distribution (`None` when its parameters vary per iteration).
    pub distribution: Option<InputDistribution>,
    /// The random stream it draws from (from its name).
    pub stream: u64,
}

/// An output of the compiled model.
#[derive(Clone, Debug)]
pub struct Output {
    /// Its name.
    pub name: String,
    /// Its cell.
    pub cell: CellRef,
    /// `Sheet!B10`.
    pub address: String,
}

/// Why a model cannot be compiled. Each message names the cell it is about.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// Nothing is uncertain.
    #[error(
        "the model has no uncertain inputs: list cells to sample under \"inputs\" in the spec, or use distribution functions such as =RiskNormal(mean, std) or =RAND() in the workbook"
    )]
    NoInputs,
    /// Nothing to observe.
    #[error(
        "the model has no outputs: list cells under \"outputs\" in the spec, or mark cells in the workbook with =RiskOutput() or =PsiOutput()"
    )]
    NoOutputs,
    /// A distribution that cannot be built.
    #[error("{cell}: {message}")]
    InvalidDistribution {
        /// The cell.
        cell: String,
        /// What is wrong.
        message: String,
    },
    /// A reference that changes per iteration.
    #[error(
        "{cell}: {function} computes a reference from values that vary per iteration, which the simulation engine does not support; compute the reference from constant cells"
    )]
    DynamicReference {
        /// The cell.
        cell: String,
        /// `INDIRECT` or `OFFSET`.
        function: &'static str,
    },
    /// Uncertain formulas that read each other.
    #[error("circular reference among uncertain formulas: {}", cells.join(" → "))]
    Cycle {
        /// The cells of the cycle.
        cells: Vec<String>,
    },
    /// A defined name holds a distribution function.
    #[error("defined name {name} holds a distribution function; put the distribution in a cell and refer to the cell")]
    DistributionInName {
        /// The name.
        name: String,
    },
    /// Two inputs with the same name.
    #[error("two inputs are named {0}: names identify inputs (and their random streams) and must be unique")]
    DuplicateInput(String),
    /// A bug.
    #[error("internal compiler error: {0}")]
    Internal(String),
}

/// Numbers about a compilation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompileStats {
    /// Formulas in the workbook.
    pub formulas: usize,
    /// Uncertain formulas the outputs need (compiled).
    pub uncertain: usize,
    /// Of those, lowered to vector operations.
    pub vectorised: usize,
    /// Of those, interpreted lane by lane.
    pub interpreted: usize,
    /// Operations of the tape.
    pub operations: usize,
    /// Registers after allocation.
    pub registers: usize,
}

/// A workbook compiled for simulation.
#[derive(Debug)]
pub struct Model<'wb> {
    /// The workbook.
    pub wb: &'wb Workbook,
    /// Every formula computed once with static values (constants of the simulation).
    pub base: Evaluator<'wb>,
    /// The inputs, in the order the sampler sees them.
    pub inputs: Vec<Input>,
    /// Per input, its distribution prepared for sampling (`None` where the parameters vary
    /// per iteration).
    pub prepared: Vec<Option<PreparedDistribution>>,
    /// The outputs.
    pub outputs: Vec<Output>,
    /// The tape. Its `results` are the outputs' registers, then the inputs' samples.
    pub tape: Tape,
    /// Numbers about the compilation.
    pub stats: CompileStats,
}

/// A distribution call or output marker found in a workbook.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Detected {
    /// `Sheet!B4`.
    pub cell: String,
    /// The function, upper case without prefix: `RISKNORMAL`, `RAND`, `RISKOUTPUT`.
    pub function: String,
}

/// The workbook's own uncertain inputs (distribution functions, `RAND`, `RANDBETWEEN`) and
/// output markers (`RiskOutput`, `PsiOutput`), in formula order: what a simulation of it with
/// an empty spec would sample and observe. One entry per call.
pub fn detect(wb: &Workbook) -> (Vec<Detected>, Vec<Detected>) {
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for f in wb.formulas() {
        let Ok(e) = &f.expr else { continue };
        e.walk(&mut |x| {
            if let Some(name) = analysis::is_stochastic(x) {
                inputs.push(Detected { cell: wb.cell_name(f.cell), function: name.to_owned() });
            }
            if let Some(Expr::Call { callee: Callee::Builtin(id), .. }) = analysis::output_marker(x) {
                outputs.push(Detected { cell: wb.cell_name(f.cell), function: id.def().name.to_owned() });
            }
        });
    }
    (inputs, outputs)
}

/// Compiles the uncertain part of a workbook. Inputs are the spec's plus every distribution
/// call in the workbook; outputs are the spec's plus the cells marked with `RiskOutput` or
/// `PsiOutput`.
pub fn compile<'wb>(
    wb: &'wb Workbook,
    inputs: &[InputRequest],
    outputs: &[OutputRequest],
) -> Result<Model<'wb>, CompileError> {
    for n in wb.names() {
        if let Ok(e) = &n.expr {
            let mut stochastic = false;
            e.walk(&mut |x| stochastic |= analysis::is_stochastic(x).is_some());
            if stochastic {
                return Err(CompileError::DistributionInName { name: n.name.clone() });
            }
        }
    }
    // The areas every formula reads: for the evaluation order here and for the analysis.
    let reads = read_areas(wb);
    let deps = dependency_lists(wb, &reads);
    let order = evaluation_order_of(&deps);
    let mut base = Evaluator::new(wb);
    base.evaluate_in_order(&order);

    // Outputs: the spec's, then the marked cells.
    let mut outs: Vec<Output> = outputs
        .iter()
        .map(|o| Output {
            name: o.name.clone().unwrap_or_else(|| wb.cell_name(o.cell)),
            cell: o.cell,
            address: wb.cell_name(o.cell),
        })
        .collect();
    for f in wb.formulas() {
        let Ok(e) = &f.expr else { continue };
        let mut marker: Option<&Expr> = None;
        e.walk(&mut |x| {
            if marker.is_none() {
                marker = analysis::output_marker(x);
            }
        });
        let Some(Expr::Call { callee: Callee::Builtin(id), args }) = marker else { continue };
        if outs.iter().any(|o| o.cell == f.cell) {
            continue;
        }
        let given = base.in_cell(f.cell, false, |ev| dist::output_name(ev, id.def().name, args));
        let name = given.ok().flatten().unwrap_or_else(|| wb.cell_name(f.cell));
        outs.push(Output { name, cell: f.cell, address: wb.cell_name(f.cell) });
    }
    if outs.is_empty() {
        return Err(CompileError::NoOutputs);
    }

    let sampled: Vec<CellRef> = inputs.iter().map(|i| i.cell).collect();
    let output_cells: Vec<CellRef> = outs.iter().map(|o| o.cell).collect();
    let analysis = analysis::analyse(wb, &mut base, &order, reads, deps, &sampled, &output_cells)?;

    let mut lower = lower::Lowerer::new(wb, &mut base, &analysis.uncertain);
    for req in inputs {
        let name = req.name.clone().unwrap_or_else(|| wb.cell_name(req.cell));
        let input = Input {
            stream: stream_id(&name),
            name,
            cell: req.cell,
            address: wb.cell_name(req.cell),
            origin: InputOrigin::Spec,
            distribution: Some(req.distribution.clone()),
        };
        let reg = lower.add_input(input);
        lower.cell_regs.insert(req.cell, reg);
    }
    for &id in &analysis.order {
        lower.formula(id, &analysis.reads[id.index()])?;
    }
    let output_regs: Vec<Reg> = outs.iter().map(|o| lower.output(o.cell)).collect();
    let (native, interpreted) = (lower.native, lower.interpreted);
    let mut tape = std::mem::take(&mut lower.tape);
    let model_inputs = std::mem::take(&mut lower.inputs);
    let input_samples = std::mem::take(&mut lower.input_samples);
    drop(lower);
    if model_inputs.is_empty() {
        return Err(CompileError::NoInputs);
    }
    let mut seen = std::collections::HashSet::new();
    for i in &model_inputs {
        if !seen.insert(i.name.to_lowercase()) {
            return Err(CompileError::DuplicateInput(i.name.clone()));
        }
    }
    let prepared = model_inputs
        .iter()
        .map(|i| {
            i.distribution
                .as_ref()
                .map(|d| d.prepare())
                .transpose()
                .map_err(|e| CompileError::InvalidDistribution { cell: i.address.clone(), message: e.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    tape.results = output_regs.into_iter().chain(input_samples).collect();
    tape.allocate();
    let stats = CompileStats {
        formulas: wb.formulas().len(),
        uncertain: analysis.order.len(),
        vectorised: native,
        interpreted,
        operations: tape.ops.len(),
        registers: tape.registers as usize,
    };
    Ok(Model { wb, base, inputs: model_inputs, prepared, outputs: outs, tape, stats })
}

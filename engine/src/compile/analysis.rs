//! Which formulas vary per iteration: those that read an uncertain input (a cell the spec
//! samples, or a distribution call in the workbook), directly or through other formulas, and
//! that the outputs need. Everything else is computed once by the scalar evaluator.

use std::collections::{BTreeMap, HashMap, HashSet};

use rustc_hash::FxHashMap;

use super::CompileError;
use crate::address::{Area, CellRef, SheetId};
use crate::eval::{Evaluator, Operand};
use crate::graph::{checked_order_of, formulas_read, referenced_areas};
use crate::parse::{Callee, Expr};
use crate::sampling::functions as dist;
use crate::workbook::{CellContent, FormulaId, Workbook, bounds_with, in_rectangle};

/// Is this call a source of randomness (a distribution function, `RAND`, `RANDBETWEEN`)?
pub(super) fn is_stochastic(e: &Expr) -> Option<&'static str> {
    match e {
        Expr::Call { callee: Callee::Builtin(id), .. } => {
            let name = id.def().name;
            (dist::is_distribution_function(name) || name == "RAND" || name == "RANDBETWEEN").then_some(name)
        }
        _ => None,
    }
}

/// Is this call an output marker (`RiskOutput`, `PsiOutput`)?
pub(super) fn output_marker(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Call { callee: Callee::Builtin(id), .. } if dist::is_output_marker(id.def().name) => Some(e),
        _ => None,
    }
}

/// Cells that vary per iteration, by sheet, for range queries.
#[derive(Debug, Default)]
pub(super) struct CellSet {
    by_sheet: FxHashMap<SheetId, SheetCells>,
}

/// The cells of a [`CellSet`] on one sheet, and their bounds (top, left, bottom, right).
#[derive(Debug, Default)]
struct SheetCells {
    cells: BTreeMap<(u32, u32), ()>,
    bounds: Option<(u32, u32, u32, u32)>,
}

impl CellSet {
    pub(super) fn insert(&mut self, cell: CellRef) {
        let sheet = self.by_sheet.entry(cell.sheet).or_default();
        sheet.cells.insert((cell.row, cell.col), ());
        sheet.bounds = Some(bounds_with(sheet.bounds, cell.row, cell.col));
    }

    pub(super) fn contains(&self, cell: CellRef) -> bool {
        self.by_sheet.get(&cell.sheet).is_some_and(|m| m.cells.contains_key(&(cell.row, cell.col)))
    }

    /// The cells of the set inside `area`, row by row.
    pub(super) fn in_area(&self, area: &Area) -> Vec<CellRef> {
        let Some(m) = self.by_sheet.get(&area.sheet) else { return Vec::new() };
        in_rectangle(&m.cells, m.bounds, area).map(|(&(r, c), _)| CellRef::new(area.sheet, r, c)).collect()
    }

    pub(super) fn intersects(&self, area: &Area) -> bool {
        let Some(m) = self.by_sheet.get(&area.sheet) else { return false };
        in_rectangle(&m.cells, m.bounds, area).next().is_some()
    }
}

/// The result of the analysis.
#[derive(Debug, Default)]
pub(super) struct Analysis {
    /// Uncertain formulas the outputs need, dependencies first.
    pub(super) order: Vec<FormulaId>,
    /// The areas each formula reads (static references, names, and references computed by
    /// `INDIRECT`/`OFFSET` with constant arguments).
    pub(super) reads: Vec<Vec<Area>>,
    /// Cells that vary: sampled cells and cells of uncertain formulas.
    pub(super) uncertain: CellSet,
}

fn walk_calls<'e>(e: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    e.walk(&mut |x| {
        if matches!(x, Expr::Call { .. }) {
            f(x);
        }
    });
}

/// The references `INDIRECT` and `OFFSET` calls of a formula produce, computed once with the
/// scalar evaluator; `Err` names the function when its arguments vary per iteration.
fn dynamic_reads(
    wb: &Workbook,
    base: &mut Evaluator<'_>,
    id: FormulaId,
    uncertain: &CellSet,
    out: &mut Vec<Area>,
) -> Result<(), &'static str> {
    let f = wb.formula(id);
    let Ok(expr) = &f.expr else { return Ok(()) };
    let mut calls = Vec::new();
    walk_calls(expr, &mut |c| {
        if let Expr::Call { callee: Callee::Builtin(fid), .. } = c
            && matches!(fid.def().name, "INDIRECT" | "OFFSET")
        {
            calls.push(c);
        }
    });
    for call in calls {
        let Expr::Call { callee: Callee::Builtin(fid), args } = call else { continue };
        let name = fid.def().name;
        let mut arg_areas = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if name == "OFFSET" && i == 0 && matches!(a, Expr::Area(_)) {
                continue;
            }
            referenced_areas(wb, f.cell.sheet, a, &mut arg_areas);
        }
        if arg_areas.iter().any(|a| uncertain.intersects(a)) {
            return Err(name);
        }
        match base.eval_at(f.cell, f.array.is_some(), call) {
            Operand::Ref(a) => out.push(a),
            Operand::Refs(list) => out.extend(list.iter().copied()),
            _ => {}
        }
    }
    Ok(())
}

/// Finds the uncertain formulas the outputs need. `reads` are the areas each formula reads
/// ([`crate::graph::read_areas`]) and `deps` the formulas in them
/// ([`crate::graph::dependency_lists`]), `order` an evaluation order from those; `sampled` are
/// the cells the spec samples (their formulas, if any, are replaced); `outputs` the output
/// cells.
pub(super) fn analyse(
    wb: &Workbook,
    base: &mut Evaluator<'_>,
    order: &[FormulaId],
    mut reads: Vec<Vec<Area>>,
    mut deps: Vec<Vec<FormulaId>>,
    sampled: &[CellRef],
    outputs: &[CellRef],
) -> Result<Analysis, CompileError> {
    let n = wb.formulas().len();
    let replaced: HashSet<CellRef> = sampled.iter().copied().collect();
    let stochastic: Vec<bool> = wb
        .formulas()
        .iter()
        .map(|f| {
            let mut any = false;
            if let Ok(e) = &f.expr {
                e.walk(&mut |x| any |= is_stochastic(x).is_some());
            }
            any && !replaced.contains(&f.cell)
        })
        .collect();
    let has_dynamic: Vec<bool> = wb
        .formulas()
        .iter()
        .map(|f| {
            let mut any = false;
            if let Ok(e) = &f.expr {
                walk_calls(e, &mut |c| {
                    if let Expr::Call { callee: Callee::Builtin(id), .. } = c {
                        any |= matches!(id.def().name, "INDIRECT" | "OFFSET");
                    }
                });
            }
            any
        })
        .collect();

    // Propagate uncertainty in dependency order until nothing changes (references computed by
    // INDIRECT/OFFSET may point forward in the static order, and a static cycle has a formula
    // before one it reads). When neither happens, the first pass is the last.
    let mut position = vec![0usize; n];
    for (p, id) in order.iter().enumerate() {
        position[id.index()] = p;
    }
    let forward = order.iter().any(|id| deps[id.index()].iter().any(|d| position[d.index()] > position[id.index()]));
    let one_pass = !forward && !has_dynamic.iter().any(|&d| d);
    let mut uncertain_formula = vec![false; n];
    let mut uncertain = CellSet::default();
    for c in sampled {
        uncertain.insert(*c);
    }
    let mut dynamic_errors: HashMap<FormulaId, &'static str> = HashMap::new();
    let mut dynamic_done = vec![false; n];
    loop {
        let mut changed = false;
        for &id in order {
            let i = id.index();
            let f = wb.formula(id);
            if replaced.contains(&f.cell) {
                continue;
            }
            if has_dynamic[i] && !dynamic_done[i] {
                let mut extra = Vec::new();
                match dynamic_reads(wb, base, id, &uncertain, &mut extra) {
                    Ok(()) => {
                        dynamic_done[i] = true;
                        reads[i].extend(extra);
                    }
                    Err(name) => {
                        dynamic_errors.insert(id, name);
                    }
                }
            }
            if uncertain_formula[i] {
                continue;
            }
            if stochastic[i] || dynamic_errors.contains_key(&id) || reads[i].iter().any(|a| uncertain.intersects(a)) {
                uncertain_formula[i] = true;
                changed = true;
                uncertain.insert(f.cell);
                if let Some(area) = f.array {
                    for r in area.top..=area.bottom {
                        for c in area.left..=area.right {
                            uncertain.insert(CellRef::new(area.sheet, r, c));
                        }
                    }
                }
            }
        }
        if !changed || one_pass {
            break;
        }
    }

    // The formulas each formula reads, for ordering and for the outputs' needs: those of the
    // formulas whose reads grew by references INDIRECT/OFFSET compute.
    for (i, done) in dynamic_done.iter().enumerate() {
        if *done {
            deps[i] = formulas_read(wb, &reads[i]);
        }
    }
    // Uncertain formulas needed by the outputs, in dependency order; a cycle among them
    // cannot be compiled.
    let roots: Vec<FormulaId> = outputs
        .iter()
        .filter_map(|c| match wb.cell(*c) {
            Some(CellContent::Formula(id) | CellContent::ArrayMember { anchor: id, .. }) => Some(*id),
            _ => None,
        })
        .filter(|id| !replaced.contains(&wb.formula(*id).cell))
        .collect();
    let keep = |id: FormulaId| uncertain_formula[id.index()] && !replaced.contains(&wb.formula(id).cell);
    let compiled = checked_order_of(&deps, roots, &keep).map_err(|cycle| CompileError::Cycle {
        cells: cycle.iter().map(|id| wb.cell_name(wb.formula(*id).cell)).collect(),
    })?;
    for id in &compiled {
        if let Some(function) = dynamic_errors.get(id) {
            return Err(CompileError::DynamicReference { cell: wb.cell_name(wb.formula(*id).cell), function });
        }
    }
    Ok(Analysis { order: compiled, reads, uncertain })
}

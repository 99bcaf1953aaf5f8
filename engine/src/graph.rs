//! The dependency graph of a workbook's formulas: which formulas each one reads, and an order
//! in which every formula comes after those it reads.
//!
//! Dependencies are static: the references written in a formula (and in the defined names it
//! uses). References made at run time (`INDIRECT`, `OFFSET`) are computed on demand by the
//! evaluator. Arguments that only use a reference's position, never its values (`ROW(A1)`,
//! `COLUMNS(A:C)`, the base of `OFFSET`), are not dependencies, as in Excel.
//!
//! A static cycle is not necessarily a circular reference: `=CHOOSE(2, B40, "x")` in `B40`
//! names itself but never reads itself, and Excel computes it. So the order here breaks static
//! cycles arbitrarily, and the evaluator reports a [`CircularReference`] only when a formula
//! really reads its own value while being computed.

use std::collections::HashSet;

use crate::address::{Area, SheetId};
use crate::parse::{Callee, Expr};
use crate::workbook::{CellContent, FormulaId, Workbook};

/// Formulas that read each other in a cycle.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("circular reference: {}", cells.join(" → "))]
pub struct CircularReference {
    /// The cells of the cycle (`Sheet!A1`), in order, the first repeated at the end.
    pub cells: Vec<String>,
}

/// Functions whose arguments are references used for their position only.
fn position_only(name: &str, arg: usize) -> bool {
    match name {
        "ROW" | "COLUMN" | "ROWS" | "COLUMNS" | "ISREF" | "SHEET" | "SHEETS" | "AREAS" | "FORMULATEXT"
        | "ISFORMULA" => true,
        "OFFSET" => arg == 0,
        "CELL" => arg == 1,
        _ => false,
    }
}

/// The formulas with a cell inside any of `areas`, sorted, without duplicates.
pub fn formulas_read(wb: &Workbook, areas: &[Area]) -> Vec<FormulaId> {
    let mut out = Vec::new();
    for area in areas {
        formulas_in(wb, area, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The areas whose values `expr`, written on `sheet`, reads: its references and those of the
/// defined names it uses (arguments used for their position only are left out).
pub fn referenced_areas(wb: &Workbook, sheet: SheetId, expr: &Expr, out: &mut Vec<Area>) {
    let mut names_seen = HashSet::new();
    collect(wb, sheet, expr, out, &mut names_seen);
}

fn collect(wb: &Workbook, sheet: SheetId, expr: &Expr, out: &mut Vec<Area>, names: &mut HashSet<String>) {
    match expr {
        Expr::Area(a) => out.push(*a),
        Expr::Area3d { first, last, area } => {
            out.extend((first.0..=last.0).map(|s| Area { sheet: SheetId(s), ..*area }));
        }
        Expr::Name { sheet: explicit, name } => {
            let scope = explicit.unwrap_or(sheet);
            let key = format!("{}!{name}", scope.0);
            if names.insert(key)
                && let Some(def) = wb.name(scope, name)
                && let Ok(e) = &def.expr
            {
                collect(wb, scope, e, out, names);
            }
        }
        Expr::Unary { expr, .. } => collect(wb, sheet, expr, out, names),
        Expr::Binary { lhs, rhs, .. } => {
            collect(wb, sheet, lhs, out, names);
            collect(wb, sheet, rhs, out, names);
        }
        Expr::Call { callee, args } => {
            let name = match callee {
                Callee::Builtin(id) => id.def().name,
                Callee::Unknown(_) => "",
            };
            for (i, a) in args.iter().enumerate() {
                if position_only(name, i) && matches!(a, Expr::Area(_) | Expr::Area3d { .. }) {
                    continue;
                }
                collect(wb, sheet, a, out, names);
            }
        }
        _ => {}
    }
}

/// The formulas with a cell inside `area` (an array formula counts once per member cell).
pub fn formulas_in(wb: &Workbook, area: &Area, out: &mut Vec<FormulaId>) {
    let Some(sheet) = wb.sheet(area.sheet) else { return };
    for (_, content) in sheet.cells_in(area) {
        match content {
            CellContent::Formula(id) | CellContent::ArrayMember { anchor: id, .. } => out.push(*id),
            CellContent::Value(_) => {}
        }
    }
}

/// For every formula, the areas it reads ([`referenced_areas`]).
pub fn read_areas(wb: &Workbook) -> Vec<Vec<Area>> {
    wb.formulas()
        .iter()
        .map(|f| {
            let mut areas = Vec::new();
            if let Ok(e) = &f.expr {
                referenced_areas(wb, f.cell.sheet, e, &mut areas);
            }
            areas
        })
        .collect()
}

/// For every formula, the formulas it reads (sorted, without duplicates), from its
/// [`read_areas`].
pub fn dependency_lists(wb: &Workbook, reads: &[Vec<Area>]) -> Vec<Vec<FormulaId>> {
    reads.iter().map(|areas| formulas_read(wb, areas)).collect()
}

/// An order of all formulas in which each comes after the formulas it reads (static cycles
/// broken arbitrarily).
pub fn evaluation_order(wb: &Workbook) -> Vec<FormulaId> {
    evaluation_order_of(&dependency_lists(wb, &read_areas(wb)))
}

/// [`evaluation_order`] from the formulas' [`dependency_lists`].
pub fn evaluation_order_of(deps: &[Vec<FormulaId>]) -> Vec<FormulaId> {
    order_of(deps, (0..deps.len()).map(|i| FormulaId(i as u32)))
}

/// The order of the formulas reachable from `roots`, dependencies first (post-order of an
/// iterative depth-first search; an edge back into the current path is skipped).
pub fn order_of(deps: &[Vec<FormulaId>], roots: impl IntoIterator<Item = FormulaId>) -> Vec<FormulaId> {
    depth_first(deps, roots, &|_| true, false).0
}

/// Like [`order_of`], through the formulas `keep` accepts only, and failing on the first cycle
/// among them: `Err` holds its formulas in order, the first repeated at the end.
pub fn checked_order_of(
    deps: &[Vec<FormulaId>],
    roots: impl IntoIterator<Item = FormulaId>,
    keep: &dyn Fn(FormulaId) -> bool,
) -> Result<Vec<FormulaId>, Vec<FormulaId>> {
    match depth_first(deps, roots, keep, true) {
        (order, None) => Ok(order),
        (_, Some(cycle)) => Err(cycle),
    }
}

/// Iterative depth-first search with three colours over the formulas `keep` accepts: the
/// post-order, and the first cycle met when `stop_at_cycle` (otherwise back edges are skipped).
fn depth_first(
    deps: &[Vec<FormulaId>],
    roots: impl IntoIterator<Item = FormulaId>,
    keep: &dyn Fn(FormulaId) -> bool,
    stop_at_cycle: bool,
) -> (Vec<FormulaId>, Option<Vec<FormulaId>>) {
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let mut colour = vec![WHITE; deps.len()];
    let mut order = Vec::new();
    let mut stack: Vec<(FormulaId, usize)> = Vec::new();
    for root in roots {
        if !keep(root) || colour[root.index()] != WHITE {
            continue;
        }
        colour[root.index()] = GREY;
        stack.push((root, 0));
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = deps[node.index()].get(*next) {
                *next += 1;
                if !keep(dep) {
                    continue;
                }
                match colour[dep.index()] {
                    WHITE => {
                        colour[dep.index()] = GREY;
                        stack.push((dep, 0));
                    }
                    GREY if stop_at_cycle => {
                        let start = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<FormulaId> = stack[start..].iter().map(|(n, _)| *n).collect();
                        cycle.push(dep);
                        return (order, Some(cycle));
                    }
                    _ => {}
                }
            } else {
                colour[node.index()] = BLACK;
                order.push(node);
                stack.pop();
            }
        }
    }
    (order, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workbook::workbook_from_cells;

    fn names(wb: &Workbook, order: &[FormulaId]) -> Vec<String> {
        order.iter().map(|id| wb.cell_name(wb.formula(*id).cell)).collect()
    }

    #[test]
    fn orders_dependencies_first() {
        let wb = workbook_from_cells(&[("A1", "=B1+1"), ("B1", "=C1*2"), ("C1", "3"), ("D1", "=SUM(A1:B1)")]);
        let names = names(&wb, &evaluation_order(&wb));
        let pos = |n: &str| names.iter().position(|x| x == n);
        assert!(pos("Sheet1!B1") < pos("Sheet1!A1"));
        assert!(pos("Sheet1!A1") < pos("Sheet1!D1"));
    }

    #[test]
    fn static_cycles_still_give_a_complete_order() {
        let wb = workbook_from_cells(&[("A1", "=B1+1"), ("B1", "=C1"), ("C1", "=A1"), ("D1", "=A1")]);
        let order = evaluation_order(&wb);
        assert_eq!(order.len(), 4);
        let names = names(&wb, &order);
        assert_eq!(names.last().map(String::as_str), Some("Sheet1!D1"));
    }

    #[test]
    fn position_only_references_are_not_cycles() {
        let wb = workbook_from_cells(&[("A1", "=ROW(A1)+COLUMNS(A1:C1)"), ("B1", "=A1")]);
        let deps = dependency_lists(&wb, &read_areas(&wb));
        assert!(deps[0].is_empty(), "{:?}", deps[0]);
        assert_eq!(deps[1], vec![FormulaId(0)]);
    }
}

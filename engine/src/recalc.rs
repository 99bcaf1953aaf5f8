//! Recomputes every formula of a workbook and compares the results with the values Excel
//! cached in the file: the fidelity check behind `montecell recalc` and the corpus tests.

use crate::address::CellRef;
use crate::eval::Evaluator;
use crate::graph::{CircularReference, evaluation_order};
use crate::parse::{Callee, Expr};
use crate::value::Value;
use crate::workbook::{CellContent, Workbook};

/// The default tolerance: numbers match when their absolute or relative difference is
/// below it (the rule of the IronCalc corpus).
pub const DEFAULT_TOLERANCE: f64 = 5e-8;

/// Stack for evaluation: formulas nest and dynamic references recurse.
const EVAL_STACK_BYTES: usize = 256 << 20;

/// Functions whose results change on every calculation: cells using them cannot match.
const VOLATILE: [&str; 5] = ["RAND", "RANDBETWEEN", "RANDARRAY", "NOW", "TODAY"];

/// One recomputed formula cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellResult {
    /// The cell.
    pub cell: CellRef,
    /// The sheet's name.
    pub sheet: String,
    /// The cell in A1 notation.
    pub address: String,
    /// The formula (for array members, the anchor's formula).
    pub formula: String,
    /// What montecell computed.
    pub value: Value,
    /// What Excel cached.
    pub cached: Value,
    /// Does the formula use a volatile function (so a mismatch is expected)?
    pub volatile: bool,
    /// Do the two agree within the tolerance?
    pub matches: bool,
}

/// The result of recomputing a workbook.
#[derive(Clone, Debug, Default)]
pub struct Recalculation {
    /// Every formula cell (array formulas: every cell of their range), sheet by sheet, row
    /// by row.
    pub cells: Vec<CellResult>,
    /// Messages about dynamic circular references met while evaluating.
    pub diagnostics: Vec<String>,
    /// The tolerance used.
    pub tolerance: f64,
}

impl Recalculation {
    /// Cells that did not reproduce Excel's value (volatile cells excluded).
    pub fn mismatches(&self) -> impl Iterator<Item = &CellResult> {
        self.cells.iter().filter(|c| !c.matches && !c.volatile)
    }

    /// (matched, compared) over non-volatile cells.
    pub fn score(&self) -> (usize, usize) {
        let compared = self.cells.iter().filter(|c| !c.volatile).count();
        let matched = self.cells.iter().filter(|c| !c.volatile && c.matches).count();
        (matched, compared)
    }
}

/// Do a computed and a cached value agree? Numbers within `tol` (absolute, or relative to
/// their magnitude); text, booleans and errors exactly; an empty cached value equals "", and
/// a cached text spelling an error literal equals that error.
pub fn values_match(computed: &Value, cached: &Value, tol: f64) -> bool {
    match (computed, cached) {
        (Value::Number(x), Value::Number(y)) => {
            let d = (x - y).abs();
            d < tol || d / (x * x + y * y).sqrt() < tol
        }
        (Value::Text(a), Value::Blank) | (Value::Blank, Value::Text(a)) => a.is_empty(),
        // Google Sheets saves error results as text (`t="str"`, `#NUM!`): such a cached text is
        // the error it spells.
        (Value::Error(e), Value::Text(t)) => e.as_str() == t.as_ref(),
        (a, b) => a == b,
    }
}

fn uses_volatile(expr: &Expr) -> bool {
    let mut found = false;
    expr.walk(&mut |e| {
        if let Expr::Call { callee: Callee::Builtin(id), .. } = e {
            found |= VOLATILE.contains(&id.def().name);
        }
        if let Expr::Call { callee: Callee::Unknown(n), .. } = e {
            found |= VOLATILE.contains(&n.as_ref());
        }
    });
    found
}

/// The tolerance a workbook asks for: a sheet named `METADATA` with a number in `A1`.
fn tolerance_of(wb: &Workbook) -> f64 {
    wb.sheets()
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case("METADATA"))
        .and_then(|s| match s.get(0, 0) {
            Some(CellContent::Value(Value::Number(t))) if *t > 0.0 => Some(*t),
            _ => None,
        })
        .unwrap_or(DEFAULT_TOLERANCE)
}

/// Recomputes every formula from the workbook's own constants and compares with the cached
/// values. Fails only on a circular reference (a formula that reads its own value).
pub fn recalculate(wb: &Workbook) -> Result<Recalculation, CircularReference> {
    let order = evaluation_order(wb);
    let tolerance = tolerance_of(wb);
    let run = || {
        let mut ev = Evaluator::new(wb);
        ev.evaluate_in_order(&order);
        let mut cells = Vec::new();
        for (si, sheet) in wb.sheets().iter().enumerate() {
            for ((row, col), content) in sheet.cells() {
                let (id, cached) = match content {
                    CellContent::Value(_) => continue,
                    CellContent::Formula(id) => (*id, wb.formula(*id).cached.clone()),
                    CellContent::ArrayMember { anchor, cached } => (*anchor, cached.clone()),
                };
                let cell = CellRef::new(crate::address::SheetId(si as u32), row, col);
                let formula = wb.formula(id);
                let value = ev.cell_value(cell);
                let volatile = formula.expr.as_ref().is_ok_and(uses_volatile);
                let matches = values_match(&value, &cached, tolerance);
                cells.push(CellResult {
                    cell,
                    sheet: sheet.name.clone(),
                    address: cell.a1(),
                    formula: formula.text.clone(),
                    value,
                    cached,
                    volatile,
                    matches,
                });
            }
        }
        match ev.circular_reference() {
            Some(cycle) => Err(cycle),
            None => Ok(Recalculation { cells, diagnostics: ev.diagnostics().to_vec(), tolerance }),
        }
    };
    let result = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("montecell-eval".into())
            .stack_size(EVAL_STACK_BYTES)
            .spawn_scoped(scope, run)
            .map(|h| h.join())
    });
    match result {
        Ok(Ok(r)) => r,
        // Evaluation panicked: propagate. Spawning failed (no memory for the stack): evaluate here.
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => run(),
    }
}

//! The scalar evaluator: computes formulas with Excel's semantics.
//!
//! Formulas are evaluated in dependency order (see [`crate::graph`]); a reference that only
//! becomes known while evaluating (`INDIRECT`, `OFFSET`) computes its target on demand.
//!
//! **Array context.** Excel evaluates a formula either in *value* context (an ordinary
//! formula: a multi-cell reference where one value is expected is reduced by implicit
//! intersection with the formula's row or column) or in *array* context (an array/CSE or
//! dynamic-array formula, and the arguments of functions that take arrays such as
//! `SUMPRODUCT`): references become arrays, operators work element by element, and functions
//! that take single values are applied to each element.

mod operators;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use crate::address::{Area, CellRef, SheetId};
use crate::functions::Kind;
use crate::graph::CircularReference;
use crate::parse::{BinaryOp, Callee, Expr};
use crate::value::{Array, ErrorKind, Value};
use crate::workbook::{CellContent, FormulaId, Workbook};

pub use operators::{binary_values, lift};

/// The result of evaluating an expression: a value, or a reference that the consumer reads
/// as it needs (a function such as `ROW` or `SUMIF` wants the reference itself).
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A value (possibly an array).
    Value(Value),
    /// A reference to one rectangular area.
    Ref(Area),
    /// Several areas: a union `(A1:B2,D4)` or a 3-D reference.
    Refs(Arc<[Area]>),
    /// A function value made by `LAMBDA`; used anywhere but in a call it is `#CALC!`.
    Lambda(Arc<Lambda>),
}

/// A `LAMBDA`: its parameters, its body, and the `LET`/`LAMBDA` names it was made under.
#[derive(Clone, Debug, PartialEq)]
pub struct Lambda {
    /// Parameter names (upper case, without `_xlpm.`).
    pub params: Vec<Arc<str>>,
    /// The body.
    pub body: Expr,
    /// The local names in scope where the lambda was made.
    captured: Vec<Local>,
}

/// A local name: bound by `LET` or a lambda parameter (`None`: a parameter left out, for
/// `ISOMITTED`).
type Local = (Arc<str>, Option<Operand>);

impl Default for Operand {
    fn default() -> Operand {
        Operand::Value(Value::Blank)
    }
}

impl From<Value> for Operand {
    fn from(v: Value) -> Operand {
        Operand::Value(v)
    }
}

impl From<ErrorKind> for Operand {
    fn from(e: ErrorKind) -> Operand {
        Operand::Value(Value::Error(e))
    }
}

impl From<f64> for Operand {
    fn from(n: f64) -> Operand {
        Operand::Value(Value::number(n))
    }
}

impl From<Area> for Operand {
    fn from(a: Area) -> Operand {
        Operand::Ref(a)
    }
}

/// Where a value met by [`Evaluator::visit_values`] came from: aggregate functions treat
/// text and booleans typed directly as arguments differently from those found in cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A value given directly as an argument (`SUM(1,"2",TRUE)`).
    Direct,
    /// A value of a cell inside a referenced range.
    Reference,
    /// An element of an array (constant or computed).
    Array,
}

#[derive(Clone, Debug)]
enum Slot {
    Pending,
    InProgress,
    Scalar(Value),
    Array(Arc<Array>),
}

/// Deepest nesting of on-demand evaluations (dynamic references) before giving up.
const MAX_DEPTH: u32 = 2_000;
/// Deepest nesting of defined names that refer to names.
const MAX_NAME_DEPTH: u32 = 64;
/// Ranges with more cells than this are clipped to the sheet's used rows/columns when read
/// as arrays (a whole-column reference does not allocate a million values).
const CLIP_THRESHOLD: u64 = 65_536;

/// Values that replace what cells and calls would compute: the simulation engine sets the
/// current iteration's values of uncertain cells (and of the distribution calls of a formula)
/// before it interprets a formula it does not compile to vector operations.
#[derive(Clone, Debug, Default)]
struct Overlay {
    active: bool,
    cells: FxHashMap<CellRef, Value>,
    /// By the address of the call's expression node.
    calls: FxHashMap<usize, Value>,
}

/// What a formula computes: one value, or the array of an array formula.
#[derive(Clone, Debug, PartialEq)]
pub enum FormulaResult {
    /// An ordinary formula's value.
    Scalar(Value),
    /// An array formula's array (its cells read it by position).
    Array(Arc<Array>),
}

/// Evaluates the formulas of one workbook.
#[derive(Clone, Debug)]
pub struct Evaluator<'wb> {
    wb: &'wb Workbook,
    slots: Vec<Slot>,
    cur: CellRef,
    array_ctx: bool,
    depth: u32,
    name_depth: u32,
    diagnostics: Vec<String>,
    /// Formulas being computed, outermost first.
    in_progress: Vec<FormulaId>,
    /// The first circular reference met: formulas in order, the first repeated at the end.
    cycle: Option<Vec<FormulaId>>,
    /// Names bound by `LET` and lambda parameters, innermost last (upper case, without the
    /// `_xlpm.` prefix).
    locals: Vec<Local>,
    overlay: Overlay,
}

impl<'wb> Evaluator<'wb> {
    /// An evaluator with nothing computed yet.
    pub fn new(wb: &'wb Workbook) -> Evaluator<'wb> {
        Evaluator {
            wb,
            slots: vec![Slot::Pending; wb.formulas().len()],
            cur: CellRef::new(SheetId(0), 0, 0),
            array_ctx: false,
            depth: 0,
            name_depth: 0,
            diagnostics: Vec::new(),
            in_progress: Vec::new(),
            cycle: None,
            locals: Vec::new(),
            overlay: Overlay::default(),
        }
    }

    /// The workbook.
    pub fn workbook(&self) -> &'wb Workbook {
        self.wb
    }

    /// The cell whose formula is being evaluated.
    pub fn current_cell(&self) -> CellRef {
        self.cur
    }

    /// Is the current expression evaluated in array context?
    pub fn in_array_context(&self) -> bool {
        self.array_ctx
    }

    /// Messages about problems met during evaluation (references nested too deeply).
    pub fn diagnostics(&self) -> &[String] {
        &self.diagnostics
    }

    /// The first circular reference met: a formula that read its own value, directly or through
    /// others, while being computed (the read gave 0, as in Excel).
    pub fn circular_reference(&self) -> Option<CircularReference> {
        let ids = self.cycle.as_ref()?;
        // Start the cycle at its first cell in sheet order, so the message does not depend on
        // where evaluation entered it.
        let ring = &ids[..ids.len().saturating_sub(1)];
        let first = (0..ring.len()).min_by_key(|&i| self.wb.formula(ring[i]).cell).unwrap_or(0);
        let mut cells: Vec<String> =
            ring[first..].iter().chain(&ring[..first]).map(|id| self.wb.cell_name(self.wb.formula(*id).cell)).collect();
        if let Some(start) = cells.first().cloned() {
            cells.push(start);
        }
        Some(CircularReference { cells })
    }

    /// Computes the given formulas in this order (dependencies first); others on demand.
    pub fn evaluate_in_order(&mut self, order: &[FormulaId]) {
        for &id in order {
            self.ensure(id);
        }
    }

    /// The value of a formula's cell (the anchor cell of an array formula).
    pub fn formula_value(&mut self, id: FormulaId) -> Value {
        self.formula_element(id, 0, 0)
    }

    /// Sets the value a cell reads as until [`Evaluator::clear_overlay`].
    pub fn set_overlay_cell(&mut self, cell: CellRef, value: Value) {
        self.overlay.active = true;
        self.overlay.cells.insert(cell, value);
    }

    /// Sets the value a call expression evaluates to until [`Evaluator::clear_overlay`].
    pub fn set_overlay_call(&mut self, call: &Expr, value: Value) {
        self.set_overlay_call_address(call as *const Expr as usize, value);
    }

    /// [`Evaluator::set_overlay_call`] by the address of the call's expression node.
    pub fn set_overlay_call_address(&mut self, call: usize, value: Value) {
        self.overlay.active = true;
        self.overlay.calls.insert(call, value);
    }

    /// Removes every overlaid value.
    pub fn clear_overlay(&mut self) {
        self.overlay.active = false;
        self.overlay.cells.clear();
        self.overlay.calls.clear();
    }

    /// Computes a formula now, without remembering the result (the simulation engine
    /// interprets uncertain formulas once per iteration this way).
    pub fn compute_formula(&mut self, id: FormulaId) -> FormulaResult {
        match self.compute(id) {
            Slot::Array(a) => FormulaResult::Array(a),
            Slot::Scalar(v) => FormulaResult::Scalar(v),
            Slot::Pending | Slot::InProgress => FormulaResult::Scalar(Value::Error(ErrorKind::Calc)),
        }
    }

    /// Evaluates an expression as if it were written in `cell` (in array context when
    /// `array` is set).
    pub fn eval_at(&mut self, cell: CellRef, array: bool, expr: &Expr) -> Operand {
        self.in_cell(cell, array, |ev| ev.eval(expr))
    }

    /// Runs `f` as if the formula of `cell` were being computed (in array context when
    /// `array` is set), then restores the context.
    pub fn in_cell<T>(&mut self, cell: CellRef, array: bool, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = (self.cur, self.array_ctx);
        (self.cur, self.array_ctx) = (cell, array);
        let out = f(self);
        (self.cur, self.array_ctx) = saved;
        out
    }

    /// The value of any cell: constant, formula result, or element of an array formula.
    pub fn cell_value(&mut self, cell: CellRef) -> Value {
        if self.overlay.active
            && let Some(v) = self.overlay.cells.get(&cell)
        {
            return v.clone();
        }
        match self.wb.cell(cell) {
            None => Value::Blank,
            Some(CellContent::Value(v)) => v.clone(),
            Some(CellContent::Formula(id)) => self.formula_value(*id),
            Some(CellContent::ArrayMember { anchor, .. }) => {
                let a = self.wb.formula(*anchor).cell;
                self.formula_element(*anchor, (cell.row - a.row) as usize, (cell.col - a.col) as usize)
            }
        }
    }

    fn formula_element(&mut self, id: FormulaId, dr: usize, dc: usize) -> Value {
        self.ensure(id);
        match &self.slots[id.index()] {
            Slot::Scalar(v) => v.clone(),
            Slot::Array(a) => a.get_broadcast(dr, dc),
            Slot::Pending | Slot::InProgress => Value::Number(0.0),
        }
    }

    fn ensure(&mut self, id: FormulaId) {
        match self.slots[id.index()] {
            Slot::Pending => {}
            Slot::InProgress => {
                if self.cycle.is_none() {
                    let start = self.in_progress.iter().position(|x| *x == id).unwrap_or(0);
                    let mut cells = self.in_progress[start..].to_vec();
                    cells.push(id);
                    self.cycle = Some(cells);
                }
                return;
            }
            Slot::Scalar(_) | Slot::Array(_) => return,
        }
        if self.depth >= MAX_DEPTH {
            let name = self.wb.cell_name(self.wb.formula(id).cell);
            self.diagnostics.push(format!("references nested too deeply at {name}"));
            self.slots[id.index()] = Slot::Scalar(Value::Error(ErrorKind::Ref));
            return;
        }
        self.slots[id.index()] = Slot::InProgress;
        let slot = self.compute(id);
        self.slots[id.index()] = slot;
    }

    /// Computes a formula in its own context (its cell, array context for array formulas).
    fn compute(&mut self, id: FormulaId) -> Slot {
        let formula = self.wb.formula(id);
        let saved = (self.cur, self.array_ctx);
        self.cur = formula.cell;
        self.array_ctx = formula.array.is_some();
        self.depth += 1;
        self.in_progress.push(id);
        let slot = match &formula.expr {
            Err(_) => Slot::Scalar(Value::Error(ErrorKind::Name)),
            Ok(expr) => {
                let op = self.eval(expr);
                if formula.array.is_some() {
                    Slot::Array(Arc::new(self.finish_array(op)))
                } else {
                    Slot::Scalar(self.finish_scalar(op))
                }
            }
        };
        self.in_progress.pop();
        self.depth -= 1;
        (self.cur, self.array_ctx) = saved;
        slot
    }

    /// The value an ordinary formula shows for its result.
    fn finish_scalar(&mut self, op: Operand) -> Value {
        let v = match op {
            Operand::Value(Value::Array(a)) => a.get(0, 0).cloned().unwrap_or(Value::Error(ErrorKind::Calc)),
            Operand::Value(v) => v,
            Operand::Ref(area) => match self.intersect(&area) {
                Some(cell) => self.cell_value(cell),
                None => Value::Error(ErrorKind::Value),
            },
            Operand::Refs(_) => Value::Error(ErrorKind::Value),
            Operand::Lambda(_) => Value::Error(ErrorKind::Calc),
        };
        blank_to_zero(v)
    }

    /// The array an array formula produces.
    fn finish_array(&mut self, op: Operand) -> Array {
        let a = match op {
            Operand::Value(Value::Array(a)) => Arc::unwrap_or_clone(a),
            Operand::Value(v) => Array::filled(1, 1, v),
            Operand::Ref(area) => self.area_array(&area),
            Operand::Refs(_) => Array::filled(1, 1, Value::Error(ErrorKind::Value)),
            Operand::Lambda(_) => Array::filled(1, 1, Value::Error(ErrorKind::Calc)),
        };
        a.map(|v| blank_to_zero(v.clone()))
    }

    /// Evaluates an expression.
    pub fn eval(&mut self, expr: &Expr) -> Operand {
        match expr {
            Expr::Number(n) => Operand::Value(Value::Number(*n)),
            Expr::Text(s) => Operand::Value(Value::Text(s.clone())),
            Expr::Bool(b) => Operand::Value(Value::Bool(*b)),
            Expr::Error(e) => Operand::Value(Value::Error(*e)),
            Expr::Array(a) => Operand::Value(Value::Array(a.clone())),
            Expr::Missing => Operand::Value(Value::Blank),
            Expr::Area(a) => Operand::Ref(*a),
            Expr::Area3d { first, last, area } => {
                let areas: Vec<Area> = (first.0..=last.0).map(|s| Area { sheet: SheetId(s), ..*area }).collect();
                Operand::Refs(areas.into())
            }
            Expr::Name { sheet, name } => self.eval_name(*sheet, name),
            Expr::Unary { .. } | Expr::Binary { .. } => self.operators(expr),
            Expr::Call { callee: Callee::Unknown(name), args } => self.call_named(name, args),
            Expr::Call { .. }
                if self.overlay.active
                    && let Some(v) = self.overlay.calls.get(&(expr as *const Expr as usize)) =>
            {
                Operand::Value(v.clone())
            }
            Expr::Call { callee: Callee::Builtin(id), args } => match id.def().kind {
                Kind::Scalar(f) => {
                    let values: Vec<Value> = args.iter().map(|a| self.value(a)).collect();
                    Operand::Value(lift(f, &values))
                }
                Kind::Special(f) => match f(self, args) {
                    Ok(op) => op,
                    Err(e) => e.into(),
                },
            },
        }
    }

    /// Binds a `LET` name for the evaluation of the expressions that follow, until
    /// [`Evaluator::unbind_local`].
    pub fn bind_local(&mut self, name: &str, value: Operand) {
        self.locals.push((Arc::from(local_name(name)), Some(value)));
    }

    /// Makes a lambda of parameters and a body, capturing the local names in scope.
    pub fn make_lambda(&self, params: Vec<Arc<str>>, body: Expr) -> Operand {
        let params = params.iter().map(|p| Arc::from(local_name(p))).collect();
        Operand::Lambda(Arc::new(Lambda { params, body, captured: self.locals.clone() }))
    }

    /// Calls a lambda; `None` arguments are omitted ones. More arguments than parameters is
    /// `#VALUE!`; missing trailing arguments are omitted.
    pub fn call_lambda(&mut self, lambda: &Lambda, args: Vec<Option<Operand>>) -> Operand {
        if args.len() > lambda.params.len() {
            return ErrorKind::Value.into();
        }
        if self.name_depth >= MAX_NAME_DEPTH {
            return ErrorKind::Calc.into();
        }
        let saved = std::mem::replace(&mut self.locals, lambda.captured.clone());
        let mut args = args.into_iter();
        for p in &lambda.params {
            self.locals.push((p.clone(), args.next().flatten()));
        }
        self.name_depth += 1;
        let result = self.eval(&lambda.body);
        self.name_depth -= 1;
        self.locals = saved;
        result
    }

    /// Is `name` a lambda parameter that the call left out (`ISOMITTED`)?
    pub fn is_omitted(&self, name: &str) -> bool {
        let key = local_name(name);
        self.locals.iter().rev().find(|(n, _)| n.as_ref() == key).is_some_and(|(_, v)| v.is_none())
    }

    /// A call of a name that is not a function: a lambda bound by `LET` or a defined name
    /// holding a `LAMBDA`; otherwise `#NAME?`.
    fn call_named(&mut self, name: &str, args: &[Expr]) -> Operand {
        let callee = match self.local(name) {
            Some(op) => op,
            None if self.wb.name(self.cur.sheet, name).is_some() => self.eval_name(None, name),
            None => return ErrorKind::Name.into(),
        };
        match callee {
            Operand::Lambda(l) => {
                let args = args.iter().map(|a| (!matches!(a, Expr::Missing)).then(|| self.eval(a))).collect();
                self.call_lambda(&l, args)
            }
            Operand::Value(Value::Error(e)) => e.into(),
            _ => ErrorKind::Name.into(),
        }
    }

    fn local(&self, name: &str) -> Option<Operand> {
        let key = local_name(name);
        self.locals.iter().rev().find(|(n, _)| n.as_ref() == key).map(|(_, v)| v.clone().unwrap_or_default())
    }

    /// Removes the innermost `LET` binding.
    pub fn unbind_local(&mut self) {
        self.locals.pop();
    }

    fn eval_name(&mut self, sheet: Option<SheetId>, name: &str) -> Operand {
        if sheet.is_none()
            && let Some(op) = self.local(name)
        {
            return op;
        }
        let wb = self.wb;
        let Some(def) = wb.name(sheet.unwrap_or(self.cur.sheet), name) else {
            return ErrorKind::Name.into();
        };
        let Ok(expr) = &def.expr else { return ErrorKind::Name.into() };
        if self.name_depth >= MAX_NAME_DEPTH {
            return ErrorKind::Ref.into();
        }
        self.name_depth += 1;
        let op = self.eval(expr);
        self.name_depth -= 1;
        op
    }

    /// An operator expression, and the operators below it on its left: `1+1+…+1`, `A1&A1&…`,
    /// `A1:B2 C3:D4`, `x%%` are trees as deep as they have operators (thousands, in a formula
    /// of Excel's maximum length), so their left spine is walked in a loop, bottom first, and
    /// only right operands (bounded by the parser's nesting limit) are evaluated by recursion.
    /// Operands are evaluated in the same order as by plain recursion: left to right.
    fn operators(&mut self, expr: &Expr) -> Operand {
        // The spine, top first: on the stack when short (the interpreter evaluates formulas
        // once per iteration; most have a few operators), on the heap when long.
        const SHORT: usize = 16;
        let mut short = [expr; SHORT];
        let mut len = 0;
        let mut long: Vec<&Expr> = Vec::new();
        let mut bottom = expr;
        while let Expr::Unary { expr: below, .. } | Expr::Binary { lhs: below, .. } = bottom {
            if len < SHORT {
                short[len] = bottom;
            } else {
                if long.is_empty() {
                    long.extend_from_slice(&short);
                }
                long.push(bottom);
            }
            len += 1;
            bottom = &**below;
        }
        let spine = if len <= SHORT { &short[..len] } else { &long[..] };
        let mut acc = self.eval(bottom);
        for node in spine.iter().rev() {
            acc = match node {
                Expr::Unary { op, .. } => {
                    let v = self.deref(acc);
                    Operand::Value(operators::unary(*op, v))
                }
                Expr::Binary { op: BinaryOp::Range, rhs, .. } => {
                    let r = self.eval(rhs);
                    range_op(acc, r)
                }
                Expr::Binary { op: BinaryOp::Intersect, rhs, .. } => {
                    let r = self.eval(rhs);
                    intersect_op(acc, r)
                }
                Expr::Binary { op: BinaryOp::Union, rhs, .. } => self.union_op(acc, rhs),
                Expr::Binary { op, rhs, .. } => {
                    let l = self.deref(acc);
                    let r = self.value(rhs);
                    Operand::Value(binary_values(*op, &l, &r))
                }
                _ => ErrorKind::Calc.into(),
            };
        }
        acc
    }

    /// `(lhs, rhs)`: the areas of both, or the left's error without evaluating the right.
    fn union_op(&mut self, lhs: Operand, rhs: &Expr) -> Operand {
        let mut areas = Vec::new();
        let mut side = lhs;
        for next in [Some(rhs), None] {
            match side {
                Operand::Ref(a) => areas.push(a),
                Operand::Refs(list) => areas.extend(list.iter().copied()),
                Operand::Value(Value::Error(e)) => return e.into(),
                Operand::Value(_) | Operand::Lambda(_) => return ErrorKind::Value.into(),
            }
            match next {
                Some(e) => side = self.eval(e),
                None => break,
            }
        }
        Operand::Refs(areas.into())
    }

    /// Excel's implicit intersection of an area with the current cell's row or column.
    pub fn intersect(&self, area: &Area) -> Option<CellRef> {
        area.implicit_intersection(self.cur)
    }

    /// Evaluates an expression where one value is expected. References are read: in array
    /// context a multi-cell reference becomes an array, otherwise it is implicitly
    /// intersected with the current cell (`#VALUE!` if that fails).
    pub fn value(&mut self, expr: &Expr) -> Value {
        let op = self.eval(expr);
        self.deref(op)
    }

    /// Reads an operand as a value (see [`Evaluator::value`]).
    pub fn deref(&mut self, op: Operand) -> Value {
        match op {
            Operand::Value(v) => v,
            Operand::Ref(area) if area.is_cell() => self.cell_value(area.top_left()),
            Operand::Ref(area) => {
                if self.array_ctx {
                    Value::Array(Arc::new(self.area_array(&area)))
                } else {
                    match self.intersect(&area) {
                        Some(cell) => self.cell_value(cell),
                        None => Value::Error(ErrorKind::Value),
                    }
                }
            }
            Operand::Refs(_) => Value::Error(ErrorKind::Value),
            Operand::Lambda(_) => Value::Error(ErrorKind::Calc),
        }
    }

    /// Evaluates an expression in array context (as functions taking arrays do), returning
    /// an array: a reference becomes the array of its values, a single value a 1×1 array.
    /// An error value is returned as `Err`.
    pub fn array(&mut self, expr: &Expr) -> Result<Arc<Array>, ErrorKind> {
        let saved = self.array_ctx;
        self.array_ctx = true;
        let op = self.eval(expr);
        self.array_ctx = saved;
        self.operand_array(op)
    }

    /// An operand as an array (see [`Evaluator::array`]).
    pub fn operand_array(&mut self, op: Operand) -> Result<Arc<Array>, ErrorKind> {
        match op {
            Operand::Value(Value::Array(a)) => Ok(a),
            Operand::Value(Value::Error(e)) => Err(e),
            Operand::Value(v) => Ok(Arc::new(Array::filled(1, 1, v))),
            Operand::Ref(area) => Ok(Arc::new(self.area_array(&area))),
            Operand::Refs(_) => Err(ErrorKind::Value),
            Operand::Lambda(_) => Err(ErrorKind::Calc),
        }
    }

    /// Evaluates an expression in array context and keeps references as references.
    pub fn eval_array_context(&mut self, expr: &Expr) -> Operand {
        let saved = self.array_ctx;
        self.array_ctx = true;
        let op = self.eval(expr);
        self.array_ctx = saved;
        op
    }

    /// Evaluates an expression that must be a reference (`ROW(A1)`, `SUMIF(range, …)`).
    pub fn reference(&mut self, expr: &Expr) -> Result<Area, ErrorKind> {
        match self.eval(expr) {
            Operand::Ref(a) => Ok(a),
            Operand::Value(Value::Error(e)) => Err(e),
            _ => Err(ErrorKind::Value),
        }
    }

    /// The area to read for an area: a range larger than [`CLIP_THRESHOLD`] cells is cut at
    /// the sheet's last used row and column (its top-left corner stays, so positions hold).
    pub fn clip(&self, area: &Area) -> Area {
        if area.len() <= CLIP_THRESHOLD {
            return *area;
        }
        let (bottom, right) = match self.wb.sheet(area.sheet).and_then(|s| s.used_bounds()) {
            Some((_, _, b, r)) => (area.bottom.min(b.max(area.top)), area.right.min(r.max(area.left))),
            None => (area.top, area.left),
        };
        Area { bottom, right, ..*area }
    }

    /// The values of an area as an array (clipped, see [`Evaluator::clip`]).
    pub fn area_array(&mut self, area: &Area) -> Array {
        let area = self.clip(area);
        let (rows, cols) = (area.rows() as usize, area.cols() as usize);
        let mut values = vec![Value::Blank; rows * cols];
        let wb = self.wb;
        if let Some(sheet) = wb.sheet(area.sheet) {
            for ((r, c), content) in sheet.cells_in(&area) {
                let v = self.content_value(CellRef::new(area.sheet, r, c), content);
                values[(r - area.top) as usize * cols + (c - area.left) as usize] = v;
            }
        }
        Array::new(rows, cols, values)
    }

    fn content_value(&mut self, cell: CellRef, content: &CellContent) -> Value {
        match content {
            CellContent::Value(v) => v.clone(),
            _ => self.cell_value(cell),
        }
    }

    /// Calls `f` for every non-empty cell of `area`, row by row, with its position.
    pub fn visit_area(
        &mut self,
        area: &Area,
        f: &mut dyn FnMut(CellRef, Value) -> Result<(), ErrorKind>,
    ) -> Result<(), ErrorKind> {
        let wb = self.wb;
        let Some(sheet) = wb.sheet(area.sheet) else { return Err(ErrorKind::Ref) };
        for ((r, c), content) in sheet.cells_in(area) {
            let cell = CellRef::new(area.sheet, r, c);
            let v = self.content_value(cell, content);
            f(cell, v)?;
        }
        Ok(())
    }

    /// Visits every value of a list of arguments the way aggregate functions (`SUM`, `COUNT`,
    /// `MAX`, …) do: references and arrays are flattened (empty cells skipped), other values
    /// are passed as [`Source::Direct`]. Returning `Err` from `f` stops and propagates.
    pub fn visit_values(
        &mut self,
        args: &[Expr],
        f: &mut dyn FnMut(Source, Value) -> Result<(), ErrorKind>,
    ) -> Result<(), ErrorKind> {
        for arg in args {
            let op = self.eval(arg);
            self.visit_operand(op, f)?;
        }
        Ok(())
    }

    /// [`Evaluator::visit_values`] for one evaluated operand.
    pub fn visit_operand(
        &mut self,
        op: Operand,
        f: &mut dyn FnMut(Source, Value) -> Result<(), ErrorKind>,
    ) -> Result<(), ErrorKind> {
        match op {
            Operand::Ref(area) => self.visit_area(&area, &mut |_, v| f(Source::Reference, v)),
            Operand::Refs(areas) => {
                for area in areas.iter() {
                    self.visit_area(area, &mut |_, v| f(Source::Reference, v))?;
                }
                Ok(())
            }
            Operand::Value(Value::Array(a)) => {
                for v in a.values() {
                    f(Source::Array, v.clone())?;
                }
                Ok(())
            }
            Operand::Value(v) => f(Source::Direct, v),
            Operand::Lambda(_) => Err(ErrorKind::Calc),
        }
    }

    /// The area of the array formula anchored at `cell`, if there is one.
    pub fn spill_area(&self, cell: CellRef) -> Option<Area> {
        match self.wb.cell(cell)? {
            CellContent::Formula(id) => self.wb.formula(*id).array,
            _ => None,
        }
    }
}

/// A `LET`/`LAMBDA` name as files store it (`_xlpm.x`, `_xlop.x`), upper case, without prefix.
fn local_name(name: &str) -> String {
    let upper = name.to_uppercase();
    // `_xlop.` marks an optional lambda parameter.
    match upper.strip_prefix("_XLPM.").or_else(|| upper.strip_prefix("_XLOP.")) {
        Some(rest) => rest.to_owned(),
        None => upper,
    }
}

/// `l:r` of two evaluated operands.
fn range_op(l: Operand, r: Operand) -> Operand {
    match (l, r) {
        (Operand::Ref(a), Operand::Ref(b)) if a.sheet == b.sheet => Operand::Ref(a.union_bounds(&b)),
        (Operand::Value(Value::Error(e)), _) | (_, Operand::Value(Value::Error(e))) => e.into(),
        _ => ErrorKind::Ref.into(),
    }
}

/// `l r` (intersection) of two evaluated operands.
fn intersect_op(l: Operand, r: Operand) -> Operand {
    match (l, r) {
        (Operand::Ref(a), Operand::Ref(b)) => match a.intersect(&b) {
            Some(i) => Operand::Ref(i),
            None => ErrorKind::Null.into(),
        },
        (Operand::Value(Value::Error(e)), _) | (_, Operand::Value(Value::Error(e))) => e.into(),
        _ => ErrorKind::Value.into(),
    }
}

fn blank_to_zero(v: Value) -> Value {
    match v {
        Value::Blank => Value::Number(0.0),
        v => v,
    }
}

#[cfg(test)]
mod tests;

//! Logical functions: `IF`, `IFS`, `IFERROR`, `IFNA`, `SWITCH`, `CHOOSE` (all lazy: only the
//! branch taken is evaluated), `AND`, `OR`, `XOR`, `NOT`, `TRUE`, `FALSE`.

use std::cmp::Ordering;

use super::FnResult;
use super::args;
use crate::eval::{Evaluator, Operand, Source};
use crate::parse::Expr;
use crate::value::{Array, ErrorKind, Value, compare};

type Special = Result<Operand, ErrorKind>;

fn branch(ev: &mut Evaluator<'_>, arg: Option<&Expr>, missing: Value) -> Operand {
    match arg {
        None => Operand::Value(missing),
        Some(Expr::Missing) => Operand::Value(Value::Number(0.0)),
        Some(e) => ev.eval(e),
    }
}

/// `IF(condition, [value_if_true], [value_if_false])`
pub(super) fn if_(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let cond = ev.value(&a[0]);
    if let Value::Array(c) = &cond {
        let t = branch(ev, a.get(1), Value::Bool(true));
        let t = ev.deref(t);
        let f = branch(ev, a.get(2), Value::Bool(false));
        let f = ev.deref(f);
        let dims = [c.as_ref()]
            .into_iter()
            .chain([&t, &f].into_iter().filter_map(|v| match v {
                Value::Array(x) => Some(x.as_ref()),
                _ => None,
            }))
            .fold((1, 1), |(r, cc), x| (r.max(x.rows()), cc.max(x.cols())));
        let pick = |v: &Value, i, j| match v {
            Value::Array(x) => x.get_broadcast(i, j),
            other => other.clone(),
        };
        let mut out = Vec::with_capacity(dims.0 * dims.1);
        for i in 0..dims.0 {
            for j in 0..dims.1 {
                out.push(match c.get_broadcast(i, j).to_bool() {
                    Ok(true) => pick(&t, i, j),
                    Ok(false) => pick(&f, i, j),
                    Err(e) => Value::Error(e),
                });
            }
        }
        return Ok(Operand::Value(Value::from(Array::new(dims.0, dims.1, out))));
    }
    if cond.to_bool()? {
        Ok(branch(ev, a.get(1), Value::Bool(true)))
    } else {
        Ok(branch(ev, a.get(2), Value::Bool(false)))
    }
}

/// `IFS(condition1, value1, …)`
pub(super) fn ifs(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    if !a.len().is_multiple_of(2) {
        return Err(ErrorKind::NA);
    }
    for pair in a.chunks(2) {
        if args_bool(ev.value(&pair[0]))? {
            return Ok(branch(ev, pair.get(1), Value::Blank));
        }
    }
    Err(ErrorKind::NA)
}

fn args_bool(v: Value) -> Result<bool, ErrorKind> {
    match v {
        Value::Array(a) => a.get(0, 0).map_or(Err(ErrorKind::Value), Value::to_bool),
        v => v.to_bool(),
    }
}

fn replace_errors(ev: &mut Evaluator<'_>, a: &[Expr], only_na: bool) -> Special {
    let hit = |v: &Value| match v {
        Value::Error(ErrorKind::NA) => true,
        Value::Error(_) => !only_na,
        _ => false,
    };
    let v = ev.value(&a[0]);
    match v {
        Value::Array(arr) => {
            if !arr.values().iter().any(hit) {
                return Ok(Operand::Value(Value::Array(arr)));
            }
            let alt = ev.value(&a[1]);
            // The result has the broadcast shape of both arguments.
            let (rows, cols) = match &alt {
                Value::Array(x) => (arr.rows().max(x.rows()), arr.cols().max(x.cols())),
                _ => (arr.rows(), arr.cols()),
            };
            let mut out = Vec::with_capacity(rows * cols);
            for i in 0..rows {
                for j in 0..cols {
                    let v = arr.get_broadcast(i, j);
                    out.push(if hit(&v) {
                        match &alt {
                            Value::Array(x) => x.get_broadcast(i, j),
                            other => other.clone(),
                        }
                    } else {
                        v
                    });
                }
            }
            Ok(Operand::Value(Value::from(Array::new(rows, cols, out))))
        }
        v if hit(&v) => Ok(branch(ev, a.get(1), Value::Blank)),
        v => Ok(Operand::Value(v)),
    }
}

/// `IFERROR(value, value_if_error)`
pub(super) fn iferror(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    replace_errors(ev, a, false)
}

/// `IFNA(value, value_if_na)`
pub(super) fn ifna(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    replace_errors(ev, a, true)
}

/// `SWITCH(expression, value1, result1, …, [default])`
pub(super) fn switch(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let target = args::scalar(ev, a, 0);
    if let Value::Error(e) = target {
        return Err(e);
    }
    let cases = &a[1..];
    let mut i = 0;
    while i + 1 < cases.len() {
        let v = args::scalar(ev, cases, i);
        if let Value::Error(e) = v {
            return Err(e);
        }
        if compare(&target, &v) == Ordering::Equal && std::mem::discriminant(&target) == std::mem::discriminant(&v) {
            return Ok(branch(ev, cases.get(i + 1), Value::Blank));
        }
        i += 2;
    }
    if cases.len() % 2 == 1 {
        return Ok(branch(ev, cases.last(), Value::Blank));
    }
    Err(ErrorKind::NA)
}

/// `CHOOSE(index, value1, …)`: returns the chosen argument itself (a reference stays one).
pub(super) fn choose(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let index = ev.value(&a[0]);
    if let Value::Array(idx) = index {
        let mut out = Vec::with_capacity(idx.values().len());
        for v in idx.values() {
            out.push(match v.to_number() {
                Ok(n) if n >= 1.0 && (n as usize) < a.len() => ev.value(&a[n as usize]),
                Ok(_) => Value::Error(ErrorKind::Value),
                Err(e) => Value::Error(e),
            });
        }
        return Ok(Operand::Value(Value::from(Array::new(idx.rows(), idx.cols(), out))));
    }
    let n = index.to_number()?.trunc();
    if n < 1.0 || n as usize >= a.len() {
        return Err(ErrorKind::Value);
    }
    Ok(branch(ev, a.get(n as usize), Value::Blank))
}

/// Folds the logical values of the arguments of `AND`, `OR`, `XOR`: booleans and numbers
/// count, text typed directly counts when it reads TRUE/FALSE, other text and blanks are
/// skipped; no logical value at all is `#VALUE!`.
fn fold_logical(ev: &mut Evaluator<'_>, a: &[Expr], init: bool, f: fn(bool, bool) -> bool) -> Special {
    let mut acc = init;
    let mut any = false;
    ev.visit_values(a, &mut |src, v| {
        match (src, &v) {
            (_, Value::Error(e)) => return Err(*e),
            (_, Value::Bool(_) | Value::Number(_)) => {
                acc = f(acc, v.to_bool()?);
                any = true;
            }
            // Text typed directly counts when it reads TRUE or FALSE, and is skipped otherwise
            // (`OR("", TRUE)` is TRUE; `OR("")` has no logical value, so `#VALUE!`).
            (Source::Direct, Value::Text(_)) => {
                if let Ok(b) = v.to_bool() {
                    acc = f(acc, b);
                    any = true;
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    if any { Ok(Operand::Value(Value::Bool(acc))) } else { Err(ErrorKind::Value) }
}

/// `AND(logical1, …)`
pub(super) fn and(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    fold_logical(ev, a, true, |x, y| x && y)
}

/// `OR(logical1, …)`
pub(super) fn or(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    fold_logical(ev, a, false, |x, y| x || y)
}

/// `XOR(logical1, …)`
pub(super) fn xor(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    fold_logical(ev, a, false, |x, y| x ^ y)
}

/// `LET(name1, value1, [name2, value2, …], calculation)`: evaluates each value once, binds it
/// to its name for what follows, and returns the calculation.
pub(super) fn let_(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    if a.len().is_multiple_of(2) {
        return Err(ErrorKind::Value);
    }
    let mut bound = 0;
    let mut result = Ok(Operand::Value(Value::Blank));
    for pair in a[..a.len() - 1].chunks(2) {
        let Expr::Name { sheet: None, name } = &pair[0] else {
            result = Err(ErrorKind::Value);
            break;
        };
        let value = ev.eval(&pair[1]);
        ev.bind_local(name, value);
        bound += 1;
    }
    if result.is_ok() {
        result = Ok(ev.eval(&a[a.len() - 1]));
    }
    for _ in 0..bound {
        ev.unbind_local();
    }
    result
}

/// `NOT(logical)`
pub(super) fn not(a: &[Value]) -> FnResult {
    Ok(Value::Bool(!args::boolean(a, 0)?))
}

/// `TRUE()`
pub(super) fn true_(_: &[Value]) -> FnResult {
    Ok(Value::Bool(true))
}

/// `FALSE()`
pub(super) fn false_(_: &[Value]) -> FnResult {
    Ok(Value::Bool(false))
}

// ── LAMBDA and the functions that call lambdas ─────────────────────────────────────────────

/// `LAMBDA([parameter1, …], calculation)`: a function value, called with `LAMBDA(…)(args)`,
/// through a name (`LET`, or a defined name), or by `MAP`, `REDUCE`, `SCAN`, `BYROW`, `BYCOL`
/// and `MAKEARRAY`.
pub(super) fn lambda(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let (body, params) = a.split_last().ok_or(ErrorKind::Value)?;
    let mut names = Vec::with_capacity(params.len());
    for p in params {
        match p {
            Expr::Name { sheet: None, name } => names.push(name.clone()),
            _ => return Err(ErrorKind::Value),
        }
    }
    Ok(ev.make_lambda(names, body.clone()))
}

/// Evaluates an argument that must be a lambda.
fn lambda_arg(ev: &mut Evaluator<'_>, e: &Expr) -> Result<std::sync::Arc<crate::eval::Lambda>, ErrorKind> {
    match ev.eval(e) {
        Operand::Lambda(l) => Ok(l),
        Operand::Value(Value::Error(e)) => Err(e),
        _ => Err(ErrorKind::Value),
    }
}

/// A lambda's result as one value: a reference is read, an array or a lambda is `#CALC!`
/// (a lambda called per element must give a single value).
fn single(ev: &mut Evaluator<'_>, op: Operand) -> Value {
    match ev.deref(op) {
        Value::Array(a) if a.rows() == 1 && a.cols() == 1 => a.get(0, 0).cloned().unwrap_or_default(),
        Value::Array(_) => Value::Error(ErrorKind::Calc),
        v => v,
    }
}

/// `APPLY(lambda, args…)`: the call `LAMBDA(…)(args…)` (an internal function of the parser).
pub(super) fn apply(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let l = lambda_arg(ev, &a[0])?;
    let args = a[1..].iter().map(|e| (!matches!(e, Expr::Missing)).then(|| ev.eval(e))).collect();
    Ok(ev.call_lambda(&l, args))
}

/// `ISOMITTED(argument)`: is a lambda parameter left out by the call?
pub(super) fn isomitted(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    match &a[0] {
        Expr::Name { sheet: None, name } => Ok(Value::Bool(ev.is_omitted(name)).into()),
        _ => Ok(Value::Bool(false).into()),
    }
}

/// `MAP(array1, [array2, …], lambda)`: the lambda applied to the elements at each position.
pub(super) fn map(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let (f, arrays) = a.split_last().ok_or(ErrorKind::Value)?;
    let l = lambda_arg(ev, f)?;
    let arrays: Vec<std::sync::Arc<Array>> = arrays.iter().map(|e| ev.array(e)).collect::<Result<_, _>>()?;
    let rows = arrays.iter().map(|x| x.rows()).max().unwrap_or(1);
    let cols = arrays.iter().map(|x| x.cols()).max().unwrap_or(1);
    let mut out = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for j in 0..cols {
            let args = arrays.iter().map(|x| Some(Operand::Value(x.get_broadcast(i, j)))).collect();
            let r = ev.call_lambda(&l, args);
            out.push(single(ev, r));
        }
    }
    Ok(Value::from(Array::new(rows, cols, out)).into())
}

/// The optional initial value, the array and the lambda of `REDUCE` and `SCAN`.
type Fold = (Value, std::sync::Arc<Array>, std::sync::Arc<crate::eval::Lambda>);

fn fold_args(ev: &mut Evaluator<'_>, a: &[Expr]) -> Result<Fold, ErrorKind> {
    let (init, array) = match a.len() {
        2 => (Value::Blank, &a[0]),
        _ => (args::scalar(ev, a, 0), &a[1]),
    };
    let array = ev.array(array)?;
    Ok((init, array, lambda_arg(ev, &a[a.len() - 1])?))
}

/// `REDUCE([initial_value], array, lambda(accumulator, value))`
pub(super) fn reduce(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let (mut acc, array, l) = fold_args(ev, a)?;
    for v in array.values() {
        let r = ev.call_lambda(&l, vec![Some(Operand::Value(acc)), Some(Operand::Value(v.clone()))]);
        acc = single(ev, r);
    }
    Ok(Operand::Value(acc))
}

/// `SCAN([initial_value], array, lambda(accumulator, value))`: every intermediate value.
pub(super) fn scan(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let (mut acc, array, l) = fold_args(ev, a)?;
    let mut out = Vec::with_capacity(array.values().len());
    for v in array.values() {
        let r = ev.call_lambda(&l, vec![Some(Operand::Value(acc)), Some(Operand::Value(v.clone()))]);
        acc = single(ev, r);
        out.push(acc.clone());
    }
    Ok(Value::from(Array::new(array.rows(), array.cols(), out)).into())
}

fn by_line(ev: &mut Evaluator<'_>, a: &[Expr], rows: bool) -> Special {
    let array = ev.array(&a[0])?;
    let l = lambda_arg(ev, &a[1])?;
    let n = if rows { array.rows() } else { array.cols() };
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let line: Vec<Value> = if rows {
            (0..array.cols()).map(|j| array.get_broadcast(k, j)).collect()
        } else {
            (0..array.rows()).map(|i| array.get_broadcast(i, k)).collect()
        };
        let line = if rows { Array::row(line) } else { Array::column(line) }.ok_or(ErrorKind::Calc)?;
        let r = ev.call_lambda(&l, vec![Some(Operand::Value(Value::from(line)))]);
        out.push(single(ev, r));
    }
    let result = if rows { Array::column(out) } else { Array::row(out) };
    result.map(|x| Value::from(x).into()).ok_or(ErrorKind::Calc)
}

/// `BYROW(array, lambda(row))`: one value per row, as a column.
pub(super) fn byrow(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    by_line(ev, a, true)
}

/// `BYCOL(array, lambda(column))`: one value per column, as a row.
pub(super) fn bycol(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    by_line(ev, a, false)
}

/// Largest array `MAKEARRAY` builds.
const MAX_MADE_CELLS: f64 = 1_048_576.0;

/// `MAKEARRAY(rows, columns, lambda(row, column))`
pub(super) fn makearray(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let rows = args::scalar_num(ev, a, 0)?.trunc();
    let cols = args::scalar_num(ev, a, 1)?.trunc();
    if rows < 1.0 || cols < 1.0 || rows * cols > MAX_MADE_CELLS {
        return Err(ErrorKind::Value);
    }
    let l = lambda_arg(ev, &a[2])?;
    let (rows, cols) = (rows as usize, cols as usize);
    let mut out = Vec::with_capacity(rows * cols);
    for i in 1..=rows {
        for j in 1..=cols {
            let args = vec![Some(Operand::from(i as f64)), Some(Operand::from(j as f64))];
            let r = ev.call_lambda(&l, args);
            out.push(single(ev, r));
        }
    }
    Ok(Value::from(Array::new(rows, cols, out)).into())
}

//! Descriptive statistics: averages, counts, extremes, order statistics, dispersion, correlation.
//!
//! Aggregates read their arguments with [`args::numbers`]: numbers typed directly (or numeric
//! text and booleans typed directly) count, text and booleans inside ranges and arrays are
//! skipped (the `A` variants count them as 0 and 0/1), errors propagate. Paired functions
//! (`CORREL`, `SLOPE`, `COVARIANCE.S`…) use the pairs where both values are numbers.
//! Variances are computed in two passes (mean first) for accuracy.

use super::FnResult;
use super::args::{self, Numbers};
use crate::eval::{Evaluator, Operand, Source};
use crate::parse::Expr;
use crate::value::{Array, ErrorKind, Value};

type Special = Result<Operand, ErrorKind>;

fn num(n: f64) -> Special {
    Ok(Operand::Value(Value::number(n)))
}

fn sorted(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_by(f64::total_cmp);
    xs
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sum of squared deviations from the mean (two-pass).
fn sum_sq_dev(xs: &[f64]) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m) * (x - m)).sum()
}

/// Applies `f` to the value of `expr`, element by element when it is an array.
fn map_value(ev: &mut Evaluator<'_>, expr: Option<&Expr>, f: &dyn Fn(&Value) -> FnResult) -> Special {
    let v = match expr {
        None | Some(Expr::Missing) => Value::Blank,
        Some(e) => ev.value(e),
    };
    match v {
        Value::Array(a) => Ok(Operand::Value(Value::from(a.map(|x| f(x).unwrap_or_else(Value::Error))))),
        v => f(&v).map(Operand::Value),
    }
}

// ── Averages, counts, extremes ───────────────────────────────────────────────────────────

fn average_of(ev: &mut Evaluator<'_>, a: &[Expr], rule: Numbers) -> Special {
    let xs = args::numbers(ev, a, rule)?;
    if xs.is_empty() { Err(ErrorKind::Div0) } else { num(mean(&xs)) }
}

/// `AVERAGE(number1, …)`
pub(super) fn average(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    average_of(ev, a, Numbers::Standard)
}

/// `AVERAGEA(value1, …)`
pub(super) fn averagea(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    average_of(ev, a, Numbers::All)
}

/// `COUNT(value1, …)`: numbers, and numeric text or booleans typed directly.
pub(super) fn count(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let mut n = 0u64;
    ev.visit_values(a, &mut |src, v| {
        let counts = match (src, &v) {
            (_, Value::Number(_)) => true,
            (Source::Direct, Value::Bool(_) | Value::Blank) => true,
            (Source::Direct, Value::Text(t)) => crate::value::parse_number(t).is_some(),
            _ => false,
        };
        n += u64::from(counts);
        Ok(())
    })?;
    num(n as f64)
}

/// `COUNTA(value1, …)`: values that are not empty (a formula returning "" counts).
pub(super) fn counta(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let mut n = 0u64;
    ev.visit_values(a, &mut |src, v| {
        n += u64::from(src == Source::Direct || !matches!(v, Value::Blank));
        Ok(())
    })?;
    num(n as f64)
}

/// `COUNTBLANK(range)`: empty cells and cells holding "" (counted as the size of the range
/// less its non-empty cells, so that whole columns are cheap).
pub(super) fn countblank(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    match ev.eval(&a[0]) {
        Operand::Ref(area) => {
            let mut filled = 0u64;
            ev.visit_area(&area, &mut |_, v| {
                filled += u64::from(!matches!(&v, Value::Blank) && !matches!(&v, Value::Text(t) if t.is_empty()));
                Ok(())
            })?;
            num(area.len().saturating_sub(filled) as f64)
        }
        Operand::Value(Value::Error(e)) => Err(e),
        Operand::Value(Value::Array(arr)) => {
            let n = arr
                .values()
                .iter()
                .filter(|v| matches!(v, Value::Blank) || matches!(v, Value::Text(t) if t.is_empty()));
            num(n.count() as f64)
        }
        Operand::Value(Value::Blank) => num(1.0),
        Operand::Value(Value::Text(t)) if t.is_empty() => num(1.0),
        _ => Err(ErrorKind::Value),
    }
}

fn extreme(ev: &mut Evaluator<'_>, a: &[Expr], rule: Numbers, max: bool) -> Special {
    let xs = args::numbers(ev, a, rule)?;
    let pick = if max { f64::max } else { f64::min };
    num(xs.iter().copied().reduce(pick).unwrap_or(0.0))
}

/// `MAX(number1, …)`
pub(super) fn max(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    extreme(ev, a, Numbers::Standard, true)
}

/// `MAXA(value1, …)`
pub(super) fn maxa(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    extreme(ev, a, Numbers::All, true)
}

/// `MIN(number1, …)`
pub(super) fn min(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    extreme(ev, a, Numbers::Standard, false)
}

/// `MINA(value1, …)`
pub(super) fn mina(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    extreme(ev, a, Numbers::All, false)
}

/// The median of numbers (`#NUM!` when there are none).
fn median_of(xs: Vec<f64>) -> Result<f64, ErrorKind> {
    let xs = sorted(xs);
    let n = xs.len();
    if n == 0 {
        return Err(ErrorKind::Num);
    }
    Ok(if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 })
}

/// `MEDIAN(number1, …)`
pub(super) fn median(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(median_of(args::numbers(ev, a, Numbers::Standard)?)?)
}

/// The most frequent values, in the order of their first occurrence (`#N/A` if none repeats).
fn modes(xs: &[f64]) -> Result<Vec<f64>, ErrorKind> {
    let mut counts: Vec<(f64, usize)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for &x in xs {
        let key = if x == 0.0 { 0u64 } else { x.to_bits() };
        match index.get(&key) {
            Some(&i) => {
                let entry: &mut (f64, usize) = &mut counts[i];
                entry.1 += 1;
            }
            None => {
                index.insert(key, counts.len());
                counts.push((x, 1));
            }
        }
    }
    let best = counts.iter().map(|c| c.1).max().unwrap_or(0);
    if best < 2 {
        return Err(ErrorKind::NA);
    }
    Ok(counts.iter().filter(|c| c.1 == best).map(|c| c.0).collect())
}

/// `MODE.SNGL(number1, …)` (and `MODE`)
pub(super) fn mode_sngl(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    num(modes(&xs)?[0])
}

/// `MODE.MULT(number1, …)`: a vertical array of every mode.
pub(super) fn mode_mult(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    let m = modes(&xs)?;
    let col = Array::column(m.into_iter().map(Value::Number).collect()).ok_or(ErrorKind::NA)?;
    Ok(Operand::Value(Value::from(col)))
}

// ── Order statistics ─────────────────────────────────────────────────────────────────────

fn nth(ev: &mut Evaluator<'_>, a: &[Expr], largest: bool) -> Special {
    let xs = sorted(args::array_numbers(ev, &a[0])?);
    map_value(ev, a.get(1), &|k| {
        let k = k.to_number()?.ceil();
        if k < 1.0 || k > xs.len() as f64 {
            return Err(ErrorKind::Num);
        }
        let k = k as usize;
        Ok(Value::Number(if largest { xs[xs.len() - k] } else { xs[k - 1] }))
    })
}

/// `LARGE(array, k)`
pub(super) fn large(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    nth(ev, a, true)
}

/// `SMALL(array, k)`
pub(super) fn small(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    nth(ev, a, false)
}

fn rank_of(ev: &mut Evaluator<'_>, a: &[Expr], average: bool) -> Special {
    let xs = args::array_numbers(ev, &a[1])?;
    let ascending = match a.get(2) {
        None | Some(Expr::Missing) => false,
        Some(_) => args::scalar_num(ev, a, 2)? != 0.0,
    };
    map_value(ev, a.first(), &|v| {
        let x = v.to_number()?;
        let (mut before, mut ties) = (0usize, 0usize);
        for &y in &xs {
            if y == x {
                ties += 1;
            } else if (y < x) == ascending {
                before += 1;
            }
        }
        if ties == 0 {
            return Err(ErrorKind::NA);
        }
        let r = before as f64 + if average { (ties as f64 + 1.0) / 2.0 } else { 1.0 };
        Ok(Value::Number(r))
    })
}

/// `RANK.EQ(number, ref, [order])` (and `RANK`)
pub(super) fn rank_eq(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    rank_of(ev, a, false)
}

/// `RANK.AVG(number, ref, [order])`
pub(super) fn rank_avg(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    rank_of(ev, a, true)
}

/// Linear interpolation in sorted data at zero-based position `h` (`0 ≤ h ≤ n-1`).
fn interpolate(xs: &[f64], h: f64) -> f64 {
    let lo = h.floor() as usize;
    let frac = h - h.floor();
    match xs.get(lo + 1) {
        Some(hi) if frac > 0.0 => xs[lo] + frac * (hi - xs[lo]),
        _ => xs[lo],
    }
}

/// `PERCENTILE.INC` on sorted data.
fn percentile_inc(xs: &[f64], k: f64) -> Result<f64, ErrorKind> {
    if xs.is_empty() || !(0.0..=1.0).contains(&k) {
        return Err(ErrorKind::Num);
    }
    Ok(interpolate(xs, k * (xs.len() - 1) as f64))
}

/// `PERCENTILE.EXC` on sorted data.
fn percentile_exc(xs: &[f64], k: f64) -> Result<f64, ErrorKind> {
    let n = xs.len() as f64;
    let h = k * (n + 1.0);
    if xs.is_empty() || k <= 0.0 || k >= 1.0 || h < 1.0 || h > n {
        return Err(ErrorKind::Num);
    }
    Ok(interpolate(xs, h - 1.0))
}

fn percentile_with(ev: &mut Evaluator<'_>, a: &[Expr], f: fn(&[f64], f64) -> Result<f64, ErrorKind>) -> Special {
    let xs = sorted(args::array_numbers(ev, &a[0])?);
    map_value(ev, a.get(1), &|k| f(&xs, k.to_number()?).map(Value::number))
}

/// `PERCENTILE.INC(array, k)` (and `PERCENTILE`)
pub(super) fn percentile_inc_fn(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    percentile_with(ev, a, percentile_inc)
}

/// `PERCENTILE.EXC(array, k)`
pub(super) fn percentile_exc_fn(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    percentile_with(ev, a, percentile_exc)
}

/// `QUARTILE.INC(array, quart)` (and `QUARTILE`)
pub(super) fn quartile_inc(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    percentile_with(ev, a, |xs, q| {
        let q = q.trunc();
        if !(0.0..=4.0).contains(&q) {
            return Err(ErrorKind::Num);
        }
        percentile_inc(xs, q / 4.0)
    })
}

/// `QUARTILE.EXC(array, quart)`
pub(super) fn quartile_exc(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    percentile_with(ev, a, |xs, q| {
        let q = q.trunc();
        if !(1.0..=3.0).contains(&q) {
            return Err(ErrorKind::Num);
        }
        percentile_exc(xs, q / 4.0)
    })
}

/// Truncates `r` to `digits` decimals, ignoring representation noise below 1e-9.
fn truncate_digits(r: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    let t = r * p;
    let t = if (t - t.round()).abs() < 1e-9 { t.round() } else { t.floor() };
    t / p
}

/// The rank of `x` in sorted data, interpolated between neighbours; `rank(i)` maps the
/// count of values below a data value to its rank.
fn percent_rank(xs: &[f64], x: f64, rank: &dyn Fn(usize) -> f64) -> Result<f64, ErrorKind> {
    let (Some(&first), Some(&last)) = (xs.first(), xs.last()) else { return Err(ErrorKind::Num) };
    if x < first || x > last {
        return Err(ErrorKind::NA);
    }
    let below = xs.partition_point(|&v| v < x);
    if xs.get(below) == Some(&x) {
        return Ok(rank(below));
    }
    // x lies strictly between xs[below-1] (the last occurrence of the value below it, as
    // Excel interpolates from) and xs[below].
    let lo = xs[below - 1];
    let hi = xs[below];
    let lo_rank = rank(below - 1);
    let hi_rank = rank(below);
    Ok(lo_rank + (x - lo) / (hi - lo) * (hi_rank - lo_rank))
}

fn percentrank_with(ev: &mut Evaluator<'_>, a: &[Expr], exclusive: bool) -> Special {
    let xs = sorted(args::array_numbers(ev, &a[0])?);
    let digits = match a.get(2) {
        None | Some(Expr::Missing) => 3.0,
        Some(_) => args::scalar_num(ev, a, 2)?.trunc(),
    };
    if digits < 1.0 {
        return Err(ErrorKind::Num);
    }
    let n = xs.len();
    map_value(ev, a.get(1), &|v| {
        let x = v.to_number()?;
        let r = if exclusive {
            percent_rank(&xs, x, &|below| (below + 1) as f64 / (n + 1) as f64)?
        } else if n == 1 {
            percent_rank(&xs, x, &|_| 1.0)?
        } else {
            percent_rank(&xs, x, &|below| below as f64 / (n - 1) as f64)?
        };
        Ok(Value::number(truncate_digits(r, digits.min(15.0) as i32)))
    })
}

/// `PERCENTRANK.INC(array, x, [significance])` (and `PERCENTRANK`)
pub(super) fn percentrank_inc(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    percentrank_with(ev, a, false)
}

/// `PERCENTRANK.EXC(array, x, [significance])`
pub(super) fn percentrank_exc(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    percentrank_with(ev, a, true)
}

// ── Dispersion and shape ─────────────────────────────────────────────────────────────────

fn variance(xs: &[f64], sample: bool) -> Result<f64, ErrorKind> {
    let n = xs.len();
    let d = if sample { n.saturating_sub(1) } else { n };
    if d == 0 {
        return Err(ErrorKind::Div0);
    }
    Ok(sum_sq_dev(xs) / d as f64)
}

fn dispersion(ev: &mut Evaluator<'_>, a: &[Expr], rule: Numbers, sample: bool, root: bool) -> Special {
    let xs = args::numbers(ev, a, rule)?;
    let v = variance(&xs, sample)?;
    num(if root { v.sqrt() } else { v })
}

/// `STDEV.S(number1, …)` (and `STDEV`)
pub(super) fn stdev_s(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    dispersion(ev, a, Numbers::Standard, true, true)
}

/// `STDEV.P(number1, …)` (and `STDEVP`)
pub(super) fn stdev_p(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    dispersion(ev, a, Numbers::Standard, false, true)
}

/// `STDEVA(value1, …)`
pub(super) fn stdeva(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    dispersion(ev, a, Numbers::All, true, true)
}

/// `STDEVPA(value1, …)`
pub(super) fn stdevpa(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    dispersion(ev, a, Numbers::All, false, true)
}

/// `VAR.S(number1, …)` (and `VAR`)
pub(super) fn var_s(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    dispersion(ev, a, Numbers::Standard, true, false)
}

/// `VAR.P(number1, …)` (and `VARP`)
pub(super) fn var_p(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    dispersion(ev, a, Numbers::Standard, false, false)
}

/// `VARA(value1, …)`
pub(super) fn vara(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    dispersion(ev, a, Numbers::All, true, false)
}

/// `VARPA(value1, …)`
pub(super) fn varpa(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    dispersion(ev, a, Numbers::All, false, false)
}

/// `DEVSQ(number1, …)`
pub(super) fn devsq(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    if xs.is_empty() {
        return Err(ErrorKind::Num);
    }
    num(sum_sq_dev(&xs))
}

/// `AVEDEV(number1, …)`
pub(super) fn avedev(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    if xs.is_empty() {
        return Err(ErrorKind::Num);
    }
    let m = mean(&xs);
    num(xs.iter().map(|x| (x - m).abs()).sum::<f64>() / xs.len() as f64)
}

/// `GEOMEAN(number1, …)`
pub(super) fn geomean(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    if xs.is_empty() || xs.iter().any(|&x| x <= 0.0) {
        return Err(ErrorKind::Num);
    }
    num((xs.iter().map(|x| x.ln()).sum::<f64>() / xs.len() as f64).exp())
}

/// `HARMEAN(number1, …)`
pub(super) fn harmean(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    if xs.is_empty() || xs.iter().any(|&x| x <= 0.0) {
        return Err(ErrorKind::Num);
    }
    num(xs.len() as f64 / xs.iter().map(|x| 1.0 / x).sum::<f64>())
}

/// Sum of the `p`-th powers of the standardised values, with the standard deviation `s`.
fn standardised_power_sum(xs: &[f64], s: f64, p: i32) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| ((x - m) / s).powi(p)).sum()
}

/// `KURT(number1, …)`
pub(super) fn kurt(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    let n = xs.len() as f64;
    if xs.len() < 4 {
        return Err(ErrorKind::Div0);
    }
    let s = variance(&xs, true)?.sqrt();
    if s == 0.0 {
        return Err(ErrorKind::Div0);
    }
    let sum4 = standardised_power_sum(&xs, s, 4);
    let k = n * (n + 1.0) / ((n - 1.0) * (n - 2.0) * (n - 3.0)) * sum4
        - 3.0 * (n - 1.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0));
    num(k)
}

/// `SKEW(number1, …)`
pub(super) fn skew(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    let n = xs.len() as f64;
    if xs.len() < 3 {
        return Err(ErrorKind::Div0);
    }
    let s = variance(&xs, true)?.sqrt();
    if s == 0.0 {
        return Err(ErrorKind::Div0);
    }
    num(n / ((n - 1.0) * (n - 2.0)) * standardised_power_sum(&xs, s, 3))
}

/// `SKEW.P(number1, …)`
pub(super) fn skew_p(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    if xs.is_empty() {
        return Err(ErrorKind::Div0);
    }
    let s = variance(&xs, false)?.sqrt();
    if s == 0.0 {
        return Err(ErrorKind::Div0);
    }
    num(standardised_power_sum(&xs, s, 3) / xs.len() as f64)
}

/// `TRIMMEAN(array, percent)`
pub(super) fn trimmean(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = sorted(args::array_numbers(ev, &a[0])?);
    let p = args::scalar_num(ev, a, 1)?;
    if !(0.0..1.0).contains(&p) || xs.is_empty() {
        return Err(ErrorKind::Num);
    }
    let cut = ((xs.len() as f64 * p / 2.0) + 1e-12).floor() as usize;
    let kept = &xs[cut..xs.len() - cut];
    if kept.is_empty() {
        return Err(ErrorKind::Num);
    }
    num(mean(kept))
}

/// `STANDARDIZE(x, mean, standard_dev)`
pub(super) fn standardize(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let m = args::num(a, 1)?;
    let s = args::num(a, 2)?;
    if s <= 0.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number((x - m) / s))
}

/// `FISHER(x)`
pub(super) fn fisher(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if x <= -1.0 || x >= 1.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(0.5 * ((1.0 + x) / (1.0 - x)).ln()))
}

/// `FISHERINV(y)`
pub(super) fn fisherinv(a: &[Value]) -> FnResult {
    let y = args::num(a, 0)?;
    if y.abs() > 350.0 {
        return Ok(Value::Number(y.signum()));
    }
    let e = (2.0 * y).exp();
    Ok(Value::number((e - 1.0) / (e + 1.0)))
}

/// `PERMUT(number, number_chosen)`
pub(super) fn permut(a: &[Value]) -> FnResult {
    let n = args::int(a, 0)?;
    let k = args::int(a, 1)?;
    if n < 0.0 || k < 0.0 || n < k {
        return Err(ErrorKind::Num);
    }
    // The product overflows (and stops) long before it could loop for long.
    let mut p = 1.0f64;
    let mut f = n - k + 1.0;
    while f <= n && p.is_finite() {
        p *= f;
        f += 1.0;
    }
    Ok(Value::number(p))
}

/// `PERMUTATIONA(number, number_chosen)`
pub(super) fn permutationa(a: &[Value]) -> FnResult {
    let n = args::int(a, 0)?;
    let k = args::int(a, 1)?;
    if n < 0.0 || k < 0.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(n.powf(k)))
}

// ── Pairs: correlation, covariance, regression on one variable ───────────────────────────

/// The pairs of two equally sized arrays where both values are numbers (`#N/A` when the
/// sizes differ; the first error met propagates).
fn pairs(ev: &mut Evaluator<'_>, first: &Expr, second: &Expr) -> Result<(Vec<f64>, Vec<f64>), ErrorKind> {
    let a = ev.array(first)?;
    let b = ev.array(second)?;
    if a.values().len() != b.values().len() {
        return Err(ErrorKind::NA);
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (x, y) in a.values().iter().zip(b.values()) {
        match (x, y) {
            (Value::Error(e), _) | (_, Value::Error(e)) => return Err(*e),
            (Value::Number(x), Value::Number(y)) => {
                xs.push(*x);
                ys.push(*y);
            }
            _ => {}
        }
    }
    Ok((xs, ys))
}

/// Sums of squares and products about the means: (Sxx, Syy, Sxy).
fn moments(xs: &[f64], ys: &[f64]) -> (f64, f64, f64) {
    let (mx, my) = (mean(xs), mean(ys));
    let mut s = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let (dx, dy) = (x - mx, y - my);
        s.0 += dx * dx;
        s.1 += dy * dy;
        s.2 += dx * dy;
    }
    s
}

fn correl_of(ev: &mut Evaluator<'_>, a: &[Expr]) -> Result<f64, ErrorKind> {
    let (xs, ys) = pairs(ev, &a[0], &a[1])?;
    if xs.is_empty() {
        return Err(ErrorKind::Div0);
    }
    let (sxx, syy, sxy) = moments(&xs, &ys);
    if sxx == 0.0 || syy == 0.0 {
        return Err(ErrorKind::Div0);
    }
    Ok(sxy / (sxx * syy).sqrt())
}

/// `CORREL(array1, array2)` (and `PEARSON`)
pub(super) fn correl(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(correl_of(ev, a)?)
}

/// `RSQ(known_y's, known_x's)`
pub(super) fn rsq(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let r = correl_of(ev, a)?;
    num(r * r)
}

fn covariance(ev: &mut Evaluator<'_>, a: &[Expr], sample: bool) -> Special {
    let (xs, ys) = pairs(ev, &a[0], &a[1])?;
    let n = xs.len();
    let d = if sample { n.saturating_sub(1) } else { n };
    if d == 0 {
        return Err(ErrorKind::Div0);
    }
    num(moments(&xs, &ys).2 / d as f64)
}

/// `COVARIANCE.P(array1, array2)` (and `COVAR`)
pub(super) fn covariance_p(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    covariance(ev, a, false)
}

/// `COVARIANCE.S(array1, array2)`
pub(super) fn covariance_s(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    covariance(ev, a, true)
}

/// Slope and intercept of the least-squares line through (x, y).
fn line(ev: &mut Evaluator<'_>, known_y: &Expr, known_x: &Expr) -> Result<(f64, f64), ErrorKind> {
    let (ys, xs) = pairs(ev, known_y, known_x)?;
    if xs.is_empty() {
        return Err(ErrorKind::Div0);
    }
    let (sxx, _, sxy) = moments(&xs, &ys);
    if sxx == 0.0 {
        return Err(ErrorKind::Div0);
    }
    let slope = sxy / sxx;
    Ok((slope, mean(&ys) - slope * mean(&xs)))
}

/// `SLOPE(known_y's, known_x's)`
pub(super) fn slope(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(line(ev, &a[0], &a[1])?.0)
}

/// `INTERCEPT(known_y's, known_x's)`
pub(super) fn intercept(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    num(line(ev, &a[0], &a[1])?.1)
}

/// `STEYX(known_y's, known_x's)`
pub(super) fn steyx(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let (ys, xs) = pairs(ev, &a[0], &a[1])?;
    if xs.len() < 3 {
        return Err(ErrorKind::Div0);
    }
    let (sxx, syy, sxy) = moments(&xs, &ys);
    if sxx == 0.0 {
        return Err(ErrorKind::Div0);
    }
    num(((syy - sxy * sxy / sxx) / (xs.len() - 2) as f64).max(0.0).sqrt())
}

/// `FORECAST.LINEAR(x, known_y's, known_x's)` (and `FORECAST`)
pub(super) fn forecast(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let x = ev.value(&a[0]);
    let (m, b) = line(ev, &a[1], &a[2])?;
    let f = |v: &Value| v.to_number().map(|x| Value::number(b + m * x));
    match x {
        Value::Array(arr) => Ok(Operand::Value(Value::from(arr.map(|v| f(v).unwrap_or_else(Value::Error))))),
        v => f(&v).map(Operand::Value),
    }
}

// ── Distributions of data ────────────────────────────────────────────────────────────────

/// `FREQUENCY(data_array, bins_array)`: a vertical array with one count per bin and one
/// for the values above the largest bin.
pub(super) fn frequency(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let data = args::array_numbers(ev, &a[0])?;
    let bins = args::array_numbers(ev, &a[1])?;
    let mut order: Vec<usize> = (0..bins.len()).collect();
    order.sort_by(|&i, &j| bins[i].total_cmp(&bins[j]));
    let sorted_bins: Vec<f64> = order.iter().map(|&i| bins[i]).collect();
    let mut counts = vec![0u64; bins.len() + 1];
    for x in data {
        let pos = sorted_bins.partition_point(|&b| b < x);
        let slot = order.get(pos).copied().unwrap_or(bins.len());
        counts[slot] += 1;
    }
    let col = Array::column(counts.into_iter().map(|c| Value::Number(c as f64)).collect()).ok_or(ErrorKind::NA)?;
    Ok(Operand::Value(Value::from(col)))
}

/// `PROB(x_range, prob_range, lower_limit, [upper_limit])`
pub(super) fn prob(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let (xs, ps) = pairs(ev, &a[0], &a[1])?;
    if xs.is_empty() {
        return Err(ErrorKind::Div0);
    }
    let lower = args::scalar_num(ev, a, 2)?;
    let upper = match a.get(3) {
        None | Some(Expr::Missing) => lower,
        Some(_) => args::scalar_num(ev, a, 3)?,
    };
    if ps.iter().any(|&p| !(0.0..=1.0).contains(&p)) {
        return Err(ErrorKind::Num);
    }
    let total: f64 = ps.iter().sum();
    if (total - 1.0).abs() > 1e-7 {
        return Err(ErrorKind::Num);
    }
    num(xs.iter().zip(&ps).filter(|(x, _)| (lower..=upper).contains(*x)).map(|(_, p)| p).sum())
}

// ── Regression: LINEST, LOGEST, TREND, GROWTH ────────────────────────────────────────────

/// How the variables of `known_x's` are laid out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One variable with the same shape as `known_y's`.
    Single,
    /// `known_y's` is a column; each column of `known_x's` is a variable.
    Columns,
    /// `known_y's` is a row; each row of `known_x's` is a variable.
    Rows,
}

/// The data of a regression: observations of y and of each variable.
struct Regression {
    y: Vec<f64>,
    xs: Vec<Vec<f64>>,
    layout: Layout,
    /// Shape of `known_y's` (for the default `new_x's` of TREND).
    y_shape: (usize, usize),
}

/// The numbers of an array; any other value is `#VALUE!` (errors propagate).
fn all_numbers(a: &Array) -> Result<Vec<f64>, ErrorKind> {
    a.values()
        .iter()
        .map(|v| match v {
            Value::Number(n) => Ok(*n),
            Value::Error(e) => Err(*e),
            _ => Err(ErrorKind::Value),
        })
        .collect()
}

fn present(a: &[Expr], i: usize) -> Option<&Expr> {
    a.get(i).filter(|e| !matches!(e, Expr::Missing))
}

fn regression_data(ev: &mut Evaluator<'_>, a: &[Expr], log: bool) -> Result<Regression, ErrorKind> {
    let ya = ev.array(&a[0])?;
    let mut y = all_numbers(&ya)?;
    if log {
        if y.iter().any(|&v| v <= 0.0) {
            return Err(ErrorKind::Num);
        }
        y = y.iter().map(|v| v.ln()).collect();
    }
    let n = y.len();
    let y_shape = (ya.rows(), ya.cols());
    let default_layout = if ya.cols() == 1 {
        Layout::Columns
    } else if ya.rows() == 1 {
        Layout::Rows
    } else {
        Layout::Single
    };
    let Some(xe) = present(a, 1) else {
        let xs = vec![(1..=n).map(|i| i as f64).collect()];
        return Ok(Regression { y, xs, layout: default_layout, y_shape });
    };
    let xa = ev.array(xe)?;
    let xv = all_numbers(&xa)?;
    let (xr, xc) = (xa.rows(), xa.cols());
    let (xs, layout) = if (xr, xc) == y_shape {
        (vec![xv], default_layout)
    } else if ya.cols() == 1 && xr == ya.rows() {
        ((0..xc).map(|j| (0..xr).map(|i| xv[i * xc + j]).collect()).collect(), Layout::Columns)
    } else if ya.rows() == 1 && xc == ya.cols() {
        (xv.chunks(xc).map(<[f64]>::to_vec).collect(), Layout::Rows)
    } else {
        return Err(ErrorKind::Ref);
    };
    Ok(Regression { y, xs, layout, y_shape })
}

/// A least-squares fit `y = b + Σ m_j x_j`.
struct Fit {
    /// Coefficients per variable (0 for a variable dropped as collinear).
    m: Vec<f64>,
    b: f64,
    /// Standard errors per variable.
    se: Vec<f64>,
    /// Standard error of `b` (`None` without a constant).
    se_b: Option<f64>,
    r2: f64,
    sey: f64,
    f: f64,
    df: f64,
    ssreg: f64,
    ssresid: f64,
}

/// Least squares by modified Gram–Schmidt on the centred data, dropping collinear columns.
fn least_squares(y: &[f64], xs: &[Vec<f64>], constant: bool) -> Result<Fit, ErrorKind> {
    let n = y.len();
    let k = xs.len();
    if n == 0 {
        return Err(ErrorKind::Value);
    }
    let (ym, xm): (f64, Vec<f64>) =
        if constant { (mean(y), xs.iter().map(|x| mean(x)).collect()) } else { (0.0, vec![0.0; k]) };
    let yc: Vec<f64> = y.iter().map(|v| v - ym).collect();
    let xc: Vec<Vec<f64>> = xs.iter().zip(&xm).map(|(x, m)| x.iter().map(|v| v - m).collect()).collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    // Q columns, R (upper triangular over the kept columns), kept variable indices.
    let mut q: Vec<Vec<f64>> = Vec::new();
    let mut r: Vec<Vec<f64>> = Vec::new();
    let mut kept: Vec<usize> = Vec::new();
    for (j, col) in xc.iter().enumerate() {
        let norm0 = dot(col, col).sqrt();
        let mut v = col.clone();
        let mut rcol = vec![0.0; q.len()];
        for _ in 0..2 {
            for (i, qi) in q.iter().enumerate() {
                let c = dot(qi, &v);
                rcol[i] += c;
                for (vv, qq) in v.iter_mut().zip(qi) {
                    *vv -= c * qq;
                }
            }
        }
        let nv = dot(&v, &v).sqrt();
        if norm0 == 0.0 || nv <= 1e-10 * norm0 {
            continue;
        }
        for row in r.iter_mut() {
            row.push(0.0);
        }
        for (i, c) in rcol.iter().enumerate() {
            if let Some(last) = r[i].last_mut() {
                *last = *c;
            }
        }
        let mut new_row = vec![0.0; q.len() + 1];
        if let Some(last) = new_row.last_mut() {
            *last = nv;
        }
        r.push(new_row);
        q.push(v.iter().map(|x| x / nv).collect());
        kept.push(j);
    }
    let p = kept.len();
    // r[i][c] holds R(i, c) for c ≥ i (row i has p entries after the loop).
    let qty: Vec<f64> = q.iter().map(|qi| dot(qi, &yc)).collect();
    let mut beta = vec![0.0; p];
    for i in (0..p).rev() {
        let mut s = qty[i];
        for c in i + 1..p {
            s -= r[i][c] * beta[c];
        }
        beta[i] = s / r[i][i];
    }
    let mut m = vec![0.0; k];
    for (i, &j) in kept.iter().enumerate() {
        m[j] = beta[i];
    }
    let b = if constant { ym - m.iter().zip(&xm).map(|(a, c)| a * c).sum::<f64>() } else { 0.0 };
    let ssresid: f64 = (0..n)
        .map(|i| {
            let fit: f64 = kept.iter().enumerate().map(|(c, &j)| beta[c] * xc[j][i]).sum();
            (yc[i] - fit).powi(2)
        })
        .sum();
    let sstotal = dot(&yc, &yc);
    let ssreg = sstotal - ssresid;
    let df = n as f64 - p as f64 - f64::from(u8::from(constant));
    let sigma2 = ssresid / df;
    // R⁻¹ (upper triangular).
    let mut rinv = vec![vec![0.0; p]; p];
    for c in 0..p {
        rinv[c][c] = 1.0 / r[c][c];
        for i in (0..c).rev() {
            let s: f64 = (i + 1..=c).map(|l| r[i][l] * rinv[l][c]).sum();
            rinv[i][c] = -s / r[i][i];
        }
    }
    let mut se = vec![0.0; k];
    for (i, &j) in kept.iter().enumerate() {
        se[j] = (sigma2 * rinv[i].iter().map(|v| v * v).sum::<f64>()).sqrt();
    }
    let se_b = constant.then(|| {
        let w: f64 = (0..p)
            .map(|c| {
                let t: f64 = (0..p).map(|i| rinv[i][c] * xm[kept[i]]).sum();
                t * t
            })
            .sum();
        (sigma2 * (1.0 / n as f64 + w)).sqrt()
    });
    Ok(Fit {
        m,
        b,
        se,
        se_b,
        r2: if sstotal == 0.0 { 1.0 } else { ssreg / sstotal },
        sey: sigma2.sqrt(),
        f: (ssreg / p as f64) / sigma2,
        df,
        ssreg,
        ssresid,
    })
}

fn constant_arg(ev: &mut Evaluator<'_>, a: &[Expr], i: usize) -> Result<bool, ErrorKind> {
    match present(a, i) {
        None => Ok(true),
        Some(_) => args::scalar(ev, a, i).to_bool(),
    }
}

fn linest_of(ev: &mut Evaluator<'_>, a: &[Expr], log: bool) -> Special {
    let data = regression_data(ev, a, log)?;
    let constant = constant_arg(ev, a, 2)?;
    let stats = match present(a, 3) {
        None => false,
        Some(_) => args::scalar(ev, a, 3).to_bool()?,
    };
    let fit = least_squares(&data.y, &data.xs, constant)?;
    let k = data.xs.len();
    let cols = k + 1;
    let tr = |x: f64| if log { x.exp() } else { x };
    let mut out: Vec<Value> = fit.m.iter().rev().map(|&m| Value::number(tr(m))).collect();
    out.push(Value::number(tr(fit.b)));
    if stats {
        let na = Value::Error(ErrorKind::NA);
        out.extend(fit.se.iter().rev().map(|&s| Value::number(s)));
        out.push(fit.se_b.map_or(na.clone(), Value::number));
        let mut row = |a: f64, b: f64| {
            out.push(Value::number(a));
            out.push(Value::number(b));
            out.extend(std::iter::repeat_n(na.clone(), cols - 2));
        };
        row(fit.r2, fit.sey);
        row(fit.f, fit.df);
        row(fit.ssreg, fit.ssresid);
    }
    let rows = out.len() / cols;
    Ok(Operand::Value(Value::from(Array::new(rows, cols, out))))
}

/// `LINEST(known_y's, [known_x's], [const], [stats])`
pub(super) fn linest(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    linest_of(ev, a, false)
}

/// `LOGEST(known_y's, [known_x's], [const], [stats])`
pub(super) fn logest(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    linest_of(ev, a, true)
}

fn trend_of(ev: &mut Evaluator<'_>, a: &[Expr], log: bool) -> Special {
    let data = regression_data(ev, a, log)?;
    let constant = constant_arg(ev, a, 3)?;
    let fit = least_squares(&data.y, &data.xs, constant)?;
    let k = data.xs.len();
    let tr = |x: f64| Value::number(if log { x.exp() } else { x });
    let predict = |obs: &[f64]| fit.b + fit.m.iter().zip(obs).map(|(m, x)| m * x).sum::<f64>();
    let (new, rows, cols) = match present(a, 2) {
        Some(e) => {
            let na = ev.array(e)?;
            (all_numbers(&na)?, na.rows(), na.cols())
        }
        None => {
            // The known x's, laid out as given.
            let (yr, yc) = data.y_shape;
            match data.layout {
                Layout::Single => (data.xs[0].clone(), yr, yc),
                Layout::Columns => {
                    let v = (0..yr).flat_map(|i| data.xs.iter().map(move |x| x[i])).collect();
                    (v, yr, k)
                }
                Layout::Rows => (data.xs.concat(), k, yc),
            }
        }
    };
    let out = if k == 1 {
        Array::new(rows, cols, new.iter().map(|&x| tr(predict(&[x]))).collect())
    } else {
        match data.layout {
            Layout::Columns if cols == k => Array::new(rows, 1, new.chunks(k).map(|obs| tr(predict(obs))).collect()),
            Layout::Rows if rows == k => {
                let v = (0..cols).map(|j| {
                    let obs: Vec<f64> = (0..k).map(|i| new[i * cols + j]).collect();
                    tr(predict(&obs))
                });
                Array::new(1, cols, v.collect())
            }
            _ => return Err(ErrorKind::Ref),
        }
    };
    Ok(Operand::Value(Value::from(out)))
}

/// `TREND(known_y's, [known_x's], [new_x's], [const])`
pub(super) fn trend(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    trend_of(ev, a, false)
}

/// `GROWTH(known_y's, [known_x's], [new_x's], [const])`
pub(super) fn growth(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    trend_of(ev, a, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::eval_formula as eval;

    const DATA: &[(&str, &str)] =
        &[("B1", "1"), ("B2", "2"), ("B3", "TRUE"), ("B4", "x"), ("B5", "=\"\""), ("B6", "4"), ("C9", "5")];

    #[test]
    fn aggregates_treat_ranges_and_direct_values_differently() {
        assert_eq!(eval("=AVERAGE(B1:B10)", DATA), Value::Number(7.0 / 3.0));
        assert_eq!(eval("=AVERAGEA(B1:B10)", DATA), Value::Number(8.0 / 6.0));
        assert_eq!(eval("=AVERAGE(1,\"2\",TRUE)", DATA), Value::Number(4.0 / 3.0));
        assert_eq!(eval("=AVERAGE(1,\"x\")", DATA), Value::Error(ErrorKind::Value));
        assert_eq!(eval("=AVERAGE(B4)", DATA), Value::Error(ErrorKind::Div0));
        assert_eq!(eval("=COUNT(B1:B10,\"3\",TRUE,\"x\")", DATA), Value::Number(5.0));
        assert_eq!(eval("=COUNTA(B1:B10)", DATA), Value::Number(6.0));
        assert_eq!(eval("=COUNTBLANK(B1:B10)", DATA), Value::Number(5.0));
        assert_eq!(eval("=COUNTBLANK(C:C)", DATA), Value::Number(1_048_575.0));
        assert_eq!(eval("=MAX(B1:B10)", DATA), Value::Number(4.0));
        assert_eq!(eval("=MIN(B4:B5)", DATA), Value::Number(0.0));
        assert_eq!(eval("=MINA(B1:B10)", DATA), Value::Number(0.0));
        assert_eq!(eval("=MAX(B1:B2,1/0)", DATA), Value::Error(ErrorKind::Div0));
        assert_eq!(eval("=MEDIAN(B1:B10)", DATA), Value::Number(2.0));
        assert_eq!(eval("=MEDIAN(1,2,3,10)", DATA), Value::Number(2.5));
    }

    #[test]
    fn dispersion_and_pairs() {
        assert_eq!(eval("=VAR.S(2,4,4,4,5,5,7,9)", &[]), Value::Number(32.0 / 7.0));
        assert_eq!(eval("=STDEV.P(2,4,4,4,5,5,7,9)", &[]), Value::Number(2.0));
        assert_eq!(eval("=VAR.S(1)", &[]), Value::Error(ErrorKind::Div0));
        assert_eq!(eval("=SLOPE({1,2,3},{1,2,3})", &[]), Value::Number(1.0));
        assert_eq!(eval("=CORREL({1,2,3},{1,2})", &[]), Value::Error(ErrorKind::NA));
        assert_eq!(eval("=RANK.AVG(2,{1,2,2,3})", &[]), Value::Number(2.5));
        assert_eq!(eval("=RANK(5,{1,2,2,3})", &[]), Value::Error(ErrorKind::NA));
        assert_eq!(eval("=LARGE({3,1,2},1)", &[]), Value::Number(3.0));
        assert_eq!(eval("=SMALL({3,1,2},4)", &[]), Value::Error(ErrorKind::Num));
        assert_eq!(eval("=MODE(1,2,3)", &[]), Value::Error(ErrorKind::NA));
    }

    #[test]
    fn percentiles_follow_excel_definitions() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_inc(&xs, 0.5), Ok(2.5));
        assert_eq!(percentile_inc(&xs, 1.0), Ok(4.0));
        assert_eq!(percentile_inc(&xs, 1.5), Err(ErrorKind::Num));
        assert_eq!(percentile_exc(&xs, 0.2), Ok(1.0));
        assert_eq!(percentile_exc(&xs, 0.1), Err(ErrorKind::Num));
        assert_eq!(percentile_exc(&xs, 0.5), Ok(2.5));
        assert_eq!(median_of(vec![4.0, 1.0, 3.0, 2.0]), Ok(2.5));
        assert_eq!(median_of(vec![]), Err(ErrorKind::Num));
    }

    #[test]
    fn percent_rank_interpolates_and_truncates() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let inc = |below: usize| below as f64 / 4.0;
        assert_eq!(percent_rank(&xs, 2.0, &inc), Ok(0.25));
        assert_eq!(percent_rank(&xs, 2.5, &inc), Ok(0.375));
        assert_eq!(percent_rank(&xs, 6.0, &inc), Err(ErrorKind::NA));
        // Between duplicates: from the last occurrence of the lower value.
        let dup = [1.0, 2.0, 2.0, 4.0, 5.0];
        assert_eq!(percent_rank(&dup, 3.0, &inc), Ok(0.625));
        assert_eq!(percent_rank(&dup, 2.0, &inc), Ok(0.25));
        assert_eq!(truncate_digits(2.0 / 3.0, 3), 0.666);
        assert_eq!(truncate_digits(0.29, 2), 0.29);
    }

    #[test]
    fn modes_keep_first_occurrence_order() {
        assert_eq!(modes(&[1.0, 2.0, 3.0, 2.0, 3.0]), Ok(vec![2.0, 3.0]));
        assert_eq!(modes(&[1.0, 2.0]), Err(ErrorKind::NA));
    }

    #[test]
    fn least_squares_fits_a_plane_and_drops_collinear_columns() -> Result<(), ErrorKind> {
        let y = [3.0, 5.0, 7.0, 10.0];
        let x1 = vec![1.0, 2.0, 3.0, 4.0];
        let x2 = vec![0.0, 0.0, 0.0, 1.0];
        let fit = least_squares(&y, &[x1.clone(), x2], true)?;
        assert!((fit.m[0] - 2.0).abs() < 1e-12 && (fit.m[1] - 1.0).abs() < 1e-12 && (fit.b - 1.0).abs() < 1e-12);
        let doubled: Vec<f64> = x1.iter().map(|v| v * 2.0).collect();
        let fit = least_squares(&[2.0, 4.0, 6.0, 8.0], &[x1, doubled], true)?;
        assert!((fit.m[0] - 2.0).abs() < 1e-12 && fit.m[1] == 0.0);
        Ok(())
    }

    #[test]
    fn fisher_pair_inverts() -> Result<(), ErrorKind> {
        let f = fisher(&[Value::Number(0.75)])?.to_number()?;
        let back = fisherinv(&[Value::Number(f)])?.to_number()?;
        assert!((back - 0.75).abs() < 1e-15);
        assert_eq!(fisher(&[Value::Number(1.0)]), Err(ErrorKind::Num));
        assert_eq!(fisherinv(&[Value::Number(1000.0)]), Ok(Value::Number(1.0)));
        assert_eq!(permut(&[Value::Number(7.7), Value::Number(6.8)]), Ok(Value::Number(5040.0)));
        assert_eq!(permut(&[Value::Number(1.0), Value::Number(2.0)]), Err(ErrorKind::Num));
        assert_eq!(permutationa(&[Value::Number(0.0), Value::Number(2.0)]), Ok(Value::Number(0.0)));
        Ok(())
    }
}

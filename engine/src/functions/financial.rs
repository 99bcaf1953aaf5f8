//! Financial functions: time value of money (`PV`, `FV`, `PMT`, `NPER`, `RATE`, `IPMT`…),
//! cash flows (`NPV`, `IRR`, `XNPV`, `XIRR`, `MIRR`), depreciation (`SLN`, `SYD`, `DB`, `DDB`,
//! `VDB`), interest rates (`EFFECT`, `NOMINAL`, `RRI`, `PDURATION`) and securities (coupons,
//! bonds, discounted securities, treasury bills).
//!
//! Conventions shared by the Analysis ToolPak functions (`EFFECT`, `CUMIPMT`, `XNPV`, the
//! securities…): a boolean argument is `#VALUE!` (other functions read it as 0 or 1), and
//! dates are truncated to whole days.

use super::FnResult;
use super::args::{self, Numbers};
use crate::datetime::{self, Basis};
use crate::eval::{Evaluator, Operand};
use crate::parse::Expr;
use crate::value::{ErrorKind, Value};

type Special = Result<Operand, ErrorKind>;

// ── Argument helpers ───────────────────────────────────────────────────────────────────────

/// Argument `i` of an Analysis ToolPak function: booleans are `#VALUE!`, blanks are 0.
fn atp(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    match a.get(i) {
        Some(Value::Bool(_)) | None => Err(ErrorKind::Value),
        Some(v) => v.to_number(),
    }
}

/// Optional argument `i` of an Analysis ToolPak function (`default` when absent or blank).
fn atp_or(a: &[Value], i: usize, default: f64) -> Result<f64, ErrorKind> {
    match a.get(i) {
        None | Some(Value::Blank) => Ok(default),
        Some(_) => atp(a, i),
    }
}

/// A date argument of an Analysis ToolPak function: truncated, and `#NUM!` outside
/// 0..=9999-12-31.
fn atp_date(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    let d = atp(a, i)?.trunc();
    if (0.0..=datetime::MAX_SERIAL).contains(&d) { Ok(d) } else { Err(ErrorKind::Num) }
}

/// The `basis` argument of the securities functions (default 0; `#NUM!` outside 0–4).
fn basis_arg(a: &[Value], i: usize) -> Result<Basis, ErrorKind> {
    let b = atp_or(a, i, 0.0)?.trunc();
    Basis::from_number(b).ok_or(ErrorKind::Num)
}

/// The `frequency` argument of the coupon functions: 1, 2 or 4 (`#NUM!` otherwise).
fn frequency_arg(a: &[Value], i: usize) -> Result<u32, ErrorKind> {
    match atp(a, i)?.trunc() {
        1.0 => Ok(1),
        2.0 => Ok(2),
        4.0 => Ok(4),
        _ => Err(ErrorKind::Num),
    }
}

/// The payment-timing argument `type`: 0 at the end of each period, anything else at the
/// beginning.
fn pay_type(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    Ok(if args::num_or(a, i, 0.0)? != 0.0 { 1.0 } else { 0.0 })
}

fn ok(n: f64) -> FnResult {
    Ok(Value::number(n))
}

/// Excel's `^`: zero to a negative power is `#DIV/0!`, other non-finite results `#NUM!`.
fn pow(base: f64, exp: f64) -> Result<f64, ErrorKind> {
    if base == 0.0 && exp < 0.0 {
        return Err(ErrorKind::Div0);
    }
    let r = base.powf(exp);
    if r.is_finite() { Ok(r) } else { Err(ErrorKind::Num) }
}

fn finite(n: f64) -> Result<f64, ErrorKind> {
    if n.is_finite() { Ok(n) } else { Err(ErrorKind::Num) }
}

/// Functions that walk period by period (`CUMIPMT`, `DB`, `VDB`) give `#NUM!` beyond this
/// many periods rather than running for minutes (Excel has no such limit, but no real asset
/// or loan comes near it).
const MAX_PERIODS: f64 = 1e7;

// ── Time value of money ────────────────────────────────────────────────────────────────────
//
// Every function solves `pv·(1+r)^n + pmt·(1+r·type)·((1+r)^n − 1)/r + fv = 0`
// (with `pv + pmt·n + fv = 0` when r = 0).

/// Future value of a loan or investment.
fn fv_of(rate: f64, nper: f64, pmt: f64, pv: f64, t: f64) -> Result<f64, ErrorKind> {
    if rate == 0.0 {
        return finite(-(pv + pmt * nper));
    }
    let q = pow(1.0 + rate, nper)?;
    finite(-(pv * q + pmt * (1.0 + rate * t) * (q - 1.0) / rate))
}

/// Present value of a loan or investment.
fn pv_of(rate: f64, nper: f64, pmt: f64, fv: f64, t: f64) -> Result<f64, ErrorKind> {
    if rate == 0.0 {
        return finite(-(fv + pmt * nper));
    }
    let q = pow(1.0 + rate, nper)?;
    finite(-(fv + pmt * (1.0 + rate * t) * (q - 1.0) / rate) / q)
}

/// The periodic payment of a loan or investment.
fn pmt_of(rate: f64, nper: f64, pv: f64, fv: f64, t: f64) -> Result<f64, ErrorKind> {
    if nper == 0.0 || rate <= -1.0 {
        return Err(ErrorKind::Num);
    }
    if rate == 0.0 {
        return finite(-(pv + fv) / nper);
    }
    let q = pow(1.0 + rate, nper)?;
    finite(-(pv * q + fv) * rate / ((1.0 + rate * t) * (q - 1.0)))
}

/// The interest part of payment `per` (`IPMT`).
fn ipmt_of(rate: f64, per: f64, nper: f64, pv: f64, fv: f64, t: f64) -> Result<f64, ErrorKind> {
    if per < 1.0 || per >= nper + 1.0 {
        return Err(ErrorKind::Num);
    }
    let pmt = pmt_of(rate, nper, pv, fv, t)?;
    if t == 1.0 {
        if per == 1.0 {
            return Ok(0.0);
        }
        // Payments at the start: the interest paid with payment `per` accrued during the
        // previous period on the balance left after the previous payment.
        Ok((fv_of(rate, per - 2.0, pmt, pv, 1.0)? - pmt) * rate)
    } else {
        Ok(fv_of(rate, per - 1.0, pmt, pv, 0.0)? * rate)
    }
}

/// `PV(rate, nper, pmt, [fv], [type])`
pub(super) fn pv(a: &[Value]) -> FnResult {
    let (rate, nper, pmt) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    let (fv, t) = (args::num_or(a, 3, 0.0)?, pay_type(a, 4)?);
    ok(pv_of(rate, nper, pmt, fv, t)?)
}

/// `FV(rate, nper, pmt, [pv], [type])`
pub(super) fn fv(a: &[Value]) -> FnResult {
    let (rate, nper, pmt) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    let (pv, t) = (args::num_or(a, 3, 0.0)?, pay_type(a, 4)?);
    ok(fv_of(rate, nper, pmt, pv, t)?)
}

/// `PMT(rate, nper, pv, [fv], [type])`
pub(super) fn pmt(a: &[Value]) -> FnResult {
    let (rate, nper, pv) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    let (fv, t) = (args::num_or(a, 3, 0.0)?, pay_type(a, 4)?);
    ok(pmt_of(rate, nper, pv, fv, t)?)
}

/// `IPMT(rate, per, nper, pv, [fv], [type])`
pub(super) fn ipmt(a: &[Value]) -> FnResult {
    let (rate, per, nper, pv) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?, args::num(a, 3)?);
    let (fv, t) = (args::num_or(a, 4, 0.0)?, pay_type(a, 5)?);
    ok(ipmt_of(rate, per, nper, pv, fv, t)?)
}

/// `PPMT(rate, per, nper, pv, [fv], [type])`
pub(super) fn ppmt(a: &[Value]) -> FnResult {
    let (rate, per, nper, pv) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?, args::num(a, 3)?);
    let (fv, t) = (args::num_or(a, 4, 0.0)?, pay_type(a, 5)?);
    let interest = ipmt_of(rate, per, nper, pv, fv, t)?;
    ok(pmt_of(rate, nper, pv, fv, t)? - interest)
}

/// `NPER(rate, pmt, pv, [fv], [type])`
pub(super) fn nper(a: &[Value]) -> FnResult {
    let (rate, pmt, pv) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    let (fv, t) = (args::num_or(a, 3, 0.0)?, pay_type(a, 4)?);
    if rate == 0.0 {
        if pmt == 0.0 {
            return Err(ErrorKind::Num);
        }
        return ok(-(pv + fv) / pmt);
    }
    let k = pmt * (1.0 + rate * t);
    let ratio = (k - fv * rate) / (k + pv * rate);
    if ratio <= 0.0 || rate <= -1.0 {
        return Err(ErrorKind::Num);
    }
    ok(ratio.ln() / (1.0 + rate).ln())
}

/// Largest number of Newton steps `RATE` takes before giving up with `#NUM!`. Excel's
/// documentation says 20, but Excel solves cases that need 26 steps (`RATE(300,-200,8000,0,1)`)
/// and fails ones that need 61 (`RATE(44,0,-1650,15000000)`).
const RATE_MAX_ITERATIONS: usize = 50;
/// `RATE` stops when a Newton step moves the rate by less than this.
const RATE_EPSILON: f64 = 1e-7;

/// The annuity equation and its derivative with respect to the rate.
fn annuity_residual(r: f64, n: f64, pmt: f64, pv: f64, fv: f64, t: f64) -> (f64, f64) {
    if r.abs() < 1e-12 {
        let f = pv + pmt * n + fv;
        let d = n * pv + pmt * (n * t + n * (n - 1.0) / 2.0);
        return (f, d);
    }
    let q = (1.0 + r).powf(n);
    let dq = n * (1.0 + r).powf(n - 1.0);
    let f = pv * q + pmt * (1.0 + r * t) * (q - 1.0) / r + fv;
    let d = pv * dq + pmt * (t * (q - 1.0) / r + (1.0 + r * t) * (dq * r - (q - 1.0)) / (r * r));
    (f, d)
}

/// `RATE(nper, pmt, pv, [fv], [type], [guess])`: Newton's method from `guess` (0.1), as
/// Excel does: `#NUM!` when it does not converge or converges to a rate ≤ −100%.
pub(super) fn rate(a: &[Value]) -> FnResult {
    let (n, pmt, pv) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    let fv = args::num_or(a, 3, 0.0)?;
    let t = pay_type(a, 4)?;
    let guess = match a.get(5) {
        None | Some(Value::Blank) => 0.1,
        Some(v) => v.to_number()?,
    };
    if n <= 0.0 {
        return Err(ErrorKind::Num);
    }
    let mut r = guess;
    for _ in 0..RATE_MAX_ITERATIONS {
        let (f, d) = annuity_residual(r, n, pmt, pv, fv, t);
        if !f.is_finite() || !d.is_finite() || d == 0.0 {
            return Err(ErrorKind::Num);
        }
        let next = r - f / d;
        if !next.is_finite() {
            return Err(ErrorKind::Num);
        }
        if (next - r).abs() < RATE_EPSILON {
            return if next <= -1.0 { Err(ErrorKind::Num) } else { ok(next) };
        }
        r = next;
    }
    Err(ErrorKind::Num)
}

/// `CUMIPMT(rate, nper, pv, start_period, end_period, type)` and `CUMPRINC` (`principal`).
fn cumulative(a: &[Value], principal: bool) -> FnResult {
    let (rate, nper, pv) = (atp(a, 0)?, atp(a, 1)?, atp(a, 2)?);
    let (start, end, t) = (atp(a, 3)?, atp(a, 4)?, atp(a, 5)?);
    if rate <= 0.0 || nper <= 0.0 || pv <= 0.0 || (t != 0.0 && t != 1.0) {
        return Err(ErrorKind::Num);
    }
    let (start, end) = (start.ceil(), end.trunc());
    if start < 1.0 || end < start || end > nper || end - start > MAX_PERIODS {
        return Err(ErrorKind::Num);
    }
    let pmt = pmt_of(rate, nper, pv, 0.0, t)?;
    let mut sum = 0.0;
    let mut per = start;
    while per <= end {
        let interest = ipmt_of(rate, per, nper, pv, 0.0, t)?;
        sum += if principal { pmt - interest } else { interest };
        per += 1.0;
    }
    ok(sum)
}

/// `CUMIPMT(rate, nper, pv, start_period, end_period, type)`
pub(super) fn cumipmt(a: &[Value]) -> FnResult {
    cumulative(a, false)
}

/// `CUMPRINC(rate, nper, pv, start_period, end_period, type)`
pub(super) fn cumprinc(a: &[Value]) -> FnResult {
    cumulative(a, true)
}

/// `ISPMT(rate, per, nper, pv)`: interest of a period of a loan repaid in equal principal
/// parts.
pub(super) fn ispmt(a: &[Value]) -> FnResult {
    let (rate, per, nper, pv) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?, args::num(a, 3)?);
    if nper == 0.0 {
        return Err(ErrorKind::Div0);
    }
    ok(pv * rate * (per / nper - 1.0))
}

/// `PDURATION(rate, pv, fv)`: periods for `pv` to grow to `fv`.
pub(super) fn pduration(a: &[Value]) -> FnResult {
    let (rate, pv, fv) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    if rate <= 0.0 || pv <= 0.0 || fv <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok((fv.ln() - pv.ln()) / rate.ln_1p())
}

/// `RRI(nper, pv, fv)`: the equivalent rate of growth.
pub(super) fn rri(a: &[Value]) -> FnResult {
    let (n, pv, fv) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    if n <= 0.0 || pv == 0.0 {
        return Err(ErrorKind::Num);
    }
    let r = pow(fv / pv, 1.0 / n).map_err(|_| ErrorKind::Num)?;
    ok(r - 1.0)
}

/// `FVSCHEDULE(principal, schedule)`: blanks in the schedule are 0, other non-numbers
/// `#VALUE!`.
pub(super) fn fvschedule(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let principal = args::scalar_num(ev, a, 0)?;
    let mut acc = principal;
    ev.visit_values(&a[1..2], &mut |_, v| {
        match v {
            Value::Number(r) => acc *= 1.0 + r,
            Value::Blank => {}
            Value::Error(e) => return Err(e),
            _ => return Err(ErrorKind::Value),
        }
        Ok(())
    })?;
    Ok(acc.into())
}

/// `EFFECT(nominal_rate, npery)`
pub(super) fn effect(a: &[Value]) -> FnResult {
    let (rate, n) = (atp(a, 0)?, atp(a, 1)?.trunc());
    if rate <= 0.0 || n < 1.0 {
        return Err(ErrorKind::Num);
    }
    ok(pow(1.0 + rate / n, n)? - 1.0)
}

/// `NOMINAL(effect_rate, npery)`
pub(super) fn nominal(a: &[Value]) -> FnResult {
    let (rate, n) = (atp(a, 0)?, atp(a, 1)?.trunc());
    if rate <= 0.0 || n < 1.0 {
        return Err(ErrorKind::Num);
    }
    ok((pow(1.0 + rate, 1.0 / n)? - 1.0) * n)
}

// ── Cash flows ─────────────────────────────────────────────────────────────────────────────

/// `NPV(rate, value1, …)`: numbers typed as arguments count (text that reads as a number,
/// booleans); text, booleans and blanks in ranges are skipped.
pub(super) fn npv(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let rate = args::scalar_num(ev, a, 0)?;
    let values = args::numbers(ev, &a[1..], Numbers::Standard)?;
    Ok(npv_of(rate, &values)?.into())
}

/// `NPV` of numbers already read (shared with the simulation engine's kernel).
pub(crate) fn npv_of(rate: f64, values: &[f64]) -> Result<f64, ErrorKind> {
    if rate == -1.0 {
        return Err(ErrorKind::Div0);
    }
    let mut sum = 0.0;
    let mut factor = 1.0;
    for v in values {
        factor *= 1.0 + rate;
        sum += v / factor;
    }
    Ok(sum)
}

/// Solves `Σ cᵢ·xᵗⁱ = 0` for the discount factor `x = 1/(1+r)` by Newton's method from
/// `1/(1+guess)`, returning the rate; `value_and_slope(x)` gives the sum and its derivative.
/// Iterating on the discount factor rather than on the rate finds the root Excel finds (for
/// `IRR({-70,12,15})`, −44% and not −139%).
fn solve_discount_factor(
    value_and_slope: impl Fn(f64) -> (f64, f64),
    guess: f64,
    max_iterations: usize,
    epsilon: f64,
) -> Result<f64, ErrorKind> {
    let mut x = 1.0 / (1.0 + guess);
    for _ in 0..max_iterations {
        let (f, d) = value_and_slope(x);
        if !f.is_finite() || !d.is_finite() || d == 0.0 {
            return Err(ErrorKind::Num);
        }
        let next = x - f / d;
        if !next.is_finite() || next <= 0.0 {
            return Err(ErrorKind::Num);
        }
        if (next - x).abs() < epsilon {
            return finite(1.0 / next - 1.0);
        }
        x = next;
    }
    Err(ErrorKind::Num)
}

/// `Σ cᵢ·xⁱ` and its derivative for flows at times 0, 1, 2, … (Horner's rule).
fn periodic_value_and_slope(values: &[f64], x: f64) -> (f64, f64) {
    let (mut f, mut d) = (0.0, 0.0);
    for &c in values.iter().rev() {
        d = d * x + f;
        f = f * x + c;
    }
    (f, d)
}

/// `Σ cᵢ·xᵗⁱ` and its derivative for dated flows `(cᵢ, tᵢ)`.
fn dated_value_and_slope(flows: &[(f64, f64)], x: f64) -> (f64, f64) {
    let (mut f, mut d) = (0.0, 0.0);
    for &(c, t) in flows {
        f += c * x.powf(t);
        if t != 0.0 {
            d += c * t * x.powf(t - 1.0);
        }
    }
    (f, d)
}

/// Do the cash flows change sign (a rate of return exists only then)?
fn has_sign_change(values: impl Iterator<Item = f64>) -> bool {
    let (mut pos, mut neg) = (false, false);
    for v in values {
        pos |= v > 0.0;
        neg |= v < 0.0;
    }
    pos && neg
}

/// `IRR(values, [guess])`: `#NUM!` without both a positive and a negative flow, or when the
/// iteration (at most 20 steps, as Excel documents) does not converge.
pub(super) fn irr(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let values = args::array_numbers(ev, &a[0])?;
    let guess = match a.get(1) {
        None | Some(Expr::Missing) => 0.1,
        Some(_) => args::scalar_num(ev, a, 1)?,
    };
    Ok(irr_of(&values, guess)?.into())
}

/// `IRR` of numbers already read (shared with the simulation engine's kernel).
pub(crate) fn irr_of(values: &[f64], guess: f64) -> Result<f64, ErrorKind> {
    if guess <= -1.0 {
        return Err(ErrorKind::Value);
    }
    if !has_sign_change(values.iter().copied()) {
        return Err(ErrorKind::Num);
    }
    solve_discount_factor(|x| periodic_value_and_slope(values, x), guess, IRR_MAX_ITERATIONS, IRR_EPSILON)
}

/// Newton steps `IRR` takes at most (Excel documents 20).
pub(crate) const IRR_MAX_ITERATIONS: usize = 20;
/// `IRR` has converged when the discount factor moves less than this.
pub(crate) const IRR_EPSILON: f64 = 1e-7;

/// `MIRR(values, finance_rate, reinvest_rate)`
pub(super) fn mirr(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let values = args::array_numbers(ev, &a[0])?;
    let finance = args::scalar_num(ev, a, 1)?;
    let reinvest = args::scalar_num(ev, a, 2)?;
    let n = values.len();
    if n < 2 {
        return Err(ErrorKind::Div0);
    }
    let (mut pv_neg, mut fv_pos) = (0.0, 0.0);
    let last = (n - 1) as f64;
    for (i, &v) in values.iter().enumerate() {
        let i = i as f64;
        if v < 0.0 {
            pv_neg += v / pow(1.0 + finance, i)?;
        } else if v > 0.0 {
            fv_pos += v * pow(1.0 + reinvest, last - i)?;
        }
    }
    if pv_neg == 0.0 {
        return Err(ErrorKind::Div0);
    }
    let r = pow(-fv_pos / pv_neg, 1.0 / last)?;
    Ok((r - 1.0).into())
}

/// The cash flows of `XNPV`/`XIRR` as (value, years since the first date), dates truncated
/// to days. Errors propagate. A value that is not a number is `#NUM!` for `XNPV`; for `XIRR`
/// a blank is 0 and text or a boolean `#VALUE!`. A date that is not a number is `#VALUE!`;
/// outside the calendar or before the first date `#NUM!`; ranges of different sizes `#NUM!`.
fn dated_flows(
    ev: &mut Evaluator<'_>,
    values: &Expr,
    dates: &Expr,
    for_xirr: bool,
) -> Result<Vec<(f64, f64)>, ErrorKind> {
    let values = ev.array(values)?;
    let dates = ev.array(dates)?;
    let mut vs = Vec::with_capacity(values.values().len());
    for v in values.values() {
        match v {
            Value::Number(n) => vs.push(*n),
            Value::Error(e) => return Err(*e),
            Value::Blank if for_xirr => vs.push(0.0),
            Value::Blank => return Err(ErrorKind::Num),
            _ if for_xirr => return Err(ErrorKind::Value),
            _ => return Err(ErrorKind::Num),
        }
    }
    let mut ds = Vec::with_capacity(dates.values().len());
    for d in dates.values() {
        match d {
            Value::Number(n) => ds.push(n.trunc()),
            Value::Error(e) => return Err(*e),
            Value::Blank => return Err(ErrorKind::Num),
            _ => return Err(ErrorKind::Value),
        }
    }
    if vs.len() != ds.len() || vs.is_empty() {
        return Err(ErrorKind::Num);
    }
    let first = ds[0];
    if ds.iter().any(|&d| !(0.0..=datetime::MAX_SERIAL).contains(&d) || d < first) {
        return Err(ErrorKind::Num);
    }
    Ok(vs.into_iter().zip(ds.into_iter().map(|d| (d - first) / 365.0)).collect())
}

/// `XNPV(rate, values, dates)`: `#NUM!` for a rate ≤ 0 (as Excel).
pub(super) fn xnpv(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let rate = match args::scalar(ev, a, 0) {
        Value::Bool(_) => return Err(ErrorKind::Value),
        v => v.to_number()?,
    };
    let flows = dated_flows(ev, &a[1], &a[2], false)?;
    if rate <= 0.0 {
        return Err(ErrorKind::Num);
    }
    let mut sum = 0.0;
    for (c, t) in flows {
        sum += c / pow(1.0 + rate, t)?;
    }
    Ok(sum.into())
}

/// `XIRR(values, dates, [guess])`: Newton's method on the discount factor from `guess` (0.1),
/// at most 100 steps (Excel's documented limit).
pub(super) fn xirr(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let flows = dated_flows(ev, &a[0], &a[1], true)?;
    let guess = match a.get(2) {
        None | Some(Expr::Missing) => 0.1,
        Some(_) => match args::scalar(ev, a, 2) {
            Value::Bool(_) => return Err(ErrorKind::Value),
            v => v.to_number()?,
        },
    };
    if guess <= -1.0 {
        return Err(ErrorKind::Num);
    }
    if !has_sign_change(flows.iter().map(|f| f.0)) {
        return Err(ErrorKind::Num);
    }
    Ok(solve_discount_factor(|x| dated_value_and_slope(&flows, x), guess, 100, 1e-10)?.into())
}

// ── Depreciation ───────────────────────────────────────────────────────────────────────────

/// `SLN(cost, salvage, life)`
pub(super) fn sln(a: &[Value]) -> FnResult {
    let (cost, salvage, life) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    if life == 0.0 {
        return Err(ErrorKind::Div0);
    }
    ok((cost - salvage) / life)
}

/// `SYD(cost, salvage, life, per)`
pub(super) fn syd(a: &[Value]) -> FnResult {
    let (cost, salvage, life, per) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?, args::num(a, 3)?);
    if life <= 0.0 || per <= 0.0 || per > life {
        return Err(ErrorKind::Num);
    }
    ok((cost - salvage) * (life - per + 1.0) * 2.0 / (life * (life + 1.0)))
}

/// `DB(cost, salvage, life, period, [month])`: fixed-declining balance with the rate rounded
/// to three decimals, a first period of `month` months and a last one of the rest.
pub(super) fn db(a: &[Value]) -> FnResult {
    let (cost, salvage, life, period) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?, args::num(a, 3)?);
    let month = args::num_or(a, 4, 12.0)?.trunc();
    let period = period.trunc();
    if cost < 0.0
        || salvage < 0.0
        || life <= 0.0
        || !(1.0..=MAX_PERIODS).contains(&period)
        || !(1.0..=12.0).contains(&month)
    {
        return Err(ErrorKind::Num);
    }
    let last = if month == 12.0 { life } else { life + 1.0 };
    if period > last.ceil() {
        return Err(ErrorKind::Num);
    }
    if cost == 0.0 {
        return ok(0.0);
    }
    let rate = ((1.0 - pow(salvage / cost, 1.0 / life)?) * 1000.0).round() / 1000.0;
    let mut total = cost * rate * month / 12.0;
    if period == 1.0 {
        return ok(total);
    }
    let mut p = 2.0;
    loop {
        let dep = if p > life { (cost - total) * rate * (12.0 - month) / 12.0 } else { (cost - total) * rate };
        if p >= period {
            return ok(dep);
        }
        total += dep;
        p += 1.0;
    }
}

/// `DDB(cost, salvage, life, period, [factor])`: double- (or `factor`-) declining balance;
/// the depreciation never takes the book value below `salvage`.
pub(super) fn ddb(a: &[Value]) -> FnResult {
    let (cost, salvage, life, period) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?, args::num(a, 3)?);
    let factor = args::num_or(a, 4, 2.0)?;
    if cost < 0.0 || salvage < 0.0 || life <= 0.0 || period <= 0.0 || period > life || factor <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok(ddb_period(cost, salvage, life, period, factor))
}

fn ddb_period(cost: f64, salvage: f64, life: f64, period: f64, factor: f64) -> f64 {
    let rate = (factor / life).min(1.0);
    let (before, after) = if rate == 1.0 {
        (if period <= 1.0 { cost } else { 0.0 }, 0.0)
    } else {
        (cost * (1.0 - rate).powf(period - 1.0), cost * (1.0 - rate).powf(period))
    };
    let dep = if after < salvage { before - salvage } else { before - after };
    dep.max(0.0)
}

// ── Securities ─────────────────────────────────────────────────────────────────────────────

/// Coupon dates: an anchor date (maturity, or the first interest date) shifted by whole
/// coupon periods of `12/frequency` months. When the anchor is the last day of its month,
/// every coupon date is; otherwise the anchor's day is kept (clamped to the month's length).
#[derive(Clone, Copy, Debug)]
struct Schedule {
    anchor: i64,
    months: i64,
    end_of_month: bool,
}

impl Schedule {
    fn new(anchor: i64, frequency: u32) -> Schedule {
        Schedule { anchor, months: 12 / i64::from(frequency), end_of_month: datetime::is_month_end(anchor) }
    }

    /// The coupon date `k` periods after the anchor (before it when `k` is negative).
    fn date(&self, k: i64) -> Result<i64, ErrorKind> {
        let months = k * self.months;
        let d = if self.end_of_month {
            datetime::end_of_month(self.anchor, months)
        } else {
            datetime::add_months(self.anchor, months)
        };
        d.ok_or(ErrorKind::Num)
    }

    /// The index of the last coupon date on or before `day`.
    fn index_on_or_before(&self, day: i64) -> Result<i64, ErrorKind> {
        let (ya, ma, _) = datetime::ymd_from_serial(self.anchor);
        let (yd, md, _) = datetime::ymd_from_serial(day);
        let diff = (yd * 12 + i64::from(md)) - (ya * 12 + i64::from(ma));
        let mut k = diff.div_euclid(self.months) + 1;
        while self.date(k)? > day {
            k -= 1;
        }
        while self.date(k + 1)? <= day {
            k += 1;
        }
        Ok(k)
    }

    /// The index of the last coupon date strictly before `day`.
    fn index_before(&self, day: i64) -> Result<i64, ErrorKind> {
        let k = self.index_on_or_before(day)?;
        Ok(if self.date(k)? == day { k - 1 } else { k })
    }
}

/// Length of a coupon period in days under `basis`: actual for actual/actual, else the
/// nominal year over the frequency.
fn period_length(basis: Basis, frequency: u32, start: i64, end: i64) -> f64 {
    match basis {
        Basis::ActualActual => (end - start) as f64,
        Basis::Actual365 => 365.0 / f64::from(frequency),
        _ => 360.0 / f64::from(frequency),
    }
}

/// The coupon period around a settlement: previous and next coupon dates and the number of
/// coupons left, for a security maturing on `maturity`.
#[derive(Clone, Copy, Debug)]
struct CouponPeriod {
    pcd: i64,
    ncd: i64,
    count: i64,
    frequency: u32,
    basis: Basis,
    settlement: i64,
}

impl CouponPeriod {
    fn new(settlement: i64, maturity: i64, frequency: u32, basis: Basis) -> Result<CouponPeriod, ErrorKind> {
        if settlement >= maturity {
            return Err(ErrorKind::Num);
        }
        let schedule = Schedule::new(maturity, frequency);
        let k = schedule.index_on_or_before(settlement)?;
        Ok(CouponPeriod { pcd: schedule.date(k)?, ncd: schedule.date(k + 1)?, count: -k, frequency, basis, settlement })
    }

    /// `COUPDAYS`: days in the coupon period.
    fn days(&self) -> f64 {
        period_length(self.basis, self.frequency, self.pcd, self.ncd)
    }

    /// `COUPDAYBS`: days from the start of the period to settlement.
    fn days_before(&self) -> f64 {
        self.basis.days(self.pcd, self.settlement) as f64
    }

    /// `COUPDAYSNC`: days from settlement to the next coupon.
    fn days_after(&self) -> f64 {
        match self.basis {
            Basis::Us30360 => self.days() - self.days_before(),
            _ => self.basis.days(self.settlement, self.ncd) as f64,
        }
    }
}

/// The common arguments `(settlement, maturity, frequency, [basis])` of the coupon functions.
fn coupon_args(a: &[Value]) -> Result<CouponPeriod, ErrorKind> {
    let (settlement, maturity) = (atp_day(a, 0)?, atp_day(a, 1)?);
    let frequency = frequency_arg(a, 2)?;
    let basis = basis_arg(a, 3)?;
    CouponPeriod::new(settlement, maturity, frequency, basis)
}

/// A whole-day date argument of an Analysis ToolPak function.
fn atp_day(a: &[Value], i: usize) -> Result<i64, ErrorKind> {
    atp_date(a, i).map(|d| d as i64)
}

/// `COUPDAYBS(settlement, maturity, frequency, [basis])`
pub(super) fn coupdaybs(a: &[Value]) -> FnResult {
    ok(coupon_args(a)?.days_before())
}

/// `COUPDAYS(settlement, maturity, frequency, [basis])`
pub(super) fn coupdays(a: &[Value]) -> FnResult {
    ok(coupon_args(a)?.days())
}

/// `COUPDAYSNC(settlement, maturity, frequency, [basis])`
pub(super) fn coupdaysnc(a: &[Value]) -> FnResult {
    ok(coupon_args(a)?.days_after())
}

/// `COUPNCD(settlement, maturity, frequency, [basis])`
pub(super) fn coupncd(a: &[Value]) -> FnResult {
    ok(coupon_args(a)?.ncd as f64)
}

/// `COUPPCD(settlement, maturity, frequency, [basis])`
pub(super) fn couppcd(a: &[Value]) -> FnResult {
    ok(coupon_args(a)?.pcd as f64)
}

/// `COUPNUM(settlement, maturity, frequency, [basis])`
pub(super) fn coupnum(a: &[Value]) -> FnResult {
    ok(coupon_args(a)?.count as f64)
}

/// The price per 100 of face value of a bond paying `rate` for a yield `yld`.
fn bond_price(c: &CouponPeriod, rate: f64, yld: f64, redemption: f64) -> f64 {
    let f = f64::from(c.frequency);
    // Excel measures the time to the next coupon as the period less the accrued days (not
    // the actual days COUPDAYSNC counts on bases 2 and 3).
    let (e, a) = (c.days(), c.days_before());
    let dsc = e - a;
    let coupon = 100.0 * rate / f;
    if c.count == 1 {
        return (redemption + coupon) / (1.0 + dsc / e * yld / f) - coupon * a / e;
    }
    let n = c.count as f64;
    let base = 1.0 + yld / f;
    let mut price = redemption / base.powf(n - 1.0 + dsc / e);
    for k in 1..=c.count {
        price += coupon / base.powf(k as f64 - 1.0 + dsc / e);
    }
    price - coupon * a / e
}

/// `PRICE(settlement, maturity, rate, yld, redemption, frequency, [basis])`
pub(super) fn price(a: &[Value]) -> FnResult {
    let (settlement, maturity) = (atp_day(a, 0)?, atp_day(a, 1)?);
    let (rate, yld, redemption) = (atp(a, 2)?, atp(a, 3)?, atp(a, 4)?);
    let frequency = frequency_arg(a, 5)?;
    let basis = basis_arg(a, 6)?;
    if rate < 0.0 || yld < 0.0 || redemption <= 0.0 {
        return Err(ErrorKind::Num);
    }
    let c = CouponPeriod::new(settlement, maturity, frequency, basis)?;
    ok(bond_price(&c, rate, yld, redemption))
}

/// Solves `f(y) = target` for a decreasing function by Newton's method with a numerical
/// derivative, falling back to bisection when a step leaves the bracket.
fn solve_decreasing(f: impl Fn(f64) -> f64, target: f64, guess: f64) -> Result<f64, ErrorKind> {
    // Bracket the root: f decreases, so look for lo with f(lo) ≥ target ≥ f(hi).
    let (mut lo, mut hi) = (-0.999_999, guess.max(0.1));
    let mut grow = 0;
    while f(hi) > target {
        hi = hi * 2.0 + 1.0;
        grow += 1;
        if grow > 100 {
            return Err(ErrorKind::Num);
        }
    }
    if f(lo) < target {
        return Err(ErrorKind::Num);
    }
    let mut y = guess.clamp(lo, hi);
    for _ in 0..200 {
        let v = f(y) - target;
        if v.abs() < 1e-12 * target.abs().max(1.0) {
            return Ok(y);
        }
        if v > 0.0 {
            lo = y;
        } else {
            hi = y;
        }
        let h = 1e-7 * y.abs().max(1e-4);
        let d = (f(y + h) - f(y - h)) / (2.0 * h);
        let mut next = y - v / d;
        if !next.is_finite() || next <= lo || next >= hi {
            next = (lo + hi) / 2.0;
        }
        if (next - y).abs() < 1e-15 * y.abs().max(1.0) {
            return Ok(next);
        }
        y = next;
    }
    Ok(y)
}

/// `YIELD(settlement, maturity, rate, pr, redemption, frequency, [basis])`
pub(super) fn yield_(a: &[Value]) -> FnResult {
    let (settlement, maturity) = (atp_day(a, 0)?, atp_day(a, 1)?);
    let (rate, pr, redemption) = (atp(a, 2)?, atp(a, 3)?, atp(a, 4)?);
    let frequency = frequency_arg(a, 5)?;
    let basis = basis_arg(a, 6)?;
    if rate < 0.0 || pr <= 0.0 || redemption <= 0.0 {
        return Err(ErrorKind::Num);
    }
    let c = CouponPeriod::new(settlement, maturity, frequency, basis)?;
    if c.count == 1 {
        let f = f64::from(frequency);
        let (e, a_days) = (c.days(), c.days_before());
        let dsr = e - a_days;
        let paid = pr / 100.0 + a_days / e * rate / f;
        return ok((redemption / 100.0 + rate / f - paid) / paid * f * e / dsr);
    }
    ok(solve_decreasing(|y| bond_price(&c, rate, y, redemption), pr, 0.1)?)
}

/// `YEARFRAC`-style fraction of a year between two days under `basis`.
fn year_fraction(start: i64, end: i64, basis: Basis) -> f64 {
    datetime::yearfrac(start, end, basis)
}

/// The common `(settlement, maturity)` of the discounted securities: `#NUM!` unless
/// settlement is before maturity.
fn term(a: &[Value]) -> Result<(i64, i64), ErrorKind> {
    let (settlement, maturity) = (atp_day(a, 0)?, atp_day(a, 1)?);
    if settlement >= maturity {
        return Err(ErrorKind::Num);
    }
    Ok((settlement, maturity))
}

/// `DISC(settlement, maturity, pr, redemption, [basis])`
pub(super) fn disc(a: &[Value]) -> FnResult {
    let (s, m) = term(a)?;
    let (pr, redemption) = (atp(a, 2)?, atp(a, 3)?);
    let basis = basis_arg(a, 4)?;
    if pr <= 0.0 || redemption <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok((redemption - pr) / redemption / year_fraction(s, m, basis))
}

/// `INTRATE(settlement, maturity, investment, redemption, [basis])`
pub(super) fn intrate(a: &[Value]) -> FnResult {
    let (s, m) = term(a)?;
    let (investment, redemption) = (atp(a, 2)?, atp(a, 3)?);
    let basis = basis_arg(a, 4)?;
    if investment <= 0.0 || redemption <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok((redemption - investment) / investment / year_fraction(s, m, basis))
}

/// `RECEIVED(settlement, maturity, investment, discount, [basis])`
pub(super) fn received(a: &[Value]) -> FnResult {
    let (s, m) = term(a)?;
    let (investment, discount) = (atp(a, 2)?, atp(a, 3)?);
    let basis = basis_arg(a, 4)?;
    if investment <= 0.0 || discount <= 0.0 {
        return Err(ErrorKind::Num);
    }
    let d = 1.0 - discount * year_fraction(s, m, basis);
    if d <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok(investment / d)
}

/// `PRICEDISC(settlement, maturity, discount, redemption, [basis])`
pub(super) fn pricedisc(a: &[Value]) -> FnResult {
    let (s, m) = term(a)?;
    let (discount, redemption) = (atp(a, 2)?, atp(a, 3)?);
    let basis = basis_arg(a, 4)?;
    if discount <= 0.0 || redemption <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok(redemption * (1.0 - discount * year_fraction(s, m, basis)))
}

/// `YIELDDISC(settlement, maturity, pr, redemption, [basis])`
pub(super) fn yielddisc(a: &[Value]) -> FnResult {
    let (s, m) = term(a)?;
    let (pr, redemption) = (atp(a, 2)?, atp(a, 3)?);
    let basis = basis_arg(a, 4)?;
    if pr <= 0.0 || redemption <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok((redemption / pr - 1.0) / year_fraction(s, m, basis))
}

/// The arguments `(settlement, maturity, issue, rate, x, [basis])` of `PRICEMAT`/`YIELDMAT`
/// as (years issue→maturity, issue→settlement, settlement→maturity, rate, x).
fn at_maturity_args(a: &[Value]) -> Result<(f64, f64, f64, f64, f64), ErrorKind> {
    let (s, m) = term(a)?;
    let issue = atp_day(a, 2)?;
    let (rate, x) = (atp(a, 3)?, atp(a, 4)?);
    let basis = basis_arg(a, 5)?;
    if rate < 0.0 || x < 0.0 || issue >= s {
        return Err(ErrorKind::Num);
    }
    let (dim, ais, dsm) = match basis {
        // Actual/actual measures the three spans in days over the year of the issue.
        Basis::ActualActual => {
            let year = datetime::yearfrac(issue, issue + 365, Basis::ActualActual);
            let year_days = 365.0 / year;
            ((m - issue) as f64 / year_days, (s - issue) as f64 / year_days, (m - s) as f64 / year_days)
        }
        _ => (year_fraction(issue, m, basis), year_fraction(issue, s, basis), year_fraction(s, m, basis)),
    };
    Ok((dim, ais, dsm, rate, x))
}

/// `PRICEMAT(settlement, maturity, issue, rate, yld, [basis])`
pub(super) fn pricemat(a: &[Value]) -> FnResult {
    let (dim, ais, dsm, rate, yld) = at_maturity_args(a)?;
    ok((100.0 + dim * rate * 100.0) / (1.0 + dsm * yld) - ais * rate * 100.0)
}

/// `YIELDMAT(settlement, maturity, issue, rate, pr, [basis])`
pub(super) fn yieldmat(a: &[Value]) -> FnResult {
    let (dim, ais, dsm, rate, pr) = at_maturity_args(a)?;
    if pr <= 0.0 {
        return Err(ErrorKind::Num);
    }
    let paid = pr / 100.0 + ais * rate;
    ok(((1.0 + dim * rate) - paid) / paid / dsm)
}

/// `ACCRINTM(issue, settlement, rate, [par], [basis])`
pub(super) fn accrintm(a: &[Value]) -> FnResult {
    let (issue, settlement) = (atp_day(a, 0)?, atp_day(a, 1)?);
    let rate = atp(a, 2)?;
    let par = atp_or(a, 3, 1000.0)?;
    let basis = basis_arg(a, 4)?;
    if issue >= settlement || rate <= 0.0 || par <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok(par * rate * year_fraction(issue, settlement, basis))
}

/// `ACCRINT(issue, first_interest, settlement, rate, par, frequency, [basis], [calc_method])`.
///
/// Interest accrues per coupon period of the schedule through `first_interest`, each period
/// paying `par·rate/frequency`. As Excel does, the accrual is measured from the coupon date
/// before `first_interest` (the reference): a first partial period from `issue` counts its
/// share of its own period, whole periods count one each, and the span from the reference to
/// settlement counts its days over the length of the first interest period. With
/// `calc_method` TRUE (the default) the reference moves to the last coupon date before a
/// settlement after `first_interest`; with FALSE the whole periods are left out.
pub(super) fn accrint(a: &[Value]) -> FnResult {
    let (issue, first, settlement) = (atp_day(a, 0)?, atp_day(a, 1)?, atp_day(a, 2)?);
    let rate = atp(a, 3)?;
    let par = atp_or(a, 4, 1000.0)?;
    let frequency = frequency_arg(a, 5)?;
    let basis = basis_arg(a, 6)?;
    let from_issue = match a.get(7) {
        None | Some(Value::Blank) => true,
        Some(v) => v.to_bool()?,
    };
    if issue >= settlement || rate <= 0.0 || par <= 0.0 {
        return Err(ErrorKind::Num);
    }
    let schedule = Schedule::new(first, frequency);
    let days = |x: i64, y: i64| basis.days(x, y) as f64;
    let length = |k: i64| -> Result<f64, ErrorKind> {
        Ok(period_length(basis, frequency, schedule.date(k)?, schedule.date(k + 1)?))
    };
    // Index of the reference coupon date (-1 is the date before first_interest).
    let reference = if from_issue { schedule.index_before(settlement)?.max(-1) } else { -1 };
    let ref_date = schedule.date(reference)?;
    // First coupon date on or after the issue.
    let on_or_after_issue = {
        let k = schedule.index_on_or_before(issue)?;
        if schedule.date(k)? == issue { k } else { k + 1 }
    };
    let (partial, whole) = if on_or_after_issue > reference {
        // Issued after the reference date: the span issue→reference counts negatively.
        (-days(ref_date, issue) / length(reference)?, 0.0)
    } else {
        let boundary = schedule.date(on_or_after_issue)?;
        let partial = if boundary > issue { days(issue, boundary) / length(on_or_after_issue - 1)? } else { 0.0 };
        (partial, (reference - on_or_after_issue) as f64)
    };
    let tail = days(ref_date, settlement) / length(-1)?;
    let periods = partial + if from_issue { whole } else { 0.0 } + tail;
    ok(par * rate / f64::from(frequency) * periods)
}

// ── Treasury bills ─────────────────────────────────────────────────────────────────────────

/// Days from settlement to maturity of a treasury bill: `#NUM!` unless maturity is after
/// settlement and at most one year later.
fn tbill_days(a: &[Value]) -> Result<f64, ErrorKind> {
    let (s, m) = term(a)?;
    let one_year = datetime::add_months(s, 12).ok_or(ErrorKind::Num)?;
    if m > one_year {
        return Err(ErrorKind::Num);
    }
    Ok((m - s) as f64)
}

/// `TBILLPRICE(settlement, maturity, discount)`
pub(super) fn tbillprice(a: &[Value]) -> FnResult {
    let dsm = tbill_days(a)?;
    let discount = atp(a, 2)?;
    let price = 100.0 * (1.0 - discount * dsm / 360.0);
    if discount <= 0.0 || price <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok(price)
}

/// `TBILLYIELD(settlement, maturity, pr)`
pub(super) fn tbillyield(a: &[Value]) -> FnResult {
    let dsm = tbill_days(a)?;
    let pr = atp(a, 2)?;
    if pr <= 0.0 {
        return Err(ErrorKind::Num);
    }
    ok((100.0 - pr) / pr * 360.0 / dsm)
}

/// `TBILLEQ(settlement, maturity, discount)`: the bond-equivalent yield; beyond half a year
/// it accounts for the coupon a bond would pay at six months.
pub(super) fn tbilleq(a: &[Value]) -> FnResult {
    let dsm = tbill_days(a)?;
    let discount = atp(a, 2)?;
    let price = 100.0 * (1.0 - discount * dsm / 360.0);
    if discount <= 0.0 || price <= 0.0 {
        return Err(ErrorKind::Num);
    }
    if dsm <= 182.0 {
        return ok(365.0 * discount / (360.0 - discount * dsm));
    }
    let year = if dsm > 365.0 { 366.0 } else { 365.0 };
    let t = dsm / year;
    let root = (t * t - (2.0 * t - 1.0) * (1.0 - 100.0 / price)).sqrt();
    ok((-t + root) / (t - 0.5))
}

// ── Fractional dollar prices ───────────────────────────────────────────────────────────────

/// The power of ten just at or above `fraction` (1 for 1, 10 for 2…10, 100 for 11…100).
fn decimal_scale(fraction: f64) -> f64 {
    let mut scale = 1.0;
    while scale < fraction {
        scale *= 10.0;
    }
    scale
}

fn dollar_args(a: &[Value]) -> Result<(f64, f64), ErrorKind> {
    let (x, fraction) = (atp(a, 0)?, atp(a, 1)?.trunc());
    if fraction < 0.0 {
        return Err(ErrorKind::Num);
    }
    if fraction == 0.0 {
        return Err(ErrorKind::Div0);
    }
    Ok((x, fraction))
}

/// `DOLLARDE(fractional_dollar, fraction)`
pub(super) fn dollarde(a: &[Value]) -> FnResult {
    let (x, fraction) = dollar_args(a)?;
    let whole = x.trunc();
    ok(whole + (x - whole) * decimal_scale(fraction) / fraction)
}

/// `DOLLARFR(decimal_dollar, fraction)`
pub(super) fn dollarfr(a: &[Value]) -> FnResult {
    let (x, fraction) = dollar_args(a)?;
    let whole = x.trunc();
    ok(whole + (x - whole) * fraction / decimal_scale(fraction))
}

// ── Odd first and last periods ─────────────────────────────────────────────────────────────

/// The arguments shared by the odd-period functions after the dates: `rate`, the yield or
/// price, `redemption`, `frequency`, `[basis]` starting at argument `i`.
fn odd_tail(a: &[Value], i: usize) -> Result<(f64, f64, f64, u32, Basis), ErrorKind> {
    let (rate, x, redemption) = (atp(a, i)?, atp(a, i + 1)?, atp(a, i + 2)?);
    let frequency = frequency_arg(a, i + 3)?;
    let basis = basis_arg(a, i + 4)?;
    Ok((rate, x, redemption, frequency, basis))
}

/// A bond whose first coupon period is odd (`ODDFPRICE`, `ODDFYIELD`).
#[derive(Clone, Copy, Debug)]
struct OddFirst {
    settlement: i64,
    maturity: i64,
    issue: i64,
    first_coupon: i64,
    rate: f64,
    redemption: f64,
    frequency: u32,
    basis: Basis,
}

impl OddFirst {
    fn new(a: &[Value]) -> Result<(OddFirst, f64), ErrorKind> {
        let (settlement, maturity, issue, first_coupon) =
            (atp_day(a, 0)?, atp_day(a, 1)?, atp_day(a, 2)?, atp_day(a, 3)?);
        let (rate, x, redemption, frequency, basis) = odd_tail(a, 4)?;
        if !(issue < settlement && settlement < first_coupon && first_coupon < maturity) {
            return Err(ErrorKind::Num);
        }
        if rate < 0.0 || x < 0.0 || redemption <= 0.0 {
            return Err(ErrorKind::Num);
        }
        Ok((OddFirst { settlement, maturity, issue, first_coupon, rate, redemption, frequency, basis }, x))
    }

    fn price(&self, yld: f64) -> Result<f64, ErrorKind> {
        let f = f64::from(self.frequency);
        let coupon = 100.0 * self.rate / f;
        let base = 1.0 + yld / f;
        let days = |x: i64, y: i64| self.basis.days(x, y) as f64;
        let quasi = Schedule::new(self.first_coupon, self.frequency);
        // Regular coupons after the first one.
        let after_first = CouponPeriod::new(self.first_coupon, self.maturity, self.frequency, self.basis)?.count;
        let before_first = quasi.date(-1)?;
        if self.issue >= before_first {
            // Short (or regular) first period.
            let e = period_length(self.basis, self.frequency, before_first, self.first_coupon);
            let (a, dsc, dfc) = (
                days(self.issue, self.settlement),
                days(self.settlement, self.first_coupon),
                days(self.issue, self.first_coupon),
            );
            let n = (after_first + 1) as f64;
            let mut p = self.redemption / base.powf(n - 1.0 + dsc / e);
            p += coupon * dfc / e / base.powf(dsc / e);
            for k in 2..=after_first + 1 {
                p += coupon / base.powf(k as f64 - 1.0 + dsc / e);
            }
            return Ok(p - coupon * a / e);
        }
        // Long first period: split into quasi-coupon periods counted back from the first coupon.
        let first_index = quasi.index_on_or_before(self.issue)?;
        let (mut dc, mut accrued) = (0.0, 0.0);
        for k in first_index..0 {
            let (start, end) = (quasi.date(k)?, quasi.date(k + 1)?);
            let nl = period_length(self.basis, self.frequency, start, end);
            let from = start.max(self.issue);
            // A whole quasi-coupon period counts as one (not its days over the nominal length).
            dc += if from == start { 1.0 } else { days(from, end) / nl };
            if self.settlement > from {
                let to = self.settlement.min(end);
                accrued += if from == start && to == end { 1.0 } else { days(from, to) / nl };
            }
        }
        let k = quasi.index_on_or_before(self.settlement)?;
        let (s0, s1) = (quasi.date(k)?, quasi.date(k + 1)?);
        let e = period_length(self.basis, self.frequency, s0, s1);
        let dsc = days(self.settlement, s1);
        let nq = (-(k + 1)) as f64;
        let n = after_first as f64;
        let mut p = self.redemption / base.powf(n + nq + dsc / e);
        p += coupon * dc / base.powf(nq + dsc / e);
        for j in 1..=after_first {
            p += coupon / base.powf(j as f64 + nq + dsc / e);
        }
        Ok(p - coupon * accrued)
    }
}

/// `ODDFPRICE(settlement, maturity, issue, first_coupon, rate, yld, redemption, frequency, [basis])`
pub(super) fn oddfprice(a: &[Value]) -> FnResult {
    let (bond, yld) = OddFirst::new(a)?;
    ok(bond.price(yld)?)
}

/// `ODDFYIELD(settlement, maturity, issue, first_coupon, rate, pr, redemption, frequency, [basis])`
pub(super) fn oddfyield(a: &[Value]) -> FnResult {
    let (bond, pr) = OddFirst::new(a)?;
    if pr <= 0.0 {
        return Err(ErrorKind::Num);
    }
    bond.price(0.1)?;
    ok(solve_decreasing(|y| bond.price(y).unwrap_or(f64::NAN), pr, 0.1)?)
}

/// A bond whose last coupon period is odd (`ODDLPRICE`, `ODDLYIELD`), reduced to the sums
/// over the quasi-coupon periods of that period.
#[derive(Clone, Copy, Debug)]
struct OddLast {
    /// Σ DCᵢ/NLᵢ: the odd period in quasi-coupon periods.
    dc: f64,
    /// Σ Aᵢ/NLᵢ: the part of it before settlement.
    accrued: f64,
    /// Σ DSCᵢ/NLᵢ: the part of it after settlement.
    to_come: f64,
    /// The coupon paid per quasi-coupon period per 100 of face value.
    coupon: f64,
    redemption: f64,
    frequency: f64,
}

impl OddLast {
    /// The bond and the yield or price argument.
    fn new(a: &[Value]) -> Result<(OddLast, f64), ErrorKind> {
        let (settlement, maturity, last) = (atp_day(a, 0)?, atp_day(a, 1)?, atp_day(a, 2)?);
        let (rate, x, redemption, frequency, basis) = odd_tail(a, 3)?;
        if !(last < settlement && settlement < maturity) || rate < 0.0 || x < 0.0 || redemption <= 0.0 {
            return Err(ErrorKind::Num);
        }
        let quasi = Schedule::new(last, frequency);
        let days = |x: i64, y: i64| basis.days(x, y) as f64;
        let (mut dc, mut accrued, mut to_come) = (0.0, 0.0, 0.0);
        let mut k = 0;
        loop {
            let (start, end) = (quasi.date(k)?, quasi.date(k + 1)?);
            if start >= maturity {
                break;
            }
            // Excel measures the quasi-coupon periods of an odd last period by their actual
            // length on the actual-day bases 1, 2 and 3 (not 360 or 365 over the frequency).
            let nl = match basis {
                Basis::Us30360 | Basis::Euro30360 => 360.0 / f64::from(frequency),
                _ => (end - start) as f64,
            };
            let stop = end.min(maturity);
            let share = |x: i64, y: i64| days(x, y) / nl;
            dc += share(start, stop);
            if settlement > start {
                accrued += share(start, settlement.min(stop));
            }
            if settlement < stop {
                to_come += share(settlement.max(start), stop);
            }
            k += 1;
        }
        let f = f64::from(frequency);
        Ok((OddLast { dc, accrued, to_come, coupon: 100.0 * rate / f, redemption, frequency: f }, x))
    }
}

/// `ODDLPRICE(settlement, maturity, last_interest, rate, yld, redemption, frequency, [basis])`
pub(super) fn oddlprice(a: &[Value]) -> FnResult {
    let (b, yld) = OddLast::new(a)?;
    ok((b.redemption + b.dc * b.coupon) / (1.0 + b.to_come * yld / b.frequency) - b.accrued * b.coupon)
}

/// `ODDLYIELD(settlement, maturity, last_interest, rate, pr, redemption, frequency, [basis])`
pub(super) fn oddlyield(a: &[Value]) -> FnResult {
    let (b, pr) = OddLast::new(a)?;
    if pr <= 0.0 {
        return Err(ErrorKind::Num);
    }
    let paid = pr + b.accrued * b.coupon;
    ok((b.redemption + b.dc * b.coupon - paid) / paid * b.frequency / b.to_come)
}

// ── Variable declining balance and duration ────────────────────────────────────────────────

/// Depreciation from the start of the asset's life to `end` (the last, partial period
/// counted pro rata) under declining balance at `factor/life`, switching to straight line
/// over what is left of `sl_life` when that depreciates more.
fn vdb_from_start(cost: f64, salvage: f64, life: f64, sl_life: f64, end: f64, factor: f64) -> f64 {
    let rate = (factor / life).min(1.0);
    let last = end.ceil();
    let (mut book, mut total) = (cost, 0.0);
    let mut straight: Option<f64> = None;
    let mut i = 1.0;
    while i <= last {
        let mut term = match straight {
            Some(sl) => sl,
            None => {
                let ddb = (book * rate).min(book - salvage).max(0.0);
                let remaining = sl_life - (i - 1.0);
                let sl = if remaining > 0.0 { (book - salvage) / remaining } else { 0.0 };
                if sl > ddb {
                    straight = Some(sl);
                    sl
                } else {
                    ddb
                }
            }
        };
        term = term.min(book - salvage).max(0.0);
        if i == last {
            term *= end + 1.0 - last;
        }
        book -= term;
        total += term;
        i += 1.0;
    }
    total
}

/// `VDB(cost, salvage, life, start_period, end_period, [factor], [no_switch])`
pub(super) fn vdb(a: &[Value]) -> FnResult {
    let (cost, salvage, life) = (args::num(a, 0)?, args::num(a, 1)?, args::num(a, 2)?);
    let (start, end) = (args::num(a, 3)?, args::num(a, 4)?);
    let factor = match a.get(5) {
        None | Some(Value::Blank) => 2.0,
        Some(v) => v.to_number()?,
    };
    let no_switch = args::boolean_or(a, 6, false)?;
    if cost < 0.0
        || salvage < 0.0
        || life <= 0.0
        || start < 0.0
        || end < start
        || end > life
        || end > MAX_PERIODS
        || factor <= 0.0
    {
        return Err(ErrorKind::Num);
    }
    if no_switch {
        // Declining balance only, each period pro rata to the part of it in [start, end].
        let first = start.floor() + 1.0;
        let last = end.ceil();
        let mut total = 0.0;
        let mut i = first;
        while i <= last {
            let covered = end.min(i) - start.max(i - 1.0);
            total += ddb_period(cost, salvage, life, i, factor) * covered.max(0.0);
            i += 1.0;
        }
        return ok(total);
    }
    if start == start.floor() {
        let to_end = vdb_from_start(cost, salvage, life, life, end, factor);
        let to_start = vdb_from_start(cost, salvage, life, life, start, factor);
        return ok(to_end - to_start);
    }
    // A fractional start: depreciate up to it, then restart the schedule from the book value
    // reached, over the life that remains.
    let before = vdb_from_start(cost, salvage, life, life, start, factor);
    ok(vdb_from_start(cost - before, salvage, life, life - start, end - start, factor))
}

/// Macaulay duration in years of a bond (`DURATION`).
fn macaulay(c: &CouponPeriod, coupon: f64, yld: f64) -> f64 {
    let f = f64::from(c.frequency);
    let (e, a) = (c.days(), c.days_before());
    let dsc = (e - a) / e;
    let base = 1.0 + yld / f;
    let cpn = 100.0 * coupon / f;
    let (mut weighted, mut pv) = (0.0, 0.0);
    for k in 1..=c.count {
        let t = k as f64 - 1.0 + dsc;
        let flow = if k == c.count { cpn + 100.0 } else { cpn };
        let v = flow / base.powf(t);
        weighted += t * v;
        pv += v;
    }
    weighted / pv / f
}

fn duration_args(a: &[Value]) -> Result<(CouponPeriod, f64), ErrorKind> {
    let (settlement, maturity) = (atp_day(a, 0)?, atp_day(a, 1)?);
    let (coupon, yld) = (atp(a, 2)?, atp(a, 3)?);
    let frequency = frequency_arg(a, 4)?;
    let basis = basis_arg(a, 5)?;
    if coupon < 0.0 || yld < 0.0 {
        return Err(ErrorKind::Num);
    }
    let c = CouponPeriod::new(settlement, maturity, frequency, basis)?;
    Ok((c, macaulay(&c, coupon, yld)))
}

/// `DURATION(settlement, maturity, coupon, yld, frequency, [basis])`
pub(super) fn duration(a: &[Value]) -> FnResult {
    ok(duration_args(a)?.1)
}

/// `MDURATION(settlement, maturity, coupon, yld, frequency, [basis])`
pub(super) fn mduration(a: &[Value]) -> FnResult {
    let (c, d) = duration_args(a)?;
    let yld = atp(a, 3)?;
    ok(d / (1.0 + yld / f64::from(c.frequency)))
}

#[cfg(test)]
mod tests {
    use crate::value::{ErrorKind, Value};

    /// The value of the formula in `A1` of a sheet holding `cells` too.
    use crate::testing::eval_formula as eval_in;

    fn eval(formula: &str) -> Value {
        eval_in(formula, &[])
    }

    #[track_caller]
    fn assert_close(formula: &str, expected: f64, tolerance: f64) {
        match eval(formula) {
            Value::Number(n) => assert!(
                (n - expected).abs() <= tolerance * expected.abs().max(1.0),
                "{formula} = {n}, expected {expected}"
            ),
            other => panic!("{formula} gave {other:?}, expected {expected}"),
        }
    }

    #[track_caller]
    fn assert_error(formula: &str, e: ErrorKind) {
        assert_eq!(eval(formula), Value::Error(e), "{formula}");
    }

    #[test]
    fn time_value_of_money() {
        assert_close("=PV(1,3,100,10,1)", -176.25, 1e-12);
        assert_close("=PV(-0.9,3,120,30,1)", -43_320.0, 1e-12);
        assert_close("=FV(0.5,12,100,0,1)", -38_623.901_367_187_5, 1e-12);
        assert_close("=PMT(0.2,4,-200,10,-1)", 62.829_110_779_930_46, 1e-12);
        assert_close("=NPER(1,3,100,0,1)", -4.142_957_953_842_043, 1e-12);
        assert_close("=NPER(0,3,100,23,1)", -41.0, 1e-12);
        assert_close("=IPMT(0.1,3,3,8000,0,1)", -265.861_027_190_332_4, 1e-12);
        assert_close("=PPMT(0.1,3.3,30,8000,10,1)", -55.117_928_287_330_166, 1e-10);
        // Excel's specific errors.
        assert_error("=FV(-1,-2,1)", ErrorKind::Div0);
        assert_error("=FV(-3,-3.5,1)", ErrorKind::Num);
        assert_error("=PMT(-3,5,100)", ErrorKind::Num);
        assert_error("=PMT(0.5,0,-150)", ErrorKind::Num);
        assert_error("=NPER(1,3,100,12,0)", ErrorKind::Num);
        assert_error("=IPMT(0.1,0.99,36,8000)", ErrorKind::Num);
        assert_error("=IPMT(0.1,4,3,8000)", ErrorKind::Num);
        assert_eq!(eval("=IPMT(0.01,1,36,8000,0,1)"), Value::Number(0.0));
    }

    #[test]
    fn rate_converges_like_excel() {
        assert_close("=RATE(48,-200,8000,0,1)", 8.052_981_923_906_556e-3, 1e-9);
        assert_close("=RATE(2,-200,8000,0,1)", -0.974_358_974_357_010_7, 1e-9);
        // Needs 26 Newton steps: Excel solves it.
        assert_close("=RATE(300,-200,8000,0,1)", 2.562_775_181_668_610_5e-2, 1e-9);
        // Diverges from the default guess (Excel: #NUM!), solvable from a better one.
        assert_error("=RATE(3300,-200,8000,0,1)", ErrorKind::Num);
        assert_error("=RATE(44,0,-1650,15000000)", ErrorKind::Num);
        assert_close("=RATE(44,0,-1650,15000000,0,0.2)", 0.230_179_110_523_521, 1e-9);
        // Converges to a rate at or below -100%: #NUM!.
        assert_error("=RATE(12,2800,-10000)", ErrorKind::Num);
        assert_error("=RATE(10,-1200,2000,0,1)", ErrorKind::Num);
    }

    #[test]
    fn cumulative_payments_and_rates() {
        assert_close("=CUMIPMT(0.09/12,30*12,125000,13,24,0)", -11_135.232_13, 1e-9);
        assert_close("=CUMPRINC(0.09/12,30*12,125000,13,24,0)", -934.107_123_4, 1e-9);
        assert_close("=CUMIPMT(0.1,36,8000,1.5,10,1)", -6_401.096_804_669_653, 1e-12);
        assert_error("=CUMIPMT(0.01,36,8000,3,10,1.2)", ErrorKind::Num);
        assert_error("=CUMIPMT(0.01,36,8000,TRUE,10,0)", ErrorKind::Value);
        assert_close("=EFFECT(0.0525,4)", 0.053_542_667, 1e-8);
        assert_close("=NOMINAL(0.053543,4)", 0.052_500_319, 1e-8);
        assert_error("=EFFECT(0.2,0.99)", ErrorKind::Num);
        assert_error("=EFFECT(10,TRUE)", ErrorKind::Value);
        assert_close("=PDURATION(0.2,100,200)", 3.801_784_016_923_926_8, 1e-12);
        assert_close("=RRI(2,3,4)", 0.154_700_538_379_251_46, 1e-12);
        assert_close("=FVSCHEDULE(120,{0.2,0.4,0.6,0.8})", 580.608, 1e-12);
        assert_close("=ISPMT(0.2,1,3,100)", -13.333_333_333_333_334, 1e-12);
    }

    #[test]
    fn npv_counts_typed_values_and_skips_others_in_ranges() {
        let row = [("B1", "10"), ("C1", "20"), ("D1", "TRUE"), ("E1", "x"), ("G1", "10"), ("H1", "20")];
        // Blank, boolean and text cells are skipped: NPV of 10, 20, 10, 20.
        assert_close_in("=NPV(0.1,B1:H1)", &row, 46.793_251_827_060_985);
        // Typed booleans count.
        assert_close("=NPV(0.07,TRUE,7)", 1.0 / 1.07 + 7.0 / (1.07 * 1.07), 1e-12);
        assert_close("=NPV(1,1)", 0.5, 1e-12);
        assert_eq!(eval_in("=NPV(0.1,B1:C1)", &[("B1", "=1/0"), ("C1", "1")]), Value::Error(ErrorKind::Div0));
    }

    #[track_caller]
    fn assert_close_in(formula: &str, cells: &[(&str, &str)], expected: f64) {
        match eval_in(formula, cells) {
            Value::Number(n) => {
                assert!((n - expected).abs() <= 1e-8 * expected.abs().max(1.0), "{formula} = {n}, expected {expected}")
            }
            other => panic!("{formula} gave {other:?}"),
        }
    }

    #[test]
    fn irr_finds_excels_root() {
        assert_close("=IRR({-20,5,5,5,5,5})", 7.930_826_116_039_724e-2, 1e-9);
        // Two real roots (−44% and −139%): Excel returns the one above −100%.
        assert_close("=IRR({-70,12,15})", -0.443_506_941_334_327_55, 1e-9);
        assert_close("=IRR({-5,1})", -0.8, 1e-9);
        assert_close("=IRR({-20,100,10,5,6,5})", 4.110_035_568_323_814, 1e-9);
        assert_close("=IRR({2,3,-4})", -0.149_218_940_641_785_54, 1e-9);
        assert_close("=IRR({-20,5,5,5,5,5},17)", 7.930_826_116_414_913e-2, 1e-9);
        assert_error("=IRR({1,2})", ErrorKind::Num);
        assert_error("=IRR({2,0})", ErrorKind::Num);
        assert_error("=IRR({-1,-1,-1})", ErrorKind::Num);
        assert_error("=IRR({-20,5,5},-1)", ErrorKind::Value);
        assert_error("=IRR(5)", ErrorKind::Num);
        // Text and booleans in ranges are skipped.
        let cells = [("B1", "-20"), ("C1", "5"), ("D1", "x"), ("E1", "TRUE"), ("F1", "5")];
        assert_close_in("=IRR(B1:F1)", &cells, -0.359_611_796_797_791_3);
    }

    #[test]
    fn mirr() {
        assert_close("=MIRR({-120000,39000,30000,21000,37000,46000},0.1,0.12)", 0.126_094_130_365_905_1, 1e-12);
        assert_close("=MIRR({-5,-3},0.1,0.2)", -1.0, 1e-12);
        assert_error("=MIRR({5,6},0.1,0.2)", ErrorKind::Div0);
        assert_error("=MIRR({-50,25,30},0.5,-12)", ErrorKind::Num);
    }

    #[test]
    fn xnpv_and_xirr() {
        let cells = [
            ("B1", "-10000"),
            ("B2", "2750"),
            ("B3", "4250"),
            ("B4", "3250"),
            ("B5", "2750"),
            ("C1", "39448"),
            ("C2", "39508"),
            ("C3", "39751"),
            ("C4", "39859"),
            ("C5", "39904"),
        ];
        assert_close_in("=XNPV(0.09,B1:B5,C1:C5)", &cells, 2_086.647_602);
        assert_close_in("=XIRR(B1:B5,C1:C5)", &cells, 0.373_362_534);
        assert_eq!(eval_in("=XNPV(0,B1:B5,C1:C5)", &cells), Value::Error(ErrorKind::Num));
        assert_eq!(eval_in("=XNPV(0.09,B1:B4,C1:C5)", &cells), Value::Error(ErrorKind::Num));
        // A date before the first one.
        let mut early = cells;
        early[7] = ("C3", "39000");
        assert_eq!(eval_in("=XIRR(B1:B5,C1:C5)", &early), Value::Error(ErrorKind::Num));
        // XIRR: text in values is #VALUE!, XNPV: #NUM!.
        let mut text = cells;
        text[2] = ("B3", "x");
        assert_eq!(eval_in("=XIRR(B1:B5,C1:C5)", &text), Value::Error(ErrorKind::Value));
        assert_eq!(eval_in("=XNPV(0.1,B1:B5,C1:C5)", &text), Value::Error(ErrorKind::Num));
        // Converges near -100% where Newton on the rate would overshoot.
        let near = [
            ("B1", "-400"),
            ("B2", "100"),
            ("B3", "10"),
            ("B4", "5"),
            ("B5", "6"),
            ("B6", "5"),
            ("C1", "44958"),
            ("C2", "44986"),
            ("C3", "45017"),
            ("C4", "45078"),
            ("C5", "45108"),
            ("C6", "45139"),
        ];
        assert_close_in("=XIRR(B1:B6,C1:C6)", &near, -0.997_753_354_697_488_3);
    }

    #[test]
    fn depreciation() {
        assert_close("=SLN(30000,7500,10)", 2250.0, 1e-12);
        assert_close("=SYD(100,5,5.5,5.4)", 5.846_153_846_153_845, 1e-12);
        assert_error("=SYD(100,5,5,5.4)", ErrorKind::Num);
        assert_close("=DB(100,10,5,3,1)", 22.567_920_075, 1e-12);
        assert_close("=DB(12,10,4,4.5,2)", 0.488_799_798_75, 1e-12);
        assert_close("=DB(23,10,4,5,2)", 1.868_731_396_396_230_9, 1e-12);
        assert_error("=DB(100,10,4,3,13)", ErrorKind::Num);
        assert_close("=DDB(100,10,4,3,2.7)", 0.5625, 1e-9);
        assert_close("=DDB(100,10.233,4.2312,3.2,1.5)", 13.532_735_530_775_124, 1e-12);
        assert_error("=DDB(12,10,4,4.5,2)", ErrorKind::Num);
        // Microsoft's VDB examples.
        assert_close("=VDB(2400,300,3650,0,1)", 2400.0 * 2.0 / 3650.0, 1e-12);
        assert_close("=VDB(2400,300,120,0,1)", 40.0, 1e-9);
        assert_close("=VDB(2400,300,10,0,1)", 480.0, 1e-9);
        assert_close("=VDB(2400,300,120,6,18)", 396.306, 1e-5);
        assert_close("=VDB(2400,300,120,6,18,1.5)", 311.808, 1e-5);
        assert_close("=VDB(2400,300,10,0,0.875,1.5)", 315.0, 1e-9);
        // Switching to straight line depreciates to the salvage value exactly.
        assert_close("=VDB(2400,300,10,0,10)", 2100.0, 1e-9);
    }

    #[test]
    fn coupons() {
        let args = "DATE(2020,1,1),DATE(2024,3,17)";
        assert_close(&format!("=COUPDAYS({args},1,0)"), 360.0, 0.0);
        assert_close(&format!("=COUPDAYS({args},1,1)"), 366.0, 0.0);
        assert_close(&format!("=COUPDAYBS({args},1,0)"), 284.0, 0.0);
        assert_close(&format!("=COUPDAYBS({args},1,1)"), 290.0, 0.0);
        assert_close(&format!("=COUPDAYSNC({args},2,0)"), 76.0, 0.0);
        assert_close(&format!("=COUPNCD({args},2,1)"), 43_907.0, 0.0);
        assert_close(&format!("=COUPPCD({args},4,1)"), 43_816.0, 0.0);
        assert_close(&format!("=COUPNUM({args},4,1)"), 17.0, 0.0);
        assert_close(&format!("=COUPDAYS({args},4,3)"), 91.25, 0.0);
        assert_error(&format!("=COUPNUM({args},3,1)"), ErrorKind::Num);
        assert_error(&format!("=COUPNUM({args},2,5)"), ErrorKind::Num);
        assert_error("=COUPNUM(DATE(2024,3,17),DATE(2020,1,1),2)", ErrorKind::Num);
        // Maturity at a month end: every coupon date is a month end.
        assert_close("=COUPPCD(DATE(2020,5,1),DATE(2020,8,31),2)", 43_890.0, 0.0);
    }

    #[test]
    fn bonds() {
        assert_close("=PRICE(DATE(2008,2,15),DATE(2017,11,15),0.0575,0.065,100,2,0)", 94.634_36, 1e-7);
        assert_close("=YIELD(DATE(2008,2,15),DATE(2016,11,15),0.0575,95.04287,100,2,0)", 0.065, 1e-6);
        assert_close("=PRICE(DATE(2020,3,1),DATE(2030,3,1),0.04,0.05,155,1,2)", 126.043_494_015_556_94, 1e-12);
        assert_close("=YIELD(DATE(2020,3,1),DATE(2030,3,1),0.05,43.935041646613442,15,1,1)", 0.065, 1e-9);
        assert_close("=DURATION(DATE(2018,7,1),DATE(2048,1,1),0.08,0.09,2,1)", 10.919_145_3, 1e-8);
        assert_close("=MDURATION(DATE(2008,1,1),DATE(2016,1,1),0.08,0.09,2,1)", 5.735_67, 1e-6);
        assert_close("=DISC(39472,39614,97.975,100,1)", 5.219_366_197_183_125e-2, 1e-12);
        assert_close("=INTRATE(46433,46522,2000001,2040001.02,1)", 8.202_247_191_011_24e-2, 1e-12);
        assert_close("=RECEIVED(DATE(2008,2,15),DATE(2008,5,15),1000000,0.0575,2)", 1_014_584.654, 1e-9);
        assert_close("=PRICEDISC(DATE(2008,2,16),DATE(2008,3,1),0.0525,100,2)", 99.795_833_33, 1e-9);
        assert_close("=YIELDDISC(DATE(2008,2,16),DATE(2008,3,1),99.795,100,2)", 0.052_823, 1e-5);
        assert_close("=PRICEMAT(DATE(2008,2,15),DATE(2008,4,13),DATE(2007,11,11),0.061,0.061,0)", 99.984_498_8, 1e-9);
        assert_close(
            "=YIELDMAT(DATE(2008,3,15),DATE(2008,11,3),DATE(2007,11,8),0.0625,100.0123,0)",
            0.060_954_34,
            1e-7,
        );
    }

    #[test]
    fn accrued_interest() {
        assert_close(
            "=ACCRINT(DATE(2007,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,0)",
            116.944_444_444_444_46,
            1e-12,
        );
        assert_close(
            "=ACCRINT(DATE(2007,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,0,FALSE)",
            66.944_444_444_444_46,
            1e-12,
        );
        assert_close(
            "=ACCRINT(DATE(2017,1,1),DATE(2017,12,1),DATE(2017,4,1),0.33,3000,4,1,FALSE)",
            -253.876_373_626_373_6,
            1e-12,
        );
        // Actual/360 counts whole quasi-coupon periods as one: 88 days, not the 90 elapsed.
        assert_close(
            "=ACCRINT(DATE(2020,12,1),DATE(2021,12,1),DATE(2021,3,1),0.01,750,2,2)",
            1.833_333_333_333_333_5,
            1e-12,
        );
        assert_close(
            "=ACCRINT(DATE(2020,12,26),DATE(2021,12,1),DATE(2021,3,1),0.05,1000,2,1)",
            8.997_628_055_005_107,
            1e-3,
        );
        assert_error("=ACCRINT(DATE(2008,5,1),DATE(2008,9,1),DATE(2008,5,1),0.1,1000,2,0)", ErrorKind::Num);
        assert_error("=ACCRINT(DATE(2008,3,1),DATE(2008,9,1),DATE(2008,5,1),0.1,1000,3,0)", ErrorKind::Num);
        assert_close("=ACCRINTM(39539,39614,0.1,1000,3)", 20.547_945_205_479_45, 1e-12);
        assert_close("=ACCRINTM(DATE(2023,11,15),DATE(2024,3,15),0.1,1000,1)", 33.060_109_289_617_486, 1e-12);
    }

    #[test]
    fn treasury_bills() {
        assert_close("=TBILLEQ(DATE(2008,3,31),DATE(2008,6,1),0.0914)", 0.094_151, 1e-5);
        assert_close("=TBILLPRICE(DATE(2008,3,31),DATE(2008,6,1),0.09)", 98.45, 1e-9);
        assert_close("=TBILLYIELD(DATE(2008,3,31),DATE(2008,6,1),98.45)", 0.091_417, 1e-5);
        assert_close("=TBILLEQ(2040,2400,0.8)", 2.506_604_825_374_814_5, 1e-12);
        assert_close("=TBILLEQ(14640,15006,0.5)", 0.852_296_131_249_170_1, 1e-12);
        // More than a year: #NUM!.
        assert_error("=TBILLEQ(1000,1366,0.5)", ErrorKind::Num);
        assert_error("=TBILLPRICE(45332,45650,1.19)", ErrorKind::Num);
    }

    #[test]
    fn odd_periods() {
        let long = "DATE(2020,3,1),DATE(2030,3,1),DATE(2020,1,15),DATE(2021,3,1)";
        assert_close(&format!("=ODDFPRICE({long},0.075,0.05,120,1,1)"), 131.537_715_586_595_3, 1e-12);
        assert_close(&format!("=ODDFPRICE({long},0.075,0.05,120,1,2)"), 131.447_213_616_502_84, 1e-12);
        assert_close(&format!("=ODDFYIELD({long},0.075,131.53771558659531,120,1,1)"), 0.05, 1e-8);
        let last = "DATE(2020,3,1),DATE(2030,3,1),DATE(2020,1,15)";
        assert_close(&format!("=ODDLPRICE({last},0.075,0.0589,120,2,2)"), 122.367_058_394_175_25, 1e-12);
        assert_close(&format!("=ODDLPRICE({last},0.075,0.02,120,2,4)"), 162.340_277_777_777_77, 1e-12);
        assert_close(&format!("=ODDLYIELD({last},0.075,121.51937811334447,120,2,1)"), 0.06, 1e-9);
        assert_error(&format!("=ODDLPRICE({last},0.075,0.06,120,2,5)"), ErrorKind::Num);
    }

    #[test]
    fn fractional_dollars() {
        assert_close("=DOLLARDE(1.02,16)", 1.125, 1e-12);
        assert_close("=DOLLARDE(12.1234,12)", 13.028_333_333_333_334, 1e-12);
        assert_close("=DOLLARFR(1.125,16)", 1.02, 1e-12);
        assert_close("=DOLLARFR(-0.5,2)", -0.1, 1e-12);
        assert_close("=DOLLARDE(0.01,10)", 0.01, 1e-12);
        assert_error("=DOLLARDE(10,0.5)", ErrorKind::Div0);
        assert_error("=DOLLARDE(10,-2)", ErrorKind::Num);
        assert_error("=DOLLARFR(TRUE,2)", ErrorKind::Value);
    }
}

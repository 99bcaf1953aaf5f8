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
    if start < 1.0 || end < start || end > nper {
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
    if rate == -1.0 {
        return Err(ErrorKind::Div0);
    }
    let mut sum = 0.0;
    let mut factor = 1.0;
    for v in values {
        factor *= 1.0 + rate;
        sum += v / factor;
    }
    Ok(sum.into())
}

/// Solves `Σ cᵢ·xᵗⁱ = 0` for the discount factor `x = 1/(1+r)` by Newton's method from
/// `1/(1+guess)`, returning the rate. Iterating on the discount factor rather than on the
/// rate finds the root Excel finds (for `IRR({-70,12,15})`, −44% and not −139%).
fn solve_discount_factor(
    flows: &[(f64, f64)],
    guess: f64,
    max_iterations: usize,
    epsilon: f64,
) -> Result<f64, ErrorKind> {
    let mut x = 1.0 / (1.0 + guess);
    for _ in 0..max_iterations {
        let (mut f, mut d) = (0.0, 0.0);
        for &(c, t) in flows {
            f += c * x.powf(t);
            if t != 0.0 {
                d += c * t * x.powf(t - 1.0);
            }
        }
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
    if guess <= -1.0 {
        return Err(ErrorKind::Value);
    }
    if !has_sign_change(values.iter().copied()) {
        return Err(ErrorKind::Num);
    }
    let flows: Vec<(f64, f64)> = values.iter().enumerate().map(|(i, &c)| (c, i as f64)).collect();
    Ok(solve_discount_factor(&flows, guess, 20, 1e-7)?.into())
}

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
    Ok(solve_discount_factor(&flows, guess, 100, 1e-10)?.into())
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
    if cost < 0.0 || salvage < 0.0 || life <= 0.0 || period < 1.0 || !(1.0..=12.0).contains(&month) {
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

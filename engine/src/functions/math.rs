//! Math and trigonometry: `SUM`, `PRODUCT`, rounding, powers and logarithms, trigonometry,
//! combinatorics, matrices, `SUBTOTAL` and `AGGREGATE`.

use std::sync::Arc;

use super::FnResult;
use super::args::{self, Numbers};
use crate::eval::{Evaluator, Operand, Source};
use crate::parse::{Callee, Expr};
use crate::value::{Array, ErrorKind, Value, round_significant};

type Special = Result<Operand, ErrorKind>;

// ── Rounding to decimal digits ─────────────────────────────────────────────────────────────

/// How [`round_decimal`] treats the digits it drops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rounding {
    /// Half away from zero (`ROUND`).
    HalfAway,
    /// Away from zero (`ROUNDUP`).
    Up,
    /// Toward zero (`ROUNDDOWN`, `TRUNC`).
    Down,
}

/// Rounds `x` to `digits` decimal places (negative: to the left of the point) working on the
/// 15-significant-digit decimal value of `x`, as Excel does (`ROUND(2.675,2)` is 2.68).
fn round_decimal(x: f64, digits: f64, mode: Rounding) -> f64 {
    round_fast(x, digits, mode).unwrap_or_else(|| round_exact(x, digits, mode))
}

/// Powers of ten that are exact in `f64`.
const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/// [`round_decimal`] in floating point, for the common case where the digits dropped are
/// clearly away from the rounding boundary: the result is then the same as the decimal
/// computation (`m / 10^d` with `m` and `10^d` exact is correctly rounded, like parsing
/// `"me-d"`). `None` when the decimal computation is needed.
fn round_fast(x: f64, digits: f64, mode: Rounding) -> Option<f64> {
    let d = digits.trunc();
    if !(0.0..=15.0).contains(&d) || !x.is_finite() {
        return None;
    }
    let p = POW10[d as usize];
    let y = x.abs() * p;
    if y >= 1e15 {
        return None;
    }
    let whole = y.floor();
    let frac = y - whole;
    // Distance within which the 15-digit decimal value of x may fall on the other side.
    let tol = y * 1e-14 + 1e-300;
    let m = if frac == 0.0 {
        whole
    } else {
        match mode {
            Rounding::HalfAway if (frac - 0.5).abs() <= tol => return None,
            Rounding::HalfAway => whole + f64::from(u8::from(frac > 0.5)),
            _ if frac <= tol || 1.0 - frac <= tol => return None,
            Rounding::Down => whole,
            Rounding::Up => whole + 1.0,
        }
    };
    let r = m / p;
    Some(if x < 0.0 { -r } else { r })
}

/// [`round_decimal`] on the decimal digits of `x`.
fn round_exact(x: f64, digits: f64, mode: Rounding) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = digits.trunc().clamp(-400.0, 400.0) as i32;
    let negative = x < 0.0;
    // 15 significant digits: d.dddddddddddddd e E
    let sci = format!("{:.14e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let ds: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    // Number of significant digits that stay.
    let keep = exponent + 1 + digits;
    if keep >= ds.len() as i32 {
        // Nothing to drop; Excel still returns the 15-digit value.
        let v: f64 = sci.parse().unwrap_or(x.abs());
        return if negative { -v } else { v };
    }
    let mut m: u64 = 0;
    let keep_n = keep.max(0) as usize;
    for &d in &ds[..keep_n.min(ds.len())] {
        m = m * 10 + u64::from(d);
    }
    let dropped = &ds[keep_n.min(ds.len())..];
    let bump = match mode {
        Rounding::HalfAway => keep >= 0 && dropped.first().is_some_and(|&d| d >= 5),
        Rounding::Up => dropped.iter().any(|&d| d != 0) || keep < 0,
        Rounding::Down => false,
    };
    if bump {
        m += 1;
    }
    let v: f64 = format!("{m}e{}", -digits).parse().unwrap_or(0.0);
    if negative { -v } else { v }
}

/// `ROUND(number, num_digits)`
pub(super) fn round(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let d = args::num(a, 1)?;
    Ok(Value::number(round_decimal(x, d, Rounding::HalfAway)))
}

/// `ROUNDUP(number, num_digits)`
pub(super) fn roundup(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let d = args::num(a, 1)?;
    Ok(Value::number(round_decimal(x, d, Rounding::Up)))
}

/// `ROUNDDOWN(number, num_digits)`
pub(super) fn rounddown(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let d = args::num(a, 1)?;
    Ok(Value::number(round_decimal(x, d, Rounding::Down)))
}

/// `TRUNC(number, [num_digits])`
pub(super) fn trunc(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let d = args::num_or(a, 1, 0.0)?;
    Ok(Value::number(round_decimal(x, d, Rounding::Down)))
}

/// `INT(number)`
pub(super) fn int(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.floor()))
}

// ── Simple functions of one number ─────────────────────────────────────────────────────────

/// `ABS(number)`
pub(super) fn abs(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.abs()))
}

/// `SQRT(number)`
pub(super) fn sqrt(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if x < 0.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(x.sqrt()))
}

/// `PI()`
pub(super) fn pi(_: &[Value]) -> FnResult {
    Ok(Value::Number(std::f64::consts::PI))
}

/// `POWER(number, power)`
pub(super) fn power(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let y = args::num(a, 1)?;
    pow(x, y).map(Value::number)
}

/// `x^y` with Excel's errors: `0^0` and roots of negatives are `#NUM!`, `0^-n` is `#DIV/0!`.
fn pow(x: f64, y: f64) -> Result<f64, ErrorKind> {
    if x == 0.0 {
        if y == 0.0 {
            return Err(ErrorKind::Num);
        }
        if y < 0.0 {
            return Err(ErrorKind::Div0);
        }
    }
    let r = x.powf(y);
    if r.is_finite() { Ok(r) } else { Err(ErrorKind::Num) }
}

// ── Aggregates ─────────────────────────────────────────────────────────────────────────────

/// `SUM(number1, …)`
pub(super) fn sum(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    Ok(xs.iter().sum::<f64>().into())
}

/// `PRODUCT(number1, …)`: 0 when there is no number.
pub(super) fn product(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    if xs.is_empty() {
        return Ok(0.0.into());
    }
    Ok(xs.iter().product::<f64>().into())
}

/// `SUMSQ(number1, …)`
pub(super) fn sumsq(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::numbers(ev, a, Numbers::Standard)?;
    Ok(xs.iter().map(|x| x * x).sum::<f64>().into())
}

// ── Signs, exponentials, logarithms ────────────────────────────────────────────────────────

/// `SIGN(number)`
pub(super) fn sign(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    Ok(Value::Number(if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }))
}

/// `EXP(number)`
pub(super) fn exp(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.exp()))
}

/// `LN(number)`
pub(super) fn ln(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if x <= 0.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(x.ln()))
}

/// `LOG10(number)`
pub(super) fn log10(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if x <= 0.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(x.log10()))
}

/// `LOG(number, [base])`
pub(super) fn log(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let base = args::num_or(a, 1, 10.0)?;
    if x <= 0.0 || base <= 0.0 {
        return Err(ErrorKind::Num);
    }
    if base == 1.0 {
        return Err(ErrorKind::Div0);
    }
    if base == 10.0 {
        return Ok(Value::number(x.log10()));
    }
    if base == 2.0 {
        return Ok(Value::number(x.log2()));
    }
    Ok(Value::number(x.ln() / base.ln()))
}

/// `SQRTPI(number)`
pub(super) fn sqrtpi(a: &[Value]) -> FnResult {
    let x = atp_num(a, 0)?;
    if x < 0.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number((x * std::f64::consts::PI).sqrt()))
}

// ── Trigonometry ───────────────────────────────────────────────────────────────────────────

/// Excel refuses the circular functions of arguments of 2^27 and more.
const TRIG_LIMIT: f64 = 134_217_728.0;

fn trig_arg(a: &[Value]) -> Result<f64, ErrorKind> {
    let x = args::num(a, 0)?;
    if x.abs() >= TRIG_LIMIT { Err(ErrorKind::Num) } else { Ok(x) }
}

/// `SIN(number)`
pub(super) fn sin(a: &[Value]) -> FnResult {
    Ok(Value::number(trig_arg(a)?.sin()))
}

/// `COS(number)`
pub(super) fn cos(a: &[Value]) -> FnResult {
    Ok(Value::number(trig_arg(a)?.cos()))
}

/// `TAN(number)`
pub(super) fn tan(a: &[Value]) -> FnResult {
    Ok(Value::number(trig_arg(a)?.tan()))
}

/// `COT(number)`
pub(super) fn cot(a: &[Value]) -> FnResult {
    let x = trig_arg(a)?;
    if x == 0.0 {
        return Err(ErrorKind::Div0);
    }
    Ok(Value::number(1.0 / x.tan()))
}

/// `CSC(number)`
pub(super) fn csc(a: &[Value]) -> FnResult {
    let x = trig_arg(a)?;
    if x == 0.0 {
        return Err(ErrorKind::Div0);
    }
    Ok(Value::number(1.0 / x.sin()))
}

/// `SEC(number)`
pub(super) fn sec(a: &[Value]) -> FnResult {
    Ok(Value::number(1.0 / trig_arg(a)?.cos()))
}

/// `ASIN(number)`
pub(super) fn asin(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if !(-1.0..=1.0).contains(&x) {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(x.asin()))
}

/// `ACOS(number)`
pub(super) fn acos(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if !(-1.0..=1.0).contains(&x) {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(x.acos()))
}

/// `ATAN(number)`
pub(super) fn atan(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.atan()))
}

/// `ACOT(number)`: in (0, π).
pub(super) fn acot(a: &[Value]) -> FnResult {
    Ok(Value::number(std::f64::consts::FRAC_PI_2 - args::num(a, 0)?.atan()))
}

/// `ATAN2(x_num, y_num)`
pub(super) fn atan2(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let y = args::num(a, 1)?;
    if x == 0.0 && y == 0.0 {
        return Err(ErrorKind::Div0);
    }
    Ok(Value::number(y.atan2(x)))
}

/// `SINH(number)`
pub(super) fn sinh(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.sinh()))
}

/// `COSH(number)`
pub(super) fn cosh(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.cosh()))
}

/// `TANH(number)`
pub(super) fn tanh(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.tanh()))
}

/// `COTH(number)`
pub(super) fn coth(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if x == 0.0 {
        return Err(ErrorKind::Div0);
    }
    Ok(Value::number(1.0 / x.tanh()))
}

/// `CSCH(number)`
pub(super) fn csch(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if x == 0.0 {
        return Err(ErrorKind::Div0);
    }
    Ok(Value::number(1.0 / x.sinh()))
}

/// `SECH(number)`
pub(super) fn sech(a: &[Value]) -> FnResult {
    Ok(Value::number(1.0 / args::num(a, 0)?.cosh()))
}

/// `ASINH(number)`
pub(super) fn asinh(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.asinh()))
}

/// `ACOSH(number)`
pub(super) fn acosh(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if x < 1.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(x.acosh()))
}

/// `ATANH(number)`
pub(super) fn atanh(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if x.abs() >= 1.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(x.atanh()))
}

/// `ACOTH(number)`
pub(super) fn acoth(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    if x.abs() <= 1.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(0.5 * ((x + 1.0) / (x - 1.0)).ln()))
}

/// `DEGREES(angle)`
pub(super) fn degrees(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.to_degrees()))
}

/// `RADIANS(angle)`
pub(super) fn radians(a: &[Value]) -> FnResult {
    Ok(Value::number(args::num(a, 0)?.to_radians()))
}

// ── Integer division and multiples ─────────────────────────────────────────────────────────

/// `MOD(number, divisor)`: the result has the sign of the divisor.
pub(super) fn mod_(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?;
    let d = args::num(a, 1)?;
    if d == 0.0 {
        return Err(ErrorKind::Div0);
    }
    let q = (n / d).floor();
    let r = n - d * q;
    Ok(Value::number(r))
}

/// `QUOTIENT(numerator, denominator)`
pub(super) fn quotient(a: &[Value]) -> FnResult {
    let n = atp_num(a, 0)?;
    let d = atp_num(a, 1)?;
    if d == 0.0 {
        return Err(ErrorKind::Div0);
    }
    Ok(Value::number((n / d).trunc()))
}

/// A quotient as Excel sees it before taking its integer part (15 significant digits), so
/// that `0.3/0.1` is 3.
fn clean_quotient(n: f64, d: f64) -> f64 {
    round_significant(n / d, 15)
}

/// A whole number of multiples, at 15 significant digits (`7*0.2` is 1.4, not
/// 1.4000000000000001).
fn clean_product(count: f64, multiple: f64) -> f64 {
    round_significant(count * multiple, 15)
}

/// `MROUND(number, multiple)`: an empty argument is `#N/A`.
pub(super) fn mround(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    atp_call(ev, a, mround_values)
}

fn mround_values(a: &[Value]) -> FnResult {
    let n = atp_num(a, 0)?;
    let m = atp_num(a, 1)?;
    if m == 0.0 || n == 0.0 {
        return Ok(Value::Number(0.0));
    }
    if (n > 0.0) != (m > 0.0) {
        return Err(ErrorKind::Num);
    }
    let q = round_decimal(n / m, 0.0, Rounding::HalfAway);
    Ok(Value::number(clean_product(q, m)))
}

/// `CEILING(number, significance)`
pub(super) fn ceiling(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?;
    let s = args::num(a, 1)?;
    if n == 0.0 || s == 0.0 {
        return Ok(Value::Number(0.0));
    }
    if n > 0.0 && s < 0.0 {
        return Err(ErrorKind::Num);
    }
    let q = clean_quotient(n, s);
    // A negative number with a negative significance rounds away from zero; with a positive
    // significance toward zero: both are the ceiling of the quotient.
    Ok(Value::number(clean_product(q.ceil(), s)))
}

/// `FLOOR(number, significance)`
pub(super) fn floor(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?;
    let s = args::num(a, 1)?;
    if n == 0.0 {
        return Ok(Value::Number(0.0));
    }
    if s == 0.0 {
        return Err(ErrorKind::Div0);
    }
    if n > 0.0 && s < 0.0 {
        return Err(ErrorKind::Num);
    }
    let q = clean_quotient(n, s);
    Ok(Value::number(clean_product(q.floor(), s)))
}

/// Rounds `n` to a multiple of `|s|`: up (toward +∞) or down, or away from zero / toward
/// zero for negative numbers when `mode` says so.
fn to_multiple(n: f64, s: f64, up: bool, away_for_negative: bool) -> f64 {
    let s = s.abs();
    if s == 0.0 || n == 0.0 {
        return 0.0;
    }
    let q = clean_quotient(n, s);
    let r = if n < 0.0 && away_for_negative {
        if up { q.floor() } else { q.ceil() }
    } else if up {
        q.ceil()
    } else {
        q.floor()
    };
    clean_product(r, s)
}

/// `CEILING.MATH(number, [significance], [mode])`
pub(super) fn ceiling_math(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?;
    let s = opt_num(a, 1, 1.0)?;
    let mode = opt_num(a, 2, 0.0)?;
    Ok(Value::number(to_multiple(n, s, true, mode != 0.0)))
}

/// `FLOOR.MATH(number, [significance], [mode])`
pub(super) fn floor_math(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?;
    let s = opt_num(a, 1, 1.0)?;
    let mode = opt_num(a, 2, 0.0)?;
    Ok(Value::number(to_multiple(n, s, false, mode != 0.0)))
}

/// `CEILING.PRECISE(number, [significance])`, also `ISO.CEILING`.
pub(super) fn ceiling_precise(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?;
    let s = opt_num(a, 1, 1.0)?;
    Ok(Value::number(to_multiple(n, s, true, false)))
}

/// `FLOOR.PRECISE(number, [significance])`
pub(super) fn floor_precise(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?;
    let s = opt_num(a, 1, 1.0)?;
    Ok(Value::number(to_multiple(n, s, false, false)))
}

/// An optional numeric argument: `default` when absent (an empty argument is 0).
fn opt_num(a: &[Value], i: usize, default: f64) -> Result<f64, ErrorKind> {
    args::num_or(a, i, default)
}

/// A numeric argument of a function that came from the Analysis ToolPak (`QUOTIENT`,
/// `MROUND`, `SQRTPI`…): like any number, except that booleans are `#VALUE!`.
fn atp_num(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    match a.get(i) {
        Some(Value::Bool(_)) | None => Err(ErrorKind::Value),
        Some(v) => v.to_number(),
    }
}

/// Calls a scalar function the way the Analysis ToolPak functions are called: an argument
/// left empty (`MROUND(,2)`) is `#N/A`; arrays apply element by element.
fn atp_call(ev: &mut Evaluator<'_>, a: &[Expr], f: super::ScalarFn) -> Special {
    if a.iter().any(|e| matches!(e, Expr::Missing)) {
        return Err(ErrorKind::NA);
    }
    let values: Vec<Value> = a.iter().map(|e| ev.value(e)).collect();
    Ok(crate::eval::lift(f, &values).into())
}

/// `EVEN(number)`
pub(super) fn even(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let r = (x.abs() / 2.0).ceil() * 2.0;
    Ok(Value::number(if x < 0.0 { -r } else { r }))
}

/// `ODD(number)`
pub(super) fn odd(a: &[Value]) -> FnResult {
    let x = args::num(a, 0)?;
    let r = ((x.abs() + 1.0) / 2.0).ceil() * 2.0 - 1.0;
    Ok(Value::number(if x < 0.0 { -r } else { r }))
}

// ── Combinatorics ──────────────────────────────────────────────────────────────────────────

fn factorial(n: f64) -> Result<f64, ErrorKind> {
    if n < 0.0 {
        return Err(ErrorKind::Num);
    }
    let n = n.trunc();
    if n > 170.0 {
        return Err(ErrorKind::Num);
    }
    let mut r = 1.0;
    let mut i = 2.0;
    while i <= n {
        r *= i;
        i += 1.0;
    }
    Ok(r)
}

/// `FACT(number)`
pub(super) fn fact(a: &[Value]) -> FnResult {
    factorial(args::num(a, 0)?).map(Value::number)
}

/// `FACTDOUBLE(number)`
pub(super) fn factdouble(a: &[Value]) -> FnResult {
    let n = atp_num(a, 0)?.trunc();
    if n < -1.0 {
        return Err(ErrorKind::Num);
    }
    let mut r = 1.0;
    let mut i = n;
    while i > 1.0 {
        r *= i;
        i -= 2.0;
    }
    Ok(Value::number(r))
}

fn combinations(n: f64, k: f64) -> Result<f64, ErrorKind> {
    let (n, k) = (n.trunc(), k.trunc());
    if n < 0.0 || k < 0.0 || n < k {
        return Err(ErrorKind::Num);
    }
    let k = k.min(n - k);
    let mut r = 1.0;
    let mut i = 1.0;
    while i <= k {
        r = r * (n - k + i) / i;
        i += 1.0;
    }
    let r = r.round();
    if r.is_finite() { Ok(r) } else { Err(ErrorKind::Num) }
}

/// `COMBIN(number, number_chosen)`
pub(super) fn combin(a: &[Value]) -> FnResult {
    combinations(args::num(a, 0)?, args::num(a, 1)?).map(Value::number)
}

/// `COMBINA(number, number_chosen)`
pub(super) fn combina(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?.trunc();
    let k = args::num(a, 1)?.trunc();
    if n < 0.0 || k < 0.0 {
        return Err(ErrorKind::Num);
    }
    if n == 0.0 && k == 0.0 {
        return Ok(Value::Number(1.0));
    }
    combinations(n + k - 1.0, k).map(Value::number)
}

/// The numbers of the Analysis ToolPak aggregates (`GCD`, `LCM`, `MULTINOMIAL`): text
/// converts (or is `#VALUE!`) wherever it is, booleans are `#VALUE!`, an empty argument is
/// `#N/A`; an empty cell counts as 0 inside a range or array but is skipped when referenced
/// alone; no value at all is `#VALUE!`.
fn atp_numbers(ev: &mut Evaluator<'_>, a: &[Expr]) -> Result<Vec<f64>, ErrorKind> {
    let mut out = Vec::new();
    let mut any_range = false;
    for e in a {
        if matches!(e, Expr::Missing) {
            return Err(ErrorKind::NA);
        }
        let op = ev.eval(e);
        let values: Vec<Value> = match op {
            Operand::Ref(area) if area.is_cell() => vec![ev.cell_value(area.top_left())],
            Operand::Value(Value::Array(_)) | Operand::Ref(_) | Operand::Refs(_) => {
                any_range = true;
                let arr = match op {
                    Operand::Refs(areas) => {
                        let mut vs = Vec::new();
                        for area in areas.iter() {
                            vs.extend(ev.area_array(area).into_values());
                        }
                        vs
                    }
                    op => Arc::unwrap_or_clone(ev.operand_array(op)?).into_values(),
                };
                arr.into_iter().map(|v| if matches!(v, Value::Blank) { Value::Number(0.0) } else { v }).collect()
            }
            Operand::Value(v) => vec![v],
            Operand::Lambda(_) => vec![Value::Error(ErrorKind::Calc)],
        };
        for v in values {
            match v {
                Value::Blank => {}
                Value::Bool(_) => return Err(ErrorKind::Value),
                v => out.push(v.to_number()?),
            }
        }
    }
    if out.is_empty() && !any_range {
        return Err(ErrorKind::Value);
    }
    Ok(out)
}

/// `MULTINOMIAL(number1, …)`
pub(super) fn multinomial(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = atp_numbers(ev, a)?;
    let mut total = 0.0;
    let mut r = 1.0;
    for x in xs {
        if x < 0.0 {
            return Err(ErrorKind::Num);
        }
        let x = x.trunc();
        total += x;
        r *= combinations(total, x)?;
    }
    Ok(r.into())
}

/// Integers of `GCD`/`LCM`: truncated; negatives and numbers of 2^53 or more are `#NUM!`.
fn integer_args(ev: &mut Evaluator<'_>, a: &[Expr]) -> Result<Vec<f64>, ErrorKind> {
    let xs = atp_numbers(ev, a)?;
    xs.into_iter().map(|x| if !(0.0..TWO_53).contains(&x) { Err(ErrorKind::Num) } else { Ok(x.trunc()) }).collect()
}

/// 2^53: integers above it are not exact.
const TWO_53: f64 = 9_007_199_254_740_992.0;

fn gcd2(mut a: f64, mut b: f64) -> f64 {
    while b != 0.0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// `GCD(number1, …)`
pub(super) fn gcd(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = integer_args(ev, a)?;
    Ok(xs.into_iter().fold(0.0, gcd2).into())
}

/// `LCM(number1, …)`
pub(super) fn lcm(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = integer_args(ev, a)?;
    let mut r = 1.0;
    for x in xs {
        if x == 0.0 {
            return Ok(0.0.into());
        }
        r = r / gcd2(r, x) * x;
    }
    if r >= TWO_53 {
        return Err(ErrorKind::Num);
    }
    Ok(r.into())
}

// ── Sums over arrays ───────────────────────────────────────────────────────────────────────

/// `SUMPRODUCT(array1, [array2], …)`: arrays of equal dimensions; non-numbers count as 0.
pub(super) fn sumproduct(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let mut arrays = Vec::with_capacity(a.len());
    for e in a {
        if matches!(e, Expr::Missing) {
            return Err(ErrorKind::Value);
        }
        arrays.push(ev.array(e)?);
    }
    let Some(first) = arrays.first() else { return Err(ErrorKind::Value) };
    let (rows, cols) = (first.rows(), first.cols());
    if arrays.iter().any(|x| x.rows() != rows || x.cols() != cols) {
        return Err(ErrorKind::Value);
    }
    let mut total = 0.0;
    for i in 0..rows * cols {
        let mut p = 1.0;
        for arr in &arrays {
            match &arr.values()[i] {
                Value::Number(n) => p *= n,
                Value::Error(e) => return Err(*e),
                _ => p = 0.0,
            }
        }
        total += p;
    }
    Ok(total.into())
}

/// The values of an array argument, for `SUMX2MY2` and `MMULT`.
fn array_arg(ev: &mut Evaluator<'_>, e: &Expr) -> Result<Arc<Array>, ErrorKind> {
    ev.array(e)
}

fn sum_pairs(ev: &mut Evaluator<'_>, a: &[Expr], f: fn(f64, f64) -> f64) -> Special {
    let x = array_arg(ev, &a[0])?;
    let y = array_arg(ev, &a[1])?;
    if x.values().len() != y.values().len() {
        return Err(ErrorKind::NA);
    }
    let mut total = 0.0;
    for (p, q) in x.values().iter().zip(y.values()) {
        match (p, q) {
            (Value::Error(e), _) | (_, Value::Error(e)) => return Err(*e),
            (Value::Number(p), Value::Number(q)) => total += f(*p, *q),
            _ => {}
        }
    }
    Ok(total.into())
}

/// `SUMX2MY2(array_x, array_y)`
pub(super) fn sumx2my2(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    sum_pairs(ev, a, |x, y| x * x - y * y)
}

/// `SUMX2PY2(array_x, array_y)`
pub(super) fn sumx2py2(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    sum_pairs(ev, a, |x, y| x * x + y * y)
}

/// `SUMXMY2(array_x, array_y)`
pub(super) fn sumxmy2(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    sum_pairs(ev, a, |x, y| (x - y) * (x - y))
}

/// A single numeric argument of a special Analysis ToolPak function (booleans are `#VALUE!`).
fn atp_scalar(ev: &mut Evaluator<'_>, a: &[Expr], i: usize) -> Result<f64, ErrorKind> {
    if matches!(a.get(i), Some(Expr::Missing)) {
        return Err(ErrorKind::NA);
    }
    atp_num(&[args::scalar(ev, a, i)], 0)
}

/// `SERIESSUM(x, n, m, coefficients)`
pub(super) fn seriessum(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let x = atp_scalar(ev, a, 0)?;
    let n = atp_scalar(ev, a, 1)?;
    let m = atp_scalar(ev, a, 2)?;
    let coefs = array_arg(ev, &a[3])?;
    let mut total = 0.0;
    for (i, c) in coefs.values().iter().enumerate() {
        let c = match c {
            Value::Number(c) => *c,
            Value::Error(e) => return Err(*e),
            _ => return Err(ErrorKind::Value),
        };
        total += c * pow(x, n + i as f64 * m)?;
    }
    Ok(total.into())
}

// ── Matrices ───────────────────────────────────────────────────────────────────────────────

/// A numeric matrix from an array argument: any non-number is `#VALUE!`.
fn matrix(ev: &mut Evaluator<'_>, e: &Expr) -> Result<(usize, usize, Vec<f64>), ErrorKind> {
    let arr = array_arg(ev, e)?;
    let mut out = Vec::with_capacity(arr.values().len());
    for v in arr.values() {
        match v {
            Value::Number(n) => out.push(*n),
            Value::Error(e) => return Err(*e),
            _ => return Err(ErrorKind::Value),
        }
    }
    Ok((arr.rows(), arr.cols(), out))
}

fn number_array(rows: usize, cols: usize, xs: Vec<f64>) -> Operand {
    Operand::Value(Value::from(Array::new(rows, cols, xs.into_iter().map(Value::number).collect())))
}

/// `MMULT(array1, array2)`
pub(super) fn mmult(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let (r1, c1, x) = matrix(ev, &a[0])?;
    let (r2, c2, y) = matrix(ev, &a[1])?;
    if c1 != r2 {
        return Err(ErrorKind::Value);
    }
    let mut out = vec![0.0; r1 * c2];
    for i in 0..r1 {
        for j in 0..c2 {
            out[i * c2 + j] = (0..c1).map(|k| x[i * c1 + k] * y[k * c2 + j]).sum();
        }
    }
    Ok(number_array(r1, c2, out))
}

/// LU decomposition with partial pivoting; returns the determinant.
fn determinant(n: usize, mut m: Vec<f64>) -> f64 {
    let mut det = 1.0;
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| m[i * n + k].abs().total_cmp(&m[j * n + k].abs())).unwrap_or(k);
        if m[p * n + k] == 0.0 {
            return 0.0;
        }
        if p != k {
            for j in 0..n {
                m.swap(p * n + j, k * n + j);
            }
            det = -det;
        }
        let pivot = m[k * n + k];
        det *= pivot;
        for i in k + 1..n {
            let f = m[i * n + k] / pivot;
            for j in k..n {
                m[i * n + j] -= f * m[k * n + j];
            }
        }
    }
    det
}

/// `MDETERM(array)`
pub(super) fn mdeterm(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let (r, c, m) = matrix(ev, &a[0])?;
    if r != c {
        return Err(ErrorKind::Value);
    }
    Ok(determinant(r, m).into())
}

/// `MINVERSE(array)`: `#NUM!` for a singular matrix.
pub(super) fn minverse(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let (r, c, mut m) = matrix(ev, &a[0])?;
    if r != c {
        return Err(ErrorKind::Value);
    }
    let n = r;
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        inv[i * n + i] = 1.0;
    }
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| m[i * n + k].abs().total_cmp(&m[j * n + k].abs())).unwrap_or(k);
        if m[p * n + k] == 0.0 {
            return Err(ErrorKind::Num);
        }
        if p != k {
            for j in 0..n {
                m.swap(p * n + j, k * n + j);
                inv.swap(p * n + j, k * n + j);
            }
        }
        let pivot = m[k * n + k];
        for j in 0..n {
            m[k * n + j] /= pivot;
            inv[k * n + j] /= pivot;
        }
        for i in 0..n {
            if i != k {
                let f = m[i * n + k];
                if f != 0.0 {
                    for j in 0..n {
                        m[i * n + j] -= f * m[k * n + j];
                        inv[i * n + j] -= f * inv[k * n + j];
                    }
                }
            }
        }
    }
    Ok(number_array(n, n, inv))
}

/// `MUNIT(dimension)`
pub(super) fn munit(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?.trunc();
    if !(1.0..=1_048_576.0).contains(&n) {
        return Err(ErrorKind::Value);
    }
    let n = n as usize;
    let mut out = vec![Value::Number(0.0); n * n];
    for i in 0..n {
        out[i * n + i] = Value::Number(1.0);
    }
    Ok(Value::from(Array::new(n, n, out)))
}

// ── Roman numerals and bases ───────────────────────────────────────────────────────────────

/// Subtractive pairs allowed by each `ROMAN` form, on top of the classic ones.
const ROMAN_PAIRS: [&[(u32, &str)]; 5] = [
    &[(900, "CM"), (400, "CD"), (90, "XC"), (40, "XL"), (9, "IX"), (4, "IV")],
    &[(950, "LM"), (450, "LD"), (95, "VC"), (45, "VL")],
    &[(990, "XM"), (490, "XD"), (99, "IC"), (49, "IL")],
    &[(995, "VM"), (495, "VD")],
    &[(999, "IM"), (499, "ID")],
];

fn to_roman(mut n: u32, form: usize) -> String {
    let mut table: Vec<(u32, &str)> =
        vec![(1000, "M"), (500, "D"), (100, "C"), (50, "L"), (10, "X"), (5, "V"), (1, "I")];
    for pairs in &ROMAN_PAIRS[..=form] {
        table.extend_from_slice(pairs);
    }
    table.sort_by_key(|&(v, _)| std::cmp::Reverse(v));
    let mut s = String::new();
    for (v, sym) in table {
        while n >= v {
            s.push_str(sym);
            n -= v;
        }
    }
    s
}

/// `ROMAN(number, [form])`
pub(super) fn roman(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?.trunc();
    let form = match a.get(1) {
        None => 0.0,
        Some(Value::Bool(true)) => 0.0,
        Some(Value::Bool(false)) => 4.0,
        Some(v) => v.to_number()?.trunc(),
    };
    if !(0.0..=3999.0).contains(&n) || !(0.0..=4.0).contains(&form) {
        return Err(ErrorKind::Value);
    }
    Ok(Value::from(to_roman(n as u32, form as usize)))
}

/// `ARABIC(text)`
pub(super) fn arabic(a: &[Value]) -> FnResult {
    let t = args::text(a, 0)?;
    let t = t.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    if body.len() > 255 {
        return Err(ErrorKind::Value);
    }
    let mut total: i64 = 0;
    let mut prev: i64 = 0;
    for ch in body.chars().rev() {
        let v = match ch.to_ascii_uppercase() {
            'I' => 1,
            'V' => 5,
            'X' => 10,
            'L' => 50,
            'C' => 100,
            'D' => 500,
            'M' => 1000,
            _ => return Err(ErrorKind::Value),
        };
        if v < prev {
            total -= v;
        } else {
            total += v;
            prev = v;
        }
    }
    let total = total as f64;
    Ok(Value::Number(if negative { -total } else { total }))
}

/// `BASE(number, radix, [min_length])`
pub(super) fn base(a: &[Value]) -> FnResult {
    let n = args::num(a, 0)?.trunc();
    let radix = args::num(a, 1)?.trunc();
    let min_len = args::num_or(a, 2, 0.0)?.trunc();
    if !(0.0..9_007_199_254_740_992.0).contains(&n)
        || !(2.0..=36.0).contains(&radix)
        || !(0.0..=255.0).contains(&min_len)
    {
        return Err(ErrorKind::Num);
    }
    let radix = radix as u64;
    let mut v = n as u64;
    let mut digits = Vec::new();
    loop {
        let d = (v % radix) as u32;
        digits.push(char::from_digit(d, radix as u32).map_or('0', |c| c.to_ascii_uppercase()));
        v /= radix;
        if v == 0 {
            break;
        }
    }
    while digits.len() < min_len as usize {
        digits.push('0');
    }
    Ok(Value::from(digits.iter().rev().collect::<String>()))
}

/// `DECIMAL(text, radix)`
pub(super) fn decimal(a: &[Value]) -> FnResult {
    let t = args::text(a, 0)?;
    let radix = args::num(a, 1)?.trunc();
    if !(2.0..=36.0).contains(&radix) {
        return Err(ErrorKind::Num);
    }
    if t.len() > 255 {
        return Err(ErrorKind::Value);
    }
    let mut body: &str = &t;
    if radix == 16.0 {
        body = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")).unwrap_or(body);
        body = body.strip_suffix(['h', 'H']).unwrap_or(body);
    } else if radix == 2.0 {
        body = body.strip_suffix(['b', 'B']).unwrap_or(body);
    }
    let mut total = 0.0;
    for ch in body.chars() {
        let d = ch.to_digit(radix as u32).ok_or(ErrorKind::Num)?;
        total = total * radix + f64::from(d);
    }
    Ok(Value::number(total))
}

// ── SUBTOTAL and AGGREGATE ─────────────────────────────────────────────────────────────────

/// Does the cell hold a formula that calls `SUBTOTAL` or `AGGREGATE` (which these two
/// functions skip in their ranges)?
fn is_subtotal_cell(ev: &Evaluator<'_>, cell: crate::address::CellRef) -> bool {
    let wb = ev.workbook();
    let Some(crate::workbook::CellContent::Formula(id)) = wb.cell(cell) else { return false };
    let Ok(expr) = &wb.formula(*id).expr else { return false };
    let mut found = false;
    expr.walk(&mut |e| {
        if let Expr::Call { callee: Callee::Builtin(f), .. } = e {
            found |= matches!(f.def().name, "SUBTOTAL" | "AGGREGATE");
        }
    });
    found
}

/// The values that `SUBTOTAL`/`AGGREGATE` see in their reference arguments: nested
/// subtotals are skipped when `skip_nested`; arrays and direct values are taken as they are.
fn collect_values(ev: &mut Evaluator<'_>, a: &[Expr], skip_nested: bool) -> Result<Vec<(Source, Value)>, ErrorKind> {
    let mut out = Vec::new();
    for e in a {
        match ev.eval(e) {
            Operand::Ref(area) => collect_area(ev, &area, skip_nested, &mut out)?,
            Operand::Refs(areas) => {
                for area in areas.iter() {
                    collect_area(ev, area, skip_nested, &mut out)?;
                }
            }
            Operand::Value(Value::Array(arr)) => out.extend(arr.values().iter().map(|v| (Source::Array, v.clone()))),
            Operand::Value(v) => out.push((Source::Direct, v)),
            Operand::Lambda(_) => return Err(ErrorKind::Calc),
        }
    }
    Ok(out)
}

fn collect_area(
    ev: &mut Evaluator<'_>,
    area: &crate::address::Area,
    skip_nested: bool,
    out: &mut Vec<(Source, Value)>,
) -> Result<(), ErrorKind> {
    let mut cells = Vec::new();
    ev.visit_area(area, &mut |cell, v| {
        cells.push((cell, v));
        Ok(())
    })?;
    for (cell, v) in cells {
        if skip_nested && is_subtotal_cell(ev, cell) {
            continue;
        }
        out.push((Source::Reference, v));
    }
    Ok(())
}

/// The aggregate functions of `SUBTOTAL` (1–11) and `AGGREGATE` (1–19).
fn aggregate_numbers(func: u32, xs: &mut [f64], k: Option<f64>) -> Result<f64, ErrorKind> {
    let n = xs.len() as f64;
    let mean = || xs.iter().sum::<f64>() / n;
    let sq_dev = |m: f64| xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>();
    match func {
        1 => {
            if xs.is_empty() {
                return Err(ErrorKind::Div0);
            }
            Ok(mean())
        }
        2 => Ok(n),
        4 => Ok(if xs.is_empty() { 0.0 } else { xs.iter().copied().fold(f64::NEG_INFINITY, f64::max) }),
        5 => Ok(if xs.is_empty() { 0.0 } else { xs.iter().copied().fold(f64::INFINITY, f64::min) }),
        6 => Ok(if xs.is_empty() { 0.0 } else { xs.iter().product() }),
        7 | 10 => {
            if xs.len() < 2 {
                return Err(ErrorKind::Div0);
            }
            let v = sq_dev(mean()) / (n - 1.0);
            Ok(if func == 7 { v.sqrt() } else { v })
        }
        8 | 11 => {
            if xs.is_empty() {
                return Err(ErrorKind::Div0);
            }
            let v = sq_dev(mean()) / n;
            Ok(if func == 8 { v.sqrt() } else { v })
        }
        9 => Ok(xs.iter().sum()),
        12 => {
            if xs.is_empty() {
                return Err(ErrorKind::Num);
            }
            xs.sort_by(f64::total_cmp);
            let m = xs.len() / 2;
            Ok(if xs.len() % 2 == 1 { xs[m] } else { (xs[m - 1] + xs[m]) / 2.0 })
        }
        13 => {
            // The first value (in order of appearance) among those repeated most often.
            let mut best: Option<(f64, usize)> = None;
            for (i, &x) in xs.iter().enumerate() {
                let count = xs[i..].iter().filter(|&&y| y == x).count();
                if count > 1 && best.is_none_or(|(_, c)| count > c) && !xs[..i].contains(&x) {
                    best = Some((x, count));
                }
            }
            best.map(|(x, _)| x).ok_or(ErrorKind::NA)
        }
        14 | 15 => {
            let k = k.ok_or(ErrorKind::Value)?.ceil();
            if xs.is_empty() || k < 1.0 || k > n {
                return Err(ErrorKind::Num);
            }
            xs.sort_by(f64::total_cmp);
            let i = k as usize - 1;
            Ok(if func == 14 { xs[xs.len() - 1 - i] } else { xs[i] })
        }
        16 | 17 => {
            let mut p = k.ok_or(ErrorKind::Value)?;
            if func == 17 {
                p = p.trunc();
                if !(0.0..=4.0).contains(&p) {
                    return Err(ErrorKind::Num);
                }
                p /= 4.0;
            }
            if xs.is_empty() || !(0.0..=1.0).contains(&p) {
                return Err(ErrorKind::Num);
            }
            xs.sort_by(f64::total_cmp);
            let h = (n - 1.0) * p;
            let lo = h.floor() as usize;
            let frac = h - h.floor();
            let hi = (lo + 1).min(xs.len() - 1);
            Ok(xs[lo] + frac * (xs[hi] - xs[lo]))
        }
        18 | 19 => {
            let mut p = k.ok_or(ErrorKind::Value)?;
            if func == 19 {
                p = p.trunc();
                if !(1.0..=3.0).contains(&p) {
                    return Err(ErrorKind::Num);
                }
                p /= 4.0;
            }
            if xs.is_empty() || p <= 0.0 || p >= 1.0 {
                return Err(ErrorKind::Num);
            }
            xs.sort_by(f64::total_cmp);
            let h = (n + 1.0) * p;
            if h < 1.0 || h > n {
                return Err(ErrorKind::Num);
            }
            let lo = h.floor() as usize - 1;
            let frac = h - h.floor();
            let hi = (lo + 1).min(xs.len() - 1);
            Ok(xs[lo] + frac * (xs[hi] - xs[lo]))
        }
        _ => Err(ErrorKind::Value),
    }
}

/// `SUBTOTAL(function_num, ref1, …)`: nested `SUBTOTAL`/`AGGREGATE` cells are skipped.
pub(super) fn subtotal(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let f = args::scalar_num(ev, a, 0)?.trunc();
    let func = if (1.0..=11.0).contains(&f) {
        f as u32
    } else if (101.0..=111.0).contains(&f) {
        f as u32 - 100
    } else {
        return Err(ErrorKind::Value);
    };
    let values = collect_values(ev, &a[1..], true)?;
    aggregate_values(func, values, false, None)
}

fn aggregate_values(func: u32, values: Vec<(Source, Value)>, skip_errors: bool, k: Option<f64>) -> Special {
    if func == 3 {
        let mut n = 0.0;
        for (src, v) in values {
            match (src, v) {
                (Source::Direct, _) => n += 1.0,
                (_, Value::Blank) => {}
                (_, Value::Error(_)) if skip_errors => {}
                _ => n += 1.0,
            }
        }
        return Ok(n.into());
    }
    let mut xs = Vec::new();
    for (src, v) in values {
        match (src, v) {
            (_, Value::Number(n)) => xs.push(n),
            (_, Value::Error(_)) if skip_errors || func == 2 => {}
            (_, Value::Error(e)) => return Err(e),
            (Source::Direct, v) if func != 2 => xs.push(v.to_number()?),
            (Source::Direct, v) if v.to_number().is_ok() => xs.push(0.0),
            _ => {}
        }
    }
    Ok(aggregate_numbers(func, &mut xs, k)?.into())
}

/// `AGGREGATE(function_num, options, ref1, …)` and `AGGREGATE(function_num, options,
/// array, k)`.
pub(super) fn aggregate(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let func = args::scalar_num(ev, a, 0)?.trunc();
    let options = match a.get(1) {
        None | Some(Expr::Missing) => 0.0,
        Some(_) => args::scalar_num(ev, a, 1)?.trunc(),
    };
    if !(1.0..=19.0).contains(&func) || !(0.0..=7.0).contains(&options) {
        return Err(ErrorKind::Value);
    }
    if a.len() < 3 {
        return Err(ErrorKind::Value);
    }
    let func = func as u32;
    let options = options as u32;
    let skip_nested = options <= 3;
    let skip_errors = matches!(options, 2 | 3 | 6 | 7);
    let (refs, k) = if func >= 14 {
        if a.len() < 4 {
            return Err(ErrorKind::Value);
        }
        let k = args::scalar_num(ev, a, 3)?;
        (&a[2..3], Some(k))
    } else {
        (&a[2..], None)
    };
    let values = if func >= 14 {
        // The array form: the first argument may be any array expression.
        let op = ev.eval_array_context(&refs[0]);
        match op {
            Operand::Ref(area) => {
                let mut out = Vec::new();
                collect_area(ev, &area, skip_nested, &mut out)?;
                out
            }
            op => {
                let arr = ev.operand_array(op)?;
                arr.values().iter().map(|v| (Source::Array, v.clone())).collect()
            }
        }
    } else {
        collect_values(ev, refs, skip_nested)?
    };
    aggregate_values(func, values, skip_errors, k)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{eval_error, eval_formula as eval, eval_number};

    fn num(formula: &str) -> f64 {
        eval_number(formula, &[])
    }

    fn err(formula: &str) -> ErrorKind {
        eval_error(formula, &[])
    }

    #[test]
    fn fast_rounding_agrees_with_decimal_rounding() {
        // A small linear congruential generator: values of every magnitude and many that sit
        // on or near rounding boundaries.
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            state >> 11
        };
        let mut checked = 0;
        for i in 0..200_000u64 {
            let r = next();
            let x = match i % 4 {
                0 => (r % 1_000_000) as f64 / 1000.0,
                1 => (r % 100_000) as f64 / 200.0 - 100.0,
                2 => f64::from_bits(0x3F00_0000_0000_0000 + (r % 0x0100_0000_0000_0000)),
                _ => (r % 10_000_000) as f64 * 1e-7 * 3.0,
            };
            let d = (next() % 8) as f64;
            for mode in [Rounding::HalfAway, Rounding::Up, Rounding::Down] {
                if let Some(fast) = round_fast(x, d, mode) {
                    assert_eq!(fast, round_exact(x, d, mode), "{x} {d} {mode:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 300_000);
    }

    #[test]
    fn round_works_on_decimal_values() {
        assert_eq!(round_decimal(2.675, 2.0, Rounding::HalfAway), 2.68);
        assert_eq!(round_decimal(-2.5, 0.0, Rounding::HalfAway), -3.0);
        assert_eq!(round_decimal(1234.5, -2.0, Rounding::HalfAway), 1200.0);
        assert_eq!(round_decimal(1.005, 2.0, Rounding::HalfAway), 1.01);
        assert_eq!(round_decimal(0.4, -1.0, Rounding::HalfAway), 0.0);
        assert_eq!(round_decimal(1.23456, 3.0, Rounding::Up), 1.235);
        assert_eq!(round_decimal(-1.23456, 1.0, Rounding::Up), -1.3);
        assert_eq!(round_decimal(3.99, 0.0, Rounding::Down), 3.0);
        assert_eq!(round_decimal(0.4, -1.0, Rounding::Up), 10.0);
        assert_eq!(round_decimal(5.0, -1.0, Rounding::HalfAway), 10.0);
        assert_eq!(num("=ROUND(2.675,2)"), 2.68);
        assert_eq!(num("=TRUNC(-4.7)"), -4.0);
        assert_eq!(num("=INT(-4.2)"), -5.0);
    }

    #[test]
    fn sums_and_products_follow_aggregate_rules() {
        let cells = [("B1", "1"), ("B2", "x"), ("B3", "TRUE"), ("B4", "2")];
        assert_eq!(eval("=SUM(B1:B4)", &cells), Value::Number(3.0));
        assert_eq!(eval("=SUM(B1:B4,\"3\",TRUE)", &cells), Value::Number(7.0));
        assert_eq!(eval("=SUM(\"x\")", &cells), Value::Error(ErrorKind::Value));
        assert_eq!(eval("=PRODUCT(B1:B4)", &cells), Value::Number(2.0));
        assert_eq!(eval("=PRODUCT(B2)", &cells), Value::Number(0.0));
        assert_eq!(eval("=SUMSQ(B1:B4,3)", &cells), Value::Number(14.0));
        assert_eq!(num("=SUMPRODUCT({1,2,3},{4,5,6})"), 32.0);
        assert_eq!(num("=SUMPRODUCT({1,\"a\",3},{4,5,6})"), 22.0);
        assert_eq!(err("=SUMPRODUCT({1,2},{1,2,3})"), ErrorKind::Value);
        assert_eq!(err("=SUMPRODUCT({1,#N/A},{1,2})"), ErrorKind::NA);
        assert_eq!(num("=SUMX2MY2({2,3},{1,1})"), 11.0);
        assert_eq!(err("=SUMXMY2({2,3},{1})"), ErrorKind::NA);
    }

    #[test]
    fn errors_of_the_elementary_functions() {
        assert_eq!(err("=SQRT(-1)"), ErrorKind::Num);
        assert_eq!(err("=POWER(0,0)"), ErrorKind::Num);
        assert_eq!(err("=POWER(0,-1)"), ErrorKind::Div0);
        assert_eq!(err("=POWER(-8,1/3)"), ErrorKind::Num);
        assert_eq!(err("=LN(0)"), ErrorKind::Num);
        assert_eq!(err("=LOG(10,1)"), ErrorKind::Div0);
        assert_eq!(err("=SIN(2^27)"), ErrorKind::Num);
        assert_eq!(err("=ATAN2(0,0)"), ErrorKind::Div0);
        assert_eq!(err("=COT(0)"), ErrorKind::Div0);
        assert_eq!(err("=ACOTH(1)"), ErrorKind::Num);
        assert_eq!(err("=EXP(1000)"), ErrorKind::Num);
        assert!((num("=ACOT(-1)") - 3.0 * std::f64::consts::FRAC_PI_4).abs() < 1e-15);
    }

    #[test]
    fn modulo_and_multiples() {
        assert_eq!(num("=MOD(-3,2)"), 1.0);
        assert_eq!(num("=MOD(3,-2)"), -1.0);
        assert_eq!(err("=MOD(1,0)"), ErrorKind::Div0);
        assert_eq!(num("=QUOTIENT(-7,2)"), -3.0);
        assert_eq!(err("=QUOTIENT(TRUE,1)"), ErrorKind::Value);
        assert_eq!(num("=MROUND(1.3,0.2)"), 1.4);
        assert_eq!(err("=MROUND(5,-2)"), ErrorKind::Num);
        assert_eq!(err("=MROUND(,2)"), ErrorKind::NA);
        assert_eq!(num("=CEILING(0.7,0.1)"), 0.7);
        assert_eq!(num("=CEILING(-2.5,2)"), -2.0);
        assert_eq!(num("=CEILING(-2.5,-2)"), -4.0);
        assert_eq!(err("=CEILING(2.5,-2)"), ErrorKind::Num);
        assert_eq!(num("=FLOOR(-2.5,2)"), -4.0);
        assert_eq!(err("=FLOOR(2.5,0)"), ErrorKind::Div0);
        assert_eq!(num("=CEILING.MATH(-2.5,2,1)"), -4.0);
        assert_eq!(num("=FLOOR.MATH(-2.5,2,1)"), -2.0);
        assert_eq!(num("=FLOOR.PRECISE(-2.5,-2)"), -4.0);
        assert_eq!(num("=ISO.CEILING(4.1,-2)"), 6.0);
        assert_eq!(num("=EVEN(-1.5)"), -2.0);
        assert_eq!(num("=ODD(0)"), 1.0);
        assert_eq!(num("=ODD(2)"), 3.0);
    }

    #[test]
    fn combinatorics() {
        assert_eq!(num("=FACT(5.9)"), 120.0);
        assert_eq!(err("=FACT(-1)"), ErrorKind::Num);
        assert_eq!(num("=FACTDOUBLE(7)"), 105.0);
        assert_eq!(num("=COMBIN(10,3)"), 120.0);
        assert_eq!(err("=COMBIN(3,4)"), ErrorKind::Num);
        assert_eq!(num("=COMBINA(4,3)"), 20.0);
        assert_eq!(num("=MULTINOMIAL(2,3,4)"), 1260.0);
        assert_eq!(err("=MULTINOMIAL(TRUE,1)"), ErrorKind::Value);
        assert_eq!(num("=GCD(24,36,\"8\")"), 4.0);
        assert_eq!(num("=LCM(4,6)"), 12.0);
        assert_eq!(err("=GCD(-1,2)"), ErrorKind::Num);
        assert_eq!(err("=LCM(B1,B2)"), ErrorKind::Value);
        assert_eq!(eval("=LCM(B1:B2)", &[]), Value::Number(0.0));
        assert_eq!(eval("=LCM(B1,B2)", &[("B2", "5")]), Value::Number(5.0));
    }

    #[test]
    fn roman_arabic_and_bases() {
        assert_eq!(eval("=ROMAN(499)", &[]), Value::from("CDXCIX"));
        assert_eq!(eval("=ROMAN(499,1)", &[]), Value::from("LDVLIV"));
        assert_eq!(eval("=ROMAN(499,2)", &[]), Value::from("XDIX"));
        assert_eq!(eval("=ROMAN(499,4)", &[]), Value::from("ID"));
        assert_eq!(eval("=ROMAN(1999,FALSE)", &[]), Value::from("MIM"));
        assert_eq!(err("=ROMAN(4000)"), ErrorKind::Value);
        assert_eq!(num("=ARABIC(\"MCMXCIX\")"), 1999.0);
        assert_eq!(num("=ARABIC(\"-iv\")"), -4.0);
        assert_eq!(eval("=BASE(255,16,4)", &[]), Value::from("00FF"));
        assert_eq!(num("=DECIMAL(\"ff\",16)"), 255.0);
        assert_eq!(err("=DECIMAL(\"2\",2)"), ErrorKind::Num);
    }

    #[test]
    fn matrices() {
        assert_eq!(num("=MDETERM({1,2;3,4})"), -2.0);
        assert_eq!(err("=MDETERM({1,2})"), ErrorKind::Value);
        assert_eq!(num("=SUM(MMULT({1,2;3,4},{5;6}))"), 56.0);
        assert_eq!(num("=SUMPRODUCT(MMULT({1,2;3,4},{5;6}),{0;1})"), 39.0);
        assert!((num("=SUM(MINVERSE({4,7;2,6}))") - 0.1).abs() < 1e-12);
        assert_eq!(err("=MINVERSE({1,2;2,4})"), ErrorKind::Num);
        assert_eq!(num("=SUM(MUNIT(3))"), 3.0);
        assert_eq!(err("=MMULT({1,2},{1,2})"), ErrorKind::Value);
        assert_eq!(num("=SERIESSUM(2,0,1,{1,1,1})"), 7.0);
    }

    #[test]
    fn subtotal_skips_nested_subtotals() {
        let cells =
            [("B1", "1"), ("B2", "2"), ("B3", "=SUBTOTAL(9,B1:B2)"), ("B4", "10"), ("B5", "x"), ("B6", "=SUM(B1:B2)")];
        assert_eq!(eval("=SUBTOTAL(9,B1:B6)", &cells), Value::Number(16.0));
        assert_eq!(eval("=SUBTOTAL(109,B1:B6)", &cells), Value::Number(16.0));
        assert_eq!(eval("=SUBTOTAL(2,B1:B6)", &cells), Value::Number(4.0));
        assert_eq!(eval("=SUBTOTAL(3,B1:B6)", &cells), Value::Number(5.0));
        assert_eq!(eval("=SUBTOTAL(1,B1:B2)", &cells), Value::Number(1.5));
        assert_eq!(eval("=SUBTOTAL(4,B1:B6)", &cells), Value::Number(10.0));
        assert_eq!(eval("=SUBTOTAL(12,B1:B6)", &cells), Value::Error(ErrorKind::Value));
    }

    #[test]
    fn aggregate_options() {
        let cells = [("B1", "1"), ("B2", "=1/0"), ("B3", "3"), ("B4", "=AGGREGATE(9,0,B1)"), ("B5", "4")];
        assert_eq!(eval("=AGGREGATE(9,6,B1:B5)", &cells), Value::Number(9.0));
        assert_eq!(eval("=AGGREGATE(9,4,B1:B5)", &cells), Value::Error(ErrorKind::Div0));
        assert_eq!(eval("=AGGREGATE(9,3,B1:B5)", &cells), Value::Number(8.0));
        assert_eq!(eval("=AGGREGATE(4,6,B1:B5)", &cells), Value::Number(4.0));
        assert_eq!(eval("=AGGREGATE(12,7,B1:B3,B5)", &cells), Value::Number(3.0));
        assert_eq!(eval("=AGGREGATE(14,6,B1:B5,2)", &cells), Value::Number(3.0));
        assert_eq!(eval("=AGGREGATE(15,6,B1:B5,1)", &cells), Value::Number(1.0));
        assert_eq!(eval("=AGGREGATE(16,6,B1:B5,0.5)", &cells), Value::Number(2.0));
        assert_eq!(eval("=AGGREGATE(17,6,B1:B5,2)", &cells), Value::Number(2.0));
        assert_eq!(num("=AGGREGATE(14,6,{5,1,#N/A,3},1)"), 5.0);
        assert_eq!(err("=AGGREGATE(20,0,B1)"), ErrorKind::Value);
    }
}

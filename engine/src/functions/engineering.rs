//! Engineering functions: number systems, bit operations, complex numbers, Bessel functions,
//! unit conversion, DELTA and GESTEP.
//!
//! Excel's engineering functions (they come from the old Analysis ToolPak) are stricter than
//! most: booleans are `#VALUE!` where a number is expected (except for the `BIT…` functions),
//! and malformed text is `#NUM!`. The Bessel functions reproduce Excel's own approximations
//! (rational and polynomial fits with about 8 to 10 correct digits, and recurrences), so that
//! results agree with Excel's rather than with the exact values.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::FnResult;
use crate::eval::{Evaluator, Operand};
use crate::parse::Expr;
use crate::value::{ErrorKind, Value};

type Special = Result<Operand, ErrorKind>;

/// A number argument that may not be a boolean (`#VALUE!`), as the Analysis ToolPak
/// functions read them: text that looks like a number is converted, a blank is 0.
fn strict_num(v: &Value) -> Result<f64, ErrorKind> {
    match v {
        Value::Bool(_) => Err(ErrorKind::Value),
        v => v.to_number(),
    }
}

/// Argument `i` read with [`strict_num`] (`#VALUE!` when absent).
fn strict_arg(args: &[Value], i: usize) -> Result<f64, ErrorKind> {
    args.get(i).map_or(Err(ErrorKind::Value), strict_num)
}

/// Argument `i` read with [`strict_num`], or `default` when it is not given at all.
fn strict_arg_or(args: &[Value], i: usize, default: f64) -> Result<f64, ErrorKind> {
    args.get(i).map_or(Ok(default), strict_num)
}

// ── Number systems ─────────────────────────────────────────────────────────────────────────

/// The bases of `BIN2DEC`, `DEC2HEX`, …: 10 digits, negative numbers in two's complement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Radix {
    Bin,
    Oct,
    Hex,
}

impl Radix {
    fn base(self) -> u32 {
        match self {
            Radix::Bin => 2,
            Radix::Oct => 8,
            Radix::Hex => 16,
        }
    }

    /// `base^10`: the modulus of the two's complement.
    fn modulus(self) -> i64 {
        i64::from(self.base()).pow(10)
    }

    /// The smallest and largest numbers that 10 digits hold.
    fn range(self) -> (i64, i64) {
        let half = self.modulus() / 2;
        (-half, half - 1)
    }
}

/// Reads a number written in `radix` (at most 10 digits; a 10-digit number with the top bit
/// set is negative). Numbers are read through their text (`BIN2DEC(1010)`); a blank is 0.
fn parse_radix(v: &Value, radix: Radix) -> Result<i64, ErrorKind> {
    let text = match v {
        Value::Bool(_) => return Err(ErrorKind::Value),
        Value::Blank => return Ok(0),
        v => v.to_text()?,
    };
    if text.chars().count() > 10 {
        return Err(ErrorKind::Num);
    }
    let mut n: i64 = 0;
    for c in text.chars() {
        let d = c.to_digit(radix.base()).ok_or(ErrorKind::Num)?;
        n = n * i64::from(radix.base()) + i64::from(d);
    }
    if n > radix.range().1 { Ok(n - radix.modulus()) } else { Ok(n) }
}

/// The `places` argument: absent is `None`; it is truncated and must lie in 1..=10.
fn places_arg(args: &[Value], i: usize) -> Result<Option<usize>, ErrorKind> {
    let Some(v) = args.get(i) else { return Ok(None) };
    let p = strict_num(v)?.trunc();
    if !(1.0..=10.0).contains(&p) {
        return Err(ErrorKind::Num);
    }
    Ok(Some(p as usize))
}

/// Writes `n` in `radix`: negative numbers as 10 digits of two's complement (`places` is then
/// ignored), others padded with zeros to `places` (`#NUM!` when they need more).
fn format_radix(n: i64, radix: Radix, places: Option<usize>) -> FnResult {
    let (lo, hi) = radix.range();
    if n < lo || n > hi {
        return Err(ErrorKind::Num);
    }
    let u = if n < 0 { n + radix.modulus() } else { n } as u64;
    let digits = match radix {
        Radix::Bin => format!("{u:b}"),
        Radix::Oct => format!("{u:o}"),
        Radix::Hex => format!("{u:X}"),
    };
    if n < 0 {
        return Ok(Value::from(digits));
    }
    match places {
        Some(p) if digits.len() > p => Err(ErrorKind::Num),
        Some(p) => Ok(Value::from(format!("{digits:0>p$}"))),
        None => Ok(Value::from(digits)),
    }
}

/// `X2Y(number, [places])` between two non-decimal bases.
fn convert_radix(args: &[Value], from: Radix, to: Radix) -> FnResult {
    let n = parse_radix(args.first().unwrap_or(&Value::Blank), from)?;
    let places = places_arg(args, 1)?;
    format_radix(n, to, places)
}

/// `X2DEC(number)`.
fn radix_to_decimal(args: &[Value], from: Radix) -> FnResult {
    let n = parse_radix(args.first().unwrap_or(&Value::Blank), from)?;
    Ok(Value::Number(n as f64))
}

/// `DEC2X(number, [places])`: the number is truncated toward zero.
fn decimal_to_radix(args: &[Value], to: Radix) -> FnResult {
    let n = strict_arg(args, 0)?.trunc();
    let places = places_arg(args, 1)?;
    let (lo, hi) = to.range();
    if !(lo as f64..=hi as f64).contains(&n) {
        return Err(ErrorKind::Num);
    }
    format_radix(n as i64, to, places)
}

/// `BIN2DEC(number)`
pub(super) fn bin2dec(args: &[Value]) -> FnResult {
    radix_to_decimal(args, Radix::Bin)
}

/// `BIN2HEX(number, [places])`
pub(super) fn bin2hex(args: &[Value]) -> FnResult {
    convert_radix(args, Radix::Bin, Radix::Hex)
}

/// `BIN2OCT(number, [places])`
pub(super) fn bin2oct(args: &[Value]) -> FnResult {
    convert_radix(args, Radix::Bin, Radix::Oct)
}

/// `DEC2BIN(number, [places])`
pub(super) fn dec2bin(args: &[Value]) -> FnResult {
    decimal_to_radix(args, Radix::Bin)
}

/// `DEC2HEX(number, [places])`
pub(super) fn dec2hex(args: &[Value]) -> FnResult {
    decimal_to_radix(args, Radix::Hex)
}

/// `DEC2OCT(number, [places])`
pub(super) fn dec2oct(args: &[Value]) -> FnResult {
    decimal_to_radix(args, Radix::Oct)
}

/// `HEX2BIN(number, [places])`
pub(super) fn hex2bin(args: &[Value]) -> FnResult {
    convert_radix(args, Radix::Hex, Radix::Bin)
}

/// `HEX2DEC(number)`
pub(super) fn hex2dec(args: &[Value]) -> FnResult {
    radix_to_decimal(args, Radix::Hex)
}

/// `HEX2OCT(number, [places])`
pub(super) fn hex2oct(args: &[Value]) -> FnResult {
    convert_radix(args, Radix::Hex, Radix::Oct)
}

/// `OCT2BIN(number, [places])`
pub(super) fn oct2bin(args: &[Value]) -> FnResult {
    convert_radix(args, Radix::Oct, Radix::Bin)
}

/// `OCT2DEC(number)`
pub(super) fn oct2dec(args: &[Value]) -> FnResult {
    radix_to_decimal(args, Radix::Oct)
}

/// `OCT2HEX(number, [places])`
pub(super) fn oct2hex(args: &[Value]) -> FnResult {
    convert_radix(args, Radix::Oct, Radix::Hex)
}

// ── Bit operations ─────────────────────────────────────────────────────────────────────────

/// 2^48: the bit functions work on integers below it.
const BIT_LIMIT: f64 = 281_474_976_710_656.0;

/// An operand of the bit functions: an integer in `0..2^48` (`#NUM!` otherwise). Unlike the
/// other engineering functions, booleans count as 0 and 1.
fn bit_operand(args: &[Value], i: usize) -> Result<u64, ErrorKind> {
    let n = args.get(i).map_or(Err(ErrorKind::Value), Value::to_number)?;
    if !(0.0..BIT_LIMIT).contains(&n) || n.fract() != 0.0 {
        return Err(ErrorKind::Num);
    }
    Ok(n as u64)
}

fn bitwise(args: &[Value], op: fn(u64, u64) -> u64) -> FnResult {
    let a = bit_operand(args, 0)?;
    let b = bit_operand(args, 1)?;
    Ok(Value::Number(op(a, b) as f64))
}

/// `BITAND(number1, number2)`
pub(super) fn bitand(args: &[Value]) -> FnResult {
    bitwise(args, |a, b| a & b)
}

/// `BITOR(number1, number2)`
pub(super) fn bitor(args: &[Value]) -> FnResult {
    bitwise(args, |a, b| a | b)
}

/// `BITXOR(number1, number2)`
pub(super) fn bitxor(args: &[Value]) -> FnResult {
    bitwise(args, |a, b| a ^ b)
}

/// Shifts left by `shift` bits (right when negative): `|shift|` at most 53, the result below
/// 2^48.
fn shift_left(args: &[Value], direction: f64) -> FnResult {
    let n = bit_operand(args, 0)?;
    let shift = args.get(1).map_or(Err(ErrorKind::Value), Value::to_number)?.trunc() * direction;
    if shift.abs() > 53.0 {
        return Err(ErrorKind::Num);
    }
    if shift >= 0.0 {
        let r = n as f64 * 2f64.powi(shift as i32);
        if r >= BIT_LIMIT {
            return Err(ErrorKind::Num);
        }
        Ok(Value::Number(r))
    } else {
        Ok(Value::Number((n >> (-shift as u32)) as f64))
    }
}

/// `BITLSHIFT(number, shift_amount)`
pub(super) fn bitlshift(args: &[Value]) -> FnResult {
    shift_left(args, 1.0)
}

/// `BITRSHIFT(number, shift_amount)`
pub(super) fn bitrshift(args: &[Value]) -> FnResult {
    shift_left(args, -1.0)
}

// ── DELTA and GESTEP ───────────────────────────────────────────────────────────────────────

/// `DELTA(number1, [number2])`: 1 when the numbers are exactly equal.
pub(super) fn delta(args: &[Value]) -> FnResult {
    let a = strict_arg(args, 0)?;
    let b = strict_arg_or(args, 1, 0.0)?;
    Ok(Value::Number(if a == b { 1.0 } else { 0.0 }))
}

/// `GESTEP(number, [step])`: 1 when `number >= step`.
pub(super) fn gestep(args: &[Value]) -> FnResult {
    let a = strict_arg(args, 0)?;
    let b = strict_arg_or(args, 1, 0.0)?;
    Ok(Value::Number(if a >= b { 1.0 } else { 0.0 }))
}

// ── Bessel functions ───────────────────────────────────────────────────────────────────────
//
// Excel evaluates I0, I1, K0, K1 with the polynomial fits of Abramowitz & Stegun (9.8.1–9.8.8),
// J0, J1, Y0, Y1 with rational fits below 8 and the Hankel asymptotic form above, higher
// orders of K and Y (and of J when x > n) by upward recurrence, and higher orders of I and J
// otherwise by Miller's downward recurrence. These are reproduced here, including two typos in
// Excel's coefficients for J0 and J1 above 8: the results differ from the exact values from
// the 5th (J1 near 10) to the 10th significant digit, as Excel's do.

/// Horner evaluation of `c[0] + c[1] y + c[2] y² + …`.
fn poly(c: &[f64], y: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * y + k)
}

/// 2/π as the fits use it (rounded to 9 digits: Excel's results carry the rounding).
#[allow(clippy::approx_constant)]
const TWO_OVER_PI: f64 = 0.636619772;
/// π/4 as the asymptotic form of J0 and Y0 uses it.
#[allow(clippy::approx_constant)]
const QUARTER_PI: f64 = 0.785398164;
/// 3π/4 as the asymptotic form of J1 and Y1 uses it.
const THREE_QUARTER_PI: f64 = 2.356194491;

/// Modified Bessel function I0.
fn bessel_i0(x: f64) -> f64 {
    let ax = x.abs();
    if ax < 3.75 {
        let y = (x / 3.75) * (x / 3.75);
        poly(&[1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2], y)
    } else {
        let y = 3.75 / ax;
        let p = [
            0.39894228,
            0.1328592e-1,
            0.225319e-2,
            -0.157565e-2,
            0.916281e-2,
            -0.2057706e-1,
            0.2635537e-1,
            -0.1647633e-1,
            0.392377e-2,
        ];
        (ax.exp() / ax.sqrt()) * poly(&p, y)
    }
}

/// Modified Bessel function I1.
fn bessel_i1(x: f64) -> f64 {
    let ax = x.abs();
    let r = if ax < 3.75 {
        let y = (x / 3.75) * (x / 3.75);
        ax * poly(&[0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3], y)
    } else {
        let y = 3.75 / ax;
        let tail = poly(&[0.2282967e-1, -0.2895312e-1, 0.1787654e-1, -0.420059e-2], y);
        let p = poly(&[0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1], y) + tail * y.powi(5);
        p * (ax.exp() / ax.sqrt())
    };
    if x < 0.0 { -r } else { r }
}

/// Accuracy parameter of Miller's recurrence (the start index grows with `sqrt(ACC n)`).
const MILLER_ACC: f64 = 40.0;
/// Rescaling threshold of the downward recurrences.
const BIG: f64 = 1e10;

/// Modified Bessel function In, n ≥ 0.
fn bessel_i(n: u32, x: f64) -> f64 {
    match n {
        0 => return bessel_i0(x),
        1 => return bessel_i1(x),
        _ => {}
    }
    if x == 0.0 {
        return 0.0;
    }
    let tox = 2.0 / x.abs();
    let (mut bip, mut ans, mut bi) = (0.0, 0.0, 1.0);
    let start = 2 * (n + (MILLER_ACC * f64::from(n)).sqrt() as u32);
    for j in (1..=start).rev() {
        let bim = bip + f64::from(j) * tox * bi;
        bip = bi;
        bi = bim;
        if bi.abs() > BIG {
            ans /= BIG;
            bi /= BIG;
            bip /= BIG;
        }
        if j == n {
            ans = bip;
        }
    }
    let r = ans * bessel_i0(x) / bi;
    if x < 0.0 && n % 2 == 1 { -r } else { r }
}

/// Modified Bessel function K0, x > 0.
fn bessel_k0(x: f64) -> f64 {
    if x <= 2.0 {
        let y = x * x / 4.0;
        let p = [-0.57721566, 0.42278420, 0.23069756, 0.3488590e-1, 0.262698e-2, 0.10750e-3, 0.74e-5];
        (-(x / 2.0).ln() * bessel_i0(x)) + poly(&p, y)
    } else {
        let y = 2.0 / x;
        let p = [1.25331414, -0.7832358e-1, 0.2189568e-1, -0.1062446e-1, 0.587872e-2, -0.251540e-2, 0.53208e-3];
        ((-x).exp() / x.sqrt()) * poly(&p, y)
    }
}

/// Modified Bessel function K1, x > 0.
fn bessel_k1(x: f64) -> f64 {
    if x <= 2.0 {
        let y = x * x / 4.0;
        let p = [1.0, 0.15443144, -0.67278579, -0.18156897, -0.1919402e-1, -0.110404e-2, -0.4686e-4];
        ((x / 2.0).ln() * bessel_i1(x)) + (1.0 / x) * poly(&p, y)
    } else {
        let y = 2.0 / x;
        let p = [1.25331414, 0.23498619, -0.3655620e-1, 0.1504268e-1, -0.780353e-2, 0.325614e-2, -0.68245e-3];
        ((-x).exp() / x.sqrt()) * poly(&p, y)
    }
}

/// Modified Bessel function Kn, n ≥ 0, x > 0 (upward recurrence).
fn bessel_k(n: u32, x: f64) -> f64 {
    let (mut km, mut k) = (bessel_k0(x), bessel_k1(x));
    if n == 0 {
        return km;
    }
    let tox = 2.0 / x;
    for j in 1..n {
        let kp = km + f64::from(j) * tox * k;
        km = k;
        k = kp;
        if !k.is_finite() {
            break;
        }
    }
    k
}

/// The asymptotic factors of J0 for x ≥ 8: `(P, Q, phase)`. Excel's P has its second
/// coefficient with two digits swapped (`-0.1098628267e-2` where Y0 has `-0.1098628627e-2`);
/// it is kept so that results agree with Excel's.
fn hankel_j0(x: f64) -> (f64, f64, f64) {
    let z = 8.0 / x;
    let y = z * z;
    let p = poly(&[1.0, -0.1098628267e-2, 0.2734510407e-4, -0.2073370639e-5, 0.2093887211e-6], y);
    let q = poly(&[-0.1562499995e-1, 0.1430488765e-3, -0.6911147651e-5, 0.7621095161e-6, -0.934935152e-7], y);
    (p, z * q, x - QUARTER_PI)
}

/// The Q factor of J1 and Y1 for x ≥ 8.
fn hankel1_q(y: f64) -> f64 {
    poly(&[0.04687499995, -0.2002690873e-3, 0.8449199096e-5, -0.88228987e-6, 0.105787412e-6], y)
}

/// The asymptotic factors of J1 for x ≥ 8: `(P, Q, phase)`. Excel's P repeats its third
/// coefficient (`-0.3516396496e-4` twice, shifting the rest one power up), which makes
/// `BESSELJ(10,1)` 0.0434722… where the exact value is 0.0434727…; it is kept so that
/// results agree with Excel's.
fn hankel_j1(x: f64) -> (f64, f64, f64) {
    let z = 8.0 / x;
    let y = z * z;
    let p = poly(&[1.0, 0.183105e-2, -0.3516396496e-4, -0.3516396496e-4, 0.2457520174e-5, -0.240337019e-6], y);
    (p, z * hankel1_q(y), x - THREE_QUARTER_PI)
}

/// The asymptotic factors of Y1 for x ≥ 8: `(P, Q, phase)`.
fn hankel_y1(x: f64) -> (f64, f64, f64) {
    let z = 8.0 / x;
    let y = z * z;
    let p = poly(&[1.0, 0.183105e-2, -0.3516396496e-4, 0.2457520174e-5, -0.240337019e-6], y);
    (p, z * hankel1_q(y), x - THREE_QUARTER_PI)
}

/// Bessel function J0.
fn bessel_j0(x: f64) -> f64 {
    let ax = x.abs();
    if ax < 8.0 {
        let y = x * x;
        let num = [57568490574.0, -13362590354.0, 651619640.7, -11214424.18, 77392.33017, -184.9052456];
        let den = [57568490411.0, 1029532985.0, 9494680.718, 59272.64853, 267.8532712, 1.0];
        poly(&num, y) / poly(&den, y)
    } else {
        let (p, q, xx) = hankel_j0(ax);
        (TWO_OVER_PI / ax).sqrt() * (xx.cos() * p - xx.sin() * q)
    }
}

/// Bessel function J1.
fn bessel_j1(x: f64) -> f64 {
    let ax = x.abs();
    if ax < 8.0 {
        let y = x * x;
        let num = [72362614232.0, -7895059235.0, 242396853.1, -2972611.439, 15704.48260, -30.16036606];
        let den = [144725228442.0, 2300535178.0, 18583304.74, 99447.43394, 376.9991397, 1.0];
        x * poly(&num, y) / poly(&den, y)
    } else {
        let (p, q, xx) = hankel_j1(ax);
        let r = (TWO_OVER_PI / ax).sqrt() * (xx.cos() * p - xx.sin() * q);
        if x < 0.0 { -r } else { r }
    }
}

/// Bessel function Jn, n ≥ 0.
fn bessel_j(n: u32, x: f64) -> f64 {
    match n {
        0 => return bessel_j0(x),
        1 => return bessel_j1(x),
        _ => {}
    }
    let ax = x.abs();
    if ax == 0.0 {
        return 0.0;
    }
    let tox = 2.0 / ax;
    let r = if ax > f64::from(n) {
        // Upward recurrence from J0 and J1.
        let (mut jm, mut j) = (bessel_j0(ax), bessel_j1(ax));
        for k in 1..n {
            let jp = f64::from(k) * tox * j - jm;
            jm = j;
            j = jp;
        }
        j
    } else {
        // Miller's downward recurrence, normalised by J0 + 2 J2 + 2 J4 + … = 1.
        let start = 2 * ((n + (MILLER_ACC * f64::from(n)).sqrt() as u32) / 2);
        let (mut even, mut jp, mut ans, mut sum, mut j) = (false, 0.0, 0.0, 0.0, 1.0);
        for k in (1..=start).rev() {
            let jm = f64::from(k) * tox * j - jp;
            jp = j;
            j = jm;
            if j.abs() > BIG {
                j /= BIG;
                jp /= BIG;
                ans /= BIG;
                sum /= BIG;
            }
            if even {
                sum += j;
            }
            even = !even;
            if k == n {
                ans = jp;
            }
        }
        sum = 2.0 * sum - j;
        ans / sum
    };
    if x < 0.0 && n % 2 == 1 { -r } else { r }
}

/// Bessel function Y0, x > 0.
fn bessel_y0(x: f64) -> f64 {
    if x < 8.0 {
        let y = x * x;
        let num = [-2957821389.0, 7062834065.0, -512359803.6, 10879881.29, -86327.92757, 228.4622733];
        let den = [40076544269.0, 745249964.8, 7189466.438, 47447.26470, 226.1030244, 1.0];
        poly(&num, y) / poly(&den, y) + TWO_OVER_PI * bessel_j0(x) * x.ln()
    } else {
        let z = 8.0 / x;
        let y = z * z;
        let p = poly(&[1.0, -0.1098628627e-2, 0.2734510407e-4, -0.2073370639e-5, 0.2093887211e-6], y);
        let q = poly(&[-0.1562499995e-1, 0.1430488765e-3, -0.6911147651e-5, 0.7621095161e-6, -0.934945152e-7], y);
        let xx = x - QUARTER_PI;
        (TWO_OVER_PI / x).sqrt() * (xx.sin() * p + z * xx.cos() * q)
    }
}

/// Bessel function Y1, x > 0.
fn bessel_y1(x: f64) -> f64 {
    if x < 8.0 {
        let y = x * x;
        let num =
            [-0.4900604943e13, 0.1275274390e13, -0.5153438139e11, 0.7349264551e9, -0.4237922726e7, 0.8511937935e4];
        let den =
            [0.2499580570e14, 0.4244419664e12, 0.3733650367e10, 0.2245904002e8, 0.1020426050e6, 0.3549632885e3, 1.0];
        x * poly(&num, y) / poly(&den, y) + TWO_OVER_PI * (bessel_j1(x) * x.ln() - 1.0 / x)
    } else {
        let (p, q, xx) = hankel_y1(x);
        (TWO_OVER_PI / x).sqrt() * (xx.sin() * p + xx.cos() * q)
    }
}

/// Bessel function Yn, n ≥ 0, x > 0 (upward recurrence).
fn bessel_y(n: u32, x: f64) -> f64 {
    let (mut ym, mut y) = (bessel_y0(x), bessel_y1(x));
    if n == 0 {
        return ym;
    }
    let tox = 2.0 / x;
    for j in 1..n {
        let yp = f64::from(j) * tox * y - ym;
        ym = y;
        y = yp;
        if !y.is_finite() {
            break;
        }
    }
    y
}

/// Orders above this are not computed by recurrence: for them the functions under- or
/// overflow for every `x` small enough to matter.
const MAX_ORDER: f64 = 10_000_000.0;

/// Reads `(x, n)` of the Bessel functions: `n` truncated, `#NUM!` when negative.
fn bessel_args(args: &[Value]) -> Result<(f64, f64), ErrorKind> {
    let x = strict_arg(args, 0)?;
    let n = strict_arg(args, 1)?.trunc();
    if n < 0.0 {
        return Err(ErrorKind::Num);
    }
    Ok((x, n))
}

/// `BESSELI(x, n)`
pub(super) fn besseli(args: &[Value]) -> FnResult {
    let (x, n) = bessel_args(args)?;
    if n > MAX_ORDER {
        return if x.abs() < n / 10.0 { Ok(Value::Number(0.0)) } else { Err(ErrorKind::Num) };
    }
    Ok(Value::number(bessel_i(n as u32, x)))
}

/// `BESSELJ(x, n)`
pub(super) fn besselj(args: &[Value]) -> FnResult {
    let (x, n) = bessel_args(args)?;
    if n > MAX_ORDER {
        return if x.abs() < n / 10.0 { Ok(Value::Number(0.0)) } else { Err(ErrorKind::Num) };
    }
    Ok(Value::number(bessel_j(n as u32, x)))
}

/// `BESSELK(x, n)`: `#NUM!` for x ≤ 0.
pub(super) fn besselk(args: &[Value]) -> FnResult {
    let (x, n) = bessel_args(args)?;
    if x <= 0.0 || n > MAX_ORDER {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(bessel_k(n as u32, x)))
}

/// `BESSELY(x, n)`: `#NUM!` for x ≤ 0.
pub(super) fn bessely(args: &[Value]) -> FnResult {
    let (x, n) = bessel_args(args)?;
    if x <= 0.0 || n > MAX_ORDER {
        return Err(ErrorKind::Num);
    }
    Ok(Value::number(bessel_y(n as u32, x)))
}

// ── CONVERT ────────────────────────────────────────────────────────────────────────────────

/// The quantities of `CONVERT`; units convert only within one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quantity {
    Mass,
    Distance,
    Time,
    Pressure,
    Force,
    Energy,
    Power,
    Magnetism,
    Temperature,
    Volume,
    Area,
    Information,
    Speed,
}

/// One unit of `CONVERT`.
#[derive(Debug)]
struct Unit {
    name: &'static str,
    quantity: Quantity,
    /// The value of one unit in the base unit of its quantity (g, m, s, Pa, N, J, W, T, K,
    /// m³, m², bit, m/s). Temperatures other than kelvin use [`to_kelvin`].
    factor: f64,
    /// Does the unit take a prefix (`km`, `MJ`, `kibyte`)?
    prefix: bool,
    /// The power a prefix is raised to: 2 for `m2` (`km2` is 10⁶ m²), 3 for `m3`.
    power: i32,
}

const fn unit(name: &'static str, quantity: Quantity, factor: f64, prefix: bool) -> Unit {
    Unit { name, quantity, factor, prefix, power: 1 }
}

const fn unit_pow(name: &'static str, quantity: Quantity, factor: f64, power: i32) -> Unit {
    Unit { name, quantity, factor, prefix: true, power }
}

/// Inches in metres, the base of the imperial units.
const INCH: f64 = 0.0254;
/// A pica point (1/72 inch).
const PICA_POINT: f64 = INCH / 72.0;
/// A light-year in metres.
const LIGHT_YEAR: f64 = 9_460_730_472_580_800.0;
/// A statute mile in metres.
const MILE: f64 = 1_609.344;
/// A nautical mile in metres.
const NAUTICAL_MILE: f64 = 1_852.0;

/// Excel's units, case-sensitive.
static UNITS: &[Unit] = {
    use Quantity::*;
    &[
        // Mass and weight (gram)
        unit("g", Mass, 1.0, true),
        unit("sg", Mass, 14_593.902_937_206_363, false),
        unit("lbm", Mass, 453.592_37, false),
        unit("u", Mass, 1.660_538_782e-24, true),
        unit("ozm", Mass, 28.349_523_125, false),
        unit("grain", Mass, 0.064_798_91, false),
        unit("cwt", Mass, 45_359.237, false),
        unit("shweight", Mass, 45_359.237, false),
        unit("uk_cwt", Mass, 50_802.345_44, false),
        unit("lcwt", Mass, 50_802.345_44, false),
        unit("stone", Mass, 6_350.293_18, false),
        unit("ton", Mass, 907_184.74, false),
        unit("uk_ton", Mass, 1_016_046.908_8, false),
        unit("LTON", Mass, 1_016_046.908_8, false),
        unit("brton", Mass, 1_016_046.908_8, false),
        // Distance (metre)
        unit("m", Distance, 1.0, true),
        unit("mi", Distance, MILE, false),
        unit("Nmi", Distance, NAUTICAL_MILE, false),
        unit("in", Distance, INCH, false),
        unit("ft", Distance, 12.0 * INCH, false),
        unit("yd", Distance, 36.0 * INCH, false),
        unit("ang", Distance, 1e-10, true),
        unit("ell", Distance, 45.0 * INCH, false),
        unit("ly", Distance, LIGHT_YEAR, true),
        unit("parsec", Distance, 30_856_775_812_815_532.0, true),
        unit("pc", Distance, 30_856_775_812_815_532.0, true),
        unit("Picapt", Distance, PICA_POINT, false),
        unit("Pica", Distance, PICA_POINT, false),
        unit("pica", Distance, INCH / 6.0, false),
        unit("survey_mi", Distance, 5_280.0 * 1_200.0 / 3_937.0, false),
        // Time (second)
        unit("yr", Time, 31_557_600.0, false),
        unit("day", Time, 86_400.0, false),
        unit("d", Time, 86_400.0, false),
        unit("hr", Time, 3_600.0, false),
        unit("mn", Time, 60.0, false),
        unit("min", Time, 60.0, false),
        unit("sec", Time, 1.0, true),
        unit("s", Time, 1.0, true),
        // Pressure (pascal)
        unit("Pa", Pressure, 1.0, true),
        unit("p", Pressure, 1.0, true),
        unit("atm", Pressure, 101_325.0, true),
        unit("at", Pressure, 101_325.0, true),
        unit("mmHg", Pressure, 133.322, true),
        unit("psi", Pressure, 6_894.757_293_168_361, false),
        unit("Torr", Pressure, 101_325.0 / 760.0, false),
        // Force (newton)
        unit("N", Force, 1.0, true),
        unit("dyn", Force, 1e-5, true),
        unit("dy", Force, 1e-5, true),
        unit("lbf", Force, 4.448_221_615_260_5, false),
        unit("pond", Force, 9.806_65e-3, true),
        // Energy (joule)
        unit("J", Energy, 1.0, true),
        unit("e", Energy, 1e-7, true),
        unit("c", Energy, 4.184, true),
        unit("cal", Energy, 4.186_8, true),
        unit("eV", Energy, 1.602_176_487e-19, true),
        unit("ev", Energy, 1.602_176_487e-19, true),
        unit("HPh", Energy, 2_684_519.537_696_173, false),
        unit("hh", Energy, 2_684_519.537_696_173, false),
        unit("Wh", Energy, 3_600.0, true),
        unit("wh", Energy, 3_600.0, true),
        unit("flb", Energy, 1.355_817_948_331_400_3, false),
        unit("BTU", Energy, 1_055.055_852_62, false),
        unit("btu", Energy, 1_055.055_852_62, false),
        // Power (watt)
        unit("HP", Power, 745.699_871_582_270_2, false),
        unit("h", Power, 745.699_871_582_270_2, false),
        unit("PS", Power, 735.498_75, false),
        unit("W", Power, 1.0, true),
        unit("w", Power, 1.0, true),
        // Magnetism (tesla)
        unit("T", Magnetism, 1.0, true),
        unit("ga", Magnetism, 1e-4, true),
        // Temperature (kelvin; the others through `to_kelvin`)
        unit("C", Temperature, 1.0, false),
        unit("cel", Temperature, 1.0, false),
        unit("F", Temperature, 1.0, false),
        unit("fah", Temperature, 1.0, false),
        unit("K", Temperature, 1.0, true),
        unit("kel", Temperature, 1.0, true),
        unit("Rank", Temperature, 1.0, false),
        unit("Reau", Temperature, 1.0, false),
        // Volume (cubic metre)
        unit("tsp", Volume, 4.928_921_593_75e-6, false),
        unit("tspm", Volume, 5e-6, false),
        unit("tbs", Volume, 1.478_676_478_125e-5, false),
        unit("oz", Volume, 2.957_352_956_25e-5, false),
        unit("cup", Volume, 2.365_882_365e-4, false),
        unit("pt", Volume, 4.731_764_73e-4, false),
        unit("us_pt", Volume, 4.731_764_73e-4, false),
        unit("uk_pt", Volume, 5.682_612_5e-4, true),
        unit("qt", Volume, 9.463_529_46e-4, false),
        unit("uk_qt", Volume, 1.136_522_5e-3, false),
        unit("gal", Volume, 3.785_411_784e-3, false),
        unit("uk_gal", Volume, 4.546_09e-3, false),
        unit("l", Volume, 1e-3, true),
        unit("L", Volume, 1e-3, true),
        unit("lt", Volume, 1e-3, true),
        unit_pow("ang3", Volume, 1e-30, 3),
        unit_pow("ang^3", Volume, 1e-30, 3),
        unit("barrel", Volume, 0.158_987_294_928, false),
        unit("bushel", Volume, 0.035_239_070_166_88, false),
        unit("ft3", Volume, 0.028_316_846_592, false),
        unit("ft^3", Volume, 0.028_316_846_592, false),
        unit("in3", Volume, 1.638_706_4e-5, false),
        unit("in^3", Volume, 1.638_706_4e-5, false),
        unit("ly3", Volume, LIGHT_YEAR * LIGHT_YEAR * LIGHT_YEAR, false),
        unit("ly^3", Volume, LIGHT_YEAR * LIGHT_YEAR * LIGHT_YEAR, false),
        unit_pow("m3", Volume, 1.0, 3),
        unit_pow("m^3", Volume, 1.0, 3),
        unit("mi3", Volume, MILE * MILE * MILE, false),
        unit("mi^3", Volume, MILE * MILE * MILE, false),
        unit("yd3", Volume, 0.764_554_857_984, false),
        unit("yd^3", Volume, 0.764_554_857_984, false),
        unit("Nmi3", Volume, NAUTICAL_MILE * NAUTICAL_MILE * NAUTICAL_MILE, false),
        unit("Nmi^3", Volume, NAUTICAL_MILE * NAUTICAL_MILE * NAUTICAL_MILE, false),
        unit("Picapt3", Volume, PICA_POINT * PICA_POINT * PICA_POINT, false),
        unit("Picapt^3", Volume, PICA_POINT * PICA_POINT * PICA_POINT, false),
        unit("Pica3", Volume, PICA_POINT * PICA_POINT * PICA_POINT, false),
        unit("Pica^3", Volume, PICA_POINT * PICA_POINT * PICA_POINT, false),
        unit("GRT", Volume, 2.831_684_659_2, false),
        unit("regton", Volume, 2.831_684_659_2, false),
        unit("MTON", Volume, 1.132_673_863_68, false),
        // Area (square metre)
        unit("uk_acre", Area, 4_046.856_422_4, false),
        unit("us_acre", Area, 4_046.872_609_874_252, false),
        unit_pow("ang2", Area, 1e-20, 2),
        unit_pow("ang^2", Area, 1e-20, 2),
        unit("ar", Area, 100.0, true),
        unit("ft2", Area, 0.092_903_04, false),
        unit("ft^2", Area, 0.092_903_04, false),
        unit("ha", Area, 10_000.0, false),
        unit("in2", Area, 6.451_6e-4, false),
        unit("in^2", Area, 6.451_6e-4, false),
        unit("ly2", Area, LIGHT_YEAR * LIGHT_YEAR, false),
        unit("ly^2", Area, LIGHT_YEAR * LIGHT_YEAR, false),
        unit_pow("m2", Area, 1.0, 2),
        unit_pow("m^2", Area, 1.0, 2),
        unit("Morgen", Area, 2_500.0, false),
        unit("mi2", Area, MILE * MILE, false),
        unit("mi^2", Area, MILE * MILE, false),
        unit("Nmi2", Area, NAUTICAL_MILE * NAUTICAL_MILE, false),
        unit("Nmi^2", Area, NAUTICAL_MILE * NAUTICAL_MILE, false),
        unit("Picapt2", Area, PICA_POINT * PICA_POINT, false),
        unit("Pica2", Area, PICA_POINT * PICA_POINT, false),
        unit("Pica^2", Area, PICA_POINT * PICA_POINT, false),
        unit("Picapt^2", Area, PICA_POINT * PICA_POINT, false),
        unit("yd2", Area, 0.836_127_36, false),
        unit("yd^2", Area, 0.836_127_36, false),
        // Information (bit)
        unit("bit", Information, 1.0, true),
        unit("byte", Information, 8.0, true),
        // Speed (metre per second)
        unit("admkn", Speed, 6_080.0 * 12.0 * INCH / 3_600.0, false),
        unit("kn", Speed, NAUTICAL_MILE / 3_600.0, false),
        unit("m/h", Speed, 1.0 / 3_600.0, true),
        unit("m/hr", Speed, 1.0 / 3_600.0, true),
        unit("m/s", Speed, 1.0, true),
        unit("m/sec", Speed, 1.0, true),
        unit("mph", Speed, MILE / 3_600.0, true),
    ]
};

/// The decimal prefixes (`da` and `e` are both deka).
static PREFIXES: &[(&str, f64)] = &[
    ("Y", 1e24),
    ("Z", 1e21),
    ("E", 1e18),
    ("P", 1e15),
    ("T", 1e12),
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("h", 1e2),
    ("da", 1e1),
    ("e", 1e1),
    ("d", 1e-1),
    ("c", 1e-2),
    ("m", 1e-3),
    ("u", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
    ("f", 1e-15),
    ("a", 1e-18),
    ("z", 1e-21),
    ("y", 1e-24),
];

/// The binary prefixes, for units of information only.
static BINARY_PREFIXES: &[(&str, f64)] = &[
    ("Yi", 1_208_925_819_614_629_174_706_176.0),
    ("Zi", 1_180_591_620_717_411_303_424.0),
    ("Ei", 1_152_921_504_606_846_976.0),
    ("Pi", 1_125_899_906_842_624.0),
    ("Ti", 1_099_511_627_776.0),
    ("Gi", 1_073_741_824.0),
    ("Mi", 1_048_576.0),
    ("ki", 1_024.0),
];

/// Finds a unit, possibly prefixed: the unit and the prefix's multiplier.
fn find_unit(name: &str) -> Option<(&'static Unit, f64)> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Unit>> = OnceLock::new();
    let index = INDEX.get_or_init(|| UNITS.iter().map(|u| (u.name, u)).collect());
    let exact = |n: &str| index.get(n).copied();
    if let Some(u) = exact(name) {
        return Some((u, 1.0));
    }
    let binary = BINARY_PREFIXES.iter().map(|p| (p, true));
    for (&(prefix, mult), is_binary) in binary.chain(PREFIXES.iter().map(|p| (p, false))) {
        let Some(rest) = name.strip_prefix(prefix) else { continue };
        if let Some(u) = exact(rest)
            && u.prefix
            && (!is_binary || u.quantity == Quantity::Information)
        {
            return Some((u, mult.powi(u.power)));
        }
    }
    None
}

/// A temperature in kelvin from `x` in the unit `name`.
fn to_kelvin(x: f64, name: &str) -> f64 {
    match name {
        "C" | "cel" => x + 273.15,
        "F" | "fah" => (x - 32.0) / 1.8 + 273.15,
        "Rank" => x / 1.8,
        "Reau" => x * 1.25 + 273.15,
        _ => x,
    }
}

/// A temperature in the unit `name` from `k` kelvin.
fn from_kelvin(k: f64, name: &str) -> f64 {
    match name {
        "C" | "cel" => k - 273.15,
        "F" | "fah" => (k - 273.15) * 1.8 + 32.0,
        "Rank" => k * 1.8,
        "Reau" => (k - 273.15) / 1.25,
        _ => k,
    }
}

/// `CONVERT(number, from_unit, to_unit)`: `#N/A` for unknown units and units of different
/// quantities.
pub(super) fn convert(args: &[Value]) -> FnResult {
    let x = strict_arg(args, 0)?;
    let unit_name = |i: usize| -> Result<Option<(&'static Unit, f64)>, ErrorKind> {
        match args.get(i) {
            Some(Value::Text(s)) => Ok(find_unit(s)),
            Some(Value::Error(e)) => Err(*e),
            _ => Ok(None),
        }
    };
    let from = unit_name(1)?;
    let to = unit_name(2)?;
    let (Some((from, from_mult)), Some((to, to_mult))) = (from, to) else { return Err(ErrorKind::NA) };
    if from.quantity != to.quantity {
        return Err(ErrorKind::NA);
    }
    let r = if from.quantity == Quantity::Temperature {
        from_kelvin(to_kelvin(x, from.name) * from_mult, to.name) / to_mult
    } else {
        x * (from.factor * from_mult) / (to.factor * to_mult)
    };
    Ok(Value::number(r))
}

// ── Complex numbers ────────────────────────────────────────────────────────────────────────

/// A complex number read from an argument, with the suffix it was written with (`None` for
/// real numbers, which take any suffix).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Complex {
    re: f64,
    im: f64,
    suffix: Option<char>,
}

impl Complex {
    fn new(re: f64, im: f64) -> Complex {
        Complex { re, im, suffix: None }
    }

    fn is_zero(self) -> bool {
        self.re == 0.0 && self.im == 0.0
    }

    fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }

    fn arg(self) -> f64 {
        self.im.atan2(self.re)
    }

    fn add(self, o: Complex) -> Complex {
        Complex::new(self.re + o.re, self.im + o.im)
    }

    fn sub(self, o: Complex) -> Complex {
        Complex::new(self.re - o.re, self.im - o.im)
    }

    fn mul(self, o: Complex) -> Complex {
        Complex::new(self.re * o.re - self.im * o.im, self.re * o.im + self.im * o.re)
    }

    /// `self / o`; `#NUM!` when `o` is 0.
    fn div(self, o: Complex) -> Result<Complex, ErrorKind> {
        let d = o.re * o.re + o.im * o.im;
        if d == 0.0 {
            return Err(ErrorKind::Num);
        }
        Ok(Complex::new((self.re * o.re + self.im * o.im) / d, (self.im * o.re - self.re * o.im) / d))
    }

    fn recip(self) -> Result<Complex, ErrorKind> {
        Complex::new(1.0, 0.0).div(self)
    }

    fn exp(self) -> Complex {
        let m = self.re.exp();
        Complex::new(m * self.im.cos(), m * self.im.sin())
    }

    /// Natural logarithm; `#NUM!` at 0.
    fn ln(self) -> Result<Complex, ErrorKind> {
        if self.is_zero() {
            return Err(ErrorKind::Num);
        }
        Ok(Complex::new(self.abs().ln(), self.arg()))
    }

    fn sin(self) -> Complex {
        Complex::new(self.re.sin() * self.im.cosh(), self.re.cos() * self.im.sinh())
    }

    fn cos(self) -> Complex {
        Complex::new(self.re.cos() * self.im.cosh(), -(self.re.sin() * self.im.sinh()))
    }

    fn sinh(self) -> Complex {
        Complex::new(self.re.sinh() * self.im.cos(), self.re.cosh() * self.im.sin())
    }

    fn cosh(self) -> Complex {
        Complex::new(self.re.cosh() * self.im.cos(), self.re.sinh() * self.im.sin())
    }

    /// `self^n` in polar form, as Excel computes it (`IMPOWER("2+3i",3)` is
    /// `-46+9.00000000000001i`). `0^n` is 0 for n > 0, `#NUM!` otherwise.
    fn powf(self, n: f64) -> Result<Complex, ErrorKind> {
        if self.is_zero() {
            return if n > 0.0 { Ok(Complex::new(0.0, 0.0)) } else { Err(ErrorKind::Num) };
        }
        let r = self.abs().powf(n);
        let t = self.arg() * n;
        Ok(Complex::new(r * t.cos(), r * t.sin()))
    }
}

/// Parses a decimal number strictly: optional sign, digits with an optional point, optional
/// exponent. No spaces, thousands separators or other decorations.
fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits_at = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut n = digits_at(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        n += digits_at(&mut i);
    }
    if n == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits_at(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Parses the text of a complex number: `3+4i`, `-2.5j`, `i`, `-i`, `1E-3-2i`, `7`.
fn parse_complex_text(s: &str) -> Option<Complex> {
    if s.is_empty() {
        return Some(Complex::new(0.0, 0.0));
    }
    let Some(body) = s.strip_suffix(['i', 'j']) else {
        return parse_decimal(s).map(|re| Complex::new(re, 0.0));
    };
    let suffix = s.chars().last();
    let b = body.as_bytes();
    // The imaginary part starts at the last sign that does not belong to an exponent.
    let split = (1..b.len()).rev().find(|&k| matches!(b[k], b'+' | b'-') && !matches!(b[k - 1], b'e' | b'E'));
    let (re_text, im_text) = match split {
        Some(k) => (&body[..k], &body[k..]),
        None => ("", body),
    };
    let re = if re_text.is_empty() { 0.0 } else { parse_decimal(re_text)? };
    let im = match im_text {
        "" | "+" => 1.0,
        "-" => -1.0,
        t => parse_decimal(t)?,
    };
    Some(Complex { re, im, suffix })
}

/// Reads a complex-number argument: text (`#NUM!` when malformed), a number, a blank (0);
/// booleans are `#VALUE!`.
fn complex_value(v: &Value) -> Result<Complex, ErrorKind> {
    match v {
        Value::Number(n) => Ok(Complex::new(*n, 0.0)),
        Value::Blank => Ok(Complex::new(0.0, 0.0)),
        Value::Text(s) => parse_complex_text(s).ok_or(ErrorKind::Num),
        Value::Error(e) => Err(*e),
        Value::Bool(_) | Value::Array(_) => Err(ErrorKind::Value),
    }
}

/// Complex argument `i`.
fn complex_arg(args: &[Value], i: usize) -> Result<Complex, ErrorKind> {
    complex_value(args.get(i).unwrap_or(&Value::Blank))
}

/// The suffix shared by the arguments of a function of several complex numbers: `#VALUE!`
/// when `i` and `j` are mixed.
fn common_suffix(numbers: &[Complex]) -> Result<Option<char>, ErrorKind> {
    let mut suffix = None;
    for s in numbers.iter().filter_map(|c| c.suffix) {
        match suffix {
            None => suffix = Some(s),
            Some(t) if t != s => return Err(ErrorKind::Value),
            Some(_) => {}
        }
    }
    Ok(suffix)
}

/// A part of a complex number as Excel writes it: 15 significant digits without trailing
/// zeros, in plain decimals when that takes at most 20 characters and the number is below
/// 1E+15 (`0.000000000000000001`, `-0.00516434460775318`), in scientific notation otherwise
/// (`1E-20`, `6.12323399573677E-17`).
fn complex_part_text(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    let sci = format!("{x:.14e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let len = digits.len() as i32;
    let plain = if exponent < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exponent - 1) as usize))
    } else if len <= exponent + 1 {
        format!("{sign}{digits}{}", "0".repeat((exponent + 1 - len) as usize))
    } else {
        let (int_part, frac) = digits.split_at((exponent + 1) as usize);
        format!("{sign}{int_part}.{frac}")
    };
    if exponent < 15 && plain.len() <= 20 {
        return plain;
    }
    let (first, rest) = digits.split_at(1);
    let mantissa = if rest.is_empty() { first.to_owned() } else { format!("{first}.{rest}") };
    let esign = if exponent < 0 { '-' } else { '+' };
    format!("{sign}{mantissa}E{esign}{:02}", exponent.abs())
}

/// The text of a complex number (`3+4i`, `-i`, `2.5`, `0`); `#NUM!` when a part overflowed.
fn complex_text(z: Complex, suffix: Option<char>) -> FnResult {
    if !z.re.is_finite() || !z.im.is_finite() {
        return Err(ErrorKind::Num);
    }
    let suffix = suffix.unwrap_or('i');
    let re = complex_part_text(z.re);
    let im = complex_part_text(z.im);
    if im == "0" {
        return Ok(Value::from(re));
    }
    let coefficient = match im.as_str() {
        "1" => "",
        "-1" => "-",
        other => other,
    };
    if re == "0" {
        return Ok(Value::from(format!("{coefficient}{suffix}")));
    }
    let plus = if im.starts_with('-') { "" } else { "+" };
    Ok(Value::from(format!("{re}{plus}{coefficient}{suffix}")))
}

/// A function of one complex number returning a complex number.
fn complex_unary(args: &[Value], f: impl Fn(Complex) -> Result<Complex, ErrorKind>) -> FnResult {
    let z = complex_arg(args, 0)?;
    complex_text(f(z)?, z.suffix)
}

/// `COMPLEX(real_num, i_num, [suffix])`
pub(super) fn complex(args: &[Value]) -> FnResult {
    let re = strict_arg(args, 0)?;
    let im = strict_arg(args, 1)?;
    let suffix = match args.get(2) {
        None | Some(Value::Blank) => 'i',
        Some(Value::Text(s)) => match s.as_ref() {
            "" | "i" => 'i',
            "j" => 'j',
            _ => return Err(ErrorKind::Value),
        },
        Some(Value::Error(e)) => return Err(*e),
        Some(_) => return Err(ErrorKind::Value),
    };
    complex_text(Complex::new(re, im), Some(suffix))
}

/// `IMREAL(inumber)`
pub(super) fn imreal(args: &[Value]) -> FnResult {
    Ok(Value::number(complex_arg(args, 0)?.re))
}

/// `IMAGINARY(inumber)`
pub(super) fn imaginary(args: &[Value]) -> FnResult {
    Ok(Value::number(complex_arg(args, 0)?.im))
}

/// `IMABS(inumber)`
pub(super) fn imabs(args: &[Value]) -> FnResult {
    Ok(Value::number(complex_arg(args, 0)?.abs()))
}

/// `IMARGUMENT(inumber)`: `#DIV/0!` for 0.
pub(super) fn imargument(args: &[Value]) -> FnResult {
    let z = complex_arg(args, 0)?;
    if z.is_zero() {
        return Err(ErrorKind::Div0);
    }
    Ok(Value::number(z.arg()))
}

/// `IMCONJUGATE(inumber)`
pub(super) fn imconjugate(args: &[Value]) -> FnResult {
    complex_unary(args, |z| Ok(Complex::new(z.re, -z.im)))
}

/// `IMSIN(inumber)`
pub(super) fn imsin(args: &[Value]) -> FnResult {
    complex_unary(args, |z| Ok(z.sin()))
}

/// `IMCOS(inumber)`
pub(super) fn imcos(args: &[Value]) -> FnResult {
    complex_unary(args, |z| Ok(z.cos()))
}

/// tan(x+iy) = (sin 2x + i sinh 2y) / (cos 2x + cosh 2y): accurate real parts where the
/// imaginary part dominates, as Excel's.
fn tan(z: Complex) -> Result<Complex, ErrorKind> {
    let d = (2.0 * z.re).cos() + (2.0 * z.im).cosh();
    if d == 0.0 {
        return Err(ErrorKind::Num);
    }
    Ok(Complex::new((2.0 * z.re).sin() / d, (2.0 * z.im).sinh() / d))
}

/// `IMTAN(inumber)`
pub(super) fn imtan(args: &[Value]) -> FnResult {
    complex_unary(args, tan)
}

/// `IMCOT(inumber)`: `1/IMTAN`, as Excel computes it (`IMCOT("1E-16")` is `1E+16`);
/// `#NUM!` for 0.
pub(super) fn imcot(args: &[Value]) -> FnResult {
    complex_unary(args, |z| tan(z)?.recip())
}

/// `IMCSC(inumber)`: `#NUM!` for 0.
pub(super) fn imcsc(args: &[Value]) -> FnResult {
    complex_unary(args, |z| z.sin().recip())
}

/// `IMSEC(inumber)`
pub(super) fn imsec(args: &[Value]) -> FnResult {
    complex_unary(args, |z| z.cos().recip())
}

/// `IMSINH(inumber)`
pub(super) fn imsinh(args: &[Value]) -> FnResult {
    complex_unary(args, |z| Ok(z.sinh()))
}

/// `IMCOSH(inumber)`
pub(super) fn imcosh(args: &[Value]) -> FnResult {
    complex_unary(args, |z| Ok(z.cosh()))
}

/// `IMCSCH(inumber)`: `#NUM!` for 0.
pub(super) fn imcsch(args: &[Value]) -> FnResult {
    complex_unary(args, |z| z.sinh().recip())
}

/// `IMSECH(inumber)`
pub(super) fn imsech(args: &[Value]) -> FnResult {
    complex_unary(args, |z| z.cosh().recip())
}

/// `IMEXP(inumber)`
pub(super) fn imexp(args: &[Value]) -> FnResult {
    complex_unary(args, |z| Ok(z.exp()))
}

/// `IMLN(inumber)`: `#NUM!` for 0.
pub(super) fn imln(args: &[Value]) -> FnResult {
    complex_unary(args, Complex::ln)
}

/// `IMLOG10(inumber)`: `#NUM!` for 0.
pub(super) fn imlog10(args: &[Value]) -> FnResult {
    complex_unary(args, |z| {
        let l = z.ln()?;
        Ok(Complex::new(l.re / std::f64::consts::LN_10, l.im / std::f64::consts::LN_10))
    })
}

/// `IMLOG2(inumber)`: `#NUM!` for 0.
pub(super) fn imlog2(args: &[Value]) -> FnResult {
    complex_unary(args, |z| {
        let l = z.ln()?;
        Ok(Complex::new(l.re / std::f64::consts::LN_2, l.im / std::f64::consts::LN_2))
    })
}

/// `IMSQRT(inumber)`, in polar form as Excel computes it (`IMSQRT(-1)` is
/// `6.12323399573677E-17+i`).
pub(super) fn imsqrt(args: &[Value]) -> FnResult {
    complex_unary(args, |z| {
        let r = z.abs().sqrt();
        let t = z.arg() / 2.0;
        Ok(Complex::new(r * t.cos(), r * t.sin()))
    })
}

/// `IMPOWER(inumber, number)`
pub(super) fn impower(args: &[Value]) -> FnResult {
    let z = complex_arg(args, 0)?;
    let n = strict_arg(args, 1)?;
    complex_text(z.powf(n)?, z.suffix)
}

/// `IMSUB(inumber1, inumber2)`
pub(super) fn imsub(args: &[Value]) -> FnResult {
    let a = complex_arg(args, 0)?;
    let b = complex_arg(args, 1)?;
    complex_text(a.sub(b), common_suffix(&[a, b])?)
}

/// `IMDIV(inumber1, inumber2)`: `#NUM!` when dividing by 0.
pub(super) fn imdiv(args: &[Value]) -> FnResult {
    let a = complex_arg(args, 0)?;
    let b = complex_arg(args, 1)?;
    let suffix = common_suffix(&[a, b])?;
    complex_text(a.div(b)?, suffix)
}

/// The complex numbers of the arguments of `IMSUM`/`IMPRODUCT`: ranges and arrays give
/// every element (empty cells are 0).
fn complex_list(ev: &mut Evaluator<'_>, args: &[Expr]) -> Result<Vec<Complex>, ErrorKind> {
    let mut out = Vec::new();
    for arg in args {
        let op = ev.eval(arg);
        let values: Vec<Value> = match op {
            Operand::Ref(area) => ev.area_array(&area).into_values(),
            Operand::Refs(areas) => areas.iter().flat_map(|a| ev.area_array(a).into_values()).collect(),
            Operand::Value(Value::Array(a)) => a.values().to_vec(),
            Operand::Value(v) => vec![v],
            Operand::Lambda(_) => vec![Value::Error(ErrorKind::Calc)],
        };
        for v in &values {
            out.push(complex_value(v)?);
        }
    }
    Ok(out)
}

/// `IMSUM(inumber1, [inumber2], …)`
pub(super) fn imsum(ev: &mut Evaluator<'_>, args: &[Expr]) -> Special {
    let list = complex_list(ev, args)?;
    let sum = list.iter().fold(Complex::new(0.0, 0.0), |acc, &z| acc.add(z));
    Ok(Operand::Value(complex_text(sum, common_suffix(&list)?)?))
}

/// `IMPRODUCT(inumber1, [inumber2], …)`
pub(super) fn improduct(ev: &mut Evaluator<'_>, args: &[Expr]) -> Special {
    let list = complex_list(ev, args)?;
    let product = list.iter().fold(Complex::new(1.0, 0.0), |acc, &z| acc.mul(z));
    Ok(Operand::Value(complex_text(product, common_suffix(&list)?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    fn n(x: f64) -> Value {
        Value::Number(x)
    }

    #[test]
    fn number_systems() {
        assert_eq!(bin2dec(&[t("1110111011")]), Ok(n(-69.0)));
        assert_eq!(bin2dec(&[n(1100100.0)]), Ok(n(100.0)));
        assert_eq!(bin2dec(&[n(3.0)]), Err(ErrorKind::Num));
        assert_eq!(bin2dec(&[Value::Bool(true)]), Err(ErrorKind::Value));
        assert_eq!(bin2hex(&[t("1100100"), n(3.0)]), Ok(t("064")));
        assert_eq!(bin2hex(&[t("1100011011"), n(1.0)]), Ok(t("FFFFFFFF1B")));
        assert_eq!(bin2hex(&[t("1100011011"), n(11.0)]), Err(ErrorKind::Num));
        assert_eq!(dec2bin(&[n(-512.8)]), Ok(t("1000000000")));
        assert_eq!(dec2bin(&[n(243.0), n(3.0)]), Err(ErrorKind::Num));
        assert_eq!(dec2bin(&[n(512.0)]), Err(ErrorKind::Num));
        assert_eq!(dec2oct(&[n(536870911.0)]), Ok(t("3777777777")));
        assert_eq!(dec2oct(&[n(536870912.0)]), Err(ErrorKind::Num));
        assert_eq!(dec2hex(&[n(-1213.0)]), Ok(t("FFFFFFFB43")));
        assert_eq!(hex2dec(&[t("8000000000")]), Ok(n(-549755813888.0)));
        assert_eq!(hex2dec(&[t("01fffffff")]), Ok(n(536870911.0)));
        assert_eq!(hex2bin(&[t("FFFFFFFE00")]), Ok(t("1000000000")));
        assert_eq!(oct2hex(&[t("4000000000"), n(2.0)]), Ok(t("FFE0000000")));
        assert_eq!(oct2dec(&[t("3777777778")]), Err(ErrorKind::Num));
        assert_eq!(bin2oct(&[Value::Blank]), Ok(t("0")));
    }

    #[test]
    fn bits() {
        assert_eq!(bitand(&[n(13.0), n(25.0)]), Ok(n(9.0)));
        assert_eq!(bitor(&[Value::Bool(true), n(4.0)]), Ok(n(5.0)));
        assert_eq!(bitxor(&[n(12.5), n(3.0)]), Err(ErrorKind::Num));
        assert_eq!(bitand(&[n(BIT_LIMIT), n(3.0)]), Err(ErrorKind::Num));
        assert_eq!(bitlshift(&[n(12.0), n(44.0)]), Ok(n(211106232532992.0)));
        assert_eq!(bitlshift(&[n(12.0), n(45.0)]), Err(ErrorKind::Num));
        assert_eq!(bitlshift(&[n(12.0), n(-54.0)]), Err(ErrorKind::Num));
        assert_eq!(bitrshift(&[n(145.0), n(-3.0)]), Ok(n(1160.0)));
        assert_eq!(bitlshift(&[n(145.0), n(-3.0)]), Ok(n(18.0)));
    }

    #[test]
    fn delta_and_gestep() {
        assert_eq!(delta(&[n(3.0), n(3.000_000_000_000_001)]), Ok(n(0.0)));
        assert_eq!(delta(&[t("2"), t("2")]), Ok(n(1.0)));
        assert_eq!(gestep(&[n(-2.0), n(-7.0)]), Ok(n(1.0)));
        assert_eq!(gestep(&[Value::Bool(true)]), Err(ErrorKind::Value));
    }

    fn close(v: FnResult, expected: f64) {
        let Ok(Value::Number(x)) = v else { panic!("{v:?}") };
        assert!(((x - expected) / expected).abs() < 1e-12, "{x} vs {expected}");
    }

    #[test]
    fn bessel_matches_excel() {
        // Values computed by Excel, which carry the error of its approximations.
        close(besselj(&[n(0.0), n(0.0)]), 1.00000000283141);
        close(besselj(&[n(1.5), n(12.0)]), 6.332_532_931_984_219e-11);
        close(besseli(&[n(0.2), n(7.0)]), 1.9866085100212153e-11);
        close(besselk(&[n(2.0), n(0.0)]), 0.11389388);
        close(besselk(&[n(2.0), n(7.0)]), 305.53802219999994);
        close(bessely(&[n(10.0), n(10.0)]), -0.35981415215916773);
        close(besselj(&[n(10.0), n(0.0)]), -0.2459357644412996);
        close(besselj(&[n(10.0), n(1.0)]), 0.04347224965225415);
        close(besselj(&[n(-32.0), n(7.0)]), 0.07621034879110145);
        close(bessely(&[n(1e-10), n(5.0)]), -2.444_619_924_48e52);
        assert_eq!(besselk(&[n(0.0), n(1.0)]), Err(ErrorKind::Num));
        assert_eq!(besseli(&[n(1.0), n(-1.0)]), Err(ErrorKind::Num));
    }

    #[test]
    fn convert_units() {
        close(convert(&[n(1.0), t("sg"), t("g")]), 14593.902937206363);
        close(convert(&[n(0.05), t("Mm2"), t("m2")]), 5e10);
        close(convert(&[n(0.0002), t("Muk_pt"), t("m3")]), 0.11365225);
        close(convert(&[n(1.0), t("F"), t("K")]), 255.92777777777775);
        close(convert(&[n(12.0), t("MK"), t("K")]), 12e6);
        close(convert(&[n(1.0), t("kibyte"), t("bit")]), 8192.0);
        assert_eq!(convert(&[n(1.0), t("Mmi"), t("m")]), Err(ErrorKind::NA));
        assert_eq!(convert(&[n(1.0), t("kim"), t("m")]), Err(ErrorKind::NA));
        assert_eq!(convert(&[n(1.0), t("m"), t("g")]), Err(ErrorKind::NA));
    }

    #[test]
    fn complex_text_and_parsing() {
        assert_eq!(complex(&[n(12.0), n(6.0)]), Ok(t("12+6i")));
        assert_eq!(complex(&[n(1.0), n(-2.0), t("j")]), Ok(t("1-2j")));
        assert_eq!(complex(&[n(0.0), n(1.0), t("j")]), Ok(t("j")));
        assert_eq!(complex(&[n(1.0), n(2.0), n(0.0)]), Err(ErrorKind::Value));
        assert_eq!(complex(&[n(1e-16), n(0.0)]), Ok(t("0.0000000000000001")));
        assert_eq!(complex(&[n(1e-20), n(0.0)]), Ok(t("1E-20")));
        assert_eq!(complex(&[n(1.2e-45), n(-3.0)]), Ok(t("1.2E-45-3i")));
        assert_eq!(imconjugate(&[t("1-2j")]), Ok(t("1+2j")));
        assert_eq!(imconjugate(&[t("-5i")]), Ok(t("5i")));
        assert_eq!(imreal(&[t("1.2E-45-3i")]), Ok(n(1.2e-45)));
        assert_eq!(imaginary(&[t("-i")]), Ok(n(-1.0)));
        assert_eq!(imaginary(&[t("1e-3i")]), Ok(n(1e-3)));
        assert_eq!(imreal(&[t("3 + 4i")]), Err(ErrorKind::Num));
        assert_eq!(imreal(&[t("3+4I")]), Err(ErrorKind::Num));
        assert_eq!(imsub(&[t("3+4i"), t("-4+5i")]), Ok(t("7-i")));
        assert_eq!(imsub(&[t("i"), t("j")]), Err(ErrorKind::Value));
        assert_eq!(impower(&[t("2+3i"), n(3.0)]), Ok(t("-46+9.00000000000001i")));
        assert_eq!(imsqrt(&[n(-1.0)]), Ok(t("6.12323399573677E-17+i")));
        assert_eq!(imargument(&[n(0.0)]), Err(ErrorKind::Div0));
        assert_eq!(imcot(&[n(0.0)]), Err(ErrorKind::Num));
        assert_eq!(imcot(&[n(1e-16)]), Ok(t("1E+16")));
        assert_eq!(imtan(&[t("7-12.6i")]), Ok(t("2.25273756034272E-11-0.99999999999689i")));
        assert_eq!(imcot(&[t("4+3i")]), Ok(t("0.00490118239430447-0.999266927805902i")));
        assert_eq!(imln(&[t("3+4i")]), Ok(t("1.6094379124341+0.927295218001612i")));
        assert_eq!(imexp(&[t("1+i")]), Ok(t("1.46869393991589+2.28735528717884i")));
        assert_eq!(imdiv(&[t("-238+240i"), t("10+24i")]), Ok(t("5+12i")));
    }
}

//! Probability distributions: densities, CDFs and inverses (`NORM.DIST`, `BETA.INV`, …), the
//! gamma and error functions of the worksheet, and the statistical tests (`T.TEST`,
//! `F.TEST`, `CHISQ.TEST`, `Z.TEST`).
//!
//! The numerics live in [`crate::special`]; this module applies Excel's argument rules:
//! numeric text converts, integer arguments are truncated, the `cumulative` flag is a boolean
//! (numbers are TRUE unless 0), and parameters outside the domain give `#NUM!`.

use super::FnResult;
use super::args;
use crate::eval::{Evaluator, Operand};
use crate::parse::Expr;
use crate::special;
use crate::value::{ErrorKind, Value};

type Special = Result<Operand, ErrorKind>;

/// `Ok(number)`, with NaN and infinities turned into `#NUM!`.
fn num_result(x: f64) -> FnResult {
    if x.is_finite() { Ok(Value::number(x)) } else { Err(ErrorKind::Num) }
}

/// `#NUM!` unless `ok`.
fn check(ok: bool) -> Result<(), ErrorKind> {
    if ok { Ok(()) } else { Err(ErrorKind::Num) }
}

/// Argument `i` as a number.
fn num(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    args::num(a, i)
}

/// Argument `i` truncated toward zero.
fn int(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    args::int(a, i)
}

/// A count argument: `#NUM!` if negative (before truncation, so `-1E-10` is rejected), else
/// truncated.
fn count(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    let x = num(a, i)?;
    check(x >= 0.0)?;
    Ok(x.trunc())
}

/// The `cumulative` flag (blank is FALSE).
fn flag(a: &[Value], i: usize) -> Result<bool, ErrorKind> {
    args::boolean_or(a, i, false)
}

/// Argument `i` as a number for the engineering functions (`ERF`…), which reject booleans.
fn eng_num(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    match a.get(i) {
        Some(Value::Bool(_)) => Err(ErrorKind::Value),
        _ => num(a, i),
    }
}

/// A probability strictly between 0 and 1.
fn open_prob(p: f64) -> Result<(), ErrorKind> {
    check(p > 0.0 && p < 1.0)
}

// ── Normal and lognormal ───────────────────────────────────────────────────────────────────

fn normal(x: f64, mean: f64, sd: f64, cumulative: bool) -> FnResult {
    check(sd > 0.0)?;
    let z = (x - mean) / sd;
    num_result(if cumulative { special::norm_cdf(z) } else { special::norm_pdf(z) / sd })
}

/// `NORM.DIST(x, mean, standard_dev, cumulative)`
pub(super) fn norm_dist(a: &[Value]) -> FnResult {
    normal(num(a, 0)?, num(a, 1)?, num(a, 2)?, flag(a, 3)?)
}

/// `NORMDIST(x, mean, standard_dev, cumulative)`
pub(super) fn normdist(a: &[Value]) -> FnResult {
    norm_dist(a)
}

/// `NORM.INV(probability, mean, standard_dev)`
pub(super) fn norm_inv(a: &[Value]) -> FnResult {
    let (p, mean, sd) = (num(a, 0)?, num(a, 1)?, num(a, 2)?);
    open_prob(p)?;
    check(sd > 0.0)?;
    num_result(mean + sd * special::norm_inv(p))
}

/// `NORM.S.DIST(z, cumulative)`
pub(super) fn norm_s_dist(a: &[Value]) -> FnResult {
    normal(num(a, 0)?, 0.0, 1.0, flag(a, 1)?)
}

/// `NORMSDIST(z)`
pub(super) fn normsdist(a: &[Value]) -> FnResult {
    normal(num(a, 0)?, 0.0, 1.0, true)
}

/// `NORM.S.INV(probability)`
pub(super) fn norm_s_inv(a: &[Value]) -> FnResult {
    let p = num(a, 0)?;
    open_prob(p)?;
    num_result(special::norm_inv(p))
}

/// `GAUSS(z)`: `Φ(z) − ½`.
pub(super) fn gauss(a: &[Value]) -> FnResult {
    let z = num(a, 0)?;
    // Φ(z) − ½ = ½·erf(z/√2), accurate near 0.
    num_result(0.5 * special::erf(z / std::f64::consts::SQRT_2))
}

/// `PHI(x)`: the standard normal density.
pub(super) fn phi(a: &[Value]) -> FnResult {
    num_result(special::norm_pdf(num(a, 0)?))
}

fn lognormal(x: f64, mean: f64, sd: f64, cumulative: bool) -> FnResult {
    check(x > 0.0 && sd > 0.0)?;
    let z = (x.ln() - mean) / sd;
    num_result(if cumulative { special::norm_cdf(z) } else { special::norm_pdf(z) / (x * sd) })
}

/// `LOGNORM.DIST(x, mean, standard_dev, cumulative)`
pub(super) fn lognorm_dist(a: &[Value]) -> FnResult {
    lognormal(num(a, 0)?, num(a, 1)?, num(a, 2)?, flag(a, 3)?)
}

/// `LOGNORMDIST(x, mean, standard_dev)`: the cumulative lognormal distribution.
pub(super) fn lognormdist(a: &[Value]) -> FnResult {
    lognormal(num(a, 0)?, num(a, 1)?, num(a, 2)?, true)
}

/// `LOGNORM.INV(probability, mean, standard_dev)`
pub(super) fn lognorm_inv(a: &[Value]) -> FnResult {
    let (p, mean, sd) = (num(a, 0)?, num(a, 1)?, num(a, 2)?);
    open_prob(p)?;
    check(sd > 0.0)?;
    num_result((mean + sd * special::norm_inv(p)).exp())
}

/// `LOGINV(probability, mean, standard_dev)`
pub(super) fn loginv(a: &[Value]) -> FnResult {
    lognorm_inv(a)
}

// ── Beta ─────────────────────────────────────────────────────────────────────────────────

/// The bounds `[A, B]` of the beta functions (arguments `i`, `i+1`, default `[0, 1]`).
fn beta_bounds(a: &[Value], i: usize) -> Result<(f64, f64), ErrorKind> {
    let lo = args::num_or(a, i, 0.0)?;
    let hi = args::num_or(a, i + 1, 1.0)?;
    check(lo < hi)?;
    Ok((lo, hi))
}

fn beta_dist_impl(x: f64, alpha: f64, beta: f64, cumulative: bool, lo: f64, hi: f64) -> FnResult {
    check(alpha > 0.0 && beta > 0.0 && x >= lo && x <= hi)?;
    let w = hi - lo;
    let (t, u) = ((x - lo) / w, (hi - x) / w);
    if cumulative {
        num_result(special::beta_inc_pair(alpha, beta, t, u).0)
    } else {
        num_result(special::beta_density(alpha, beta, t) / w)
    }
}

/// `BETA.DIST(x, alpha, beta, cumulative, [A], [B])`
pub(super) fn beta_dist(a: &[Value]) -> FnResult {
    let (x, alpha, beta, cumulative) = (num(a, 0)?, num(a, 1)?, num(a, 2)?, flag(a, 3)?);
    let (lo, hi) = beta_bounds(a, 4)?;
    beta_dist_impl(x, alpha, beta, cumulative, lo, hi)
}

/// `BETADIST(x, alpha, beta, [A], [B])`: the cumulative beta distribution.
pub(super) fn betadist(a: &[Value]) -> FnResult {
    let (x, alpha, beta) = (num(a, 0)?, num(a, 1)?, num(a, 2)?);
    let (lo, hi) = beta_bounds(a, 3)?;
    beta_dist_impl(x, alpha, beta, true, lo, hi)
}

/// `BETA.INV(probability, alpha, beta, [A], [B])`
pub(super) fn beta_inv(a: &[Value]) -> FnResult {
    let (p, alpha, beta) = (num(a, 0)?, num(a, 1)?, num(a, 2)?);
    let (lo, hi) = beta_bounds(a, 3)?;
    open_prob(p)?;
    check(alpha > 0.0 && beta > 0.0)?;
    let (x, y) = special::beta_inc_inv_pair(alpha, beta, p, 1.0 - p);
    // Interpolate from the nearer end.
    num_result(if x <= 0.5 { lo + (hi - lo) * x } else { hi - (hi - lo) * y })
}

/// `BETAINV(probability, alpha, beta, [A], [B])`
pub(super) fn betainv(a: &[Value]) -> FnResult {
    beta_inv(a)
}

// ── Gamma ───────────────────────────────────────────────────────────────────────────────

/// `GAMMA(number)`
pub(super) fn gamma(a: &[Value]) -> FnResult {
    let x = num(a, 0)?;
    check(!(x <= 0.0 && x == x.floor()))?;
    num_result(special::gamma(x))
}

/// `GAMMALN(x)`, `GAMMALN.PRECISE(x)`
pub(super) fn gammaln(a: &[Value]) -> FnResult {
    let x = num(a, 0)?;
    check(x > 0.0)?;
    num_result(special::ln_gamma(x))
}

/// `GAMMA.DIST(x, alpha, beta, cumulative)`
pub(super) fn gamma_dist(a: &[Value]) -> FnResult {
    let (x, alpha, beta, cumulative) = (num(a, 0)?, num(a, 1)?, num(a, 2)?, flag(a, 3)?);
    check(x >= 0.0 && alpha > 0.0 && beta > 0.0)?;
    let t = x / beta;
    if cumulative {
        num_result(special::gamma_p(alpha, t))
    } else {
        num_result(special::gamma_density(alpha, t) / beta)
    }
}

/// `GAMMADIST(x, alpha, beta, cumulative)`
pub(super) fn gammadist(a: &[Value]) -> FnResult {
    gamma_dist(a)
}

/// `GAMMA.INV(probability, alpha, beta)`
pub(super) fn gamma_inv(a: &[Value]) -> FnResult {
    let (p, alpha, beta) = (num(a, 0)?, num(a, 1)?, num(a, 2)?);
    check((0.0..1.0).contains(&p) && alpha > 0.0 && beta > 0.0)?;
    num_result(beta * special::gamma_p_inv(alpha, p))
}

/// `GAMMAINV(probability, alpha, beta)`
pub(super) fn gammainv(a: &[Value]) -> FnResult {
    gamma_inv(a)
}

// ── Exponential and Weibull ──────────────────────────────────────────────────────────────

/// `EXPON.DIST(x, lambda, cumulative)`
pub(super) fn expon_dist(a: &[Value]) -> FnResult {
    let (x, lambda, cumulative) = (num(a, 0)?, num(a, 1)?, flag(a, 2)?);
    check(x >= 0.0 && lambda > 0.0)?;
    num_result(if cumulative { -(-lambda * x).exp_m1() } else { lambda * (-lambda * x).exp() })
}

/// `EXPONDIST(x, lambda, cumulative)`
pub(super) fn expondist(a: &[Value]) -> FnResult {
    expon_dist(a)
}

/// `WEIBULL.DIST(x, alpha, beta, cumulative)`
pub(super) fn weibull_dist(a: &[Value]) -> FnResult {
    let (x, alpha, beta, cumulative) = (num(a, 0)?, num(a, 1)?, num(a, 2)?, flag(a, 3)?);
    check(x >= 0.0 && alpha > 0.0 && beta > 0.0)?;
    let t = (x / beta).powf(alpha);
    num_result(if cumulative { -(-t).exp_m1() } else { alpha / beta * (x / beta).powf(alpha - 1.0) * (-t).exp() })
}

/// `WEIBULL(x, alpha, beta, cumulative)`
pub(super) fn weibull(a: &[Value]) -> FnResult {
    weibull_dist(a)
}

// ── Binomial family, Poisson, hypergeometric ─────────────────────────────────────────────

/// Trials from 2⁵³ on (where consecutive integers are no longer distinct) are `#NUM!`.
const MAX_TRIALS: f64 = 9_007_199_254_740_992.0;

/// `P(X ≤ k)` for the binomial distribution (integers `0 ≤ k`, `n ≥ 0`).
fn binom_cdf(k: f64, n: f64, p: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    if p == 0.0 {
        return 1.0;
    }
    if p == 1.0 {
        return 0.0;
    }
    // P(X ≤ k) = I_(1−p)(n − k, k + 1)
    special::beta_inc_pair(n - k, k + 1.0, 1.0 - p, p).0
}

/// `BINOM.DIST(number_s, trials, probability_s, cumulative)`
pub(super) fn binom_dist(a: &[Value]) -> FnResult {
    let (k, n, p, cumulative) = (count(a, 0)?, int(a, 1)?, num(a, 2)?, flag(a, 3)?);
    check(k <= n && n < MAX_TRIALS && (0.0..=1.0).contains(&p))?;
    num_result(if cumulative { binom_cdf(k, n, p) } else { special::binomial_pmf(k, n, p) })
}

/// `BINOMDIST(number_s, trials, probability_s, cumulative)`
pub(super) fn binomdist(a: &[Value]) -> FnResult {
    binom_dist(a)
}

/// `BINOM.DIST.RANGE(trials, probability_s, number_s, [number_s2])`
pub(super) fn binom_dist_range(a: &[Value]) -> FnResult {
    let (n, p, s) = (int(a, 0)?, num(a, 1)?, count(a, 2)?);
    let s2 = if a.len() > 3 { count(a, 3)? } else { s };
    check((0.0..MAX_TRIALS).contains(&n) && (0.0..=1.0).contains(&p) && s <= s2 && s2 <= n)?;
    if s == s2 {
        return num_result(special::binomial_pmf(s, n, p));
    }
    let upper = binom_cdf(s2, n, p);
    let below = if s > 0.0 { binom_cdf(s - 1.0, n, p) } else { 0.0 };
    // For ranges in the upper tail, subtract complements instead.
    if below > 0.5 {
        let q_below = special::beta_inc_pair(n - s + 1.0, s, 1.0 - p, p).1;
        let q_upper = if s2 >= n { 0.0 } else { special::beta_inc_pair(n - s2, s2 + 1.0, 1.0 - p, p).1 };
        return num_result((q_below - q_upper).max(0.0));
    }
    num_result((upper - below).max(0.0))
}

/// `BINOM.INV(trials, probability_s, alpha)`: the smallest `k` with `P(X ≤ k) ≥ alpha`.
pub(super) fn binom_inv(a: &[Value]) -> FnResult {
    let (n, p, alpha) = (int(a, 0)?, num(a, 1)?, num(a, 2)?);
    check((0.0..MAX_TRIALS).contains(&n) && (0.0..1.0).contains(&p))?;
    open_prob(alpha)?;
    if p == 0.0 {
        return Ok(Value::Number(0.0));
    }
    // Start from the normal approximation, then step.
    let sd = (n * p * (1.0 - p)).sqrt();
    let mut k = (n * p + sd * special::norm_inv(alpha)).floor().clamp(0.0, n);
    while k < n && binom_cdf(k, n, p) < alpha {
        k += 1.0;
    }
    while k > 0.0 && binom_cdf(k - 1.0, n, p) >= alpha {
        k -= 1.0;
    }
    Ok(Value::Number(k))
}

/// `CRITBINOM(trials, probability_s, alpha)`
pub(super) fn critbinom(a: &[Value]) -> FnResult {
    binom_inv(a)
}

/// `NEGBINOM.DIST(number_f, number_s, probability_s, cumulative)`
pub(super) fn negbinom_dist(a: &[Value]) -> FnResult {
    let (f, s, p, cumulative) = (count(a, 0)?, int(a, 1)?, num(a, 2)?, flag(a, 3)?);
    check(s >= 1.0 && p > 0.0 && p < 1.0)?;
    if cumulative {
        // P(F ≤ f) = I_p(s, f + 1)
        num_result(special::beta_inc_pair(s, f + 1.0, p, 1.0 - p).0)
    } else {
        // C(f+s−1, f) pˢ (1−p)ᶠ = s/(f+s) · C(f+s, s) pˢ (1−p)ᶠ
        num_result(s / (f + s) * special::binomial_pmf(s, f + s, p))
    }
}

/// `NEGBINOMDIST(number_f, number_s, probability_s)`
pub(super) fn negbinomdist(a: &[Value]) -> FnResult {
    let (f, s, p) = (count(a, 0)?, int(a, 1)?, num(a, 2)?);
    check(s >= 1.0 && p > 0.0 && p < 1.0)?;
    num_result(s / (f + s) * special::binomial_pmf(s, f + s, p))
}

/// `POISSON.DIST(x, mean, cumulative)`
pub(super) fn poisson_dist(a: &[Value]) -> FnResult {
    let (k, mean, cumulative) = (count(a, 0)?, num(a, 1)?, flag(a, 2)?);
    check(mean >= 0.0)?;
    if cumulative {
        if mean == 0.0 {
            return Ok(Value::Number(1.0));
        }
        num_result(special::gamma_q(k + 1.0, mean))
    } else {
        num_result(special::poisson_pmf(k, mean))
    }
}

/// `POISSON(x, mean, cumulative)`
pub(super) fn poisson(a: &[Value]) -> FnResult {
    poisson_dist(a)
}

/// `P(X = k)` of the hypergeometric distribution: `k` successes in a sample of `n` from a
/// population of `total` with `successes` successes.
fn hypgeom_pmf(k: f64, n: f64, successes: f64, total: f64) -> f64 {
    if k < (n + successes - total).max(0.0) || k > n.min(successes) {
        return 0.0;
    }
    // C(K,k)·C(N−K,n−k)/C(N,n) = b(k; K, p)·b(n−k; N−K, p)/b(n; N, p) for any p, with p = n/N.
    let p = n / total;
    special::binomial_pmf(k, successes, p) * special::binomial_pmf(n - k, total - successes, p)
        / special::binomial_pmf(n, total, p)
}

fn hypgeom(k: f64, n: f64, successes: f64, total: f64, cumulative: bool) -> FnResult {
    check(k >= 0.0 && n > 0.0 && successes > 0.0 && total > 0.0)?;
    check(k <= n && k <= successes && n <= total && successes <= total)?;
    check(k >= n - (total - successes))?;
    if !cumulative {
        return num_result(hypgeom_pmf(k, n, successes, total));
    }
    let lo = (n + successes - total).max(0.0);
    let hi = n.min(successes);
    let mode = ((n + 1.0) * (successes + 1.0) / (total + 2.0)).floor();
    // Sum the smaller side outward from k, until the terms no longer count.
    let tail = |from: f64, step: f64, end: f64| {
        let mut sum = 0.0;
        let mut j = from;
        while (step > 0.0 && j <= end) || (step < 0.0 && j >= end) {
            let term = hypgeom_pmf(j, n, successes, total);
            sum += term;
            if term <= 1e-17 * sum && (j - mode) * step > 0.0 {
                break;
            }
            j += step;
        }
        sum
    };
    if k < mode { num_result(tail(k, -1.0, lo).min(1.0)) } else { num_result((1.0 - tail(k + 1.0, 1.0, hi)).max(0.0)) }
}

/// `HYPGEOM.DIST(sample_s, number_sample, population_s, number_pop, cumulative)`
pub(super) fn hypgeom_dist(a: &[Value]) -> FnResult {
    hypgeom(count(a, 0)?, int(a, 1)?, int(a, 2)?, int(a, 3)?, flag(a, 4)?)
}

/// `HYPGEOMDIST(sample_s, number_sample, population_s, number_pop)`
pub(super) fn hypgeomdist(a: &[Value]) -> FnResult {
    hypgeom(count(a, 0)?, int(a, 1)?, int(a, 2)?, int(a, 3)?, false)
}

// ── Student's t ──────────────────────────────────────────────────────────────────────────

/// `T.DIST(x, deg_freedom, cumulative)`
pub(super) fn t_dist(a: &[Value]) -> FnResult {
    let (x, df, cumulative) = (num(a, 0)?, int(a, 1)?, flag(a, 2)?);
    check(df >= 1.0)?;
    num_result(if cumulative { special::student_t_cdf(x, df) } else { special::student_t_pdf(x, df) })
}

/// `T.DIST.2T(x, deg_freedom)`
pub(super) fn t_dist_2t(a: &[Value]) -> FnResult {
    let (x, df) = (num(a, 0)?, int(a, 1)?);
    check(x >= 0.0 && df >= 1.0)?;
    num_result((2.0 * special::student_t_cdf(-x, df)).min(1.0))
}

/// `T.DIST.RT(x, deg_freedom)`
pub(super) fn t_dist_rt(a: &[Value]) -> FnResult {
    let (x, df) = (num(a, 0)?, int(a, 1)?);
    check(df >= 1.0)?;
    num_result(special::student_t_cdf(-x, df))
}

/// `TDIST(x, deg_freedom, tails)`
pub(super) fn tdist(a: &[Value]) -> FnResult {
    let (x, df, tails) = (num(a, 0)?, int(a, 1)?, int(a, 2)?);
    check(x >= 0.0 && df >= 1.0 && (tails == 1.0 || tails == 2.0))?;
    num_result((tails * special::student_t_cdf(-x, df)).min(1.0))
}

/// `T.INV(probability, deg_freedom)`
pub(super) fn t_inv(a: &[Value]) -> FnResult {
    let (p, df) = (num(a, 0)?, int(a, 1)?);
    open_prob(p)?;
    check(df >= 1.0)?;
    num_result(special::student_t_inv(p, df))
}

/// `T.INV.2T(probability, deg_freedom)`
pub(super) fn t_inv_2t(a: &[Value]) -> FnResult {
    let (p, df) = (num(a, 0)?, int(a, 1)?);
    check(p > 0.0 && p <= 1.0 && df >= 1.0)?;
    num_result(-special::student_t_inv(0.5 * p, df))
}

/// `TINV(probability, deg_freedom)`
pub(super) fn tinv(a: &[Value]) -> FnResult {
    let (p, df) = (num(a, 0)?, int(a, 1)?);
    check(p > 0.0 && p <= 1.0 && df >= 1.0)?;
    num_result(-special::student_t_inv(0.5 * p, df))
}

// ── Chi-squared and F ────────────────────────────────────────────────────────────────────

/// Degrees of freedom of the chi-squared functions: truncated, `1 ≤ df ≤ 10¹⁰`.
fn chisq_df(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    let df = int(a, i)?;
    check((1.0..=1e10).contains(&df))?;
    Ok(df)
}

/// `CHISQ.DIST(x, deg_freedom, cumulative)`
pub(super) fn chisq_dist(a: &[Value]) -> FnResult {
    let (x, df, cumulative) = (num(a, 0)?, chisq_df(a, 1)?, flag(a, 2)?);
    check(x >= 0.0)?;
    if cumulative {
        num_result(special::gamma_p(0.5 * df, 0.5 * x))
    } else {
        num_result(0.5 * special::gamma_density(0.5 * df, 0.5 * x))
    }
}

/// `CHISQ.DIST.RT(x, deg_freedom)`
pub(super) fn chisq_dist_rt(a: &[Value]) -> FnResult {
    let (x, df) = (num(a, 0)?, chisq_df(a, 1)?);
    check(x >= 0.0)?;
    num_result(special::gamma_q(0.5 * df, 0.5 * x))
}

/// `CHIDIST(x, deg_freedom)`
pub(super) fn chidist(a: &[Value]) -> FnResult {
    chisq_dist_rt(a)
}

/// `CHISQ.INV(probability, deg_freedom)`
pub(super) fn chisq_inv(a: &[Value]) -> FnResult {
    let (p, df) = (num(a, 0)?, chisq_df(a, 1)?);
    check((0.0..1.0).contains(&p))?;
    num_result(2.0 * special::gamma_p_inv(0.5 * df, p))
}

/// `CHISQ.INV.RT(probability, deg_freedom)`
pub(super) fn chisq_inv_rt(a: &[Value]) -> FnResult {
    let (p, df) = (num(a, 0)?, chisq_df(a, 1)?);
    check(p > 0.0 && p <= 1.0)?;
    num_result(2.0 * special::gamma_q_inv(0.5 * df, p))
}

/// `CHIINV(probability, deg_freedom)`
pub(super) fn chiinv(a: &[Value]) -> FnResult {
    chisq_inv_rt(a)
}

/// Degrees of freedom of the F functions: truncated, `1 ≤ df < 10¹⁰`.
fn f_df(a: &[Value], i: usize) -> Result<f64, ErrorKind> {
    let df = int(a, i)?;
    check((1.0..1e10).contains(&df))?;
    Ok(df)
}

/// `(P(F ≤ x), P(F > x))` for the F distribution.
fn f_cdf_pair(x: f64, d1: f64, d2: f64) -> (f64, f64) {
    // I_(d1·x/(d1·x + d2))(d1/2, d2/2)
    let s = d1 * x + d2;
    special::beta_inc_pair(0.5 * d1, 0.5 * d2, d1 * x / s, d2 / s)
}

/// `F.DIST(x, deg_freedom1, deg_freedom2, cumulative)`
pub(super) fn f_dist(a: &[Value]) -> FnResult {
    let (x, d1, d2, cumulative) = (num(a, 0)?, f_df(a, 1)?, f_df(a, 2)?, flag(a, 3)?);
    check(x >= 0.0)?;
    if cumulative {
        return num_result(f_cdf_pair(x, d1, d2).0);
    }
    // f(x) = d1/(d1·x+d2)·d2/(d1·x+d2)… via the beta density of t = d1·x/(d1·x + d2)
    let s = d1 * x + d2;
    let t = d1 * x / s;
    num_result(special::beta_density(0.5 * d1, 0.5 * d2, t) * d1 * d2 / (s * s))
}

/// `F.DIST.RT(x, deg_freedom1, deg_freedom2)`
pub(super) fn f_dist_rt(a: &[Value]) -> FnResult {
    let (x, d1, d2) = (num(a, 0)?, f_df(a, 1)?, f_df(a, 2)?);
    check(x >= 0.0)?;
    num_result(f_cdf_pair(x, d1, d2).1)
}

/// `FDIST(x, deg_freedom1, deg_freedom2)`
pub(super) fn fdist(a: &[Value]) -> FnResult {
    f_dist_rt(a)
}

/// The F quantile with lower probability `p` and upper `q`.
fn f_quantile(p: f64, q: f64, d1: f64, d2: f64) -> f64 {
    let (t, u) = special::beta_inc_inv_pair(0.5 * d1, 0.5 * d2, p, q);
    d2 * t / (d1 * u)
}

/// `F.INV(probability, deg_freedom1, deg_freedom2)`
pub(super) fn f_inv(a: &[Value]) -> FnResult {
    let (p, d1, d2) = (num(a, 0)?, f_df(a, 1)?, f_df(a, 2)?);
    check((0.0..1.0).contains(&p))?;
    num_result(f_quantile(p, 1.0 - p, d1, d2))
}

/// `F.INV.RT(probability, deg_freedom1, deg_freedom2)`
pub(super) fn f_inv_rt(a: &[Value]) -> FnResult {
    let (p, d1, d2) = (num(a, 0)?, f_df(a, 1)?, f_df(a, 2)?);
    check(p > 0.0 && p <= 1.0)?;
    num_result(f_quantile(1.0 - p, p, d1, d2))
}

/// `FINV(probability, deg_freedom1, deg_freedom2)`
pub(super) fn finv(a: &[Value]) -> FnResult {
    f_inv_rt(a)
}

// ── Confidence intervals ─────────────────────────────────────────────────────────────────

/// `CONFIDENCE.NORM(alpha, standard_dev, size)`, `CONFIDENCE(alpha, standard_dev, size)`
pub(super) fn confidence_norm(a: &[Value]) -> FnResult {
    let (alpha, sd, n) = (num(a, 0)?, num(a, 1)?, int(a, 2)?);
    open_prob(alpha)?;
    check(sd > 0.0 && n >= 1.0)?;
    num_result(-special::norm_inv(0.5 * alpha) * sd / n.sqrt())
}

/// `CONFIDENCE.T(alpha, standard_dev, size)`
pub(super) fn confidence_t(a: &[Value]) -> FnResult {
    let (alpha, sd, n) = (num(a, 0)?, num(a, 1)?, int(a, 2)?);
    open_prob(alpha)?;
    check(sd > 0.0 && n >= 1.0)?;
    if n == 1.0 {
        return Err(ErrorKind::Div0);
    }
    num_result(-special::student_t_inv(0.5 * alpha, n - 1.0) * sd / n.sqrt())
}

// ── Error function ───────────────────────────────────────────────────────────────────────

/// `ERF(lower_limit, [upper_limit])`
pub(super) fn erf(a: &[Value]) -> FnResult {
    let lower = eng_num(a, 0)?;
    if a.len() < 2 {
        return num_result(special::erf(lower));
    }
    let upper = eng_num(a, 1)?;
    // erf(u) − erf(l); in a common tail, as a difference of erfc for accuracy.
    let v = if lower > 0.5 && upper > 0.5 {
        special::erfc(lower) - special::erfc(upper)
    } else if lower < -0.5 && upper < -0.5 {
        special::erfc(-upper) - special::erfc(-lower)
    } else {
        special::erf(upper) - special::erf(lower)
    };
    num_result(v)
}

/// `ERF.PRECISE(x)`
pub(super) fn erf_precise(a: &[Value]) -> FnResult {
    num_result(special::erf(eng_num(a, 0)?))
}

/// `ERFC(x)`, `ERFC.PRECISE(x)`
pub(super) fn erfc(a: &[Value]) -> FnResult {
    num_result(special::erfc(eng_num(a, 0)?))
}

// ── Statistical tests ────────────────────────────────────────────────────────────────────

/// Mean and sum of squared deviations.
fn mean_ss(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let ss = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>();
    (mean, ss)
}

/// `Z.TEST(array, x, [sigma])`, `ZTEST(array, x, [sigma])`
pub(super) fn z_test(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::array_numbers(ev, &a[0])?;
    let x = args::scalar_num(ev, a, 1)?;
    let sigma = if a.len() > 2 && !matches!(a[2], Expr::Missing) { Some(args::scalar_num(ev, a, 2)?) } else { None };
    let n = xs.len() as f64;
    if xs.is_empty() {
        return Err(ErrorKind::NA);
    }
    let (mean, ss) = mean_ss(&xs);
    let sigma = match sigma {
        Some(s) => s,
        None => {
            if xs.len() < 2 {
                return Err(ErrorKind::Div0);
            }
            (ss / (n - 1.0)).sqrt()
        }
    };
    if sigma <= 0.0 {
        return Err(if sigma == 0.0 { ErrorKind::Div0 } else { ErrorKind::Num });
    }
    let z = (mean - x) / (sigma / n.sqrt());
    Ok(num_result(special::norm_cdf(-z))?.into())
}

/// The values of an array argument, by position (for paired tests).
fn positional(ev: &mut Evaluator<'_>, e: &Expr) -> Result<Vec<Value>, ErrorKind> {
    let arr = ev.array(e)?;
    Ok(arr.values().to_vec())
}

/// `T.TEST(array1, array2, tails, type)`, `TTEST(…)`
pub(super) fn t_test(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let tails = args::scalar_num(ev, a, 2)?.trunc();
    let kind = args::scalar_num(ev, a, 3)?.trunc();
    if !(tails == 1.0 || tails == 2.0) || !(1.0..=3.0).contains(&kind) {
        return Err(ErrorKind::Num);
    }
    let (t, df) = if kind == 1.0 {
        let xs = positional(ev, &a[0])?;
        let ys = positional(ev, &a[1])?;
        if xs.len() != ys.len() {
            return Err(ErrorKind::NA);
        }
        let mut diffs = Vec::new();
        for (x, y) in xs.iter().zip(&ys) {
            if let Value::Error(e) = x {
                return Err(*e);
            }
            if let Value::Error(e) = y {
                return Err(*e);
            }
            if let (Value::Number(x), Value::Number(y)) = (x, y) {
                diffs.push(x - y);
            }
        }
        if diffs.len() < 2 {
            return Err(ErrorKind::Div0);
        }
        let n = diffs.len() as f64;
        let (mean, ss) = mean_ss(&diffs);
        let sd = (ss / (n - 1.0)).sqrt();
        if sd == 0.0 {
            return Err(ErrorKind::Div0);
        }
        (mean / (sd / n.sqrt()), n - 1.0)
    } else {
        let xs = args::array_numbers(ev, &a[0])?;
        let ys = args::array_numbers(ev, &a[1])?;
        if xs.len() < 2 || ys.len() < 2 {
            return Err(ErrorKind::Div0);
        }
        let (n1, n2) = (xs.len() as f64, ys.len() as f64);
        let (m1, ss1) = mean_ss(&xs);
        let (m2, ss2) = mean_ss(&ys);
        let (v1, v2) = (ss1 / (n1 - 1.0), ss2 / (n2 - 1.0));
        if kind == 2.0 {
            let pooled = (ss1 + ss2) / (n1 + n2 - 2.0);
            let se = (pooled * (1.0 / n1 + 1.0 / n2)).sqrt();
            if se == 0.0 {
                return Err(ErrorKind::Div0);
            }
            ((m1 - m2) / se, n1 + n2 - 2.0)
        } else {
            let (a1, a2) = (v1 / n1, v2 / n2);
            let se = (a1 + a2).sqrt();
            if se == 0.0 {
                return Err(ErrorKind::Div0);
            }
            // Welch–Satterthwaite degrees of freedom.
            let df = (a1 + a2) * (a1 + a2) / (a1 * a1 / (n1 - 1.0) + a2 * a2 / (n2 - 1.0));
            ((m1 - m2) / se, df)
        }
    };
    let p = tails * special::student_t_cdf(-t.abs(), df);
    Ok(num_result(p.min(1.0))?.into())
}

/// `F.TEST(array1, array2)`, `FTEST(array1, array2)`
pub(super) fn f_test(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let xs = args::array_numbers(ev, &a[0])?;
    let ys = args::array_numbers(ev, &a[1])?;
    if xs.len() < 2 || ys.len() < 2 {
        return Err(ErrorKind::Div0);
    }
    let (n1, n2) = (xs.len() as f64, ys.len() as f64);
    let v1 = mean_ss(&xs).1 / (n1 - 1.0);
    let v2 = mean_ss(&ys).1 / (n2 - 1.0);
    if v1 == 0.0 || v2 == 0.0 {
        return Err(ErrorKind::Div0);
    }
    let (lower, upper) = f_cdf_pair(v1 / v2, n1 - 1.0, n2 - 1.0);
    Ok(num_result((2.0 * lower.min(upper)).min(1.0))?.into())
}

/// `CHISQ.TEST(actual_range, expected_range)`, `CHITEST(…)`
pub(super) fn chisq_test(ev: &mut Evaluator<'_>, a: &[Expr]) -> Special {
    let actual = ev.array(&a[0])?;
    let expected = ev.array(&a[1])?;
    let (rows, cols) = (actual.rows(), actual.cols());
    if rows != expected.rows() || cols != expected.cols() {
        return Err(ErrorKind::NA);
    }
    let mut chi2 = 0.0;
    for (x, e) in actual.values().iter().zip(expected.values()) {
        if let Value::Error(err) = x {
            return Err(*err);
        }
        if let Value::Error(err) = e {
            return Err(*err);
        }
        if let (Value::Number(x), Value::Number(e)) = (x, e) {
            if *e == 0.0 {
                return Err(ErrorKind::Div0);
            }
            chi2 += (x - e) * (x - e) / e;
        }
    }
    let df = if rows > 1 && cols > 1 { (rows - 1) * (cols - 1) } else { rows * cols - 1 };
    if df == 0 {
        return Err(ErrorKind::NA);
    }
    Ok(num_result(special::gamma_q(0.5 * df as f64, 0.5 * chi2))?.into())
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // Excel's cached values, digit for digit
mod tests {
    use crate::testing::eval_formula as eval;
    use crate::value::{ErrorKind, Value};

    fn approx(formula: &str, want: f64) {
        match eval(formula, &[]) {
            Value::Number(n) => {
                assert!((n - want).abs() <= 1e-12 * want.abs().max(1e-300), "{formula} = {n}, want {want}")
            }
            other => panic!("{formula} gave {other:?}"),
        }
    }

    fn err(formula: &str, e: ErrorKind) {
        assert_eq!(eval(formula, &[]), Value::Error(e), "{formula}");
    }

    #[test]
    fn normal_family() {
        approx("=NORM.DIST(42,40,1.5,TRUE)", 0.9087887802741321);
        approx("=NORM.DIST(42,40,1.5,FALSE)", 0.10934004978399575);
        approx("=NORMSDIST(-10)", 7.619853024160527e-24);
        approx("=NORM.S.INV(0.025)", -1.959963984540054);
        approx("=NORM.INV(0.908789,40,1.5)", 42.00000200956616);
        approx("=LOGNORM.DIST(4,3.5,1.2,TRUE)", 0.039083555706800478);
        approx("=LOGINV(0.5,2,1)", 7.38905609893065);
        approx("=GAUSS(1)", 0.34134474606854304);
        approx("=PHI(1)", 0.24197072451914337);
        // The cumulative flag: numbers are TRUE unless 0, "true" text converts.
        approx("=NORM.DIST(42,40,1.5,6)", 0.9087887802741321);
        approx("=NORM.DIST(42,40,1.5,\"true\")", 0.9087887802741321);
        err("=NORM.DIST(42,40,1.5,\"abc\")", ErrorKind::Value);
        err("=NORM.DIST(42,40,0,TRUE)", ErrorKind::Num);
        err("=NORM.INV(1,0,1)", ErrorKind::Num);
        err("=NORM.S.INV(0)", ErrorKind::Num);
        err("=LOGNORM.DIST(0,0,1,TRUE)", ErrorKind::Num);
    }

    #[test]
    fn gamma_and_beta() {
        approx("=GAMMA(-3.75)", 0.26786612886141664);
        approx("=GAMMA(1E-10)", 9999999999.4227867);
        err("=GAMMA(-2)", ErrorKind::Num);
        err("=GAMMA(172)", ErrorKind::Num);
        approx("=GAMMALN(0.5)", 0.57236494292470008);
        err("=GAMMALN.PRECISE(0)", ErrorKind::Num);
        approx("=GAMMA.DIST(10,9,2,TRUE)", 0.068093634721848553);
        approx("=GAMMA.DIST(10,9,2,FALSE)", 0.032639019674079374);
        approx("=GAMMA.INV(0.068093634721848553,9,2)", 10.0);
        approx("=GAMMA.INV(0,9,2)", 0.0);
        err("=GAMMA.INV(1,9,2)", ErrorKind::Num);
        err("=GAMMA.DIST(0,0.5,1,FALSE)", ErrorKind::Num);
        approx("=BETA.DIST(3,2,3,TRUE,1,10)", 0.21582075903063558);
        approx("=BETA.INV(0.21582075903063558,2,3,1,10)", 3.0);
        approx("=BETADIST(0.5,2,3)", 0.6875);
        err("=BETA.DIST(0.5,2,3,TRUE,1,1)", ErrorKind::Num);
        err("=BETA.INV(0,2,3)", ErrorKind::Num);
        err("=BETA.DIST(1.23,2,2.5,TRUE,0.234,1.2)", ErrorKind::Num);
    }

    #[test]
    fn discrete_distributions_truncate_and_check() {
        approx("=BINOM.DIST(7,8,0.7,TRUE)", 0.94235199);
        approx("=BINOM.DIST(2.99,10,0.5,TRUE)", 0.0546875);
        approx("=BINOM.DIST(3,17,0.2,FALSE)", 0.23925373020405763);
        err("=BINOM.DIST(10,2,0.3,TRUE)", ErrorKind::Num);
        err("=BINOM.DIST(1E10,1E30,0.3,TRUE)", ErrorKind::Num);
        approx("=BINOM.DIST.RANGE(17,0.2,3,10)", 0.69030191850061806);
        err("=BINOM.DIST.RANGE(10,0.3,5,3)", ErrorKind::Num);
        approx("=BINOM.INV(100000,0.7,0.8)", 70122.0);
        approx("=CRITBINOM(10,0.5,0.25)", 4.0);
        err("=BINOM.INV(10,0.7,1)", ErrorKind::Num);
        approx("=NEGBINOM.DIST(7,8,0.7,TRUE)", 0.94998745994622402);
        approx("=NEGBINOMDIST(5,10,0.3)", 0.001986857959086001);
        err("=NEGBINOM.DIST(2,10,1,TRUE)", ErrorKind::Num);
        approx("=POISSON.DIST(2,5,TRUE)", 0.12465201948308113);
        approx("=POISSON(1000000,1000000,TRUE)", 0.50026596148628366);
        // Negative counts are rejected before truncation.
        err("=POISSON.DIST(-1E-6,5,TRUE)", ErrorKind::Num);
        approx("=HYPGEOM.DIST(1.8,4.2,8.2,22,TRUE)", 0.53492822966507136);
        approx("=HYPGEOMDIST(1,4,8,18)", 0.31372549019607815);
        // Both sides of the mode (exact sums with rational arithmetic).
        approx("=HYPGEOM.DIST(0,4,8,22,TRUE)", 0.1368421052631579);
        approx("=HYPGEOM.DIST(40,100,500,1000,TRUE)", 0.022380751372507883);
        approx("=HYPGEOM.DIST(60,100,500,1000,TRUE)", 0.9867738661204395);
    }

    #[test]
    fn t_chi_f() {
        // Degrees of freedom are truncated (5.2 → 5).
        approx("=T.DIST(3,5.2,TRUE)", 0.98495037605126867);
        approx("=T.DIST.2T(2.3,5)", 0.06977246933203729);
        err("=T.DIST.2T(-2,5)", ErrorKind::Num);
        approx("=TDIST(3,5,1)", 0.015049623948731293);
        err("=TDIST(3,5,3)", ErrorKind::Num);
        approx("=T.INV(0.98495037605126867,5)", 3.0);
        approx("=TINV(0.06977246933203729,5)", 2.3);
        approx("=CHISQ.DIST(12.3,4,TRUE)", 0.98474560534423039);
        approx("=CHIDIST(12.3,4)", 0.015254394655769613);
        approx("=CHISQ.INV.RT(0.015254394655769613,4)", 12.3);
        approx("=F.DIST(0.7,4,2.4,FALSE)", 0.40509259259259256);
        approx("=F.DIST.RT(0.8,2.4,3)", 0.52667794766559672);
        approx("=FINV(0.52667794766559672,2,3)", 0.8);
        approx("=CONFIDENCE.NORM(0.05,1,50)", 0.27718076486993548);
        approx("=CONFIDENCE.T(0.05,1,50)", 0.28419685549572982);
        err("=CONFIDENCE.T(0.05,1,1)", ErrorKind::Div0);
        approx("=EXPON.DIST(0.2,10,TRUE)", 0.8646647167633873);
        approx("=WEIBULL.DIST(0.8,1,9,TRUE)", 0.085052771269968991);
    }

    #[test]
    fn error_function_rejects_booleans() {
        approx("=ERF(1)", 0.84270079294971489);
        // erf(4) − erf(5), computed as erfc(5) − erfc(4) (Excel: -1.5415720477918171E-8).
        approx("=ERF(5,4)", 1.5374597944280339e-12 - 1.5417257900280017e-8);
        approx("=ERFC(6)", 2.1519736712498925e-17);
        approx("=ERFC.PRECISE(-1.2)", 1.9103139782296354);
        err("=ERF(TRUE)", ErrorKind::Value);
        err("=ERFC.PRECISE(TRUE)", ErrorKind::Value);
    }

    #[test]
    fn tests_read_ranges() {
        let t_cells = [
            ("B1", "1"),
            ("B2", "2"),
            ("B3", "3"),
            ("B4", "4"),
            ("B5", "-3"),
            ("B6", "TRUE"),
            ("B7", "hello"),
            ("C1", "2"),
            ("C2", "-3.3"),
            ("C3", "0"),
            ("C4", "TRUE"),
            ("C5", "no"),
            ("C6", "2"),
            ("C7", "2"),
        ];
        let num = |f: &str, cells: &[(&str, &str)]| match eval(f, cells) {
            Value::Number(n) => n,
            other => panic!("{f} gave {other:?}"),
        };
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12 * b.abs(), "{a} vs {b}");
        // Paired: only pairs of two numbers count.
        close(num("=T.TEST(B1:B7,C1:C7,1,1)", &t_cells), 0.15855028798217946);
        close(num("=T.TEST(B1:B7,C1:C7,2,2)", &t_cells), 0.60356611528729376);
        close(num("=TTEST(B1:B7,C1:C7,2.2,3.3)", &t_cells), 0.60390401574697417);
        assert_eq!(eval("=T.TEST(B1:B7,C1:C7,1,4)", &t_cells), Value::Error(ErrorKind::Num));
        let f_cells = [
            ("B1", "1"),
            ("B2", "2"),
            ("B3", "3.3"),
            ("B4", "4.5"),
            ("B5", "-1"),
            ("C1", "5"),
            ("C2", "6"),
            ("C3", "7"),
            ("C4", "2.4"),
            ("C5", "-2"),
        ];
        close(num("=F.TEST(B1:B5,C1:C5)", &f_cells), 0.32666645556680951);
        close(num("=F.TEST(B1:B3,{2;3;7})", &f_cells), 0.3193277310924369);
        let c_cells =
            [("B1", "1"), ("B2", "2"), ("B3", "3"), ("B4", "4"), ("C1", "3"), ("C2", "4"), ("C3", "2"), ("C4", "3")];
        close(num("=CHISQ.TEST(B1:B4,C1:C4)", &c_cells), 0.36663538407527141);
        let z_cells = [
            ("B1", "1"),
            ("B2", "2"),
            ("B3", "3"),
            ("B4", "2"),
            ("B5", "2.2"),
            ("B6", "1.8"),
            ("B7", "2"),
            ("B8", "TRUE"),
            ("B9", "1"),
            ("B10", "2"),
        ];
        close(num("=Z.TEST(B1:B10,2,0.8)", &z_cells), 0.66153888048931053);
        close(num("=ZTEST(B1:B10,2.3)", &z_cells), 0.97854319966969472);
    }
}

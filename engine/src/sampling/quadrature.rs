//! Numerical integration for the moments of truncated distributions: tanh-sinh
//! (double-exponential) quadrature of a quantile function over a probability window, and
//! exact Gauss–Legendre rules for piecewise-linear densities.

use std::f64::consts::FRAC_PI_2;

/// The probability window `[F(lo⁻), F(hi)]` that a truncation keeps, with both ends and their
/// complements accurate (a window deep in an upper tail is described by its distances from 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Window {
    /// `P(X < lo)`.
    pub lo_p: f64,
    /// `P(X > hi)`.
    pub hi_q: f64,
    /// `P(lo ≤ X ≤ hi)`.
    pub width: f64,
}

impl Window {
    /// No truncation: the whole of `(0, 1)`.
    pub(crate) const FULL: Window = Window { lo_p: 0.0, hi_q: 0.0, width: 1.0 };

    /// The window between `P(X < lo) = lo_p` (`1 − lo_p = lo_q`) and `P(X ≤ hi) = hi_p`
    /// (`1 − hi_p = hi_q`); the width is taken from whichever side loses less to rounding.
    pub(crate) fn new(lo_p: f64, lo_q: f64, hi_p: f64, hi_q: f64) -> Window {
        let width = if lo_p >= 0.5 { lo_q - hi_q } else { hi_p - lo_p };
        Window { lo_p, hi_q, width }
    }

    /// The probability `p` of the fraction `u` of the window and its complement `q = 1 − p`.
    #[inline(always)]
    pub(crate) fn map(self, u: f64) -> (f64, f64) {
        self.map_pair(u, 1.0 - u)
    }

    /// Like [`Window::map`] with the complement `v = 1 − u` given (accurate for `u` near 1).
    #[inline(always)]
    pub(crate) fn map_pair(self, u: f64, v: f64) -> (f64, f64) {
        (self.lo_p + u * self.width, self.hi_q + v * self.width)
    }
}

/// Largest `|t|` of the tanh-sinh rule: at `t = 4.5` the nodes are `e^(−2·(π/2)·sinh 4.5)`
/// ≈ `1e-61` of the window from its ends and the weights `1e-59`, so an integrable singularity
/// of a quantile function (a tail) is followed far enough for any distribution with a finite
/// variance.
const T_MAX: f64 = 4.5;
/// Most halvings of the step (the last level has `h = 2^-9`, ~2,300 nodes in all).
const MAX_LEVEL: u32 = 9;
/// Relative change between levels at which the sum is accepted. Tanh-sinh doubles its correct
/// digits with each level, so the accepted sum is far more accurate than the change.
const TOLERANCE: f64 = 1e-11;

/// A node of the tanh-sinh rule on `(−1, 1)`: `(1 + x, 1 − x, weight)`, both distances from the
/// ends computed without cancellation.
fn node(t: f64) -> (f64, f64, f64) {
    let s = FRAC_PI_2 * t.sinh();
    let e = (-2.0 * s.abs()).exp();
    let near = 2.0 * e / (1.0 + e);
    let far = 2.0 / (1.0 + e);
    let weight = FRAC_PI_2 * t.cosh() * 4.0 * e / ((1.0 + e) * (1.0 + e));
    if s >= 0.0 { (far, near, weight) } else { (near, far, weight) }
}

/// The average of `g(p, q)` over the window (`q = 1 − p` given accurately):
/// `(1/w) ∫ g(p) dp` over `[lo_p, lo_p + w]`, by tanh-sinh quadrature. `g` may be singular at
/// the ends (a quantile function of an unbounded distribution). Accuracy: about `1e-13`
/// relative for analytic `g`; a non-finite value of `g` makes the result non-finite.
pub(crate) fn window_average(window: Window, g: impl Fn(f64, f64) -> f64) -> f64 {
    let eval = |t: f64| {
        let (plus, minus, w) = node(t);
        let (p, q) = window.map_pair(0.5 * plus, 0.5 * minus);
        let v = g(p, q);
        (w * v, w * v.abs())
    };
    let (mut sum, mut abs) = eval(0.0);
    // Level 0: integer t.
    let mut k = 1.0;
    while k <= T_MAX {
        for t in [k, -k] {
            let (s, a) = eval(t);
            sum += s;
            abs += a;
        }
        k += 1.0;
    }
    let mut h = 1.0;
    let mut previous = h * sum;
    for level in 1..=MAX_LEVEL {
        h *= 0.5;
        let mut t = h;
        while t <= T_MAX {
            for t in [t, -t] {
                let (s, a) = eval(t);
                sum += s;
                abs += a;
            }
            t += 2.0 * h;
        }
        let estimate = h * sum;
        if !estimate.is_finite() {
            return estimate;
        }
        if level >= 3 && (estimate - previous).abs() <= TOLERANCE * h * abs {
            return 0.5 * estimate;
        }
        previous = estimate;
    }
    0.5 * previous
}

/// `(∫ g, ∫ x·g, ∫ (x − c)²·g)` over `[x0, x1]` for a density `g` linear from `g0` to `g1`:
/// the two-point Gauss–Legendre rule, exact for these polynomials of degree ≤ 3.
pub(crate) fn linear_segment_moments(x0: f64, x1: f64, g0: f64, g1: f64, c: f64) -> (f64, f64, f64) {
    let half = 0.5 * (x1 - x0);
    let mid = 0.5 * (x0 + x1);
    let d = half / 3f64.sqrt();
    let mut out = (0.0, 0.0, 0.0);
    for x in [mid - d, mid + d] {
        // g at x by linear interpolation (weights of the two ends).
        let g = if half > 0.0 { g0 + (g1 - g0) * (x - x0) / (x1 - x0) } else { 0.0 };
        out.0 += half * g;
        out.1 += half * x * g;
        out.2 += half * (x - c) * (x - c) * g;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_sinh_integrates_singular_quantiles() {
        // Mean of the exponential distribution: ∫ −ln(1 − p) dp = 1 (log singularity at 1).
        let m = window_average(Window::FULL, |_, q| -q.ln());
        assert!((m - 1.0).abs() < 1e-13, "{m}");
        // ∫ p^(-1/2) dp = 2 (algebraic singularity at 0).
        let m = window_average(Window::FULL, |p, _| 1.0 / p.sqrt());
        assert!((m - 2.0).abs() < 1e-10, "{m}");
        // Half window [0.25, 0.75] of p²: (0.75³ − 0.25³)/3 / 0.5.
        let w = Window::new(0.25, 0.75, 0.75, 0.25);
        let m = window_average(w, |p, _| p * p);
        let exact = (0.75f64.powi(3) - 0.25f64.powi(3)) / 3.0 / 0.5;
        assert!((m - exact).abs() < 1e-14, "{m} {exact}");
    }

    #[test]
    fn gauss_legendre_is_exact_for_linear_densities() {
        // g(x) = x on [0, 2]: ∫g = 2, ∫x g = 8/3, ∫(x−1)² g = ∫ x³ − 2x² + x = 4 − 16/3 + 2.
        let (m0, m1, m2) = linear_segment_moments(0.0, 2.0, 0.0, 2.0, 1.0);
        assert!((m0 - 2.0).abs() < 1e-15);
        assert!((m1 - 8.0 / 3.0).abs() < 1e-15);
        assert!((m2 - (6.0 - 16.0 / 3.0)).abs() < 1e-15);
    }
}

//! Distributions prepared for sampling many times: the truncation window computed once,
//! closed-form parameters derived once (lognormal from its mean, trigen's bounds, PERT's
//! shapes), and cumulative tables with binary search for the discrete and piecewise-linear
//! families (Poisson and binomial included, up to 2¹⁸ support points).
//!
//! A prepared quantile equals [`InputDistribution::quantile`] of the same input: bit for bit
//! for the closed-form families (normal, lognormal, uniform, triangular, trigen, exponential,
//! Weibull) and the piecewise-linear ones; to ~1e-15 relative for beta, PERT, gamma and
//! Student's t (a table start and one Halley step on the exact CDF instead of the special
//! functions' own iteration: ~4× faster); and for the discrete tables up to the rounding of a
//! cumulative sum (a uniform within ~1e-16 of a step may land on the neighbouring value).

use super::distribution::{
    Distribution, InputDistribution, IntLaw, Kernel, histogram_edge, linear_cdf_solve, linear_density_solve,
};
use super::quadrature::Window;
use crate::special;

/// Most support points of a Poisson or binomial table; wider supports are searched directly.
const TABLE_MAX: f64 = 262_144.0;

/// An [`InputDistribution`] ready for fast repeated sampling ([`InputDistribution::prepare`]).
#[derive(Clone, Debug)]
pub struct PreparedDistribution {
    law: Law,
    window: Window,
    truncated: bool,
    lo: f64,
    hi: f64,
    shift: f64,
}

#[derive(Clone, Debug)]
enum Law {
    /// A closed-form continuous family.
    Kernel(Kernel),
    /// Beta, gamma or Student's t, whose inverses iterate on the CDF: a cubic Hermite table
    /// of the quantile function gives a starting point within ~1e-8, and one Halley step on
    /// the exact CDF finishes (the exact inverse where the table does not reach).
    Tabulated(Kernel, Box<Guide>),
    /// Discrete support points with `P(X ≤ v)` and `P(X > v)` at each; samples are clamped to
    /// the indices `first..=last` (the truncation).
    Table { values: Vec<f64>, below: Vec<f64>, above: Vec<f64>, first: usize, last: usize },
    /// A piecewise-linear CDF through nodes `(xs[i], ps[i])` (cumulative, histogram).
    LinearCdf { xs: Vec<f64>, ps: Vec<f64> },
    /// A piecewise-linear density: pieces `[x0, x0 + h]` from `f0` to `f1`, with the running
    /// area after each piece.
    LinearDensity { pieces: Vec<[f64; 4]>, area_after: Vec<f64>, total: f64, end: f64 },
    /// A Poisson or binomial distribution too wide for a table: searched on every draw.
    Direct(Distribution),
}

/// Cells of the quantile table: nodes at `u = k/GRID`, `k = 1 … GRID − 1`.
const GRID: usize = 256;

/// The quantile function and its derivative `1/f(x)` at the nodes `u = k/GRID`.
#[derive(Clone, Debug)]
struct Guide {
    x: [f64; GRID - 1],
    slope: [f64; GRID - 1],
}

impl Guide {
    fn new(k: Kernel) -> Option<Guide> {
        let mut g = Guide { x: [0.0; GRID - 1], slope: [0.0; GRID - 1] };
        for i in 0..GRID - 1 {
            let u = (i + 1) as f64 / GRID as f64;
            let x = k.quantile_pair(u, 1.0 - u);
            let f = density(k, x);
            if !(x.is_finite() && f.is_finite() && f > 0.0) {
                return None;
            }
            g.x[i] = x;
            g.slope[i] = 1.0 / f;
        }
        Some(g)
    }

    /// The interpolated quantile at `p`, or `None` outside the table.
    #[inline]
    fn start(&self, p: f64, q: f64) -> Option<f64> {
        let h = 1.0 / GRID as f64;
        if p < h || q < h {
            return None;
        }
        let s = p * GRID as f64;
        let k = (s as usize).clamp(1, GRID - 2);
        let t = s - k as f64;
        let (x0, x1) = (self.x[k - 1], self.x[k]);
        let (m0, m1) = (self.slope[k - 1] * h, self.slope[k] * h);
        let t2 = t * t;
        let t3 = t2 * t;
        Some((2.0 * t3 - 3.0 * t2 + 1.0) * x0 + (t3 - 2.0 * t2 + t) * m0 + (3.0 * t2 - 2.0 * t3) * x1 + (t3 - t2) * m1)
    }
}

/// The density of a beta (on its own scale), gamma or Student kernel at `x`.
fn density(k: Kernel, x: f64) -> f64 {
    match k {
        Kernel::Beta { a, b, min, max } => special::beta_density(a, b, (x - min) / (max - min)) / (max - min),
        Kernel::Gamma { shape, scale } => special::gamma_density(shape, x / scale) / scale,
        Kernel::Student { nu } => special::student_t_pdf(x, nu),
        _ => f64::NAN,
    }
}

/// One Halley step from `x0` towards the quantile at `p` (`q = 1 − p`), on the exact CDF;
/// `None` when the start is not close enough (a step above 1e-6 of the scale) for one step to
/// reach full accuracy.
#[inline]
fn refine(k: Kernel, x0: f64, p: f64, q: f64) -> Option<f64> {
    let lower = p <= q;
    match k {
        Kernel::Beta { a, b, min, max } => {
            let w = max - min;
            let (y, z) = ((x0 - min) / w, (max - x0) / w);
            if y.is_nan() || z.is_nan() || y <= 0.0 || z <= 0.0 {
                return None;
            }
            let (f, s) = special::beta_inc_pair(a, b, y, z);
            let e = if lower { f - p } else { q - s };
            let d = special::beta_density(a, b, y);
            let delta = e / d;
            let step = delta / (1.0 - 0.5 * delta * ((a - 1.0) / y - (b - 1.0) / z));
            if step.is_nan() || step.abs() > 1e-6 * y.min(z) {
                return None;
            }
            Some(if y <= 0.5 { min + w * (y - step) } else { max - w * (z + step) })
        }
        Kernel::Gamma { shape, scale } => {
            let z = x0 / scale;
            if z.is_nan() || z <= 0.0 {
                return None;
            }
            let e = if lower { special::gamma_p(shape, z) - p } else { q - special::gamma_q(shape, z) };
            let delta = e / special::gamma_density(shape, z);
            let step = delta / (1.0 - 0.5 * delta * ((shape - 1.0) / z - 1.0));
            if step.is_nan() || step.abs() > 1e-6 * z {
                return None;
            }
            Some(scale * (z - step))
        }
        Kernel::Student { nu } => {
            let e = if lower { special::student_t_cdf(x0, nu) - p } else { q - special::student_t_cdf(-x0, nu) };
            let delta = e / special::student_t_pdf(x0, nu);
            let step = delta / (1.0 + 0.5 * delta * (nu + 1.0) * x0 / (nu + x0 * x0));
            if step.is_nan() || step.abs() > 1e-6 * x0.abs().max(f64::MIN_POSITIVE) {
                return None;
            }
            Some(x0 - step)
        }
        _ => None,
    }
}

/// Neumaier-compensated running sum.
#[derive(Clone, Copy, Default)]
struct Sum {
    s: f64,
    c: f64,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let t = self.s + x;
        self.c += if self.s.abs() >= x.abs() { (self.s - t) + x } else { (x - t) + self.s };
        self.s = t;
    }
    fn value(self) -> f64 {
        self.s + self.c
    }
}

/// `P(X ≤ v_i)` and `P(X > v_i)` of discrete weights, computed as
/// [`super::distribution::discrete_quantile`] does (the last positive weight closes at 1).
fn discrete_tables(weights: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let total: f64 = weights.iter().sum();
    let n = weights.len();
    let last = weights.iter().rposition(|w| *w > 0.0).unwrap_or(n.saturating_sub(1));
    let mut below = Vec::with_capacity(n);
    let mut prefix = 0.0;
    for (i, w) in weights.iter().enumerate() {
        prefix += w;
        below.push(if i >= last { 1.0 } else { prefix / total });
    }
    let mut above = vec![0.0; n];
    let mut suffix = 0.0;
    for i in (0..=last.min(n.saturating_sub(1))).rev() {
        above[i] = if i >= last { 0.0 } else { suffix / total };
        suffix += weights[i];
    }
    (below, above)
}

/// A table of a Poisson or binomial distribution over the support that the window reaches
/// with all but ~1e-20 of its probability (`None` when that is wider than [`TABLE_MAX`]).
fn int_table(law: IntLaw, window: Window, lo: f64, hi: f64) -> Option<Law> {
    let (pa, qa) = window.map_pair(1e-20, 1.0);
    let (pb, qb) = window.map_pair(1.0, 1e-20);
    let start = law.quantile_pair(pa, qa).max(lo.ceil()).max(0.0);
    let end = law.quantile_pair(pb, qb).min(hi.floor()).min(law.top());
    if start.is_nan() || end.is_nan() || end - start >= TABLE_MAX || end < start {
        return None;
    }
    let n = (end - start) as usize + 1;
    let values: Vec<f64> = (0..n).map(|i| start + i as f64).collect();
    let pmf: Vec<f64> = values.iter().map(|&k| law.pmf(k)).collect();
    let mut below = Vec::with_capacity(n);
    let mut sum = Sum { s: law.cdf_pair(start - 1.0).0, c: 0.0 };
    for &m in &pmf {
        sum.add(m);
        below.push(sum.value().min(1.0));
    }
    let mut above = vec![0.0; n];
    let mut sum = Sum { s: law.cdf_pair(end).1, c: 0.0 };
    for i in (0..n).rev() {
        above[i] = sum.value().min(1.0);
        sum.add(pmf[i]);
    }
    Some(Law::Table { values, below, above, first: 0, last: n - 1 })
}

/// What a prepared distribution computes, for code generators that reproduce
/// [`PreparedDistribution::quantile`] elsewhere (the GPU kernels): the law, with its tables.
#[derive(Clone, Copy, Debug)]
pub enum PreparedLaw<'a> {
    /// A closed-form family.
    Kernel(Kernel),
    /// Beta, gamma or Student's t: the quantile table (nodes at `u = k/256`, `k = 1 … 255`,
    /// and `1/f` there) and the kernel for the Halley step and the exact inverse.
    Tabulated {
        /// The family.
        kernel: Kernel,
        /// Quantiles at the nodes.
        x: &'a [f64],
        /// `1/f(x)` at the nodes.
        slope: &'a [f64],
    },
    /// Discrete support points with `P(X ≤ v)` and `P(X > v)`, clamped to `first..=last`.
    Table {
        /// Support points.
        values: &'a [f64],
        /// `P(X ≤ v)`.
        below: &'a [f64],
        /// `P(X > v)`.
        above: &'a [f64],
        /// First index kept.
        first: usize,
        /// Last index kept.
        last: usize,
    },
    /// A piecewise-linear CDF through `(xs[i], ps[i])`.
    LinearCdf {
        /// Abscissae.
        xs: &'a [f64],
        /// Cumulative probabilities.
        ps: &'a [f64],
    },
    /// A piecewise-linear density: pieces `[x0, x1, f0, f1]` and the running area after each.
    LinearDensity {
        /// The pieces.
        pieces: &'a [[f64; 4]],
        /// Area up to the end of each piece.
        area_after: &'a [f64],
        /// Total area.
        total: f64,
        /// The last point with density.
        end: f64,
    },
    /// A Poisson or binomial distribution searched on every draw.
    Direct(&'a Distribution),
}

/// The parts of a [`PreparedDistribution`] (see [`PreparedDistribution::parts`]).
#[derive(Clone, Copy, Debug)]
pub struct PreparedParts<'a> {
    /// The law.
    pub law: PreparedLaw<'a>,
    /// Truncated: `u` maps to `(lo_p + u·width, hi_q + (1 − u)·width)`.
    pub truncated: bool,
    /// The truncation window `(lo_p, hi_q, width)`.
    pub window: (f64, f64, f64),
    /// Lower truncation bound.
    pub lo: f64,
    /// Upper truncation bound.
    pub hi: f64,
    /// Added to every sample.
    pub shift: f64,
}

impl PreparedDistribution {
    /// Everything [`PreparedDistribution::quantile`] reads, for code generators.
    pub fn parts(&self) -> PreparedParts<'_> {
        let law = match &self.law {
            Law::Kernel(k) => PreparedLaw::Kernel(*k),
            Law::Tabulated(k, g) => PreparedLaw::Tabulated { kernel: *k, x: &g.x, slope: &g.slope },
            Law::Table { values, below, above, first, last } => {
                PreparedLaw::Table { values, below, above, first: *first, last: *last }
            }
            Law::LinearCdf { xs, ps } => PreparedLaw::LinearCdf { xs, ps },
            Law::LinearDensity { pieces, area_after, total, end } => {
                PreparedLaw::LinearDensity { pieces, area_after, total: *total, end: *end }
            }
            Law::Direct(d) => PreparedLaw::Direct(d),
        };
        PreparedParts {
            law,
            truncated: self.truncated,
            window: (self.window.lo_p, self.window.hi_q, self.window.width),
            lo: self.lo,
            hi: self.hi,
            shift: self.shift,
        }
    }

    /// Prepares a validated input (use [`InputDistribution::prepare`], which validates).
    pub(crate) fn new(input: &InputDistribution) -> PreparedDistribution {
        let truncated = input.is_truncated();
        let window = input.window();
        let (lo, hi) = input.bounds();
        let d = &input.distribution;
        let law = if let Some(k) = d.kernel() {
            match k {
                Kernel::Beta { .. } | Kernel::Gamma { .. } | Kernel::Student { .. } => {
                    Guide::new(k).map_or(Law::Kernel(k), |g| Law::Tabulated(k, Box::new(g)))
                }
                _ => Law::Kernel(k),
            }
        } else {
            match d {
                Distribution::Discrete { values, weights } => discrete_law(values.clone(), weights, lo, hi),
                Distribution::Bernoulli { p } => discrete_law(vec![0.0, 1.0], &[1.0 - p, *p], lo, hi),
                Distribution::Poisson { .. } | Distribution::Binomial { .. } => {
                    d.int_law().and_then(|law| int_table(law, window, lo, hi)).unwrap_or_else(|| Law::Direct(d.clone()))
                }
                Distribution::Cumulative { min, max, values, probabilities } => {
                    let mut xs = vec![*min];
                    let mut ps = vec![0.0];
                    xs.extend(values);
                    ps.extend(probabilities);
                    xs.push(*max);
                    ps.push(1.0);
                    Law::LinearCdf { xs, ps }
                }
                Distribution::Histogram { min, max, weights } => {
                    let n = weights.len();
                    let xs = (0..=n).map(|i| histogram_edge(*min, *max, n, i)).collect();
                    let (below, _) = discrete_tables(weights);
                    let mut ps = vec![0.0];
                    ps.extend(below);
                    Law::LinearCdf { xs, ps }
                }
                Distribution::General { .. } => {
                    let mut pieces = Vec::new();
                    let mut area_after = Vec::new();
                    let mut cum = 0.0;
                    let mut end = f64::NAN;
                    d.for_each_segment(&mut |x0, x1, f0, f1| {
                        let area = 0.5 * (x1 - x0) * (f0 + f1);
                        if area > 0.0 {
                            end = x1;
                        }
                        pieces.push([x0, x1, f0, f1]);
                        area_after.push(cum + area);
                        cum += area;
                    });
                    Law::LinearDensity { pieces, area_after, total: cum, end }
                }
                _ => Law::Direct(d.clone()),
            }
        };
        PreparedDistribution { law, window, truncated, lo, hi, shift: input.shift }
    }

    /// The sample at uniform `u` in `(0, 1)` (see [`InputDistribution::quantile`]).
    #[inline]
    pub fn quantile(&self, u: f64) -> f64 {
        let (p, q) = if self.truncated { self.window.map(u) } else { (u, 1.0 - u) };
        let x = match &self.law {
            Law::Kernel(k) => {
                let x = k.quantile_pair(p, q);
                if self.truncated { x.clamp(self.lo, self.hi) } else { x }
            }
            Law::Tabulated(k, guide) => {
                let x = guide.start(p, q).and_then(|x0| refine(*k, x0, p, q)).unwrap_or_else(|| k.quantile_pair(p, q));
                if self.truncated { x.clamp(self.lo, self.hi) } else { x }
            }
            Law::Table { values, below, above, first, last } => {
                let i = if p <= q { below.partition_point(|&f| f < p) } else { above.partition_point(|&s| s > q) };
                values[i.clamp(*first, *last)]
            }
            Law::LinearCdf { xs, ps } => {
                let j = ps.partition_point(|&c| c < p).clamp(1, ps.len() - 1);
                let x = linear_cdf_solve(xs[j - 1], xs[j], ps[j - 1], ps[j], p);
                if self.truncated { x.clamp(self.lo, self.hi) } else { x }
            }
            Law::LinearDensity { pieces, area_after, total, end } => {
                let target = p * total;
                let i = area_after.partition_point(|&a| a < target);
                let x = match pieces.get(i) {
                    Some(&[x0, x1, f0, f1]) => {
                        let before = if i == 0 { 0.0 } else { area_after[i - 1] };
                        x0 + linear_density_solve(x1 - x0, f0, f1, target - before)
                    }
                    None => *end,
                };
                if self.truncated { x.clamp(self.lo, self.hi) } else { x }
            }
            Law::Direct(d) => {
                let x = d.quantile_pair(p, q);
                if self.truncated { super::distribution::clamp_to_support(d, x, self.lo, self.hi) } else { x }
            }
        };
        x + self.shift
    }

    /// Samples at many uniforms: `out[i] = quantile(uniforms[i])` (the shorter length wins).
    #[inline(always)]
    pub fn fill(&self, uniforms: &[f64], out: &mut [f64]) {
        match self.law {
            // The commonest laws of cost models as loops without branches (they vectorise):
            // the same operations as `quantile`, both sides of the mode computed and one kept.
            Law::Kernel(Kernel::Triangular { min, mode, max }) if !self.truncated => {
                let w = max - min;
                let (below, above) = (mode - min, max - mode);
                for (x, &u) in out.iter_mut().zip(uniforms) {
                    let (p, q) = (u, 1.0 - u);
                    let left = min + (p * w * below).sqrt();
                    let right = max - (q * w * above).sqrt();
                    *x = if p * w <= below { left } else { right } + self.shift;
                }
            }
            Law::Kernel(Kernel::Uniform { min, max }) if !self.truncated => {
                for (x, &u) in out.iter_mut().zip(uniforms) {
                    let (p, q) = (u, 1.0 - u);
                    let left = min + p * (max - min);
                    let right = max - q * (max - min);
                    *x = if p <= q { left } else { right } + self.shift;
                }
            }
            _ => {
                for (x, &u) in out.iter_mut().zip(uniforms) {
                    *x = self.quantile(u);
                }
            }
        }
    }
}

/// The table of a discrete distribution, clamped to the values inside `[lo, hi]`.
fn discrete_law(values: Vec<f64>, weights: &[f64], lo: f64, hi: f64) -> Law {
    let (below, above) = discrete_tables(weights);
    let first = values.iter().position(|v| *v >= lo).unwrap_or(0);
    let last = values.iter().rposition(|v| *v <= hi).unwrap_or(values.len().saturating_sub(1)).max(first);
    Law::Table { values, below, above, first, last }
}

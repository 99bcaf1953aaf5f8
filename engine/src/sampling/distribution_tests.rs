//! Tests of the distributions: every family against its own CDF (Kolmogorov–Smirnov) and
//! moments on 100,000 draws, quantile/CDF round trips, truncation, known values, validation
//! messages and the JSON shape.

use super::*;
use crate::rng;

const N: usize = 100_000;
/// Kolmogorov–Smirnov critical value at α = 0.001 (asymptotic `1.9495/√n`).
const KS_CRITICAL: f64 = 1.949_5 / 316.227_766_016_837_94;

fn input(d: Distribution) -> InputDistribution {
    d.into_input()
}

fn truncated(d: Distribution, min: Option<f64>, max: Option<f64>, shift: f64) -> InputDistribution {
    InputDistribution { distribution: d, truncate: Some(Truncation { min, max }), shift, fixed: None }
}

/// The KS statistic of sorted samples against the input's CDF (ties handled for discrete
/// distributions: the empirical CDF is compared on both sides of every jump).
fn ks(sorted: &[f64], d: &InputDistribution) -> f64 {
    let n = sorted.len() as f64;
    let mut stat: f64 = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let x = sorted[i];
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == x {
            j += 1;
        }
        let left = d.cdf(x.next_down());
        let right = d.cdf(x);
        stat = stat.max((i as f64 / n - left).abs()).max(((j + 1) as f64 / n - right).abs());
        i = j + 1;
    }
    stat
}

struct Summary {
    ks: f64,
    mean: f64,
    var: f64,
    m4: f64,
}

fn summarise(mut xs: Vec<f64>, d: &InputDistribution) -> Summary {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    xs.sort_by(f64::total_cmp);
    Summary { ks: ks(&xs, d), mean, var, m4 }
}

/// Draws `N` samples (prepared path), checks them against the direct path on a subset, and
/// returns them.
fn draws(d: &InputDistribution, stream: &str) -> Vec<f64> {
    let prepared = d.prepare().unwrap_or_else(|e| panic!("{d:?}: {e}"));
    let s = rng::stream_id(stream);
    let xs: Vec<f64> = (0..N as u64).map(|i| prepared.quantile(rng::uniform(7, s, i))).collect();
    let mut differ = 0;
    for (i, x) in xs.iter().enumerate().step_by(50) {
        let direct = d.quantile(rng::uniform(7, s, i as u64));
        if d.distribution.is_discrete() {
            differ += usize::from(direct != *x);
        } else {
            // Equal to the accuracy of the CDF: relative, and absolute near a zero of x.
            let spread = d.variance().sqrt();
            let spread = if spread.is_finite() { spread } else { 1.0 };
            assert!((direct - x).abs() <= 1e-13 * x.abs() + 1e-14 * spread, "{stream}: {direct} vs prepared {x}");
        }
    }
    assert!(differ <= 1, "{differ} prepared draws differ from direct ones for {d:?}");
    xs
}

/// KS, mean and variance (within 5 standard errors) of 100,000 draws.
fn check(name: &str, d: &InputDistribution, moments: bool) -> Summary {
    let xs = draws(d, name);
    let (lo, hi) = d.bounds();
    if d.is_truncated() {
        assert!(xs.iter().all(|&x| x >= lo + d.shift && x <= hi + d.shift), "{name}: a draw outside the truncation");
    }
    let s = summarise(xs, d);
    assert!(s.ks < KS_CRITICAL, "{name}: KS {} ≥ {KS_CRITICAL}", s.ks);
    if moments {
        let (mean, var) = (d.mean(), d.variance());
        let se_mean = (var / N as f64).sqrt();
        assert!((s.mean - mean).abs() < 5.0 * se_mean, "{name}: mean {} vs {mean} (se {se_mean})", s.mean);
        let se_var = ((s.m4 - s.var * s.var) / N as f64).sqrt();
        assert!((s.var - var).abs() < 5.0 * se_var, "{name}: variance {} vs {var} (se {se_var})", s.var);
    }
    s
}

fn cases() -> Vec<(&'static str, InputDistribution, bool)> {
    use Distribution::*;
    vec![
        ("normal", input(Normal { mean: 10.0, std: 2.0 }), true),
        ("lognormal", input(Lognormal { mean: 10.0, std: 3.0 }), true),
        ("lognormal2", input(Lognormal2 { mu: 1.0, sigma: 0.5 }), true),
        ("uniform", input(Uniform { min: -1.0, max: 3.0 }), true),
        ("triangular", input(Triangular { min: 1.0, mode: 2.0, max: 6.0 }), true),
        ("triangular at min", input(Triangular { min: 0.0, mode: 0.0, max: 1.0 }), true),
        ("trigen", input(Trigen { bottom: 10.0, mode: 20.0, top: 50.0, bottom_perc: 0.05, top_perc: 0.8 }), true),
        ("pert", input(Pert { min: 0.0, mode: 1.0, max: 4.0 }), true),
        ("beta", input(Beta { alpha: 0.5, beta: 2.5 }), true),
        ("beta_general", input(BetaGeneral { alpha: 2.0, beta: 3.0, min: 10.0, max: 20.0 }), true),
        ("gamma", input(Gamma { alpha: 3.0, beta: 2.0 }), true),
        ("gamma small shape", input(Gamma { alpha: 0.3, beta: 1.0 }), true),
        ("exponential", input(Exponential { mean: 4.0 }), true),
        ("weibull", input(Weibull { alpha: 1.5, beta: 3.0 }), true),
        ("student", input(Student { nu: 10.0 }), true),
        ("student heavy", input(Student { nu: 2.5 }), false),
        ("poisson", input(Poisson { lambda: 3.5 }), true),
        ("poisson large", input(Poisson { lambda: 1000.0 }), true),
        ("binomial", input(Binomial { n: 20, p: 0.3 }), true),
        ("discrete", input(Discrete { values: vec![-1.0, 2.0, 5.0, 7.0], weights: vec![1.0, 0.0, 3.0, 2.0] }), true),
        ("bernoulli", input(Bernoulli { p: 0.3 }), true),
        (
            "cumulative",
            input(Cumulative { min: 0.0, max: 10.0, values: vec![1.0, 5.0, 9.0], probabilities: vec![0.1, 0.7, 0.9] }),
            true,
        ),
        (
            "cumulative with a gap",
            input(Cumulative { min: -12.0, max: 8.0, values: vec![-7.0, 0.0], probabilities: vec![0.25, 0.25] }),
            true,
        ),
        (
            "general",
            input(General { min: 0.0, max: 10.0, values: vec![2.0, 5.0, 7.0, 9.0], weights: vec![1.0, 2.0, 3.0, 1.0] }),
            true,
        ),
        ("histogram", input(Histogram { min: 10.0, max: 20.0, weights: vec![1.0, 2.0, 3.0, 0.0, 1.0, 0.0] }), true),
        // Truncated and shifted.
        ("normal truncated", truncated(Normal { mean: 10.0, std: 2.0 }, Some(9.0), Some(15.0), 3.0), true),
        ("normal far tail", truncated(Normal { mean: 0.0, std: 1.0 }, Some(6.0), None, 0.0), true),
        ("gamma truncated", truncated(Gamma { alpha: 2.0, beta: 1.5 }, Some(1.0), None, 0.0), true),
        ("lognormal truncated", truncated(Lognormal { mean: 10.0, std: 5.0 }, None, Some(12.0), -2.0), true),
        ("student truncated", truncated(Student { nu: 3.0 }, Some(-1.0), Some(5.0), 0.0), true),
        (
            "triangular truncated",
            truncated(Triangular { min: 0.0, mode: 3.0, max: 10.0 }, Some(2.0), Some(8.0), 0.0),
            true,
        ),
        ("pert truncated", truncated(Pert { min: 0.0, mode: 1.0, max: 4.0 }, Some(0.5), None, 1.0), true),
        ("poisson truncated", truncated(Poisson { lambda: 3.5 }, Some(2.0), Some(6.0), 0.0), true),
        ("binomial truncated", truncated(Binomial { n: 20, p: 0.3 }, Some(4.5), None, 0.0), true),
        (
            "discrete truncated",
            truncated(
                Discrete { values: vec![1.0, 2.0, 3.0, 4.0], weights: vec![1.0, 1.0, 1.0, 1.0] },
                Some(1.5),
                Some(3.0),
                0.0,
            ),
            true,
        ),
        (
            "general truncated",
            truncated(
                General { min: 0.0, max: 10.0, values: vec![2.0, 5.0, 7.0, 9.0], weights: vec![1.0, 2.0, 3.0, 1.0] },
                Some(3.0),
                Some(8.0),
                0.0,
            ),
            true,
        ),
        (
            "histogram truncated",
            truncated(Histogram { min: 10.0, max: 20.0, weights: vec![1.0, 2.0, 3.0, 1.0] }, Some(12.0), None, 0.0),
            true,
        ),
    ]
}

#[test]
fn every_distribution_passes_ks_and_moments() {
    for (name, d, moments) in cases() {
        d.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        check(name, &d, moments);
    }
}

#[test]
fn ks_detects_a_wrong_distribution() {
    // Draws of N(0, 1) tested against N(0, 1.05): the test must reject.
    let right = input(Distribution::Normal { mean: 0.0, std: 1.0 });
    let wrong = input(Distribution::Normal { mean: 0.0, std: 1.05 });
    let xs = draws(&right, "ks power");
    let mut sorted = xs.clone();
    sorted.sort_by(f64::total_cmp);
    assert!(ks(&sorted, &right) < KS_CRITICAL);
    assert!(ks(&sorted, &wrong) > KS_CRITICAL);
    // An off-by-one discrete quantile would be caught too.
    let poisson = input(Distribution::Poisson { lambda: 3.5 });
    let shifted: Vec<f64> = draws(&poisson, "ks power 2").iter().map(|x| x + 1.0).collect();
    let mut sorted = shifted;
    sorted.sort_by(f64::total_cmp);
    assert!(ks(&sorted, &poisson) > KS_CRITICAL);
}

#[test]
fn quantile_and_cdf_round_trip() {
    for (name, d, _) in cases() {
        for u in [1e-12, 1e-6, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0 - 1e-6, 1.0 - 1e-12] {
            let x = d.quantile(u);
            assert!(x.is_finite(), "{name}: quantile({u}) = {x}");
            let f = d.cdf(x);
            if d.distribution.is_discrete() {
                // The smallest support point with F(x) ≥ u.
                assert!(f >= u - 1e-12, "{name}: F(Q({u})) = {f}");
                assert!(d.cdf(x.next_down()) < u + 1e-12, "{name}: F(Q({u})⁻) ≥ {u}");
            } else {
                assert!((f - u).abs() <= 1e-11 * u.min(1.0 - u).max(1e-3), "{name}: F(Q({u})) = {f}");
                // Q(F(x)) = x, where F(x) is not so close to 1 that its rounding matters.
                if u <= 1.0 - 1e-6 {
                    let back = d.quantile(f);
                    assert!((back - x).abs() <= 1e-8 * x.abs().max(1.0), "{name}: Q(F({x})) = {back}");
                }
            }
        }
    }
}

#[test]
fn known_values() {
    use Distribution::*;
    let close = |a: f64, b: f64, tol: f64| assert!((a - b).abs() <= tol * b.abs().max(1.0), "{a} vs {b}");
    // PERT(0, 1, 4): mean (0 + 4 + 4)/6, variance (μ − a)(b − μ)/7.
    let pert = Pert { min: 0.0, mode: 1.0, max: 4.0 };
    close(pert.mean(), 4.0 / 3.0, 1e-15);
    close(pert.variance(), (4.0 / 3.0) * (8.0 / 3.0) / 7.0, 1e-15);
    // Triangular(0, 1, 4).
    let tri = Triangular { min: 0.0, mode: 1.0, max: 4.0 };
    close(tri.quantile(0.25), 1.0, 1e-15);
    close(tri.quantile(0.0625), 0.5, 1e-15);
    close(tri.quantile(0.5), 4.0 - 6f64.sqrt(), 1e-15);
    close(tri.mean(), 5.0 / 3.0, 1e-15);
    // Lognormal by its own mean and standard deviation.
    let ln = Lognormal { mean: 10.0, std: 3.0 };
    close(ln.mean(), 10.0, 1e-14);
    close(ln.variance(), 9.0, 1e-13);
    close(ln.quantile(0.5), 10.0 / (1.0f64 + 0.09).sqrt(), 1e-14);
    // Normal and exponential quantiles.
    close(Normal { mean: 0.0, std: 1.0 }.quantile(0.975), 1.959_963_984_540_054, 1e-15);
    close(Exponential { mean: 4.0 }.quantile(0.5), 4.0 * 2f64.ln(), 1e-15);
    close(Weibull { alpha: 2.0, beta: 3.0 }.quantile(0.5), 3.0 * 2f64.ln().sqrt(), 1e-15);
    close(Gamma { alpha: 2.0, beta: 3.0 }.mean(), 6.0, 1e-15);
    // Trigen: the percentiles come back.
    for (b, m, t, pb, pt) in [(100.0, 200.0, 300.0, 0.1, 0.9), (10.0, 20.0, 50.0, 0.05, 0.8), (5.0, 5.0, 9.0, 0.2, 0.7)]
    {
        let d = Trigen { bottom: b, mode: m, top: t, bottom_perc: pb, top_perc: pt };
        close(d.cdf(b), pb, 1e-12);
        close(d.cdf(t), pt, 1e-12);
        close(d.quantile(pb), b, 1e-12);
    }
    // Symmetric trigen 10%/90% around 200 ± 100: bounds 200 ∓ 180.9017.
    let (lo, hi) = trigen_bounds(100.0, 200.0, 300.0, 0.1, 0.9);
    close(lo + hi, 400.0, 1e-14);
    close(hi - 200.0, 180.901_699_437_494_74, 1e-12);
    // Binomial and Poisson quantiles against their CDFs.
    let b = Binomial { n: 10, p: 0.5 };
    assert_eq!(b.quantile(0.5), 5.0);
    assert_eq!(b.quantile(0.0009765625 * 0.999), 0.0);
    assert_eq!(b.quantile(0.0009765625 * 1.001), 1.0);
    assert_eq!(Poisson { lambda: 1e-3 }.quantile(0.5), 0.0);
    assert_eq!(Poisson { lambda: 1e6 }.quantile(0.5), 1e6);
    // Discrete quantiles skip zero weights.
    let d = Discrete { values: vec![1.0, 2.0, 3.0], weights: vec![1.0, 0.0, 1.0] };
    assert_eq!(d.quantile(0.5), 1.0);
    assert_eq!(d.quantile(0.500_001), 3.0);
    assert_eq!(d.quantile(1.0 - 1e-16), 3.0);
}

#[test]
fn truncated_moments_are_exact() {
    use Distribution::*;
    let close = |a: f64, b: f64, tol: f64| assert!((a - b).abs() <= tol * b.abs().max(1e-300), "{a} vs {b}");
    let pi = std::f64::consts::PI;
    // Half-normal.
    let half = truncated(Normal { mean: 0.0, std: 1.0 }, Some(0.0), None, 0.0);
    close(half.mean(), (2.0 / pi).sqrt(), 1e-12);
    close(half.variance(), 1.0 - 2.0 / pi, 1e-12);
    // N(0,1) on [−1, 2]: (φ(−1) − φ(2)) / (Φ(2) − Φ(−1)).
    let d = truncated(Normal { mean: 0.0, std: 1.0 }, Some(-1.0), Some(2.0), 0.0);
    let z = special::norm_cdf(2.0) - special::norm_cdf(-1.0);
    let m = (special::norm_pdf(-1.0) - special::norm_pdf(2.0)) / z;
    let v = 1.0 + (-special::norm_pdf(-1.0) - 2.0 * special::norm_pdf(2.0)) / z - m * m;
    close(d.mean(), m, 1e-12);
    close(d.variance(), v, 1e-11);
    // Far tail: N(0,1) above 6, mean φ(6)/Q(6).
    let d = truncated(Normal { mean: 0.0, std: 1.0 }, Some(6.0), None, 0.0);
    close(d.mean(), special::norm_pdf(6.0) / special::norm_sf(6.0), 1e-11);
    // Gamma(α, θ) above a: αθ·Q(α+1, a/θ)/Q(α, a/θ); E[X²] = α(α+1)θ²·Q(α+2, ·)/Q(α, ·).
    let (a, t, lo) = (2.5, 1.5, 1.0);
    let d = truncated(Gamma { alpha: a, beta: t }, Some(lo), None, 0.5);
    let q0 = special::gamma_q(a, lo / t);
    let m = a * t * special::gamma_q(a + 1.0, lo / t) / q0;
    let m2 = a * (a + 1.0) * t * t * special::gamma_q(a + 2.0, lo / t) / q0;
    close(d.mean(), m + 0.5, 1e-11);
    close(d.variance(), m2 - m * m, 1e-10);
    // Student t (ν = 3) on [−1, 5], by Simpson's rule on the density.
    let d = truncated(Student { nu: 3.0 }, Some(-1.0), Some(5.0), 0.0);
    let (mut z, mut m1, mut m2) = (0.0, 0.0, 0.0);
    let k = 60_000;
    let h = 6.0 / k as f64;
    for i in 0..=k {
        let x = -1.0 + h * i as f64;
        let w = if i == 0 || i == k {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let f = special::student_t_pdf(x, 3.0) * w;
        z += f;
        m1 += x * f;
        m2 += x * x * f;
    }
    let mean = m1 / z;
    close(d.mean(), mean, 1e-10);
    close(d.variance(), m2 / z - mean * mean, 1e-9);
    // Triangular(0, 3, 10) on [2, 8]: a piecewise-linear density, integrated exactly.
    let d = truncated(Triangular { min: 0.0, mode: 3.0, max: 10.0 }, Some(2.0), Some(8.0), 0.0);
    let f = |x: f64| if x < 3.0 { x / 3.0 } else { (10.0 - x) / 7.0 };
    let (mut z, mut m1) = (0.0, 0.0);
    let k = 60_000;
    let h = 6.0 / k as f64;
    for i in 0..=k {
        let x = 2.0 + h * i as f64;
        let w = if i == 0 || i == k {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        z += f(x) * w;
        m1 += x * f(x) * w;
    }
    close(d.mean(), m1 / z, 1e-7); // Simpson's error at the kink, not the method's.
    // Poisson(3.5) on [2, 6]: the sum.
    let d = truncated(Poisson { lambda: 3.5 }, Some(2.0), Some(6.0), 0.0);
    let w: Vec<f64> = (2..=6).map(|k| special::poisson_pmf(k as f64, 3.5)).collect();
    let m = w.iter().enumerate().map(|(i, p)| (i as f64 + 2.0) * p).sum::<f64>() / w.iter().sum::<f64>();
    close(d.mean(), m, 1e-14);
    // Static value: mean, RiskStatic, median where no mean.
    let mut d = input(Normal { mean: 10.0, std: 2.0 });
    assert_eq!(d.static_value(), 10.0);
    d.fixed = Some(7.0);
    assert_eq!(d.static_value(), 7.0);
    assert_eq!(input(Student { nu: 1.0 }).static_value(), 0.0);
    assert!(input(Student { nu: 1.0 }).mean().is_nan());
    assert_eq!(input(Student { nu: 1.5 }).variance(), f64::INFINITY);
}

#[test]
fn validation_names_the_parameter() {
    use Distribution::*;
    let msg = |d: Distribution| d.validate().map_err(|e| e.to_string()).err().unwrap_or_default();
    assert_eq!(msg(Triangular { min: 5.0, mode: 3.0, max: 6.0 }), "triangular: min 5 > mode 3");
    assert_eq!(msg(Normal { mean: 0.0, std: -1.0 }), "normal: std -1 must be > 0");
    assert_eq!(msg(Uniform { min: 2.0, max: 2.0 }), "uniform: min 2 must be < max 2");
    assert_eq!(msg(Normal { mean: f64::NAN, std: 1.0 }), "normal: mean NaN is not a finite number");
    assert!(
        msg(Discrete { values: vec![2.0, 1.0], weights: vec![1.0, 1.0] })
            .contains("values must be strictly increasing")
    );
    assert!(msg(Discrete { values: vec![1.0, 2.0], weights: vec![1.0, -1.0] }).contains("weights[1] -1 is negative"));
    assert!(
        msg(Discrete { values: vec![1.0, 2.0], weights: vec![1.0] }).contains("values has 2 entries but weights has 1")
    );
    assert!(
        msg(Trigen { bottom: 1.0, mode: 2.0, top: 3.0, bottom_perc: 0.9, top_perc: 0.1 }).contains("bottom_perc 0.9")
    );
    assert!(
        msg(Cumulative { min: 0.0, max: 1.0, values: vec![0.5], probabilities: vec![1.5] })
            .contains("probabilities[0]")
    );
    assert!(msg(Beta { alpha: 0.0, beta: 1.0 }).contains("alpha 0 must be > 0"));
    assert!(msg(Binomial { n: 3, p: 1.5 }).contains("p 1.5"));
    assert!(
        msg(General { min: 0.0, max: 1.0, values: vec![0.5], weights: vec![0.0] })
            .contains("weights must not all be 0")
    );
    let t = truncated(Normal { mean: 0.0, std: 1.0 }, Some(3.0), Some(2.0), 0.0);
    assert_eq!(t.validate().map_err(|e| e.to_string()), Err("normal: truncation min 3 > truncation max 2".into()));
    let t = truncated(Uniform { min: 0.0, max: 1.0 }, Some(2.0), None, 0.0);
    assert!(t.validate().is_err());
    let t = truncated(Poisson { lambda: 2.0 }, Some(2.2), Some(2.8), 0.0);
    assert!(t.validate().is_err(), "no integer in [2.2, 2.8]");
    for (_, d, _) in cases() {
        assert_eq!(d.validate(), Ok(()));
    }
}

#[test]
fn json_shape() {
    let d: Distribution =
        serde_json::from_str(r#"{"type":"triangular","min":1,"mode":2,"max":4}"#).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d, Distribution::Triangular { min: 1.0, mode: 2.0, max: 4.0 });
    let i: InputDistribution = serde_json::from_str(
        r#"{"type":"beta_general","alpha":2,"beta":3,"min":0,"max":10,"truncate":{"min":1},"shift":5,"static":4}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(i.distribution, Distribution::BetaGeneral { alpha: 2.0, beta: 3.0, min: 0.0, max: 10.0 });
    assert_eq!(i.truncate, Some(Truncation { min: Some(1.0), max: None }));
    assert_eq!((i.shift, i.fixed), (5.0, Some(4.0)));
    let text = serde_json::to_string(&i).unwrap_or_default();
    let back: InputDistribution = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, i);
    let plain = serde_json::to_string(&input(Distribution::Lognormal2 { mu: 0.0, sigma: 1.0 })).unwrap_or_default();
    assert_eq!(plain, r#"{"type":"lognormal2","mu":0.0,"sigma":1.0}"#);
    let binomial: InputDistribution =
        serde_json::from_str(r#"{"type":"binomial","n":10,"p":0.5}"#).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(binomial.distribution, Distribution::Binomial { n: 10, p: 0.5 });
    assert!(serde_json::from_str::<InputDistribution>(r#"{"type":"normal","mean":1}"#).is_err());
    assert!(serde_json::from_str::<InputDistribution>(r#"{"type":"nope"}"#).is_err());
    let typo = serde_json::from_str::<InputDistribution>(r#"{"type":"normal","mean":1,"std":1,"shfit":2}"#);
    assert!(typo.is_err_and(|e| e.to_string().contains("unknown field `shfit`")));
    let typo = serde_json::from_str::<InputDistribution>(r#"{"type":"normal","mean":1,"std":1,"truncate":{"mn":0}}"#);
    assert!(typo.is_err());
    // Inside a larger document, errors keep their meaning.
    let list: Result<Vec<InputDistribution>, _> = serde_json::from_str(r#"[{"type":"uniform","min":0,"max":1}]"#);
    assert_eq!(list.ok().map(|l| l.len()), Some(1));
}

#[test]
fn prepared_tables_cover_wide_and_narrow_supports() {
    // Poisson too wide for a table falls back to the direct search, with the same draws.
    let d = input(Distribution::Poisson { lambda: 4e8 });
    let p = d.prepare().unwrap_or_else(|e| panic!("{e}"));
    for i in 0..3 {
        let u = rng::uniform(3, 4, i);
        assert_eq!(p.quantile(u), d.quantile(u));
    }
    // Table and search agree on every draw of a mid-sized Poisson and binomial.
    for d in [Distribution::Poisson { lambda: 57.3 }, Distribution::Binomial { n: 1000, p: 0.01 }] {
        let d = input(d);
        let p = d.prepare().unwrap_or_else(|e| panic!("{e}"));
        let mismatches = (0..5000).filter(|&i| {
            let u = rng::uniform(5, 6, i);
            p.quantile(u) != d.quantile(u)
        });
        assert_eq!(mismatches.count(), 0);
    }
}

#[test]
fn fast_normal_quantile_matches_the_special_function() {
    let mut worst: f64 = 0.0;
    let mut p = 1e-300;
    while p < 0.5 {
        for p in [p, 0.5 - p, p * 1.37] {
            let exact = special::norm_inv(p);
            for (got, want) in [(std_normal_quantile(p, 1.0 - p), exact), (std_normal_quantile(1.0 - p, p), -exact)] {
                worst = worst.max(((got - want) / want).abs());
            }
        }
        p *= 1.7;
    }
    for i in 1..10_000 {
        let u = i as f64 / 10_000.0;
        let (got, want) = (std_normal_quantile(u, 1.0 - u), special::norm_inv(u));
        assert!((got - want).abs() <= 5e-15 * want.abs().max(1e-3), "{u}: {got} vs {want}");
    }
    assert!(worst < 5e-15, "worst relative difference {worst}");
    // References (mpmath, 40 digits, rounded to double) at the doubles given. (The special
    // function's own `norm_inv` is within 5e-15: its CDF is least accurate near −1.75.)
    for (p, x) in [
        (0.036, -1.7991181068379671),
        (0.0011, -3.0618141517617583),
        (1e-10, -6.361340902404057),
        (1e-20, -9.262340089798407),
        (1e-300, -37.0470962993612),
        (0.3, -0.5244005127080408),
        (0.4999, -0.00025066283008800747),
        (0.975, 1.9599639845400538),
    ] {
        let got = std_normal_quantile(p, 1.0 - p);
        assert!((got - x).abs() <= 5e-16 * x.abs(), "Φ⁻¹({p}) = {got}, not {x}");
    }
    assert_eq!(std_normal_quantile(0.5, 0.5), 0.0);
    assert_eq!(std_normal_quantile(0.0, 1.0), f64::NEG_INFINITY);
}

#[test]
fn prepared_beta_gamma_student_match_the_exact_inverses() {
    use Distribution::*;
    let shapes = [
        Beta { alpha: 0.05, beta: 30.0 },
        Beta { alpha: 30.0, beta: 0.3 },
        Beta { alpha: 1.0, beta: 1.0 },
        Pert { min: -5.0, mode: 100.0, max: 100.0 },
        BetaGeneral { alpha: 2.0, beta: 5.0, min: 1e6, max: 1e6 + 1.0 },
        Gamma { alpha: 0.01, beta: 3.0 },
        Gamma { alpha: 1e4, beta: 1e-3 },
        Student { nu: 0.7 },
        Student { nu: 1000.0 },
    ];
    for d in shapes {
        let input = d.clone().into_input();
        let p = input.prepare().unwrap_or_else(|e| panic!("{e}"));
        let mut us: Vec<f64> = (0..4000).map(|i| rng::uniform(9, 9, i)).collect();
        us.extend([1.0 / 256.0, 255.0 / 256.0, 0.5, 1e-9, 1.0 - 1e-9, 0.00390625 + 1e-17, 0.25, 0.75]);
        for u in us {
            let (got, want) = (p.quantile(u), d.quantile(u));
            // As close as the CDF's accuracy allows: equal to 1e-13, or a CDF residual as small
            // as the exact inverse's (the quantile of a tiny gamma shape is ill-conditioned).
            let residual = |x: f64| {
                let (f, s) = d.cdf_pair(x);
                if u <= 0.5 { (f - u).abs() / u } else { (s - (1.0 - u)).abs() / (1.0 - u) }
            };
            let close = (got - want).abs() <= 1e-13 * want.abs() + 1e-15;
            assert!(close || residual(got) <= residual(want).max(4e-15), "{d:?} at {u}: {got} vs {want}");
        }
    }
}

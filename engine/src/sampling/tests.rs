//! Tests of the sampler: independence from batch boundaries, Latin Hypercube stratification,
//! achieved rank correlations, repair of invalid matrices, and isolation of uncorrelated
//! inputs.

use super::*;
use crate::stats::spearman;

fn streams(k: usize) -> Vec<u64> {
    (0..k).map(|i| rng::stream_id(&format!("Sheet1!A{}", i + 1))).collect()
}

fn sampler(
    method: Method,
    n: u64,
    inputs: usize,
    pairs: &[(usize, usize, f64)],
) -> (Sampler, Option<CorrelationRepair>) {
    Sampler::new(42, method, n, streams(inputs), pairs).unwrap_or_else(|e| panic!("{e}"))
}

/// All `n` iterations in one batch.
fn all(s: &Sampler, inputs: usize, n: usize) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new(); inputs];
    s.uniforms(0, n, &mut out);
    out
}

#[test]
fn uniforms_do_not_depend_on_batches() {
    let pairs = [(0, 2, 0.7), (2, 3, -0.4)];
    for method in [Method::MonteCarlo, Method::LatinHypercube] {
        let n = 997;
        let (s, _) = sampler(method, n as u64, 4, &pairs);
        let whole = all(&s, 4, n);
        // n batches of 1, then uneven batches.
        let mut one = vec![Vec::new(); 4];
        for i in 0..n {
            s.uniforms(i as u64, 1, &mut one);
            for (k, (one, whole)) in one.iter().zip(&whole).enumerate() {
                assert_eq!(one[0].to_bits(), whole[i].to_bits(), "{method:?} input {k} iteration {i}");
                assert_eq!(s.uniform(k, i as u64).to_bits(), whole[i].to_bits());
            }
        }
        let mut first = 0;
        let mut batch = vec![Vec::new(); 4];
        for size in [1usize, 7, 64, 300, 625] {
            s.uniforms(first as u64, size, &mut batch);
            for k in 0..4 {
                assert_eq!(&batch[k][..size], &whole[k][first..first + size]);
            }
            first += size;
        }
        assert_eq!(first, n);
        assert!(whole.iter().flatten().all(|&u| u > 0.0 && u < 1.0));
    }
}

#[test]
fn latin_hypercube_uses_every_stratum_once() {
    for n in [1usize, 2, 7, 1000, 4099] {
        let (s, _) = sampler(Method::LatinHypercube, n as u64, 3, &[]);
        for u in all(&s, 3, n) {
            let mut counts = vec![0; n];
            for x in u {
                counts[((x * n as f64) as usize).min(n - 1)] += 1;
            }
            assert!(counts.iter().all(|&c| c == 1), "n = {n}");
        }
    }
}

#[test]
fn achieved_rank_correlations_match_targets() {
    let n = 100_000;
    let targets = [0.5, -0.3, 0.8];
    let pairs = [(0, 1, targets[0]), (2, 3, targets[1]), (4, 5, targets[2])];
    for method in [Method::MonteCarlo, Method::LatinHypercube] {
        let (s, repair) = sampler(method, n as u64, 7, &pairs);
        assert!(repair.is_none());
        let u = all(&s, 7, n);
        for (k, &t) in targets.iter().enumerate() {
            let r = spearman(&u[2 * k], &u[2 * k + 1]);
            assert!((r - t).abs() < 0.02, "{method:?}: target {t}, achieved {r}");
        }
        // Uncorrelated pairs stay near 0.
        assert!(spearman(&u[0], &u[6]).abs() < 0.02);
        assert!(spearman(&u[1], &u[2]).abs() < 0.02);
    }
    // A full 3×3 matrix.
    let pairs = [(0, 1, 0.6), (0, 2, 0.3), (1, 2, -0.2)];
    let (s, repair) = sampler(Method::LatinHypercube, n as u64, 3, &pairs);
    assert!(repair.is_none());
    let u = all(&s, 3, n);
    for &(a, b, t) in &pairs {
        let r = spearman(&u[a], &u[b]);
        assert!((r - t).abs() < 0.02, "target {t}, achieved {r}");
    }
}

#[test]
fn invalid_matrices_are_repaired_and_reported() {
    let pairs = [(0, 1, 0.9), (0, 2, 0.9), (1, 2, -0.9)];
    let (s, repair) = sampler(Method::MonteCarlo, 100_000, 3, &pairs);
    let repair = repair.unwrap_or_else(|| panic!("not repaired"));
    assert_eq!(repair.adjusted.len(), 3);
    assert!(repair.max_abs_change > 0.1 && repair.max_abs_change < 1.9, "{repair:?}");
    assert!(repair.frobenius_change >= repair.max_abs_change);
    for &(a, b, before, after) in &repair.adjusted {
        assert!(a < b);
        assert!(pairs.iter().any(|&(x, y, r)| x == a && y == b && r == before));
        assert!((-1.0..=1.0).contains(&after));
    }
    // The draws follow the repaired matrix.
    let u = all(&s, 3, 100_000);
    for &(a, b, _, after) in &repair.adjusted {
        let r = spearman(&u[a], &u[b]);
        assert!((r - after).abs() < 0.02, "{a},{b}: repaired {after}, achieved {r}");
    }
    // The repaired matrix is a valid correlation matrix.
    let m = |a: usize, b: usize| repair.adjusted.iter().find(|x| x.0 == a && x.1 == b).map_or(0.0, |x| x.3);
    let normal: Vec<f64> = [[1.0, m(0, 1), m(0, 2)], [m(0, 1), 1.0, m(1, 2)], [m(0, 2), m(1, 2), 1.0]]
        .concat()
        .into_iter()
        .map(correlation::spearman_to_normal)
        .collect();
    assert!(correlation::cholesky(&normal, 3).is_some());
}

#[test]
fn uncorrelated_inputs_keep_their_draws() {
    let n = 2000;
    for method in [Method::MonteCarlo, Method::LatinHypercube] {
        let (plain, _) = sampler(method, n as u64, 3, &[]);
        let (correlated, _) = sampler(method, n as u64, 3, &[(0, 1, 0.8)]);
        let (a, b) = (all(&plain, 3, n), all(&correlated, 3, n));
        assert_eq!(a[2], b[2], "input 2 changed");
        // The first correlated input keeps its draws (the first row of L is (1, 0…)); the
        // second changes.
        assert_eq!(a[0], b[0]);
        assert_ne!(a[1], b[1]);
    }
    // Adding an input leaves the others' draws unchanged (streams come from names).
    let (three, _) = Sampler::new(1, Method::MonteCarlo, 100, streams(3), &[]).unwrap_or_else(|e| panic!("{e}"));
    let (four, _) = Sampler::new(1, Method::MonteCarlo, 100, streams(4), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all(&three, 3, 100)[..3], all(&four, 4, 100)[..3]);
}

#[test]
fn perfect_correlation_is_valid() {
    let (s, repair) = sampler(Method::MonteCarlo, 1000, 2, &[(0, 1, 1.0)]);
    assert!(repair.is_none());
    let u = all(&s, 2, 1000);
    assert!(u[0].iter().zip(&u[1]).all(|(a, b)| (a - b).abs() < 1e-12));
}

#[test]
fn bad_setups_are_errors() {
    let new = |pairs: &[(usize, usize, f64)]| Sampler::new(1, Method::MonteCarlo, 10, streams(3), pairs).err();
    assert_eq!(new(&[(0, 3, 0.5)]), Some(SamplingError::UnknownInput { pair: 0, input: 3, inputs: 3 }));
    assert_eq!(new(&[(1, 1, 0.5)]), Some(SamplingError::SelfCorrelation { pair: 0, input: 1 }));
    assert_eq!(new(&[(0, 1, 1.5)]), Some(SamplingError::OutOfRange { pair: 0, value: 1.5 }));
    assert!(matches!(new(&[(0, 1, 0.5), (1, 0, 0.4)]), Some(SamplingError::Conflicting { .. })));
    assert_eq!(new(&[(0, 1, 0.5), (1, 0, 0.5)]), None);
    let dup = Sampler::new(1, Method::MonteCarlo, 10, vec![5, 6, 5], &[]).err();
    assert_eq!(dup, Some(SamplingError::DuplicateStream { first: 0, second: 2 }));
}

#[test]
fn method_json() {
    assert_eq!(serde_json::to_string(&Method::MonteCarlo).unwrap_or_default(), "\"mc\"");
    assert_eq!(serde_json::from_str::<Method>("\"lhs\"").ok(), Some(Method::LatinHypercube));
    assert_eq!(Method::default(), Method::LatinHypercube);
}

#[test]
fn strata_order_the_uniforms_of_uncorrelated_latin_hypercube_inputs() {
    let n = 10_007;
    let (s, _) = sampler(Method::LatinHypercube, n as u64, 3, &[(1, 2, 0.5)]);
    let u = all(&s, 3, n);
    // In two batches, as a run draws them: the same uniforms, and each in its stratum.
    let mut strata = vec![Vec::new(); 3];
    let mut first = vec![Vec::new(); 3];
    s.uniforms_and_strata(0, 4000, &mut first, &mut strata);
    let mut head = strata[0][..4000].to_vec();
    let mut rest = vec![Vec::new(); 3];
    s.uniforms_and_strata(4000, n - 4000, &mut rest, &mut strata);
    head.extend_from_slice(&strata[0][..n - 4000]);
    assert_eq!(&first[0][..4000], &u[0][..4000]);
    assert_eq!(&rest[0][..n - 4000], &u[0][4000..]);
    let mut order = vec![u32::MAX; n];
    for (i, &st) in head.iter().enumerate() {
        assert!(u[0][i] >= st as f64 / n as f64 && u[0][i] < (st + 1) as f64 / n as f64);
        order[st as usize] = i as u32;
    }
    assert!(order.windows(2).all(|w| u[0][w[0] as usize] < u[0][w[1] as usize]));
    // Correlated inputs and plain Monte Carlo are not stratified: their draws must be sorted.
    assert!(s.stratified(0) && !s.stratified(1) && !s.stratified(2));
    let (mc, _) = sampler(Method::MonteCarlo, n as u64, 1, &[]);
    assert!(!mc.stratified(0));
}

#[test]
fn a_batch_across_latin_hypercube_blocks_draws_what_each_iteration_draws_alone() {
    // 100 strata; a batch from iteration 37 to 286 crosses into the second and third designs.
    let (s, _) = sampler(Method::LatinHypercube, 100, 2, &[]);
    let mut out = vec![Vec::new(); 2];
    let mut strata = vec![Vec::new(); 2];
    s.uniforms_and_strata(37, 250, &mut out, &mut strata);
    for (k, &stream) in s.streams().iter().enumerate() {
        for lane in 0..250 {
            let i = 37 + lane as u64;
            assert_eq!(out[k][lane].to_bits(), lhs::uniform(42, stream, 100, i).to_bits(), "input {k}, iteration {i}");
            assert_eq!(u64::from(strata[k][lane]), lhs::stratum(42, stream, 100, i), "input {k}, iteration {i}");
        }
    }
}

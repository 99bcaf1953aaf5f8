//! Rank correlation between inputs through a Gaussian copula.
//!
//! The requested Spearman rank correlations form a matrix (identity plus the given pairs).
//! It must be a correlation matrix — symmetric, unit diagonal, entries in `[−1, 1]` — and
//! positive semi-definite; when it is not, it is replaced by the nearest correlation matrix
//! (Higham 2002: alternating projections with Dykstra's correction, in the Frobenius norm)
//! and the change is reported ([`CorrelationRepair`]).
//!
//! Sampling: each correlated input's own uniform `u` becomes `z = Φ⁻¹(u)`, the vector `z` is
//! multiplied by the Cholesky factor `L` of the *normal* correlation matrix, and
//! `u' = Φ(Lz)`. For a bivariate normal with correlation `r` the rank correlation is
//! `(6/π)·asin(r/2)`, so each target `ρ_s` is converted to `r = 2·sin(π·ρ_s/6)` first: the
//! achieved rank correlation then equals the target. The marginals stay exactly uniform, so
//! every distribution keeps its own. Inputs in no correlation are left untouched.

use serde::{Deserialize, Serialize};

use super::SamplingError;
use super::distribution::{std_normal_quantile, std_normal_quantiles};
use super::lhs::MAX_UNIFORM;
use crate::special;

/// How the requested rank-correlation matrix was changed to make it valid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorrelationRepair {
    /// Largest change of an entry.
    pub max_abs_change: f64,
    /// Frobenius norm of the change (over the whole symmetric matrix).
    pub frobenius_change: f64,
    /// Entries that changed: `(input, input, requested, used)`, the inputs as indices of the
    /// sampler's inputs, first < second.
    pub adjusted: Vec<(usize, usize, f64, f64)>,
}

/// The normal-copula correlation that gives the rank correlation `rho_s`:
/// `2·sin(π·ρ_s/6)`.
pub fn spearman_to_normal(rho_s: f64) -> f64 {
    2.0 * (std::f64::consts::PI * rho_s / 6.0).sin()
}

/// The rank correlation of a bivariate normal with correlation `r`: `(6/π)·asin(r/2)`.
pub fn normal_to_spearman(r: f64) -> f64 {
    6.0 / std::f64::consts::PI * (0.5 * r).asin()
}

/// The lower Cholesky factor `L` (row-major `n×n`) of a symmetric positive semi-definite
/// matrix `a`, with `L·Lᵀ = a`. A zero pivot (a singular but valid matrix, such as a rank
/// correlation of 1) gives a zero column. `None` when `a` is not positive semi-definite.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let d = a[j * n + j] - (0..j).map(|k| l[j * n + k] * l[j * n + k]).sum::<f64>();
        if d.is_nan() || d < -1e-10 {
            return None;
        }
        if d <= 1e-12 {
            for i in j + 1..n {
                let off = a[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
                if off.abs() > 1e-8 {
                    return None;
                }
            }
            continue;
        }
        let root = d.sqrt();
        l[j * n + j] = root;
        for i in j + 1..n {
            let off = a[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
            l[i * n + j] = off / root;
        }
    }
    Some(l)
}

/// Eigenvalues and eigenvectors (as the columns of a row-major matrix) of a symmetric matrix,
/// by cyclic Jacobi rotations.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let norm: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        if off.sqrt() <= 1e-15 * norm || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + theta.hypot(1.0));
                let c = 1.0 / t.hypot(1.0);
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// The symmetric matrix with the eigenvectors of `a` and its eigenvalues raised to at least
/// `floor`: the projection onto the positive semi-definite cone (shifted by `floor`).
fn psd_projection(a: &[f64], n: usize, floor: f64) -> Vec<f64> {
    let (values, vectors) = symmetric_eigen(a, n);
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let x: f64 = (0..n).map(|k| vectors[i * n + k] * values[k].max(floor) * vectors[j * n + k]).sum();
            out[i * n + j] = x;
            out[j * n + i] = x;
        }
    }
    out
}

/// Smallest eigenvalue kept by the repair: the repaired matrix is positive definite.
const EIGEN_FLOOR: f64 = 1e-8;

/// The nearest correlation matrix to a symmetric `a` with unit diagonal (Higham 2002,
/// alternating projections onto the positive semi-definite matrices and the unit-diagonal
/// matrices with Dykstra's correction), made strictly positive definite.
pub fn nearest_correlation(a: &[f64], n: usize) -> Vec<f64> {
    let mut y = a.to_vec();
    let mut correction = vec![0.0; n * n];
    for _ in 0..10_000 {
        let r: Vec<f64> = y.iter().zip(&correction).map(|(y, c)| y - c).collect();
        let x = psd_projection(&r, n, 0.0);
        for ((c, x), r) in correction.iter_mut().zip(&x).zip(&r) {
            *c = x - r;
        }
        let mut next = x.clone();
        for i in 0..n {
            next[i * n + i] = 1.0;
        }
        let change: f64 = next.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
        let size: f64 = next.iter().map(|a| a * a).sum::<f64>().sqrt();
        y = next;
        if change <= 1e-13 * size {
            break;
        }
    }
    // Strictly positive definite, then unit diagonal again.
    let x = psd_projection(&y, n, EIGEN_FLOOR);
    let d: Vec<f64> = (0..n).map(|i| x[i * n + i].sqrt()).collect();
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = if i == j { 1.0 } else { (x[i * n + j] / (d[i] * d[j])).clamp(-1.0, 1.0) };
        }
    }
    out
}

/// The copula of the correlated inputs: their indices and the Cholesky factor of the normal
/// correlation matrix (row-major `m×m`, in the order of `members`).
#[derive(Clone, Debug)]
pub(crate) struct Copula {
    pub(crate) members: Vec<usize>,
    pub(crate) factor: Vec<f64>,
    /// Rows of the factor that are `(0…0, 1, 0…)`: those members keep their own uniforms
    /// exactly (the first member always does).
    keep: Vec<bool>,
}

/// `Φ⁻¹(u)` (AS 241, accurate to ~4e-16).
#[inline]
fn to_normal(u: f64) -> f64 {
    std_normal_quantile(u, 1.0 - u)
}

/// `Φ(y)` kept inside `(0, 1)` (the upper end at the largest uniform below 1).
#[inline]
fn to_uniform(y: f64) -> f64 {
    let u = if y <= 0.0 { special::norm_cdf(y) } else { 1.0 - special::norm_cdf(-y) };
    u.clamp(1e-300, MAX_UNIFORM)
}

/// [`to_uniform`] of every element, in place (the same numbers, by [`special::norm_cdf_each`]):
/// `Φ(y)` for `y ≤ 0`, `1 − Φ(−y)` above, so `Φ` is only taken of `−|y|`.
fn to_uniforms(ys: &mut [f64]) {
    let mut signs: Vec<bool> = Vec::with_capacity(ys.len());
    for y in ys.iter_mut() {
        let lower = *y <= 0.0;
        signs.push(lower);
        *y = if lower { *y } else { -*y };
    }
    special::norm_cdf_each(ys);
    for (u, lower) in ys.iter_mut().zip(signs) {
        *u = (if lower { *u } else { 1.0 - *u }).clamp(1e-300, MAX_UNIFORM);
    }
}

impl Copula {
    fn new(members: Vec<usize>, factor: Vec<f64>) -> Copula {
        let m = members.len();
        let keep =
            (0..m).map(|i| factor[i * m + i] == 1.0 && factor[i * m..i * m + i].iter().all(|&l| l == 0.0)).collect();
        Copula { members, factor, keep }
    }

    /// Correlates the uniforms `out[input][..lanes]` of the member inputs in place.
    #[inline(always)]
    pub(crate) fn apply(&self, out: &mut [Vec<f64>], lanes: usize) {
        let m = self.members.len();
        if self.members.iter().any(|&i| out.get(i).is_none_or(|v| v.len() < lanes)) {
            return;
        }
        // The members' normals `Φ⁻¹(u)`, many lanes at a time, member by member.
        let normals: Vec<Vec<f64>> = self
            .members
            .iter()
            .map(|&i| {
                let mut z = out[i][..lanes].to_vec();
                std_normal_quantiles(&mut z);
                z
            })
            .collect();
        let mut z = vec![0.0; m];
        // Lane by lane: the members' normals of one iteration sit in different vectors. The
        // normal `y` of a correlated member is written in place of its uniform, and turned
        // into the uniform `Φ(y)` once all lanes have it, many lanes at a time.
        (0..lanes).for_each(|lane| {
            for (z, normals) in z.iter_mut().zip(&normals) {
                *z = normals[lane];
            }
            for (k, &i) in self.members.iter().enumerate() {
                if !self.keep[k] {
                    let row = &self.factor[k * m..k * m + k + 1];
                    out[i][lane] = row.iter().zip(&z).map(|(l, z)| l * z).sum();
                }
            }
        });
        for (k, &i) in self.members.iter().enumerate() {
            if !self.keep[k] {
                to_uniforms(&mut out[i][..lanes]);
            }
        }
    }

    /// The correlated uniform of member `local`, given every input's own uniform.
    pub(crate) fn one(&self, local: usize, own: impl Fn(usize) -> f64) -> f64 {
        if self.keep[local] {
            return own(self.members[local]);
        }
        let m = self.members.len();
        let row = &self.factor[local * m..local * m + local + 1];
        let y: f64 = row.iter().zip(&self.members).map(|(l, &j)| l * to_normal(own(j))).sum();
        to_uniform(y)
    }
}

/// Builds the copula of `inputs` inputs from rank-correlation pairs `(a, b, ρ_s)`, repairing
/// the matrix when needed.
pub(crate) fn build(
    inputs: usize,
    pairs: &[(usize, usize, f64)],
) -> Result<(Option<Copula>, Option<CorrelationRepair>), SamplingError> {
    let mut members: Vec<usize> = Vec::new();
    for (k, &(a, b, rho)) in pairs.iter().enumerate() {
        for input in [a, b] {
            if input >= inputs {
                return Err(SamplingError::UnknownInput { pair: k, input, inputs });
            }
        }
        if a == b {
            return Err(SamplingError::SelfCorrelation { pair: k, input: a });
        }
        if !(-1.0..=1.0).contains(&rho) {
            return Err(SamplingError::OutOfRange { pair: k, value: rho });
        }
        members.extend([a, b]);
    }
    members.sort_unstable();
    members.dedup();
    let m = members.len();
    if m == 0 {
        return Ok((None, None));
    }
    let local = |i: usize| members.partition_point(|&x| x < i);
    let mut target = vec![0.0; m * m];
    let mut set = vec![false; m * m];
    for i in 0..m {
        target[i * m + i] = 1.0;
    }
    for &(a, b, rho) in pairs {
        let (i, j) = (local(a), local(b));
        if set[i * m + j] && target[i * m + j] != rho {
            return Err(SamplingError::Conflicting { a: a.min(b), b: a.max(b), first: target[i * m + j], second: rho });
        }
        target[i * m + j] = rho;
        target[j * m + i] = rho;
        set[i * m + j] = true;
        set[j * m + i] = true;
    }
    let mut repaired = false;
    let spearman = if cholesky(&target, m).is_some() {
        target.clone()
    } else {
        repaired = true;
        nearest_correlation(&target, m)
    };
    let mut normal: Vec<f64> = spearman.iter().map(|&r| spearman_to_normal(r)).collect();
    for i in 0..m {
        normal[i * m + i] = 1.0;
    }
    let factor = match cholesky(&normal, m) {
        Some(l) => l,
        None => {
            repaired = true;
            normal = nearest_correlation(&normal, m);
            cholesky(&normal, m).ok_or(SamplingError::Factorization)?
        }
    };
    let report = repaired.then(|| {
        let used: Vec<f64> =
            normal.iter().enumerate().map(|(k, &r)| if k / m == k % m { 1.0 } else { normal_to_spearman(r) }).collect();
        let mut adjusted = Vec::new();
        let (mut max_abs, mut frob) = (0.0f64, 0.0);
        for i in 0..m {
            for j in 0..m {
                let change = used[i * m + j] - target[i * m + j];
                frob += change * change;
                max_abs = max_abs.max(change.abs());
                if i < j && change.abs() > 1e-9 {
                    adjusted.push((members[i], members[j], target[i * m + j], used[i * m + j]));
                }
            }
        }
        CorrelationRepair { max_abs_change: max_abs, frobenius_change: frob.sqrt(), adjusted }
    });
    Ok((Some(Copula::new(members, factor)), report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(l: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = (0..n).map(|k| l[i * n + k] * l[j * n + k]).sum();
            }
        }
        out
    }

    #[test]
    fn cholesky_reconstructs_and_rejects() {
        let a = [1.0, 0.5, 0.2, 0.5, 1.0, 0.3, 0.2, 0.3, 1.0];
        let l = cholesky(&a, 3).expect("PD");
        for (x, y) in product(&l, 3).iter().zip(&a) {
            assert!((x - y).abs() < 1e-15);
        }
        // Perfect correlation is singular but valid.
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_some());
        assert!(cholesky(&[1.0, 0.9, 0.9, 0.9, 1.0, -0.9, 0.9, -0.9, 1.0], 3).is_none());
    }

    #[test]
    fn jacobi_eigen_decomposes() {
        let a = [4.0, 1.0, 2.0, 1.0, 3.0, 0.5, 2.0, 0.5, 5.0];
        let (values, vectors) = symmetric_eigen(&a, 3);
        for i in 0..3 {
            for j in 0..3 {
                let x: f64 = (0..3).map(|k| vectors[i * 3 + k] * values[k] * vectors[j * 3 + k]).sum();
                assert!((x - a[i * 3 + j]).abs() < 1e-13);
            }
        }
        assert!((values.iter().sum::<f64>() - 12.0).abs() < 1e-13);
    }

    #[test]
    fn nearest_correlation_matches_higham_example() {
        // Higham (2002), §4: the nearest correlation matrix to [[1,1,0],[1,1,1],[0,1,1]] has
        // off-diagonal entries 0.7607 (the (1,2), (2,3) pair) and 0.1573 (the (1,3)).
        let a = [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let x = nearest_correlation(&a, 3);
        assert!((x[1] - 0.7607).abs() < 1e-4, "{x:?}");
        assert!((x[2] - 0.1573).abs() < 1e-4, "{x:?}");
        assert!((x[5] - 0.7607).abs() < 1e-4, "{x:?}");
        assert!(cholesky(&x, 3).is_some());
    }

    #[test]
    fn conversion_round_trips() {
        for r in [-1.0, -0.5, 0.0, 0.3, 0.9, 1.0] {
            assert!((normal_to_spearman(spearman_to_normal(r)) - r).abs() < 1e-15);
        }
        assert!((spearman_to_normal(1.0) - 1.0).abs() < 1e-15);
    }
}

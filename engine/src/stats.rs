//! Statistics of simulated samples: moments, exact percentiles (Excel's `PERCENTILE.INC`),
//! histograms, rank correlation and contribution to variance.
//!
//! Everything here takes plain slices of `f64` (the finite samples of one output; error
//! iterations are counted separately by the caller) and is deterministic: the same samples in
//! the same order give bit-identical results.

use std::cmp::Ordering;

/// Mean, dispersion and shape of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Moments {
    /// Number of samples.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator, Excel's `STDEV.S`).
    pub std: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Sample skewness (Excel's `SKEW`); 0 when fewer than 3 samples or no spread.
    pub skewness: f64,
    /// Sample excess kurtosis (Excel's `KURT`); 0 when fewer than 4 samples or no spread.
    pub kurtosis: f64,
    /// Standard error of the mean, `std / √n`.
    pub std_error: f64,
    /// 95% confidence interval of the mean (normal approximation, ±1.959963984540054 SE).
    pub mean_ci95: [f64; 2],
}

/// Two-sided 97.5% quantile of the standard normal distribution.
const Z_975: f64 = 1.959_963_984_540_054;

/// Independent accumulators of [`sum`] and [`moments`]: the processor adds that many numbers
/// at once instead of waiting for each addition to finish.
const LANES: usize = 8;

/// A Neumaier-compensated running sum.
#[derive(Clone, Copy, Default)]
struct Compensated {
    sum: f64,
    carry: f64,
}

impl Compensated {
    #[inline(always)]
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        // What the rounding of `t` lost, from whichever operand is larger (a select, not a
        // branch).
        let (big, small) = if self.sum.abs() >= x.abs() { (self.sum, x) } else { (x, self.sum) };
        self.carry += (big - t) + small;
        self.sum = t;
    }
}

/// Neumaier-compensated sum: accurate and independent of batch boundaries (the samples are
/// summed in [`LANES`] interleaved compensated sums, then those are summed).
pub fn sum(xs: &[f64]) -> f64 {
    let mut lanes = [Compensated::default(); LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            lane.add(x);
        }
    }
    let mut total = Compensated::default();
    for lane in lanes {
        total.add(lane.sum);
    }
    for &x in rest {
        total.add(x);
    }
    for lane in lanes {
        total.add(lane.carry);
    }
    total.sum + total.carry
}

/// Moments of a sample (two passes: the mean first, then central moments).
pub fn moments(xs: &[f64]) -> Moments {
    let n = xs.len();
    if n == 0 {
        // No statistic exists (JSON: null).
        let nan = f64::NAN;
        return Moments {
            count: 0,
            mean: nan,
            std: nan,
            min: nan,
            max: nan,
            skewness: nan,
            kurtosis: nan,
            std_error: nan,
            mean_ci95: [nan, nan],
        };
    }
    let nf = n as f64;
    let mean = sum(xs) / nf;
    // Central sums in interleaved lanes, added up at the end.
    let mut lanes = [[0.0f64; 3]; LANES];
    let (mut low, mut high) = ([f64::INFINITY; LANES], [f64::NEG_INFINITY; LANES]);
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (l, &x) in chunk.iter().enumerate() {
            let d = x - mean;
            let d2 = d * d;
            lanes[l][0] += d2;
            lanes[l][1] += d2 * d;
            lanes[l][2] += d2 * d2;
            low[l] = low[l].min(x);
            high[l] = high[l].max(x);
        }
    }
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for lane in lanes {
        m2 += lane[0];
        m3 += lane[1];
        m4 += lane[2];
    }
    let (mut min, mut max) =
        (low.into_iter().fold(f64::INFINITY, f64::min), high.into_iter().fold(f64::NEG_INFINITY, f64::max));
    for &x in rest {
        let d = x - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
        min = min.min(x);
        max = max.max(x);
    }
    let var = if n > 1 { m2 / (nf - 1.0) } else { 0.0 };
    let std = var.sqrt();
    let skewness = if n > 2 && std > 0.0 { nf / ((nf - 1.0) * (nf - 2.0)) * m3 / (std * std * std) } else { 0.0 };
    let kurtosis = if n > 3 && std > 0.0 {
        let s4 = var * var;
        nf * (nf + 1.0) / ((nf - 1.0) * (nf - 2.0) * (nf - 3.0)) * m4 / s4
            - 3.0 * (nf - 1.0) * (nf - 1.0) / ((nf - 2.0) * (nf - 3.0))
    } else {
        0.0
    };
    let std_error = std / nf.sqrt();
    Moments {
        count: n as u64,
        mean,
        std,
        min,
        max,
        skewness,
        kurtosis,
        std_error,
        mean_ci95: [mean - Z_975 * std_error, mean + Z_975 * std_error],
    }
}

/// Sorts a copy of the samples ascending (total order; NaN never occurs in finite samples).
pub fn sorted(xs: &[f64]) -> Vec<f64> {
    argsort(xs).into_iter().map(|i| xs[i as usize]).collect()
}

/// The bits of `x` as an unsigned key with the order of [`f64::total_cmp`].
#[inline]
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// The indices that sort the samples ascending in [`f64::total_cmp`] order, equal values
/// in the order of their indices.
///
/// A radix sort on the high 32 bits of each value's [`order_key`] (sign, exponent and 20 bits
/// of mantissa), carried with the index in one 64-bit word, then the runs that share those
/// bits — values within about one part in a million of each other, few in a simulation's
/// sample — sorted by their whole key. Stable passes keep such a run in index order, so ties
/// end in index order. Two or three passes of 11 bits instead of a comparison sort's
/// `log₂ n` passes over the data (a digit every word shares is skipped).
pub fn argsort(xs: &[f64]) -> Vec<u32> {
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    let mut words: Vec<u64> = xs.iter().enumerate().map(|(i, &x)| (order_key(x) >> 32) << 32 | i as u64).collect();
    // Counts of every digit, all passes at once.
    let mut counts = [[0u32; BUCKETS]; 3];
    for &w in &words {
        for (pass, counts) in counts.iter_mut().enumerate() {
            counts[digit(w, pass)] += 1;
        }
    }
    let mut spare = vec![0u64; words.len()];
    for (pass, counts) in counts.iter().enumerate() {
        if counts.iter().any(|&c| c as usize == words.len()) {
            continue;
        }
        let mut next = [0u32; BUCKETS];
        let mut at = 0;
        for (next, &c) in next.iter_mut().zip(counts) {
            *next = at;
            at += c;
        }
        for &w in &words {
            let d = digit(w, pass);
            spare[next[d] as usize] = w;
            next[d] += 1;
        }
        std::mem::swap(&mut words, &mut spare);
    }
    drop(spare);
    // Runs sharing the high bits, by the whole key (then the index).
    let mut k = 0;
    while k < words.len() {
        let mut j = k + 1;
        while j < words.len() && words[j] >> 32 == words[k] >> 32 {
            j += 1;
        }
        if j - k > 1 {
            words[k..j].sort_unstable_by_key(|&w| (order_key(xs[(w as u32) as usize]), w as u32));
        }
        k = j;
    }
    words.into_iter().map(|w| w as u32).collect()
}

/// Digit `pass` (11 bits, from the lowest) of the high 32 bits of a word of [`argsort`].
#[inline(always)]
fn digit(w: u64, pass: usize) -> usize {
    ((w >> (32 + 11 * pass)) & 0x7ff) as usize
}

/// A sample sorted once: its ascending order ([`argsort`]), its values in that order, and its
/// [doubled ranks](Ranked::ranks).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ranked {
    /// Indices into the sample, ascending by value.
    pub order: Vec<u32>,
    /// The values, ascending.
    pub sorted: Vec<f64>,
    /// Per sample, twice its average rank (1-based): `2·rank` is an integer even where ties
    /// share a rank (a tie over ranks 2 and 3 gives both 5), so rank correlations are computed
    /// with exact integer sums ([`rank_correlation`]). At most `2n`, and `n` is at most
    /// [`crate::spec::MAX_ITERATIONS`].
    pub ranks: Vec<u32>,
    /// Are two of the values equal?
    pub ties: bool,
}

/// Sorts a sample and ranks it.
pub fn rank(xs: &[f64]) -> Ranked {
    let order = argsort(xs);
    let sorted: Vec<f64> = order.iter().map(|&i| xs[i as usize]).collect();
    let (ranks, ties) = doubled_ranks_by(&order, |p| sorted[p], xs.len());
    Ranked { order, sorted, ranks, ties }
}

/// How the strata of a Latin Hypercube sample rank it ([`ranks_of_strata`]).
#[derive(Clone, Debug, PartialEq)]
pub enum StrataRanks {
    /// No two draws are equal: a draw's rank is its stratum + 1, so the strata can stand for
    /// the ranks in a [`rank_correlation`] (which does not change when one series is scaled
    /// or shifted, and is computed exactly).
    Distinct,
    /// Some draws are equal: their [doubled ranks](Ranked::ranks).
    Tied(Vec<u32>),
}

/// How a Latin Hypercube sample is ranked by the strata of its draws (`strata[i]`: the
/// stratum of draw `i`, each of `0..n` once), without sorting — or `None` when the sample is
/// not in fact ascending with its strata (or the strata are not a permutation).
pub fn ranks_of_strata(xs: &[f64], strata: &[u32]) -> Option<StrataRanks> {
    ranks_of_strata_in(xs, strata, &mut Vec::new())
}

/// [`ranks_of_strata`], with the draws placed by stratum in `by_stratum` (scratch space,
/// reused from one input to the next).
pub fn ranks_of_strata_in(xs: &[f64], strata: &[u32], by_stratum: &mut Vec<f64>) -> Option<StrataRanks> {
    let n = xs.len();
    if strata.len() != n {
        return None;
    }
    by_stratum.clear();
    by_stratum.resize(n, f64::NAN);
    for (&x, &s) in xs.iter().zip(strata) {
        *by_stratum.get_mut(s as usize)? = x;
    }
    let mut ties = false;
    for w in by_stratum.windows(2) {
        match w[0].total_cmp(&w[1]) {
            Ordering::Less => {}
            Ordering::Equal => ties = true,
            Ordering::Greater => return None,
        }
    }
    // A stratum nobody drew (NaN) or a NaN sample: not ranked this way.
    if by_stratum.iter().any(|x| x.is_nan()) {
        return None;
    }
    if !ties {
        return Some(StrataRanks::Distinct);
    }
    let identity: Vec<u32> = (0..n as u32).collect();
    let by_rank = doubled_ranks_of_sorted(&identity, by_stratum, n);
    Some(StrataRanks::Tied(strata.iter().map(|&s| by_rank[s as usize]).collect()))
}

/// Doubled ranks (see [`Ranked::ranks`]) from `(slot, value)` pairs given in ascending order
/// of value: `out[slot]` is the doubled rank of that value.
pub fn doubled_ranks_along(ascending: impl IntoIterator<Item = (usize, f64)>, len: usize) -> Vec<u32> {
    let (slots, sorted): (Vec<u32>, Vec<f64>) = ascending.into_iter().map(|(slot, x)| (slot as u32, x)).unzip();
    doubled_ranks_of_sorted(&slots, &sorted, len)
}

/// The doubled ranks from the slots and the ascending values as two slices: one pass over the
/// values, one write per slot.
fn doubled_ranks_of_sorted(slots: &[u32], sorted: &[f64], len: usize) -> Vec<u32> {
    doubled_ranks_by(slots, |p| sorted[p], len).0
}

/// The doubled ranks from the slots and the `p`-th ascending value `value(p)`, and whether two
/// values are equal.
#[inline(always)]
fn doubled_ranks_by(slots: &[u32], value: impl Fn(usize) -> f64, len: usize) -> (Vec<u32>, bool) {
    let mut out = vec![0; len];
    let n = slots.len();
    let mut ties = false;
    let mut k = 0;
    while k < n {
        let mut j = k + 1;
        while j < n && value(j).total_cmp(&value(k)) == Ordering::Equal {
            j += 1;
        }
        ties |= j - k > 1;
        // Ranks k+1 … j share their average, (k + 1 + j) / 2.
        let r = (k + 1 + j) as u32;
        for &slot in &slots[k..j] {
            out[slot as usize] = r;
        }
        k = j;
    }
    (out, ties)
}

/// A sample's ascending order and doubled ranks, without its sorted values (what a sample
/// needs that only its ranks are correlated of).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RankedOrder {
    /// Indices into the sample, ascending by value ([`argsort`]).
    pub order: Vec<u32>,
    /// Per sample, twice its average rank ([`Ranked::ranks`]).
    pub ranks: Vec<u32>,
    /// Are two of the values equal?
    pub ties: bool,
}

/// Sorts a sample and ranks it, keeping no sorted copy of the values.
pub fn rank_order(xs: &[f64]) -> RankedOrder {
    let order = argsort(xs);
    let (ranks, ties) = doubled_ranks_by(&order, |p| xs[order[p] as usize], xs.len());
    RankedOrder { order, ranks, ties }
}

/// Spearman's rank correlation from two equally long series of doubled ranks: their Pearson
/// correlation, from sums computed exactly in integers (0 when either has no spread).
pub fn rank_correlation(a: &[u32], b: &[u32]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 0.0;
    }
    let (a, b) = (&a[..n], &b[..n]);
    // Summed exactly, in u64 over chunks that cannot overflow.
    let chunk = RankSums::chunk(n);
    let mut sums = RankSums { n: n as u64, ..RankSums::default() };
    for (ca, cb) in a.chunks(chunk).zip(b.chunks(chunk)) {
        sums.add(ca.iter().zip(cb).map(|(&x, &y)| (u64::from(x), u64::from(y))));
    }
    sums.correlation()
}

/// [`rank_correlation`] of a sample given as `(slot, value)` pairs in ascending order of value
/// — each slot of `0..b.len()` once — with the doubled ranks `b` of another, without
/// materialising the first one's ranks: the same integer sums, so the same number.
pub fn rank_correlation_along(ascending: impl IntoIterator<Item = (usize, f64)>, b: &[u32]) -> f64 {
    let n = b.len();
    if n < 2 {
        return 0.0;
    }
    let mut sums = RankSums { n: n as u64, ..RankSums::default() };
    for &y in b {
        let y = u64::from(y);
        sums.b += u128::from(y);
        sums.bb += u128::from(y * y);
    }
    // A run of equal values (ranks k+1 … j) shares the doubled rank k + 1 + j: its sums are
    // added when the run ends.
    let (mut k, mut j, mut run_b, mut last) = (0u64, 0u64, 0u64, None::<f64>);
    let close = |k: u64, j: u64, run_b: u64, sums: &mut RankSums| {
        let r = u128::from(k + 1 + j);
        sums.a += u128::from(j - k) * r;
        sums.aa += u128::from(j - k) * r * r;
        sums.ab += r * u128::from(run_b);
    };
    for (slot, x) in ascending {
        if last.is_some_and(|l| l.total_cmp(&x) != Ordering::Equal) {
            close(k, j, run_b, &mut sums);
            (k, run_b) = (j, 0);
        }
        last = Some(x);
        run_b += u64::from(b[slot]);
        j += 1;
    }
    if j > k {
        close(k, j, run_b, &mut sums);
    }
    sums.correlation()
}

/// The 0-based rank of a [doubled rank](Ranked::ranks) of a sample without ties (`2·(r + 1)`).
pub fn undoubled(doubled: u32) -> u32 {
    doubled / 2 - 1
}

/// Up to this many dropped iterations, [`rank_correlation_kept`] counts those below a rank one
/// by one.
const FEW_DROPPED: usize = 64;

/// [`rank_correlation`] over the iterations `kept` (ascending, of `0..n`) of a sample without
/// ties, given by the 0-based rank of each iteration among all `n` (`rank_of(i)`), with the
/// doubled ranks `b` of another sample over the same iterations (`b[p]` for `kept[p]`). A kept
/// iteration's rank among the kept is its rank less the dropped iterations ranked below it,
/// counted among the dropped ones' ranks: no sort of the sample, and the kept iterations are
/// read in order. The same integer sums, so the same number, as ranking again.
pub fn rank_correlation_kept(rank_of: impl Fn(usize) -> u32, n: usize, kept: &[usize], b: &[u32]) -> f64 {
    let m = kept.len().min(b.len());
    if m < 2 {
        return 0.0;
    }
    let mut dropped: Vec<u32> = Vec::with_capacity(n - m);
    let mut next = kept.iter().copied().peekable();
    for i in 0..n {
        if next.peek() == Some(&i) {
            next.next();
        } else {
            dropped.push(rank_of(i));
        }
    }
    dropped.sort_unstable();
    // The dropped ranks below `r`: a few are counted with a loop the processor runs several at a
    // time, many by a binary search.
    let below = |r: u32| -> u32 {
        if dropped.len() <= FEW_DROPPED {
            dropped.iter().map(|&d| u32::from(d < r)).sum()
        } else {
            dropped.partition_point(|&d| d < r) as u32
        }
    };
    let chunk = RankSums::chunk(m);
    let mut sums = RankSums { n: m as u64, ..RankSums::default() };
    for (ck, cb) in kept[..m].chunks(chunk).zip(b[..m].chunks(chunk)) {
        sums.add(ck.iter().zip(cb).map(|(&i, &y)| {
            let r = rank_of(i);
            // Doubled rank among the kept: 2·(r + 1 − dropped below).
            (2 * u64::from(r + 1 - below(r)), u64::from(y))
        }));
    }
    sums.correlation()
}

/// The integer sums of a rank correlation over `n` pairs of doubled ranks `(a, b)`.
#[derive(Default)]
struct RankSums {
    n: u64,
    a: u128,
    b: u128,
    ab: u128,
    aa: u128,
    bb: u128,
}

impl RankSums {
    /// How many pairs of doubled ranks of `n` values (each at most `2n`) can be summed in u64
    /// without overflow: every product is below `(2n + 1)²`.
    fn chunk(n: usize) -> usize {
        let top = 2 * n as u64 + 1;
        (u64::MAX / (top * top)).clamp(1, 1 << 16) as usize
    }

    /// Adds one chunk of pairs (at most [`RankSums::chunk`]), summed in u64.
    #[inline(always)]
    fn add(&mut self, pairs: impl Iterator<Item = (u64, u64)>) {
        let (mut xa, mut xb, mut xab, mut xaa, mut xbb) = (0u64, 0u64, 0u64, 0u64, 0u64);
        for (x, y) in pairs {
            xa += x;
            xb += y;
            xab += x * y;
            xaa += x * x;
            xbb += y * y;
        }
        self.a += u128::from(xa);
        self.b += u128::from(xb);
        self.ab += u128::from(xab);
        self.aa += u128::from(xaa);
        self.bb += u128::from(xbb);
    }

    /// The Pearson correlation of the pairs (0 when either has no spread).
    fn correlation(&self) -> f64 {
        // n·Σab − Σa·Σb and the like: below 4n⁴ + …, within i128 for n ≤ 10⁸.
        let n = i128::from(self.n);
        let (sa, sb, sab, saa, sbb) =
            (self.a as i128, self.b as i128, self.ab as i128, self.aa as i128, self.bb as i128);
        let cov = n * sab - sa * sb;
        let (va, vb) = (n * saa - sa * sa, n * sbb - sb * sb);
        if va <= 0 || vb <= 0 {
            return 0.0;
        }
        (cov as f64 / ((va as f64).sqrt() * (vb as f64).sqrt())).clamp(-1.0, 1.0)
    }
}

/// Excel's `PERCENTILE.INC` of sorted samples: linear interpolation between order statistics at
/// rank `p·(n−1)`, `p` in [0, 1].
pub fn percentile_inc(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = p.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// The fraction of sorted samples ≤ `x`.
pub fn fraction_at_most(sorted: &[f64], x: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let k = sorted.partition_point(|&v| v <= x);
    k as f64 / sorted.len() as f64
}

/// A histogram with equal-width bins over [min, max].
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    /// Bin edges: `bins + 1` values from min to max.
    pub edges: Vec<f64>,
    /// Samples per bin; the last bin includes max.
    pub counts: Vec<u64>,
}

/// Builds a histogram of sorted samples.
pub fn histogram(sorted: &[f64], bins: usize) -> Histogram {
    let bins = bins.max(1);
    let (Some(&min), Some(&max)) = (sorted.first(), sorted.last()) else {
        return Histogram::default();
    };
    let width = (max - min) / bins as f64;
    let edges: Vec<f64> = (0..=bins).map(|i| if i == bins { max } else { min + width * i as f64 }).collect();
    let mut counts = vec![0u64; bins];
    if width <= 0.0 {
        counts[0] = sorted.len() as u64;
    } else {
        for &x in sorted {
            let k = (((x - min) / width) as usize).min(bins - 1);
            counts[k] += 1;
        }
    }
    Histogram { edges, counts }
}

/// Ranks 1..n of a sample, ties sharing their average rank.
pub fn ranks(xs: &[f64]) -> Vec<f64> {
    rank(xs).ranks.into_iter().map(|r| f64::from(r) / 2.0).collect()
}

/// Pearson correlation of two equally long samples (0 when either has no spread).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 0.0;
    }
    let (a, b) = (&a[..n], &b[..n]);
    let ma = sum(a) / n as f64;
    let mb = sum(b) / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (da, db) = (a[i] - ma, b[i] - mb);
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if saa <= 0.0 || sbb <= 0.0 { 0.0 } else { (sab / (saa * sbb).sqrt()).clamp(-1.0, 1.0) }
}

/// Spearman rank correlation: the Pearson correlation of the ranks.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    rank_correlation(&rank(a).ranks, &rank(b).ranks)
}

/// Contribution to variance of each input, from rank correlations with an output: the squared
/// rank correlations normalised to sum to 1 (the measure @RISK and Crystal Ball show beside
/// the tornado). Signed like the correlation.
pub fn contribution_to_variance(rank_correlations: &[f64]) -> Vec<f64> {
    let total: f64 = rank_correlations.iter().map(|r| r * r).sum();
    rank_correlations.iter().map(|r| if total > 0.0 { r.signum() * r * r / total } else { 0.0 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`argsort`] must give: `(order key, index)` pairs sorted.
    fn argsort_by_pairs(xs: &[f64]) -> Vec<u32> {
        let mut pairs: Vec<(u64, u32)> = xs.iter().enumerate().map(|(i, &x)| (order_key(x), i as u32)).collect();
        pairs.sort_unstable();
        pairs.into_iter().map(|(_, i)| i).collect()
    }

    #[test]
    fn argsort_orders_by_value_then_index() {
        let normal = |i: u64| crate::special::norm_inv(crate::rng::uniform(5, 6, i));
        let samples: Vec<Vec<f64>> = vec![
            vec![],
            vec![1.0],
            // A spread sample (every digit pass runs) and a narrow one (the top passes skipped).
            (0..50_000).map(|i| normal(i) * 1e6).collect(),
            (0..20_000).map(|i| 1.0 + normal(i) * 1e-3).collect(),
            // Values sharing their high 32 bits, with ties among them, in reverse order.
            (0..5_000u64).map(|i| f64::from_bits(0x4059_0000_0000_0000 | ((5_000 - i) % 700))).collect(),
            // Few distinct values: long runs of ties.
            (0..10_000).map(|i| f64::from((i * 7919) % 13) - 6.0).collect(),
            // Signs, zeros, infinities and subnormals.
            [0.0, -0.0, 1.5, -1.5, f64::MAX, f64::MIN, 1e-310, -1e-310, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0]
                .repeat(3),
        ];
        for xs in &samples {
            let order = argsort(xs);
            assert_eq!(order, argsort_by_pairs(xs), "{} values", xs.len());
            let ranked = rank(xs);
            assert_eq!(ranked.order, order);
            let without_values = rank_order(xs);
            assert_eq!((&without_values.order, &without_values.ranks), (&order, &ranked.ranks));
            let ties = ranked.sorted.windows(2).any(|w| w[0].total_cmp(&w[1]).is_eq());
            assert_eq!((without_values.ties, ranked.ties), (ties, ties), "{} values", xs.len());
            assert!(ranked.sorted.iter().zip(&order).all(|(s, &i)| s.to_bits() == xs[i as usize].to_bits()));
        }
    }

    /// The doubled ranks of a Latin Hypercube sample from the strata of its draws
    /// ([`ranks_of_strata`]), or `None` when they do not rank it.
    fn doubled_ranks_of_strata(xs: &[f64], strata: &[u32]) -> Option<Vec<u32>> {
        Some(match ranks_of_strata(xs, strata)? {
            StrataRanks::Distinct => strata.iter().map(|&s| 2 * s + 2).collect(),
            StrataRanks::Tied(ranks) => ranks,
        })
    }

    #[test]
    fn moments_match_excel_definitions() {
        // Excel: AVERAGE 5, STDEV.S 2.138089935, SKEW 0.818487553, KURT 0.940625
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let m = moments(&xs);
        assert_eq!(m.mean, 5.0);
        assert!((m.std - 2.138_089_935_299_395).abs() < 1e-12);
        assert!((m.skewness - 0.818_487_553_238_571_6).abs() < 1e-9, "{}", m.skewness);
        assert!((m.kurtosis - 0.940_625).abs() < 1e-9, "{}", m.kurtosis);
        assert_eq!((m.min, m.max), (2.0, 9.0));
    }

    #[test]
    fn percentile_inc_matches_excel() {
        let s = sorted(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(percentile_inc(&s, 0.0), 1.0);
        assert_eq!(percentile_inc(&s, 1.0), 4.0);
        assert!((percentile_inc(&s, 0.3) - 1.9).abs() < 1e-12);
        assert_eq!(percentile_inc(&s, 0.5), 2.5);
        assert_eq!(fraction_at_most(&s, 2.0), 0.5);
    }

    #[test]
    fn histogram_counts_every_sample() {
        let s = sorted(&(0..100).map(f64::from).collect::<Vec<_>>());
        let h = histogram(&s, 10);
        assert_eq!(h.counts.iter().sum::<u64>(), 100);
        assert_eq!(h.counts, vec![10; 10]);
        assert_eq!(h.edges.len(), 11);
        assert_eq!(histogram(&[3.0, 3.0], 5).counts, vec![2, 0, 0, 0, 0]);
    }

    #[test]
    fn argsort_and_ranks_agree_with_a_comparison_sort() {
        // Negatives, zeros of both signs, ties and extremes.
        let n = 50_017;
        let xs: Vec<f64> = (0..n)
            .map(|i| match i % 7 {
                0 => -0.0,
                1 => 0.0,
                2 => ((i * 7919) % 1000) as f64 - 500.0,
                3 => f64::MAX / (i as f64 + 1.0),
                4 => -1e-300 * i as f64,
                _ => ((i as f64) * 0.618_033_988_7).fract() - 0.5,
            })
            .collect();
        let order = argsort(&xs);
        let mut expected: Vec<u32> = (0..n as u32).collect();
        expected.sort_by(|&a, &b| xs[a as usize].total_cmp(&xs[b as usize]));
        assert_eq!(order, expected);
        // Ranks of ties are their average: three equal values at ranks 2, 3, 4 get 3.
        assert_eq!(ranks(&[1.0, 5.0, 5.0, 0.0, 5.0]), vec![2.0, 4.0, 4.0, 1.0, 4.0]);
        let big = ranks(&xs);
        let ranked = rank(&xs);
        assert_eq!(ranked.order, expected);
        assert!(ranked.sorted.iter().zip(&expected).all(|(s, &i)| s.to_bits() == xs[i as usize].to_bits()));
        let along = doubled_ranks_along(order.iter().map(|&i| (i as usize, xs[i as usize])), n);
        assert_eq!(ranked.ranks, along);
        // The same ranks from strata (a stratum per draw, the draws ascending with them).
        let mut strata = vec![0u32; n];
        for (k, &i) in order.iter().enumerate() {
            strata[i as usize] = k as u32;
        }
        assert_eq!(doubled_ranks_of_strata(&xs, &strata).as_ref(), Some(&ranked.ranks));
        // Without ties the strata stand for the ranks: the same correlation, to the bit.
        let distinct: Vec<f64> = (0..n).map(|i| ((i * 7919) % n) as f64 * 0.5 - 3.0).collect();
        let mut by_value = vec![0u32; n];
        for (k, &i) in argsort(&distinct).iter().enumerate() {
            by_value[i as usize] = k as u32;
        }
        assert_eq!(ranks_of_strata(&distinct, &by_value), Some(StrataRanks::Distinct));
        let other = rank(&xs).ranks;
        assert_eq!(
            rank_correlation(&by_value, &other).to_bits(),
            rank_correlation(&rank(&distinct).ranks, &other).to_bits()
        );
        strata.swap(order[0] as usize, order[n - 1] as usize);
        assert_eq!(doubled_ranks_of_strata(&xs, &strata), None);
        strata[0] = n as u32;
        assert_eq!(doubled_ranks_of_strata(&xs, &strata), None);
        let naive = {
            let mut out = vec![0.0; n];
            for &i in &expected {
                let lo = expected.partition_point(|&j| xs[j as usize].total_cmp(&xs[i as usize]).is_lt());
                let hi = expected.partition_point(|&j| xs[j as usize].total_cmp(&xs[i as usize]).is_le());
                out[i as usize] = (lo + hi + 1) as f64 / 2.0;
            }
            out
        };
        assert_eq!(big, naive);
    }

    #[test]
    fn ranks_and_rank_correlation() {
        assert_eq!(ranks(&[10.0, 30.0, 20.0, 20.0]), vec![1.0, 4.0, 2.5, 2.5]);
        let a: Vec<f64> = (0..50).map(f64::from).collect();
        let b: Vec<f64> = a.iter().map(|x| x.powi(3)).collect();
        assert!((spearman(&a, &b) - 1.0).abs() < 1e-12);
        let c: Vec<f64> = a.iter().map(|x| -x).collect();
        assert!((spearman(&a, &c) + 1.0).abs() < 1e-12);
        // Exact integer sums agree with the floating-point Pearson correlation of the ranks, ties
        // included.
        let x: Vec<f64> = (0..10_000).map(|i| f64::from((i * 7919) % 1013)).collect();
        let y: Vec<f64> = (0..10_000).map(|i| f64::from((i * 104_729) % 997) + 0.5 * f64::from(i % 3)).collect();
        let (exact, float) = (spearman(&x, &y), pearson(&ranks(&x), &ranks(&y)));
        assert!((exact - float).abs() < 1e-12, "{exact} {float}");
        // Along the order of one, with the ranks of the other: the same number, ties included.
        let order = argsort(&x);
        let along = rank_correlation_along(order.iter().map(|&i| (i as usize, x[i as usize])), &rank(&y).ranks);
        assert_eq!(along.to_bits(), exact.to_bits());
        let distinct: Vec<f64> = (0..10_000).map(|i| f64::from(i * 7919 % 10_007)).collect();
        let along = rank_correlation_along(
            argsort(&distinct).iter().map(|&i| (i as usize, distinct[i as usize])),
            &rank(&y).ranks,
        );
        assert_eq!(along.to_bits(), spearman(&distinct, &y).to_bits());
        // Over part of the iterations: the ranks less the dropped ones below, against ranking
        // the kept iterations again.
        let rank0: Vec<u32> = rank(&distinct).ranks.iter().map(|&r| r / 2 - 1).collect();
        for step in [3usize, 7, 500, 10_001] {
            let kept: Vec<usize> = (0..distinct.len()).filter(|i| i % step != 1).collect();
            let a: Vec<f64> = kept.iter().map(|&i| distinct[i]).collect();
            let b: Vec<f64> = kept.iter().map(|&i| y[i]).collect();
            let fast = rank_correlation_kept(|i| rank0[i], distinct.len(), &kept, &rank(&b).ranks);
            assert_eq!(fast.to_bits(), spearman(&a, &b).to_bits(), "every {step}th dropped");
        }
        assert_eq!(rank_correlation(&[2, 4, 6], &[5, 5, 5]), 0.0);
        let v = contribution_to_variance(&[0.6, -0.8]);
        assert!((v[0] - 0.36).abs() < 1e-12 && (v[1] + 0.64).abs() < 1e-12);
    }

    #[test]
    fn compensated_sum_is_exact_where_naive_is_not() {
        let xs = [1e16, 1.0, -1e16];
        assert_eq!(sum(&xs), 1.0);
    }
}

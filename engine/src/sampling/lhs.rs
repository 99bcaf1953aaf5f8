//! Latin Hypercube sampling without a stored permutation.
//!
//! With `n` iterations, each input's `(0, 1)` is cut into `n` equal strata and every stratum
//! is used exactly once: iteration `i` draws from stratum `π(i)`, where `π` is a pseudo-random
//! permutation of `[0, n)` keyed by `(seed, stream)`. `π` is a keyed bijection — a four-round
//! Feistel network on the next power of two above `n` whose round function is a keyed
//! splitmix64 finaliser (two integer multiplications, as cheap on a GPU as on a CPU), with
//! cycle-walking back into `[0, n)` — so any iteration is computed on its own, in any order,
//! batch size or thread, on CPU or GPU, and nothing of size `n` is stored. Within its
//! stratum the sample is placed by a second uniform: `u = (π(i) + v) / n`.
//!
//! Iterations beyond `n` start a new Latin Hypercube design of `n` (block `i / n` keys its
//! own permutation).

use crate::rng;

/// Largest uniform a stratum gives (the largest of [`rng::to_open_unit`]): `(n − 1 + v)/n`
/// can round to 1 for large `n`.
pub const MAX_UNIFORM: f64 = 1.0 - 1.0 / 9_007_199_254_740_992.0;

/// XORed into the key of the permutation's round function.
const PERMUTATION_KEY: u64 = 0x4c48_535f_5045_524d; // "LHS_PERM"
/// XORed into the stream of the within-stratum uniform.
pub const JITTER_STREAM: u64 = 0x4c48_535f_4a49_5454; // "LHS_JITT"

/// The splitmix64 finaliser: a bijective 64-bit mixer (two multiplications).
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The round function: pseudo-random bits of `(key, round, r)`, the key holding the seed,
/// stream, block and width.
#[inline]
fn round_function(key: u64, round: u64, r: u64) -> u64 {
    mix64(key ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ r)
}

/// Scratch space of [`Permutation::apply_run`]: the lanes still cycle-walking and their slots.
#[derive(Clone, Debug, Default)]
pub struct Walk {
    values: Vec<u64>,
    slots: Vec<u32>,
}

/// The permutation of one block of `n` iterations of one stream: the Feistel network's key
/// and widths, computed once and applied to many indices.
#[derive(Clone, Copy, Debug)]
pub struct Permutation {
    n: u64,
    key: u64,
    a: u32,
    b: u32,
}

impl Permutation {
    /// The permutation of block `block` (iterations `block·n … block·n + n − 1`) of
    /// `(seed, stream)`.
    pub fn new(seed: u64, stream: u64, n: u64, block: u64) -> Permutation {
        let n = n.max(1);
        // Smallest `bits` with 2^bits ≥ n; the halves have `a` and `b` bits (a ≤ b ≤ 32).
        let bits = 64 - (n - 1).leading_zeros();
        let a = bits / 2;
        let b = bits - a;
        let key = mix64(
            seed ^ PERMUTATION_KEY
                ^ mix64(stream ^ mix64(block ^ (u64::from(bits) << 58)).wrapping_add(0x6a09_e667_f3bc_c909)),
        );
        Permutation { n, key, a, b }
    }

    /// The stratum of `index` (below `n`).
    #[inline]
    pub fn apply(&self, index: u64) -> u64 {
        if self.n <= 1 {
            return 0;
        }
        let mut x = self.encrypt(index);
        while x >= self.n {
            x = self.encrypt(x);
        }
        x
    }

    /// The strata of `lanes.len()` consecutive indices from `first` (all below `n`), into
    /// `lanes`: the numbers [`Permutation::apply`] gives, computed in passes the processor runs
    /// several lanes at a time — one round of the network for every lane, then the
    /// cycle-walking of the lanes that left `[0, n)`, gathered into `walk` without a branch and
    /// walked together, pass after pass, until none is left.
    #[inline(always)]
    pub fn apply_run(&self, first: u64, lanes: &mut [u64], walk: &mut Walk) {
        if self.n <= 1 {
            lanes.fill(0);
            return;
        }
        for (x, index) in lanes.iter_mut().zip(first..) {
            *x = self.encrypt(index);
        }
        // The lanes still outside `[0, n)`, compacted: every lane is written at the end and
        // the end moves on only for those outside.
        walk.values.resize(lanes.len(), 0);
        walk.slots.resize(lanes.len(), 0);
        let mut left = 0;
        for (slot, &x) in lanes.iter().enumerate() {
            walk.values[left] = x;
            walk.slots[left] = slot as u32;
            left += usize::from(x >= self.n);
        }
        while left > 0 {
            let values = &mut walk.values[..left];
            for x in values.iter_mut() {
                *x = self.encrypt(*x);
            }
            let mut still = 0;
            for k in 0..left {
                let (x, slot) = (walk.values[k], walk.slots[k]);
                // A lane still outside is written now and again when it lands.
                lanes[slot as usize] = x;
                walk.values[still] = x;
                walk.slots[still] = slot;
                still += usize::from(x >= self.n);
            }
            left = still;
        }
    }

    /// One pass of the four-round network over `[0, 2^bits)`.
    #[inline(always)]
    fn encrypt(&self, x: u64) -> u64 {
        let b = self.b;
        let mask = |s: u32| if s == 0 { 0 } else { u64::MAX >> (64 - s) };
        let (mask_a, mask_b) = (mask(self.a), mask(b));
        // Unbalanced Feistel: (L: a bits, R: b bits) → (R, L ⊕ F(R)), the sizes swapping each
        // round and coming back after four.
        let (l, r) = (x >> b, x & mask_b);
        let (l, r) = (r, l ^ (round_function(self.key, 1, r) & mask_a));
        let (l, r) = (r, l ^ (round_function(self.key, 2, r) & mask_b));
        let (l, r) = (r, l ^ (round_function(self.key, 3, r) & mask_a));
        let (l, r) = (r, l ^ (round_function(self.key, 4, r) & mask_b));
        (l << b) | r
    }

    /// The Latin Hypercube uniform of `iteration` (in this permutation's block), with `v` its
    /// uniform within the stratum.
    #[inline]
    pub fn uniform(&self, iteration: u64, v: f64) -> f64 {
        in_stratum(self.apply(iteration % self.n), v, self.n)
    }
}

/// The uniform at `v` (in (0, 1)) within stratum `s` of `n`: `(s + v) / n`, below 1.
#[inline]
pub fn in_stratum(s: u64, v: f64, n: u64) -> f64 {
    ((s as f64 + v) / n as f64).min(MAX_UNIFORM)
}

/// The stratum of `iteration` among `n`: a permutation of `[0, n)` keyed by `(seed, stream)`
/// applied to `iteration mod n` (each block of `n` iterations has its own permutation).
/// `n = 0` is treated as 1.
pub fn stratum(seed: u64, stream: u64, n: u64, iteration: u64) -> u64 {
    let n = n.max(1);
    Permutation::new(seed, stream, n, iteration / n).apply(iteration % n)
}

/// The Latin Hypercube uniform of `iteration`: `(stratum + v) / n` with `v` the uniform of the
/// stream `stream ^ JITTER_STREAM`, in `(0, 1)`.
#[inline]
pub fn uniform(seed: u64, stream: u64, n: u64, iteration: u64) -> f64 {
    let n = n.max(1);
    let v = rng::uniform(seed, stream ^ JITTER_STREAM, iteration);
    Permutation::new(seed, stream, n, iteration / n).uniform(iteration, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stratum_exactly_once() {
        for n in [1u64, 2, 3, 7, 1000, 100_003] {
            for stream in [rng::stream_id("a"), rng::stream_id("b")] {
                let mut seen = vec![false; n as usize];
                for i in 0..n {
                    let s = stratum(42, stream, n, i) as usize;
                    assert!(s < n as usize);
                    assert!(!seen[s], "n={n}: stratum {s} twice");
                    seen[s] = true;
                }
                assert!(seen.iter().all(|&x| x));
            }
        }
        // The second block is again a permutation, but a different one.
        let n = 1000;
        let first: Vec<u64> = (0..n).map(|i| stratum(7, 9, n, i)).collect();
        let second: Vec<u64> = (n..2 * n).map(|i| stratum(7, 9, n, i)).collect();
        let mut sorted = second.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().enumerate().all(|(i, &s)| s == i as u64));
        assert_ne!(first, second);
    }

    #[test]
    fn a_run_of_lanes_gets_the_strata_each_index_gets_alone() {
        let mut walk = Walk::default();
        // Sizes just above a power of two walk the most; 1 and 2 are the edge cases.
        for n in [1u64, 2, 3, 5, 1025, 20_000, 100_000] {
            let p = Permutation::new(42, rng::stream_id("x"), n, 3);
            for (first, len) in [(0, n.min(1000)), (n / 3, (n - n / 3).min(777)), (n - 1, 1)] {
                let mut lanes = vec![u64::MAX; len as usize];
                p.apply_run(first, &mut lanes, &mut walk);
                let alone: Vec<u64> = (first..first + len).map(|i| p.apply(i)).collect();
                assert_eq!(lanes, alone, "n={n} first={first}");
            }
        }
    }

    #[test]
    fn streams_and_seeds_give_different_permutations() {
        let n = 1000;
        let p = |seed, stream| (0..n).map(|i| stratum(seed, stream, n, i)).collect::<Vec<_>>();
        let a = p(1, rng::stream_id("a"));
        let b = p(1, rng::stream_id("b"));
        let c = p(2, rng::stream_id("a"));
        assert_ne!(a, b);
        assert_ne!(a, c);
        // Two permutations agree at about one place in expectation; far from identical.
        assert!(a.iter().zip(&b).filter(|(x, y)| x == y).count() < 10);
        // Not close to the identity either.
        assert!(a.iter().enumerate().filter(|(i, s)| *i as u64 == **s).count() < 10);
        // Two strata of n = 2 both occur as the first for some streams.
        let firsts: Vec<u64> = (0..64).map(|s| stratum(3, s, 2, 0)).collect();
        assert!(firsts.contains(&0) && firsts.contains(&1));
    }

    #[test]
    fn lhs_uniforms_are_stratified_and_open() {
        let n = 5000u64;
        let stream = rng::stream_id("x");
        let mut counts = vec![0u32; n as usize];
        for i in 0..n {
            let u = uniform(11, stream, n, i);
            assert!(u > 0.0 && u < 1.0);
            counts[(u * n as f64) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c == 1));
        // The largest stratum of a huge design stays below 1.
        let big = 1u64 << 60;
        let top = (0..1u64 << 12).map(|i| uniform(1, 2, big, i)).fold(0.0, f64::max);
        assert!(top < 1.0);
    }
}

//! Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
//! as 1, 2, 3", SC 2011 — the generator of cuRAND and JAX).
//!
//! A draw is a pure function of `(seed, stream, iteration)`: there is no state to carry, so the
//! same job gives the same numbers on CPU or GPU, on one worker or ten, in any batch size and
//! any order. The key is the 64-bit seed; the 128-bit counter is `(iteration, stream)`.

/// Multipliers and Weyl constants of Philox4x32.
const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = u64::from(a) * u64::from(b);
    ((p >> 32) as u32, p as u32)
}

#[inline(always)]
fn round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(M0, c[0]);
    let (hi1, lo1) = mulhilo(M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// Philox4x32 with 10 rounds: four 32-bit words from a 128-bit counter and a 64-bit key.
#[inline(always)]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for i in 0..10 {
        if i > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        c = round(c, k);
    }
    c
}

/// Converts 64 random bits to a uniform number strictly inside (0, 1) on a grid of 2^52 points:
/// `((x >> 12) + 0.5) / 2^52`, from 2^-53 to 1 - 2^-53. Never 0 or 1 (with 53 bits the top point
/// would round to 1.0), so inverse CDFs stay finite.
#[inline(always)]
pub fn to_open_unit(x: u64) -> f64 {
    ((x >> 12) as f64 + 0.5) * (1.0 / 4_503_599_627_370_496.0)
}

/// The four words of the block for `(seed, stream, iteration)`.
#[inline(always)]
pub fn block(seed: u64, stream: u64, iteration: u64) -> [u32; 4] {
    philox4x32_10(
        [iteration as u32, (iteration >> 32) as u32, stream as u32, (stream >> 32) as u32],
        [seed as u32, (seed >> 32) as u32],
    )
}

/// The uniform draw in (0, 1) of a stream at an iteration.
#[inline(always)]
pub fn uniform(seed: u64, stream: u64, iteration: u64) -> f64 {
    let b = block(seed, stream, iteration);
    to_open_unit(u64::from(b[0]) << 32 | u64::from(b[1]))
}

/// A second, independent 64-bit word of the same block (for samplers that need two numbers
/// per iteration, such as the Latin Hypercube permutation).
#[inline]
pub fn second_word(seed: u64, stream: u64, iteration: u64) -> u64 {
    let b = block(seed, stream, iteration);
    u64::from(b[2]) << 32 | u64::from(b[3])
}

/// A stream id from a name (FNV-1a, 64-bit): the identity of an input (`Sheet!B4`, or its
/// `RiskName`) decides its stream, not its position, so adding an input leaves the draws of the
/// others unchanged.
pub fn stream_id(identity: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in identity.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors of Random123 (`kat_vectors`, philox4x32 with 10 rounds).
    #[test]
    fn random123_known_answers() {
        assert_eq!(philox4x32_10([0, 0, 0, 0], [0, 0]), [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]);
        assert_eq!(philox4x32_10([u32::MAX; 4], [u32::MAX; 2]), [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]);
        assert_eq!(
            philox4x32_10([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0]),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn uniforms_are_open_and_reproducible() {
        assert!(to_open_unit(0) > 0.0);
        assert!(to_open_unit(u64::MAX) < 1.0);
        assert_eq!(uniform(42, 7, 1000), uniform(42, 7, 1000));
        assert_ne!(uniform(42, 7, 1000), uniform(42, 8, 1000));
        assert_ne!(uniform(42, 7, 1000), uniform(43, 7, 1000));
        let mean = (0..100_000).map(|i| uniform(1, 2, i)).sum::<f64>() / 100_000.0;
        assert!((mean - 0.5).abs() < 0.005, "{mean}");
    }

    #[test]
    fn stream_ids_differ() {
        assert_ne!(stream_id("Model!B4"), stream_id("Model!B5"));
        assert_eq!(stream_id("growth"), stream_id("growth"));
    }
}

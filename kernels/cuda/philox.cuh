// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC 2011), bit for bit the
// generator of engine/src/rng.rs. A draw is a pure function of (seed, stream, iteration): the
// 128-bit counter is (iteration lo, iteration hi, stream lo, stream hi), the 64-bit key is
// (seed lo, seed hi).

#define MC_PHILOX_M0 0xD2511F53u
#define MC_PHILOX_M1 0xCD9E8D57u
#define MC_PHILOX_W0 0x9E3779B9u
#define MC_PHILOX_W1 0xBB67AE85u

struct mc_u32x4 { mc_u32 v[4]; };

/// Philox4x32 with 10 rounds.
MC_FN mc_u32x4 mc_philox4x32_10(mc_u32 c0, mc_u32 c1, mc_u32 c2, mc_u32 c3, mc_u32 k0, mc_u32 k1) {
#pragma unroll
    for (int i = 0; i < 10; i++) {
        if (i > 0) {
            k0 += MC_PHILOX_W0;
            k1 += MC_PHILOX_W1;
        }
        mc_u32 hi0 = mc_mulhi(MC_PHILOX_M0, c0), lo0 = MC_PHILOX_M0 * c0;
        mc_u32 hi1 = mc_mulhi(MC_PHILOX_M1, c2), lo1 = MC_PHILOX_M1 * c2;
        mc_u32 n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    }
    mc_u32x4 r;
    r.v[0] = c0; r.v[1] = c1; r.v[2] = c2; r.v[3] = c3;
    return r;
}

/// The four words of the block for (seed, stream, iteration) (rng::block).
MC_FN mc_u32x4 mc_block(mc_u64 seed, mc_u64 stream, mc_u64 iteration) {
    return mc_philox4x32_10((mc_u32)iteration, (mc_u32)(iteration >> 32), (mc_u32)stream, (mc_u32)(stream >> 32),
                            (mc_u32)seed, (mc_u32)(seed >> 32));
}

/// 64 random bits to a uniform strictly inside (0, 1): ((x >> 12) + 0.5) / 2^52
/// (rng::to_open_unit). Exact: (x >> 12) has 52 bits, + 0.5 and the power-of-two scale are exact.
MC_FN double mc_to_open_unit(mc_u64 x) {
    return ((double)(x >> 12) + 0.5) * (1.0 / 4503599627370496.0);
}

/// The uniform of a stream at an iteration (rng::uniform).
MC_FN double mc_uniform(mc_u64 seed, mc_u64 stream, mc_u64 iteration) {
    mc_u32x4 b = mc_block(seed, stream, iteration);
    return mc_to_open_unit(((mc_u64)b.v[0] << 32) | (mc_u64)b.v[1]);
}

/// The second 64-bit word of the block (rng::second_word).
MC_FN mc_u64 mc_second_word(mc_u64 seed, mc_u64 stream, mc_u64 iteration) {
    mc_u32x4 b = mc_block(seed, stream, iteration);
    return ((mc_u64)b.v[2] << 32) | (mc_u64)b.v[3];
}

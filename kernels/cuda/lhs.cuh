// Latin Hypercube sampling without a stored permutation (engine/src/sampling/lhs.rs): a keyed
// four-round unbalanced Feistel network on the next power of two above n, cycle-walking back
// into [0, n); the uniform within the stratum from the stream stream ^ JITTER_STREAM.

#define MC_LHS_PERMUTATION_KEY 0x4c48535f5045524dULL
#define MC_LHS_JITTER_STREAM 0x4c48535f4a495454ULL
/// The largest uniform a stratum gives: 1 - 2^-53.
#define MC_LHS_MAX_UNIFORM (1.0 - 1.0 / 9007199254740992.0)

/// The splitmix64 finaliser.
MC_FN mc_u64 mc_mix64(mc_u64 z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

MC_FN mc_u64 mc_lhs_round_function(mc_u64 key, mc_u64 round, mc_u64 r) {
    return mc_mix64(key ^ (round * 0x9e3779b97f4a7c15ULL) ^ r);
}

/// The permutation of one block of n iterations of one stream.
struct mc_permutation { mc_u64 n; mc_u64 key; mc_u32 a; mc_u32 b; };

MC_FN int mc_leading_zeros(mc_u64 x) {
#ifdef MC_CUDA
    return __clzll((long long)x);
#else
    return x == 0 ? 64 : __builtin_clzll(x);
#endif
}

MC_FN mc_permutation mc_permutation_new(mc_u64 seed, mc_u64 stream, mc_u64 n, mc_u64 block) {
    if (n < 1) n = 1;
    mc_u32 bits = 64 - (mc_u32)mc_leading_zeros(n - 1);
    mc_u32 a = bits / 2;
    mc_u32 b = bits - a;
    mc_u64 key = mc_mix64(seed ^ MC_LHS_PERMUTATION_KEY ^
                          mc_mix64(stream ^ (mc_mix64(block ^ ((mc_u64)bits << 58)) + 0x6a09e667f3bcc909ULL)));
    mc_permutation p;
    p.n = n; p.key = key; p.a = a; p.b = b;
    return p;
}

MC_FN mc_u64 mc_mask(mc_u32 s) { return s == 0 ? 0 : (~0ULL) >> (64 - s); }

/// The stratum of index (below n).
MC_FN mc_u64 mc_permutation_apply(const mc_permutation& p, mc_u64 index) {
    if (p.n <= 1) return 0;
    mc_u64 x = index;
    for (;;) {
        mc_u64 l = x >> p.b, r = x & mc_mask(p.b);
        mc_u32 sl = p.a, sr = p.b;
        for (mc_u64 round = 0; round < 4; round++) {
            mc_u64 f = mc_lhs_round_function(p.key, round + 1, r) & mc_mask(sl);
            mc_u64 nl = r, nr = l ^ f;
            l = nl; r = nr;
            mc_u32 t = sl; sl = sr; sr = t;
        }
        x = (l << sr) | r;
        if (x < p.n) return x;
    }
}

/// (s + v) / n, below 1 (lhs::in_stratum).
MC_FN double mc_in_stratum(mc_u64 s, double v, mc_u64 n) {
    return mc_min(((double)s + v) / (double)n, MC_LHS_MAX_UNIFORM);
}

/// The Latin Hypercube uniform of an iteration, and its stratum (lhs::uniform).
MC_FN double mc_lhs_uniform(mc_u64 seed, mc_u64 stream, mc_u64 n, mc_u64 iteration, mc_u32* stratum) {
    if (n < 1) n = 1;
    double v = mc_uniform(seed, stream ^ MC_LHS_JITTER_STREAM, iteration);
    mc_permutation p = mc_permutation_new(seed, stream, n, iteration / n);
    mc_u64 s = mc_permutation_apply(p, iteration % n);
    *stratum = (mc_u32)s;
    return mc_in_stratum(s, v, n);
}

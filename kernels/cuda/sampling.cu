// Hand-written sampling kernels (after the headers; see prelude.cuh). One thread per
// iteration, `count` iterations from `first`.

/// The plain Monte Carlo uniforms of one stream: out[i] = uniform(seed, stream, first + i).
MC_KERNEL void mc_uniforms(mc_u64 seed, mc_u64 stream, mc_u64 first, mc_u64 count, double* out) {
    mc_u64 i = (mc_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    out[i] = mc_uniform(seed, stream, first + i);
}

/// The Latin Hypercube uniforms of one stream over a design of n iterations, and their strata.
MC_KERNEL void mc_lhs_uniforms(mc_u64 seed, mc_u64 stream, mc_u64 n, mc_u64 first, mc_u64 count, double* out,
                               mc_u32* strata) {
    mc_u64 i = (mc_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    mc_u32 s;
    out[i] = mc_lhs_uniform(seed, stream, n, first + i, &s);
    strata[i] = s;
}

/// The standard normal quantiles of uniforms (AS 241), e.g. for a copula on the device.
MC_KERNEL void mc_normal_quantiles(const double* u, mc_u64 count, double* out) {
    mc_u64 i = (mc_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    out[i] = mc_copula_to_normal(u[i]);
}

/// Gaussian copula over m members: z[k*count + i] are the members' own uniforms, factor the
/// lower Cholesky factor (m×m, row-major), keep[k] != 0 for rows that keep their uniform; the
/// correlated uniforms are written to out[k*count + i]. At most 64 members (the generated
/// kernels and the interpreter have no such limit).
MC_KERNEL void mc_copula(const double* u, mc_u64 count, int m, const double* factor, const int* keep, double* out) {
    mc_u64 i = (mc_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    double z[64];
    int members = m < 64 ? m : 64;
    for (int k = 0; k < members; k++) z[k] = mc_copula_to_normal(u[(mc_u64)k * count + i]);
    for (int k = 0; k < members; k++) {
        out[(mc_u64)k * count + i] =
            keep[k] ? u[(mc_u64)k * count + i] : mc_copula_to_uniform(mc_copula_dot(factor + (mc_u64)k * m, z, k));
    }
}

/// Latin Hypercube permutation alone: strata[i] = π(first + i mod n) of block (first + i) / n.
MC_KERNEL void mc_lhs_strata(mc_u64 seed, mc_u64 stream, mc_u64 n, mc_u64 first, mc_u64 count, mc_u32* strata) {
    mc_u64 i = (mc_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    mc_u64 it = first + i;
    mc_permutation p = mc_permutation_new(seed, stream, n, it / n);
    strata[i] = (mc_u32)mc_permutation_apply(p, it % n);
}

// Reductions per block (after the headers; see prelude.cuh): the sum, minimum and maximum of
// the finite values of x[0..count) and how many there are. Launch with 256 threads per block
// (the shared memory is static); each block writes its partials at
// out[4 * blockIdx.x + {0: sum, 1: min, 2: max, 3: count}], and the host (or a second launch
// over the partials with count = 4 * blocks, stride 4) combines them. Non-finite lanes (Excel
// errors, booleans) are skipped, as the statistics skip them. The block sum's order differs
// from a sequential sum: use it for progress and quick summaries, not for the statistics the
// CPU engine must match bit for bit.

#define MC_REDUCE_THREADS 256

MC_KERNEL void mc_reduce_finite(const double* x, mc_u64 count, mc_u64 stride, double* out) {
    __shared__ double s_sum[MC_REDUCE_THREADS];
    __shared__ double s_min[MC_REDUCE_THREADS];
    __shared__ double s_max[MC_REDUCE_THREADS];
    __shared__ double s_cnt[MC_REDUCE_THREADS];
    unsigned int t = threadIdx.x;
    double sum = 0.0, mn = MC_INFINITY, mx = -MC_INFINITY, cnt = 0.0;
    for (mc_u64 i = (mc_u64)blockIdx.x * blockDim.x + t; i < count; i += (mc_u64)gridDim.x * blockDim.x) {
        double v = x[i * stride];
        if (mc_isfinite(v)) {
            sum += v;
            mn = mc_min(mn, v);
            mx = mc_max(mx, v);
            cnt += 1.0;
        }
    }
    s_sum[t] = sum; s_min[t] = mn; s_max[t] = mx; s_cnt[t] = cnt;
    __syncthreads();
    for (unsigned int h = blockDim.x / 2; h > 0; h >>= 1) {
        if (t < h) {
            s_sum[t] += s_sum[t + h];
            s_min[t] = mc_min(s_min[t], s_min[t + h]);
            s_max[t] = mc_max(s_max[t], s_max[t + h]);
            s_cnt[t] += s_cnt[t + h];
        }
        __syncthreads();
    }
    if (t == 0) {
        out[4 * blockIdx.x + 0] = s_sum[0];
        out[4 * blockIdx.x + 1] = s_min[0];
        out[4 * blockIdx.x + 2] = s_max[0];
        out[4 * blockIdx.x + 3] = s_cnt[0];
    }
}

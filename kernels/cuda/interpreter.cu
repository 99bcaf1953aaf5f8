// The tape interpreter (after the headers; see prelude.cuh): one kernel for every model, the
// fallback for tapes too long for straight-line code (NVRTC time and memory grow with the
// tape; see kernels/README.md). The program is the model's tape encoded by
// kernels/src/interpreter.rs; registers live in global memory, register-major
// (regs[r * count + i]), so the threads of a warp read and write adjacent lanes. The
// operations are those of the generated code (excel.cuh), in the same order, so the results
// are the same bits.
//
// code layout (u32):
//   [0] inputs  [1] method (0 MC, 1 LHS)  [2] copula members m  [3] outputs  [4] registers
//   [5] start of the operations  [6] end of the operations  [7] constants  [8] data offset of the copula factor
//   then per input (6 words): stream lo, stream hi, data offset of its prepared law, register it
//   is sampled into, register its recorded sample is read from, strata slot (0xFFFFFFFF: none)
//   then per copula member (2 words): input, keep
//   then per output (1 word): register
//   then per constant (2 words): register, data offset
//   then the operations.

#define MC_I_BINARY 1
#define MC_I_SCALAR_LEFT 2
#define MC_I_SCALAR_RIGHT 3
#define MC_I_UNARY 4
#define MC_I_SELECT 5
#define MC_I_CHOOSE 6
#define MC_I_IFERROR 7
#define MC_I_BLANK 8
#define MC_I_AGGREGATE 9
#define MC_I_SERIES 10
#define MC_I_RANDBETWEEN 11

/// A prepared law stored as 25 doubles (see kernels/src/codegen.rs: PreparedFields::flat).
MC_FN mc_prepared mc_prepared_load(const double* p) {
    mc_prepared d;
    d.law = (int)p[0];
    d.kernel.kind = (int)p[1];
    d.kernel.a = p[2]; d.kernel.b = p[3]; d.kernel.c = p[4]; d.kernel.d = p[5];
    d.intlaw.kind = (int)p[6]; d.intlaw.a = p[7]; d.intlaw.b = p[8];
    d.t0 = (mc_u64)p[9]; d.t1 = (mc_u64)p[10]; d.t2 = (mc_u64)p[11]; d.n = (mc_u64)p[12];
    d.first = (mc_u64)p[13]; d.last = (mc_u64)p[14];
    d.total = p[15]; d.end = p[16]; d.truncated = p[17] != 0.0;
    d.lo_p = p[18]; d.hi_q = p[19]; d.width = p[20]; d.lo = p[21]; d.hi = p[22]; d.shift = p[23];
    d.support_top = p[24];
    return d;
}

MC_KERNEL void mc_interpret(mc_u64 seed, mc_u64 strata_n, mc_u64 first, mc_u64 count, const mc_u32* __restrict__ code,
                            const double* __restrict__ data, double* __restrict__ regs, double* __restrict__ outputs,
                            double* __restrict__ inputs, mc_u32* __restrict__ strata) {
    mc_u64 i = (mc_u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    const mc_u64 it = first + i;
#define R(x) regs[(mc_u64)(x) * count + i]
    const mc_u32 n_in = code[0], method = code[1], m = code[2], n_out = code[3], n_regs = code[4];
    const mc_u32* in = code + 9;
    const mc_u32* members = in + 6 * n_in;
    const mc_u32* outs = members + 2 * m;
    const mc_u32* consts = outs + n_out;
    // Own uniforms, into the inputs' registers.
    for (mc_u32 j = 0; j < n_in; j++) {
        const mc_u32* e = in + 6 * j;
        mc_u64 stream = (mc_u64)e[0] | ((mc_u64)e[1] << 32);
        double u;
        if (method == 0) {
            u = mc_uniform(seed, stream, it);
        } else {
            mc_u32 s;
            u = mc_lhs_uniform(seed, stream, strata_n, it, &s);
            if (e[5] != 0xFFFFFFFFu) strata[(mc_u64)e[5] * count + i] = s;
        }
        R(e[3]) = u;
    }
    // Copula: z of every member (in the scratch rows after the registers), then the rows.
    if (m > 0) {
        const double* factor = data + code[8];
        for (mc_u32 k = 0; k < m; k++) R(n_regs + k) = mc_copula_to_normal(R(in[6 * members[2 * k] + 3]));
        for (mc_u32 k = 0; k < m; k++) {
            if (members[2 * k + 1]) continue;
            double y = -0.0;
            for (mc_u32 q = 0; q <= k; q++) y += factor[(mc_u64)k * m + q] * R(n_regs + q);
            R(in[6 * members[2 * k] + 3]) = mc_copula_to_uniform(y);
        }
    }
    // Samples.
    for (mc_u32 j = 0; j < n_in; j++) {
        const mc_u32* e = in + 6 * j;
        R(e[3]) = mc_prepared_quantile(mc_prepared_load(data + e[2]), data, R(e[3]));
    }
    for (mc_u32 c = 0; c < code[7]; c++) R(consts[2 * c]) = data[consts[2 * c + 1]];
    // The tape.
    mc_u32 pc = code[5];
    const mc_u32 end = code[6];
    while (pc < end) {
        const mc_u32* o = code + pc;
        switch (o[0]) {
        case MC_I_BINARY: R(o[4]) = mc_binary((int)o[1], R(o[2]), R(o[3])); pc += 5; break;
        case MC_I_SCALAR_LEFT: R(o[4]) = mc_binary((int)o[1], data[o[2]], R(o[3])); pc += 5; break;
        case MC_I_SCALAR_RIGHT: R(o[4]) = mc_binary((int)o[1], R(o[2]), data[o[3]]); pc += 5; break;
        case MC_I_UNARY: R(o[3]) = mc_unary((int)o[1], R(o[2])); pc += 4; break;
        case MC_I_SELECT: R(o[4]) = mc_select(R(o[1]), R(o[2]), R(o[3])); pc += 5; break;
        case MC_I_CHOOSE: {
            mc_u32 n = o[2];
            double e;
            int k = mc_choose_index(R(o[1]), (int)n, &e);
            R(o[3 + n]) = k < 0 ? e : R(o[3 + k]);
            pc += 4 + n;
            break;
        }
        case MC_I_IFERROR: R(o[4]) = mc_iferror(R(o[1]), R(o[2]), o[3] != 0); pc += 5; break;
        case MC_I_BLANK: R(o[2]) = mc_blank_to_zero(R(o[1])); pc += 3; break;
        case MC_I_AGGREGATE: {
            // [9, kind, folded (5 doubles at data + o[2]: sum product count min max), n, (reg, direct)*n, dst]
            int kind = (int)o[1];
            const double* fo = data + o[2];
            mc_u32 n = o[3];
            const mc_u32* items = o + 4;
            double dst;
            if (n == 0) {
                dst = mc_agg_finish(mc_agg_start(fo[0], fo[1], fo[2], fo[3], fo[4]), kind);
            } else {
                double f = kind == MC_AGG_PRODUCT ? fo[1] : (kind == MC_AGG_MIN ? fo[3] : (kind == MC_AGG_MAX ? fo[4] : fo[0]));
                bool bad = false;
                for (mc_u32 q = 0; q < n; q++) {
                    double x = R(items[2 * q]);
                    switch (kind) {
                    case MC_AGG_PRODUCT: f *= x; break;
                    case MC_AGG_MIN: f = mc_min(f, x); break;
                    case MC_AGG_MAX: f = mc_max(f, x); break;
                    default: f += x; break;
                    }
                    bad |= !mc_isfinite(x);
                }
                if (kind == MC_AGG_AVERAGE) f /= fo[2] + (double)n;
                if (bad || !mc_isfinite(f)) {
                    mc_agg a = mc_agg_start(fo[0], fo[1], fo[2], fo[3], fo[4]);
                    for (mc_u32 q = 0; q < n; q++) mc_agg_add(a, R(items[2 * q]), items[2 * q + 1] != 0);
                    f = mc_agg_finish(a, kind);
                }
                dst = f;
            }
            R(items[2 * n]) = dst;
            pc += 5 + 2 * n;
            break;
        }
        case MC_I_SERIES: {
            // [10, kind (0 NPV, 1 IRR), has scalar, scalar, n, (reg, direct)*n, dst]
            mc_u32 n = o[4];
            const mc_u32* items = o + 5;
            double res = 0.0, s = o[1] == 0 ? 0.0 : 0.1;
            bool ok = true;
            if (o[2]) ok = mc_series_scalar(R(o[3]), &s, &res);
            double num;
            int e;
            for (mc_u32 q = 0; ok && q < n; q++) {
                if (mc_operand_number(R(items[2 * q]), items[2 * q + 1] != 0, &num, &e) < 0) {
                    res = mc_error(e);
                    ok = false;
                }
            }
            if (ok && o[1] == 0) {
                if (s == -1.0) {
                    res = mc_error(MC_E_DIV0);
                } else {
                    double sum = 0.0, factor = 1.0;
                    for (mc_u32 q = 0; q < n; q++) {
                        if (mc_operand_number(R(items[2 * q]), items[2 * q + 1] != 0, &num, &e) > 0) {
                            factor *= 1.0 + s;
                            sum += num / factor;
                        }
                    }
                    res = mc_series_result(sum);
                }
            } else if (ok) {
                // IRR (functions::financial::irr_of), reading the values from the registers.
                bool pos = false, neg = false;
                for (mc_u32 q = 0; q < n; q++) {
                    if (mc_operand_number(R(items[2 * q]), items[2 * q + 1] != 0, &num, &e) > 0) {
                        pos |= num > 0.0;
                        neg |= num < 0.0;
                    }
                }
                if (s <= -1.0) {
                    res = mc_error(MC_E_VALUE);
                } else if (!(pos && neg)) {
                    res = mc_error(MC_E_NUM);
                } else {
                    double x = 1.0 / (1.0 + s);
                    res = mc_error(MC_E_NUM);
                    for (int iter = 0; iter < 20; iter++) {
                        double f = 0.0, d = 0.0;
                        for (mc_u32 q = n; q-- > 0;) {
                            if (mc_operand_number(R(items[2 * q]), items[2 * q + 1] != 0, &num, &e) > 0) {
                                d = d * x + f;
                                f = f * x + num;
                            }
                        }
                        if (!mc_isfinite(f) || !mc_isfinite(d) || d == 0.0) break;
                        double next = x - f / d;
                        if (!mc_isfinite(next) || next <= 0.0) break;
                        if (fabs(next - x) < 1e-7) {
                            res = mc_series_result(1.0 / next - 1.0);
                            break;
                        }
                        x = next;
                    }
                }
            }
            R(items[2 * n]) = res;
            pc += 6 + 2 * n;
            break;
        }
        case MC_I_RANDBETWEEN: R(o[4]) = mc_randbetween(R(o[1]), R(o[2]), R(o[3])); pc += 5; break;
        default: pc = end; break;
        }
    }
    for (mc_u32 k = 0; k < n_out; k++) outputs[(mc_u64)k * count + i] = R(outs[k]);
    for (mc_u32 j = 0; j < n_in; j++) inputs[(mc_u64)j * count + i] = R(in[6 * j + 4]);
#undef R
}

// Inverse CDFs: a port of the sampling path of engine/src/sampling/distribution.rs (Kernel,
// the AS 241 normal quantile, IntLaw) and prepared.rs (PreparedDistribution::quantile: the
// truncation window, quantile tables with one Halley step, cumulative tables, piecewise-linear
// laws). Tables live in one read-only array of doubles (`data`) at offsets fixed when the
// model's kernel is generated; the small parameters are literals of the generated source.

MC_CONST double MC_AS241_A[8] = {3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946,
                                 45921.95393154987,  67265.7709270087,   33430.57558358813,  2509.0809287301227};
MC_CONST double MC_AS241_B[8] = {1.0,                42.31333070160091,  687.1870074920579,  5394.196021424751,
                                 21213.794301586597, 39307.89580009271,  28729.085735721943, 5226.495278852854};
MC_CONST double MC_AS241_C[8] = {1.4234371107496835, 4.630337846156546,  5.769497221460691,    3.6478483247632045,
                                 1.2704582524523684, 0.2417807251774506, 0.022723844989269184, 0.0007745450142783414};
MC_CONST double MC_AS241_D[8] = {1.0,                 2.053191626637759,    1.6763848301838038,    0.6897673349851,
                                 0.14810397642748008, 0.015198666563616457, 0.0005475938084995345, 1.0507500716444169e-9};
MC_CONST double MC_AS241_E[8] = {6.657904643501103,    5.463784911164114,     1.7848265399172913,     0.29656057182850487,
                                 0.026532189526576124, 0.0012426609473880784, 2.7115555687434876e-5, 2.0103343992922881e-7};
MC_CONST double MC_AS241_F[8] = {1.0,                   0.599832206555888,     0.1369298809227358,    0.014875361290850615,
                                 0.0007868691311456133, 1.8463183175100548e-5, 1.421511758316446e-7, 2.0442631033899397e-15};

MC_FN double mc_poly8(const double* c, double r) {
    double acc = 0.0;
    for (int i = 7; i >= 0; i--) acc = acc * r + c[i];
    return acc;
}

/// Φ⁻¹ with q = 1 − p given (Wichura's AS 241, distribution::std_normal_quantile).
MC_FN double mc_std_normal_quantile(double p, double q) {
    double c = p <= q ? p - 0.5 : 0.5 - q;
    if (fabs(c) <= 0.425) {
        double r = 0.180625 - c * c;
        return c * mc_poly8(MC_AS241_A, r) / mc_poly8(MC_AS241_B, r);
    }
    double tail = p <= q ? p : q;
    double sign = p <= q ? -1.0 : 1.0;
    if (tail <= 0.0) return sign * MC_INFINITY;
    double r = sqrt(-log(tail));
    double x;
    if (r <= 5.0) {
        r = r - 1.6;
        x = mc_poly8(MC_AS241_C, r) / mc_poly8(MC_AS241_D, r);
    } else {
        r = r - 5.0;
        x = mc_poly8(MC_AS241_E, r) / mc_poly8(MC_AS241_F, r);
    }
    return sign * x;
}

// ── Closed-form families (distribution::Kernel) ──

#define MC_K_CONSTANT 0
#define MC_K_NORMAL 1
#define MC_K_LOGNORMAL 2
#define MC_K_UNIFORM 3
#define MC_K_TRIANGULAR 4
#define MC_K_BETA 5
#define MC_K_GAMMA 6
#define MC_K_EXPONENTIAL 7
#define MC_K_WEIBULL 8
#define MC_K_STUDENT 9

/// A kernel: its kind and up to four numbers (Constant c; Normal mean std; LogNormal mu sigma;
/// Uniform min max; Triangular min mode max; Beta a b min max; Gamma shape scale;
/// Exponential mean; Weibull shape scale; Student nu).
struct mc_kernel { int kind; double a, b, c, d; };

MC_FN double mc_kernel_quantile(const mc_kernel k, double p, double q) {
    bool lower = p <= q;
    switch (k.kind) {
    case MC_K_CONSTANT: return k.a;
    case MC_K_NORMAL: return k.a + k.b * mc_std_normal_quantile(p, q);
    case MC_K_LOGNORMAL: return exp(k.a + k.b * mc_std_normal_quantile(p, q));
    case MC_K_UNIFORM: return lower ? k.a + p * (k.b - k.a) : k.b - q * (k.b - k.a);
    case MC_K_TRIANGULAR: {
        double min = k.a, mode = k.b, max = k.c;
        double w = max - min;
        if (p * w <= mode - min) return min + sqrt(p * w * (mode - min));
        return max - sqrt(q * w * (max - mode));
    }
    case MC_K_BETA: {
        double x, y;
        mc_beta_inc_inv_pair(k.a, k.b, p, q, &x, &y);
        return x <= 0.5 ? k.c + x * (k.d - k.c) : k.d - y * (k.d - k.c);
    }
    case MC_K_GAMMA: return k.b * (lower ? mc_gamma_p_inv(k.a, p) : mc_gamma_q_inv(k.a, q));
    case MC_K_EXPONENTIAL: return k.a * (lower ? -log1p(-p) : -log(q));
    case MC_K_WEIBULL: {
        double t = lower ? -log1p(-p) : -log(q);
        return k.b * pow(t, 1.0 / k.a);
    }
    case MC_K_STUDENT: return lower ? mc_student_t_inv(p, k.a) : -mc_student_t_inv(q, k.a);
    default: return MC_NAN;
    }
}

// ── Quantile tables of beta, gamma and Student (prepared::Guide and refine) ──

#define MC_GUIDE_GRID 256

/// The interpolated quantile at p from the 255 nodes (x at data[x_at], 1/f at data[slope_at]);
/// false outside the table.
MC_FN bool mc_guide_start(const double* gx, const double* gs, double p, double q, double* out) {
    double h = 1.0 / (double)MC_GUIDE_GRID;
    if (p < h || q < h) return false;
    double s = p * (double)MC_GUIDE_GRID;
    // (s as usize).clamp(1, GRID - 2): s is in [1, 255] here.
    mc_u64 ki = (mc_u64)s;
    if (ki < 1) ki = 1;
    if (ki > MC_GUIDE_GRID - 2) ki = MC_GUIDE_GRID - 2;
    double t = s - (double)ki;
    double x0 = gx[ki - 1], x1 = gx[ki];
    double m0 = gs[ki - 1] * h, m1 = gs[ki] * h;
    double t2 = t * t;
    double t3 = t2 * t;
    *out = (2.0 * t3 - 3.0 * t2 + 1.0) * x0 + (t3 - 2.0 * t2 + t) * m0 + (3.0 * t2 - 2.0 * t3) * x1 + (t3 - t2) * m1;
    return true;
}

/// One Halley step from x0 (prepared::refine); false when the start is not close enough.
MC_NOINLINE bool mc_refine(const mc_kernel k, double x0, double p, double q, double* out) {
    bool lower = p <= q;
    if (k.kind == MC_K_BETA) {
        double a = k.a, b = k.b, min = k.c, max = k.d;
        double w = max - min;
        double y = (x0 - min) / w, z = (max - x0) / w;
        if (mc_isnan(y) || mc_isnan(z) || y <= 0.0 || z <= 0.0) return false;
        double f, s;
        mc_beta_inc_pair(a, b, y, z, &f, &s);
        double e = lower ? f - p : q - s;
        double d = mc_beta_density(a, b, y);
        double delta = e / d;
        double step = delta / (1.0 - 0.5 * delta * ((a - 1.0) / y - (b - 1.0) / z));
        if (mc_isnan(step) || fabs(step) > 1e-6 * mc_min(y, z)) return false;
        *out = y <= 0.5 ? min + w * (y - step) : max - w * (z + step);
        return true;
    }
    if (k.kind == MC_K_GAMMA) {
        double shape = k.a, scale = k.b;
        double z = x0 / scale;
        if (mc_isnan(z) || z <= 0.0) return false;
        double e = lower ? mc_gamma_p(shape, z) - p : q - mc_gamma_q(shape, z);
        double delta = e / mc_gamma_density(shape, z);
        double step = delta / (1.0 - 0.5 * delta * ((shape - 1.0) / z - 1.0));
        if (mc_isnan(step) || fabs(step) > 1e-6 * z) return false;
        *out = scale * (z - step);
        return true;
    }
    if (k.kind == MC_K_STUDENT) {
        double nu = k.a;
        double e = lower ? mc_student_t_cdf(x0, nu) - p : q - mc_student_t_cdf(-x0, nu);
        double delta = e / mc_student_t_pdf(x0, nu);
        double step = delta / (1.0 + 0.5 * delta * (nu + 1.0) * x0 / (nu + x0 * x0));
        if (mc_isnan(step) || fabs(step) > 1e-6 * mc_max(fabs(x0), MC_MIN_POSITIVE)) return false;
        *out = x0 - step;
        return true;
    }
    return false;
}

// ── Poisson and binomial searched directly (distribution::IntLaw) ──

/// kind 0: Poisson(a = λ); kind 1: binomial(a = n, b = p).
struct mc_intlaw { int kind; double a, b; };

MC_FN double mc_intlaw_top(const mc_intlaw& l) { return l.kind == 0 ? MC_INFINITY : l.a; }

MC_FN void mc_intlaw_cdf_pair(const mc_intlaw& l, double k, double* F, double* S) {
    if (k < 0.0) { *F = 0.0; *S = 1.0; return; }
    if (l.kind == 0) {
        *F = mc_gamma_q(k + 1.0, l.a);
        *S = mc_gamma_p(k + 1.0, l.a);
        return;
    }
    double n = l.a, p = l.b;
    if (k >= n || p == 0.0) { *F = 1.0; *S = 0.0; return; }
    if (p == 1.0) { *F = 0.0; *S = 1.0; return; }
    mc_beta_inc_pair(n - k, k + 1.0, 1.0 - p, p, F, S);
}

MC_FN bool mc_intlaw_ok(const mc_intlaw& l, double k, bool lower, double p, double q) {
    double f, s;
    mc_intlaw_cdf_pair(l, k, &f, &s);
    return lower ? f >= p : s <= q;
}

MC_NOINLINE double mc_intlaw_quantile(mc_intlaw l, double p, double q) {
    bool lower = p <= q;
    double top = mc_intlaw_top(l);
    double mean, sd, skew;
    if (l.kind == 0) {
        mean = l.a; sd = sqrt(l.a);
        skew = 1.0 / sqrt(l.a);
    } else {
        mean = l.a * l.b; sd = sqrt(l.a * l.b * (1.0 - l.b));
        skew = (1.0 - 2.0 * l.b) / sd;
    }
    double z = mc_std_normal_quantile(p, q);
    double guess = mean + sd * (z + skew * (z * z - 1.0) / 6.0);
    double k = mc_isfinite(guess) ? mc_clamp(round(guess), 0.0, mc_min(top, 9e15)) : round(mean);
    double bad, good;
    if (mc_intlaw_ok(l, k, lower, p, q)) {
        good = k;
        double step = 1.0;
        for (;;) {
            double cand = good - step;
            if (cand < 0.0) { bad = -1.0; break; }
            if (mc_intlaw_ok(l, cand, lower, p, q)) {
                good = cand;
                step *= 2.0;
            } else {
                bad = cand;
                break;
            }
        }
    } else {
        bad = k;
        double step = 1.0;
        for (;;) {
            double cand = mc_min(bad + step, top);
            if (cand >= 9e15) return MC_INFINITY;
            if (cand >= top || mc_intlaw_ok(l, cand, lower, p, q)) {
                good = cand;
                break;
            }
            bad = cand;
            step *= 2.0;
        }
    }
    while (good - bad > 1.0) {
        k = floor(0.5 * (good + bad));
        if (mc_intlaw_ok(l, k, lower, p, q)) good = k; else bad = k;
    }
    return good;
}

// ── Piecewise-linear laws ──

MC_FN double mc_linear_cdf_solve(double x0, double x1, double p0, double p1, double p) {
    if (p1 > p0) return mc_clamp(x0 + (x1 - x0) * ((p - p0) / (p1 - p0)), x0, x1);
    return x1;
}

MC_FN double mc_linear_density_solve(double h, double f0, double f1, double a) {
    double s = (f1 - f0) / h;
    double disc = mc_max(f0 * f0 + 2.0 * s * a, 0.0);
    double den = f0 + sqrt(disc);
    return den > 0.0 ? mc_clamp(2.0 * a / den, 0.0, h) : 0.0;
}

/// Index of the first element of a[0..n] that is not < x (slice::partition_point(|v| v < x)).
MC_FN mc_u64 mc_first_not_below(const double* a, mc_u64 n, double x) {
    mc_u64 lo = 0, hi = n;
    while (lo < hi) {
        mc_u64 mid = lo + (hi - lo) / 2;
        if (a[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/// Index of the first element of a[0..n] that is not > x (partition_point(|v| v > x)).
MC_FN mc_u64 mc_first_not_above(const double* a, mc_u64 n, double x) {
    mc_u64 lo = 0, hi = n;
    while (lo < hi) {
        mc_u64 mid = lo + (hi - lo) / 2;
        if (a[mid] > x) lo = mid + 1; else hi = mid;
    }
    return lo;
}

// ── Prepared distributions (prepared::PreparedDistribution::quantile) ──

#define MC_LAW_KERNEL 0
#define MC_LAW_TABULATED 1
#define MC_LAW_TABLE 2
#define MC_LAW_LINEAR_CDF 3
#define MC_LAW_LINEAR_DENSITY 4
#define MC_LAW_DIRECT 5

/// Everything a prepared quantile reads. Tables are at offsets of `data`:
/// TABULATED: t0 = x (255), t1 = 1/f (255);
/// TABLE: t0 = values, t1 = below, t2 = above (n each), first, last;
/// LINEAR_CDF: t0 = xs, t1 = ps (n each);
/// LINEAR_DENSITY: t0 = pieces (4n: x0 x1 f0 f1), t1 = area_after (n), total, end;
/// DIRECT: intlaw; the clamp of a truncated draw needs the support's top (support_top).
struct mc_prepared {
    int law;
    mc_kernel kernel;
    mc_intlaw intlaw;
    mc_u64 t0, t1, t2, n, first, last;
    double total, end;
    bool truncated;
    double lo_p, hi_q, width, lo, hi, shift, support_top;
};

MC_FN double mc_prepared_quantile(const mc_prepared d, const double* data, double u) {
    double p, q;
    if (d.truncated) {
        p = d.lo_p + u * d.width;
        q = d.hi_q + (1.0 - u) * d.width;
    } else {
        p = u;
        q = 1.0 - u;
    }
    double x;
    switch (d.law) {
    case MC_LAW_KERNEL:
        x = mc_kernel_quantile(d.kernel, p, q);
        if (d.truncated) x = mc_clamp(x, d.lo, d.hi);
        break;
    case MC_LAW_TABULATED: {
        double x0;
        double r;
        if (mc_guide_start(data + d.t0, data + d.t1, p, q, &x0) && mc_refine(d.kernel, x0, p, q, &r)) {
            x = r;
        } else {
            x = mc_kernel_quantile(d.kernel, p, q);
        }
        if (d.truncated) x = mc_clamp(x, d.lo, d.hi);
        break;
    }
    case MC_LAW_TABLE: {
        mc_u64 i = p <= q ? mc_first_not_below(data + d.t1, d.n, p) : mc_first_not_above(data + d.t2, d.n, q);
        if (i < d.first) i = d.first;
        if (i > d.last) i = d.last;
        x = data[d.t0 + i];
        break;
    }
    case MC_LAW_LINEAR_CDF: {
        const double* xs = data + d.t0;
        const double* ps = data + d.t1;
        mc_u64 j = mc_first_not_below(ps, d.n, p);
        if (j < 1) j = 1;
        if (j > d.n - 1) j = d.n - 1;
        x = mc_linear_cdf_solve(xs[j - 1], xs[j], ps[j - 1], ps[j], p);
        if (d.truncated) x = mc_clamp(x, d.lo, d.hi);
        break;
    }
    case MC_LAW_LINEAR_DENSITY: {
        const double* pieces = data + d.t0;
        const double* after = data + d.t1;
        double target = p * d.total;
        mc_u64 i = mc_first_not_below(after, d.n, target);
        if (i < d.n) {
            double before = i == 0 ? 0.0 : after[i - 1];
            const double* pc = pieces + 4 * i;
            x = pc[0] + mc_linear_density_solve(pc[1] - pc[0], pc[2], pc[3], target - before);
        } else {
            x = d.end;
        }
        if (d.truncated) x = mc_clamp(x, d.lo, d.hi);
        break;
    }
    case MC_LAW_DIRECT:
    default:
        x = mc_intlaw_quantile(d.intlaw, p, q);
        if (d.truncated && !(x >= d.lo && x <= d.hi)) {
            // distribution::clamp_to_support for Poisson and binomial.
            x = x < d.lo ? mc_clamp(ceil(d.lo), 0.0, d.support_top) : mc_clamp(floor(d.hi), 0.0, d.support_top);
        }
        break;
    }
    return x + d.shift;
}

// Special functions: a line-by-line port of engine/src/special.rs (the parts the samplers
// need: error function and normal CDF, log-gamma, incomplete gamma and beta functions, their
// densities and inverses, Student's t). The same operations in the same order, so the host
// build gives the Rust engine's bits (both call glibc's exp/log/log1p/expm1/pow/atan/tan); on
// a GPU those transcendentals come from libdevice (within 1-2 ulp of glibc), see
// kernels/README.md.

#define MC_LN_SQRT_2PI 0.9189385332046728
#define MC_SQRT_2PI 2.5066282746310007
#define MC_ONE_MINUS_EULER 0.4227843350984671
#define MC_MAX_TERMS 200000
#define MC_TINY 1e-300

MC_FN double mc_exp_neg_sq(double x) {
    double h = x * x;
    double l = fma(x, x, -h);
    return exp(-h) * exp(-l);
}

MC_FN double mc_exp_neg_half_sq(double x) {
    double h = x * x;
    double l = fma(x, x, -h);
    return exp(-0.5 * h) * exp(-0.5 * l);
}

MC_FN double mc_odd_factorial_series(double s) {
    double term = 1.0, sum = 1.0, k = 1.0;
    while (term > MC_EPS * 0.5 * sum) {
        k += 2.0;
        term *= s / k;
        sum += term;
    }
    return sum;
}

MC_NOINLINE double mc_tail_fraction(double s) {
    double b0 = s + 1.0;
    double f = b0, c = b0, d = 0.0;
    for (int n = 1; n < MC_MAX_TERMS; n++) {
        double nn = (double)n;
        double an = -(2.0 * nn - 1.0) * (2.0 * nn);
        double bn = s + 1.0 + 4.0 * nn;
        d = bn + an * d;
        if (fabs(d) < MC_TINY) d = MC_TINY;
        c = bn + an / c;
        if (fabs(c) < MC_TINY) c = MC_TINY;
        d = 1.0 / d;
        double delta = c * d;
        f *= delta;
        if (fabs(delta - 1.0) <= MC_EPS) break;
    }
    return 1.0 / f;
}

MC_FN double mc_norm_pdf(double x) { return mc_exp_neg_half_sq(x) / MC_SQRT_2PI; }

#define MC_NORM_SPLIT 1.75

MC_FN double mc_norm_cdf_centered(double x) { return mc_norm_pdf(x) * x * mc_odd_factorial_series(x * x); }

MC_FN double mc_norm_upper_tail(double x) {
    if (x > 38.5) return 0.0;
    return mc_norm_pdf(x) * x * mc_tail_fraction(x * x);
}

MC_FN double mc_norm_cdf(double x) {
    if (mc_isnan(x)) return MC_NAN;
    if (fabs(x) < MC_NORM_SPLIT) return 0.5 + mc_norm_cdf_centered(x);
    if (x < 0.0) return mc_norm_upper_tail(-x);
    return 1.0 - mc_norm_upper_tail(x);
}

MC_FN double mc_norm_sf(double x) { return mc_norm_cdf(-x); }

MC_FN double mc_acklam_lower(double p) {
    const double A0 = -3.969683028665376e1, A1 = 2.209460984245205e2, A2 = -2.759285104469687e2,
                 A3 = 1.38357751867269e2, A4 = -3.066479806614716e1, A5 = 2.506628277459239;
    const double B0 = -5.447609879822406e1, B1 = 1.615858368580409e2, B2 = -1.556989798598866e2,
                 B3 = 6.680131188771972e1, B4 = -1.328068155288572e1;
    const double C0 = -7.784894002430293e-3, C1 = -3.223964580411365e-1, C2 = -2.400758277161838,
                 C3 = -2.549732539343734, C4 = 4.374664141464968, C5 = 2.938163982698783;
    const double D0 = 7.784695709041462e-3, D1 = 3.224671290700398e-1, D2 = 2.445134137142996,
                 D3 = 3.754408661907416;
    if (p < 0.02425) {
        double q = sqrt(-2.0 * log(p));
        return (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) /
               ((((D0 * q + D1) * q + D2) * q + D3) * q + 1.0);
    }
    double q = p - 0.5;
    double r = q * q;
    return (((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q /
           (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1.0);
}

MC_FN double mc_norm_inv_lower(double p) {
    if (p == 0.0) return -MC_INFINITY;
    if (p == 0.5) return 0.0;
    double x = mc_acklam_lower(p);
    for (int i = 0; i < 4; i++) {
        double e = x > -MC_NORM_SPLIT ? mc_norm_cdf_centered(x) - (p - 0.5) : mc_norm_upper_tail(-x) - p;
        double d = mc_norm_pdf(x);
        if (d == 0.0) break;
        double u = e / d;
        double step = u / (1.0 + 0.5 * x * u);
        x -= step;
        if (fabs(step) <= 2.0 * MC_EPS * fabs(x)) break;
    }
    return x;
}

MC_FN double mc_norm_inv(double p) {
    if (!(p >= 0.0 && p <= 1.0)) return MC_NAN;
    if (p > 0.5) return -mc_norm_inv_lower(1.0 - p);
    return mc_norm_inv_lower(p);
}

MC_CONST double MC_ZETA_MINUS_ONE[32] = {
    0.6449340668482264, 0.2020569031595943, 0.08232323371113819, 0.03692775514336993,
    0.01734306198444914, 0.008349277381922827, 0.00407735619794434, 0.0020083928260822143,
    0.0009945751278180853, 0.0004941886041194645, 0.0002460865533080483, 0.00012271334757848915,
    6.124813505870483e-5, 3.058823630702049e-5, 1.528225940865187e-5, 7.637197637899763e-6,
    3.81729326499984e-6, 1.908212716553939e-6, 9.539620338727962e-7, 4.769329867878064e-7,
    2.38450502727733e-7, 1.1921992596531106e-7, 5.960818905125948e-8, 2.980350351465228e-8,
    1.4901554828365043e-8, 7.45071178983543e-9, 3.725334024788457e-9, 1.862659723513049e-9,
    9.313274324196682e-10, 4.656629065033784e-10, 2.3283118336765053e-10, 1.164155017270052e-10,
};

MC_FN double mc_ln_gamma_2p(double z) {
    double acc = 0.0;
    for (int i = 31; i >= 0; i--) {
        double k = (double)(i + 2);
        double c = MC_ZETA_MINUS_ONE[i];
        double term = (i % 2 == 0) ? c / k : -c / k;
        acc = acc * z + term;
    }
    return z * MC_ONE_MINUS_EULER + z * z * acc;
}

MC_FN double mc_stirling_series(double x) {
    const double C[10] = {1.0 / 12.0,          -1.0 / 360.0,       1.0 / 1260.0,          -1.0 / 1680.0,
                          1.0 / 1188.0,        -691.0 / 360360.0,  1.0 / 156.0,           -3617.0 / 122400.0,
                          43867.0 / 244188.0, -174611.0 / 125400.0};
    double r = 1.0 / x;
    double r2 = r * r;
    double acc = 0.0;
    for (int i = 9; i >= 0; i--) acc = acc * r2 + C[i];
    return acc * r;
}

MC_NOINLINE double mc_ln_gamma(double x);

MC_FN double mc_ln_gamma_1p(double z) {
    if (fabs(z) <= 0.5) return mc_ln_gamma_2p(z) - log1p(z);
    return mc_ln_gamma(1.0 + z);
}

MC_NOINLINE double mc_ln_gamma(double x) {
    if (mc_isnan(x) || x <= 0.0) return MC_NAN;
    if (mc_isinf(x)) return MC_INFINITY;
    if (x < 0.5) return mc_ln_gamma_1p(x) - log(x);
    if (x < 1.5) return mc_ln_gamma_1p(x - 1.0);
    if (x <= 2.5) return mc_ln_gamma_2p(x - 2.0);
    if (x < 10.0) {
        double y = x, prod = 1.0;
        while (y > 2.5) {
            y -= 1.0;
            prod *= y;
        }
        return mc_ln_gamma_2p(y - 2.0) + log(prod);
    }
    return (x - 0.5) * log(x) - x + MC_LN_SQRT_2PI + mc_stirling_series(x);
}

MC_FN double mc_stirling_error(double x) {
    if (x >= 10.0) return mc_stirling_series(x);
    return mc_ln_gamma(x) - ((x - 0.5) * log(x) - x + MC_LN_SQRT_2PI);
}

MC_FN double mc_ln_beta(double a, double b) {
    if (mc_isnan(a) || mc_isnan(b) || a <= 0.0 || b <= 0.0) return MC_NAN;
    double c = a + b;
    double lo = a < b ? a : b, hi = a < b ? b : a;
    if (hi >= 10.0) {
        double corr = mc_stirling_error(hi) - mc_stirling_error(c);
        double lg_lo = mc_ln_gamma(lo);
        return lg_lo + (hi - 0.5) * log1p(-lo / c) - lo * log(c) + lo + corr;
    }
    return mc_ln_gamma(a) + mc_ln_gamma(b) - mc_ln_gamma(c);
}

MC_FN double mc_log1pmx(double t) {
    if (fabs(t) < 0.5) {
        double s = t / (2.0 + t);
        double s2 = s * s;
        double term = s * s2;
        double sum = 0.0, k = 3.0;
        while (fabs(term) > MC_EPS * 1e-3 * fabs(s * t)) {
            sum += term / k;
            term *= s2;
            k += 2.0;
        }
        return s * t - 2.0 * sum;
    }
    return t - log1p(t);
}

// ── Incomplete gamma function ──

MC_FN double mc_gamma_prefix(double a, double x) {
    if (x == 0.0) return 0.0;
    if (a < 10.0) return exp(a * log(x) - x - mc_ln_gamma(a));
    double t = (x - a) / a;
    double e = t > -0.5 ? a * mc_log1pmx(t) : (x - a) - a * log(x / a);
    return sqrt(a / (2.0 * MC_PI)) * exp(-e - mc_stirling_series(a));
}

/// (P(a, x), Q(a, x)).
MC_NOINLINE void mc_gamma_pq(double a, double x, double* P, double* Q) {
    if (mc_isnan(a) || mc_isnan(x) || a <= 0.0 || x < 0.0 || mc_isinf(a)) {
        *P = MC_NAN; *Q = MC_NAN;
        return;
    }
    if (x == 0.0) { *P = 0.0; *Q = 1.0; return; }
    if (mc_isinf(x)) { *P = 1.0; *Q = 0.0; return; }
    if (a < 1.0 && x < 1.1) {
        double l = a * log(x) - mc_ln_gamma_1p(a);
        double term = 1.0, t = 0.0;
        for (int n = 1; n < MC_MAX_TERMS; n++) {
            double nn = (double)n;
            term *= -x / nn;
            double add = term / (a + nn);
            t += add;
            if (fabs(add) <= MC_EPS * 1e-2 * fabs(t)) break;
        }
        t *= a;
        double el = exp(l);
        *P = el * (1.0 + t);
        *Q = -expm1(l) - el * t;
        return;
    }
    double prefix = mc_gamma_prefix(a, x);
    if (x < a + 1.0) {
        double term = 1.0, sum = 1.0, ap = a;
        for (int i = 0; i < MC_MAX_TERMS; i++) {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if (term <= MC_EPS * 0.5 * sum) break;
        }
        double p = prefix * sum / a;
        *P = p; *Q = 1.0 - p;
        return;
    }
    double b = x + 1.0 - a;
    double c = 1.0 / MC_TINY;
    double d = 1.0 / b;
    double h = d;
    for (int i = 1; i < MC_MAX_TERMS; i++) {
        double ii = (double)i;
        double an = -ii * (ii - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < MC_TINY) d = MC_TINY;
        c = b + an / c;
        if (fabs(c) < MC_TINY) c = MC_TINY;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) <= MC_EPS) break;
    }
    double q = prefix * h;
    *P = 1.0 - q; *Q = q;
}

MC_FN double mc_gamma_p(double a, double x) { double p, q; mc_gamma_pq(a, x, &p, &q); return p; }
MC_FN double mc_gamma_q(double a, double x) { double p, q; mc_gamma_pq(a, x, &p, &q); return q; }

MC_FN double mc_gamma_density(double a, double x) {
    if (mc_isnan(a) || mc_isnan(x) || a <= 0.0 || x < 0.0) return MC_NAN;
    if (x == 0.0) return a < 1.0 ? MC_INFINITY : (a == 1.0 ? 1.0 : 0.0);
    if (a < 10.0) return exp((a - 1.0) * log(x) - x - mc_ln_gamma(a));
    return mc_gamma_prefix(a, x) / x;
}

// ── Safeguarded quantile solver (special::solve_quantile) ──
// eval kinds: 0 gamma (a), 1 beta (a, b).

struct mc_solver { int kind; double a; double b; bool lower; };

MC_NOINLINE void mc_beta_inc_pair(double a, double b, double x, double y, double* I, double* J);
MC_FN double mc_beta_prefix(double a, double b, double x, double y);

MC_FN void mc_solver_eval(const mc_solver& s, double x, double* f, double* d, double* c) {
    if (s.kind == 0) {
        double pp, qq;
        mc_gamma_pq(s.a, x, &pp, &qq);
        *f = s.lower ? pp : qq;
        *d = mc_gamma_density(s.a, x);
        *c = (s.a - 1.0) / x - 1.0;
    } else {
        double y = 1.0 - x;
        double ip, iq;
        mc_beta_inc_pair(s.a, s.b, x, y, &ip, &iq);
        *f = s.lower ? ip : iq;
        *d = mc_beta_prefix(s.a, s.b, x, y) / (x * y);
        *c = (s.a - 1.0) / x - (s.b - 1.0) / y;
    }
}

MC_NOINLINE double mc_solve_quantile(double x, double lo, double hi, bool upper, double target, mc_solver s) {
    for (int it = 0; it < 400; it++) {
        double f, d, c;
        mc_solver_eval(s, x, &f, &d, &c);
        if (mc_isnan(f)) return x;
        double r = upper ? target - f : f - target;
        if (r == 0.0) return x;
        if (r > 0.0) hi = x; else lo = x;
        double next = MC_NAN;
        if (d > 0.0 && mc_isfinite(d)) {
            double ratio = f / target;
            if (f > 0.0 && !(ratio >= 0.5 && ratio <= 2.0)) {
                double step = log(ratio) * f / d;
                next = upper ? x + step : x - step;
            } else {
                double u = r / d;
                double factor = 1.0 - 0.5 * u * c;
                next = (factor >= 0.5 && factor <= 2.0) ? x - u / factor : x - u;
            }
        }
        if (!(next > lo && next < hi)) {
            if (mc_isinf(hi)) {
                next = lo > 0.0 ? 4.0 * lo : 4.0 * mc_max(x, 1.0);
            } else if (lo > 0.0 && hi / lo > 16.0) {
                next = sqrt(lo * hi);
            } else if (lo == 0.0) {
                next = hi / 16.0;
            } else {
                next = 0.5 * (lo + hi);
            }
        }
        bool done = fabs(next - x) <= 2.0 * MC_EPS * fabs(next);
        x = next;
        if (done || (mc_isfinite(hi) && hi - lo <= 2.0 * MC_EPS * hi)) break;
    }
    return x;
}

MC_NOINLINE double mc_gamma_inv(double a, double p, double q) {
    if (mc_isnan(a) || mc_isnan(p) || mc_isnan(q) || a <= 0.0 || !(p >= 0.0 && p <= 1.0) || !(q >= 0.0 && q <= 1.0))
        return MC_NAN;
    if (p == 0.0) return 0.0;
    if (q == 0.0) return MC_INFINITY;
    bool lower = p <= q;
    double ln_g1 = mc_ln_gamma(a + 1.0);
    double x0;
    if (a > 1.0) {
        double z = lower ? mc_norm_inv(p) : -mc_norm_inv(q);
        double s = 1.0 / (9.0 * a);
        double t = 1.0 - s + z * sqrt(s);
        x0 = t > 0.05 ? a * t * t * t : exp((log(p) + ln_g1) / a);
    } else {
        double p1, q1;
        mc_gamma_pq(a, 1.0, &p1, &q1);
        x0 = p < p1 ? exp((log(p) + ln_g1) / a) : 1.0 + log(q1 / q);
    }
    if (!(x0 > 0.0 && mc_isfinite(x0))) x0 = mc_max(a, 1.0);
    mc_solver s;
    s.kind = 0; s.a = a; s.b = 0.0; s.lower = lower;
    return mc_solve_quantile(x0, 0.0, MC_INFINITY, !lower, lower ? p : q, s);
}

MC_FN double mc_gamma_p_inv(double a, double p) { return mc_gamma_inv(a, p, 1.0 - p); }
MC_FN double mc_gamma_q_inv(double a, double q) { return mc_gamma_inv(a, 1.0 - q, q); }

// ── Incomplete beta function ──

MC_FN double mc_beta_part(double a, double d, double ln_x, double c) {
    double u = d / a;
    if (fabs(u) < 0.5) return a * mc_log1pmx(u);
    return d - a * (ln_x + log(c / a));
}

MC_FN double mc_beta_prefix(double a, double b, double x, double y) {
    if (x == 0.0 || y == 0.0) return 0.0;
    double c = a + b;
    double da, db, ln_x, ln_y;
    if (x <= y) {
        double d = fma(x, c, -a);
        da = d; db = -d;
        ln_x = log(x); ln_y = log1p(-x);
    } else {
        double d = fma(y, c, -b);
        da = -d; db = d;
        ln_x = log1p(-y); ln_y = log(y);
    }
    double e = mc_beta_part(a, da, ln_x, c) + mc_beta_part(b, db, ln_y, c);
    double mu = mc_stirling_error(c) - mc_stirling_error(a) - mc_stirling_error(b);
    return sqrt(a / c * b / (2.0 * MC_PI)) * exp(mu - e);
}

MC_NOINLINE double mc_beta_fraction(double a, double b, double x) {
    double c = a + b;
    double f = 1.0, cc = 1.0, d = 0.0;
    for (int n = 1; n < MC_MAX_TERMS; n++) {
        double m = (double)(n / 2);
        double an = (n % 2 == 1) ? -(a + m) * (c + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
                                 : m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 + an * d;
        if (fabs(d) < MC_TINY) d = MC_TINY;
        cc = 1.0 + an / cc;
        if (fabs(cc) < MC_TINY) cc = MC_TINY;
        d = 1.0 / d;
        double delta = cc * d;
        f *= delta;
        if (fabs(delta - 1.0) <= MC_EPS) break;
    }
    return 1.0 / f;
}

MC_NOINLINE void mc_beta_inc_pair(double a, double b, double x, double y, double* I, double* J) {
    if (mc_isnan(a) || mc_isnan(b) || mc_isnan(x) || mc_isnan(y) || a <= 0.0 || b <= 0.0 || x < 0.0 || y < 0.0) {
        *I = MC_NAN; *J = MC_NAN;
        return;
    }
    if (x == 0.0) { *I = 0.0; *J = 1.0; return; }
    if (y == 0.0) { *I = 1.0; *J = 0.0; return; }
    if (x < (a + 1.0) / (a + b + 2.0)) {
        double v = mc_beta_prefix(a, b, x, y) * mc_beta_fraction(a, b, x) / a;
        *I = v; *J = 1.0 - v;
    } else {
        double w = mc_beta_prefix(a, b, x, y) * mc_beta_fraction(b, a, y) / b;
        *I = 1.0 - w; *J = w;
    }
}

MC_FN double mc_beta_density(double a, double b, double x) {
    if (mc_isnan(a) || mc_isnan(b) || mc_isnan(x) || a <= 0.0 || b <= 0.0 || !(x >= 0.0 && x <= 1.0)) return MC_NAN;
    double y = 1.0 - x;
    if (x == 0.0 || y == 0.0) {
        double e = x == 0.0 ? a : b;
        return e < 1.0 ? MC_INFINITY : (e == 1.0 ? exp(-mc_ln_beta(a, b)) : 0.0);
    }
    return mc_beta_prefix(a, b, x, y) / (x * y);
}

MC_FN double mc_beta_inv_guess(double a, double b, double p, double q) {
    if (a >= 1.0 && b >= 1.0) {
        double z = p <= q ? -mc_norm_inv(p) : mc_norm_inv(q);
        double lambda = (z * z - 3.0) / 6.0;
        double h = 2.0 / (1.0 / (2.0 * a - 1.0) + 1.0 / (2.0 * b - 1.0));
        double w = z * sqrt(h + lambda) / h -
                   (1.0 / (2.0 * b - 1.0) - 1.0 / (2.0 * a - 1.0)) * (lambda + 5.0 / 6.0 - 2.0 / (3.0 * h));
        double x = a / (a + b * exp(2.0 * w));
        if (x > 0.0 && x < 1.0) return x;
    }
    double lb = mc_ln_beta(a, b);
    double c = a + b;
    double t = exp(a * log(a / c) - log(a) - lb);
    double u = exp(b * log(b / c) - log(b) - lb);
    if (p < t / (t + u)) return exp((log(p) + log(a) + lb) / a);
    return 1.0 - exp((log(q) + log(b) + lb) / b);
}

MC_FN double mc_beta_inv_solve(double a, double b, double p, double q, double x0) {
    bool lower = p <= q;
    if (!(x0 > 0.0 && x0 < 1.0)) x0 = 0.5;
    mc_solver s;
    s.kind = 1; s.a = a; s.b = b; s.lower = lower;
    return mc_solve_quantile(x0, 0.0, 1.0, !lower, lower ? p : q, s);
}

MC_NOINLINE void mc_beta_inc_inv_pair(double a, double b, double p, double q, double* X, double* Y) {
    if (mc_isnan(a) || mc_isnan(b) || mc_isnan(p) || mc_isnan(q) || a <= 0.0 || b <= 0.0 || !(p >= 0.0 && p <= 1.0) ||
        !(q >= 0.0 && q <= 1.0)) {
        *X = MC_NAN; *Y = MC_NAN;
        return;
    }
    if (p == 0.0) { *X = 0.0; *Y = 1.0; return; }
    if (q == 0.0) { *X = 1.0; *Y = 0.0; return; }
    double x0 = mc_beta_inv_guess(a, b, p, q);
    if (x0 > 0.5) {
        double y = mc_beta_inv_solve(b, a, q, p, 1.0 - x0);
        *X = 1.0 - y; *Y = y;
    } else {
        double x = mc_beta_inv_solve(a, b, p, q, x0);
        *X = x; *Y = 1.0 - x;
    }
}

// ── Student's t ──

MC_FN double mc_student_t_tail(double t, double nu) {
    if (nu > 1e15) return mc_norm_sf(t);
    if (nu == 1.0) return atan(1.0 / t) / MC_PI;
    if (nu == 2.0) {
        double r = hypot(t, MC_SQRT_2);
        return 1.0 / ((r + t) * r);
    }
    double t2 = t * t;
    double x, y;
    if (t2 < nu) {
        double s = nu + t2;
        x = nu / s; y = t2 / s;
    } else {
        double r = nu / t2;
        x = r / (1.0 + r); y = 1.0 / (1.0 + r);
    }
    double I, J;
    mc_beta_inc_pair(0.5 * nu, 0.5, x, y, &I, &J);
    return 0.5 * I;
}

MC_FN double mc_student_t_cdf(double t, double nu) {
    if (mc_isnan(t) || mc_isnan(nu) || nu <= 0.0) return MC_NAN;
    if (mc_isinf(t)) return t > 0.0 ? 1.0 : 0.0;
    double tail = mc_student_t_tail(fabs(t), nu);
    return t < 0.0 ? tail : 1.0 - tail;
}

MC_FN double mc_student_t_pdf(double t, double nu) {
    if (mc_isnan(t) || mc_isnan(nu) || nu <= 0.0) return MC_NAN;
    if (nu > 1e15) return mc_norm_pdf(t);
    double t2 = t * t;
    double ln_norm = -mc_ln_beta(0.5 * nu, 0.5) - 0.5 * log(nu);
    double ln_kernel = -0.5 * (nu + 1.0) * log1p(t2 / nu);
    return exp(ln_norm + ln_kernel);
}

MC_FN double mc_student_t_upper_inv(double tail, double nu) {
    if (tail == 0.0) return MC_INFINITY;
    if (nu == 1.0) return 1.0 / tan(MC_PI * tail);
    if (nu == 2.0) return (1.0 - 2.0 * tail) / sqrt(2.0 * tail * (1.0 - tail));
    if (nu > 1e15) return -mc_norm_inv(tail);
    double p2 = 2.0 * tail;
    double x, y;
    mc_beta_inc_inv_pair(0.5 * nu, 0.5, p2, 1.0 - p2, &x, &y);
    return sqrt(nu * y / x);
}

MC_FN double mc_student_t_inv(double p, double nu) {
    if (mc_isnan(p) || mc_isnan(nu) || nu <= 0.0 || !(p >= 0.0 && p <= 1.0)) return MC_NAN;
    if (p == 0.5) return 0.0;
    double tail = p < 0.5 ? p : 1.0 - p;
    double sign = p < 0.5 ? -1.0 : 1.0;
    return sign * mc_student_t_upper_inv(tail, nu);
}

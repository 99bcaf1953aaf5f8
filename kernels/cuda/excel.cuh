// Excel semantics of one lane (engine/src/compile/boxing.rs and engine/src/run/kernels.rs):
// a finite double is a number; anything else is a NaN-boxed value 0x7FF8_TTTT_PPPP_PPPP
// (T: 1 error, 2 boolean, 3 text, 4 blank). Every operation has the engine's fast path (plain
// arithmetic on numbers) and its slow path for lanes that are not finite numbers, with the
// same results bit for bit. Text never reaches a generated kernel: a model whose tape holds
// text runs on the CPU engine.

#define MC_QNAN 0x7FF8000000000000ULL
#define MC_TAG_ERROR 1ULL
#define MC_TAG_BOOL 2ULL
#define MC_TAG_TEXT 3ULL
#define MC_TAG_BLANK 4ULL

// Error codes (ErrorKind::type_code).
#define MC_E_NULL 1
#define MC_E_DIV0 2
#define MC_E_VALUE 3
#define MC_E_REF 4
#define MC_E_NAME 5
#define MC_E_NUM 6
#define MC_E_NA 7
#define MC_E_DATA 8
#define MC_E_SPILL 9
#define MC_E_CALC 14

MC_FN double mc_boxed(mc_u64 tag, mc_u32 payload) { return mc_from_bits(MC_QNAN | (tag << 32) | (mc_u64)payload); }
MC_FN double mc_error(int code) { return mc_boxed(MC_TAG_ERROR, (mc_u32)code); }
MC_FN double mc_boolean(bool b) { return mc_boxed(MC_TAG_BOOL, b ? 1u : 0u); }
MC_FN double mc_blank() { return mc_boxed(MC_TAG_BLANK, 0u); }

// What a lane holds (boxing::unbox without text lookup).
#define MC_L_NUMBER 0
#define MC_L_ERROR 1
#define MC_L_BOOL 2
#define MC_L_TEXT 3
#define MC_L_BLANK 4

struct mc_lane { int kind; double num; int code; bool b; };

MC_FN int mc_known_error(mc_u32 code) {
    switch (code) {
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9: case 14: return (int)code;
    default: return MC_E_NUM;
    }
}

MC_FN mc_lane mc_unbox(double x) {
    mc_lane l;
    l.kind = MC_L_NUMBER; l.num = x; l.code = 0; l.b = false;
    if (mc_isfinite(x)) return l;
    mc_u64 bits = mc_to_bits(x);
    l.kind = MC_L_ERROR; l.code = MC_E_NUM;
    if ((bits & 0xFFF8000000000000ULL) != MC_QNAN) return l;
    mc_u32 payload = (mc_u32)bits;
    switch ((bits >> 32) & 0x7FFFULL) {
    case MC_TAG_ERROR: l.code = mc_known_error(payload); break;
    case MC_TAG_BOOL: l.kind = MC_L_BOOL; l.b = payload != 0; break;
    case MC_TAG_TEXT: l.kind = MC_L_TEXT; break;
    case MC_TAG_BLANK: l.kind = MC_L_BLANK; break;
    default: break;
    }
    return l;
}

/// Value::to_number of a lane; false with *err set for an error (text: #VALUE!, it never
/// occurs in a generated kernel).
MC_FN bool mc_to_number(double x, double* out, int* err) {
    mc_lane l = mc_unbox(x);
    switch (l.kind) {
    case MC_L_NUMBER: *out = l.num; return true;
    case MC_L_BLANK: *out = 0.0; return true;
    case MC_L_BOOL: *out = l.b ? 1.0 : 0.0; return true;
    case MC_L_ERROR: *err = l.code; return false;
    default: *err = MC_E_VALUE; return false;
    }
}

/// A number result as Value::number then boxing::from_value: −0 becomes 0, a non-finite
/// number #NUM!.
MC_FN double mc_number(double n) {
    if (!mc_isfinite(n)) return mc_error(MC_E_NUM);
    return n == 0.0 ? 0.0 : n;
}

// ── Excel's 15-digit comparison (value::round_significant, numbers_equal) ──

/// n rounded to 15 significant digits. The host build formats and parses as the engine does
/// (correctly rounded both ways), so it is exact; on the GPU the decimal rounding is emulated
/// in binary and may differ in the last place for numbers on a rounding boundary. It only
/// decides whether two numbers within 1e-13 of each other (relative) compare equal.
MC_FN double mc_round_significant15(double n) {
    if (!mc_isfinite(n) || n == 0.0) return n;
#ifdef MC_CUDA
    double a = fabs(n);
    int e = (int)floor(log10(a));
    double scale = pow(10.0, (double)(14 - e));
    double m = round(a * scale);
    if (m >= 1e15) {
        scale = scale / 10.0;
        m = round(a * scale);
    }
    double r = scale >= 1.0 ? m / scale : m * pow(10.0, (double)(e - 14));
    return copysign(r, n);
#else
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.14e", n);
    return std::strtod(buf, nullptr);
#endif
}

MC_FN bool mc_numbers_equal(double a, double b) {
    return a == b || mc_round_significant15(a) == mc_round_significant15(b);
}

/// -1, 0, 1: value::compare_numbers (a NaN compares equal, as partial_cmp's None).
MC_FN int mc_compare_numbers(double a, double b) {
    if (mc_numbers_equal(a, b)) return 0;
    if (a < b) return -1;
    if (a > b) return 1;
    return 0;
}

/// The engine's order of two finite numbers (kernels::order).
MC_FN int mc_order(double a, double b) {
    if (a == b) return 0;
    double scale = mc_max(fabs(a), fabs(b));
    if (fabs(a - b) > 1e-13 * scale) return a < b ? -1 : 1;
    return mc_compare_numbers(a, b);
}

// Operators (parse::BinaryOp).
#define MC_OP_ADD 0
#define MC_OP_SUB 1
#define MC_OP_MUL 2
#define MC_OP_DIV 3
#define MC_OP_POW 4
#define MC_OP_EQ 5
#define MC_OP_NE 6
#define MC_OP_LT 7
#define MC_OP_LE 8
#define MC_OP_GT 9
#define MC_OP_GE 10

/// eval::operators::power.
MC_FN double mc_power(double a, double b) {
    if (a == 0.0) {
        if (b == 0.0) return mc_error(MC_E_NUM);
        if (b < 0.0) return mc_error(MC_E_DIV0);
        return 0.0;
    }
    if (a < 0.0 && mc_fract(b) != 0.0) return mc_error(MC_E_NUM);
    double r = pow(a, b);
    return mc_number(r);
}

MC_FN bool mc_cmp_result(int op, int o) {
    switch (op) {
    case MC_OP_EQ: return o == 0;
    case MC_OP_NE: return o != 0;
    case MC_OP_LT: return o < 0;
    case MC_OP_LE: return o <= 0;
    case MC_OP_GT: return o > 0;
    default: return o >= 0;
    }
}

/// value::compare for two lanes that are not errors (and not text).
MC_FN int mc_compare_lanes(const mc_lane& a, const mc_lane& b) {
    if (a.kind == MC_L_BLANK && b.kind == MC_L_BLANK) return 0;
    if (a.kind == MC_L_NUMBER && b.kind == MC_L_NUMBER) return mc_compare_numbers(a.num, b.num);
    if (a.kind == MC_L_NUMBER && b.kind == MC_L_BLANK) return mc_compare_numbers(a.num, 0.0);
    if (a.kind == MC_L_BLANK && b.kind == MC_L_NUMBER) return mc_compare_numbers(0.0, b.num);
    if (a.kind == MC_L_BOOL && b.kind == MC_L_BOOL) return (int)a.b - (int)b.b;
    if (a.kind == MC_L_BOOL && b.kind == MC_L_BLANK) return a.b ? 1 : 0;
    if (a.kind == MC_L_BLANK && b.kind == MC_L_BOOL) return b.b ? -1 : 0;
    int ra = (a.kind == MC_L_NUMBER || a.kind == MC_L_BLANK) ? 0 : (a.kind == MC_L_TEXT ? 1 : 2);
    int rb = (b.kind == MC_L_NUMBER || b.kind == MC_L_BLANK) ? 0 : (b.kind == MC_L_TEXT ? 1 : 2);
    return ra < rb ? -1 : (ra > rb ? 1 : 0);
}

/// The slow path of a binary operation (kernels::slow_binary through Value).
MC_NOINLINE double mc_slow_binary(int op, double x, double y) {
    mc_lane l = mc_unbox(x), r = mc_unbox(y);
    if (l.kind == MC_L_ERROR) return mc_error(l.code);
    if (r.kind == MC_L_ERROR) return mc_error(r.code);
    if (op >= MC_OP_EQ) return mc_boolean(mc_cmp_result(op, mc_compare_lanes(l, r)));
    double a, b;
    int e;
    if (!mc_to_number(x, &a, &e)) return mc_error(e);
    if (!mc_to_number(y, &b, &e)) return mc_error(e);
    switch (op) {
    case MC_OP_ADD: return mc_number(a + b);
    case MC_OP_SUB: return mc_number(a - b);
    case MC_OP_MUL: return mc_number(a * b);
    case MC_OP_DIV: return b == 0.0 ? mc_error(MC_E_DIV0) : mc_number(a / b);
    default: return mc_power(a, b);
    }
}

/// x op y with the engine's fast paths (kernels::binary).
MC_FN double mc_binary(int op, double x, double y) {
    double d;
    switch (op) {
    case MC_OP_ADD: d = x + y; break;
    case MC_OP_SUB: d = x - y; break;
    case MC_OP_MUL: d = x * y; break;
    case MC_OP_DIV: d = x / y; break;
    case MC_OP_POW: return mc_slow_binary(op, x, y);
    default:
        if (mc_isfinite(x) && mc_isfinite(y)) return mc_boolean(mc_cmp_result(op, mc_order(x, y)));
        return mc_slow_binary(op, x, y);
    }
    return mc_isfinite(d) ? d : mc_slow_binary(op, x, y);
}

// Unary operators.
#define MC_UN_NEG 0
#define MC_UN_PLUS 1
#define MC_UN_PERCENT 2

MC_FN double mc_unary(int op, double x) {
    if (op == MC_UN_PLUS) return x;
    if (mc_isfinite(x)) return op == MC_UN_NEG ? -x : x / 100.0;
    double n;
    int e;
    if (!mc_to_number(x, &n, &e)) return mc_error(e);
    return mc_number(op == MC_UN_NEG ? -n : n / 100.0);
}

/// IF(cond, then, otherwise) (kernels::truth).
MC_FN double mc_select(double c, double t, double o) {
    mc_lane l = mc_unbox(c);
    switch (l.kind) {
    case MC_L_NUMBER: return l.num != 0.0 ? t : o;
    case MC_L_BOOL: return l.b ? t : o;
    case MC_L_BLANK: return o;
    case MC_L_ERROR: return mc_error(l.code);
    default: return mc_error(MC_E_VALUE);
    }
}

/// CHOOSE's index: the 0-based option, or -1 with *out set to the error lane.
MC_FN int mc_choose_index(double idx, int options, double* out) {
    double k;
    int e;
    if (!mc_to_number(idx, &k, &e)) {
        *out = mc_error(e);
        return -1;
    }
    if (k >= 1.0 && trunc(k) <= (double)options) return (int)trunc(k) - 1;
    *out = mc_error(MC_E_VALUE);
    return -1;
}

MC_FN double mc_iferror(double x, double alt, bool na_only) {
    if (mc_isfinite(x)) return x;
    mc_lane l = mc_unbox(x);
    if (l.kind == MC_L_ERROR && (l.code == MC_E_NA || !na_only)) return alt;
    return x;
}

MC_FN double mc_blank_to_zero(double x) { return mc_unbox(x).kind == MC_L_BLANK ? 0.0 : x; }

// ── Aggregates (kernels::aggregate, operand_number) ──

#define MC_AGG_SUM 0
#define MC_AGG_PRODUCT 1
#define MC_AGG_MIN 2
#define MC_AGG_MAX 3
#define MC_AGG_AVERAGE 4

/// An operand as a number: 1 a number in *n, 0 skipped, -1 an error in *e.
MC_FN int mc_operand_number(double x, bool direct, double* n, int* e) {
    if (mc_isfinite(x)) { *n = x; return 1; }
    mc_lane l = mc_unbox(x);
    switch (l.kind) {
    case MC_L_NUMBER: *n = l.num; return 1;
    case MC_L_ERROR: *e = l.code; return -1;
    case MC_L_BLANK: if (direct) { *n = 0.0; return 1; } return 0;
    case MC_L_BOOL: if (direct) { *n = l.b ? 1.0 : 0.0; return 1; } return 0;
    default: if (direct) { *e = MC_E_VALUE; return -1; } return 0;
    }
}

/// Running state of an aggregate's slow path.
struct mc_agg { double sum, product, count, min, max; int error; };

MC_FN mc_agg mc_agg_start(double sum, double product, double count, double min, double max) {
    mc_agg a;
    a.sum = sum; a.product = product; a.count = count; a.min = min; a.max = max; a.error = 0;
    return a;
}

MC_FN void mc_agg_add(mc_agg& a, double x, bool direct) {
    if (a.error) return;
    double n;
    int e;
    int r = mc_operand_number(x, direct, &n, &e);
    if (r < 0) { a.error = e; return; }
    if (r == 0) return;
    a.sum += n;
    a.product *= n;
    a.count += 1.0;
    a.min = mc_min(a.min, n);
    a.max = mc_max(a.max, n);
}

MC_FN double mc_agg_finish(const mc_agg& a, int kind) {
    if (a.error) return mc_error(a.error);
    double r;
    switch (kind) {
    case MC_AGG_SUM: r = a.sum; break;
    case MC_AGG_PRODUCT: r = a.count == 0.0 ? 0.0 : a.product; break;
    case MC_AGG_MIN: r = a.count == 0.0 ? 0.0 : a.min; break;
    case MC_AGG_MAX: r = a.count == 0.0 ? 0.0 : a.max; break;
    default:
        if (a.count == 0.0) return mc_error(MC_E_DIV0);
        r = a.sum / a.count;
        break;
    }
    return mc_isfinite(r) ? r : mc_error(MC_E_NUM);
}

// ── NPV and IRR (functions::financial::npv_of, irr_of) ──

/// The scalar of NPV/IRR: false with *out the error lane.
MC_FN bool mc_series_scalar(double x, double* s, double* out) {
    if (mc_isfinite(x)) { *s = x; return true; }
    int e;
    if (!mc_to_number(x, s, &e)) { *out = mc_error(e); return false; }
    return true;
}

MC_FN double mc_series_result(double r) { return mc_isfinite(r) ? r : mc_error(MC_E_NUM); }

MC_FN double mc_npv(double rate, const double* v, int n) {
    if (rate == -1.0) return mc_error(MC_E_DIV0);
    double sum = 0.0, factor = 1.0;
    for (int i = 0; i < n; i++) {
        factor *= 1.0 + rate;
        sum += v[i] / factor;
    }
    return mc_series_result(sum);
}

MC_NOINLINE double mc_irr(const double* v, int n, double guess) {
    if (guess <= -1.0) return mc_error(MC_E_VALUE);
    bool pos = false, neg = false;
    for (int i = 0; i < n; i++) {
        pos |= v[i] > 0.0;
        neg |= v[i] < 0.0;
    }
    if (!(pos && neg)) return mc_error(MC_E_NUM);
    double x = 1.0 / (1.0 + guess);
    for (int it = 0; it < 20; it++) {
        double f = 0.0, d = 0.0;
        for (int i = n - 1; i >= 0; i--) {
            d = d * x + f;
            f = f * x + v[i];
        }
        if (!mc_isfinite(f) || !mc_isfinite(d) || d == 0.0) return mc_error(MC_E_NUM);
        double next = x - f / d;
        if (!mc_isfinite(next) || next <= 0.0) return mc_error(MC_E_NUM);
        if (fabs(next - x) < 1e-7) return mc_series_result(1.0 / next - 1.0);
        x = next;
    }
    return mc_error(MC_E_NUM);
}

/// RANDBETWEEN(bottom, top) from the lane's uniform (compile::lower::randbetween_from_uniform).
MC_FN double mc_randbetween(double lo_x, double hi_x, double u_x) {
    double lo, hi, u;
    int e;
    if (!mc_to_number(lo_x, &lo, &e)) return mc_error(e);
    lo = ceil(lo);
    if (!mc_to_number(hi_x, &hi, &e)) return mc_error(e);
    hi = floor(hi);
    if (!mc_to_number(u_x, &u, &e)) return mc_error(e);
    if (lo > hi) return mc_error(MC_E_NUM);
    return mc_number(mc_min(lo + floor(u * (hi - lo + 1.0)), hi));
}

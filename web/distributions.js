// The distributions of docs/simulation-spec.md: their parameters, defaults from a cell's
// value, and densities for the preview (shapes only: the preview is scaled to its height).

import { round } from './format.js';

// kind: 'number', 'int' or 'list' (numbers separated by commas).
const P = (name, label, kind = 'number') => ({ name, label, kind });

export const DISTRIBUTIONS = [
  { type: 'triangular', label: 'Triangular', params: [P('min', 'Minimum'), P('mode', 'Most likely'), P('max', 'Maximum')] },
  { type: 'pert', label: 'PERT', params: [P('min', 'Minimum'), P('mode', 'Most likely'), P('max', 'Maximum')] },
  { type: 'normal', label: 'Normal', params: [P('mean', 'Mean'), P('std', 'Standard deviation')] },
  { type: 'uniform', label: 'Uniform', params: [P('min', 'Minimum'), P('max', 'Maximum')] },
  { type: 'lognormal', label: 'Lognormal (mean, std)', params: [P('mean', 'Mean'), P('std', 'Standard deviation')] },
  { type: 'lognormal2', label: 'Lognormal (μ, σ of the log)', params: [P('mu', 'μ'), P('sigma', 'σ')] },
  {
    type: 'trigen',
    label: 'Trigen',
    params: [P('bottom', 'Bottom'), P('mode', 'Most likely'), P('top', 'Top'), P('bottom_perc', 'Bottom percentile (0–1)'), P('top_perc', 'Top percentile (0–1)')],
  },
  { type: 'beta', label: 'Beta', params: [P('alpha', 'α'), P('beta', 'β')] },
  { type: 'beta_general', label: 'Beta (general)', params: [P('alpha', 'α'), P('beta', 'β'), P('min', 'Minimum'), P('max', 'Maximum')] },
  { type: 'gamma', label: 'Gamma', params: [P('alpha', 'α (shape)'), P('beta', 'β (scale)')] },
  { type: 'exponential', label: 'Exponential', params: [P('mean', 'Mean')] },
  { type: 'weibull', label: 'Weibull', params: [P('alpha', 'α (shape)'), P('beta', 'β (scale)')] },
  { type: 'student', label: 'Student’s t', params: [P('nu', 'ν (degrees of freedom)')] },
  { type: 'poisson', label: 'Poisson', params: [P('lambda', 'λ (mean)')] },
  { type: 'binomial', label: 'Binomial', params: [P('n', 'n (trials)', 'int'), P('p', 'p (success probability)')] },
  { type: 'bernoulli', label: 'Bernoulli', params: [P('p', 'p (probability of 1)')] },
  { type: 'discrete', label: 'Discrete', params: [P('values', 'Values', 'list'), P('weights', 'Weights', 'list')] },
  {
    type: 'cumulative',
    label: 'Cumulative',
    params: [P('min', 'Minimum'), P('max', 'Maximum'), P('values', 'Values', 'list'), P('probabilities', 'Cumulative probabilities', 'list')],
  },
  { type: 'general', label: 'General (piecewise density)', params: [P('min', 'Minimum'), P('max', 'Maximum'), P('values', 'Values', 'list'), P('weights', 'Weights', 'list')] },
  { type: 'histogram', label: 'Histogram', params: [P('min', 'Minimum'), P('max', 'Maximum'), P('weights', 'Weights', 'list')] },
];

export function definition(type) {
  return DISTRIBUTIONS.find((d) => d.type === type);
}

/** Parameters that suit a cell whose value is `v`. */
export function defaults(type, v) {
  const x = Number.isFinite(v) ? v : 0;
  const spread = x === 0 ? 1 : Math.abs(x) * 0.1;
  const lo = round(x - spread);
  const hi = round(x + spread);
  const pos = x > 0 ? round(x) : 1;
  const mid = round(x);
  switch (type) {
    case 'triangular':
    case 'pert': return { min: lo, mode: mid, max: hi };
    case 'normal': return { mean: mid, std: round(spread / 2) };
    case 'uniform': return { min: lo, max: hi };
    case 'lognormal': return { mean: pos, std: round(pos * 0.1) };
    case 'lognormal2': return { mu: round(Math.log(pos)), sigma: 0.1 };
    case 'trigen': return { bottom: lo, mode: mid, top: hi, bottom_perc: 0.1, top_perc: 0.9 };
    case 'beta': return { alpha: 2, beta: 5 };
    case 'beta_general': return { alpha: 2, beta: 2, min: lo, max: hi };
    case 'gamma': return { alpha: 2, beta: round(pos / 2) };
    case 'exponential': return { mean: pos };
    case 'weibull': return { alpha: 2, beta: pos };
    case 'student': return { nu: 5 };
    case 'poisson': return { lambda: pos };
    case 'binomial': return { n: 10, p: 0.5 };
    case 'bernoulli': return { p: 0.5 };
    case 'discrete': return { values: [lo, mid, hi], weights: [1, 2, 1] };
    case 'cumulative': return { min: lo, max: hi, values: [mid], probabilities: [0.5] };
    case 'general': return { min: lo, max: hi, values: [mid], weights: [1] };
    case 'histogram': return { min: lo, max: hi, weights: [1, 2, 1] };
    default: return {};
  }
}

/** `triangular(8000, 12000, 15000)`, with truncation and shift. */
export function describe(d) {
  const def = definition(d.type);
  if (!def) return d.type;
  const args = def.params.map((p) => {
    const v = d[p.name];
    return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
  });
  let s = `${d.type}(${args.join(', ')})`;
  if (d.truncate && (d.truncate.min != null || d.truncate.max != null)) {
    s += ` truncated to [${d.truncate.min ?? '−∞'}, ${d.truncate.max ?? '∞'}]`;
  }
  if (d.shift) s += ` + ${d.shift}`;
  return s;
}

// ── Densities ─────────────────────────────────────────────────────────────────────────────

function lnGamma(z) {
  // Lanczos (g = 7, n = 9).
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - lnGamma(1 - z);
  const x = z - 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i += 1) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

const betaPdf = (x, a, b) => {
  if (x <= 0 || x >= 1) return 0;
  return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log(1 - x) - (lnGamma(a) + lnGamma(b) - lnGamma(a + b)));
};

const triPdf = (x, a, m, b) => {
  if (x < a || x > b || b <= a) return 0;
  if (x < m) return (2 * (x - a)) / ((b - a) * (m - a));
  if (x > m) return (2 * (b - x)) / ((b - a) * (b - m));
  return 2 / (b - a);
};

const triCdf = (x, a, m, b) => {
  if (x <= a) return 0;
  if (x >= b) return 1;
  if (x <= m) return ((x - a) * (x - a)) / ((b - a) * (m - a));
  return 1 - ((b - x) * (b - x)) / ((b - a) * (b - m));
};

/** Trigen's minimum and maximum, found by bisection on each (or null). */
function trigenBounds(d) {
  const { bottom, mode, top, bottom_perc: pb, top_perc: pt } = d;
  if (!(bottom <= mode && mode <= top && pb >= 0 && pt <= 1 && pb < pt)) return null;
  const width = Math.max(top - bottom, Math.abs(mode), 1);
  let a = bottom;
  let b = top;
  for (let iter = 0; iter < 60; iter += 1) {
    // b for the current a: F(top) = pt.
    if (pt < 1) {
      let lo = Math.max(top, mode + 1e-12 * width);
      let hi = lo + width;
      while (triCdf(top, a, mode, hi) > pt && hi - lo < 1e9 * width) hi += (hi - lo) * 2;
      for (let k = 0; k < 100; k += 1) {
        const midp = (lo + hi) / 2;
        if (triCdf(top, a, mode, midp) > pt) lo = midp; else hi = midp;
      }
      b = (lo + hi) / 2;
    } else b = top;
    // a for the current b: F(bottom) = pb.
    if (pb > 0) {
      let hi = Math.min(bottom, mode - 1e-12 * width);
      let lo = hi - width;
      while (triCdf(bottom, lo, mode, b) < pb && hi - lo < 1e9 * width) lo -= (hi - lo) * 2;
      for (let k = 0; k < 100; k += 1) {
        const midp = (lo + hi) / 2;
        if (triCdf(bottom, midp, mode, b) < pb) hi = midp; else lo = midp;
      }
      a = (lo + hi) / 2;
    } else a = bottom;
  }
  return Number.isFinite(a) && Number.isFinite(b) && a < b ? [a, b] : null;
}

const lnChoose = (n, k) => lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);

/**
 * What to draw: `{kind: 'density', lo, hi, f}` (f a function) or `{kind: 'mass', points:
 * [[x, p]]}`; null when the parameters are not usable. Truncation and shift are applied.
 */
export function shape(d) {
  const s = baseShape(d);
  if (!s) return null;
  const t = d.truncate || {};
  const tmin = Number.isFinite(t.min) ? t.min : -Infinity;
  const tmax = Number.isFinite(t.max) ? t.max : Infinity;
  const shift = Number.isFinite(d.shift) ? d.shift : 0;
  if (s.kind === 'mass') {
    const points = s.points.filter(([x]) => x >= tmin && x <= tmax).map(([x, p]) => [x + shift, p]);
    return points.length ? { kind: 'mass', points } : null;
  }
  const lo = Math.max(s.lo, tmin);
  const hi = Math.min(s.hi, tmax);
  if (!(lo < hi)) return null;
  return { kind: 'density', lo: lo + shift, hi: hi + shift, f: (x) => s.f(x - shift) };
}

function ok(...xs) {
  return xs.every((x) => Number.isFinite(x));
}

function listOk(xs) {
  return Array.isArray(xs) && xs.every((x) => Number.isFinite(x));
}

function baseShape(d) {
  switch (d.type) {
    case 'normal': {
      const { mean: m, std: s } = d;
      if (!ok(m, s) || s <= 0) return null;
      return { kind: 'density', lo: m - 4 * s, hi: m + 4 * s, f: (x) => Math.exp(-0.5 * ((x - m) / s) ** 2) };
    }
    case 'lognormal':
    case 'lognormal2': {
      let mu;
      let sigma;
      if (d.type === 'lognormal') {
        if (!ok(d.mean, d.std) || d.mean <= 0 || d.std <= 0) return null;
        sigma = Math.sqrt(Math.log(1 + (d.std / d.mean) ** 2));
        mu = Math.log(d.mean) - (sigma * sigma) / 2;
      } else {
        if (!ok(d.mu, d.sigma) || d.sigma <= 0) return null;
        ({ mu, sigma } = d);
      }
      const hi = Math.exp(mu + 3.5 * sigma);
      return { kind: 'density', lo: 0, hi, f: (x) => (x <= 0 ? 0 : Math.exp(-((Math.log(x) - mu) ** 2) / (2 * sigma * sigma)) / x) };
    }
    case 'uniform': {
      if (!ok(d.min, d.max) || d.min >= d.max) return null;
      const w = d.max - d.min;
      return { kind: 'density', lo: d.min - w * 0.05, hi: d.max + w * 0.05, f: (x) => (x >= d.min && x <= d.max ? 1 : 0) };
    }
    case 'triangular': {
      const { min: a, mode: m, max: b } = d;
      if (!ok(a, m, b) || !(a <= m && m <= b) || a === b) return null;
      return { kind: 'density', lo: a, hi: b, f: (x) => triPdf(x, a, m, b) };
    }
    case 'trigen': {
      if (!ok(d.bottom, d.mode, d.top, d.bottom_perc, d.top_perc)) return null;
      const ab = trigenBounds(d);
      if (!ab) return null;
      return { kind: 'density', lo: ab[0], hi: ab[1], f: (x) => triPdf(x, ab[0], d.mode, ab[1]) };
    }
    case 'pert': {
      const { min: a, mode: m, max: b } = d;
      if (!ok(a, m, b) || !(a <= m && m <= b) || a === b) return null;
      const al = 1 + (4 * (m - a)) / (b - a);
      const be = 1 + (4 * (b - m)) / (b - a);
      return { kind: 'density', lo: a, hi: b, f: (x) => betaPdf((x - a) / (b - a), al, be) };
    }
    case 'beta':
    case 'beta_general': {
      const { alpha: al, beta: be } = d;
      const a = d.type === 'beta' ? 0 : d.min;
      const b = d.type === 'beta' ? 1 : d.max;
      if (!ok(al, be, a, b) || al <= 0 || be <= 0 || a >= b) return null;
      return { kind: 'density', lo: a, hi: b, f: (x) => Math.min(betaPdf((x - a) / (b - a), al, be), 50) };
    }
    case 'gamma': {
      const { alpha: k, beta: th } = d;
      if (!ok(k, th) || k <= 0 || th <= 0) return null;
      const mean = k * th;
      const sd = Math.sqrt(k) * th;
      return {
        kind: 'density', lo: 0, hi: mean + 5 * sd,
        f: (x) => (x <= 0 ? 0 : Math.min(Math.exp((k - 1) * Math.log(x / th) - x / th), 50)),
      };
    }
    case 'exponential': {
      if (!ok(d.mean) || d.mean <= 0) return null;
      return { kind: 'density', lo: 0, hi: 6 * d.mean, f: (x) => (x < 0 ? 0 : Math.exp(-x / d.mean)) };
    }
    case 'weibull': {
      const { alpha: k, beta: l } = d;
      if (!ok(k, l) || k <= 0 || l <= 0) return null;
      return {
        kind: 'density', lo: 0, hi: l * (-Math.log(1e-3)) ** (1 / k),
        f: (x) => (x <= 0 ? 0 : Math.min((k / l) * (x / l) ** (k - 1) * Math.exp(-((x / l) ** k)), 50 / l)),
      };
    }
    case 'student': {
      const { nu } = d;
      if (!ok(nu) || nu <= 0) return null;
      const w = nu > 2 ? 5 * Math.sqrt(nu / (nu - 2)) : 8;
      return { kind: 'density', lo: -w, hi: w, f: (x) => (1 + (x * x) / nu) ** (-(nu + 1) / 2) };
    }
    case 'poisson': {
      const { lambda: l } = d;
      if (!ok(l) || l <= 0 || l > 5e8) return null;
      const lo = Math.max(0, Math.floor(l - 5 * Math.sqrt(l) - 1));
      const hi = Math.ceil(l + 5 * Math.sqrt(l) + 2);
      return massOver(lo, hi, (k) => Math.exp(k * Math.log(l) - l - lnGamma(k + 1)));
    }
    case 'binomial': {
      const { n, p } = d;
      if (!ok(n, p) || n < 0 || !Number.isInteger(n) || p < 0 || p > 1) return null;
      const m = n * p;
      const s = Math.sqrt(n * p * (1 - p));
      const lo = Math.max(0, Math.floor(m - 5 * s - 1));
      const hi = Math.min(n, Math.ceil(m + 5 * s + 1));
      return massOver(lo, hi, (k) => {
        if (p === 0) return k === 0 ? 1 : 0;
        if (p === 1) return k === n ? 1 : 0;
        return Math.exp(lnChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p));
      });
    }
    case 'bernoulli': {
      if (!ok(d.p) || d.p < 0 || d.p > 1) return null;
      return { kind: 'mass', points: [[0, 1 - d.p], [1, d.p]] };
    }
    case 'discrete': {
      const { values, weights } = d;
      if (!listOk(values) || !listOk(weights) || values.length !== weights.length || !values.length) return null;
      return { kind: 'mass', points: values.map((v, i) => [v, Math.max(0, weights[i])]) };
    }
    case 'cumulative': {
      const xs = [d.min, ...(d.values || []), d.max];
      const ps = [0, ...(d.probabilities || []), 1];
      if (!listOk(xs) || !listOk(ps) || xs.length !== ps.length || d.min >= d.max) return null;
      return piecewise(d.min, d.max, (x) => {
        for (let i = 1; i < xs.length; i += 1) {
          if (x <= xs[i]) return xs[i] > xs[i - 1] ? (ps[i] - ps[i - 1]) / (xs[i] - xs[i - 1]) : 0;
        }
        return 0;
      });
    }
    case 'general': {
      const xs = [d.min, ...(d.values || []), d.max];
      const ws = [0, ...(d.weights || []), 0];
      if (!listOk(xs) || !listOk(ws) || xs.length !== ws.length || d.min >= d.max) return null;
      return piecewise(d.min, d.max, (x) => {
        for (let i = 1; i < xs.length; i += 1) {
          if (x <= xs[i]) {
            const t = xs[i] > xs[i - 1] ? (x - xs[i - 1]) / (xs[i] - xs[i - 1]) : 1;
            return ws[i - 1] + t * (ws[i] - ws[i - 1]);
          }
        }
        return 0;
      });
    }
    case 'histogram': {
      const { min: a, max: b, weights } = d;
      if (!ok(a, b) || a >= b || !listOk(weights) || !weights.length) return null;
      const w = (b - a) / weights.length;
      return piecewise(a, b, (x) => weights[Math.min(weights.length - 1, Math.max(0, Math.floor((x - a) / w)))]);
    }
    default:
      return null;
  }
}

function piecewise(a, b, f) {
  const pad = (b - a) * 0.03;
  return { kind: 'density', lo: a - pad, hi: b + pad, f: (x) => (x < a || x > b ? 0 : Math.max(0, f(x))) };
}

function massOver(lo, hi, pmf) {
  const points = [];
  const step = Math.max(1, Math.ceil((hi - lo) / 60));
  for (let k = lo; k <= hi; k += step) points.push([k, pmf(k)]);
  return { kind: 'mass', points };
}

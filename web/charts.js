// Charts drawn as SVG: the histogram with its cumulative curve and certainty band, the
// tornado of sensitivities, and the density preview of a distribution.

import { short, pct } from './format.js';

const NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, parent = null) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  if (parent) parent.appendChild(el);
  return el;
}

function text(parent, x, y, content, attrs = {}) {
  const t = svg('text', { x, y, ...attrs }, parent);
  t.textContent = content;
  return t;
}

/** About `n` round tick values covering [lo, hi]. */
export function ticks(lo, hi, n = 6) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * The histogram of an output: bars (share of iterations per bin, left axis), the cumulative
 * curve (right axis), the mean, and the band between `band.a` and `band.b`.
 */
export function histogram(container, output, band = null) {
  container.textContent = '';
  const edges = output.histogram?.edges || [];
  const counts = output.histogram?.counts || [];
  const total = counts.reduce((s, c) => s + c, 0);
  const W = 720;
  const H = 320;
  const m = { l: 56, r: 52, t: 16, b: 44 };
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'chart histogram', role: 'img',
    'aria-label': `Histogram of ${output.name}: ${counts.length} bins from ${short(edges[0])} to ${short(edges[edges.length - 1])}, with the cumulative probability`,
  }, container);
  if (!total || edges.length < 2) {
    text(root, W / 2, H / 2, 'No numeric iterations to show', { 'text-anchor': 'middle', class: 'muted' });
    return root;
  }
  let lo = edges[0];
  let hi = edges[edges.length - 1];
  if (hi === lo) {
    lo -= Math.abs(lo) * 0.05 || 1;
    hi += Math.abs(hi) * 0.05 || 1;
  }
  const shares = counts.map((c) => c / total);
  const top = Math.max(...shares) * 1.1;
  const x = (v) => m.l + ((v - lo) / (hi - lo)) * (W - m.l - m.r);
  const y = (s) => H - m.b - (s / top) * (H - m.t - m.b);
  const yc = (p) => H - m.b - p * (H - m.t - m.b);

  // Axes and grid.
  const axes = svg('g', { class: 'axes' }, root);
  for (const t of ticks(0, top, 5)) {
    svg('line', { x1: m.l, x2: W - m.r, y1: y(t), y2: y(t), class: 'gridline' }, axes);
    text(axes, m.l - 6, y(t) + 4, pct(t, t < 0.1 ? 1 : 0), { 'text-anchor': 'end' });
  }
  for (const p of [0, 0.25, 0.5, 0.75, 1]) text(axes, W - m.r + 6, yc(p) + 4, pct(p, 0), { class: 'cumulative-label' });
  for (const t of ticks(lo, hi, 7)) {
    svg('line', { x1: x(t), x2: x(t), y1: H - m.b, y2: H - m.b + 5, class: 'tick' }, axes);
    text(axes, x(t), H - m.b + 18, short(t), { 'text-anchor': 'middle' });
  }
  svg('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, class: 'axis' }, axes);
  text(axes, (m.l + W - m.r) / 2, H - 6, output.name, { 'text-anchor': 'middle', class: 'axis-title' });

  // Certainty band under the bars.
  if (band && Number.isFinite(band.a) && Number.isFinite(band.b) && band.b > band.a) {
    const a = Math.max(lo, band.a);
    const b = Math.min(hi, band.b);
    if (b > a) svg('rect', { x: x(a), y: m.t, width: x(b) - x(a), height: H - m.t - m.b, class: 'band' }, root);
  }

  // Bars.
  const bars = svg('g', { class: 'bars' }, root);
  shares.forEach((s, i) => {
    const x0 = x(edges[i]);
    const x1 = x(edges[i + 1]);
    const inBand = band && edges[i] >= band.a && edges[i + 1] <= band.b;
    const r = svg('rect', {
      x: x0 + 0.5, y: y(s), width: Math.max(0.5, x1 - x0 - 1), height: Math.max(0, H - m.b - y(s)),
      class: inBand ? 'bar in-band' : 'bar',
    }, bars);
    const t = svg('title', {}, r);
    t.textContent = `${short(edges[i])} to ${short(edges[i + 1])}: ${counts[i]} iterations (${pct(s)})`;
  });

  // Cumulative curve through the bin edges.
  let acc = 0;
  const pts = [`${x(edges[0])},${yc(0)}`];
  counts.forEach((c, i) => {
    acc += c;
    pts.push(`${x(edges[i + 1])},${yc(acc / total)}`);
  });
  svg('polyline', { points: pts.join(' '), class: 'cumulative' }, root);

  // Mean.
  if (Number.isFinite(output.mean)) {
    svg('line', { x1: x(output.mean), x2: x(output.mean), y1: m.t, y2: H - m.b, class: 'mean' }, root);
    text(root, x(output.mean) + 4, m.t + 10, `mean ${short(output.mean)}`, { class: 'mean-label' });
  }
  if (band && Number.isFinite(band.a) && Number.isFinite(band.b)) {
    for (const v of [band.a, band.b]) {
      if (v >= lo && v <= hi) svg('line', { x1: x(v), x2: x(v), y1: m.t, y2: H - m.b, class: 'band-edge' }, root);
    }
  }
  return root;
}

/** The tornado: each input's rank correlation with the output, largest first. */
export function tornado(container, output, limit = 12) {
  container.textContent = '';
  const rows = (output.sensitivity || []).filter((s) => Number.isFinite(s.rank_correlation)).slice(0, limit);
  const W = 720;
  const rowH = 26;
  const m = { l: 200, r: 60, t: 10, b: 36 };
  const H = m.t + m.b + Math.max(1, rows.length) * rowH;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'chart tornado', role: 'img',
    'aria-label': `Tornado of ${output.name}: ${rows.map((r) => `${r.input} ${r.rank_correlation.toFixed(2)}`).join(', ')}`,
  }, container);
  if (!rows.length) {
    text(root, W / 2, H / 2, 'No sensitivities (no input varies this output)', { 'text-anchor': 'middle', class: 'muted' });
    return root;
  }
  const maxAbs = Math.min(1, Math.max(0.1, ...rows.map((r) => Math.abs(r.rank_correlation))) * 1.1);
  const mid = m.l + (W - m.l - m.r) / 2;
  const half = (W - m.l - m.r) / 2;
  const x = (v) => mid + (v / maxAbs) * half;
  for (const t of ticks(-maxAbs, maxAbs, 6)) {
    svg('line', { x1: x(t), x2: x(t), y1: m.t, y2: H - m.b, class: 'gridline' }, root);
    text(root, x(t), H - m.b + 16, t.toFixed(2).replace(/\.?0+$/, '') || '0', { 'text-anchor': 'middle' });
  }
  text(root, mid, H - 6, 'Rank correlation with the output', { 'text-anchor': 'middle', class: 'axis-title' });
  rows.forEach((r, i) => {
    const yy = m.t + i * rowH;
    const v = r.rank_correlation;
    const label = r.input.length > 28 ? `${r.input.slice(0, 27)}…` : r.input;
    text(root, m.l - 8, yy + rowH / 2 + 4, label, { 'text-anchor': 'end' });
    const rect = svg('rect', {
      x: Math.min(x(0), x(v)), y: yy + 4, width: Math.abs(x(v) - x(0)), height: rowH - 8,
      class: v < 0 ? 'bar negative' : 'bar positive',
    }, root);
    svg('title', {}, rect).textContent = `${r.input} (${r.cell}): ${v.toFixed(3)}`;
    text(root, v < 0 ? x(v) - 4 : x(v) + 4, yy + rowH / 2 + 4, v.toFixed(2), { 'text-anchor': v < 0 ? 'end' : 'start', class: 'value' });
  });
  svg('line', { x1: mid, x2: mid, y1: m.t, y2: H - m.b, class: 'axis' }, root);
  return root;
}

/** A small picture of a distribution's density (or probability mass). */
export function preview(container, s, label) {
  container.textContent = '';
  const W = 300;
  const H = 90;
  const m = { l: 22, r: 22, t: 6, b: 20 };
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart preview', role: 'img', 'aria-label': label }, container);
  if (!s) {
    text(root, W / 2, H / 2, 'No preview: check the parameters', { 'text-anchor': 'middle', class: 'muted' });
    return root;
  }
  let lo;
  let hi;
  let pts;
  if (s.kind === 'density') {
    ({ lo, hi } = s);
    const n = 160;
    pts = [];
    for (let i = 0; i <= n; i += 1) {
      const xv = lo + ((hi - lo) * i) / n;
      const f = s.f(xv);
      pts.push([xv, Number.isFinite(f) ? f : 0]);
    }
  } else {
    lo = Math.min(...s.points.map((p) => p[0]));
    hi = Math.max(...s.points.map((p) => p[0]));
    if (lo === hi) {
      lo -= 1;
      hi += 1;
    }
    const pad = (hi - lo) * 0.06;
    lo -= pad;
    hi += pad;
    pts = s.points;
  }
  const top = Math.max(...pts.map((p) => p[1])) || 1;
  const x = (v) => m.l + ((v - lo) / (hi - lo)) * (W - m.l - m.r);
  const y = (v) => H - m.b - (v / top) * (H - m.t - m.b);
  if (s.kind === 'density') {
    const d = [`M${x(pts[0][0])},${y(0)}`, ...pts.map(([a, b]) => `L${x(a)},${y(b)}`), `L${x(pts[pts.length - 1][0])},${y(0)}Z`];
    svg('path', { d: d.join(' '), class: 'density' }, root);
  } else {
    for (const [a, b] of pts) svg('line', { x1: x(a), x2: x(a), y1: y(0), y2: y(b), class: 'mass' }, root);
  }
  svg('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, class: 'axis' }, root);
  for (const t of ticks(lo, hi, 4)) text(root, x(t), H - 5, short(t), { 'text-anchor': 'middle' });
  return root;
}

// Number and text formatting shared by the views.

const sig6 = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 6 });
const fixed2 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 0, maximumFractionDigits: 2 });
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** A statistic for a table: six significant digits, two decimals for large numbers, `—` for none. */
export function num(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e15)) return v.toExponential(4);
  if (a >= 1e5) return fixed2.format(v);
  return sig6.format(v);
}

/** A short number for axis ticks and labels. */
export function short(v) {
  if (!Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a !== 0 && a < 1e-3) return v.toExponential(1);
  return trim(v);
}

function trim(v) {
  return String(Number(v.toPrecision(3)));
}

/** `12,345`. */
export function count(v) {
  return Number.isFinite(v) ? integer.format(v) : '—';
}

/** A probability as a percentage: `42.3%`. */
export function pct(p, digits = 1) {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return `${(p * 100).toFixed(digits)}%`;
}

/** A cell value as a spreadsheet shows it. */
export function cellText(entry) {
  if (!entry) return '';
  switch (entry.type) {
    case 'number': return sig6.format(entry.value);
    case 'bool': return entry.value ? 'TRUE' : 'FALSE';
    case 'blank': return '';
    default: return String(entry.value ?? '');
  }
}

/** A number rounded to `digits` significant digits, for defaults the user will read. */
export function round(v, digits = 4) {
  if (!Number.isFinite(v) || v === 0) return 0;
  return Number(v.toPrecision(digits));
}

/** A date-time in the user's locale. */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A size in bytes. */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// montecell's web app: upload a workbook, mark inputs and outputs on its grid, run, and read
// the distribution. Everything goes through the public HTTP API (api.js).

import { api, ApiError, apiKey, setApiKey, onKeyChange, setKeyPrompt } from './api.js';
import { Grid, a1, parseA1, columnName } from './grid.js';
import * as fmt from './format.js';
import { DISTRIBUTIONS, definition, defaults, describe, shape } from './distributions.js';
import { histogram, tornado, preview } from './charts.js';

const $ = (id) => document.getElementById(id);

/** `h('td', {class: 'x', dataset: {v: 1}}, 'text', child)`. */
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

const state = {
  model: null,
  sheetIndex: 0,
  draft: null,
  selection: null, // {row, col, entry, sheet, ref, key}
  sim: null,
  simId: null,
  pollTimer: 0,
  outputIndex: 0,
  samples: new Map(), // `${simId}:${output}` → Promise<Float64Array sorted, finite only>
  certainty: { a: NaN, b: NaN },
  models: new Map(), // id → model (for names in the history)
};

let grid = null;

// ── Small helpers ────────────────────────────────────────────────────────────────────────

const announcer = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
document.body.appendChild(announcer);
function announce(text) {
  announcer.textContent = '';
  setTimeout(() => { announcer.textContent = text; }, 30);
}

function showError(e, context = '') {
  const p = e instanceof ApiError ? e.problem : { title: String(e?.message || e) };
  const msg = [context, p.title, p.detail && p.detail !== p.title ? p.detail : ''].filter(Boolean).join(': ');
  $('notice-text').textContent = msg;
  $('notice').hidden = false;
  if (!(e instanceof ApiError)) console.error(e);
}

function clearNotice() {
  $('notice').hidden = true;
}

function quoteSheet(name) {
  const plain = /^[\p{L}\p{N}_.]+$/u.test(name) && !/^[0-9]/.test(name) && !parseA1(name);
  return plain ? name : `'${name.replace(/'/g, "''")}'`;
}

/** `Sheet!B7` for a cell of the sheet shown. */
function refOf(sheetName, row, col) {
  return `${quoteSheet(sheetName)}!${a1(row, col)}`;
}

/** `'My Sheet'!$B$7` → {sheet, row, col} (sheet null for a bare `B7`), or null (a name). */
function parseRef(text) {
  const m = /^(?:'((?:[^']|'')+)'|([^!']+))!(.+)$/.exec(String(text).trim());
  if (!m) {
    const p = parseA1(text);
    return p ? { sheet: null, ...p } : null;
  }
  const p = parseA1(m[3].replace(/#\d+$/, ''));
  if (!p) return null;
  return { sheet: m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2], ...p };
}

/** A comparable key for a cell reference: `SHEET!B7` in upper case. */
function keyOf(text) {
  const r = parseRef(text);
  if (!r) return String(text).toUpperCase();
  const sheet = r.sheet ?? state.model?.summary.sheets[0]?.name ?? '';
  return `${sheet.toUpperCase()}!${a1(r.row, r.col)}`;
}

function currentSheet() {
  return state.model?.summary.sheets[state.sheetIndex] || null;
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function parseList(text) {
  const parts = String(text).split(/[,;\s]+/).filter((s) => s !== '');
  const nums = parts.map(Number);
  return nums.every(Number.isFinite) ? nums : null;
}

// ── Draft spec (kept per model in localStorage) ───────────────────────────────────────────

function emptyDraft() {
  return { inputs: [], outputs: [], iterations: 10000, seed: 1, sampling: 'lhs', histogram_bins: 50, correlations: [] };
}

function loadDraft(modelId) {
  try {
    const d = JSON.parse(localStorage.getItem(`montecell.draft.${modelId}`) || 'null');
    if (d && Array.isArray(d.inputs) && Array.isArray(d.outputs)) return { ...emptyDraft(), ...d };
  } catch {
    // a broken draft is dropped
  }
  return emptyDraft();
}

function saveDraft() {
  if (!state.model) return;
  try {
    localStorage.setItem(`montecell.draft.${state.model.id}`, JSON.stringify(state.draft));
  } catch {
    // storage full or disabled: the draft lives for this page
  }
}

/** The draft from a submitted spec ("edit and run again"). */
function draftFromSpec(spec) {
  const d = emptyDraft();
  d.inputs = (spec.inputs || []).map((i) => ({ cell: i.cell, name: i.name || i.cell, distribution: i.distribution }));
  d.outputs = (spec.outputs || []).map((o) => ({ cell: o.cell, name: o.name || o.cell, targets: o.targets || [] }));
  for (const k of ['iterations', 'seed', 'sampling', 'histogram_bins']) if (spec[k] != null) d[k] = spec[k];
  for (const c of spec.correlations || []) {
    if (c.rank !== undefined && c.inputs?.length === 2) d.correlations.push({ a: c.inputs[0], b: c.inputs[1], rank: c.rank });
    else if (Array.isArray(c.matrix)) {
      c.inputs.forEach((a, i) => c.inputs.forEach((b, j) => {
        if (j > i && c.matrix[i][j]) d.correlations.push({ a, b, rank: c.matrix[i][j] });
      }));
    }
  }
  d.percentiles = spec.percentiles || [];
  return d;
}

// ── Views and routing ─────────────────────────────────────────────────────────────────────

function showView(name) {
  for (const v of ['model', 'results', 'history']) {
    $(`view-${v}`).hidden = v !== name;
    const link = document.querySelector(`[data-nav="${v}"]`);
    if (v === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (name !== 'results') stopPolling();
}

async function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [view, id] = parts;
  clearNotice();
  if (view === 'results') {
    showView('results');
    if (id && id !== state.simId) await openSimulation(id);
    else if (state.simId) await openSimulation(state.simId);
    else renderResultsEmpty();
  } else if (view === 'history') {
    showView('history');
    await loadHistory(true);
  } else {
    showView('model');
    if (view === 'model' && id && id !== state.model?.id) {
      try {
        setModel(await api.model(id));
      } catch (e) {
        showError(e, 'The model cannot be opened');
      }
    }
  }
  updateNav();
}

function updateNav() {
  document.querySelector('[data-nav="model"]').href = state.model ? `#/model/${state.model.id}` : '#/';
  document.querySelector('[data-nav="results"]').href = state.simId ? `#/results/${state.simId}` : '#/results';
}

// ── Upload ────────────────────────────────────────────────────────────────────────────────

async function upload(file) {
  if (!file) return;
  clearNotice();
  const status = $('upload-status');
  if (!/\.xlsx$/i.test(file.name)) {
    status.textContent = `${file.name} is not an .xlsx workbook; trying anyway…`;
  } else {
    status.textContent = `Uploading ${file.name} (${fmt.bytes(file.size)})…`;
  }
  try {
    const model = await api.uploadModel(file);
    status.textContent = `Uploaded ${model.filename}.`;
    announce(`Uploaded ${model.filename}: ${model.summary.sheets.length} sheets, ${model.summary.formula_count} formulas`);
    setModel(model);
    location.hash = `#/model/${model.id}`;
  } catch (e) {
    status.textContent = `The upload failed: ${e.message}`;
    showError(e, `${file.name} was not accepted`);
  }
}

function setupUpload() {
  const zone = $('dropzone');
  for (const input of [$('file-input'), $('file-input-2')]) {
    input.addEventListener('change', () => {
      upload(input.files[0]);
      input.value = '';
    });
  }
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
  window.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    zone.classList.add('dragging');
    document.body.classList.add('dragging');
  });
  window.addEventListener('dragleave', (e) => {
    if (e.relatedTarget === null) {
      zone.classList.remove('dragging');
      document.body.classList.remove('dragging');
    }
  });
  window.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    zone.classList.remove('dragging');
    document.body.classList.remove('dragging');
    const file = e.dataTransfer.files[0];
    if (file) {
      showView('model');
      upload(file);
    }
  });
}

let recentCursor = null;
async function loadRecent(reset) {
  if (reset) {
    recentCursor = null;
    $('recent-list').textContent = '';
  }
  try {
    const page = await api.models(recentCursor, 10);
    for (const m of page.items) {
      state.models.set(m.id, m);
      $('recent-list').append(h('li', {},
        h('a', { href: `#/model/${m.id}` }, m.filename || m.id),
        ' ', h('span', { class: 'muted' }, `${fmt.when(m.created_at)} · ${m.summary.sheets.length} sheets`)));
    }
    if (!page.items.length && reset) $('recent-list').append(h('li', { class: 'muted' }, 'None yet.'));
    if (page.items.length && reset) $('recent').open = true;
    recentCursor = page.next_cursor || null;
    $('recent-more').hidden = !recentCursor;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) showError(e, 'The list of workbooks cannot be read');
  }
}

// ── The model: summary, sheets, grid ──────────────────────────────────────────────────────

function setModel(model) {
  state.model = model;
  state.models.set(model.id, model);
  state.draft = loadDraft(model.id);
  state.selection = null;
  $('upload').hidden = true;
  $('model').hidden = false;
  renderSummary();
  renderSheetTabs();
  selectSheet(0);
  renderSetup();
  updateNav();
}

function renderSummary() {
  const m = state.model;
  const s = m.summary;
  $('model-name').textContent = m.filename || 'Workbook';
  const unsupported = s.unsupported_functions.length;
  $('model-facts').textContent = '';
  $('model-facts').append(
    `${fmt.bytes(m.size_bytes)} · ${s.sheets.length} ${s.sheets.length === 1 ? 'sheet' : 'sheets'} · ${fmt.count(s.formula_count)} formulas · `,
    `${s.inputs.length} distribution ${s.inputs.length === 1 ? 'function' : 'functions'} and ${s.outputs.length} output ${s.outputs.length === 1 ? 'marker' : 'markers'} in the workbook`,
    unsupported ? h('strong', { class: 'warn' }, ` · ${unsupported} unsupported ${unsupported === 1 ? 'function' : 'functions'}: ${s.unsupported_functions.join(', ')}`) : ' · every function supported',
  );
  const box = $('model-summary');
  box.textContent = '';
  const list = (title, items, render) => box.append(h('section', {},
    h('h3', {}, title),
    items.length ? h('ul', { class: 'plain-list' }, items.map((i) => h('li', {}, render(i)))) : h('p', { class: 'muted' }, 'none')));
  list('Sheets', s.sheets, (sh) => `${sh.name} — ${sh.dimension || 'empty'} (${fmt.count(sh.cells)} cells)`);
  list('Distribution functions in the workbook', s.inputs, (d) => [cellLink(d.cell), ` ${d.function}`]);
  list('Output markers in the workbook', s.outputs, (d) => [cellLink(d.cell), ` ${d.function}`]);
  list('Unsupported functions', s.unsupported_functions, (f) => f);
  list('Formulas that cannot be read', s.formula_problems, (p) => p);
  $('model-details').open = unsupported > 0 || s.formula_problems.length > 0;
}

function cellLink(ref) {
  return h('button', { type: 'button', class: 'link', onclick: () => goToRef(ref) }, ref);
}

function renderSheetTabs() {
  const tabs = $('sheet-tabs');
  tabs.textContent = '';
  state.model.summary.sheets.forEach((s, i) => {
    tabs.append(h('button', {
      type: 'button', role: 'tab', id: `sheet-tab-${i}`, 'aria-controls': 'grid-host',
      'aria-selected': 'false', tabindex: '-1', onclick: () => selectSheet(i),
    }, s.name));
  });
}

function tabKeys(container, onPick) {
  container.addEventListener('keydown', (e) => {
    const tabs = [...container.querySelectorAll('[role="tab"]')];
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = tabs.length - 1;
    if (j === null) return;
    e.preventDefault();
    onPick(j);
    tabs[j].focus();
  });
}

function dimensionSize(dim) {
  if (!dim) return { rows: 0, cols: 0 };
  const last = parseA1(dim.split(':').pop());
  return last ? { rows: last.row + 1, cols: last.col + 1 } : { rows: 0, cols: 0 };
}

function selectSheet(index) {
  state.sheetIndex = index;
  const sheet = currentSheet();
  [...$('sheet-tabs').children].forEach((t, i) => {
    t.setAttribute('aria-selected', String(i === index));
    t.tabIndex = i === index ? 0 : -1;
  });
  $('grid-host').setAttribute('aria-labelledby', `sheet-tab-${index}`);
  const size = dimensionSize(sheet.dimension);
  const modelId = state.model.id;
  grid.opts.load = (r0, r1, lastCol) => api
    .cells(modelId, sheet.name, `A${r0 + 1}:${columnName(Math.min(lastCol, 2000))}${r1 + 1}`)
    .then((res) => res.cells);
  grid.setSheet({ name: sheet.name, rows: Math.max(size.rows + 20, 60), cols: Math.min(16384, Math.max(size.cols + 3, 26)) });
}

function goToRef(ref) {
  const r = parseRef(ref);
  if (!r) {
    announce(`${ref} is not a cell address`);
    return false;
  }
  if (r.sheet !== null) {
    const i = state.model.summary.sheets.findIndex((s) => s.name.toLowerCase() === r.sheet.toLowerCase());
    if (i < 0) {
      announce(`No sheet ${r.sheet}`);
      return false;
    }
    if (i !== state.sheetIndex) selectSheet(i);
  }
  showView('model');
  grid.setActive(r.row, r.col, { focus: true });
  return true;
}

function markOf(key) {
  const input = state.draft.inputs.find((i) => keyOf(i.cell) === key);
  const output = state.draft.outputs.find((o) => keyOf(o.cell) === key);
  const detectedIn = state.model.summary.inputs.filter((d) => keyOf(d.cell) === key);
  const detectedOut = state.model.summary.outputs.filter((d) => keyOf(d.cell) === key);
  return { input, output, detectedIn, detectedOut };
}

function decorate(row, col) {
  const sheet = currentSheet();
  if (!sheet || !state.draft) return null;
  const mark = markOf(`${sheet.name.toUpperCase()}!${a1(row, col)}`);
  const cls = [];
  const label = [];
  if (mark.input) {
    cls.push('is-input');
    label.push(`Input ${mark.input.name}: ${describe(mark.input.distribution)}`);
  }
  if (mark.output) {
    cls.push('is-output');
    label.push(`Output ${mark.output.name}`);
  }
  if (mark.detectedIn.length) {
    cls.push('is-detected');
    label.push(`Workbook input (${mark.detectedIn.map((d) => d.function).join(', ')})`);
  }
  if (mark.detectedOut.length) {
    cls.push('is-detected');
    label.push(`Workbook output (${mark.detectedOut.map((d) => d.function).join(', ')})`);
  }
  return cls.length ? { cls, label: label.join('; ') } : null;
}

// ── The inspector: one cell, and marking it ───────────────────────────────────────────────

function onActive(row, col, entry) {
  const sheet = currentSheet();
  if (!sheet) return;
  const ref = refOf(sheet.name, row, col);
  const key = `${sheet.name.toUpperCase()}!${a1(row, col)}`;
  const same = state.selection && state.selection.key === key;
  state.selection = { row, col, entry, sheet: sheet.name, ref, key };
  if (!same) closeForms();
  renderInspector();
}

function renderInspector() {
  const sel = state.selection;
  if (!sel) return;
  $('cell-title').textContent = sel.ref;
  const e = sel.entry;
  const value = $('cell-value');
  value.textContent = '';
  if (!e || e.type === 'blank') value.append(h('span', { class: 'muted' }, 'empty'));
  else value.append(fmt.cellText(e), ' ', h('span', { class: 'muted' }, `(${e.type === 'bool' ? 'logical' : e.type})`));
  const formula = $('cell-formula');
  formula.textContent = '';
  if (e?.formula) formula.append(h('code', {}, e.formula), e.array ? h('span', { class: 'muted' }, ` (array ${e.array})`) : '');
  else formula.append(h('span', { class: 'muted' }, 'none'));
  const mark = markOf(sel.key);
  const role = $('cell-role');
  role.textContent = '';
  if (mark.input) role.append(h('span', { class: 'badge input' }, 'Input'), ` ${mark.input.name}: ${describe(mark.input.distribution)}`);
  if (mark.output) role.append(role.childNodes.length ? h('br') : '', h('span', { class: 'badge output' }, 'Output'), ` ${mark.output.name}`);
  for (const d of mark.detectedIn) {
    role.append(role.childNodes.length ? h('br') : '', h('span', { class: 'badge detected' }, 'In the workbook'),
      ` ${d.function}: sampled already${mark.input ? ' (your input replaces it)' : ''}`);
  }
  for (const d of mark.detectedOut) role.append(role.childNodes.length ? h('br') : '', h('span', { class: 'badge detected' }, 'In the workbook'), ` ${d.function}: observed already`);
  $('make-input').textContent = mark.input ? 'Edit input…' : 'Make input…';
  $('make-output').textContent = mark.output ? 'Edit output…' : 'Make output…';
  $('remove-mark').hidden = !mark.input && !mark.output;
  $('remove-mark').textContent = mark.input && mark.output ? 'Remove both marks' : 'Remove';
}

function closeForms() {
  for (const id of ['input-form', 'output-form']) $(id).hidden = true;
  $('make-input').setAttribute('aria-expanded', 'false');
  $('make-output').setAttribute('aria-expanded', 'false');
}

/** A default name: the text left of the cell (or above it), else its address. */
function suggestedName(sel) {
  for (const [r, c] of [[sel.row, sel.col - 1], [sel.row, sel.col - 2], [sel.row - 1, sel.col]]) {
    if (r < 0 || c < 0) continue;
    const e = grid.entry(r, c);
    if (e?.type === 'text' && e.value.trim() && !parseA1(e.value.trim())) return e.value.trim().replace(/:$/, '');
  }
  return sel.ref;
}

function cellNumber(sel) {
  return sel.entry?.type === 'number' ? sel.entry.value : NaN;
}

function openInputForm() {
  const sel = state.selection;
  if (!sel) return;
  closeForms();
  const existing = markOf(sel.key).input;
  $('input-name').value = existing?.name || suggestedName(sel);
  const type = existing?.distribution.type || 'triangular';
  $('input-type').value = type;
  renderParams(type, existing?.distribution);
  const d = existing?.distribution || {};
  $('input-tmin').value = d.truncate?.min ?? '';
  $('input-tmax').value = d.truncate?.max ?? '';
  $('input-shift').value = d.shift ?? '';
  $('input-save').textContent = existing ? 'Update input' : 'Add input';
  $('input-error').hidden = true;
  $('input-form').hidden = false;
  $('make-input').setAttribute('aria-expanded', 'true');
  updatePreview();
  $('input-name').focus();
  $('input-name').select();
}

function renderParams(type, from) {
  const def = definition(type);
  const values = from && from.type === type ? from : defaults(type, cellNumber(state.selection || {}));
  const box = $('input-params');
  box.textContent = '';
  for (const p of def.params) {
    const id = `param-${p.name}`;
    const v = values[p.name];
    box.append(
      h('label', { for: id }, p.label, p.kind === 'list' ? h('span', { class: 'muted' }, ' (comma-separated)') : ''),
      h('input', {
        id, name: p.name, 'data-kind': p.kind, autocomplete: 'off', required: p.kind !== 'list' || undefined,
        type: p.kind === 'list' ? 'text' : 'number', step: p.kind === 'int' ? '1' : 'any',
        value: Array.isArray(v) ? v.join(', ') : (v ?? ''),
      }),
    );
  }
}

/** The distribution the form describes, or an error message. */
function readDistribution() {
  const type = $('input-type').value;
  const d = { type };
  for (const input of $('input-params').querySelectorAll('input')) {
    const kind = input.dataset.kind;
    if (kind === 'list') {
      const list = parseList(input.value);
      if (!list) return { error: `${input.labels[0].firstChild.textContent}: write numbers separated by commas` };
      d[input.name] = list;
    } else {
      const v = input.value.trim() === '' ? NaN : Number(input.value);
      if (!Number.isFinite(v)) return { error: `${input.labels[0].textContent}: a number is needed` };
      if (kind === 'int' && !Number.isInteger(v)) return { error: `${input.labels[0].textContent}: a whole number is needed` };
      d[input.name] = v;
    }
  }
  const opt = (id) => ($(id).value.trim() === '' ? null : Number($(id).value));
  const tmin = opt('input-tmin');
  const tmax = opt('input-tmax');
  const shift = opt('input-shift');
  for (const [v, what] of [[tmin, 'Truncate below'], [tmax, 'Truncate above'], [shift, 'Shift']]) {
    if (v !== null && !Number.isFinite(v)) return { error: `${what}: a number is needed` };
  }
  if (tmin !== null || tmax !== null) {
    d.truncate = {};
    if (tmin !== null) d.truncate.min = tmin;
    if (tmax !== null) d.truncate.max = tmax;
  }
  if (shift) d.shift = shift;
  return { distribution: d };
}

let previewFrame = 0;
function updatePreview() {
  if (previewFrame) return;
  previewFrame = requestAnimationFrame(() => {
    previewFrame = 0;
    const r = readDistribution();
    const s = r.distribution ? shape(r.distribution) : null;
    preview($('input-preview'), s, r.distribution ? `Density of ${describe(r.distribution)}` : 'No preview');
  });
}

function saveInput(ev) {
  ev.preventDefault();
  const sel = state.selection;
  const name = $('input-name').value.trim();
  const err = (msg) => {
    $('input-error').textContent = msg;
    $('input-error').hidden = false;
  };
  if (!name) return err('Give the input a name.');
  const r = readDistribution();
  if (r.error) return err(r.error);
  const clash = state.draft.inputs.find((i) => i.name.toLowerCase() === name.toLowerCase() && keyOf(i.cell) !== sel.key);
  if (clash) return err(`Another input (${clash.cell}) is named ${clash.name}: names must be unique.`);
  const input = { cell: sel.ref, name, distribution: r.distribution };
  const i = state.draft.inputs.findIndex((x) => keyOf(x.cell) === sel.key);
  if (i >= 0) {
    const old = state.draft.inputs[i].name;
    state.draft.inputs[i] = input;
    for (const c of state.draft.correlations) {
      if (c.a === old) c.a = name;
      if (c.b === old) c.b = name;
    }
  } else state.draft.inputs.push(input);
  saveDraft();
  closeForms();
  grid.repaint();
  renderInspector();
  renderSetup();
  announce(`${sel.ref} is the input ${name}: ${describe(r.distribution)}`);
  grid.focus();
  return undefined;
}

function openOutputForm() {
  const sel = state.selection;
  if (!sel) return;
  closeForms();
  const existing = markOf(sel.key).output;
  $('output-name').value = existing?.name || suggestedName(sel);
  $('output-targets').value = (existing?.targets || []).join(', ');
  $('output-save').textContent = existing ? 'Update output' : 'Add output';
  $('output-error').hidden = true;
  $('output-form').hidden = false;
  $('make-output').setAttribute('aria-expanded', 'true');
  $('output-name').focus();
  $('output-name').select();
}

function saveOutput(ev) {
  ev.preventDefault();
  const sel = state.selection;
  const name = $('output-name').value.trim();
  const targets = parseList($('output-targets').value);
  const err = (msg) => {
    $('output-error').textContent = msg;
    $('output-error').hidden = false;
  };
  if (!name) return err('Give the output a name.');
  if (!targets) return err('Targets: write numbers separated by commas.');
  const output = { cell: sel.ref, name, targets };
  const i = state.draft.outputs.findIndex((x) => keyOf(x.cell) === sel.key);
  if (i >= 0) state.draft.outputs[i] = output;
  else state.draft.outputs.push(output);
  saveDraft();
  closeForms();
  grid.repaint();
  renderInspector();
  renderSetup();
  announce(`${sel.ref} is the output ${name}`);
  grid.focus();
  return undefined;
}

function removeMarks(key) {
  state.draft.inputs = state.draft.inputs.filter((i) => keyOf(i.cell) !== key);
  state.draft.outputs = state.draft.outputs.filter((o) => keyOf(o.cell) !== key);
  saveDraft();
  grid.repaint();
  renderInspector();
  renderSetup();
}

// ── The simulation setup ──────────────────────────────────────────────────────────────────

/** Names an input can be correlated by: the spec's inputs and the workbook's functions. */
function inputNames() {
  const names = state.draft.inputs.map((i) => i.name);
  const seen = new Map();
  for (const d of state.model.summary.inputs) {
    const n = (seen.get(d.cell) || 0) + 1;
    seen.set(d.cell, n);
    const taken = state.draft.inputs.some((i) => keyOf(i.cell) === keyOf(d.cell));
    if (!taken) names.push(n > 1 ? `${d.cell}#${n}` : d.cell);
  }
  return names;
}

function renderSetup() {
  const d = state.draft;
  const ib = $('inputs-body');
  ib.textContent = '';
  d.inputs.forEach((inp, i) => {
    ib.append(h('tr', { dataset: { index: i } },
      h('td', {}, inp.name),
      h('td', {}, cellLink(inp.cell)),
      h('td', { class: 'dist' }, describe(inp.distribution)),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'link', 'aria-label': `Edit input ${inp.name}`, onclick: () => { if (goToRef(inp.cell)) openInputForm(); } }, 'Edit'),
        h('button', { type: 'button', class: 'link', 'aria-label': `Remove input ${inp.name}`, onclick: () => removeMarks(keyOf(inp.cell)) }, 'Remove'))));
  });
  for (const det of state.model.summary.inputs) {
    if (d.inputs.some((i) => keyOf(i.cell) === keyOf(det.cell))) continue;
    ib.append(h('tr', { class: 'detected' }, h('td', {}, h('span', { class: 'muted' }, 'workbook')), h('td', {}, cellLink(det.cell)), h('td', {}, det.function), h('td')));
  }
  if (!ib.children.length) ib.append(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'None yet: pick a cell and choose “Make input…”.')));

  const ob = $('outputs-body');
  ob.textContent = '';
  d.outputs.forEach((out, i) => {
    ob.append(h('tr', { dataset: { index: i } },
      h('td', {}, out.name),
      h('td', {}, cellLink(out.cell)),
      h('td', {}, out.targets.length ? out.targets.join(', ') : '—'),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'link', 'aria-label': `Edit output ${out.name}`, onclick: () => { if (goToRef(out.cell)) openOutputForm(); } }, 'Edit'),
        h('button', { type: 'button', class: 'link', 'aria-label': `Remove output ${out.name}`, onclick: () => removeMarks(keyOf(out.cell)) }, 'Remove'))));
  });
  for (const det of state.model.summary.outputs) {
    if (d.outputs.some((o) => keyOf(o.cell) === keyOf(det.cell))) continue;
    ob.append(h('tr', { class: 'detected' }, h('td', {}, h('span', { class: 'muted' }, 'workbook')), h('td', {}, cellLink(det.cell)), h('td', {}, det.function), h('td')));
  }
  if (!ob.children.length) ob.append(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'None yet: pick a cell and choose “Make output…”.')));

  $('iterations').value = d.iterations;
  $('seed').value = d.seed;
  $('sampling').value = d.sampling;
  $('bins').value = d.histogram_bins;
  renderCorrelations();
}

function renderCorrelations() {
  const box = $('correlations');
  box.textContent = '';
  const names = inputNames();
  state.draft.correlations.forEach((c, i) => {
    const select = (which, label) => {
      const s = h('select', { id: `corr-${i}-${which}`, 'aria-label': `Correlation ${i + 1}: ${label}` },
        names.map((n) => h('option', { value: n }, n)));
      if (!names.includes(c[which]) && c[which]) s.append(h('option', { value: c[which] }, c[which]));
      s.value = c[which] || '';
      s.title = s.value;
      s.addEventListener('change', () => {
        c[which] = s.value;
        s.title = s.value;
        saveDraft();
      });
      return s;
    };
    const rank = h('input', { id: `corr-${i}-rank`, type: 'number', min: -1, max: 1, step: 0.05, value: c.rank, 'aria-label': `Correlation ${i + 1}: rank correlation (−1 to 1)` });
    rank.addEventListener('input', () => {
      c.rank = Number(rank.value);
      saveDraft();
    });
    box.append(h('div', { class: 'correlation' }, select('a', 'first input'), h('span', { 'aria-hidden': 'true' }, '↔'), select('b', 'second input'), rank,
      h('button', { type: 'button', class: 'link', 'aria-label': `Remove correlation ${i + 1}`, onclick: () => {
        state.draft.correlations.splice(i, 1);
        saveDraft();
        renderCorrelations();
      } }, 'Remove')));
  });
  $('add-correlation').disabled = names.length < 2;
  $('add-correlation').title = names.length < 2 ? 'Mark at least two inputs first' : '';
}

function readSettings() {
  const d = state.draft;
  const int = (id, min, max, what) => {
    const v = Number($(id).value);
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${what} must be a whole number from ${fmt.count(min)} to ${fmt.count(max)}.`);
    return v;
  };
  d.iterations = int('iterations', 1, 100_000_000, 'Iterations');
  d.seed = int('seed', 0, Number.MAX_SAFE_INTEGER, 'The seed');
  d.sampling = $('sampling').value;
  d.histogram_bins = int('bins', 1, 10_000, 'Histogram bins');
  for (const [i, c] of d.correlations.entries()) {
    if (!c.a || !c.b || c.a === c.b) throw new Error(`Correlation ${i + 1}: pick two different inputs.`);
    if (!(c.rank >= -1 && c.rank <= 1)) throw new Error(`Correlation ${i + 1}: the rank correlation must be between −1 and 1.`);
  }
  saveDraft();
}

/** A 422's field in the user's words: `inputs[1].distribution` → `Input Price (Inputs!B5)`. */
function fieldLabel(field) {
  const m = /^(inputs|outputs)\[(\d+)\]/.exec(field || '');
  if (m) {
    const item = state.draft[m[1]][Number(m[2])];
    if (item) return `${m[1] === 'inputs' ? 'Input' : 'Output'} ${item.name} (${item.cell})`;
  }
  const c = /^correlations\[(\d+)\]/.exec(field || '');
  if (c) return `Correlation ${Number(c[1]) + 1}`;
  return field;
}

async function run(ev) {
  ev.preventDefault();
  const err = $('run-error');
  err.hidden = true;
  document.querySelectorAll('#setup tr.error').forEach((r) => r.classList.remove('error'));
  try {
    if (!state.draft.inputs.length && !state.model.summary.inputs.length) {
      throw new Error('Mark at least one input: pick a cell on the grid and choose “Make input…”.');
    }
    if (!state.draft.outputs.length && !state.model.summary.outputs.length) {
      throw new Error('Mark at least one output: pick a cell on the grid (the result you care about) and choose “Make output…”.');
    }
    readSettings();
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
    return;
  }
  const d = state.draft;
  const body = {
    model_id: state.model.id,
    inputs: d.inputs.map((i) => ({ cell: i.cell, name: i.name, distribution: i.distribution })),
    outputs: d.outputs.map((o) => ({ cell: o.cell, name: o.name, targets: o.targets })),
    iterations: d.iterations,
    seed: d.seed,
    sampling: d.sampling,
    histogram_bins: d.histogram_bins,
    correlations: d.correlations.map((c) => ({ inputs: [c.a, c.b], rank: c.rank })),
  };
  if (d.percentiles?.length) body.percentiles = d.percentiles;
  $('run').disabled = true;
  try {
    const sim = await api.submit(body);
    state.sim = sim;
    state.simId = sim.id;
    state.outputIndex = 0;
    announce('Simulation submitted');
    location.hash = `#/results/${sim.id}`;
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) {
      const field = e.field;
      const msg = e.problem.errors?.[0]?.message || e.problem.detail || e.message;
      err.textContent = field ? `${fieldLabel(field)}: ${msg}` : msg;
      err.hidden = false;
      const m = /^(inputs|outputs)\[(\d+)\]/.exec(field || '');
      if (m) $(`${m[1]}-body`).querySelector(`tr[data-index="${m[2]}"]`)?.classList.add('error');
      err.focus?.();
    } else showError(e, 'The simulation was not submitted');
  } finally {
    $('run').disabled = false;
  }
}

// ── Results ───────────────────────────────────────────────────────────────────────────────

function stopPolling() {
  clearTimeout(state.pollTimer);
  state.pollTimer = 0;
}

function renderResultsEmpty() {
  $('results-empty').hidden = false;
  for (const id of ['run-panel', 'failure', 'results', 'edit-setup']) $(id).hidden = true;
  $('results-facts').textContent = '';
}

async function openSimulation(id) {
  stopPolling();
  if (state.simId !== id) state.outputIndex = 0;
  state.simId = id;
  updateNav();
  $('results-empty').hidden = true;
  try {
    const sim = await api.simulation(id);
    if (state.simId !== id) return;
    await renderSimulation(sim);
  } catch (e) {
    showError(e, 'The simulation cannot be read');
  }
}

const modelLookups = new Map();
async function modelName(id) {
  if (state.models.has(id)) return state.models.get(id).filename;
  if (!modelLookups.has(id)) {
    modelLookups.set(id, api.model(id).catch(() => ({ id, filename: id.slice(0, 8) })).then((m) => {
      state.models.set(id, m);
      return m;
    }));
  }
  return (await modelLookups.get(id)).filename;
}

async function renderSimulation(sim) {
  state.sim = sim;
  $('results').dataset.simulationId = sim.id;
  $('view-results').dataset.status = sim.status;
  const spec = sim.spec || {};
  const name = await modelName(sim.model_id);
  $('results-facts').textContent = `${name} · submitted ${fmt.when(sim.created_at)} · ${fmt.count(sim.progress.iterations_total)} iterations · ${
    (spec.sampling || 'lhs') === 'mc' ? 'Monte Carlo' : 'Latin Hypercube'} · seed ${spec.seed ?? 1}`;
  $('edit-setup').hidden = false;
  const running = sim.status === 'queued' || sim.status === 'running';
  $('run-panel').hidden = !running;
  $('failure').hidden = !(sim.status === 'failed' || sim.status === 'canceled');
  $('results').hidden = sim.status !== 'succeeded';
  if (running) {
    const p = sim.progress;
    $('run-progress').value = p.fraction || 0;
    $('run-title').textContent = sim.status === 'queued' ? 'Queued' : 'Running';
    let text = sim.status === 'queued'
      ? 'Waiting for a worker…'
      : `${fmt.count(p.iterations_done)} of ${fmt.count(p.iterations_total)} iterations (${fmt.pct(p.fraction || 0, 0)})`;
    if (sim.attempt > 1) text += ` · attempt ${sim.attempt} of ${sim.max_attempts}`;
    if (sim.error) text += ` · the last attempt failed: ${sim.error.detail || sim.error.title}`;
    if (sim.cancel_requested) text += ' · canceling…';
    $('run-status').textContent = text;
    $('cancel').disabled = sim.cancel_requested;
    state.pollTimer = setTimeout(() => poll(sim.id), 500);
    return;
  }
  if (sim.status === 'failed') {
    $('failure-title').textContent = 'The simulation failed';
    $('failure-text').textContent = sim.error ? `${sim.error.title}: ${sim.error.detail || ''}` : 'No reason was given.';
  } else if (sim.status === 'canceled') {
    $('failure-title').textContent = 'The simulation was canceled';
    $('failure-text').textContent = `It stopped after ${fmt.count(sim.progress.iterations_done)} of ${fmt.count(sim.progress.iterations_total)} iterations.`;
  } else if (sim.status === 'succeeded') {
    renderResults(sim);
  }
}

async function poll(id) {
  if (state.simId !== id) return;
  try {
    const sim = await api.simulation(id);
    if (state.simId !== id || $('view-results').hidden) return;
    const wasRunning = state.sim?.status !== sim.status;
    await renderSimulation(sim);
    if (wasRunning && sim.status !== 'running' && sim.status !== 'queued') {
      announce(`The simulation ${sim.status}`);
    }
  } catch (e) {
    showError(e, 'Progress cannot be read');
    state.pollTimer = setTimeout(() => poll(id), 2000);
  }
}

async function cancel() {
  if (!state.simId) return;
  $('cancel').disabled = true;
  try {
    const sim = await api.cancel(state.simId);
    stopPolling();
    await renderSimulation(sim);
  } catch (e) {
    $('cancel').disabled = false;
    showError(e, 'The simulation cannot be canceled');
  }
}

function renderResults(sim) {
  const outputs = sim.results?.outputs || [];
  if (state.outputIndex >= outputs.length) state.outputIndex = 0;
  const tabs = $('output-tabs');
  tabs.textContent = '';
  outputs.forEach((o, i) => {
    tabs.append(h('button', {
      type: 'button', role: 'tab', id: `output-tab-${i}`, 'aria-controls': 'output-panel',
      'aria-selected': String(i === state.outputIndex), tabindex: i === state.outputIndex ? '0' : '-1',
      onclick: () => selectOutput(i),
    }, o.name, h('span', { class: 'muted' }, ` ${o.cell}`)));
  });
  tabs.hidden = outputs.length < 2;
  if (outputs.length) selectOutput(state.outputIndex);
}

function selectOutput(i) {
  state.outputIndex = i;
  const sim = state.sim;
  const o = sim.results.outputs[i];
  [...$('output-tabs').children].forEach((t, j) => {
    t.setAttribute('aria-selected', String(j === i));
    t.tabIndex = j === i ? 0 : -1;
  });
  $('output-panel').setAttribute('aria-labelledby', `output-tab-${i}`);
  $('output-panel').dataset.output = o.name;
  $('hist-title').textContent = `Distribution of ${o.name}`;
  renderStats(sim, o);
  renderTornado(o);
  renderRisk(o);
  const pcts = o.percentiles || [];
  const p5 = pcts.find((p) => p.p === 5)?.value;
  const p95 = pcts.find((p) => p.p === 95)?.value;
  const lo = o.histogram?.edges?.[0];
  const hi = o.histogram?.edges?.[o.histogram.edges.length - 1];
  state.certainty = { a: Number.isFinite(p5) ? p5 : lo, b: Number.isFinite(p95) ? p95 : hi };
  updateCertainty();
  const key = `${sim.id}:${i}`;
  const n = sim.results.iterations || 0;
  if (!state.samples.has(key) && n <= 2_000_000) {
    state.samples.set(key, api.samples(sim.id, i).then((all) => {
      const finite = Float64Array.from(all.filter((v) => Number.isFinite(v)));
      finite.sort();
      return finite;
    }).catch(() => null));
  }
  state.samples.get(key)?.then(() => {
    if (state.sim?.id === sim.id && state.outputIndex === i) updateCertainty();
  });
}

function renderStats(sim, o) {
  const body = $('stats-body');
  body.textContent = '';
  const row = (key, label, v, text = fmt.num(v)) => body.append(h('tr', { dataset: { stat: key } },
    h('th', { scope: 'row' }, label), h('td', { dataset: { value: v ?? '' } }, text)));
  row('mean', 'Mean', o.mean);
  row('std', 'Standard deviation', o.std);
  row('min', 'Minimum', o.min);
  row('max', 'Maximum', o.max);
  row('skewness', 'Skewness', o.skewness);
  row('kurtosis', 'Excess kurtosis', o.kurtosis);
  row('std_error', 'Standard error of the mean', o.std_error);
  if (Array.isArray(o.mean_ci95)) row('mean_ci95', '95% interval of the mean', o.mean_ci95[0], `${fmt.num(o.mean_ci95[0])} to ${fmt.num(o.mean_ci95[1])}`);
  row('iterations', 'Iterations', sim.results.iterations, fmt.count(sim.results.iterations));
  const errs = o.errors?.count || 0;
  const kinds = Object.entries(o.errors?.by_kind || {}).map(([k, n]) => `${k} ${n}`).join(', ');
  row('errors', 'Iterations with an error', errs, errs ? `${fmt.count(errs)} (${kinds})` : '0');
  const pb = $('pct-body');
  pb.textContent = '';
  for (const p of o.percentiles || []) {
    pb.append(h('tr', { dataset: { p: p.p } }, h('th', { scope: 'row' }, `${p.p}%`), h('td', { dataset: { value: p.value ?? '' } }, fmt.num(p.value))));
  }
}

function renderTornado(o) {
  tornado($('tornado'), o);
  const body = $('sens-body');
  body.textContent = '';
  for (const s of o.sensitivity || []) {
    body.append(h('tr', {}, h('th', { scope: 'row' }, s.input), h('td', {}, s.cell), h('td', {}, fmt.num(s.rank_correlation)), h('td', {}, fmt.pct(s.contribution))));
  }
}

function renderRisk(o) {
  const body = $('risk-body');
  body.textContent = '';
  const row = (label, text) => body.append(h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, text)));
  for (const t of o.targets || []) {
    row(`P(${o.name} ≤ ${fmt.num(t.value)})`, fmt.pct(t.p_le));
    row(`P(${o.name} ≥ ${fmt.num(t.value)})`, fmt.pct(t.p_ge));
  }
  for (const v of o.value_at_risk || []) {
    const tail = v.tail === 'lower' ? 'lower' : 'upper';
    row(`Value at risk, ${tail} tail ${fmt.pct(v.level, 0)}`, fmt.num(v.var));
    row(`Expected shortfall, ${tail} tail ${fmt.pct(v.level, 0)}`, fmt.num(v.cvar));
  }
  if (!body.children.length) row('—', 'none');
}

// ── Certainty: P(A ≤ X ≤ B) ───────────────────────────────────────────────────────────────

function lowerBound(s, x) {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (s[m] < x) lo = m + 1; else hi = m;
  }
  return lo;
}

function upperBound(s, x) {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (s[m] <= x) lo = m + 1; else hi = m;
  }
  return lo;
}

/** {between, below, above, exact} for A ≤ X ≤ B, from the samples or from the histogram. */
function certainty(o, sorted, a, b) {
  if (sorted && sorted.length) {
    const n = sorted.length;
    const lt = lowerBound(sorted, a);
    const le = upperBound(sorted, b);
    return { between: Math.max(0, le - lt) / n, below: lt / n, above: (n - le) / n, exact: true, n };
  }
  const edges = o.histogram?.edges || [];
  const counts = o.histogram?.counts || [];
  const total = counts.reduce((s, c) => s + c, 0);
  if (!total) return null;
  const cdf = (x) => {
    let acc = 0;
    for (let i = 0; i < counts.length; i += 1) {
      if (x >= edges[i + 1]) acc += counts[i];
      else if (x > edges[i]) acc += (counts[i] * (x - edges[i])) / (edges[i + 1] - edges[i]);
    }
    return acc / total;
  };
  const fa = cdf(a);
  const fb = cdf(b);
  return { between: Math.max(0, fb - fa), below: fa, above: 1 - fb, exact: false, n: total };
}

async function updateCertainty() {
  const sim = state.sim;
  const o = sim?.results?.outputs?.[state.outputIndex];
  if (!o) return;
  const lo = o.min;
  const hi = o.max;
  const { a, b } = state.certainty;
  const span = hi - lo || 1;
  const toSlider = (v) => Math.round(((Math.min(hi, Math.max(lo, v)) - lo) / span) * 1000);
  $('cert-a-range').value = toSlider(a);
  $('cert-b-range').value = toSlider(b);
  if (document.activeElement !== $('cert-a')) $('cert-a').value = fmt.round(a, 6);
  if (document.activeElement !== $('cert-b')) $('cert-b').value = fmt.round(b, 6);
  histogram($('histogram'), o, { a, b });
  const key = `${sim.id}:${state.outputIndex}`;
  const pending = state.samples.get(key);
  let sorted = null;
  if (pending) {
    // Use the samples when they have arrived; the histogram meanwhile.
    sorted = await Promise.race([pending, new Promise((r) => { setTimeout(() => r(null), 0); })]);
  }
  const c = certainty(o, sorted, a, b);
  const out = $('cert-result');
  if (!c) {
    out.textContent = 'No numeric iterations.';
    return;
  }
  out.dataset.p = String(c.between);
  out.dataset.a = String(a);
  out.dataset.b = String(b);
  out.textContent = '';
  out.append(h('strong', {}, `P(${fmt.num(a)} ≤ ${o.name} ≤ ${fmt.num(b)}) = ${fmt.pct(c.between)}`),
    h('span', { class: 'muted' }, ` · below ${fmt.pct(c.below)} · above ${fmt.pct(c.above)}`));
  $('cert-source').textContent = c.exact
    ? `Counted over the ${fmt.count(c.n)} numeric iterations.`
    : 'Estimated from the histogram (the samples are not loaded).';
  $('cert-source').dataset.exact = String(c.exact);
}

function setupCertainty() {
  const fromRange = (id) => {
    const o = state.sim?.results?.outputs?.[state.outputIndex];
    if (!o) return NaN;
    return o.min + (Number($(id).value) / 1000) * (o.max - o.min);
  };
  $('cert-a-range').addEventListener('input', () => {
    state.certainty.a = fromRange('cert-a-range');
    // The two ends never cross: moving one past the other pushes it along.
    state.certainty.b = Math.max(state.certainty.b, state.certainty.a);
    updateCertainty();
  });
  $('cert-b-range').addEventListener('input', () => {
    state.certainty.b = fromRange('cert-b-range');
    state.certainty.a = Math.min(state.certainty.a, state.certainty.b);
    updateCertainty();
  });
  for (const [id, k] of [['cert-a', 'a'], ['cert-b', 'b']]) {
    $(id).addEventListener('input', () => {
      const v = Number($(id).value);
      if ($(id).value.trim() !== '' && Number.isFinite(v)) {
        state.certainty[k] = v;
        updateCertainty();
      }
    });
  }
}

// ── History ───────────────────────────────────────────────────────────────────────────────

let historyCursor = null;
async function loadHistory(reset) {
  if (reset) {
    historyCursor = null;
    $('history-body').textContent = '';
  }
  try {
    const page = await api.simulations(historyCursor, $('history-status').value || null, 20);
    for (const s of page.items) {
      const outs = (s.spec?.outputs || []).map((o) => o.name || o.cell).join(', ') || 'workbook markers';
      const status = s.status === 'running' ? `running ${fmt.pct(s.progress.fraction || 0, 0)}` : s.status;
      const nameCell = h('td', {}, s.model_id.slice(0, 8));
      $('history-body').append(h('tr', { dataset: { id: s.id } },
        h('td', {}, fmt.when(s.created_at)),
        nameCell,
        h('td', {}, outs),
        h('td', { class: 'num' }, fmt.count(s.progress.iterations_total)),
        h('td', {}, h('span', { class: `badge status-${s.status}` }, status)),
        h('td', {}, h('a', { href: `#/results/${s.id}`, 'aria-label': `Open the simulation of ${fmt.when(s.created_at)}` }, 'Open'))));
      modelName(s.model_id).then((n) => { nameCell.textContent = n; });
    }
    historyCursor = page.next_cursor || null;
    $('history-more').hidden = !historyCursor;
    $('history-empty').hidden = $('history-body').children.length > 0;
  } catch (e) {
    showError(e, 'The history cannot be read');
  }
}

// ── API key ───────────────────────────────────────────────────────────────────────────────

let keyResolve = null;
function openKeyDialog(reason) {
  $('key-reason').textContent = reason || 'Enter the API key this server gave you.';
  $('key-input').value = apiKey();
  $('key-forget').hidden = !apiKey();
  const dialog = $('key-dialog');
  if (!dialog.open) dialog.showModal();
  $('key-input').focus();
  return new Promise((resolve) => {
    keyResolve = resolve;
  });
}

function setupKeyDialog() {
  const dialog = $('key-dialog');
  dialog.addEventListener('close', () => {
    const action = dialog.returnValue;
    let result = null;
    if (action === 'save' && $('key-input').value.trim()) {
      setApiKey($('key-input').value.trim());
      result = apiKey() || $('key-input').value.trim();
    } else if (action === 'forget') {
      setApiKey('');
    }
    dialog.returnValue = '';
    const r = keyResolve;
    keyResolve = null;
    r?.(result);
  });
  setKeyPrompt((reason) => openKeyDialog(reason));
  const label = (has) => {
    $('key-button').textContent = has ? 'API key ✓' : 'API key';
    $('key-button').setAttribute('aria-label', has ? 'API key (set): change or forget it' : 'API key: enter one');
  };
  label(Boolean(apiKey()));
  onKeyChange(label);
  $('key-button').addEventListener('click', async () => {
    const key = await openKeyDialog('Enter the API key this server gave you, or forget the one kept here.');
    if (key) {
      if (!$('view-history').hidden) loadHistory(true);
      if (!state.model) loadRecent(true);
    }
  });
}

// ── Start ─────────────────────────────────────────────────────────────────────────────────

function start() {
  for (const d of DISTRIBUTIONS) $('input-type').append(h('option', { value: d.type }, d.label));
  grid = new Grid($('grid-host'), { load: async () => [], onActive, onActivate: () => $('make-input').focus(), decorate });
  $('grid-host').addEventListener('griderror', (e) => showError(e.detail, 'The cells cannot be read'));
  tabKeys($('sheet-tabs'), (i) => selectSheet(i));
  tabKeys($('output-tabs'), (i) => selectOutput(i));
  setupUpload();
  setupKeyDialog();
  setupCertainty();

  $('notice-close').addEventListener('click', clearNotice);
  $('recent-more').addEventListener('click', () => loadRecent(false));
  $('goto-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (goToRef($('goto').value)) $('goto').value = '';
  });
  $('make-input').addEventListener('click', openInputForm);
  $('make-output').addEventListener('click', openOutputForm);
  $('remove-mark').addEventListener('click', () => {
    removeMarks(state.selection.key);
    grid.focus();
  });
  $('input-type').addEventListener('change', () => {
    renderParams($('input-type').value, null);
    updatePreview();
  });
  $('input-form').addEventListener('input', updatePreview);
  $('input-form').addEventListener('submit', saveInput);
  $('output-form').addEventListener('submit', saveOutput);
  for (const b of document.querySelectorAll('[data-close-form]')) {
    b.addEventListener('click', () => {
      closeForms();
      grid.focus();
    });
  }
  for (const f of ['input-form', 'output-form']) {
    $(f).addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        closeForms();
        grid.focus();
      }
    });
  }
  for (const id of ['iterations', 'seed', 'sampling', 'bins']) {
    $(id).addEventListener('change', () => {
      try {
        readSettings();
        $('run-error').hidden = true;
      } catch (e) {
        $('run-error').textContent = e.message;
        $('run-error').hidden = false;
      }
    });
  }
  $('add-correlation').addEventListener('click', () => {
    const names = inputNames();
    state.draft.correlations.push({ a: names[0], b: names[1], rank: 0.5 });
    saveDraft();
    renderCorrelations();
    $(`corr-${state.draft.correlations.length - 1}-a`)?.focus();
  });
  $('run-form').addEventListener('submit', run);
  $('cancel').addEventListener('click', cancel);
  $('edit-setup').addEventListener('click', async () => {
    const sim = state.sim;
    if (!sim) return;
    try {
      if (state.model?.id !== sim.model_id) setModel(await api.model(sim.model_id));
      state.draft = draftFromSpec(sim.spec || {});
      saveDraft();
      renderSetup();
      grid.repaint();
      location.hash = `#/model/${sim.model_id}`;
    } catch (e) {
      showError(e, 'The model of this simulation cannot be opened');
    }
  });
  $('download-json').addEventListener('click', () => {
    const sim = state.sim;
    saveBlob(new Blob([JSON.stringify(sim, null, 2)], { type: 'application/json' }), `simulation-${sim.id}.json`);
  });
  $('download-csv').addEventListener('click', async () => {
    const sim = state.sim;
    const o = sim.results.outputs[state.outputIndex];
    try {
      const blob = await api.samplesCsv(sim.id, state.outputIndex);
      saveBlob(blob, `simulation-${sim.id}-${o.name.replace(/[^\w.-]+/g, '_')}.csv`);
    } catch (e) {
      showError(e, 'The samples cannot be downloaded');
    }
  });
  $('history-refresh').addEventListener('click', () => loadHistory(true));
  $('history-status').addEventListener('change', () => loadHistory(true));
  $('history-more').addEventListener('click', () => loadHistory(false));

  window.addEventListener('hashchange', route);
  route().then(() => {
    if (!state.model) loadRecent(true);
  });
  document.documentElement.dataset.ready = 'true';
}

start();

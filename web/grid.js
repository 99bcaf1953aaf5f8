// A virtualised spreadsheet grid: only the rows and columns in view exist in the DOM, and cell
// contents are fetched in blocks of rows as they come into view, so a sheet of 10,000 rows
// scrolls as fast as one of ten.
//
// ARIA grid with a roving tabindex: the active cell is the one Tab reaches; arrow keys, Home,
// End, Page Up/Down and Ctrl+Home/End move it; Enter activates it.

import { cellText } from './format.js';

const ROW_H = 24;
const HEAD_W = 52;
const COL_W = 96;
const BLOCK_ROWS = 100;
const OVERSCAN = 4;

export function columnName(col) {
  let n = col + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

export function a1(row, col) {
  return `${columnName(col)}${row + 1}`;
}

/** `B7` → {row: 6, col: 1}, or null. */
export function parseA1(text) {
  const m = /^\$?([A-Za-z]{1,3})\$?([1-9][0-9]*)$/.exec(String(text).trim());
  if (!m) return null;
  let col = 0;
  for (const ch of m[1].toUpperCase()) col = col * 26 + (ch.charCodeAt(0) - 64);
  return { row: Number(m[2]) - 1, col: col - 1 };
}

let gridSeq = 0;

export class Grid {
  /**
   * @param {HTMLElement} host
   * @param {object} opts
   *   load(r0, r1, lastCol) → Promise<cells[]>: the non-empty cells of rows r0..r1;
   *   onActive(row, col, entry): the active cell changed;
   *   onActivate(row, col, entry): Enter or double click on a cell;
   *   decorate(row, col, entry) → {cls: string[], label: string} | null.
   */
  constructor(host, opts) {
    this.opts = opts;
    this.id = `grid${(gridSeq += 1)}`;
    this.host = host;
    this.scroller = document.createElement('div');
    this.scroller.className = 'grid';
    this.scroller.setAttribute('role', 'grid');
    this.scroller.setAttribute('aria-readonly', 'true');
    this.canvas = document.createElement('div');
    this.canvas.className = 'grid-canvas';
    this.head = document.createElement('div');
    this.head.className = 'grid-head';
    this.head.setAttribute('role', 'row');
    this.head.setAttribute('aria-rowindex', '1');
    this.corner = document.createElement('div');
    this.corner.className = 'grid-corner';
    this.corner.setAttribute('role', 'columnheader');
    this.corner.setAttribute('aria-colindex', '1');
    this.head.appendChild(this.corner);
    this.canvas.appendChild(this.head);
    this.scroller.appendChild(this.canvas);
    host.textContent = '';
    host.appendChild(this.scroller);

    this.rowEls = new Map(); // row → {el, cells: Map(col → el)}
    this.headEls = new Map(); // col → el
    this.data = new Map(); // row → Map(col → entry)
    this.blocks = new Map(); // block → 'pending' | 'done'
    this.active = { row: 0, col: 0 };
    this.rows = 1;
    this.cols = 1;
    this.colW = [];
    this.colLeft = [0];
    this.generation = 0;
    this.frame = 0;

    this.scroller.addEventListener('scroll', () => this.schedule());
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('click', (e) => {
      const cell = e.target.closest('[data-row]');
      if (cell) this.setActive(Number(cell.dataset.row), Number(cell.dataset.col), { focus: true });
    });
    this.scroller.addEventListener('dblclick', (e) => {
      const cell = e.target.closest('[data-row]');
      if (cell) this.activate();
    });
    this.scroller.addEventListener('focusin', (e) => {
      const cell = e.target.closest('[data-row]');
      if (cell && (Number(cell.dataset.row) !== this.active.row || Number(cell.dataset.col) !== this.active.col)) {
        this.setActive(Number(cell.dataset.row), Number(cell.dataset.col), { focus: false });
      }
    });
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  /** Shows a sheet of `rows` × `cols` (name for the label). */
  setSheet({ name, rows, cols }) {
    this.generation += 1;
    this.name = name;
    this.rows = Math.max(1, rows);
    this.cols = Math.max(1, cols);
    this.data.clear();
    this.blocks.clear();
    this.widthsSet = false;
    this.colW = new Array(this.cols).fill(COL_W);
    this.layoutColumns();
    for (const r of this.rowEls.values()) r.el.remove();
    this.rowEls.clear();
    for (const h of this.headEls.values()) h.remove();
    this.headEls.clear();
    this.active = { row: 0, col: 0 };
    this.scroller.setAttribute('aria-label', `Sheet ${name}`);
    this.scroller.setAttribute('aria-rowcount', String(this.rows + 1));
    this.scroller.setAttribute('aria-colcount', String(this.cols + 1));
    this.scroller.scrollTop = 0;
    this.scroller.scrollLeft = 0;
    this.render();
    this.opts.onActive?.(0, 0, this.entry(0, 0));
  }

  layoutColumns() {
    this.colLeft = [0];
    for (let c = 0; c < this.cols; c += 1) this.colLeft.push(this.colLeft[c] + this.colW[c]);
    const width = HEAD_W + this.colLeft[this.cols];
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${(this.rows + 1) * ROW_H}px`;
    this.head.style.width = `${width}px`;
  }

  entry(row, col) {
    return this.data.get(row)?.get(col) || null;
  }

  /** Re-applies decorations (after inputs or outputs changed). */
  repaint() {
    for (const [r, row] of this.rowEls) {
      for (const [c, el] of row.cells) this.paint(el, r, c);
    }
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  window() {
    const top = this.scroller.scrollTop;
    const h = this.scroller.clientHeight || 400;
    const left = this.scroller.scrollLeft;
    const w = this.scroller.clientWidth || 800;
    const r0 = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const r1 = Math.min(this.rows - 1, Math.ceil((top + h) / ROW_H) + OVERSCAN);
    // First column whose right edge is past `left`.
    let lo = 0;
    let hi = this.cols - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.colLeft[mid + 1] <= left) lo = mid + 1; else hi = mid;
    }
    const c0 = Math.max(0, lo - 1);
    let c1 = lo;
    while (c1 < this.cols - 1 && this.colLeft[c1] < left + w - HEAD_W) c1 += 1;
    return { r0, r1, c0, c1: Math.min(this.cols - 1, c1 + 1) };
  }

  render() {
    if (!this.name) return;
    const { r0, r1, c0, c1 } = this.window();
    const wantRows = new Set();
    for (let r = r0; r <= r1; r += 1) wantRows.add(r);
    wantRows.add(this.active.row);
    for (const [r, row] of this.rowEls) {
      if (!wantRows.has(r)) {
        row.el.remove();
        this.rowEls.delete(r);
      }
    }
    for (const r of wantRows) {
      let row = this.rowEls.get(r);
      if (!row) {
        const el = document.createElement('div');
        el.className = 'grid-row';
        el.setAttribute('role', 'row');
        el.setAttribute('aria-rowindex', String(r + 2));
        el.style.top = `${(r + 1) * ROW_H}px`;
        el.style.width = `${HEAD_W + this.colLeft[this.cols]}px`;
        const rh = document.createElement('div');
        rh.className = 'grid-rowhead';
        rh.setAttribute('role', 'rowheader');
        rh.setAttribute('aria-colindex', '1');
        rh.textContent = String(r + 1);
        el.appendChild(rh);
        row = { el, cells: new Map() };
        this.rowEls.set(r, row);
        this.canvas.appendChild(el);
      }
      const wantCols = new Set();
      for (let c = c0; c <= c1; c += 1) wantCols.add(c);
      if (r === this.active.row) wantCols.add(this.active.col);
      for (const [c, el] of row.cells) {
        if (!wantCols.has(c)) {
          el.remove();
          row.cells.delete(c);
        }
      }
      for (const c of wantCols) {
        if (row.cells.has(c)) continue;
        const el = document.createElement('div');
        el.setAttribute('role', 'gridcell');
        el.setAttribute('aria-colindex', String(c + 2));
        el.dataset.row = String(r);
        el.dataset.col = String(c);
        el.dataset.cell = a1(r, c);
        el.id = `${this.id}-${r}-${c}`;
        el.style.left = `${HEAD_W + this.colLeft[c]}px`;
        el.style.width = `${this.colW[c]}px`;
        this.paint(el, r, c);
        row.cells.set(c, el);
        row.el.appendChild(el);
      }
    }
    const wantHeads = new Set();
    for (let c = c0; c <= c1; c += 1) wantHeads.add(c);
    for (const [c, el] of this.headEls) {
      if (!wantHeads.has(c)) {
        el.remove();
        this.headEls.delete(c);
      }
    }
    for (const c of wantHeads) {
      if (this.headEls.has(c)) continue;
      const el = document.createElement('div');
      el.className = 'grid-colhead';
      el.setAttribute('role', 'columnheader');
      el.setAttribute('aria-colindex', String(c + 2));
      el.textContent = columnName(c);
      el.style.left = `${HEAD_W + this.colLeft[c]}px`;
      el.style.width = `${this.colW[c]}px`;
      this.headEls.set(c, el);
      this.head.appendChild(el);
    }
    this.load(r0, r1);
  }

  paint(el, r, c) {
    const entry = this.entry(r, c);
    const deco = this.opts.decorate?.(r, c, entry);
    const active = r === this.active.row && c === this.active.col;
    const cls = ['cell'];
    if (entry) {
      cls.push(`t-${entry.type}`);
      if (entry.formula) cls.push('has-formula');
    }
    if (deco?.cls) cls.push(...deco.cls);
    if (active) cls.push('active');
    el.className = cls.join(' ');
    el.textContent = cellText(entry);
    el.tabIndex = active ? 0 : -1;
    el.setAttribute('aria-selected', active ? 'true' : 'false');
    if (deco?.label) {
      el.title = deco.label;
      el.setAttribute('aria-description', deco.label);
    } else {
      el.removeAttribute('title');
      el.removeAttribute('aria-description');
    }
  }

  load(r0, r1) {
    const lastCol = this.cols - 1;
    const gen = this.generation;
    for (let b = Math.floor(r0 / BLOCK_ROWS); b <= Math.floor(r1 / BLOCK_ROWS); b += 1) {
      if (this.blocks.has(b)) continue;
      this.blocks.set(b, 'pending');
      const first = b * BLOCK_ROWS;
      const last = Math.min(this.rows - 1, first + BLOCK_ROWS - 1);
      this.opts.load(first, last, lastCol).then((cells) => {
        if (gen !== this.generation) return;
        this.blocks.set(b, 'done');
        for (const e of cells) {
          let row = this.data.get(e.row);
          if (!row) this.data.set(e.row, (row = new Map()));
          row.set(e.col, e);
        }
        if (!this.widthsSet) this.fitColumns();
        for (let r = first; r <= last; r += 1) {
          const row = this.rowEls.get(r);
          if (row) for (const [c, el] of row.cells) this.paint(el, r, c);
        }
        if (this.active.row >= first && this.active.row <= last) {
          this.opts.onActive?.(this.active.row, this.active.col, this.entry(this.active.row, this.active.col));
        }
        this.host.dispatchEvent(new CustomEvent('gridload', { detail: { first, last } }));
      }, (err) => {
        if (gen !== this.generation) return;
        this.blocks.delete(b);
        this.host.dispatchEvent(new CustomEvent('griderror', { detail: err }));
      });
    }
  }

  /** Column widths from the first rows' contents (once per sheet, so nothing jumps later). */
  fitColumns() {
    this.widthsSet = true;
    const longest = new Array(this.cols).fill(0);
    for (const row of this.data.values()) {
      for (const [c, e] of row) {
        if (c < this.cols) longest[c] = Math.max(longest[c], cellText(e).length);
      }
    }
    this.colW = longest.map((n) => Math.max(72, Math.min(280, n * 8 + 18)));
    this.layoutColumns();
    for (const [r, row] of this.rowEls) {
      row.el.style.width = `${HEAD_W + this.colLeft[this.cols]}px`;
      for (const [c, el] of row.cells) {
        el.style.left = `${HEAD_W + this.colLeft[c]}px`;
        el.style.width = `${this.colW[c]}px`;
        this.paint(el, r, c);
      }
    }
    for (const [c, el] of this.headEls) {
      el.style.left = `${HEAD_W + this.colLeft[c]}px`;
      el.style.width = `${this.colW[c]}px`;
    }
    this.schedule();
  }

  /** Moves the active cell, scrolls it into view, and focuses it when asked. */
  setActive(row, col, { focus = true } = {}) {
    const r = Math.max(0, Math.min(this.rows - 1, row));
    const c = Math.max(0, Math.min(this.cols - 1, col));
    const prev = this.active;
    this.active = { row: r, col: c };
    this.scrollIntoView(r, c);
    this.render();
    const old = this.rowEls.get(prev.row)?.cells.get(prev.col);
    if (old) this.paint(old, prev.row, prev.col);
    const el = this.rowEls.get(r)?.cells.get(c);
    if (el) {
      this.paint(el, r, c);
      if (focus) el.focus({ preventScroll: true });
    }
    this.opts.onActive?.(r, c, this.entry(r, c));
  }

  scrollIntoView(r, c) {
    const s = this.scroller;
    const top = (r + 1) * ROW_H;
    const viewTop = s.scrollTop + ROW_H;
    const viewBottom = s.scrollTop + s.clientHeight;
    if (top < viewTop) s.scrollTop = top - ROW_H;
    else if (top + ROW_H > viewBottom) s.scrollTop = top + ROW_H - s.clientHeight;
    const left = this.colLeft[c];
    const right = this.colLeft[c + 1];
    const viewW = s.clientWidth - HEAD_W;
    if (left < s.scrollLeft) s.scrollLeft = left;
    else if (right > s.scrollLeft + viewW) s.scrollLeft = right - viewW;
  }

  /** Focuses the active cell. */
  focus() {
    this.setActive(this.active.row, this.active.col, { focus: true });
  }

  activate() {
    const { row, col } = this.active;
    this.opts.onActivate?.(row, col, this.entry(row, col));
  }

  onKey(e) {
    if (!e.target.closest('[data-row]')) return;
    const { row, col } = this.active;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_H) - 2);
    const ctrl = e.ctrlKey || e.metaKey;
    let next = null;
    switch (e.key) {
      case 'ArrowUp': next = [ctrl ? 0 : row - 1, col]; break;
      case 'ArrowDown': next = [ctrl ? this.rows - 1 : row + 1, col]; break;
      case 'ArrowLeft': next = [row, ctrl ? 0 : col - 1]; break;
      case 'ArrowRight': next = [row, ctrl ? this.cols - 1 : col + 1]; break;
      case 'PageUp': next = [row - page, col]; break;
      case 'PageDown': next = [row + page, col]; break;
      case 'Home': next = ctrl ? [0, 0] : [row, 0]; break;
      case 'End': next = ctrl ? [this.rows - 1, this.cols - 1] : [row, this.cols - 1]; break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.activate();
        return;
      default:
        return;
    }
    e.preventDefault();
    this.setActive(next[0], next[1], { focus: true });
  }
}

// Line charts in braille (2x4 dots a cell) and block sparklines: plain text, so they read the same
// with NO_COLOR, and every row is exactly as wide as asked.
//
// Written here rather than taken from npm: asciichart draws box-drawing lines one value a column (no
// 2x4 resolution, no x bucketing for irregular steps) and drawille / drawille-canvas are dot canvases
// without labels or scaling, unmaintained since 2016-2017; what we need on top of a dot canvas
// (bucketing 100k points, exact widths, hostile labels) is most of the code anyway.
import { fit, width } from './text.js';

export type Point = [x: number, y: number];

export interface ChartOptions {
  /** cells, total, including the y labels */
  width: number;
  /** rows, total, including the x-axis row */
  height: number;
  /** log-scale y (non-positive values dropped from the scale) */
  log?: boolean;
  /** label formatting, default compact (1.2k, 0.0123, 3.4e-5) */
  yFormat?: (v: number) => string;
  /** x-axis labels, default compact integer */
  xLabel?: (x: number) => string;
  /** The y scale reaches at least down to yMin and up to yMax (0-100 for a utilisation), when given. */
  yMin?: number;
  yMax?: number;
}

/** 1.2k, 12k, 3.4M, 45.7, 0.0123, 3.4e-5: at most ~6 cells for any finite number. */
export function compactValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e15 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  if (a >= 1000) {
    const units = ['k', 'M', 'G', 'T'];
    let i = Math.min(units.length, Math.floor(Math.log10(a) / 3));
    let m = v / 1000 ** i;
    if (Math.abs(Math.round(m)) >= 1000 && i < units.length) {
      i++;
      m = v / 1000 ** i;
    }
    const s = Math.abs(m) < 10 ? m.toFixed(1).replace(/\.0$/, '') : String(Math.round(m));
    return `${s}${units[i - 1] ?? ''}`;
  }
  return String(Number(v.toPrecision(3)));
}

function compactInt(x: number): string {
  const r = Math.round(x);
  return Math.abs(r) < 10000 ? String(r) : compactValue(r);
}

// dot (column c of 2, row r of 4) → bit of U+2800
const DOT: readonly (readonly number[])[] = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

/** Where `v` falls between lo and hi, 0..1; halved first so ±1e308 ranges do not overflow. */
function frac(v: number, lo: number, hi: number): number {
  const d = hi / 2 - lo / 2;
  if (!(d > 0) || !Number.isFinite(d)) return 0.5;
  const t = (v / 2 - lo / 2) / d;
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

function label(s: string, max: number): string {
  const f = fit(s, Math.max(0, max));
  return f.trimEnd();
}

/**
 * A line chart in braille (2x4 dots per cell): max label at the top row and min label at the bottom
 * plot row on the left, the plot, then one x-axis row with the first and last x (and a middle one
 * when room). Exactly `height` strings of exactly `width` cells. Empty or single-point input still
 * gives a readable chart (a text row saying "no data" or a flat line).
 */
export function brailleChart(points: readonly Point[], o: ChartOptions): string[] {
  const W = Math.max(0, Math.floor(Number.isFinite(o.width) ? o.width : 0));
  const H = Math.max(0, Math.floor(Number.isFinite(o.height) ? o.height : 0));
  if (H === 0) return [];
  const blank = ' '.repeat(W);
  const plotRows = H - 1;
  const yFormat = o.yFormat ?? compactValue;
  const xLabel = o.xLabel ?? compactInt;

  // the points that can be drawn, y already on the scale (log10 under log)
  const xs: number[] = [];
  const ys: number[] = [];
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const p of points) {
    const x = p[0];
    let y = p[1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (o.log === true) {
      if (y <= 0) continue;
      y = Math.log10(y);
    }
    xs.push(x);
    ys.push(y);
    if (x < xmin) xmin = x;
    if (x > xmax) xmax = x;
    if (y < ymin) ymin = y;
    if (y > ymax) ymax = y;
  }
  for (const [b, low] of [[o.yMin, true], [o.yMax, false]] as const) {
    if (b === undefined || !Number.isFinite(b) || (o.log === true && b <= 0) || xs.length === 0) continue;
    const v = o.log === true ? Math.log10(b) : b;
    if (low) ymin = Math.min(ymin, v);
    else ymax = Math.max(ymax, v);
  }
  if (xs.length === 0) {
    const rows = Array.from({ length: H }, () => blank);
    rows[Math.max(0, Math.floor((plotRows - 1) / 2))] = fit(' '.repeat(Math.max(0, Math.floor((W - 7) / 2))) + 'no data', W);
    return rows;
  }

  const unscale = (v: number): number => (o.log === true ? 10 ** v : v);
  const safe = (f: () => string): string => {
    try {
      return f();
    } catch {
      return '?';
    }
  };
  const maxMax = Math.max(8, Math.floor(W / 3)); // -1.0e308 fits whole
  const top = plotRows > 0 ? label(safe(() => yFormat(unscale(ymax))), maxMax) : '';
  const bottom = plotRows > 1 ? label(safe(() => yFormat(unscale(ymin))), maxMax) : '';
  let labelW = Math.max(width(top), width(bottom));
  let cols = W - labelW - 1;
  if (cols < 2) {
    labelW = -1; // no labels: the plot takes every cell
    cols = W;
  }
  const prefix = (s: string): string => (labelW < 0 ? '' : ' '.repeat(labelW - width(s)) + s + ' ');

  const rows: string[] = [];
  if (plotRows > 0 && cols > 0) {
    const dcols = cols * 2;
    const drows = plotRows * 4;
    const grid = new Uint8Array(cols * plotRows);
    const set = (dx: number, dy: number): void => {
      if (dx < 0 || dy < 0 || dx >= dcols || dy >= drows) return;
      const i = Math.floor(dy / 4) * cols + (dx >> 1);
      grid[i] = (grid[i] as number) | ((DOT[dx & 1] as readonly number[])[dy % 4] as number);
    };
    const rowOf = (y: number): number => Math.round((1 - frac(y, ymin, ymax)) * (drows - 1));
    const line = (x0: number, y0: number, x1: number, y1: number): void => {
      // Bresenham: a steep drop between two columns is a line, not two far-apart dots
      const dx = Math.abs(x1 - x0);
      const dy = -Math.abs(y1 - y0);
      const sx = x0 < x1 ? 1 : -1;
      const sy = y0 < y1 ? 1 : -1;
      let err = dx + dy;
      for (;;) {
        set(x0, y0);
        if (x0 === x1 && y0 === y1) return;
        const e2 = 2 * err;
        if (e2 >= dy) {
          err += dy;
          x0 += sx;
        }
        if (e2 <= dx) {
          err += dx;
          y0 += sy;
        }
      }
    };
    if (xmin === xmax) {
      // one x (one point, or many at one step): the last value as a flat line across the plot
      const r = rowOf(ys[ys.length - 1] as number);
      line(0, r, dcols - 1, r);
    } else {
      // per dot column: the first, last, lowest and highest point in it
      const first = new Int32Array(dcols).fill(-1);
      const last = new Int32Array(dcols);
      const lo = new Int32Array(dcols);
      const hi = new Int32Array(dcols);
      for (let i = 0; i < xs.length; i++) {
        const c = Math.round(frac(xs[i] as number, xmin, xmax) * (dcols - 1));
        const r = rowOf(ys[i] as number);
        if (first[c] === -1) {
          first[c] = r;
          lo[c] = r;
          hi[c] = r;
        } else {
          if (r < (lo[c] as number)) lo[c] = r;
          if (r > (hi[c] as number)) hi[c] = r;
        }
        last[c] = r;
      }
      let prev = -1;
      for (let c = 0; c < dcols; c++) {
        if (first[c] === -1) continue;
        if (prev >= 0) line(prev, last[prev] as number, c, first[c] as number);
        for (let r = lo[c] as number; r <= (hi[c] as number); r++) set(c, r);
        prev = c;
      }
    }
    for (let r = 0; r < plotRows; r++) {
      let s = '';
      // an empty cell is a space, not U+2800: plain text to copy, and no dotted-box glyph in some fonts
      for (let c = 0; c < cols; c++) {
        const g = grid[r * cols + c] as number;
        s += g === 0 ? ' ' : String.fromCharCode(0x2800 + g);
      }
      // a flat series has one value: its label on the row of its line
      const lab = ymin === ymax ? (r === Math.floor(rowOf(ymin) / 4) ? top : '') : r === 0 ? top : r === plotRows - 1 ? bottom : '';
      rows.push(fit(prefix(lab) + s, W, false));
    }
  } else {
    for (let r = 0; r < plotRows; r++) rows.push(blank);
  }
  rows.push(xAxis(xmin, xmax, xs.length > 1 && xmin !== xmax, xLabel, safe, labelW < 0 ? 0 : labelW + 1, cols, W));
  return rows;
}

function xAxis(
  xmin: number,
  xmax: number,
  range: boolean,
  xLabel: (x: number) => string,
  safe: (f: () => string) => string,
  indent: number,
  cols: number,
  W: number,
): string {
  const a = label(safe(() => xLabel(xmin)), cols);
  if (!range) return fit(' '.repeat(indent) + a, W);
  const b = label(safe(() => xLabel(xmax)), cols);
  const aw = width(a);
  const bw = width(b);
  if (aw + 1 + bw > cols) return fit(' '.repeat(indent) + a, W);
  // the middle label names the x under its own centre cell, so it sits where that x is drawn
  let mid = '';
  const c0 = Math.floor(cols / 2);
  const m = label(safe(() => xLabel(mixX(xmin, xmax, (2 * c0 + 0.5) / (2 * cols - 1)))), cols);
  const mw = width(m);
  const at = c0 - Math.floor(mw / 2);
  if (mw > 0 && at >= aw + 2 && at + mw + 2 <= cols - bw && m !== a && m !== b) mid = ' '.repeat(at - aw) + m;
  const left = a + mid;
  return fit(' '.repeat(indent) + left + ' '.repeat(cols - width(left) - bw) + b, W);
}

function mixX(a: number, b: number, t: number): number {
  return a * (1 - t) + b * t;
}

const SPARK = '▁▂▃▄▅▆▇█';

/**
 * ▁▂▃▄▅▆▇█ sparkline of the last `width` values (exported for the runs table): exactly `width`
 * cells, the newest at the right, blank where there is no value yet (or NaN/inf). Scaled between the
 * finite min and max of those values, or `range` when given (0-100 for a utilisation); a flat series
 * sits at the middle.
 */
export function sparkline(values: readonly number[], width: number, range?: readonly [number, number]): string {
  const w = Math.max(0, Math.floor(Number.isFinite(width) ? width : 0));
  if (w === 0) return '';
  const v = values.slice(-w);
  let lo = Infinity;
  let hi = -Infinity;
  if (range !== undefined) [lo, hi] = range;
  else
    for (const x of v) {
      if (!Number.isFinite(x)) continue;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  const flat = !(hi > lo);
  let s = ' '.repeat(w - v.length);
  for (const x of v) {
    if (!Number.isFinite(x)) s += ' ';
    else s += SPARK[flat ? 3 : Math.round(frac(x, lo, hi) * 7)] as string;
  }
  return s;
}

// A frame is a list of rows; a row is a list of styled segments whose widths add up to the row's
// width exactly. Panes build rows as plain data (testable without React); <Row> draws one.
import type { Tok } from './theme.js';
import { needsCleaning, safeText } from '../parse/terminal.js';
import { fit, stripSgr, width } from './text.js';

export interface Seg {
  t: string;
  s?: Tok;
}
export type Row = Seg[];

/** Builds one row of a fixed width from left to right; what does not fit is cut. */
export class RowBuilder {
  private segs: Seg[] = [];
  private used = 0;
  constructor(readonly cols: number) {}

  get left(): number {
    return this.cols - this.used;
  }

  /** Adds text as a label: whatever came from a host, nothing in it drives the terminal (safeText). */
  add(raw: string, s?: Tok, cut = true): this {
    if (raw === '' || this.used >= this.cols) return this;
    const text = needsCleaning(raw) ? safeText(raw) : raw;
    const w = width(text);
    let t = text;
    let tw = w;
    if (w > this.left) {
      t = fit(text, this.left, cut);
      tw = this.left;
    }
    this.segs.push(s === undefined ? { t } : { t, s });
    this.used += tw;
    return this;
  }

  /** Pads with spaces (or a fill character) to the full width. */
  fill(ch = ' ', s?: Tok): this {
    if (this.left > 0) this.add(ch.repeat(this.left), s);
    return this;
  }

  row(): Row {
    this.fill();
    return this.segs;
  }
}

export function textRow(text: string, cols: number, s?: Tok): Row {
  return new RowBuilder(cols).add(text, s).row();
}

export function rowWidth(r: Row): number {
  let w = 0;
  for (const x of r) w += width(x.t);
  return w;
}

export function rowText(r: Row): string {
  let out = '';
  for (const x of r) out += stripSgr(x.t);
  return out;
}

/** Cells [from, to) of a row (segments with colour codes lose them when cut). */
export function sliceRow(r: Row, from: number, to: number): Row {
  const out: Row = [];
  let pos = 0;
  for (const seg of r) {
    const w = width(seg.t);
    const a = Math.max(from, pos);
    const z = Math.min(to, pos + w);
    if (a < z) {
      const t = a === pos && z === pos + w ? seg.t : cells(stripSgr(seg.t), a - pos, z - pos);
      out.push(seg.s === undefined ? { t } : { t, s: seg.s });
    }
    pos += w;
    if (pos >= to) break;
  }
  return out;
}

function cells(plain: string, from: number, to: number): string {
  let out = '';
  let w = 0;
  for (const ch of plain) {
    const cw = width(ch);
    if (w >= from && w + cw <= to) out += ch;
    else if (w < to && w + cw > from) out += ' '.repeat(Math.min(to, w + cw) - Math.max(from, w));
    w += cw;
    if (w >= to) break;
  }
  return out;
}

/** Lays `over` onto `base` at column x. */
export function overlayRow(base: Row, x: number, over: Row, cols: number): Row {
  const w = rowWidth(over);
  return [...sliceRow(base, 0, x), ...over, ...sliceRow(base, x + w, cols)];
}

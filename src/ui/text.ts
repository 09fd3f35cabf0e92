// Terminal cell widths and fitting text into a fixed number of columns, SGR-aware. Every row the UI
// draws is exactly as wide as its pane, so a long or odd line can never break the layout.

import { charWidth as parserCharWidth, printableAscii, sanitizeLine } from '../parse/terminal.js';

// eslint-disable-next-line no-control-regex
const SGR_AT = /\x1b\[[0-9;:]*m/y;
// eslint-disable-next-line no-control-regex
const ANY_SGR = /\x1b\[[0-9;:]*m/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** Only SGR colour may reach the terminal from a cell: any other escape or control is dropped here. */
function cellSafe(s: string): string {
  if (!CONTROL.test(s)) return s;
  return CONTROL.test(s.indexOf('\x1b') < 0 ? s : s.replace(ANY_SGR, '')) ? sanitizeLine(s, { keepColor: true }) : s;
}

/** Columns a code point takes: the parser's table (one table, so sanitised lines fit exactly), with
 * control characters taking none. */
export function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  return parserCharWidth(cp);
}

export function stripSgr(s: string): string {
  return s.indexOf('\x1b') < 0 ? s : s.replace(ANY_SGR, '');
}

/** Visible width in terminal cells (SGR sequences take none). */
export function width(s: string): number {
  if (printableAscii(s)) return s.length;
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x1b) {
      SGR_AT.lastIndex = i;
      const m = SGR_AT.exec(s);
      if (m !== null) {
        i += m[0].length - 1;
        continue;
      }
    }
    const cp = s.codePointAt(i) as number;
    if (cp > 0xffff) i++;
    w += charWidth(cp);
  }
  return w;
}

/**
 * Exactly `cols` cells: cut (ending in `…` when something was cut) and padded with spaces. SGR
 * sequences are kept and closed with a reset, so colour never leaks into the next cell.
 */
export function fit(text: string, cols: number, ellipsis = true): string {
  if (cols <= 0) return '';
  if (printableAscii(text)) {
    if (text.length <= cols) return text.length === cols ? text : text + ' '.repeat(cols - text.length);
    return ellipsis ? `${text.slice(0, cols - 1)}…` : text.slice(0, cols);
  }
  const s = cellSafe(text);
  const total = width(s);
  const cut = total > cols;
  const room = cut && ellipsis ? cols - 1 : cols;
  let out = '';
  let w = 0;
  let sgr = false;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x1b) {
      SGR_AT.lastIndex = i;
      const m = SGR_AT.exec(s);
      if (m !== null) {
        out += m[0];
        sgr = true;
        i += m[0].length - 1;
        continue;
      }
    }
    const cp = s.codePointAt(i) as number;
    const cw = charWidth(cp);
    if (w + cw > room) break;
    const ch = cp > 0xffff ? s.slice(i, i + 2) : (s[i] as string);
    if (cp > 0xffff) i++;
    out += ch;
    w += cw;
  }
  if (sgr) out += '\x1b[0m';
  if (cut && ellipsis) {
    out += '…';
    w++;
  }
  return w < cols ? out + ' '.repeat(cols - w) : out;
}

/** Cuts to at most `cols` cells without padding. */
export function clip(s: string, cols: number): string {
  return width(s) <= cols ? s : fit(s, cols);
}

/** Exactly `cols` cells like fit, but padded on the left (numbers in a column line up on the right). */
export function fitRight(s: string, cols: number): string {
  if (cols <= 0) return '';
  const t = clip(s, cols);
  return ' '.repeat(Math.max(0, cols - width(t))) + t;
}

/** Splits plain text into pieces of at most `cols` cells (for wrap mode). */
export function chunk(s: string, cols: number): string[] {
  if (cols <= 0) return [''];
  const plain = stripSgr(s);
  if (printableAscii(plain)) {
    if (plain.length <= cols) return [plain];
    const out: string[] = [];
    for (let i = 0; i < plain.length; i += cols) out.push(plain.slice(i, i + cols));
    return out;
  }
  const out: string[] = [];
  let cur = '';
  let w = 0;
  for (const ch of plain) {
    const cw = charWidth(ch.codePointAt(0) as number);
    if (w + cw > cols) {
      out.push(cur);
      cur = '';
      w = 0;
    }
    cur += ch;
    w += cw;
  }
  out.push(cur);
  return out;
}

/** Plain text cut into lines of at most `cols` cells at spaces (a word longer than a line is split). */
export function wrapWords(text: string, cols: number): string[] {
  if (cols <= 0) return [''];
  const out: string[] = [];
  let cur = '';
  for (const word of stripSgr(text).split(/\s+/).filter(Boolean)) {
    const candidate = cur === '' ? word : `${cur} ${word}`;
    if (width(candidate) <= cols) {
      cur = candidate;
      continue;
    }
    if (cur !== '') out.push(cur);
    if (width(word) <= cols) cur = word;
    else {
      const pieces = chunk(word, cols);
      out.push(...pieces.slice(0, -1));
      cur = pieces[pieces.length - 1] ?? '';
    }
  }
  if (cur !== '' || out.length === 0) out.push(cur);
  return out;
}

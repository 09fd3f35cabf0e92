// Terminal text as a log file holds it, turned into the lines a terminal would have shown.
// tqdm redraws with '\r' and moves between nested bars with ESC[A; redirected to a file that is one
// huge "line". These functions collapse it the way a terminal (or multitail --collapse-cr) would.
// One pass over the characters, slicing plain runs: no regex backtracking, no per-char strings.

/** Longest line kept (code units); the rest of a 1 MB line is dropped, not buffered. */
export const MAX_LINE = 16 * 1024;

export interface Collapsed {
  /** Every line, the unterminated tail last when there is one. */
  lines: string[];
  /** True when the text did not end with a newline: the last line is the live (in-progress) one. */
  partial: boolean;
}

/** Collapse \r rewrites, ESC[A of nested bars, CRLF, tabs; keep SGR colour, drop other escapes. */
export function collapseTerminal(text: string): string[] {
  return collapseTerminalDetailed(text).lines;
}

export function collapseTerminalDetailed(text: string, maxLine: number = MAX_LINE): Collapsed {
  const rows: string[] = [''];
  const cols: number[] = [0];
  let row = 0;
  // '\r' seen: the next text replaces the row instead of extending it (tqdm pads, so this equals overwrite)
  let overwrite = false;
  // a row pushed by '\n' and not written to yet: the empty "line" after a trailing newline
  let fresh = -1;
  const n = text.length;
  let i = 0;

  const put = (s: string, width: number): void => {
    if (s.length === 0) return;
    if (row === fresh) fresh = -1;
    if (overwrite) {
      rows[row] = '';
      cols[row] = 0;
      overwrite = false;
    }
    const cur = rows[row]!;
    if (cur.length >= maxLine) return;
    rows[row] = cur.length + s.length > maxLine ? cur + s.slice(0, maxLine - cur.length) : cur + s;
    cols[row] = cols[row]! + width;
  };

  while (i < n) {
    // plain run
    let j = i;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) break;
      j++;
    }
    if (j > i) {
      put(text.slice(i, j), j - i);
      i = j;
      if (i >= n) break;
    }
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      row++;
      if (row >= rows.length) {
        rows.push('');
        cols.push(0);
        overwrite = false;
        fresh = row;
      } else {
        overwrite = true; // moving down into a line drawn before (nested bars): rewrite it
      }
      i++;
    } else if (c === 0x0d) {
      if (i + 1 < n && text.charCodeAt(i + 1) === 0x0a) {
        i++; // CRLF is a newline; handled by the \n branch
      } else {
        overwrite = true;
        i++;
      }
    } else if (c === 0x09) {
      const col = overwrite ? 0 : cols[row]!;
      const pad = 8 - (col % 8);
      put('        '.slice(0, pad), pad);
      i++;
    } else if (c === 0x1b) {
      i = escape(text, i, (kind, count, seq) => {
        if (kind === 'sgr') {
          if (row === fresh) fresh = -1;
          if (overwrite) {
            rows[row] = '';
            cols[row] = 0;
            overwrite = false;
          }
          if (rows[row]!.length + seq.length <= maxLine) rows[row] += seq;
        } else if (kind === 'up') {
          row = Math.max(0, row - count);
          overwrite = true;
        } else if (kind === 'col1') {
          overwrite = true;
        }
      });
    } else {
      i++; // other control characters (BEL, backspace, NUL, C1) never reach the screen
    }
  }
  const ended = n > 0 && text.charCodeAt(n - 1) === 0x0a;
  if (n === 0 || (fresh === rows.length - 1 && rows[fresh] === '')) rows.pop();
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    const last = r.charCodeAt(r.length - 1);
    if (last === 0x20) rows[k] = r.trimEnd(); // tqdm's padding
  }
  return { lines: rows, partial: !ended && n > 0 };
}

type EscKind = 'sgr' | 'up' | 'col1' | 'other';

const OVERRIDES = /[\u202a-\u202e\u2066-\u2069]/;
const OVERRIDES_G = /[\u202a-\u202e\u2066-\u2069]/g;

const SGR_PARAMS = /^[0-9;:]*$/;

/** Consume one escape sequence starting at i (text[i] is ESC); returns the index after it. */
function escape(text: string, i: number, on: (kind: EscKind, count: number, seq: string) => void): number {
  const n = text.length;
  if (i + 1 >= n) return n;
  const k = text.charCodeAt(i + 1);
  if (k === 0x5b) {
    // CSI: parameters 0x30-0x3f, intermediates 0x20-0x2f, final 0x40-0x7e
    let j = i + 2;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c >= 0x40 && c <= 0x7e) break;
      if (c < 0x20 || c > 0x3f) return j; // malformed: drop what we saw, resume at the odd char
      j++;
    }
    if (j >= n) return n;
    const final = text.charCodeAt(j);
    // SGR is `CSI digits;: m` only: `CSI > 4;2 m` (and the like) sets keyboard modes instead
    if (final === 0x6d && SGR_PARAMS.test(text.slice(i + 2, j))) on('sgr', 0, text.slice(i, j + 1));
    else if (final === 0x41 || final === 0x46) {
      // ESC[nA (up), ESC[nF (up, column 0)
      const p = text.slice(i + 2, j);
      const v = p === '' ? 1 : Number.parseInt(p, 10);
      on('up', Number.isFinite(v) && v > 0 ? Math.min(v, 1000) : 1, '');
    } else if (final === 0x47 && (j === i + 2 || text.slice(i + 2, j) === '1')) on('col1', 0, '');
    else on('other', 0, ''); // ESC[nG to column 1 acts like '\r' (rich, npm); the rest are dropped
    return j + 1;
  }
  if (k === 0x5d || k === 0x50 || k === 0x5f || k === 0x5e) {
    // OSC / DCS / APC / PM: up to BEL or ST (ESC \)
    let j = i + 2;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x07) return j + 1;
      if (c === 0x1b) return j + 1 < n && text.charCodeAt(j + 1) === 0x5c ? j + 2 : j;
      if (c === 0x0a) return j; // never swallow lines for an unterminated OSC
      j++;
    }
    return n;
  }
  // two-character escapes (ESC 7, ESC M, ESC ( B ...)
  if (k === 0x28 || k === 0x29) return Math.min(n, i + 3);
  return i + 2;
}

/** Remove every escape sequence and control character. */
export function stripAnsi(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  let start = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) {
      if (c === 0x0a || c === 0x09) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      i = c === 0x1b ? escape(text, i, () => undefined) : i + 1;
      start = i;
    } else i++;
  }
  return start === 0 ? text : out + text.slice(start);
}

export interface SanitizeOptions {
  /** Keep SGR colour sequences (other escapes are always dropped). */
  keepColor?: boolean;
  /** Maximum display width in terminal columns; longer lines end with '…'. */
  maxLen?: number;
}

/**
 * One line made safe for a layout: no control characters, no cursor movement, tabs expanded,
 * at most maxLen columns (wide CJK/emoji count 2, combining marks 0), an ellipsis when cut.
 */
export function sanitizeLine(input: string, opts: SanitizeOptions = {}): string {
  // a '\r' left in a line means "overwrite": show what was drawn last (CRLF's '\r' is just dropped)
  const redrawn = input.indexOf('\r') >= 0 ? lastRedraw(input) : input;
  // bidi embeddings, overrides and isolates reorder what follows them on screen: dropped (the marks
  // LRM/RLM of real right-to-left text stay)
  const line = OVERRIDES.test(redrawn) ? redrawn.replace(OVERRIDES_G, '') : redrawn;
  const keep = opts.keepColor === true;
  const max = opts.maxLen ?? Infinity;
  let out = '';
  let width = 0;
  let colored = false;
  const n = line.length;
  let i = 0;
  let runStart = 0;
  let cut = false;
  const flush = (end: number): void => {
    if (end > runStart) out += line.slice(runStart, end);
  };
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) {
      flush(i);
      runStart = i; // flushed: a cut right here must not flush the same run again
      if (c === 0x1b) {
        const at = i;
        i = escape(line, i, (kind, _count, seq) => {
          if (kind === 'sgr' && keep) {
            out += seq;
            colored = true;
          }
        });
        if (i === at) i++;
      } else if (c === 0x09) {
        const pad = 8 - (width % 8);
        if (width + pad > max) {
          cut = true;
          break;
        }
        out += '        '.slice(0, pad);
        width += pad;
        i++;
      } else i++;
      runStart = i;
      continue;
    }
    let cp = c;
    let len = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = line.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
        len = 2;
      }
    }
    const w = c < 0x300 ? 1 : charWidth(cp);
    if (width + w > max) {
      cut = true;
      break;
    }
    width += w;
    i += len;
  }
  if (cut) {
    // make room for the ellipsis: drop characters from the end until it fits
    flush(i);
    let s = out;
    let ww = width;
    while (ww + 1 > max && s.length > 0) {
      const last = s.charCodeAt(s.length - 1);
      let len = 1;
      let cp = last;
      if (last >= 0xdc00 && last <= 0xdfff && s.length > 1) {
        const hi = s.charCodeAt(s.length - 2);
        if (hi >= 0xd800 && hi <= 0xdbff) {
          cp = (hi - 0xd800) * 0x400 + (last - 0xdc00) + 0x10000;
          len = 2;
        }
      }
      if (last === 0x6d && keep) {
        // an SGR sequence at the end occupies no columns: remove it whole
        const esc = s.lastIndexOf('\x1b[');
        if (esc >= 0 && /^\x1b\[[0-9;:]*m$/.test(s.slice(esc))) {
          s = s.slice(0, esc);
          continue;
        }
      }
      ww -= cp < 0x300 ? 1 : charWidth(cp);
      s = s.slice(0, s.length - len);
    }
    out = max >= 1 ? `${s}…` : s;
    return colored ? `${out}\x1b[0m` : out;
  }
  flush(n);
  return colored && keep && out.length > 0 && !out.endsWith('\x1b[0m') && !out.endsWith('\x1b[m') ? `${out}\x1b[0m` : out;
}

/** What a line with `\r` rewrites shows at the end: the text after the last `\r` that is followed by any. */
export function lastRedraw(line: string): string {
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === 0x0d) end--;
  const cr = line.lastIndexOf('\r', end - 1);
  return cr < 0 ? line.slice(0, end) : line.slice(cr + 1, end);
}

/** Display width of a line (escapes and controls count 0). */
export function displayWidth(line: string): number {
  const s = stripAnsi(line);
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x300) {
      w += c === 0x09 ? 8 - (w % 8) : 1;
      continue;
    }
    let cp = c;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
        i++;
      }
    }
    w += charWidth(cp);
  }
  return w;
}

/** Columns a code point occupies: 0 combining/zero-width, 2 East Asian wide and emoji, else 1. */
export function charWidth(cp: number): number {
  if (cp < 0x300) return 1;
  if (
    (cp >= 0x300 && cp <= 0x36f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0x1ab0 && cp <= 0x1aff) ||
    (cp >= 0x1dc0 && cp <= 0x1dff) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    cp === 0x2060 ||
    cp === 0xfeff ||
    (cp >= 0xe0100 && cp <= 0xe01ef)
  )
    return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x1f680 && cp <= 0x1f6ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

// eslint-disable-next-line no-control-regex
const NEEDS_CLEANING = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// bidi marks, embeddings, overrides and isolates reorder what follows them on screen ("Trojan Source")
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a host shown as a label or a message (session and process names, paths, error texts):
 * one line, every escape sequence and control character gone (line breaks and tabs become one
 * space each run), no bidi override, at most maxLen columns. THE sanitizer for such text; log lines
 * go through sanitizeLine / sanitizeLogLine, which keep SGR colour and collapse \r rewrites.
 */
export function safeText(input: string, maxLen?: number): string {
  if (!NEEDS_CLEANING.test(input)) return maxLen === undefined || input.length <= maxLen ? input : sanitizeLine(input, { maxLen });
  let out = '';
  let i = 0;
  let start = 0;
  let space = false;
  const n = input.length;
  while (i < n) {
    const c = input.charCodeAt(i);
    const brk = c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x85 || c === 0x2028 || c === 0x2029;
    if (brk || c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) {
      out += input.slice(start, i);
      if (brk && !space && out !== '') {
        out += ' ';
        space = true;
      }
      i = c === 0x1b ? Math.max(i + 1, escape(input, i, () => undefined)) : i + 1;
      start = i;
      continue;
    }
    space = false;
    i++;
  }
  out += input.slice(start);
  out = out.replace(BIDI, '');
  return maxLen === undefined ? out : sanitizeLine(out, { maxLen });
}

/** A host's or an error's sentence made safe to continue with `; …`: no trailing period or space
 * ("lost.; reconnecting…" read as a typo). */
export function clause(input: string): string {
  return safeText(input).replace(/[.\s]+$/u, '');
}

/** True when text holds anything safeText would remove. */
export function needsCleaning(text: string): boolean {
  return NEEDS_CLEANING.test(text);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Printable ASCII only: nothing to clean, one column and one UTF-8 byte per character. */
export function printableAscii(s: string): boolean {
  return PRINTABLE_ASCII.test(s);
}

// eslint-disable-next-line no-control-regex
const LOG_NEEDS_WORK = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/**
 * One log line for display: \r rewrites collapsed to what shows last, tabs expanded, SGR colour
 * kept (the monitor strips it under NO_COLOR), every other escape or control character dropped,
 * at most maxLen columns. Plain printable text, most of any training log, costs one regex test.
 */
export function sanitizeLogLine(line: string, maxLen: number): string {
  if (!LOG_NEEDS_WORK.test(line)) return line.length > maxLen ? line.slice(0, maxLen) : line;
  return sanitizeLine(line, { keepColor: true, maxLen });
}

// One rank's lines of a rank-prefixed log (see rank-prefix.ts for the styles), without their prefix and
// otherwise byte for byte: the bytes are read as latin1 (one char a byte, the prefixes are ASCII) so
// what is kept goes out exactly as it came. A '\r' redraw without its own prefix belongs to the rank
// that began its line; a physical line keeps the redraws that are the selected rank's, each with the
// '\r' before it. Lines without any prefix (the launcher's own) are no rank's. Pure; never throws.
import { detectPrefix, splitLine, type PrefixStyle } from './rank-prefix.js';

/** Which lines to keep: a rank (on any host), a host (any rank), or both (`gpu187:1`). */
export interface RankSelector {
  rank: number | null;
  host: string | null;
}

/** `3`, `node01`, `gpu187:1`; null for anything else. */
export function parseRankSelector(s: string): RankSelector | null {
  if (/^\d{1,6}$/.test(s)) return { rank: Number(s), host: null };
  const m = /^([A-Za-z][\w.-]{0,63}?)(?::(\d{1,6}))?$/.exec(s);
  if (!m) return null;
  return { host: m[1]!, rank: m[2] === undefined ? null : Number(m[2]) };
}

/** What `--rank` takes to name the lines of (rank, host): `3`, `node01`, `gpu187:1`. */
export function selectorOf(p: { rank: number | null; host: string | null }): string | null {
  if (p.host === null) return p.rank === null ? null : String(p.rank);
  return p.rank === null ? p.host : `${p.host}:${p.rank}`;
}

export function matches(sel: RankSelector, p: { rank: number | null; host: string | null }): boolean {
  if (p.rank === null && p.host === null) return false;
  return (sel.rank === null || sel.rank === p.rank) && (sel.host === null || sel.host === p.host);
}

/** The style read from the raw bytes (latin1), or null: the log has no rank prefixes. */
export function detectStyle(bytes: Buffer): PrefixStyle | null {
  return detectPrefix(bytes.toString('latin1'));
}

// SageMaker's `#015` stays as it is: the redraws are split on real '\r's only, so the bytes stay exact
const raw = (style: PrefixStyle): PrefixStyle => (style.escaped ? { ...style, escaped: false } : style);

/** One physical line (no '\n'): the selected rank's redraws as they were, without prefixes; null for none. */
export function filterLine(style: PrefixStyle, sel: RankSelector, line: string): string | null {
  try {
    const parts = splitLine(raw(style), line);
    let out: string | null = null;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (!matches(sel, p)) continue;
      out = (out ?? '') + (i > 0 ? '\r' : '') + p.text;
    }
    return out;
  } catch {
    return null;
  }
}

/** Stream form: bytes in, the selected rank's complete lines out (a partial line waits for its '\n'). */
export class RankFilter {
  private pending = '';
  /** Lines kept so far. */
  kept = 0;

  constructor(
    readonly style: PrefixStyle,
    readonly sel: RankSelector,
  ) {}

  push(chunk: Buffer): Buffer {
    const text = this.pending + chunk.toString('latin1');
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      this.pending = text;
      return Buffer.alloc(0);
    }
    this.pending = text.slice(end + 1);
    let out = '';
    let s = 0;
    while (s <= end) {
      const e = text.indexOf('\n', s);
      const kept = filterLine(this.style, this.sel, text.slice(s, e));
      if (kept !== null) {
        out += `${kept}\n`;
        this.kept++;
      }
      s = e + 1;
    }
    return Buffer.from(out, 'latin1');
  }

  /** The last line when it has no '\n' (the end of a file read whole), if it is the rank's. */
  end(): Buffer {
    const p = this.pending;
    this.pending = '';
    if (p.length === 0) return Buffer.alloc(0);
    const kept = filterLine(this.style, this.sel, p);
    if (kept === null) return Buffer.alloc(0);
    this.kept++;
    return Buffer.from(kept, 'latin1');
  }

  /** The file started again (truncated or replaced): a partial line of before is dropped. */
  reset(): void {
    this.pending = '';
  }
}

/** The selected rank's lines of a whole text, and how many there are. */
export function filterBytes(style: PrefixStyle, sel: RankSelector, bytes: Buffer): { out: Buffer; lines: number } {
  const f = new RankFilter(style, sel);
  const out = Buffer.concat([f.push(bytes), f.end()]);
  return { out, lines: f.kept };
}

/** The last n lines of bytes (a final line without '\n' counts as one). */
export function lastLinesOf(bytes: Buffer, n: number): Buffer {
  if (n <= 0 || bytes.length === 0) return Buffer.alloc(0);
  let start = bytes.length - (bytes[bytes.length - 1] === 0x0a ? 1 : 0);
  for (let k = 0; k < n; k++) {
    // (a negative offset would count from the end)
    const prev = start > 0 ? bytes.lastIndexOf(0x0a, start - 1) : -1;
    if (prev < 0) return bytes;
    start = prev;
  }
  return bytes.subarray(start + 1);
}

export interface RankCount {
  /** What `--rank` takes (`3`, `node01`, `gpu187:1`); null: lines without a prefix. */
  selector: string | null;
  rank: number | null;
  host: string | null;
  lines: number;
}

/** Physical lines per rank (by the rank that began each line), ranks in natural order, unprefixed last. */
export function countRanks(style: PrefixStyle, bytes: Buffer): RankCount[] {
  const counts = new Map<string, RankCount>();
  const text = bytes.toString('latin1');
  let s = 0;
  while (s < text.length) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = text.length;
    const line = text.slice(s, e);
    s = e + 1;
    if (line.length === 0) continue;
    const first = splitLine(raw(style), line).find((p) => p.rank !== null || p.host !== null);
    const p = first ?? { rank: null, host: null };
    const key = selectorOf(p) ?? '';
    const c = counts.get(key) ?? { selector: selectorOf(p), rank: p.rank, host: p.host, lines: 0 };
    c.lines++;
    counts.set(key, c);
  }
  return [...counts.values()].sort((a, b) => {
    if (a.selector === null || b.selector === null) return a.selector === null ? (b.selector === null ? 0 : 1) : -1;
    if (a.host !== b.host) return (a.host ?? '').localeCompare(b.host ?? '', 'en', { numeric: true });
    return (a.rank ?? -1) - (b.rank ?? -1);
  });
}

// A faster Output for Ink 6.8 (bundled monitor only, see bundle.ts). Ink's Output.get() builds a grid of
// cell objects for the whole screen on every frame: each line is tokenized into styled characters
// and every row is serialized back, ~5 ms of a 120x40 frame, most of it garbage. The monitor writes
// rows that never overlap (a full-width row, or pane strips side by side), so a row can be composed
// by concatenating the written lines with spaces in the gaps: same cells on screen, no grid.
// Anything else (a clip, overlapping writes, escape sequences other than SGR colours, control
// characters) takes Ink's own get(), unchanged.
import { stripSgr } from '../text.js';
import { lineWidth, type WidthFn } from './text-cache.js';

type Transformer = (line: string, index: number) => string;
type Op = { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] } | { type: 'clip' } | { type: 'unclip' };

/** The shape of Ink's Output class that the fast path relies on. */
export interface InkOutput {
  width: number;
  height: number;
  operations: Op[];
  get(): { output: string; height: number };
}
export type InkOutputClass = new (o: { width: number; height: number }) => InkOutput;

const RESET = '\u001b[0m';

/**
 * Plain text, or text whose only escapes are SGR colour codes (what rowString writes). Characters
 * below 0x20 other than ESC go to Ink's path (it decides their width).
 */
function composable(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0)) continue;
    if (c !== 0x1b || line.charCodeAt(i + 1) !== 0x5b) return false;
    let j = i + 2;
    while (j < line.length) {
      const d = line.charCodeAt(j);
      if ((d >= 0x30 && d <= 0x39) || d === 0x3b) j++;
      else break;
    }
    if (line.charCodeAt(j) !== 0x6d) return false;
    i = j;
  }
  return true;
}

interface Piece {
  x: number;
  w: number;
  s: string;
}

/** Rows composed from the write operations, or null when the frame needs Ink's own path. */
export function composeRows(ops: readonly Op[], height: number, stringWidth: WidthFn): string[] | null {
  const rows: Piece[][] = Array.from({ length: height }, () => []);
  for (const op of ops) {
    if (op.type !== 'write') return null;
    // Ink drops a write that starts above the screen: its rows are counted only once one is written
    if (op.y < 0) continue;
    const lines = op.text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const y = op.y + i;
      if (y >= height) break;
      let line = lines[i] as string;
      for (const t of op.transformers) line = t(line, i);
      if (!composable(line)) return null;
      const hasEsc = line.includes('\u001b');
      const visible = hasEsc ? stripSgr(line) : line;
      const w = lineWidth(stringWidth, visible);
      // a line with open styles is closed, as Ink closes every cell run
      (rows[y] as Piece[]).push({ x: op.x, w, s: hasEsc && !line.endsWith(RESET) ? line + RESET : line });
    }
  }
  const out: string[] = [];
  for (const pieces of rows) {
    if (pieces.length > 1) pieces.sort((a, b) => a.x - b.x);
    let s = '';
    let col = 0;
    for (const p of pieces) {
      if (p.x < col || p.x < 0) return null; // overlap: later writes cover earlier ones, cell by cell
      if (p.x > col) s += ' '.repeat(p.x - col);
      s += p.s;
      col = p.x + p.w;
    }
    out.push(trimEndPlain(s));
  }
  return out;
}

/** Ink trims each row's trailing blanks; styled blanks (followed by a code) stay, as in Ink. */
function trimEndPlain(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  return end === s.length ? s : s.slice(0, end);
}

let last: string | null = null;

/** The last frame composed (what the monitor shows now; src/tty/quick-frame.ts keeps it for the next start). */
export function lastFrame(): string | null {
  return last;
}

/** Ink's Output with the composing fast path in get(). */
export function fastOutput(Base: InkOutputClass, stringWidth: WidthFn): InkOutputClass {
  return class FastOutput extends Base {
    override get(): { output: string; height: number } {
      const rows = composeRows(this.operations, this.height, stringWidth);
      const r = rows === null ? super.get() : { output: rows.join('\n'), height: rows.length };
      last = r.output;
      return r;
    }
  };
}

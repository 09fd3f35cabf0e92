// Bounded, shared text measurement for Ink's internals in the bundled monitor (see bundle.ts).
// Ink 6.8 keeps every distinct string it ever measured or wrapped in module-level caches with no
// eviction (ink #986): a monitor that streams a log for a day keeps every frame's text. It also
// measures every text node with string-width on every frame, uncached, and string-width takes its
// slow grapheme path for any line with a box-drawing character (every pane row). Here one width per
// line is kept in a two-generation cache: at most 2 x CAP entries, recently used lines survive.

export type WidthFn = (s: string) => number;

const CAP = 4096;

/** A map that holds at most 2 x cap entries: when the young generation fills, the old one is dropped. */
export class GenerationCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  constructor(private readonly cap = CAP) {}

  get(k: string): V | undefined {
    const y = this.young.get(k);
    if (y !== undefined) return y;
    const o = this.old.get(k);
    if (o !== undefined) this.set(k, o);
    return o;
  }

  set(k: string, v: V): void {
    if (this.young.size >= this.cap) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(k, v);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}

const widths = new GenerationCache<number>();
const measures = new GenerationCache<{ width: number; height: number }>();
const wraps = new GenerationCache<string>();

/**
 * Only characters one column wide on their own and never joined with a neighbour: printable ASCII
 * and Latin-1 (not the soft hyphen), dashes and the ellipsis, arrows, box drawing and blocks,
 * braille: what the monitor's frames are made of. Its width is its length, as string-width says
 * (test/ui/ink-patch.test.ts checks every one); anything else (a combining mark, a variation
 * selector, CJK, emoji) goes to string-width.
 */
function narrowOnly(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) continue;
    if (c < 0xa0) return false;
    if (c <= 0xff ? c === 0xad : !((c >= 0x2010 && c <= 0x2027) || (c >= 0x2190 && c <= 0x21ff) || (c >= 0x2500 && c <= 0x259f) || (c >= 0x2800 && c <= 0x28ff))) return false;
  }
  return true;
}

/** The width of one line (no newline in it), cached. */
export function lineWidth(stringWidth: WidthFn, line: string): number {
  if (narrowOnly(line)) return line.length;
  let w = widths.get(line);
  if (w === undefined) {
    w = stringWidth(line);
    widths.set(line, w);
  }
  return w;
}

/** widest-line, on the cached line widths. */
export function widestLine(stringWidth: WidthFn): (text: string) => number {
  return (text) => {
    if (!text.includes('\n')) return lineWidth(stringWidth, text);
    let max = 0;
    for (const line of text.split('\n')) max = Math.max(max, lineWidth(stringWidth, line));
    return max;
  };
}

/** Ink's measureText with a bounded cache. */
export function measureText(stringWidth: WidthFn): (text: string) => { width: number; height: number } {
  const widest = widestLine(stringWidth);
  return (text) => {
    if (text.length === 0) return { width: 0, height: 0 };
    let d = measures.get(text);
    if (d === undefined) {
      let height = 1;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) height++;
      d = { width: widest(text), height };
      measures.set(text, d);
    }
    return d;
  };
}

type Wrap = (text: string, width: number, opts: { trim: boolean; hard: boolean }) => string;
type Truncate = (text: string, width: number, opts: { position: 'start' | 'middle' | 'end' }) => string;

/** Ink's wrapText with a bounded cache (same wrapping: wrap-ansi and cli-truncate, as Ink passes them). */
export function wrapText(wrapAnsi: Wrap, cliTruncate: Truncate): (text: string, maxWidth: number, wrapType: string) => string {
  return (text, maxWidth, wrapType) => {
    const key = `${maxWidth}\u0000${wrapType}\u0000${text}`;
    const hit = wraps.get(key);
    if (hit !== undefined) return hit;
    let out = text;
    if (wrapType === 'wrap') out = wrapAnsi(text, maxWidth, { trim: false, hard: true });
    else if (wrapType.startsWith('truncate')) {
      const position = wrapType === 'truncate-middle' ? 'middle' : wrapType === 'truncate-start' ? 'start' : 'end';
      out = cliTruncate(text, maxWidth, { position });
    }
    wraps.set(key, out);
    return out;
  };
}

/** Entries held by the caches (for tests: they stay bounded however many distinct lines pass). */
export function cacheSizes(): { widths: number; measures: number; wraps: number } {
  return { widths: widths.size, measures: measures.size, wraps: wraps.size };
}

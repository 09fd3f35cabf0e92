// Per-rank line prefixes that launchers put on a multi-process run's output, so the parsers can read
// such lines as if unprefixed and keep one rank's progress: `srun -l` (`0: `, ` 3: `: right-aligned to
// one width), pdsh / the DeepSpeed launcher (`node01: `), Open MPI --tag-output (`[1,0]<stdout>:`, and
// SageMaker's `[1,mpirank:0,algo-1]<stderr>:` where a '\r' arrives escaped as `#015`), torchrun --tee
// (`[default0]:`, `[trainer3]:` with --role), torch.distributed (`[rank3]:[W ...]`, `[rank0]: Traceback`)
// and `[gpu187:1]:` (host and local rank). The style is detected once per text (its first lines, and
// the lines that start with `[`), never per line with every pattern. Pure; never throws.

/**
 * srun: every line of every task starts with the task id padded to `width` characters then `: `;
 * host: every line starts with a host name (with a digit in it) then `: `; bracket: only the `[...]`
 * forms (which may be on some lines only: torch prefixes its warnings and tracebacks, not the tqdm bars).
 * The bracket forms are read in every style (srun wrapping torchrun, pdsh wrapping torch).
 */
export type PrefixStyle =
  | { kind: 'srun'; width: number; escaped: boolean }
  | { kind: 'host'; escaped: boolean }
  | { kind: 'bracket'; escaped: boolean };

/** One line (or one '\r' redraw) without its prefix. rank and host null: it had none. */
export interface Stripped {
  rank: number | null;
  host: string | null;
  text: string;
}

/** Lines looked at to tell srun and host prefixes (every line carries them, so the first ones tell). */
export const SAMPLE_LINES = 64;
const SAMPLE_CHARS = 32768;

// Open MPI `[jobid,rank]<stdout>:` and SageMaker's `[1,mpirank:0,algo-1]<stdout>:`; torch / torchrun
// `[rank0]:` / `[default0]:` / `[trainer3]:` (one space after it belongs to the prefix); `[gpu187:1]:`
const BRACKET =
  /\[(?:\d+,(?:mpirank:)?(\d+)(?:,[^\]\s]{0,64})?\]<std(?:out|err|diag)>:|[A-Za-z_][A-Za-z_-]{0,31}?(\d{1,6})\]: ?|([A-Za-z][\w.-]{0,63}):(\d{1,6})\]:)/y;
const HOST = /([A-Za-z][\w-]{0,62}(?:\.[\w-]+){0,8}): /y;

/**
 * The prefix style of a log from its first SAMPLE_LINES non-empty lines (srun, host: at least 3 of
 * them and 3 in 4 carry the prefix, srun's all of one width) and its lines that start with `[`; null for
 * none. lineWide false: only the bracket forms (a stream past its first lines).
 */
export function detectPrefix(text: string, lineWide = true): PrefixStyle | null {
  try {
    const bracket = findBracket(text);
    const escaped = bracket === 'mpi';
    if (lineWide) {
      const wide = sampleLineWide(text);
      if (wide !== null) return wide.kind === 'srun' ? { kind: 'srun', width: wide.width, escaped } : { kind: 'host', escaped };
    }
    return bracket === null ? null : { kind: 'bracket', escaped };
  } catch {
    return null;
  }
}

function sampleLineWide(text: string): { kind: 'srun' | 'host'; width: number } | null {
  const end = Math.min(text.length, SAMPLE_CHARS);
  let lines = 0;
  let srun = 0;
  let width = -1;
  let widths = 0;
  let host = 0;
  let s = 0;
  while (s < end && lines < SAMPLE_LINES) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = text.length;
    const line = text.slice(s, Math.min(e, s + 256));
    s = e + 1;
    if (line.length === 0 || line === '\r') continue;
    lines++;
    const w = srunWidth(line);
    if (w > 0) {
      srun++;
      if (w !== width) widths++;
      width = w;
      continue;
    }
    HOST.lastIndex = 0;
    const h = HOST.exec(line);
    if (h && /\d/.test(h[1]!)) host++;
  }
  if (lines === 0) return null;
  if (srun >= 3 && srun * 4 >= lines * 3 && widths === 1) return { kind: 'srun', width };
  if (host >= 3 && host * 4 >= lines * 3) return { kind: 'host', width: 0 };
  return null;
}

/** Where srun's `: ` is (` 3: x` -> 2), 0 for a line without one: spaces, 1-6 digits, ':', then ' ', '\r' or the end. */
function srunWidth(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  const d = i;
  while (line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
  if (i === d || i - d > 6 || line.charCodeAt(i) !== 58) return 0;
  const after = line.charCodeAt(i + 1);
  return i + 1 === line.length || after === 32 || after === 13 ? i : 0;
}

/** The first bracket form at a line start: 'mpi', 'other', or null. One indexOf pass over the text. */
function findBracket(text: string): 'mpi' | 'other' | null {
  let found: 'mpi' | 'other' | null = null;
  const first = text.indexOf('\n[');
  let at = text.charCodeAt(0) === 91 ? 0 : first < 0 ? -1 : first + 1;
  while (at >= 0) {
    BRACKET.lastIndex = at;
    const m = BRACKET.exec(text);
    if (m) {
      if (m[1] !== undefined) return 'mpi';
      found = 'other';
    }
    const next = text.indexOf('\n[', at);
    at = next < 0 ? -1 : next + 1;
  }
  return found;
}

/** The prefix of one line or redraw, stripped; the same string back in `text` when it has none. */
export function stripPrefix(style: PrefixStyle, line: string): Stripped {
  let rank: number | null = null;
  let host: string | null = null;
  let at = 0;
  if (style.kind === 'srun') {
    const w = style.width;
    if (srunWidth(line) === w) {
      rank = Number(line.slice(0, w));
      at = Math.min(line.length, w + 2);
    }
  } else if (style.kind === 'host') {
    HOST.lastIndex = 0;
    const h = HOST.exec(line);
    if (h && /\d/.test(h[1]!)) {
      host = h[1]!;
      at = h[0].length;
    }
  }
  // a bracket form, alone or inside the srun / host prefix
  if (line.charCodeAt(at) === 91) {
    BRACKET.lastIndex = at;
    const m = BRACKET.exec(line);
    if (m) {
      const inner = Number(m[1] ?? m[2] ?? m[4]);
      if (m[3] !== undefined) host = m[3];
      // srun's task id is the process; a torch rank inside it only names the same process again
      if (rank === null) rank = inner;
      at = m.index + m[0].length;
    }
  }
  if (at === 0) return { rank: null, host: null, text: line };
  return { rank, host, text: line.slice(at) };
}

/** SageMaker's CloudWatch escapes: `#015` is a '\r', `#011` a tab. */
export function unescapeCr(line: string): string {
  if (!line.includes('#01')) return line;
  return line.replaceAll('#015', '\r').replaceAll('#011', '\t');
}

/**
 * Every '\r' redraw of one physical line, stripped: a redraw without its own prefix belongs to the
 * rank that began the line (srun -l prefixes a line once, `srun -l -u` every write).
 */
export function splitLine(style: PrefixStyle, line: string): Stripped[] {
  const l = style.escaped ? unescapeCr(line) : line;
  const out: Stripped[] = [];
  let rank: number | null = null;
  let host: string | null = null;
  let s = 0;
  for (;;) {
    let e = l.indexOf('\r', s);
    if (e < 0) e = l.length;
    const p = stripPrefix(style, l.slice(s, e));
    if (p.rank !== null || p.host !== null) {
      rank = p.rank;
      host = p.host;
    } else {
      p.rank = rank;
      p.host = host;
    }
    out.push(p);
    if (e >= l.length) break;
    s = e + 1;
  }
  return out;
}

/** How an alert names where its line came from: `rank 3`, `node01`, `gpu187 rank 1`. */
export function rankLabel(p: { rank: number | null; host: string | null }): string | null {
  if (p.rank === null) return p.host;
  return p.host === null ? `rank ${p.rank}` : `${p.host} rank ${p.rank}`;
}

/**
 * Which rank's lines drive progress and metrics: rank 0's, or the lowest seen (hosts in natural order,
 * then ranks). Lines without a prefix (the launcher's own, or a torch log's unprefixed bars) are kept.
 */
export class RankChooser {
  private host: string | null = null;
  private rank = -1;
  private chosen = false;
  /** Times a lower rank took over from the one chosen before (a stream's earlier points were another rank's). */
  switches = 0;

  /** Whether a line from (rank, host) is the chosen rank's; a lower one than chosen so far becomes chosen. */
  keep(rank: number | null, host: string | null): boolean {
    if (rank === null && host === null) return true;
    const r = rank ?? -1;
    if (!this.chosen || lower(host, r, this.host, this.rank)) {
      if (this.chosen) this.switches++;
      this.chosen = true;
      this.host = host;
      this.rank = r;
      return true;
    }
    return r === this.rank && host === this.host;
  }
}

/** One collator for every comparison: localeCompare with options builds one per call (4 µs). */
const HOSTS = new Intl.Collator('en', { numeric: true });

function lower(h: string | null, r: number, ch: string | null, cr: number): boolean {
  if (h !== ch) {
    if (h === null) return true;
    if (ch === null) return false;
    return HOSTS.compare(h, ch) < 0;
  }
  return r < cr;
}

/**
 * A stream's '\r' redraws, one at a time (lineStart: the first of a physical line), read without their
 * prefix: the chosen rank's text, or null for another rank's. A redraw without its own prefix belongs
 * to the rank that began its line; SageMaker's `#015` splits a redraw in several.
 */
export class RankedStream {
  readonly chooser = new RankChooser();
  private rank: number | null = null;
  private host: string | null = null;

  constructor(readonly style: PrefixStyle) {}

  /** The chosen rank's texts in the redraw; restarted: a lower rank took over (what came before was another's). */
  take(raw: string, lineStart: boolean): { texts: string[]; restarted: boolean } {
    const parts = this.style.escaped && raw.includes('#01') ? unescapeCr(raw).split('\r') : [raw];
    const texts: string[] = [];
    let restarted = false;
    let first = lineStart;
    for (const part of parts) {
      const p = stripPrefix(this.style, part);
      if (p.rank !== null || p.host !== null || first) {
        this.rank = p.rank;
        this.host = p.host;
      }
      first = false;
      const switches = this.chooser.switches;
      if (!this.chooser.keep(this.rank, this.host)) continue;
      if (this.chooser.switches !== switches) {
        restarted = true;
        texts.length = 0;
      }
      if (p.text.length > 0) texts.push(p.text);
    }
    return { texts, restarted };
  }
}

/**
 * Watches a stream for prefixes: its first lines (which may come in small pieces, so they are kept
 * until SAMPLE_CHARS or SAMPLE_LINES) for every style, later chunks for the bracket forms only.
 */
export class PrefixWatch {
  private head: string | null = '';

  /** The style once seen, with the stream's start to read again when its first lines showed it; null: none yet. */
  see(chunk: string, linesSoFar: number): { style: PrefixStyle; again: string | null } | null {
    if (this.head === null) {
      const style = detectPrefix(chunk, false);
      return style === null ? null : { style, again: null };
    }
    this.head += chunk;
    const style = detectPrefix(this.head);
    if (style !== null) {
      const again = this.head;
      this.head = null;
      return { style, again };
    }
    if (this.head.length >= SAMPLE_CHARS || linesSoFar >= SAMPLE_LINES) this.head = null;
    return null;
  }
}

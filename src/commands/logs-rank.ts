// `rtk-tui logs RUN --rank N` and `--ranks`: one rank's lines of a multi-process log (srun -l,
// mpirun --tag-output, torchrun --tee...), or which ranks it holds. The log is read back until it has
// N lines of that rank (or it is read whole, or too big); the filtering is src/parse/rank-filter.ts.
import { countRanks, type RankCount, type RankSelector } from '../parse/rank-filter.js';
import { safeText } from '../parse/terminal.js';

export const NO_PREFIXES = 'this log has no rank prefixes (srun -l, mpirun --tag-output, torchrun --tee...)';

/** Lines read back at first for N lines of one rank: N of each of 16 ranks, at least 2000. */
export function firstReadBack(n: number): number {
  return Math.max(2000, n * 16);
}

/** Lines --ranks counts over when -n is not given. */
export const RANKS_DEFAULT_LINES = 10_000;

/** What a read back may bring (the exec takes up to 64 MiB). */
const MAX_BYTES = 48 * 1024 * 1024;

/** The next number of lines to read back, or null: what was read is enough, all there is, or as much as may be read. */
export function furtherBack(kept: number, want: number, body: Buffer, asked: number): number | null {
  if (kept >= want) return null;
  let lines = 0;
  for (let at = body.indexOf(0x0a); at >= 0; at = body.indexOf(0x0a, at + 1)) lines++;
  // fewer lines than asked: the file was read whole
  if (lines < asked) return null;
  // eight times as many, as far as lines of this length fit in MAX_BYTES
  const fit = Math.floor(MAX_BYTES / Math.max(1, body.length / Math.max(1, lines)));
  const next = Math.min(asked * 8, fit);
  return next > asked ? next : null;
}

export function selectorText(sel: RankSelector): string {
  if (sel.host === null) return `rank ${sel.rank}`;
  return sel.rank === null ? safeText(sel.host) : `${safeText(sel.host)} rank ${sel.rank}`;
}

/** `RANK  LINES` rows; lines without a prefix (the launcher's own) as `-`. */
export function ranksTable(counts: RankCount[]): string {
  const names = counts.map((c) => (c.selector === null ? '-' : safeText(c.selector)));
  const w = Math.max(4, ...names.map((n) => n.length));
  const rows = counts.map((c, i) => `${names[i]!.padEnd(w)}  ${c.lines}${c.selector === null ? '  (no prefix)' : ''}`);
  return `${['RANK'.padEnd(w) + '  LINES', ...rows].join('\n')}\n`;
}

/** The note for a rank that has no lines in what was read: the ranks there are. */
export function noLinesNote(sel: RankSelector, counts: RankCount[], lines: number): string {
  const seen = counts.filter((c) => c.selector !== null).map((c) => safeText(c.selector!));
  return `rtk-tui: ${selectorText(sel)} has no lines in the last ${lines.toLocaleString('en-US')} lines of the log (ranks there: ${seen.join(' ') || 'none'})`;
}

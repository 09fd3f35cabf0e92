// grep's numbered output (`grep -n -C1`): `N:line` for a matching line, `N-line` for a context line,
// `--` between groups; and a region of a file read by line number (`tail -n +N | head`). The text is
// hostile (binary logs through `grep -a`, escapes, CRLF, lines holding `:`, a reply cut short by the
// byte cap): every line is sanitized as the log pane's are; nothing here throws.
import { sanitizeLogLine } from './terminal.js';

/** Characters kept of one line (the remote side already cut each line to its byte cap). */
export const GREP_LINE_CHARS = 1000;

export interface GrepLine {
  /** 1-based line number in the file searched. */
  line: number;
  text: string;
}

export interface GrepHit extends GrepLine {
  /** The line before / after it, when grep printed it (one line of context). */
  before: GrepLine | null;
  after: GrepLine | null;
}

export interface GrepResult {
  hits: GrepHit[];
  /** More matching lines than `max` were found (grep was asked for one more than kept). */
  more: boolean;
  /** Lines of the reply that were not grep's (a reply cut mid-line, noise): not shown. */
  skipped: number;
}

/** One output line: `12:text` (match) or `12-text` (context); null for `--` and anything else. */
function entry(raw: string): (GrepLine & { match: boolean }) | null {
  let i = 0;
  while (i < raw.length && i < 16) {
    const c = raw.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  if (i === 0 || i >= raw.length) return null;
  const sep = raw[i];
  if (sep !== ':' && sep !== '-') return null;
  const line = Number(raw.slice(0, i));
  if (!Number.isSafeInteger(line) || line < 1) return null;
  // the text starts right after the first separator: colons inside it are its own
  let text = raw.slice(i + 1);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  return { line, text: sanitizeLogLine(text, GREP_LINE_CHARS), match: sep === ':' };
}

/**
 * The matches of `grep -n -C1` output, at most `max` (the command asks for max + 1 to know there are
 * more). A line cut by the reply's byte cap is dropped, not shown as a wrong one: `complete` false
 * says the last line has no newline.
 */
export function parseGrep(out: string, max: number, complete = true): GrepResult {
  const raw = out.split('\n');
  // the text after the last newline: nothing (a complete reply) or a line cut short
  const tail = raw.pop() ?? '';
  let skipped = tail !== '' && !complete ? 1 : 0;
  if (tail !== '' && complete) raw.push(tail);
  const hits: GrepHit[] = [];
  let more = false;
  let prev: (GrepLine & { match: boolean }) | null = null;
  let pendingAfter: GrepHit | null = null;
  for (const r of raw) {
    if (r === '--' || r === '--\r') {
      prev = null;
      pendingAfter = null;
      continue;
    }
    const e = entry(r);
    if (e === null) {
      if (r !== '') skipped++;
      continue;
    }
    // a line right after the previous hit is its context (a match too, with -C1 groups merging)
    if (pendingAfter !== null && e.line === pendingAfter.line + 1) pendingAfter.after = { line: e.line, text: e.text };
    pendingAfter = null;
    if (e.match) {
      if (hits.length >= max) {
        more = true;
      } else {
        const before = prev !== null && prev.line === e.line - 1 ? { line: prev.line, text: prev.text } : null;
        const hit: GrepHit = { line: e.line, text: e.text, before, after: null };
        hits.push(hit);
        pendingAfter = hit;
      }
    }
    prev = e;
  }
  return { hits, more, skipped };
}

export interface Region {
  /** Line number of lines[0]. */
  first: number;
  lines: string[];
}

/** Lines read from `first` on (`tail -n +first | head -n count`): sanitized, CR dropped; never throws. */
export function parseRegion(out: string, first: number, complete = true): Region {
  const raw = out.split('\n');
  const tail = raw.pop() ?? '';
  // a cut reply: its last line is shown as far as it came (it is the file's text, only shorter)
  if (tail !== '') raw.push(complete ? tail : `${tail}…`);
  const lines = raw.map((l) => sanitizeLogLine(l.endsWith('\r') ? l.slice(0, -1) : l, GREP_LINE_CHARS * 4));
  return { first: Math.max(1, Math.floor(first)), lines };
}

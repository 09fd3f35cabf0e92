// The matches of a whole-file log search (`F` in the log pane): line number and line of each match,
// the selected one with its line of context above and below; Enter shows it in the log pane. And the
// highlighting of a match in a line, shared with the log pane's region mode. Pure: state in, rows out.
import type { LogFileQuery, LogFileSearch, State } from '../store/state.js';
import { RowBuilder, textRow, type Row } from './rows.js';
import { stripSgr } from './text.js';

export const LOG_SEARCH_TITLE = 'Whole log file search (j/k choose · Enter show it in the log · Esc closes)';

/** "fixed, ignore case" / "regex, match case". */
export function queryMode(q: { regex: boolean; ignoreCase: boolean }): string {
  return `${q.regex ? 'regex' : 'fixed string'}, ${q.ignoreCase ? 'ignore case' : 'match case'}`;
}

/** Where the query matches in this (already sanitized) text: [start, end) pairs, in order. */
export function matchRanges(text: string, q: LogFileQuery): [number, number][] {
  if (q.pattern === '') return [];
  const out: [number, number][] = [];
  if (!q.regex) {
    const hay = q.ignoreCase ? text.toLowerCase() : text;
    const needle = q.ignoreCase ? q.pattern.toLowerCase() : q.pattern;
    // toLowerCase may change lengths (rare letters): then the whole line is marked, not a wrong piece
    if (hay.length !== text.length) return hay.includes(needle) ? [[0, text.length]] : [];
    for (let at = hay.indexOf(needle); at >= 0 && out.length < 64; at = hay.indexOf(needle, at + needle.length)) out.push([at, at + needle.length]);
    return out;
  }
  // grep -E and JavaScript agree on most patterns; one they do not is shown without its marks
  let re: RegExp;
  try {
    re = new RegExp(q.pattern, q.ignoreCase ? 'gi' : 'g');
  } catch {
    return [];
  }
  for (let m = re.exec(text); m !== null && out.length < 64; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

/** A line with its matches marked; `base` styles the rest. */
export function markedLine(b: RowBuilder, line: string, q: LogFileQuery, base?: 'sel' | 'dim'): RowBuilder {
  const text = stripSgr(line);
  let at = 0;
  for (const [a, z] of matchRanges(text, q)) {
    if (b.left <= 0) break;
    b.add(text.slice(at, a), base);
    b.add(text.slice(a, z), 'match');
    at = z;
  }
  return b.add(text.slice(at), base);
}

function header(f: LogFileSearch, w: number): Row[] {
  const what = `"${f.pattern}" (${queryMode(f)}) in ${f.path}`;
  const rows: Row[] = [];
  if (f.phase === 'searching') rows.push(textRow(` searching ${what} on the host…`, w, 'accent'));
  else if (f.phase === 'failed') rows.push(textRow(` ${f.note ?? 'the search failed'}`, w, 'err'));
  else {
    const n = f.hits.length;
    const count = n === 0 ? 'no match' : f.more ? `more than ${n} matches: the first ${n}` : `${n} match${n === 1 ? '' : 'es'}`;
    rows.push(new RowBuilder(w).add(` ${count}`, n === 0 ? 'warn' : 'ok').add(` for ${what}`, 'dim').row());
    if (f.more) rows.push(textRow(' (narrow the pattern to see the rest)', w, 'dim'));
    if (f.note !== null) rows.push(textRow(` ${f.note}`, w, 'warn'));
  }
  return rows;
}

export function logSearchRows(s: State, w: number, h: number): Row[] {
  const f = s.logFileSearch;
  if (f === null) return [textRow(' F in the log pane searches the whole log file of the selected run.', w, 'dim')];
  const head = header(f, w);
  if (f.hits.length === 0) return head;
  const numW = String(f.hits[f.hits.length - 1]!.line).length;
  const listH = Math.max(1, h - head.length - 1);
  // the selected match takes three rows (its context above and below); the window keeps it in view
  const sel = f.selected;
  const rowsOf = (i: number): Row[] => {
    const hit = f.hits[i]!;
    const on = i === sel;
    const main = new RowBuilder(w).add(on ? '› ' : '  ', on ? 'sel' : undefined).add(`${String(hit.line).padStart(numW)}  `, on ? 'sel' : 'dim');
    const rows = [markedLine(main, hit.text, f, on ? 'sel' : undefined).row()];
    if (!on) return rows;
    const ctx = (l: { line: number; text: string } | null): Row => new RowBuilder(w).add(`  ${(l === null ? '' : String(l.line)).padStart(numW)}  `, 'dim').add(l === null ? '' : stripSgr(l.text), 'dim').row();
    return [ctx(hit.before), ...rows, ctx(hit.after)];
  };
  const before = Math.floor((listH - 3) / 3);
  let start = Math.max(0, sel - before);
  let out: Row[] = [];
  for (let i = start; i < f.hits.length && out.length < listH; i++) out.push(...rowsOf(i));
  // near the end: fill the window from above
  while (out.length < listH && start > 0) {
    start--;
    out = [...rowsOf(start), ...out];
  }
  return [...head, textRow('', w), ...out.slice(0, listH)];
}

// The whole-file log search (`F`): the prompt with its regex / ignore-case toggles, the matches view,
// and the region of the file shown in the log pane after a jump (instead of the live tail until Esc,
// f or G). The grep and the region read are effects; their answers come back as events. Pure.
import { paneRect } from './layout.js';
import { selectedRun } from './selectors.js';
import type { Effect, LogFileSearch, LogRegion, State, StoreEvent } from './state.js';

/** Lines of the file read around a match. */
export const REGION_LINES = 200;

function say(s: State, text: string, level: 'info' | 'warn' | 'error' = 'info'): State {
  return { ...s, message: { text, level, at: s.now } };
}

/** Rows of the log pane that show region lines (one row is its banner). */
export function regionRows(s: State): number {
  return Math.max(1, paneRect(s, 'log').h - 1);
}

/** The region of the selected run, when the log pane shows one. */
export function activeRegion(s: State): LogRegion | null {
  const r = s.logRegion;
  return r !== null && r.runId === s.selectedRunId ? r : null;
}

/** Smart case, as the buffer search: a pattern without capitals ignores case. */
const smartIgnore = (p: string): boolean => p === p.toLowerCase();

/** Whole-file search commands; null when `id` is not one of them (or does not apply now). */
export function logSearchCommand(s: State, id: string, effects: Effect[]): State | null {
  const inPrompt = s.input?.kind === 'log-file-search' ? s.input : null;
  switch (id) {
    case 'log.searchFile': {
      const run = selectedRun(s);
      if (run === null) return say(s, 'no run selected', 'warn');
      if (run.log === null) return say(s, `${run.id} has no log file (its pane is shown): only a run started with a log (@rtk_log) can be searched whole`, 'warn');
      const last = s.logFileSearch !== null && s.logFileSearch.runId === run.id ? s.logFileSearch : null;
      const draft = s.logView.query !== '' ? s.logView.query : last?.pattern ?? '';
      const regex = last?.regex ?? false;
      return { ...s, input: { kind: 'log-file-search', draft, regex, ignoreCase: last !== null && last.pattern === draft ? last.ignoreCase : smartIgnore(draft) } };
    }
    case 'input.regex':
      return inPrompt === null ? s : { ...s, input: { ...inPrompt, regex: !inPrompt.regex } };
    case 'input.case':
      return inPrompt === null ? s : { ...s, input: { ...inPrompt, ignoreCase: !inPrompt.ignoreCase } };
    case 'input.submit': {
      if (inPrompt === null) return null;
      const run = selectedRun(s);
      const t: State = { ...s, input: null };
      if (inPrompt.draft === '') return t;
      if (run === null || run.log === null) return say(t, 'no run with a log file selected', 'warn');
      const q = { pattern: inPrompt.draft, regex: inPrompt.regex, ignoreCase: inPrompt.ignoreCase };
      const sid = (s.logFileSearch?.id ?? 0) + 1;
      const search: LogFileSearch = { ...q, id: sid, runId: run.id, path: run.log, phase: 'searching', hits: [], more: false, note: null, selected: 0, open: true };
      effects.push({ type: 'logFile.search', id: sid, runId: run.id, host: run.host, log: run.log, logStart: run.logStart ?? null, ...q });
      return { ...t, logFileSearch: search };
    }
    case 'matches.close':
      return s.logFileSearch === null ? s : { ...s, logFileSearch: { ...s.logFileSearch, open: false } };
    case 'matches.down':
    case 'matches.up':
    case 'matches.first':
    case 'matches.last': {
      const f = s.logFileSearch;
      if (f === null || f.hits.length === 0) return s;
      const n = f.hits.length;
      const j = id === 'matches.first' ? 0 : id === 'matches.last' ? n - 1 : Math.max(0, Math.min(n - 1, f.selected + (id === 'matches.down' ? 1 : -1)));
      return { ...s, logFileSearch: { ...f, selected: j } };
    }
    case 'matches.jump':
      return s.logFileSearch === null ? s : jump(s, s.logFileSearch.selected, effects);
  }
  const region = activeRegion(s);
  if (region === null) return null;
  // the log pane shows a region of the file: its keys move in it, and these leave it
  switch (id) {
    case 'log.follow':
    case 'log.bottom':
    case 'log.clearSearch':
    case 'log.search':
      return leaveRegion(s, id);
    case 'log.next':
    case 'log.prev': {
      const f = s.logFileSearch;
      if (f === null || f.runId !== region.runId || f.hits.length === 0) return say(s, 'no whole-file search: F searches the log file', 'warn');
      const j = f.selected + (id === 'log.next' ? 1 : -1);
      if (j < 0 || j >= f.hits.length) return say(s, id === 'log.next' ? `no match below line ${region.line}${f.more ? ' (the list stops at its first matches)' : ''}` : `no match above line ${region.line}`, 'warn');
      return jump(s, j, effects);
    }
    case 'log.up':
    case 'log.down':
    case 'log.pageUp':
    case 'log.pageDown':
    case 'log.top': {
      const rows = regionRows(s);
      const maxTop = Math.max(0, region.lines.length - rows);
      const d = id === 'log.up' ? -1 : id === 'log.down' ? 1 : id === 'log.pageUp' ? -rows : id === 'log.pageDown' ? rows : -region.top;
      return { ...s, logRegion: { ...region, top: Math.max(0, Math.min(maxTop, region.top + d)) } };
    }
  }
  return null;
}

/** Back to the live tail (then `/` opens its prompt as usual). */
function leaveRegion(s: State, id: string): State {
  const t: State = { ...s, logRegion: null, logView: { ...s.logView, follow: true, anchorSeq: -1 } };
  if (id === 'log.search') return { ...t, input: { kind: 'log-search', draft: s.logView.query } };
  return say(t, 'back to the live tail');
}

/** Shows the hit `i` of the search: its region is read around it, the view closes. */
function jump(s: State, i: number, effects: Effect[]): State {
  const f = s.logFileSearch as LogFileSearch;
  const hit = f.hits[i];
  const run = selectedRun(s);
  if (hit === undefined || run === null || run.id !== f.runId || run.log === null) return { ...s, logFileSearch: { ...f, open: false } };
  const id = Math.max(f.id, s.logRegion?.id ?? 0) + 1;
  const from = Math.max(1, hit.line - REGION_LINES / 2);
  effects.push({ type: 'logFile.region', id, runId: run.id, host: run.host, log: run.log, logStart: run.logStart ?? null, from, count: REGION_LINES });
  const query = { pattern: f.pattern, regex: f.regex, ignoreCase: f.ignoreCase };
  // what was on screen stays until the new region comes (no flash of an empty pane on n/N)
  const was = activeRegion(s);
  const region: LogRegion =
    was !== null
      ? { ...was, id, line: hit.line, phase: 'loading', query }
      : { id, runId: run.id, path: run.log, line: hit.line, first: from, lines: [], phase: 'loading', error: null, top: 0, query };
  return { ...s, focus: 'log', logFileSearch: { ...f, selected: i, open: false }, logRegion: region };
}

/** The answers of the effects above; a late answer to an older request is dropped. */
export function logSearchEvent(s: State, ev: StoreEvent): State {
  if (ev.type === 'logFile.matches') {
    const f = s.logFileSearch;
    if (f === null || f.id !== ev.id) return s;
    if (ev.error !== null) return { ...s, logFileSearch: { ...f, phase: 'failed', note: ev.error } };
    return { ...s, logFileSearch: { ...f, phase: 'done', hits: ev.hits, more: ev.more, note: ev.note, selected: 0 } };
  }
  if (ev.type === 'logFile.region') {
    const r = s.logRegion;
    if (r === null || r.id !== ev.id) return s;
    if (ev.error !== null) return { ...s, logRegion: { ...r, phase: 'failed', error: ev.error } };
    const rows = regionRows(s);
    const at = r.line - ev.first;
    const top = Math.max(0, Math.min(Math.max(0, ev.lines.length - rows), at - Math.floor(rows / 2)));
    return { ...s, logRegion: { ...r, phase: 'done', error: null, first: ev.first, lines: ev.lines, top } };
  }
  return s;
}

/** The selection moved to another run: its search and region were the old run's. */
export function dropOtherRuns(s: State): State {
  const id = s.selectedRunId;
  const f = s.logFileSearch !== null && s.logFileSearch.runId !== id ? null : s.logFileSearch;
  const r = s.logRegion !== null && s.logRegion.runId !== id ? null : s.logRegion;
  return f === s.logFileSearch && r === s.logRegion ? s : { ...s, logFileSearch: f, logRegion: r };
}

// Log pane: only the visible window is sliced from the run's ring buffer; the live \r progress line
// sits at the bottom while following; a paused view says how many lines arrived since.
import type { Run } from '../../domain/types.js';
import type { LogBuffer } from '../../store/log-buffer.js';
import { hostView, logBottomSeq, matcher, newLinesWhilePaused, progressOf, selectedRun } from '../../store/selectors.js';
import { compactNumber, duration, stateLabel } from '../format.js';
import { RowBuilder, textRow, type Row } from '../rows.js';
import { chunk, fit, stripSgr } from '../text.js';
import { notice, padRows, type PaneCtx, type PaneOut } from './pane.js';
import { activeRegion } from '../../store/reduce-log-search.js';
import type { LogRegion } from '../../store/state.js';
import { markedLine } from '../log-search-view.js';

export function logTitle(run: Run | null, c: Pick<PaneCtx, 's'>): string {
  if (run === null) return 'Log';
  // what matters most first (a long title is cut at its end): the run, paused or not, its progress,
  // the search the user is in; then ETA, state, loss, wrap
  // a group (config groups) shows rank 0's log: say whose
  const parts = ['Log', run.parts?.[0] !== undefined ? `${run.id} (rank 0 ${run.parts[0].id})` : run.id];
  const v = c.s.logView;
  const region = activeRegion(c.s);
  if (region !== null) parts.push(`FILE line ${region.line.toLocaleString('en-US')}`, `/${region.query.pattern}`);
  else if (!v.follow) parts.push('PAUSED');
  // the newest of the last poll and the last lines on screen
  const p = progressOf(c.s, run);
  const alive = run.state === 'running';
  if (p !== null) {
    if (p.step !== null) {
      let t = `step ${p.step}${p.total !== null ? `/${p.total}` : ''}`;
      if (p.percent !== null) t += ` ${Math.floor(p.percent)}%`;
      parts.push(t);
    } else if (p.percent !== null) parts.push(`${Math.floor(p.percent)}%`);
  }
  if (v.query !== '' && region === null) parts.push(`/${v.query}`);
  // a dead run has no ETA; a host not heard from says so rather than freeze it as if live
  if (alive && p !== null && p.etaSeconds !== null && p.etaSeconds > 0) parts.push(`ETA ${duration(p.etaSeconds)}${hostView(c.s, run.host).stale ? ' (stale)' : ''}`);
  if (!alive && run.state !== 'unknown') parts.push(stateLabel(run));
  const loss = run.metrics.loss;
  if (loss !== undefined) parts.push(`loss ${compactNumber(loss)}`);
  if (v.wrap) parts.push('wrap');
  return parts.join(' · ');
}

export function logPane(c: PaneCtx): PaneOut {
  const run = selectedRun(c.s);
  const title = logTitle(run, c);
  if (run === null) return { title, rows: notice(c, 'no run selected') };
  const region = activeRegion(c.s);
  if (region !== null) return { title, rows: padRows(regionRows(c, region), c) };
  const buf = c.log(run.id);
  if (buf === undefined || (buf.length === 0 && buf.partial === null)) {
    return { title, rows: notice(c, run.log === null ? `waiting for output of ${run.id}…` : `waiting for ${run.log}…`) };
  }
  const v = c.s.logView;
  const showPartial = v.follow && buf.partial !== null;
  const indicator = !v.follow;
  // a failed or stalled run: what to try, under its last lines (its log no longer moves)
  const hint = v.follow && c.h >= 6 && (run.state === 'failed' || run.state === 'stalled') ? hintOf(run) : null;
  const lineRows = Math.max(1, c.h - (showPartial ? 1 : 0) - (indicator ? 1 : 0) - (hint !== null ? 1 : 0));
  const rows = v.wrap ? wrapped(c, buf, lineRows) : plain(c, buf, lineRows);
  if (showPartial) rows.push(textRow(fit(c.color ? (buf.partial as string) : stripSgr(buf.partial as string), c.w), c.w, 'accent'));
  if (indicator) rows.push(pausedRow(c, buf, lineRows));
  if (hint !== null) rows.push(new RowBuilder(c.w).add('hint: ', 'warn').add(hint, 'dim').row());
  return { title, rows: padRows(rows, c) };
}

/** The hint of the alert behind the run's state (src/events/hints.ts via the runs poll). */
function hintOf(run: Run): string | null {
  const a = run.alerts.find((x) => x.kind === run.reason) ?? run.alerts[0];
  return a?.hint ?? null;
}

function pausedRow(c: PaneCtx, buf: LogBuffer, lineRows: number): Row {
  const n = newLinesWhilePaused(c.s, buf);
  const below = buf.lastSeq - logBottomSeq(c.s, buf, lineRows);
  const what = n > 0 ? `${n} new line${n === 1 ? '' : 's'}` : below > 0 ? `${below} lines below` : 'at the end';
  return new RowBuilder(c.w).add(`── paused · ${what} · f follow ──`, 'banner').row();
}

/** The line after which "N new lines since HH:MM" goes, when lines came while the user was away. */
function ruleAfter(c: PaneCtx, buf: LogBuffer): number | null {
  const r = c.s.logRule;
  if (r === null || r.runId !== c.s.selectedRunId || r.seq >= buf.lastSeq || r.seq < buf.firstSeq) return null;
  return r.seq;
}

function ruleRow(c: PaneCtx, buf: LogBuffer, after: number): Row {
  const n = buf.lastSeq - after;
  const at = new Date(c.s.logRule!.at).toTimeString().slice(0, 5);
  return new RowBuilder(c.w).add(`── ${n.toLocaleString('en-US')} new line${n === 1 ? '' : 's'} since ${at} ──`, 'marker').row();
}

function plain(c: PaneCtx, buf: LogBuffer, lineRows: number): Row[] {
  const bottom = logBottomSeq(c.s, buf, lineRows);
  const rule = ruleAfter(c, buf);
  // the rule takes a row: one line fewer above it
  const shown = rule !== null && rule < bottom && rule >= bottom - lineRows + 1 ? lineRows - 1 : lineRows;
  const from = Math.max(buf.firstSeq, bottom - shown + 1);
  const m = matcher(c.s.logView.query);
  const rows: Row[] = [];
  for (let seq = from; seq <= bottom; seq++) {
    if (rule !== null && seq === rule + 1) rows.push(ruleRow(c, buf, rule));
    const line = buf.get(seq) as string;
    if (buf.isMarker(seq)) rows.push(textRow(`── ${stripSgr(line)} ──`, c.w, 'marker'));
    else if (m !== null && m(line)) rows.push(highlight(line, c, seq === c.s.logView.matchSeq));
    else rows.push([{ t: fit(c.color ? line : stripSgr(line), c.w) }]);
  }
  return rows;
}

function highlight(line: string, c: PaneCtx, current: boolean): Row {
  const q = c.s.logView.query;
  const text = stripSgr(line);
  const hay = q === q.toLowerCase() ? text.toLowerCase() : text;
  const b = new RowBuilder(c.w);
  let at = 0;
  for (;;) {
    const i = hay.indexOf(q, at);
    if (i < 0 || b.left <= 0) break;
    b.add(text.slice(at, i), current ? 'sel' : undefined);
    b.add(text.slice(i, i + q.length), 'match');
    at = i + q.length;
  }
  b.add(text.slice(at), current ? 'sel' : undefined);
  return b.row();
}

function wrapped(c: PaneCtx, buf: LogBuffer, lineRows: number): Row[] {
  const bottom = logBottomSeq(c.s, buf, lineRows);
  const m = matcher(c.s.logView.query);
  const out: Row[] = [];
  const rule = ruleAfter(c, buf);
  for (let seq = bottom; seq >= buf.firstSeq && out.length < lineRows; seq--) {
    if (rule !== null && seq === rule && seq < bottom) out.push(ruleRow(c, buf, rule));
    if (out.length >= lineRows) break;
    const line = buf.get(seq) as string;
    const pieces = chunk(line, c.w);
    const tok = buf.isMarker(seq) ? 'marker' : m !== null && m(line) ? 'match' : undefined;
    for (let i = pieces.length - 1; i >= 0 && out.length < lineRows; i--) out.push(textRow(pieces[i] as string, c.w, tok));
  }
  return out.reverse();
}

/**
 * A region of the log file (a jump from the whole-file search): a banner that says so and how to go
 * back, then the lines with their line numbers, the match's line marked.
 */
function regionRows(c: PaneCtx, r: LogRegion): Row[] {
  const last = r.first + r.lines.length - 1;
  const where = r.lines.length > 0 ? `lines ${r.first.toLocaleString('en-US')}–${last.toLocaleString('en-US')} of the file` : `line ${r.line.toLocaleString('en-US')} of the file`;
  const state = r.phase === 'loading' ? ' · loading…' : '';
  // the way back first: a narrow pane cuts the end
  const rows: Row[] = [new RowBuilder(c.w).add(`── ${where}, not the live tail · Esc back${state} · n/N match ──`, 'banner').row()];
  if (r.phase === 'failed') {
    rows.push(textRow(` ${r.error ?? 'could not read the file'}`, c.w, 'err'));
    return rows;
  }
  if (r.lines.length === 0) {
    rows.push(textRow(r.phase === 'loading' ? ' reading the file…' : ' the file has no such line (any more)', c.w, 'dim'));
    return rows;
  }
  const numW = String(last).length;
  for (let i = r.top; i < r.lines.length && rows.length < c.h; i++) {
    const n = r.first + i;
    const on = n === r.line;
    const b = new RowBuilder(c.w).add(on ? '›' : ' ', on ? 'sel' : undefined).add(`${String(n).padStart(numW)} `, on ? 'sel' : 'dim');
    rows.push(on ? markedLine(b, r.lines[i] as string, r.query, 'sel').row() : b.add(stripSgr(r.lines[i] as string)).row());
  }
  return rows;
}

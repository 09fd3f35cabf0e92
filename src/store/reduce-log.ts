// The log pane's commands: scrolling with follow/pause, and search (n/N). Pure, like reduce.ts.
import { paneRect } from './layout.js';
import { logBottomSeq, matcher, selectedRun } from './selectors.js';
import type { State } from './state.js';
import type { ReduceContext } from './reduce.js';

function say(s: State, text: string, ctx: ReduceContext, level: 'info' | 'warn' | 'error' = 'info'): State {
  return { ...s, message: { text, level, at: ctx.now } };
}

/** Log lines on screen while scrolled back (one row shows the "paused" banner). */
function logRows(s: State): number {
  return Math.max(1, paneRect(s, 'log').h - 1);
}

export function scroll(s: State, id: string, ctx: ReduceContext): State {
  const buf = s.selectedRunId === null ? undefined : ctx.log(s.selectedRunId);
  if (buf === undefined || buf.length === 0) {
    return id === 'log.follow' ? { ...s, logView: { ...s.logView, follow: !s.logView.follow } } : s;
  }
  const rows = logRows(s);
  const v = s.logView;
  const bottom = logBottomSeq(s, buf, rows);
  const minBottom = Math.min(buf.lastSeq, buf.firstSeq + rows - 1);
  const paused = v.follow ? buf.lastSeq : v.pausedAtSeq;
  const to = (seq: number): State => {
    const a = Math.max(minBottom, Math.min(buf.lastSeq, seq));
    if (a >= buf.lastSeq && seq >= buf.lastSeq) return { ...s, logView: { ...v, follow: true, anchorSeq: -1 } };
    return { ...s, logView: { ...v, follow: false, anchorSeq: a, pausedAtSeq: paused } };
  };
  switch (id) {
    case 'log.up':
      return to(bottom - 1);
    case 'log.down':
      return v.follow ? s : to(bottom + 1);
    case 'log.pageUp':
      return to(bottom - rows);
    case 'log.pageDown':
      return v.follow ? s : to(bottom + rows);
    case 'log.top':
      return { ...s, logView: { ...v, follow: false, anchorSeq: minBottom, pausedAtSeq: paused } };
    case 'log.bottom':
      return { ...s, logView: { ...v, follow: true, anchorSeq: -1 } };
    case 'log.follow':
      return v.follow
        ? { ...s, logView: { ...v, follow: false, anchorSeq: buf.lastSeq, pausedAtSeq: buf.lastSeq } }
        : { ...s, logView: { ...v, follow: true, anchorSeq: -1 } };
  }
  return s;
}

/** dir 0: the newest match at or above the view's bottom; 1 / -1: the next newer / older one. */
export function findMatch(s: State, dir: 0 | 1 | -1, ctx: ReduceContext): State {
  const v = s.logView;
  const m = matcher(v.query);
  if (m === null) return say(s, 'no search: press / to search the log', ctx);
  const buf = s.selectedRunId === null ? undefined : ctx.log(s.selectedRunId);
  if (buf === undefined || buf.length === 0) return say(s, `no match for "${v.query}"${wholeFileOffer(s, 0)}`, ctx, 'warn');
  const rows = logRows(s);
  const bottom = logBottomSeq(s, buf, rows);
  const from = dir === 0 ? bottom : (v.matchSeq ?? bottom) + (dir === 1 ? 1 : -1);
  const step = dir === 1 ? 1 : -1;
  for (let q = from; q >= buf.firstSeq && q <= buf.lastSeq; q += step) {
    if (m(buf.get(q) as string)) {
      // the match lands mid-pane, with context below it
      const anchor = Math.min(buf.lastSeq, q + Math.floor(rows / 2));
      const minBottom = Math.min(buf.lastSeq, buf.firstSeq + rows - 1);
      return {
        ...s,
        message: null,
        logView: {
          ...v,
          follow: false,
          anchorSeq: Math.max(minBottom, anchor),
          pausedAtSeq: v.follow ? buf.lastSeq : v.pausedAtSeq,
          matchSeq: q,
        },
      };
    }
  }
  const where = dir === 1 ? ' below' : dir === -1 ? ' above' : '';
  return say(s, `no match for "${v.query}"${where}${wholeFileOffer(s, buf.length)}`, ctx, 'warn');
}

/** The buffer holds the last lines only: a run with a log file can be searched whole on its host. */
function wholeFileOffer(s: State, kept: number): string {
  const run = selectedRun(s);
  if (run === null || run.log === null) return '';
  return `${kept > 0 ? ` in the last ${kept.toLocaleString('en-US')} lines` : ''} · F searches the whole log file`;
}

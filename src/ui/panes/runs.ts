// Runs pane: every run on every host; `›` marks the selection, the state is a word.
import type { Run } from '../../domain/types.js';
import { hostView, visibleRuns } from '../../store/selectors.js';
import { runExtra, stateWord } from '../format.js';
import { RowBuilder, textRow, type Row } from '../rows.js';
import { fit } from '../text.js';
import type { Tok } from '../theme.js';
import { notice, padRows, windowStart, type PaneCtx, type PaneOut } from './pane.js';

const STATE_TOK: Record<Run['state'], Tok> = {
  running: 'ok',
  stalled: 'warn',
  finished: 'accent',
  failed: 'err',
  unknown: 'dim',
};

export function runsPane(c: PaneCtx): PaneOut {
  const { s } = c;
  const runs = visibleRuns(s);
  const total = Object.values(s.runsByHost).reduce((n, l) => n + l.length, 0);
  let title = `Runs · ${total}`;
  if (s.runsFilter !== '') title += ` · /${s.runsFilter} ${runs.length}`;
  if (runs.length === 0) {
    if (total > 0) return { title, rows: notice(c, `no run matches "${s.runsFilter}"`) };
    // per host, the truth: never "no tmux sessions" for a host that was never reached
    const lines = s.hostOrder.map((h) => {
      const conn = s.hosts[h];
      if (s.runsByHost[h] !== undefined) return ` ${h}: no tmux sessions`;
      if (!conn || conn.phase === 'connecting') return ` ${h}: connecting…`;
      if (conn.phase === 'connected') return ` ${h}: listing sessions…`;
      return ` ${h}: not reached: ${conn.error ?? conn.status} (H for details)`;
    });
    return { title, rows: padRows((lines.length ? lines : [' no hosts']).map((l) => textRow(l, c.w, 'dim')), c) };
  }
  const extras = runs.map(runExtra);
  const extraW = Math.min(10, Math.max(0, ...extras.map((e) => e.length)));
  const stale = new Map<string, boolean>();
  const isStale = (host: string): boolean => {
    let v = stale.get(host);
    if (v === undefined) {
      v = hostView(s, host).stale;
      stale.set(host, v);
    }
    return v;
  };
  const words = runs.map((r) => `${stateWord(r)}${isStale(r.host) ? '?' : ''}`);
  const stateW = Math.max(...words.map((x) => x.length)) + 1;
  const room = Math.max(4, c.w - 2 - stateW - (extraW > 0 ? extraW + 1 : 0));
  // as wide as the longest name (a zoomed pane keeps the state next to the name), at most the room
  const nameW = Math.min(room, Math.max(4, ...runs.map((r) => r.id.length)) + 1);
  const sel = runs.findIndex((r) => r.id === s.selectedRunId);
  const start = windowStart(sel, runs.length, c.h);
  const rows: Row[] = [];
  for (let i = start; i < Math.min(runs.length, start + c.h); i++) {
    const r = runs[i] as Run;
    const rStale = isStale(r.host);
    const selected = i === sel;
    const b = new RowBuilder(c.w);
    b.add(selected ? '› ' : '  ', selected ? 'sel' : undefined);
    b.add(fit(r.id, nameW), selected ? 'sel' : rStale ? 'dim' : undefined);
    b.add(' ');
    // a '?' after the state: last known state of a host that is not connected now
    b.add((words[i] as string).padEnd(stateW - 1), rStale ? 'dim' : STATE_TOK[r.state]);
    if (extraW > 0) {
      b.add(' ');
      const e = extras[i] as string;
      b.add(e.padEnd(extraW), r.state === 'failed' || e.includes('!') ? 'err' : undefined);
    }
    rows.push(b.row());
  }
  return { title, rows: padRows(rows, c) };
}

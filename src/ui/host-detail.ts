// The host detail view (`H`): one line per host, and for the host on screen what a user needs to
// know when it is not connected: the reason and its fix (the same sentence as the CLI), when it was
// last reached, its latency, and what is retried when. Pure: state in, rows out.
import type { HostConnState } from '../domain/types.js';
import { hostView } from '../store/selectors.js';
import type { State } from '../store/state.js';
import { age } from './format.js';
import { RowBuilder, textRow, type Row } from './rows.js';
import { wrapWords } from './text.js';

export const HOST_DETAIL_TITLE = 'Hosts (j/k choose · r connect again · Esc closes)';

/** Seconds until the next try of a reconnecting host; null when none is planned. */
function retryIn(c: HostConnState, now: number): number | null {
  return c.nextRetryAt != null ? Math.max(0, Math.ceil((c.nextRetryAt - now) / 1000)) : null;
}

/** `● 12ms`, `○ connecting…`, `○ retry in 8s`, `✗ auth failed`: the state of a host, in words. */
export function hostStateText(c: HostConnState | null, now: number): { text: string; tok: 'ok' | 'warn' | 'err' | 'dim' } {
  if (c === null || c.phase === 'connecting') return { text: '○ connecting…', tok: 'dim' };
  if (c.phase === 'connected') return { text: `●${c.latencyMs === null ? '' : ` ${c.latencyMs}ms`}`, tok: 'ok' };
  if (c.phase === 'failed') return { text: `✗ ${c.status.replaceAll('-', ' ')}`, tok: 'err' };
  const retry = retryIn(c, now);
  return { text: retry === null || retry === 0 ? '○ reconnecting…' : `○ retry in ${retry}s`, tok: 'warn' };
}

export function hostDetailRows(s: State, w: number, h: number): Row[] {
  const rows: Row[] = [];
  const nameW = Math.min(24, Math.max(6, ...s.hostOrder.map((n) => n.length)));
  for (const name of s.hostOrder) {
    const c = s.hosts[name] ?? null;
    const st = hostStateText(c, s.now);
    const runs = s.runsByHost[name]?.length;
    const sel = name === s.hostDetail;
    rows.push(
      new RowBuilder(w)
        .add(sel ? '› ' : '  ', sel ? 'sel' : undefined)
        .add(name.padEnd(nameW + 1), sel ? 'sel' : undefined)
        .add(st.text, st.tok)
        .add(runs === undefined ? '' : `  ${runs} run${runs === 1 ? '' : 's'}`, 'dim')
        .row(),
    );
  }
  const name = s.hostDetail;
  if (name !== null) {
    const v = hostView(s, name);
    const c = v.conn;
    rows.push(textRow('', w));
    const line = (label: string, value: string, tok?: 'err' | 'warn' | 'dim') => {
      const pad = `  ${label.padEnd(13)}`;
      const pieces = wrapWords(value, Math.max(10, w - pad.length));
      pieces.forEach((p, i) => rows.push(new RowBuilder(w).add(i === 0 ? pad : ' '.repeat(pad.length), 'dim').add(p, tok).row()));
    };
    line('host', name);
    line('state', c === null ? 'not tried yet' : `${c.phase}${c.status !== 'connected' ? ` (${c.status})` : ''}`);
    if (c?.error) line(c.phase === 'connected' ? 'last error' : 'why', c.error, c.phase === 'failed' ? 'err' : 'warn');
    line('last reached', c?.lastOkAt != null ? `${age(s.now - c.lastOkAt)} ago` : 'never');
    const sched = s.schedulers?.[name];
    if (sched !== undefined) line('scheduler', sched);
    if (c?.phase === 'connected') line('latency', c.latencyMs === null ? 'not measured yet' : `${c.latencyMs} ms`);
    if (c?.phase === 'reconnecting') {
      const retry = retryIn(c, s.now);
      line('retry', retry === null ? 'now' : `in ${retry} s (backing off up to 30 s); r: now`);
    }
    if (c?.phase === 'failed') line('retry', 'not by itself: trying again cannot help until the cause is fixed; then press r', 'warn');
  }
  return rows.slice(0, h);
}

// The host detail view (`H`): every host with its state, its last error and fix, when it was last
// reached, its latency and what is retried when; `r` in it retries the host on screen now. Pure.
import { selectedRun } from './selectors.js';
import type { Effect, State } from './state.js';

/** The host to show first: the selected run's, else one that is not connected, else the first. */
function firstHost(s: State): string | null {
  const run = selectedRun(s);
  if (run !== null) return run.host;
  const bad = s.hostOrder.find((h) => s.hosts[h]?.phase !== 'connected');
  return bad ?? s.hostOrder[0] ?? null;
}

/** Host detail commands; null when `id` is not one of them. */
export function hostsCommand(s: State, id: string, effects: Effect[]): State | null {
  switch (id) {
    case 'host.detail': {
      if (s.hostDetail !== null) return { ...s, hostDetail: null };
      const h = firstHost(s);
      return h === null ? s : { ...s, hostDetail: h };
    }
    case 'hosts.close':
      return { ...s, hostDetail: null };
    case 'hosts.down':
    case 'hosts.up': {
      if (s.hostDetail === null || s.hostOrder.length === 0) return s;
      const i = Math.max(0, s.hostOrder.indexOf(s.hostDetail));
      const j = id === 'hosts.down' ? Math.min(s.hostOrder.length - 1, i + 1) : Math.max(0, i - 1);
      return { ...s, hostDetail: s.hostOrder[j] ?? s.hostDetail };
    }
    case 'hosts.retry':
      if (s.hostDetail === null) return s;
      effects.push({ type: 'host.retry', host: s.hostDetail });
      return { ...s, message: { text: `${s.hostDetail}: connecting again…`, level: 'info', at: s.now } };
    default:
      return null;
  }
}

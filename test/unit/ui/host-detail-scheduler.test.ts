// The host detail (H) says which scheduler a host has, and `(found)` where it was found rather than configured.
import { describe, expect, it } from 'vitest';
import { createStore } from '../../../src/store/create-store.js';
import { hostDetailRows } from '../../../src/ui/host-detail.js';
import { rowText } from '../../../src/ui/rows.js';

describe('host detail: scheduler', () => {
  const detail = (events: { host: string; scheduler?: string }[], show: string) => {
    const store = createStore({ now: () => 1_000 });
    store.dispatch({ type: 'hosts', names: ['cl', 'gpu'] });
    for (const e of events) store.dispatch({ type: 'runs', host: e.host, runs: [], ...(e.scheduler !== undefined ? { scheduler: e.scheduler } : {}) });
    const s = { ...store.getState(), hostDetail: show };
    store.dispose();
    return hostDetailRows(s, 80, 40).map(rowText).map((t) => t.trimEnd());
  };

  it('slurm (found) for the host it was found on; no line for a host its polls did not say', () => {
    const rows = detail([{ host: 'cl', scheduler: 'slurm (found)' }, { host: 'gpu' }], 'cl');
    expect(rows).toContain(`  ${'scheduler'.padEnd(13)}slurm (found)`);
    expect(detail([{ host: 'cl', scheduler: 'slurm (found)' }, { host: 'gpu' }], 'gpu').some((r) => r.includes('scheduler'))).toBe(false);
  });

  it('the latest poll wins (a reconnect checked again)', () => {
    const rows = detail([{ host: 'cl', scheduler: 'slurm (found)' }, { host: 'cl', scheduler: 'tmux (found)' }], 'cl');
    expect(rows).toContain(`  ${'scheduler'.padEnd(13)}tmux (found)`);
  });
});

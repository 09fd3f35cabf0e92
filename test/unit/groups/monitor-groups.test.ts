// The monitor with config groups: the runs pane lists a group once (its parts not on their own), its
// log and checkpoints are rank 0's, a part's host going down leaves it listed as unknown, and K on it
// says how to end every part instead of ending one.
import { describe, expect, it } from 'vitest';
import type { RunGroup } from '../../../src/domain/types.js';
import { createStore, checkpointsOf, selectedRun, visibleRuns, type Effect } from '../../../src/store/index.js';
import { buildFrame } from '../../../src/ui/frame.js';
import { rowText } from '../../../src/ui/rows.js';
import { conn, mkRun, T0 } from '../../ui/fixture-store.js';

const LLAMA: RunGroup = { name: 'llama', parts: [{ host: 'node1', session: 'train-a' }, { host: 'node2', session: 'train-b' }] };

function world() {
  const clock = { now: T0 };
  const store = createStore({
    now: () => clock.now,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
    size: { cols: 120, rows: 24 },
    hosts: ['node1', 'node2'],
    groups: [LLAMA],
  });
  const effects: Effect[] = [];
  store.onEffect((e) => effects.push(e));
  store.dispatch({ type: 'host', state: conn('node1') });
  store.dispatch({ type: 'host', state: conn('node2') });
  store.dispatch({
    type: 'runs',
    host: 'node1',
    runs: [
      mkRun('node1', 'train-a', { log: '/r0.log', checkpoints: '/ck', progress: { step: 40, total: 100, percent: 40, etaSeconds: 60 } }),
      mkRun('node1', 'solo'),
    ],
  });
  store.dispatch({
    type: 'runs',
    host: 'node2',
    runs: [mkRun('node2', 'train-b', { log: '/r1.log', state: 'stalled', reason: 'stalled', progress: { step: 39, total: 100, percent: 39, etaSeconds: 60 } })],
  });
  store.flush();
  return { store, effects, clock };
}

const frameText = (s: ReturnType<ReturnType<typeof world>['store']['getState']>): string =>
  buildFrame({ s, log: () => undefined, keymap: createStore().keymap, color: false }).map(rowText).join('\n');

describe('groups in the monitor', () => {
  it('lists the group once, in place of its parts, with the worst state', () => {
    const { store } = world();
    const s = store.getState();
    expect(visibleRuns(s).map((r) => r.id)).toEqual(['llama', 'node1:solo']);
    expect(visibleRuns(s)[0]).toMatchObject({ state: 'stalled', host: 'node1', session: 'train-a', log: '/r0.log' });
    const text = frameText(s);
    expect(text).toContain('llama ×2');
    expect(text).not.toContain('train-b');
    expect(text).toMatch(/Runs · 2/);
    expect(text).toContain('Log · llama (rank 0 node1:train-a)');
  });

  it("selects the group with rank 0's log and checkpoints", () => {
    const { store, effects } = world();
    expect(store.getState().selectedRunId).toBe('llama');
    const sel = effects.filter((e) => e.type === 'log.select').at(-1);
    expect(sel).toMatchObject({ runId: 'llama', host: 'node1', session: 'train-a', log: '/r0.log' });
    store.dispatch({ type: 'checkpoints', listing: { run: 'node1:train-a', dir: '/ck', diskFreeBytes: null, checkpoints: [] } });
    expect(checkpointsOf(store.getState())?.run).toBe('node1:train-a');
    expect(selectedRun(store.getState())?.parts?.map((p) => p.id)).toEqual(['node1:train-a', 'node2:train-b']);
  });

  it('keeps the group listed as unknown, its part unreachable, while a host is down', () => {
    const { store } = world();
    store.dispatch({ type: 'host', state: conn('node2', { phase: 'reconnecting', status: 'unreachable', error: 'down' }) });
    const g = visibleRuns(store.getState()).find((r) => r.id === 'llama');
    expect(g?.state).toBe('unknown');
    expect(g?.parts?.[1]).toMatchObject({ id: 'node2:train-b', status: 'unreachable' });
  });

  it('the filter finds a group by a part, and K on a group does not end one part', () => {
    const { store, effects } = world();
    store.command('runs.filter');
    store.command('input.char', 'train-b');
    store.command('input.submit');
    expect(store.getState().runsFilter).toBe('train-b');
    expect(visibleRuns(store.getState()).map((r) => r.id)).toEqual(['llama']);
    store.command('runs.clearFilter');
    store.dispatch({ type: 'select', runId: 'llama' });
    store.command('run.kill');
    expect(store.getState().confirm).toBeNull();
    expect(store.getState().message?.text).toMatch(/rtk-tui kill llama ends every part/);
    expect(effects.some((e) => e.type === 'run.kill')).toBe(false);
  });
});

// The selected run's own checkpoint listing reuses what the round of every live run's listed a moment
// ago (no second listing of the same directory within the round's interval), unless a checkpoint is
// being written or the user asks (r). Fake sources and a fake clock: every listing call is counted.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { defaultConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { ok, type CheckpointListing, type HostSpec, type Run } from '../../../src/domain/types.js';
import { Controller, type ControllerSources } from '../../../src/sources/controller.js';
import { createStore } from '../../../src/store/index.js';
import { fakeHost } from '../../helpers/fake-host.js';

const spec: HostSpec = { name: 'h', local: false, ssh: 'h' };
const host = fakeHost('h', (cmd) => {
  throw new Error(`unexpected exec: ${cmd}`);
});

const run = (session: string): Run => ({
  id: `h:${session}`, host: 'h', session, state: 'running', reason: null, alerts: [], progress: null, metrics: {},
  log: null, checkpoints: `/ck/${session}`, lastOutputSecondsAgo: 1, attachedClients: 0, createdAt: null,
});

function listing(runId: string, dir: string, writing: boolean): CheckpointListing {
  return { run: runId, dir, diskFreeBytes: 1, checkpoints: [{ name: 'checkpoint-1', path: `${dir}/checkpoint-1`, step: 1, sizeBytes: 1, modifiedAt: null, formats: [], ...(writing ? { writing: true } : {}) }] };
}

function setup() {
  const cfg: Config = { ...defaultConfig(null), hosts: [spec], refresh: { runsMs: 600_000, gpusMs: 600_000, checkpointsMs: 30_000 } };
  const store = createStore({ hosts: ['h'] });
  const calls = { one: [] as string[], many: 0 };
  const writing = new Set<string>();
  const sources: ControllerSources = {
    pollRuns: async () => ok({ runs: [run('a'), run('b')], panes: [], logTails: {} }),
    listCheckpoints: async (_h, runId, dir) => {
      calls.one.push(runId);
      return ok(listing(runId, dir, writing.has(runId)));
    },
    listCheckpointsMany: async (_h, items) => {
      calls.many++;
      return new Map(items.map((i) => [i.runId, ok(listing(i.runId, i.dir, writing.has(i.runId)))]));
    },
    gpuStream: () => ({ setPanes: () => {}, start: () => {}, stop: () => {}, refresh: () => {} }),
    logFollower: () => {
      throw new Error('unexpected logFollower');
    },
  };
  const ctl = new Controller({ cfg, specs: [spec], hosts: new Map([['h', host]]), store, sources, tickMs: 0, checkpointsOfAll: true });
  return { ctl, store, calls, writing };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the selected run reuses the round of all runs', () => {
  test('after a round, selecting runs lists nothing more until the round is stale; r lists at once', async () => {
    const { ctl, store, calls } = setup();
    ctl.start();
    await vi.advanceTimersByTimeAsync(10);
    // the first snapshot selects a run: listed alone, the round has not run yet
    expect(store.getState().runsByHost.h?.length).toBe(2);
    expect(calls.one.length).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.many).toBe(1);
    const first = calls.one.length;
    store.dispatch({ type: 'select', runId: 'h:b' });
    await vi.advanceTimersByTimeAsync(10);
    store.dispatch({ type: 'select', runId: 'h:a' });
    await vi.advanceTimersByTimeAsync(10);
    expect(calls.one.length).toBe(first);
    ctl.refresh();
    await vi.advanceTimersByTimeAsync(10);
    expect(calls.one.length).toBe(first + 1);
    await ctl.stop();
  });

  test('a checkpoint being written, seen by the round: the selected run is listed again soon', async () => {
    const { ctl, store, calls, writing } = setup();
    ctl.start();
    await vi.advanceTimersByTimeAsync(10);
    // written from now on: the selected run's own listing (done) did not see it, the round will
    writing.add('h:a');
    writing.add('h:b');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.many).toBe(1);
    const sel = store.getState().selectedRunId ?? '';
    const before = calls.one.filter((r) => r === sel).length;
    await vi.advanceTimersByTimeAsync(3_100);
    expect(calls.one.filter((r) => r === sel).length).toBeGreaterThan(before);
    // selecting the other one, also being written: not reused, listed
    const other = sel === 'h:a' ? 'h:b' : 'h:a';
    const n = calls.one.filter((r) => r === other).length;
    store.dispatch({ type: 'select', runId: other });
    await vi.advanceTimersByTimeAsync(10);
    expect(calls.one.filter((r) => r === other).length).toBe(n + 1);
    await ctl.stop();
  });
});

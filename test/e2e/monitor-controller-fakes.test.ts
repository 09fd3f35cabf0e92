// The monitor controller against fake sources and a fake host (no processes): pollers never overlap,
// pause holds them, a host that comes back is polled at once, stop() ends everything. Any source call
// the test did not set up fails it (strict fakes).
import { describe, expect, test } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ok, type HostConnState, type HostSpec, type Result, type Run } from '../../src/domain/types.js';
import { Controller, type ControllerSources } from '../../src/sources/controller.js';
import type { RunsSnapshot } from '../../src/sources/runs.js';
import { createStore } from '../../src/store/index.js';
import { controlledHost } from '../helpers/fake-host.js';

const spec: HostSpec = { name: 'h', local: false, ssh: 'h' };

function fakeHost() {
  const c = controlledHost('h', Date.now());
  return { host: c.host, set: (phase: HostConnState['phase']) => c.change({ phase, status: phase === 'connected' ? 'connected' : 'unreachable' }) };
}

const run = (session: string): Run => ({
  id: `h:${session}`, host: 'h', session, state: 'running', reason: null, alerts: [], progress: null, metrics: {},
  log: null, checkpoints: null, lastOutputSecondsAgo: 1, attachedClients: 0, createdAt: null,
});

function setup() {
  const cfg: Config = { ...defaultConfig(null), hosts: [spec], refresh: { runsMs: 60_000, gpusMs: 60_000, checkpointsMs: 60_000 } };
  const store = createStore({ hosts: ['h'] });
  const h = fakeHost();
  const pending: ((r: Result<RunsSnapshot>) => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let polls = 0;
  const gpu = { panes: [] as unknown[], started: 0, stopped: 0, refreshed: 0 };
  const sources: ControllerSources = {
    pollRuns: () => {
      polls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise((resolve) => pending.push((r) => {
        inFlight--;
        resolve(r);
      }));
    },
    listCheckpoints: () => Promise.reject(new Error('unexpected listCheckpoints (no run has a checkpoint dir)')),
    gpuStream: () => ({
      setPanes: (p) => void (gpu.panes = [...p]),
      start: () => void gpu.started++,
      stop: () => void gpu.stopped++,
      refresh: () => void gpu.refreshed++,
    }),
    logFollower: () => {
      throw new Error('unexpected logFollower (no run has a log file)');
    },
  };
  const ctl = new Controller({ cfg, specs: [spec], hosts: new Map([['h', h.host]]), store, sources, tickMs: 0 });
  const answer = async (runs: Run[]) => {
    const f = pending.shift();
    if (!f) throw new Error('no poll in flight');
    f(ok({ runs, panes: runs.map((r, i) => ({ runId: r.id, panePid: 100 + i })), logTails: {} }));
    await new Promise((r) => setImmediate(r));
  };
  return { ctl, store, h, gpu, answer, stats: () => ({ polls, inFlight, maxInFlight, pending: pending.length }) };
}

describe('monitor controller (fakes)', () => {
  test('polls never overlap: asks while one is in flight run exactly once after it', async () => {
    const { ctl, store, gpu, answer, stats } = setup();
    ctl.start();
    expect(stats().polls).toBe(1);
    expect(gpu.started).toBe(1);
    ctl.refresh();
    ctl.refresh();
    ctl.refresh();
    expect(stats()).toMatchObject({ polls: 1, inFlight: 1 });
    await answer([run('a'), run('b')]);
    expect(store.getState().runsByHost.h?.map((r) => r.session)).toEqual(['a', 'b']);
    expect(gpu.panes).toEqual([{ runId: 'h:a', panePid: 100 }, { runId: 'h:b', panePid: 101 }]);
    expect(stats()).toMatchObject({ polls: 2, inFlight: 1, maxInFlight: 1 });
    await answer([run('a')]);
    expect(stats()).toMatchObject({ polls: 2, inFlight: 0, maxInFlight: 1 });
    await ctl.stop();
  });

  test('pause holds the pollers; resume polls at once', async () => {
    const { ctl, answer, stats } = setup();
    ctl.start();
    await answer([]);
    ctl.pause();
    ctl.refresh();
    expect(stats().polls).toBe(1);
    ctl.resume();
    expect(stats().polls).toBe(2);
    await answer([]);
    await ctl.stop();
  });

  test('host state reaches the store; a host back from a drop is polled at once; the last runs stay', async () => {
    const { ctl, store, h, answer, stats } = setup();
    ctl.start();
    await answer([run('a')]);
    h.set('reconnecting');
    expect(store.getState().hosts.h?.phase).toBe('reconnecting');
    expect(store.getState().runsByHost.h?.map((r) => r.id)).toEqual(['h:a']);
    expect(stats().polls).toBe(1);
    h.set('connected');
    expect(store.getState().hosts.h?.phase).toBe('connected');
    expect(stats().polls).toBe(2);
    await answer([run('a')]);
    await ctl.stop();
  });

  test('the first connect adds no poll: the first one is already waiting for it', async () => {
    const { ctl, h, answer, stats } = setup();
    h.set('connecting');
    ctl.start();
    h.set('connected');
    expect(stats().polls).toBe(1);
    await answer([]);
    expect(stats().polls).toBe(1);
    await ctl.stop();
  });

  test('stop ends the GPU stream and no poll starts after it', async () => {
    const { ctl, gpu, answer, stats } = setup();
    ctl.start();
    await ctl.stop();
    expect(gpu.stopped).toBe(1);
    await answer([run('a')]);
    ctl.refresh();
    expect(stats().polls).toBe(1);
  });
});

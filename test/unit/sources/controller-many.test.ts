// The controller with many hosts (src/sources/poll-pace.ts): polls bounded and taken in turn, every
// host's first data at once, later news in one batch, each host's interval its share of the budget.
// Strict fakes: no processes, fake timers.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { defaultConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { ok, type HostSpec, type Result, type Run } from '../../../src/domain/types.js';
import { Controller, type ControllerSources } from '../../../src/sources/controller.js';
import { COALESCE_MS, POLL_CONCURRENCY, runsInterval } from '../../../src/sources/poll-pace.js';
import type { RunsSnapshot } from '../../../src/sources/runs.js';
import { createStore } from '../../../src/store/index.js';
import { controlledHost } from '../../helpers/fake-host.js';

const N = 40;
const names = Array.from({ length: N }, (_, i) => `h${i}`);
const specs: HostSpec[] = names.map((name) => ({ name, local: false, ssh: name }));

function fakeHost(name: string) {
  const c = controlledHost(name);
  return { host: c.host, ping: (latencyMs: number) => c.change({ latencyMs }) };
}

const run = (host: string, session: string): Run => ({
  id: `${host}:${session}`, host, session, state: 'running', reason: null, alerts: [], progress: null, metrics: {},
  log: null, checkpoints: null, lastOutputSecondsAgo: 1, attachedClients: 0, createdAt: null,
});

function setup() {
  const cfg: Config = { ...defaultConfig(null), hosts: specs, refresh: { runsMs: 5000, gpusMs: 60_000, checkpointsMs: 60_000 } };
  const store = createStore({ hosts: names });
  const fakes = new Map(names.map((n) => [n, fakeHost(n)]));
  const pending: { host: string; done: (r: Result<RunsSnapshot>) => void }[] = [];
  const polled: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const sources: ControllerSources = {
    pollRuns: (host) => {
      polled.push(host.name);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise((resolve) =>
        pending.push({
          host: host.name,
          done: (r) => {
            inFlight--;
            resolve(r);
          },
        }),
      );
    },
    listCheckpoints: () => Promise.reject(new Error('unexpected listCheckpoints')),
    listCheckpointsMany: () => Promise.reject(new Error('unexpected listCheckpointsMany')),
    gpuStream: () => ({ setPanes: () => undefined, start: () => undefined, stop: () => undefined, refresh: () => undefined }),
    logFollower: () => {
      throw new Error('unexpected logFollower');
    },
  };
  const hosts = new Map([...fakes].map(([n, f]) => [n, f.host]));
  const ctl = new Controller({ cfg, specs, hosts, store, sources, tickMs: 0 });
  /** Answer every poll in flight (each host: one run called `s<k>`), then let the promises settle. */
  const answerAll = async (k: number) => {
    for (const p of pending.splice(0)) p.done(ok({ runs: [run(p.host, `s${k}`)], panes: [], logTails: {} }));
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { ctl, store, fakes, polled, answerAll, stats: () => ({ inFlight, maxInFlight, pending: pending.length }) };
}

describe('controller with many hosts', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test('polls in flight are bounded and taken in turn; every host gets its first poll, its first data at once', async () => {
    const { ctl, store, polled, answerAll, stats } = setup();
    ctl.start();
    expect(stats().inFlight).toBe(POLL_CONCURRENCY);
    expect(polled).toEqual(names.slice(0, POLL_CONCURRENCY));
    // each round of answers lets the next hosts in, in config order
    while (polled.length < N || stats().pending > 0) {
      await answerAll(1);
      expect(stats().maxInFlight).toBeLessThanOrEqual(POLL_CONCURRENCY);
    }
    expect(polled).toEqual(names);
    // first data is not held back for the batch
    for (const n of names) expect(store.getState().runsByHost[n]?.map((r) => r.session)).toEqual(['s1']);
    await ctl.stop();
  });

  test('later polls reach the store in one batch, each host polled once per its share of the budget, none starved', async () => {
    const { ctl, store, polled, answerAll } = setup();
    ctl.start();
    while (polled.length < N) await answerAll(1);
    await answerAll(1);
    polled.length = 0;
    const every = runsInterval(5000, N);
    // one whole interval: every host's second poll comes within it (spread over its second half)
    let answeredNotShown = 0;
    for (let t = 0; t < every; t += 250) {
      await vi.advanceTimersByTimeAsync(250);
      const answering = [...polled.slice(-POLL_CONCURRENCY)];
      await answerAll(2);
      // answered, but the first poll's runs still on screen until the batch goes
      answeredNotShown = Math.max(answeredNotShown, answering.filter((n) => store.getState().runsByHost[n]?.[0]?.session === 's1').length);
    }
    expect(answeredNotShown).toBeGreaterThan(0);
    expect(new Set(polled).size).toBe(N);
    expect(polled).toHaveLength(N);
    await vi.advanceTimersByTimeAsync(COALESCE_MS);
    for (const n of names) expect(store.getState().runsByHost[n]?.[0]?.session).toBe('s2');
    await ctl.stop();
  });

  test("a ping's new latency reaches the store at most once a minute per host", async () => {
    const { ctl, store, fakes, polled, answerAll } = setup();
    ctl.start();
    while (polled.length < N) await answerAll(1);
    const f = fakes.get('h3')!;
    f.ping(10);
    await vi.advanceTimersByTimeAsync(COALESCE_MS);
    expect(store.getState().hosts.h3?.latencyMs).toBe(10);
    f.ping(20);
    await vi.advanceTimersByTimeAsync(COALESCE_MS);
    expect(store.getState().hosts.h3?.latencyMs).toBe(10);
    await vi.advanceTimersByTimeAsync(60_000);
    f.ping(30);
    await vi.advanceTimersByTimeAsync(COALESCE_MS);
    expect(store.getState().hosts.h3?.latencyMs).toBe(30);
    await ctl.stop();
  });
});

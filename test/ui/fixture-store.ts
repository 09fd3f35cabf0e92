// A store seeded with fake runs, GPUs, logs and checkpoints, with a fake clock and manual publishing,
// so frames never depend on the other helpers' sources.
import type { CheckpointListing, GpuHostReport, HostConnState, Run } from '../../src/domain/types.js';
import { createStore, type Store } from '../../src/store/index.js';
import type { Keymap } from '../../src/keys/index.js';

export const T0 = Date.parse('2026-11-23T12:00:00Z');

export function mkRun(host: string, session: string, extra: Partial<Run> = {}): Run {
  return {
    id: `${host}:${session}`,
    host,
    session,
    state: 'running',
    reason: null,
    alerts: [],
    progress: null,
    metrics: {},
    log: `/home/u/${session}.log`,
    logStart: null,
    checkpoints: null,
    lastOutputSecondsAgo: 4,
    attachedClients: 0,
    createdAt: '2026-11-23T10:00:00Z',
    ...extra,
  };
}

export function conn(name: string, extra: Partial<HostConnState> = {}): HostConnState {
  return { name, phase: 'connected', status: 'connected', error: null, latencyMs: 12, lastOkAt: T0, ...extra };
}

export const RUNS_A800: Run[] = [
  mkRun('a800', 'training', {
    progress: { step: 3600, total: 30000, percent: 12, etaSeconds: 27252 },
    metrics: { loss: 0.0123, lr: 0.0001 },
    checkpoints: '/home/u/ckpt/run1',
  }),
  mkRun('a800', 'sweep-3', {
    state: 'failed',
    reason: 'oom',
    alerts: [{ kind: 'oom', message: 'CUDA out of memory' }],
    progress: { step: 10, total: 100, percent: 10, etaSeconds: null },
  }),
];
export const RUNS_GPU1: Run[] = [mkRun('gpu1', 'train_v1', { state: 'finished', progress: { step: 500, total: 500, percent: 100, etaSeconds: 0 } })];

export const GPUS_A800: GpuHostReport = {
  name: 'a800',
  status: 'ok',
  error: null,
  driver: '535.129.03',
  gpus: [
    {
      index: 0, name: 'NVIDIA A800-SXM4-80GB', uuid: 'GPU-0', utilizationPercent: 98, memoryUsedMiB: 71234,
      memoryTotalMiB: 81920, temperatureC: 65, powerW: 350.2, powerLimitW: 400,
      processes: [{ pid: 4242, name: 'python', usedMemoryMiB: 70000, run: 'a800:training' }],
    },
    {
      index: 1, name: 'NVIDIA A800-SXM4-80GB', uuid: 'GPU-1', utilizationPercent: 0, memoryUsedMiB: 3,
      memoryTotalMiB: 81920, temperatureC: 31, powerW: 60, powerLimitW: 400, processes: [],
    },
  ],
};

export const CKPTS_TRAINING: CheckpointListing = {
  run: 'a800:training',
  dir: '/home/u/ckpt/run1',
  diskFreeBytes: 45 * 1024 ** 3,
  checkpoints: [
    { name: 'checkpoint-2000', path: '/home/u/ckpt/run1/checkpoint-2000', step: 2000, sizeBytes: 2469606195, modifiedAt: '2026-11-23T11:00:00Z', formats: ['safetensors'] },
    { name: 'checkpoint-3000', path: '/home/u/ckpt/run1/checkpoint-3000', step: 3000, sizeBytes: 2469606195, modifiedAt: '2026-11-23T11:55:00Z', formats: ['safetensors', 'pt'] },
  ],
};

export interface Fixture {
  store: Store;
  clock: { now: number };
  /** Advance the fake clock and publish. */
  settle(ms?: number): void;
}

/** An empty store with a fake clock and no publish timer (settle() publishes). */
export function emptyFixture(opts: { cols?: number; rows?: number; readonly?: boolean; keymap?: Keymap; scrollback?: number } = {}): Fixture {
  const clock = { now: T0 };
  const store = createStore({
    now: () => clock.now,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
    size: { cols: opts.cols ?? 100, rows: opts.rows ?? 30 },
    readonly: opts.readonly ?? false,
    hosts: ['a800', 'gpu1'],
    ...(opts.keymap ? { keymap: opts.keymap } : {}),
    ...(opts.scrollback ? { scrollback: opts.scrollback } : {}),
  });
  return {
    store,
    clock,
    settle(ms = 0) {
      clock.now += ms;
      store.flush();
    },
  };
}

/** Two hosts, three runs, GPUs, 200 log lines and a live progress bar for a800:training. */
export function fixtureStore(opts: Parameters<typeof emptyFixture>[0] & { lines?: number } = {}): Fixture {
  const f = emptyFixture(opts);
  const { store } = f;
  store.dispatch({ type: 'host', state: conn('a800') });
  store.dispatch({ type: 'host', state: conn('gpu1', { latencyMs: 30 }) });
  store.dispatch({ type: 'runs', host: 'a800', runs: RUNS_A800 });
  store.dispatch({ type: 'runs', host: 'gpu1', runs: RUNS_GPU1 });
  store.dispatch({ type: 'gpus', report: GPUS_A800 });
  store.dispatch({ type: 'checkpoints', listing: CKPTS_TRAINING });
  const n = opts.lines ?? 200;
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) lines.push(`iter ${i}: loss ${(1 / i).toFixed(4)}`);
  store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'lines', lines, offset: 1000 } });
  store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'partial', text: '\r 11%|#   | 3500/30000\r 12%|#   | 3600/30000' } });
  f.settle();
  return f;
}

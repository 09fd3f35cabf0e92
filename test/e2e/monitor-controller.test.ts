// The monitor's sources wired to the real store, against the demo's world on this machine (a tmux
// server of its own with simulated trainers and the fake nvidia-smi): no UI, no fixed sleeps.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { setupDemo, type DemoWorld } from '../../src/demo/setup.js';
import type { Host } from '../../src/remote/host.js';
import { openHost } from '../../src/remote/index.js';
import { Controller } from '../../src/sources/controller.js';
import { createStore, type State, type Store } from '../../src/store/index.js';

async function until<T>(what: string, fn: () => T | null | undefined | false, deadlineMs = 20_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('monitor controller on the demo world', () => {
  let world: DemoWorld;
  let host: Host;
  let store: Store;
  let ctl: Controller;
  const st = (): State => store.getState();

  beforeAll(async () => {
    const w = await setupDemo({ env: { ...process.env, CI: 'false' } });
    if (!w.ok) throw new Error(w.error.message);
    world = w.value;
    host = openHost(world.spec, { home: process.env.HOME ?? '/', env: world.env });
    const cfg: Config = { ...defaultConfig(null), hosts: [world.spec], refresh: { runsMs: 500, gpusMs: 500, checkpointsMs: 1000 } };
    store = createStore({ hosts: ['local'], size: { cols: 120, rows: 40 } });
    ctl = new Controller({ cfg, specs: [world.spec], hosts: new Map([['local', host]]), store, tickMs: 200 });
    ctl.start();
  });

  afterAll(async () => {
    await ctl?.stop();
    await host?.close();
    store?.dispose();
    await world?.teardown();
  });

  test('runs with their states, the selected run streams its log, GPUs map to runs, checkpoints listed', async () => {
    const runs = await until('three runs with final states', () => {
      const rs = st().runsByHost.local ?? [];
      const by = Object.fromEntries(rs.map((r) => [r.session, r]));
      return by['llama-7b-sft']?.state === 'running' && by['qlora-smoke']?.state === 'finished' && by['sweep-lr3e-4']?.state === 'failed'
        ? by
        : null;
    });
    expect(runs['sweep-lr3e-4']!.reason).toBe('oom');
    expect(runs['llama-7b-sft']!.progress?.total).toBe(30000);

    // select the training run; its log streams in and keeps advancing
    await until('a selected run', () => st().selectedRunId);
    while (st().selectedRunId !== 'local:llama-7b-sft') {
      store.command('runs.down');
      await until('selection moves', () => true);
    }
    const buf = () => store.peekLog('local:llama-7b-sft');
    const seq0 = await until('log lines', () => {
      const b = buf();
      return b && b.lastSeq > 0 ? b.lastSeq : null;
    });
    await until('more log lines', () => (buf()!.lastSeq > seq0 ? true : null));

    const gpu = await until('a GPU mapped to the run', () => {
      const g = st().gpus.local;
      return g?.gpus[0]?.processes.some((p) => p.run === 'local:llama-7b-sft') ? g : null;
    });
    expect(gpu.status).toBe('ok');

    const ck = await until('checkpoints of the selected run', () => st().checkpoints['local:llama-7b-sft']);
    expect(ck.checkpoints.map((c) => c.name)).toContain('checkpoint-3250');

    // while the run's pane is peeked, new log lines wait; they all arrive when the peek ends
    const logFile = world.runs.find((r) => r.session === 'llama-7b-sft')!.log;
    const dicts = () => (readFileSync(logFile, 'utf8').match(/\{'loss'/g) ?? []).length;
    store.command('pane.runs');
    store.command('run.peek');
    const seqAtPeek = buf()!.lastSeq;
    const onDisk = dicts();
    await until('two more loss lines in the file', () => dicts() >= onDisk + 2);
    expect(buf()!.lastSeq).toBe(seqAtPeek);
    store.command('run.peek');
    await until('the held lines after the peek', () => buf()!.lastSeq >= seqAtPeek + 2);

    // pause: no polls run; resume polls again at once
    ctl.pause();
    expect(ctl.isPaused).toBe(true);
    ctl.resume();
    expect(ctl.isPaused).toBe(false);
  });
});

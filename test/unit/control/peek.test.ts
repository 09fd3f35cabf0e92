// Peek source: polls capture-pane (never overlapping), replaces the run's lines only when the screen
// changed, stops when the session is gone, reports a failing host once. Strict fake host, fake timers.
import { describe, expect, it } from 'vitest';
import { PanePeek, trimPane } from '../../../src/sources/peek.js';
import { buildCapturePane } from '../../../src/remote/tmux-control.js';
import type { Host, ExecResult } from '../../../src/remote/host.js';
import { err, ok, type Result } from '../../../src/domain/types.js';
import type { StoreEvent } from '../../../src/store/state.js';

const spec = { name: 'gpu', local: false, ssh: 'rtk-gpu', tmuxSocket: null };

function fakeHost(replies: (Result<ExecResult> | (() => Result<ExecResult>))[]) {
  const seen: string[] = [];
  const host = {
    name: 'gpu',
    local: false,
    exec: (cmd: string) => {
      seen.push(cmd);
      const next = replies.shift();
      if (next === undefined) throw new Error(`unexpected command: ${cmd}`);
      return Promise.resolve(typeof next === 'function' ? next() : next);
    },
  } as unknown as Host;
  return { host, seen };
}

const out = (s: string, code = 0, stderr = ''): Result<ExecResult> =>
  ok({ code, stdout: Buffer.from(s), stderr: Buffer.from(stderr) });

function fakeTimers() {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        const t = { fn, ms };
        pending.push(t);
        return t;
      },
      clearTimeout: (h: unknown) => {
        const i = pending.indexOf(h as { fn: () => void; ms: number });
        if (i >= 0) pending.splice(i, 1);
      },
    },
    async fire() {
      const t = pending.shift();
      if (!t) throw new Error('no timer pending');
      t.fn();
      await new Promise((r) => setImmediate(r));
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('trimPane', () => {
  it('drops blank rows at the bottom, keeps blank rows between output', () => {
    expect(trimPane(['a', '', 'b', '', ' ', '\x1b[0m'])).toEqual(['a', '', 'b']);
    expect(trimPane(['', ''])).toEqual([]);
  });
});

describe('PanePeek', () => {
  it('captures the exact pane, replaces the lines when they change, and polls again after the interval', async () => {
    const { host, seen } = fakeHost([out('step 1\n\n\n'), out('step 1\n\n'), out('step 1\nstep 2\n')]);
    const events: StoreEvent[] = [];
    const ft = fakeTimers();
    const peek = new PanePeek((e) => events.push(e), { timers: ft.timers, intervalMs: 500, history: 10 });
    peek.start({ runId: 'gpu:a;b', host, spec, session: 'a;b' });
    await settle();
    expect(seen).toEqual([buildCapturePane(spec, 'a;b', 10)]);
    expect(events.filter((e) => e.type !== 'message')).toEqual([
      { type: 'log.reset', runId: 'gpu:a;b' },
      { type: 'log', runId: 'gpu:a;b', chunk: { kind: 'lines', lines: ['step 1'], offset: 0 } },
    ]);
    expect(ft.pending.map((p) => p.ms)).toEqual([500]);
    events.length = 0;
    await ft.fire(); // same screen: nothing dispatched
    expect(events).toEqual([]);
    await ft.fire();
    expect(events).toEqual([
      { type: 'log.reset', runId: 'gpu:a;b' },
      { type: 'log', runId: 'gpu:a;b', chunk: { kind: 'lines', lines: ['step 1', 'step 2'], offset: 0 } },
    ]);
    peek.stop();
    expect(ft.pending).toEqual([]);
    expect(peek.runId).toBeNull();
  });

  it('stops with a message when the session is gone', async () => {
    const { host } = fakeHost([out('', 1, "can't find session: =x")]);
    const events: StoreEvent[] = [];
    const ft = fakeTimers();
    const peek = new PanePeek((e) => events.push(e), { timers: ft.timers });
    peek.start({ runId: 'gpu:x', host, spec, session: 'x' });
    await settle();
    expect(peek.runId).toBeNull();
    expect(ft.pending).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'message', level: 'warn' });
    expect(JSON.stringify(events.at(-1))).toMatch(/no session named/);
  });

  it('reports a failing host once and keeps polling', async () => {
    const down = err<ExecResult>('unreachable', 'gpu is unreachable');
    const { host } = fakeHost([down, down, out('back\n')]);
    const events: StoreEvent[] = [];
    const ft = fakeTimers();
    const peek = new PanePeek((e) => events.push(e), { timers: ft.timers });
    peek.start({ runId: 'gpu:x', host, spec, session: 'x' });
    await settle();
    await ft.fire();
    await ft.fire();
    const warns = events.filter((e) => e.type === 'message' && e.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: 'log', runId: 'gpu:x', chunk: { kind: 'lines', lines: ['back'], offset: 0 } });
    peek.stop();
  });

  it('drops a capture that returns after stop (no stale lines)', async () => {
    let release: (r: Result<ExecResult>) => void = () => undefined;
    const host = { exec: () => new Promise<Result<ExecResult>>((r) => (release = r)) } as unknown as Host;
    const events: StoreEvent[] = [];
    const ft = fakeTimers();
    const peek = new PanePeek((e) => events.push(e), { timers: ft.timers });
    peek.start({ runId: 'gpu:x', host, spec, session: 'x' });
    peek.stop();
    release(out('late\n'));
    await settle();
    expect(events.filter((e) => e.type !== 'message')).toEqual([]);
    expect(ft.pending).toEqual([]);
  });
});

// The monitor's side of the events layer: the events view (e), the "new lines since" rule when the
// user comes back to a run, and the last session's runs shown stale until their host answers.
import { afterEach, describe, expect, it } from 'vitest';
import type { RtkEvent } from '../../src/events/types.js';
import { conn, emptyFixture, fixtureStore, mkRun, T0 } from './fixture-store.js';
import { KEY, renderApp } from './helpers.js';

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

const ev = (kind: RtkEvent['kind'], run: string | null, message: string, secs: number, hint: string | null = null): RtkEvent => ({
  time: new Date(T0 - secs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  kind,
  run,
  host: run?.split(':')[0] ?? 'a800',
  state: null,
  reason: null,
  message,
  hint,
  details: {},
});

describe('the events view', () => {
  it('e lists the events newest first with their hints; j and Enter select the run of one', async () => {
    const f = fixtureStore();
    f.store.dispatch({
      type: 'events',
      events: [
        ev('run.finished', 'gpu1:train_v1', 'gpu1:train_v1 finished at step 500/500', 600),
        ev('run.failed', 'a800:sweep-3', 'a800:sweep-3 failed at step 300/3000: torch.OutOfMemoryError: CUDA out of memory', 300, 'lower the per-device batch size'),
        ev('host.lost', null, 'a800 stopped answering: connection reset', 60),
      ],
    });
    f.settle();
    const r = await renderApp(f);
    cleanup.push(r.unmount);
    await r.press('e');
    const frame = r.frame();
    expect(frame).toContain('Events (j/k choose · Enter select its run · Esc closes)');
    const at = (s: string) => frame.indexOf(s);
    expect(at('› ')).toBeGreaterThan(0);
    expect(frame).toMatch(/› \d\d:\d\d:\d\d {2}host\.lost +a800 stopped answering: connection reset/);
    expect(frame).toMatch(/ {12}hint: lower the per-device batch size/);
    // newest first
    expect(at('host.lost')).toBeLessThan(at('run.failed'));
    expect(at('run.failed')).toBeLessThan(at('run.finished'));
    await r.press('j');
    expect(r.frame()).toMatch(/› \d\d:\d\d:\d\d {2}run\.failed/);
    await r.press(KEY.enter);
    expect(r.frame()).not.toContain('Events (j/k');
    expect(f.store.getState().selectedRunId).toBe('a800:sweep-3');
    expect(r.frame()).toMatch(/│› a800:sweep-3 +FAILED OOM/);
    // the help lists the key
    await r.press('?');
    expect(r.frame()).toMatch(/e +events/);
  });

  it('says what will appear when there is nothing yet, and Esc closes it', async () => {
    const f = fixtureStore();
    const r = await renderApp(f);
    cleanup.push(r.unmount);
    await r.press('e');
    expect(r.frame()).toContain('No events yet.');
    await r.press(KEY.esc);
    await r.settle(50);
    expect(r.frame()).not.toContain('No events yet.');
  });
});

describe('the rule of new lines', () => {
  it('marks where the user left a run when they come back to it, with the count and the time', async () => {
    const f = fixtureStore();
    const r = await renderApp(f);
    cleanup.push(r.unmount);
    expect(r.frame()).not.toContain('new lines since');
    await r.press('j'); // away, to a800:sweep-3
    const more = Array.from({ length: 5 }, (_, i) => `iter ${201 + i}: loss 0.0049`);
    f.store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'lines', lines: more, offset: 2000 } });
    await r.press('k'); // back
    const rows = r.frame().split('\n');
    const i = rows.findIndex((l) => l.includes('── 5 new lines since 12:00 ──'.replace('12:00', new Date(T0).toTimeString().slice(0, 5))));
    expect(i).toBeGreaterThan(0);
    expect(rows[i - 1]).toContain('iter 200: loss 0.0050');
    expect(rows[i + 1]).toContain('iter 201: loss 0.0049');
    // nothing new since: no rule
    await r.press('j', 'k');
    expect(r.frame()).not.toContain('new lines since');
  });
});

describe('the last known state', () => {
  it('shows a host’s runs from the last session at once, stale, until its first poll', async () => {
    const f = emptyFixture();
    f.store.dispatch({ type: 'host', state: conn('a800', { phase: 'connecting', status: 'connected', lastOkAt: null, latencyMs: null }) });
    f.store.dispatch({ type: 'runs.restored', host: 'a800', runs: [mkRun('a800', 'training')], at: T0 - 3600_000 });
    f.settle();
    const r = await renderApp(f);
    cleanup.push(r.unmount);
    expect(r.frame()).toMatch(/a800:training/);
    expect(f.store.getState().restored).toEqual({ a800: T0 - 3600_000 });
    expect(r.frame()).toMatch(/stale/);
    f.store.dispatch({ type: 'host', state: conn('a800') });
    f.store.dispatch({ type: 'runs', host: 'a800', runs: [mkRun('a800', 'training'), mkRun('a800', 'new')] });
    await r.settle();
    expect(f.store.getState().restored).toEqual({});
    expect(r.frame()).toMatch(/a800:new/);
    expect(r.frame()).not.toMatch(/stale/);
    // a restore arriving after a poll never replaces it
    f.store.dispatch({ type: 'runs.restored', host: 'a800', runs: [], at: T0 });
    expect(f.store.getState().runsByHost.a800).toHaveLength(2);
  });
});

describe('the hint of a failed run', () => {
  it('sits under its last log lines', async () => {
    const f = fixtureStore();
    f.store.dispatch({
      type: 'runs',
      host: 'gpu1',
      runs: [mkRun('gpu1', 'oom', { state: 'failed', reason: 'oom', alerts: [{ kind: 'oom', message: 'CUDA out of memory', hint: 'lower the per-device batch size' }] })],
    });
    f.store.dispatch({ type: 'log', runId: 'gpu1:oom', chunk: { kind: 'lines', lines: ['Traceback (most recent call last):', 'torch.OutOfMemoryError: CUDA out of memory'], offset: 100 } });
    f.settle();
    const r = await renderApp(f);
    cleanup.push(r.unmount);
    await r.press('G');
    const rows = r.frame().split('\n');
    const i = rows.findIndex((l) => l.includes('torch.OutOfMemoryError: CUDA out of memory'));
    expect(i).toBeGreaterThan(0);
    const h = rows.findIndex((l) => /│hint: lower the per-device batch size +│/.test(l));
    expect(h).toBeGreaterThan(i);
  });
});

describe('the command log view', () => {
  it('C lists this monitor’s remote commands newest first with host, duration and status, and the selected one’s script', async () => {
    const f = fixtureStore();
    const r = await renderApp(f);
    cleanup.push(r.unmount);
    const opened: string[] = [];
    f.store.onEffect((e) => {
      if (e.type === 'commands.open') {
        opened.push(e.type);
        f.store.dispatch({
          type: 'commands',
          replace: true,
          entries: [
            { time: new Date(T0 - 5000).toISOString(), host: 'a800', kind: 'exec', ms: 42, exit: 0, error: null, command: "N=abc\ntmux -u list-panes -a -F 'RTKP …'\nexit 0" },
            { time: new Date(T0 - 1000).toISOString(), host: 'gpu1', kind: 'exec', ms: 1500, exit: 93, error: null, command: 'tmux -u kill-session -t "$sid"' },
          ],
        });
      }
    });
    await r.press('C');
    expect(opened).toEqual(['commands.open']);
    const frame = r.frame();
    expect(frame).toContain('Remote commands (j/k choose');
    expect(frame).toMatch(/› \d\d:\d\d:\d\d {2}gpu1 +1\.5 s {2}exit 93 +tmux -u kill-session -t "\$sid"/);
    expect(frame).toMatch(/ {2}\d\d:\d\d:\d\d {2}a800 +42 ms {2}exit 0 +tmux -u list-panes -a -F 'RTKP …'/);
    await r.press('j');
    // the selected one's whole script under the list
    expect(r.frame()).toMatch(/│ {2}N=abc/);
    // a command recorded while open is added on top
    f.store.dispatch({ type: 'commands', replace: false, entries: [{ time: new Date(T0).toISOString(), host: 'a800', kind: 'stream', ms: null, exit: null, error: 'connection lost', command: 'nvidia-smi -lms 2000' }] });
    await r.settle();
    expect(r.frame()).toMatch(/a800 +running {2}failed: connection lost {2}nvidia-smi -lms 2000/);
    await r.press(KEY.esc);
    await r.settle(50);
    expect(r.frame()).not.toContain('Remote commands');
    expect(f.store.getState().commands).toEqual([]);
  });
});

describe('relaunch from the monitor', () => {
  it('R asks how to start a finished or failed run again (as it was, or resumed), and refuses a live one', async () => {
    const f = fixtureStore();
    const effects: string[] = [];
    f.store.onEffect((e) => {
      if (e.type === 'run.relaunch') effects.push(`${e.type} ${e.runId} ${e.resume}`);
    });
    const r = await renderApp(f);
    cleanup.push(r.unmount);
    await r.press('R');
    expect(effects).toEqual([]);
    expect(r.frame()).toContain('a800:training is still running: R starts a finished or failed run again');
    await r.press('j');
    await r.press('R');
    expect(r.frame()).toContain('Enter as it was · r from its newest complete checkpoint · Esc cancel');
    await r.press(KEY.enter);
    expect(effects).toEqual(['run.relaunch a800:sweep-3 false']);
    expect(r.frame()).toContain('relaunching a800:sweep-3…');
    await r.press('R', 'r');
    expect(effects).toEqual(['run.relaunch a800:sweep-3 false', 'run.relaunch a800:sweep-3 true']);
    expect(r.frame()).toContain('relaunching a800:sweep-3 from its newest checkpoint…');
    await r.press('R');
    await r.press(KEY.esc);
    await r.settle(50);
    expect(effects).toHaveLength(2);
    expect(r.frame()).toContain('relaunch cancelled');
  });
});

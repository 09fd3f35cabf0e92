import { describe, expect, it } from 'vitest';
import { createStore, activeScopes, hostView, newLinesWhilePaused, logBottomSeq, paneRect, visibleRuns, type Effect } from '../../../src/store/index.js';
import { conn, fixtureStore, emptyFixture, mkRun, RUNS_A800, T0 } from '../../ui/fixture-store.js';
import { utilValues } from '../../../src/store/gpu-history.js';

function effects(store: ReturnType<typeof createStore>): Effect[] {
  const out: Effect[] = [];
  store.onEffect((e) => out.push(e));
  return out;
}

describe('runs and selection', () => {
  it('selects the first run and asks to follow its log', () => {
    const { store } = emptyFixture();
    const fx = effects(store);
    store.dispatch({ type: 'runs', host: 'a800', runs: RUNS_A800 });
    expect(store.getState().selectedRunId).toBe('a800:training');
    expect(fx).toEqual([{ type: 'log.select', runId: 'a800:training', host: 'a800', session: 'training', log: '/home/u/training.log', logStart: null }]);
  });

  it('keeps the selection by id when runs reorder, and hands it to a neighbour when it vanishes', () => {
    const { store } = fixtureStore();
    store.command('runs.down');
    expect(store.getState().selectedRunId).toBe('a800:sweep-3');
    store.dispatch({ type: 'runs', host: 'a800', runs: [mkRun('a800', 'new-one'), ...RUNS_A800] });
    expect(store.getState().selectedRunId).toBe('a800:sweep-3');
    const fx = effects(store);
    store.dispatch({ type: 'runs', host: 'a800', runs: [mkRun('a800', 'new-one'), RUNS_A800[0]!] });
    // sweep-3 was third in the list; the third is now gpu1:train_v1
    expect(store.getState().selectedRunId).toBe('gpu1:train_v1');
    expect(fx.map((e) => e.type)).toEqual(['log.select']);
  });

  it('moves through every run on every host in host order', () => {
    const { store } = fixtureStore();
    expect(visibleRuns(store.getState()).map((r) => r.id)).toEqual(['a800:training', 'a800:sweep-3', 'gpu1:train_v1']);
    store.command('runs.last');
    expect(store.getState().selectedRunId).toBe('gpu1:train_v1');
    store.command('runs.down');
    expect(store.getState().selectedRunId).toBe('gpu1:train_v1');
    store.command('runs.first');
    store.command('runs.up');
    expect(store.getState().selectedRunId).toBe('a800:training');
  });

  it('keeps a dropped host\'s runs and marks it stale with its age', () => {
    const f = fixtureStore();
    f.store.dispatch({ type: 'host', state: conn('gpu1', { phase: 'reconnecting', status: 'unreachable', lastOkAt: T0 }) });
    f.clock.now += 42_000;
    f.store.dispatch({ type: 'tick' });
    const s = f.store.getState();
    expect(s.runsByHost.gpu1?.map((r) => r.id)).toEqual(['gpu1:train_v1']);
    expect(hostView(s, 'gpu1')).toMatchObject({ stale: true, staleSeconds: 42 });
    expect(hostView(s, 'a800').stale).toBe(false);
  });

  it('filters runs while typing; Esc clears the filter', () => {
    const { store } = fixtureStore();
    store.command('runs.filter');
    expect(activeScopes(store.getState())).toEqual(['input']);
    store.command('input.char', 'tra');
    expect(visibleRuns(store.getState()).map((r) => r.id)).toEqual(['a800:training', 'gpu1:train_v1']);
    store.command('input.char', 'in_');
    expect(store.getState().selectedRunId).toBe('gpu1:train_v1');
    store.command('input.submit');
    expect(store.getState().runsFilter).toBe('train_');
    store.command('runs.filter');
    store.command('input.cancel');
    expect(visibleRuns(store.getState())).toHaveLength(3);
  });
});

describe('panes, zoom, help', () => {
  it('cycles focus, zooms, toggles help', () => {
    const { store } = fixtureStore();
    expect(store.getState().focus).toBe('runs');
    store.command('pane.next');
    expect(store.getState().focus).toBe('log');
    store.command('pane.prev');
    store.command('pane.prev');
    expect(store.getState().focus).toBe('checkpoints');
    store.command('pane.gpus');
    expect(activeScopes(store.getState())).toEqual(['gpus', 'global']);
    store.command('pane.zoom');
    expect(store.getState().zoom).toBe(true);
    store.command('app.help');
    expect(activeScopes(store.getState())).toEqual(['help']);
    store.command('help.close');
    expect(store.getState().help).toBe(false);
  });

  it('selects GPUs and checkpoints', () => {
    const { store } = fixtureStore();
    store.command('gpus.down');
    store.command('gpus.down');
    expect(store.getState().selectedGpu).toBe(1);
    store.command('ckpt.down');
    expect(store.getState().selectedCkpt).toBe('checkpoint-2000');
    const fx = effects(store);
    store.command('ckpt.pull');
    expect(fx).toEqual([expect.objectContaining({ type: 'ckpt.pull', runId: 'a800:training', dir: '/home/u/ckpt/run1', checkpoint: expect.objectContaining({ name: 'checkpoint-2000' }) })]);
  });

  it('keeps a utilisation history per GPU, bounded', () => {
    const { store } = emptyFixture();
    const s = createStore({ gpuHistory: 3, timers: { setTimeout: () => 0, clearTimeout: () => undefined } });
    for (const u of [10, 20, 30, 40]) {
      s.dispatch({ type: 'gpus', report: { name: 'h', status: 'ok', error: null, driver: null, gpus: [{ index: 0, name: null, uuid: null, utilizationPercent: u, memoryUsedMiB: null, memoryTotalMiB: null, temperatureC: null, powerW: null, powerLimitW: null, processes: [] }] } });
    }
    expect(utilValues(s.getState().gpuHistory['h#0'])).toEqual([20, 30, 40]);
    expect(s.getState().gpuHistory['h#0']?.coarse.map((b) => b.util)).toEqual([10]);
    store.dispose();
  });
});

describe('log follow, scroll and search', () => {
  it('pauses when scrolled up, counts new lines, resumes at the bottom', () => {
    const { store } = fixtureStore();
    const buf = store.log('a800:training');
    const rows = paneRect(store.getState(), 'log').h;
    store.command('log.up');
    let s = store.getState();
    expect(s.logView.follow).toBe(false);
    expect(logBottomSeq(s, buf, rows)).toBe(198);
    store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'lines', lines: ['x', 'y', 'z'], offset: 2000 } });
    s = store.getState();
    expect(newLinesWhilePaused(s, buf)).toBe(3);
    expect(logBottomSeq(s, buf, rows)).toBe(198);
    store.command('log.pageDown');
    expect(store.getState().logView.follow).toBe(true);
  });

  it('goes to the top and back, toggles follow and wrap', () => {
    const { store } = fixtureStore();
    const buf = store.log('a800:training');
    const rows = paneRect(store.getState(), 'log').h;
    store.command('log.top');
    expect(logBottomSeq(store.getState(), buf, rows)).toBe(rows - 1);
    store.command('log.pageUp');
    expect(logBottomSeq(store.getState(), buf, rows)).toBe(rows - 1);
    store.command('log.bottom');
    expect(store.getState().logView.follow).toBe(true);
    store.command('log.follow');
    expect(store.getState().logView.follow).toBe(false);
    store.command('log.follow');
    expect(store.getState().logView.follow).toBe(true);
    store.command('log.wrap');
    expect(store.getState().logView.wrap).toBe(true);
  });

  it('searches: Enter jumps to the newest match, n/N to newer/older ones', () => {
    const { store } = fixtureStore();
    store.command('log.search');
    store.command('input.char', 'iter 1');
    store.command('input.submit');
    let v = store.getState().logView;
    expect(v.query).toBe('iter 1');
    expect(v.matchSeq).toBe(198); // "iter 199" (seq 198) is the newest line containing "iter 1"
    store.command('log.prev');
    expect(store.getState().logView.matchSeq).toBe(197);
    store.command('log.next');
    expect(store.getState().logView.matchSeq).toBe(198);
    store.command('log.next');
    v = store.getState().logView;
    expect(v.matchSeq).toBe(198);
    expect(store.getState().message?.text).toBe('no match for "iter 1" below in the last 200 lines · F searches the whole log file');
  });

  it('says so when nothing matches', () => {
    const { store } = fixtureStore();
    store.command('log.search');
    store.command('input.char', 'nccl');
    store.command('input.submit');
    expect(store.getState().message?.text).toBe('no match for "nccl" in the last 200 lines · F searches the whole log file');
    expect(store.getState().logView.follow).toBe(true);
  });
});

describe('kill confirmation and effects', () => {
  it('a long run asks for its name; a wrong name is refused', () => {
    const f = fixtureStore();
    const fx = effects(f.store);
    f.store.command('run.kill');
    expect(f.store.getState().confirm).toMatchObject({ runId: 'a800:training', host: 'a800', typedRequired: true });
    expect(activeScopes(f.store.getState())).toEqual(['confirm-typed']);
    f.store.command('input.char', 'train');
    f.store.command('confirm.submit');
    expect(fx).toEqual([]);
    f.store.command('input.char', 'ing');
    f.store.command('confirm.submit');
    expect(fx).toEqual([{ type: 'run.kill', runId: 'a800:training', host: 'a800', session: 'training', createdAt: '2026-11-23T10:00:00Z' }]);
    expect(f.store.getState().confirm).toBeNull();
  });

  it('a finished run asks y/n; n cancels', () => {
    const f = fixtureStore();
    f.store.command('runs.last');
    const fx = effects(f.store);
    f.store.command('run.kill');
    expect(activeScopes(f.store.getState())).toEqual(['confirm']);
    f.store.command('confirm.no');
    expect(fx).toEqual([]);
    f.store.command('run.kill');
    f.store.command('confirm.yes');
    expect(fx).toEqual([{ type: 'run.kill', runId: 'gpu1:train_v1', host: 'gpu1', session: 'train_v1', createdAt: '2026-11-23T10:00:00Z' }]);
  });

  it('attach, peek, refresh and quit are effects (new opens a form first); --readonly refuses kill and attaches read-only', () => {
    const f = fixtureStore();
    const fx = effects(f.store);
    for (const c of ['run.attach', 'run.peek', 'app.refresh', 'app.quit']) f.store.command(c);
    expect(fx.map((e) => e.type)).toEqual(['run.attach', 'run.peek', 'app.refresh', 'app.quit']);
    const r = fixtureStore({ readonly: true });
    const rfx = effects(r.store);
    r.store.command('run.attach');
    r.store.command('run.kill');
    r.store.command('run.peek');
    // attach goes ahead: the monitor attaches a read-only client (tmux attach -r)
    expect(rfx.map((e) => e.type)).toEqual(['run.attach', 'run.peek']);
    expect(r.store.getState().confirm).toBeNull();
    expect(r.store.getState().message?.text).toMatch(/read-only/);
  });
});

describe('peek on a Slurm job', () => {
  it('says where its output is instead of peeking (a job has no pane); attach still goes ahead', () => {
    const { store } = emptyFixture();
    const job = mkRun('cl', '4242', {
      log: '/home/u/slurm-4242.out',
      slurm: { state: 'RUNNING', reason: null, name: 'train', partition: 'debug', nodes: 'n1', gpus: 1, timeLimitSeconds: 3600, elapsedSeconds: 60, startAt: null, exitSignal: null },
    });
    store.dispatch({ type: 'runs', host: 'cl', runs: [job] });
    const fx = effects(store);
    store.command('run.peek');
    expect(fx).toEqual([]);
    expect(store.getState().message?.text).toBe('a Slurm job has no pane: its output is in the log pane');
    store.command('run.attach');
    expect(fx.map((e) => e.type)).toEqual(['run.attach']);
  });
});

describe('publishing', () => {
  it('coalesces any number of events into one publish per interval', () => {
    let now = 1000;
    const pending: { fn: () => void; at: number }[] = [];
    const store = createStore({
      now: () => now,
      maxHz: 20,
      timers: { setTimeout: (fn, ms) => pending.push({ fn, at: now + ms }), clearTimeout: () => undefined },
    });
    let published = 0;
    store.subscribe(() => published++);
    store.dispatch({ type: 'runs', host: 'h', runs: [mkRun('h', 's')] });
    for (let i = 0; i < 1000; i++) store.dispatch({ type: 'log', runId: 'h:s', chunk: { kind: 'lines', lines: [`l${i}`], offset: i } });
    expect(pending).toHaveLength(1);
    expect(published).toBe(0);
    expect(store.getSnapshot().selectedRunId).toBeNull();
    pending.shift()!.fn();
    expect(published).toBe(1);
    expect(store.getSnapshot().selectedRunId).toBe('h:s');
    now += 5;
    store.dispatch({ type: 'log', runId: 'h:s', chunk: { kind: 'lines', lines: ['more'], offset: 9999 } });
    expect(pending[0]!.at).toBe(1010); // a trickle: one fast frame (100 Hz) after the last publish
    now += 1;
    for (let i = 0; i < 9; i++) store.dispatch({ type: 'log', runId: 'h:s', chunk: { kind: 'lines', lines: [`s${i}`], offset: 10_000 + i } });
    now = 1010;
    pending.shift()!.fn(); // lines piled up meanwhile: a stream waits for the 20 Hz pace
    expect(published).toBe(1);
    expect(pending.map((t) => t.at)).toEqual([1050]);
    now = 1050;
    pending.shift()!.fn();
    expect(published).toBe(2);
  });

  /** A store on a fake clock whose timers are kept in `pending` (cleared ones marked). */
  function clocked() {
    const c = { now: 1000 };
    const pending: { fn: () => void; at: number; cleared?: boolean }[] = [];
    const store = createStore({
      now: () => c.now,
      timers: {
        setTimeout: (fn, ms) => {
          const t = { fn, at: c.now + ms };
          pending.push(t);
          return t;
        },
        clearTimeout: (t) => ((t as { cleared?: boolean }).cleared = true),
      },
    });
    return { c, store, pending, live: () => pending.filter((t) => !t.cleared) };
  }

  it('publishes a flooding log at 10 Hz, and a key press at once', () => {
    const { c, store, pending, live } = clocked();
    store.dispatch({ type: 'runs', host: 'h', runs: [mkRun('h', 's')] });
    live()[0]!.fn();
    pending.length = 0;
    const lines = Array.from({ length: 500 }, (_, i) => `l${i}`);
    store.dispatch({ type: 'log', runId: 'h:s', chunk: { kind: 'lines', lines, offset: 1 } });
    expect(live().map((t) => t.at)).toEqual([1100]);
    store.command('pane.next');
    expect(live().map((t) => t.at)).toEqual([1010]);
    c.now = 1010;
    live()[0]!.fn();
    pending.length = 0;
    c.now += 60;
    store.dispatch({ type: 'log', runId: 'h:s', chunk: { kind: 'lines', lines: ['one more'], offset: 2 } });
    expect(live().map((t) => t.at)).toEqual([1070]); // a trickle goes out at once
  });

  it('publishes GPU samples, pings and the clock at 1 Hz, a run or a host dropping at once', () => {
    const { c, store, pending, live: timers } = clocked();
    const live = () => timers().map((t) => t.at);
    const host = (latencyMs: number, phase: 'connected' | 'reconnecting' = 'connected') =>
      ({ type: 'host', state: { name: 'h', phase, status: phase === 'connected' ? 'connected' : 'reconnecting', error: null, latencyMs, lastOkAt: c.now } }) as const;
    store.dispatch(host(5));
    pending.shift()!.fn();
    c.now += 100;
    for (let i = 0; i < 10; i++) store.dispatch({ type: 'gpus', report: { name: `h${i}`, status: 'ok', error: null, driver: null, gpus: [] } });
    store.dispatch({ type: 'tick' });
    store.dispatch(host(7));
    expect(live()).toEqual([2000]); // one frame for all of them, a second after the last
    store.dispatch(host(7, 'reconnecting'));
    expect(live()).toEqual([1100]); // a host dropping: at once
  });

  it('does not wake React for a log that is not on screen', () => {
    const f = fixtureStore();
    const before = f.store.getState();
    f.store.dispatch({ type: 'log', runId: 'gpu1:train_v1', chunk: { kind: 'lines', lines: ['x'], offset: 1 } });
    expect(f.store.getState()).toBe(before);
    expect(f.store.peekLog('gpu1:train_v1')?.length).toBe(1);
  });
});

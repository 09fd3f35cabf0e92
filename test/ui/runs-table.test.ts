// The runs pane as a table: its columns at 120 and 40 columns (zoomed, so the pane has the width),
// the loss trend and the GPUs a run holds, the sort in the title. Pure frames (buildFrame), NO_COLOR.
import { describe, expect, it } from 'vitest';
import type { GpuHostReport } from '../../src/domain/types.js';
import { buildFrame } from '../../src/ui/frame.js';
import { gpuIndexList, lossTrend } from '../../src/ui/panes/run-cells.js';
import { rowText, rowWidth } from '../../src/ui/rows.js';
import { createStore } from '../../src/store/index.js';
import { conn, mkRun, T0, type Fixture } from './fixture-store.js';

function frame(f: Fixture): string[] {
  const s = f.store.getState();
  const rows = buildFrame({ s, log: (id) => f.store.peekLog(id), keymap: f.store.keymap, color: false });
  for (const r of rows) expect(rowWidth(r)).toBe(Math.max(20, s.size.cols));
  return rows.map(rowText);
}

const gpu = (index: number, runs: string[]): GpuHostReport['gpus'][number] => ({
  index, name: 'NVIDIA A800-SXM4-80GB', uuid: `GPU-${index}`, utilizationPercent: 97, memoryUsedMiB: 70000,
  memoryTotalMiB: 81920, temperatureC: 60, powerW: 300, powerLimitW: 400,
  processes: runs.map((run, j) => ({ pid: 1000 + index * 10 + j, name: 'python', usedMemoryMiB: 60000, run })),
});

/** One host, three runs: a live one on GPUs 0-7 with a falling loss, a failed one on GPUs 0,1, a finished one. */
function table(cols: number): Fixture {
  const clock = { now: T0 };
  const store = createStore({ now: () => clock.now, timers: { setTimeout: () => 0, clearTimeout: () => undefined }, size: { cols, rows: 20 }, hosts: ['a800'] });
  const f: Fixture = { store, clock, settle: (ms = 0) => { clock.now += ms; store.flush(); } };
  f.store.dispatch({ type: 'host', state: conn('a800') });
  f.store.dispatch({
    type: 'runs',
    host: 'a800',
    runs: [
      mkRun('a800', 'llama-7b-sft', {
        progress: { step: 3600, total: 30000, percent: 12, etaSeconds: 27252 },
        metrics: { loss: 1.25 },
        lossHistory: [9, 8, 2.5, 2.2, 2.0, 1.8, 1.6, 1.4, 1.3, 1.25],
        lastOutputSecondsAgo: 3,
      }),
      mkRun('a800', 'sweep-lr3e-4', {
        state: 'failed',
        reason: 'oom',
        alerts: [{ kind: 'oom', message: 'CUDA out of memory' }],
        progress: { step: 1312, total: 8000, percent: 16.4, etaSeconds: null },
        metrics: { loss: 3.5 },
        lossHistory: [3.5, 3.5, 3.5],
        lastOutputSecondsAgo: 600,
      }),
      mkRun('a800', 'qlora-smoke', { state: 'finished', progress: { step: 400, total: 400, percent: 100, etaSeconds: 0 }, lastOutputSecondsAgo: 90 }),
    ],
  });
  // the failed run's processes still hold GPUs 0 and 1 in this report (nvidia-smi is a poll behind)
  f.store.dispatch({
    type: 'gpus',
    report: { name: 'a800', status: 'ok', error: null, driver: '535', gpus: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => gpu(i, i < 2 ? ['a800:llama-7b-sft', 'a800:sweep-lr3e-4'] : ['a800:llama-7b-sft'])) },
  });
  f.store.command('pane.zoom');
  f.settle();
  return f;
}

describe('runs table', () => {
  it('at 120 columns: progress, its bar, ETA, loss with its trend, GPUs and the last output, under one header', () => {
    const out = frame(table(120)).join('\n');
    expect(out).toMatch(/RUN +STATE +PROG +ETA +LOSS +GPUS +LAST/);
    // the trend: the last 8 losses between their own low (▁) and high (█), falling
    expect(out).toMatch(/› llama-7b-sft +RUNNING +12% █░{9} +7h34m\d*s? +1\.25 █▆▅▄▃▂▁▁ +0-7 +3s/);
    // a flat loss is a flat line; a pair of GPUs stays a pair
    expect(out).toMatch(/ {2}sweep-lr3e-4 +FAILED OOM +16% █{2}░{8} +3\.5 ▄▄▄ +0,1 +10m/);
    // a finished run: no percent, no ETA, no trend; its age
    expect(out).toMatch(/ {2}qlora-smoke +FINISHED +1m +│/);
  });

  it('at 40 columns: the name and the state stay, the columns leave', () => {
    const rows = frame(table(40));
    const out = rows.join('\n');
    expect(out).toMatch(/› llama-7b-sft +RUNNING/);
    expect(out).toMatch(/ {2}sweep-lr3e-4 +FAILED OOM/);
    expect(out).toMatch(/ {2}qlora-smoke +FINISHED/);
    expect(out).not.toMatch(/GPUS|LAST|[▁▂▃▄▅▆▇]/);
  });

  it('columns leave in priority order as the pane narrows: the bar, then the last output, the GPUs, the trend', () => {
    const seen = (cols: number) => {
      const out = frame(table(cols)).join('\n');
      return { bar: /█░/.test(out), last: /LAST/.test(out), gpus: /GPUS/.test(out), trend: /█▆▅/.test(out), loss: /LOSS/.test(out), eta: /ETA/.test(out), prog: /PROG/.test(out) };
    };
    let before = seen(120);
    expect(Object.values(before).every(Boolean)).toBe(true);
    const order = ['bar', 'last', 'gpus', 'trend', 'loss', 'eta', 'prog'] as const;
    for (let cols = 119; cols >= 30; cols--) {
      const now = seen(cols);
      // what is gone stays gone, and nothing leaves before a column of lower priority
      for (const [i, k] of order.entries()) {
        if (before[k] && !now[k]) for (const lower of order.slice(0, i)) expect(now[lower], `${lower} at ${cols} (after ${k} left)`).toBe(false);
        if (!before[k]) expect(now[k], `${k} back at ${cols}`).toBe(false);
      }
      before = now;
    }
    // at 30 columns (a 28-cell pane) only the progress is left beside the name and a short state
    expect(Object.entries(before).filter(([, v]) => v).map(([k]) => k)).toEqual(['prog']);
  });

  it('shows the order in the title; s cycles it and j/k walk the order on screen', () => {
    const f = table(120);
    const names = () => frame(f).filter((l) => /^│[› ] \S/.test(l) && !l.includes('STATE')).map((l) => /^│[› ] (\S+)/.exec(l)?.[1]);
    expect(frame(f)[0]).toMatch(/Runs · a800 · 3\]─/);
    expect(names()).toEqual(['llama-7b-sft', 'sweep-lr3e-4', 'qlora-smoke']);
    f.store.command('runs.sort');
    f.settle();
    expect(frame(f)[0]).toContain('Runs · a800 · 3 · by state');
    expect(names()).toEqual(['sweep-lr3e-4', 'llama-7b-sft', 'qlora-smoke']);
    // the selection stayed on its run, now second
    expect(frame(f).join('\n')).toMatch(/› llama-7b-sft/);
    f.store.command('runs.up');
    f.settle();
    expect(frame(f).join('\n')).toMatch(/› sweep-lr3e-4/);
    f.store.command('runs.sort');
    f.settle();
    expect(frame(f)[0]).toContain('by progress');
    expect(names()).toEqual(['sweep-lr3e-4', 'llama-7b-sft', 'qlora-smoke']);
    f.store.command('runs.sort');
    f.settle();
    expect(frame(f)[0]).toContain('by last output');
    expect(names()).toEqual(['llama-7b-sft', 'qlora-smoke', 'sweep-lr3e-4']);
    f.store.command('runs.sort');
    f.settle();
    expect(frame(f)[0]).not.toContain(' by ');
  });
});

describe('run cells', () => {
  it('GPU lists: ranges of three or more, pairs as pairs, junk left out', () => {
    expect(gpuIndexList([0, 1, 2, 3, 4, 5, 6, 7])).toBe('0-7');
    expect(gpuIndexList([1, 0])).toBe('0,1');
    expect(gpuIndexList([7, 0, 2, 3, 4, 4])).toBe('0,2-4,7');
    expect(gpuIndexList([Number.NaN, -1, 1.5, 3])).toBe('3');
    expect(gpuIndexList([])).toBe('');
  });

  it('loss trend: the last 8 finite values, scaled to their own range; under two values none', () => {
    expect(lossTrend({ lossHistory: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] })).toBe('▁▂▃▄▅▆▇█');
    expect(lossTrend({ lossHistory: [2, 2] })).toBe('▄▄');
    expect(lossTrend({ lossHistory: [5, Number.NaN, 1, Infinity] })).toBe('█▁');
    expect(lossTrend({ lossHistory: [1] })).toBe('');
    expect(lossTrend({})).toBe('');
    // a state file from elsewhere: not an array of numbers
    expect(lossTrend({ lossHistory: 'x' as unknown as number[] })).toBe('');
    expect(lossTrend({ lossHistory: ['1', null, 2, 3] as unknown as number[] })).toBe('▁█');
  });
});

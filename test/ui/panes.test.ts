// Pane frames built without React (buildFrame is pure): the states each pane can be in.
import { describe, expect, it } from 'vitest';
import { buildFrame } from '../../src/ui/frame.js';
import { rowText, rowWidth } from '../../src/ui/rows.js';
import { fixtureStore, GPUS_A800, conn, mkRun, type Fixture } from './fixture-store.js';

function frame(f: Fixture, color = false): string[] {
  const s = f.store.getState();
  const rows = buildFrame({ s, log: (id) => f.store.peekLog(id), keymap: f.store.keymap, color });
  for (const r of rows) expect(rowWidth(r)).toBe(Math.max(20, s.size.cols));
  expect(rows).toHaveLength(s.size.rows - 1);
  return rows.map(rowText);
}

describe('GPUs pane', () => {
  it('says when a host has no GPUs, or nvidia-smi failed', () => {
    const f = fixtureStore();
    f.store.dispatch({ type: 'gpus', report: { name: 'a800', status: 'no-gpu', error: null, driver: null, gpus: [] } });
    expect(frame(f).join('\n')).toContain('no GPUs on a800 (no nvidia-smi)');
    f.store.dispatch({ type: 'gpus', report: { name: 'a800', status: 'error', error: 'boom', driver: null, gpus: [] } });
    expect(frame(f).join('\n')).toContain('nvidia-smi failed: boom');
  });

  it('shows the selected run\'s host, the selected GPU\'s processes and its sparkline', () => {
    const f = fixtureStore();
    for (const u of [0, 25, 50, 75, 100]) {
      f.store.dispatch({ type: 'gpus', report: { ...GPUS_A800, gpus: GPUS_A800.gpus.map((g) => ({ ...g, utilizationPercent: g.index === 0 ? u : 0 })) } });
    }
    // room for both GPUs: each with its history and its processes
    const out = frame(f);
    const at = (re: RegExp): number => out.findIndex((l) => re.test(l));
    expect(at(/│›0 A800 +100%/)).toBeGreaterThan(0);
    expect(out[at(/│›0 A800/) + 1]).toMatch(/│   util +█▁▃▅▆█│/); // newest at the right, 0 % a baseline dot
    expect(out[at(/│›0 A800/) + 2]).toMatch(/│   4242 a800:training 68G python/);
    expect(out[at(/│ 1 A800 +0%/) + 2]).toContain('│   no processes');
    f.store.command('gpus.down');
    const second = frame(f).join('\n');
    expect(second).toMatch(/│›1 A800 +0%/);
    expect(second).toContain('no processes');
    f.store.command('runs.last'); // gpu1: no report yet
    expect(frame(f).join('\n')).toContain('waiting for nvidia-smi on gpu1…');
  });

  it('shows every GPU\'s row, then the selected one\'s history and processes, when not all fit', () => {
    const f = fixtureStore({ cols: 100, rows: 24 });
    const gpus = Array.from({ length: 8 }, (_, i) => ({
      ...(GPUS_A800.gpus[0] as (typeof GPUS_A800.gpus)[number]),
      index: i,
      uuid: `GPU-${i}`,
      utilizationPercent: 10 * i,
      processes: [{ pid: 100 + i, name: 'python', usedMemoryMiB: 1024, run: 'a800:training' }],
    }));
    f.store.dispatch({ type: 'gpus', report: { ...GPUS_A800, gpus } });
    f.store.command('gpus.down');
    const out = frame(f).join('\n');
    expect(out).toMatch(/│ 0 A800 +0%/);
    expect(out).toMatch(/│›1 A800 +10%/);
    expect(out).toMatch(/GPU 1 util +▁▂│/); // 0 % then 10 %
    expect(out).toContain('101 a800:training 1.0G python');
    expect(out).not.toContain('100 a800:training');
  });

  it('keeps the last GPU values of a host that dropped, marked stale', () => {
    const f = fixtureStore();
    f.store.dispatch({ type: 'host', state: conn('a800', { phase: 'reconnecting', lastOkAt: f.clock.now - 90_000 }) });
    const out = frame(f).join('\n');
    expect(out).toContain('GPUs · a800 · stale 90s');
    expect(out).toMatch(/A800 +98%/);
  });
});

describe('checkpoints pane', () => {
  it('newest first with a count, total size and free disk; empty states as text', () => {
    const f = fixtureStore();
    const out = frame(f);
    const i = out.findIndex((l) => l.includes('checkpoint-3000'));
    expect(out[i + 1]).toContain('checkpoint-2000');
    f.store.command('runs.down');
    expect(frame(f).join('\n')).toContain('no checkpoint directory known for this run');
    f.store.dispatch({ type: 'checkpoints', listing: { run: 'a800:sweep-3', dir: '/d', diskFreeBytes: null, checkpoints: [] } });
    const empty = frame(f).join('\n');
    expect(empty).toContain('Checkpoints · 0 · 0 B ─');
    expect(empty).toContain('none yet in /d');
  });
});

describe('runs pane', () => {
  it('a table: alerts of a live run, no ETA on a dead one, a stale host\'s ETA marked', () => {
    const f = fixtureStore({ cols: 200, rows: 30 });
    f.store.dispatch({
      type: 'runs',
      host: 'a800',
      runs: [
        mkRun('a800', 'training', {
          progress: { step: 10, total: 100, percent: 10, etaSeconds: 600 },
          metrics: { loss: Number.NaN },
          alerts: [{ kind: 'nan-loss', message: 'loss is nan' }],
        }),
        mkRun('a800', 'dead', { state: 'failed', reason: 'nccl-timeout', progress: { step: 5, total: 100, percent: 5, etaSeconds: 900 } }),
      ],
    });
    f.settle();
    let out = frame(f).join('\n');
    expect(out).toMatch(/RUN +STATE +PROG +ETA +LOSS +GPUS +LAST +ALERT/);
    expect(out).toMatch(/› a800:training +RUNNING +10% +10m00s +NaN +0 +4s +!NAN/);
    expect(out).toMatch(/ a800:dead +FAILED NCCL +5% +4s/);
    expect(out).not.toContain('15m00s');
    f.store.dispatch({ type: 'host', state: conn('a800', { phase: 'reconnecting', status: 'unreachable', lastOkAt: f.clock.now }) });
    f.settle(30_000);
    out = frame(f).join('\n');
    expect(out).toMatch(/› a800:training +RUNNING\? +10% +10m00s\? +NaN /);
    // zoomed, the bar joins
    f.store.command('pane.zoom');
    expect(frame(f).join('\n')).toMatch(/› a800:training +RUNNING\? +10% +█░+ +10m00s\? +NaN/);
  });
});

describe('runs pane columns', () => {
  it('line up: numbers on the right, wide-character names counted by their cells', () => {
    const f = fixtureStore({ cols: 200, rows: 30 });
    f.store.dispatch({
      type: 'runs',
      host: 'a800',
      runs: [
        mkRun('a800', '训练-1', { progress: { step: 9, total: 100, percent: 9, etaSeconds: 60 } }),
        mkRun('a800', 'b', { progress: { step: 12, total: 100, percent: 12, etaSeconds: 60 } }),
      ],
    });
    f.settle();
    const out = frame(f);
    const row = (name: string) => out.find((l) => l.startsWith('│') && l.includes(` ${name} `)) as string;
    const cells = (l: string) => [...l].reduce((n, ch) => n + (/[\u4e00-\u9fff]/.test(ch) ? 2 : 1), 0);
    const endOf = (l: string, what: string) => cells(l.slice(0, l.indexOf(what) + what.length));
    // the state starts in the same column on both rows, and the percents end in the same column
    expect(cells(row('a800:训练-1').slice(0, row('a800:训练-1').indexOf('RUNNING')))).toBe(cells(row('a800:b').slice(0, row('a800:b').indexOf('RUNNING'))));
    expect(endOf(row('a800:训练-1'), ' 9%')).toBe(endOf(row('a800:b'), '12%'));
  });
});

describe('runs pane and log title', () => {
  it('agree on the selected run\'s progress: the bar on screen moves both ahead of the poll', () => {
    const f = fixtureStore({ cols: 200, rows: 30 });
    f.store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'partial', text: ' 13%|#   | 3900/30000 [1:00:00<6:41:00, 1.08it/s]' } });
    f.settle();
    const out = frame(f);
    expect(out[0]).toContain('step 3900/30000 13%');
    expect(out.join('\n')).toMatch(/› a800:training +RUNNING +13% /);
  });
});

describe('log pane', () => {
  it('shows markers and a wrapped long line', () => {
    const f = fixtureStore();
    f.store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'marker', text: 'log truncated: following from the start' } });
    f.store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'partial', text: '' } });
    expect(frame(f).join('\n')).toContain('── log truncated: following from the start ──');
  });

  it('says what it waits for', () => {
    const f = fixtureStore();
    f.store.command('runs.last');
    expect(frame(f).join('\n')).toContain('waiting for /home/u/train_v1.log…');
  });

  it('fits every row at odd sizes', () => {
    for (const [cols, rows] of [[80, 24], [20, 8], [33, 11], [200, 60], [81, 25]] as const) {
      const f = fixtureStore({ cols, rows });
      frame(f);
      f.store.command('pane.zoom');
      frame(f);
      f.store.command('app.help');
      frame(f);
      f.store.command('help.close');
      f.store.command('run.kill');
      frame(f);
    }
  });
});

describe('vertical strips', () => {
  it('cut the rows at the pane borders without losing a cell', async () => {
    const { toBlocks } = await import('../../src/ui/blocks.js');
    const { computeLayout } = await import('../../src/store/layout.js');
    for (const zoom of [false, true]) {
      const f = fixtureStore({ cols: 90, rows: 26 });
      if (zoom) f.store.command('pane.zoom');
      f.store.command('run.kill'); // an overlay crossing the strips
      const s = f.store.getState();
      const rows = buildFrame({ s, log: (id) => f.store.peekLog(id), keymap: f.store.keymap, color: false });
      const blocks = toBlocks(rows, s, computeLayout(s.size, s.zoom, s.focus));
      const back: string[] = [];
      for (const b of blocks) {
        if ('row' in b) back.push(rowText(b.row));
        else for (let k = 0; k < (b.cols[0]?.rows.length ?? 0); k++) back.push(b.cols.map((c) => rowText(c.rows[k]!)).join(''));
      }
      expect(back).toEqual(rows.map(rowText));
      expect(blocks.some((b) => 'cols' in b)).toBe(true);
    }
  });
});

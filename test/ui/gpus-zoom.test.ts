// The GPU pane zoomed (z on the GPUs pane): the selected GPU's braille charts and its process table.
import { describe, expect, it } from 'vitest';
import { buildFrame } from '../../src/ui/frame.js';
import { rowText, rowWidth } from '../../src/ui/rows.js';
import type { GpuHostReport } from '../../src/domain/types.js';
import { fixtureStore, GPUS_A800, type Fixture } from './fixture-store.js';

function frame(f: Fixture): string[] {
  const s = f.store.getState();
  const rows = buildFrame({ s, log: (id) => f.store.peekLog(id), keymap: f.store.keymap, color: false });
  for (const r of rows) expect(rowWidth(r)).toBe(Math.max(20, s.size.cols));
  return rows.map(rowText);
}

const detailed: GpuHostReport = {
  ...GPUS_A800,
  gpus: GPUS_A800.gpus.map((g) =>
    g.index !== 0
      ? g
      : {
          ...g,
          smClockMHz: 1410,
          memClockMHz: 1593,
          processes: [
            { pid: 4242, name: 'python', usedMemoryMiB: 70000, run: 'a800:training', user: 'alice', cpuPercent: 101.5, rssMiB: 12288, elapsedSeconds: 3725, command: 'python train.py\x1b]0;pwn\x07 --lr 3e-4 --cfg "big run.yaml"' },
            { pid: 1234, name: 'python', usedMemoryMiB: 1024, run: null, user: 'bob', cpuPercent: 3, rssMiB: 900, elapsedSeconds: 40, command: 'python probe.py' },
          ],
        },
  ),
};

function zoomed(): Fixture {
  const f = fixtureStore({ cols: 100, rows: 40 });
  for (let i = 0; i < 30; i++) {
    f.store.dispatch({ type: 'gpus', report: { ...detailed, gpus: detailed.gpus.map((g) => ({ ...g, utilizationPercent: g.index === 0 ? (i * 7) % 100 : 0 })) } });
    f.settle(2000);
  }
  f.store.command('pane.gpus');
  f.store.command('pane.zoom');
  f.settle();
  return f;
}

describe('zoomed GPU pane', () => {
  it('charts the selected GPU in braille and lists its processes with run, user, CPU, RSS, time and command line', () => {
    const out = frame(zoomed());
    const at = (re: RegExp): number => out.findIndex((l) => re.test(l));
    expect(out[0]).toContain('GPUs · a800');
    expect(out[at(/›GPU 0 A800/)]).toMatch(/›GPU 0 A800 \d+% · 70\/80G · 65C · 350\/400W · SM 1410 MHz · mem 1593 MHz \(1\/2, h\/l\)/);
    // the utilisation chart: its title, the 0-100 scale and braille dots between, then the time axis
    const u = at(/│ utilisation % · last 1m/);
    expect(u).toBeGreaterThan(0);
    expect(out[u + 1]).toMatch(/│100% .*[\u2801-\u28ff]/);
    expect(out.slice(u + 1, u + 12).some((l) => /│  0% [\u2800-\u28ff]/.test(l))).toBe(true);
    expect(out.some((l) => /│ +-1m +-3\ds +now│/.test(l))).toBe(true);
    expect(at(/│ memory used · last 1m/)).toBeGreaterThan(u);
    expect(at(/│ power · last 1m/)).toBeGreaterThan(u);
    // the table: biggest GPU memory first, the selected row marked, the command line without its escape
    expect(out[at(/PID USER/)]).toMatch(/│ +PID USER +GPU-MEM▼ +CPU% +RSS +TIME RUN +COMMAND/);
    expect(out[at(/4242/)]).toMatch(/│› +4242 alice +68G +102 +12G +1h02m a800:training +python train\.py --lr 3e-4 --cfg "bi…│/);
    expect(out[at(/1234/)]).toMatch(/│ +1234 bob +1\.0G +3\.0 +900M +40s \(no run\) +python probe\.py/);
    expect(out.join('')).not.toMatch(/\x1b|\x07/);
  });

  it('fits every row and keeps the utilisation chart at small sizes', () => {
    for (const [cols, rows] of [[40, 12], [60, 20], [200, 60], [20, 8]] as const) {
      const f = zoomed();
      f.store.dispatch({ type: 'resize', cols, rows } as never);
      f.settle();
      const out = frame(f);
      expect(out).toHaveLength(f.store.getState().size.rows - 1);
    }
  });

  it('j/k walk the processes and on to the next GPU, o sorts, Enter selects the run', () => {
    const f = zoomed();
    f.store.command('runs.down'); // no effect: the GPUs pane has the focus
    f.store.command('gpus.down');
    let out = frame(f);
    expect(out.find((l) => l.includes('1234'))).toMatch(/│›/);
    f.store.command('gpus.select');
    expect(f.store.getState().message?.text).toBe("pid 1234 is not in any run's tmux session");
    f.store.command('gpus.down'); // past the last process: GPU 1
    expect(f.store.getState().selectedGpu).toBe(1);
    expect(frame(f).join('\n')).toContain('no processes on this GPU');
    f.store.command('gpus.prev');
    for (let i = 0; i < 4; i++) f.store.command('gpus.sort'); // memory → cpu → rss → time → pid
    expect(f.store.getState().gpuView.sort).toBe('pid');
    out = frame(f);
    expect(out.findIndex((l) => l.includes('1234'))).toBeLessThan(out.findIndex((l) => l.includes('4242')));
    expect(out.find((l) => l.includes('PID▼'))).toBeDefined();
    // select another run on this host first, then pick alice's process: its run is selected
    f.store.command('pane.zoom');
    f.store.dispatch({ type: 'select', runId: 'a800:sweep-3' });
    expect(f.store.getState().selectedRunId).toBe('a800:sweep-3');
    f.store.command('pane.gpus');
    f.store.command('gpus.select');
    expect(f.store.getState().message?.text).toMatch(/zoom the GPU pane/);
    f.store.command('pane.zoom');
    f.store.command('gpus.down');
    f.store.command('gpus.select');
    const s = f.store.getState();
    expect(s.selectedRunId).toBe('a800:training');
    expect(s.selectedGpu).toBe(0);
    expect(s.gpuView.proc).toBe(1);
  });

  it('unzoomed, stays the compact pane', () => {
    const f = zoomed();
    f.store.command('pane.zoom');
    f.settle();
    const out = frame(f).join('\n');
    expect(out).not.toContain('utilisation %');
    expect(out).toMatch(/│   4242 a800:training 68G python/);
  });
});

// The run card end to end, against the lab: a run whose log holds 200,000 HF-style lines (far more
// than any buffer keeps). `show --json` must return the loss series from the FIRST logged step to the
// last, downsampled; the monitor's `i` must draw the card with braille charts at 120x40 and 200x60.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installFakeNvidiaSmi, setFakeGpuProcesses } from '../../src/demo/fake-nvidia-smi.js';
import { labCli as cli } from '../helpers/cli.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { startTui } from '../helpers/tui.js';

const why = labUnavailable() ?? (existsSync(new URL('../../dist/commands/show.js', import.meta.url)) ? null : 'dist/ is not built (npm test builds it first)');
const BRAILLE = /[\u2801-\u28ff]/;

/** 100,000 tqdm updates, each followed by an HF Trainer dict: loss falls from 11 to 2 over the run. */
const LOG_SCRIPT = `awk 'BEGIN { for (i = 1; i <= 100000; i++) {
  printf "%3d%%|#####     | %d/100000 [00:10<00:10, 9.50it/s]\\n", int(i / 1000), i;
  printf "{\\x27loss\\x27: %.4f, \\x27grad_norm\\x27: 1.25, \\x27learning_rate\\x27: %.3e, \\x27epoch\\x27: %.2f}\\n", 11 - 9 * (i - 1) / 99999, 0.0003 * (1 - i / 100000) + 1e-6, i / 100000;
} }' > "$HOME/big/train.log"`;

suite(why, 'run card (show, i) against the lab', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab();
    installFakeNvidiaSmi(lab.binDir);
    const r = await lab.remote(
      [
        'set -e',
        'mkdir -p "$HOME/big/ckpt/checkpoint-500"',
        'head -c 4096 /dev/zero > "$HOME/big/ckpt/checkpoint-500/model.safetensors"',
        LOG_SCRIPT,
        'wc -l < "$HOME/big/train.log"',
        'tmux new-session -d -s big -x 100 -y 20 "exec -a rtk-card-trainer sleep 900"',
        'tmux set-option -t big: @rtk_log "$HOME/big/train.log"',
        'tmux set-option -t big: @rtk_checkpoints "$HOME/big/ckpt"',
        'tmux set-option -t big: @rtk_cwd "$HOME/big"',
        'tmux set-option -t big: @rtk_cmd "python train.py --lr 3e-4"',
        "tmux display-message -p -t big: '#{pane_pid}'",
      ].join('\n'),
      { timeoutMs: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [lines, pane] = r.stdout.trim().split('\n');
    expect(Number(lines)).toBe(200_000);
    setFakeGpuProcesses(lab.binDir, [{ gpu: 0, pid: Number(pane), usedMemoryMiB: 30_000, name: 'python' }]);
  }, 120_000);
  afterAll(async () => {
    await lab?.stop();
  });

  it('show --json: the loss series starts at the first logged step and ends at the last, at most 2,000 points', async () => {
    const r = await cli(lab, ['show', 'gpu:big', '--json', '--config', lab.rtkConfig]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      run: { id: string; state: string };
      command: string;
      cwd: string;
      series: Record<string, [number, number][]>;
      metrics: { key: string; latest: number; best: number | null; trend: string | null }[];
      processes: { pid: number; command: string; gpuMemoryMiB: number | null }[];
      gpus: { index: number }[];
      checkpoints: { count: number; newest: string } | null;
      seriesSource: { lines: number } | null;
    };
    expect(j.run.id).toBe('gpu:big');
    expect(j.command).toBe('python train.py --lr 3e-4');
    expect(j.cwd).toBe(`${lab.remoteHome}/big`);
    const loss = j.series.loss!;
    expect(loss.length).toBeGreaterThan(100);
    expect(loss.length).toBeLessThanOrEqual(2000);
    expect(loss[0]).toEqual([1, 11]);
    expect(loss[loss.length - 1]![0]).toBe(100_000);
    expect(loss[loss.length - 1]![1]).toBeCloseTo(2, 3);
    expect(j.seriesSource?.lines).toBe(200_000);
    // spread over the whole run, not crowded at its end
    const firstHalf = loss.filter(([step]) => step <= 50_000).length / loss.length;
    expect(firstHalf).toBeGreaterThan(0.4);
    const m = j.metrics.find((x) => x.key === 'loss')!;
    expect(m.best).toBeCloseTo(2, 3);
    expect(m.trend).toBe('down');
    expect(j.processes.some((p) => p.command.includes('rtk-card-trainer') && p.gpuMemoryMiB === 30_000)).toBe(true);
    expect(j.gpus.map((g) => g.index)).toEqual([0]);
    expect(j.checkpoints).toMatchObject({ count: 1, newest: 'checkpoint-500' });
  }, 120_000);

  it('show (text): the card with its charts in braille', async () => {
    const r = await cli(lab, ['show', 'big', '--width', '120', '--config', lab.rtkConfig]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(BRAILLE);
    expect(r.stdout).toMatch(/── Metrics/);
    expect(r.stdout).toMatch(/loss\s+2\b/);
    for (const line of r.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(120);
  }, 120_000);

  for (const [cols, rows] of [
    [120, 40],
    [200, 60],
  ] as const) {
    it(`i in the monitor draws the card at ${cols}x${rows}: charts in braille, the process with its command`, async () => {
      const env = lab.env();
      delete env.TMUX;
      const t = await startTui({ args: ['--config', lab.rtkConfig], env, cols, rows });
      try {
        await t.waitFor(/› big +RUNNING/, 40_000);
        await t.type('i');
        const screen = await t.waitUntil(
          (s) => /Run card · gpu:big/.test(s) && BRAILLE.test(s) && /loss/.test(s) && /rtk-card-trainer/.test(s),
          'the card with a braille chart and the run process',
          60_000,
        );
        expect(screen.split('\n').length).toBe(rows);
        expect(screen).toMatch(/100000\b/);
        if (cols === 120) {
          // what the log gains reaches the card (only the new bytes are read): r refreshes at once
          const r = await lab.remote(`printf "%s\\n" "100001/100000 [00:10<00:00, 9.50it/s]" "{'loss': 1.25, 'epoch': 1.0}" >> "$HOME/big/train.log"`);
          expect(r.code).toBe(0);
          await t.type('r');
          await t.waitFor(/200,002 lines read[\s\S]*loss +1\.25 /, 30_000);
        }
        await t.sendKeys('Escape');
        await t.waitUntil((s) => !/Run card/.test(s) && /› big/.test(s), 'the card closed', 10_000);
      } finally {
        await t.stop();
      }
    }, 150_000);
  }
  it('a run that does not exist is one clear sentence and exit 1', async () => {
    const r = await cli(lab, ['show', 'gpu:nope', '--config', lab.rtkConfig]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nope/);
  }, 60_000);
});

// The runs table in a real 120x40 terminal: `rtk-tui demo` (three simulated runs on this machine, a
// fake nvidia-smi), the built binary in a tmux pane with CI=false. The runs pane shows progress and
// ETA beside the log; zoomed it has the width for loss with its trend and the GPUs; `s` re-sorts and
// says so in the title. NO_COLOR is set. Every wait polls the screen with a deadline; nothing sleeps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { distMissing, firstReason, suite, tmuxMissing } from '../helpers/require.js';
import { startTui } from '../helpers/tui.js';

/** The run names in the runs pane, top to bottom (rows that start with the selection mark or its room). */
const order = (screen: string): string[] =>
  screen
    .split('\n')
    .map((l) => /^│[› ] (llama-7b-sft|qlora-smoke|sweep-lr3e-4) /.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);

suite(firstReason(tmuxMissing(), distMissing()), 'runs table (demo, 120x40)', () => {
  test('progress and ETA beside the log; zoomed, loss with its trend and the GPUs; s sorts, the title says how', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rtk-runs-home-'));
    // NO_COLOR: every column reads as text (the bar, the trend, the states), none by colour alone
    const t = await startTui({ args: ['demo'], env: { HOME: home, NO_COLOR: '1' }, cols: 120, rows: 40 });
    try {
      // beside the log: the name, the state, the progress and the ETA
      await t.waitFor(/› llama-7b-sft +RUNNING +\d+% +(\d+h)?\d+m(\d+s)? /, 30_000);
      await t.waitFor(/ sweep-lr3e-4 +FAILED OOM +\d+%/);

      // zoomed: the whole table, with the loss trend once two polls' worth of losses are in the tail
      await t.sendKeys('z');
      const zoomed = await t.waitUntil(
        (s) =>
          /RUN +STATE +PROG +ETA +LOSS +GPUS +LAST/.test(s) &&
          /› llama-7b-sft +RUNNING +\d+% +[█░]{10} +(\d+h)?\d+m(\d+s)? +\d+(\.\d+)? [▁▂▃▄▅▆▇█]{2,8} +0 +\d+s/.test(s),
        'the zoomed table: progress, bar, ETA, loss with its trend, GPU 0, last output',
        30_000,
      );
      expect(zoomed).toMatch(/Runs · local · 3\]/);
      expect(order(zoomed)).toEqual(['llama-7b-sft', 'qlora-smoke', 'sweep-lr3e-4']);

      // s: by state, the failed run first, the selection still on llama-7b-sft
      await t.sendKeys('s');
      const byState = await t.waitFor(/Runs · local · 3 · by state\]/);
      expect(order(byState)[0]).toBe('sweep-lr3e-4');
      expect(byState).toMatch(/› llama-7b-sft/);
      // j walks the order on screen
      const below = order(byState)[order(byState).indexOf('llama-7b-sft') + 1] as string;
      await t.sendKeys('j');
      await t.waitFor(new RegExp(`› ${below}`));
      await t.sendKeys('s');
      await t.waitFor(/Runs · local · 3 · by progress\]/);
      await t.sendKeys('s');
      await t.waitFor(/Runs · local · 3 · by last output\]/);
      await t.sendKeys('s');
      const back = await t.waitUntil((s) => /Runs · local · 3\]/.test(s), 'host order again');
      expect(order(back)).toEqual(['llama-7b-sft', 'qlora-smoke', 'sweep-lr3e-4']);

      await t.sendKeys('q');
      expect(await t.waitExit(30_000)).toBe(0);
    } finally {
      await t.stop();
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});

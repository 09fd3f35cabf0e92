// The zoomed GPU view end to end: the built monitor in a real terminal against the lab's GPU host
// (real sshd, the fake nvidia-smi in demo mode on the target's PATH), a run whose child process the
// fake lists as a compute app. `3` then `z` must show a braille utilisation chart and the process
// row with its run and its command line (from the target's ps, in the GPU poll's one exec).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { installFakeNvidiaSmi, setFakeGpuProcesses } from '../../src/demo/fake-nvidia-smi.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { startTui, type Tui } from '../helpers/tui.js';
import { pollFor } from '../helpers/wait.js';

suite(labUnavailable(), 'zoomed GPU view over ssh (lab)', () => {
  let lab: Lab;
  let tui: Tui | null = null;

  beforeAll(async () => {
    lab = await startLab();
    installFakeNvidiaSmi(lab.binDir, { mode: 'demo' });
    const r = await lab.remote(`tmux new-session -d -s zoomtrain 'sh -c "sleep 611 1 & wait"' && tmux list-panes -t zoomtrain: -F '#{pane_pid}'`);
    expect(r.code).toBe(0);
    const panePid = Number(r.stdout.trim());
    const gpuPid = await pollFor(async () => {
      const c = await lab.remote(`pgrep -P ${panePid} sleep`);
      return c.stdout.trim() ? Number(c.stdout.trim()) : null;
    });
    setFakeGpuProcesses(lab.binDir, [{ pid: gpuPid, usedMemoryMiB: 17000, name: 'python' }]);
  });

  afterAll(async () => {
    await tui?.stop();
    await lab?.stop();
  });

  test('z on the GPUs pane: a braille utilisation chart and the process row with its run and command line', async () => {
    const env = lab.env();
    delete env.TMUX;
    tui = await startTui({ args: ['--config', lab.rtkConfig], env });
    const t = tui;
    await t.waitUntil((s) => /› zoomtrain/.test(s) && /GPUs · gpu/.test(s) && /gpu:zoomtrain/.test(s.split('GPUs · gpu')[1] ?? ''), 'the run and its GPU process', 40_000);
    await t.sendKeys('3');
    await t.sendKeys('z');
    const s = await t.waitUntil(
      (x) =>
        /│ utilisation %/.test(x) &&
        /│100% .*[\u2801-\u28ff]/.test(x) &&
        /PID USER +GPU-MEM▼ +CPU% +RSS +TIME RUN +COMMAND/.test(x) &&
        /│› +\d+ \S+ +17G +[\d.]+ +[\d.]+[MG] +\d+[smhd]\S* gpu:zoomtrain +sleep 611 1/.test(x),
      'the zoomed view with its chart and the process row',
      40_000,
    );
    // the GPU's figures with its clocks (the fake's demo mode answers clocks.current.sm/.memory)
    expect(s).toMatch(/›GPU 0 A100 \d+% · [\d.]+\/80G · \d+C · \d+\/400W · SM 1410 MHz · mem 1593 MHz/);
    expect(s).toMatch(/│ memory used/);
    // Enter on the process: its run (already the selected one) stays selected, the view stays
    await t.sendKeys('Enter');
    await t.waitUntil((x) => /│ utilisation %/.test(x) && /GPUs · gpu/.test(x), 'the zoomed view after Enter');
    await t.sendKeys('z');
    await t.waitUntil((x) => !/│ utilisation %/.test(x) && /› zoomtrain/.test(x), 'the four panes again');
    await t.sendKeys('q');
    expect(await t.waitExit()).toBe(0);
    await t.stop();
    tui = null;
  });
});

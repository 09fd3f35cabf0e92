// The monitor against a real remote: the built binary in a 120x40 terminal, the lab's GPU host behind
// a jump host (two real sshd on loopback). A simulated trainer runs in a tmux session on the target
// with @rtk_log/@rtk_checkpoints set and the fake nvidia-smi on its PATH. Then every ssh connection to
// the target is killed: the host goes stale/reconnecting, comes back, and the monitor never exits.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fakeProcsFile, installFakeNvidiaSmi } from '../../src/demo/fake-nvidia-smi.js';
import { shq } from '../../src/remote/quote.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { REPO_ROOT, startTui, type Tui } from '../helpers/tui.js';

const why = labUnavailable();
const step = (screen: string): number => Number(/Steps: +\d+%\|[^|]*\| (\d+)\/30000/.exec(screen)?.[1] ?? Number.NaN);

// skipped (with the reason) only where the machine has no sshd; CI installs it
suite(why, 'monitor over ssh (lab)', () => {
  let lab: Lab;
  let tui: Tui | null = null;

  beforeAll(async () => {
    lab = await startLab();
    installFakeNvidiaSmi(lab.binDir, { mode: 'demo' });
    const procs = fakeProcsFile(lab.binDir);
    const dir = join(lab.remoteHome, 'proj');
    const trainer = [
      process.execPath, join(REPO_ROOT, 'dist', 'demo', 'trainer.js'),
      '--steps', '30000', '--start', '1000', '--rate', '12', '--ckpt-every', '100', '--log-every', '10',
      '--log', `${dir}/train.log`, '--ckpt-dir', `${dir}/ck`, '--gpu-procs', procs,
    ].map(shq).join(' ');
    const r = await lab.remote(
      [
        `mkdir -p ${shq(dir)} && : > ${shq(procs)}`,
        `tmux new-session -d -s train -x 160 -y 48 ${shq(trainer)}`,
        `tmux set-option -t train: @rtk_log ${shq(`${dir}/train.log`)}`,
        `tmux set-option -t train: @rtk_checkpoints ${shq(`${dir}/ck`)}`,
        // a run without a log file: the monitor shows its pane
        `tmux new-session -d -s zz-pane -x 100 -y 20 ${shq("printf 'hello from the pane\\n'; exec sleep 600")}`,
      ].join(' && '),
    );
    if (r.code !== 0) throw new Error(`could not start the run on the target: ${r.stderr}`);
  });

  afterAll(async () => {
    await tui?.stop();
    await lab?.stop();
  });

  test('a run on the target shows its log, GPU and checkpoints; a dropped connection recovers; the monitor stays', async () => {
    const debugLog = join(lab.dir, 'rtk-tui.log');
    const env = lab.env({ RTK_TUI_LOG: debugLog });
    delete env.TMUX;
    tui = await startTui({ args: ['--config', lab.rtkConfig], env });
    const t = tui;
    const first = await t.waitUntil(
      (s) =>
        /› train +RUNNING/.test(s) &&
        /Log · gpu:train · step \d+\/30000/.test(s) &&
        /\{'loss': [\d.]+/.test(s) &&
        /Steps: +\d+%\|/.test(s) &&
        /GPUs · gpu/.test(s) &&
        /0 A100 +\d+%/.test(s) &&
        /^│ +\d+ (?=.*\bpython\b)(?=.*\b\d+G\b).*gpu:train/m.test(s) &&
        /checkpoint-\d+ +[\d.]+ KiB/.test(s) &&
        /gpu ● \d+ms/.test(s),
      'the run with its log, GPU and checkpoints',
      40_000,
    );
    const before = step(first);
    expect(before).toBeGreaterThan(1000);

    await lab.killTargetSessions();
    // stale/reconnecting on screen (or, if the reconnect beat the screen poll, in the debug log)
    await t.waitUntil(
      (s) =>
        (/gpu ○ (reconnecting…|stale \d+s)/.test(s) && /gpu:train/.test(s)) ||
        (existsSync(debugLog) && /host gpu connected -> (reconnecting|connecting)/.test(readFileSync(debugLog, 'utf8'))),
      'the host to be marked reconnecting',
      30_000,
    );
    // back: connected again and the log streams past where it was
    await t.waitUntil((s) => /gpu ● \d+ms/.test(s) && step(s) > before + 24 && /› train +RUNNING/.test(s), 'the host to recover and the log to move on', 45_000);
    expect(await t.exitCode()).toBeNull();

    await t.sendKeys('q');
    expect(await t.waitExit()).toBe(0);
    expect(await t.alternateOn()).toBe(false);
    await t.stop();
    tui = null;
  });

  test('HOST words are the hosts: a configured name and an ssh destination; one that refuses connections is shown as such beside a healthy one', async () => {
    const env = lab.env();
    delete env.TMUX;
    // port 9 on loopback: nothing listens, every connect is refused at once
    tui = await startTui({ args: ['--config', lab.rtkConfig, 'gpu', 'root@127.0.0.1:9'], env });
    const t = tui;
    const s = await t.waitUntil(
      (x) => /› gpu:train +RUNNING/.test(x) && /gpu ● \d+ms/.test(x) && /127\.0\.0\.1 [○✗] /.test(x),
      'the healthy host with its run and the refused one marked',
      40_000,
    );
    expect(s).not.toMatch(/127\.0\.0\.1 ●/);
    expect(await t.exitCode()).toBeNull();
    // a run without @rtk_log shows what its pane shows
    await t.sendKeys('j');
    await t.waitUntil((x) => /› gpu:zz-pane/.test(x) && /Log · gpu:zz-pane/.test(x) && /│hello from the pane/.test(x), 'the pane of a run without a log file');
    await t.sendKeys('q');
    expect(await t.waitExit()).toBe(0);
  });
});

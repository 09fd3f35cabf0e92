// First frame and first data (DESIGN section 8, issue 14): the built binary in a real pty (node-pty,
// 120x40, CI=false), timed from spawn to (a) the first frame on screen and (b) the first run of the
// demo's world shown with its state. Each repetition starts twice: cold (no saved screen: the
// monitor's own first frame, and its first live data) and warm (the screen the cold start left,
// drawn by bin/rtk-tui before the program loads: src/tty/quick-frame.ts; target <= 250 ms).
// Baseline for (b): the hand-made look at the same data, one `tmux ls` + `tail` of the log +
// `nvidia-smi` (the fake one) from a shell.
// Hosts here are local (a tmux server of the demo's world); the figure through a jump host needs the
// e2e lab (test/helpers/lab.ts, TypeScript) and is not measured here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { quickFramePath } from '../../dist/tty/quick-frame.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupDemo } from '../../dist/demo/setup.js';
import { median, row } from '../lib/util.mjs';

const BIN = fileURLToPath(new URL('../../bin/rtk-tui', import.meta.url));
const RUNS = 5;

async function timeToScreen(pty, args, env, marks) {
  const t0 = performance.now();
  const p = pty.spawn(process.execPath, [BIN, ...args], { cols: 120, rows: 40, env, name: 'xterm-256color' });
  const got = {};
  let screen = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${Object.keys(marks).join("/")} within 20 s; got ${JSON.stringify(screen.slice(-400))}`)), 20_000);
    p.onData((d) => {
      // keep a window of recent output: the marks are matched against what was drawn lately
      screen = (screen + d.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')).slice(-200_000);
      for (const [k, re] of Object.entries(marks)) if (got[k] === undefined && re.test(screen)) got[k] = performance.now() - t0;
      if (Object.keys(got).length === Object.keys(marks).length) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  p.write('q');
  await new Promise((resolve) => {
    const t = setTimeout(() => {
      p.kill();
      resolve();
    }, 5000);
    p.onExit(() => {
      clearTimeout(t);
      resolve();
    });
  });
  return got;
}

export async function run() {
  let pty;
  try {
    pty = (await import('node-pty')).default;
  } catch {
    return [{ figure: 'first frame', error: 'node-pty is not available' }];
  }
  const scratch = mkdtempSync(join(tmpdir(), 'rtk-bench-ff-'));
  const env0 = { ...process.env, CI: 'false', TERM: 'xterm-256color', TMUX_TMPDIR: scratch, TMPDIR: scratch };
  delete env0.TMUX;
  const w = await setupDemo({ env: env0 });
  if (!w.ok) throw new Error(w.error.message);
  const world = w.value;
  try {
    const cfg = join(scratch, 'config.yaml');
    writeFileSync(cfg, `hosts:\n  - name: local\n    local: true\n    tmuxSocket: ${world.socket}\n`);
    const env = { ...world.env, CI: 'false', TERM: 'xterm-256color' };
    const frames = [];
    const datas = [];
    const warm = [];
    const args = ['--config', cfg];
    for (let i = 0; i < RUNS; i++) {
      // cold: a state directory of its own (no saved screen, no last runs); warm: the one it left
      const e = { ...env, XDG_STATE_HOME: join(scratch, `state-${i}`) };
      const got = await timeToScreen(pty, args, e, { frame: /Runs/, data: /llama-7b-sft +RUNNING(?!\?)/ });
      frames.push(got.frame);
      datas.push(got.data);
      if (!existsSync(quickFramePath(e, args))) throw new Error('first-frame: the cold start kept no screen');
      warm.push((await timeToScreen(pty, args, e, { frame: /llama-7b-sft +RUNNING[\s\S]*showing the screen of/ })).frame);
    }
    const log = world.runs[0].log;
    const hand = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      execFileSync('sh', ['-c', `tmux -S ${world.socket} ls >/dev/null; tail -n 40 ${log} >/dev/null; nvidia-smi >/dev/null 2>&1; true`], { env });
      hand.push(performance.now() - t0);
    }
    return [
      row('first frame, warm start: the last known screen (local config)', median(warm), 'ms', null, { target: '<= 250 ms', targetMet: median(warm) <= 250, runs: RUNS }),
      row('first frame, cold start: nothing saved (local config)', median(frames), 'ms', null, { runs: RUNS }),
      row('first data, cold start: a run with its live state on screen (1 local host)', median(datas), 'ms', median(hand), {
        baselineIs: 'tmux ls + tail + nvidia-smi from a shell',
        runs: RUNS,
      }),
    ];
  } finally {
    await world.teardown();
    rmSync(scratch, { recursive: true, force: true });
  }
}

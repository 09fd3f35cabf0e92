// Remote process spawns per host per minute, the monitor's sources idle on one host with 4 runs
// (DESIGN section 8, target <= 12), against `watch -n 1 nvidia-smi` measured the same way, at the same
// time, on a second target.
// Two real sshd targets on loopback, each started under `strace -f -e trace=execve`, so every program
// a target starts for its clients is seen (bench/lib/lab.mjs countExecs). Target 1 (`rtk-gpu`) holds 4
// tmux sessions with logs and the project's fake nvidia-smi (csv capture) first on PATH; the built
// controller (runs poll, GPU stream, the selected run's log follower, checkpoints poll) runs against it
// through a Host wrapper counting exec()/stream() calls. Target 2 (`rtk-gpu2`) runs
// `while sleep 1; do nvidia-smi; done` over one ssh session. After a warm-up (first poll and GPU
// report, 5 s more), both are counted over the same 60 s window.
// Three figures, all reported:
//   commands  command lines sshd runs (session channels the Host opens: an exec or stream of its own,
//             or the long-lived shared shell the idle polls use, remote/shared-shell.ts); the Host's
//             exec() + stream() calls (requests, shared ones included) are listed beside; baseline:
//             the nvidia-smi invocations of the loop (what `watch -n 1` runs)
//   processes distinct processes that exec'd a program on the target (the shell sshd starts per
//             command, tmux, ps, tail, ...; forks that exec nothing are not seen); baseline: the same
//             count for the loop (sleep + nvidia-smi + the fake's node)
//   CPU       the target's CPU over the window (lab.targetCpuMs: everything under its sshd, exited
//             children included, and the tmux server, which works for our polls); baseline: the
//             loop's sshd tree on the second target (goal <= 0.5x)
import { spawn } from 'node:child_process';
import { defaultConfig } from '../../dist/config/load.js';
import { installFakeNvidiaSmi } from '../../dist/demo/fake-nvidia-smi.js';
import { openHost } from '../../dist/remote/index.js';
import { createStore } from '../../dist/store/index.js';
import { Controller } from '../../dist/sources/controller.js';
import { EventHub, eventOptionsOf } from '../../dist/events/hub.js';
import { countExecs, hasProgram, labUnavailable, setUpRuns, sleep, startLab } from '../lib/lab.mjs';
import { row } from '../lib/util.mjs';

const WINDOW_S = 60;
const RUNS = 4;

/** The host with exec()/stream() counted (timestamps and the command's first words). */
function counting(host, calls) {
  return new Proxy(host, {
    get(t, k) {
      if (k === 'exec' || k === 'stream') {
        return (cmd, ...rest) => {
          calls.push({ kind: k, at: Date.now() / 1000, shared: k === 'exec' && rest[0]?.shared === true, what: String(cmd).replace(/\s+/g, ' ').slice(0, 400) });
          return t[k](cmd, ...rest);
        };
      }
      const v = Reflect.get(t, k, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

/** A name for a remote command line (they carry random nonces, so they are not compared as text). */
function whatIs(cmd) {
  if (cmd.includes('@@%s now')) return 'runs poll';
  if (cmd.includes('nvidia-smi') || cmd.includes('gpustat')) return 'gpu';
  if (cmd.includes('tail -c')) return 'log tail -F';
  if (cmd.includes('stat -L')) return 'log probe';
  return cmd.replace(/[A-Z]+=\S+/g, '').trim().slice(0, 30);
}

async function waitFor(cond, ms, what) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`spawns: timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function run() {
  const FIGURE = 'remote process spawns per host per minute, sources idle, 1 host x 4 runs';
  const why = labUnavailable();
  if (why) return [{ figure: FIGURE, error: why }];
  if (!hasProgram('strace')) return [{ figure: FIGURE, error: 'strace is missing (it counts the processes the target starts)' }];
  const lab = await startLab({ targets: 2, strace: true });
  let base = null;
  const calls = [];
  const spec = { name: 'gpu', local: false, ssh: 'rtk-gpu' };
  const real = openHost(spec, lab.henv());
  const host = counting(real, calls);
  const store = createStore({ hosts: ['gpu'], size: { cols: 120, rows: 40 } });
  const cfg = { ...defaultConfig(null), hosts: [spec] };
  // as the monitor runs it: the events layer fed by every source, every live run's checkpoints listed
  const hub = new EventHub({ path: null, options: eventOptionsOf(cfg) });
  const ctl = new Controller({ cfg, specs: [spec], hosts: new Map([['gpu', host]]), store, checkpointsOfAll: true, observe: (o) => hub.observe(o) });
  try {
    installFakeNvidiaSmi(lab.binDir, { mode: 'csv' });
    await setUpRuns(lab, RUNS);
    const t0 = Date.now() / 1000;
    ctl.start();
    await waitFor(() => (store.getState().runsByHost.gpu?.length ?? 0) === RUNS && store.getState().gpus.gpu, 30_000, 'the runs and GPUs');
    base = spawn('ssh', ['-F', lab.sshConfig, 'rtk-gpu2', 'while sleep 1; do nvidia-smi; done'], { env: lab.env(), stdio: 'ignore' });
    await sleep(5000);
    const w0 = Date.now() / 1000;
    const s0 = real.sessionsOpened;
    const c0 = [lab.targetCpuMs(0), lab.targetCpuMs(1, false)];
    await sleep(WINDOW_S * 1000);
    const w1 = Date.now() / 1000;
    const c1 = [lab.targetCpuMs(0), lab.targetCpuMs(1, false)];
    // (a build without the counter: every exec and stream call opened a session of its own)
    const sessions = s0 === undefined ? calls.filter((c) => c.at >= w0 && c.at <= w1).length : real.sessionsOpened - s0;
    const perMin = (n) => (n * 60) / (w1 - w0);
    const inWin = calls.filter((c) => c.at >= w0 && c.at <= w1);
    const ours = countExecs(lab.traceFile(0), w0, w1);
    const warm = countExecs(lab.traceFile(0), t0, w0);
    const hand = countExecs(lab.traceFile(1), w0, w1);
    const byWhat = {};
    for (const c of inWin) {
      const k = `${c.kind}: ${whatIs(c.what)}`;
      byWhat[k] = (byWhat[k] ?? 0) + 1;
    }
    const cmds = perMin(sessions);
    const procs = perMin(ours.procs);
    const cpuOurs = c1[0] - c0[0];
    const cpuHand = c1[1] - c0[1];
    const cpuRatio = cpuOurs / cpuHand;
    return [
      row(`${FIGURE}: remote commands (command lines sshd runs)`, cmds, 'per minute', perMin(hand.byProgram['nvidia-smi'] ?? 0), {
        target: '<= 12',
        targetMet: cmds <= 12,
        baselineIs: "nvidia-smi runs of `while sleep 1; do nvidia-smi; done` over ssh (watch -n 1 nvidia-smi), counted with strace on its sshd, same window",
        windowS: Math.round(w1 - w0),
        sessionsOpened: sessions,
        requestsPerMinute: perMin(inWin.length),
        execs: inWin.filter((c) => c.kind === 'exec').length,
        sharedExecs: inWin.filter((c) => c.shared).length,
        streams: inWin.filter((c) => c.kind === 'stream').length,
        calls: byWhat,
        callsDuringWarmUp: calls.filter((c) => c.at < w0).length,
        note: `${cmds <= 12 ? '' : 'TARGET MISSED (> 12 per host per minute). '}one command line is one sshd session channel (its login shell); the idle polls' requests (sharedExecs) go to one long-lived shell on one channel, opened once`,
      }),
      row(`${FIGURE}: processes started on the target`, procs, 'per minute', perMin(hand.procs), {
        target: '<= 30',
        targetMet: procs <= 30,
        baselineIs: 'the same count for `while sleep 1; do nvidia-smi; done` over ssh, same window',
        windowS: Math.round(w1 - w0),
        programs: ours.byProgram,
        baselinePrograms: hand.byProgram,
        processesDuringWarmUp: warm.procs,
        note: `${procs <= 30 ? '' : 'TARGET MISSED (> 30 per host per minute): what is left is one tmux and one stat per runs poll (every 5 s: 24 a minute), the GPU apps poll, and the round of every live run checkpoint directory (every 30 s): one find | awk (a tr between where awk cannot split at NUL) and one df, whatever the number of directories (6 a minute). '}processes that exec a program, seen by strace -f on the target's sshd (forks that exec nothing, such as subshells, are not counted); the project's fake nvidia-smi is a sh wrapper exec'ing node (2 execs, 1 process)`,
      }),
      row(`${FIGURE}: CPU on the target`, (cpuOurs * 100) / ((w1 - w0) * 1000), '% of one core', (cpuHand * 100) / ((w1 - w0) * 1000), {
        target: '<= 0.5x the baseline',
        targetMet: cpuRatio <= 0.5,
        baselineIs: "CPU of `while sleep 1; do nvidia-smi; done` over ssh on the second target: its sshd's process tree, same window",
        oursCpuMs: Math.round(cpuOurs),
        baselineCpuMs: Math.round(cpuHand),
        windowS: Math.round(w1 - w0),
        note: `${cpuRatio <= 0.5 ? '' : 'TARGET MISSED (> 0.5x the baseline). '}ours: everything under the target's sshd (exited children included, /proc cutime) and the tmux server; 10 ms ticks; the fake nvidia-smi is a node script, costlier per start than the real one, which weighs on the baseline; both sshd run under strace (execve only)`,
      }),
    ];
  } finally {
    base?.kill('SIGKILL');
    await ctl.stop();
    hub.close();
    await real.close();
    store.dispose();
    await lab.stop();
  }
}

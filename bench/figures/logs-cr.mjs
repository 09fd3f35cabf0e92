// `\r`-only output (tqdm writing to a file: one endless "line") against the same bytes with `\n` in
// place of every `\r`, measured in the same run (target: at most 1.5x the CPU, bounded memory):
// - `logs -f` to a pipe: the built binary follows a local run's log (a tmux session of its own, the
//   log in @rtk_log); once it follows, 40 MB land in one append (4 MB is below the 10 ms resolution
//   of /proc's CPU figures); the CPU (user + system) from the append until every byte is printed,
//   and the peak resident memory.
// - what a terminal and the monitor's log pane do with 4 MB: LogFollower with display lines on (as
//   `logs -f` to a terminal and the monitor run it), fed in 64 KiB chunks as tail delivers them,
//   into a store's log buffer; this process's CPU (process.cpuUsage, µs).
// 5 alternating repetitions each, medians.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listProcs, sleep } from '../lib/lab.mjs';
import { median, round, row } from '../lib/util.mjs';

const BIN = fileURLToPath(new URL('../../bin/rtk-tui', import.meta.url));
const PIPE_BYTES = 40 * 1024 * 1024;
const DISPLAY_BYTES = 4 * 1024 * 1024;
const REPS = 5;
const TICK = 100; // clock ticks per second of /proc/PID/stat (Linux)

function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
}

function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : null;
}

/** tqdm-like segments, each started by `sep`, about `bytes` in all. */
function payload(sep, bytes) {
  const parts = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const pct = (i % 1000) / 10;
    const s = `${sep}${pct.toFixed(0).padStart(3)}%|${'#'.repeat(Math.floor(pct / 10)).padEnd(10)}| ${i}/100000 [00:${String(i % 60).padStart(2, '0')}<01:10, 452.17it/s]`;
    parts.push(s);
    n += s.length;
  }
  return Buffer.from(parts.join(''));
}

async function once(dir, env, sep, data) {
  const log = join(dir, `cr-${sep === '\r' ? 'r' : 'n'}.log`);
  writeFileSync(log, '');
  execFileSync('tmux', ['set-option', '-t', '=bench:', '@rtk_log', log], { env });
  const p = spawn(process.execPath, [BIN, '--config', join(dir, 'rtk.yaml'), 'logs', '-f', '-n', '0', 'local:bench'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let got = 0;
  p.stdout.on('data', (b) => (got += b.length));
  try {
    // following: its `tail -F` of this log is running
    const end = Date.now() + 20_000;
    while (!listProcs().some((x) => x.cmd.startsWith('tail ') && x.cmd.includes(log))) {
      if (Date.now() > end) throw new Error('logs -f did not start following');
      await sleep(20);
    }
    await sleep(200);
    const c0 = cpuMs(p.pid);
    appendFileSync(log, data);
    const until = Date.now() + 120_000;
    while (got < data.length) {
      if (Date.now() > until) throw new Error(`only ${got} of ${data.length} bytes printed`);
      await sleep(5);
    }
    return { cpuMs: cpuMs(p.pid) - c0, rssMb: peakRssMb(p.pid) };
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }
}

/** The display path in this process: follower (display lines on) into a store's log buffer. */
async function displayOnce(LogFollower, createStore, data, chunk = 65536) {
  const store = createStore({ timers: { setTimeout: () => 0, clearTimeout: () => undefined } });
  let dataCb = null;
  let closeCb = null;
  const host = {
    name: 'bench',
    local: true,
    exec: async () => ({ ok: true, value: { code: 0, stdout: Buffer.from(`1 0\n`), stderr: Buffer.alloc(0) } }),
    stream: async () => ({
      ok: true,
      value: { onData: (cb) => (dataCb = cb), onStderr: () => undefined, onClose: (cb) => (closeCb = cb), close: () => closeCb?.(null, null) },
    }),
    state: () => ({}),
    onState: () => () => undefined,
    connect: async () => ({ ok: true, value: undefined }),
    close: async () => undefined,
  };
  const f = new LogFollower({ host, path: '/bench.log', onChunk: (c) => store.dispatch({ type: 'log', runId: 'h:r', chunk: c }) });
  const running = f.run();
  while (dataCb === null) await sleep(1);
  const t0 = process.cpuUsage();
  for (let at = 0; at < data.length; at += chunk) dataCb(data.subarray(at, at + chunk));
  const t = process.cpuUsage(t0);
  f.stop();
  await running;
  store.dispose();
  return (t.user + t.system) / 1000;
}

export async function run() {
  const { LogFollower } = await import('../../dist/sources/log-follow.js');
  const { createStore } = await import('../../dist/store/index.js');
  const dcr = payload('\r', DISPLAY_BYTES);
  const dnl = Buffer.from(dcr.toString('latin1').replaceAll('\r', '\n'), 'latin1');
  const da = [];
  const db = [];
  for (let i = 0; i < REPS; i++) {
    da.push(await displayOnce(LogFollower, createStore, dcr));
    db.push(await displayOnce(LogFollower, createStore, dnl));
  }
  const dA = median(da);
  const dB = median(db);
  const displayRow = row('log display CPU, 4 MB of \\r-only output into the log pane (vs with \\n)', dA, 'ms', dB, {
    targetMet: dA / dB <= 1.5,
    ...(dA / dB > 1.5 ? { note: `TARGET MISSED: ${round(dA / dB, 2)}x (target ≤ 1.5x)` } : {}),
    runsCr: da.map((x) => round(x, 1)),
    runsNl: db.map((x) => round(x, 1)),
  });
  // the same 4 MB in one chunk (logs -n 200000 to a terminal reads its backlog so): still linear
  const whole = [];
  for (let i = 0; i < 3; i++) whole.push(await displayOnce(LogFollower, createStore, dnl, dnl.length));
  const wholeRow = row('log display CPU, the same 4 MB with \\n in one chunk (vs 64 KiB chunks)', median(whole), 'ms', dB, { runs: whole.map((x) => round(x, 1)) });
  const dir = mkdtempSync(join(tmpdir(), 'rtk-bench-cr-'));
  const env = { ...process.env, TMUX_TMPDIR: dir, CI: 'false' };
  delete env.TMUX;
  writeFileSync(join(dir, 'rtk.yaml'), 'hosts:\n  - name: local\n    local: true\n');
  try {
    execFileSync('tmux', ['new-session', '-d', '-s', 'bench', 'sleep 3600'], { env });
    const cr = payload('\r', PIPE_BYTES);
    const nl = Buffer.from(cr.toString('latin1').replaceAll('\r', '\n'), 'latin1');
    const a = [];
    const b = [];
    for (let i = 0; i < REPS; i++) {
      a.push(await once(dir, env, '\r', cr));
      b.push(await once(dir, env, '\n', nl));
    }
    const cpuA = median(a.map((x) => x.cpuMs));
    const cpuB = median(b.map((x) => x.cpuMs));
    const ratio = cpuA / cpuB;
    return [
      row('logs -f CPU, 40 MB of \\r-only output to a pipe (vs the same bytes with \\n)', cpuA, 'ms', cpuB, {
        targetMet: ratio <= 1.5,
        ...(ratio > 1.5 ? { note: `TARGET MISSED: ${round(ratio, 2)}x (target ≤ 1.5x)` } : {}),
        runsCr: a.map((x) => round(x.cpuMs, 0)),
        runsNl: b.map((x) => round(x.cpuMs, 0)),
      }),
      row('logs -f peak RSS, 40 MB of \\r-only output (vs with \\n)', median(a.map((x) => x.rssMb)), 'MB', median(b.map((x) => x.rssMb))),
      displayRow,
      wholeRow,
    ];
  } finally {
    try {
      execFileSync('tmux', ['kill-server'], { env, stdio: 'ignore' });
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

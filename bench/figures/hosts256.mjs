// 256 hosts through one jump (issue 14: first data <= 5 s, idle <= 2 % of a core, RSS <= 300 MB, no
// host starved). One real sshd target on loopback reached under 256 ssh aliases, every one through
// the same jump host (ProxyJump rtk-jump): rtk-tui opens ONE connection to the jump and one
// direct-tcpip channel through it per host, each carrying that host's own ssh connection. Each alias
// has its own tmux server on the target (tmuxSocket) holding one run, so every host sees one run.
// The lab's sshd takes MaxStartups 1000 (sshd drops logins past it at random: the figure measures
// rtk-tui's own bounded, fair scheduling, not that). No nvidia-smi on the target: one GPU probe per host.
//   first data: the built controller + store + monitor (fake 120x40 stdout) in this process, from
//   start() until every host's first runs are in the store; the event loop's delay meanwhile (the run
//   list stays responsive: keys are handled on this loop).
//   Anchor, same run: 256 x `ssh -F cfg alias tmux -L alias ls`, 16 at a time (xargs -P 16 by hand).
//   idle: after a warm-up, this process's CPU over IDLE_WINDOWS x WINDOW_S s (only this process: the
//   target's 256 sshd sessions and tmux servers run on this machine too, and are not counted).
//   rss: this process's resident memory at the end (peak sampled too).
//   starved: runs polls per host over the idle windows (the controller's observations): min / median
//   / max, and the oldest any host's last poll got at 1 s samples, against the configured interval.
// RTK_BENCH_HOSTS=N runs it with N hosts (a quick look); RTK_BENCH_PROF=PREFIX writes CPU profiles of
// the first-data phase and of the idle windows (PREFIX-first.cpuprofile, PREFIX-idle.cpuprofile).
// About 2 minutes with 256.
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig } from '../../dist/config/load.js';
import { openHost } from '../../dist/remote/index.js';
import { Controller } from '../../dist/sources/controller.js';
import { EventHub, eventOptionsOf } from '../../dist/events/hub.js';
import { labUnavailable, selfCpuMs, sh, sleep, startLab } from '../lib/lab.mjs';
import { mountMonitor } from '../lib/monitor.mjs';
import { median, round, row } from '../lib/util.mjs';

const HOSTS = Number(process.env.RTK_BENCH_HOSTS) || 256;
const ANCHOR_PARALLEL = 16;
const WARMUP_S = 10;
const IDLE_WINDOWS = 3;
const WINDOW_S = 20;
const FIGURE = `${HOSTS} hosts through one jump`;

// the product's interval for n hosts (a build before poll-pace.ts polled every host every refresh.runs)
const { runsInterval } = await import('../../dist/sources/poll-pace.js').catch(() => ({ runsInterval: (runsMs) => runsMs }));

const alias = (i) => `h${String(i + 1).padStart(3, '0')}`;

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** The machine's CPU time so far (ms, all cores): busy and total, from /proc/stat. */
function machineCpu() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: ((total - idle) * 1000) / 100, total: (total * 1000) / 100 };
}

const PROF = process.env.RTK_BENCH_PROF || null;
let session = null;
async function profStart() {
  if (!PROF) return;
  session ??= new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
}
async function profStop(what) {
  if (!PROF) return;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(`${PROF}-${what}.cpuprofile`, JSON.stringify(profile));
  session.disconnect();
}

async function waitFor(cond, ms, what) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`hosts256: timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function ours(lab, aliases) {
  const specs = aliases.map((a) => ({ name: a, local: false, ssh: a, tmuxSocket: a }));
  const cfg = { ...defaultConfig(null), hosts: specs };
  const rss0 = process.memoryUsage.rss();
  const hosts = new Map(specs.map((s) => [s.name, openHost(s, lab.henv())]));
  const mon = mountMonitor({ hosts: specs.map((s) => s.name), scrollback: cfg.scrollback });
  const hub = new EventHub({ path: null, options: eventOptionsOf(cfg) });
  const firstAt = new Map();
  const polls = new Map(specs.map((s) => [s.name, []]));
  const drops = new Map();
  let t0 = 0;
  const observe = (o) => {
    hub.observe(o);
    if (o.type === 'runs') {
      const now = performance.now();
      polls.get(o.host)?.push(now);
      if (!firstAt.has(o.host) && o.runs.length > 0) firstAt.set(o.host, now - t0);
    } else if (o.type === 'host' && o.state.phase === 'reconnecting') drops.set(o.state.name, o.state.error);
  };
  const ctl = new Controller({ cfg, specs, hosts, store: mon.store, checkpointsOfAll: true, observe });
  // store events by type (what the sources send the store while idle)
  const sent = {};
  const dispatch = mon.store.dispatch.bind(mon.store);
  mon.store.dispatch = (ev) => {
    sent[ev.type] = (sent[ev.type] ?? 0) + 1;
    return dispatch(ev);
  };
  const eld = monitorEventLoopDelay({ resolution: 10 });
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 500);
  try {
    eld.enable();
    await profStart();
    const c0 = selfCpuMs();
    const m0 = machineCpu();
    t0 = performance.now();
    ctl.start();
    await waitFor(() => firstAt.size === specs.length, 120_000, `every host's first runs (${firstAt.size}/${specs.length} so far)`);
    const first = performance.now() - t0;
    const firstCpu = selfCpuMs() - c0;
    const m1 = machineCpu();
    // every core's time in the phase, and how much of it was busy (anything: the target's sshd, other work)
    const machine = { busyPct: round((100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total), 1), busyMs: round(m1.busy - m0.busy, 0) };
    await profStop('first');
    eld.disable();
    const loopFirst = { p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 };
    const firsts = [...firstAt.values()].sort((a, b) => a - b);
    await sleep(WARMUP_S * 1000);
    // idle windows: CPU, polls per host, the oldest last poll
    eld.reset();
    eld.enable();
    const from = performance.now();
    for (const k of Object.keys(sent)) delete sent[k];
    const f0 = mon.frames();
    let maxAge = 0;
    const ager = setInterval(() => {
      const now = performance.now();
      for (const ts of polls.values()) maxAge = Math.max(maxAge, now - (ts[ts.length - 1] ?? t0));
    }, 1000);
    const pcts = [];
    await profStart();
    for (let w = 0; w < IDLE_WINDOWS; w++) {
      const c = selfCpuMs();
      const t = performance.now();
      await sleep(WINDOW_S * 1000);
      pcts.push(((selfCpuMs() - c) / (performance.now() - t)) * 100);
    }
    clearInterval(ager);
    await profStop('idle');
    eld.disable();
    const to = performance.now();
    const perS = (n) => round((n * 1000) / (to - from), 2);
    const storeEventsPerS = Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, perS(v)]));
    const framesPerS = perS(mon.frames() - f0);
    const counts = [...polls.values()].map((ts) => ts.filter((x) => x >= from && x < to).length).sort((a, b) => a - b);
    const rss = process.memoryUsage.rss();
    return {
      first, firstCpu, firsts, machine, loopFirst, pcts, counts, maxAge, rss, rss0, peakRss: Math.max(peakRss, rss),
      storeEventsPerS, framesPerS,
      loopIdle: { p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
      drops: drops.size, dropSample: [...drops.values()][0] ?? null, runsMs: cfg.refresh.runsMs, idleMs: to - from,
      // the product's interval for this many hosts (poll-pace.ts: a budget of polls a second for all hosts)
      everyMs: runsInterval(cfg.refresh.runsMs, specs.length),
    };
  } finally {
    clearInterval(rssTimer);
    await ctl.stop();
    hub.close();
    await Promise.all([...hosts.values()].map((h) => h.close()));
    mon.unmount();
  }
}

async function anchor(lab, aliases) {
  const env = lab.env();
  const t0 = performance.now();
  let failed = null;
  await pool(aliases, ANCHOR_PARALLEL, async (a) => {
    const r = await sh('ssh', ['-F', lab.sshConfig, a, `tmux -L ${a} ls`], { env, timeoutMs: 60_000 });
    if (r.code !== 0) failed ??= `${a}: ${r.stderr.trim()}`;
  });
  if (failed) throw new Error(`hosts256 anchor: ssh failed: ${failed}`);
  return performance.now() - t0;
}

export async function run() {
  const why = labUnavailable();
  if (why) return [{ figure: FIGURE, error: why }];
  const aliases = Array.from({ length: HOSTS }, (_, i) => alias(i));
  const lab = await startLab({ jump: true, extraAliases: aliases, maxStartups: 1000, maxSessions: 50 });
  try {
    await pool(aliases, 8, async (a) => {
      const r = await lab.tmux(['-L', a, '-f', '/dev/null', 'new-session', '-d', '-s', `train-${a}`, '-x', '120', '-y', '40', 'sleep 3600']);
      if (r.code !== 0) throw new Error(`tmux -L ${a}: ${r.stderr}`);
    });
    writeFileSync(join(lab.dir, 'hosts.txt'), aliases.join('\n'));
    const o = await ours(lab, aliases);
    const hand = await anchor(lab, aliases);
    const idle = median(o.pcts);
    const mb = (b) => round(b / 2 ** 20, 1);
    const perMin = (n) => round((n * 60_000) / o.idleMs, 1);
    const expected = round(60_000 / o.everyMs, 1);
    const minPm = perMin(o.counts[0] ?? 0);
    const starved = o.maxAge > 3 * o.everyMs || minPm < expected / 2;
    const common = { hosts: HOSTS, jump: 'one connection to the jump, one direct-tcpip channel per host' };
    return [
      row(`first data, ${FIGURE} (every host's run in the store)`, o.first, 'ms', hand, {
        ...common,
        target: '<= 5000 ms',
        targetMet: o.first <= 5000,
        baselineIs: `${HOSTS} x \`ssh -F cfg alias tmux -L alias ls\` through the same jump (ProxyJump), ${ANCHOR_PARALLEL} at a time, this run`,
        perHostMs: { p50: round(median(o.firsts), 0), p90: round(o.firsts[Math.floor(o.firsts.length * 0.9)] ?? 0, 0), last: round(o.firsts[o.firsts.length - 1] ?? 0, 0) },
        cpuMs: round(o.firstCpu, 0),
        machineCpu: { ...o.machine, note: 'the whole machine (all cores) meanwhile: busy share, and busy CPU ms of which cpuMs is this process' },
        eventLoopDelayMs: { p99: round(o.loopFirst.p99, 1), max: round(o.loopFirst.max, 1) },
        reconnects: o.drops,
        ...(o.dropSample ? { reconnectSample: o.dropSample } : {}),
        note: `${o.first <= 5000 ? '' : 'TARGET MISSED (> 5 s) on this machine. '}the target's sshd logins run on the same 2 cores; event-loop delay is what a key press waits at most while hosts connect`,
      }),
      row(`idle cpu, ${FIGURE}, 1 run each (this process only)`, idle, '% of one core', null, {
        ...common,
        target: '<= 2 %',
        targetMet: idle <= 2,
        windows: `${IDLE_WINDOWS} x ${WINDOW_S} s after ${WARMUP_S} s`,
        pcts: o.pcts.map((p) => round(p, 2)),
        storeEventsPerS: o.storeEventsPerS,
        framesPerS: o.framesPerS,
        eventLoopDelayMs: { p99: round(o.loopIdle.p99, 1), max: round(o.loopIdle.max, 1) },
        note: `${idle <= 2 ? '' : 'TARGET MISSED (> 2 % of one core) on this machine. '}the monitor process's own CPU (controller, ${HOSTS} ssh2 connections inside one jump connection, store, Ink on a fake stdout)`,
      }),
      row(`rss, ${FIGURE}`, mb(o.rss), 'MB', null, {
        ...common,
        target: '<= 300 MB',
        targetMet: mb(o.peakRss) <= 300,
        peakMB: mb(o.peakRss),
        beforeHostsMB: mb(o.rss0),
        note: `${mb(o.peakRss) <= 300 ? '' : 'TARGET MISSED (> 300 MB peak). '}this process (bench harness included) at the end of the idle windows`,
      }),
      row(`runs polls per host per minute, ${FIGURE}, the least polled host (no host starved)`, minPm, 'polls/min', expected, {
        ...common,
        target: `every host polled: the least polled >= half the configured rate (${expected}/min) and no host's last poll older than 3 intervals (${(3 * o.everyMs) / 1000} s)`,
        targetMet: !starved,
        perMinute: { min: minPm, median: perMin(median(o.counts)), max: perMin(o.counts[o.counts.length - 1] ?? 0) },
        oldestLastPollS: round(o.maxAge / 1000, 1),
        intervalS: o.everyMs / 1000,
        configuredIntervalS: o.runsMs / 1000,
        note: `${starved ? 'TARGET MISSED (a host starved). ' : ''}counted over the idle windows; baseline is the rate rtk-tui means to keep: refresh.runs, or with more hosts than its budget of polls a second covers, hosts / budget`,
      }),
    ];
  } finally {
    await lab.stop();
  }
}

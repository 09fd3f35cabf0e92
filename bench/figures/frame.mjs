// Frame time with 1k and with 1M lines of scrollback: one new log line arrives, the store publishes,
// React + Ink lay out and write the frame (120x40 and 200x60, four panes; Ink as bundled for the
// monitor, RTK_BENCH_UI=sources for Ink as published). Only the visible window is sliced from
// the ring buffer, so the second figure should stay within 1.2x of the first (DESIGN section 8).
import React from 'react';
import { App, render, uiSource } from '../lib/ui.mjs';
import { createStore } from '../../dist/store/index.js';
import { noColorTheme } from '../../dist/ui/theme.js';
import { FakeIn as In, FakeOut as Out } from '../lib/ink-fakes.mjs';
import { logLine, median, round, row } from '../lib/util.mjs';

const run0 = (host, session) => ({
  id: `${host}:${session}`, host, session, state: 'running', reason: null, alerts: [],
  progress: { step: 3600, total: 30000, percent: 12, etaSeconds: 27252 }, metrics: { loss: 0.0123 },
  log: '/x.log', checkpoints: '/c', lastOutputSecondsAgo: 1, attachedClients: 0, createdAt: null,
});

async function setup(lines, { scrolled = false, cols = 120, rows = 40 } = {}) {
  const store = createStore({ scrollback: Math.max(100_000, lines), size: { cols, rows }, timers: { setTimeout: () => 0, clearTimeout: () => undefined } });
  store.dispatch({ type: 'host', state: { name: 'h', phase: 'connected', status: 'connected', error: null, latencyMs: 9, lastOkAt: Date.now() } });
  store.dispatch({ type: 'runs', host: 'h', runs: [run0('h', 'train'), run0('h', 'sweep')] });
  store.dispatch({
    type: 'gpus',
    report: { name: 'h', status: 'ok', error: null, driver: null, gpus: [0, 1, 2, 3].map((index) => ({ index, name: 'NVIDIA A800-SXM4-80GB', uuid: null, utilizationPercent: 90, memoryUsedMiB: 70000, memoryTotalMiB: 81920, temperatureC: 60, powerW: 300, powerLimitW: 400, processes: [{ pid: 100 + index, name: 'python', usedMemoryMiB: 69000, run: 'h:train' }] })) },
  });
  const CH = 10_000;
  for (let i = 0; i < lines; i += CH) {
    const batch = [];
    for (let k = i; k < Math.min(lines, i + CH); k++) batch.push(logLine(k));
    store.dispatch({ type: 'log', runId: 'h:train', chunk: { kind: 'lines', lines: batch, offset: i * 101 } });
  }
  if (scrolled) for (let i = 0; i < 3; i++) store.command('log.pageUp');
  store.flush();
  const out = new Out();
  out.columns = cols;
  out.rows = rows;
  const inst = render(React.createElement(App, { store, theme: noColorTheme }), { stdout: out, stdin: new In(), debug: true, patchConsole: false, exitOnCtrlC: false });
  let n = lines;
  return {
    /** One frame: a new line arrives, the store publishes, Ink writes. Returns [wall ms, cpu ms]. */
    async frame() {
      const written = new Promise((res) => (out.onWrite = res));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      store.dispatch({ type: 'log', runId: 'h:train', chunk: { kind: 'lines', lines: [logLine(n++)], offset: n * 101 } });
      store.flush();
      const text = await written;
      const c = process.cpuUsage(c0);
      checkSize(text, cols, rows);
      return [performance.now() - t0, (c.user + c.system) / 1000];
    },
    close: () => inst.unmount(),
  };
}

/** A frame that is not the terminal's size would time something else: stop the bench. */
function checkSize(text, cols, rows) {
  const lines = text.split('\n');
  const wide = Math.max(...lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').length));
  if (lines.length < rows - 1 || wide !== cols) throw new Error(`frame is ${wide}x${lines.length}, not ${cols}x${rows - 1}`);
}

/** Frames of the two setups interleaved, so machine load hits both alike; medians of wall and CPU. */
async function compare(a, b, frames = 300, warm = 30) {
  const r = { a: [[], []], b: [[], []] };
  for (let i = 0; i < frames + warm; i++) {
    for (const [k, s] of [['a', a], ['b', b]]) {
      const [wall, cpu] = await s.frame();
      if (i >= warm) {
        r[k][0].push(wall);
        r[k][1].push(cpu);
      }
    }
  }
  a.close();
  b.close();
  return { aWall: median(r.a[0]), aCpu: median(r.a[1]), bWall: median(r.b[0]), bCpu: median(r.b[1]) };
}

export async function run() {
  const out = [];
  for (const [cols, rows, target] of [[120, 40, 3], [200, 60, 5]]) {
    for (const scrolled of [false, true]) {
      const how = scrolled ? 'scrolled back' : 'following';
      const size = `${cols}x${rows}`;
      const small = await setup(1_000, { scrolled, cols, rows });
      const big = await setup(1_000_000, { scrolled, cols, rows });
      const m = await compare(small, big);
      out.push(row(`frame time ${size}, 1k lines of scrollback (${how})`, m.aWall, 'ms', null, { cpuMs: round(m.aCpu), size, ui: uiSource, target: `<= ${target} ms`, targetMet: m.aWall <= target }));
      const ratio = m.aWall > 0 ? m.bWall / m.aWall : null;
      out.push(row(`frame time ${size}, 1M lines of scrollback (${how})`, m.bWall, 'ms', m.aWall, { cpuMs: round(m.bCpu), cpuRatio: m.aCpu > 0 ? Math.round((m.bCpu / m.aCpu) * 1000) / 1000 : null, size, ui: uiSource, target: 'ratio <= 1.2', targetMet: ratio !== null && ratio <= 1.2, baselineNote: 'the 1k-line frame time, frames interleaved' }));
    }
  }
  return out;
}

// Resident memory with 1M log lines (~100 chars) in the store: 40 runs x 25k lines (issue 14:
// <= 120 MB), and one run holding all 1M; medians of three. Each case runs in a fresh
// `node --expose-gc` with the V8 flags bin/rtk-tui runs with, so the figures do not include the
// other benches' heaps.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../lib/node-flags.mjs';
import { row } from '../lib/util.mjs';

const CHILD = `
const { createStore } = await import(process.argv[1]);
const { logLine } = await import(process.argv[2]);
const runs = Number(process.argv[3]);
const total = Number(process.argv[4]);
const per = total / runs;
const store = createStore({ scrollback: Math.max(100_000, per), timers: { setTimeout: () => 0, clearTimeout: () => undefined } });
gc();
const base = process.memoryUsage().rss;
let n = 0;
for (let r = 0; r < runs; r++) {
  // like a follower: reads of ~64 KiB of text, split into lines by the buffer
  let text = '';
  for (let i = 0; i < per; i++) {
    text += logLine(n++) + '\\n';
    if (text.length > 65536) { store.dispatch({ type: 'log.text', runId: 'h:r' + r, text }); text = ''; }
  }
  if (text) store.dispatch({ type: 'log.text', runId: 'h:r' + r, text });
}
gc(); gc();
const m = process.memoryUsage();
let kept = 0;
for (let r = 0; r < runs; r++) kept += store.peekLog('h:r' + r).length;
process.stdout.write(JSON.stringify({ rss: m.rss, base, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, kept }));
`;

function measure(runs, total) {
  const store = fileURLToPath(new URL('../../dist/store/index.js', import.meta.url));
  const util = fileURLToPath(new URL('../lib/util.mjs', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', ...NODE_FLAGS, '--input-type=module', '-e', CHILD, store, util, String(runs), String(total)], {
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return JSON.parse(out);
}

export async function run() {
  const MB = 1024 * 1024;
  // the RSS of one process moves by a few MB from run to run: the median of three fresh processes
  const med = (runs) => {
    const xs = [0, 1, 2].map(() => measure(runs, 1_000_000)).sort((x, y) => x.rss - y.rss);
    return { ...xs[1], all: xs.map((x) => Math.round((x.rss / MB) * 10) / 10) };
  };
  const a = med(40);
  const b = med(1);
  return [
    row('resident memory, 40 runs, 1M log lines in total', a.rss / MB, 'MB', null, {
      target: '<= 120 MB',
      targetMet: a.rss / MB <= 120,
      nodeFlags: NODE_FLAGS.join(' '),
      heapUsedMB: Math.round(a.heapUsed / MB),
      heapTotalMB: Math.round(a.heapTotal / MB),
      externalMB: Math.round(a.external / MB),
      processBaselineMB: Math.round(a.base / MB),
      linesKept: a.kept,
      runsMB: a.all,
    }),
    row('resident memory, 1 run, 1M log lines', b.rss / MB, 'MB', null, {
      heapUsedMB: Math.round(b.heapUsed / MB),
      processBaselineMB: Math.round(b.base / MB),
      linesKept: b.kept,
      runsMB: b.all,
    }),
  ];
}

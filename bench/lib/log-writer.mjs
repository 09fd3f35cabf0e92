#!/usr/bin/env node
// A log writer for benches, run as its own process (its CPU is nobody's figure):
//   node log-writer.mjs FILE N [BATCH=2000] [PAUSE_MS=10]
// Waits for one line on stdin ("go"), then appends N lines of ~100 chars to FILE, BATCH lines per
// write() and PAUSE_MS between batches: the same lines and pacing as /work/shared/tools/baseline-tail.sh.
// Prints "done" and exits.
import { closeSync, openSync, writeSync } from 'node:fs';

const [file, nArg, batchArg, pauseArg] = process.argv.slice(2);
const n = Number(nArg);
const batch = Number(batchArg ?? 2000);
const pause = Number(pauseArg ?? 10);

function progressLine(i, n) {
  const pct = String(Math.floor((i * 100) / n)).padStart(3, ' ');
  const bar = '#'.repeat(Math.floor((i * 20) / n)).padEnd(20, ' ');
  const loss = String(n - i).padStart(6, '0');
  return `Steps: ${pct}%|${bar}| ${i}/${n} [00:${String(i % 60).padStart(2, '0')}<00:10, 9.8it/s, loss=0.${loss}, lr=0.0001]\n`;
}

process.stdin.once('data', async () => {
  const fd = openSync(file, 'a');
  for (let i = 0; i < n; i += batch) {
    let s = '';
    for (let k = i; k < Math.min(n, i + batch); k++) s += progressLine(k, n);
    writeSync(fd, s);
    await new Promise((r) => setTimeout(r, pause));
  }
  closeSync(fd);
  process.stdout.write('done\n');
  process.exit(0);
});

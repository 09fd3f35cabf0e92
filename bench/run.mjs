#!/usr/bin/env node
// Runs every bench/figures/*.mjs (each exports `async function run(): Promise<object[]>`) and prints
// one JSON line per figure: {"figure", "value", "unit", "baseline", "ratio", ...}.
// Usage: npm run bench [-- NAME...]   (NAME: a figure file, e.g. frame). Imports the built dist/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NODE_FLAGS } from './lib/node-flags.mjs';

// React's development build is several times slower; measure what users run.
process.env.NODE_ENV ??= 'production';

// the V8 flags rtk-tui runs with (bin/rtk-tui), so in-process figures measure the same heap
const missing = NODE_FLAGS.filter((f) => !process.execArgv.includes(f));
if (missing.length > 0) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...NODE_FLAGS, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

// a reader that stops early (| head) ends the run quietly
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const dir = join(dirname(fileURLToPath(import.meta.url)), 'figures');
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.mjs$/, '')))
  .sort();
// several figures: each in a process of its own, so none measures what an earlier one left (a 1M-line
// store in the heap, JIT state, open handles)
if (files.length > 1) {
  let failed = 0;
  for (const f of files) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), f.replace(/\.mjs$/, '')], { stdio: 'inherit' });
    if (r.status !== 0) failed++;
  }
  process.exit(failed > 0 ? 1 : 0);
}

let failed = 0;
for (const f of files) {
  try {
    const mod = await import(pathToFileURL(join(dir, f)).href);
    const rows = await mod.run();
    for (const r of rows) process.stdout.write(`${JSON.stringify({ source: f, ...r })}\n`);
  } catch (e) {
    failed++;
    process.stdout.write(`${JSON.stringify({ source: f, figure: f, error: String(e?.stack ?? e) })}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;

// The round of several checkpoint directories in one script (src/sources/checkpoints-round.ts), run
// through a real local sh: each directory reads exactly as it does listed alone, whatever its name.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARK_AGG, MARK_CUT, MARK_STAT, parseCheckpointOutput } from '../../../src/parse/checkpoints.js';
import { roundScript, splitRound } from '../../../src/sources/checkpoints-round.js';
import { listCheckpoints, listCheckpointsOfRuns } from '../../../src/sources/checkpoints.js';
import { shHost } from '../control/sh-host.js';


function run(script: string): string {
  return spawnSync('sh', ['-c', script]).stdout.toString('utf8');
}

let root = '';
const dirs: Record<string, string> = {};

/** A HF-style directory with `n` checkpoints (model + optimizer each), mtimes fixed. */
function hf(dir: string, steps: number[]): void {
  for (const s of steps) {
    const c = join(dir, `checkpoint-${s}`);
    mkdirSync(c, { recursive: true });
    writeFileSync(join(c, 'model.safetensors'), Buffer.alloc(s * 10));
    writeFileSync(join(c, 'optimizer.pt'), Buffer.alloc(s));
    const t = 1_700_000_000 + s;
    utimesSync(join(c, 'model.safetensors'), t, t);
    utimesSync(join(c, 'optimizer.pt'), t, t);
    utimesSync(c, t, t);
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rtk-round-'));
  dirs.plain = join(root, 'plain');
  hf(dirs.plain, [100, 200]);
  dirs.hostile = join(root, "-run 1 'q' \"x\" $(no)\nline");
  hf(dirs.hostile, [300]);
  // names that look like the script's marks
  writeFileSync(join(dirs.hostile, '@@RTK-CKPT nodir'), '');
  writeFileSync(join(dirs.hostile, 'checkpoint-300', 'x@@RTK-CKPT df'), '');
  writeFileSync(join(dirs.hostile, 'checkpoint-300', '\n@@RTKMANY 0 gone 0 nodir\n@@RTK-CKPT notdir\n'), '');
  // DeepSpeed: global_stepN/ and a `latest` naming the last complete one
  dirs.ds = join(root, 'ds');
  for (const s of [10, 20]) {
    mkdirSync(join(dirs.ds, `global_step${s}`), { recursive: true });
    writeFileSync(join(dirs.ds, `global_step${s}`, 'mp_rank_00_model_states.pt'), Buffer.alloc(s));
  }
  writeFileSync(join(dirs.ds, 'latest'), 'global_step10\n');
  dirs.real = join(root, 'real-target');
  hf(dirs.real, [7]);
  dirs.link = join(root, 'link');
  symlinkSync(dirs.real, dirs.link);
  dirs.missing = join(root, 'nope');
  dirs.file = join(root, 'a-file');
  writeFileSync(dirs.file, 'x');
  dirs.wide = join(root, 'wide');
  for (let i = 0; i < 12; i++) mkdirSync(join(dirs.wide, `checkpoint-${i}`), { recursive: true });
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('listCheckpointsOfRuns: one round for several directories', () => {
  it('lists every directory as one listing of it does, in one exec with one find, awk and df', async () => {
    const names = ['plain', 'hostile', 'ds', 'link', 'missing', 'file'] as const;
    const host = shHost(process.env);
    const items = [...names.map((n) => ({ runId: `local:${n}`, dir: dirs[n]! })), { runId: 'local:again', dir: dirs.plain! }];
    const round = await listCheckpointsOfRuns(host, items);
    expect(host.scripts).toHaveLength(1);
    const script = host.scripts[0]!;
    expect(script.match(/\bdf -P/g)).toHaveLength(1);
    // what the first round learned (GNU find, an awk that reads NUL records) is not asked again
    const again = await listCheckpointsOfRuns(host, items);
    expect(script).toContain('-maxdepth 0 -printf');
    expect(script).toContain('RS = "\\0" } END');
    expect(host.scripts[1]).not.toContain('-maxdepth 0 -printf');
    expect(host.scripts[1]).not.toContain('RS = "\\0" } END');
    expect(host.scripts[1]).toContain('nul=1');
    expect(again.get('local:plain')).toMatchObject({ ok: true });
    const alone = shHost(process.env);
    for (const it of items) {
      const one = await listCheckpoints(alone, it.runId, it.dir);
      const mine = round.get(it.runId)!;
      // the free space moves between two listings (other writers on this disk): compared apart
      if (mine.ok && one.ok) {
        expect(mine.value.diskFreeBytes, it.runId).toBeGreaterThan(0);
        expect({ ...mine.value, diskFreeBytes: 0 }, it.runId).toEqual({ ...one.value, diskFreeBytes: 0 });
      } else expect(mine, it.runId).toEqual(one);
    }
    const get = (n: string) => round.get(`local:${n}`)!;
    const plain = get('plain');
    expect(plain.ok && plain.value.checkpoints.map((c) => c.name)).toEqual(['checkpoint-200', 'checkpoint-100']);
    const hostile = get('hostile');
    expect(hostile.ok && hostile.value.checkpoints.map((c) => [c.name, c.sizeBytes])).toEqual([['checkpoint-300', 3300]]);
    expect(hostile.ok && hostile.value.diskFreeBytes).toBeGreaterThan(0);
    const link = get('link');
    expect(link.ok && link.value.checkpoints.map((c) => c.name)).toEqual(['checkpoint-7']);
    const missing = get('missing');
    expect(missing.ok ? null : missing.error.kind).toBe('not-found');
    const file = get('file');
    expect(file.ok ? null : file.error.message).toMatch(/not a directory/);
    // the `latest` file read by awk, as head | tr reads it for one listing
    const p = splitRound(run(roundScript([dirs.plain!, dirs.ds!], 'n0', { maxEntries: 100, maxFiles: 1000, maxDepth: 8 })), 'n0', 2).get(1) as { text: string };
    expect(p.text).toContain('@@RTK-CKPT latest\nglobal_step10\n');
    expect(p.text).not.toContain('@@RTK-CKPT iter');
  });

  it('the programs a round starts are the same for one directory and for seven (tr only where awk cannot split at NUL)', () => {
    const names = ['plain', 'hostile', 'ds', 'link', 'missing', 'file', 'wide'] as const;
    const started = (list: string[], o: { gnuFind?: boolean; awkNul?: boolean }): string[] => {
      const shim = join(root, 'shim');
      mkdirSync(shim, { recursive: true });
      const log = join(shim, 'log');
      writeFileSync(log, '');
      for (const p of ['find', 'tr', 'awk', 'df', 'date', 'head', 'stat', 'cat']) {
        const real = spawnSync('sh', ['-c', `command -v ${p}`]).stdout.toString().trim();
        writeFileSync(join(shim, p), `#!/bin/sh\necho ${p} >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
      }
      spawnSync('sh', ['-c', roundScript(list, 'n1', { maxEntries: 100, maxFiles: 1000, maxDepth: 8 }, o)], { env: { ...process.env, PATH: `${shim}:${process.env.PATH}` } });
      return readFileSync(log, 'utf8').split('\n').filter(Boolean).sort();
    };
    const all = names.map((n) => dirs[n]!);
    expect(started([dirs.plain!], { gnuFind: true, awkNul: true })).toEqual(['awk', 'date', 'df', 'find']);
    expect(started(all, { gnuFind: true, awkNul: true })).toEqual(['awk', 'date', 'df', 'find']);
    expect(started(all, { gnuFind: true, awkNul: false })).toEqual(['awk', 'date', 'df', 'find', 'tr']);
    // nothing known yet: the probes (find -maxdepth 0, an awk reading NUL records) once
    expect(started(all, {})).toEqual(['awk', 'awk', 'date', 'df', 'find', 'find']);
  });

  it('awk reading NUL records and tr | awk read the same', () => {
    const list = [dirs.plain!, dirs.hostile!, dirs.ds!, dirs.link!, dirs.missing!];
    const b = { maxEntries: 100, maxFiles: 1000, maxDepth: 8 };
    const a = splitRound(run(roundScript(list, 'n2', b, { gnuFind: true, awkNul: true })), 'n2', list.length);
    const t = splitRound(run(roundScript(list, 'n2', b, { gnuFind: true, awkNul: false })), 'n2', list.length);
    for (let i = 0; i < list.length; i++) {
      const pa = a.get(i) as { text: string };
      const pt = t.get(i) as { text: string };
      const la = parseCheckpointOutput(pa.text, 'r', list[i]!);
      const lt = parseCheckpointOutput(pt.text, 'r', list[i]!);
      expect(la.ok ? la.value.checkpoints : la.error.kind).toEqual(lt.ok ? lt.value.checkpoints : lt.error.kind);
    }
    const h = parseCheckpointOutput((a.get(1) as { text: string }).text, 'r', dirs.hostile!);
    expect(h.ok && h.value.checkpoints.map((c) => c.name)).toEqual(['checkpoint-300']);
  });

  it('a directory cut by the entry bound says so; the others are whole; the file bound leaves later ones unread', () => {
    const list = [dirs.plain!, dirs.wide!, dirs.missing!, dirs.hostile!];
    const nonce = 'feedc0de';
    const out = run(roundScript(list, nonce, { maxEntries: 8, maxFiles: 1000, maxDepth: 8 }, { gnuFind: true }));
    const parts = splitRound(out, nonce, list.length);
    const text = (i: number): string => {
      const p = parts.get(i);
      return p && 'text' in p ? p.text : '';
    };
    expect(text(1)).toContain(`\n${MARK_CUT}\n`);
    expect(text(0)).not.toContain(MARK_CUT);
    expect(text(3)).not.toContain(MARK_CUT);
    const wide = parseCheckpointOutput(text(1), 'w', dirs.wide!);
    expect(wide.ok && wide.value.checkpoints.length).toBe(8);
    const plain = parseCheckpointOutput(text(0), 'p', dirs.plain!);
    expect(plain.ok && plain.value.checkpoints.map((c) => c.step)).toEqual([200, 100]);
    expect(parseCheckpointOutput(text(2), 'm', dirs.missing!).ok).toBe(false);
    // 2 files read in all: the first directory is cut, the later ones were never reached
    const few = splitRound(run(roundScript(list, nonce, { maxEntries: 100, maxFiles: 2, maxDepth: 8 }, { gnuFind: true })), nonce, list.length);
    expect(few.get(0) && 'text' in few.get(0)! && (few.get(0) as { text: string }).text).toContain(MARK_CUT);
    expect(few.get(1)).toEqual({ unread: true });
    expect(few.get(3)).toEqual({ unread: true });
  });

  it('the stat fallback (find without -printf) reads the same checkpoints', () => {
    const list = [dirs.plain!, dirs.missing!, dirs.hostile!, dirs.link!];
    const nonce = 'abad1dea';
    const gnu = splitRound(run(roundScript(list, nonce, { maxEntries: 100, maxFiles: 1000, maxDepth: 8 })), nonce, list.length);
    const script = roundScript(list, nonce, { maxEntries: 100, maxFiles: 1000, maxDepth: 8 }).replace("-maxdepth 0 -printf ''", '-maxdepth 0 -no-such-flag');
    const fb = splitRound(run(script), nonce, list.length);
    for (const i of [0, 2, 3]) {
      const a = gnu.get(i) as { text: string };
      const b = fb.get(i) as { text: string };
      expect(a.text).toContain(`${MARK_AGG}\n`);
      expect(b.text).toContain(`${MARK_STAT}\n`);
      const pa = parseCheckpointOutput(a.text, 'r', list[i]!);
      const pb = parseCheckpointOutput(b.text, 'r', list[i]!);
      expect(pa.ok && pa.value.checkpoints.length).toBeGreaterThan(0);
      expect(pb.ok && pb.value.checkpoints).toEqual(pa.ok && pa.value.checkpoints);
    }
    expect(fb.get(1)).toEqual({ text: '@@RTK-CKPT nodir\n' });
  });

  it('garbage and a foreign nonce read as nothing, never a throw', () => {
    expect(splitRound('', 'n', 3).size).toBe(0);
    expect(splitRound('@@RTKMANY other agg 0\nf\t1\t2\tx\n', 'n', 1).size).toBe(0);
    expect(splitRound('\n@@RTKMANY n agg 9\nf\t1\t2\tx\n@@RTKMANY n df 0 zz\nnot df\n', 'n', 1).size).toBe(0);
  });
});

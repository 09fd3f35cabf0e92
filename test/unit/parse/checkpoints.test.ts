import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MARK_AGG,
  MARK_DF,
  MARK_FIND,
  MARK_NODIR,
  MARK_STAT,
  buildCheckpoints,
  parseCheckpointOutput,
  parseDfAvailable,
  parseFindPrintf,
  parseStatLines,
  stepOf,
} from '../../../src/parse/checkpoints.js';
import { checkpointScript } from '../../../src/sources/checkpoints.js';
import { listCheckpoints } from '../../../src/sources/checkpoints.js';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shHost } from '../control/sh-host.js';


// The real layout of a HF Trainer QLoRA output dir (test/fixtures/checkpoints/derived-layout_*, sizes from
// git-lfs pointers), turned into the lines GNU find -printf and the stat fallback would print for it.
const layout = readFileSync(
  new URL('../../fixtures/checkpoints/derived-layout_hf-trainer-qlora_gemma3-1b_checkpoint-3600_3765.txt', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => {
    const m = /^\s*(\d+|\?)\s+(\S+)/.exec(l)!;
    return { size: m[1] === '?' ? 0 : Number(m[1]), path: m[2]! };
  });
const T3600 = 1_763_900_000; // mtimes chosen for the test: checkpoint-3765 is newer
const T3765 = 1_763_903_600;
const mtimeOf = (p: string): number => (p.startsWith('checkpoint-3765') ? T3765 : p.startsWith('checkpoint-3600') ? T3600 : T3600 - 10);
const findLines = [
  `d\t4096\t${T3765}.5\t`,
  `d\t4096\t${T3600}.0000000000\tcheckpoint-3600`,
  `d\t4096\t${T3765}.0000000000\tcheckpoint-3765`,
  ...layout.map((e) => `f\t${e.size}\t${mtimeOf(e.path)}.1234567890\t${e.path}`),
].join('\n');
const statLines = [
  `directory|4096|${T3600}|checkpoint-3600`,
  `directory|4096|${T3765}|checkpoint-3765`,
  ...layout.map((e) => `${e.size === 0 ? 'regular empty file' : 'regular file'}|${e.size}|${mtimeOf(e.path)}|${e.path}`),
].join('\n');
const df = 'Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/nvme0n1p2  960000000 912812500  47186896      96% /home\n';

const sum = (prefix: string): number => layout.filter((e) => e.path.startsWith(prefix)).reduce((a, e) => a + e.size, 0);
const expected = [
  {
    name: 'checkpoint-3765',
    path: '/home/u/out/checkpoint-3765',
    step: 3765,
    sizeBytes: sum('checkpoint-3765/'),
    modifiedAt: new Date(T3765 * 1000).toISOString().replace('.000Z', 'Z'),
    formats: ['safetensors'], // adapter_model.safetensors; optimizer.pt, rng_state.pth, training_args.bin are state
  },
  {
    name: 'checkpoint-3600',
    path: '/home/u/out/checkpoint-3600',
    step: 3600,
    sizeBytes: sum('checkpoint-3600/'),
    modifiedAt: new Date(T3600 * 1000).toISOString().replace('.000Z', 'Z'),
    formats: ['safetensors'],
  },
];

describe('checkpoint listings', () => {
  it('sizes add up to the real layout', () => {
    // 52231312 + 104677479 + 14645 + 1383 + 1465 + 5201 + small json/md files
    expect(sum('checkpoint-3765/')).toBe(5292 + 1201 + 52231312 + 1532 + 104677479 + 14645 + 1383 + 1465 + 744 + 18840 + 5201);
  });

  it('GNU find -printf output', () => {
    const r = parseCheckpointOutput(`${MARK_FIND}\n${findLines}\n${MARK_DF}\n${df}`, 'gpu:train', '/home/u/out');
    expect(r).toEqual({ ok: true, value: { run: 'gpu:train', dir: '/home/u/out', diskFreeBytes: 47186896 * 1024, checkpoints: expected } });
  });

  it('the stat fallback gives the same listing', () => {
    const r = parseCheckpointOutput(`${MARK_STAT}\n${statLines}\n${MARK_DF}\n${df}`, 'gpu:train', '/home/u/out');
    expect(r.ok && r.value.checkpoints).toEqual(expected);
  });

  it('BSD stat words and ./ prefixes', () => {
    const e = parseStatLines('Directory|64|100|./step_5\nRegular File|10|200|./step_5/model.safetensors\nRegular File|3|50|*/*\n');
    expect(e).toEqual([
      { type: 'd', size: 64, mtime: 100, path: 'step_5' },
      { type: 'f', size: 10, mtime: 200, path: 'step_5/model.safetensors' },
    ]);
  });

  it.each([
    ['checkpoint-2000', 2000],
    ['step_1500', 1500],
    ['global_step300', 300],
    ['epoch=3-step=4500.ckpt', 4500],
    ['model_step_1000.pt', 1000],
    ['ckpt-12.pt', 12],
    ['iter_0000500', 500],
    ['1000', 1000],
    ['last.ckpt', null],
    ['best', null],
  ])('stepOf(%s)', (name, step) => expect(stepOf(name)).toBe(step));

  it('groups files of every kind: Lightning .ckpt, DeepSpeed global_step, root model shards, gguf', () => {
    const entries = parseFindPrintf(
      [
        'f\t100\t10\tepoch=0-step=500.ckpt',
        'f\t100\t20\tepoch=1-step=1000.ckpt',
        'f\t50\t25\tlast.ckpt',
        'd\t4096\t30\tglobal_step1500',
        'f\t700\t30\tglobal_step1500/mp_rank_00_model_states.pt',
        'f\t900\t30\tglobal_step1500/bf16_zero_pp_rank_0_mp_rank_00_optim_states.pt',
        'd\t4096\t40\tcheckpoint-2000',
        'd\t4096\t40\tcheckpoint-2000/global_step2000',
        'f\t300\t40\tcheckpoint-2000/pytorch_model.bin',
        'f\t1000\t41\tcheckpoint-2000/global_step2000/mp_rank_00_model_states.pt',
        'f\t10\t40\tcheckpoint-2000/training_args.bin',
        'f\t400\t50\tmodel-00001-of-00002.safetensors',
        'f\t400\t51\tmodel-00002-of-00002.safetensors',
        'f\t5\t51\tconfig.json',
        'f\t123\t5\tmodel-q4_k_m.gguf',
        'd\t4096\t60\tlogs',
        'f\t9\t60\tlogs/events.out',
        'd\t4096\t70\tcheckpoint-2500',
      ].join('\n'),
    );
    const cks = buildCheckpoints('/d', entries);
    expect(cks.map((c) => [c.name, c.step, c.sizeBytes, c.formats])).toEqual([
      ['checkpoint-2500', 2500, 0, []], // being written: no files yet
      ['final (output_dir)', null, 923, ['safetensors', 'gguf']],
      ['checkpoint-2000', 2000, 1310, ['bin', 'pt']],
      ['global_step1500', 1500, 1600, ['pt']],
      ['last.ckpt', null, 50, ['ckpt']],
      ['epoch=1-step=1000.ckpt', 1000, 100, ['ckpt']],
      ['epoch=0-step=500.ckpt', 500, 100, ['ckpt']],
    ]);
    expect(cks.find((c) => c.name === 'final (output_dir)')?.path).toBe('/d');
  });

  it('missing directory is a clear error', () => {
    const r = parseCheckpointOutput(`${MARK_NODIR}\n`, 'gpu:x', '/nope', 'gpu');
    expect(r).toEqual({ ok: false, error: { kind: 'not-found', message: 'Checkpoint directory /nope does not exist on gpu.' } });
  });

  it.each([
    ['', null],
    ['Filesystem 1024-blocks Used Available Capacity Mounted on\n', null],
    ['Filesystem 1024-blocks Used Available Capacity Mounted on\nmy fs 100 50 50 50% /mnt/with space\n', 51200],
    ['df: /x: No such file or directory\n', null],
  ])('df %j', (text, v) => expect(parseDfAvailable(text)).toBe(v));

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom(MARK_FIND, MARK_STAT, ''), (s, mark) => {
        const r = parseCheckpointOutput(`${mark}\n${s}\n${MARK_DF}\n${s}`, 'r', '/d');
        if (r.ok) for (const c of r.value.checkpoints) expect(c.sizeBytes).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
    const huge = parseCheckpointOutput(`${MARK_FIND}\n${'x'.repeat(1 << 20)}\r\nf\t5\t1\tstep_1/a.pt\r\n${MARK_DF}\n`, 'r', '/d');
    expect(huge.ok && huge.value.checkpoints.map((c) => [c.name, c.sizeBytes])).toEqual([['step_1', 5]]);
  });
});

describe('listCheckpoints against a real directory (local sh)', () => {
  it('GNU find and the fallback agree; a missing dir is an error', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rtk-ckpt-'));
    try {
      const dir = join(root, "run 1 'quoted'");
      for (const [n, t] of [
        [100, 1_700_000_100],
        [200, 1_700_000_200],
      ] as const) {
        mkdirSync(join(dir, `checkpoint-${n}`), { recursive: true });
        writeFileSync(join(dir, `checkpoint-${n}`, 'model.safetensors'), Buffer.alloc(n * 10));
        writeFileSync(join(dir, `checkpoint-${n}`, 'optimizer.pt'), Buffer.alloc(n));
        utimesSync(join(dir, `checkpoint-${n}`, 'model.safetensors'), t, t);
        utimesSync(join(dir, `checkpoint-${n}`, 'optimizer.pt'), t, t);
        utimesSync(join(dir, `checkpoint-${n}`), t, t);
      }
      const host = shHost(process.env);
      const r = await listCheckpoints(host, 'local:t', dir);
      expect(host.scripts).toHaveLength(1);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.diskFreeBytes).toBeGreaterThan(0);
      expect(r.value.checkpoints.map((c) => [c.name, c.step, c.sizeBytes, c.modifiedAt, c.formats])).toEqual([
        ['checkpoint-200', 200, 2200, '2023-11-14T22:16:40Z', ['safetensors']],
        ['checkpoint-100', 100, 1100, '2023-11-14T22:15:00Z', ['safetensors']],
      ]);
      // the fallback, as on a machine whose find has no -printf
      const noPrintf = checkpointScript(dir).replace("-maxdepth 0 -printf ''", '-maxdepth 0 -no-such-flag');
      const out = await host.exec(noPrintf);
      expect(out.ok && out.value.stdout.toString()).toContain(MARK_STAT);
      const fb = parseCheckpointOutput(out.ok ? out.value.stdout.toString() : '', 'local:t', dir);
      expect(fb.ok && fb.value.checkpoints).toEqual(r.value.checkpoints);

      const missing = await listCheckpoints(host, 'local:t', join(root, 'nope'));
      expect(missing.ok ? null : missing.error.kind).toBe('not-found');

      // a host whose find took -printf once is not asked again; the same listing comes back
      const again = await listCheckpoints(host, 'local:t', dir);
      expect(host.scripts[0]).toContain("-maxdepth 0 -printf ''");
      expect(host.scripts.at(-1)).not.toContain("-maxdepth 0 -printf ''");
      expect(again.ok && again.value.checkpoints).toEqual(r.value.checkpoints);
      // the host's time given: no date
      expect(checkpointScript(dir, { now: 1700000000 })).not.toContain('date');
      const given = await host.exec(checkpointScript(dir, { now: 1700000000, gnuFind: true }));
      expect(given.ok && given.value.stdout.toString()).toContain(`${MARK_AGG}\n`);
      const at = parseCheckpointOutput(given.ok ? given.value.stdout.toString() : '', 'local:t', dir);
      expect(at.ok && at.value.checkpoints.map((c) => c.name)).toEqual(['checkpoint-200', 'checkpoint-100']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

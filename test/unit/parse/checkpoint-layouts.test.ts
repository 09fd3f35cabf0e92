// Checkpoint layouts from the field (test/fixtures/checkpoints/*: DeepSpeed inside an HF checkpoint,
// DeepSpeed with `latest`, NeMo AutoModel's model/consolidated/, Lightning .ckpt files, DCP shards,
// Megatron iter_*), built as real directories and listed by the real script through a local sh.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ok } from '../../../src/domain/types.js';
import { MARK_AGG, MARK_LATEST, MARK_NOW, parseCheckpointOutput } from '../../../src/parse/checkpoints.js';
import type { Host } from '../../../src/remote/host.js';
import { checkpointScript, listCheckpoints } from '../../../src/sources/checkpoints.js';

const fixture = (name: string): string[] =>
  readFileSync(new URL(`../../fixtures/checkpoints/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .slice(1); // the provenance line

/** `tree` output -> relative paths (files and directories), depth from the glyph columns. */
function treePaths(lines: string[]): { path: string; dir: boolean }[] {
  const out: { path: string; dir: boolean }[] = [];
  const stack: string[] = [];
  for (const l of lines) {
    const m = /^((?:│   |    )*)[├└]── (.+)$/.exec(l);
    if (!m) continue;
    const depth = [...m[1]!].length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    out.push({ path: stack.join('/'), dir: false });
  }
  // an entry with children is a directory
  return out.map((e) => ({ ...e, dir: out.some((o) => o.path.startsWith(`${e.path}/`)) }));
}

const host: Host = {
  name: 'local',
  exec: async (command: string) => {
    const r = spawnSync('sh', ['-c', command], { maxBuffer: 64 << 20 });
    return ok({ code: r.status, stdout: r.stdout, stderr: r.stderr });
  },
} as unknown as Host;

const root = mkdtempSync(join(tmpdir(), 'rtk-layouts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const OLD = 1_700_000_000;

/** Writes files of the given sizes (all dated OLD unless given), returns the directory. */
function build(name: string, files: [string, number, number?][]): string {
  const d = join(root, name);
  for (const [p, size, t] of files) {
    mkdirSync(dirname(join(d, p)), { recursive: true });
    writeFileSync(join(d, p), Buffer.alloc(size));
    utimesSync(join(d, p), t ?? OLD, t ?? OLD);
  }
  // directories older than their files: what a listing shows is the files' times
  const dirs = spawnSync('find', [d, '-type', 'd', '-print0']).stdout.toString().split('\0').filter(Boolean);
  for (const x of dirs) utimesSync(x, OLD - 100, OLD - 100);
  return d;
}

async function list(d: string) {
  const r = await listCheckpoints(host, 'local:t', d);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.checkpoints.map((c) => ({ name: c.name, step: c.step, size: c.sizeBytes, formats: c.formats.join(','), writing: c.writing === true }));
}

describe('checkpoint layouts (real script, local sh)', () => {
  it('HF + DeepSpeed ZeRO-3 (LlamaFactory #3789 tree): global_step inside, every shard counted', async () => {
    const tree = treePaths(fixture('tree_hf-deepspeed-zero3_llamafactory-issue-3789.txt'));
    let k = 0;
    const files = tree.filter((e) => !e.dir).map((e): [string, number] => [`checkpoint-200/${e.path}`, e.path === 'latest' ? 14 : 100 + k++]);
    const d = build('hf-ds', files);
    writeFileSync(join(d, 'checkpoint-200/latest'), 'global_step200');
    utimesSync(join(d, 'checkpoint-200/latest'), OLD, OLD);
    const total = files.reduce((a, [, s]) => a + s, 0);
    expect(await list(d)).toEqual([{ name: 'checkpoint-200', step: 200, size: total, formats: 'safetensors,pt', writing: false }]);
  });

  it('DeepSpeed alone (Ray #43285 ls): global_stepN beside `latest`; one newer than latest is still being written', async () => {
    const ranks = fixture('ls-lht_deepspeed-global_step0_ray-issue-43285.txt')
      .map((l) => /(zero_pp_rank_\d+_mp_rank_00_optim_states\.pt)$/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined);
    expect(ranks).toHaveLength(8);
    const d = build('ds', [
      ...ranks.map((r, i): [string, number] => [`global_step0/${r}`, 1000 + i]),
      ['global_step0/mp_rank_00_model_states.pt', 500],
      ['zero_to_fp32.py', 25],
      ...ranks.map((r): [string, number, number] => [`global_step100/${r}`, 10, OLD + 100]),
    ]);
    writeFileSync(join(d, 'latest'), 'global_step0');
    utimesSync(join(d, 'latest'), OLD + 1, OLD + 1);
    expect(await list(d)).toEqual([
      { name: 'global_step100', step: 100, size: 80, formats: '', writing: true },
      { name: 'global_step0', step: 0, size: 8 * 1000 + 28 + 500, formats: 'pt', writing: false },
    ]);
  });

  it('NeMo AutoModel (PR #810 tree): model/consolidated/*.safetensors four levels down', async () => {
    const tree = treePaths(fixture('tree_nemo-automodel_epoch_0_step_9_pr-810.txt'));
    const files = tree.filter((e) => !e.dir).map((e): [string, number] => [`epoch_0_step_9/model/${e.path}`, 64]);
    const d = build('nemo', [...files, ['epoch_1_step_19/model/shard-00001-model-00001-of-00001.safetensors', 7, OLD + 50]]);
    expect(await list(d)).toEqual([
      { name: 'epoch_1_step_19', step: 19, size: 7, formats: 'safetensors', writing: false },
      { name: 'epoch_0_step_9', step: 9, size: 17 * 64, formats: 'safetensors', writing: false },
    ]);
  });

  it('Lightning .ckpt files, last.ckpt, a NeMo -unfinished marker', async () => {
    const d = build('pl', [
      ['epoch=0-step=300.ckpt', 30, OLD],
      ['epoch=1-step=600.ckpt', 60, OLD + 10],
      ['last.ckpt', 60, OLD + 11],
      ['megatron_gpt--val_loss=2.35-step=900-consumed_samples=7200.0.ckpt', 90, OLD + 20],
      ['megatron_gpt--val_loss=2.35-step=900-consumed_samples=7200.0-unfinished', 0, OLD + 20],
    ]);
    expect(await list(d)).toEqual([
      { name: 'megatron_gpt--val_loss=2.35-step=900-consumed_samples=7200.0.ckpt', step: 900, size: 90, formats: 'ckpt', writing: true },
      { name: 'last.ckpt', step: null, size: 60, formats: 'ckpt', writing: false },
      { name: 'epoch=1-step=600.ckpt', step: 600, size: 60, formats: 'ckpt', writing: false },
      { name: 'epoch=0-step=300.ckpt', step: 300, size: 30, formats: 'ckpt', writing: false },
    ]);
  });

  it('FSDP/DCP shards: complete with .metadata, being written without; Megatron iter_ dirs; the final model of an output_dir', async () => {
    const d = build('dcp', [
      ['step-00500/__0_0.distcp', 100],
      ['step-00500/__1_0.distcp', 100],
      ['step-00500/.metadata', 5],
      ['step-01000/__0_0.distcp', 100, OLD + 10],
      ['iter_0000500/mp_rank_00/model_optim_rng.pt', 40, OLD - 10],
      ['model-00001-of-00002.safetensors', 11, OLD - 20],
      ['model-00002-of-00002.safetensors', 12, OLD - 20],
      ['config.json', 1, OLD - 20],
    ]);
    expect(await list(d)).toEqual([
      { name: 'step-01000', step: 1000, size: 100, formats: 'distcp', writing: true },
      { name: 'step-00500', step: 500, size: 205, formats: 'distcp', writing: false },
      { name: 'iter_0000500', step: 500, size: 40, formats: 'pt', writing: false },
      { name: 'final (output_dir)', step: null, size: 23, formats: 'safetensors', writing: false },
    ]);
    const one = build('one-file', [['checkpoint-5/model.safetensors', 3], ['adapter_model.safetensors', 4, OLD + 5]]);
    const r = await listCheckpoints(host, 'local:t', one);
    expect(r.ok && r.value.checkpoints.map((c) => [c.name, c.path])).toEqual([
      ['adapter_model.safetensors', join(one, 'adapter_model.safetensors')],
      ['checkpoint-5', join(one, 'checkpoint-5')],
    ]);
  });

  it('files changing right now (the host clock) and a staging dir are being written; hostile names stay whole', async () => {
    const now = Math.floor(Date.now() / 1000);
    const d = build('live', [
      ['checkpoint-100/model.safetensors', 10],
      ['checkpoint-200/model.safetensors', 20, now],
      ['tmp-checkpoint-300/config.json', 1],
      ['-n x\nstep_7 \'q\'/deep/er/still/model.pt', 9],
    ]);
    const got = await list(d);
    expect(got).toContainEqual({ name: 'checkpoint-200', step: 200, size: 20, formats: 'safetensors', writing: true });
    expect(got).toContainEqual({ name: 'checkpoint-100', step: 100, size: 10, formats: 'safetensors', writing: false });
    expect(got).toContainEqual({ name: 'tmp-checkpoint-300', step: 300, size: 1, formats: '', writing: true });
    expect(got).toContainEqual({ name: "-n x\nstep_7 'q'", step: 7, size: 9, formats: 'pt', writing: false });
  });

  it('a DeepSpeed run with 64 ranks x 40 checkpoints: a few hundred lines, exact sums', async () => {
    const files: [string, number][] = [];
    for (let c = 1; c <= 40; c++) for (let r = 0; r < 64; r++) files.push([`global_step${c * 100}/zero_pp_rank_${r}_mp_rank_00_optim_states.pt`, c]);
    for (let c = 1; c <= 40; c++) files.push([`global_step${c * 100}/mp_rank_00_model_states.pt`, 1]);
    const d = build('ds64', files);
    const out = await host.exec(checkpointScript(d));
    const text = out.ok ? out.value.stdout.toString() : '';
    expect(text.split('\n').length).toBeLessThan(1000);
    const r = parseCheckpointOutput(text, 'r', d);
    expect(r.ok && r.value.checkpoints.length).toBe(40);
    expect(r.ok && r.value.checkpoints.find((c) => c.name === 'global_step4000')?.sizeBytes).toBe(64 * 40 + 1);
  });
});

describe('parsing what the script prints', () => {
  it('aggregates win over samples; latest and the host clock are read', () => {
    const text = [
      MARK_NOW,
      '1700000100',
      MARK_LATEST,
      'global_step200',
      MARK_AGG,
      'd\t4096\t1700000000\tglobal_step200',
      'f\t1\t1700000000\tglobal_step200/mp_rank_00_model_states.pt',
      'd\t4096\t1700000095\tglobal_step300',
      'f\t1\t1700000095\tglobal_step300/mp_rank_00_model_states.pt',
      'f\t14\t1700000001\tlatest',
      'A\t5000000000000\t1700000000.000\t130\tglobal_step200',
      'A\t77\t1700000095.000\t3\tglobal_step300',
      '',
    ].join('\n');
    const r = parseCheckpointOutput(text, 'r', '/d');
    expect(r.ok && r.value.checkpoints.map((c) => [c.name, c.sizeBytes, c.writing === true])).toEqual([
      ['global_step300', 77, true],
      ['global_step200', 5_000_000_000_000, false],
    ]);
  });

  it.each([
    ['A\tx\ty\tz\tname', 0],
    ['A\t1\t2\t3\t', null],
    ['A\t1\t2', null],
    ['A\t-5\t2\t3\tstep_1', 0],
  ])('a bad aggregate line %j never throws', (line, size) => {
    const r = parseCheckpointOutput(`${MARK_AGG}\nd\t1\t1\tstep_1\n${line}\n`, 'r', '/d');
    expect(r.ok).toBe(true);
    if (size !== null) expect(r.ok && r.value.checkpoints[0]?.sizeBytes).toBe(size);
  });
});

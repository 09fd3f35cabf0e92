// `rtk-tui ckpt --json` end to end on every layout at once: DeepSpeed (global_stepN + latest, and inside
// an HF checkpoint-N), NeMo's model/consolidated/, FSDP/DCP shards, Megatron iter_*, Lightning .ckpt
// files, the final model of an HF output_dir, a hostile name (leading -, space, newline), and two
// checkpoints still being written (files changing now; .distcp without .metadata).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labCli } from '../helpers/cli.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { distMissing, firstReason, suite } from '../helpers/require.js';

suite(firstReason(labUnavailable(), distMissing()), 'ckpt e2e: layouts', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
    const f = (path: string, n: number): string => `mkdir -p "$(dirname "$d/${path}")" && head -c ${n} /dev/zero > "$d/${path}"`;
    const r = await lab.remote(
      [
        'set -e',
        'd="$HOME/lay out"',
        "nl=$(printf '\\nx'); nl=${nl%x}",
        ...[0, 1, 2, 3].map((i) => f(`global_step100/zero_pp_rank_${i}_mp_rank_00_optim_states.pt`, 1000)),
        f('global_step100/mp_rank_00_model_states.pt', 500),
        'printf global_step100 > "$d/latest"',
        f('checkpoint-200/model.safetensors', 300),
        f('checkpoint-200/global_step200/zero_pp_rank_0_mp_rank_00_optim_states.pt', 700),
        'printf global_step200 > "$d/checkpoint-200/latest"',
        f('epoch_0_step_9/model/consolidated/model-00001-of-00002.safetensors', 111),
        f('epoch_0_step_9/model/consolidated/model-00002-of-00002.safetensors', 222),
        f('epoch_0_step_9/model/shard-00001-model-00001-of-00001.safetensors', 50),
        f('step-00300/__0_0.distcp', 90),
        f('step-00300/__1_0.distcp', 90),
        f('step-00300/.metadata', 3),
        f('iter_0000400/mp_rank_00/model_optim_rng.pt', 400),
        f('epoch=2-step=600.ckpt', 60),
        f('last.ckpt', 61),
        f('model-00001-of-00002.safetensors', 1000),
        f('model-00002-of-00002.safetensors', 2000),
        f('config.json', 2),
        'mkdir -p "$d/-x y${nl}step_7/deep/er"',
        'head -c 7 /dev/zero > "$d/-x y${nl}step_7/deep/er/model.pt"',
        f('step-01000/__0_0.distcp', 33),
        // everything so far was written long ago; checkpoint-900 is being written now
        'find "$d" -exec touch -d "2026-01-01 00:00:00 UTC" {} +',
        f('checkpoint-900/model.safetensors', 9),
        'tmux new-session -d -s lay -x 80 -y 20 "sleep 600"',
        'tmux set-option -t lay: @rtk_checkpoints "$d"',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await lab?.stop();
  });

  it('sizes at any depth, steps, the final model by name, the ones being written marked', async () => {
    const r = await labCli(lab, ['ckpt', 'gpu:lay', '--json', '--config', lab.rtkConfig]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { dir: string; checkpoints: { name: string; path: string; step: number | null; sizeBytes: number; formats: string[]; writing?: boolean }[] };
    const dir = `${lab.remoteHome}/lay out`;
    expect(j.dir).toBe(dir);
    const got = j.checkpoints.map((c) => [c.name, c.step, c.sizeBytes, c.formats.join(','), c.writing === true]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(got).toEqual(
      [
        ['-x y\nstep_7', 7, 7, 'pt', false],
        ['checkpoint-200', 200, 300 + 700 + 14, 'safetensors', false],
        ['checkpoint-900', 900, 9, 'safetensors', true],
        ['epoch_0_step_9', 9, 111 + 222 + 50, 'safetensors', false],
        ['epoch=2-step=600.ckpt', 600, 60, 'ckpt', false],
        ['final (output_dir)', null, 3000, 'safetensors', false],
        ['global_step100', 100, 4500, 'pt', false],
        ['iter_0000400', 400, 400, 'pt', false],
        ['last.ckpt', null, 61, 'ckpt', false],
        ['step-00300', 300, 183, 'distcp', false],
        ['step-01000', 1000, 33, 'distcp', true],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(j.checkpoints.find((c) => c.name === 'final (output_dir)')?.path).toBe(dir);
    expect(j.checkpoints.find((c) => c.name.startsWith('-x'))?.path).toBe(`${dir}/-x y\nstep_7`);
    // the human table: one line per checkpoint (the newline in a name does not break a row), writing said
    const t = await labCli(lab, ['ckpt', 'gpu:lay', '--config', lab.rtkConfig]);
    expect(t.code).toBe(0);
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 11 + 1);
    expect(lines.filter((l) => l.includes('(writing…)')).map((l) => l.split(/\s+/)[0]).sort()).toEqual(['checkpoint-900', 'step-01000']);
  }, 60_000);
});

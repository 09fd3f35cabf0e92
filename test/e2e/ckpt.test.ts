// `rtk-tui ckpt` end to end: the built binary, through the jump host, against a tmux session on the lab
// target whose @rtk_checkpoints points at a directory of HF-style checkpoint-N folders.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';

const BIN = fileURLToPath(new URL('../../bin/rtk-tui', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/commands/ckpt.js', import.meta.url));

function cli(lab: Lab, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: lab.env(), timeout: 60_000 }, (e, stdout, stderr) => {
      const code = e === null ? 0 : typeof e.code === 'number' ? e.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

const why = labUnavailable() ?? (existsSync(BUILT) ? null : 'dist/ is not built (npm test builds it first)');
suite(why, 'ckpt e2e', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
    // checkpoint-100 (older, safetensors), checkpoint-200 (newer, pytorch_model.bin + safetensors),
    // with training state beside the weights; sizes are exact so the test can check the sums
    const r = await lab.remote(
      [
        'set -e',
        'd="$HOME/out/run one"',
        'mkdir -p "$d/checkpoint-100" "$d/checkpoint-200" "$d/logs"',
        'head -c 1000 /dev/zero > "$d/checkpoint-100/model.safetensors"',
        'head -c 300 /dev/zero > "$d/checkpoint-100/optimizer.pt"',
        'head -c 2000 /dev/zero > "$d/checkpoint-200/pytorch_model.bin"',
        'head -c 1500 /dev/zero > "$d/checkpoint-200/model.safetensors"',
        'head -c 7 /dev/zero > "$d/checkpoint-200/training_args.bin"',
        'touch -d "2026-01-01 00:00:00 UTC" "$d/checkpoint-100" "$d/checkpoint-100/"*',
        'touch -d "2026-01-02 00:00:00 UTC" "$d/checkpoint-200" "$d/checkpoint-200/"*',
        'echo x > "$d/logs/events"',
        'tmux new-session -d -s train -x 80 -y 20 "sleep 600"',
        'tmux set-option -t train: @rtk_checkpoints "$d"',
        'tmux new-session -d -s nockpt "sleep 600"',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await lab?.stop();
  });

  it('lists steps, sizes and formats as JSON', async () => {
    const r = await cli(lab, ['ckpt', 'gpu:train', '--json', '--config', lab.rtkConfig]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    const dir = `${lab.remoteHome}/out/run one`;
    expect(j).toEqual({
      run: 'gpu:train',
      dir,
      diskFreeBytes: expect.any(Number),
      checkpoints: [
        { name: 'checkpoint-200', path: `${dir}/checkpoint-200`, step: 200, sizeBytes: 3507, modifiedAt: '2026-01-02T00:00:00Z', formats: ['safetensors', 'bin'] },
        { name: 'checkpoint-100', path: `${dir}/checkpoint-100`, step: 100, sizeBytes: 1300, modifiedAt: '2026-01-01T00:00:00Z', formats: ['safetensors'] },
      ],
    });
    expect(j.diskFreeBytes as number).toBeGreaterThan(0);
  }, 60_000);

  it('prints a table for people, with the bare session name', async () => {
    const r = await cli(lab, ['ckpt', 'train', '--config', lab.rtkConfig]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STEP\s+SIZE\s+AGE\s+FORMATS$/);
    expect(lines[1]).toMatch(/^checkpoint-200\s+200\s+3\.4 KiB\s+\d+ (s|min|h|d) ago\s+safetensors,bin$/);
    expect(lines[2]).toMatch(/^checkpoint-100\s+100\s+1\.3 KiB\s+\d+ (s|min|h|d) ago\s+safetensors$/);
    expect(lines[3]).toMatch(/^2 checkpoints, 4\.7 KiB total, [\d.]+ [KMGTP]iB free on .*\/out\/run one$/);
  }, 60_000);

  it('says clearly when the run has no checkpoint directory, or it is missing', async () => {
    const r = await cli(lab, ['ckpt', 'gpu:nockpt', '--config', lab.rtkConfig]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gpu:nockpt has no checkpoint directory.*@rtk_checkpoints/);
    await lab.remote('tmux set-option -t nockpt: @rtk_checkpoints "$HOME/missing"');
    const m = await cli(lab, ['ckpt', 'gpu:nockpt', '--config', lab.rtkConfig]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain(`Checkpoint directory ${lab.remoteHome}/missing does not exist on gpu.`);
  }, 60_000);

  it('rejects bad usage with exit 2', async () => {
    const r = await cli(lab, ['ckpt', '--config', lab.rtkConfig]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ckpt needs a RUN');
  });
});

// The simulated trainer behind `rtk-tui demo`, run as the built program (dist/demo/trainer.js).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { formatBar, formatProgress, parseTrainerArgs, tinySafetensors } from '../../src/demo/trainer.js';
import { REPO_ROOT } from '../helpers/tui.js';

const TRAINER = join(REPO_ROOT, 'dist', 'demo', 'trainer.js');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function trainer(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TRAINER, ...args], { encoding: 'utf8', timeout: 20_000 }, (e, stdout) => {
      resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

describe('demo trainer', () => {
  test('formats a tqdm bar the way tqdm does', () => {
    expect(formatBar(0, 4)).toBe('    ');
    expect(formatBar(1, 4)).toBe('████');
    expect(formatBar(0.5, 4)).toBe('██  ');
    const line = formatProgress({ step: 3600, total: 30000, elapsedS: 62, rate: 9.8, loss: 2.29, lr: 1e-4 });
    expect(line).toMatch(/^Steps: {2}12%\|██▍ +\| 3600\/30000 \[01:02<44:54, 9\.8it\/s, loss=2\.290, lr=1e-4\]$/);
  });

  test('rejects bad flags with a sentence', () => {
    expect(parseTrainerArgs(['--steps', 'x'])).toEqual({ ok: false, error: '--steps needs a whole number, got x' });
    expect(parseTrainerArgs(['--bogus', '1']).ok).toBe(false);
  });

  test('writes a valid safetensors header', () => {
    const b = tinySafetensors(16, 1);
    const n = Number(b.readBigUInt64LE(0));
    const h = JSON.parse(b.subarray(8, 8 + n).toString()) as Record<string, { data_offsets: number[] }>;
    expect(h['lm_head.weight']!.data_offsets).toEqual([0, 32]);
    expect(b.length).toBe(8 + n + 32);
  });

  test('prints progress, dicts and checkpoints, keeps only the last few, finishes with 0', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rtk-trainer-'));
    dirs.push(d);
    const ck = join(d, 'ck');
    const r = await trainer(['--steps', '600', '--rate', '3000', '--tick-ms', '20', '--ckpt-every', '100', '--keep-ckpts', '2',
      '--ckpt-dir', ck, '--log', join(d, 'train.log'), '--pid-file', join(d, 'pid')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\rSteps: +\d+%\|/);
    expect(r.stdout).toMatch(/\{'loss': [\d.]+, 'grad_norm': [\d.]+, 'learning_rate': [\d.e-]+, 'epoch': [\d.]+\}\n/);
    expect(r.stdout).toContain("{'eval_loss'");
    expect(r.stdout).toContain('Training completed.');
    expect(readFileSync(join(d, 'train.log'), 'utf8')).toBe(r.stdout);
    expect(Number(readFileSync(join(d, 'pid'), 'utf8'))).toBeGreaterThan(0);
    expect(readdirSync(ck).sort()).toEqual(['checkpoint-500', 'checkpoint-600']);
    expect(readdirSync(join(ck, 'checkpoint-600')).sort()).toEqual(['config.json', 'model.safetensors', 'trainer_state.json']);
    expect(statSync(join(ck, 'checkpoint-600', 'model.safetensors')).size).toBeLessThan(64 * 1024);
  });

  test('--loop starts again at step 0 and its new checkpoints are the ones kept', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rtk-trainer-'));
    dirs.push(d);
    const ck = join(d, 'ck');
    const p = spawn(process.execPath, [TRAINER, '--steps', '300', '--start', '150', '--rate', '600', '--tick-ms', '20',
      '--ckpt-every', '100', '--keep-ckpts', '2', '--ckpt-dir', ck, '--loop']);
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        p.once('exit', () => reject(new Error(`trainer ended: ${out.slice(-300)}`)));
        p.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          // second lap's first checkpoint written
          if (/Training completed[\s\S]*Saving model checkpoint to \S+checkpoint-100/.test(out)) resolve();
        });
      });
    } finally {
      p.kill();
    }
    // pruned by age, not by step number: the new lap's checkpoint-100 stays
    const left = readdirSync(ck);
    expect(left).toContain('checkpoint-100');
    expect(left).toHaveLength(2);
  });

  test('a resumed run starts with backdated checkpoints; --oom-at dies with a CUDA OOM and status 1', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rtk-trainer-'));
    dirs.push(d);
    const ck = join(d, 'ck');
    const r = await trainer(['--steps', '5000', '--start', '1234', '--rate', '2000', '--tick-ms', '20', '--ckpt-every', '500',
      '--ckpt-dir', ck, '--oom-at', '1300']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Resuming training from checkpoint');
    expect(r.stdout).toMatch(/torch\.OutOfMemoryError: CUDA out of memory\./);
    expect(readdirSync(ck).sort()).toEqual(['checkpoint-1000', 'checkpoint-500']);
    expect(statSync(join(ck, 'checkpoint-500')).mtimeMs).toBeLessThan(statSync(join(ck, 'checkpoint-1000')).mtimeMs);
  });
});

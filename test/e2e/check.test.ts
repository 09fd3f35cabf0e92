// rtk-tui check against the lab's target through the jump host (built binary): every kind of check
// passing, and failing for the right reason with a fix; warnings do not fail; exit codes 0 / 1 / 2.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFakeNvidiaSmi } from '../../src/demo/fake-nvidia-smi.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { cli } from './transfer-lab.js';

interface JsonLine {
  check: string;
  target: string;
  status: 'pass' | 'warn' | 'fail';
  message: string;
  fix: string | null;
}

suite(labUnavailable(), 'rtk-tui check through the jump host', () => {
  let lab: Lab;
  let L: string;
  let R: string;
  const data = randomBytes(300_000);

  beforeAll(async () => {
    lab = await startLab();
    installFakeNvidiaSmi(lab.binDir, { mode: 'csv' });
    L = join(lab.dir, 'local');
    R = join(lab.dir, 'remote');
    for (const d of [L, R, join(R, 'm-st'), join(R, 'm-bin'), join(R, 'm-shard'), join(R, 'm-lfs'), join(R, 'm-holes'), join(R, 'm-noconf')]) mkdirSync(d, { recursive: true });
    writeFileSync(join(L, 'data.bin'), data);
    writeFileSync(join(R, 'data.bin'), data);
    const flipped = Buffer.from(data);
    flipped[123] = flipped[123]! ^ 1;
    writeFileSync(join(R, 'flipped.bin'), flipped);
    writeFileSync(join(R, 'short.bin'), data.subarray(0, 1000));
    const weights = randomBytes(4096);
    const conf = '{"model_type": "llama"}';
    writeFileSync(join(R, 'm-st', 'config.json'), conf);
    writeFileSync(join(R, 'm-st', 'model.safetensors'), weights);
    writeFileSync(join(R, 'm-bin', 'config.json'), conf);
    writeFileSync(join(R, 'm-bin', 'pytorch_model.bin'), weights);
    writeFileSync(join(R, 'm-shard', 'config.json'), conf);
    writeFileSync(join(R, 'm-shard', 'model-00001-of-00002.safetensors'), weights);
    writeFileSync(join(R, 'm-shard', 'model-00002-of-00002.safetensors'), weights);
    const index = { weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } };
    writeFileSync(join(R, 'm-shard', 'model.safetensors.index.json'), JSON.stringify(index));
    writeFileSync(join(R, 'm-holes', 'config.json'), conf);
    writeFileSync(join(R, 'm-holes', 'model-00001-of-00003.safetensors'), weights);
    writeFileSync(join(R, 'm-holes', 'model-00003-of-00003.safetensors'), weights);
    writeFileSync(join(R, 'm-lfs', 'config.json'), conf);
    writeFileSync(join(R, 'm-lfs', 'model.safetensors'), 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 4096\n');
    writeFileSync(join(R, 'm-noconf', 'model.safetensors'), weights);
    // the login environment of the target: a login shell reads ~/.profile
    writeFileSync(join(lab.remoteHome, '.profile'), 'export RTK_T_TOKEN=s3cr3t-value\nexport RTK_T_EMPTY=\n');
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('passes every kind of check and exits 0', async () => {
    const r = await cli(lab, [
      'check', '--host', 'gpu',
      '--gpus', '1', '--gpu-free-gib', '10',
      '--disk', `${R}:0.001`,
      '--file-match', `${join(L, 'data.bin')}:${join(R, 'data.bin')}`,
      '--model', join(R, 'm-st'), '--model', join(R, 'm-bin'), '--model', join(R, 'm-shard'),
      '--run', `test -d "$HOME" && echo "it's fine"`,
      '--env', 'RTK_T_TOKEN',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, -1).every((l) => l.startsWith('✓ '))).toBe(true);
    expect(r.stdout).toMatch(/✓ gpus 1 GPU with 10 GiB free: 1 of 1 GPUs fit/);
    expect(r.stdout).toMatch(/✓ disk .*free [\d.]+ GiB on .*, 0\.001 GiB needed/);
    expect(r.stdout).toMatch(/✓ file .*data\.bin: identical \(300000 bytes, sha256 /);
    expect(r.stdout).toMatch(/✓ model .*m-st: config\.json and model\.safetensors/);
    expect(r.stdout).toMatch(/✓ model .*m-bin: config\.json and pytorch_model\.bin/);
    expect(r.stdout).toMatch(/✓ model .*m-shard: config\.json and 2 of 2 safetensors shards \+ index/);
    expect(r.stdout).toMatch(/✓ run .*: succeeded: it's fine/);
    expect(r.stdout).toMatch(/✓ env RTK_T_TOKEN: RTK_T_TOKEN is set \(12 characters\)/);
    expect(r.stdout).not.toContain('s3cr3t');
    expect(lines[lines.length - 1]).toBe('gpu: 8 passed, 0 warnings, 0 failed');
  });

  it('fails each check for the right reason, with a fix, and exits 1 (--json)', async () => {
    const r = await cli(lab, [
      'check', '--host', 'gpu', '--json',
      '--gpus', '2',
      '--disk', `${R}:100000000`, '--disk', join(R, 'nope'),
      '--file-match', `${join(L, 'data.bin')}:${join(R, 'missing.bin')}`,
      '--file-match', `${join(L, 'data.bin')}:${join(R, 'short.bin')}`,
      '--file-match', `${join(L, 'data.bin')}:${join(R, 'flipped.bin')}`,
      '--model', join(R, 'm-lfs'), '--model', join(R, 'm-holes'), '--model', join(R, 'm-noconf'),
      '--run', `python3 -c 'import rtk_no_such_module'`,
      '--run', 'echo about to fail; exit 3',
      '--env', 'RTK_T_UNSET',
    ].map((a) => (a === join(R, 'nope') ? `${a}:1` : a)));
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; hosts: { name: string; status: string; checks: JsonLine[] }[] };
    expect(out.ok).toBe(false);
    expect(out.hosts[0]!.status).toBe('connected');
    const c = out.hosts[0]!.checks;
    expect(c.every((x) => x.status === 'fail' && x.fix)).toBe(true);
    const by = (check: string, i = 0): JsonLine => c.filter((x) => x.check === check)[i]!;
    expect(by('gpus').message).toBe('gpu has 1 GPU');
    expect(by('disk', 0).message).toMatch(/^free [\d.]+ GiB on .*, 100000000 GiB needed$/);
    expect(by('disk', 0).fix).toBe('delete old checkpoints or choose another dir');
    expect(by('disk', 1).message).toMatch(/nope does not exist on gpu/);
    expect(by('disk', 1).fix).toMatch(/mkdir -p/);
    expect(by('file', 0).message).toMatch(/missing\.bin does not exist on gpu/);
    expect(by('file', 0).fix).toMatch(/^copy it: rtk-tui push /);
    expect(by('file', 1).message).toBe('size differs: local 300000 bytes, remote 1000 bytes');
    expect(by('file', 2).message).toMatch(/^sha256 differs: local [0-9a-f]{12}…, remote [0-9a-f]{12}… \(same size\)$/);
    expect(by('file', 2).fix).toMatch(/rtk-tui push --force /);
    expect(by('model', 0).message).toMatch(/model\.safetensors is a Git LFS pointer/);
    expect(by('model', 0).fix).toMatch(/git lfs pull/);
    expect(by('model', 1).message).toMatch(/missing shard model-00002-of-00003\.safetensors; sharded weights without model\.safetensors\.index\.json/);
    expect(by('model', 2).message).toMatch(/^no config\.json/);
    expect(by('run', 0).message).toMatch(/^exit 1: ModuleNotFoundError: No module named 'rtk_no_such_module'/);
    expect(by('run', 0).fix).toBe('install it in that environment (pip install rtk_no_such_module)');
    expect(by('run', 1).message).toBe('exit 3: about to fail');
    expect(by('env').message).toBe('RTK_T_UNSET is not set in the login environment of gpu');
    expect(by('env').fix).toMatch(/~\/\.profile/);
  });

  it('reads a check file, adds the flags, and a warning alone does not fail', async () => {
    const file = join(L, 'check.yaml');
    writeFileSync(file, ['host: gpu', 'gpus: {count: 1, freeGiB: 1}', `disk: ["${R}:0.001"]`, 'env: [RTK_T_EMPTY]', ''].join('\n'));
    const r = await cli(lab, ['check', '--file', file, '--env', 'RTK_T_TOKEN']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/⚠ env RTK_T_EMPTY: RTK_T_EMPTY is set but empty on gpu; fix: /);
    expect(r.stdout).toMatch(/gpu: 3 passed, 1 warning, 0 failed/);
  });

  it('exits 2 for a bad check file (file:line:col) or bad flags, before touching the host', async () => {
    const file = join(L, 'bad.yaml');
    writeFileSync(file, 'host: gpu\ndisk:\n  - {dir: /data, freeGiB: lots}\n');
    const bad = await cli(lab, ['check', '--file', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`${file}:3:\\d+: disk\\.0(\\.freeGiB)?: `));
    const flag = await cli(lab, ['check', '--host', 'gpu', '--disk', '/data']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--disk needs DIR:GIB/);
    const none = await cli(lab, ['check', '--host', 'gpu']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/nothing to check/);
  });

  it('reports a host it cannot reach as one failed line, and exits 1', async () => {
    // nothing listens on port 1 of the target's address
    const r = await cli(lab, ['check', '--host', 'root@127.0.0.2:1', '--disk', '/:0.001', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; hosts: { status: string; error: string; checks: unknown[] }[] };
    expect(out.ok).toBe(false);
    expect(out.hosts[0]!.status).toBe('unreachable');
    expect(out.hosts[0]!.error).toMatch(/127\.0\.0\.2/);
    expect(out.hosts[0]!.checks).toEqual([]);
  });
});

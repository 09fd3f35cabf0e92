import { describe, expect, it } from 'vitest';
import { diskLine, envLine, fileLine, formatLine, gib, gpuLine, modelLine, runLine, summarize } from '../../../src/commands/check-eval.js';
import type { Gpu, GpuHostReport } from '../../../src/domain/types.js';

const GiB = 1024 ** 3;

function gpu(index: number, usedMiB: number, procs: Gpu['processes'] = []): Gpu {
  return {
    index, name: 'NVIDIA A800', uuid: null, utilizationPercent: 0, memoryUsedMiB: usedMiB, memoryTotalMiB: 81920,
    temperatureC: null, powerW: null, powerLimitW: null, processes: procs,
  };
}
const report = (gpus: Gpu[], status: GpuHostReport['status'] = 'ok', error: string | null = null): GpuHostReport => ({ name: 'a800', status, error, driver: '535', gpus });

describe('gpus', () => {
  it('passes when enough GPUs have the free memory', () => {
    const l = gpuLine({ count: 2, freeGiB: 20 }, report([gpu(0, 1024), gpu(1, 0), gpu(2, 80000)]), 'a800');
    expect(l.status).toBe('pass');
    expect(l.message).toBe('2 of 3 GPUs fit (free: GPU 0 79.0 GiB, GPU 1 80.0 GiB, GPU 2 1.9 GiB)');
  });
  it('warns when the fitting GPUs are shared with running processes', () => {
    const l = gpuLine({ count: 1, freeGiB: 10 }, report([gpu(0, 30000, [{ pid: 42, name: 'python', usedMemoryMiB: 30000, run: 'a800:sweep' }])]), 'a800');
    expect(l.status).toBe('warn');
    expect(l.message).toContain('GPU 0: pid 42 python (run a800:sweep)');
  });
  it('fails naming who holds the memory', () => {
    const l = gpuLine({ count: 1, freeGiB: 40 }, report([gpu(0, 71000, [{ pid: 4242, name: 'python', usedMemoryMiB: 70000, run: 'a800:training' }])]), 'a800');
    expect(l.status).toBe('fail');
    expect(l.message).toBe('only 0 of 1 GPUs fit (free: GPU 0 10.7 GiB)');
    expect(l.fix).toBe('free them (GPU 0: pid 4242 python (run a800:training)) or lower --gpus / --gpu-free-gib');
  });
  it('fails without nvidia-smi, on a driver error, or without a report', () => {
    expect(gpuLine({ count: 1, freeGiB: 0 }, report([], 'no-gpu'), 'h').message).toBe('no nvidia-smi on h');
    expect(gpuLine({ count: 1, freeGiB: 0 }, report([], 'error', 'driver gone'), 'h').message).toBe('nvidia-smi failed on h: driver gone');
    expect(gpuLine({ count: 1, freeGiB: 0 }, null, 'h').status).toBe('fail');
  });
});

describe('disk', () => {
  const d = { dir: '/data', freeGiB: 100 };
  it.each([
    [{ kind: 'ok' as const, freeBytes: 500 * GiB, mount: '/data', writable: true }, 'pass', null],
    [{ kind: 'ok' as const, freeBytes: 105 * GiB, mount: '/data', writable: true }, 'warn', 'make room before a long run: checkpoints grow'],
    [{ kind: 'ok' as const, freeBytes: 12.3 * GiB, mount: '/', writable: true }, 'fail', 'delete old checkpoints or choose another dir'],
    [{ kind: 'ok' as const, freeBytes: 500 * GiB, mount: '/', writable: false }, 'fail', 'fix its owner/permissions or choose another dir'],
    [{ kind: 'missing' as const }, 'fail', 'create it (mkdir -p /data) or choose another dir'],
    [{ kind: 'not-dir' as const }, 'fail', 'choose a directory'],
    [null, 'fail', 'run df -h /data on the host'],
  ])('%j -> %s', (p, status, fix) => {
    const l = diskLine(d, p, 'a800');
    expect(l.status).toBe(status);
    expect(l.fix).toBe(fix);
  });
  it('says the free space and the need', () => {
    expect(diskLine(d, { kind: 'ok', freeBytes: 12.3 * GiB, mount: '/', writable: true }, 'a800').message).toBe('free 12.3 GiB on /data, 100 GiB needed');
  });
});

describe('files', () => {
  const f = { local: '/w.bin', remote: '/data/w.bin' };
  const o = { host: 'a800', algo: 'sha256' as const, hashTool: true };
  const local = { kind: 'ok' as const, size: 10, hash: 'aa'.repeat(32) };
  it('passes on equal size and hash; fails on size, hash, absence; warns without a hash tool', () => {
    expect(fileLine(f, local, { kind: 'ok', size: 10, hash: 'aa'.repeat(32) }, o).status).toBe('pass');
    expect(fileLine(f, local, { kind: 'ok', size: 11, hash: null }, o).message).toBe('size differs: local 10 bytes, remote 11 bytes');
    const h = fileLine(f, local, { kind: 'ok', size: 10, hash: 'bb'.repeat(32) }, o);
    expect(h.message).toMatch(/^sha256 differs/);
    expect(h.fix).toBe('copy it again: rtk-tui push --force /w.bin a800:/data/w.bin');
    expect(fileLine(f, local, { kind: 'missing' }, o).fix).toBe('copy it: rtk-tui push /w.bin a800:/data/w.bin');
    expect(fileLine(f, { kind: 'missing' }, { kind: 'ok', size: 10, hash: null }, o).message).toBe('local file /w.bin does not exist');
    expect(fileLine(f, local, { kind: 'ok', size: 10, hash: null }, { ...o, hashTool: false }).status).toBe('warn');
  });
});

describe('models', () => {
  const ok = (files: [string, number, boolean?][], indexes: Record<string, string[]> = {}) => ({
    kind: 'ok' as const,
    files: files.map(([name, size, lfs]) => ({ name, size, lfsPointer: lfs ?? false })),
    indexes,
  });
  it('accepts model.safetensors or pytorch_model.bin and says which', () => {
    expect(modelLine('/m', ok([['config.json', 10], ['model.safetensors', 2 * GiB]]), 'h').message).toBe('config.json and model.safetensors (2.0 GiB)');
    expect(modelLine('/m', ok([['config.json', 10], ['pytorch_model.bin', GiB]]), 'h').message).toBe('config.json and pytorch_model.bin (1.0 GiB)');
  });
  it('accepts complete shard sets with their index, bin shards too', () => {
    const l = modelLine(
      '/m',
      ok(
        [['config.json', 1], ['pytorch_model-00001-of-00002.bin', GiB], ['pytorch_model-00002-of-00002.bin', GiB], ['pytorch_model.bin.index.json', 100]],
        { 'pytorch_model.bin.index.json': ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin'] },
      ),
      'h',
    );
    expect(l.status).toBe('pass');
    expect(l.message).toBe('config.json and 2 of 2 bin shards + index (2.0 GiB)');
  });
  it('fails on missing shards (by count or by index), pointers, empties, no weights', () => {
    const holes = modelLine('/m', ok([['config.json', 1], ['model-00001-of-00002.safetensors', 5], ['model.safetensors.index.json', 9]], { 'model.safetensors.index.json': ['model-00001-of-00002.safetensors', 'extra.safetensors'] }), 'h');
    expect(holes.message).toBe('missing shards model-00002-of-00002.safetensors, extra.safetensors');
    expect(modelLine('/m', ok([['config.json', 1], ['model.safetensors', 130, true]]), 'h').fix).toBe('run git lfs pull in /m on h');
    expect(modelLine('/m', ok([['config.json', 1], ['model.safetensors', 0]]), 'h').message).toBe('model.safetensors is empty');
    expect(modelLine('/m', ok([['config.json', 1]]), 'h').message).toBe('no model.safetensors, pytorch_model.bin or shard set');
    expect(modelLine('/m', { kind: 'missing' }, 'h').message).toBe('/m does not exist on h');
  });
});

describe('run and env', () => {
  const cmd = { command: 'conda activate rdt && python -c "import torch"', timeoutSeconds: 120 };
  it.each([
    [['bash: line 1: conda: command not found'], 127, /conda is not on the login PATH/],
    [["CondaError: Run 'conda init' before 'conda activate'"], 1, /conda shell\.bash hook/],
    [['EnvironmentNameNotFound: Could not find conda environment: rdt'], 1, /conda env list/],
    [["ModuleNotFoundError: No module named 'torch.cuda'"], 1, /pip install torch\)$/],
    [['weird'], 2, /run it by hand on h/],
  ])('%j (exit %d) -> a fix that fits', (tail, code, fix) => {
    const l = runLine(cmd, { code, tail }, 'h');
    expect(l.status).toBe('fail');
    expect(l.message).toBe(`exit ${code}: ${tail[tail.length - 1]}`);
    expect(l.fix).toMatch(fix);
  });
  it('passes on 0, fails on a timeout or a lost record', () => {
    expect(runLine(cmd, { code: 0, tail: ['2.3.0'] }, 'h').message).toBe('succeeded: 2.3.0');
    expect(runLine(cmd, { code: 124, tail: [] }, 'h').message).toBe('timed out after 120 s');
    expect(runLine(cmd, null, 'h').status).toBe('fail');
  });
  it('never shows a variable value', () => {
    expect(envLine('HF_TOKEN', { kind: 'set', length: 37 }, 'h').message).toBe('HF_TOKEN is set (37 characters)');
    expect(envLine('HF_TOKEN', { kind: 'empty' }, 'h').status).toBe('warn');
    expect(envLine('HF_TOKEN', { kind: 'unset' }, 'h').fix).toBe('add export HF_TOKEN=... to ~/.profile (or ~/.bash_profile) on h');
    expect(envLine('HF_TOKEN', undefined, 'h').status).toBe('fail');
  });
});

describe('output', () => {
  it('one line per check, marks as text, remote control characters neutralised', () => {
    const l = runLine({ command: 'x', timeoutSeconds: 1 }, { code: 1, tail: ['\x1b[2Jboom\x07'] }, 'h');
    expect(formatLine(l, false)).toBe('✗ run x: exit 1: boom; fix: run it by hand on h to see the whole output');
    expect(formatLine({ ...l, status: 'pass', fix: null }, true)).toMatch(/^\x1b\[32m✓\x1b\[0m run x: /);
    expect(summarize([l, { ...l, status: 'warn' }, { ...l, status: 'pass' }])).toEqual({ passed: 1, warnings: 1, failed: 1 });
    expect(gib(512)).toBe('512 B');
    expect(gib(1536)).toBe('1.5 KiB');
  });
});

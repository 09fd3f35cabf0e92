// Which GPUs a launch gets: free ones (no process, no claim, enough memory), least busy first; a
// refusal names who holds what; pins are taken as given; a relaunch gets its old GPUs when free.
import { describe, expect, it } from 'vitest';
import type { Gpu, GpuHostReport } from '../../../src/domain/types.js';
import { parseClaim, parseGpuList, pickGpus } from '../../../src/parse/gpu-pick.js';
import { parseGpusFlag } from '../../../src/commands/new.js';
import { newestComplete, relaunchArgv } from '../../../src/commands/relaunch.js';
import { nextFreeName, parseRecord } from '../../../src/remote/run-record.js';

const gpu = (index: number, util: number, usedMiB = 500, procs: Gpu['processes'] = []): Gpu => ({
  index, name: 'H100', uuid: `GPU-${index}`, utilizationPercent: util, memoryUsedMiB: usedMiB, memoryTotalMiB: 81559, temperatureC: 40, powerW: 100, powerLimitW: 700, processes: procs,
});
const rep = (...gpus: Gpu[]): GpuHostReport => ({ name: 'a', status: 'ok', error: null, driver: '590', gpus });
const req = { host: 'a', count: 2, pinned: null, minFreeMiB: 2048 };

describe('pickGpus', () => {
  it('takes free GPUs, the least busy first, returned in index order', () => {
    const r = pickGpus(rep(gpu(0, 50), gpu(1, 3), gpu(2, 0), gpu(3, 10)), [], req);
    expect(r).toEqual({ ok: true, value: { gpus: [1, 2], busyPinned: [] } });
  });

  it('skips GPUs with a process, a claim or too little memory, and says so when too few are left', () => {
    const r = pickGpus(
      rep(gpu(0, 99, 30000, [{ pid: 7, name: '/usr/bin/python3', usedMemoryMiB: 29000, run: 'a:sft' }]), gpu(1, 0), gpu(2, 0, 80000), gpu(3, 0, 500, [{ pid: 9, name: 'python', usedMemoryMiB: 100, run: null }])),
      [{ run: 'a:eval', gpus: [1] }],
      req,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('refused');
      expect(r.error.message).toBe('a has 0 free GPUs of 4, 2 asked: GPU 0 held by a:sft; GPU 1 claimed by a:eval, starting; GPU 2 only 1.5 GiB free; GPU 3 held by pid 9 (python). Wait for one, pin GPUs with --gpus 0,1, or lower --min-free-gib');
    }
  });

  it('pins as given, warning about the busy ones; an unknown index is a usage error', () => {
    const busy = gpu(0, 99, 30000, [{ pid: 7, name: 'python', usedMemoryMiB: 29000, run: 'a:sft' }]);
    expect(pickGpus(rep(busy, gpu(1, 0)), [], { ...req, pinned: [0, 1] })).toEqual({ ok: true, value: { gpus: [0, 1], busyPinned: ['GPU 0 held by a:sft'] } });
    const bad = pickGpus(rep(busy, gpu(1, 0)), [], { ...req, pinned: [5] });
    expect(!bad.ok && bad.error).toMatchObject({ kind: 'usage', message: 'a has no GPU 5 (it has 0, 1)' });
  });

  it('gives a relaunch its old GPUs when they are all free, else any free ones', () => {
    expect(pickGpus(rep(gpu(0, 0), gpu(1, 50), gpu(2, 60)), [], { ...req, prefer: [1, 2] })).toMatchObject({ ok: true, value: { gpus: [1, 2] } });
    expect(pickGpus(rep(gpu(0, 0), gpu(1, 50), gpu(2, 60)), [{ run: 'a:x', gpus: [2] }], { ...req, prefer: [1, 2] })).toMatchObject({ ok: true, value: { gpus: [0, 1] } });
  });

  it('reads flags and claims strictly', () => {
    expect(parseGpuList('0,3')).toEqual([0, 3]);
    expect(parseGpuList('3,')).toEqual([3]);
    expect(parseGpuList('2')).toBeNull();
    expect(parseClaim('1,3')).toEqual([1, 3]);
    expect(parseClaim('1;rm')).toEqual([]);
    expect(parseGpusFlag('2', undefined)).toEqual({ ok: true, value: { count: 2, pinned: null, minFreeMiB: 2048 } });
    expect(parseGpusFlag('0,3', '10')).toEqual({ ok: true, value: { count: null, pinned: [0, 3], minFreeMiB: 10240 } });
    expect(parseGpusFlag('two', undefined)).toMatchObject({ ok: false, error: { kind: 'usage' } });
    expect(parseGpusFlag(undefined, '4')).toMatchObject({ ok: false, error: { message: 'new: --min-free-gib goes with --gpus N' } });
  });
});

describe('relaunch pieces', () => {
  const ck = (name: string, step: number, size: number, formats: string[] = ['safetensors']) => ({ name, path: `/c/${name}`, step, sizeBytes: size, modifiedAt: null, formats: formats as never });
  it('resumes from the newest checkpoint with its weights that is not cut short', () => {
    expect(newestComplete([ck('c-100', 100, 1000), ck('c-200', 200, 1000)])?.name).toBe('c-200');
    expect(newestComplete([ck('c-100', 100, 1000), ck('c-200', 200, 300)])?.name).toBe('c-100');
    expect(newestComplete([ck('c-100', 100, 1000), ck('c-200', 200, 1000, [])])?.name).toBe('c-100');
    expect(newestComplete([ck('c-200', 200, 1000, [])])).toBeNull();
    // one still being written (the listing says so) is not resumed from
    expect(newestComplete([ck('c-100', 100, 1000), { ...ck('c-200', 200, 1000), writing: true }])?.name).toBe('c-100');
  });

  it('reads the record (NUL-separated, base64 JSON argv) and builds the argv with the resume words', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
    const out = Buffer.from(['$3 1764842400 1', b64(['python', 'a b', '{checkpoint}']), 'python "a b"', b64({ HF_HOME: '/x' }), '/w', '/w/t.log', '/w/ck', '1,3', 'sft', 'sft-2', ''].join('\0'));
    const rec = parseRecord(out, 'sft')!;
    expect(rec).toMatchObject({ id: '$3', createdAt: 1764842400, alive: false, argv: ['python', 'a b', '{checkpoint}'], env: { HF_HOME: '/x' }, cwd: '/w', gpus: [1, 3], taken: ['sft', 'sft-2'] });
    expect(nextFreeName('sft', rec.taken)).toBe('sft-3');
    expect(relaunchArgv(rec, { rule: ['--resume_from_checkpoint', '{checkpoint}'], checkpoint: '/w/ck/c-200' })).toEqual({ ok: true, value: ['python', 'a b', '{checkpoint}', '--resume_from_checkpoint', '/w/ck/c-200'] });
    expect(relaunchArgv({ ...rec, argv: null, display: null }, null)).toMatchObject({ ok: false, error: { kind: 'refused' } });
    expect(relaunchArgv({ ...rec, argv: null }, null)).toEqual({ ok: true, value: ['sh', '-c', 'python "a b"'] });
  });
});

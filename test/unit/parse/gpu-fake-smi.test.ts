// The project's fake nvidia-smi behaves like the real one where rtk-tui depends on it.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVER_ERROR, installFakeNvidiaSmi, setFakeGpuProcesses } from '../../../src/demo/fake-nvidia-smi.js';
import { parseCsv, parseHelpQueryGpu } from '../../../src/parse/nvidia-smi.js';
import { suite } from '../../helpers/require.js';

const FX = new URL('../../fixtures/gpu/', import.meta.url).pathname;
const WIN = join(FX, 'nge_windows-rtx-2080-super_591.86_query-gpu-all-fields_load.txt');
const built = existsSync(new URL('../../../dist/demo/fake-nvidia-smi.js', import.meta.url));
const run = promisify(execFile);

async function smi(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string }> {
  try {
    const r = await run(bin, args, { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout };
  } catch (e) {
    const x = e as { code: number; stdout: string };
    return { code: x.code, stdout: x.stdout };
  }
}

suite(built ? null : 'dist/ is not built (npm test builds it first)', 'fake nvidia-smi', () => {
  let dir: string;
  let bin: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtk-fake-smi-'));
    bin = installFakeNvidiaSmi(dir, { capture: WIN });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a #!/bin/sh wrapper that execs node on dist/demo/fake-nvidia-smi.js', () => {
    const text = readFileSync(bin, 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain(`exec ${process.execPath} `);
    expect(text).toMatch(/dist\/demo\/fake-nvidia-smi\.js "\$@"/);
  });

  it('answers exactly the fields asked, in order, without units under nounits', async () => {
    const r = await smi(bin, ['--query-gpu=memory.used,index,gpu_name,power.draw,temperature.memory,fan.speed', '--format=csv,noheader,nounits']);
    expect(r).toEqual({ code: 0, stdout: '1296, 0, NVIDIA GeForce RTX 2080 SUPER, 97.43, N/A, 38\n' });
    const h = await smi(bin, ['--query-gpu', 'index,memory.used,fan.speed', '--format=csv']);
    expect(h.stdout).toBe('index, memory.used [MiB], fan.speed [%]\n0, 1296 MiB, 38 %\n');
  });

  it('refuses an unknown field with nvidia-smi’s text and exit 2', async () => {
    expect(await smi(bin, ['--query-gpu=index,bogus.field', '--format=csv,noheader'])).toEqual({ code: 2, stdout: 'Field "bogus.field" is not a valid field to query.\n\n' });
  });

  it('lists the capture’s fields in --help-query-gpu, and -L', async () => {
    const fields = parseHelpQueryGpu((await smi(bin, ['--help-query-gpu'])).stdout);
    expect(fields.has('driver_model.current')).toBe(true);
    expect(fields.size).toBe(parseCsv(readFileSync(WIN, 'utf8')).fields.length);
    expect((await smi(bin, ['-L'])).stdout).toBe('GPU 0: NVIDIA GeForce RTX 2080 SUPER (UUID: GPU-00000000-0000-0000-0000-000000000000)\n');
  });

  it('-lms loops, one flushed sample per period, until killed', async () => {
    const p = spawn(bin, ['--query-gpu=timestamp,index,utilization.gpu', '--format=csv,noheader,nounits', '-lms', '100']);
    const lines: string[] = [];
    await new Promise<void>((res) => {
      p.stdout.on('data', (d: Buffer) => {
        lines.push(...d.toString().split('\n').filter(Boolean));
        if (lines.length >= 3) res();
      });
    });
    p.kill();
    expect(lines.slice(0, 3).every((l) => /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{3}, 0, 7$/.test(l))).toBe(true);
  });

  it('compute apps come from the procs file, only for live pids', async () => {
    setFakeGpuProcesses(dir, [{ pid: process.pid, usedMemoryMiB: 4321, name: 'python train.py' }, { pid: 2 ** 22 + 7, usedMemoryMiB: 1 }]);
    const r = await smi(bin, ['--query-compute-apps=gpu_uuid,pid,process_name,used_memory', '--format=csv,noheader,nounits']);
    expect(r.stdout).toBe(`GPU-00000000-0000-0000-0000-000000000000, ${process.pid}, python train.py, 4321\n`);
    setFakeGpuProcesses(dir, []);
    expect((await smi(bin, ['--query-compute-apps=pid', '--format=csv,noheader'])).stdout).toBe('');
    expect((await smi(bin, ['--query-compute-apps=pid,used_gpu_memory', '--format=csv'])).stdout).toBe('pid, used_gpu_memory [MiB]\n');
  });

  it('failing mode: the driver error and exit 9; help still answers', async () => {
    const f = installFakeNvidiaSmi(join(dir, 'failing'), { mode: 'failing' });
    expect(await smi(f, ['--query-gpu=index', '--format=csv'])).toEqual({ code: 9, stdout: `${DRIVER_ERROR}\n\n` });
    expect((await smi(f, ['--help-query-gpu'])).code).toBe(0);
  });

  it('demo mode: busy while a listed process lives, idle otherwise', async () => {
    const d = installFakeNvidiaSmi(join(dir, 'demo'), { mode: 'demo' });
    const q = ['--query-gpu=index,utilization.gpu,memory.used,memory.total,power.draw,power.limit', '--format=csv,noheader,nounits'];
    const busy = (await smi(d, q, { RTK_FAKE_SMI_PIDS: `${process.pid}:30000` })).stdout.split(', ').map(Number);
    expect(busy[0]).toBe(0);
    expect(busy[1]).toBeGreaterThanOrEqual(83);
    expect(busy[2]).toBeGreaterThan(30000);
    expect(busy[3]).toBe(81920);
    expect(busy[5]).toBe(400);
    const idle = (await smi(d, q, { RTK_FAKE_SMI_PIDS: '' })).stdout.split(', ').map(Number);
    expect(idle[1]).toBe(0);
    const apps = await smi(d, ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { RTK_FAKE_SMI_PIDS: `${process.pid}:30000` });
    expect(apps.stdout).toBe(`${process.pid}, 30000\n`);
  });
});

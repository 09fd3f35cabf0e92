// sources/gpus against the project's fake nvidia-smi on the local host (real processes, real sh),
// and GpuStream against a strict fake transport with fake timers.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DRIVER_ERROR, installFakeNvidiaSmi, setFakeGpuProcesses } from '../../../src/demo/fake-nvidia-smi.js';
import { err, ok, type GpuHostReport, type HostSpec, type Result, type RtkError } from '../../../src/domain/types.js';
import type { ExecResult, Host, StreamHandle } from '../../../src/remote/host.js';
import { LocalHost } from '../../../src/remote/local.js';
import { collectGpus, GpuStream, probeGpus } from '../../../src/sources/gpus.js';
import { suite } from '../../helpers/require.js';

const FX = new URL('../../fixtures/gpu/', import.meta.url).pathname;
const built = existsSync(new URL('../../../dist/demo/fake-nvidia-smi.js', import.meta.url));
const spec: HostSpec = { name: 'local', local: true };

// the fake runs dist/ (the built copy): `npm test` builds first
suite(built ? null : 'dist/ is not built (npm test builds it first)', 'collectGpus with the fake nvidia-smi on the local host', () => {
  let dir: string;
  let kids: ChildProcess[] = [];
  const host = () => new LocalHost('local', { ...process.env, PATH: `${dir}:${process.env.PATH}` });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtk-gpu-'));
  });
  afterAll(() => {
    for (const k of kids) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const psFields = { user: expect.any(String), cpuPercent: expect.any(Number), rssMiB: expect.any(Number), elapsedSeconds: expect.any(Number) };
  it('reports the capture’s numbers and maps a DDP-like child of a pane to its run', async () => {
    installFakeNvidiaSmi(dir, { capture: join(FX, 'nge_h100-80gb-hbm3_590.48.01_query-gpu-all-fields_load.txt') });
    // the "pane": sh with a child that plays the GPU process
    const pane = spawn('sh', ['-c', 'sleep 60 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    kids.push(pane);
    const childPid = await new Promise<number>((res) => pane.stdout!.once('data', (d: Buffer) => res(Number(d.toString().trim()))));
    setFakeGpuProcesses(dir, [{ pid: childPid, usedMemoryMiB: 17000, name: 'python' }, { pid: 1, usedMemoryMiB: 5 }]);
    const r = await collectGpus(host(), spec, [{ runId: 'local:train', panePid: pane.pid! }]);
    expect(r).toEqual({
      name: 'local',
      status: 'ok',
      error: null,
      driver: '590.48.01',
      gpus: [
        {
          index: 0,
          name: 'NVIDIA H100 80GB HBM3',
          uuid: 'GPU-00000000-0000-0000-0000-000000000000',
          utilizationPercent: 100,
          memoryUsedMiB: 19818,
          memoryTotalMiB: 81559,
          temperatureC: 59,
          powerW: 631.95,
          powerLimitW: 700,
          smClockMHz: 1980,
          memClockMHz: 2619,
          // what ps says of each process comes in the same exec (the zoomed GPU view shows it)
          processes: [
            { pid: childPid, name: 'python', usedMemoryMiB: 17000, run: 'local:train', ...psFields, command: 'sleep 60' },
            { pid: 1, name: expect.any(String), usedMemoryMiB: 5, run: null, ...psFields, command: expect.any(String) },
          ],
        },
      ],
    });
  });

  it('an old driver (510, fields missing from its help) is asked only what it knows', async () => {
    installFakeNvidiaSmi(dir, { capture: join(FX, 'netdata_tesla-p100_510.47.03_csv-nounits.txt') });
    setFakeGpuProcesses(dir, []);
    const h = host();
    const p = await probeGpus(h, spec);
    expect(p).toEqual({ ok: true, value: { source: 'nvidia-smi', bin: 'nvidia-smi', fields: ['uuid', 'name', 'utilization.gpu', 'memory.used', 'temperature.gpu', 'power.draw', 'clocks.current.sm', 'clocks.current.memory'] } });
    const r = await collectGpus(h, spec);
    expect(r.status).toBe('ok');
    expect(r.gpus).toEqual([
      { index: 0, name: 'Tesla P100-PCIE-16GB', uuid: 'GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6', utilizationPercent: 0, memoryUsedMiB: 0, memoryTotalMiB: null, temperatureC: 37, powerW: 28.16, powerLimitW: null, smClockMHz: 405, memClockMHz: 715, processes: [] },
    ]);
  });

  it('reads the process table only when some process uses a GPU', async () => {
    installFakeNvidiaSmi(dir, { capture: join(FX, 'nge_h100-80gb-hbm3_590.48.01_query-gpu-all-fields_load.txt') });
    const calls = join(dir, 'ps.calls');
    writeFileSync(join(dir, 'ps'), `#!/bin/sh\necho x >> '${calls}'\nPATH=/usr/bin:/bin exec ps "$@"\n`, { mode: 0o755 });
    const count = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean).length : 0);
    setFakeGpuProcesses(dir, []);
    expect((await collectGpus(host(), spec)).status).toBe('ok');
    expect(count()).toBe(0);
    setFakeGpuProcesses(dir, [{ pid: process.pid, usedMemoryMiB: 1 }]);
    expect((await collectGpus(host(), spec)).gpus[0]!.processes).toHaveLength(1);
    expect(count()).toBe(1);
    rmSync(join(dir, 'ps'));
  });

  it('missing nvidia-smi → no-gpu; failing driver → error with its message', async () => {
    installFakeNvidiaSmi(dir, { mode: 'missing' });
    expect(existsSync(join(dir, 'nvidia-smi'))).toBe(false);
    // a PATH holding sh alone (the probe needs nothing else): a real nvidia-smi on this machine
    // cannot answer for the missing one
    const bare = join(dir, 'bare-bin');
    mkdirSync(bare, { recursive: true });
    if (!existsSync(join(bare, 'sh'))) symlinkSync('/bin/sh', join(bare, 'sh'));
    const noPath = new LocalHost('local', { ...process.env, PATH: bare });
    expect(await collectGpus(noPath, spec)).toEqual({ name: 'local', status: 'no-gpu', error: null, driver: null, gpus: [] });
    installFakeNvidiaSmi(dir, { mode: 'failing' });
    expect(await collectGpus(host(), spec)).toEqual({ name: 'local', status: 'error', error: DRIVER_ERROR, driver: null, gpus: [] });
  });
});

// ----------------------------------------------------------------------------------------------
// A strict fake transport: every exec must match an expectation, else the test fails.

interface FakeStream extends StreamHandle {
  data(s: string | Buffer): void;
  end(code: number | null, e?: RtkError | null): void;
  closed: boolean;
}

function fakeStream(): FakeStream {
  let onData: (b: Buffer) => void = () => undefined;
  let onClose: (c: number | null, e: RtkError | null) => void = () => undefined;
  const s: FakeStream = {
    closed: false,
    onData: (cb) => void (onData = cb),
    onStderr: () => undefined,
    onClose: (cb) => void (onClose = cb),
    close: () => void (s.closed = true),
    data: (t) => onData(Buffer.isBuffer(t) ? t : Buffer.from(t)),
    end: (c, e = null) => onClose(c, e),
  };
  return s;
}

class StrictHost implements Host {
  readonly local = false;
  execs: string[] = [];
  streams: { cmd: string; s: FakeStream }[] = [];
  constructor(
    readonly name: string,
    private answer: (cmd: string) => Result<ExecResult>,
    private streamAnswer: () => Result<FakeStream> = () => ok(fakeStream()),
  ) {}
  async exec(cmd: string): Promise<Result<ExecResult>> {
    this.execs.push(cmd);
    return this.answer(cmd);
  }
  async stream(cmd: string): Promise<Result<StreamHandle>> {
    const r = this.streamAnswer();
    if (r.ok) this.streams.push({ cmd, s: r.value });
    return r;
  }
  state() {
    return { name: this.name, phase: 'connected' as const, status: 'connected' as const, error: null, latencyMs: 1, lastOkAt: 0 };
  }
  onState() {
    return () => undefined;
  }
  async connect() {
    return ok(undefined);
  }
  async close() {}
}

const M = (cmd: string) => /M='?(@@RTK-GPU-[0-9a-f]+)/.exec(cmd)![1]!;
const out = (s: string): Result<ExecResult> => ok({ code: 0, stdout: Buffer.from(s), stderr: Buffer.alloc(0) });
const HELP = ['"timestamp"', '"index"', '"uuid" or "gpu_uuid"', '"name"', '"utilization.gpu"', '"memory.used"', '"memory.total"', '"power.draw.instant"'].join('\n\n');

function gpuHost(opts: { apps?: () => string; gpuRows?: string; rejectInstant?: boolean } = {}) {
  return new StrictHost('h', (cmd) => {
    const m = M(cmd);
    if (cmd.includes('--help-query-gpu')) return out(`${m} help\n${HELP}\n\n${m} rc 0\n${m} done\n`);
    const apps = opts.apps?.() ?? '';
    const tail = `${m} apps\n${apps}\n${m} rc 0\n${m} panes\n100 train\n${m} ps\n  200 100 python\n\n${m} done\n`;
    if (cmd.includes('--query-gpu=')) {
      if (opts.rejectInstant && cmd.includes('power.draw.instant')) return out(`${m} gpu\nField "power.draw.instant" is not a valid field to query.\n\n${m} rc 2\n${tail}`);
      return out(`${m} gpu\n${opts.gpuRows ?? 'T0, 0, GPU-a, A100, 50, 1000, 80000, 300.5'}\n${m} rc 0\n${tail}`);
    }
    if (cmd.includes('--query-compute-apps=')) return out(tail);
    throw new Error(`unexpected command: ${cmd}`);
  });
}

describe('collectGpus against a strict fake transport', () => {
  it('asks once for help, then once for everything; processes map through ps to the pane’s run', async () => {
    const h = gpuHost({ apps: () => 'GPU-a, 200, python, 900' });
    const r = await collectGpus(h, spec);
    expect(r.gpus[0]).toMatchObject({ index: 0, name: 'A100', utilizationPercent: 50, powerW: 300.5, processes: [{ pid: 200, name: 'python', usedMemoryMiB: 900, run: 'local:train' }] });
    expect(h.execs).toHaveLength(2);
    await collectGpus(h, spec);
    expect(h.execs).toHaveLength(3); // probed once per host
  });
  it('a field the driver refuses is dropped and the query retried', async () => {
    const h = gpuHost({ rejectInstant: true, gpuRows: 'T0, 0, GPU-a, A100, 50, 1000, 80000' });
    const r = await collectGpus(h, spec);
    expect(r.status).toBe('ok');
    expect(r.gpus[0]!.powerW).toBeNull();
  });
  it('gpuSource: gpustat uses `gpustat --json` and maps its processes too', async () => {
    const json = JSON.stringify({ hostname: 'h', driver_version: '535.129.03', gpus: [{ index: 0, uuid: 'GPU-a', name: 'A800', 'temperature.gpu': 65, 'utilization.gpu': 98, 'power.draw': 350, 'enforced.power.limit': 400, 'memory.used': 71234, 'memory.total': 81920, processes: [{ pid: 200, command: 'python', gpu_memory_usage: 70000 }] }] });
    const h = new StrictHost('h', (cmd) => {
      const m = M(cmd);
      if (cmd.includes('command -v gpustat')) return out(`${m} gpustat\n${m} done\n`);
      if (cmd.includes('gpustat --json')) return out(`${m} gpu\n${json}\n${m} rc 0\n${m} panes\n100 train\n${m} ps\n200 100 python\n${m} done\n`);
      throw new Error(`unexpected command: ${cmd}`);
    });
    expect(await collectGpus(h, { ...spec, gpuSource: 'gpustat' })).toEqual({
      name: 'local',
      status: 'ok',
      error: null,
      driver: '535.129.03',
      gpus: [{ index: 0, name: 'A800', uuid: 'GPU-a', utilizationPercent: 98, memoryUsedMiB: 71234, memoryTotalMiB: 81920, temperatureC: 65, powerW: 350, powerLimitW: 400, processes: [{ pid: 200, name: 'python', usedMemoryMiB: 70000, run: 'local:train' }] }],
    });
  });
  it('one GPU lost among several: the others are shown, with nvidia-smi’s sentence as the error', async () => {
    const lost = 'Unable to determine the device handle for GPU0000:3B:00.0: GPU is lost.  Reboot the system to recover this GPU';
    const h = new StrictHost('h', (cmd) => {
      const m = M(cmd);
      if (cmd.includes('--help-query-gpu')) return out(`${m} help\n"index"\n\n"name"\n\n${m} rc 0\n${m} done\n`);
      return out(`${m} gpu\n0, A100\n${lost}\n\n${m} rc 15\n${m} apps\n\n${m} rc 0\n${m} panes\n${m} ps\n${m} done\n`);
    });
    const r = await collectGpus(h, spec);
    expect(r).toMatchObject({ status: 'ok', error: lost, gpus: [{ index: 0, name: 'A100' }] });
  });
  it('an nvidia-smi off the non-login PATH (containers, WSL) is found and used by its path', async () => {
    const h = new StrictHost('h', (cmd) => {
      const m = M(cmd);
      if (cmd.includes('--help-query-gpu')) return out(`${m} bin\n/usr/lib/wsl/lib/nvidia-smi\n${m} help\n"index"\n\n"name"\n\n${m} rc 0\n${m} done\n`);
      if (cmd.includes("/usr/lib/wsl/lib/nvidia-smi --query-gpu=index,name ")) return out(`${m} gpu\n0, RTX 4090\n${m} rc 0\n${m} apps\n\n${m} rc 0\n${m} panes\n${m} ps\n${m} done\n`);
      throw new Error(`unexpected command: ${cmd}`);
    });
    const r = await collectGpus(h, spec);
    expect(r.status).toBe('ok');
    expect(r.gpus[0]!.name).toBe('RTX 4090');
    expect(h.execs[1]).toContain('a=$(/usr/lib/wsl/lib/nvidia-smi --query-compute-apps=');
  });
  it('unreachable hosts are reports, not exceptions', async () => {
    const h = new StrictHost('h', () => err('unreachable', 'h is unreachable: connect ECONNREFUSED 127.0.0.2:22'));
    expect(await collectGpus(h, spec)).toEqual({ name: 'local', status: 'unreachable', error: 'h is unreachable: connect ECONNREFUSED 127.0.0.2:22', driver: null, gpus: [] });
  });
});

describe('GpuStream', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  it('emits each -lms sample as it completes, merges polled processes, restarts after a drop', async () => {
    vi.useFakeTimers();
    let apps = '';
    const h = gpuHost({ apps: () => apps, gpuRows: 'T0, 0, GPU-a, A100, 50, 1000, 80000, 300.5\nT0, 1, GPU-b, A100, 0, 0, 80000, 60' });
    const reports: GpuHostReport[] = [];
    const s = new GpuStream(h, spec, { intervalMs: 1000, appsEveryMs: 5000, onReport: (r) => reports.push(r) });
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(reports).toHaveLength(1);
    expect(h.streams).toHaveLength(1);
    expect(h.streams[0]!.cmd).toBe('exec nvidia-smi --query-gpu=timestamp,index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw.instant --format=csv,noheader,nounits -lms 1000');
    const st = h.streams[0]!.s;
    st.data('T1, 0, GPU-a, A100, 9');
    st.data('7, 2000, 80000, 310\r\nT1, 1, GPU-b, A100, 1, 5, 80000, 61\n');
    expect(reports).toHaveLength(2);
    expect(reports[1]!.gpus.map((g) => g.utilizationPercent)).toEqual([97, 1]);
    apps = 'GPU-b, 200, python, 700';
    await vi.advanceTimersByTimeAsync(5000);
    const last = reports.at(-1)!;
    expect(last.gpus[1]!.processes).toEqual([{ pid: 200, name: 'python', usedMemoryMiB: 700, run: 'local:train' }]);
    st.data('T2, 0, GPU-a, A100, 3, 2000, 80000, 310\nT2, 1, GPU-b, A100, 4, 5, 80000, 61\n');
    expect(reports.at(-1)!.gpus[1]!.processes[0]!.pid).toBe(200); // processes survive the next sample
    st.end(null, { kind: 'unreachable', message: 'h dropped' });
    expect(reports.at(-1)).toMatchObject({ status: 'unreachable', error: 'h dropped' });
    await vi.advanceTimersByTimeAsync(1300);
    expect(h.streams).toHaveLength(2);
    s.stop();
    expect(h.streams[1]!.s.closed).toBe(true);
    const n = reports.length;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(reports).toHaveLength(n); // nothing after stop
  });
  it('polls compute apps only while a GPU’s memory moves, else every 30 s', async () => {
    vi.useFakeTimers();
    const h = gpuHost();
    const s = new GpuStream(h, spec, { intervalMs: 1000, appsEveryMs: 5000, onReport: () => undefined });
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    const polls = () => h.execs.filter((c) => c.includes('--query-compute-apps') && !c.includes('--query-gpu')).length;
    const sample = (mem: number) => h.streams[0]!.s.data(`T, 0, GPU-a, A100, 50, ${mem}, 80000, 300\n`);
    for (let t = 0; t < 25; t++) {
      sample(1000 + (t % 2) * 8); // jitter below the threshold
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(polls()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(polls()).toBe(1);
    sample(9000); // a process started
    await vi.advanceTimersByTimeAsync(5000);
    expect(polls()).toBe(2);
    s.refresh();
    await vi.advanceTimersByTimeAsync(0);
    expect(polls()).toBe(3);
    s.stop();
  });
  it('a UTF-8 name split across chunks arrives whole', async () => {
    vi.useFakeTimers();
    const h = gpuHost();
    const reports: GpuHostReport[] = [];
    const s = new GpuStream(h, spec, { onReport: (r) => reports.push(r) });
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    const bytes = Buffer.from('T, 0, GPU-a, Tesla Ü100, 50, 1000, 80000, 300\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of Ü
    h.streams[0]!.s.data(bytes.subarray(0, cut));
    h.streams[0]!.s.data(bytes.subarray(cut));
    expect(reports.at(-1)!.gpus[0]!.name).toBe('Tesla Ü100');
    s.stop();
  });
  it('a sampler that goes quiet is closed, reported and restarted', async () => {
    vi.useFakeTimers();
    const h = gpuHost();
    const reports: GpuHostReport[] = [];
    const s = new GpuStream(h, spec, { intervalMs: 1000, onReport: (r) => reports.push(r) });
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    h.streams[0]!.s.data('T, 0, GPU-a, A100, 50, 1000, 80000, 300\n');
    await vi.advanceTimersByTimeAsync(9_000);
    expect(h.streams[0]!.s.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(h.streams[0]!.s.closed).toBe(true);
    expect(reports.at(-1)).toMatchObject({ status: 'error', error: 'nvidia-smi on local printed nothing for 10 s; restarting it.' });
    await vi.advanceTimersByTimeAsync(1_300);
    expect(h.streams).toHaveLength(2);
    h.streams[0]!.s.end(143); // the late close of the old one changes nothing
    expect(h.streams).toHaveLength(2);
    s.stop();
  });
  it('a driver failure in the stream becomes an error report with nvidia-smi’s sentence', async () => {
    vi.useFakeTimers();
    const h = gpuHost();
    const reports: GpuHostReport[] = [];
    const s = new GpuStream(h, spec, { onReport: (r) => reports.push(r) });
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    h.streams[0]!.s.data(`${DRIVER_ERROR}\n`);
    h.streams[0]!.s.end(9);
    expect(reports.at(-1)).toEqual({ name: 'local', status: 'error', error: DRIVER_ERROR, driver: null, gpus: [] });
    s.stop();
  });
});

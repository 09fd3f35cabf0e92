import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGpustatJson } from '../../../src/parse/gpustat.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/gpu/${name}`, import.meta.url), 'utf8');

describe('gpustat --json', () => {
  it('gpustat ~0.6 capture (no driver_version, no fan.speed)', () => {
    const r = parseGpustatJson(fx('gpustat-json_4x-gtx1080ti_2019_littleRpl-blog.txt'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.hostname).toBe('roo-21');
    expect(r.value.driver).toBeNull();
    expect(r.value.gpus.map((g) => [g.index, g.utilizationPercent, g.memoryUsedMiB, g.memoryTotalMiB, g.temperatureC, g.powerW, g.powerLimitW, g.processes.length])).toEqual([
      [0, 2, 612, 11164, 53, 57, 250, 6],
      [1, 0, 2, 11172, 37, 9, 250, 0],
      [2, 0, 2, 11172, 34, 10, 250, 0],
      [3, 0, 2, 11172, 24, 9, 250, 0],
    ]);
    expect(r.value.gpus[0]!.name).toBe('GeForce GTX 1080 Ti');
    expect(r.value.gpus[0]!.uuid).toBe('GPU-4f085884-4260-a21e-25b1-2fa2e6f72f8c');
    expect(r.value.gpus[0]!.processes[2]).toEqual({ pid: 2205, name: 'Xorg', usedMemoryMiB: 231, run: null });
  });
  it('nulls, processes null, an InvalidGPU entry, login noise before the JSON', () => {
    const text = 'Welcome!\n{"driver_version": "535.129.03", "gpus": [{"index": 0, "name": "((Unknown Error))", "uuid": null, "temperature.gpu": null, "utilization.gpu": null, "power.draw": null, "enforced.power.limit": null, "memory.used": null, "memory.total": null, "processes": null}]}';
    const r = parseGpustatJson(text);
    expect(r).toEqual({
      ok: true,
      value: {
        hostname: null,
        driver: '535.129.03',
        gpus: [{ index: 0, name: '((Unknown Error))', uuid: null, utilizationPercent: null, memoryUsedMiB: null, memoryTotalMiB: null, temperatureC: null, powerW: null, powerLimitW: null, processes: [] }],
      },
    });
  });
  it('errors as values', () => {
    expect(parseGpustatJson('').ok).toBe(false);
    expect(parseGpustatJson('{"gpus": 3}').ok).toBe(false);
    expect(parseGpustatJson('{"gpus": [').ok).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { renderTable } from '../../../src/commands/gpus.js';
import type { GpuHostReport } from '../../../src/domain/types.js';

const a800: GpuHostReport = {
  name: 'a800',
  status: 'ok',
  error: null,
  driver: '535.129.03',
  gpus: [
    { index: 0, name: 'NVIDIA A800-SXM4-80GB', uuid: 'GPU-a', utilizationPercent: 98, memoryUsedMiB: 71234, memoryTotalMiB: 81920, temperatureC: 65, powerW: 350.2, powerLimitW: 400, processes: [{ pid: 4242, name: '/usr/bin/python3', usedMemoryMiB: 70000, run: 'a800:training' }, { pid: 77, name: null, usedMemoryMiB: null, run: null }] },
    { index: 1, name: 'NVIDIA A800-SXM4-80GB', uuid: 'GPU-b', utilizationPercent: null, memoryUsedMiB: 4, memoryTotalMiB: 81920, temperatureC: null, powerW: null, powerLimitW: null, processes: [] },
  ],
};

describe('gpus table', () => {
  it('aligns GPUs across hosts and spells out every non-ok host', () => {
    const text = renderTable([
      a800,
      { name: 'laptop', status: 'no-gpu', error: null, driver: null, gpus: [] },
      { name: 'gpu2', status: 'error', error: 'No devices were found', driver: null, gpus: [] },
      { name: 'gpu3', status: 'unreachable', error: 'gpu3 is unreachable: connect ECONNREFUSED', driver: null, gpus: [] },
    ]);
    expect(text).toBe(
      [
        'HOST  GPU  NAME                   UTIL             MEMORY  TEMP        POWER  PROCESSES',
        'a800    0  NVIDIA A800-SXM4-80GB   98%  71234 / 81920 MiB   65C  350 / 400 W  python3/4242(70000M) a800:training, 77(-M)',
        'a800    1  NVIDIA A800-SXM4-80GB     -      4 / 81920 MiB     -            -',
        'laptop  no GPU (nvidia-smi not found)',
        'gpu2  ERROR: No devices were found',
        'gpu3  UNREACHABLE: gpu3 is unreachable: connect ECONNREFUSED',
        '',
      ].join('\n'),
    );
  });
  it('a host with a lost GPU shows the others and the warning', () => {
    const text = renderTable([{ ...a800, error: 'Unable to determine the device handle for GPU0000:3B:00.0: GPU is lost.', gpus: a800.gpus.slice(0, 1) }]);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'HOST  GPU  NAME                   UTIL             MEMORY  TEMP        POWER  PROCESSES',
      'a800  WARNING: Unable to determine the device handle for GPU0000:3B:00.0: GPU is lost.',
      'a800    0  NVIDIA A800-SXM4-80GB   98%  71234 / 81920 MiB   65C  350 / 400 W  python3/4242(70000M) a800:training, 77(-M)',
    ]);
  });
  it('colour only when asked, and the words stay', () => {
    const plain = renderTable([a800]);
    expect(plain).not.toContain('\x1b[');
    const coloured = renderTable([a800], true);
    expect(coloured).toContain('\x1b[');
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chooseGpuFields,
  classifySmiRun,
  detectSmiError,
  groupSamples,
  invalidField,
  LineSplitter,
  naToNull,
  parseComputeApps,
  parseCsv,
  parseHelpQueryGpu,
  parseListGpus,
  parseNumber,
  parseQueryGpu,
  SampleGrouper,
  splitCsvLine,
} from '../../../src/parse/nvidia-smi.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/gpu/${name}`, import.meta.url), 'utf8');
const H100 = 'GPU-00000000-0000-0000-0000-000000000000';

describe('parseQueryGpu over real captures', () => {
  const cases = [
    {
      file: 'nge_h100-80gb-hbm3_590.48.01_query-gpu-all-fields_load.txt',
      driver: '590.48.01',
      gpu: { index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: H100, utilizationPercent: 100, memoryUsedMiB: 19818, memoryTotalMiB: 81559, temperatureC: 59, powerW: 631.95, powerLimitW: 700, smClockMHz: 1980, memClockMHz: 2619, processes: [] },
    },
    {
      // MIG mode: utilization is [N/A] on MIG-enabled GPUs
      file: 'nge_h100-mig_590.48.01_query-gpu-all-fields_load.txt',
      driver: '590.48.01',
      gpu: { index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: H100, utilizationPercent: null, memoryUsedMiB: 11125, memoryTotalMiB: 81559, temperatureC: 53, powerW: 433.78, powerLimitW: 700, smClockMHz: 1980, memClockMHz: 2619, processes: [] },
    },
    {
      file: 'nge_windows-rtx-2080-super_591.86_query-gpu-all-fields_load.txt',
      driver: '591.86',
      gpu: { index: 0, name: 'NVIDIA GeForce RTX 2080 SUPER', uuid: H100, utilizationPercent: 7, memoryUsedMiB: 1296, memoryTotalMiB: 8192, temperatureC: 45, powerW: 97.43, powerLimitW: 250, smClockMHz: 2055, memClockMHz: 7500, processes: [] },
    },
    {
      // 510 driver, csv,nounits with a header, no index/memory.total/power.limit asked: index falls back to the row
      file: 'netdata_tesla-p100_510.47.03_csv-nounits.txt',
      driver: null,
      gpu: { index: 0, name: 'Tesla P100-PCIE-16GB', uuid: 'GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6', utilizationPercent: 0, memoryUsedMiB: 0, memoryTotalMiB: null, temperatureC: 37, powerW: 28.16, powerLimitW: null, smClockMHz: 405, memClockMHz: 715, processes: [] },
    },
  ];
  for (const c of cases) {
    it(c.file, () => {
      const r = parseQueryGpu(fx(c.file));
      expect(r).toEqual({ ok: true, value: { driver: c.driver, gpus: [c.gpu] } });
    });
    it(`${c.file} with CRLF line ends`, () => {
      const r = parseQueryGpu(fx(c.file).replace(/\n/g, '\r\n'));
      expect(r.ok && r.value.gpus[0]).toEqual(c.gpu);
    });
  }

  it('keeps every header column aligned, the empty cell and the N/A values included', () => {
    const t = parseCsv(fx('nge_windows-rtx-2080-super_591.86_query-gpu-all-fields_load.txt'));
    expect(t.skipped).toBe(0);
    expect(t.rows).toHaveLength(1);
    const row = t.rows[0]!;
    expect(row['fan.speed']).toBe('38 %');
    expect(row['temperature.memory']).toBeNull(); // bare N/A
    expect(row['power.management']).toBeNull(); // [Requested functionality has been deprecated]
    expect(row['platform.chassis_serial_number']).toBeNull(); // empty cell
    expect(row['driver_model.current']).toBe('WDDM');
    expect(row.hostname).toBeNull();
  });
});

describe('noheader,nounits rows', () => {
  const fields = chooseGpuFields(new Set(['timestamp', 'driver_version', 'index', 'uuid', 'name', 'utilization.gpu', 'memory.used', 'memory.total', 'temperature.gpu', 'power.draw', 'power.draw.instant', 'power.limit', 'enforced.power.limit']));
  it('chooses the preferred fields and keeps power fallbacks', () => {
    expect(fields).toEqual(['timestamp', 'driver_version', 'index', 'uuid', 'name', 'utilization.gpu', 'memory.used', 'memory.total', 'temperature.gpu', 'power.draw', 'power.draw.instant', 'power.limit', 'enforced.power.limit']);
  });
  it('falls back to power.draw.instant when power.draw is [N/A], and enforced.power.limit', () => {
    const text = '2026/01/01 00:00:00.000, 535.129.03, 0, GPU-a, NVIDIA A800-SXM4-80GB, 98, 71234, 81920, 65, [N/A], 350.2, [N/A], 400.00\n';
    const r = parseQueryGpu(text, fields);
    expect(r.ok && r.value).toEqual({
      driver: '535.129.03',
      gpus: [{ index: 0, name: 'NVIDIA A800-SXM4-80GB', uuid: 'GPU-a', utilizationPercent: 98, memoryUsedMiB: 71234, memoryTotalMiB: 81920, temperatureC: 65, powerW: 350.2, powerLimitW: 400, processes: [] }],
    });
  });
  it('maps every N/A spelling to null', () => {
    for (const v of ['[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '[GPU is lost]', '[Requested functionality has been deprecated]', '', '  ']) {
      expect(naToNull(v)).toBeNull();
    }
    expect(naToNull(' 12 ')).toBe('12');
  });
  it('honours quoted cells with commas and doubled quotes', () => {
    expect(splitCsvLine('0, "GPU, odd ""name""", 12')).toEqual(['0', 'GPU, odd "name"', '12']);
  });
  it('skips rows with the wrong column count, and says so when nothing fits', () => {
    const r = parseQueryGpu('0, a\n', ['index', 'name', 'memory.used']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.kind).toBe('parse');
  });
  it('reads numbers with and without units', () => {
    expect([parseNumber('98 %'), parseNumber('350.20 W'), parseNumber('81559 MiB'), parseNumber('.5'), parseNumber('1e9'), parseNumber('x1')]).toEqual([98, 350.2, 81559, 0.5, null, null]);
  });
});

describe('-lms loop grouping', () => {
  const fields = ['timestamp', 'index', 'utilization.gpu'];
  const rows = (text: string) => parseCsv(text, fields).rows;
  it('starts a new sample when the index repeats or goes back', () => {
    const text = 'T1, 0, 10\nT1, 1, 11\nT1, 0, 12\nT1, 1, 13\nT1, 1, 14\n';
    expect(groupSamples(rows(text)).map((s) => s.map((r) => r['utilization.gpu']))).toEqual([['10', '11'], ['12', '13'], ['14']]);
  });
  it('starts a new sample when the timestamp changes even without index', () => {
    const text = 'T1, [N/A], 1\nT2, [N/A], 2\nT2, [N/A], 3\n';
    expect(groupSamples(rows(text)).map((s) => s.length)).toEqual([1, 2]);
  });
  it('emits a sample as soon as the expected GPU count is reached', () => {
    const g = new SampleGrouper(2);
    const [a, b, c] = rows('T1, 0, 1\nT1, 1, 2\nT2, 0, 3\n');
    expect(g.push(a!)).toEqual([]);
    expect(g.push(b!)).toHaveLength(1);
    expect(g.push(c!)).toEqual([]);
    expect(g.flush()).toHaveLength(1);
  });
  it('splits a stream into lines across chunk borders and CRLF', () => {
    const s = new LineSplitter();
    expect(s.push('a, 1\r\nb,')).toEqual(['a, 1']);
    expect(s.push(' 2\nc')).toEqual(['b, 2']);
  });
});

describe('--help-query-gpu', () => {
  // format as printed by nvidia-smi 5xx (property lines, descriptions, "Section about" lines);
  // written here in that shape, not a verbatim capture
  const help = [
    'List of valid properties to query for the switch "--query-gpu":',
    '',
    '"timestamp"',
    'The timestamp of when the query was made in format "YYYY/MM/DD HH:MM:SS.msec".',
    '',
    'Section about memory properties',
    '"uuid" or "gpu_uuid"',
    'This value is the globally unique immutable alphanumeric identifier of the GPU.',
    '',
    '"compute_mode"',
    '"0: Default" means multiple contexts are allowed per device.',
    '',
    '"clocks_event_reasons.active" or "clocks_throttle_reasons.active"',
    '"power.draw.instant"',
  ].join('\r\n');
  it('collects names and aliases, not quoted description text', () => {
    expect([...parseHelpQueryGpu(help)].sort()).toEqual(['clocks_event_reasons.active', 'clocks_throttle_reasons.active', 'compute_mode', 'gpu_uuid', 'power.draw.instant', 'timestamp', 'uuid']);
  });
  it('falls back to the classic list when help gave nothing', () => {
    expect(chooseGpuFields(parseHelpQueryGpu('garbage'))).toEqual(['index', 'uuid', 'name', 'utilization.gpu', 'memory.used', 'memory.total', 'temperature.gpu', 'power.draw', 'power.limit']);
  });
  it('drops fields the driver does not know (R535 drift)', () => {
    expect(chooseGpuFields(new Set(['index', 'name', 'memory.used', 'power.draw.instant', 'enforced.power.limit']))).toEqual(['index', 'name', 'memory.used', 'power.draw.instant', 'enforced.power.limit']);
  });
});

describe('compute apps', () => {
  it('MIG load capture: three processes, with units in the values', () => {
    expect(parseComputeApps(fx('nge_h100-mig_590.48.01_query-compute-apps_load.txt'))).toEqual([
      { gpuUuid: H100, pid: 21180, name: '/root/tools/memhog', usedMemoryMiB: 2296 },
      { gpuUuid: H100, pid: 21181, name: '/root/tools/memhog', usedMemoryMiB: 1272 },
      { gpuUuid: H100, pid: 21198, name: './gpu_burn', usedMemoryMiB: 7484 },
    ]);
  });
  it('Windows/WDDM capture: memory [N/A], paths with spaces and backslashes', () => {
    const apps = parseComputeApps(fx('nge_windows-rtx-2080-super_591.86_query-compute-apps_load.txt'));
    expect(apps).toHaveLength(12);
    expect(apps[4]).toEqual({ gpuUuid: H100, pid: 20372, name: 'C:\\Program Files\\NZXT CAM\\NZXT CAM.exe', usedMemoryMiB: null });
    expect(apps.every((a) => a.usedMemoryMiB === null)).toBe(true);
  });
  it('idle capture: header only', () => {
    expect(parseComputeApps(fx('nge_h100-80gb-hbm3_590.48.01_query-compute-apps_idle-empty.txt'))).toEqual([]);
  });
  it('noheader,nounits rows in the order asked, and "No running processes found"', () => {
    expect(parseComputeApps('GPU-a, 4242, python, 70000\n')).toEqual([{ gpuUuid: 'GPU-a', pid: 4242, name: 'python', usedMemoryMiB: 70000 }]);
    expect(parseComputeApps('No running processes found\n')).toEqual([]);
  });
});

describe('errors', () => {
  const driver = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";
  it.each([
    [{ code: 127, stdout: '', stderr: 'sh: 1: nvidia-smi: not found\n' }, 'no-gpu'],
    [{ code: 9, stdout: `${driver}\n\n`, stderr: '' }, 'error'],
    [{ code: 6, stdout: '', stderr: 'No devices were found\n' }, 'error'],
    [{ code: 15, stdout: 'Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error\n', stderr: '' }, 'error'],
    [{ code: 18, stdout: 'Failed to initialize NVML: Driver/library version mismatch\n', stderr: '' }, 'error'],
    [{ code: 2, stdout: 'Field "power.draw.instant" is not a valid field to query.\n\n', stderr: '' }, 'invalid-field'],
    [{ code: 4, stdout: '', stderr: '' }, 'error'],
  ])('%j → %s', (run, kind) => {
    expect(classifySmiRun(run)?.kind).toBe(kind);
  });
  it("keeps nvidia-smi's own sentence", () => {
    expect(classifySmiRun({ code: 9, stdout: `${driver}\n`, stderr: '' })?.message).toBe(driver);
    expect(parseQueryGpu(`${driver}\n`, ['index', 'name'])).toEqual({ ok: false, error: { kind: 'exit', message: driver } });
  });
  it('healthy output is no failure, even with [GPU is lost] or [Unknown Error] cells', () => {
    expect(classifySmiRun({ code: 0, stdout: '0, [GPU is lost], [Unknown Error]\n', stderr: '' })).toBeNull();
    expect(detectSmiError('[Unknown Error]\n')).toBeNull();
  });
  it('names the invalid field', () => {
    expect(invalidField('Field "foo.bar" is not a valid field to query.\n')).toBe('foo.bar');
  });
});

it('nvidia-smi -L', () => {
  const text = 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0000)\n  MIG 1g.10gb     Device  0: (UUID: MIG-1)\nGPU 1: Tesla T4 (UUID: GPU-1111)\n';
  expect(parseListGpus(text)).toEqual([
    { index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-0000' },
    { index: 1, name: 'Tesla T4', uuid: 'GPU-1111' },
  ]);
});

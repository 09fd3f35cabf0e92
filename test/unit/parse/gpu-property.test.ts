// No GPU parser throws, whatever a host prints: random bytes, truncation, 1 MB lines, CRLF.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGpustatJson } from '../../../src/parse/gpustat.js';
import {
  classifySmiRun,
  groupSamples,
  LineSplitter,
  parseComputeApps,
  parseCsv,
  parseHelpQueryGpu,
  parseListGpus,
  parseQueryGpu,
} from '../../../src/parse/nvidia-smi.js';
import { parsePaneList, parseProcTable } from '../../../src/parse/proc-tree.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/gpu/${name}`, import.meta.url), 'utf8');
const FIELDS = ['timestamp', 'index', 'name', 'utilization.gpu', 'memory.used'];

function all(text: string): void {
  parseQueryGpu(text);
  parseQueryGpu(text, FIELDS);
  groupSamples(parseCsv(text, FIELDS).rows, 2);
  parseComputeApps(text);
  parseHelpQueryGpu(text);
  parseListGpus(text);
  classifySmiRun({ code: 1, stdout: text, stderr: text });
  parseGpustatJson(text);
  parseProcTable(text);
  parsePaneList(text, 'h');
  new LineSplitter(1000).push(text);
}

describe('GPU parsers never throw', () => {
  it('on random strings and bytes', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => {
      expect(() => all(s)).not.toThrow();
    }), { numRuns: 300 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        expect(() => all(Buffer.from(b).toString('utf8'))).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
  it('on CSV-shaped junk and every truncation of a real capture', () => {
    const cell = fc.oneof(fc.constant('[N/A]'), fc.constant('"a,b'), fc.constant(''), fc.integer().map(String), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { maxLength: 7 }).map((c) => c.join(', ')), { maxLength: 20 }), (rows) => {
        expect(() => all(rows.join('\r\n'))).not.toThrow();
      }),
      { numRuns: 200 },
    );
    const cap = fx('nge_h100-mig_590.48.01_query-gpu-all-fields_load.txt');
    for (let i = 0; i < cap.length; i += 97) expect(() => all(cap.slice(0, i))).not.toThrow();
    const json = fx('gpustat-json_4x-gtx1080ti_2019_littleRpl-blog.txt');
    for (let i = 0; i < json.length; i += 53) expect(parseGpustatJson(json.slice(0, i)).ok).toBe(false);
  });
  it('on 1 MB lines', () => {
    const big = 'x'.repeat(1 << 20);
    expect(() => all(`${big}\n0, ${big}, 1, 2\r\n"${big}`)).not.toThrow();
    const s = new LineSplitter(1000);
    expect(s.push(big)).toEqual([]);
    expect(s.push('\nok\n')).toEqual(['', 'ok']);
  });
});

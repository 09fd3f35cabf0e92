import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BlockPool, LogBuffer, sanitizeLogLine } from '../../../src/store/index.js';

describe('LogBuffer', () => {
  it('keeps the newest lines with increasing sequence numbers', () => {
    const b = new LogBuffer(3);
    for (const l of ['a', 'b', 'c', 'd', 'e']) b.push(l);
    expect(b.length).toBe(3);
    expect(b.firstSeq).toBe(2);
    expect(b.lastSeq).toBe(4);
    expect(b.slice(0, 10)).toEqual(['c', 'd', 'e']);
    expect(b.get(1)).toBeUndefined();
    expect(b.get(4)).toBe('e');
  });

  it('grows its ring up to capacity without losing order', () => {
    const b = new LogBuffer(5000);
    for (let i = 0; i < 7000; i++) b.push(`l${i}`);
    expect(b.length).toBe(5000);
    expect(b.get(2000)).toBe('l2000');
    expect(b.get(6999)).toBe('l6999');
  });

  it('ingests chunks: lines, the live partial line, markers', () => {
    const b = new LogBuffer();
    expect(b.ingest({ kind: 'lines', lines: ['epoch 1', 'x\ty'], offset: 16 })).toBe(2);
    b.ingest({ kind: 'partial', text: '\r 10%|#   |\r 20%|##  |' });
    expect(b.partial).toBe(' 20%|##  |');
    b.ingest({ kind: 'marker', text: '--- log truncated ---' });
    expect(b.slice(0, 9)).toEqual(['epoch 1', 'x       y', '--- log truncated ---']);
    expect(b.isMarker(2)).toBe(true);
    expect(b.isMarker(1)).toBe(false);
    expect(b.lastOffset).toBe(16);
    b.ingest({ kind: 'lines', lines: ['done'], offset: 30 });
    expect(b.partial).toBeNull();
  });

  it('ingests raw text across chunk boundaries, collapsing \\r rewrites', () => {
    const b = new LogBuffer();
    b.ingestText('step 1 lo');
    expect(b.length).toBe(0);
    expect(b.partial).toBe('step 1 lo');
    b.ingestText('ss 0.5\nbar  1%\rbar 50%');
    expect(b.slice(0, 9)).toEqual(['step 1 loss 0.5']);
    expect(b.partial).toBe('bar 50%');
    b.ingestText('\rbar 100%\r\n');
    expect(b.slice(0, 9)).toEqual(['step 1 loss 0.5', 'bar 100%']);
    expect(b.partial).toBeNull();
  });

  it('lets nested progress bars (ESC[A) rewrite the lines above', () => {
    const b = new LogBuffer();
    b.ingestText('bar0 10%\nbar1 5%\n\x1b[A\x1b[A\rbar0 20%\nbar1 9%\n');
    expect(b.slice(0, 9)).toEqual(['bar0 20%', 'bar1 9%']);
  });

  it('bounds an endless \\r stream', () => {
    const b = new LogBuffer(10, 64);
    for (let i = 0; i < 2000; i++) b.ingestText(`\r${'x'.repeat(i % 50)}${i}`);
    expect(b.partial?.length ?? 0).toBeLessThanOrEqual(64);
    expect(b.partial).toBe(`${'x'.repeat(1999 % 50)}1999`);
  });
});

describe('LogBuffer packed storage', () => {
  it('round-trips unicode, empty and very long lines across block boundaries', () => {
    const b = new LogBuffer(1000, 200_000);
    const lines = ['', 'ascii', 'ünïcødé ✓ 宽字符', '😀 emoji', 'x'.repeat(70_000), '', 'after the big one'];
    for (const l of lines) b.push(l);
    expect(b.slice(0, 100)).toEqual(lines);
  });

  it('matches an array model under random pushes and evictions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constant('y'.repeat(30_000))), { maxLength: 120 }),
        fc.boolean(),
        (cap, input, squeeze) => {
          // squeeze: a pool with no budget, so every full block is compressed
          const pool = new BlockPool(squeeze ? 0 : 1 << 30);
          const b = new LogBuffer(cap, 40_000, pool);
          const model: string[] = [];
          for (const l of input) {
            b.push(l);
            model.push(sanitizeLogLine(l, 40_000));
          }
          const want = model.slice(-cap);
          expect(b.length).toBe(want.length);
          expect(b.slice(b.firstSeq, b.nextSeq)).toEqual(want);
          expect(pool.rawBytes).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('LogBuffer compression', () => {
  it('compresses full blocks past the pool budget and reads them back', () => {
    const pool = new BlockPool(100_000);
    const a = new LogBuffer(1_000_000, 16_384, pool);
    const line = (i: number) => `iter ${i}: loss ${(1 / (i + 1)).toFixed(6)} ${'.'.repeat(70)}`;
    for (let i = 0; i < 20_000; i++) a.push(line(i));
    expect(pool.rawBytes).toBeLessThanOrEqual(100_000);
    expect(a.get(5)).toBe(line(5));
    expect(a.get(12_345)).toBe(line(12_345));
    expect(a.get(19_999)).toBe(line(19_999));
    a.clear();
    expect(pool.rawBytes).toBe(0);
  });

  it('gives raw bytes back to the pool on eviction', () => {
    const pool = new BlockPool(1 << 30);
    const a = new LogBuffer(1000, 16_384, pool);
    for (let i = 0; i < 50_000; i++) a.push('x'.repeat(99));
    // about 1000 lines of 99 bytes stay, plus at most one sealed block in flight
    expect(pool.rawBytes).toBeLessThan(1000 * 99 + 2 * 65_536);
  });
});

describe('sanitizeLogLine', () => {
  it.each([
    ['plain', 'plain'],
    ['a\tb', 'a       b'],
    ['\x1b[31mred\x1b[0m\tx', '\x1b[31mred\x1b[0m     x\x1b[0m'],
    ['c1\x85control', 'c1control'],
    ['clear\x1b[2Jme', 'clearme'],
    ['title\x1b]0;hi\x07done', 'titledone'],
    ['bell\x07 nul\x00', 'bell nul'],
    ['old\rnew', 'new'],
    ['keep\r', 'keep'],
    ['up\x1b[Aline', 'upline'],
  ])('%j', (raw, want) => expect(sanitizeLogLine(raw, 1000)).toBe(want));

  it('caps long lines', () => expect(sanitizeLogLine('x'.repeat(100), 10)).toBe('x'.repeat(10)));

  it('never leaves a control character but SGR escapes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const out = sanitizeLogLine(s, 500);
        const noSgr = out.replace(/\x1b\[[0-9;:]*m/g, '');
        expect(/[\x00-\x1f\x7f]/.test(noSgr)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

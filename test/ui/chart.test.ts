// Braille line charts and sparklines (src/ui/chart.ts): exact frames for small inputs, exact sizes
// for any input, and the hostile cases (NaN, ±1e308, subnormals, 100k points).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brailleChart, compactValue, sparkline, type Point } from '../../src/ui/chart.js';
import { width } from '../../src/ui/text.js';

/** The dot rows set in each dot column of a chart's plot (labels cut off at `from`), top = 0. */
function dots(rows: string[], from: number): number[][] {
  const plot = rows.slice(0, -1).map((r) => [...r].slice(from));
  const cols = plot[0]?.length ?? 0;
  const out: number[][] = Array.from({ length: cols * 2 }, () => []);
  const BITS = [
    [0x01, 0x02, 0x04, 0x40],
    [0x08, 0x10, 0x20, 0x80],
  ];
  plot.forEach((cells, r) =>
    cells.forEach((ch, c) => {
      const g = ch === ' ' ? 0 : (ch.codePointAt(0) as number) - 0x2800;
      for (let dc = 0; dc < 2; dc++) for (let dr = 0; dr < 4; dr++) if (g & (BITS[dc] as number[])[dr]!) out[c * 2 + dc]!.push(r * 4 + dr);
    }),
  );
  return out;
}

describe('brailleChart', () => {
  it('draws a step down as a line, with max/min labels and the first, middle and last x', () => {
    expect(brailleChart([[0, 100], [1, 100], [2, 0], [3, 0]], { width: 12, height: 3 })).toEqual([
      '100 ⠉⠉⠉⢆    ',
      '  0     ⠱⣀⣀⣀',
      '    0   2  3',
    ]);
  });

  it('draws a rising series and a log scale', () => {
    expect(brailleChart([[0, 0], [1, 1], [2, 2], [3, 3]], { width: 6, height: 3 })).toEqual(['3   ⡠⠊', '0 ⡠⠊  ', '  0  3']);
    // 1, 10, 100, 1000 are evenly spaced under log: a straight line
    expect(brailleChart([[1, 1], [2, 10], [3, 100], [4, 1000]], { width: 10, height: 3, log: true })).toEqual([
      '1k    ⢀⡠⠒⠉',
      ' 1 ⡠⠔⠊⠁   ',
      '   1  3  4',
    ]);
    // log drops what it cannot place; the rest still draws
    const withZero = brailleChart([[1, 0], [2, -5], [3, 10], [4, 100]], { width: 10, height: 3, log: true });
    expect(withZero[0]).toMatch(/^100/);
    expect(withZero[1]).toMatch(/^ 10/);
  });

  it('says "no data" for nothing drawable, and draws one point as a flat line labelled once', () => {
    expect(brailleChart([], { width: 12, height: 3 })).toEqual(['  no data   ', '            ', '            ']);
    expect(brailleChart([[0, NaN], [1, Infinity]], { width: 12, height: 3 })[0]).toContain('no data');
    expect(brailleChart([[0, -1]], { width: 12, height: 3, log: true })[0]).toContain('no data');
    expect(brailleChart([[7, 42]], { width: 10, height: 3 })).toEqual(['          ', '42 ⠉⠉⠉⠉⠉⠉⠉', '   7      ']);
  });

  it('skips NaN and infinities between good points', () => {
    const out = brailleChart([[0, 0], [1, NaN], [2, Infinity], [3, 3]], { width: 6, height: 3 });
    expect(out).toEqual(['3   ⡠⠊', '0 ⡠⠊  ', '  0  3']);
  });

  it('uses the formatters it is given, and survives one that throws or prints escapes', () => {
    const out = brailleChart([[0, 0.5], [60, 1]], { width: 20, height: 3, yFormat: (v) => `${Math.round(v * 100)}%`, xLabel: (x) => `${x}s` });
    expect(out[0]).toMatch(/^100% /);
    expect(out[1]).toMatch(/^ 50% /);
    expect(out[2]).toMatch(/^ {5}0s .* 60s$/);
    const hostile = brailleChart([[0, 1], [1, 2]], {
      width: 20,
      height: 3,
      yFormat: () => '\x1b]0;pwn\x07\x1b[2J',
      xLabel: () => {
        throw new Error('no');
      },
    });
    for (const r of hostile) {
      expect(width(r)).toBe(20);
      expect(r).not.toMatch(/\x1b\]|\x1b\[2J|\x07/);
    }
    expect(hostile[2]).toContain('?');
  });

  it('is exactly height rows of exactly width cells, whatever it is given', () => {
    const num = fc.oneof(fc.double(), fc.constantFrom(0, -0, 1e308, -1e308, 5e-324, NaN, Infinity, -Infinity), fc.integer());
    fc.assert(
      fc.property(fc.array(fc.tuple(num, num), { maxLength: 60 }), fc.integer({ min: 0, max: 90 }), fc.integer({ min: 0, max: 12 }), fc.boolean(), (pts, w, h, log) => {
        const sorted = [...pts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) as Point[];
        const out = brailleChart(sorted, { width: w, height: h, log });
        expect(out).toHaveLength(h);
        for (const r of out) expect(width(r)).toBe(w);
      }),
      { numRuns: 400 },
    );
  });

  it('renders a monotone series monotone: each dot column starts no higher than the previous one ends', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 200 }), fc.integer({ min: 8, max: 60 }), (ys, w) => {
        const sorted = [...ys].sort((a, b) => a - b);
        const rows = brailleChart(sorted.map((y, i) => [i, y] as Point), { width: w, height: 6, yFormat: () => 'L' });
        const cols = dots(rows, 2).filter((c) => c.length > 0);
        // rising values: dot rows go up the screen (smaller row numbers) from left to right
        for (let i = 1; i < cols.length; i++) expect(Math.max(...cols[i]!)).toBeLessThanOrEqual(Math.min(...cols[i - 1]!) + 1);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves no hole in a steep drop: every dot column between two points has a dot', () => {
    const rows = brailleChart([[0, 1000], [10, 1000], [11, 0], [100, 0]], { width: 40, height: 8 });
    const cols = dots(rows, 5);
    expect(cols.every((c) => c.length > 0)).toBe(true);
    // and the drop itself spans the whole height
    expect(new Set(cols.flat()).size).toBe(7 * 4);
  });

  it('handles huge, tiny and negative values, and irregular x', () => {
    const big = brailleChart([[0, -1e308], [1, 1e308]], { width: 20, height: 4 });
    expect(big[0]).toMatch(/^ 1\.0e308 /);
    expect(big[2]).toMatch(/^-1\.0e308 /);
    const tiny = brailleChart([[0, 5e-324], [1, 1e-323]], { width: 20, height: 4 });
    expect(tiny.join('')).toMatch(/[\u2801-\u28ff]/);
    const irregular = brailleChart([[0, 1], [1, 2], [1000, 3]], { width: 30, height: 4 });
    expect(irregular[3]).toMatch(/0 .*1000$/);
  });

  it('draws 100k points quickly', () => {
    const pts: Point[] = Array.from({ length: 100_000 }, (_, i) => [i, Math.sin(i / 1000) * 50 + 50]);
    const t0 = performance.now();
    const out = brailleChart(pts, { width: 200, height: 20 });
    const ms = performance.now() - t0;
    expect(out).toHaveLength(20);
    expect(ms).toBeLessThan(500); // ~10 ms here; generous for a loaded CI machine
  });
});

describe('compactValue', () => {
  it.each([
    [0, '0'],
    [1234, '1.2k'],
    [12345, '12k'],
    [999_999, '1M'],
    [0.0123, '0.0123'],
    [3.4e-5, '3.4e-5'],
    [-45.67, '-45.7'],
    [2e16, '2.0e16'],
  ])('%s → %s', (v, s) => expect(compactValue(v)).toBe(s));
});

describe('sparkline', () => {
  it('scales to the min and max of the last `width` values, newest at the right, padded to width', () => {
    expect(sparkline([3, 1, 2, NaN, 5], 5)).toBe('▅▁▃ █');
    expect(sparkline([9, 9, 1, 2], 3)).toBe('█▁▂');
    expect(sparkline([1, 2], 5)).toBe('   ▁█');
    expect(sparkline([4, 4], 2)).toBe('▄▄');
    expect(sparkline([], 3)).toBe('   ');
    expect(sparkline([1, 2], 0)).toBe('');
  });

  it('uses a fixed range when given one (utilisation 0-100)', () => {
    expect(sparkline([0, 25, 50, 75, 100, 150, -5], 7, [0, 100])).toBe('▁▃▅▆██▁');
  });
});

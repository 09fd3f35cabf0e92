// The modules the UI bundle swaps into Ink (src/ui/ink-patch, scripts/bundle-ui.mjs) are held to Ink's
// own: the composed rows must put the same characters with the same styles in the same cells as
// Ink's Output.get(), as a terminal shows them; the text caches must stay bounded.
import xterm from '@xterm/headless';
import fc from 'fast-check';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
// Ink's own Output, by path: the package exports only its index
import InkOutput from '../../node_modules/ink/build/output.js';
import { composeRows, fastOutput, type InkOutputClass } from '../../src/ui/ink-patch/fast-output.js';
import { cacheSizes, lineWidth, measureText, widestLine } from '../../src/ui/ink-patch/text-cache.js';

const Fast = fastOutput(InkOutput as unknown as InkOutputClass, stringWidth);
const W = 60;
const H = 8;

/** The screen a terminal shows for a frame: per cell, its character, colour and boldness. */
async function screen(frame: string): Promise<string[]> {
  const t = new xterm.Terminal({ cols: W + 20, rows: H + 2, allowProposedApi: true });
  await new Promise<void>((res) => t.write(frame.replaceAll('\n', '\r\n'), res));
  const rows: string[] = [];
  const cell = t.buffer.active.getNullCell();
  for (let y = 0; y < H; y++) {
    const line = t.buffer.active.getLine(y);
    let r = '';
    for (let x = 0; x < W + 20; x++) {
      line?.getCell(x, cell);
      r += `${cell.getChars() || ' '}${cell.getFgColor()}${cell.isBold() ? 'b' : ''}|`;
    }
    rows.push(r);
  }
  t.dispose();
  return rows;
}

const SEGS = ['abc', 'loss 0.123', ' ', '│', '─┐', '世界', '🙂', 'é', '…', '▇▅▂', '\u00b7'];
const segment = fc.record({ text: fc.constantFrom(...SEGS), style: fc.constantFrom('', '\u001b[1m', '\u001b[90m', '\u001b[1;36m') });
const line = fc.array(segment, { maxLength: 5 }).map((segs) => segs.map((s) => (s.style === '' ? s.text : `${s.style}${s.text}\u001b[0m`)).join(''));
const write = fc.record({ x: fc.integer({ min: 0, max: W - 1 }), y: fc.integer({ min: -1, max: H }), lines: fc.array(line, { minLength: 1, maxLength: 4 }) });

describe('ink-patch: the composed Output', () => {
  it('shows what Ink shows, for any writes (overlaps and clips take Ink’s path)', async () => {
    let composed = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(write, { maxLength: 8 }), fc.boolean(), async (writes, clip) => {
        const outs = [new (InkOutput as unknown as InkOutputClass)({ width: W, height: H }), new Fast({ width: W, height: H })];
        for (const o of outs) {
          const ink = o as unknown as { write: (x: number, y: number, t: string, opt: object) => void; clip: (c: object) => void; unclip: () => void };
          if (clip) ink.clip({ x1: 2, x2: W - 5, y1: 1, y2: H - 1 });
          for (const w of writes) ink.write(w.x, w.y, w.lines.join('\n'), { transformers: [] });
          if (clip) ink.unclip();
        }
        if (composeRows((outs[1] as unknown as { operations: Parameters<typeof composeRows>[0] }).operations, H, stringWidth) !== null) composed++;
        const [a, b] = outs.map((o) => o.get());
        expect(b?.height).toBe(a?.height);
        expect(await screen(b?.output ?? '')).toEqual(await screen(a?.output ?? ''));
      }),
      { numRuns: 150 },
    );
    // most cases take the composing path, not only Ink's
    expect(composed).toBeGreaterThan(25);
  });

  it('composes side-by-side pane strips without Ink’s grid (the monitor’s frames)', async () => {
    const o = new Fast({ width: W, height: H }) as unknown as { write: (x: number, y: number, t: string, opt: object) => void; get: () => { output: string } };
    o.write(0, 0, '\u001b[90m┌\u001b[39m runs ─┐\n│ a 世界│', { transformers: [] });
    o.write(12, 0, '┌ log ──────┐\n│ 🙂 step 3 │', { transformers: [] });
    expect(o.get().output).toBe('\u001b[90m┌\u001b[39m runs ─┐\u001b[0m   ┌ log ──────┐\n│ a 世界│   │ 🙂 step 3 │\n\n\n\n\n\n');
  });
});

describe('ink-patch: text caches', () => {
  it('counts the narrow characters the fast path takes as string-width does, and the rest through it', () => {
    const ranges = [[0x20, 0x7e], [0xa0, 0xff], [0x2010, 0x2027], [0x2190, 0x21ff], [0x2500, 0x259f], [0x2800, 0x28ff]];
    for (const [a, b] of ranges) for (let c = a as number; c <= (b as number); c++) expect(lineWidth(stringWidth, `x${String.fromCharCode(c)}y`), c.toString(16)).toBe(stringWidth(`x${String.fromCharCode(c)}y`));
    for (const s of ['e\u0301', '↔\ufe0f', '世界', '🙂', 'a\u00adb', '\u200b', 'ｶﾞ']) expect(lineWidth(stringWidth, s), s).toBe(stringWidth(s));
  });

  it('measure like Ink and stay bounded however many distinct lines pass', () => {
    const measure = measureText(stringWidth);
    const widest = widestLine(stringWidth);
    expect(measure('ab\n世界🙂\n')).toEqual({ width: 6, height: 3 });
    expect(widest('│ x\n──────')).toBe(6);
    for (let i = 0; i < 30_000; i++) {
      const t = `│ step ${i} loss ${i / 7} │\n│ ${i} │`;
      expect(measure(t).width).toBe(stringWidth(t.split('\n')[0] ?? ''));
    }
    const s = cacheSizes();
    expect(s.measures).toBeGreaterThan(0);
    expect(s.measures).toBeLessThanOrEqual(2 * 4096);
    expect(s.widths).toBeLessThanOrEqual(2 * 4096);
  });
});

// The UI bundle (npm run build: scripts/bundle-ui.mjs) runs Ink with the ink-patch modules swapped in.
// Its frames must be the frames Ink as published draws, cell for cell, and its text caches must stay
// bounded while a log streams distinct lines (Ink 6.8's own grow without end: ink #986).
import { existsSync } from 'node:fs';
import xterm from '@xterm/headless';
import { render as inkRender } from 'ink';
import React from 'react';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/ui/App.js';
import { colorTheme } from '../../src/ui/theme.js';
import { FakeIn, FakeOut } from './fake-tty.js';
import { fixtureStore } from './fixture-store.js';

const BUNDLE = new URL('../../dist/ui/render-monitor.bundle.js', import.meta.url);


async function cells(frame: string): Promise<string> {
  const t = new xterm.Terminal({ cols: 120, rows: 40, allowProposedApi: true });
  await new Promise<void>((res) => t.write(frame.replaceAll('\n', '\r\n'), res));
  const cell = t.buffer.active.getNullCell();
  let s = '';
  for (let y = 0; y < 40; y++) {
    const line = t.buffer.active.getLine(y);
    for (let x = 0; x < 120; x++) {
      line?.getCell(x, cell);
      s += `${cell.getChars() || ' '}${cell.getFgColor()}${cell.isBold() ? 'b' : ''}${cell.isDim() ? 'd' : ''}${cell.isInverse() ? 'i' : ''}`;
    }
    s += '\n';
  }
  t.dispose();
  return s;
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('the UI bundle (Ink with ink-patch)', () => {
  it('was built', () => expect(existsSync(BUNDLE), 'run npm run build first').toBe(true));

  it('draws the frames Ink draws, and its caches stay bounded while lines stream', async () => {
    type Ui = { render: typeof inkRender; App: typeof App; inkPatchCacheSizes: () => { measures: number; widths: number } };
    const ui = (await import(BUNDLE.href)) as Ui;
    const f = fixtureStore({ cols: 120, rows: 40 });
    const outs = [new FakeOut({ columns: 120, rows: 40 }), new FakeOut({ columns: 120, rows: 40 })];
    const opts = (o: FakeOut) => ({ stdout: o as never, stdin: new FakeIn() as never, debug: true, patchConsole: false, exitOnCtrlC: false });
    const a = inkRender(React.createElement(App, { store: f.store, theme: colorTheme }), opts(outs[0] as FakeOut));
    const b = ui.render(React.createElement(ui.App, { store: f.store, theme: colorTheme }), opts(outs[1] as FakeOut));
    try {
      await tick();
      expect(outs[1]?.last).toContain('iter 200');
      expect(await cells(outs[1]?.last ?? '')).toBe(await cells(outs[0]?.last ?? ''));
      for (let i = 0; i < 12_000; i += 400) {
        const lines = Array.from({ length: 400 }, (_, k) => `step ${i + k} │ loss ${(1 / (i + k + 1)).toFixed(6)} 世界 \u001b[31mred\u001b[0m`);
        f.store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'lines', lines, offset: 2000 + i * 64 } });
        f.settle(1000);
        await tick();
      }
      expect(outs[1]?.last).toContain('step 11999');
      expect(await cells(outs[1]?.last ?? '')).toBe(await cells(outs[0]?.last ?? ''));
      const sizes = ui.inkPatchCacheSizes();
      expect(sizes.widths).toBeGreaterThan(0);
      expect(sizes.measures).toBeLessThanOrEqual(8192);
      expect(sizes.widths).toBeLessThanOrEqual(8192);
    } finally {
      a.unmount();
      b.unmount();
    }
  });
});

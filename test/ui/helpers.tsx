// Renders <App> over a fixture store with ink-testing-library; press() sends a key, lets the store
// publish, and waits for Ink to draw.
import React from 'react';
import { render } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import { noColorTheme, type Theme } from '../../src/ui/theme.js';
import type { Fixture } from './fixture-store.js';

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  pageUp: '\u001B[5~',
  pageDown: '\u001B[6~',
  enter: '\r',
  esc: '\u001B',
  tab: '\t',
  shiftTab: '\u001B[Z',
  backspace: '\u007F',
  ctrlC: '\u0003',
  ctrlU: '\u0015',
  ctrlD: '\u0004',
};

const tick = () => new Promise<void>((r) => setImmediate(r));

export async function renderApp(f: Fixture, theme: Theme = noColorTheme) {
  const r = render(<App store={f.store} theme={theme} />);
  await tick();
  return {
    ...r,
    frame: () => r.lastFrame() ?? '',
    /** One row of the last frame, 0-based. */
    row: (i: number) => (r.lastFrame() ?? '').split('\n')[i] ?? '',
    async press(...keys: string[]) {
      for (const k of keys) {
        r.stdin.write(k);
        await tick();
        f.settle();
        await tick();
      }
    },
    /** Publish what sources dispatched and let Ink draw it. */
    async settle(ms = 0) {
      f.settle(ms);
      await tick();
      await tick();
    },
  };
}

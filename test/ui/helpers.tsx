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

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;

const tick = () => new Promise<void>((r) => setImmediate(r));

export async function renderApp(f: Fixture, theme: Theme = noColorTheme) {
  const r = render(<App store={f.store} theme={theme} />);
  await tick();
  const text = () => (r.lastFrame() ?? '').replace(SGR, '');
  return {
    ...r,
    /** The last frame as text (SGR styles removed; rawFrame() keeps them). */
    frame: text,
    rawFrame: () => r.lastFrame() ?? '',
    /** One row of the last frame, 0-based, as text. */
    row: (i: number) => text().split('\n')[i] ?? '',
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

// Mounts the monitor full-screen: alternate screen first, Ink rendering when the store publishes (the
// store sets the pace: a line or a key at once, a stream at 20 Hz, a flood at 10 Hz), resize tracked
// in the store, and the terminal restored on every way out. It can be
// unmounted and mounted again (attach): all state lives in the store, not in React.
import { render } from 'ink';
import React from 'react';
import type { Store } from '../store/create-store.js';
import { guardScreen } from '../tty/screen.js';
import { App } from './App.js';
import { themeFor } from './theme.js';

export interface MonitorIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr?: NodeJS.WritableStream;
  /** False: the no-color theme (NO_COLOR, --no-color, not a TTY). Default true. */
  color?: boolean;
  /** Clock tick for stale ages and message expiry, ms (0: none). Default 1000. */
  tickMs?: number;
  /**
   * Ink's incremental rendering (only changed lines rewritten). Default false: in Ink 6.8 it puts a
   * frame that ends in a newline one row too low, so a rows-1 tall frame scrolls and smears (the
   * trailing-newline fix, ink #910, shipped in 7.0, which needs Node 22). Frames are written whole,
   * inside a synchronized update (Ink 6.7+), so terminals that support it show no flicker.
   */
  incremental?: boolean;
  /** For tests: where signal and crash handlers go (default: process). */
  proc?: Parameters<typeof guardScreen>[0]['proc'];
}

export interface MonitorHandle {
  /** Unmounts and restores the terminal (idempotent). */
  unmount(): void;
  /** Resolves once unmounted (q, Ctrl-C, a signal, or unmount()). */
  waitUntilExit(): Promise<void>;
}

export function renderMonitor(store: Store, io: MonitorIO): MonitorHandle {
  const { stdin, stdout } = io;
  const size = () => ({ cols: stdout.columns ?? 80, rows: stdout.rows ?? 24 });
  let done = false;
  let resolveExit: () => void = () => undefined;
  const exited = new Promise<void>((res) => {
    resolveExit = res;
  });

  const guard = guardScreen({
    stdout,
    stdin,
    ...(io.proc ? { proc: io.proc } : {}),
    // a signal quits the normal way: the controller sees app.quit and stops its sources
    onSignal: () => store.command('app.quit'),
  });
  store.dispatch({ type: 'resize', ...size() });
  store.flush();

  const onResize = (): void => store.dispatch({ type: 'resize', ...size() });
  stdout.on('resize', onResize);
  const tickMs = io.tickMs ?? 1000;
  const tick = tickMs > 0 ? setInterval(() => store.dispatch({ type: 'tick' }), tickMs) : null;
  tick?.unref?.();

  const instance = render(<App store={store} theme={themeFor(io.color ?? true)} />, {
    stdin: stdin as NodeJS.ReadStream,
    stdout: stdout as NodeJS.WriteStream,
    ...(io.stderr ? { stderr: io.stderr as NodeJS.WriteStream } : {}),
    exitOnCtrlC: false,
    patchConsole: true,
    // Ink's own throttle only guards: the store already paces frames (createStore fastHz)
    maxFps: 100,
    incrementalRendering: io.incremental ?? false,
  });

  const offEffect = store.onEffect((e) => {
    // let the key handler that dispatched app.quit return before tearing Ink down
    if (e.type === 'app.quit') setImmediate(unmount);
  });

  function unmount(): void {
    if (done) return;
    done = true;
    offEffect();
    if (tick !== null) clearInterval(tick);
    stdout.off('resize', onResize);
    try {
      instance.unmount();
    } finally {
      guard.restore();
      guard.dispose();
      resolveExit();
    }
  }

  instance.waitUntilExit().then(unmount, unmount);
  return { unmount, waitUntilExit: () => exited };
}

// For benches and tests: Ink's render and the root component as bundled, i.e. with the
// ink-patch modules swapped in (scripts/bundle-ui.mjs), as the monitor runs them.
export { render } from 'ink';
export { App } from './App.js';
export { cacheSizes as inkPatchCacheSizes } from './ink-patch/text-cache.js';
// the screen shown now, for the next start's quick frame (src/tty/quick-frame.ts)
export { lastFrame as lastFrameText } from './ink-patch/fast-output.js';

// The monitor's UI mounted on a fake 120x40 terminal for benches the way `rtk-tui` mounts it
// (renderMonitor from the UI bundle: Ink's pacing, its writer, the clock tick), with a hook on every
// write to the terminal.
import { EventEmitter } from 'node:events';
import { createStore } from '../../dist/store/index.js';
import { renderMonitor } from './ui.mjs';
import { FakeIn, FakeOut } from './ink-fakes.mjs';

/** A run as the store wants it (what pollRuns would report). */
export function fakeRun(host, session, extra = {}) {
  return { id: `${host}:${session}`, host, session, state: 'running', reason: null, alerts: [], progress: null, metrics: {}, log: null, checkpoints: null, lastOutputSecondsAgo: 0, attachedClients: 0, createdAt: null, ...extra };
}

/**
 * Mount <App> on a fake stdout. Returns { store, out, frames() (count), onFrame(cb) (cb(text) per
 * frame written), unmount() }. A store is created (120x40, real timers) unless one is given.
 */
export function mountMonitor({ store, hosts = [], scrollback = 100_000 } = {}) {
  const st = store ?? createStore({ scrollback, hosts, size: { cols: 120, rows: 40 } });
  const out = new FakeOut();
  out.isTTY = true;
  let frames = 0;
  const cbs = new Set();
  out.onWrite = (s) => {
    frames++;
    for (const cb of cbs) cb(s);
  };
  // signal and crash handlers go to a stand-in, not this process
  const proc = new EventEmitter();
  const inst = renderMonitor(st, { stdout: out, stdin: new FakeIn(), color: false, proc });
  return {
    store: st,
    out,
    frames: () => frames,
    onFrame(cb) {
      cbs.add(cb);
      return () => cbs.delete(cb);
    },
    unmount() {
      inst.unmount();
      st.dispose();
    },
  };
}

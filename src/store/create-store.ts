// The store: holds the state and the per-run log buffers, reduces events, runs effect callbacks and
// publishes to React at a bounded rate (never per received chunk: tech.md 1.2).
import { getDefaultKeymap, helpSections, type Keymap } from '../keys/keymap.js';
import { BlockPool, DEFAULT_MAX_LINE, DEFAULT_SCROLLBACK, LogBuffer } from './log-buffer.js';
import { reduce, type ReduceContext } from './reduce.js';
import { FINE_MAX } from './gpu-history.js';
import { initialState, type Effect, type State, type StoreEvent, type StoreOptions } from './state.js';

export interface Store {
  /** Feed an event (from a source, the terminal or the key handler). Cheap; never renders. */
  dispatch(ev: StoreEvent): void;
  /** Shorthand for dispatch({type: 'command', id, text}). */
  command(id: string, text?: string): void;
  /** The latest state (may be newer than the published snapshot). */
  getState(): State;
  /** The published snapshot, for useSyncExternalStore: changes at most maxHz times a second. */
  getSnapshot(): State;
  subscribe(listener: () => void): () => void;
  /** Effects ('run.attach', 'run.kill', 'log.select', 'app.quit', ...) for code outside React. */
  onEffect(cb: (e: Effect) => void): () => void;
  /** The log buffer of a run, created on first use. */
  log(runId: string): LogBuffer;
  /** The log buffer of a run if it has one. */
  peekLog(runId: string): LogBuffer | undefined;
  /** Publish now (tests, and before a remount). */
  flush(): void;
  readonly keymap: Keymap;
  /** Cancels the pending publish timer. */
  dispose(): void;
}

export function createStore(opts: StoreOptions & { keymap?: Keymap } = {}): Store {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? {
    setTimeout: (fn: () => void, ms: number) => {
      const t = setTimeout(fn, ms);
      t.unref?.();
      return t;
    },
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  };
  const interval = 1000 / Math.max(1, opts.maxHz ?? 20);
  // While a log floods in (more lines per frame than anyone reads), frames come at burstHz: each
  // costs the same whatever the rate, so this halves the CPU of a fast stream. Keys and a trickle of
  // lines keep the full rate (and their latency).
  const burstInterval = Math.max(interval, 1000 / Math.max(1, opts.burstHz ?? 10));
  const burstLines = opts.burstLines ?? 100;
  let linesSincePublish = 0;
  let urgent = false;
  let timerAt = 0;
  const scrollback = opts.scrollback ?? DEFAULT_SCROLLBACK;
  const keymap = opts.keymap ?? getDefaultKeymap();
  const logs = new Map<string, LogBuffer>();
  const pool = new BlockPool(opts.logMemoryBytes);
  const listeners = new Set<() => void>();
  const effectCbs = new Set<(e: Effect) => void>();

  let state = initialState(opts, now());
  let published = state;
  let lastPublishAt = -Infinity;
  let timer: unknown = null;
  let effectQueue: Effect[] = [];
  let draining = false;

  const ctx: ReduceContext = {
    now: 0,
    log: (id) => logs.get(id),
    typeNameAfterMs: opts.typeNameAfterMs ?? 3600_000,
    gpuHistory: opts.gpuHistory ?? FINE_MAX,
    helpEntries: helpSections(keymap).reduce((n, sec) => n + (sec.rows.length > 0 ? sec.rows.length + 1 : 0), 0),
  };

  const getLog = (runId: string): LogBuffer => {
    let b = logs.get(runId);
    if (b === undefined) {
      b = new LogBuffer(scrollback, DEFAULT_MAX_LINE, pool);
      logs.set(runId, b);
    }
    return b;
  };

  function publish(): void {
    timer = null;
    lastPublishAt = now();
    linesSincePublish = 0;
    urgent = false;
    if (published === state) return;
    published = state;
    for (const l of [...listeners]) l();
  }

  function schedule(): void {
    if (published === state) return;
    const gap = urgent || linesSincePublish < burstLines ? interval : burstInterval;
    const at = Math.max(now(), lastPublishAt + gap);
    if (timer !== null) {
      if (at >= timerAt) return;
      timers.clearTimeout(timer); // a key press while a flood waits: publish sooner
    }
    timerAt = at;
    timer = timers.setTimeout(publish, at - now());
  }

  function dispatch(ev: StoreEvent): void {
    // log ingest happens here, outside the pure reducer: O(lines), no state copy per line
    if (ev.type === 'log') {
      const n = getLog(ev.runId).ingest(ev.chunk);
      if (ev.runId === state.selectedRunId) linesSincePublish += n;
    } else if (ev.type === 'log.text') {
      const n = getLog(ev.runId).ingestText(ev.text);
      if (ev.runId === state.selectedRunId) linesSincePublish += n;
    }
    else if (ev.type === 'log.reset') logs.get(ev.runId)?.clear();
    if ((ev.type === 'log' || ev.type === 'log.text' || ev.type === 'log.reset') && ev.runId !== state.selectedRunId) return;
    if (ev.type === 'command' || ev.type === 'resize') urgent = true;
    ctx.now = now();
    const r = reduce(state, ev, ctx);
    state = r.state;
    if (r.effects.length > 0) runEffects(r.effects);
    schedule();
  }

  // Effects run after the state that caused them is in place; an effect callback may dispatch.
  function runEffects(list: Effect[]): void {
    effectQueue.push(...list);
    if (draining) return;
    draining = true;
    try {
      while (effectQueue.length > 0) {
        const batch = effectQueue;
        effectQueue = [];
        for (const e of batch) for (const cb of [...effectCbs]) cb(e);
      }
    } finally {
      draining = false;
    }
  }

  return {
    dispatch,
    command: (id, text) => dispatch(text === undefined ? { type: 'command', id } : { type: 'command', id, text }),
    getState: () => state,
    getSnapshot: () => published,
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    onEffect(cb) {
      effectCbs.add(cb);
      return () => effectCbs.delete(cb);
    },
    log: getLog,
    peekLog: (id) => logs.get(id),
    flush() {
      if (timer !== null) timers.clearTimeout(timer);
      publish();
    },
    keymap,
    dispose() {
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}

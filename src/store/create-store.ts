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
  /** The published snapshot, for useSyncExternalStore: changes at most fastHz times a second. */
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
  // Three paces (latency and CPU, DESIGN section 8): a trickle of lines (at most trickleLines since
  // the last frame) and keys go out at fastHz, one frame each, so a line is on screen within a frame
  // of arriving; a steady stream is coalesced to maxHz; a flood (more lines per frame than anyone
  // reads) to burstHz: each frame costs the same whatever the rate. The pace is decided again when
  // the timer fires, so lines that piled up meanwhile wait for the slower pace.
  const fast = 1000 / Math.max(1, opts.fastHz ?? 100);
  const interval = Math.max(fast, 1000 / Math.max(1, opts.maxHz ?? 20));
  const burstInterval = Math.max(interval, 1000 / Math.max(1, opts.burstHz ?? 10));
  const burstLines = opts.burstLines ?? 100;
  const trickleLines = opts.trickleLines ?? 4;
  // GPU samples, pings and the clock change what is on screen a little at a time: alone they are
  // published at most backgroundHz, so ten hosts' samples arriving apart cost one frame. A run, a
  // host connecting or dropping, a line: at the fast pace.
  const background = Math.max(fast, 1000 / Math.max(0.1, opts.backgroundHz ?? 1));
  let linesSincePublish = 0;
  let urgent = false;
  /** Something other than a background change (see `background`) since the last publish. */
  let prompt = false;
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
    prompt = false;
    if (published === state) return;
    published = state;
    for (const l of [...listeners]) l();
  }

  function gap(): number {
    if (urgent) return fast;
    if (!prompt) return background;
    if (linesSincePublish >= burstLines) return burstInterval;
    return linesSincePublish > trickleLines ? interval : fast;
  }

  function arm(at: number): void {
    timerAt = at;
    timer = timers.setTimeout(onTimer, Math.max(0, at - now()));
  }

  function onTimer(): void {
    timer = null;
    const at = lastPublishAt + gap();
    if (at > now() && published !== state) arm(at);
    else publish();
  }

  function schedule(): void {
    if (published === state) return;
    const at = Math.max(now(), lastPublishAt + gap());
    if (timer !== null) {
      if (at >= timerAt) return;
      timers.clearTimeout(timer); // a key press while a flood waits: publish sooner
    }
    arm(at);
  }

  /** A GPU sample, the clock, a ping's latency: nothing that needs the next frame at once. */
  function isBackground(ev: StoreEvent, s: State): boolean {
    if (ev.type === 'gpus' || ev.type === 'tick') return true;
    if (ev.type !== 'host') return false;
    const h = s.hosts[ev.state.name];
    return h !== undefined && h.phase === ev.state.phase && h.status === ev.state.status && h.error === ev.state.error;
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
    else if (!isBackground(ev, state)) prompt = true;
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

// The events layer at run time: observations from the sources go through derive(), new events go to
// the listeners (watch's printer, the monitor's store and notifier), and the memory, the recent events
// and every host's last runs are saved to the state file (at once when something was reported, else
// at most every SAVE_EVERY_MS).
import type { Config } from '../config/schema.js';
import type { Run } from '../domain/types.js';
import { derive, emptyContext, type DeriveContext, type EventOptions, type Observation } from './derive.js';
import { EVENTS_KEPT, emptyState, loadState, saveState, type SavedState } from './state-file.js';
import type { RtkEvent } from './types.js';

const SAVE_EVERY_MS = 10_000;
const TICK_MS = 1000;

/** The events' timings from the config: the monitor, watch and the benches use the same. */
export function eventOptionsOf(cfg: Pick<Config, 'stallAfterMs' | 'gpuIdleAfterMs' | 'refresh'>): EventOptions {
  // a host is lost once it stayed down a poll interval (at least 2 s): a blip that reconnects is not
  return { stallAfterMs: cfg.stallAfterMs, gpuIdleAfterMs: cfg.gpuIdleAfterMs, hostLostAfterMs: Math.max(cfg.refresh.runsMs, 2000) };
}

export interface HubOptions {
  /** The state file; null keeps everything in memory (tests, --no-state). */
  path: string | null;
  options: EventOptions;
  now?: () => number;
  /** Tick on its own (time-based events: stalls between polls, host.lost); default true. */
  tick?: boolean;
  /** A save failed (disk full, permissions): said once per distinct reason. */
  onWarning?: (sentence: string) => void;
}

export class EventHub {
  private state: SavedState;
  private readonly ctx: DeriveContext = emptyContext();
  private readonly listeners = new Set<(e: RtkEvent) => void>();
  private readonly now: () => number;
  private dirty = false;
  private lastSave = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastWarning: string | null = null;
  /** Hosts polled by this process: the first poll of each is saved at once (a fresh start of the file). */
  private readonly polled = new Set<string>();
  /** The warning of loading the file, if it was set aside. */
  readonly loadWarning: string | null;

  constructor(private readonly o: HubOptions) {
    this.now = o.now ?? Date.now;
    if (o.path === null) {
      this.state = emptyState();
      this.loadWarning = null;
    } else {
      const l = loadState(o.path);
      this.state = forgetClocks(l.state);
      this.loadWarning = l.warning;
    }
    if (o.tick !== false) {
      this.timer = setInterval(() => this.observe({ type: 'tick' }), TICK_MS);
      this.timer.unref?.();
    }
  }

  /** The events saved before this process started (or since), oldest first. */
  get events(): readonly RtkEvent[] {
    return this.state.events;
  }

  /** Every host's last runs as saved (for the monitor's first frame). */
  get lastRuns(): Readonly<Record<string, { at: number; runs: Run[] }>> {
    return this.state.hosts;
  }

  on(cb: (e: RtkEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  observe(obs: Observation): RtkEvent[] {
    const now = this.now();
    let d;
    try {
      d = derive(this.state.memory, obs, now, this.o.options, this.ctx);
    } catch (e) {
      // never the end of a watch or a monitor: say it once, keep the last memory
      this.warnOnce(`the events layer failed on a ${obs.type} observation: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
    this.state = { ...this.state, memory: d.memory };
    let first = false;
    if (obs.type === 'runs') {
      first = !this.polled.has(obs.host);
      this.polled.add(obs.host);
      this.state = { ...this.state, hosts: { ...this.state.hosts, [obs.host]: { at: now, runs: obs.runs } } };
    }
    if (obs.type !== 'tick') this.dirty = true;
    if (d.events.length > 0) {
      this.state = { ...this.state, events: [...this.state.events, ...d.events].slice(-EVENTS_KEPT) };
      this.dirty = true;
      // saved before anyone hears of them: a crash right after never reports them twice
      this.save();
      for (const e of d.events) {
        for (const l of [...this.listeners]) {
          try {
            l(e);
          } catch (x) {
            this.warnOnce(`an event listener failed: ${x instanceof Error ? x.message : String(x)}`);
          }
        }
      }
    } else if (this.dirty && (first || now - this.lastSave >= SAVE_EVERY_MS)) this.save();
    return d.events;
  }

  save(): void {
    if (this.o.path === null || !this.dirty) return;
    this.lastSave = this.now();
    try {
      this.state = saveState(this.o.path, this.state, this.lastSave);
      this.dirty = false;
    } catch (e) {
      this.warnOnce(`could not save the state file ${this.o.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  private warnOnce(why: string): void {
    if (why !== this.lastWarning) this.o.onWarning?.(why);
    this.lastWarning = why;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.save();
  }
}

/**
 * Clocks started by the last process do not run on while none watches: a host seen going down just
 * before it quit is "down since now" once it is seen down again, and an idle GPU counts from now.
 */
function forgetClocks(s: SavedState): SavedState {
  const hosts = Object.fromEntries(
    Object.entries(s.memory.hosts).map(([k, h]) => [k, h.up === false && h.lostAt === null ? { ...h, up: null, downSince: null } : h]),
  );
  const runs = Object.fromEntries(Object.entries(s.memory.runs).map(([k, r]) => [k, { ...r, idleSince: null }]));
  return { ...s, memory: { hosts, runs } };
}

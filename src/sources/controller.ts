// The monitor's sources, wired to the store: per host a runs poller (never overlapping), one GPU
// stream, and, for the selected run only, a log follower and a checkpoints poller. Host connection
// state goes to the store as it changes; a host that drops keeps its last state on screen (stale) and
// its sources retry on their own. Pollers pause while a child process owns the terminal (attach).
import { appendFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { CheckpointListing, GpuHostReport, HostConnState, HostSpec, LogChunk, Result } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import type { Effect, Store } from '../store/index.js';
import { listCheckpoints as realListCheckpoints } from './checkpoints.js';
import { GpuStream } from './gpus.js';
import { LogFollower, parseProbe, probeCommand } from './log-follow.js';
import { pollRuns as realPollRuns, type RunsSnapshot } from './runs.js';

/** Bytes of an existing log shown when a run is selected (then it streams). */
export const LOG_BACKLOG_BYTES = 64 * 1024;

export interface GpuSource {
  setPanes(p: readonly { runId: string; panePid: number }[]): void;
  start(): void;
  stop(): void;
  refresh(): void;
}

export interface LogSource {
  readonly offset: number;
  run(): Promise<void>;
  stop(): void;
}

/** What the controller calls; real implementations by default, fakes in tests. */
export interface ControllerSources {
  pollRuns(host: Host, spec: HostSpec, cfg: Config): Promise<Result<RunsSnapshot>>;
  listCheckpoints(host: Host, runId: string, dir: string): Promise<Result<CheckpointListing>>;
  gpuStream(host: Host, spec: HostSpec, intervalMs: number, onReport: (r: GpuHostReport) => void): GpuSource;
  logFollower(o: { host: Host; path: string; offset: number; inode: number | null; onChunk: (c: LogChunk) => void }): LogSource;
}

export const REAL_SOURCES: ControllerSources = {
  pollRuns: (host, spec, cfg) => realPollRuns(host, spec, cfg),
  listCheckpoints: realListCheckpoints,
  gpuStream: (host, spec, intervalMs, onReport) => new GpuStream(host, spec, { intervalMs, onReport }),
  logFollower: (o) => new LogFollower(o),
};

export interface ControllerOptions {
  cfg: Config;
  specs: HostSpec[];
  hosts: Map<string, Host>;
  store: Store;
  sources?: Partial<ControllerSources>;
  /** Debug log file (RTK_TUI_LOG). */
  logFile?: string | null;
  /** Period of the store's clock tick (stale ages). Default 1000 ms; 0: none (renderMonitor ticks). */
  tickMs?: number;
}

interface HostSlot {
  spec: HostSpec;
  host: Host;
  timer: NodeJS.Timeout | null;
  polling: boolean;
  /** A poll was asked for while one was in flight: run another right after. */
  again: boolean;
  gpu: GpuSource | null;
  unsubscribe: () => void;
  lastPhase: HostConnState['phase'] | null;
  /** The last poll's pane/log tails (runs without a log file show their pane). */
  tails: Record<string, string>;
}

interface Selected {
  runId: string;
  host: string;
  log: string | null;
}

export class Controller {
  private readonly slots = new Map<string, HostSlot>();
  private readonly src: ControllerSources;
  private paused = 0;
  private stopped = false;
  private started = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private selected: Selected | null = null;
  private follower: { runId: string; path: string; src: LogSource | null } | null = null;
  private followGen = 0;
  /** Where each run's log was left, so coming back to a run neither repeats nor loses lines. */
  private readonly resumeAt = new Map<string, { path: string; offset: number }>();
  private ckptTimer: NodeJS.Timeout | null = null;
  private peeking: string | null = null;
  private held: LogChunk[] = [];
  private heldPartial: LogChunk | null = null;
  private ckptBusy = false;
  private unsubscribeEffects: () => void = () => {};

  constructor(private readonly o: ControllerOptions) {
    this.src = { ...REAL_SOURCES, ...o.sources };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const { store } = this.o;
    store.dispatch({ type: 'hosts', names: this.o.specs.map((s) => s.name) });
    this.unsubscribeEffects = store.onEffect((e) => this.onEffect(e));
    for (const spec of this.o.specs) {
      const host = this.o.hosts.get(spec.name);
      if (!host) continue;
      const slot: HostSlot = { spec, host, timer: null, polling: false, again: false, gpu: null, unsubscribe: () => {}, lastPhase: null, tails: {} };
      this.slots.set(spec.name, slot);
      store.dispatch({ type: 'host', state: host.state() });
      slot.lastPhase = host.state().phase;
      slot.unsubscribe = host.onState((s) => this.onHostState(slot, s));
      slot.gpu = this.src.gpuStream(host, spec, this.o.cfg.refresh.gpusMs, (r) => {
        if (!this.stopped) store.dispatch({ type: 'gpus', report: r });
      });
      slot.gpu.start();
      void this.poll(slot);
    }
    const tickMs = this.o.tickMs ?? 1000;
    if (tickMs > 0) {
      this.tickTimer = setInterval(() => {
        if (!this.paused && !this.stopped) store.dispatch({ type: 'tick' });
      }, tickMs);
      this.tickTimer.unref?.();
    }
  }

  /** A child process owns the terminal: stop polling (streams keep their data in the store). */
  pause(): void {
    this.paused++;
  }

  resume(): void {
    if (this.paused === 0) return;
    this.paused--;
    if (this.paused === 0 && !this.stopped) this.refresh();
  }

  get isPaused(): boolean {
    return this.paused > 0;
  }

  /** Poll every host, the GPUs and the selected run's checkpoints now. */
  refresh(): void {
    for (const slot of this.slots.values()) {
      void this.poll(slot);
      slot.gpu?.refresh();
    }
    void this.pollCheckpoints();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribeEffects();
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.ckptTimer) clearTimeout(this.ckptTimer);
    this.follower?.src?.stop();
    this.follower = null;
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.unsubscribe();
      slot.gpu?.stop();
    }
  }

  private debug(msg: string): void {
    if (!this.o.logFile) return;
    try {
      appendFileSync(this.o.logFile, `${new Date().toISOString()} controller ${msg}\n`);
    } catch {
      // debug logging must never break the monitor
    }
  }

  private onHostState(slot: HostSlot, s: HostConnState): void {
    if (this.stopped) return;
    this.o.store.dispatch({ type: 'host', state: s });
    const was = slot.lastPhase;
    slot.lastPhase = s.phase;
    this.debug(`host ${slot.spec.name} ${was ?? '-'} -> ${s.phase}${s.error ? ` (${s.error})` : ''}`);
    // back from a drop: refresh at once instead of waiting for the next interval
    if (s.phase === 'connected' && was !== null && was !== 'connected') {
      void this.poll(slot);
      if (this.selected?.host === slot.spec.name) void this.pollCheckpoints();
    }
  }

  private schedule(slot: HostSlot): void {
    if (this.stopped) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      void this.poll(slot);
    }, this.o.cfg.refresh.runsMs);
    slot.timer.unref?.();
  }

  private async poll(slot: HostSlot): Promise<void> {
    if (this.stopped) return;
    if (this.paused) {
      this.schedule(slot);
      return;
    }
    if (slot.polling) {
      slot.again = true;
      return;
    }
    slot.polling = true;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    try {
      const r = await this.src.pollRuns(slot.host, slot.spec, this.o.cfg);
      if (this.stopped) return;
      if (r.ok) {
        slot.tails = r.value.logTails;
        this.o.store.dispatch({ type: 'runs', host: slot.spec.name, runs: r.value.runs });
        slot.gpu?.setPanes(r.value.panes);
        this.showPaneTail();
      } else {
        // the host's state (stale, reconnecting) reaches the store through onState; this is for the log
        this.debug(`poll ${slot.spec.name}: ${r.error.kind}: ${r.error.message}`);
      }
    } catch (e) {
      this.debug(`poll ${slot.spec.name} threw: ${e instanceof Error ? e.stack : String(e)}`);
    } finally {
      slot.polling = false;
    }
    if (slot.again && !this.stopped) {
      slot.again = false;
      void this.poll(slot);
    } else this.schedule(slot);
  }

  /**
   * While the run's pane is peeked (shown in the log pane in place of its log), new log lines wait
   * here and follow once the peek ends, so the two never interleave and none is lost.
   */
  private deliver(runId: string, c: LogChunk): void {
    if (this.peeking === runId) {
      if (c.kind === 'partial') this.heldPartial = c;
      else {
        this.held.push(c);
        // a peek left open for hours must not grow memory past what the log pane keeps anyway
        if (this.held.length > this.o.cfg.scrollback) this.held.splice(0, this.held.length - this.o.cfg.scrollback);
      }
      return;
    }
    this.o.store.dispatch({ type: 'log', runId, chunk: c });
  }

  private endPeek(): void {
    const runId = this.peeking;
    if (runId === null) return;
    this.peeking = null;
    const held = this.held;
    const partial = this.heldPartial;
    this.held = [];
    this.heldPartial = null;
    for (const c of held) this.o.store.dispatch({ type: 'log', runId, chunk: c });
    if (partial) this.o.store.dispatch({ type: 'log', runId, chunk: partial });
  }

  private onEffect(e: Effect): void {
    if (this.stopped) return;
    switch (e.type) {
      case 'run.peek':
        // the same toggles the peek off (installPeekEffect, src/tty/attach-effect.ts)
        if (this.peeking === e.runId) this.endPeek();
        else {
          this.endPeek();
          this.peeking = e.runId;
        }
        break;
      case 'run.attach':
      case 'run.kill':
        this.endPeek();
        break;
      case 'log.select':
        if (this.peeking !== null && this.peeking !== e.runId) this.endPeek();
        this.select(e.runId && e.host ? { runId: e.runId, host: e.host, log: e.log } : null);
        break;
      case 'app.refresh':
        this.refresh();
        break;
      case 'app.quit':
        void this.stop();
        break;
      default:
        break;
    }
  }

  private select(sel: Selected | null): void {
    const prev = this.selected;
    this.selected = sel;
    const samePath = this.follower && sel && this.follower.runId === sel.runId && this.follower.path === sel.log;
    if (!samePath) this.follow(sel);
    if (!prev || !sel || prev.runId !== sel.runId) {
      if (this.ckptTimer) clearTimeout(this.ckptTimer);
      this.ckptTimer = null;
      void this.pollCheckpoints();
    }
    this.showPaneTail();
  }

  private follow(sel: Selected | null): void {
    const gen = ++this.followGen;
    const old = this.follower;
    this.follower = null;
    if (old?.src) {
      old.src.stop();
      this.resumeAt.set(old.runId, { path: old.path, offset: old.src.offset });
    }
    if (!sel || !sel.log) return;
    const slot = this.slots.get(sel.host);
    if (!slot) return;
    const { runId, log: path } = sel;
    const f: { runId: string; path: string; src: LogSource | null } = { runId, path, src: null };
    this.follower = f;
    const start = async (): Promise<void> => {
      const back = this.resumeAt.get(runId);
      let offset = 0;
      let inode: number | null = null;
      let skipFirst = false;
      if (back && back.path === path && this.o.store.peekLog(runId)) {
        offset = back.offset;
      } else {
        this.o.store.dispatch({ type: 'log.reset', runId });
        // show the last few KB of a long log, from a line start, then stream
        const p = await slot.host.exec(probeCommand(path), { timeoutMs: 15_000 });
        const probe = p.ok ? parseProbe(p.value.stdout.toString('utf8')) : null;
        if (probe && probe.size > LOG_BACKLOG_BYTES) {
          offset = probe.size - LOG_BACKLOG_BYTES;
          inode = probe.inode;
          skipFirst = true;
        }
      }
      if (this.stopped || gen !== this.followGen) return;
      const src = this.src.logFollower({
        host: slot.host,
        path,
        offset,
        inode,
        onChunk: (c) => {
          if (skipFirst && c.kind === 'lines') {
            skipFirst = false;
            c = { ...c, lines: c.lines.slice(1) };
          }
          this.deliver(runId, c);
        },
      });
      f.src = src;
      await src.run();
    };
    start().catch((e: unknown) => this.debug(`log ${runId}: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** A run without a log file shows the last lines of its pane, as the runs poll captured them. */
  private showPaneTail(): void {
    const sel = this.selected;
    if (!sel || sel.log) return;
    const tail = this.slots.get(sel.host)?.tails[sel.runId];
    if (tail === undefined) return;
    const buf = this.o.store.peekLog(sel.runId);
    if (buf && this.lastPaneTail.get(sel.runId) === tail) return;
    this.lastPaneTail.set(sel.runId, tail);
    this.o.store.dispatch({ type: 'log.reset', runId: sel.runId });
    this.o.store.dispatch({ type: 'log.text', runId: sel.runId, text: tail.endsWith('\n') ? tail : `${tail}\n` });
  }

  private readonly lastPaneTail = new Map<string, string>();

  private async pollCheckpoints(): Promise<void> {
    if (this.stopped || this.ckptBusy) return;
    const sel = this.selected;
    const run = sel ? this.findRun(sel.runId) : null;
    const slot = sel ? this.slots.get(sel.host) : undefined;
    if (!sel || !run?.checkpoints || !slot || this.paused) {
      this.scheduleCheckpoints();
      return;
    }
    this.ckptBusy = true;
    try {
      const r = await this.src.listCheckpoints(slot.host, sel.runId, run.checkpoints);
      if (!this.stopped && r.ok) this.o.store.dispatch({ type: 'checkpoints', listing: r.value });
      else if (!r.ok) this.debug(`checkpoints ${sel.runId}: ${r.error.message}`);
    } finally {
      this.ckptBusy = false;
    }
    this.scheduleCheckpoints();
  }

  private scheduleCheckpoints(): void {
    if (this.stopped) return;
    if (this.ckptTimer) clearTimeout(this.ckptTimer);
    // until the selected run's checkpoint dir is known (first runs poll), look again soon
    const run = this.selected ? this.findRun(this.selected.runId) : null;
    const wait = run?.checkpoints ? this.o.cfg.refresh.checkpointsMs : Math.min(2000, this.o.cfg.refresh.checkpointsMs);
    this.ckptTimer = setTimeout(() => {
      this.ckptTimer = null;
      void this.pollCheckpoints();
    }, wait);
    this.ckptTimer.unref?.();
  }

  private findRun(runId: string): { checkpoints: string | null } | null {
    const s = this.o.store.getState();
    for (const runs of Object.values(s.runsByHost)) {
      const r = runs.find((x) => x.id === runId);
      if (r) return r;
    }
    return null;
  }
}

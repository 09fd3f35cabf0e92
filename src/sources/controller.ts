// The monitor's sources, wired to the store: per host a runs poller (never overlapping), one GPU
// stream, and, for the selected run only, a log follower and a checkpoints poller. Host connection
// state goes to the store as it changes; a host that drops keeps its last state on screen (stale) and
// its sources retry on their own. Pollers pause while a child process owns the terminal (attach).
import { appendFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { CheckpointListing, GpuHostReport, HostConnState, HostSpec, Result, Run } from '../domain/types.js';
import type { Observation } from '../events/derive.js';
import type { Host } from '../remote/host.js';
import type { Effect, Store } from '../store/index.js';
import { findRun } from '../store/selectors.js';
import { listCheckpoints as realListCheckpoints, listCheckpointsOfRuns } from './checkpoints.js';
import { CardSource } from './card-source.js';
import { RecentListings } from './ckpt-recent.js';
import { GpuStream } from './gpus.js';
import { SlurmGpuPoll } from './slurm-gpus.js';
import { LogFollower } from './log-follow.js';
import { readRegion, searchLog } from './log-search.js';
import { pollRuns as realPollRuns, type RunsSnapshot } from './runs.js';
import { knownScheduler, schedulerText } from './scheduler-detect.js';
import { SelectedLog, type LogFollowerFactory } from './selected-log.js';
import { Coalescer, COALESCE_ABOVE_HOSTS, firstSpread, PING_EVERY_MS, PollGate, runsInterval } from './poll-pace.js';

/** While a checkpoint is being written the selected run's listing is repeated this often, at most this many times per save. */
const WRITING_RECHECK_MS = 3000;
const WRITING_RECHECKS = 40;

export { LOG_BACKLOG_BYTES, type LogSource } from './selected-log.js';

export interface GpuSource {
  setPanes(p: readonly { runId: string; panePid: number }[]): void;
  start(): void;
  stop(): void;
  refresh(): void;
  /** The host is back: start sampling again now. */
  wake?(): void;
}

/** What the controller calls; real implementations by default, fakes in tests. */
export interface ControllerSources {
  pollRuns(host: Host, spec: HostSpec, cfg: Config): Promise<Result<RunsSnapshot>>;
  listCheckpoints(host: Host, runId: string, dir: string): Promise<Result<CheckpointListing>>;
  /** Several runs' checkpoints in one round trip. */
  listCheckpointsMany(host: Host, items: readonly { runId: string; dir: string }[]): Promise<Map<string, Result<CheckpointListing>>>;
  gpuStream(host: Host, spec: HostSpec, intervalMs: number, onReport: (r: GpuHostReport) => void): GpuSource;
  logFollower: LogFollowerFactory;
}

export const REAL_SOURCES: ControllerSources = {
  pollRuns: (host, spec, cfg) => realPollRuns(host, spec, cfg),
  listCheckpoints: realListCheckpoints,
  listCheckpointsMany: listCheckpointsOfRuns,
  // a Slurm login node has no GPUs: its user's running jobs do (srun inside each, sources/slurm-gpus.ts)
  gpuStream: (host, spec, intervalMs, onReport) => new (spec.scheduler === 'slurm' ? SlurmGpuPoll : GpuStream)(host, spec, { intervalMs, onReport }),
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
  /** Everything the sources learn, for the events layer (src/events/hub.ts). */
  observe?: (o: Observation) => void;
  /** List the checkpoints of every live run with a checkpoint directory (run.checkpoint, disk.low),
   * not only the selected run's. */
  checkpointsOfAll?: boolean;
  /** No screen (watch): no run is followed, whatever the store selects. */
  headless?: boolean;
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
  everConnected: boolean;
  /** The last poll's pane/log tails (runs without a log file show their pane). */
  tails: Record<string, string>;
  runs: Run[];
  /** Runs polls that succeeded (the first one reaches the store at once). */
  polls: number;
  /** The connection state last sent to the store, and whether a GPU report was: a change goes at once. */
  sentHost: string | null;
  /** When this host's state last went to the store (a latency-only update waits a minute after it). */
  sentPingAt: number;
  sentGpu: string | null;
}

interface Selected {
  runId: string;
  host: string;
  /** Its session: a group's is rank 0's, whose pane tail is the group's (runId is the group's name). */
  session?: string | null;
  log: string | null;
  logStart: number | null;
}

export class Controller {
  private readonly slots = new Map<string, HostSlot>();
  private readonly src: ControllerSources;
  private paused = 0;
  private stopped = false;
  private started = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private selected: Selected | null = null;
  private readonly log: SelectedLog;
  private ckptTimer: NodeJS.Timeout | null = null;
  private ckptBusy = false;
  private allTimer: NodeJS.Timeout | null = null;
  private ckptSoon: NodeJS.Timeout | null = null;
  /** The selection changed while a listing was in flight: list again right after. */
  private ckptAgain = false;
  /** The selected run's last listing had a checkpoint still being written: look again soon, a bounded number of times. */
  private ckptWriting = false;
  private ckptQuickLeft = WRITING_RECHECKS;
  /** What the round of all runs listed lately: the selected run's own listing reuses a fresh one. */
  private readonly recent = new RecentListings();
  private unsubscribeEffects: () => void = () => {};
  private readonly card: CardSource;
  /** Many hosts (poll-pace.ts): polls budgeted and spread, their news coalesced into one frame a second. */
  private readonly many: boolean;
  private readonly gate = new PollGate();
  private readonly coalesce: Coalescer;

  constructor(private readonly o: ControllerOptions) {
    this.src = { ...REAL_SOURCES, ...o.sources };
    // a fake single lister (tests) lists one by one unless a fake batch lister is given too
    const one = o.sources?.listCheckpoints;
    if (one && !o.sources?.listCheckpointsMany) {
      this.src.listCheckpointsMany = async (host, items) => {
        const m = new Map<string, Result<CheckpointListing>>();
        for (const it of items) m.set(it.runId, await one(host, it.runId, it.dir));
        return m;
      };
    }
    this.log = new SelectedLog(o.store, this.src.logFollower, o.cfg.scrollback, (m) => this.debug(m));
    this.card = new CardSource({ store: o.store, cfg: o.cfg, events: () => o.store.getState().events });
    this.many = o.specs.length > COALESCE_ABOVE_HOSTS;
    this.coalesce = new Coalescer(this.many);
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
      const slot: HostSlot = { spec, host, timer: null, polling: false, again: false, gpu: null, unsubscribe: () => {}, lastPhase: null, everConnected: false, tails: {}, runs: [], polls: 0, sentHost: null, sentPingAt: 0, sentGpu: null };
      this.slots.set(spec.name, slot);
      store.dispatch({ type: 'host', state: host.state() });
      slot.lastPhase = host.state().phase;
      slot.everConnected = slot.lastPhase === 'connected';
      slot.unsubscribe = host.onState((s) => this.onHostState(slot, s));
      slot.gpu = this.src.gpuStream(host, spec, this.o.cfg.refresh.gpusMs, (r) => {
        if (this.stopped) return;
        // a new status (first report, no-gpu, unreachable) at once; the next samples in the batch
        const urgent = slot.sentGpu !== r.status;
        slot.sentGpu = r.status;
        this.coalesce.deliver(() => {
          store.dispatch({ type: 'gpus', report: r });
          this.o.observe?.({ type: 'gpus', report: r });
        }, urgent);
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
    if (this.o.checkpointsOfAll) this.scheduleAllCheckpoints();
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
    void this.pollCheckpoints(true);
    this.card.refresh();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribeEffects();
    this.coalesce.close();
    this.card.close();
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.allTimer) clearTimeout(this.allTimer);
    if (this.ckptTimer) clearTimeout(this.ckptTimer);
    if (this.ckptSoon) clearTimeout(this.ckptSoon);
    this.log.stop();
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
    // a new phase, status or error at once; a latency or last-seen update (pings) in the batch
    const key = `${s.phase}\0${s.status}\0${s.error ?? ''}`;
    const urgent = slot.sentHost !== key;
    slot.sentHost = key;
    // with many hosts, a ping's new latency reaches the store once a minute per host, not every 15 s:
    // 256 hosts' pings were 17 store updates a second, each a pass over every host
    const now = Date.now();
    if (this.many && !urgent && now - slot.sentPingAt < PING_EVERY_MS) return;
    slot.sentPingAt = now;
    this.coalesce.deliver(() => {
      this.o.store.dispatch({ type: 'host', state: s });
      this.o.observe?.({ type: 'host', state: s });
    }, urgent);
    const was = slot.lastPhase;
    slot.lastPhase = s.phase;
    this.debug(`host ${slot.spec.name} ${was ?? '-'} -> ${s.phase}${s.error ? ` (${s.error})` : ''}`);
    // back from a drop: refresh at once instead of waiting for the next interval (the first connect
    // needs nothing: the first poll is already waiting for it)
    const back = s.phase === 'connected' && was !== 'connected' && slot.everConnected;
    if (s.phase === 'connected') slot.everConnected = true;
    if (back) {
      void this.poll(slot);
      slot.gpu?.wake?.();
      if (this.selected?.host === slot.spec.name) void this.pollCheckpoints(true);
    }
  }

  private schedule(slot: HostSlot): void {
    if (this.stopped) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      void this.poll(slot);
    }, this.intervalOf(slot));
    slot.timer.unref?.();
  }

  /** The wait before a host's next runs poll: the configured interval, or with many hosts their share of the budget. */
  private intervalOf(slot: HostSlot): number {
    const runsMs = this.o.cfg.refresh.runsMs;
    if (!this.many) return runsMs;
    const every = runsInterval(runsMs, this.slots.size, this.selected?.host === slot.spec.name);
    // hosts started together: their second polls spread over the interval
    return slot.polls <= 1 ? firstSpread(every) : every;
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
    // at most POLL_CONCURRENCY polls in flight, the rest in turn (FIFO)
    // (a free slot is taken at once: the poll starts in this very turn, as it always did)
    const release = this.gate.tryAcquire() ?? (await this.gate.acquire());
    try {
      const t0 = Date.now();
      const r = await this.src.pollRuns(slot.host, slot.spec, this.o.cfg);
      if (this.stopped) return;
      if (this.o.logFile) this.debug(`poll ${slot.spec.name}: ${r.ok ? `${r.value.runs.length} runs` : r.error.kind} in ${Date.now() - t0} ms`);
      if (r.ok) {
        slot.tails = r.value.logTails;
        slot.runs = r.value.runs;
        slot.polls++;
        const scheduler = schedulerText(slot.spec.scheduler, knownScheduler(slot.host, slot.spec)) ?? undefined;
        const { runs, logTails } = r.value;
        const host = slot.spec.name;
        // a host's first runs, and the selected run's host, at once; the rest in the next batch
        this.coalesce.deliver(() => {
          this.o.store.dispatch({ type: 'runs', host, runs, ...(scheduler !== undefined ? { scheduler } : {}) });
          this.o.observe?.({ type: 'runs', host, runs, tails: logTails });
        }, slot.polls === 1 || this.selected?.host === host);
        slot.gpu?.setPanes(r.value.panes);
        if (this.selected?.host === slot.spec.name) this.log.showPaneTail(this.tailsOf(slot));
      } else {
        // the host's state (stale, reconnecting) reaches the store through onState; this is for the log
        this.debug(`poll ${slot.spec.name}: ${r.error.kind}: ${r.error.message}`);
      }
    } catch (e) {
      this.debug(`poll ${slot.spec.name} threw: ${e instanceof Error ? e.stack : String(e)}`);
    } finally {
      release();
      slot.polling = false;
    }
    if (slot.again && !this.stopped) {
      slot.again = false;
      void this.poll(slot);
    } else this.schedule(slot);
  }

  private onEffect(e: Effect): void {
    if (this.stopped) return;
    switch (e.type) {
      case 'run.peek':
        // the same toggles the peek off, as installPeekEffect does (src/tty/attach-effect.ts)
        this.log.peek(e.runId);
        break;
      case 'run.attach':
      case 'run.kill':
        this.log.endPeek();
        break;
      case 'log.select':
        if (this.o.headless) break;
        this.select(e.runId && e.host ? { runId: e.runId, host: e.host, session: e.session, log: e.log, logStart: e.logStart ?? null } : null);
        break;
      case 'ckpt.refresh':
        // the trainer said it saved one: list once it has had a moment to land
        if (this.selected?.runId === e.runId && !this.ckptSoon) {
          this.ckptQuickLeft = WRITING_RECHECKS;
          this.ckptSoon = setTimeout(() => {
            this.ckptSoon = null;
            void this.pollCheckpoints(true);
          }, 1500);
          this.ckptSoon.unref?.();
        }
        break;
      case 'app.refresh':
        // a host that stopped for good (unknown name, auth, host key) is tried again on r
        for (const slot of this.slots.values()) if (slot.host.state().phase === 'failed') void slot.host.connect();
        this.refresh();
        break;
      case 'host.retry': {
        const slot = this.slots.get(e.host);
        if (slot) void slot.host.connect().then((r) => r.ok && void this.poll(slot));
        break;
      }
      case 'card.open': {
        const slot = this.slots.get(e.host);
        if (slot) this.card.show(e.runId, e.session, slot.host, slot.spec);
        else this.o.store.dispatch({ type: 'card', runId: e.runId, error: `${e.host} is not one of the monitored hosts` });
        break;
      }
      case 'card.close':
        this.card.close();
        break;
      case 'logFile.search':
      case 'logFile.region':
        this.logFile(e);
        break;
      case 'app.quit':
        void this.stop();
        break;
      default:
        break;
    }
  }

  /** A whole-file search or a region of the log: one exec on the run's host, the answer to the store. */
  private logFile(e: Extract<Effect, { type: 'logFile.search' | 'logFile.region' }>): void {
    const { store } = this.o;
    const host = this.slots.get(e.host)?.host;
    const fail = (error: string) =>
      store.dispatch(e.type === 'logFile.search' ? { type: 'logFile.matches', id: e.id, hits: [], more: false, note: null, error } : { type: 'logFile.region', id: e.id, first: e.from, lines: [], error });
    if (!host) return fail(`no host named ${e.host} in this monitor`);
    const done = (x: unknown) => fail(`${e.type === 'logFile.search' ? 'search' : 'read'} failed: ${x instanceof Error ? x.message : String(x)}`);
    if (e.type === 'logFile.search') {
      searchLog(host, { path: e.log, logStart: e.logStart, pattern: e.pattern, regex: e.regex, ignoreCase: e.ignoreCase }).then((r) => {
        if (this.stopped) return;
        if (r.ok) store.dispatch({ type: 'logFile.matches', id: e.id, hits: r.value.hits, more: r.value.more, note: r.value.note, error: null });
        else fail(r.error.message);
      }, done);
    } else {
      readRegion(host, e.log, e.logStart, e.from, e.count).then((r) => {
        if (this.stopped) return;
        if (r.ok) store.dispatch({ type: 'logFile.region', id: e.id, first: r.value.first, lines: r.value.lines, error: null });
        else fail(r.error.message);
      }, done);
    }
  }

  private select(sel: Selected | null): void {
    const prev = this.selected;
    this.selected = sel;
    const slot = sel ? this.slots.get(sel.host) : undefined;
    // with many hosts the selected run's host keeps the configured interval: its timer starts over
    if (this.many && slot && prev?.host !== sel?.host && slot.timer) this.schedule(slot);
    this.log.select(sel && slot ? { runId: sel.runId, host: slot.host, log: sel.log, logStart: sel.logStart } : null);
    if (!prev || !sel || prev.runId !== sel.runId) {
      if (this.ckptTimer) clearTimeout(this.ckptTimer);
      this.ckptTimer = null;
      this.ckptWriting = false;
      this.ckptQuickLeft = WRITING_RECHECKS;
      void this.pollCheckpoints();
    }
    this.log.showPaneTail(slot ? this.tailsOf(slot) : undefined);
  }

  /** The host's pane tails by run id; a group selected (config groups) reads its rank 0's. */
  private tailsOf(slot: HostSlot): Record<string, string> {
    const sel = this.selected;
    const part = sel?.session != null ? `${sel.host}:${sel.session}` : null;
    if (!sel || part === null || part === sel.runId) return slot.tails;
    const tail = slot.tails[part];
    return tail === undefined ? slot.tails : { ...slot.tails, [sel.runId]: tail };
  }

  /** The selected run's listing; unless `force`d, one the round listed a moment ago is reused. */
  private async pollCheckpoints(force = false): Promise<void> {
    if (this.stopped) return;
    if (this.ckptBusy) {
      this.ckptAgain = true;
      return;
    }
    const sel = this.selected;
    const run = sel ? this.findRun(sel.runId) : null;
    const slot = sel ? this.slots.get(sel.host) : undefined;
    if (!sel || !run?.checkpoints || !slot || this.paused) {
      this.scheduleCheckpoints();
      return;
    }
    // a group's checkpoints are rank 0's, listed under its id as the round of all runs lists them
    const listId = run.parts?.[0]?.id ?? sel.runId;
    // the round listed this directory within its interval, nothing being written: that listing stands
    if (!force && this.o.checkpointsOfAll && this.recent.fresh(listId, run.checkpoints, this.o.cfg.refresh.checkpointsMs)) {
      this.ckptWriting = false;
      this.scheduleCheckpoints();
      return;
    }
    this.ckptBusy = true;
    try {
      const r = await this.src.listCheckpoints(slot.host, listId, run.checkpoints);
      this.ckptWriting = r.ok && r.value.checkpoints.some((c) => c.writing === true);
      if (!this.stopped && r.ok) this.listed(r.value);
      else if (!r.ok) this.debug(`checkpoints ${sel.runId}: ${r.error.message}`);
    } finally {
      this.ckptBusy = false;
    }
    if (this.ckptAgain) {
      this.ckptAgain = false;
      void this.pollCheckpoints();
    } else this.scheduleCheckpoints();
  }

  private scheduleCheckpoints(): void {
    if (this.stopped) return;
    if (this.ckptTimer) clearTimeout(this.ckptTimer);
    // until the selected run's checkpoint dir is known (first runs poll), look again soon
    const run = this.selected ? this.findRun(this.selected.runId) : null;
    // one still being written: soon again, until it is done (or the rechecks run out)
    if (this.ckptWriting && this.ckptQuickLeft > 0) {
      this.ckptQuickLeft--;
      this.ckptTimer = setTimeout(() => {
        this.ckptTimer = null;
        void this.pollCheckpoints(true);
      }, WRITING_RECHECK_MS);
      this.ckptTimer.unref?.();
      return;
    }
    // a live run's directory is in the round of every live run's (one command for all): no second timer
    if (this.o.checkpointsOfAll && run?.checkpoints && (run.state === 'running' || run.state === 'stalled')) return;
    const wait = run?.checkpoints ? this.o.cfg.refresh.checkpointsMs : Math.min(2000, this.o.cfg.refresh.checkpointsMs);
    this.ckptTimer = setTimeout(() => {
      this.ckptTimer = null;
      void this.pollCheckpoints();
    }, wait);
    this.ckptTimer.unref?.();
  }

  /** A checkpoint listing: to the screen and to the events layer. */
  private listed(listing: CheckpointListing): void {
    this.o.store.dispatch({ type: 'checkpoints', listing });
    this.o.observe?.({ type: 'checkpoints', listing });
  }

  private scheduleAllCheckpoints(first = true): void {
    if (this.stopped) return;
    // the first round soon (the runs are known by then): it is what later listings are compared with
    const wait = first ? Math.min(5000, this.o.cfg.refresh.checkpointsMs) : this.o.cfg.refresh.checkpointsMs;
    this.allTimer = setTimeout(() => {
      this.allTimer = null;
      void this.listAllCheckpoints()
        .catch((e: unknown) => this.debug(`checkpoints of all runs threw: ${e instanceof Error ? e.stack : String(e)}`))
        .finally(() => this.scheduleAllCheckpoints(false));
    }, wait);
    this.allTimer.unref?.();
  }

  /** Every live run's checkpoints, the selected one's too: one exec per host per interval. */
  private async listAllCheckpoints(): Promise<void> {
    if (this.paused) return;
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        if (slot.host.state().phase !== 'connected') return;
        const items = slot.runs
          .filter((r) => r.checkpoints !== null && (r.state === 'running' || r.state === 'stalled'))
          .map((r) => ({ runId: r.id, dir: r.checkpoints as string }));
        if (items.length === 0) return;
        const res = await this.src.listCheckpointsMany(slot.host, items);
        if (this.stopped) return;
        for (const [runId, r] of res) {
          if (r.ok) {
            this.listed(r.value);
            this.recent.note(r.value);
            this.roundSawWriting(r.value);
          } else this.debug(`checkpoints ${runId}: ${r.error.message}`);
        }
      }),
    );
  }

  /** The round found the selected run's checkpoint being written: follow it as its own listing would. */
  private roundSawWriting(l: CheckpointListing): void {
    const sel = this.selected;
    const run = sel ? this.findRun(sel.runId) : null;
    if (!sel || !run || (run.parts?.[0]?.id ?? sel.runId) !== l.run || this.ckptBusy || this.ckptWriting) return;
    if (!l.checkpoints.some((c) => c.writing === true)) return;
    this.ckptWriting = true;
    this.ckptQuickLeft = WRITING_RECHECKS;
    this.scheduleCheckpoints();
  }

  private findRun(runId: string): { checkpoints: string | null; state: string; parts?: Run['parts'] } | null {
    const s = this.o.store.getState();
    // a group (config groups) is not in any host's runs: it is rank 0's, merged by the selectors
    const g = findRun(s, runId);
    if (g) return g;
    for (const runs of Object.values(s.runsByHost)) {
      const r = runs.find((x) => x.id === runId);
      if (r) return r;
    }
    return null;
  }
}

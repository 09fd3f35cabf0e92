// The log of the run on screen (part of the monitor controller): one follower at a time, started from
// the last few KB of the file and resumed where it was left when the user comes back to a run; a run
// without a log file shows its pane as the runs poll captured it; while the run's pane is peeked, new
// log lines wait and follow when the peek ends, so the two never interleave and none is lost.
import type { LogChunk } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import type { Store } from '../store/index.js';
import { parseProbe, probeCommand } from './log-follow.js';

/** Bytes of an existing log shown when a run is selected (then it streams). */
export const LOG_BACKLOG_BYTES = 64 * 1024;

export interface LogSource {
  readonly offset: number;
  run(): Promise<void>;
  stop(): void;
}

export type LogFollowerFactory = (o: {
  host: Host;
  path: string;
  offset: number;
  inode: number | null;
  onChunk: (c: LogChunk) => void;
}) => LogSource;

export interface Selection {
  runId: string;
  host: Host;
  /** The run's log file, or null: its pane is shown instead. */
  log: string | null;
  /** Where this run's output begins in the log (a reused log holds another run's lines before it). */
  logStart?: number | null;
}

export class SelectedLog {
  private sel: Selection | null = null;
  private follower: { runId: string; path: string; src: LogSource | null } | null = null;
  private gen = 0;
  private stopped = false;
  /** Where each run's log was left, so coming back to a run neither repeats nor loses lines. */
  private readonly resumeAt = new Map<string, { path: string; offset: number }>();
  private readonly lastPaneTail = new Map<string, string>();
  private peeking: string | null = null;
  private held: LogChunk[] = [];
  private heldPartial: LogChunk | null = null;

  constructor(
    private readonly store: Store,
    private readonly makeFollower: LogFollowerFactory,
    private readonly maxHeld: number,
    private readonly debug: (msg: string) => void,
  ) {}

  select(sel: Selection | null): void {
    if (this.peeking !== null && this.peeking !== sel?.runId) this.endPeek();
    this.sel = sel;
    const same = this.follower && sel && this.follower.runId === sel.runId && this.follower.path === sel.log;
    if (!same) this.follow(sel);
  }

  /** 'run.peek' on this run toggles the peek; another run's peek ends this one's. */
  peek(runId: string): void {
    if (this.peeking === runId) this.endPeek();
    else {
      this.endPeek();
      this.peeking = runId;
    }
  }

  endPeek(): void {
    const runId = this.peeking;
    if (runId === null) return;
    this.peeking = null;
    const held = this.held;
    const partial = this.heldPartial;
    this.held = [];
    this.heldPartial = null;
    for (const c of held) this.store.dispatch({ type: 'log', runId, chunk: c });
    if (partial) this.store.dispatch({ type: 'log', runId, chunk: partial });
  }

  /** A run without a log file shows the last lines of its pane, as the runs poll captured them. */
  showPaneTail(tails: Record<string, string> | undefined): void {
    const sel = this.sel;
    if (!sel || sel.log) return;
    const tail = tails?.[sel.runId];
    if (tail === undefined) return;
    if (this.store.peekLog(sel.runId) && this.lastPaneTail.get(sel.runId) === tail) return;
    this.lastPaneTail.set(sel.runId, tail);
    this.store.dispatch({ type: 'log.reset', runId: sel.runId });
    this.store.dispatch({ type: 'log.text', runId: sel.runId, text: tail.endsWith('\n') ? tail : `${tail}\n` });
  }

  stop(): void {
    this.stopped = true;
    this.gen++;
    this.follower?.src?.stop();
    this.follower = null;
  }

  private deliver(runId: string, c: LogChunk): void {
    if (this.peeking !== runId) {
      this.store.dispatch({ type: 'log', runId, chunk: c });
      return;
    }
    if (c.kind === 'partial') this.heldPartial = c;
    else {
      this.held.push(c);
      // a peek left open for hours must not grow memory past what the log pane keeps anyway
      if (this.held.length > this.maxHeld) this.held.splice(0, this.held.length - this.maxHeld);
    }
  }

  private follow(sel: Selection | null): void {
    const gen = ++this.gen;
    const old = this.follower;
    this.follower = null;
    if (old?.src) {
      old.src.stop();
      this.resumeAt.set(old.runId, { path: old.path, offset: old.src.offset });
    }
    if (!sel || !sel.log || this.stopped) return;
    const { runId, log: path, host } = sel;
    const logStart = sel.logStart ?? 0;
    const f: { runId: string; path: string; src: LogSource | null } = { runId, path, src: null };
    this.follower = f;
    const start = async (): Promise<void> => {
      const back = this.resumeAt.get(runId);
      let offset = 0;
      let inode: number | null = null;
      let skipFirst = false;
      if (back && back.path === path && this.store.peekLog(runId)) {
        offset = back.offset;
      } else {
        this.store.dispatch({ type: 'log.reset', runId });
        // show the last few KB of a long log, from a line start, then stream
        const p = await host.exec(probeCommand(path), { timeoutMs: 15_000 });
        const probe = p.ok ? parseProbe(p.value.stdout.toString('utf8')) : null;
        // this run's part of the log: from where it started (a shorter file is a new one)
        const begin = probe && probe.size >= logStart ? logStart : 0;
        if (probe && probe.size - begin > LOG_BACKLOG_BYTES) {
          offset = probe.size - LOG_BACKLOG_BYTES;
          inode = probe.inode;
          skipFirst = true;
        } else if (probe && begin > 0) {
          offset = begin;
          inode = probe.inode;
        }
      }
      if (gen !== this.gen) return;
      const src = this.makeFollower({
        host,
        path,
        offset,
        inode,
        onChunk: (c) => {
          if (skipFirst && c.kind === 'lines') {
            // the backlog starts mid-line: drop that fragment
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
}

// Peek: a live, read-only view of a run's tmux pane, by polling `capture-pane` (tech.md 5.3).
// No client attaches, so the user's session is never resized or typed into. Polls never overlap;
// a changed screen replaces the run's lines in the store (log.reset + one lines chunk).
import type { HostSpec } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { capturePane } from '../remote/tmux-control.js';
import { stripAnsi } from '../parse/terminal.js';
import type { StoreEvent } from '../store/state.js';

export interface PeekTarget {
  runId: string;
  host: Host;
  spec: HostSpec;
  session: string;
}

export interface PeekOptions {
  /** Between the end of one capture and the start of the next. Default 700 ms (1-2 a second). */
  intervalMs?: number;
  /** History lines above the visible pane. Default 200. */
  history?: number;
  timers?: {
    setTimeout: (fn: () => void, ms: number) => unknown;
    clearTimeout: (h: unknown) => void;
  };
}

/** Drop the blank rows under the last output (a pane is mostly empty below the prompt). */
export function trimPane(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && stripAnsi(lines[end - 1]!).trim() === '') end--;
  return lines.slice(0, end);
}

export class PanePeek {
  private target: PeekTarget | null = null;
  private timer: unknown = null;
  private generation = 0;
  private last: string | null = null;
  private failing = false;
  private readonly intervalMs: number;
  private readonly history: number;
  private readonly timers: NonNullable<PeekOptions['timers']>;

  constructor(
    private readonly dispatch: (e: StoreEvent) => void,
    opts: PeekOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 700;
    this.history = opts.history ?? 200;
    this.timers = opts.timers ?? {
      setTimeout: (fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref?.();
        return t;
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
  }

  /** The run being peeked at, or null. */
  get runId(): string | null {
    return this.target?.runId ?? null;
  }

  /** Start peeking at this run (stops any other peek). */
  start(t: PeekTarget): void {
    this.stop();
    this.target = t;
    this.last = null;
    this.failing = false;
    this.dispatch({ type: 'message', text: `peeking at ${t.runId} (live pane, read-only) · p again to stop` });
    void this.poll(this.generation);
  }

  /** Stop polling; the caller refills the run's log from its usual source if it wants. */
  stop(): void {
    this.generation++;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.target = null;
  }

  private async poll(gen: number): Promise<void> {
    const t = this.target;
    if (t === null || gen !== this.generation) return;
    const r = await capturePane(t.host, t.spec, t.session, { history: this.history });
    if (gen !== this.generation) return;
    if (r.ok) {
      this.failing = false;
      const lines = trimPane(r.value);
      const text = lines.join('\n');
      if (text !== this.last) {
        this.last = text;
        this.dispatch({ type: 'log.reset', runId: t.runId });
        if (lines.length > 0) this.dispatch({ type: 'log', runId: t.runId, chunk: { kind: 'lines', lines, offset: 0 } });
      }
    } else if (r.error.kind === 'not-found') {
      this.dispatch({ type: 'message', text: `peek stopped: ${r.error.message}`, level: 'warn' });
      this.stop();
      return;
    } else if (!this.failing) {
      // say it once; keep trying (the host may come back)
      this.failing = true;
      this.dispatch({ type: 'message', text: `peek at ${t.runId}: ${r.error.message}`, level: 'warn' });
    }
    this.timer = this.timers.setTimeout(() => void this.poll(gen), this.intervalMs);
  }
}

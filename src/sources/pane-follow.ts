// Following a run that has no log file: poll its pane (`capture-pane`) and print what is new. A pane is
// a screen, not a file, so this is best effort: the last line is held back while it may still change
// (a progress bar redrawn with \r), and new lines are found after the last lines already printed.
import type { HostSpec } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { shq } from '../remote/quote.js';
import { tmuxCommand } from '../remote/tmux-control.js';

/** Lines of the previous print used to find our place in the next capture. */
const ANCHOR = 5;

/** Capture lines -> (complete lines, the held-back last line). Trailing blank screen rows are dropped. */
export function settledLines(capture: string): string[] {
  const lines = capture.replace(/\n+$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return [];
  return lines.slice(0, -1);
}

/**
 * The lines of `next` (settled) that come after `printed` (the settled lines already shown, newest
 * last). `lost` is true when the anchor is gone (more than a capture scrolled by, or a clear): then
 * every line of `next` is new.
 */
export function newPaneLines(printed: readonly string[], next: readonly string[]): { lines: string[]; lost: boolean } {
  if (printed.length === 0) return { lines: [...next], lost: false };
  // the longest suffix of what was printed that still appears (its top may have scrolled off)
  for (let m = Math.min(ANCHOR, printed.length); m >= 1; m--) {
    const anchor = printed.slice(-m);
    for (let end = next.length; end >= m; end--) {
      let match = true;
      for (let k = 0; k < m; k++) {
        if (next[end - m + k] !== anchor[k]) {
          match = false;
          break;
        }
      }
      if (match) return { lines: next.slice(end), lost: false };
    }
  }
  return { lines: [...next], lost: true };
}

export interface PaneFollowerOptions {
  host: Host;
  spec: HostSpec;
  session: string;
  /** tmux's session id (`$3`): the exact target. */
  sessionId: string;
  /** Settled lines already printed (so the first poll prints only what is new). */
  printed: string[];
  onLines: (lines: string[]) => void;
  onLost: () => void;
  onError: (message: string | null) => void;
  intervalMs?: number;
  historyLines?: number;
}

export class PaneFollower {
  private stopped = false;
  private wake: (() => void) | null = null;
  private printed: string[];

  constructor(private readonly o: PaneFollowerOptions) {
    this.printed = o.printed.slice(-ANCHOR);
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(): Promise<void> {
    const cmd = `${tmuxCommand(this.o.spec)} capture-pane -p -J -S -${this.o.historyLines ?? 200} -t ${shq(`${this.o.sessionId}:`)}`;
    while (!this.stopped) {
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, this.o.intervalMs ?? 1000);
      });
      this.wake = null;
      if (this.stopped) break;
      const r = await this.o.host.exec(cmd, { timeoutMs: 15_000 });
      if (this.stopped) break;
      if (!r.ok) {
        this.o.onError(r.error.message);
        continue;
      }
      if (r.value.code !== 0) {
        this.o.onError(`the pane of ${this.o.spec.name}:${this.o.session} is gone`);
        continue;
      }
      this.o.onError(null);
      const next = settledLines(r.value.stdout.toString('utf8'));
      const fresh = newPaneLines(this.printed, next);
      if (fresh.lost) this.o.onLost();
      if (fresh.lines.length) {
        this.o.onLines(fresh.lines);
        this.printed = [...this.printed, ...fresh.lines].slice(-ANCHOR);
      }
    }
  }
}

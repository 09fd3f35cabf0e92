// `--exec CMD ARG...` and `notify.exec`: a program per event, never through a shell. The event reaches
// it in environment variables and as one JSON line on stdin; `{message}`, `{run}`, `{kind}`, `{host}`,
// `{state}`, `{reason}` and `{hint}` in an argument are replaced by the event's value (argv, so a hostile
// run name stays one argument; only whole arguments are replaced). Hooks run at most CONCURRENCY at a time from a bounded queue, each
// with a timeout that ends its whole process group; a slow or failing hook is reported and never
// delays the events after it beyond the queue.
import { spawn } from 'node:child_process';
import type { RtkEvent } from './types.js';

export interface HookOptions {
  argv: string[];
  timeoutMs?: number;
  maxQueue?: number;
  concurrency?: number;
  /** A hook failed, timed out or was dropped: one sentence. */
  onReport: (sentence: string) => void;
  env?: NodeJS.ProcessEnv;
}

const FIELDS = ['message', 'run', 'kind', 'host', 'state', 'reason', 'hint'] as const;

/**
 * An argument that is exactly `{message}` (or `{run}`, `{kind}`...) becomes that value, as one argument.
 * Only whole arguments: inside a longer one (`sh -c 'echo {message}'`) a hostile message would become
 * part of a script; there the program reads $RTK_MESSAGE or stdin instead.
 */
export function hookArgs(argv: readonly string[], e: RtkEvent): string[] {
  return argv.map((a, i) => {
    const m = i === 0 ? null : /^\{(message|run|kind|host|state|reason|hint)\}$/.exec(a);
    return m ? String(e[m[1] as (typeof FIELDS)[number]] ?? '') : a;
  });
}

export function hookEnv(base: NodeJS.ProcessEnv, e: RtkEvent): NodeJS.ProcessEnv {
  return {
    ...base,
    RTK_EVENT: e.kind,
    RTK_RUN: e.run ?? '',
    RTK_HOST: e.host,
    RTK_STATE: e.state ?? '',
    RTK_REASON: e.reason ?? '',
    RTK_MESSAGE: e.message,
    RTK_HINT: e.hint ?? '',
    RTK_TIME: e.time,
  };
}

export class HookRunner {
  private readonly queue: RtkEvent[] = [];
  private running = 0;
  private readonly live = new Set<number>();
  private closed = false;

  constructor(private readonly o: HookOptions) {}

  push(e: RtkEvent): void {
    if (this.closed) return;
    const max = this.o.maxQueue ?? 100;
    if (this.queue.length >= max) {
      const dropped = this.queue.shift()!;
      this.o.onReport(`hook queue full (${max}): dropped ${dropped.kind} ${dropped.run ?? dropped.host} of ${dropped.time}`);
    }
    this.queue.push(e);
    this.pump();
  }

  /** Hooks still queued or running. */
  get pending(): number {
    return this.queue.length + this.running;
  }

  /** Waits for the hooks in flight (at most ms), then closes. */
  async drain(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (this.pending > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    this.close();
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    for (const pid of this.live) killGroup(pid);
  }

  private pump(): void {
    while (!this.closed && this.running < (this.o.concurrency ?? 4) && this.queue.length > 0) {
      const e = this.queue.shift()!;
      this.running++;
      void this.runOne(e).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private runOne(e: RtkEvent): Promise<void> {
    const [cmd, ...args] = hookArgs(this.o.argv, e);
    const what = `hook ${cmd} for ${e.kind} ${e.run ?? e.host}`;
    return new Promise((resolve) => {
      let child;
      try {
        // its own process group: a timeout ends everything it started
        child = spawn(cmd!, args, { env: hookEnv(this.o.env ?? process.env, e), stdio: ['pipe', 'ignore', 'pipe'], detached: true });
      } catch (x) {
        this.o.onReport(`${what} could not start: ${x instanceof Error ? x.message : String(x)}`);
        resolve();
        return;
      }
      const pid = child.pid;
      if (pid !== undefined) this.live.add(pid);
      let err = '';
      let timedOut = false;
      child.stderr?.on('data', (b: Buffer) => {
        err = (err + b.toString('utf8')).slice(-300);
      });
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(`${JSON.stringify(e)}\n`);
      const t = setTimeout(() => {
        timedOut = true;
        if (pid !== undefined) killGroup(pid);
      }, this.o.timeoutMs ?? 30_000);
      t.unref?.();
      let done = false;
      child.on('error', (x: NodeJS.ErrnoException) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        if (pid !== undefined) this.live.delete(pid);
        this.o.onReport(`${what} could not start: ${x.code === 'ENOENT' ? 'no such program' : x.message}`);
        resolve();
      });
      // 'exit', not 'close': a daemon the hook left behind may hold its stderr for hours
      child.on('exit', (code, signal) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        if (pid !== undefined) this.live.delete(pid);
        child.stderr?.destroy();
        const last = err.trim().split('\n').pop() ?? '';
        if (timedOut) this.o.onReport(`${what} timed out after ${Math.round((this.o.timeoutMs ?? 30_000) / 1000)} s and was ended`);
        else if (code !== 0) this.o.onReport(`${what} failed (${code !== null ? `exit status ${code}` : `signal ${signal}`})${last ? `: ${last}` : ''}`);
        resolve();
      });
    });
  }
}

/** The hook's whole process group (it leads it: detached). Never a bare pid, which may be reused. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

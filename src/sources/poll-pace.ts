// Pacing the monitor's runs polls across many hosts (issue 14: 256 hosts through one jump).
//   - Bounded: at most POLL_CONCURRENCY polls in flight at once, the rest wait FIFO (a burst, such as
//     the first poll of every host or `r`, cannot flood the event loop or the jump connection).
//   - Budgeted: all hosts together are polled at most POLLS_PER_SECOND times a second on average: with
//     more hosts than that rate covers in one interval, each host's interval grows to
//     hosts / POLLS_PER_SECOND seconds. The host of the selected run keeps the configured interval.
//   - Fair: every host has its own timer for one poll per interval; the gate is FIFO (round robin), so
//     no host waits for another's second poll. A host's first interval is spread at random over the
//     interval, so that hosts started together do not stay in step.
//   - Coalesced: with more than COALESCE_ABOVE_HOSTS hosts, what polls and pings bring after a host's
//     first data reaches the store in one batch per COALESCE_MS (one frame), not one frame each; a
//     host's new latency (pings, every 15 s) at most once per PING_EVERY_MS.
import { Semaphore, type Release } from '../remote/semaphore.js';

export type { Release };

export const POLL_CONCURRENCY = 16;
export const POLLS_PER_SECOND = 8;
export const COALESCE_ABOVE_HOSTS = 16;
export const COALESCE_MS = 1000;
/** With many hosts, how often a host's new latency (its pings) reaches the store. */
export const PING_EVERY_MS = 60_000;

/** The interval between two runs polls of one host, given how many hosts share the budget. */
export function runsInterval(runsMs: number, hosts: number, selected = false, perSecond = POLLS_PER_SECOND): number {
  if (selected) return runsMs;
  return Math.max(runsMs, Math.ceil((hosts * 1000) / Math.max(0.001, perSecond)));
}

/** A host's first wait after its first poll: a random share of its interval in [0.5, 1]. */
export function firstSpread(intervalMs: number, rnd: () => number = Math.random): number {
  return Math.round(intervalMs * (0.5 + rnd() * 0.5));
}

/** The FIFO gate of runs polls in flight: a semaphore of POLL_CONCURRENCY slots. */
export class PollGate extends Semaphore {
  constructor(limit = POLL_CONCURRENCY) {
    super(limit);
  }

  get inFlight(): number {
    return this.inUse;
  }

  get waiting(): number {
    return this.queued;
  }
}

/**
 * Store deliveries coalesced into one batch per `ms` (one frame for many hosts' news). `urgent`
 * deliveries (a host's first data, a connection state change) run at once, after what is queued.
 */
export class Coalescer {
  private queue: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly enabled: boolean,
    private readonly ms = COALESCE_MS,
  ) {}

  deliver(fn: () => void, urgent = false): void {
    if (this.closed) return;
    if (!this.enabled || urgent) {
      this.flush();
      fn();
      return;
    }
    this.queue.push(fn);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.ms);
    this.timer.unref?.();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const q = this.queue;
    this.queue = [];
    for (const fn of q) fn();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
  }
}

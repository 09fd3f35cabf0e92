// The channel budget of one connection: at most N session channels open at once (sshd's
// MaxSessions defaults to 10, and a lingering remote process holds its slot), the rest wait FIFO.
import type { RtkError } from '../domain/types.js';

export type Release = () => void;

export class Semaphore {
  private used = 0;
  private readonly waiters: { resolve: (r: Release) => void; reject: (e: RtkError) => void }[] = [];
  private failed: RtkError | null = null;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** A slot now, or null when all are taken or others wait (then acquire() waits in turn). */
  tryAcquire(): Release | null {
    if (this.failed || this.used >= this.limit || this.waiters.length > 0) return null;
    this.used++;
    return this.releaser();
  }

  /** Resolves with a release function once a slot is free; rejects when the semaphore fails. */
  acquire(): Promise<Release> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.used < this.limit) {
      this.used++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Reject every waiter and every later acquire (the connection died). */
  fail(e: RtkError): void {
    this.failed = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  private releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next.resolve(this.releaser());
      else this.used--;
    };
  }
}

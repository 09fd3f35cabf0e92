// Polling helpers for e2e tests: a condition with a deadline (never a fixed sleep), and pgrep.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const pexec = promisify(execFile);

/** True as soon as `cond` holds, polled every 50 ms; after `timeoutMs`, its last answer. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** Pids (one per line) of processes whose command line contains `literal` (dots matched as dots). */
export async function pgrep(literal: string): Promise<string> {
  const r = await pexec('pgrep', ['-f', '--', literal.replaceAll('.', '\\.')]).catch(() => ({ stdout: '' }));
  return r.stdout.trim();
}

/** The first non-null answer of `fn`, polled every 50 ms; throws after `timeoutMs`. */
export async function pollFor<T>(fn: () => Promise<T | null> | T | null, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `cond` holds, polled every 50 ms; throws naming `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

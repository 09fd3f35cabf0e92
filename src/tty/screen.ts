// Full-screen terminal handling for Ink 6, which has no alternate-screen option (tech.md 1.4):
// enter the alternate screen and hide the cursor before Ink renders; restore on every exit path
// (normal unmount, SIGTERM/SIGINT/SIGHUP, an uncaught exception, process exit).
import type { EventEmitter } from 'node:events';

export const ALT_SCREEN_ON = '\x1b[?1049h';
export const ALT_SCREEN_OFF = '\x1b[?1049l';
export const CURSOR_HIDE = '\x1b[?25l';
export const CURSOR_SHOW = '\x1b[?25h';
/** What every exit path writes: cursor back, main screen back. */
export const RESTORE = CURSOR_SHOW + ALT_SCREEN_OFF;

export interface ScreenOut {
  write(s: string): unknown;
}
export interface ScreenIn {
  isTTY?: boolean;
  setRawMode?: (on: boolean) => unknown;
}

export function enterScreen(out: ScreenOut): void {
  out.write(`${ALT_SCREEN_ON}${CURSOR_HIDE}\x1b[H\x1b[2J`);
}

export function leaveScreen(out: ScreenOut, stdin?: ScreenIn): void {
  try {
    if (stdin?.isTTY === true && typeof stdin.setRawMode === 'function') stdin.setRawMode(false);
  } catch {
    // a closed TTY cannot be switched back; the terminal will reset it itself
  }
  out.write(RESTORE);
}

export interface ScreenGuard {
  /** Restores the terminal once (later calls do nothing). */
  restore(): void;
  /** Removes the process handlers. */
  dispose(): void;
}

type Proc = Pick<EventEmitter, 'on' | 'off' | 'listenerCount'>;

/**
 * Enters the alternate screen and arms the restore on every exit path. SIGTERM/SIGINT/SIGHUP call
 * `onSignal` (the owner quits through its normal path and restores), else restore at once; process
 * exit restores in any case. An uncaught
 * exception restores the terminal and is then thrown again, so the process still fails loudly.
 */
export function guardScreen(o: { stdout: ScreenOut; stdin?: ScreenIn; onSignal?: (sig: string) => void; proc?: Proc }): ScreenGuard {
  const proc: Proc = o.proc ?? process;
  let restored = false;
  let disposed = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    leaveScreen(o.stdout, o.stdin);
  };
  const onExit = (): void => restore();
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  const onSig = new Map<string, () => void>();
  for (const sig of signals) {
    // with onSignal the owner quits through its normal path (unmount, then restore), so Ink's
    // last frame lands on the alternate screen, not on the user's shell
    onSig.set(sig, () => (o.onSignal ? o.onSignal(sig) : restore()));
  }
  const onCrash = (e: unknown): void => {
    restore();
    dispose();
    // with our handler gone, this is an ordinary uncaught exception again (non-zero exit, stack shown)
    if (proc.listenerCount('uncaughtException') === 0) {
      process.nextTick(() => {
        throw e;
      });
    }
  };
  function dispose(): void {
    if (disposed) return;
    disposed = true;
    proc.off('exit', onExit);
    for (const [sig, fn] of onSig) proc.off(sig, fn);
    proc.off('uncaughtException', onCrash);
  }
  enterScreen(o.stdout);
  proc.on('exit', onExit);
  for (const [sig, fn] of onSig) proc.on(sig, fn);
  proc.on('uncaughtException', onCrash);
  return { restore, dispose };
}

// Hand the terminal to an interactive child (`tmux attach` or `ssh -t … tmux attach`) through a pty,
// keeping one banner row that says where we are and how to get back.
// The caller has already released the terminal: Ink unmounted, no listener left on stdin, the
// alternate screen left. We own raw mode while attached and restore every mode we may have
// changed (or the child may have left behind) on every way out.
import type { Readable, Writable } from 'node:stream';
import { safeText, stripAnsi } from '../parse/terminal.js';

export type AttachReason = 'detached' | 'exited' | 'lost' | 'failed' | 'signal';

export interface AttachOutcome {
  /**
   * detached: the detach key, or tmux's own detach (prefix d); the session keeps running.
   * exited: the child ended by itself (the session ended, or tmux refused to attach: see message).
   * lost: the connection dropped (ssh exit 255). failed: the child could not be started at all.
   * signal: this process got SIGTERM, SIGHUP or SIGINT while attached; the terminal is restored, the
   * session keeps running, and the caller should end as the signal asks.
   */
  reason: AttachReason;
  message?: string;
  code?: number | null;
  /** For 'signal': which one. */
  signal?: NodeJS.Signals;
}

type SignalProc = Pick<NodeJS.Process, 'on' | 'off' | 'listenerCount'>;

export interface AttachOptions {
  /** The program and its arguments, e.g. ['ssh', '-t', ..., 'tmux', 'attach', '-t', '=s']. */
  argv: string[];
  /** Shown in the banner: HOST:SESSION. */
  title: string;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  stdout: Writable & { columns?: number; rows?: number; isTTY?: boolean };
  /** The byte that detaches (default 0x1c, Ctrl-\), or a key name such as 'ctrl-]'. */
  detachKey?: number | string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** rtk-tui itself runs inside tmux (the banner says which prefix reaches which tmux).
   * Default: TMUX is set in env (or, when env has none, in this process's environment). */
  nestedTmux?: boolean;
  /** Where signal, exit and crash handlers go (tests); default process. */
  proc?: SignalProc;
}

const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

/** Calls `fn` with the signal when SIGTERM, SIGHUP or SIGINT comes while attached; returns the way to stop listening. */
function onAttachSignals(proc: SignalProc, fn: (sig: NodeJS.Signals) => void): () => void {
  const handlers = SIGNALS.map((sig) => [sig, () => fn(sig)] as const);
  for (const [sig, h] of handlers) proc.on(sig, h);
  return () => {
    for (const [sig, h] of handlers) proc.off(sig, h);
  };
}

export const DEFAULT_DETACH_KEY = 0x1c;

/** 'ctrl-\\', 'C-]', '^\\' or a single control character → its byte. */
export function parseDetachKey(key: number | string | undefined): number | null {
  if (key === undefined) return DEFAULT_DETACH_KEY;
  if (typeof key === 'number') return Number.isInteger(key) && key >= 0 && key < 0x20 ? key : null;
  if (key.length === 1) return key.charCodeAt(0) < 0x20 ? key.charCodeAt(0) : null;
  const m = /^(?:ctrl[-+]|c-|\^)(.)$/i.exec(key);
  if (!m) return null;
  const code = m[1]!.toUpperCase().charCodeAt(0);
  return code >= 0x40 && code <= 0x5f ? code - 0x40 : null;
}

/** The byte as people write it: 0x1c → 'Ctrl-\'. */
export function keyName(byte: number): string {
  return `Ctrl-${String.fromCharCode(byte + 0x40).toLowerCase()}`;
}

/** The banner text, fitted to the width. */
export function bannerText(title: string, detachByte: number, nestedTmux: boolean, cols: number): string {
  const parts = [`attached to ${safeText(title)}`, `${keyName(detachByte)} detach`];
  if (nestedTmux) parts.push("Ctrl-b: this terminal's tmux", 'Ctrl-b Ctrl-b: the run’s tmux');
  else parts.push('Ctrl-b d detaches too');
  let s = ` ${parts.join(' · ')} `;
  if (s.length > cols) s = s.slice(0, Math.max(0, cols - 1)) + (cols > 0 ? '…' : '');
  return s.padEnd(cols);
}

/** True when `s` ends inside an escape sequence (writing our own bytes there would corrupt it). */
export function endsInsideEscape(s: string): boolean {
  const i = s.lastIndexOf('\x1b');
  if (i < 0) return false;
  const tail = s.slice(i + 1);
  const intro = tail[0];
  if (intro === undefined) return true;
  // CSI: parameters, intermediates, one final byte
  if (intro === '[') return !/^\[[0-?]*[ -/]*[@-~]/.test(tail);
  // OSC ends with BEL or ST; DCS, APC, PM, SOS with ST (an ESC inside would be the last ESC)
  if (intro === ']') return !tail.includes('\x07');
  if ('P_^X'.includes(intro)) return true;
  // a short escape: intermediates then one final byte
  return !/^[ -/]*[0-~]/.test(tail);
}

/** A switch to or from an alternate screen (xterm 1049, 1047, 47). */
const SCREEN_SWITCH = /\x1b\[\?(?:1049|1047|47)[hl]/g;

// Sequences after which the banner row may have been wiped or scrolled: clear screen/below,
// reset, alternate screen switches, scroll region changes.
const WIPES = /\x1b\[[0-9;]*[Jr]|\x1bc|\x1b\[\?(?:1049|1047|47)[hl]/;

/** Every mode a tmux client (or we) may have turned on, turned off again; then the normal screen. */
export const RESTORE_TERMINAL =
  '\x1b[r\x1b[0m\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l' +
  '\x1b[?2004l\x1b[?1004l\x1b[?1l\x1b>\x1b[?7h\x1b[?1049l';

/** The last line of text the child printed (for the message after it ends), escapes dropped. */
export function lastLine(output: string): string {
  const text = stripAnsi(output.replace(/\r/g, '\n'));
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}

/**
 * Leave stdin as Ink leaves it on unmount: unref'd, not paused. A paused TTY stream stops its
 * handle but keeps its `reading` flag, so the next 'readable' listener (Ink mounting again)
 * would never restart it and the monitor would get no keys.
 */
function releaseStdin(stdin: AttachOptions['stdin']): void {
  (stdin as { unref?: () => void }).unref?.();
}

type PtyModule = typeof import('node-pty');

async function loadPty(): Promise<PtyModule | string> {
  try {
    const m = (await import('node-pty')) as PtyModule & { default?: PtyModule };
    return typeof m.spawn === 'function' ? m : (m.default ?? m);
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
}

/** Attach interactively; resolves when the child ends, however it ends. Never throws. */
export async function attachInteractive(o: AttachOptions): Promise<AttachOutcome> {
  const detachByte = parseDetachKey(o.detachKey);
  if (detachByte === null) return { reason: 'failed', message: `the detach key ${JSON.stringify(o.detachKey)} is not a control key such as ctrl-\\` };
  const [file, ...args] = o.argv;
  if (!file) return { reason: 'failed', message: 'nothing to attach: empty command' };
  const env = o.env ?? process.env;
  const nested = o.nestedTmux ?? Boolean(env.TMUX ?? process.env.TMUX);
  const pty = env.RTK_TUI_NO_PTY === '1' ? 'disabled by RTK_TUI_NO_PTY=1' : await loadPty();
  if (typeof pty === 'string') return attachWithoutPty(o, file, args, env, pty);

  const { stdin, stdout } = o;
  const size = () => ({ cols: Math.max(2, stdout.columns ?? 80), rows: Math.max(3, stdout.rows ?? 24) });
  let { cols, rows } = size();

  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  // a tmux client refuses to start inside tmux unless TMUX is unset: here it is nested on purpose
  delete childEnv.TMUX;
  childEnv.TERM ??= 'xterm-256color';

  let child: import('node-pty').IPty;
  try {
    child = pty.spawn(file, args, { name: childEnv.TERM, cols, rows: rows - 1, cwd: o.cwd ?? process.cwd(), env: childEnv });
  } catch (e) {
    return { reason: 'failed', message: `could not start ${file}: ${e instanceof Error ? e.message : String(e)}` };
  }

  // The banner lives on the bottom row: the child's pty is one row shorter, and a scroll region
  // over the other rows keeps a plain newline on its last row from scrolling the banner away.
  // DECSC/DECRC (ESC 7 / ESC 8) keep the child's cursor and colours around each redraw; tmux
  // itself never uses them. The banner is redrawn whenever the child wiped it.
  const banner = () =>
    `\x1b7\x1b[1;${rows - 1}r\x1b[${rows};1H\x1b[0m\x1b[7m${bannerText(o.title, detachByte, nested, cols - 1)}\x1b[0m\x1b8`;
  // our own alternate screen: the shell's screen comes back untouched afterwards (tmux's own
  // 1049h/l nest harmlessly inside it)
  stdout.write(`\x1b[?1049h\x1b[0m\x1b[H\x1b[2J${banner()}\x1b[1;1H`);

  let exited = false;
  let detaching = false;
  let pendingBanner = false;
  let tail = '';

  // The child's screen lives in OUR alternate screen: its own switches to and from the alternate
  // screen are dropped, so a tmux client leaving (it switches back, then prints "[detached ...]")
  // never writes on the user's shell screen. A switch cut between two chunks is held back first.
  let held = '';
  let lastDataAt = 0;
  const dataSub = child.onData((chunk) => {
    lastDataAt = Date.now();
    let d = held + chunk;
    held = '';
    if (endsInsideEscape(d)) {
      const at = d.lastIndexOf('\x1b');
      held = d.slice(at);
      d = d.slice(0, at);
    }
    d = d.replace(SCREEN_SWITCH, '');
    if (d === '') return;
    stdout.write(d);
    tail = (tail + d).slice(-4096);
    if (detaching || exited) return;
    if (pendingBanner || WIPES.test(d)) {
      if (endsInsideEscape(d)) pendingBanner = true;
      else {
        pendingBanner = false;
        stdout.write(banner());
      }
    }
  });

  const onInput = (chunk: Buffer | string) => {
    if (exited || detaching) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const at = buf.indexOf(detachByte);
    if (at < 0) {
      child.write(buf);
      return;
    }
    if (at > 0) child.write(buf.subarray(0, at));
    detach();
  };

  let killTimer: NodeJS.Timeout | undefined;
  const detach = () => {
    detaching = true;
    // the tmux client (or ssh, and with it the remote client) goes away; the session stays
    try {
      child.kill('SIGHUP');
    } catch {
      /* already gone */
    }
    killTimer = setTimeout(() => {
      // once it has exited, its pid may be anyone's
      if (exited) return;
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }, 3000);
    killTimer.unref?.();
  };

  let resizeTimer: NodeJS.Timeout | undefined;
  const onResize = () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (exited) return;
      ({ cols, rows } = size());
      try {
        child.resize(cols, rows - 1);
      } catch {
        /* the pty ended between the check and the call */
      }
      stdout.write(banner());
    }, 50);
  };

  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  // every way out puts the terminal back: the scroll region, our alternate screen, raw mode. A
  // signal detaches (the session keeps running) and the normal way out below does the rest; a
  // process exit or a crash restores at once.
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    try {
      if (raw) stdin.setRawMode!(false);
    } catch {
      /* a terminal that hung up cannot be switched back */
    }
    try {
      stdout.write(RESTORE_TERMINAL);
    } catch {
      /* nor written to */
    }
  };
  let signalled: NodeJS.Signals | null = null;
  const proc: SignalProc = o.proc ?? process;
  const onSignal = (sig: NodeJS.Signals): void => {
    signalled ??= sig;
    detach();
  };
  const onExitRestore = (): void => restore();
  const onCrash = (e: unknown): void => {
    restore();
    try {
      if (!exited) child.kill('SIGHUP');
    } catch {
      /* gone */
    }
    offHandlers();
    if (proc.listenerCount('uncaughtException') === 0) {
      process.nextTick(() => {
        throw e;
      });
    }
  };
  const offSignals = onAttachSignals(proc, onSignal);
  const offHandlers = (): void => {
    offSignals();
    proc.off('exit', onExitRestore);
    proc.off('uncaughtException', onCrash);
  };
  proc.on('exit', onExitRestore);
  proc.on('uncaughtException', onCrash);
  if (raw) stdin.setRawMode!(true);
  stdin.on('data', onInput);
  stdin.resume();
  stdout.on('resize', onResize);

  const { exitCode, signal } = await new Promise<{ exitCode: number; signal?: number }>((resolve) => {
    child.onExit((e) => {
      exited = true;
      resolve(e);
    });
  });
  // on Linux the exit can be reported before the last output (node-pty#72): let it arrive, until
  // the pty has been quiet for 30 ms (a loaded machine delivers it later), at most 500 ms
  const settleStart = Date.now();
  do await new Promise((r) => setTimeout(r, 30));
  while (Date.now() - lastDataAt < 30 && Date.now() - settleStart < 500);
  dataSub.dispose();
  clearTimeout(killTimer);
  clearTimeout(resizeTimer);
  stdout.off('resize', onResize);
  stdin.off('data', onInput);
  offHandlers();
  restore();
  releaseStdin(stdin);

  const last = lastLine(tail);
  const isSsh = /(^|\/)ssh$/.test(file);
  // whether the run keeps running is for the caller to say: it may have ended before the attach
  if (signalled !== null) return { reason: 'signal', signal: signalled, message: `${signalled} while attached to ${o.title}: detached`, code: exitCode };
  if (detaching) return { reason: 'detached', message: `detached from ${o.title}`, code: exitCode };
  // tmux's own prefix-d: the client says so before it exits
  if (/\[detached \(from session/.test(tail)) return { reason: 'detached', message: `detached from ${o.title}`, code: exitCode };
  if (isSsh && exitCode === 255)
    return { reason: 'lost', message: `connection to ${o.title} lost${last ? `: ${last}` : ''}`, code: exitCode };
  // tmux prints [exited] when the session itself ended (its last window closed)
  if (/\[(?:server )?exited\]/.test(tail)) return { reason: 'exited', message: `${o.title} ended (its tmux session is gone)`, code: exitCode };
  if (exitCode === 0 && !signal) return { reason: 'exited', message: last || `${o.title} ended`, code: exitCode };
  return { reason: 'exited', message: last || `${file} exited with status ${exitCode}`, code: exitCode };
}

/**
 * Without node-pty: the child gets the terminal itself (stdio inherited). No banner and no detach
 * key of ours; tmux's own prefix-d detaches. Resizes reach the child from the kernel directly.
 */
async function attachWithoutPty(o: AttachOptions, file: string, args: string[], env: NodeJS.ProcessEnv, why: string): Promise<AttachOutcome> {
  const { spawn } = await import('node:child_process');
  const childEnv = { ...env };
  delete childEnv.TMUX;
  o.stdout.write(`rtk-tui: node-pty is not available (${why}); attaching without the banner: detach with tmux's Ctrl-b d\r\n`);
  const { stdin } = o;
  if (stdin.isTTY === true && typeof stdin.setRawMode === 'function') stdin.setRawMode(false);
  stdin.pause();
  const fd = (s: unknown, n: number) => ((s as { fd?: number }).fd === n ? 'inherit' : 'pipe');
  const proc: SignalProc = o.proc ?? process;
  return new Promise<AttachOutcome>((resolve) => {
    let child: import('node:child_process').ChildProcess;
    try {
      child = spawn(file, args, { env: childEnv, cwd: o.cwd ?? process.cwd(), stdio: [fd(o.stdin, 0), fd(o.stdout, 1), 'inherit'] });
    } catch (e) {
      resolve({ reason: 'failed', message: `could not start ${file}: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    // a signal to us ends the child too (it holds the terminal); the exit below restores it
    let signalled: NodeJS.Signals | null = null;
    const off = onAttachSignals(proc, (sig) => {
      signalled ??= sig;
      child.kill('SIGHUP');
    });
    child.on('error', (e) => {
      off();
      resolve({ reason: 'failed', message: `could not start ${file}: ${e.message}` });
    });
    child.on('exit', (code) => {
      off();
      o.stdout.write(RESTORE_TERMINAL);
      if (signalled !== null) {
        stdin.resume();
        releaseStdin(stdin);
        resolve({ reason: 'signal', signal: signalled, message: `${signalled} while attached to ${o.title}: detached`, code });
        return;
      }
      // Socket.resume() restarts the TTY handle that pause() stopped (a 'readable' listener alone
      // would not), then unref as Ink leaves it
      stdin.resume();
      releaseStdin(stdin);
      const isSsh = /(^|\/)ssh$/.test(file);
      if (isSsh && code === 255) resolve({ reason: 'lost', message: `connection to ${o.title} lost`, code });
      // without the child's output we cannot tell prefix-d from the session ending: say neither
      else if (code === 0) resolve({ reason: 'detached', message: `left ${o.title}`, code });
      else resolve({ reason: 'exited', message: `${file} exited with status ${code}`, code });
    });
  });
}

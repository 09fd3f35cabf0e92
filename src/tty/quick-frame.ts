// The monitor's last screen, drawn the moment rtk-tui starts (issue 14: a frame with the last known
// state within 250 ms). Loading the program takes longer than that on a busy laptop; the screen the
// monitor showed when it last ran (same command line, same terminal size) is kept beside the state
// file and drawn by bin/rtk-tui before anything else loads, with a line at the bottom saying how old
// it is. The monitor draws over it when it is up. Only plain characters and SGR colours of the file
// reach the terminal (parse/terminal.ts sanitizeLine). If the program ends before the monitor is up
// (a config error), the screen is
// put back and what was written to stderr meanwhile is written again where it can be read.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { parseGlobal } from '../cli-args.js';
import { statePath } from '../events/state-path.js';
import { sanitizeLine } from '../parse/terminal.js';
import { ALT_SCREEN_OFF, ALT_SCREEN_ON, CURSOR_HIDE, CURSOR_SHOW } from './screen.js';

/** The file holding the last screen of the monitor started with these arguments. */
export function quickFramePath(env: NodeJS.ProcessEnv, argv: readonly string[]): string {
  const key = createHash('sha256').update(JSON.stringify(argv)).digest('hex').slice(0, 16);
  return join(dirname(statePath(env)), `screen-${key}.txt`);
}

/** Whether these arguments open the monitor (global flags only: no command, no host words). */
export function opensMonitor(argv: readonly string[]): boolean {
  const p = parseGlobal([...argv]);
  return p.error === null && !p.help && !p.version && p.rest.length === 0;
}

/**
 * The saved screen's rows as the terminal may see them: each through the log sanitizer (text and SGR
 * colours only, every other escape sequence dropped whole), at most `cols` columns wide, at most
 * `rows` of them: a forged file can neither drive the terminal nor wrap the screen.
 */
export function cleanFrame(text: string, cols: number, rows: number): string {
  return text
    .split('\n')
    .slice(0, rows)
    .map((l) => sanitizeLine(l, { keepColor: true, maxLen: cols }))
    .join('\n');
}

/** Writes the screen (atomically, 0600) with its size and time on a first line. */
export function saveQuickFrame(path: string, frame: string, size: { cols: number; rows: number }, now = Date.now()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ cols: size.cols, rows: size.rows, at: now })}\n${frame}`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The saved screen if it was saved for this terminal size, cleaned; else null. */
export function loadQuickFrame(path: string, size: { cols: number; rows: number }): { frame: string; at: number } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const nl = text.indexOf('\n');
  if (nl < 0 || text.length > 1_000_000) return null;
  try {
    const h = JSON.parse(text.slice(0, nl)) as { cols?: unknown; rows?: unknown; at?: unknown };
    if (h.cols !== size.cols || h.rows !== size.rows || typeof h.at !== 'number') return null;
    return { frame: cleanFrame(text.slice(nl + 1), size.cols, size.rows - 1), at: h.at };
  } catch {
    return null;
  }
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

interface Tty {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  write(s: string): boolean;
}

/** The arguments bin/rtk-tui started with (null in-process: tests save no screen). */
let startArgv: readonly string[] | null = null;

/** Keeps the monitor's screen for the next start with the same arguments and terminal size. */
export function saveScreen(env: NodeJS.ProcessEnv, size: { cols: number; rows: number }, frame: string | null): void {
  if (startArgv === null || !opensMonitor(startArgv) || frame === null || frame === '') return;
  try {
    saveQuickFrame(quickFramePath(env, startArgv), frame, size);
  } catch {
    // a read-only home: no quick frame next time, nothing else lost
  }
}

let shown: { out: Tty; err: NodeJS.WriteStream; write: NodeJS.WriteStream['write']; held: string[] } | null = null;

/**
 * Draws the last screen when stdout and stderr are terminals and these arguments open the monitor
 * (not under NO_COLOR/--no-color either: the saved screen has colours). True when it drew.
 */
export function showQuickFrame(argv: readonly string[], env: NodeJS.ProcessEnv, out: Tty = process.stdout, err: NodeJS.WriteStream = process.stderr, now = Date.now()): boolean {
  startArgv = [...argv];
  if (!out.isTTY || !err.isTTY || env.CI === 'true' || env.NO_COLOR !== undefined || env.TERM === 'dumb') return false;
  if (!opensMonitor(argv) || argv.includes('--no-color')) return false;
  const cols = out.columns ?? 0;
  const rows = out.rows ?? 0;
  if (cols < 20 || rows < 5) return false;
  const saved = loadQuickFrame(quickFramePath(env, argv), { cols, rows });
  if (saved === null) return false;
  const note = ` showing the screen of ${age(now - saved.at)} ago · connecting… `.slice(0, cols);
  out.write(`${ALT_SCREEN_ON}${CURSOR_HIDE}\u001b[H\u001b[2J${saved.frame.replaceAll('\n', '\r\n')}\u001b[${rows};1H\u001b[7m${note}\u001b[27m\u001b[H`);
  // until the monitor is up, what goes to stderr is kept and written again on the normal screen
  const held: string[] = [];
  const write = err.write;
  err.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as NodeJS.WriteStream['write'];
  shown = { out, err, write, held };
  process.once('exit', putBack);
  return true;
}

/**
 * The monitor is up (it owns the screen now): stderr is given back; what it got meanwhile is
 * written when the program ends, after the monitor has put the normal screen back.
 */
export function handOverQuickFrame(): void {
  if (shown === null) return;
  const s = shown;
  shown = null;
  process.off('exit', putBack);
  s.err.write = s.write;
  if (s.held.length > 0) process.once('exit', () => s.err.write(s.held.join('')));
}

/** The program ends before the monitor was up: the normal screen back, then what stderr got. */
function putBack(): void {
  if (shown === null) return;
  const s = shown;
  shown = null;
  s.out.write(`${CURSOR_SHOW}${ALT_SCREEN_OFF}`);
  s.err.write = s.write;
  if (s.held.length > 0) s.err.write(s.held.join(''));
}

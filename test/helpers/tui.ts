// Runs the BUILT rtk-tui (node bin/rtk-tui ...) in a real terminal: a pane of a tmux server on its own
// socket, 120x40 by default. Tests type keys with sendKeys/type and read the screen with capture(),
// waiting for a pattern with a deadline (never a fixed sleep). Ink draws nothing live when CI=true,
// so CI=false is always set in the program's environment.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(REPO_ROOT, 'bin', 'rtk-tui');

const EXIT_MARK = '__TUI_EXITED__';

export interface TuiOptions {
  /** Arguments after `rtk-tui`. Ignored when `argv` is given. */
  args?: string[];
  /** The whole command instead of `node bin/rtk-tui ...args` (argv[0] is looked up on PATH). */
  argv?: string[];
  /** Added to (and overriding) the base environment: PATH, HOME, TERM, LANG, CI=false, TMUX_TMPDIR, TMPDIR and XDG_STATE_HOME (the scratch dir). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  cols?: number;
  rows?: number;
  /** The program knows it runs in the harness's tmux pane (TMUX names its server, TMUX_PANE=%0), as
   * when a user starts it inside tmux: its local host then lists the harness's own sessions. */
  insideTmux?: boolean;
}

export interface Tui {
  /** Scratch directory of this terminal; also TMUX_TMPDIR of the program unless env overrides it. */
  readonly dir: string;
  /** tmux socket path of the harness server (not the program's own tmux servers). */
  readonly socket: string;
  /** tmux key names: 'j', 'Tab', 'BTab', 'Enter', 'Escape', 'C-c', 'Up', ... */
  sendKeys(...keys: string[]): Promise<void>;
  /** Literal text, each character a key press. */
  type(text: string): Promise<void>;
  /** The visible screen as text (capture-pane -p), one line per row. */
  capture(): Promise<string>;
  /** The screen with up to `lines` rows of history above it (output that scrolled away). */
  scrollback(lines?: number): Promise<string>;
  /** Poll the screen until it matches; returns the matching screen or throws with the last one. */
  waitFor(pattern: RegExp | string, deadlineMs?: number): Promise<string>;
  /** Poll until fn(screen) is true. */
  waitUntil(fn: (screen: string) => boolean, what: string, deadlineMs?: number): Promise<string>;
  /** Exit status once the program has ended, else null. */
  exitCode(): Promise<number | null>;
  /** Wait for the program to end; returns its exit status. */
  waitExit(deadlineMs?: number): Promise<number>;
  /** True while the pane shows the alternate screen. */
  alternateOn(): Promise<boolean>;
  resize(cols: number, rows: number): Promise<void>;
  /** Run a tmux command against the harness server. */
  tmux(...args: string[]): Promise<string>;
  /** Kill the harness server (SIGHUP to the program) and remove the scratch directory. */
  stop(): Promise<void>;
}

function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: env ?? process.env, encoding: 'utf8', maxBuffer: 8 << 20 }, (e, stdout, stderr) => {
      const code = e ? (typeof (e as { code?: unknown }).code === 'number' ? ((e as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** POSIX single-quoting for the command line tmux hands to sh. */
function q(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Sockets of tmux servers the program started under dir: in dir/tmux-UID/ (TMUX_TMPDIR=dir, tmux -L)
 * or in a directory of its own under dir (tmux -S, as the demo does); the harness's own (h.sock) not. */
export function tmuxSocketsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const d of safeReaddir(dir)) {
    const sub = join(dir, d);
    for (const s of safeReaddir(sub)) {
      const p = join(sub, s);
      try {
        if (lstatSync(p).isSocket()) out.push(p);
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}

function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startTui(opts: TuiOptions = {}): Promise<Tui> {
  if (!opts.argv && !existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) {
    throw new Error('dist/cli.js is missing: build first (npx tsc -p .)');
  }
  const cols = opts.cols ?? 120;
  const rows = opts.rows ?? 40;
  // short path: unix socket paths are limited to ~107 bytes
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'rtk-tui-')));
  const socket = join(dir, 'h.sock');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    TERM: 'screen-256color',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    CI: 'false',
    TMUX_TMPDIR: dir,
    // temp files of the program land here too, and go with stop()
    TMPDIR: dir,
    // the monitor's last known state and events: never the real home's
    XDG_STATE_HOME: join(dir, 'state'),
    ...(opts.insideTmux ? { TMUX: `${socket},0,0`, TMUX_PANE: '%0' } : {}),
    ...opts.env,
  };
  const argv = opts.argv ?? [process.execPath, BIN, ...(opts.args ?? [])];
  const envWords = Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => q(`${k}=${v}`));
  const cd = opts.cwd ? `cd ${q(opts.cwd)} && ` : '';
  // env -i: the program sees exactly `env` (no TMUX of the harness, no CI=true of the test runner)
  // the shell stays (sleep by path: the program's PATH may lack it) so the last screen stays as it was
  const inner = `${cd}${argv.map(q).join(' ')}; s=$?; echo; echo "${EXIT_MARK} $s"; for z in /bin/sleep /usr/bin/sleep; do [ -x "$z" ] && exec "$z" 86400; done`;
  // /bin/sh by path: the program's PATH may be anything (a test may leave tmux out of it)
  const command = `exec env -i ${envWords.join(' ')} /bin/sh -c ${q(inner)}`;
  const tmuxEnv = { ...process.env, TMUX: undefined, TMUX_TMPDIR: dir };
  const tmux = async (...args: string[]): Promise<string> => {
    const r = await run('tmux', ['-S', socket, ...args], tmuxEnv);
    if (r.code !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr.trim()}`);
    return r.stdout;
  };
  // remain-on-exit: should the shell end anyway, the pane and its screen stay for capture()
  const conf = join(dir, 'tmux.conf');
  writeFileSync(conf, 'set -g remain-on-exit on\nset -g status off\n');
  await tmux('-f', conf, 'new-session', '-d', '-s', 'tui', '-x', String(cols), '-y', String(rows), command);
  await tmux('resize-window', '-t', 'tui', '-x', String(cols), '-y', String(rows)).catch(() => undefined);

  const capture = async (): Promise<string> => (await tmux('capture-pane', '-p', '-t', 'tui')).replace(/\n$/, '');
  const waitUntil = async (fn: (s: string) => boolean, what: string, deadlineMs = 20_000): Promise<string> => {
    const end = Date.now() + deadlineMs;
    let last = '';
    for (;;) {
      try {
        last = await capture();
      } catch (e) {
        last = `(capture failed: ${e instanceof Error ? e.message : String(e)})`;
      }
      if (fn(last)) return last;
      if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}; screen:\n${last}`);
      await sleep(100);
    }
  };
  const exitCode = async (): Promise<number | null> => {
    const s = await tmux('capture-pane', '-p', '-S', '-200', '-t', 'tui').catch(() => '');
    const m = new RegExp(`${EXIT_MARK} (\\d+)`).exec(s);
    return m ? Number(m[1]) : null;
  };
  return {
    dir,
    socket,
    tmux,
    capture,
    waitUntil,
    waitFor: (pattern, deadlineMs) =>
      waitUntil(
        (s) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s)),
        String(pattern),
        deadlineMs,
      ),
    scrollback: async (lines = 500) => (await tmux('capture-pane', '-p', '-S', `-${lines}`, '-t', 'tui')).replace(/\n$/, ''),
    sendKeys: async (...keys) => {
      await tmux('send-keys', '-t', 'tui', ...keys);
    },
    type: async (text) => {
      await tmux('send-keys', '-t', 'tui', '-l', '--', text);
    },
    exitCode,
    waitExit: async (deadlineMs = 15_000) => {
      const end = Date.now() + deadlineMs;
      for (;;) {
        const c = await exitCode();
        if (c !== null) return c;
        if (Date.now() > end) throw new Error(`program did not exit within ${deadlineMs} ms; screen:\n${await capture()}`);
        await sleep(100);
      }
    },
    alternateOn: async () => (await tmux('display-message', '-p', '-t', 'tui', '#{alternate_on}')).trim() === '1',
    resize: async (c, r) => {
      await tmux('resize-window', '-t', 'tui', '-x', String(c), '-y', String(r));
    },
    stop: async () => {
      await run('tmux', ['-S', socket, 'kill-server'], tmuxEnv);
      // tmux servers the program itself started under TMUX_TMPDIR (the demo's) go too
      for (const sock of tmuxSocketsUnder(dir)) await run('tmux', ['-S', sock, 'kill-server'], tmuxEnv);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

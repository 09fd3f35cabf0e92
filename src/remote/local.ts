// The local host: commands run through `sh -c` with execa. No login shell, so no noise to strip.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { err, ok, type HostConnState, type Result, type RtkError } from '../domain/types.js';
import type { ExecOptions, ExecResult, Host, StreamHandle, StreamOptions } from './host.js';
import { watchdogScript } from './markers.js';

export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

export class LocalHost implements Host {
  readonly local = true;
  private readonly streams = new Set<StreamHandle>();
  private readonly st: HostConnState;

  constructor(
    readonly name: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.st = { name, phase: 'connected', status: 'connected', error: null, latencyMs: 0, lastOkAt: Date.now() };
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<Result<ExecResult>> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    // Its own process group: on timeout the whole pipeline goes, not only sh (a surviving child
    // would keep the pipes open and the call waiting). Without stdin of its own, the command runs
    // under the watchdog (remote/markers.ts) on a pipe this process holds: when this process ends,
    // however it ends (Ctrl-C, a crash, SIGKILL), the pipe closes and the command's whole tree
    // goes, as it does for a remote command whose channel closes.
    const wd = opts.stdin === undefined ? underWatchdog(command, this.env) : null;
    const [file, args] = wd ?? ['sh', ['-c', command]];
    // loaded on the first local command: ~80 ms of start-up that a monitor of remote hosts never needs
    const { execa } = await import('execa');
    const sub = execa(file, args, {
      env: this.env,
      extendEnv: false,
      encoding: 'buffer',
      reject: false,
      detached: true,
      maxBuffer: { stdout: maxBytes, stderr: maxBytes },
      // the watchdog's pipe; without one, stdin is closed (a command reading it must not wait)
      ...(opts.stdin !== undefined ? { input: opts.stdin } : { stdin: wd ? ('pipe' as const) : ('ignore' as const) }),
      stripFinalNewline: false,
      cleanup: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      sub.stdin?.destroy();
      if (running(sub)) killGroup(sub.pid, 'SIGKILL');
    }, timeoutMs);
    const r = await sub;
    clearTimeout(timer);
    sub.stdin?.destroy();
    const what = `\`${short(command)}\` on ${this.name}`;
    if (timedOut) return err('timeout', `${what} took longer than ${fmtMs(timeoutMs)}.`);
    // over the limit, execa has ended the command and reaped it: its pid may be anyone's now, so no
    // signal goes to it; under the watchdog the closed stdin ends what it left behind
    if (r.isMaxBuffer) return err('io', `${what} printed more than ${maxBytes} bytes.`);
    if (r.failed && r.exitCode === undefined && !r.signal) {
      return err('io', `could not run ${what}: ${r.shortMessage ?? 'unknown error'}`, { cause: r.cause });
    }
    this.st.lastOkAt = Date.now();
    return ok({
      code: r.exitCode ?? null,
      stdout: Buffer.from(r.stdout as Uint8Array),
      stderr: Buffer.from(r.stderr as Uint8Array),
    });
  }

  async stream(command: string, opts: StreamOptions = {}): Promise<Result<StreamHandle>> {
    // its own process group, so close() takes the whole pipeline down; under the watchdog (as exec)
    // so that it also ends with this process, whatever ends it
    const [file, args] = (opts.stdin === undefined ? underWatchdog(command, this.env) : null) ?? ['sh', ['-c', command]];
    const child = spawn(file, args, { env: this.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let closeCb: ((code: number | null, e: RtkError | null) => void) | null = null;
    let closed: { code: number | null; e: RtkError | null } | null = null;
    const finish = (code: number | null, e: RtkError | null): void => {
      if (closed) return;
      closed = { code, e };
      this.streams.delete(handle);
      closeCb?.(code, e);
    };
    const handle: StreamHandle = {
      onData: (cb) => void child.stdout.on('data', cb),
      onStderr: (cb) => void child.stderr.on('data', cb),
      onClose: (cb) => {
        closeCb = cb;
        if (closed) cb(closed.code, closed.e);
      },
      close: () => {
        if (running(child)) killGroup(child.pid, 'SIGTERM');
        child.stdin.destroy();
      },
    };
    child.on('error', (e) => finish(null, { kind: 'io', message: `could not run \`${short(command)}\` on ${this.name}: ${e.message}`, cause: e }));
    child.on('close', (code) => finish(code, null));
    child.stdin.on('error', () => undefined);
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    this.streams.add(handle);
    return ok(handle);
  }

  state(): HostConnState {
    return { ...this.st };
  }

  onState(): () => void {
    return () => undefined;
  }

  async connect(): Promise<Result<void>> {
    return ok(undefined);
  }

  async close(): Promise<void> {
    for (const s of [...this.streams]) s.close();
  }
}

let bash: string | null | undefined;

/** bash, from the PATH (NixOS keeps it there only), else the usual places; null without bash. */
function findBash(env: NodeJS.ProcessEnv): string | null {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/bin', '/usr/bin', '/usr/local/bin'];
  return dirs.map((d) => join(d, 'bash')).find((p) => existsSync(p)) ?? null;
}

/** `bash --norc -c WATCHDOG rtk-watchdog COMMAND` where bash is installed; null: plain sh. */
function underWatchdog(command: string, env: NodeJS.ProcessEnv): [string, string[]] | null {
  bash ??= findBash(env);
  return bash === null ? null : [bash, ['--norc', '-c', watchdogScript(null), 'rtk-watchdog', command]];
}

/** Not yet reaped: its pid (and group) are still its own. After the exit, they may be anyone's. */
function running(child: { exitCode: number | null; signalCode: NodeJS.Signals | null }): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** The child's whole process group (it leads it: detached). Only while `running(child)`. */
function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
}

export function short(command: string): string {
  // a poll script is kilobytes long and this runs for every command: only its start matters
  const head = command.length > 512 ? command.slice(0, 512) : command;
  const one = head.replace(/\s+/g, ' ').trim();
  return one.length > 60 || head !== command ? `${one.slice(0, 57)}...` : one;
}

export function fmtMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

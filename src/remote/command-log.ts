// Every remote command rtk-tui runs (polls, streams, kills, checks, transfers' hashing; SFTP reads and
// writes are not commands) with its time, host, duration, exit status and the exact script: a ring
// in memory for the monitor, and appended to commands.jsonl in the state directory, so that
// `rtk-tui log-commands` shows what earlier commands and the monitor ran. The file is bounded: past
// MAX_FILE bytes it is cut to its newest half. Recording never fails a command.
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { ok, type CommandEntry, type RtkError } from '../domain/types.js';
import type { Host, StreamHandle } from './host.js';

export type { CommandEntry } from '../domain/types.js';

export const MAX_FILE = 4 * 1024 * 1024;
const MAX_COMMAND = 16 * 1024;
const RING = 500;

export class CommandLog {
  private readonly ring: CommandEntry[] = [];
  private readonly listeners = new Set<(e: CommandEntry) => void>();
  private sinceCheck = 0;
  private broken = false;

  constructor(readonly path: string | null) {}

  record(e: CommandEntry): void {
    const entry = e.command.length > MAX_COMMAND ? { ...e, command: `${e.command.slice(0, MAX_COMMAND)}\n… (cut: ${e.command.length} characters)` } : e;
    this.ring.push(entry);
    if (this.ring.length > RING) this.ring.splice(0, this.ring.length - RING);
    for (const l of [...this.listeners]) l(entry);
    if (this.path === null || this.broken) return;
    const line = `${JSON.stringify(entry)}\n`;
    try {
      try {
        appendFileSync(this.path, line, { mode: 0o600 });
      } catch (e) {
        // the state directory is made once, when first missing (not per command)
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
        appendFileSync(this.path, line, { mode: 0o600 });
      }
      if (++this.sinceCheck >= 50) {
        this.sinceCheck = 0;
        trim(this.path);
      }
    } catch {
      // a full disk or a read-only home must not stop the monitor: the ring still has it
      this.broken = true;
    }
  }

  /** This process's commands, oldest first (of one host when given). */
  entries(host?: string): CommandEntry[] {
    return host === undefined ? [...this.ring] : this.ring.filter((e) => e.host === host);
  }

  on(cb: (e: CommandEntry) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
}

/** Past MAX_FILE, keep the newest half (whole lines), through a renamed temporary file. */
function trim(path: string): void {
  if (statSync(path).size <= MAX_FILE) return;
  const text = readFileSync(path, 'utf8');
  const from = text.indexOf('\n', text.length - MAX_FILE / 2);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, from < 0 ? '' : text.slice(from + 1), { mode: 0o600 });
  renameSync(tmp, path);
}

/** Reads the file's entries, oldest first; lines that are not entries are skipped. */
export function readCommandFile(text: string): CommandEntry[] {
  const out: CommandEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const v = JSON.parse(line) as Partial<CommandEntry>;
      if (typeof v.time === 'string' && typeof v.host === 'string' && typeof v.command === 'string') out.push(v as CommandEntry);
    } catch {
      /* a line cut by a crash */
    }
  }
  return out;
}

/** The host with every exec and stream recorded; everything else (sftp, state) is the host's own. */
export function recordingHost(host: Host, log: CommandLog): Host {
  return new Proxy(host, {
    get(t, k) {
      if (k === 'exec') {
        return async (command: string, opts?: Parameters<Host['exec']>[1]) => {
          const t0 = Date.now();
          const r = await t.exec(command, opts);
          log.record({ time: new Date(t0).toISOString(), host: t.name, kind: 'exec', ms: Date.now() - t0, exit: r.ok ? r.value.code : null, error: r.ok ? null : r.error.message, command });
          return r;
        };
      }
      if (k === 'stream') {
        return async (command: string, opts?: Parameters<Host['stream']>[1]) => {
          const t0 = Date.now();
          const r = await t.stream(command, opts);
          if (!r.ok) {
            log.record({ time: new Date(t0).toISOString(), host: t.name, kind: 'stream', ms: Date.now() - t0, exit: null, error: r.error.message, command });
            return r;
          }
          // one entry when it ends, with how long it ran (a GPU stream: as long as the connection);
          // a handle takes one close callback: the caller's is called from ours
          const h = r.value;
          let theirs: Parameters<StreamHandle['onClose']>[0] | null = null;
          let ended: { code: number | null; error: RtkError | null } | null = null;
          h.onClose((code, error) => {
            ended = { code, error };
            log.record({ time: new Date(t0).toISOString(), host: t.name, kind: 'stream', ms: Date.now() - t0, exit: code, error: error?.message ?? null, command });
            theirs?.(code, error);
          });
          const wrapped: StreamHandle = {
            onData: (cb) => h.onData(cb),
            onStderr: (cb) => h.onStderr(cb),
            onClose: (cb) => {
              theirs = cb;
              if (ended) cb(ended.code, ended.error);
            },
            close: () => h.close(),
          };
          return ok(wrapped);
        };
      }
      const v = Reflect.get(t, k, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

let current: CommandLog | null = null;

/** The log every host opened from now on records into (cli.ts sets it once). */
export function setCommandLog(log: CommandLog | null): void {
  current = log;
}

export function commandLog(): CommandLog | null {
  return current;
}

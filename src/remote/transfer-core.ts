// What push and pull share: the public types, sizes, paths, progress metering, the pre-flight
// refusal of existing destinations, and the verdicts of verification.
import type { Hash } from 'node:crypto';
import type * as fsp from 'node:fs/promises';
import { sep } from 'node:path';
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { HashAlgo } from '../config/check-file.js';
import { err, ok, type Result, type RtkError } from '../domain/types.js';
import type { Host } from './host.js';
import { hashLocalFile, remoteHashes } from './transfer-hash.js';
import type { RateLimiter, PipeOptions } from './transfer-pipe.js';
import type { SftpError } from './transfer-sftp.js';
import { NO_SUCH_FILE } from './transfer-sftp.js';

export const PART_SUFFIX = '.rtk-part';

export interface TransferProgress {
  /** Destination of the file being moved (the last one started), or null before the first. */
  file: string | null;
  filesDone: number;
  filesTotal: number;
  /** Bytes in place, resumed ones included. */
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the last few seconds of this run; null until measured. */
  rateBps: number | null;
  etaSeconds: number | null;
  phase: 'transfer' | 'verify' | 'done';
}

export interface TransferOptions {
  force?: boolean;
  hash?: HashAlgo;
  /** Skip the final checksum comparison. */
  verify?: boolean;
  onProgress?: (p: TransferProgress) => void;
  /** One-line notes: resumed, skipped as identical, restarted. */
  onNote?: (text: string) => void;
  limitBytesPerSec?: number | null;
  /** SFTP requests in flight per file, and bytes per request. */
  window?: number;
  chunk?: number;
  /** Files moved at the same time. */
  parallelFiles?: number;
  /** More SFTP sessions on the same connection: pulls of big files spread their reads over them. */
  extraChannels?: SFTPWrapper[];
}

export interface TransferSummary {
  /** The final destination path (a file or a directory). */
  dest: string;
  files: number;
  /** Bytes moved in this run (resumed and skipped bytes not counted). */
  bytes: number;
  resumedBytes: number;
  skipped: number;
  seconds: number;
}

export interface Job {
  src: string;
  dst: string;
  size: number;
  mode: number;
  partSize: number | null;
  /** The remote partial file as lstat saw it when the transfer was planned (push). */
  partStat?: import('ssh2').Stats | null;
  /** Final name exists already, with the same size: identical content means skip. */
  existingSameSize: boolean;
  localHash?: string;
  skip?: boolean;
  /** The other side's checksum when it differs from ours. */
  bad?: string;
  /** Hash computed on the far side while uploading (null: not available). */
  follow?: Promise<string | null>;
}

export const OVERLAP = 256 * 1024;
// OpenSSH's sftp-server limit for a read or write (limits@openssh.com: 256 KiB minus 1 KiB)
export const CHUNK = 255 * 1024;
export const WINDOW = 32;
// from this size on, the far side hashes an upload while it lands instead of re-reading it after
export const FOLLOW_MIN = 32 * 1024 * 1024;
// from this size on, a pull reads through every SFTP session it was given (one ssh2 channel's 2 MiB
// window caps what one session has in flight)
export const MULTI_MIN = 8 * 1024 * 1024;

// ---------------------------------------------------------------- paths

/** A remote path made absolute: `~`, `~/x` and relative paths start at the SFTP home directory. */
export function absRemote(p: string, home: string): string {
  let rel = p;
  if (p === '~') rel = '.';
  else if (p.startsWith('~/')) rel = p.slice(2) || '.';
  const abs = rel.startsWith('/') ? rel : posix.join(home, rel);
  const norm = posix.normalize(abs);
  return norm.length > 1 && norm.endsWith('/') ? norm.slice(0, -1) : norm;
}

/** DEST names a folder to put things in: `dir/`, `.`, `..`, `~`, `/`. */
export const intoDir = (p: string): boolean => p.endsWith('/') || p.endsWith(sep) || /(^|[\\/])\.\.?$/.test(p) || p === '~';

export function describe(e: unknown, host: string, what: string): RtkError {
  const m = e instanceof Error ? e.message : String(e);
  const code = (e as SftpError)?.code;
  if (typeof code === 'number') {
    const why = code === NO_SUCH_FILE ? 'no such file' : code === 3 ? 'permission denied' : m;
    return { kind: 'io', message: `${what} on ${host}: ${why}`, cause: e };
  }
  if (/No response|Not connected|closed|ECONNRESET|EPIPE|timeout|Channel/i.test(m)) {
    return { kind: 'unreachable', message: `connection to ${host} lost during ${what}: run the same command again to resume`, cause: e };
  }
  return { kind: 'io', message: `${what} on ${host}: ${m}`, cause: e };
}

// ---------------------------------------------------------------- progress

export class Meter {
  private readonly samples: { t: number; b: number }[] = [];
  private last = 0;
  moved = 0;
  done = 0;
  filesDone = 0;
  file: string | null = null;
  constructor(
    readonly total: number,
    readonly files: number,
    private readonly cb?: (p: TransferProgress) => void,
  ) {}
  add(n: number, moved: boolean): void {
    this.done += n;
    if (moved) this.moved += n;
    this.emit(false);
  }
  emit(force: boolean, phase: TransferProgress['phase'] = 'transfer'): void {
    if (!this.cb) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.samples.push({ t: now, b: this.moved });
    while (this.samples.length > 2 && now - this.samples[0]!.t > 3000) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (now - first.t) / 1000;
    const rate = dt >= 0.3 ? (this.moved - first.b) / dt : null;
    const left = this.total - this.done;
    this.cb({
      file: this.file,
      filesDone: this.filesDone,
      filesTotal: this.files,
      bytesDone: this.done,
      bytesTotal: this.total,
      rateBps: rate,
      etaSeconds: rate && rate > 0 ? Math.ceil(left / rate) : left === 0 ? 0 : null,
      phase,
    });
  }
}

// ---------------------------------------------------------------- shared planning

export async function pool<T>(items: T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    while (failure === null && i < items.length) {
      const t = items[i++]!;
      try {
        await f(t);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  if (failure !== null) throw failure;
}

export interface Side {
  host: Host;
  sftp: SFTPWrapper;
  algo: HashAlgo;
  o: TransferOptions;
}

/** Refuse existing destinations without --force, unless their content is identical (then skip). */
export async function settleExisting(side: Side, jobs: Job[], remoteIsDst: boolean, dstLabel: (j: Job) => string): Promise<Result<void>> {
  const same = jobs.filter((j) => j.existingSameSize);
  if (!side.o.force && same.length) {
    const remotePaths = same.map((j) => (remoteIsDst ? j.dst : j.src));
    let skipped = 0;
    const rh = await remoteHashes(side.host, remotePaths, side.algo, same.reduce((a, j) => a + j.size, 0));
    if (!rh.ok) return rh;
    for (const [k, j] of same.entries()) {
      const lh = await hashLocalFile(remoteIsDst ? j.src : j.dst, side.algo);
      if (rh.value[k] !== null && rh.value[k] === lh) {
        j.skip = true;
        if (++skipped <= 5) side.o.onNote?.(`${dstLabel(j)} is already there, identical: skipped`);
      }
    }
    if (skipped > 5) side.o.onNote?.(`... and ${skipped - 5} more identical files skipped`);
  }
  return ok(undefined);
}

export function conflictError(conflicts: string[]): Result<never> {
  const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more file${conflicts.length > 2 ? 's' : ''})` : '';
  return err('refused', `${conflicts[0]} already exists${more}: pass --force to overwrite`);
}

// the data may well be fine: keep the partial file, so a run with --no-verify only renames it
export function noHash(label: string, algo: HashAlgo): Result<never> {
  return err('exit', `cannot compute the ${algo} of ${label} (no ${algo}sum, shasum or openssl there?): install one, or pass --no-verify`);
}

export function mismatch(label: string, algo: HashAlgo, local: string | undefined, remote: string | null, others = 0): RtkError {
  const more = others ? ` (and ${others} more file${others === 1 ? '' : 's'})` : '';
  return {
    kind: 'io',
    message: `${algo} mismatch for ${label}${more} (local ${local?.slice(0, 12) ?? '?'}…, remote ${remote?.slice(0, 12) ?? 'unreadable'}…): nothing was kept under that name; run the command again to transfer it afresh`,
  };
}

// ---------------------------------------------------------------- helpers

export function pipe(o: TransferOptions, limiter: RateLimiter | null, signal: AbortSignal, onBytes: (n: number) => void): PipeOptions {
  return { window: o.window ?? WINDOW, chunk: o.chunk ?? CHUNK, limiter, signal, onBytes };
}

export async function hashPrefix(fh: fsp.FileHandle, len: number, hasher: Hash): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.min(len, 1024 * 1024));
  for (let pos = 0; pos < len; ) {
    const n = Math.min(buf.length, len - pos);
    const { bytesRead } = await fh.read(buf, 0, n, pos);
    if (bytesRead === 0) throw new Error('the partial file got shorter while resuming');
    hasher.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
}

export function mib(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

// push/pull over SFTP on the host's own SSH connection: files and directories, pipelined requests,
// resume from NAME.rtk-part, checksum verification, and nothing half-done under a final name.
import { createHash, type Hash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { HashAlgo } from '../config/check-file.js';
import { err, ok, type Result, type RtkError } from '../domain/types.js';
import type { Host } from './host.js';
import { hostSftp } from './index.js';
import { followHash, hashLocalFile, remoteHashes } from './transfer-hash.js';
import { RateLimiter, downloadRange, uploadRange, type PipeOptions } from './transfer-pipe.js';
import {
  NO_SUCH_FILE,
  call,
  channelGone,
  rchmod,
  rclose,
  rmkdir,
  ropen,
  rread,
  rreaddir,
  rrename,
  rstat,
  runlink,
  type SftpError,
} from './transfer-sftp.js';

export { hashFunction, hashLocalFile, remoteHashes } from './transfer-hash.js';

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

interface Job {
  src: string;
  dst: string;
  size: number;
  mode: number;
  partSize: number | null;
  /** Final name exists already, with the same size: identical content means skip. */
  existingSameSize: boolean;
  localHash?: string;
  skip?: boolean;
  /** The other side's checksum when it differs from ours. */
  bad?: string;
  /** Hash computed on the far side while uploading (null: not available). */
  follow?: Promise<string | null>;
}

const OVERLAP = 256 * 1024;
// OpenSSH's sftp-server limit for a read or write (limits@openssh.com: 256 KiB minus 1 KiB)
const CHUNK = 255 * 1024;
const WINDOW = 32;
// from this size on, the far side hashes an upload while it lands instead of re-reading it after
const FOLLOW_MIN = 32 * 1024 * 1024;
// from this size on, a pull reads through every SFTP session it was given (one ssh2 channel's 2 MiB
// window caps what one session has in flight)
const MULTI_MIN = 8 * 1024 * 1024;

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
const intoDir = (p: string): boolean => p.endsWith('/') || p.endsWith(sep) || /(^|[\\/])\.\.?$/.test(p) || p === '~';

function describe(e: unknown, host: string, what: string): RtkError {
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

class Meter {
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

async function pool<T>(items: T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
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

interface Side {
  host: Host;
  sftp: SFTPWrapper;
  algo: HashAlgo;
  o: TransferOptions;
}

/** Refuse existing destinations without --force, unless their content is identical (then skip). */
async function settleExisting(side: Side, jobs: Job[], remoteIsDst: boolean, dstLabel: (j: Job) => string): Promise<Result<void>> {
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

function conflictError(conflicts: string[]): Result<never> {
  const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more file${conflicts.length > 2 ? 's' : ''})` : '';
  return err('refused', `${conflicts[0]} already exists${more}: pass --force to overwrite`);
}

// the data may well be fine: keep the partial file, so a run with --no-verify only renames it
function noHash(label: string, algo: HashAlgo): Result<never> {
  return err('exit', `cannot compute the ${algo} of ${label} (no ${algo}sum, shasum or openssl there?): install one, or pass --no-verify`);
}

function mismatch(label: string, algo: HashAlgo, local: string | undefined, remote: string | null, others = 0): RtkError {
  const more = others ? ` (and ${others} more file${others === 1 ? '' : 's'})` : '';
  return {
    kind: 'io',
    message: `${algo} mismatch for ${label}${more} (local ${local?.slice(0, 12) ?? '?'}…, remote ${remote?.slice(0, 12) ?? 'unreadable'}…): nothing was kept under that name; run the command again to transfer it afresh`,
  };
}

// ---------------------------------------------------------------- push

async function walkLocal(root: string, dstRoot: string, jobs: Job[], dirs: string[], note?: (s: string) => void): Promise<void> {
  dirs.push(dstRoot);
  const entries = await fsp.readdir(root, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const src = join(root, e.name);
    const dst = posix.join(dstRoot, e.name);
    if (e.name.endsWith(PART_SUFFIX)) continue;
    let st = await fsp.lstat(src);
    if (st.isSymbolicLink()) {
      st = await fsp.stat(src).catch(() => st);
      if (st.isDirectory()) {
        note?.(`${src} is a link to a directory: not followed`);
        continue;
      }
    }
    if (st.isDirectory()) await walkLocal(src, dst, jobs, dirs, note);
    else if (st.isFile()) jobs.push({ src, dst, size: st.size, mode: st.mode & 0o777, partSize: null, existingSameSize: false });
    else note?.(`${src} is not a regular file: skipped`);
  }
}

export async function pushPath(host: Host, sftp: SFTPWrapper, local: string, remote: string, o: TransferOptions = {}): Promise<Result<TransferSummary>> {
  const t0 = Date.now();
  const algo = o.hash ?? 'sha256';
  const side: Side = { host, sftp, algo, o };
  const H = host.name;
  const label = (p: string): string => `${H}:${p}`;
  let stage = 'reading the remote side';
  const watch = channelGone(sftp);
  try {
    const st = await fsp.stat(local).catch(() => null);
    if (!st) return err('not-found', `local ${local} does not exist`);
    if (!st.isFile() && !st.isDirectory()) return err('usage', `local ${local} is not a file or a directory`);
    const home = await call<string>(sftp, (cb) => sftp.realpath('.', cb));
    const target = absRemote(remote, home);
    const tst = await rstat(sftp, target);
    let dest = target;
    // DEST/ means inside DEST; a file goes inside an existing directory; a directory without the
    // slash IS the destination (created, or completed when it exists): a re-run after a cut lands
    // in the same place instead of one level deeper
    if (intoDir(remote) || (tst?.isDirectory() && st.isFile())) {
      if (!tst?.isDirectory()) return err('not-found', `${label(target)} is not an existing directory`);
      dest = posix.join(target, basename(resolve(local)) || 'root');
    }
    const parent = await rstat(sftp, posix.dirname(dest));
    if (!parent?.isDirectory()) return err('not-found', `${label(posix.dirname(dest))} does not exist: create it first`);

    const jobs: Job[] = [];
    const dirs: string[] = [];
    if (st.isDirectory()) await walkLocal(local, dest, jobs, dirs, o.onNote);
    else jobs.push({ src: local, dst: dest, size: st.size, mode: st.mode & 0o777, partSize: null, existingSameSize: false });

    // what is already there: one stat per file and per partial file, pipelined
    const conflicts: string[] = [];
    const dstStat = await rstat(sftp, dest);
    if (dstStat && st.isDirectory() !== dstStat.isDirectory()) {
      return err('refused', `${label(dest)} already exists as a ${dstStat.isDirectory() ? 'directory' : 'file'}`);
    }
    await pool(jobs, 32, async (j) => {
      const [fin, part] = await Promise.all([rstat(sftp, j.dst), rstat(sftp, j.dst + PART_SUFFIX)]);
      if (fin?.isDirectory()) conflicts.push(`${label(j.dst)} (a directory)`);
      else if (fin && !o.force) {
        if (fin.size === j.size) j.existingSameSize = true;
        else conflicts.push(label(j.dst));
      }
      j.partSize = part?.isFile() ? part.size : null;
    });
    const settled = await settleExisting(side, jobs, true, (j) => label(j.dst));
    if (!settled.ok) return settled;
    for (const j of jobs) if (j.existingSameSize && !j.skip) conflicts.push(label(j.dst));
    if (conflicts.length) return conflictError(conflicts);

    stage = 'creating directories';
    for (const d of dirs) {
      const ds = await rstat(sftp, d);
      if (!ds) await rmkdir(sftp, d);
    }

    const todo = jobs.filter((j) => !j.skip);
    const meter = new Meter(
      todo.reduce((a, j) => a + j.size, 0),
      todo.length,
      o.onProgress,
    );
    const limiter = o.limitBytesPerSec ? new RateLimiter(o.limitBytesPerSec) : null;
    let resumedBytes = 0;
    stage = 'the transfer';
    await pool(todo, o.parallelFiles ?? 3, async (j) => {
      meter.file = label(j.dst);
      const part = j.dst + PART_SUFFIX;
      const fh = await fsp.open(j.src, 'r');
      try {
        let start = 0;
        if (j.partSize !== null && j.partSize <= j.size && j.partSize > 0) {
          // the partial file's last bytes must equal ours, or it is not a prefix of this file
          const w = Math.min(OVERLAP, j.partSize);
          const rh = await ropen(sftp, part, 'r');
          const theirs = await rread(sftp, rh, j.partSize - w, w).finally(() => rclose(sftp, rh));
          const mine = Buffer.alloc(w);
          await fh.read(mine, 0, w, j.partSize - w);
          if (theirs.equals(mine)) start = j.partSize;
          else o.onNote?.(`${label(part)} does not match ${j.src}: starting over`);
        } else if (j.partSize !== null && j.partSize > j.size) o.onNote?.(`${label(part)} is longer than ${j.src}: starting over`);
        if (start > 0) {
          o.onNote?.(`resuming ${label(j.dst)} at ${mib(start)} of ${mib(j.size)}`);
          resumedBytes += start;
          meter.add(start, false);
        }
        const hasher = createHash(algo);
        if (start > 0) await hashPrefix(fh, start, hasher);
        const handle = await ropen(sftp, part, start > 0 ? 'r+' : 'w', 0o600);
        // started after the open: a truncated part file is what it reads from
        if (o.verify !== false && j.size >= FOLLOW_MIN) j.follow = followHash(host, part, j.size, algo);
        try {
          await uploadRange(sftp, handle, fh, start, j.size, hasher, pipe(o, limiter, watch.signal, (n) => meter.add(n, true)));
        } finally {
          await rclose(sftp, handle).catch(() => undefined);
        }
        j.localHash = hasher.digest('hex');
        meter.filesDone++;
      } finally {
        await fh.close();
      }
    });
    if (todo.length) meter.emit(true, 'verify');

    stage = 'verification';
    if (o.verify !== false && todo.length) {
      const followed = await Promise.all(todo.map((j) => j.follow ?? Promise.resolve(null)));
      // what was not hashed on the way (or does not match: look again before calling it bad)
      const again = todo.filter((j, k) => followed[k] !== j.localHash);
      const rh = await remoteHashes(host, again.map((j) => j.dst + PART_SUFFIX), algo, again.reduce((a, j) => a + j.size, 0));
      if (!rh.ok) return rh;
      const missing = again.findIndex((_, k) => rh.value[k] === null);
      if (missing >= 0) return noHash(label(again[missing]!.dst + PART_SUFFIX), algo);
      for (const [k, j] of again.entries()) j.bad = rh.value[k] !== j.localHash ? rh.value[k]! : undefined;
    }
    stage = 'the final rename';
    // the good files get their names, the bad ones are deleted: nothing half-done stays
    for (const j of todo) {
      if (j.bad !== undefined) await runlink(sftp, j.dst + PART_SUFFIX).catch(() => undefined);
      else {
        await rrename(sftp, j.dst + PART_SUFFIX, j.dst);
        await rchmod(sftp, j.dst, j.mode).catch(() => undefined);
      }
    }
    const bad = todo.filter((j) => j.bad !== undefined);
    if (bad.length) return { ok: false, error: mismatch(label(bad[0]!.dst), algo, bad[0]!.localHash, bad[0]!.bad ?? null, bad.length - 1) };
    meter.emit(true, 'done');
    return ok({ dest, files: todo.length, bytes: meter.moved, resumedBytes, skipped: jobs.length - todo.length, seconds: (Date.now() - t0) / 1000 });
  } catch (e) {
    return { ok: false, error: describe(e, H, stage) };
  } finally {
    watch.dispose();
  }
}

// ---------------------------------------------------------------- pull

async function walkRemote(sftp: SFTPWrapper, root: string, dstRoot: string, jobs: Job[], dirs: string[], note?: (s: string) => void): Promise<void> {
  dirs.push(dstRoot);
  const entries = await rreaddir(sftp, root);
  entries.sort((a, b) => a.filename.localeCompare(b.filename));
  for (const e of entries) {
    if (e.filename === '.' || e.filename === '..' || e.filename.endsWith(PART_SUFFIX)) continue;
    if (e.filename.includes('/') || e.filename.includes('\0')) continue;
    const src = posix.join(root, e.filename);
    const dst = join(dstRoot, e.filename);
    let a = e.attrs;
    if (a.isSymbolicLink()) {
      const t = await rstat(sftp, src).catch(() => null);
      if (!t || t.isDirectory()) {
        note?.(`${src} is a link to a directory or nothing: not followed`);
        continue;
      }
      a = t;
    }
    if (a.isDirectory()) await walkRemote(sftp, src, dst, jobs, dirs, note);
    else if (a.isFile()) jobs.push({ src, dst, size: a.size, mode: a.mode & 0o777, partSize: null, existingSameSize: false });
    else note?.(`${src} is not a regular file: skipped`);
  }
}

export async function pullPath(host: Host, sftp: SFTPWrapper, remote: string, local: string, o: TransferOptions = {}): Promise<Result<TransferSummary>> {
  const t0 = Date.now();
  const algo = o.hash ?? 'sha256';
  const side: Side = { host, sftp, algo, o };
  const H = host.name;
  const label = (p: string): string => `${H}:${p}`;
  let stage = 'reading the remote side';
  const extras = o.extraChannels ?? [];
  const watches = [channelGone(sftp), ...extras.map(channelGone)];
  const watch = { signal: watches.length > 1 ? AbortSignal.any(watches.map((w) => w.signal)) : watches[0]!.signal, dispose: () => watches.forEach((w) => w.dispose()) };
  try {
    const home = await call<string>(sftp, (cb) => sftp.realpath('.', cb));
    const source = absRemote(remote, home);
    const sst = await rstat(sftp, source);
    if (!sst) return err('not-found', `${label(source)} does not exist`);
    if (!sst.isFile() && !sst.isDirectory()) return err('usage', `${label(source)} is not a file or a directory`);
    const lst = await fsp.stat(local).catch(() => null);
    let dest = local;
    if (intoDir(local) || (lst?.isDirectory() && sst.isFile())) {
      if (!lst?.isDirectory()) return err('not-found', `local directory ${local} does not exist`);
      dest = join(local, posix.basename(source) || 'root');
    }
    const parent = await fsp.stat(dirname(dest)).catch(() => null);
    if (!parent?.isDirectory()) return err('not-found', `local ${dirname(dest)} does not exist: create it first`);

    const jobs: Job[] = [];
    const dirs: string[] = [];
    if (sst.isDirectory()) await walkRemote(sftp, source, dest, jobs, dirs, o.onNote);
    else jobs.push({ src: source, dst: dest, size: sst.size, mode: sst.mode & 0o777, partSize: null, existingSameSize: false });

    const dstStat = await fsp.stat(dest).catch(() => null);
    if (dstStat && sst.isDirectory() !== dstStat.isDirectory()) {
      return err('refused', `local ${dest} already exists as a ${dstStat.isDirectory() ? 'directory' : 'file'}`);
    }
    const conflicts: string[] = [];
    for (const j of jobs) {
      const fin = await fsp.stat(j.dst).catch(() => null);
      const part = await fsp.stat(j.dst + PART_SUFFIX).catch(() => null);
      if (fin?.isDirectory()) conflicts.push(`local ${j.dst} (a directory)`);
      else if (fin && !o.force) {
        if (fin.size === j.size) j.existingSameSize = true;
        else conflicts.push(`local ${j.dst}`);
      }
      j.partSize = part?.isFile() ? part.size : null;
    }
    const settled = await settleExisting(side, jobs, false, (j) => `local ${j.dst}`);
    if (!settled.ok) return settled;
    for (const j of jobs) if (j.existingSameSize && !j.skip) conflicts.push(`local ${j.dst}`);
    if (conflicts.length) return conflictError(conflicts);

    stage = 'creating directories';
    for (const d of dirs) await fsp.mkdir(d, { recursive: true });

    const todo = jobs.filter((j) => !j.skip);
    const meter = new Meter(todo.reduce((a, j) => a + j.size, 0), todo.length, o.onProgress);
    const limiter = o.limitBytesPerSec ? new RateLimiter(o.limitBytesPerSec) : null;
    // the far side hashes its files while we download them: verification costs no extra wall time
    const theirs =
      o.verify !== false && todo.length
        ? remoteHashes(host, todo.map((j) => j.src), algo, meter.total)
        : Promise.resolve(ok([] as (string | null)[]));
    let resumedBytes = 0;
    stage = 'the transfer';
    try {
      await pool(todo, o.parallelFiles ?? 3, async (j) => {
        meter.file = j.dst;
        const part = j.dst + PART_SUFFIX;
        const handle = await ropen(sftp, j.src, 'r');
        try {
          let start = 0;
          if (j.partSize !== null && j.partSize <= j.size && j.partSize > 0) {
            const w = Math.min(OVERLAP, j.partSize);
            const theirsTail = await rread(sftp, handle, j.partSize - w, w);
            const fhp = await fsp.open(part, 'r');
            const mine = Buffer.alloc(w);
            await fhp.read(mine, 0, w, j.partSize - w).finally(() => fhp.close());
            if (theirsTail.equals(mine)) start = j.partSize;
            else o.onNote?.(`${part} does not match ${label(j.src)}: starting over`);
          } else if (j.partSize !== null && j.partSize > j.size) o.onNote?.(`${part} is longer than ${label(j.src)}: starting over`);
          if (start > 0) {
            o.onNote?.(`resuming ${j.dst} at ${mib(start)} of ${mib(j.size)}`);
            resumedBytes += start;
            meter.add(start, false);
          }
          const fh = await fsp.open(part, start > 0 ? 'r+' : 'w', 0o600);
          try {
            if (start > 0) await fh.truncate(start);
            const hasher = createHash(algo);
            if (start > 0) await hashPrefix(fh, start, hasher);
            const more = j.size - start >= MULTI_MIN ? await Promise.all(extras.map(async (c) => ({ sftp: c, handle: await ropen(c, j.src, 'r') }))) : [];
            try {
              await downloadRange(sftp, handle, fh, start, j.size, hasher, { ...pipe(o, limiter, watch.signal, (n) => meter.add(n, true)), extra: more });
            } finally {
              for (const m of more) await rclose(m.sftp, m.handle).catch(() => undefined);
            }
            j.localHash = hasher.digest('hex');
          } finally {
            await fh.close();
          }
          meter.filesDone++;
        } finally {
          await rclose(sftp, handle).catch(() => undefined);
        }
      });
    } catch (e) {
      // the hash exec may still be running; let it end on its own, its result is not needed
      void theirs.catch(() => undefined);
      throw e;
    }
    if (todo.length) meter.emit(true, 'verify');
    stage = 'verification';
    const rh = await theirs;
    if (!rh.ok) return rh;
    if (o.verify !== false) {
      const missing = todo.findIndex((_, k) => rh.value[k] === null);
      if (missing >= 0) return noHash(label(todo[missing]!.src), algo);
      for (const [k, j] of todo.entries()) j.bad = rh.value[k] !== j.localHash ? rh.value[k]! : undefined;
    }
    stage = 'the final rename';
    for (const j of todo) {
      if (j.bad !== undefined) await fsp.rm(j.dst + PART_SUFFIX, { force: true });
      else {
        await fsp.rename(j.dst + PART_SUFFIX, j.dst);
        await fsp.chmod(j.dst, j.mode).catch(() => undefined);
      }
    }
    const bad = todo.filter((j) => j.bad !== undefined);
    if (bad.length) return { ok: false, error: mismatch(`local ${bad[0]!.dst} (from ${label(bad[0]!.src)})`, algo, bad[0]!.localHash, bad[0]!.bad ?? null, bad.length - 1) };
    meter.emit(true, 'done');
    return ok({ dest, files: todo.length, bytes: meter.moved, resumedBytes, skipped: jobs.length - todo.length, seconds: (Date.now() - t0) / 1000 });
  } catch (e) {
    return { ok: false, error: describe(e, H, stage) };
  } finally {
    watch.dispose();
  }
}

// ---------------------------------------------------------------- helpers

function pipe(o: TransferOptions, limiter: RateLimiter | null, signal: AbortSignal, onBytes: (n: number) => void): PipeOptions {
  return { window: o.window ?? WINDOW, chunk: o.chunk ?? CHUNK, limiter, signal, onBytes };
}

async function hashPrefix(fh: fsp.FileHandle, len: number, hasher: Hash): Promise<void> {
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

// ---------------------------------------------------------------- the monitor's `D`

/**
 * Pull a checkpoint (file or directory) into `localDir` (created if needed), keeping its name:
 * the monitor calls this on the 'ckpt.pull' effect. Same guarantees as `rtk-tui pull`: resume,
 * verification, no overwrite of a different local copy (an identical one is skipped).
 */
export async function pullCheckpoint(
  host: Host,
  remotePath: string,
  localDir: string,
  onProgress?: (p: TransferProgress) => void,
  opts: Omit<TransferOptions, 'onProgress'> = {},
): Promise<Result<TransferSummary>> {
  try {
    await fsp.mkdir(localDir, { recursive: true });
  } catch (e) {
    return err('io', `cannot create local ${localDir}: ${(e as Error).message}`, { cause: e });
  }
  if (host.local) {
    const t0 = Date.now();
    const dest = join(localDir, basename(remotePath));
    try {
      await fsp.cp(remotePath, dest, { recursive: true, errorOnExist: true, force: false });
    } catch (e) {
      return err('io', `cannot copy ${remotePath} to ${dest}: ${(e as Error).message}`, { cause: e });
    }
    return ok({ dest, files: 1, bytes: 0, resumedBytes: 0, skipped: 0, seconds: (Date.now() - t0) / 1000 });
  }
  // one session only: the monitor's connection already carries the log and GPU streams, and a
  // channel waiting for a free slot behind them would wait for good
  const s = await hostSftp(host);
  if (!s.ok) return s;
  try {
    return await pullPath(host, s.value, remotePath, localDir + sep, { ...opts, onProgress });
  } finally {
    s.value.end();
  }
}

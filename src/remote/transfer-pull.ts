// pull: files and directories from a host to here, over its SFTP session(s).
import { createHash } from 'node:crypto';
import { constants as FS } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { err, ok, type Result } from '../domain/types.js';
import type { Host } from './host.js';
import {
  MULTI_MIN,
  Meter,
  OVERLAP,
  PART_SUFFIX,
  absRemote,
  conflictError,
  describe,
  hashPrefix,
  intoDir,
  mib,
  mismatch,
  noHash,
  pipe,
  pool,
  settleExisting,
  type Job,
  type Side,
  type TransferOptions,
  type TransferSummary,
} from './transfer-core.js';
import { remoteHashes } from './transfer-hash.js';
import { RateLimiter, downloadRange } from './transfer-pipe.js';
import { call, channelGone, rclose, ropen, rread, rreaddir, rstat } from './transfer-sftp.js';

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

/**
 * The local partial file, never through a link (O_NOFOLLOW): a fresh one is created exclusively
 * (O_EXCL, after the stale regular one is removed), one resumed from `start` must be a regular file.
 * Opened for reading too: the pull hashes what it reads back from it.
 */
async function openLocalPart(part: string, start: number): Promise<fsp.FileHandle> {
  if (start === 0) {
    await fsp.rm(part, { force: true });
    return fsp.open(part, FS.O_RDWR | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600);
  }
  const fh = await fsp.open(part, FS.O_RDWR | FS.O_NOFOLLOW);
  const st = await fh.stat();
  // a hard link to some other file would pass O_NOFOLLOW: our partial file has one name
  if (!st.isFile() || st.nlink !== 1 || st.size < start) {
    await fh.close();
    throw new Error(`local ${part} changed while it was being resumed: refusing to write to it`);
  }
  return fh;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await fsp.open(dir, FS.O_RDONLY);
    await d.sync().finally(() => d.close());
  } catch {
    /* not every filesystem syncs a directory; the files themselves are synced */
  }
}

export async function pullPath(host: Host, sftp: SFTPWrapper, remote: string, local: string, o: TransferOptions = {}): Promise<Result<TransferSummary>> {
  const t0 = Date.now();
  const algo = o.hash ?? 'sha256';
  const side: Side = { host, sftp, algo, o };
  const H = host.name;
  const label = (p: string): string => `${H}:${p}`;
  let stage = 'reading the remote side';
  // behind a jump every SFTP session rides the same forwarded channel (one 2 MiB ssh2 window): a
  // second session adds no window, only a second sftp-server and reordering (measured on the lab,
  // 192 MiB: median 2.24 s with two sessions, 1.66 s with one); direct connections keep both
  const viaJump = (host as { viaJump?: boolean }).viaJump === true;
  const extras = viaJump ? [] : (o.extraChannels ?? []);
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
    const notRegular: string[] = [];
    for (const j of jobs) {
      const fin = await fsp.stat(j.dst).catch(() => null);
      // the partial file as it is (lstat): a link planted there is never written through
      const part = await fsp.lstat(j.dst + PART_SUFFIX).catch(() => null);
      if (fin?.isDirectory()) conflicts.push(`local ${j.dst} (a directory)`);
      else if (fin && !o.force) {
        if (fin.size === j.size) j.existingSameSize = true;
        else conflicts.push(`local ${j.dst}`);
      }
      if (part && (!part.isFile() || part.nlink !== 1)) notRegular.push(`local ${j.dst + PART_SUFFIX}`);
      j.partSize = part?.isFile() ? part.size : null;
    }
    if (notRegular.length) {
      const more = notRegular.length > 1 ? ` (and ${notRegular.length - 1} more)` : '';
      return err('refused', `${notRegular[0]}${more} is a symbolic link or not a regular file (or has other names: hard links): rtk-tui never writes its partial files through a link; remove it and run the command again`);
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
            const fhp = await fsp.open(part, FS.O_RDONLY | FS.O_NOFOLLOW);
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
          const fh = await openLocalPart(part, start);
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
            // on the disk before it can get its final name
            await fh.sync();
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
    // the renames themselves, on the disk
    for (const d of new Set(todo.map((j) => dirname(j.dst)))) await syncDir(d);
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

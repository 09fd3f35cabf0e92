// push: local files and directories to a host, over its SFTP session.
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { err, ok, type Result } from '../domain/types.js';
import type { Host } from './host.js';
import {
  FOLLOW_MIN,
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
import { followHash, remoteHashes } from './transfer-hash.js';
import { RateLimiter, uploadRange } from './transfer-pipe.js';
import { call, channelGone, rchmod, rclose, rfstat, rlstat, rmkdir, ropen, rread, rrename, rstat, runlink } from './transfer-sftp.js';

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

function partNotRegular(parts: string[]): Result<never> {
  const more = parts.length > 1 ? ` (and ${parts.length - 1} more)` : '';
  return err('refused', `${parts[0]}${more} is a symbolic link or not a regular file: rtk-tui never writes its partial files through a link; remove it and run the command again`);
}

/**
 * The remote partial file, never through a link: a fresh one is created with O_EXCL (after the stale
 * regular one is removed), so a link planted meanwhile makes the open fail; one resumed from `start`
 * must be, once open, the regular file lstat sees at its path, with the size, owner, mode and time
 * seen when the transfer was planned (SFTP v3 has no inode to compare: these stand in for it).
 */
async function openRemotePart(sftp: SFTPWrapper, part: string, start: number, label: (p: string) => string, planned: Stats | null = null): Promise<Buffer> {
  if (start === 0) {
    await runlink(sftp, part);
    return ropen(sftp, part, 'wx', 0o600);
  }
  const h = await ropen(sftp, part, 'r+');
  const [st, lst] = await Promise.all([rfstat(sftp, h), rlstat(sftp, part)]);
  const same = (a: Stats, b: Stats) => a.size === b.size && a.uid === b.uid && a.gid === b.gid && a.mode === b.mode && a.mtime === b.mtime;
  if (!st.isFile() || !lst?.isFile() || !same(st, lst) || (planned !== null && !same(st, planned)) || st.size !== start) {
    await rclose(sftp, h).catch(() => undefined);
    throw new Error(`${label(part)} changed while it was being resumed (a link or another file in its place): refusing to write to it`);
  }
  return h;
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
    const notRegular: string[] = [];
    await pool(jobs, 32, async (j) => {
      // the partial file as it is (lstat): a link planted there is never written through
      const [fin, part] = await Promise.all([rstat(sftp, j.dst), rlstat(sftp, j.dst + PART_SUFFIX)]);
      if (fin?.isDirectory()) conflicts.push(`${label(j.dst)} (a directory)`);
      else if (fin && !o.force) {
        if (fin.size === j.size) j.existingSameSize = true;
        else conflicts.push(label(j.dst));
      }
      if (part && !part.isFile()) notRegular.push(label(j.dst + PART_SUFFIX));
      j.partSize = part?.isFile() ? part.size : null;
      j.partStat = part?.isFile() ? part : null;
    });
    if (notRegular.length) return partNotRegular(notRegular);
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
        const handle = await openRemotePart(sftp, part, start, label, j.partStat ?? null);
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
      const rh = await remoteHashes(host, again.map((j) => j.dst + PART_SUFFIX), algo, again.reduce((a, j) => a + j.size, 0), true);
      if (!rh.ok) return rh;
      const missing = again.findIndex((_, k) => rh.value[k] === null);
      if (missing >= 0) {
        const p = again[missing]!.dst + PART_SUFFIX;
        const st = await rlstat(sftp, p);
        if (!st?.isFile()) return err('refused', `${label(p)} was replaced while it was written (${st ? 'now a symbolic link or not a regular file' : 'it is gone'}): nothing was published under its name`);
        return noHash(label(p), algo);
      }
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

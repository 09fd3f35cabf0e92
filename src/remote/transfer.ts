// push/pull over SFTP on the host's own SSH connection: files and directories, pipelined requests,
// resume from NAME.rtk-part, checksum verification, and nothing half-done under a final name.
// This file is the front door; the work is in transfer-push.ts, transfer-pull.ts and their helpers.
import * as fsp from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { err, ok, type Result } from '../domain/types.js';
import type { Host } from './host.js';
import { hostSftp } from './index.js';
import type { TransferOptions, TransferProgress, TransferSummary } from './transfer-core.js';
import { pullPath } from './transfer-pull.js';

export { PART_SUFFIX, absRemote, mib, type TransferOptions, type TransferProgress, type TransferSummary } from './transfer-core.js';
export { hashFunction, hashLocalFile, remoteHashes } from './transfer-hash.js';
export { pullPath } from './transfer-pull.js';
export { pushPath } from './transfer-push.js';

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

// One exec per poll: the checkpoint directory's tree (3 levels, so DeepSpeed's
// checkpoint-N/global_stepN/*.pt is counted) and the free space of its filesystem.
import type { CheckpointListing, Result } from '../domain/types.js';
import { err } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { remoteOperand, shq } from '../remote/quote.js';
import { MARK_DF, MARK_FIND, MARK_NODIR, MARK_NOTDIR, MARK_STAT, parseCheckpointOutput } from '../parse/checkpoints.js';

/** Enough for any sane checkpoint directory; a home directory given by mistake is cut, not streamed. */
export const MAX_ENTRIES = 20000;

/**
 * The POSIX sh script. GNU find prints type, size, mtime and path in one go; where -printf is
 * unsupported (BSD, busybox) a stat loop over globs prints the same facts.
 */
export function checkpointScript(dir: string): string {
  const lim = String(MAX_ENTRIES);
  return [
    // ~ is the remote home; a relative path gets ./ so that find never reads it as an expression
    `d=${remoteOperand(dir)}`,
    `if [ ! -e "$d" ]; then echo ${shq(MARK_NODIR)}; exit 0; fi`,
    `if [ ! -d "$d" ]; then echo ${shq(MARK_NOTDIR)}; exit 0; fi`,
    `if find "$d" -maxdepth 0 -printf '' >/dev/null 2>&1; then`,
    `  echo ${shq(MARK_FIND)}`,
    `  find "$d" -maxdepth 3 -printf '%y\\t%s\\t%T@\\t%P\\n' 2>/dev/null | head -n ${lim}`,
    'else',
    `  echo ${shq(MARK_STAT)}`,
    `  ( cd "$d" 2>/dev/null || exit 0`,
    `    if stat -c '%s' . >/dev/null 2>&1; then stat -c '%F|%s|%Y|%n' -- * */* */*/* 2>/dev/null`,
    `    else stat -f '%HT|%z|%m|%N' -- * */* */*/* 2>/dev/null; fi | head -n ${lim} )`,
    'fi',
    `echo ${shq(MARK_DF)}`,
    `df -P -k "$d" 2>/dev/null`,
    'exit 0',
  ].join('\n');
}

export async function listCheckpoints(host: Host, runId: string, dir: string): Promise<Result<CheckpointListing>> {
  if (dir.trim() === '') return err('usage', `Run ${runId} has no checkpoint directory.`);
  const res = await host.exec(checkpointScript(dir), { timeoutMs: 20_000, maxBytes: 8 * 1024 * 1024 });
  if (!res.ok) return res;
  const out = res.value.stdout.toString('utf8');
  if (res.value.code !== 0 && !out.includes('@@RTK-CKPT')) {
    const why = res.value.stderr.toString('utf8').trim().split('\n').pop() ?? '';
    return err('exit', `Listing ${dir} on ${host.name} failed${why ? `: ${why}` : ''}.`, { code: res.value.code });
  }
  return parseCheckpointOutput(out, runId, dir, host.name);
}

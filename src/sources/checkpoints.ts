// One exec per poll: the checkpoint directory's tree (3 levels, so DeepSpeed's
// checkpoint-N/global_stepN/*.pt is counted) and the free space of its filesystem.
import { randomBytes } from 'node:crypto';
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

/**
 * The checkpoints of several runs in ONE exec (the events layer watches every live run's directory:
 * one command per host per interval, not one per run). Each run's listing is the script above in a
 * subshell, between markers carrying a fresh nonce, so no file name can fake a boundary.
 */
export async function listCheckpointsOfRuns(host: Host, items: readonly { runId: string; dir: string }[]): Promise<Map<string, Result<CheckpointListing>>> {
  const out = new Map<string, Result<CheckpointListing>>();
  const todo = items.filter((i) => i.dir.trim() !== '');
  if (todo.length === 0) return out;
  const nonce = randomBytes(8).toString('hex');
  const script = [`N=${nonce}`, ...todo.flatMap((it, i) => [`printf '\\n@@RTKMANY %s ${i}\\n' "$N"`, `(\n${checkpointScript(it.dir)}\n)`]), 'exit 0'].join('\n');
  // as much room per run as one listing has (a full 20,000-entry tree each), within reason
  const res = await host.exec(script, { timeoutMs: 30_000, maxBytes: Math.min(64, 8 * todo.length) * 1024 * 1024 });
  if (!res.ok) {
    for (const it of todo) out.set(it.runId, res);
    return out;
  }
  const text = res.value.stdout.toString('utf8');
  const mark = `\n@@RTKMANY ${nonce} `;
  const parts = text.split(mark);
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const i = Number(part.slice(0, nl < 0 ? part.length : nl));
    const it = todo[i];
    if (it === undefined || !Number.isInteger(i)) continue;
    out.set(it.runId, parseCheckpointOutput(nl < 0 ? '' : part.slice(nl + 1), it.runId, it.dir, host.name));
  }
  for (const it of todo) if (!out.has(it.runId)) out.set(it.runId, err('parse', `Could not read the listing of ${it.dir} on ${host.name}.`));
  return out;
}

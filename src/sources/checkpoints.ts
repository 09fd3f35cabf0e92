// One exec per poll: the checkpoint directory's tree and the free space of its filesystem. Every file
// under a top-level entry counts, at any depth (NeMo's epoch_0_step_9/model/consolidated/*.safetensors,
// checkpoint-N/global_stepN/*.pt); awk on the host sums them per top-level entry, so a DeepSpeed run
// with 64 ranks and fifty checkpoints is a few hundred lines, not tens of thousands.
import { randomBytes } from 'node:crypto';
import type { CheckpointListing, Result } from '../domain/types.js';
import { err } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { remoteOperand, shq } from '../remote/quote.js';
import { hostNow } from './runs.js';
import { roundScript, splitRound } from './checkpoints-round.js';
import {
  MARK_AGG,
  MARK_CUT,
  MARK_DF,
  MARK_ITER,
  MARK_LATEST,
  MARK_NODIR,
  MARK_NOTDIR,
  MARK_NOW,
  MARK_STAT,
  parseCheckpointOutput,
} from '../parse/checkpoints.js';

/** Lines the listing prints at most; a home directory given by mistake is cut, not streamed. */
export const MAX_ENTRIES = 20000;
/** Files find may hand awk before it stops reading (the sums then cover what was read). */
export const MAX_FILES = 2_000_000;
/** How deep find looks: NeMo's epoch_E_step_S/model/consolidated/x is 4, Lightning's lightning_logs/version_N/checkpoints/x 4. */
export const MAX_DEPTH = 8;

// Reads `type<TAB>size<TAB>mtime<TAB>path` records (one a line: newlines in names are \001 by then).
// A top-level entry prints as it is; under one, only samples print (its second-level entries, the first
// weight and the first state file of each extension, every file whose name marks progress), and its
// totals at the end. No single quote in here: the program travels in single quotes.
const AWK = String.raw`BEGIN { FS = "\t" }
NR > maxf { cut = 1; exit }
{
  p = $0; sub(/^[^\t]*\t[^\t]*\t[^\t]*\t/, "", p)
  if (p == "") next
  i = index(p, "/")
  if (i == 0) { if (++out <= lim) print; else cut = 1; next }
  top = substr(p, 1, i - 1); rest = substr(p, i + 1)
  if (!(top in n)) { if (k >= lim) { cut = 1; next } order[++k] = top; n[top] = 0; sz[top] = 0; mt[top] = 0 }
  if ($1 == "f") { n[top]++; sz[top] += $2 }
  if ($3 + 0 > mt[top]) mt[top] = $3 + 0
  base = p; sub(/.*\//, "", base)
  ext = ""; if (base ~ /\./) { ext = base; sub(/.*\./, "", ext) }
  cls = (base ~ /optim|rng_state|scheduler|scaler|training_args/) ? "s" : "w"
  key = top SUBSEP $1 SUBSEP ext SUBSEP cls
  show = 0
  if (index(rest, "/") == 0) { if (++second[top] <= 8) show = 1 }
  if (!(key in seen)) { seen[key] = 1; show = 1 }
  if (base ~ /^(latest|\.metadata)$/ || base ~ /\.(tmp|incomplete|partial|part)$/ || base ~ /^tmp[-_]/) show = 1
  if (show) { if (++out <= lim) print; else cut = 1 }
}
END {
  for (x = 1; x <= k; x++) { t = order[x]; printf "A\t%.0f\t%.3f\t%d\t%s\n", sz[t], mt[t], n[t], t }
  if (cut) print "${MARK_CUT}"
}`;

/**
 * The POSIX sh script. GNU find prints type, size, mtime and path of every entry NUL-separated, tr
 * makes one record a line, awk sums them per top-level entry; where -printf is unsupported (BSD,
 * busybox) a stat loop over globs prints the entries themselves, five levels deep. `now`: the host's
 * time when it is known (no `date`); `gnuFind`: the host's find was GNU's last time (no probe).
 */
export function checkpointScript(dir: string, o: { now?: number | null; gnuFind?: boolean } = {}): string {
  const lim = String(MAX_ENTRIES);
  const now = o.now ?? null;
  const globs = '* */* */*/* */*/*/* */*/*/*/* */.metadata */*/.metadata';
  return [
    // byte semantics for tr and awk: a name is bytes, whatever the locale
    'LC_ALL=C; export LC_ALL',
    // ~ is the remote home; a relative path gets ./ so that find never reads it as an expression
    `d=${remoteOperand(dir)}`,
    `if [ ! -e "$d" ]; then echo ${shq(MARK_NODIR)}; exit 0; fi`,
    `if [ ! -d "$d" ]; then echo ${shq(MARK_NOTDIR)}; exit 0; fi`,
    `echo ${shq(MARK_NOW)}`,
    // the host's time: from its known clock offset (sources/runs.ts hostNow), else asked
    now !== null && Number.isSafeInteger(now) ? `echo ${now}` : 'date +%s',
    // what DeepSpeed's `latest` and Megatron's tracker name (written after a checkpoint is complete)
    `if [ -f "$d/latest" ]; then echo ${shq(MARK_LATEST)}; head -c 64 "$d/latest" | tr -cd 'A-Za-z0-9_.=-'; echo; fi`,
    `if [ -f "$d/latest_checkpointed_iteration.txt" ]; then echo ${shq(MARK_ITER)}; head -c 64 "$d/latest_checkpointed_iteration.txt" | tr -cd 'A-Za-z0-9_.=-'; echo; fi`,
    // GNU find: known from an earlier listing on this host, else tried on the directory itself
    o.gnuFind === true ? 'if true; then' : `if find "$d" -maxdepth 0 -printf '' >/dev/null 2>&1; then`,
    `  echo ${shq(MARK_AGG)}`,
    `  find -H "$d" -mindepth 1 -maxdepth ${MAX_DEPTH} -printf '%y\\t%s\\t%T@\\t%P\\0' 2>/dev/null | tr '\\n\\000' '\\001\\n' | awk -v lim=${lim} -v maxf=${MAX_FILES} ${shq(AWK)}`,
    'else',
    `  echo ${shq(MARK_STAT)}`,
    `  ( cd "$d" 2>/dev/null || exit 0`,
    `    if stat -c '%s' . >/dev/null 2>&1; then stat -c '%F|%s|%Y|%n' -- ${globs} 2>/dev/null`,
    `    else stat -f '%HT|%z|%m|%N' -- ${globs} 2>/dev/null; fi | head -n ${lim} )`,
    'fi',
    `echo ${shq(MARK_DF)}`,
    `df -P -k "$d" 2>/dev/null`,
    'exit 0',
  ].join('\n');
}

/** Hosts whose find took -printf (GNU): their listings skip the probe. */
const gnuFind = new WeakSet<Host>();

function knownOf(host: Host): { now: number | null; gnuFind: boolean } {
  return { now: hostNow(host), gnuFind: gnuFind.has(host) };
}

/** A listing that took the GNU branch on this host: the next ones need not ask again. */
function learnFind(host: Host, out: string): void {
  if (out.includes(`${MARK_AGG}\n`)) gnuFind.add(host);
}

export async function listCheckpoints(host: Host, runId: string, dir: string): Promise<Result<CheckpointListing>> {
  if (dir.trim() === '') return err('usage', `Run ${runId} has no checkpoint directory.`);
  const res = await host.exec(checkpointScript(dir, knownOf(host)), { timeoutMs: 20_000, maxBytes: 8 * 1024 * 1024, shared: true });
  if (!res.ok) return res;
  const out = res.value.stdout.toString('utf8');
  learnFind(host, out);
  if (res.value.code !== 0 && !out.includes('@@RTK-CKPT')) {
    const why = res.value.stderr.toString('utf8').trim().split('\n').pop() ?? '';
    return err('exit', `Listing ${dir} on ${host.name} failed${why ? `: ${why}` : ''}.`, { code: res.value.code });
  }
  return parseCheckpointOutput(out, runId, dir, host.name);
}

/** Directories a round's file bound cut on this host: the next rounds list them last, after the others. */
const cutLast = new WeakMap<Host, Set<string>>();
/** Whether the host's awk splits records at NUL bytes (then its rounds need no tr), once asked. */
const awkNul = new WeakMap<Host, boolean>();

/**
 * The checkpoints of several runs in ONE exec whose cost on the host does not grow with the number of
 * directories (the events layer watches every live run's: sources/checkpoints-round.ts): one find, tr,
 * awk and df for all of them, between markers carrying a fresh nonce, so no file name can fake a
 * boundary. Runs sharing a directory share its listing.
 */
export async function listCheckpointsOfRuns(host: Host, items: readonly { runId: string; dir: string }[]): Promise<Map<string, Result<CheckpointListing>>> {
  const out = new Map<string, Result<CheckpointListing>>();
  const todo = items.filter((i) => i.dir.trim() !== '');
  if (todo.length === 0) return out;
  const cut = cutLast.get(host) ?? new Set<string>();
  const dirs = [...new Set(todo.map((i) => i.dir))].sort((a, b) => Number(cut.has(a)) - Number(cut.has(b)));
  const nonce = randomBytes(8).toString('hex');
  const script = roundScript(dirs, nonce, { maxEntries: MAX_ENTRIES, maxFiles: MAX_FILES, maxDepth: MAX_DEPTH }, { ...knownOf(host), awkNul: awkNul.get(host) });
  // as much room per directory as one listing has (a full 20,000-entry tree each), within reason
  const res = await host.exec(script, { timeoutMs: 30_000, maxBytes: Math.min(64, 8 * dirs.length) * 1024 * 1024, shared: true });
  if (!res.ok) {
    for (const it of todo) out.set(it.runId, res);
    return out;
  }
  const text = res.value.stdout.toString('utf8');
  learnFind(host, text);
  const nul = new RegExp(`(^|\\n)@@RTKMANY ${nonce} awknul ([01])\\n`).exec(text);
  if (nul) awkNul.set(host, nul[2] === '1');
  const parts = splitRound(text, nonce, dirs.length);
  const nowCut = new Set<string>();
  dirs.forEach((dir, i) => {
    const p = parts.get(i);
    if (p && ('unread' in p || p.text.includes(`\n${MARK_CUT}\n`))) nowCut.add(dir);
  });
  cutLast.set(host, nowCut);
  for (const it of todo) {
    const p = parts.get(dirs.indexOf(it.dir));
    if (p === undefined) out.set(it.runId, err('parse', `Could not read the listing of ${it.dir} on ${host.name}.`));
    else if ('unread' in p) out.set(it.runId, err('parse', `The listing of ${it.dir} on ${host.name} was cut before it was reached (too many files in the round).`));
    else out.set(it.runId, parseCheckpointOutput(p.text, it.runId, it.dir, host.name));
  }
  return out;
}

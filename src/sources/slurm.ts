// A Slurm login node's runs: the user's jobs (DESIGN section 3, `scheduler: slurm`, or found by
// sources/scheduler-detect.ts when the host's Slurm client works). One exec per poll: the script lists
// the user's jobs (see SlurmListing: `squeue --json` from 23.02, else the fixed `squeue -o` form of
// parse/slurm.ts plus `scontrol show job -o`) and prints the tails of the StdOut files that the last poll
// of this host resolved, in the sections runs.ts reads (splitPollOutput), so progress, metrics and
// alerts come from the same parsers as a tmux run's. The paths are expanded here from the submitted
// pattern (scontrol leaves %J and %3a as they are), so a job first seen has no tail in that exec: one
// more exec reads the tails of such jobs, once (the first poll of a host, a new job); later polls
// need none. The same exec says which GPUs each running job holds per node (`scontrol show job -d`,
// parse/slurm-detail.ts: Run.slurm.gpuIndices), and a job's comment `rtk:checkpoints=DIR` gives
// Run.checkpoints (under its WorkDir; the config's runs[].checkpoints wins).
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { err, ok, type HostSpec, type Result, type Run } from '../domain/types.js';
import { decideState } from '../parse/health.js';
import { mapSlurmState, parseSqueueFormat, parseSqueueJson, parseUtcOffset, SQUEUE_FORMAT, type SlurmJob } from '../parse/slurm.js';
import { resolveStdout } from '../parse/slurm-paths.js';
import { parseScontrolJobs } from '../parse/slurm-scontrol.js';
import { checkpointsOfComment, parseJobGpus, type JobNodeGpus } from '../parse/slurm-detail.js';
import type { Host } from '../remote/host.js';
import { shq } from '../remote/quote.js';
import { configMeta, readTail, splitPollOutput, TAIL_BYTES, withHint, type RunsSnapshot, type TailEntry } from './runs.js';

/** Ended jobs whose logs are read each poll (the newest first); the running ones always are. */
const MAX_ENDED_TAILS = 40;

export interface SlurmSections {
  remoteNow: number | null;
  offsetMinutes: number;
  /** The login user: squeue --json of 22.05 lists every user's jobs, whatever -u says. */
  user: string | null;
  json: { rc: number | null; text: string } | null;
  format: { rc: number | null; text: string } | null;
  scontrol: { rc: number | null; text: string } | null;
  /** `scontrol show job -d -o` of the running jobs: their GPUs per node (parse/slurm-detail.ts). */
  detail: { rc: number | null; text: string } | null;
}

/** Shell lines printing one log's stat and tail as runs.ts's `log` section (or `same` when unchanged). */
export function tailLines(entries: readonly { id: string; path: string }[], known?: ReadonlyMap<string, TailEntry>): string[] {
  const lines: string[] = [];
  for (const { id, path } of entries) {
    const prev = known?.get(id);
    const same = prev && prev.kind === 'log' && prev.inode !== null ? `${prev.inode} ${prev.size} ${prev.mtime}` : null;
    lines.push(
      `log=${shq(path)}; id=${shq(id)}`,
      `if [ -f "$log" ] && [ -r "$log" ]; then`,
      `  st=$(stat -L -c '%i %s %Y' -- "$log" 2>/dev/null || stat -L -f '%i %z %m' -- "$log" 2>/dev/null || echo '- - -')`,
      same !== null
        ? `  if [ "$st" = ${shq(same)} ]; then printf '@@%s same %s\\n' "$N" "$id"; else printf '@@%s log %s %s\\n' "$N" "$id" "$st"; tail -c ${TAIL_BYTES} -- "$log" 2>/dev/null; printf '\\n@@%s end\\n' "$N"; fi`
        : `  printf '@@%s log %s %s\\n' "$N" "$id" "$st"; tail -c ${TAIL_BYTES} -- "$log" 2>/dev/null; printf '\\n@@%s end\\n' "$N"`,
      `fi`,
    );
  }
  return lines;
}

/** Jobs whose StdOut and exit code `scontrol show job` is asked for, in the -o form (one RPC each). */
const MAX_SCONTROL = 50;

/**
 * How the jobs are listed. auto: `squeue --json` from Slurm 23.02 on, where it honours `-u`; before
 * that (21.08, 22.05) --json prints every user's jobs whatever the filters say (squeue(1) of 22.05),
 * too much on a big cluster, so the -o form lists the user's jobs and `scontrol show job -o ID` adds
 * what -o cannot say (StdOut, exit code) for the newest of them. A --json that fails falls back the same way.
 */
export type SlurmListing = 'auto' | 'json' | 'text';

/** `scontrol show job -d -o` of the user's newest MAX_SCONTROL jobs in that squeue state (ids checked to be digits). */
function scontrolEach(state: 'all' | 'running'): string[] {
  return [
    `  squeue -t ${state} -h -u "$u" -o '%A' 2>/dev/null | sort -rn | head -n ${MAX_SCONTROL} | while read -r id; do`,
    `    case "$id" in *[!0-9]*|'') ;; *) scontrol show job -d -o "$id" 2>/dev/null ;; esac`,
    `  done`,
  ];
}

/** The poll script: the login user's jobs, then the tails of the logs named. */
export function buildSlurmScript(nonce: string, tails: readonly { id: string; path: string }[] = [], known?: ReadonlyMap<string, TailEntry>, listing: SlurmListing = 'auto'): string {
  return [
    `N=${shq(nonce)}`,
    `printf '@@%s now %s %s\\n' "$N" "$(date +%s)" "$HOME"`,
    `printf '@@%s tz %s\\n' "$N" "$(date +%z)"`,
    `u=$(id -un 2>/dev/null || echo "$USER")`,
    `printf '@@%s user %s\\n' "$N" "$u"`,
    listing === 'auto'
      ? `case "$(squeue --version 2>/dev/null)" in *' '1[0-9].*|*' '2[0-2].*) rc=old ;; *) rc=0 ;; esac`
      : `rc=${listing === 'text' ? 'old' : '0'}`,
    `if [ "$rc" = 0 ]; then`,
    `  printf '@@%s json\\n' "$N"`,
    `  squeue --json -t all -u "$u" 2>&1`,
    `  rc=$?`,
    `  printf '\\n@@%s rc %s\\n' "$N" "$rc"`,
    `fi`,
    `if [ "$rc" != 0 ]; then`,
    `  printf '@@%s format\\n' "$N"`,
    `  squeue -t all -h -u "$u" -o ${shq(SQUEUE_FORMAT)} 2>&1`,
    `  printf '\\n@@%s rc %s\\n' "$N" "$?"`,
    // what the -o form cannot say: the StdOut pattern, the exit code, the batch host
    `  printf '@@%s scontrol\\n' "$N"`,
    // -d: a running job's GPUs per node too (parse/slurm-detail.ts), in the same RPC
    ...scontrolEach('all'),
    `  printf '\\n@@%s rc 0\\n' "$N"`,
    `fi`,
    // after --json: the GPUs the running jobs hold, per node (one RPC each, the newest MAX_SCONTROL);
    // the -o form's scontrol above already said
    `if [ "$rc" = 0 ]; then`,
    `  printf '@@%s detail\\n' "$N"`,
    ...scontrolEach('running'),
    `  printf '\\n@@%s rc 0\\n' "$N"`,
    `fi`,
    ...tailLines(tails, known),
    `exit 0`,
  ].join('\n');
}

/** The script's own sections (the tails are runs.ts's). Pure; never throws. */
export function splitSlurmOutput(out: Buffer, nonce: string): SlurmSections {
  const res: SlurmSections = { remoteNow: null, offsetMinutes: 0, user: null, json: null, format: null, scontrol: null, detail: null };
  const text = out.toString('utf8');
  const mark = `@@${nonce} `;
  const lines: { at: number; end: number; head: string }[] = [];
  for (let i = text.indexOf(mark); i >= 0; i = text.indexOf(mark, i + 1)) {
    if (i !== 0 && text[i - 1] !== '\n') continue;
    const nl = text.indexOf('\n', i);
    const end = nl < 0 ? text.length : nl;
    lines.push({ at: i, end, head: text.slice(i + mark.length, end) });
  }
  for (let k = 0; k < lines.length; k++) {
    const { head, end } = lines[k]!;
    const [word, ...rest] = head.split(' ');
    const next = lines[k + 1];
    const body = next ? text.slice(Math.min(end + 1, next.at), Math.max(end + 1, next.at - 1)) : '';
    const rc = next?.head.startsWith('rc ') ? Number(next.head.slice(3)) : null;
    if (word === 'now') res.remoteNow = /^\d+$/.test(rest[0] ?? '') ? Number(rest[0]) : null;
    else if (word === 'user') res.user = rest.join(' ') || null;
    else if (word === 'tz') res.offsetMinutes = parseUtcOffset(rest[0]);
    else if (word === 'json') res.json = { rc: Number.isFinite(rc) ? rc : null, text: body };
    else if (word === 'format') res.format = { rc: Number.isFinite(rc) ? rc : null, text: body };
    else if (word === 'scontrol') res.scontrol = { rc: Number.isFinite(rc) ? rc : null, text: body };
    else if (word === 'detail') res.detail = { rc: Number.isFinite(rc) ? rc : null, text: body };
  }
  return res;
}

/** The jobs, from --json or else from the -o form; an error naming what squeue said. */
export function jobsOf(s: SlurmSections, spec: HostSpec): Result<SlurmJob[]> {
  if (s.json === null && s.format === null) return err('parse', `the Slurm poll on ${spec.name} returned no squeue section (the remote shell cut it short)`);
  if (s.json !== null && s.json.rc === 0) {
    const doc = parseSqueueJson(s.json.text);
    if (doc) return ok(s.user === null ? doc.jobs : doc.jobs.filter((j) => j.user === null || j.user === s.user));
  }
  if (s.format !== null && s.format.rc === 0) {
    const jobs = parseSqueueFormat(s.format.text, s.offsetMinutes);
    const more = new Map(parseScontrolJobs(s.scontrol?.text ?? '', s.offsetMinutes).map((j) => [j.id, j]));
    return ok(
      jobs.map((j) => {
        const sc = more.get(j.id);
        return sc ? { ...j, stdout: sc.stdout, stderr: sc.stderr, exitCode: sc.exitCode, exitSignal: sc.exitSignal, batchHost: sc.batchHost, endTime: sc.endTime, comment: sc.comment ?? null } : j;
      }),
    );
  }
  const said = (s.format?.text ?? s.json?.text ?? '').trim().split('\n')[0] ?? '';
  const rc = s.format?.rc ?? s.json?.rc ?? null;
  if (rc === 127 || /squeue: (command )?not found/.test(said)) return err('exit', `squeue is not installed on ${spec.name} (is it a Slurm login node?)`, { code: 127 });
  return err('exit', `squeue failed on ${spec.name}: ${said || `exit status ${rc}`}`, { code: rc });
}

const iso = (sec: number | null): string | null => (sec === null ? null : new Date(sec * 1000).toISOString().replace(/\.000Z$/, 'Z'));

/** One job as a run. `tail` is its StdOut's last bytes with their stat, when read. */
export function jobRun(job: SlurmJob, spec: HostSpec, cfg: Pick<Config, 'stallAfterMs' | 'runs'>, nowSec: number, tail: TailEntry | undefined, gpuIndices?: JobNodeGpus[]): Run {
  const mapped = mapSlurmState(job.state, job.exitCode);
  const meta = configMeta(cfg, spec.name, job.id);
  const { progress, metrics, lossHistory, alerts } = readTail(`${spec.name}\0slurm:${job.id}`, tail?.text ?? '');
  const lastAt = tail?.mtime ?? null;
  const ago = lastAt !== null ? Math.max(0, nowSec - lastAt) : null;
  let state = mapped.state;
  let reason: Run['reason'] = mapped.reason;
  let shown = alerts;
  if (mapped.state === 'running') {
    const d = decideState({ alive: true, exitStatus: null, alerts, lastOutputSecondsAgo: ago, stallAfterSeconds: cfg.stallAfterMs / 1000 });
    ({ state, reason } = d);
    shown = d.alerts;
  } else if (mapped.state === 'failed' && reason === null) {
    // the log says more than FAILED: a traceback, a CUDA OOM, NCCL
    reason = decideState({ alive: false, exitStatus: job.exitCode ?? 1, alerts, lastOutputSecondsAgo: ago, stallAfterSeconds: 0 }).reason;
  }
  const started = job.state !== 'PENDING' && job.startTime !== null && job.startTime <= nowSec;
  const elapsed = job.elapsedSeconds ?? (started ? Math.max(0, (job.endTime !== null && job.endTime <= nowSec && state !== 'running' && state !== 'stalled' ? job.endTime : nowSec) - job.startTime!) : null);
  return {
    id: `${spec.name}:${job.id}`,
    host: spec.name,
    session: job.id,
    state,
    reason,
    exitStatus: state === 'finished' || state === 'failed' ? job.exitCode : null,
    alerts: shown.map(withHint),
    progress: progress !== null && state !== 'running' && progress.etaSeconds !== null ? { ...progress, etaSeconds: null } : progress,
    metrics,
    lossHistory,
    log: resolveStdout(job),
    logStart: null,
    checkpoints: meta?.checkpoints ?? checkpointsOfComment(job.comment, job.workDir),
    lastOutputSecondsAgo: ago,
    lastOutputAt: iso(lastAt),
    attachedClients: 0,
    createdAt: iso(started ? job.startTime : job.submitTime),
    slurm: {
      state: job.state,
      reason: job.reason,
      name: job.name,
      partition: job.partition,
      nodes: job.nodes,
      gpus: job.gpus,
      timeLimitSeconds: job.timeLimitSeconds,
      elapsedSeconds: elapsed,
      startAt: iso(job.startTime),
      exitSignal: job.exitSignal,
      ...(gpuIndices !== undefined && (state === 'running' || state === 'stalled') ? { gpuIndices } : {}),
    },
  };
}

/** Which jobs' logs to read: every running one, and the newest ended ones. */
/** Running jobs whose logs a poll tails at most (each is ~600 bytes of script). */
export const MAX_LIVE_TAILS = 100;

export function tailTargets(jobs: readonly SlurmJob[]): { id: string; path: string }[] {
  // bounded: a sweep of hundreds of running jobs must not push the poll past what one command line may
  // carry (the newest first)
  const live = jobs
    .filter((j) => ['running', 'stalled'].includes(mapSlurmState(j.state, j.exitCode).state))
    .sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0))
    .slice(0, MAX_LIVE_TAILS);
  const ended = jobs
    .filter((j) => ['finished', 'failed'].includes(mapSlurmState(j.state, j.exitCode).state) && j.startTime !== null)
    .sort((a, b) => (b.endTime ?? 0) - (a.endTime ?? 0))
    .slice(0, MAX_ENDED_TAILS);
  const out: { id: string; path: string }[] = [];
  for (const j of [...live, ...ended]) {
    const path = resolveStdout(j);
    if (path !== null) out.push({ id: j.id, path });
  }
  return out;
}

/** Per host: the log paths resolved by the last poll, and the tails read then. */
const memory = new WeakMap<Host, { targets: { id: string; path: string }[]; tails: Map<string, TailEntry> }>();

export async function pollSlurm(host: Host, spec: HostSpec, cfg: Config, now: number = Date.now(), listing: SlurmListing = 'auto'): Promise<Result<RunsSnapshot>> {
  const nonce = randomBytes(8).toString('hex');
  const prev = memory.get(host);
  const res = await host.exec(buildSlurmScript(nonce, prev?.targets ?? [], prev?.tails, listing), { timeoutMs: 30_000, maxBytes: 16 * 1024 * 1024 });
  if (!res.ok) return res;
  const s = splitSlurmOutput(res.value.stdout, nonce);
  const jobs = jobsOf(s, spec);
  if (!jobs.ok) return jobs;
  const tails = splitPollOutput(res.value.stdout, nonce, prev?.tails).tails;
  const targets = tailTargets(jobs.value);
  // jobs whose path was not known to the script (first poll, a new job): one more exec, once
  const asked = new Set((prev?.targets ?? []).map((t) => `${t.id}\0${t.path}`));
  const missing = targets.filter((t) => !asked.has(`${t.id}\0${t.path}`));
  if (missing.length > 0) {
    const more = await host.exec(buildTailsScript(nonce, missing), { timeoutMs: 30_000, maxBytes: 16 * 1024 * 1024 });
    if (more.ok) for (const [id, t] of splitPollOutput(more.value.stdout, nonce).tails) tails.set(id, t);
  }
  memory.set(host, { targets, tails });
  return ok(snapshotOfJobs(jobs.value, spec, cfg, s.remoteNow ?? Math.floor(now / 1000), tails, parseJobGpus(s.detail?.text ?? s.scontrol?.text ?? '')));
}

function buildTailsScript(nonce: string, targets: readonly { id: string; path: string }[]): string {
  return [`N=${shq(nonce)}`, ...tailLines(targets), 'exit 0'].join('\n');
}

export function snapshotOfJobs(jobs: readonly SlurmJob[], spec: HostSpec, cfg: Pick<Config, 'stallAfterMs' | 'runs'>, nowSec: number, tails: ReadonlyMap<string, TailEntry>, gpus: ReadonlyMap<string, JobNodeGpus[]> = new Map()): RunsSnapshot {
  const snap: RunsSnapshot = { runs: [], panes: [], logTails: {} };
  for (const job of jobs) {
    const tail = tails.get(job.id);
    const run = jobRun(job, spec, cfg, nowSec, tail, gpus.get(job.id));
    snap.runs.push(run);
    if (tail) snap.logTails[run.id] = tail.text;
  }
  // newest first is Slurm's habit; the runs table keeps a stable order: by job id, tasks in order
  snap.runs.sort((a, b) => compareJobIds(a.session, b.session));
  return snap;
}

function compareJobIds(a: string, b: string): number {
  const [ja, ta] = a.split('_');
  const [jb, tb] = b.split('_');
  return Number(ja) - Number(jb) || (Number(ta ?? -1) || 0) - (Number(tb ?? -1) || 0) || a.localeCompare(b);
}

/** The user's jobs on a Slurm host, without their logs' tails (RUN arguments are resolved by these). */
export async function listSlurmJobs(host: Host, spec: HostSpec): Promise<Result<SlurmJob[]>> {
  const nonce = randomBytes(8).toString('hex');
  const res = await host.exec(buildSlurmScript(nonce), { timeoutMs: 30_000, maxBytes: 16 * 1024 * 1024 });
  if (!res.ok) return res;
  return jobsOf(splitSlurmOutput(res.value.stdout, nonce), spec);
}

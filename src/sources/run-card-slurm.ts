// The parts of a Slurm job's card that a tmux run reads from its session (DESIGN section 2, `show`):
// how it was started and its processes. One exec on the login node: `scontrol show job -o` (Command=,
// WorkDir=, the times), `scontrol write batch_script ID -` (its script, bounded: the first command
// line is the command for a --wrap job), and for a running job `scontrol listpids` with ps of those
// pids. listpids answers only where the job's slurmd runs (the login node is seldom one): elsewhere
// the card says the processes run on the job's nodes and were not read.
import { randomBytes } from 'node:crypto';
import type { CardJob } from '../domain/run-card.js';
import { err, ok, type Result, type Run } from '../domain/types.js';
import { hintFor } from '../events/hints.js';
import { slurmFailure } from '../events/slurm-reasons.js';
import { parseUtcOffset } from '../parse/slurm.js';
import { parseScontrolJobs, type ScontrolJob } from '../parse/slurm-scontrol.js';
import { parsePsWide, type ProcWide } from '../parse/run-processes.js';
import { safeText } from '../parse/terminal.js';
import type { Host } from '../remote/host.js';
import { shq } from '../remote/quote.js';

/** Bytes of the batch script read; its pids listed. */
const SCRIPT_BYTES = 64 * 1024;
const MAX_PIDS = 256;

export interface JobCardParts {
  job: CardJob;
  command: string | null;
  cwd: string | null;
  /** The job's processes, when listpids answered on this host. */
  procs: ProcWide[];
  /** Parts that could not be read, one sentence each. */
  errors: string[];
}

/** The id scontrol is asked about: the job or task id, or an array's own id for a pending `123_[1-5]`. */
export function scontrolId(session: string): string | null {
  if (/^\d+(_\d+)?$/.test(session)) return session;
  return /^(\d+)_\[/.exec(session)?.[1] ?? null;
}

export function buildJobScript(nonce: string, id: string, running: boolean): string {
  return [
    `N=${shq(nonce)}; id=${shq(id)}`,
    `T=; command -v timeout >/dev/null 2>&1 && T='timeout 10'`,
    `printf '@@%s tz %s\\n' "$N" "$(date +%z)"`,
    `printf '@@%s show\\n' "$N"`,
    `$T scontrol show job -o "$id" 2>&1; printf '\\n@@%s rc %s\\n' "$N" "$?"`,
    `printf '@@%s script\\n' "$N"`,
    `{ $T scontrol write batch_script "$id" - 2>/dev/null; } | head -c ${SCRIPT_BYTES}; printf '\\n@@%s rc 0\\n' "$N"`,
    ...(running
      ? [
          `pids=$($T scontrol listpids "$id" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { print $1 }' | head -n ${MAX_PIDS} | paste -sd, -)`,
          `printf '@@%s ps\\n' "$N"`,
          `case "$pids" in '') ;; *[!0-9,]*) ;; *) ps -o pid=,ppid=,pgid=,sid=,etimes=,stat=,pcpu=,rss=,args= -p "$pids" 2>/dev/null ;; esac`,
          `printf '\\n@@%s rc 0\\n' "$N"`,
        ]
      : []),
    'exit 0',
  ].join('\n');
}

export interface JobOutput {
  offsetMinutes: number;
  show: { rc: number | null; text: string } | null;
  script: string | null;
  /** null: not asked (or not answered); [] : listpids gave none here. */
  ps: string | null;
}

/** The script's sections. Pure; never throws. */
export function splitJobOutput(out: Buffer, nonce: string): JobOutput {
  const res: JobOutput = { offsetMinutes: 0, show: null, script: null, ps: null };
  const text = out.toString('utf8');
  const heads = [...text.matchAll(new RegExp(`^@@${nonce} (\\w+)(?: (.*))?$`, 'gm'))];
  for (let k = 0; k < heads.length; k++) {
    const m = heads[k]!;
    const next = heads[k + 1];
    const from = m.index + m[0].length + 1;
    // each body ends with the newline printed before its rc line
    const body = next ? text.slice(Math.min(from, next.index), Math.max(from, next.index - 1)) : '';
    const rc = next?.[1] === 'rc' ? Number(next[2]) : null;
    if (m[1] === 'tz') res.offsetMinutes = parseUtcOffset(m[2]);
    else if (m[1] === 'show') res.show = { rc: Number.isFinite(rc) ? rc : null, text: body };
    else if (m[1] === 'script') res.script = body.length > 0 ? body : null;
    else if (m[1] === 'ps') res.ps = body;
  }
  return res;
}

const LAUNCHER = /^(exec\s+)?(srun|torchrun|python[\d.]*|accelerate|deepspeed|mpirun|mpiexec|apptainer|singularity|uv|conda|bash|sh)\b|\.(py|sh)\b/;

/**
 * The job's command as its script says it: the first line that launches something (srun, torchrun,
 * python...), else the first command line; comments (#SBATCH, #!) and blank lines skipped. A --wrap
 * job's script is sbatch's own: its one command is the wrapped text. Bounded; printable.
 */
export function scriptCommand(script: string): { line: string | null; wrap: boolean } {
  const lines = script.split('\n').slice(0, 2000);
  const wrap = lines.slice(0, 3).some((l) => /^# This script was created by sbatch --wrap/.test(l));
  const cmds: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!.trim();
    if (l === '' || l.startsWith('#')) continue;
    // a command continued over lines with a trailing backslash
    while (l.endsWith('\\') && i + 1 < lines.length && l.length < 4000) l = `${l.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
    cmds.push(l);
    if (cmds.length >= 200) break;
  }
  const pick = wrap ? cmds.join('; ') : (cmds.find((c) => LAUNCHER.test(c)) ?? cmds[0]);
  return { line: pick === undefined || pick === '' ? null : safeText(pick, 2000), wrap };
}

const iso = (sec: number | null): string | null => (sec === null ? null : new Date(sec * 1000).toISOString().replace(/\.000Z$/, 'Z'));
const text = (s: string | undefined | null): string | null => (s === undefined || s === null || s === '' || s === '(null)' ? null : safeText(s, 2000));

/** The card's Job section and command, cwd and processes of the run's job. */
export async function readJobCard(host: Host, run: Run): Promise<Result<JobCardParts>> {
  const id = scontrolId(run.session);
  if (id === null) return err('parse', `${run.id}: ${JSON.stringify(run.session)} is not a Slurm job id`);
  const nonce = randomBytes(8).toString('hex');
  const running = run.state === 'running' || run.state === 'stalled';
  const r = await host.exec(buildJobScript(nonce, id, running), { timeoutMs: 30_000, maxBytes: 4 * 1024 * 1024 });
  if (!r.ok) return r;
  return ok(jobCardParts(run, splitJobOutput(r.value.stdout, nonce)));
}

/** Pure: the parts from the script's output; what scontrol did not say comes from the poll's run.slurm. */
export function jobCardParts(run: Run, o: JobOutput): JobCardParts {
  const errors: string[] = [];
  const recs = o.show !== null && o.show.rc === 0 ? parseScontrolJobs(o.show.text, o.offsetMinutes) : [];
  const rec: ScontrolJob | undefined = recs.find((j) => j.id === run.session) ?? recs[0];
  if (rec === undefined) {
    const said = (o.show?.text ?? '').trim().split('\n')[0] ?? '';
    errors.push(`the job: scontrol show job ${run.session}: ${safeText(said, 200) || 'no answer'}`);
  }
  const sc = o.script !== null ? scriptCommand(o.script) : null;
  const submitted = text(rec?.fields.Command);
  const s = run.slurm;
  const state = rec?.state ?? s?.state ?? 'UNKNOWN';
  const pending = state === 'PENDING';
  const job: CardJob = {
    id: run.session,
    state: safeText(state, 40),
    reason: text(rec ? rec.reason : (s?.reason ?? null)),
    partition: text(rec?.partition ?? s?.partition ?? null),
    nodes: text(rec?.nodes ?? s?.nodes ?? null),
    batchHost: text(rec?.batchHost ?? null),
    gpus: rec?.gpus ?? s?.gpus ?? null,
    timeLimitSeconds: rec ? rec.timeLimitSeconds : (s?.timeLimitSeconds ?? null),
    elapsedSeconds: rec?.elapsedSeconds ?? s?.elapsedSeconds ?? null,
    submitAt: iso(rec?.submitTime ?? null),
    startAt: rec ? iso(rec.startTime) : (s?.startAt ?? null),
    endAt: pending ? null : iso(rec?.endTime ?? null),
    submitted,
    scriptLine: sc?.line ?? null,
    wrap: sc?.wrap ?? (rec !== undefined && submitted === null),
    processesRead: o.ps !== null && o.ps.trim() !== '',
    failure: null,
  };
  const f = slurmFailure({ slurm: s ? { ...s, state: job.state, nodes: job.nodes } : undefined });
  if (f !== null) job.failure = { reason: f.reason, what: f.what, hint: hintFor(f.hintKey, { job: { id: run.session, nodes: job.nodes } }) };
  return {
    job,
    // what was submitted (the script and its arguments), else the wrapped command, else the script's first command
    command: submitted ?? sc?.line ?? null,
    cwd: text(rec?.workDir ?? null),
    procs: o.ps !== null ? parsePsWide(o.ps) : [],
    errors,
  };
}

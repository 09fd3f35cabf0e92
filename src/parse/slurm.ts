// Slurm's answers about jobs, as plain records: `squeue --json` (Slurm 22.05's openapi v0.0.38 and the
// data_parser shapes of 23.02+ where numbers became {set, infinite, number} and states became lists),
// the fixed `squeue -o` form for clusters without --json, and `scontrol show job -o`. Pure; never
// throws: a record that cannot be read is left out, a field that cannot be read is null.
// Text timestamps (squeue -o, scontrol) are the cluster's local time without a zone: callers pass the
// host's UTC offset (`date +%z`).
import type { RunState } from '../domain/types.js';
import { baseState, epoch, exitOf, gpusOf, isObj, nonEmpty, parseSlurmDuration, parseSlurmTime, slurmNumber, str } from './slurm-values.js';

export {
  baseState,
  decodeWaitStatus,
  gpusOf,
  parseSlurmDuration,
  parseSlurmTime,
  parseUtcOffset,
  slurmNumber,
  SLURM_BASE_STATES,
} from './slurm-values.js';

export interface SlurmJob {
  /** The run's id on the host: `7`, an array task `3_2`, or a pending array's not yet split tasks `15_[0-2%1]`. */
  id: string;
  /** The job's own numeric id (an array task has its own, e.g. 4 for 3_1). */
  jobId: number;
  arrayJobId: number | null;
  arrayTaskId: number | null;
  /** Tasks still pending as one record (`0-2%1`), else null. */
  arrayTasks: string | null;
  name: string;
  user: string | null;
  /** Slurm's base state word: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT... */
  state: string;
  /** Why it waits or ended (`Resources`, `JobHeldUser`, `NonZeroExitCode`); null for `None`. */
  reason: string | null;
  /** The command's exit status; null while unknown or when a signal ended it. */
  exitCode: number | null;
  exitSignal: number | null;
  partition: string | null;
  nodes: string | null;
  /** The node the batch script runs on (%N of the StdOut pattern). */
  batchHost: string | null;
  /** Seconds since the epoch. startTime of a pending job is Slurm's estimate (squeue --start), or null. */
  submitTime: number | null;
  startTime: number | null;
  endTime: number | null;
  /** null: no limit (UNLIMITED) or unknown. */
  timeLimitSeconds: number | null;
  /** As Slurm said it (text forms); the JSON has none: the caller counts from startTime. */
  elapsedSeconds: number | null;
  gpus: number | null;
  workDir: string | null;
  /** The pattern as submitted (may hold %j...), or the path scontrol expanded; empty/null: the default. */
  stdout: string | null;
  stderr: string | null;
  /** The job's comment (sbatch --comment); `rtk:checkpoints=DIR` names its checkpoints. */
  comment?: string | null;
}

/** Where a Slurm state puts the run (DESIGN section 2), and the alert kind behind a failure. */
export function mapSlurmState(word: string, exitCode: number | null): { state: RunState; reason: 'oom' | 'killed' | null } {
  switch (word.toUpperCase()) {
    case 'PENDING':
    case 'REQUEUED':
    case 'REQUEUE_HOLD':
    case 'REQUEUE_FED':
    case 'RESV_DEL_HOLD':
    case 'CONFIGURING':
      return { state: 'pending', reason: null };
    case 'RUNNING':
    case 'COMPLETING':
    case 'SIGNALING':
    case 'STAGE_OUT':
    case 'RESIZING':
    case 'SUSPENDED':
    case 'STOPPED':
      return { state: 'running', reason: null };
    case 'COMPLETED':
      return exitCode !== null && exitCode !== 0 ? { state: 'failed', reason: null } : { state: 'finished', reason: null };
    case 'OUT_OF_MEMORY':
      return { state: 'failed', reason: 'oom' };
    case 'CANCELLED':
    case 'REVOKED':
      return { state: 'failed', reason: 'killed' };
    case 'FAILED':
    case 'TIMEOUT':
    case 'NODE_FAIL':
    case 'PREEMPTED':
    case 'BOOT_FAIL':
    case 'DEADLINE':
    case 'SPECIAL_EXIT':
      return { state: 'failed', reason: null };
    default:
      return { state: 'unknown', reason: null };
  }
}

const jobRunId = (jobId: number, arrayJobId: number | null, arrayTaskId: number | null, arrayTasks: string | null): string => {
  if (arrayJobId !== null && arrayJobId > 0 && arrayTaskId !== null) return `${arrayJobId}_${arrayTaskId}`;
  if (arrayJobId !== null && arrayJobId > 0 && arrayTasks !== null) return `${arrayJobId}_[${arrayTasks}]`;
  return String(jobId);
};

// ---------------------------------------------------------------------------------------------
// squeue --json

/** The first `{` of the output on: login banners or warnings before the JSON are skipped. */
function jsonOf(text: string): unknown {
  const at = text.indexOf('{');
  if (at < 0) return null;
  try {
    return JSON.parse(text.slice(at)) as unknown;
  } catch {
    return null;
  }
}

export interface SqueueJson {
  jobs: SlurmJob[];
  /** `22.05.8` when the meta says. */
  version: string | null;
  errors: string[];
}

export function parseSqueueJson(text: string): SqueueJson | null {
  const doc = jsonOf(text);
  if (!isObj(doc) || !Array.isArray(doc.jobs)) return null;
  const meta = isObj(doc.meta) ? doc.meta : {};
  const slurm = isObj(meta.Slurm) ? meta.Slurm : isObj(meta.slurm) ? meta.slurm : {};
  const errors = Array.isArray(doc.errors)
    ? doc.errors.map((e) => (isObj(e) ? str(e.description) ?? str(e.error) ?? '' : String(e))).filter((s) => s !== '')
    : [];
  const jobs: SlurmJob[] = [];
  for (const j of doc.jobs) {
    const job = jobOfJson(j);
    if (job) jobs.push(job);
  }
  return { jobs, version: nonEmpty(slurm.release), errors };
}

function jobOfJson(j: unknown): SlurmJob | null {
  if (!isObj(j)) return null;
  const jobId = slurmNumber(j.job_id);
  if (jobId === null || !Number.isInteger(jobId) || jobId <= 0) return null;
  const arrayJobId = slurmNumber(j.array_job_id);
  const tasksText = nonEmpty(j.array_task_string);
  // a pending array's last task is listed as the array with one task left: that task
  const arrayTaskId = slurmNumber(j.array_task_id) ?? (tasksText !== null && /^\d+$/.test(tasksText) ? Number(tasksText) : null);
  const arrayTasks = tasksText;
  const aj = arrayJobId !== null && arrayJobId > 0 ? arrayJobId : null;
  const exit = exitOf(j.exit_code);
  const limit = slurmNumber(j.time_limit);
  const nodeCount = slurmNumber(j.node_count) ?? 1;
  const tres = [str(j.tres_alloc_str), str(j.tres_req_str)].map(gpusOf).find((n) => n !== null);
  const perNode = gpusOf(str(j.tres_per_node));
  const perTask = gpusOf(str(j.tres_per_task));
  const tasks = slurmNumber(j.tasks) ?? 1;
  const gpus = tres ?? gpusOf(str(j.tres_per_job)) ?? (perNode !== null ? perNode * Math.max(1, nodeCount) : perTask !== null ? perTask * Math.max(1, tasks) : null);
  return {
    id: jobRunId(jobId, aj, aj !== null ? arrayTaskId : null, aj !== null ? arrayTasks : null),
    jobId,
    arrayJobId: aj,
    arrayTaskId: aj !== null ? arrayTaskId : null,
    arrayTasks: aj !== null && arrayTaskId === null ? arrayTasks : null,
    name: str(j.name) ?? '',
    user: nonEmpty(j.user_name),
    state: baseState(j.job_state),
    reason: reasonOf(str(j.state_reason)),
    exitCode: exit.code,
    exitSignal: exit.signal,
    partition: nonEmpty(j.partition),
    nodes: nonEmpty(j.nodes),
    batchHost: nonEmpty(j.batch_host),
    submitTime: epoch(j.submit_time),
    startTime: epoch(j.start_time),
    endTime: epoch(j.end_time),
    timeLimitSeconds: limit !== null && limit >= 0 ? limit * 60 : null,
    elapsedSeconds: null,
    gpus: gpus ?? null,
    workDir: nonEmpty(j.current_working_directory),
    // 24.11+ also gives the paths expanded
    stdout: nonEmpty(j.stdout_expanded) ?? nonEmpty(j.standard_output),
    stderr: nonEmpty(j.stderr_expanded) ?? nonEmpty(j.standard_error),
    comment: nonEmpty(j.comment),
  };
}

const reasonOf = (r: string | null): string | null => (r === null || r === '' || r === 'None' || r === '(null)' ? null : r);

// ---------------------------------------------------------------------------------------------
// squeue -o (no --json): one record per job, fields split by the unit separator, the name last

/** Records start with this at a line start and end with SEP + END; the separator 0x1f is in no field
 * Slurm makes, and only the name (last, so whatever it holds is only the name) can hold it. */
export const SQUEUE_RECORD = 'RTKJ';
export const SQUEUE_SEP = '\x1f';
const SQUEUE_END = 'RTKE';
const FIELDS = ['%i', '%A', '%F', '%K', '%T', '%r', '%N', '%M', '%l', '%V', '%S', '%b', '%P', '%u', '%Z', '%j'] as const;
/** The argument of `squeue -t all -h -o`. */
export const SQUEUE_FORMAT = SQUEUE_RECORD + FIELDS.join(SQUEUE_SEP) + SQUEUE_SEP + SQUEUE_END;

export function parseSqueueFormat(text: string, offsetMinutes = 0): SlurmJob[] {
  const out: SlurmJob[] = [];
  // a record runs to the next record start; a newline inside a name stays in the name
  const parts = `\n${text}`.split(`\n${SQUEUE_RECORD}`).slice(1);
  for (const whole of parts) {
    // up to the record's end mark (a name cannot make squeue print one after it); without one (an
    // older capture), the line
    const endAt = whole.lastIndexOf(SQUEUE_SEP + SQUEUE_END);
    const part = endAt >= 0 ? whole.slice(0, endAt) : whole.replace(/\n$/, '');
    const f = part.split(SQUEUE_SEP);
    if (f.length < FIELDS.length) continue;
    const name = f.slice(FIELDS.length - 1).join(SQUEUE_SEP);
    const [, ownId, arrayId, task, state, reason, nodes, elapsed, limit, submit, start, gres, partition, user, workDir] = f;
    const jobId = /^\d+$/.test(ownId ?? '') ? Number(ownId) : null;
    if (jobId === null || jobId <= 0) continue;
    const aj = /^\d+$/.test(arrayId ?? '') && task !== 'N/A' ? Number(arrayId) : null;
    const taskId = aj !== null && /^\d+$/.test(task ?? '') ? Number(task) : null;
    const tasks = aj !== null && taskId === null ? nonEmpty(task) : null;
    out.push({
      id: jobRunId(jobId, aj, taskId, tasks),
      jobId,
      arrayJobId: aj,
      arrayTaskId: taskId,
      arrayTasks: tasks,
      name,
      user: nonEmpty(user),
      state: baseState(state),
      reason: reasonOf(nonEmpty(reason)),
      exitCode: null,
      exitSignal: null,
      partition: nonEmpty(partition),
      nodes: nonEmpty(nodes),
      batchHost: null,
      submitTime: parseSlurmTime(submit, offsetMinutes),
      startTime: parseSlurmTime(start, offsetMinutes),
      endTime: null,
      timeLimitSeconds: parseSlurmDuration(limit),
      elapsedSeconds: parseSlurmDuration(elapsed),
      gpus: gpusOf(nonEmpty(gres)),
      workDir: nonEmpty(workDir),
      stdout: null,
      stderr: null,
    });
  }
  return out;
}

// `scontrol show job -o`: one job per line as `Key=value` pairs, where a value may hold spaces (a job
// name, a path) or even newlines (a job name). Read by the known keys: a free-text value (JobName,
// paths, Command, comments) ends only at the next *known* key, other values at any `Key=`. Pure; never
// throws.
import type { SlurmJob } from './slurm.js';
import { baseState, gpusOf, parseSlurmDuration, parseSlurmTime } from './slurm-values.js';

const KNOWN = new Set(
  (
    'JobId ArrayJobId ArrayTaskId ArrayTaskThrottle HetJobId HetJobOffset HetJobIdSet JobName UserId GroupId MCS_label ' +
    'Priority Nice Account QOS JobState Reason Dependency Requeue Restarts BatchFlag Reboot ExitCode DerivedExitCode ' +
    'RunTime TimeLimit TimeMin SubmitTime EligibleTime AccrueTime StartTime EndTime Deadline SuspendTime ' +
    'SecsPreSuspend LastSchedEval Scheduler Partition AllocNode:Sid ReqNodeList ExcNodeList NodeList BatchHost ' +
    'SchedNodeList NumNodes NumCPUs NumTasks CPUs/Task ReqB:S:C:T TRES ReqTRES AllocTRES Socks/Node NtasksPerN:B:S:C ' +
    'CoreSpec MinCPUsNode MinMemoryNode MinMemoryCPU MinTmpDiskNode Features Prefer DelayBoot OverSubscribe Contiguous ' +
    'Licenses LicensesAlloc Network Command WorkDir StdErr StdIn StdOut Power TresPerNode TresPerJob TresPerTask ' +
    'TresPerSocket TresBind TresFreq CpusPerTres MemPerTres Comment AdminComment SystemComment Reservation ' +
    'Container ContainerID MailUser MailType NtasksPerTRES CPU_Bind CPU_Bind_Type Cluster ClusterFeatures ' +
    'BurstBuffer BurstBufferState Partition_Requested'
  ).split(' '),
);
/** Values that are the user's own text: they end at a known key only. */
const FREE = new Set(['JobName', 'Command', 'WorkDir', 'StdErr', 'StdIn', 'StdOut', 'Comment', 'AdminComment', 'SystemComment', 'Reservation', 'Features', 'Prefer']);

export interface ScontrolJob extends SlurmJob {
  /** Every key as read, for what the record does not name. */
  fields: Record<string, string>;
}

/** The `Key=value` pairs of one record. */
export function splitScontrolRecord(rec: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(?:^| )([A-Za-z][A-Za-z0-9_:/]*)=/g;
  const cuts: { key: string; at: number; valueAt: number }[] = [];
  let current: string | null = null;
  for (let m = re.exec(rec); m !== null; m = re.exec(rec)) {
    const key = m[1]!;
    const known = KNOWN.has(key);
    // the record starts at JobId; inside a free-text value only a known key ends it; elsewhere any
    // capitalized Key= does (a key newer than this list)
    const accept = current === null ? key === 'JobId' : FREE.has(current) ? known : known || /^[A-Z]/.test(key);
    if (!accept) continue;
    cuts.push({ key, at: m.index, valueAt: m.index + m[0].length });
    current = key;
  }
  for (let k = 0; k < cuts.length; k++) {
    const c = cuts[k]!;
    const end = k + 1 < cuts.length ? cuts[k + 1]!.at : rec.length;
    if (!(c.key in out)) out[c.key] = rec.slice(c.valueAt, end).replace(/[ \n]+$/, '');
  }
  return out;
}

const v = (s: string | undefined): string | null => (s === undefined || s === '' || s === '(null)' || s === 'N/A' || s === 'None' ? null : s);
const int = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);

export function parseScontrolJobs(text: string, offsetMinutes = 0): ScontrolJob[] {
  const out: ScontrolJob[] = [];
  // a record begins with JobId= at a line start; a newline inside a job name stays in the name
  for (const part of `\n${text}`.split(/\n(?=JobId=\d)/).slice(1)) {
    const f = splitScontrolRecord(part.replace(/\n$/, ''));
    const jobId = int(f.JobId);
    if (jobId === null || jobId <= 0) continue;
    const aj = int(f.ArrayJobId);
    const taskId = int(f.ArrayTaskId);
    const tasks = aj !== null && taskId === null ? v(f.ArrayTaskId) : null;
    const id = aj !== null && taskId !== null ? `${aj}_${taskId}` : aj !== null && tasks !== null ? `${aj}_[${tasks}]` : String(jobId);
    const ex = /^(\d+):(\d+)$/.exec(f.ExitCode ?? '');
    const sig = ex ? Number(ex[2]) : 0;
    const state = baseState(f.JobState);
    const started = state !== 'PENDING';
    out.push({
      id,
      jobId,
      arrayJobId: aj,
      arrayTaskId: aj !== null ? taskId : null,
      arrayTasks: tasks,
      name: f.JobName ?? '',
      user: v(/^([^(]*)\(/.exec(f.UserId ?? '')?.[1] ?? f.UserId),
      state,
      reason: v(f.Reason),
      exitCode: ex && sig === 0 ? Number(ex[1]) : null,
      exitSignal: sig !== 0 ? sig : null,
      partition: v(f.Partition),
      nodes: v(f.NodeList),
      batchHost: v(f.BatchHost),
      submitTime: parseSlurmTime(f.SubmitTime, offsetMinutes),
      startTime: parseSlurmTime(f.StartTime, offsetMinutes),
      endTime: started ? parseSlurmTime(f.EndTime, offsetMinutes) : null,
      timeLimitSeconds: parseSlurmDuration(f.TimeLimit),
      elapsedSeconds: parseSlurmDuration(f.RunTime),
      gpus: gpusOf(v(f.AllocTRES) ?? v(f.TRES)) ?? gpusOf(v(f.TresPerJob)) ?? gpusOf(v(f.TresPerNode)),
      workDir: v(f.WorkDir),
      stdout: v(f.StdOut),
      stderr: v(f.StdErr),
      comment: v(f.Comment),
      fields: f,
    });
  }
  return out;
}

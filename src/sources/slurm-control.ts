// Acting on a Slurm job from a login node: cancel exactly one job, submit one, open a shell inside a
// running one. Scripts for the host's exec, every word quoted (job names, commands and paths are the
// user's and may hold anything); a job id is digits (an array task: digits_digits) or refused.
import { err, ok, type Result } from '../domain/types.js';
import { shjoin, shq, remoteOperand } from '../remote/quote.js';

/** `1234` or `1234_5` (an array task). */
export function checkJobId(id: string): Result<string> {
  return /^\d{1,12}(_\d{1,9})?$/.test(id) ? ok(id) : err('usage', `${JSON.stringify(id)} is not a Slurm job id (digits, or JOBID_TASK for an array task)`);
}

/** What `scancel` did, as the script reports it. */
export const CANCEL_GONE = 94;

/**
 * Cancels that job only: it must still be known to the controller (else exit CANCEL_GONE, nothing
 * sent), then `scancel` it and print its state line after.
 */
export function scancelScript(jobId: string): string {
  const id = shq(jobId);
  return [
    `s=$(scontrol show job -o ${id} 2>/dev/null) || exit ${CANCEL_GONE}`,
    `[ -n "$s" ] || exit ${CANCEL_GONE}`,
    `scancel ${id} || exit $?`,
    `scontrol show job -o ${id} 2>/dev/null | tr ' ' '\\n' | grep -E '^(JobState|Reason)=' | tr '\\n' ' '; echo`,
  ].join('\n');
}

export interface SubmitRequest {
  name: string;
  argv: string[];
  cwd: string | null;
  /** StdOut path (Slurm patterns such as %j allowed); null: Slurm's default slurm-%j.out in cwd. */
  output: string | null;
  partition?: string | null;
  /** GPUs per node (--gres=gpu:N). */
  gpus?: number | null;
  /** Time limit as Slurm takes it (`2:00:00`, `1-00:00:00`, minutes). */
  time?: string | null;
  /** The checkpoint directory (relative to cwd), kept as the job's comment `rtk:checkpoints=DIR`. */
  checkpoints?: string | null;
}

/** `sbatch --parsable` with the command as one --wrap string (the argv quoted for sh). */
export function sbatchScript(r: SubmitRequest): Result<string> {
  if (r.argv.length === 0) return err('usage', 'nothing to run: the command is empty');
  if (r.gpus !== undefined && r.gpus !== null && !(Number.isInteger(r.gpus) && r.gpus >= 0 && r.gpus <= 64)) return err('usage', `--gpus wants a number of GPUs from 0 to 64, got ${r.gpus}`);
  if (r.time && !/^(\d+-)?\d+(:\d{1,2}){0,2}$/.test(r.time)) return err('usage', `the time limit ${JSON.stringify(r.time)} is not one Slurm takes (minutes, H:MM:SS or D-HH:MM:SS)`);
  if (r.checkpoints !== undefined && r.checkpoints !== null && (r.checkpoints.trim() === '' || /[\0\n\r]/.test(r.checkpoints))) return err('usage', `the checkpoint directory ${JSON.stringify(r.checkpoints)} cannot be kept as a job comment (empty, or a newline in it)`);
  const words = ['sbatch', '--parsable', '-J', shq(r.name)];
  if (r.output) words.push('-o', remoteOperand(r.output));
  if (r.partition) words.push('-p', shq(r.partition));
  if (r.gpus) words.push(`--gres=gpu:${r.gpus}`);
  if (r.time) words.push('-t', shq(r.time));
  if (r.checkpoints) words.push(`--comment=${shq(`rtk:checkpoints=${r.checkpoints}`)}`);
  words.push('--wrap', shq(shjoin(r.argv)));
  const cd = r.cwd ? `cd -- ${remoteOperand(r.cwd)} || exit 3\n` : '';
  return ok(`${cd}${words.join(' ')}`);
}

/** The job id `sbatch --parsable` printed (`1234` or `1234;cluster`), or null. */
export function parseSubmitted(stdout: string): string | null {
  const m = /^(\d+)(?:;\S+)?\s*$/m.exec(stdout.trim().split('\n').pop() ?? '');
  return m ? m[1]! : null;
}

/** The remote command line of an interactive shell inside the running job (for `ssh -t`). */
export function shellInJob(jobId: string): string {
  return `exec srun --jobid=${shq(jobId)} --overlap --pty "\${SHELL:-/bin/sh}" -l`;
}

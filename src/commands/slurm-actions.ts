// kill, new and attach for a Slurm host (scheduler: slurm): scancel exactly the job, sbatch a new
// one, a shell inside a running job. The commands call these when the host is a Slurm login node;
// the confirmation and --readonly rules are the same as for tmux runs.
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import { safeText } from '../parse/terminal.js';
import type { Host } from '../remote/host.js';
import { forLoginShell } from '../remote/markers.js';
import { sshArgv, type HostEnv } from '../remote/index.js';
import { CANCEL_GONE, checkJobId, parseSubmitted, sbatchScript, scancelScript, shellInJob, type SubmitRequest } from '../sources/slurm-control.js';
import type { CommandContext } from './context.js';
import { ask } from './control-common.js';

export function isSlurm(spec: HostSpec): boolean {
  return spec.scheduler === 'slurm';
}

/** `kill HOST:JOBID` on a Slurm host: asks (unless yes), then scancel that job only. */
export async function cancelJob(ctx: CommandContext, host: Host, spec: HostSpec, jobId: string, runId: string, o: { yes: boolean; dry: boolean }): Promise<Result<number>> {
  const id = checkJobId(jobId);
  if (!id.ok) return id;
  const name = safeText(runId);
  if (o.dry) {
    ctx.stdout.write(`would cancel ${name}: scancel ${jobId} on ${safeText(spec.name)} (Slurm ends all its steps and processes)\n`);
    return ok(0);
  }
  if (!o.yes) {
    const a = await ask(ctx, `cancel Slurm job ${name}? [y/N] `);
    if (a === null || !/^y(es)?$/i.test(a.trim())) {
      ctx.stderr.write('not cancelled\n');
      return ok(1);
    }
  }
  const r = await host.exec(scancelScript(jobId), { timeoutMs: 30_000 });
  if (!r.ok) return r;
  if (r.value.code === CANCEL_GONE) return err('not-found', `Slurm on ${spec.name} no longer knows job ${jobId}: not cancelled`);
  if (r.value.code !== 0) return err('exit', `scancel ${jobId} on ${spec.name} failed: ${safeText(r.value.stderr.toString('utf8').trim().split('\n').pop() ?? `exit status ${r.value.code}`)}`, { code: r.value.code });
  const state = safeText(r.value.stdout.toString('utf8').trim());
  ctx.stdout.write(`cancelled ${name}${state ? ` (${state})` : ''}\n`);
  return ok(0);
}

/** `new NAME --host SLURMHOST -- CMD`: sbatch it; says the job id and run id. */
export async function submitJob(ctx: CommandContext, host: Host, spec: HostSpec, req: SubmitRequest): Promise<Result<string>> {
  const script = sbatchScript(req);
  if (!script.ok) return script;
  const r = await host.exec(script.value, { timeoutMs: 30_000 });
  if (!r.ok) return r;
  const id = r.value.code === 0 ? parseSubmitted(r.value.stdout.toString('utf8')) : null;
  if (id === null) {
    const why = r.value.code === 3 ? `the directory ${req.cwd ?? ''} does not exist there` : (r.value.stderr.toString('utf8').trim().split('\n').pop() ?? `exit status ${r.value.code}`);
    return err('exit', `sbatch on ${spec.name} refused the job: ${safeText(why)}`, { code: r.value.code });
  }
  return ok(id);
}

/** The system ssh (or sh for a local host) running a shell inside the job. */
export function jobShellArgv(spec: HostSpec, jobId: string, henv: HostEnv): Result<string[]> {
  const id = checkJobId(jobId);
  if (!id.ok) return id;
  const line = shellInJob(jobId);
  if (spec.local || !spec.ssh) return ok(['sh', '-c', line]);
  return ok(['ssh', '-t', ...sshArgv(spec, henv), forLoginShell(line, 'any')]);
}

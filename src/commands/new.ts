// rtk-tui new NAME --host H [--log FILE] [--checkpoints DIR] [--cwd DIR] -- CMD [ARG...]
// Starts CMD in a new detached tmux session on H, its output also written to the log, and the
// run's metadata (@rtk_log, @rtk_checkpoints, @rtk_cmd, @rtk_cwd; @rtk_exit when it ends) kept
// on the server.
import { isAbsolute, resolve } from 'node:path';
import { err, ok } from '../domain/types.js';
import { safeText } from '../parse/terminal.js';
import { selfCommand } from './help.js';
import { shq } from '../remote/quote.js';
import { newRun, type NewRunResult } from '../remote/tmux-control.js';
import { parseGpusFlag } from '../parse/gpu-pick.js';
import { launchOnFreeGpus, type LaunchResult } from '../sources/launch.js';
import type { CommandContext, CommandResult } from './context.js';
import { configWithoutCliHosts, openOne, parseFlags, pickHost } from './control-common.js';
import { isSlurm, submitJob } from './slurm-actions.js';
import { detectScheduler } from '../sources/scheduler-detect.js';
import type { HostSpec } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import type { PickRequest } from '../parse/gpu-pick.js';

const USAGE = 'rtk-tui new NAME --host H [--gpus N|LIST] [--min-free-gib M] [--log FILE] [--checkpoints DIR] [--cwd DIR] [--partition P] [--time T] -- CMD [ARG...]';

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const f = parseFlags('new', argv, { values: ['--host', '--log', '--checkpoints', '--cwd', '--gpus', '--min-free-gib', '--partition', '--time'] });
  if (!f.ok) return f;
  const { positional, values, rest } = f.value;
  if (positional.length === 0) return err('usage', `new needs a NAME for the run: ${USAGE}`);
  if (positional.length > 1 || rest === null)
    return err('usage', `new: put the command after --, e.g. rtk-tui new ${positional[0]} --host H -- python train.py`);
  if (rest.length === 0) return err('usage', `new: no command after --: ${USAGE}`);
  // cli.ts takes --host as a global flag wherever it stands before `--`
  const hostArgs = values['--host'] !== undefined ? [values['--host']] : ctx.global.hosts;
  if (hostArgs.length !== 1)
    return err('usage', hostArgs.length === 0 ? `new needs --host H (a configured host, an ssh alias or local): ${USAGE}` : 'new takes exactly one --host');
  const name = positional[0]!;
  const gpus = parseGpusFlag(values['--gpus'], values['--min-free-gib']);
  if (!gpus.ok) return gpus;

  const cfg = configWithoutCliHosts(ctx);
  if (!cfg.ok) return cfg;
  const spec = pickHost(cfg.value, hostArgs[0]!);
  if (!spec.ok) return spec;
  const local = spec.value.local;
  // on this machine, paths are relative to where the user stands; remotely, to the login directory
  const localPath = (p: string | undefined) => (p === undefined || !local || isAbsolute(p) || p.startsWith('~') ? p : resolve(ctx.cwd, p));
  const cwd = local ? (localPath(values['--cwd']) ?? ctx.cwd) : values['--cwd'];

  if (spec.value.scheduler === 'tmux' && (values['--partition'] !== undefined || values['--time'] !== undefined))
    return err('usage', `new: --partition and --time are for a Slurm host (scheduler: slurm), and ${spec.value.name} is not one`);
  const host = openOne(spec.value, ctx);
  try {
    // a host without the scheduler key is a Slurm host when its Slurm client works (scheduler-detect.ts)
    const slurm = isSlurm(spec.value) || (spec.value.scheduler === undefined && (await detectScheduler(host, spec.value)) === 'slurm');
    if (!slurm && (values['--partition'] !== undefined || values['--time'] !== undefined))
      return err('usage', `new: --partition and --time are for a Slurm host (scheduler: slurm), and ${spec.value.name} is not one`);
    if (slurm) return await submit(ctx, host, spec.value, name, rest, values, gpus.value);
    const o = { name, cmd: rest, cwd, log: values['--log'], checkpoints: values['--checkpoints'] };
    const r = gpus.value === null ? await newRun(host, spec.value, o) : await launchOnFreeGpus(host, spec.value, o, gpus.value);
    if (!r.ok) return r;
    const id = `${spec.value.name}:${name}`;
    ctx.stdout.write(`started ${safeText(id)}\n${startedLines(ctx, id, r.value)}`);
    return ok(0);
  } finally {
    await host.close();
  }
}

export { parseGpusFlag } from '../parse/gpu-pick.js';

/** On a Slurm host `new` submits a batch job: the GPUs as a count (--gres), the log as its StdOut. */
async function submit(ctx: CommandContext, host: Host, spec: HostSpec, name: string, cmd: string[], values: Record<string, string | undefined>, gpus: Omit<PickRequest, 'host'> | null): Promise<CommandResult> {
  if (gpus !== null && gpus.count === null) return err('usage', `new: on a Slurm host --gpus is a count (Slurm picks the GPUs), not a list`);
  const r = await submitJob(ctx, host, spec, {
    name,
    argv: cmd,
    cwd: values['--cwd'] ?? null,
    output: values['--log'] ?? null,
    partition: values['--partition'] ?? null,
    gpus: gpus?.count ?? null,
    time: values['--time'] ?? null,
    // kept as the job's comment rtk:checkpoints=DIR, read back by the poll (relative to the job's WorkDir)
    checkpoints: values['--checkpoints'] ?? null,
  });
  if (!r.ok) return r;
  const id = `${spec.name}:${r.value}`;
  ctx.stdout.write(`submitted ${safeText(id)} (Slurm job ${r.value}, named ${safeText(name)})\n  follow it: ${selfCommand(ctx.env)} logs -f ${safeText(id)}\n`);
  return ok(0);
}

/**
 * What a run was started with, as the host says it (paths resolved there): log, directory,
 * checkpoints, GPUs and the pinned ones another run holds, and how to attach. `new` and `relaunch`.
 */
export function startedLines(ctx: CommandContext, id: string, r: NewRunResult | LaunchResult): string {
  const picked = 'gpus' in r ? r : null;
  return (
    `  log          ${safeText(r.log)}\n` +
    `  directory    ${safeText(r.cwd)}\n` +
    (r.checkpoints ? `  checkpoints  ${safeText(r.checkpoints)}\n` : '') +
    (picked && picked.gpus.length > 0 ? `  gpus         ${picked.gpus.join(',')} (CUDA_VISIBLE_DEVICES)\n` : '') +
    (picked ? picked.busyPinned.map((b) => `  warning      ${safeText(b)}\n`).join('') : '') +
    `  attach with  ${selfCommand(ctx.env)} attach ${shq(id)}\n`
  );
}


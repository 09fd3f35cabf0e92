// rtk-tui attach RUN: the run's tmux session in this terminal, with a banner row and a detach key
// (Ctrl-\ by default, config keys['attach.detach']) that returns to the shell; tmux's own prefix-d
// works too. Local hosts run `tmux attach`, ssh hosts the SYSTEM ssh (same -F config, jump chain).
import { constants } from 'node:os';
import { err, ok } from '../domain/types.js';
import { safeText } from '../parse/terminal.js';
import { attachArgv } from '../remote/tmux-control.js';
import { attachInteractive, parseDetachKey } from '../tty/attach.js';
import type { CommandContext, CommandResult } from './context.js';
import { configOf, hostEnvOf, openOne, parseFlags, resolveTarget } from './control-common.js';
import { sessionInfo } from '../remote/tmux-control.js';
import type { HostSpec, Result, RunGroup } from '../domain/types.js';
import { findGroup, partId } from '../parse/groups.js';
import { isSlurm, jobShellArgv } from './slurm-actions.js';

// the monitor used to import it from here
export { attachArgv };

/** The detach key from the config (keys['attach.detach']: a name such as ctrl+\ or a list). */
export function detachKeyOf(keys: Record<string, string | string[]>): string | undefined {
  const k = keys['attach.detach'];
  return Array.isArray(k) ? k[0] : k;
}

/** Whether the session's pane has ended (remain-on-exit keeps it); null when that cannot be told. */
async function paneDead(spec: HostSpec, session: string, ctx: CommandContext): Promise<boolean | null> {
  const host = openOne(spec, ctx);
  try {
    const info = await sessionInfo(host, spec, session);
    return info.ok ? info.value.dead : null;
  } finally {
    await host.close();
  }
}

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const f = parseFlags('attach', argv, { values: ['--part'] });
  if (!f.ok) return f;
  const words = [...f.value.positional, ...(f.value.rest ?? [])];
  if (words.length !== 1) return err('usage', 'attach takes one RUN (HOST:SESSION, or SESSION where it is unique): rtk-tui attach RUN');
  let id = words[0]!;
  if (ctx.stdin.isTTY !== true || ctx.stdout.isTTY !== true)
    return err('usage', `attach ${id} needs a terminal: stdin and stdout must be a TTY`);
  const cfg = configOf(ctx);
  if (!cfg.ok) return cfg;
  const detachKey = detachKeyOf(cfg.value.keys);
  if (detachKey !== undefined && parseDetachKey(detachKey) === null)
    return err('config', `keys.attach.detach ${JSON.stringify(detachKey)} in ${cfg.value.path ?? 'the config'} is not a control key such as ctrl+\\`);

  // a group (config groups): its rank 0, or the part --part names
  const part = groupPart(cfg.value.groups, id, f.value.values['--part']);
  if (!part.ok) return part;
  if (part.value !== null) id = part.value;
  const t = await resolveTarget(ctx, id, { group: 'rank0' });
  if (!t.ok) return t;
  const { spec, session, runId, opened } = t.value;
  // resolveRun found the session; the lookup connections are not needed while attached (the
  // system ssh makes its own)
  await Promise.all(opened.map((h) => h.close()));

  // a Slurm job: a shell inside it (srun --overlap --pty), not a tmux client
  let argvOf: string[];
  if (isSlurm(spec)) {
    if (ctx.global.readonly) return err('refused', `--readonly: a shell inside Slurm job ${runId} could change things; not opened (rtk-tui logs -f ${runId} reads it)`);
    const a = jobShellArgv(spec, session, hostEnvOf(ctx));
    if (!a.ok) return a;
    argvOf = a.value;
  } else argvOf = attachArgv(spec, session, hostEnvOf(ctx), ctx.global.readonly);
  const res = await attachInteractive({
    argv: argvOf,
    title: runId + (ctx.global.readonly ? ' (read-only)' : ''),
    stdin: ctx.stdin,
    stdout: ctx.stdout,
    detachKey,
    env: ctx.env,
    cwd: ctx.cwd,
  });
  switch (res.reason) {
    case 'detached': {
      // say what is true: a session whose command ended stays, but nothing runs in it
      const ended = await paneDead(spec, session, ctx);
      ctx.stderr.write(
        `${safeText(`detached from ${runId}`)}; ${ended === true ? 'its command had already ended: the session stays until it is killed' : 'it keeps running'}\n`,
      );
      return ok(0);
    }
    case 'exited':
      if (res.code === 0) {
        ctx.stderr.write(`${safeText(res.message ?? `${runId} ended`)}\n`);
        return ok(0);
      }
      return err('exit', `attach ${runId}: ${res.message ?? 'tmux ended with an error'}`, { code: res.code ?? null });
    case 'lost':
      return err('unreachable', res.message ?? `connection to ${spec.name} lost`);
    case 'failed':
      return err('io', `attach ${runId}: ${res.message ?? 'could not start'}`);
    case 'signal':
      // the terminal is back as it was; end as the signal asked (128 + its number, like a shell)
      ctx.stderr.write(`${safeText(res.message ?? `detached from ${runId}`)}\n`);
      return ok(128 + (constants.signals[res.signal ?? 'SIGTERM'] ?? 15));
  }
}

/** `attach GROUP [--part HOST:SESSION]`: the part to attach to (null: RUN is not a group, no --part). */
export function groupPart(groups: readonly RunGroup[] | undefined, id: string, part: string | undefined): Result<string | null> {
  const g = findGroup(groups, id);
  if (part === undefined) return ok(g === null ? null : partId(g.parts[0]!));
  if (g === null) return err('usage', `attach: --part is for a group (config groups), and ${id} is not one`);
  const ids = g.parts.map(partId);
  if (!ids.includes(part)) return err('usage', `attach: ${part} is not a part of group ${id} (its parts: ${ids.join(', ')})`);
  return ok(part);
}

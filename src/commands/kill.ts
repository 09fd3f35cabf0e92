// rtk-tui kill RUN [--yes] [--dry-run] [--grace S]: end exactly that tmux session and every process
// of the run (src/sources/kill-run.ts), then say what ended and the GPU memory freed.
// Without --yes it asks on the terminal (and, for a run alive for more than an hour, wants its
// name typed); with no terminal to ask on it refuses rather than guess.
import { err, ok } from '../domain/types.js';
import { safeText } from '../parse/terminal.js';
import { sessionInfo, type SessionInfo } from '../remote/tmux-control.js';
import { executeKill, killSummary, planKill } from '../sources/kill-run.js';
import type { CommandContext, CommandResult } from './context.js';
import { ago, ask, configOf, parseFlags, resolveTarget } from './control-common.js';
import { findGroup } from '../parse/groups.js';
import { killGroup } from './kill-group.js';
import { cancelJob, isSlurm } from './slurm-actions.js';

/** Alive longer than this: the session name must be typed to confirm. */
export const TYPE_NAME_AFTER_MS = 3600_000;

/**
 * Ask on the terminal: y/N, or, for a run alive for more than an hour, its session name typed.
 * Says why on stderr when the answer is no.
 */
export async function confirmKill(ctx: CommandContext, runId: string, session: string, info: SessionInfo, now: number): Promise<boolean> {
  const age = info.createdAt === null ? null : now - info.createdAt;
  runId = safeText(runId);
  session = safeText(session);
  if (!info.dead && age !== null && age > TYPE_NAME_AFTER_MS) {
    const a = await ask(ctx, `${runId} has been running for ${ago(age)}. Type its name (${session}) to kill it: `);
    if (a === session) return true;
    ctx.stderr.write('not killed: the name did not match\n');
    return false;
  }
  const a = await ask(ctx, `kill ${runId}? [y/N] `);
  if (a !== null && /^y(es)?$/i.test(a.trim())) return true;
  ctx.stderr.write('not killed\n');
  return false;
}

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const f = parseFlags('kill', argv, { switches: ['--yes', '--dry-run'], values: ['--grace'], aliases: { '-y': '--yes', '-n': '--dry-run' } });
  if (!f.ok) return f;
  const { positional, switches, values, rest } = f.value;
  const words = [...positional, ...(rest ?? [])];
  if (words.length !== 1) return err('usage', 'kill takes one RUN (HOST:SESSION, or SESSION where it is unique): rtk-tui kill RUN [--yes] [--dry-run] [--grace S]');
  const id = words[0]!;
  const yes = switches.has('--yes');
  const dry = switches.has('--dry-run');
  const grace = values['--grace'] === undefined ? 10 : Number(values['--grace']);
  if (!Number.isFinite(grace) || grace < 0 || grace > 600) return err('usage', `kill: --grace wants seconds between 0 and 600, got ${JSON.stringify(values['--grace'])}`);
  if (!yes && !dry && ctx.stdin.isTTY !== true)
    return err('usage', `kill ${id} needs --yes when stdin is not a terminal (nothing to ask for confirmation on)`);

  // a group (config groups) ends as a whole: every part, asked once
  const cfg = configOf(ctx);
  const group = cfg.ok ? findGroup(cfg.value.groups, id) : null;
  if (cfg.ok && group) return killGroup(ctx, cfg.value, group, { yes, dry, grace });

  const t = await resolveTarget(ctx, id);
  if (!t.ok) return t;
  const { host, spec, session, runId, opened } = t.value;
  try {
    // a Slurm job: scancel exactly that job (Slurm ends every step and process of it)
    if (isSlurm(spec)) return await cancelJob(ctx, host, spec, session, runId, { yes, dry });
    // what the user is shown is what gets killed: the same tmux id and creation time, or nothing
    const info = await sessionInfo(host, spec, session);
    if (!info.ok) return info;
    const plan = await planKill(host, spec, session, runId);
    if (!plan.ok) return plan;
    if (dry) {
      ctx.stdout.write(`would kill ${safeText(runId)}: its session and ${plan.value.victims.length} process${plan.value.victims.length === 1 ? '' : 'es'}\n`);
      for (const v of plan.value.victims) {
        const held = v.gpu.length > 0 ? `  (GPU ${v.gpu.map(([g, m]) => `${g}: ${(m / 1024).toFixed(1)} GiB`).join(', ')})` : '';
        ctx.stdout.write(`  ${String(v.pid).padStart(7)}  ${v.why.padEnd(7)}  ${safeText(v.command.slice(0, 100))}${held}\n`);
      }
      return ok(0);
    }
    if (!yes && !(await confirmKill(ctx, runId, session, info.value, Date.now()))) return ok(1);
    if (plan.value.id !== info.value.id) return err('refused', `${runId} changed while it was being looked at (re-created under that name); not killed. Look again (rtk-tui ls).`);
    const r = await executeKill(host, spec, plan.value, grace);
    if (!r.ok) return r;
    ctx.stdout.write(killSummary(safeText(runId), r.value).map((l) => `${safeText(l)}\n`).join(''));
    return ok(r.value.left.some((l) => !l.why.startsWith('a zombie')) ? 1 : 0);
  } finally {
    await Promise.all(opened.map((h) => h.close()));
  }
}

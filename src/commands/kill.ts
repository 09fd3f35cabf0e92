// rtk-tui kill RUN [--yes]: kill exactly that tmux session.
// Without --yes it asks on the terminal (and, for a run alive for more than an hour, wants its
// name typed); with no terminal to ask on it refuses rather than guess.
import { err, ok } from '../domain/types.js';
import { safeText } from '../parse/terminal.js';
import { killSession, sessionInfo, type SessionInfo } from '../remote/tmux-control.js';
import type { CommandContext, CommandResult } from './context.js';
import { ago, ask, parseFlags, resolveTarget } from './control-common.js';

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
  const f = parseFlags('kill', argv, { switches: ['--yes'], aliases: { '-y': '--yes' } });
  if (!f.ok) return f;
  const { positional, switches, rest } = f.value;
  const words = [...positional, ...(rest ?? [])];
  if (words.length !== 1) return err('usage', 'kill takes one RUN (HOST:SESSION, or SESSION where it is unique): rtk-tui kill RUN [--yes]');
  const id = words[0]!;
  const yes = switches.has('--yes');
  if (!yes && ctx.stdin.isTTY !== true)
    return err('usage', `kill ${id} needs --yes when stdin is not a terminal (nothing to ask for confirmation on)`);

  const t = await resolveTarget(ctx, id);
  if (!t.ok) return t;
  const { host, spec, session, runId, opened } = t.value;
  try {
    // what the user is shown is what gets killed: the same tmux id and creation time, or nothing
    const info = await sessionInfo(host, spec, session);
    if (!info.ok) return info;
    if (!yes && !(await confirmKill(ctx, runId, session, info.value, Date.now()))) return ok(1);
    const r = await killSession(host, spec, { name: session, id: info.value.id, createdAt: info.value.createdAt === null ? null : info.value.createdAt / 1000 });
    if (!r.ok) return r;
    ctx.stdout.write(`killed ${safeText(runId)}\n`);
    return ok(0);
  } finally {
    await Promise.all(opened.map((h) => h.close()));
  }
}

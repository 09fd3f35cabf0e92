// `rtk-tui kill GROUP`: a multi-node run (config groups) ends as a whole. Every part is listed the
// way `kill` lists one run (src/sources/kill-run.ts planKill), the user is asked once, every part is
// looked at again, and only when none changed since it was listed (re-created under its name) are
// they killed, each by the kill path of one run. A part that is gone is said and skipped; a part
// whose host cannot be reached is said, skipped, and makes the exit status 1.
import { err, ok, type Result, type RunGroup } from '../domain/types.js';
import { partId } from '../parse/groups.js';
import { safeText } from '../parse/terminal.js';
import { sessionInfo, type SessionInfo } from '../remote/tmux-control.js';
import { executeKill, killSummary, planKill, type KillPlan } from '../sources/kill-run.js';
import type { Config } from '../config/schema.js';
import type { CommandContext, CommandResult } from './context.js';
import { closeHosts, openHosts, resolveRun, type ResolvedRun } from './resolve.js';
import { confirmKill } from './kill.js';

interface Listed {
  target: ResolvedRun;
  info: SessionInfo;
  plan: KillPlan;
}

export async function killGroup(ctx: CommandContext, cfg: Config, g: RunGroup, o: { yes: boolean; dry: boolean; grace: number }): Promise<CommandResult> {
  const hosts = openHosts(cfg, ctx.env);
  try {
    const listed: Listed[] = [];
    const skipped: string[] = [];
    let unreachable = false;
    const results = await Promise.all(g.parts.map((p) => listPart(partId(p), cfg, hosts, ctx)));
    const changed = results.find((r) => !r.ok && r.error.kind === 'refused');
    if (changed && !changed.ok) return err('refused', `group ${g.name}: ${changed.error.message}; nothing killed. Look again (rtk-tui ls).`);
    for (const [i, r] of results.entries()) {
      const id = partId(g.parts[i]!);
      if (r.ok) listed.push(r.value);
      else {
        if (r.error.kind !== 'not-found') unreachable = true;
        skipped.push(`${id}: ${r.error.message}`);
      }
    }
    for (const s of skipped) ctx.stderr.write(`${safeText(`${g.name}: skipped ${s}`)}\n`);
    if (listed.length === 0) return err(unreachable ? 'unreachable' : 'not-found', `group ${g.name}: no part to kill`);
    const names = listed.map((l) => l.target.runId).join(', ');
    if (o.dry) {
      for (const l of listed) {
        const n = l.plan.victims.length;
        ctx.stdout.write(`${safeText(`would kill ${l.target.runId} (group ${g.name}): its session and ${n} process${n === 1 ? '' : 'es'}`)}\n`);
      }
      return ok(0);
    }
    // asked once, for the whole group; the oldest live part decides whether the name must be typed
    const alive = listed.filter((l) => !l.info.dead).map((l) => l.info);
    const asked = (alive.length > 0 ? alive : listed.map((l) => l.info)).sort((a, b) => (a.createdAt ?? Infinity) - (b.createdAt ?? Infinity))[0]!;
    if (!o.yes && !(await confirmKill(ctx, `${g.name} (${names})`, g.name, asked, Date.now()))) return ok(1);
    // what the user was shown is what gets killed: every part the same session still, or none is killed
    const again = await Promise.all(listed.map((l) => sessionInfo(l.target.host, l.target.spec, l.target.session)));
    for (const [i, a] of again.entries()) {
      const l = listed[i]!;
      if (!a.ok || a.value.id !== l.plan.id || l.plan.id !== l.target.sessionId)
        return err('refused', `${l.target.runId} (group ${g.name}) changed while it was being looked at (${a.ok ? 're-created under that name' : a.error.message}); nothing killed. Look again (rtk-tui ls).`);
    }
    let code = unreachable ? 1 : 0;
    const reports = await Promise.all(listed.map((l) => executeKill(l.target.host, l.target.spec, l.plan, o.grace)));
    for (const [i, r] of reports.entries()) {
      const runId = safeText(listed[i]!.target.runId);
      if (!r.ok) {
        ctx.stderr.write(`${safeText(`kill ${runId}: ${r.error.message}`)}\n`);
        code = 1;
        continue;
      }
      ctx.stdout.write(killSummary(runId, r.value).map((line) => `${safeText(line)}\n`).join(''));
      if (r.value.left.some((l) => !l.why.startsWith('a zombie'))) code = 1;
    }
    return ok(code);
  } finally {
    await closeHosts(hosts);
  }
}

async function listPart(id: string, cfg: Config, hosts: Parameters<typeof resolveRun>[2], ctx: CommandContext): Promise<Result<Listed>> {
  const t = await resolveRun(id, cfg, hosts, ctx.env);
  if (!t.ok) return t;
  const info = await sessionInfo(t.value.host, t.value.spec, t.value.session);
  if (!info.ok) return info;
  const plan = await planKill(t.value.host, t.value.spec, t.value.session, t.value.runId);
  if (!plan.ok) return plan;
  if (plan.value.id !== info.value.id) return err('refused', `${id} changed while it was being looked at (re-created under that name)`);
  return ok({ target: t.value, info: info.value, plan: plan.value });
}

// rtk-tui relaunch RUN [--as NAME] [--resume] [--replace] [--yes]: start a run again exactly as it
// was started (argv, directory, log, checkpoints, environment, as many GPUs, the same ones when they
// are free), as a new session (NAME-2, or --as NAME); --replace ends the old session first (after
// confirmation, as kill asks). --resume adds the config's resume arguments with the newest complete
// checkpoint filled in.
import { err, ok, type Checkpoint, type HostSpec, type Result } from '../domain/types.js';
import type { Config } from '../config/schema.js';
import { configMeta } from '../sources/runs.js';
import { listCheckpoints } from '../sources/checkpoints.js';
import { launchOnFreeGpus, type LaunchResult } from '../sources/launch.js';
import { safeText } from '../parse/terminal.js';
import { readRecord, nextFreeName, type RunRecord } from '../remote/run-record.js';
import { killSession, newRun, sessionInfo, type NewRunOptions, type NewRunResult, type SessionInfo } from '../remote/tmux-control.js';
import { shq } from '../remote/quote.js';
import type { Host } from '../remote/host.js';
import type { CommandContext, CommandResult } from './context.js';
import { configOf, parseFlags, resolveTarget } from './control-common.js';
import { confirmKill } from './kill.js';
import { startedLines } from './new.js';

const USAGE = 'rtk-tui relaunch RUN [--as NAME] [--resume] [--replace] [--yes]';

/** The resume rule for a run: the run's own, else its host's, else the config's; null when none. */
export function resumeRule(cfg: Config, spec: HostSpec, session: string): string[] | null {
  return configMeta(cfg, spec.name, session)?.resume ?? spec.resume ?? cfg.resume;
}

/**
 * The newest complete checkpoint: weights present (a weight file), not still being written (the
 * listing's `writing` mark), and not cut short (a newest one much smaller than the one before it was
 * still being written when the run ended).
 */
export function newestComplete(list: readonly Checkpoint[]): Checkpoint | null {
  const withWeights = byNewest(list.filter((c) => c.formats.length > 0 && c.sizeBytes > 0 && c.writing !== true));
  for (let i = 0; i < withWeights.length; i++) {
    const c = withWeights[i]!;
    const prev = withWeights[i + 1];
    if (prev === undefined || c.sizeBytes >= prev.sizeBytes * 0.9) return c;
  }
  return null;
}

/** The argv of the relaunch: as recorded (or the recorded command line through sh), plus resume args. */
export function relaunchArgv(rec: RunRecord, resume: { rule: string[]; checkpoint: string } | null): Result<string[]> {
  const base = rec.argv ?? (rec.display !== null ? ['sh', '-c', rec.display] : null);
  if (base === null) return err('refused', `${rec.session} was not started by rtk-tui new: what it runs is not known, so it cannot be started again; start it with rtk-tui new`);
  if (resume === null) return ok(base);
  return ok([...base, ...resume.rule.map((a) => (a === '{checkpoint}' ? resume.checkpoint : a.replaceAll('{checkpoint}', resume.checkpoint)))]);
}

export interface RelaunchOptions {
  as?: string;
  resume: boolean;
  replace: boolean;
  /** Asked before a --replace ends the old session; false: not replaced. */
  confirmReplace?: (info: SessionInfo) => Promise<boolean>;
  /** A sentence for the user (no resume rule, resuming from X). */
  note?: (s: string) => void;
}

export interface Relaunched {
  id: string;
  argv: string[];
  /** With the GPUs picked when the run had some. */
  started: NewRunResult | LaunchResult;
}

/** Start RUN again (the CLI and the monitor's R). */
export async function relaunchRun(host: Host, spec: HostSpec, cfg: Config, session: string, runId: string, o: RelaunchOptions): Promise<Result<Relaunched | null>> {
  const rec = await readRecord(host, spec, session);
  if (!rec.ok) return rec;
  const r = rec.value;
  if (r.alive && !o.replace && o.as === undefined)
    return err('refused', `${runId} is still running: relaunch --replace ends it and starts it again, --as NAME starts a second copy beside it`);
  // resume: the rule and the newest complete checkpoint, or say why not
  let resume: { rule: string[]; checkpoint: string } | null = null;
  if (o.resume) {
    const rule = resumeRule(cfg, spec, session);
    if (rule === null) o.note?.(`no resume rule for ${runId} in the config (resume: ["--resume_from_checkpoint", "{checkpoint}"]): relaunching it as it was`);
    else {
      const c = await resumeFrom(host, runId, r);
      if (!c.ok) return c;
      resume = { rule, checkpoint: c.value.path };
      o.note?.(`resuming from ${c.value.name}`);
    }
  }
  const cmd = relaunchArgv(r, resume);
  if (!cmd.ok) return cmd;
  const name = o.replace ? session : (o.as ?? nextFreeName(session, r.taken));
  if (o.replace) {
    const info = await sessionInfo(host, spec, session);
    if (!info.ok) return info;
    if (o.confirmReplace && !(await o.confirmReplace(info.value))) return ok(null);
    const k = await killSession(host, spec, { name: session, id: r.id, createdAt: r.createdAt });
    if (!k.ok) return k;
  }
  const env = { ...r.env };
  delete env.CUDA_VISIBLE_DEVICES;
  const n: NewRunOptions = { name, cmd: cmd.value, env };
  if (r.cwd !== null) n.cwd = r.cwd;
  if (r.log !== null) n.log = r.log;
  if (r.checkpoints !== null) n.checkpoints = r.checkpoints;
  const started =
    r.gpus.length > 0 ? await launchOnFreeGpus(host, spec, n, { count: r.gpus.length, pinned: null, minFreeMiB: 0, prefer: r.gpus }) : await newRun(host, spec, n);
  if (!started.ok) return started;
  return ok({ id: `${spec.name}:${name}`, argv: cmd.value, started: started.value });
}

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const f = parseFlags('relaunch', argv, { values: ['--as'], switches: ['--resume', '--replace', '--yes'], aliases: { '-y': '--yes' } });
  if (!f.ok) return f;
  const { positional, values, switches, rest } = f.value;
  const words = [...positional, ...(rest ?? [])];
  if (words.length !== 1) return err('usage', `relaunch takes one RUN: ${USAGE}`);
  const replace = switches.has('--replace');
  if (replace && values['--as'] !== undefined) return err('usage', 'relaunch: --replace starts it under its own name; --as NAME starts a second one: not both');
  if (replace && !switches.has('--yes') && ctx.stdin.isTTY !== true) return err('usage', `relaunch --replace needs --yes when stdin is not a terminal (it ends ${words[0]} first)`);
  const cfg = configOf(ctx);
  if (!cfg.ok) return cfg;
  const t = await resolveTarget(ctx, words[0]!);
  if (!t.ok) return t;
  const { host, spec, session, runId, opened } = t.value;
  try {
    const r = await relaunchRun(host, spec, cfg.value, session, runId, {
      ...(values['--as'] !== undefined ? { as: values['--as'] } : {}),
      resume: switches.has('--resume'),
      replace,
      ...(switches.has('--yes') ? {} : { confirmReplace: (info: SessionInfo) => confirmKill(ctx, runId, session, info, Date.now()) }),
      note: (m) => void ctx.stderr.write(`rtk-tui: ${safeText(m)}\n`),
    });
    if (!r.ok) return r;
    if (r.value === null) return ok(1);
    const { id, argv: cmd, started } = r.value;
    ctx.stdout.write(
      `started ${safeText(id)} again${replace ? ' (replacing the old session)' : ` (from ${safeText(runId)})`}\n` +
        `  command      ${safeText(cmd.map((a) => shq(a)).join(' '))}\n` +
        startedLines(ctx, id, started),
    );
    return ok(0);
  } finally {
    await Promise.all(opened.map((h) => h.close()));
  }
}

async function resumeFrom(host: Host, runId: string, r: RunRecord): Promise<Result<Checkpoint>> {
  if (r.checkpoints === null) return err('refused', `${runId} has no checkpoint directory (new --checkpoints DIR): nothing to resume from; relaunch without --resume to start over`);
  let l = await listCheckpoints(host, runId, r.checkpoints);
  // the newest one may still be settling (a file changed seconds ago): wait for it rather than resume
  // from an older one; a staging name or a missing index does not settle, and after a while we go on
  for (let i = 0; l.ok && i < WAIT_TRIES && newestWithWeights(l.value.checkpoints)?.writing === true; i++) {
    await new Promise((res) => setTimeout(res, WAIT_MS));
    l = await listCheckpoints(host, runId, r.checkpoints);
  }
  if (!l.ok) return l;
  const c = newestComplete(l.value.checkpoints);
  if (c === null) return err('refused', `no complete checkpoint in ${r.checkpoints} (none with its weights, or all still being written): nothing to resume from; relaunch without --resume to start over`);
  return ok(c);
}

const WAIT_MS = 2000;
const WAIT_TRIES = 8;

function newestWithWeights(list: readonly Checkpoint[]): Checkpoint | undefined {
  return byNewest(list.filter((c) => c.formats.length > 0 && c.sizeBytes > 0))[0];
}

/** Highest step first, then the most recently written. */
function byNewest(list: readonly Checkpoint[]): Checkpoint[] {
  return [...list].sort((a, b) => (b.step ?? -1) - (a.step ?? -1) || (Date.parse(b.modifiedAt ?? '') || 0) - (Date.parse(a.modifiedAt ?? '') || 0));
}

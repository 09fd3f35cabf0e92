// `rtk-tui ckpt RUN [--json]`: the run's checkpoints (from @rtk_checkpoints or the config's
// runs[].checkpoints), newest first, with the free space of their filesystem.
import { loadConfig } from '../config/load.js';
import { err, ok } from '../domain/types.js';
import { listCheckpoints } from '../sources/checkpoints.js';
import { configMeta, expandHome, pollRuns } from '../sources/runs.js';
import type { CommandContext, CommandResult } from './context.js';
import { renderTable } from './ckpt-table.js';
import { closeHosts, openHosts, resolveRun } from './resolve.js';
import { toJson } from './json.js';

const USAGE = 'usage: rtk-tui ckpt RUN [--json]';

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  let json = false;
  const pos: string[] = [];
  for (const a of argv) {
    if (a === '--json') json = true;
    else if (a.startsWith('-') && a !== '-') return err('usage', `ckpt: unknown flag ${a} (${USAGE})`);
    else pos.push(a);
  }
  if (pos.length !== 1) return err('usage', pos.length === 0 ? `ckpt needs a RUN (${USAGE})` : `ckpt takes one RUN (${USAGE})`);
  const id = pos[0]!;

  const cfg = loadConfig(ctx.global, ctx.env);
  if (!cfg.ok) return cfg;
  const hosts = openHosts(cfg.value, ctx.env);
  try {
    const r = await resolveRun(id, cfg.value, hosts, ctx.env);
    if (!r.ok) return r;
    const { host, spec, session, runId } = r.value;
    const poll = await pollRuns(host, spec, cfg.value);
    if (!poll.ok) return poll;
    const found = poll.value.runs.find((x) => x.id === runId);
    const dir = found?.checkpoints ?? expandHome(configMeta(cfg.value, spec.name, session)?.checkpoints ?? null, null);
    if (dir === null || dir === undefined || dir === '') {
      return err(
        'not-found',
        spec.scheduler === 'slurm'
          ? `Job ${runId} has no checkpoint directory: submit it with --comment 'rtk:checkpoints=DIR' (rtk-tui new --checkpoints DIR does), or set runs[].checkpoints for ${runId} in the config.`
          : `Run ${runId} has no checkpoint directory: set the tmux option @rtk_checkpoints on session ${session}, or runs[].checkpoints in the config.`,
      );
    }
    const listing = await listCheckpoints(host, runId, dir);
    if (!listing.ok) return listing;
    ctx.stdout.write(json ? `${toJson(listing.value, 2)}\n` : renderTable(listing.value, Date.now()));
    return ok(0);
  } finally {
    await closeHosts(hosts);
  }
}

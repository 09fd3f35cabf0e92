// `rtk-tui show RUN [--json]`: the run card (DESIGN section 2): the run as `ls` reports it, how it
// was started, its processes, GPUs and checkpoints, and its metrics over the WHOLE log (read from the
// run's first byte, streamed, downsampled), with braille charts in the text form.
import { loadConfig } from '../config/load.js';
import { err, ok } from '../domain/types.js';
import { loadState, statePath } from '../events/state-file.js';
import { collectCard } from '../sources/run-card.js';
import { safeText } from '../parse/terminal.js';
import { themeFor, sgr } from '../ui/theme.js';
import { cardRows } from '../ui/run-card.js';
import type { Row } from '../ui/rows.js';
import { useColor, type CommandContext, type CommandResult } from './context.js';
import { toJson } from './json.js';
import { closeHosts, openHosts, resolveRun } from './resolve.js';

const USAGE = 'usage: rtk-tui show RUN [--json] [--log-scale] [--width N]';

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  let json = false;
  let log = false;
  let width: number | null = null;
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--log-scale') log = true;
    else if (a === '--width' || a.startsWith('--width=')) {
      const v = a === '--width' ? argv[++i] : a.slice(8);
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < 40 || n > 1000) return err('usage', `show: --width wants a number of columns from 40 to 1000, not ${JSON.stringify(v ?? '')} (${USAGE})`);
      width = n;
    } else if (a.startsWith('-') && a !== '-') return err('usage', `show: unknown flag ${a} (${USAGE})`);
    else pos.push(a);
  }
  if (pos.length !== 1) return err('usage', pos.length === 0 ? `show needs a RUN (${USAGE})` : `show takes one RUN (${USAGE})`);

  const cfg = loadConfig(ctx.global, ctx.env);
  if (!cfg.ok) return cfg;
  const hosts = openHosts(cfg.value, ctx.env);
  try {
    const r = await resolveRun(pos[0]!, cfg.value, hosts, ctx.env);
    if (!r.ok) return r;
    const { host, spec, session, runId } = r.value;
    const saved = loadState(statePath(ctx.env));
    const card = await collectCard({ host, spec, cfg: cfg.value, runId, session, events: saved.state.events });
    if (!card.ok) return card;
    if (json) {
      ctx.stdout.write(`${toJson(card.value.card, 2)}\n`);
      return ok(0);
    }
    const cols = width ?? Math.max(80, Math.min(200, (ctx.stdout as { columns?: number }).columns ?? 120));
    const rows = cardRows(card.value.card, { w: cols, h: 40, now: Date.now(), log });
    const color = useColor(ctx);
    ctx.stdout.write(`${safeText(card.value.card.run.id)}\n${rows.map((row) => paint(row, color)).join('\n')}\n`);
    return ok(0);
  } finally {
    await closeHosts(hosts);
  }
}

function paint(row: Row, color: boolean): string {
  const theme = themeFor(color);
  let out = '';
  for (const seg of row) {
    if (!color || seg.s === undefined) out += seg.t;
    else {
      const [open, close] = sgr(theme.styles[seg.s]);
      out += open + seg.t + close;
    }
  }
  return out.replace(/\s+$/, '');
}

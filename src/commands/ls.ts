// `rtk-tui ls [--json]`: the runs on every host, one poll each, in parallel. A host that cannot be
// reached is reported (its status and sentence) while the others still list.
import { stateLabel } from '../ui/format.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { err, ok, type HostStatus, type Run } from '../domain/types.js';
import { groupRuns } from '../parse/groups.js';
import { primaryLoss } from '../parse/progress.js';
import { safeText } from '../parse/terminal.js';
import { statusOf } from '../remote/index.js';
import { pollRuns } from '../sources/runs.js';
import { useColor, type CommandContext, type CommandResult } from './context.js';
import { closeHosts, openHosts } from './resolve.js';
import { toJson } from './json.js';

const USAGE = 'usage: rtk-tui ls [--json]';

export interface HostReport {
  name: string;
  status: HostStatus;
  error: string | null;
}

export interface LsReport {
  hosts: HostReport[];
  runs: Run[];
}

export async function collectRuns(cfg: Config, env: NodeJS.ProcessEnv): Promise<LsReport> {
  const hosts = openHosts(cfg, env);
  try {
    const polls = await Promise.all(
      cfg.hosts.map(async (spec) => {
        const host = hosts.get(spec.name)!;
        return { spec, res: await pollRuns(host, spec, cfg) };
      }),
    );
    const report: LsReport = { hosts: [], runs: [] };
    for (const { spec, res } of polls) {
      if (res.ok) {
        report.hosts.push({ name: spec.name, status: 'connected', error: null });
        report.runs.push(...res.value.runs);
      } else {
        report.hosts.push({ name: spec.name, status: statusOf(res.error), error: res.error.message });
      }
    }
    // a multi-node run (config groups) is one run: its parts are not listed on their own
    if (cfg.groups?.length) {
      const up = new Set(report.hosts.filter((h) => h.status === 'connected').map((h) => h.name));
      report.runs = groupRuns(report.runs, cfg.groups, (h) => up.has(h));
    }
    return report;
  } finally {
    await closeHosts(hosts);
  }
}

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  let json = false;
  for (const a of argv) {
    if (a === '--json') json = true;
    else return err('usage', `ls: ${a.startsWith('-') ? `unknown flag ${a}` : `unexpected argument ${a}`} (${USAGE})`);
  }
  const cfg = loadConfig(ctx.global, ctx.env);
  if (!cfg.ok) return cfg;
  const report = await collectRuns(cfg.value, ctx.env);
  if (json) {
    ctx.stdout.write(`${toJson(report, 2)}\n`);
  } else {
    ctx.stdout.write(renderRuns(report, { color: useColor(ctx), width: ctx.stdout.isTTY ? ctx.stdout.columns ?? 0 : 0 }));
    const warnColor = useColor(ctx, ctx.stderr);
    for (const h of report.hosts) {
      if (h.status !== 'connected') ctx.stderr.write(`rtk-tui: ${paint(warnColor, 'yellow', `${safeText(h.name)}: ${h.status}`)}: ${safeText(h.error ?? '')}\n`);
    }
  }
  const allFailed = report.hosts.length > 0 && report.hosts.every((h) => h.status !== 'connected');
  return ok(allFailed ? 1 : 0);
}

const SGR: Record<string, string> = { red: '31', green: '32', yellow: '33', blue: '34', dim: '2', bold: '1' };
const paint = (on: boolean, color: string, s: string): string => (on ? `\x1b[${SGR[color]}m${s}\x1b[0m` : s);

const STATE_COLOR: Record<Run['state'], string> = {
  pending: 'dim',
  running: 'green',
  stalled: 'yellow',
  finished: 'blue',
  failed: 'red',
  unknown: 'dim',
};

export function ago(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

function progressText(r: Run): string {
  const p = r.progress;
  if (!p) return '-';
  const pct = p.percent !== null ? `${p.percent.toFixed(p.percent < 10 ? 1 : 0)}%` : '';
  const steps = p.step !== null ? (p.total !== null ? `${p.step}/${p.total}` : `${p.step}`) : '';
  return [steps, pct].filter(Boolean).join(' ') || '-';
}

function metricText(r: Run): string {
  const loss = primaryLoss(r.metrics);
  if (loss) return `${loss.key} ${fmtNum(loss.value)}`;
  const first = Object.entries(r.metrics)[0];
  return first ? `${first[0]} ${fmtNum(first[1])}` : '-';
}

function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e6)) return n.toExponential(2);
  return String(Number(n.toPrecision(4)));
}

function alertText(r: Run): string {
  const a = r.alerts.find((x) => x.kind === r.reason) ?? r.alerts[0];
  if (a) return printable(`${a.kind}: ${a.message.replace(/\s+/g, ' ')}`);
  // a Slurm job that waits or ended otherwise than well: Slurm's own word and why
  const s = r.slurm;
  if (s && s.state !== 'RUNNING' && s.state !== 'COMPLETED') return printable(`slurm ${s.state}${s.reason ? ` (${s.reason})` : ''}`);
  return '';
}

/** The human table: state in words (colour only adds to it), columns aligned. */
export function renderRuns(report: LsReport, opts: { color: boolean; width: number }): string {
  const connected = report.hosts.filter((h) => h.status === 'connected').map((h) => h.name);
  if (report.runs.length === 0) {
    return connected.length ? `no runs on ${safeText(connected.join(', '))}\n` : '';
  }
  const header = ['RUN', 'STATE', 'PROGRESS', 'LOSS/METRIC', 'LAST OUTPUT', 'ALERT'];
  const rows = report.runs.map((r) => {
    const state = stateLabel(r);
    // a Slurm job by its id and its name (the id alone says nothing to its user)
    const name = printable(r.id) + (r.parts ? ` ×${r.parts.length}` : '') + (r.slurm?.name ? ` ${printable(r.slurm.name)}` : '');
    return { state: r.state, cells: [name, state, progressText(r), printable(metricText(r)), ago(r.lastOutputSecondsAgo), alertText(r)] };
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r.cells[i]!].length)));
  const line = (cells: string[], stateColor: string | null): string => {
    const parts = cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length)));
    let text = parts.join('  ').trimEnd();
    if (opts.width > 0 && [...text].length > opts.width) text = `${[...text].slice(0, opts.width - 1).join('')}…`;
    if (stateColor && opts.color) {
      const start = [...parts.slice(0, 1).join('  ')].length + 2;
      const chars = [...text];
      const st = chars.slice(start, start + widths[1]!).join('');
      text = chars.slice(0, start).join('') + paint(true, stateColor, st) + chars.slice(start + widths[1]!).join('');
    }
    return text;
  };
  const out = [opts.color ? paint(true, 'bold', line(header, null)) : line(header, null)];
  report.runs.forEach((run, i) => {
    out.push(line(rows[i]!.cells, STATE_COLOR[rows[i]!.state]));
    // what to try, under the run it is for
    const hint = hintOf(run);
    if (hint !== null) out.push(fitWidth(`  hint: ${printable(hint)}`, opts.width));
    // a group (config groups): its parts, each with its own state (or why it is not known)
    if (run.parts) out.push(fitWidth(`  parts: ${printable(run.parts.map((p) => `${p.id} ${p.status === 'ok' ? p.state : p.status}`).join(', '))}`, opts.width));
  });
  return `${out.join('\n')}\n`;
}

/** The hint of the alert the ALERT column shows, for a run that failed, stalled or has one. */
function hintOf(r: Run): string | null {
  const a = r.alerts.find((x) => x.kind === r.reason) ?? r.alerts[0];
  return a?.hint ?? null;
}

function fitWidth(text: string, width: number): string {
  return width > 0 && [...text].length > width ? `${[...text].slice(0, width - 1).join('')}…` : text;
}

/** Session names, metrics and alert texts come from the host: nothing in them may drive the terminal. */
const printable = (s: string): string => safeText(s);

// `rtk-tui gpus [--json] [--watch]`: the GPUs of every host, processes mapped to runs.
// One-shot: per host, the (cached) probe and one exec. --watch: one -lms stream per host
// (sources/gpus GpuStream), redrawn every refresh.gpus until Ctrl-C.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { err, ok, type Gpu, type GpuHostReport } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { openHost, processHostEnv } from '../remote/index.js';
import { collectGpus, GpuStream } from '../sources/gpus.js';
import { collectSlurmGpus, SlurmGpuPoll } from '../sources/slurm-gpus.js';
import { safeText } from '../parse/terminal.js';
import { useColor, type CommandContext, type CommandResult } from './context.js';
import { toJson } from './json.js';
import { untilStopped } from './until-stopped.js';

const USAGE = 'usage: rtk-tui gpus [--json] [--watch]';

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  let json = false;
  let watch = false;
  for (const a of argv) {
    if (a === '--json') json = true;
    else if (a === '--watch' || a === '-w') watch = true;
    else return err('usage', `gpus: unknown ${a.startsWith('-') ? 'flag' : 'argument'} ${a} (${USAGE})`);
  }
  const cfg = loadConfig(ctx.global, ctx.env);
  if (!cfg.ok) return cfg;
  const henv = processHostEnv(ctx.env);
  const hosts = new Map<string, Host>(cfg.value.hosts.map((spec) => [spec.name, openHost(spec, henv)]));
  try {
    if (watch) return await watchGpus(cfg.value, hosts, ctx, json);
    // a Slurm login node has no GPUs: its user's running jobs do (srun inside each)
    const reports = await Promise.all(cfg.value.hosts.map((spec) => (spec.scheduler === 'slurm' ? collectSlurmGpus : collectGpus)(hosts.get(spec.name)!, spec)));
    ctx.stdout.write(json ? `${toJson({ hosts: reports })}\n` : renderTable(reports, useColor(ctx)));
    // no GPU is an answer, not a failure; an unreachable host or a failing nvidia-smi is
    return ok(reports.some((r) => r.status === 'unreachable' || r.status === 'error') ? 1 : 0);
  } finally {
    await Promise.all([...hosts.values()].map((h) => h.close()));
  }
}

async function watchGpus(cfg: Config, hosts: Map<string, Host>, ctx: CommandContext, json: boolean): Promise<CommandResult> {
  const latest = new Map<string, GpuHostReport>();
  const color = useColor(ctx);
  const tty = ctx.stdout.isTTY === true;
  const draw = (): void => {
    const reports = cfg.hosts.map(
      (s) => latest.get(s.name) ?? { name: s.name, status: 'unreachable' as const, error: 'no answer yet', driver: null, gpus: [] },
    );
    if (json) ctx.stdout.write(`${toJson({ hosts: reports })}\n`);
    else ctx.stdout.write(`${tty ? '\x1b[H\x1b[2J' : ''}${new Date().toTimeString().slice(0, 8)}  every ${cfg.refresh.gpusMs / 1000}s, Ctrl-C to stop\n${renderTable(reports, color)}${tty ? '' : '\n'}`);
  };
  const streams = cfg.hosts.map((spec) => {
    const s = new (spec.scheduler === 'slurm' ? SlurmGpuPoll : GpuStream)(hosts.get(spec.name)!, spec, {
      intervalMs: cfg.refresh.gpusMs,
      onReport: (r) => {
        const first = !latest.has(spec.name);
        latest.set(spec.name, r);
        // the first picture as soon as every host answered once; then on the refresh tick
        if (first && latest.size === cfg.hosts.length) draw();
      },
    });
    s.start();
    return s;
  });
  const tick = setInterval(draw, cfg.refresh.gpusMs);
  await untilStopped().done;
  clearInterval(tick);
  for (const s of streams) s.stop();
  return ok(0);
}

const fmt = (n: number | null, digits = 0): string => (n === null ? '-' : n.toFixed(digits).replace(/\.0+$/, ''));

/** Process names and run ids come from the host: nothing in them may drive the terminal. */
function processesCell(g: Gpu): string {
  return g.processes
    .map((p) => `${p.name ? `${safeText(baseName(p.name))}/` : ''}${p.pid}(${fmt(p.usedMemoryMiB)}M)${p.run ? ` ${safeText(p.run)}` : ''}`)
    .join(', ');
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** A gpustat-like aligned table across hosts; every state spelled out in text. */
export function renderTable(reports: readonly GpuHostReport[], color = false): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const head = ['HOST', 'GPU', 'NAME', 'UTIL', 'MEMORY', 'TEMP', 'POWER', 'PROCESSES'];
  const rows: string[][] = [];
  const notes: { at: number; text: string }[] = [];
  for (const r of reports) {
    if (r.status !== 'ok') {
      const what = r.status === 'no-gpu' ? 'no GPU (nvidia-smi not found)' : `${r.status.toUpperCase()}: ${safeText(r.error ?? '')}`.trim();
      notes.push({ at: rows.length, text: `${safeText(r.name)}  ${paint(r.status === 'no-gpu' ? '2' : '31', what)}` });
      continue;
    }
    if (r.gpus.length === 0) notes.push({ at: rows.length, text: `${safeText(r.name)}  ${r.note ? safeText(r.note) : 'no GPU listed by nvidia-smi'}` });
    if (r.error) notes.push({ at: rows.length, text: `${r.name}  ${paint('33', `WARNING: ${safeText(r.error)}`)}` });
    for (const g of r.gpus) {
      rows.push([
        r.name,
        // a Slurm job's GPU: NODE:INDEX (the node's own index)
        g.node !== undefined ? `${safeText(g.node)}:${g.index}` : String(g.index),
        safeText(g.name ?? '-'),
        g.utilizationPercent === null ? '-' : `${fmt(g.utilizationPercent)}%`,
        `${fmt(g.memoryUsedMiB)} / ${fmt(g.memoryTotalMiB)} MiB`,
        g.temperatureC === null ? '-' : `${fmt(g.temperatureC)}C`,
        g.powerW === null && g.powerLimitW === null ? '-' : `${fmt(g.powerW)} / ${fmt(g.powerLimitW)} W`,
        processesCell(g),
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = new Set([1, 3, 4, 5, 6]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out: string[] = [paint('1', line(head))];
  rows.forEach((r, i) => {
    for (const n of notes.filter((x) => x.at === i)) out.push(n.text);
    const text = line(r);
    const util = Number.parseFloat(r[3]!);
    out.push(color && Number.isFinite(util) ? text.replace(r[3]!.padStart(widths[3]!), paint(util >= 80 ? '32' : util >= 30 ? '33' : '2', r[3]!.padStart(widths[3]!))) : text);
  });
  for (const n of notes.filter((x) => x.at >= rows.length)) out.push(n.text);
  return `${out.join('\n')}\n`;
}

// Gathers the run card of one run (DESIGN section 2, `show --json`): the run as `ls` reports it,
// how it was started, its processes (with ranks), its GPUs, its checkpoints and the metrics of its
// whole log. Each part that fails leaves a sentence in `errors`; the card is still made.
import type { Config } from '../config/schema.js';
import type { CardCheckpoints, CardEvent, CardGpu, CardProcess, RunCard } from '../domain/run-card.js';
import { err, ok, type CheckpointListing, type GpuHostReport, type HostSpec, type Result, type Run } from '../domain/types.js';
import { newestOf, projectDisk } from '../events/disk.js';
import type { RtkEvent } from '../events/types.js';
import { rateOf, summarize } from '../parse/metric-summary.js';
import { parsePsWide, parseRanks, rankInArgs, runProcesses, type ProcWide } from '../parse/run-processes.js';
import { safeText } from '../parse/terminal.js';
import type { Host } from '../remote/host.js';
import { shjoin } from '../remote/quote.js';
import { readRecord, type RunRecord } from '../remote/run-record.js';
import { findSessionScript, SESSION_BY_ID, tmuxCommand } from '../remote/tmux-control.js';
import { listCheckpoints } from './checkpoints.js';
import { collectGpus } from './gpus.js';
import { jobCardParts, readJobCard } from './run-card-slurm.js';
import { readSeries, type SeriesReadState } from './run-series.js';
import { pollRuns } from './runs.js';

const NO_SESSION = 93;
/** Ranks are read from at most this many processes' environments. */
const RANKS_READ = 128;

export interface CardInputs {
  host: Host;
  spec: HostSpec;
  cfg: Config;
  runId: string;
  session: string;
  /** The events file's events (the run's are picked). */
  events?: readonly RtkEvent[];
  /** The previous gathering (the monitor refreshes the card): only what the log gained is read, how
   * the run was started is not read again, nor the ranks of processes already seen. */
  prev?: CardResult | null;
  now?: number;
  /** Bytes of the log read so far, as they arrive (the first read of a long log takes a while). */
  onLogBytes?: (n: number) => void;
  /** Aborted when the card closes: the log read ends. */
  signal?: AbortSignal;
}

export interface CardResult {
  card: RunCard;
  series: SeriesReadState | null;
  record: RunRecord | null;
  /** Ranks read, and of which pids (sorted, joined). */
  ranks: { pids: string; map: Map<number, number> } | null;
}

export async function collectCard(o: CardInputs): Promise<Result<CardResult>> {
  const now = o.now ?? Date.now();
  const poll = await pollRuns(o.host, o.spec, o.cfg, now);
  if (!poll.ok) return poll;
  const run = poll.value.runs.find((r) => r.id === o.runId);
  if (run === undefined) return err('not-found', `no run ${o.runId} on ${o.spec.name} (any more)`);
  if (o.spec.scheduler === 'slurm') return collectJobCard(o, run, now);
  const errors: string[] = [];
  const [record, procs, gpus, listing, series] = await Promise.all([
    o.prev?.record ? Promise.resolve({ ok: true as const, value: o.prev.record }) : readRecord(o.host, o.spec, o.session),
    listProcesses(o.host, o.spec, o.session),
    collectGpus(o.host, o.spec),
    run.checkpoints ? listCheckpoints(o.host, run.id, run.checkpoints) : Promise.resolve(null),
    run.log ? readSeries(o.host, run.log, run.logStart ?? 0, o.prev?.series ?? null, { onBytes: o.onLogBytes, signal: o.signal }) : Promise.resolve(null),
  ]);
  const rec = record.ok ? record.value : null;
  if (!record.ok) errors.push(`how it was started: ${record.error.message}`);
  if (!procs.ok) errors.push(`processes: ${procs.error.message}`);
  if (gpus.status === 'error' || gpus.status === 'unreachable') errors.push(`GPUs: ${gpus.error ?? gpus.status}`);
  if (listing !== null && !listing.ok) errors.push(`checkpoints: ${listing.error.message}`);
  if (series !== null && !series.ok) errors.push(`log: ${series.error.message}`);
  // a failed read keeps what the last one had (and went on as far as it got): the charts stay
  const st = series?.ok ? series.value : (o.prev?.series ?? null);

  const gpuOf = new Map<number, number>();
  for (const g of gpus.gpus) for (const p of g.processes) gpuOf.set(p.pid, (gpuOf.get(p.pid) ?? 0) + (p.usedMemoryMiB ?? 0));
  const mine = procs.ok ? procs.value.procs : [];
  const pidKey = mine.map((p) => p.pid).sort((a, b) => a - b).join(',');
  const ranks = !procs.ok ? new Map<number, number>() : o.prev?.ranks?.pids === pidKey ? o.prev.ranks.map : await readRanks(o.host, mine);
  const processes: CardProcess[] = mine.map((p) => ({
    pid: p.pid,
    rank: ranks.get(p.pid) ?? rankInArgs(p.command),
    cpuPercent: p.cpuPercent,
    rssMiB: p.rssKiB === null ? null : Math.round(p.rssKiB / 1024),
    gpuMemoryMiB: gpuOf.get(p.pid) ?? null,
    elapsedSeconds: p.etimes,
    command: safeText(p.command, 1000),
  }));
  const pids = new Set(mine.map((p) => p.pid));
  const cardGpus = runGpus(gpus, o.runId, pids, rec?.gpus ?? [], now);
  const s = st?.builder.series() ?? {};
  const card: RunCard = {
    run,
    command: commandOf(rec, mine, procs.ok ? procs.value.panes : []),
    cwd: rec?.cwd ?? null,
    startedAt: run.createdAt,
    elapsedSeconds: run.createdAt ? Math.max(0, Math.round((now - Date.parse(run.createdAt)) / 1000)) : null,
    rate: rateOf(s),
    series: s,
    seriesSource: st ? { bytes: st.offset - st.from, lines: st.builder.lines, from: st.from } : null,
    metrics: summarize(s),
    gpus: cardGpus,
    processes,
    checkpoints: listing?.ok ? checkpointSummary(listing.value, run) : null,
    alerts: run.alerts,
    hints: [...new Set(run.alerts.map((a) => a.hint).filter((h): h is string => !!h))],
    events: (o.events ?? []).filter((e) => e.run === run.id).slice(-8).map(cardEvent),
    errors,
  };
  return ok({ card, series: st, record: rec, ranks: procs.ok ? { pids: pidKey, map: ranks } : null });
}

/**
 * A Slurm job's card: no tmux session to read how it was started or its panes' processes; Slurm says
 * (run-card-slurm.ts). The login node's GPUs are not the job's: its GPUs are the Job section's count.
 */
async function collectJobCard(o: CardInputs, run: Run, now: number): Promise<Result<CardResult>> {
  const [parts, listing, series] = await Promise.all([
    readJobCard(o.host, run),
    run.checkpoints ? listCheckpoints(o.host, run.id, run.checkpoints) : Promise.resolve(null),
    run.log ? readSeries(o.host, run.log, run.logStart ?? 0, o.prev?.series ?? null, { onBytes: o.onLogBytes, signal: o.signal }) : Promise.resolve(null),
  ]);
  const errors: string[] = [];
  if (!parts.ok) errors.push(`the job: ${parts.error.message}`);
  else errors.push(...parts.value.errors);
  if (listing !== null && !listing.ok) errors.push(`checkpoints: ${listing.error.message}`);
  // a queued job's StdOut is made when it starts (a requeued one has its earlier output)
  const notYet = run.state === 'pending' && series !== null && !series.ok && series.error.kind === 'not-found';
  if (series !== null && !series.ok && !notYet) errors.push(`log: ${series.error.message}`);
  // a failed read keeps what the last one had (and went on as far as it got): the charts stay
  const st = series?.ok ? series.value : (o.prev?.series ?? null);
  const s = st?.builder.series() ?? {};
  const p = parts.ok ? parts.value : null;
  const job = p?.job ?? jobCardParts(run, { offsetMinutes: 0, show: null, script: null, ps: null }).job;
  const startedAt = run.state !== 'pending' ? job.startAt : null;
  const card: RunCard = {
    run,
    command: p?.command ?? null,
    cwd: p?.cwd ?? null,
    startedAt,
    // since it started, as for a tmux run (the Job section has Slurm's run time)
    elapsedSeconds: startedAt === null || !Number.isFinite(Date.parse(startedAt)) ? null : Math.max(0, Math.round((now - Date.parse(startedAt)) / 1000)),
    rate: rateOf(s),
    series: s,
    seriesSource: st ? { bytes: st.offset - st.from, lines: st.builder.lines, from: st.from } : null,
    metrics: summarize(s),
    gpus: [],
    processes: (p?.procs ?? []).map((q) => ({
      pid: q.pid,
      rank: rankInArgs(q.command),
      cpuPercent: q.cpuPercent,
      rssMiB: q.rssKiB === null ? null : Math.round(q.rssKiB / 1024),
      gpuMemoryMiB: null,
      elapsedSeconds: q.etimes,
      command: safeText(q.command, 1000),
    })),
    checkpoints: listing?.ok ? checkpointSummary(listing.value, run) : null,
    alerts: run.alerts,
    hints: [...new Set(run.alerts.map((a) => a.hint).filter((h): h is string => !!h))],
    events: (o.events ?? []).filter((e) => e.run === run.id).slice(-8).map(cardEvent),
    errors,
    job,
  };
  return ok({ card, series: st, record: null, ranks: null });
}

function cardEvent(e: RtkEvent): CardEvent {
  return { time: e.time, kind: e.kind, reason: e.reason, message: e.message, hint: e.hint };
}

/** The GPUs the run's processes are on (else those it was started with), with what this client saw. */
function runGpus(r: GpuHostReport, runId: string, pids: Set<number>, started: number[], now: number): CardGpu[] {
  const used = r.gpus.filter((g) => g.processes.some((p) => p.run === runId || pids.has(p.pid)));
  const list = used.length > 0 ? used : r.gpus.filter((g) => started.includes(g.index));
  const t = Math.round(now / 1000);
  return list.map((g) => ({
    index: g.index,
    uuid: g.uuid,
    name: g.name,
    utilizationPercent: g.utilizationPercent,
    memoryUsedMiB: g.memoryUsedMiB,
    memoryTotalMiB: g.memoryTotalMiB,
    utilizationHistory: g.utilizationPercent === null ? [] : [[t, g.utilizationPercent]],
    memoryHistory: g.memoryUsedMiB === null ? [] : [[t, g.memoryUsedMiB]],
  }));
}

export function checkpointSummary(l: CheckpointListing, run: Pick<Run, 'progress'>): CardCheckpoints {
  const newest = newestOf(l.checkpoints);
  const proj = projectDisk(l, run.progress);
  return {
    dir: l.dir,
    count: l.checkpoints.length,
    newest: newest?.name ?? null,
    cadenceSeconds: proj?.cadenceSeconds ?? null,
    sizeBytes: newest?.sizeBytes ?? null,
    totalBytes: l.checkpoints.reduce((a, c) => a + c.sizeBytes, 0),
    diskFreeBytes: l.diskFreeBytes,
    diskFullInSeconds: proj?.fullInSeconds ?? null,
  };
}

/** The argv it was started with, else @rtk_cmd, else what runs in its first pane. */
function commandOf(rec: RunRecord | null, procs: readonly ProcWide[], panes: readonly number[]): string | null {
  if (rec?.argv) return safeText(shjoin(rec.argv), 2000);
  if (rec?.display) return safeText(rec.display, 2000);
  const pane = procs.find((p) => p.pid === panes[0]);
  if (pane === undefined) return null;
  // a shell in the pane: the command it runs is its child
  const child = procs.find((p) => p.ppid === pane.pid);
  return safeText((/^-?(ba|z|da|k|fi|tc)?sh( |$)/.test(pane.command) && child ? child : pane).command, 2000);
}

/** The run's processes: its panes' trees, what stayed in their sessions and groups. */
async function listProcesses(host: Host, spec: HostSpec, session: string): Promise<Result<{ procs: ProcWide[]; panes: number[] }>> {
  const t = tmuxCommand(spec);
  const script = [
    findSessionScript(spec, session, `exit ${NO_SESSION}`),
    `printf 'self %s\\n' "$$"`,
    `printf 'panes'; ${t} list-panes -s -t ${SESSION_BY_ID} -F ' #{pane_pid}' | tr -d '\\n'; printf '\\n'`,
    'echo ps',
    'ps -A -o pid=,ppid=,pgid=,sid=,etimes=,stat=,pcpu=,rss=,args= 2>/dev/null',
  ].join('\n');
  const r = await host.exec(script, { timeoutMs: 20_000, maxBytes: 16 * 1024 * 1024 });
  if (!r.ok) return r;
  if (r.value.code === NO_SESSION) return err('not-found', `no session named ${JSON.stringify(session)} on ${spec.name}`);
  const text = r.value.stdout.toString('utf8');
  const self = Number(/^self (\d+)$/m.exec(text)?.[1] ?? 0);
  const panes = (/^panes((?: \d+)*)$/m.exec(text)?.[1] ?? '').trim().split(' ').filter(Boolean).map(Number);
  const lines = text.split('\n');
  const ps = parsePsWide(lines.slice(lines.indexOf('ps') + 1).join('\n'));
  const own = ps.filter((p) => p.pid === self || p.ppid === self).map((p) => p.pid);
  const rp = runProcesses(ps, panes, [], own);
  const byPid = new Map(ps.map((p) => [p.pid, p]));
  return ok({ procs: rp.procs.map((p) => byPid.get(p.pid)!), panes });
}

/** RANK (or LOCAL_RANK) from the environment of the run's processes that are not shells. */
async function readRanks(host: Host, procs: readonly ProcWide[]): Promise<Map<number, number>> {
  const pids = procs.filter((p) => !/^-?(ba|z|da|k|fi|tc)?sh( |$)|^tmux|^tee( |$)/.test(p.command)).slice(0, RANKS_READ).map((p) => p.pid);
  if (pids.length === 0) return new Map();
  const script = `for p in ${pids.join(' ')}; do printf '%s ' "$p"; tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -E '^(LOCAL_)?RANK=[0-9]+$' | tr '\\n' ' '; echo; done`;
  const r = await host.exec(script, { timeoutMs: 15_000 });
  return r.ok ? parseRanks(r.value.stdout.toString('utf8')) : new Map();
}

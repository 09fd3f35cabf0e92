// The one place events are derived (DESIGN section 9): from what the sources already gather (runs
// polls, host states, GPU samples, checkpoint listings) and a small memory of what was reported, so
// that each change is reported once, also across restarts (the memory is saved with the state file).
// Pure: observations and the clock in, events and the new memory out.
import type { CheckpointListing, GpuHostReport, HostConnState, Run, RunState } from '../domain/types.js';
import { human } from '../parse/health.js';
import { bytes } from '../parse/units.js';
import { newestOf, projectDisk } from './disk.js';
import { hintFor, quietestRank } from './hints.js';
import { slurmFailure } from './slurm-reasons.js';
import type { EventKind, RtkEvent } from './types.js';

export interface EventOptions {
  stallAfterMs: number;
  gpuIdleAfterMs: number;
  /** A host down this long is reported lost (a blip that reconnects at once is not). */
  hostLostAfterMs: number;
  /** Stalled needs this many times the run's usual gap between writes too. */
  gapFactor?: number;
  /** At or below this utilisation a GPU counts as idle. */
  idlePercent?: number;
}

export interface HostMemo {
  /** true: answering; false: down; null: not seen yet. */
  up: boolean | null;
  /** It answered once: only such a host can be lost. */
  everUp: boolean;
  downSince: number | null;
  /** When host.lost was reported (null: not reported, or back since). */
  lostAt: number | null;
  /** A runs poll of this host succeeded once: runs seen later are new. */
  polled: boolean;
  error: string | null;
}

export interface RunMemo {
  id: string;
  host: string;
  createdAt: string | null;
  state: RunState;
  /** finished or failed was reported (or the run was already over when first seen). */
  ended: boolean;
  stalled: boolean;
  nan: boolean;
  idle: boolean;
  idleSince: number | null;
  diskLow: boolean;
  /** When the log was last written (ms), and the recent gaps between writes (ms). */
  lastWriteAt: number | null;
  gaps: number[];
  newestCkpt: string | null;
  ckptCount: number | null;
  rotates: boolean;
  /** GPU indices the run's processes were last seen on. */
  gpus: number[];
  seenAt: number;
}

export interface EventMemory {
  hosts: Record<string, HostMemo>;
  runs: Record<string, RunMemo>;
}

export const emptyMemory = (): EventMemory => ({ hosts: {}, runs: {} });

export type Observation =
  | { type: 'runs'; host: string; runs: Run[]; tails?: Record<string, string> }
  | { type: 'host'; state: HostConnState }
  | { type: 'gpus'; report: GpuHostReport }
  | { type: 'checkpoints'; listing: CheckpointListing }
  | { type: 'tick' };

export interface Derived {
  memory: EventMemory;
  events: RtkEvent[];
}

const ALIVE: ReadonlySet<RunState> = new Set(['running', 'stalled']);
const GAPS_KEPT = 8;

/** Runs of each host as last polled, and each host's last GPU report: context for messages and hints. */
export interface DeriveContext {
  runs: Map<string, Run>;
  gpus: Map<string, GpuHostReport>;
}

export const emptyContext = (): DeriveContext => ({ runs: new Map(), gpus: new Map() });

export function derive(memory: EventMemory, obs: Observation, now: number, o: EventOptions, ctx: DeriveContext = emptyContext()): Derived {
  const m: EventMemory = { hosts: { ...memory.hosts }, runs: { ...memory.runs } };
  const out: RtkEvent[] = [];
  const emit = (kind: EventKind, host: string, run: Run | RunMemo | null, message: string, extra: Partial<RtkEvent> = {}): void => {
    out.push({
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      kind,
      run: run?.id ?? null,
      host,
      state: run?.state ?? null,
      reason: null,
      message,
      hint: null,
      details: {},
      ...extra,
    });
  };
  switch (obs.type) {
    case 'runs':
      runsObserved(m, obs.host, obs.runs, obs.tails ?? {}, now, o, ctx, emit);
      break;
    case 'host':
      hostObserved(m, obs.state, now);
      break;
    case 'gpus':
      ctx.gpus.set(obs.report.name, obs.report);
      gpusObserved(m, obs.report, now, o, ctx, emit);
      break;
    case 'checkpoints':
      checkpointsObserved(m, obs.listing, ctx, emit);
      break;
    case 'tick':
      break;
  }
  hostsDue(m, now, o, emit);
  return { memory: m, events: out };
}

type Emit = (kind: EventKind, host: string, run: Run | RunMemo | null, message: string, extra?: Partial<RtkEvent>) => void;

function newMemo(r: Run, now: number): RunMemo {
  return {
    id: r.id,
    host: r.host,
    createdAt: r.createdAt,
    state: r.state,
    ended: r.state === 'finished' || r.state === 'failed',
    stalled: false,
    nan: false,
    idle: false,
    idleSince: null,
    diskLow: false,
    lastWriteAt: writeTimeOf(r, now),
    gaps: [],
    newestCkpt: null,
    ckptCount: null,
    rotates: false,
    gpus: [],
    seenAt: now,
  };
}

function runsObserved(m: EventMemory, host: string, runs: Run[], tails: Record<string, string>, now: number, o: EventOptions, ctx: DeriveContext, emit: Emit): void {
  const h = m.hosts[host] ?? blankHost();
  const baseline = !h.polled;
  m.hosts[host] = { ...h, polled: true };
  const seen = new Set<string>();
  for (const r of runs) {
    seen.add(r.id);
    ctx.runs.set(r.id, r);
    let memo = m.runs[r.id];
    // a session re-created under the same name is a new run; a Slurm job that leaves the queue is the
    // same job (its time was the submit time, it is the start time now)
    if (memo && memo.state !== 'pending' && memo.createdAt !== null && r.createdAt !== null && memo.createdAt !== r.createdAt) memo = undefined;
    if (!memo) {
      const fresh = newMemo(r, now);
      if (baseline) {
        // what was already so when rtk-tui first looked is not news; stalls and NaNs still are next time
        m.runs[r.id] = fresh;
        continue;
      }
      fresh.ended = false;
      memo = { ...fresh, state: 'unknown' };
      if (ALIVE.has(r.state)) emit('run.started', host, r, `${r.id} started`, { details: progressDetails(r) });
    }
    m.runs[r.id] = step(memo, r, tails[r.id], now, o, ctx, emit);
  }
  // a run whose session is gone while it was alive was killed with its session (or the server died)
  for (const [id, memo] of Object.entries(m.runs)) {
    if (memo.host !== host || seen.has(id)) continue;
    if (!memo.ended && ALIVE.has(memo.state)) {
      const gone = { ...memo, state: 'failed' as RunState };
      const job = ctx.runs.get(id)?.slurm !== undefined;
      if (job) emit('run.failed', host, gone, `${id} is gone: it left squeue while it was running`, { reason: 'killed', hint: hintFor('slurm-gone', { job: { id: id.slice(host.length + 1), nodes: null } }) });
      else emit('run.failed', host, gone, `${id} is gone: its tmux session ended while it was running`, { reason: 'killed', hint: hintFor('gone') });
    }
    delete m.runs[id];
    ctx.runs.delete(id);
  }
}

function step(memo: RunMemo, r: Run, tail: string | undefined, now: number, o: EventOptions, ctx: DeriveContext, emit: Emit): RunMemo {
  const n: RunMemo = { ...memo, state: r.state, seenAt: now, createdAt: r.createdAt ?? memo.createdAt };
  const alive = ALIVE.has(r.state);
  // the log was written since the last look: a gap to learn from, and the end of a stall. The write
  // time is the host's own (its clock, whole seconds): compared with itself only, it never wobbles
  // with the latency of a poll
  const writeAt = writeTimeOf(r, now);
  const wrote = writeAt !== null && memo.lastWriteAt !== null && writeAt > memo.lastWriteAt;
  if (writeAt !== null && (memo.lastWriteAt === null || wrote)) {
    const gap = memo.lastWriteAt !== null ? writeAt - memo.lastWriteAt : null;
    // every gap counts, stalls included: the median of the last few shrugs off a rare real one, and a
    // run that writes every 10 min with stallAfter at 5 learns its rhythm through its first "stalls"
    if (gap !== null) n.gaps = [...memo.gaps, gap].slice(-GAPS_KEPT);
    n.lastWriteAt = writeAt;
  }
  if (alive && memo.ended) {
    // the pane runs a command again (typed at its prompt, or relaunched in place), a requeued job runs again
    n.ended = false;
    emit('run.started', r.host, r, `${r.id} started again`, { details: progressDetails(r) });
  } else if (alive && memo.state === 'pending') {
    // a queued job starts: it was seen (and not reported) while it waited
    emit('run.started', r.host, r, `${r.id} started${r.slurm?.nodes ? ` on ${r.slurm.nodes}` : ''}`, { details: progressDetails(r) });
  }
  // judged finished a moment too early (a shell between its last command and its `exit 4`), then
  // the real status came: the failure is news
  const corrected = n.ended && memo.state === 'finished' && r.state === 'failed';
  if (!alive && (r.state === 'finished' || r.state === 'failed') && (!n.ended || corrected)) {
    n.ended = true;
    n.stalled = false;
    n.idle = false;
    n.idleSince = null;
    if (r.state === 'finished') emit('run.finished', r.host, r, `${r.id} finished${stepText(r, ' at')}`, { details: progressDetails(r) });
    else {
      const reason = failReason(r);
      const sl = slurmFailure(r);
      const alert = r.alerts.find((a) => a.kind === reason) ?? r.alerts.find((a) => a.kind !== 'stalled');
      const msg = sl
        ? `${r.id} ${sl.what}${memo.state === 'pending' ? ' before it started' : stepText(r, ' at')}`
        : alert
          ? `${r.id} failed${stepText(r, ' at')}: ${alert.message}`
          : `${r.id} failed${r.exitStatus != null ? ` with exit status ${r.exitStatus}` : ''}${stepText(r, ' at')}`;
      const hint = sl
        ? hintFor(sl.hintKey, { job: { id: r.session, nodes: r.slurm?.nodes ?? null } })
        : hintFor(reason, {
            others: reason === 'oom' ? othersOnGpus(ctx, r, memo.gpus) : [],
            quietRank: reason === 'nccl-timeout' && tail !== undefined ? quietestRank(tail) : null,
          });
      const slurm = r.slurm ? { slurmState: r.slurm.state, nodes: r.slurm.nodes, exitSignal: r.slurm.exitSignal } : {};
      emit('run.failed', r.host, r, msg, { reason, hint, details: { ...progressDetails(r), exitStatus: r.exitStatus ?? null, gpus: memo.gpus, ...slurm } });
    }
    return n;
  }
  if (!alive) return n;
  const usual = medianOf(n.gaps);
  const threshold = Math.max(o.stallAfterMs, usual !== null ? usual * (o.gapFactor ?? 3) : 0);
  const quietMs = r.lastOutputSecondsAgo !== null ? r.lastOutputSecondsAgo * 1000 : null;
  if (n.stalled && wrote) {
    n.stalled = false;
    emit('run.resumed', r.host, r, `${r.id} writes again after ${human((writeAt! - memo.lastWriteAt!) / 1000)} of silence`);
  } else if (!n.stalled && quietMs !== null && quietMs > threshold) {
    n.stalled = true;
    const usualText = usual !== null && usual >= 1000 ? ` (it usually writes every ${human(usual / 1000)})` : '';
    emit('run.stalled', r.host, { ...r, state: 'stalled' }, `${r.id} stalled: no output for ${human(quietMs / 1000)}${usualText}`, {
      reason: 'stalled',
      hint: hintFor('stalled'),
      details: { ...progressDetails(r), quietSeconds: Math.round(quietMs / 1000), usualGapSeconds: usual !== null ? Math.round(usual / 1000) : null },
    });
  }
  const nan = r.alerts.find((a) => a.kind === 'nan-loss');
  if (nan && !memo.nan) emit('run.nan', r.host, r, `${r.id}: ${nan.message}`, { reason: 'nan-loss', hint: hintFor('nan-loss'), details: progressDetails(r) });
  n.nan = nan !== undefined;
  return n;
}

/** When the run last wrote (ms): the host's time when the poll says it, else derived from the age. */
function writeTimeOf(r: Run, now: number): number | null {
  if (r.lastOutputAt != null) {
    const t = Date.parse(r.lastOutputAt);
    if (Number.isFinite(t)) return t;
  }
  return r.lastOutputSecondsAgo !== null ? now - r.lastOutputSecondsAgo * 1000 : null;
}

/** Why a run failed, in the words of section 9: Slurm's state word where it names the cause (a signal's
 * traceback in the log is not one), else its fatal alert, else a NaN loss, else its exit status. */
export function failReason(r: Run): string {
  const sl = slurmFailure(r);
  if (sl !== null) return sl.reason;
  if (r.reason !== null && r.reason !== 'stalled') return r.reason;
  if (r.alerts.some((a) => a.kind === 'nan-loss')) return 'nan-loss';
  if (r.exitStatus === 137) return 'killed';
  if (r.exitStatus !== undefined && r.exitStatus !== null) return `exit-${r.exitStatus}`;
  return 'traceback';
}

function othersOnGpus(ctx: DeriveContext, r: Run, gpus: number[]): { pid: number; run: string | null; usedMemoryMiB: number | null; gpu: number }[] {
  const rep = ctx.gpus.get(r.host);
  if (!rep) return [];
  const out: { pid: number; run: string | null; usedMemoryMiB: number | null; gpu: number }[] = [];
  for (const g of rep.gpus) {
    if (gpus.length > 0 && !gpus.includes(g.index)) continue;
    for (const p of g.processes) if (p.run !== r.id) out.push({ pid: p.pid, run: p.run, usedMemoryMiB: p.usedMemoryMiB, gpu: g.index });
  }
  return out.sort((a, b) => (b.usedMemoryMiB ?? 0) - (a.usedMemoryMiB ?? 0));
}

function gpusObserved(m: EventMemory, rep: GpuHostReport, now: number, o: EventOptions, ctx: DeriveContext, emit: Emit): void {
  if (rep.status !== 'ok') return;
  const idlePct = o.idlePercent ?? 2;
  for (const [id, memo] of Object.entries(m.runs)) {
    if (memo.host !== rep.name) continue;
    const mine = rep.gpus.filter((g) => g.processes.some((p) => p.run === id));
    const n: RunMemo = { ...memo, gpus: mine.length > 0 ? mine.map((g) => g.index) : memo.gpus };
    const held = mine.reduce((t, g) => t + g.processes.filter((p) => p.run === id).reduce((u, p) => u + (p.usedMemoryMiB ?? 0), 0), 0);
    const idle = ALIVE.has(memo.state) && mine.length > 0 && held > 0 && mine.every((g) => g.utilizationPercent !== null && g.utilizationPercent <= idlePct);
    if (!idle) {
      n.idle = false;
      n.idleSince = null;
    } else {
      n.idleSince = memo.idleSince ?? now;
      if (!memo.idle && now - n.idleSince >= o.gpuIdleAfterMs) {
        n.idle = true;
        const run = ctx.runs.get(id) ?? memo;
        const list = mine.map((g) => g.index).join(',');
        emit('gpu.idle', rep.name, run, `${id}: GPU${mine.length > 1 ? 's' : ''} ${list} at ${Math.max(...mine.map((g) => g.utilizationPercent ?? 0))} % for ${human((now - n.idleSince) / 1000)} while holding ${bytes(held * 1048576)}`, {
          reason: 'gpu-idle',
          hint: hintFor('gpu.idle'),
          details: { gpus: mine.map((g) => g.index), memoryMiB: held, idleSeconds: Math.round((now - n.idleSince) / 1000) },
        });
      }
    }
    m.runs[id] = n;
  }
}

function checkpointsObserved(m: EventMemory, l: CheckpointListing, ctx: DeriveContext, emit: Emit): void {
  const memo = m.runs[l.run];
  if (!memo) return;
  const n: RunMemo = { ...memo };
  const newest = newestOf(l.checkpoints);
  const count = l.checkpoints.length;
  if (newest !== null && memo.newestCkpt !== null && newest.name !== memo.newestCkpt) {
    // a new newest while the count did not grow: the trainer rotates (save_total_limit)
    if (memo.ckptCount !== null && count <= memo.ckptCount) n.rotates = true;
    const run = ctx.runs.get(l.run) ?? memo;
    emit('run.checkpoint', memo.host, run, `${l.run} saved ${newest.name} (${bytes(newest.sizeBytes)})`, {
      details: { checkpoint: newest.name, path: newest.path, step: newest.step, sizeBytes: newest.sizeBytes, count },
    });
  }
  if (newest !== null) n.newestCkpt = newest.name;
  n.ckptCount = count;
  const run = ctx.runs.get(l.run);
  const p = ALIVE.has(memo.state) ? projectDisk(l, run?.progress ?? null, n.rotates) : null;
  if (p !== null && p.low && !memo.diskLow) {
    n.diskLow = true;
    const when = p.fullInSeconds !== null ? ` in ~${human(p.fullInSeconds)}` : '';
    const by = p.until === 'end' ? 'before the run ends' : 'within 6 h';
    emit('disk.low', memo.host, run ?? memo, `${l.run}: the checkpoints' disk fills${when}, ${by}: ${p.more} more checkpoint${p.more === 1 ? '' : 's'} of ${bytes(newestOf(l.checkpoints)?.sizeBytes ?? 0)} need ${bytes(p.needBytes)}, ${bytes(p.freeBytes)} free`, {
      reason: 'disk-low',
      hint: hintFor('disk.low'),
      details: { dir: l.dir, freeBytes: p.freeBytes, needBytes: p.needBytes, more: p.more, cadenceSeconds: p.cadenceSeconds, fullInSeconds: p.fullInSeconds },
    });
  } else if (p !== null && p.needBytes < p.freeBytes * 0.8) n.diskLow = false;
  m.runs[l.run] = n;
}

const blankHost = (): HostMemo => ({ up: null, everUp: false, downSince: null, lostAt: null, polled: false, error: null });

function hostObserved(m: EventMemory, s: HostConnState, now: number): void {
  const h = m.hosts[s.name] ?? blankHost();
  if (s.phase === 'connected') m.hosts[s.name] = { ...h, up: true, everUp: true, downSince: null, error: null };
  else if (s.phase === 'reconnecting' || s.phase === 'failed') m.hosts[s.name] = { ...h, up: false, downSince: h.up === false && h.downSince !== null ? h.downSince : now, error: s.error };
}

/** host.lost once a host that answered before stays down past the grace; host.back when it answers again. */
function hostsDue(m: EventMemory, now: number, o: EventOptions, emit: Emit): void {
  for (const [name, h] of Object.entries(m.hosts)) {
    if (h.up === false && h.everUp && h.lostAt === null && h.downSince !== null && now - h.downSince >= o.hostLostAfterMs) {
      m.hosts[name] = { ...h, lostAt: now };
      emit('host.lost', name, null, `${name} stopped answering${h.error ? `: ${h.error}` : ''}`, { hint: hintFor('host.lost'), details: { error: h.error } });
    } else if (h.up === true && h.lostAt !== null) {
      m.hosts[name] = { ...h, lostAt: null };
      emit('host.back', name, null, `${name} answers again after ${human((now - h.lostAt) / 1000)}`, { details: { downSeconds: Math.round((now - h.lostAt) / 1000) } });
    }
  }
}

const medianOf = (xs: number[]): number | null => {
  if (xs.length < 3) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

function stepText(r: Run, lead = ''): string {
  const p = r.progress;
  if (!p || p.step === null) return '';
  return `${lead} step ${p.step}${p.total !== null ? `/${p.total}` : ''}`;
}

function progressDetails(r: Run): Record<string, unknown> {
  return { step: r.progress?.step ?? null, total: r.progress?.total ?? null };
}

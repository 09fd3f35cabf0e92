// Derived views of the state: pure, cheap, used by the reducer and the panes.
import type { Checkpoint, CheckpointListing, GpuHostReport, HostConnState, Progress, Run } from '../domain/types.js';
import type { LogBuffer } from './log-buffer.js';
import { stripAnsi } from '../parse/terminal.js';
import { groupRuns } from '../parse/groups.js';
import type { RunsSort, State } from './state.js';

/** Every run on every host after the runs filter, in the order of the runs pane (`runsSort`; host
 * order by default): j/k, g/G, the selection's neighbour and the pane all read this one list. */
export function visibleRuns(s: State): Run[] {
  const f = s.runsFilter.toLowerCase();
  const out = f === '' ? [...allRuns(s)] : allRuns(s).filter((r) => r.id.toLowerCase().includes(f) || r.parts?.some((p) => p.id.toLowerCase().includes(f)) === true);
  const sort = s.runsSort;
  if (sort === 'host' || out.length < 2) return out;
  // keys first, then a stable sort: ties keep host order
  const keys = out.map((r) => sortKey(s, r, sort));
  return out
    .map((r, i) => ({ r, k: keys[i] as number, i }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.r);
}

/** The pane's title words for an order ('' for the default, host order). */
export function runsSortLabel(sort: RunsSort): string {
  return sort === 'state' ? 'by state' : sort === 'progress' ? 'by progress' : sort === 'output' ? 'by last output' : '';
}

/** Trouble first: a failed run, then a stalled one, then what runs; the ended ones last. */
const STATE_RANK: Record<Run['state'], number> = { failed: 0, stalled: 1, running: 2, pending: 3, unknown: 3, finished: 4 };

/** Smaller sorts first; a run without the value goes after every run with it. */
function sortKey(s: State, r: Run, sort: RunsSort): number {
  if (sort === 'state') return STATE_RANK[r.state] ?? 3;
  if (sort === 'progress') {
    // what the pane shows: a finished run's percent is not (it is done, not furthest along)
    const p = r.state === 'finished' ? null : (progressOf(s, r)?.percent ?? null);
    return p === null || !Number.isFinite(p) ? Infinity : -p;
  }
  const ago = r.lastOutputSecondsAgo;
  return ago === null || !Number.isFinite(ago) ? Infinity : ago;
}

export function hostsInOrder(s: State): string[] {
  const seen = new Set(s.hostOrder);
  const extra = [...Object.keys(s.hosts), ...Object.keys(s.runsByHost)].filter((h) => !seen.has(h));
  return [...s.hostOrder, ...new Set(extra)];
}

let merged: { key: unknown[]; runs: Run[] } | null = null;

/**
 * Every run on every host in host order, each group (config groups) once in the place of its first
 * part listed, its parts not on their own. A part's host that is down (stale) or failed to connect
 * reads as unreachable; one still connecting, as not there yet. Kept while its inputs are the same
 * objects: the panes and the reducer call it many times a frame.
 */
export function allRuns(s: State): Run[] {
  const key = [s.runsByHost, s.groups, s.hosts, s.restored, s.hostOrder];
  if (merged !== null && merged.key.every((k, i) => k === key[i])) return merged.runs;
  const flat: Run[] = [];
  for (const h of hostsInOrder(s)) for (const r of s.runsByHost[h] ?? []) flat.push(r);
  const reachable = (h: string): boolean => {
    if (s.runsByHost[h] !== undefined) return !hostView(s, h).stale;
    const phase = s.hosts[h]?.phase;
    return phase !== 'failed' && phase !== 'reconnecting';
  };
  const runs = s.groups === undefined || s.groups.length === 0 ? flat : groupRuns(flat, s.groups, reachable);
  merged = { key, runs };
  return runs;
}

export function findRun(s: State, id: string | null): Run | null {
  if (id === null) return null;
  if (s.groups !== undefined && s.groups.length > 0) {
    const g = allRuns(s).find((r) => r.id === id);
    if (g !== undefined) return g;
  }
  for (const h of Object.keys(s.runsByHost)) {
    for (const r of s.runsByHost[h] ?? []) if (r.id === id) return r;
  }
  return null;
}

export function selectedRun(s: State): Run | null {
  return findRun(s, s.selectedRunId);
}

export interface HostView {
  name: string;
  conn: HostConnState | null;
  /** Data shown is old: the host is not connected now. */
  stale: boolean;
  /** Seconds since the last good contact, when stale. */
  staleSeconds: number | null;
}

export function hostView(s: State, name: string): HostView {
  const conn = s.hosts[name] ?? null;
  // stale: what is on screen was seen while connected, and the host is not now (a host never reached
  // has nothing stale to show)
  // runs restored from the last session are stale until the host's first poll answers
  const restoredAt = s.restored[name];
  const lastOk = restoredAt !== undefined ? Math.max(restoredAt, conn?.lastOkAt ?? 0) : conn?.lastOkAt ?? null;
  const stale = restoredAt !== undefined || (conn !== null && conn.phase !== 'connected' && lastOk !== null);
  const staleSeconds = stale && lastOk !== null ? Math.max(0, Math.floor((s.now - lastOk) / 1000)) : null;
  return { name, conn, stale, staleSeconds };
}

/** The GPU report of the selected run's host (else the first host that has one). */
export function gpuHostOf(s: State): { host: string | null; report: GpuHostReport | null } {
  const r = selectedRun(s);
  const host = r?.host ?? hostsInOrder(s).find((h) => s.gpus[h] !== undefined) ?? null;
  return { host, report: host === null ? null : (s.gpus[host] ?? null) };
}

export function checkpointsOf(s: State): CheckpointListing | null {
  if (s.selectedRunId === null) return null;
  // a group's (config groups) are its rank 0's, listed under that part's id
  const rank0 = s.groups !== undefined && s.groups.length > 0 ? selectedRun(s)?.parts?.[0]?.id : undefined;
  return s.checkpoints[rank0 ?? s.selectedRunId] ?? null;
}

/** Newest first: by step, then by modification time. */
export function sortedCheckpoints(l: CheckpointListing | null): Checkpoint[] {
  if (l === null) return [];
  return [...l.checkpoints].sort((a, b) => {
    if (a.step !== null && b.step !== null && a.step !== b.step) return b.step - a.step;
    const ta = a.modifiedAt === null ? 0 : Date.parse(a.modifiedAt) || 0;
    const tb = b.modifiedAt === null ? 0 : Date.parse(b.modifiedAt) || 0;
    if (ta !== tb) return tb - ta;
    return b.name.localeCompare(a.name);
  });
}

/** Sequence number of the bottom line the log pane shows. */
export function logBottomSeq(s: State, buf: LogBuffer | undefined, rows: number): number {
  if (buf === undefined) return -1;
  if (s.logView.follow) return buf.lastSeq;
  const lo = Math.min(buf.lastSeq, buf.firstSeq + Math.max(0, rows - 1));
  return Math.max(lo, Math.min(s.logView.anchorSeq, buf.lastSeq));
}

/** Lines that arrived after following stopped. */
export function newLinesWhilePaused(s: State, buf: LogBuffer | undefined): number {
  if (buf === undefined || s.logView.follow) return 0;
  return Math.max(0, buf.lastSeq - Math.max(s.logView.pausedAtSeq, buf.firstSeq - 1));
}

/** Smart case: a query with a capital letter matches case-sensitively. */
export function matcher(query: string): ((line: string) => boolean) | null {
  if (query === '') return null;
  if (query !== query.toLowerCase()) return (l) => stripAnsi(l).includes(query);
  const q = query.toLowerCase();
  return (l) => stripAnsi(l).toLowerCase().includes(q);
}

/** A run's progress: the newest of the last poll and the lines on screen (the selected run's log is
 * read live, so its bar moves ahead of the poll); the title and the runs pane agree. */
export function progressOf(s: State, run: Run): Progress | null {
  const live = s.liveProgress?.runId === run.id ? s.liveProgress.progress : null;
  const poll = run.progress;
  if (live === null || poll === null) return live ?? poll;
  // the newer one, unless it knows less (a line without the total next to a bar with it)
  const newer = (live.step ?? -1) >= (poll.step ?? -1) && (live.percent !== null || poll.percent === null);
  return newer ? live : poll;
}

// Groups (config `groups:`): one multi-node training run made of tmux sessions on several hosts,
// shown as ONE run. Pure: the runs as polled per host in, the runs with each group's parts replaced by
// the group out. `ls` and the monitor's runs list (store/selectors.ts) both use it.
//
// The group run is rank 0's run (its first part listed: log, progress, metrics, checkpoints, attach
// target) with the group's id, the worst state of its parts, every part's alerts (each naming its
// host) and its parts listed.
import type { Alert, Run, RunGroup, RunPart, RunState } from '../domain/types.js';

/**
 * Worse first. failed: one rank that died takes the job down (the others hang in their next
 * collective); stalled: one rank stuck stalls them all; unknown: a part that cannot be seen (missing,
 * host down) means the job cannot be called running; pending (Slurm) before running: not all ranks
 * started; finished only when every part finished.
 */
const SEVERITY: Record<string, number> = { failed: 5, stalled: 4, unknown: 3, pending: 2, running: 1, finished: 0 };

const severity = (s: string): number => SEVERITY[s] ?? SEVERITY.unknown!;

/** The worst of the states (failed > stalled > unknown > pending > running > finished); unknown for none. */
export function worstState(states: readonly RunState[]): RunState {
  let worst: RunState | null = null;
  for (const s of states) if (worst === null || severity(s) > severity(worst)) worst = s;
  return worst ?? 'unknown';
}

export const partId = (p: { host: string; session: string }): string => `${p.host}:${p.session}`;

/** Whether a host's runs are current (it answered its last poll). */
export type Reachable = (host: string) => boolean;

/**
 * One group's run from the runs by id. Null when nothing of it is there to show: every part's host
 * answered and none has the session (the job ended and its sessions are gone).
 */
export function mergeGroup(g: RunGroup, byId: ReadonlyMap<string, Run>, reachable: Reachable): Run | null {
  if (g.parts.length === 0) return null;
  const parts: RunPart[] = g.parts.map((p) => {
    const id = partId(p);
    const r = byId.get(id);
    if (!reachable(p.host)) return { id, host: p.host, session: p.session, state: 'unknown', status: 'unreachable' };
    if (r === undefined) return { id, host: p.host, session: p.session, state: 'unknown', status: 'missing' };
    return { id, host: p.host, session: p.session, state: r.state, status: 'ok' };
  });
  if (parts.every((p) => p.status === 'missing')) return null;
  const state = worstState(parts.map((p) => p.state));
  const alerts: Alert[] = [];
  for (const p of parts) {
    // a part whose host is down keeps no alert: what is known of it is old
    if (p.status !== 'ok') continue;
    for (const a of byId.get(p.id)?.alerts ?? []) alerts.push({ ...a, message: `${p.host}: ${a.message}` });
  }
  // the reason is the worst part's (the one that made the group failed or stalled)
  const worst = parts.find((p) => p.status === 'ok' && p.state === state);
  const reason = worst !== undefined && (state === 'failed' || state === 'stalled') ? (byId.get(worst.id)?.reason ?? null) : null;
  const p0 = g.parts[0]!;
  // rank 0's last known run stays the base even while its host is down (its log is still worth showing)
  const rank0 = byId.get(partId(p0));
  const base: Run = rank0 ?? {
    id: g.name,
    host: p0.host,
    session: p0.session,
    state,
    reason,
    alerts,
    progress: null,
    metrics: {},
    log: null,
    logStart: null,
    checkpoints: null,
    lastOutputSecondsAgo: null,
    attachedClients: 0,
    createdAt: null,
  };
  let attached = 0;
  for (const p of parts) attached += p.status === 'ok' ? (byId.get(p.id)?.attachedClients ?? 0) : 0;
  return { ...base, id: g.name, host: p0.host, session: p0.session, state, reason, alerts, attachedClients: attached, parts };
}

/**
 * The runs with each group's parts replaced by the group, in the place of its first part listed; a
 * group none of whose parts is listed but one of whose hosts did not answer goes last. A run that is
 * a part is never listed on its own as well.
 */
export function groupRuns(runs: readonly Run[], groups: readonly RunGroup[], reachable: Reachable): Run[] {
  if (groups.length === 0) return [...runs];
  const groupOfPart = new Map<string, RunGroup>();
  for (const g of groups) for (const p of g.parts) if (!groupOfPart.has(partId(p))) groupOfPart.set(partId(p), g);
  const byId = new Map<string, Run>();
  for (const r of runs) if (groupOfPart.has(r.id)) byId.set(r.id, r);
  const placed = new Set<string>();
  const out: Run[] = [];
  const place = (g: RunGroup): void => {
    if (placed.has(g.name)) return;
    placed.add(g.name);
    const merged = mergeGroup(g, byId, reachable);
    if (merged !== null) out.push(merged);
  };
  for (const r of runs) {
    const g = groupOfPart.get(r.id);
    if (g === undefined) out.push(r);
    else place(g);
  }
  for (const g of groups) place(g);
  return out;
}

/** The group named `id`, if any (a group's name holds no ':', so it never reads as HOST:SESSION). */
export function findGroup(groups: readonly RunGroup[] | undefined, id: string): RunGroup | null {
  if (groups === undefined || id.includes(':')) return null;
  return groups.find((g) => g.name === id) ?? null;
}

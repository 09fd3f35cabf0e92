// The last known state, kept across restarts in $XDG_STATE_HOME/rtk-tui/state.json (default
// ~/.local/state/rtk-tui/): every host's last runs (the monitor opens with them, marked stale), the
// events memory (nothing already reported fires again) and the recent events (`watch --since`, the
// events view). Written atomically (a temporary file renamed over it), small (bounded lists). A
// corrupt or foreign file is set aside with a warning, never fatal. Two processes (a monitor and a
// watch) may share it: a save merges the events the other one wrote.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Run } from '../domain/types.js';
import { emptyMemory, type EventMemory, type HostMemo, type RunMemo } from './derive.js';
import { eventId, type RtkEvent } from './types.js';

export const STATE_VERSION = 1;
/** Events kept in the file, newest last. */
export const EVENTS_KEPT = 500;
/** Runs kept per host (the newest created first). */
const RUNS_KEPT = 200;
/** A run not seen for this long is forgotten. */
const FORGET_MS = 14 * 24 * 3600_000;

export interface SavedState {
  version: number;
  savedAt: string;
  memory: EventMemory;
  events: RtkEvent[];
  /** Each host's last good runs poll, with its time (ms since epoch). */
  hosts: Record<string, { at: number; runs: Run[] }>;
}

export const emptyState = (): SavedState => ({ version: STATE_VERSION, savedAt: new Date(0).toISOString(), memory: emptyMemory(), events: [], hosts: {} });

export { commandLogPath, statePath } from './state-path.js';

export interface Loaded {
  state: SavedState;
  /** A sentence when the file was set aside (corrupt or foreign), else null. */
  warning: string | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the file; a missing one is an empty state, a bad one is renamed to FILE.bad-TIME and reported. */
export function loadState(path: string): Loaded {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: emptyState(), warning: null };
    return { state: emptyState(), warning: `cannot read the state file ${path} (${code ?? String(e)}); starting without the last known state` };
  }
  const v = parse(text);
  if (v !== null) return { state: v, warning: null };
  const aside = `${path}.bad-${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch {
    return { state: emptyState(), warning: `the state file ${path} is not rtk-tui's (or is damaged) and could not be moved aside; starting without it` };
  }
  return { state: emptyState(), warning: `the state file ${path} is not rtk-tui's (or is damaged); moved it to ${aside} and started afresh` };
}

function parse(text: string): SavedState | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(raw) || raw.version !== STATE_VERSION || !isObj(raw.memory) || !Array.isArray(raw.events) || !isObj(raw.hosts)) return null;
  const mem = raw.memory;
  if (!isObj(mem.hosts) || !isObj(mem.runs)) return null;
  // entry by entry: one bad entry (an older or hand-edited file) is dropped, not fatal later
  const memory: EventMemory = { hosts: {}, runs: {} };
  for (const [k, h] of Object.entries(mem.hosts)) if (isHostMemo(h)) memory.hosts[k] = h;
  for (const [k, r] of Object.entries(mem.runs)) if (isRunMemo(r)) memory.runs[k] = r;
  const events = raw.events.filter((e): e is RtkEvent => isObj(e) && typeof e.kind === 'string' && typeof e.time === 'string' && typeof e.message === 'string');
  const hosts: SavedState['hosts'] = {};
  for (const [k, h] of Object.entries(raw.hosts)) if (isObj(h) && typeof h.at === 'number' && Array.isArray(h.runs)) hosts[k] = { at: h.at, runs: h.runs.filter(isRun) };
  return { version: STATE_VERSION, savedAt: typeof raw.savedAt === 'string' ? raw.savedAt : '', memory, events, hosts };
}

const numOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v));

function isHostMemo(v: unknown): v is HostMemo {
  return isObj(v) && (v.up === null || typeof v.up === 'boolean') && typeof v.everUp === 'boolean' && numOrNull(v.downSince) && numOrNull(v.lostAt) && typeof v.polled === 'boolean' && (v.error === null || typeof v.error === 'string');
}

function isRunMemo(v: unknown): v is RunMemo {
  return (
    isObj(v) &&
    typeof v.id === 'string' &&
    typeof v.host === 'string' &&
    typeof v.state === 'string' &&
    ['ended', 'stalled', 'nan', 'idle', 'diskLow', 'rotates'].every((k) => typeof v[k] === 'boolean') &&
    ['idleSince', 'lastWriteAt', 'ckptCount'].every((k) => numOrNull(v[k])) &&
    typeof v.seenAt === 'number' &&
    Array.isArray(v.gaps) && v.gaps.every((g) => typeof g === 'number') &&
    Array.isArray(v.gpus) && v.gpus.every((g) => typeof g === 'number') &&
    (v.newestCkpt === null || typeof v.newestCkpt === 'string') &&
    (v.createdAt === null || typeof v.createdAt === 'string')
  );
}

function isRun(v: unknown): v is Run {
  return isObj(v) && typeof v.id === 'string' && typeof v.host === 'string' && typeof v.session === 'string' && typeof v.state === 'string' && Array.isArray(v.alerts);
}

/** Merges what another process saved since: its events, and hosts it polled more recently. */
export function mergeStates(mine: SavedState, theirs: SavedState): SavedState {
  const byId = new Map<string, RtkEvent>();
  for (const e of theirs.events) byId.set(eventId(e), e);
  for (const e of mine.events) byId.set(eventId(e), e);
  const events = [...byId.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)).slice(-EVENTS_KEPT);
  // per host, the memory of whichever process polled it last (another monitor may watch other
  // hosts, or the same ones more recently): never a mix for one host, which could bring back runs
  // this process saw end
  const hosts = { ...theirs.hosts };
  const memory: EventMemory = { hosts: { ...mine.memory.hosts }, runs: { ...mine.memory.runs } };
  for (const [k, h] of Object.entries(mine.hosts)) if (!hosts[k] || hosts[k]!.at <= h.at) hosts[k] = h;
  for (const [k, h] of Object.entries(theirs.hosts)) {
    if (mine.hosts[k] !== undefined && mine.hosts[k]!.at >= h.at) continue;
    for (const [id, r] of Object.entries(memory.runs)) if (r.host === k) delete memory.runs[id];
    for (const [id, r] of Object.entries(theirs.memory.runs)) if (r.host === k) memory.runs[id] = r;
    if (theirs.memory.hosts[k] !== undefined) memory.hosts[k] = theirs.memory.hosts[k]!;
  }
  return { ...mine, events, memory, hosts };
}

/** Trims the lists, merges with the file as it is now, writes a temporary file and renames it over. */
export function saveState(path: string, s: SavedState, now: number = Date.now()): SavedState {
  const cur = parseQuiet(path);
  const merged = cur === null ? s : mergeStates(s, cur);
  const runs = Object.fromEntries(Object.entries(merged.memory.runs).filter(([, r]) => now - (r.seenAt ?? 0) < FORGET_MS));
  const hosts = Object.fromEntries(Object.entries(merged.hosts).map(([k, h]) => [k, { at: h.at, runs: h.runs.slice(0, RUNS_KEPT) }]));
  const out: SavedState = { ...merged, version: STATE_VERSION, savedAt: new Date(now).toISOString(), memory: { ...merged.memory, runs }, events: merged.events.slice(-EVENTS_KEPT), hosts };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(out));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return out;
}

function parseQuiet(path: string): SavedState | null {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

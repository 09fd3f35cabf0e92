// Slurm's small value shapes: numbers as 3 or {set, infinite, number}, state words and lists, wait
// statuses, durations, local timestamps, GRES/TRES lists. Pure; never throws.

/** Slurm's base job states (job_state_codes.html). */
export const SLURM_BASE_STATES = [
  'PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETING', 'COMPLETED', 'CONFIGURING', 'CANCELLED', 'FAILED', 'TIMEOUT',
  'PREEMPTED', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'REQUEUED', 'RESIZING', 'REVOKED',
  'SIGNALING', 'SPECIAL_EXIT', 'STAGE_OUT', 'STOPPED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD',
] as const;
const BASE = new Set<string>(SLURM_BASE_STATES);


export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A number in any of Slurm's JSON shapes: 3, "3", {set:true, number:3}; {infinite:true} or {set:false}: null. */
export function slurmNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  if (isObj(v)) {
    if (v.infinite === true || v.set === false) return null;
    return slurmNumber(v.number);
  }
  return null;
}

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
export const nonEmpty = (v: unknown): string | null => {
  const s = str(v);
  return s === null || s === '' || s === '(null)' || s === 'N/A' ? null : s;
};
/** Epoch seconds; 0 is Slurm's "not set". */
export const epoch = (v: unknown): number | null => {
  const n = slurmNumber(v);
  return n !== null && n > 0 ? Math.floor(n) : null;
};

/** The base state of `"RUNNING"` or `["RUNNING", "COMPLETING"]` (23.02+ lists flags beside it). */
export function baseState(v: unknown): string {
  const words = (Array.isArray(v) ? v : [v]).filter((w): w is string => typeof w === 'string').map((w) => w.trim().toUpperCase());
  // `COMPLETING` beside a base state is a flag in the lists of 23.02+
  return words.find((w) => BASE.has(w) && w !== 'COMPLETING') ?? words.find((w) => BASE.has(w)) ?? words[0] ?? 'UNKNOWN';
}

/** The raw wait status of 22.05's JSON (768 = exit 3; a signal in the low 7 bits). */
export function decodeWaitStatus(raw: number): { code: number | null; signal: number | null } {
  if (!Number.isInteger(raw) || raw < 0) return { code: null, signal: null };
  const sig = raw & 0x7f;
  return sig !== 0 ? { code: null, signal: sig } : { code: (raw >> 8) & 0xff, signal: null };
}

/** exit_code of any version: a wait status (22.05; 23.02 wraps it as {set, number}) or {status,
 * return_code, signal} (23.11+). */
export function exitOf(v: unknown): { code: number | null; signal: number | null } {
  if (typeof v === 'number') return decodeWaitStatus(v);
  if (!isObj(v)) return { code: null, signal: null };
  if (!('status' in v) && !('return_code' in v)) {
    const raw = slurmNumber(v);
    return raw === null ? { code: null, signal: null } : decodeWaitStatus(raw);
  }
  const status = (Array.isArray(v.status) ? v.status : [v.status]).map(String);
  const sig = isObj(v.signal) ? slurmNumber(v.signal.id) ?? slurmNumber(v.signal.signal_id) : slurmNumber(v.signal);
  if (status.includes('PENDING')) return { code: null, signal: null };
  if (status.includes('SIGNALED') && sig !== null && sig > 0) return { code: null, signal: sig };
  return { code: slurmNumber(v.return_code), signal: sig !== null && sig > 0 ? sig : null };
}

/** Slurm durations: `D-HH:MM:SS`, `HH:MM:SS`, `MM:SS`, `MM` (minutes); UNLIMITED/INVALID/N/A: null. */
export function parseSlurmDuration(text: string | null | undefined): number | null {
  const t = (text ?? '').trim();
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (!m) return null;
  const days = Number(m[1] ?? 0);
  const parts = [m[2], m[3], m[4]].filter((p): p is string => p !== undefined).map(Number);
  let secs: number;
  if (parts.length === 3) secs = parts[0]! * 3600 + parts[1]! * 60 + parts[2]!;
  else if (parts.length === 2) secs = m[1] !== undefined ? parts[0]! * 3600 + parts[1]! * 60 : parts[0]! * 60 + parts[1]!;
  else secs = m[1] !== undefined ? parts[0]! * 3600 : parts[0]! * 60;
  return days * 86400 + secs;
}

/** `2026-12-05T01:43:09` in the cluster's local time -> epoch seconds; `offsetMinutes` east of UTC. */
export function parseSlurmTime(text: string | null | undefined, offsetMinutes: number): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec((text ?? '').trim());
  if (!m) return null;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) - offsetMinutes * 60 : null;
}

/** `+0100` / `-0530` -> minutes east of UTC; anything else 0. */
export function parseUtcOffset(text: string | null | undefined): number {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec((text ?? '').trim());
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/**
 * GPUs in a GRES or TRES list: `gres/gpu:2`, `gres:gpu:a100:2`, `gpu:a100:2(IDX:0-1)`, `gres/gpu=4`,
 * `gres/gpu=1,gres/gpu:l40s=1` (the typed entry repeats the untyped one: counted once). null: none named.
 */
export function gpusOf(spec: string | null | undefined): number | null {
  if (!spec) return null;
  let untyped: number | null = null;
  let typed: number | null = null;
  for (const raw of spec.split(',')) {
    const item = raw.trim().replace(/\(.*\)$/, '').replace(/^gres[:/]/, '');
    const m = /^gpu(?::([^:=]*))?(?::(\d+)|=(\d+))?$/.exec(item);
    if (!m) continue;
    const count = Number(m[2] ?? m[3] ?? (m[1] !== undefined && /^\d+$/.test(m[1]) ? m[1] : 1));
    // `gpu:2` reads as type "2": a bare number there is the count
    const hasType = m[1] !== undefined && !/^\d+$/.test(m[1]);
    if (hasType) typed = (typed ?? 0) + count;
    else untyped = (untyped ?? 0) + count;
  }
  return untyped ?? typed;
}


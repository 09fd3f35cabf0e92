// Health of a run from the tail of its log, and the run state from that plus the process facts.
// Pure; never throws.
import type { Alert, AlertKind, RunState } from '../domain/types.js';
import { scanLog } from './progress.js';
import { detectPrefix, rankLabel, splitLine, type PrefixStyle } from './rank-prefix.js';
import { stripAnsi } from './terminal.js';

/** Alerts that mean the run is dead when its process is gone, most specific first. */
export const FATAL: readonly AlertKind[] = ['oom', 'nccl-timeout', 'disk-full', 'killed', 'traceback'];
const ORDER: readonly AlertKind[] = [...FATAL, 'nan-loss', 'stalled'];
const MAX_MESSAGE = 300;

interface Hit {
  kind: AlertKind;
  line: number;
  message: string;
}

const OOM: RegExp[] = [
  /CUDA out of memory/i,
  /OutOfMemoryError/,
  /CUDA error: out of memory/i,
  /CUBLAS_STATUS_ALLOC_FAILED/,
  /CUDNN_STATUS_(?:ALLOC_FAILED|NOT_ENOUGH_WORKSPACE)/,
  /HIP out of memory/i,
  /hipErrorOutOfMemory/,
  /MPS backend out of memory/i,
  /XPU out of memory/i,
  /Out of memory: Kill(?:ed)? process/i,
  /\boom[-_]kill(?:er)?\b/i,
  /RESOURCE_EXHAUSTED: Out of memory/i,
  /\bcudaErrorMemoryAllocation\b/,
];
const NCCL: RegExp[] = [
  /Watchdog caught collective operation timeout/i,
  /ProcessGroupNCCL.*tim(?:ed|e) ?out/i,
  /NCCL (?:watchdog )?timeout/i,
  /NCCL operations have failed or timed out/i,
  /NCCL communicator was aborted.*(?:timeout|timed out)/i,
];
const DISK: RegExp[] = [/No space left on device/i, /\bENOSPC\b/, /Disk quota exceeded/i];
const KILLED: RegExp[] = [
  /^Killed$/,
  /(?:^|: )\d+\s+Killed(?:\s|$)/,
  /Signal 9 \(SIGKILL\) received/i,
  /exited with signal 9\b/i,
  /\bexitcode\s*:\s*-9\b/i,
  /killed by signal(?::)? 9\b/i,
  /\bSIGKILL\b/,
];
const TRACEBACK = 'Traceback (most recent call last):';

/** Removes `[rank3]: `, `[default0]:` (torchrun --tee) and similar prefixes. */
export function stripRankPrefix(line: string): string {
  let s = line;
  for (let k = 0; k < 4; k++) {
    const m = /^\s*\[(?:rank|default|global rank )?\s*\d+\]\s?:\s?/i.exec(s) ?? /^\s*\d+:\s(?=\s|Traceback|\[|[A-Z][\w.]*(?:Error|Exception))/.exec(s);
    if (!m) break;
    s = s.slice(m[0].length);
  }
  return s;
}

export function detectAlerts(tail: string): Alert[] {
  try {
    return detect(tail).map(({ kind, message }) => ({ kind, message }));
  } catch {
    return [];
  }
}

function detect(tail: string): Hit[] {
  // the collapsed view of each physical line: what was on screen after the last '\r'; with launcher
  // prefixes, without them, and which rank printed it (every rank's errors count)
  const style = detectPrefix(tail);
  const raw = tail.split('\n');
  const who: (string | null)[] = new Array<string | null>(raw.length).fill(null);
  const lines = raw.map((l, i) => (style === null ? collapsed(l) : ranked(style, l, who, i)));
  const latest = new Map<AlertKind, Hit>();
  const note = (kind: AlertKind, line: number, message: string): void => {
    const from = who[line];
    latest.set(kind, { kind, line, message: clip(from ? `${from}: ${message}` : message) });
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.length === 0) continue;
    const t = l.trim();
    if (OOM.some((r) => r.test(l))) note('oom', i, t);
    if (NCCL.some((r) => r.test(l))) note('nccl-timeout', i, t);
    if (DISK.some((r) => r.test(l))) note('disk-full', i, t);
    if (t.length < 400 && KILLED.some((r) => r.test(t)) && !/OutOfMemory|out of memory/i.test(t)) note('killed', i, t);
    const tb = l.indexOf(TRACEBACK);
    if (tb >= 0) {
      const exc = exceptionLine(lines, i + 1, who);
      if (exc !== null) note('traceback', exc.line, exc.text);
    }
  }
  // a traceback whose exception is the OOM / NCCL / disk error is reported as that error only
  const tb = latest.get('traceback');
  if (tb) {
    for (const k of ['oom', 'nccl-timeout', 'disk-full'] as const) {
      const h = latest.get(k);
      if (h && h.line <= tb.line && h.line >= tb.line - 2) {
        latest.delete('traceback');
        h.message = tb.message;
        h.line = tb.line;
        break;
      }
    }
  }
  const scan = scanLog(tail);
  // a fatal error followed by a tqdm bar that went further is history (e.g. a retry wrapper restarted
  // the job). Only bars count: they go to stderr unbuffered, while stdout lines printed before the
  // crash may be flushed after the traceback.
  for (const k of FATAL) {
    const h = latest.get(k);
    if (!h) continue;
    let before = -1;
    let after = -1;
    for (const r of scan.records) {
      if (r.line < h.line) before = Math.max(before, r.step);
      else if (r.line > h.line && r.bar) after = Math.max(after, r.step);
    }
    if (before >= 0 && after > before) latest.delete(k);
  }
  const losses = scan.lossLines.filter((x) => !/^(val|valid|validation|eval|test)/i.test(x.key));
  const lastLoss = losses[losses.length - 1];
  if (lastLoss && !Number.isFinite(lastLoss.value)) note('nan-loss', lastLoss.line, lastLoss.text);
  return ORDER.filter((k) => latest.has(k)).map((k) => latest.get(k)!);
}

function collapsed(l: string): string {
  const cr = l.lastIndexOf('\r', l.length - 2);
  const seg = cr >= 0 ? l.slice(cr + 1) : l;
  return stripRankPrefix(stripAnsi(seg.length > 8192 ? seg.slice(0, 8192) : seg).replace(/\r$/, ''));
}

/** The last redraw of a prefixed line, without its prefix; who[i] gets the rank that printed it. */
function ranked(style: PrefixStyle, l: string, who: (string | null)[], i: number): string {
  // a long line of redraws: its prefix and its last redraws (an error printed after a bar ends it)
  const segs = splitLine(style, l.length > 65536 ? `${l.slice(0, 256)}\r${l.slice(l.length - 65536)}` : l);
  let last = segs[segs.length - 1]!;
  for (let k = segs.length - 1; k > 0 && last.text.length === 0; k--) last = segs[k - 1]!;
  who[i] = rankLabel(last);
  const t = last.text;
  return stripAnsi(t.length > 8192 ? t.slice(0, 8192) : t);
}

/**
 * The final exception line of a traceback starting at line `from`, or null if it is not there yet.
 * With rank prefixes only the traceback's own rank's lines are read (the ranks' tracebacks interleave).
 */
function exceptionLine(lines: string[], from: number, who: (string | null)[] = []): { line: number; text: string } | null {
  const own = who[from - 1] ?? null;
  const end = Math.min(lines.length, from + 400);
  let first = true;
  for (let j = from; j < end; j++) {
    const l = lines[j]!;
    if (l.length === 0 || (own !== null && who[j] !== own)) continue;
    if (l.startsWith(' ') || l.startsWith('\t')) continue; // frames and source lines
    if (l.startsWith(TRACEBACK)) return null; // a newer traceback: that one is looked at on its own
    if (/^(During handling of the above exception|The above exception was the direct cause)/.test(l)) continue;
    // `ValueError: x`, `torch.OutOfMemoryError: ...`, `KeyboardInterrupt`; right after the frames any
    // `name: message` line counts (custom exception names), further on only the usual suffixes do,
    // because other processes' output can be interleaved with the traceback
    if (STRONG_EXC.test(l) || (first && /^[A-Za-z_][\w.]*: /.test(l))) return { line: j, text: l.trim() };
    first = false;
  }
  return null;
}

const STRONG_EXC = /^[A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Failure|Timeout|Abort)\b(?::.*)?$/;

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s;
}

export interface StateInput {
  alive: boolean;
  exitStatus: number | null;
  alerts: Alert[];
  lastOutputSecondsAgo: number | null;
  stallAfterSeconds: number;
}

export interface StateDecision {
  state: RunState;
  reason: AlertKind | null;
  alerts: Alert[];
}

/**
 * DESIGN section 2. The exit status wins when known; a live process is running (or stalled) whatever its
 * log says, with the alerts shown; a process that ended without a status failed when the log holds a
 * fatal alert, else finished. Unknown: ended, no status, no alert and no log to judge by.
 */
export function decideState(i: StateInput): StateDecision {
  const alerts = i.alerts.filter((a) => a.kind !== 'stalled');
  const fatal = firstFatal(alerts);
  if (i.exitStatus !== null && Number.isFinite(i.exitStatus)) {
    if (i.exitStatus === 0) return { state: 'finished', reason: null, alerts };
    const reason = fatal ?? (i.exitStatus === 137 || i.exitStatus === -9 ? 'killed' : null);
    return { state: 'failed', reason, alerts };
  }
  if (i.alive) {
    const ago = i.lastOutputSecondsAgo;
    if (ago !== null && i.stallAfterSeconds > 0 && ago >= i.stallAfterSeconds) {
      const stalled: Alert = { kind: 'stalled', message: `no output for ${human(ago)}` };
      return { state: 'stalled', reason: 'stalled', alerts: [...alerts, stalled] };
    }
    return { state: 'running', reason: null, alerts };
  }
  if (fatal) return { state: 'failed', reason: fatal, alerts };
  if (i.lastOutputSecondsAgo === null && alerts.length === 0) return { state: 'unknown', reason: null, alerts };
  return { state: 'finished', reason: null, alerts };
}

function firstFatal(alerts: Alert[]): AlertKind | null {
  for (const k of FATAL) if (alerts.some((a) => a.kind === k)) return k;
  return null;
}

/** "45 s", "12 min", "3.5 h": a span in words. */
export function human(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 360) / 10} h`;
}

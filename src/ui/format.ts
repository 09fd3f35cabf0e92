// Small text formatters shared by the panes: sizes, ages, durations, state words, bars (sparklines
// are in chart.ts).
import type { AlertKind, Run } from '../domain/types.js';

export { age, bytes, duration } from '../parse/units.js';

const ALERT_WORD: Record<AlertKind, string> = {
  oom: 'OOM',
  'nccl-timeout': 'NCCL',
  'nan-loss': 'NAN',
  traceback: 'ERROR',
  'disk-full': 'DISK',
  stalled: 'STALL',
  killed: 'KILLED',
};

export function alertWord(k: AlertKind): string {
  return ALERT_WORD[k] ?? String(k).toUpperCase();
}

export function stateWord(r: Run): string {
  return r.state.toUpperCase();
}

/** The state with a failed or stalled run's reason, in the same words everywhere: `FAILED OOM`,
 * `STALLED NCCL`, `FAILED ERROR` (a traceback), `RUNNING`. */
export function stateLabel(r: Pick<Run, 'state' | 'reason'>): string {
  const word = r.state.toUpperCase();
  if (r.reason === null || r.reason === 'stalled' || (r.state !== 'failed' && r.state !== 'stalled')) return word;
  return `${word} ${alertWord(r.reason)}`;
}

export function compactNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** A utilisation bar of `cols` cells: filled and empty parts, for `percent` 0-100. */
export function bar(percent: number | null, cols: number): [string, string] {
  if (cols <= 0) return ['', ''];
  const p = percent === null ? 0 : Math.max(0, Math.min(100, percent));
  const n = Math.round((p / 100) * cols);
  return ['█'.repeat(n), '░'.repeat(cols - n)];
}

export function gib(mib: number | null): string {
  if (mib === null) return '?';
  const g = mib / 1024;
  return g >= 10 ? String(Math.round(g)) : g.toFixed(1);
}

/** "A800" from "NVIDIA A800-SXM4-80GB", "RTX 4090" from "NVIDIA GeForce RTX 4090". */
export function shortGpuName(name: string | null): string {
  if (name === null) return 'GPU';
  const n = name.replace(/^NVIDIA\s+/i, '').replace(/^(GeForce|Tesla|Quadro)\s+/i, '');
  return n.split('-')[0]?.trim() || n;
}

// Small text formatters shared by the panes: sizes, ages, durations, state words, bars, sparklines.
import type { AlertKind, Run } from '../domain/types.js';

export function bytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${v} B`;
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** "45s", "5m", "3h", "2d" */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** "7h34m", "12m05s", "40s" */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h >= 24) return `${Math.floor(h / 24)}d${h % 24}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

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

const SPARK = ' ▁▂▃▄▅▆▇█';
export function sparkline(values: number[], cols: number): string {
  const v = values.slice(-Math.max(0, cols));
  return v.map((x) => SPARK[Math.max(0, Math.min(8, Math.round((x / 100) * 8)))] as string).join('');
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

// The human output of `rtk-tui ckpt`: a table and a summary line. Pure.
import type { CheckpointListing } from '../domain/types.js';
import { safeText } from '../parse/terminal.js';

/** The human table: name, step, size, age, formats; then count, total and free space. */
export function renderTable(l: CheckpointListing, now: number): string {
  const rows = l.checkpoints.map((c) => [
    safeText(c.name, 60),
    c.step === null ? '-' : String(c.step),
    humanBytes(c.sizeBytes),
    c.modifiedAt === null ? '-' : age(now - Date.parse(c.modifiedAt)),
    `${c.formats.length ? c.formats.join(',') : '-'}${c.writing === true ? '  (writing…)' : ''}`,
  ]);
  const head = ['NAME', 'STEP', 'SIZE', 'AGE', 'FORMATS'];
  const right = [false, true, true, true, false];
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const fmt = (r: string[]): string =>
    r
      .map((cell, k) => (k === r.length - 1 ? cell : right[k] ? cell.padStart(widths[k]!) : cell.padEnd(widths[k]!)))
      .join('  ')
      .trimEnd();
  const total = l.checkpoints.reduce((a, c) => a + c.sizeBytes, 0);
  const n = l.checkpoints.length;
  const dir = safeText(l.dir, 200);
  const summary = `${n} checkpoint${n === 1 ? '' : 's'}, ${humanBytes(total)} total, ${
    l.diskFreeBytes === null ? 'free space unknown' : `${humanBytes(l.diskFreeBytes)} free`
  } on ${dir}`;
  if (n === 0) return `no checkpoints in ${dir} (${l.diskFreeBytes === null ? 'free space unknown' : `${humanBytes(l.diskFreeBytes)} free`})\n`;
  return `${[fmt(head), ...rows.map(fmt)].join('\n')}\n${summary}\n`;
}

/** 1536 -> "1.5 KiB"; binary units like `ls -lh`. */
export function humanBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '-';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** Milliseconds -> "45 s ago", "3 min ago", "5 h ago", "2 d ago". */
export function age(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

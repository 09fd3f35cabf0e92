// GPUs pane: the selected run's host; one row per GPU (bar, memory, temperature, power), then the
// selected GPU's utilisation sparkline and processes with the run that owns each.
import type { Gpu } from '../../domain/types.js';
import { gpuHostOf, hostView } from '../../store/selectors.js';
import { bar, gib, shortGpuName, sparkline } from '../format.js';
import { RowBuilder, textRow, type Row } from '../rows.js';
import { notice, padRows, type PaneCtx, type PaneOut } from './pane.js';

export function gpusPane(c: PaneCtx): PaneOut {
  const { host, report } = gpuHostOf(c.s);
  let title = host === null ? 'GPUs' : `GPUs · ${host}`;
  if (host !== null) {
    const hv = hostView(c.s, host);
    if (hv.stale) title += hv.staleSeconds !== null ? ` · stale ${hv.staleSeconds}s` : ' · stale';
  }
  if (host === null || report === null) return { title, rows: notice(c, host === null ? 'no host' : `waiting for nvidia-smi on ${host}…`) };
  if (report.status === 'no-gpu') return { title, rows: notice(c, `no GPUs on ${host} (no nvidia-smi)`) };
  if (report.status === 'unreachable' && report.gpus.length === 0) return { title, rows: notice(c, `${host} unreachable`) };
  if (report.status === 'error' && report.gpus.length === 0) return { title, rows: notice(c, `nvidia-smi failed: ${report.error ?? 'unknown error'}`) };
  if (report.gpus.length === 0) return { title, rows: notice(c, 'no GPUs reported') };

  const sel = Math.min(c.s.selectedGpu, report.gpus.length - 1);
  const rows: Row[] = [];
  if (report.status === 'error') rows.push(textRow(` nvidia-smi: ${report.error ?? 'error'} (last values shown)`, c.w, 'warn'));
  if (report.status === 'unreachable') rows.push(textRow(` ${host} not reached: last values shown`, c.w, 'warn'));
  const room = c.h - rows.length;
  // GPU rows first; the details take what is left
  const gpuRows = Math.min(report.gpus.length, room);
  const start = Math.max(0, Math.min(report.gpus.length - gpuRows, sel - gpuRows + 1));
  for (let i = start; i < start + gpuRows; i++) rows.push(gpuRow(report.gpus[i] as Gpu, c.w, i === sel && report.gpus.length > 1));
  const g = report.gpus[sel] as Gpu;
  const left = c.h - rows.length;
  if (left > 0) {
    const hist = c.s.gpuHistory[`${report.name}#${g.index}`] ?? [];
    const label = ` GPU ${g.index} util `;
    rows.push(new RowBuilder(c.w).add(label, 'dim').add(sparkline(hist, c.w - label.length), 'bar').row());
  }
  for (const p of g.processes) {
    if (rows.length >= c.h) break;
    const mem = p.usedMemoryMiB === null ? '' : `${gib(p.usedMemoryMiB)}G`;
    // the owning run first: it is what the row is for; the process name goes last, cut first
    rows.push(
      new RowBuilder(c.w)
        .add(`  ${p.pid} `)
        .add(p.run ?? '(no run)', p.run === null ? 'dim' : 'accent')
        .add(` ${mem} ${p.name ?? '?'}`)
        .row(),
    );
  }
  if (g.processes.length === 0 && rows.length < c.h) rows.push(textRow('  no processes', c.w, 'dim'));
  return { title, rows: padRows(rows, c) };
}

function gpuRow(g: Gpu, w: number, selected: boolean): Row {
  const util = g.utilizationPercent;
  const left = `${selected ? '›' : ' '}${g.index} ${shortGpuName(g.name)} ${util === null ? '  ?%' : `${String(util).padStart(3)}%`} `;
  const mem = `${gib(g.memoryUsedMiB)}/${gib(g.memoryTotalMiB)}G`;
  const temp = g.temperatureC === null ? '' : `${g.temperatureC}C`;
  const power = g.powerW === null ? '' : `${Math.round(g.powerW)}W`;
  let right = [mem, temp, power].filter((x) => x !== '');
  // the bar gives way first, then power, then temperature
  while (right.length > 1 && w - left.length - right.join(' ').length - 1 < 4) right = right.slice(0, -1);
  const tail = ` ${right.join(' ')}`;
  const barW = Math.max(0, Math.min(20, w - left.length - tail.length));
  const [on, off] = bar(util, barW);
  const hot = (util ?? 0) >= 90 ? 'ok' : undefined;
  return new RowBuilder(w)
    .add(left, selected ? 'sel' : undefined)
    .add(on, hot ?? 'bar')
    .add(off, 'dim')
    .add(tail)
    .row();
}

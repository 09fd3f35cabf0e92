// GPUs pane: the selected run's host; one row per GPU (bar, memory, temperature, power), each with its
// utilisation history and processes (the run that owns each) when there is room, else the selected
// GPU's. Zoomed, the selected GPU's charts and process table (gpus-zoom.ts).
import type { Gpu } from '../../domain/types.js';
import { historyKey, utilValues } from '../../store/gpu-history.js';
import { gpuHostOf, hostView } from '../../store/selectors.js';
import { sparkline } from '../chart.js';
import { bar, gib, shortGpuName } from '../format.js';
import { RowBuilder, textRow, type Row } from '../rows.js';
import { gpuZoomRows } from './gpus-zoom.js';
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
  if (report.status === 'unreachable' && report.gpus.length === 0) return { title, rows: notice(c, `${host} not reached (H for why)`) };
  if (report.status === 'error' && report.gpus.length === 0) return { title, rows: notice(c, `nvidia-smi failed: ${report.error ?? 'unknown error'}`) };
  if (report.gpus.length === 0) return { title, rows: notice(c, 'no GPUs reported') };

  const sel = Math.min(c.s.selectedGpu, report.gpus.length - 1);
  const rows: Row[] = [];
  if (report.status === 'error') rows.push(textRow(` nvidia-smi: ${report.error ?? 'error'} (last values shown)`, c.w, 'warn'));
  if (report.status === 'unreachable') rows.push(textRow(` ${host} not reached: last values shown`, c.w, 'warn'));
  if (c.s.zoom && c.s.focus === 'gpus') return { title: `${title} · o sort, Enter its run`, rows: gpuZoomRows(c, report, rows) };
  const room = c.h - rows.length;
  const multi = report.gpus.length > 1;
  const hist = (g: Gpu): number[] => utilValues(c.s.gpuHistory[historyKey(report.name, g.index)]);
  // room for every GPU with its utilisation history and its processes (a zoomed pane, a tall
  // terminal, a small host): all of it, nothing left empty
  const whole = report.gpus.reduce((n, g) => n + 2 + Math.max(1, g.processes.length), 0);
  if (whole <= room) {
    report.gpus.forEach((g, i) => {
      rows.push(gpuRow(g, c.w, i === sel && multi));
      rows.push(sparkRow(g, hist(g), c.w, '   util '));
      rows.push(...processRows(g, c.w, '   '));
    });
    return { title, rows: padRows(rows, c) };
  }
  // GPU rows (scrolled to the selected one), then the selected GPU's history and processes: a third
  // of the rows at least when the GPUs do not all fit with them
  const g = report.gpus[sel] as Gpu;
  const detail = 1 + Math.max(1, g.processes.length);
  const n = report.gpus.length;
  const gpuRows = n + detail <= room ? n : Math.max(1, Math.min(n, room - Math.min(detail, Math.floor(room / 3))));
  const start = Math.max(0, Math.min(n - gpuRows, sel - gpuRows + 1));
  for (let i = start; i < start + gpuRows; i++) rows.push(gpuRow(report.gpus[i] as Gpu, c.w, i === sel && multi));
  if (rows.length < c.h) rows.push(sparkRow(g, hist(g), c.w, ` GPU ${g.index} util `));
  rows.push(...processRows(g, c.w, '  ').slice(0, Math.max(0, c.h - rows.length)));
  return { title, rows: padRows(rows, c) };
}

function sparkRow(g: Gpu, hist: number[], w: number, label: string): Row {
  return new RowBuilder(w).add(label, 'dim').add(sparkline(hist, w - label.length, [0, 100]), 'bar').row();
}

/** One row per process: the owning run first (it is what the row is for), the name last, cut first. */
function processRows(g: Gpu, w: number, indent: string): Row[] {
  if (g.processes.length === 0) return [textRow(`${indent}no processes`, w, 'dim')];
  return g.processes.map((p) => {
    const mem = p.usedMemoryMiB === null ? '' : `${gib(p.usedMemoryMiB)}G`;
    return new RowBuilder(w)
      .add(`${indent}${p.pid} `)
      .add(p.run ?? '(no run)', p.run === null ? 'dim' : 'accent')
      .add(` ${mem} ${p.name ?? '?'}`)
      .row();
  });
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
  const barW = Math.max(0, Math.min(Math.max(20, Math.floor(w / 3)), w - left.length - tail.length));
  const [on, off] = bar(util, barW);
  const hot = (util ?? 0) >= 90 ? 'ok' : undefined;
  return new RowBuilder(w)
    .add(left, selected ? 'sel' : undefined)
    .add(on, hot ?? 'bar')
    .add(off, 'dim')
    .add(tail)
    .row();
}

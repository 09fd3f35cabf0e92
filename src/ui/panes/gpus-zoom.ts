// The GPU pane zoomed (z), nvitop-like: the selected GPU's figures on one row, braille charts of its
// utilisation, memory and power over the kept history, then its process table (user, pid, run, GPU
// memory, CPU %, RSS, elapsed time, command line), sorted by `o`, a row selected by j/k; Enter
// selects that process's run.
import type { Gpu, GpuHostReport, GpuProcess } from '../../domain/types.js';
import { series, historyKey, type GpuHistory, type GpuSample } from '../../store/gpu-history.js';
import { sortedProcesses } from '../../store/reduce-gpus.js';
import { brailleChart } from '../chart.js';
import { duration, gib, shortGpuName } from '../format.js';
import { RowBuilder, textRow, type Row } from '../rows.js';
import { fitRight } from '../text.js';
import { padRows, type PaneCtx } from './pane.js';

interface Chart {
  title: string;
  pick: (s: GpuSample) => number | null;
  yFormat: (v: number) => string;
  yMin: number;
  yMax?: number;
}

/** Rows of the zoomed view for one host's report (status lines already decided by the caller). */
export function gpuZoomRows(c: PaneCtx, report: GpuHostReport, head: Row[]): Row[] {
  const n = report.gpus.length;
  const sel = Math.min(c.s.selectedGpu, n - 1);
  const g = report.gpus[sel] as Gpu;
  const hist = c.s.gpuHistory[historyKey(report.name, g.index)];
  const rows: Row[] = [...head, gpuLine(g, sel, n, c.w)];
  const procs = sortedProcesses(g, c.s.gpuView.sort);
  // the process table: its header and every process when it fits in half the pane, else a window
  const room = c.h - rows.length;
  const tableRows = Math.min(1 + Math.max(1, procs.length), Math.max(2, Math.floor(room / 2)));
  const chartRoom = room - tableRows;
  const charts: Chart[] = [
    { title: 'utilisation %', pick: (s) => s.util, yFormat: (v) => `${Math.round(v)}%`, yMin: 0, yMax: 100 },
    { title: 'memory used', pick: (s) => s.memMiB, yFormat: mib, yMin: 0, ...(g.memoryTotalMiB !== null ? { yMax: g.memoryTotalMiB } : {}) },
    { title: 'power', pick: (s) => s.powerW, yFormat: (v) => `${Math.round(v)}W`, yMin: 0, ...(g.powerLimitW !== null ? { yMax: g.powerLimitW } : {}) },
  ];
  // each chart takes a title row and 3 rows at least (2 of plot, the time axis): power goes first,
  // then memory, when the pane is short
  let shown = charts.length;
  while (shown > 0 && Math.floor(chartRoom / shown) < 4) shown--;
  for (let i = 0; i < shown; i++) {
    const h = Math.floor(chartRoom / shown) + (i < chartRoom % shown ? 1 : 0);
    rows.push(...chartRows(charts[i] as Chart, hist, c.s.now, c.w, h));
  }
  // a short pane still gets the utilisation, untitled: one row of dots and the time axis at least
  if (shown === 0 && chartRoom >= 2) rows.push(...chartRows(charts[0] as Chart, hist, c.s.now, c.w, chartRoom + 1).slice(1));
  rows.push(...processTable(procs, c, c.h - rows.length));
  return padRows(rows, c);
}

function gpuLine(g: Gpu, sel: number, n: number, w: number): Row {
  const parts = [
    g.utilizationPercent === null ? '?%' : `${g.utilizationPercent}%`,
    `${gib(g.memoryUsedMiB)}/${gib(g.memoryTotalMiB)}G`,
    g.temperatureC === null ? null : `${g.temperatureC}C`,
    g.powerW === null ? null : `${Math.round(g.powerW)}${g.powerLimitW === null ? '' : `/${Math.round(g.powerLimitW)}`}W`,
    g.smClockMHz === undefined || g.smClockMHz === null ? null : `SM ${g.smClockMHz} MHz`,
    g.memClockMHz === undefined || g.memClockMHz === null ? null : `mem ${g.memClockMHz} MHz`,
  ].filter((x) => x !== null);
  const where = n > 1 ? ` (${sel + 1}/${n}, h/l)` : '';
  return new RowBuilder(w).add(`›GPU ${g.index} ${shortGpuName(g.name)}`, 'sel').add(` ${parts.join(' · ')}`).add(where, 'dim').row();
}

/** 900M, 1.5G, 68G: MiB under a GiB, else GiB. */
function mib(v: number): string {
  return v < 1024 ? `${Math.round(v)}M` : `${gib(v)}G`;
}

/** "now", "-5m", "-1h20m": how long before the newest sample. */
function ago(now: number, x: number): string {
  const s = Math.round((now - x) / 1000);
  if (s < 5) return 'now';
  if (s < 60) return `-${s}s`;
  if (s < 3600) return `-${Math.round(s / 60)}m`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return m === 0 ? `-${h}h` : `-${h}h${m}m`;
}

function chartRows(ch: Chart, hist: GpuHistory | undefined, now: number, w: number, h: number): Row[] {
  const pts = series(hist, ch.pick);
  const first = pts[0];
  const back = first === undefined ? 'now' : ago(now, first[0]);
  const span = back === 'now' ? '' : ` · ${back.replace(/^-/, 'last ')}`;
  const out: Row[] = [textRow(` ${ch.title}${span}`, w, 'dim')];
  const lines = brailleChart(pts, { width: w, height: h - 1, yFormat: ch.yFormat, xLabel: (x) => ago(now, x), yMin: ch.yMin, ...(ch.yMax !== undefined ? { yMax: ch.yMax } : {}) });
  lines.forEach((l, i) => out.push(i < lines.length - 1 ? new RowBuilder(w).add(l, 'bar').row() : textRow(l, w, 'dim')));
  return out;
}

const COLS: { head: string; w: number; cell: (p: GpuProcess) => string }[] = [
  { head: 'PID', w: 8, cell: (p) => String(p.pid) },
  { head: 'USER', w: 9, cell: (p) => p.user ?? '?' },
  { head: 'GPU-MEM', w: 8, cell: (p) => (p.usedMemoryMiB === null ? '?' : mib(p.usedMemoryMiB)) },
  { head: 'CPU%', w: 6, cell: (p) => (p.cpuPercent === null || p.cpuPercent === undefined ? '?' : p.cpuPercent.toFixed(p.cpuPercent >= 100 ? 0 : 1)) },
  { head: 'RSS', w: 7, cell: (p) => (p.rssMiB === null || p.rssMiB === undefined ? '?' : mib(p.rssMiB)) },
  { head: 'TIME', w: 8, cell: (p) => (p.elapsedSeconds === null || p.elapsedSeconds === undefined ? '?' : duration(p.elapsedSeconds)) },
];

function processTable(procs: GpuProcess[], c: PaneCtx, h: number): Row[] {
  if (h <= 0) return [];
  const sortCol = c.s.gpuView.sort;
  const mark = (head: string): string => {
    const key = { PID: 'pid', USER: 'user', 'GPU-MEM': 'memory', 'CPU%': 'cpu', RSS: 'rss', TIME: 'time', RUN: 'run' }[head];
    return key === sortCol ? `${head}▼` : head;
  };
  // columns give way from the right when the pane is narrow; the run and the command share the rest
  const runW = Math.min(24, Math.max(8, ...procs.map((p) => (p.run ?? '(no run)').length + 1)));
  let cols = COLS;
  while (cols.length > 2 && cols.reduce((a, x) => a + x.w, 0) + runW + 12 > c.w) cols = cols.slice(0, -1);
  const head = new RowBuilder(c.w).add(' ');
  cols.forEach((x, i) => head.add(i === 1 ? ` ${mark(x.head).padEnd(x.w - 1)}` : fitRight(mark(x.head), x.w)));
  head.add(` ${mark('RUN').padEnd(runW - 1)}`).add(' COMMAND');
  const out: Row[] = [new RowBuilder(c.w).add(head.row().map((s) => s.t).join(''), 'dim').row()];
  if (procs.length === 0) return [...out, textRow('  no processes on this GPU', c.w, 'dim')].slice(0, h);
  const sel = Math.min(c.s.gpuView.proc, procs.length - 1);
  const body = h - 1;
  const start = Math.max(0, Math.min(procs.length - body, sel - Math.floor(body / 2)));
  for (let i = start; i < Math.min(procs.length, start + body); i++) {
    const p = procs[i] as GpuProcess;
    const on = i === sel && c.focused;
    const b = new RowBuilder(c.w).add(on ? '›' : ' ', on ? 'sel' : undefined);
    cols.forEach((x, j) => b.add(j === 1 ? ` ${(x.cell(p).length >= x.w ? `${x.cell(p).slice(0, x.w - 2)}+` : x.cell(p)).padEnd(x.w - 1)}` : fitRight(x.cell(p), x.w), on ? 'sel' : undefined));
    const run = p.run ?? '(no run)';
    b.add(` ${run.length >= runW ? `${run.slice(0, runW - 2)}…` : run.padEnd(runW - 1)}`, p.run === null ? 'dim' : 'accent');
    b.add(` ${p.command ?? p.name ?? '?'}`);
    out.push(b.row());
  }
  return out;
}

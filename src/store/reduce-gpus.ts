// The GPU pane's keys. Unzoomed, j/k move between GPUs. Zoomed (the nvitop-like view), j/k walk
// the selected GPU's process table and go on to the next or previous GPU at its ends, h/l jump
// between GPUs, `o` cycles the sort column, and Enter selects the process's run, as the runs pane
// would. Pure.
import type { Gpu, GpuProcess } from '../domain/types.js';
import { gpuHostOf, visibleRuns } from './selectors.js';
import type { State } from './state.js';

export const GPU_SORTS = ['memory', 'cpu', 'rss', 'time', 'pid', 'user', 'run'] as const;
export type GpuSort = (typeof GPU_SORTS)[number];

export interface GpuView {
  /** Row of the zoomed process table, in sorted order. */
  proc: number;
  sort: GpuSort;
}

const num = (v: number | null | undefined): number => (v === null || v === undefined || !Number.isFinite(v) ? -Infinity : v);
const str = (v: string | null | undefined): string => v ?? '\uffff';

/** A GPU's processes in the zoomed table's order: biggest first for numbers, A-Z for words, then pid. */
export function sortedProcesses(g: Gpu, sort: GpuSort): GpuProcess[] {
  const by: Record<GpuSort, (a: GpuProcess, b: GpuProcess) => number> = {
    memory: (a, b) => num(b.usedMemoryMiB) - num(a.usedMemoryMiB),
    cpu: (a, b) => num(b.cpuPercent) - num(a.cpuPercent),
    rss: (a, b) => num(b.rssMiB) - num(a.rssMiB),
    time: (a, b) => num(b.elapsedSeconds) - num(a.elapsedSeconds),
    pid: () => 0,
    user: (a, b) => str(a.user).localeCompare(str(b.user)),
    run: (a, b) => str(a.run).localeCompare(str(b.run)),
  };
  return [...g.processes].sort((a, b) => by[sort](a, b) || a.pid - b.pid);
}

/** The selected GPU (clamped) of the pane's host. */
export function selectedGpuOf(s: State): Gpu | null {
  const gpus = gpuHostOf(s).report?.gpus ?? [];
  return gpus[Math.min(s.selectedGpu, gpus.length - 1)] ?? null;
}

export function gpusCommand(s: State, id: string, select: (s: State, runId: string) => State): State | null {
  if (!id.startsWith('gpus.')) return null;
  const gpus = gpuHostOf(s).report?.gpus ?? [];
  const n = gpus.length;
  const zoomed = s.zoom && s.focus === 'gpus';
  const gpu = Math.min(s.selectedGpu, Math.max(0, n - 1));
  const procs = (i: number): number => (gpus[i] as Gpu | undefined)?.processes.length ?? 0;
  const to = (i: number, proc: number): State => ({ ...s, selectedGpu: i, gpuView: { ...s.gpuView, proc } });
  switch (id) {
    case 'gpus.down':
    case 'gpus.up': {
      if (n === 0) return s;
      const d = id === 'gpus.down' ? 1 : -1;
      if (!zoomed) return to(Math.max(0, Math.min(n - 1, gpu + d)), 0);
      const p = Math.min(s.gpuView.proc, Math.max(0, procs(gpu) - 1)) + d;
      if (p >= 0 && p < procs(gpu)) return to(gpu, p);
      // past the table's end: the next GPU's first process (or the previous one's last)
      const j = gpu + d;
      if (j < 0 || j >= n) return s;
      return to(j, d > 0 ? 0 : Math.max(0, procs(j) - 1));
    }
    case 'gpus.next':
    case 'gpus.prev':
      if (n === 0) return s;
      return to(Math.max(0, Math.min(n - 1, gpu + (id === 'gpus.next' ? 1 : -1))), 0);
    case 'gpus.sort':
    case 'gpus.select':
      // the process table (and its cursor) is on screen only zoomed
      if (!zoomed) return { ...s, message: { text: 'zoom the GPU pane (z) to sort or pick its processes', level: 'info', at: s.now } };
      return id === 'gpus.sort' ? sortBy(s) : pick(s, gpus[gpu], select);
    default:
      return null;
  }
}

function sortBy(s: State): State {
  const sort = GPU_SORTS[(GPU_SORTS.indexOf(s.gpuView.sort) + 1) % GPU_SORTS.length] as GpuSort;
  return { ...s, gpuView: { proc: 0, sort }, message: { text: `processes sorted by ${sort}`, level: 'info', at: s.now } };
}

/** Enter on a process: its run selected, as the runs pane would (log, checkpoints follow). */
function pick(s: State, g: Gpu | undefined, select: (s: State, runId: string) => State): State {
  const p = g === undefined ? undefined : sortedProcesses(g, s.gpuView.sort)[Math.min(s.gpuView.proc, g.processes.length - 1)];
  const warn = (text: string): State => ({ ...s, message: { text, level: 'warn', at: s.now } });
  if (p === undefined) return warn('no process on this GPU');
  if (p.run === null) return warn(`pid ${p.pid} is not in any run's tmux session`);
  if (!visibleRuns(s).some((r) => r.id === p.run)) return warn(`${p.run} is not in the runs list${s.runsFilter !== '' ? ' (the filter hides it: Esc in the runs pane clears it)' : ''}`);
  // the run is on this host: the view stays on this GPU and this process
  return { ...select(s, p.run), selectedGpu: s.selectedGpu, gpuView: s.gpuView };
}

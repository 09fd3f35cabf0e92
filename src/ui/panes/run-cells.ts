// Cells of the runs table that need more than one field: the GPUs a run holds (from the GPU reports'
// processes mapped to runs) and its loss trend (a sparkline of Run.lossHistory).
import type { Run } from '../../domain/types.js';
import type { State } from '../../store/state.js';
import { sparkline } from '../chart.js';

/** Loss values in the trend: enough to see a direction, few enough for a narrow pane. */
export const TREND_N = 8;

/**
 * GPU indices as a short list: runs of three or more become ranges (`0-7`, `0,2-4,7`), two stay a
 * pair (`0,1`), the way CUDA_VISIBLE_DEVICES and nvidia-smi -i read them.
 */
export function gpuIndexList(indices: Iterable<number>): string {
  const xs = [...new Set(indices)].filter((i) => Number.isInteger(i) && i >= 0).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && (xs[j + 1] as number) === (xs[j] as number) + 1) j++;
    if (j - i >= 2) parts.push(`${xs[i]}-${xs[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(xs[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/** Each run's GPUs, by run id: the GPUs where one of its processes runs, on the run's own host. */
export function gpusByRun(s: State): Map<string, string> {
  const found = new Map<string, Set<number>>();
  for (const [host, report] of Object.entries(s.gpus)) {
    for (const g of report.gpus) {
      for (const p of g.processes) {
        // a run id names its host: a report never speaks for another host's runs
        if (p.run === null || !p.run.startsWith(`${host}:`)) continue;
        let set = found.get(p.run);
        if (set === undefined) found.set(p.run, (set = new Set()));
        set.add(g.index);
      }
    }
  }
  const out = new Map<string, string>();
  for (const [id, set] of found) {
    const text = gpuIndexList(set);
    if (text !== '') out.set(id, text);
  }
  return out;
}

/**
 * The last `n` losses as a sparkline scaled between their own low and high (▁ lowest, █ highest; a
 * flat loss is a flat ▄ line): the direction matters here, the value is in the column beside it.
 * '' with fewer than two values.
 */
export function lossTrend(run: Pick<Run, 'lossHistory'>, n = TREND_N): string {
  const h = run.lossHistory;
  if (!Array.isArray(h)) return '';
  const v = h.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).slice(-n);
  if (v.length < 2) return '';
  // scaled between its own low and high; a flat series sits at the middle
  return sparkline(v, v.length);
}

// Per-GPU history for the GPU pane's sparkline and the zoomed charts: every sample of the last hour
// (bounded by a count too, for a fast sampler), older ones merged into minute buckets, a day of
// those at most. Kept when a host drops and comes back (the reducer never removes a GPU's history).
// Pure: each push returns a new history and leaves the old one as it was.
import type { GpuHostReport } from '../domain/types.js';

export interface GpuSample {
  /** ms since the epoch (the store's clock when the sample arrived) */
  t: number;
  util: number | null;
  memMiB: number | null;
  powerW: number | null;
}

/** A minute bucket: the mean of the samples merged into it, `n` of them, `t` the first one's time. */
export interface GpuBucket extends GpuSample {
  n: number;
}

export interface GpuHistory {
  /** Minute buckets older than the fine window, oldest first. */
  coarse: readonly GpuBucket[];
  /** The last FINE_MS of samples, oldest first. */
  fine: readonly GpuSample[];
}

export const FINE_MS = 3600_000;
export const BUCKET_MS = 60_000;
/** A day of minute buckets. */
export const COARSE_MAX = 1440;
/** Samples kept in the fine window at most: an hour at 1 Hz (the monitor samples every 2 s). */
export const FINE_MAX = 3600;

export const EMPTY_HISTORY: GpuHistory = { coarse: [], fine: [] };

function mean(a: number | null, an: number, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return (a * an + b) / (an + 1);
}

function merge(coarse: GpuBucket[], s: GpuSample): void {
  const last = coarse[coarse.length - 1];
  if (last !== undefined && Math.floor(last.t / BUCKET_MS) === Math.floor(s.t / BUCKET_MS)) {
    coarse[coarse.length - 1] = { t: last.t, util: mean(last.util, last.n, s.util), memMiB: mean(last.memMiB, last.n, s.memMiB), powerW: mean(last.powerW, last.n, s.powerW), n: last.n + 1 };
  } else coarse.push({ ...s, n: 1 });
}

/** The history with one more sample; samples leaving the hour (or past maxFine) go to the buckets. */
export function pushSample(h: GpuHistory, sample: GpuSample, maxFine = FINE_MAX): GpuHistory {
  const prev = h.fine[h.fine.length - 1];
  // x must not go back (a clock stepped back): the chart wants its points in order
  const s = prev !== undefined && !(sample.t >= prev.t) ? { ...sample, t: prev.t } : sample;
  const limit = Math.max(1, maxFine);
  let drop = 0;
  while (drop < h.fine.length && (h.fine.length + 1 - drop > limit || (h.fine[drop] as GpuSample).t < s.t - FINE_MS)) drop++;
  if (drop === 0) return { coarse: h.coarse, fine: [...h.fine, s] };
  const coarse = [...h.coarse];
  for (let i = 0; i < drop; i++) merge(coarse, h.fine[i] as GpuSample);
  return { coarse: coarse.length > COARSE_MAX ? coarse.slice(coarse.length - COARSE_MAX) : coarse, fine: [...h.fine.slice(drop), s] };
}

export const historyKey = (host: string, index: number): string => `${host}#${index}`;

/** Every GPU of a fresh report gets its sample; other GPUs' histories are left as they were. */
export function recordReport(all: Readonly<Record<string, GpuHistory>>, r: GpuHostReport, now: number, maxFine = FINE_MAX): Record<string, GpuHistory> {
  const out = { ...all };
  for (const g of r.gpus) {
    if (g.utilizationPercent === null && g.memoryUsedMiB === null && g.powerW === null) continue;
    const k = historyKey(r.name, g.index);
    out[k] = pushSample(out[k] ?? EMPTY_HISTORY, { t: now, util: g.utilizationPercent, memMiB: g.memoryUsedMiB, powerW: g.powerW }, maxFine);
  }
  return out;
}

/** Utilisation of the fine window, oldest first (NaN where a sample had none), for a sparkline. */
export function utilValues(h: GpuHistory | undefined): number[] {
  return h === undefined ? [] : h.fine.map((s) => s.util ?? NaN);
}

/** [time ms, value] of the whole history, buckets then samples, for a chart; nulls left out. */
export function series(h: GpuHistory | undefined, pick: (s: GpuSample) => number | null, sinceMs = -Infinity): [number, number][] {
  if (h === undefined) return [];
  const out: [number, number][] = [];
  for (const list of [h.coarse, h.fine])
    for (const s of list) {
      const v = pick(s);
      if (v !== null && s.t >= sinceMs) out.push([s.t, v]);
    }
  return out;
}

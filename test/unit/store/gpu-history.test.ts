// Per-GPU history (store/gpu-history.ts) and the 'gpus' event that feeds it.
import { describe, expect, it } from 'vitest';
import type { GpuHostReport } from '../../../src/domain/types.js';
import { BUCKET_MS, COARSE_MAX, EMPTY_HISTORY, FINE_MS, pushSample, series, utilValues, type GpuHistory } from '../../../src/store/gpu-history.js';
import { emptyFixture } from '../../ui/fixture-store.js';

const sample = (t: number, util: number | null) => ({ t, util, memMiB: util === null ? null : util * 10, powerW: 100 });
const report = (name: string, status: GpuHostReport['status'], util: number | null): GpuHostReport => ({
  name,
  status,
  error: null,
  driver: null,
  gpus:
    util === null
      ? []
      : [{ index: 0, name: null, uuid: null, utilizationPercent: util, memoryUsedMiB: 1000, memoryTotalMiB: 2000, temperatureC: null, powerW: 50, powerLimitW: null, processes: [] }],
});

describe('GPU history', () => {
  it('keeps the last hour sample by sample, then minute buckets holding the mean', () => {
    let h: GpuHistory = EMPTY_HISTORY;
    // 2 hours at one sample every 2 s
    for (let t = 0; t <= 2 * FINE_MS; t += 2000) h = pushSample(h, sample(t, (t / 2000) % 2 === 0 ? 0 : 100));
    expect(h.fine[0]?.t).toBe(FINE_MS);
    expect(h.fine).toHaveLength(FINE_MS / 2000 + 1);
    expect(h.coarse).toHaveLength(FINE_MS / BUCKET_MS);
    expect(h.coarse.every((b) => b.n === 30 && Math.abs((b.util as number) - 50) < 1e-9)).toBe(true);
    const pts = series(h, (s) => s.util);
    expect(pts).toHaveLength(h.coarse.length + h.fine.length);
    expect(pts.every((p, i) => i === 0 || p[0] >= (pts[i - 1] as [number, number])[0])).toBe(true);
  });

  it('is bounded: a fast sampler by count, a long one to a day of buckets', () => {
    let h: GpuHistory = EMPTY_HISTORY;
    for (let i = 0; i < 500; i++) h = pushSample(h, sample(i, 1), 100);
    expect(h.fine).toHaveLength(100);
    let g: GpuHistory = EMPTY_HISTORY;
    for (let t = 0; t < 30 * 3600_000; t += 30_000) g = pushSample(g, sample(t, 1));
    expect(g.coarse.length).toBe(COARSE_MAX);
  });

  it('keeps time going forward when the clock steps back, and leaves the old history untouched', () => {
    const a = pushSample(pushSample(EMPTY_HISTORY, sample(5000, 1)), sample(9000, 2));
    const b = pushSample(a, sample(1000, 3));
    expect(b.fine.map((s) => s.t)).toEqual([5000, 9000, 9000]);
    expect(a.fine).toHaveLength(2);
    expect(utilValues(pushSample(a, sample(9500, null)))).toEqual([1, 2, NaN]);
  });

  it('records each fresh report, not the last values shown again for a dropped host, and keeps them across the drop', () => {
    const f = emptyFixture();
    for (const u of [10, 20]) {
      f.store.dispatch({ type: 'gpus', report: report('h', 'ok', u) });
      f.settle(2000);
    }
    f.store.dispatch({ type: 'gpus', report: report('h', 'unreachable', null) });
    f.settle(60_000);
    let s = f.store.getState();
    expect(s.gpus.h?.gpus).toHaveLength(1); // last values on screen
    expect(utilValues(s.gpuHistory['h#0'])).toEqual([10, 20]);
    f.store.dispatch({ type: 'gpus', report: report('h', 'ok', 30) });
    s = f.store.getState();
    const h = s.gpuHistory['h#0'];
    expect(utilValues(h)).toEqual([10, 20, 30]);
    expect(series(h, (x) => x.memMiB).map((p) => p[1])).toEqual([1000, 1000, 1000]);
    expect(series(h, (x) => x.powerW)[2]?.[0]).toBe(s.now);
  });
});

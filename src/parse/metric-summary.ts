// What the run card's metrics table says about each series: latest, best (and at which step) and
// the trend of the last points. Pure.
import type { MetricSummary, RunRate, SeriesPoint } from '../domain/run-card.js';

/** Lower is better: losses, perplexities, error rates. */
const LOWER = /loss|perplexity|(^|[_/ -])ppl($|[_/ -])|error|(^|[_/ -])(w|c)er($|[_/ -])|mse|mae|rmse/i;
/** Higher is better: accuracies and scores. */
const HIGHER = /acc|f1|bleu|rouge|auc|score|precision|recall|(^|[_/ -])map($|[_/ -])|exact|reward|win[_ -]?rate/i;

export function betterOf(key: string): 'lower' | 'higher' | null {
  if (LOWER.test(key)) return 'lower';
  if (HIGHER.test(key)) return 'higher';
  return null;
}

/**
 * Trend of the run's recent part: the change of a least-squares line over the points in the last
 * `share` of the steps (by step, not by count: a downsampled series is denser in some places than in
 * others), against their level and spread.
 */
export function trendOf(points: readonly SeriesPoint[], share = 0.1): MetricSummary['trend'] {
  const finite = points.filter(([, v]) => Number.isFinite(v));
  if (finite.length < 3) return null;
  const x0 = finite[0]![0];
  const x1 = finite[finite.length - 1]![0];
  const from = x1 - (x1 - x0) * share;
  let p = finite.filter(([x]) => x >= from);
  if (p.length < 3) p = finite.slice(-3);
  const n = p.length;
  const mx = p.reduce((a, [x]) => a + x, 0) / n;
  const my = p.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of p) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  if (sxx === 0) return 'flat';
  const change = (sxy / sxx) * (p[n - 1]![0] - p[0]![0]);
  const scale = Math.max(Math.abs(my), ...p.map(([, y]) => Math.abs(y - my)), 1e-12);
  if (Math.abs(change) < 0.01 * scale) return 'flat';
  return change < 0 ? 'down' : 'up';
}

export function summarize(series: Record<string, readonly SeriesPoint[]>): MetricSummary[] {
  const out: MetricSummary[] = [];
  for (const [key, points] of Object.entries(series)) {
    const finite = points.filter(([, v]) => Number.isFinite(v));
    const last = finite[finite.length - 1];
    if (last === undefined) continue;
    const way = betterOf(key);
    let best: SeriesPoint | null = null;
    if (way !== null) for (const p of finite) if (best === null || (way === 'lower' ? p[1] < best[1] : p[1] > best[1])) best = p;
    out.push({ key, latest: last[1], latestStep: last[0], best: best?.[1] ?? null, bestStep: best?.[0] ?? null, trend: trendOf(finite) });
  }
  return out.sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));
}

/** Training loss first, then evaluation loss, learning rate, grad norm, the rest. */
function rank(key: string): number {
  const k = key.toLowerCase();
  if (/^(train[_/ -]?)?loss$/.test(k) || k === 'lm loss' || k === 'lm_loss') return 0;
  if (/loss/.test(k) && /^(eval|val|valid|validation|test)/.test(k)) return 1;
  if (/loss/.test(k)) return 2;
  if (/^(lr|learning[_ ]rate)/.test(k)) return 3;
  if (/grad/.test(k)) return 4;
  return 5;
}

/** The run's rate from the latest values of its series: it/s, samples/s, tokens/s, as the log says them. */
export function rateOf(series: Record<string, readonly SeriesPoint[]>): RunRate | null {
  const latest = (re: RegExp): number | null => {
    for (const [k, pts] of Object.entries(series)) {
      if (!re.test(k)) continue;
      const v = pts[pts.length - 1]?.[1];
      if (v !== undefined && Number.isFinite(v) && v > 0) return v;
    }
    return null;
  };
  const r = {
    itPerSec: latest(/^(it_per_sec|its?\/s|it_s|steps?_per_sec(ond)?)$/i),
    samplesPerSec: latest(/samples?(_per_sec(ond)?|\/s(ec)?|_s)$/i),
    tokensPerSec: latest(/(tokens?|toks?)(_per_sec(ond)?|\/s(ec)?|_s|ps)$/i),
  };
  return r.itPerSec === null && r.samplesPerSec === null && r.tokensPerSec === null ? null : r;
}

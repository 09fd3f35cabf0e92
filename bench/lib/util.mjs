// Shared bench helpers (not a figure: bench/run.mjs only runs bench/figures/*.mjs).
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (v, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

export function row(figure, value, unit, baseline = null, extra = {}) {
  return {
    figure,
    value: round(value),
    unit,
    baseline: baseline === null ? null : round(baseline),
    ratio: baseline === null || baseline === 0 ? null : round(value / baseline),
    ...extra,
  };
}

/** A ~100-character training-log line, different each time. */
export function logLine(i) {
  const loss = (1 / (i + 1)).toFixed(6);
  const s = `2026-11-23 12:${String(i % 60).padStart(2, '0')}:00 | iter ${i} | loss ${loss} | lr 0.0001 | grad_norm 0.873 | tok/s 51234 `;
  return s.length >= 100 ? s.slice(0, 100) : s + '.'.repeat(100 - s.length);
}

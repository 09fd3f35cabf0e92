// The monitor's run card view (`i`): the card's rows scrolled to the view's top, or what it waits for.
import { series } from '../store/gpu-history.js';
import type { CardView, State } from '../store/state.js';
import { cardRows } from './run-card.js';
import { textRow, type Row } from './rows.js';

/** The card's GPUs with the history this monitor has kept of them (the card itself has one sample). */
export function withGpuHistory(c: CardView, s: Pick<State, 'gpuHistory'>): CardView {
  if (c.data === null || c.data.gpus.length === 0) return c;
  const gpus = c.data.gpus.map((g) => {
    const h = s.gpuHistory[`${c.host}#${g.index}`];
    if (h === undefined) return g;
    const sec = (pts: [number, number][]): [number, number][] => pts.map(([t, v]) => [Math.round(t / 1000), v]);
    return { ...g, utilizationHistory: sec(series(h, (x) => x.util)), memoryHistory: sec(series(h, (x) => x.memMiB)) };
  });
  return { ...c, data: { ...c.data, gpus } };
}

export function cardViewTitle(c: CardView): string {
  return `Run card · ${c.runId}`;
}

/** Exactly h rows of w cells; the last one says the keys. */
export function cardViewRows(c: CardView, w: number, h: number, now: number): Row[] {
  const body = h - 1;
  let rows: Row[];
  if (c.data === null) rows = [textRow(` ${c.error ?? c.loading ?? 'reading…'}`, w, c.error ? 'err' : 'dim')];
  else {
    rows = cardRows(c.data, { w, h: body, now, log: c.log });
    if (c.loading) rows.unshift(textRow(` ${c.loading}`, w, 'dim'));
    if (c.error) rows.unshift(textRow(` ${c.error} (last values shown)`, w, 'warn'));
  }
  const top = Math.max(0, Math.min(c.top, rows.length - body));
  const out = rows.slice(top, top + body);
  while (out.length < body) out.push(textRow('', w));
  // what is below comes first: on a narrow screen the keys' end gives way
  const more = rows.length > top + body ? `j/k scroll (${rows.length - top - body} more rows) · ` : '';
  out.push(textRow(` ${more}a attach · p peek · K kill · l log · D pull newest · L log scale · r refresh · Esc close`, w, 'key'));
  return out;
}

// The monitor's run card view (`i`): the card's rows scrolled to the view's top, or what it waits for.
import type { CardView } from '../store/state.js';
import { cardRows } from './run-card.js';
import { textRow, type Row } from './rows.js';

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

// The events view (`e`): the recent events, newest first: time, kind, the sentence and the hint.
// The selected one is marked `›`; Enter selects its run. Pure: state in, rows out.
import type { RtkEvent } from '../events/types.js';
import { localStamp } from '../parse/units.js';
import type { State } from '../store/state.js';
import { RowBuilder, textRow, type Row } from './rows.js';
import type { Tok } from './theme.js';
import { wrapWords } from './text.js';

export const EVENTS_TITLE = 'Events (j/k choose · Enter select its run · Esc closes)';

const TOK: Partial<Record<RtkEvent['kind'], Tok>> = {
  'run.failed': 'err',
  'run.stalled': 'warn',
  'run.nan': 'warn',
  'gpu.idle': 'warn',
  'disk.low': 'warn',
  'host.lost': 'warn',
  'run.finished': 'ok',
  'run.resumed': 'ok',
  'host.back': 'ok',
};

/** "14:02:09" local time, or the date too when it is not today. */
function when(iso: string, now: number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso.slice(0, 19);
  const t = d.toTimeString().slice(0, 8);
  // another day: its local date too (month-day)
  return new Date(now).toDateString() === d.toDateString() ? t : localStamp(d).slice(5);
}

export function eventsRows(s: State, w: number, h: number): Row[] {
  if (s.events.length === 0) {
    return [
      textRow(' No events yet. Failures, stalls, NaN losses, idle GPUs, filling disks and lost hosts appear', w, 'dim'),
      textRow(' here as they happen (rtk-tui watch prints the same in a terminal or to a program).', w, 'dim'),
    ];
  }
  const sel = s.eventsView ?? 0;
  const blocks: Row[][] = [];
  let selStart = 0;
  let used = 0;
  // newest first; each event is its line and its hint (wrapped), and the window keeps the selected in view
  for (let i = 0; i < s.events.length; i++) {
    const e = s.events[s.events.length - 1 - i]!;
    const on = i === sel;
    const head = new RowBuilder(w)
      .add(on ? '› ' : '  ', on ? 'sel' : undefined)
      .add(`${when(e.time, s.now)}  `, 'dim')
      .add(e.kind.padEnd(15), TOK[e.kind])
      .add(e.message, on ? 'sel' : undefined)
      .row();
    const block = [head];
    if (e.hint) for (const piece of wrapWords(`hint: ${e.hint}`, Math.max(10, w - 12)).slice(0, 4)) block.push(new RowBuilder(w).add(' '.repeat(12)).add(piece, 'dim').row());
    if (i === sel) selStart = used;
    used += block.length;
    blocks.push(block);
    if (used > h + selStart + 4 && i > sel) break;
  }
  const all = blocks.flat();
  const top = Math.max(0, Math.min(selStart - Math.floor(h / 3), all.length - h));
  return all.slice(top, top + h);
}

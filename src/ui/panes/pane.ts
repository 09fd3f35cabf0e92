// What every pane builder receives and returns.
import type { LogBuffer } from '../../store/log-buffer.js';
import type { State } from '../../store/state.js';
import type { Row } from '../rows.js';
import { textRow } from '../rows.js';

export interface PaneCtx {
  s: State;
  /** Content size, inside the borders. */
  w: number;
  h: number;
  focused: boolean;
  /** Keep SGR colours of log lines. */
  color: boolean;
  log: (runId: string) => LogBuffer | undefined;
}

export interface PaneOut {
  /** Title text for the top border ("Log · a800:training · step ..."). */
  title: string;
  /** Exactly h rows of exactly w cells. */
  rows: Row[];
}

/** Pads a list of rows to h rows, or cuts it. */
export function padRows(rows: Row[], c: { w: number; h: number }): Row[] {
  const out = rows.slice(0, c.h);
  while (out.length < c.h) out.push(textRow('', c.w));
  return out;
}

/** A message in the pane's first row (empty states are text, never a blank pane). */
export function notice(c: { w: number; h: number }, text: string): Row[] {
  return padRows([textRow(` ${text}`, c.w, 'dim')], c);
}

/** First index of a window of h rows that keeps `sel` visible. */
export function windowStart(sel: number, count: number, h: number): number {
  if (count <= h || sel < 0) return 0;
  return Math.max(0, Math.min(count - h, sel - Math.floor(h / 2)));
}

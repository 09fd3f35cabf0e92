// Cuts the frame's rows into what Ink lays out cheaply. Ink 6 measures every <Text> on every frame
// with string-width, whose fast path is printable ASCII only; a full-width row always holds box
// characters, so each row took the slow (grapheme segmenter) path. Cut into vertical strips at the
// pane borders instead, the log pane's text is plain ASCII (for an ASCII log) and measures fast.
import type { Layout } from '../store/layout.js';
import type { State } from '../store/state.js';
import { sliceRow, type Row } from './rows.js';

export type Block = { row: Row } | { cols: { w: number; rows: Row[] }[] };

export function toBlocks(rows: Row[], s: State, L: Layout): Block[] {
  if (s.help) return rows.map((row) => ({ row }));
  const W = L.width;
  const H = L.paneRows;
  const bands: [number, number][] = s.zoom
    ? [[1, H - 1]]
    : [
        [1, L.splitY],
        [L.splitY + 1, H - 1],
      ];
  const cuts = s.zoom ? [0, 1, W - 1, W] : [0, 1, L.leftW - 1, L.leftW + 1, W - 1, W];
  const out: Block[] = [];
  let y = 0;
  for (const [from, to] of bands) {
    for (; y < from && y < rows.length; y++) out.push({ row: rows[y] as Row });
    if (to <= from) continue;
    const cols: { w: number; rows: Row[] }[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const a = cuts[i] as number;
      const b = cuts[i + 1] as number;
      if (b <= a) continue;
      const strip: Row[] = [];
      for (let k = from; k < to; k++) strip.push(sliceRow(rows[k] as Row, a, b));
      cols.push({ w: b - a, rows: strip });
    }
    out.push({ cols });
    y = to;
  }
  for (; y < rows.length; y++) out.push({ row: rows[y] as Row });
  return out;
}

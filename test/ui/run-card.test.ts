// The run card's rows, pure: exact sizes at the two screen sizes users have, charts in braille, the
// text that says what each part is (readable with NO_COLOR), and hostile text kept inert.
import { describe, expect, it } from 'vitest';
import type { RunCard } from '../../src/domain/run-card.js';
import { cardViewRows } from '../../src/ui/card-view.js';
import { chartedSeries, cardRows } from '../../src/ui/run-card.js';
import { rowText, rowWidth } from '../../src/ui/rows.js';
import type { CardView } from '../../src/store/state.js';

import { sampleCard } from './card-fixture.js';

const view = (data: RunCard | null, o: Partial<CardView> = {}): CardView => ({ runId: 'a800:train', host: 'a800', session: 'train', top: 0, log: false, data, loading: null, error: null, ...o });

describe('run card rows', () => {
  for (const [w, h] of [
    [118, 36],
    [198, 56],
  ] as const) {
    it(`exactly ${h} rows of ${w} cells, with braille charts, metrics, GPU, process and checkpoints`, () => {
      const rows = cardViewRows(view(sampleCard()), w, h, Date.parse('2026-12-01T12:00:00Z'));
      expect(rows).toHaveLength(h);
      for (const r of rows) expect(rowWidth(r)).toBe(w);
      const text = rows.map(rowText).join('\n');
      expect(text).toMatch(/[\u2801-\u28ff]/);
      expect(text).toContain('RUNNING');
      expect(text).toContain('torchrun --nproc_per_node=8 train.py');
      expect(text).toMatch(/step 4991\/10000 · ETA 1h/);
      expect(text).toContain('3.5 it/s');
      expect(text).toMatch(/loss +2 +4991/);
      expect(text).toContain('(200,000 lines read from its start)');
      expect(text).toContain('Esc close');
    });
  }
  it('the whole card (scrolled): GPU, the process with rank and inert command, checkpoints', () => {
    const text = cardRows(sampleCard(), { w: 120, h: 36, now: 0, log: false }).map(rowText).join('\n');
    expect(text).toMatch(/0 NVIDIA H200 .* 97% · 68\/140 GiB/);
    expect(text).toMatch(/4242 +0 +101\.3 +5\.0 GiB +68\.4 GiB/);
    expect(text).not.toContain('\x1b');
    expect(text).toMatch(/3 in \/home\/u\/ckpt · newest checkpoint-4500 \(2\.3 GiB\) · every 30m/);
  });
  it('charts loss, eval loss and learning rate, in that order; log scale says so', () => {
    expect(chartedSeries(sampleCard()).map((c) => c.key)).toEqual(['loss', 'eval_loss', 'learning_rate']);
    const text = cardRows(sampleCard(), { w: 120, h: 36, now: 0, log: true }).map(rowText).join('\n');
    expect(text).toContain('loss (log)');
    expect(text).not.toContain('learning_rate (log)');
  });
  it('before the data: what it reads; after an error: the sentence', () => {
    const a = cardViewRows(view(null, { loading: 'reading the whole log: 12 MiB…' }), 80, 10, 0).map(rowText);
    expect(a[0]).toContain('reading the whole log: 12 MiB…');
    const b = cardViewRows(view(null, { error: 'no run a800:train on a800 (any more)' }), 80, 10, 0).map(rowText);
    expect(b[0]).toContain('no run a800:train');
  });
  it('scrolls: top moves the rows, and the last row says how many are left', () => {
    const rows = cardViewRows(view(sampleCard(), { top: 3 }), 100, 12, 0).map(rowText);
    const all = cardRows(sampleCard(), { w: 100, h: 11, now: 0, log: false }).map(rowText);
    expect(rows[0]).toBe(all[3]);
    expect(rows[11]).toMatch(/j\/k scroll \(\d+ more rows\)/);
  });
  it('a run with nothing in its log yet still draws', () => {
    const rows = cardViewRows(view(sampleCard({ series: {}, metrics: [], rate: null, processes: [], gpus: [], checkpoints: null })), 100, 30, 0);
    const text = rows.map(rowText).join('\n');
    expect(text).toContain('no metrics in the log yet');
    expect(rows).toHaveLength(30);
  });
});

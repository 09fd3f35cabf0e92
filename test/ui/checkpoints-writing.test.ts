// A checkpoint still being written: said in the pane, refused by D (pull), and a listing whose only
// change is that it finished replaces the old one.
import { describe, expect, it } from 'vitest';
import type { CheckpointListing } from '../../src/domain/types.js';
import { renderTable } from '../../src/commands/ckpt-table.js';
import { buildFrame } from '../../src/ui/frame.js';
import { rowText } from '../../src/ui/rows.js';
import type { Effect } from '../../src/store/index.js';
import { CKPTS_TRAINING, fixtureStore, type Fixture } from './fixture-store.js';

const frame = (f: Fixture): string[] => {
  const s = f.store.getState();
  return buildFrame({ s, log: (id) => f.store.peekLog(id), keymap: f.store.keymap, color: false }).map(rowText);
};

const writing = (on: boolean): CheckpointListing => ({
  ...CKPTS_TRAINING,
  checkpoints: CKPTS_TRAINING.checkpoints.map((c) => (c.name === 'checkpoint-3000' && on ? { ...c, writing: true } : { ...c })),
});

describe('a checkpoint being written', () => {
  it('shows writing… in the pane, D refuses to pull it, and the mark goes when it is done', () => {
    const f = fixtureStore({ cols: 160, rows: 30 });
    f.store.dispatch({ type: 'checkpoints', listing: writing(true) });
    f.settle();
    const row = frame(f).find((l) => l.includes('checkpoint-3000'));
    expect(row).toMatch(/checkpoint-3000 .*writing… safetensors,pt/);
    expect(frame(f).find((l) => l.includes('checkpoint-2000'))).not.toContain('writing');

    const fx: Effect[] = [];
    f.store.onEffect((e) => fx.push(e));
    f.store.command('ckpt.pull'); // the newest is selected first
    expect(fx.filter((e) => e.type === 'ckpt.pull')).toEqual([]);
    expect(f.store.getState().message?.text).toBe('checkpoint-3000 is still being written; pull it when it is done');

    f.store.dispatch({ type: 'checkpoints', listing: writing(false) });
    f.settle();
    expect(frame(f).find((l) => l.includes('checkpoint-3000'))).not.toContain('writing');
    f.store.command('ckpt.pull');
    expect(fx.filter((e) => e.type === 'ckpt.pull')).toHaveLength(1);
  });

  it('the ckpt table says it too', () => {
    const out = renderTable(writing(true), Date.parse('2026-11-23T12:00:00Z'));
    expect(out).toContain('safetensors,pt  (writing…)');
    expect(out.split('\n').filter((l) => l.includes('writing'))).toHaveLength(1);
  });
});

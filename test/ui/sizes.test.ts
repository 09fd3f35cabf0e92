// The screen at the five sizes people use (40x10 up to 200x60): what matters most survives each
// width (the run's name and state, then its progress, then the rest), nothing a user must read is cut,
// and no pane is blank when it has something to say.
import { describe, expect, it } from 'vitest';
import { buildFrame } from '../../src/ui/frame.js';
import { rowText, rowWidth } from '../../src/ui/rows.js';
import { fixtureStore, type Fixture } from './fixture-store.js';

function frame(f: Fixture): string[] {
  const s = f.store.getState();
  const rows = buildFrame({ s, log: (id) => f.store.peekLog(id), keymap: f.store.keymap, color: false });
  for (const r of rows) expect(rowWidth(r)).toBe(s.size.cols);
  expect(rows).toHaveLength(s.size.rows - 1);
  return rows.map(rowText);
}

/** The runs pane's content rows (left column, inside the borders, above the GPUs). */
function runsRows(out: string[]): string[] {
  const split = out.findIndex((l) => l.startsWith('├'));
  const right = (out[0] as string).indexOf('┐');
  return out.slice(1, split).map((l) => l.slice(1, right));
}

const SIZES: [number, number][] = [
  [40, 10],
  [60, 15],
  [80, 24],
  [120, 40],
  [200, 60],
];

describe('frames at five sizes', () => {
  it.each(SIZES)('%ix%i: every run by its whole name and state, the rest as room allows', (cols, rows) => {
    const f = fixtureStore({ cols, rows });
    const out = frame(f);
    const runs = runsRows(out);
    const row = (name: string): string => runs.find((l) => l.includes(name)) ?? '';
    // the name is never cut to make room for anything else (the host goes first)
    for (const name of ['training', 'sweep-3', 'train_v1']) expect(row(name), `${name} at ${cols}x${rows}`).not.toBe('');
    expect(row('training')).toMatch(/^› /);
    expect(row('training')).toMatch(/\bRUN(NING)?\b/);
    expect(row('sweep-3')).toMatch(/\bFAIL(ED)?\b/);
    expect(row('train_v1')).toMatch(/\b(DONE|FINISHED)\b/);
    expect(out.join('\n')).not.toContain('loc…');
    // then progress, then the reason a run failed, then ETA, loss, GPUs, the last output and a bar
    if (cols >= 60) {
      expect(row('training')).toMatch(/RUNNING +12%/);
      expect(row('sweep-3')).toMatch(/FAILED OOM +10%/);
      expect(runs[0]).toMatch(/STATE +PROG/);
    }
    if (cols >= 120) expect(row('training')).toMatch(/RUNNING +12% 7h34m/);
    if (cols >= 200) {
      expect(row('a800:training')).toMatch(/RUNNING +12% +7h34m +0\.0123 +0 +4s/);
      expect(runs[0]).toMatch(/RUN +STATE +PROG +ETA +LOSS +GPUS +LAST/);
    }
    // the GPUs: a row per GPU at every size, their processes once there is room
    expect(out.join('\n')).toMatch(/│›0 A800 +98%/);
    if (rows >= 24) expect(out.join('\n')).toContain('4242 a800:training 68G');
    // the status bar: never a key cut in half
    const bar = out[out.length - 1] as string;
    expect(bar).toContain('? help');
    expect(bar).not.toMatch(/ q q…| [a-z]…$/);
  });

  it.each(SIZES)('%ix%i zoomed: the runs table, and the selected GPU with its chart and its processes, use the space', (cols, rows) => {
    const f = fixtureStore({ cols, rows });
    f.store.command('pane.zoom');
    const runs = frame(f).join('\n');
    expect(runs).toMatch(/› (a800:)?training +RUNNING/);
    if (cols >= 80) expect(runs).toMatch(/a800:training +RUNNING +12% +█░+ +7h34m +0\.0123 +0 +4s/);
    f.store.command('pane.gpus');
    const gpus = frame(f);
    expect(gpus[0]).toMatch(/^┌\[GPUs · a800/);
    const text = gpus.join('\n');
    // the zoomed GPU view (gpus-zoom.ts): the selected GPU's figures, its utilisation chart, its processes
    expect(text).toMatch(/│›GPU 0 A800 98%/);
    expect(text).toMatch(rows >= 15 ? /│ utilisation %/ : /│100% [\u2801-\u28ff]/);
    expect(text).toMatch(/│› +4242 /);
    if (cols >= 80) expect(text).toMatch(/│› +4242 \? +68G .* a800:training +python/);
    if (rows >= 24) expect(text).toMatch(/│ memory used/);
  });

  it.each(SIZES)('%ix%i: the new-run form keeps its keys and the help fits or scrolls', (cols, rows) => {
    const f = fixtureStore({ cols, rows });
    f.store.command('run.new');
    const form = frame(f).join('\n');
    expect(form).toContain('New run');
    expect(form).not.toContain('┌┌');
    // in the box when it has room, in the status bar always
    expect(frame(f).at(-1)).toMatch(/Ctrl-s start the run {2}(Tab next field {2})?Esc cancel/);
    f.store.command('form.cancel');
    f.store.command('app.help');
    const help = frame(f);
    expect(help[0]).toContain('Help · keys');
    const all = help.join('\n');
    expect(all).toContain('quit');
    // all of it, or a line saying there is more and how to scroll
    if (!all.includes('detach back to the')) expect(all).toMatch(/more below · j\/k scroll/);
    // descriptions are cut only when the columns that fit them are all used (three at 120 columns
    // now that the help has the card's, the GPU view's and the whole-log search's keys)
    if (cols >= 160) expect(all).toContain('refresh now (and retry failed hosts)');
  });
});

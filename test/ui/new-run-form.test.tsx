// The new-run form drawn over the panes (through the store, keys as a terminal sends them): fields,
// cursor, defaults, inline errors, the keys line generated from the key map, submit and cancel.
import { afterEach, describe, expect, it } from 'vitest';
import { buildKeymap, type Keymap } from '../../src/keys/index.js';
import type { Effect } from '../../src/store/index.js';
import { fixtureStore } from './fixture-store.js';
import { KEY, renderApp } from './helpers.js';

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

async function open(opts: Parameters<typeof fixtureStore>[0] = {}) {
  const f = fixtureStore({ cols: 120, rows: 40, ...opts });
  const fx: Effect[] = [];
  f.store.onEffect((e) => fx.push(e));
  const r = await renderApp(f);
  cleanup.push(r.unmount);
  return { f, r, fx };
}
const submitted = (fx: Effect[]) => fx.filter((e) => e.type === 'run.new');

describe('new-run form', () => {
  it('draws the fields over the panes, the focused one marked, defaults dim, keys from the key map', async () => {
    const { r } = await open();
    await r.press('n');
    const lines = r.frame().split('\n');
    const top = lines.findIndex((l) => l.includes('┌[New run]'));
    expect(top).toBeGreaterThan(0);
    const box = lines.slice(top, top + 18).map((l) => l.slice(10, 110));
    expect(box[0]).toMatch(/^┌\[New run\]─+┐$/);
    expect(box[2]).toMatch(/^│ › Name {9}█ +│$/);
    expect(box[3]).toMatch(/^│ {3}Host {11}a800 {4}1\/2 +│$/);
    expect(box[4]).toMatch(/^│ {3}Command +│$/);
    expect(box[5]).toMatch(/^│ {3}Directory {4}~ +│$/);
    expect(box[6]).toMatch(/^│ {3}Log {10}~\/rtk-runs\/NAME\.log +│$/);
    expect(box[7]).toMatch(/^│ {3}Checkpoints {2}none +│$/);
    expect(box[8]).toMatch(/^│ {3}GPUs {9}none +│$/);
    expect(box[10]).toMatch(/^│ Command: split into words like sh \(quotes and \\ work\), nothing expanded; for pipes or \$VARS: +│$/);
    expect(box[11]).toMatch(/^│ bash -lc '\.\.\.' +│$/);
    expect(box[12]).toContain("Name: the tmux session's name on the host");
    expect(r.frame()).toContain('Tab ↓ next field · Shift-Tab ↑ previous field');
    expect(r.frame()).toContain('Ctrl-u clear the field · Esc cancel');
    // the footer hints are the form's, from the same data
    expect(lines.at(-1)).toMatch(/Ctrl-s start the run {2}Tab next field {2}Esc cancel$/);
    // the panes are still there around it
    expect(lines[2]).toMatch(/^│› a800:training/);
  });

  it('types into the focused field, edits at the cursor, cycles hosts, submits with Ctrl-s', async () => {
    const { f, r, fx } = await open();
    await r.press('n', 'train2');
    expect(r.frame()).toMatch(/› Name {9}train2█/);
    expect(r.frame()).toContain('~/rtk-runs/train2.log');
    // cursor left twice, insert, backspace
    await r.press('\u001B[D', '\u001B[D', 'X');
    expect(f.store.getState().newRun?.text.name).toBe('traiXn2');
    await r.press(KEY.backspace);
    expect(r.frame()).toMatch(/› Name {9}trai(\u001b\[[0-9;]*m)?n/);
    await r.press(KEY.tab);
    expect(r.frame()).toMatch(/› Host {9}‹ a800 › {2}1\/2/);
    await r.press('\u001B[C');
    expect(r.frame()).toMatch(/› Host {9}‹ gpu1 › {2}2\/2/);
    await r.press(KEY.down, "sh -c 'echo hi; sleep 5'", KEY.down, '/tmp/w', KEY.down, 'logs/x.log', '\u0013');
    expect(submitted(fx)).toEqual([
      { type: 'run.new', host: 'gpu1', name: 'train2', cmd: ['sh', '-c', 'echo hi; sleep 5'], cwd: '/tmp/w', log: 'logs/x.log', checkpoints: null, gpus: null },
    ]);
    expect(r.frame()).not.toContain('New run');
    expect(r.frame()).toContain('starting gpu1:train2…');
  });

  it('shows what is wrong inline and keeps it current while typing; Esc cancels', async () => {
    const { f, r, fx } = await open();
    await r.press('n', '\u0013');
    expect(f.store.getState().newRun?.field).toBe('name');
    expect(r.frame()).toMatch(/✗ Name: the name is empty/);
    expect(r.frame()).toMatch(/✗ Command: the command is empty/);
    expect(r.frame()).toMatch(/│ ✗ Command/);
    await r.press('a.b');
    expect(r.frame()).toMatch(/✗ Name: the run name "a\.b" contains "\."/);
    await r.press(KEY.ctrlU, 'ok', KEY.tab, KEY.tab, 'python t.py | tee x', KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter);
    expect(r.frame()).toMatch(/✗ Command: "\|" is shell syntax/);
    expect(f.store.getState().newRun?.field).toBe('cmd');
    expect(r.frame()).not.toContain('✗ Name');
    expect(submitted(fx)).toEqual([]);
    await r.press(KEY.esc);
    expect(r.frame()).not.toContain('New run');
    expect(r.frame()).toContain('new run cancelled');
    expect(r.frame().split('\n')[2]).toMatch(/^│› a800:training/);
  });

  it('Enter walks the fields and starts the run on the last one', async () => {
    const { r, fx } = await open();
    await r.press('n', 'x1', KEY.enter, KEY.enter, 'python -u t.py', KEY.enter, KEY.enter, KEY.enter);
    expect(submitted(fx)).toEqual([]);
    await r.press('ck', KEY.enter);
    expect(submitted(fx)).toEqual([]);
    await r.press(KEY.enter);
    expect(submitted(fx)).toEqual([
      { type: 'run.new', host: 'a800', name: 'x1', cmd: ['python', '-u', 't.py'], cwd: null, log: null, checkpoints: 'ck', gpus: null },
    ]);
  });

  it('scrolls a long value so the cursor stays in view', async () => {
    const { f, r } = await open({ cols: 80, rows: 24 });
    const long = `python train.py ${Array.from({ length: 20 }, (_, i) => `--opt${i} ${i}`).join(' ')} --last`;
    await r.press('n', KEY.tab, KEY.tab);
    f.store.command('input.char', long);
    await r.settle();
    const row = () => r.frame().split('\n').find((l) => l.includes('› Command')) ?? '';
    expect(row()).toMatch(/› Command {6}…[^│]*--last█ *│/);
    expect(row()).not.toContain('python');
    await r.press('\u0001'); // Ctrl-a: the start
    expect(row()).toMatch(/› Command {6}python train\.py --opt0 0/);
    expect(row()).not.toContain('--last');
    // every row keeps the terminal's width
    for (const l of r.frame().split('\n')) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('fits a short terminal: blank rows and the long key list give way first, start and cancel stay', async () => {
    const { r } = await open({ cols: 80, rows: 16 });
    await r.press('n');
    const lines = r.frame().split('\n');
    expect(lines).toHaveLength(15);
    expect(r.frame()).toContain('┌[New run]');
    expect(r.frame()).toMatch(/Checkpoints {2}none/);
    // the note wraps rather than losing its end
    expect(r.frame()).toMatch(/│ Command: split into words like sh \(quotes and \\ work\), nothing expanded; +│/);
    expect(r.frame()).toMatch(/│ for pipes or \$VARS: bash -lc '\.\.\.' +│/);
    expect(r.frame()).not.toContain('Ctrl-u clear the field');
    // the keys that start and cancel stay in the box
    expect(r.frame()).toMatch(/│ Ctrl-s start · Esc cancel · Tab next field +│/);
    // the whole box is on screen, the full width (a one-cell margin would show the panes' borders)
    const bottom = lines.findIndex((l) => /^└─{78}┘$/.test(l));
    expect(bottom).toBeGreaterThan(10);
    expect(lines.findIndex((l) => l.startsWith('┌[New run]'))).toBeGreaterThanOrEqual(0);
    expect(r.frame()).not.toContain('┌┌');
    expect(lines.at(-1)).toContain('Esc cancel');
  });

  it('is refused under --readonly', async () => {
    const { r, fx } = await open({ readonly: true });
    await r.press('n');
    expect(r.frame()).not.toContain('New run');
    expect(r.frame()).toContain('read-only mode: new is disabled');
    expect(fx.filter((e) => e.type === 'run.new')).toEqual([]);
  });

  it('uses overridden keys in the form and its hints', async () => {
    const km = buildKeymap({ 'form.submit': 'ctrl+g' });
    expect(km.ok).toBe(true);
    const { r, fx } = await open({ keymap: (km as { value: Keymap }).value });
    await r.press('n');
    expect(r.frame()).toContain('Ctrl-g start the run');
    await r.press('y1', KEY.tab, KEY.tab, 'true', '\u0013');
    expect(submitted(fx)).toEqual([]);
    await r.press('\u0007');
    expect(submitted(fx).map((e) => e.type === 'run.new' && e.name)).toEqual(['y1']);
  });
});

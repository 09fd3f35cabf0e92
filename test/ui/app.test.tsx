import { afterEach, describe, expect, it } from 'vitest';
import { conn, emptyFixture, fixtureStore, RUNS_A800 } from './fixture-store.js';
import { KEY, renderApp } from './helpers.js';
import { buildKeymap, type Keymap } from '../../src/keys/index.js';
import type { Effect } from '../../src/store/index.js';

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});
async function app(f = fixtureStore()) {
  const r = await renderApp(f);
  cleanup.push(r.unmount);
  return r;
}
const lines = (frame: string) => frame.split('\n');

describe('the four panes and the status bar', () => {
  it('draws the sketch of DESIGN section 4 at 100x30, rows-1 tall', async () => {
    const r = await app();
    const f = lines(r.frame());
    expect(f).toHaveLength(29);
    for (const l of f) expect(l.length).toBeLessThanOrEqual(100);
    expect(f[0]).toMatch(/^┌\[Runs · 3\]─+┐┌ Log · a800:training · step 3600\/30000 12% · ETA 7h34m · lo/);
    // a table: the run, its state (and a failed run's reason), progress and what else fits
    expect(f[1]).toMatch(/^│  RUN +STATE +PROG *│/);
    expect(f[2]).toMatch(/^│› a800:training +RUNNING +12% *│/);
    expect(f[3]).toMatch(/^│  a800:sweep-3 +FAILED OOM +10% *│/);
    expect(f[4]).toMatch(/^│  gpu1:train_v1 +FINISHED +│/);
    expect(r.frame()).toContain('│iter 200: loss 0.0050');
    expect(r.frame()).toContain(' 12%|#   | 3600/30000'); // the live \r line, collapsed
    // 26 more checkpoints of 2.3 GiB to step 30000 do not fit in 45 GiB: the title says when the disk fills
    expect(r.frame()).toMatch(/├ GPUs · a800 ─+┤├ Checkpoints · 2 · 4\.6 GiB · disk full in ~18h \(45\.0 GiB fr… ─┤/);
    expect(r.frame()).toMatch(/│›0 A800 +98% █+ 70\/80G 65C 350W│/);
    expect(r.frame()).toContain('4242 a800:training 68G python');
    expect(r.frame()).toMatch(/│› checkpoint-3000 +2\.3 GiB +5m ago +safetensors,pt/);
    expect(r.frame()).toMatch(/│  checkpoint-2000 +2\.3 GiB +1h ago/);
    expect(f[28]).toMatch(/^ a800 ● 12ms {2}gpu1 ● 30ms {3}\? help {2}i run card {2}a attach {2}K kill \(confirm\) {2}\/ filter {2}z zoom {2}q quit/);
  });

  it('redraws on resize, down to 80x24', async () => {
    const f = fixtureStore();
    const r = await app(f);
    f.store.dispatch({ type: 'resize', cols: 80, rows: 24 });
    await r.settle();
    const fr = lines(r.frame());
    expect(fr).toHaveLength(23);
    for (const l of fr) expect(l.length).toBeLessThanOrEqual(80);
    expect(fr[0]).toMatch(/^┌\[Runs · 3\]─+┐┌ Log · a800:training/);
    expect(fr[22]).toContain('q quit');
    expect(r.frame()).toContain('checkpoint-3000');
  });

  it('shows empty states as text', async () => {
    const f = emptyFixture();
    const r = await app(f);
    expect(r.frame()).toContain('connecting…');
    expect(r.frame()).toContain('no run selected');
    expect(r.row(28)).toContain('a800 ○ connecting…');
  });
});

describe('idle', () => {
  it('a clock tick or an unchanged poll redraws nothing; a visible change does', async () => {
    const f = fixtureStore();
    const r = await app(f);
    const n = r.frames.length;
    f.clock.now += 1000;
    f.store.dispatch({ type: 'tick' });
    f.store.dispatch({ type: 'runs', host: 'a800', runs: RUNS_A800.map((x) => ({ ...x })) });
    await r.settle();
    expect(r.frames.length).toBe(n);
    f.store.dispatch({ type: 'host', state: conn('a800', { latencyMs: 13 }) });
    await r.settle();
    expect(r.frames.length).toBe(n + 1);
    expect(r.row(28)).toContain('a800 ● 13ms');
  });
});

describe('hosts that drop', () => {
  it('keeps the last runs and GPUs on screen, marked stale with the age', async () => {
    const f = fixtureStore();
    const r = await app(f);
    f.store.dispatch({ type: 'host', state: conn('a800', { phase: 'reconnecting', status: 'unreachable', lastOkAt: f.clock.now }) });
    await r.settle();
    expect(r.row(28)).toContain('a800 ○ reconnecting…');
    f.clock.now += 42_000;
    f.store.dispatch({ type: 'tick' });
    await r.settle();
    expect(r.row(28)).toContain('a800 ○ stale 42s');
    expect(r.row(28)).toContain('gpu1 ● 30ms');
    expect(r.row(2)).toMatch(/› a800:training +RUNNING\? +12%/);
    expect(r.frame()).toContain('GPUs · a800 · stale 42s');
    expect(r.frame()).toContain('98%');
  });

  it('says when a host failed for good', async () => {
    const f = fixtureStore();
    const r = await app(f);
    f.store.dispatch({ type: 'host', state: conn('gpu1', { phase: 'failed', status: 'auth-failed', error: 'authentication to host gpu1 failed (tried ~/.ssh/id_ed25519).' }) });
    await r.settle();
    // the sentence once, as a message; the state in words, then where to read it again
    expect(r.row(28)).toContain('gpu1 ✗ auth failed');
    expect(r.row(28)).toContain('gpu1: authentication to host gpu1 failed');
    expect(r.row(28)).toContain('H why');
    await r.press('H');
    expect(r.frame()).toContain('Hosts (j/k choose');
    // it opens on the selected run's host; j goes to the next
    expect(r.frame()).toMatch(/host +a800/);
    await r.press('j');
    expect(r.frame()).toMatch(/why +authentication to host gpu1 failed/);
    expect(r.frame()).toMatch(/retry +not by itself/);
  });
});

describe('keys', () => {
  it('moves the selection with j/k and arrows, and the log follows the selected run', async () => {
    const f = fixtureStore();
    const fx: Effect[] = [];
    f.store.onEffect((e) => fx.push(e));
    const r = await app(f);
    await r.press('j');
    expect(r.row(3)).toMatch(/^│› a800:sweep-3/);
    expect(r.row(0)).toContain('Log · a800:sweep-3');
    expect(r.frame()).toContain('waiting for /home/u/sweep-3.log…');
    await r.press(KEY.down, 'k', 'G');
    expect(r.row(4)).toMatch(/^│› gpu1:train_v1/);
    await r.press('g');
    expect(r.row(2)).toMatch(/^│› a800:training/);
    expect(fx.filter((e) => e.type === 'log.select').map((e) => (e as { runId: string }).runId)).toEqual([
      'a800:sweep-3', 'gpu1:train_v1', 'a800:sweep-3', 'gpu1:train_v1', 'a800:training',
    ]);
  });

  it('two keys in a row act on the latest state (no stale closure)', async () => {
    const f = fixtureStore();
    const fx: Effect[] = [];
    f.store.onEffect((e) => fx.push(e));
    const r = await app(f);
    r.stdin.write('j');
    r.stdin.write('a'); // no wait in between
    await r.settle();
    expect(fx.at(-1)).toEqual({ type: 'run.attach', runId: 'a800:sweep-3', host: 'a800', session: 'sweep-3' });
  });

  it('handles several keys that arrive in one read, one by one', async () => {
    const f = fixtureStore();
    const r = await app(f);
    r.stdin.write('2k'); // tmux send-keys and fast typing deliver keys together
    await r.settle();
    expect(f.store.getState().focus).toBe('log');
    expect(r.row(0)).toContain('PAUSED');
    r.stdin.write('/iter 7\r');
    await r.settle();
    expect(f.store.getState().logView.query).toBe('iter 7');
  });

  it('focuses panes with Tab, Shift-Tab and 1-4; the focused title is bracketed', async () => {
    const r = await app();
    await r.press(KEY.tab);
    expect(r.row(0)).toMatch(/^┌ Runs · 3 ─+┐┌\[Log · /);
    await r.press('4');
    expect(r.frame()).toContain('├[Checkpoints · 2');
    await r.press(KEY.shiftTab);
    expect(r.frame()).toContain('├[GPUs · a800]');
    await r.press('1');
    expect(r.row(0)).toMatch(/^┌\[Runs · 3\]/);
  });

  it('zooms the focused pane and back', async () => {
    const r = await app();
    await r.press('2', 'z');
    expect(r.row(0)).toMatch(/^┌\[Log · a800:training · step 3600\/30000 12% · ETA 7h34m · loss 0\.0123\]─+┐$/);
    expect(r.frame()).not.toContain('Runs ·');
    expect(r.frame()).toContain('│iter 180: loss');
    await r.press('z');
    expect(r.frame()).toContain('Runs · 3');
  });

  it('opens and closes the help overlay, generated from the key map', async () => {
    const r = await app();
    await r.press('?');
    expect(r.row(0)).toContain('[Help · keys (Esc closes)]');
    expect(r.frame()).toMatch(/Shift-Tab +previous pane/);
    expect(r.frame()).toMatch(/K +kill \(confirm\)/);
    expect(r.frame()).toMatch(/PgUp Ctrl-u +page up/);
    expect(r.row(28)).toContain('Esc close help');
    await r.press('j'); // ignored under help
    await r.press(KEY.esc);
    expect(r.row(2)).toMatch(/^│› a800:training/);
  });

  it('scrolls the help overlay on a small terminal', async () => {
    const f = fixtureStore({ cols: 80, rows: 24 });
    const r = await app(f);
    await r.press('?');
    expect(r.frame()).toMatch(/more below · j\/k scroll/);
    expect(r.frame()).not.toContain('detach back to the');
    for (let i = 0; i < 40; i++) await r.press('j');
    expect(r.frame()).toContain('detach back to the');
    expect(r.frame()).toContain('… end · j/k scroll');
    const top = f.store.getState().helpTop;
    await r.press('k');
    expect(f.store.getState().helpTop).toBe(top - 1); // no dead presses past the end
    expect(r.frame()).toMatch(/more below/);
    await r.press('q');
    expect(r.frame()).not.toContain('Help');
  });

  it('uses overridden keys in hints, help and input', async () => {
    const km = buildKeymap({ 'run.attach': 'A' });
    expect(km.ok).toBe(true);
    const f = fixtureStore({ keymap: (km as { value: Keymap }).value });
    const fx: Effect[] = [];
    f.store.onEffect((e) => fx.push(e));
    const r = await app(f);
    expect(r.row(28)).toContain('A attach');
    await r.press('a');
    expect(fx).toEqual([]);
    await r.press('A');
    expect(fx.map((e) => e.type)).toEqual(['run.attach']);
  });

  it('Ctrl-C and q quit through the store', async () => {
    const f = fixtureStore();
    const fx: Effect[] = [];
    f.store.onEffect((e) => fx.push(e));
    const r = await app(f);
    await r.press(KEY.ctrlC);
    await r.press('q');
    expect(fx.map((e) => e.type)).toEqual(['app.quit', 'app.quit']);
  });
});

describe('log pane: follow, scroll, search, wrap', () => {
  it('pauses when scrolled up, counts new lines, resumes at the bottom', async () => {
    const f = fixtureStore();
    const r = await app(f);
    await r.press('2', 'k');
    expect(r.row(0)).toContain('· PAUSED');
    expect(r.frame()).not.toContain('iter 200: loss');
    expect(r.frame()).toContain('iter 199: loss');
    expect(r.frame()).toContain('── paused · 1 lines below · f follow ──');
    f.store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'lines', lines: ['iter 201: loss 0.0049', 'iter 202: loss 0.0049'], offset: 2000 } });
    await r.settle();
    expect(r.frame()).toContain('── paused · 2 new lines · f follow ──');
    expect(r.frame()).not.toContain('iter 201');
    await r.press('G');
    expect(r.row(0)).not.toContain('PAUSED');
    expect(r.frame()).toContain('iter 202: loss 0.0049');
  });

  it('pages and jumps to the top; f toggles follow', async () => {
    const r = await app();
    await r.press('2', 'g');
    expect(r.row(2)).toMatch(/^│  a800:sweep-3|^│/);
    expect(r.frame()).toContain('│iter 1: loss 1.0000');
    await r.press(KEY.pageDown);
    expect(r.frame()).not.toContain('│iter 1: loss');
    await r.press(KEY.ctrlU);
    expect(r.frame()).toContain('│iter 1: loss 1.0000');
    await r.press('f');
    expect(r.frame()).toContain('iter 200: loss');
    expect(r.row(0)).not.toContain('PAUSED');
    await r.press('f');
    expect(r.row(0)).toContain('PAUSED');
  });

  it('searches with /, jumps with n and N, highlights matches', async () => {
    const f = fixtureStore();
    const r = await app(f);
    await r.press('2', '/');
    expect(r.row(28)).toContain('search log: /█');
    await r.press('i', 't', 'e', 'r', ' ', '5', '0');
    expect(r.row(28)).toContain('search log: /iter 50█');
    await r.press(KEY.enter);
    // the title keeps the run, PAUSED and the progress first; the search comes next (cut here)
    expect(r.row(0)).toMatch(/PAUSED · step 3600\/30000 12% · \/iter/);
    expect(r.frame()).toContain('│iter 50: loss 0.0200');
    expect(f.store.getState().logView.matchSeq).toBe(49);
    await r.press('N');
    expect(f.store.getState().logView.matchSeq).toBe(49);
    expect(r.row(28)).toContain('no match for "iter 50" above');
    await r.press('/', KEY.backspace, KEY.backspace, '1', '0', KEY.enter);
    // the newest match at or above the view's bottom line (the view still shows "iter 50")
    expect(f.store.getState().logView.matchSeq).toBe(9);
    expect(r.frame()).toContain('│iter 10: loss');
    await r.press('n');
    expect(f.store.getState().logView.matchSeq).toBe(99);
    expect(r.frame()).toContain('│iter 100: loss');
    await r.press('n', 'N');
    expect(f.store.getState().logView.matchSeq).toBe(99);
  });

  it('Esc cancels a search being typed', async () => {
    const r = await app();
    await r.press('2', '/', 'x', KEY.esc);
    expect(r.row(28)).toContain('? help');
    expect(r.row(0)).not.toContain('/x');
  });

  it('wraps long lines with w and truncates them otherwise', async () => {
    const f = fixtureStore();
    const long = `start ${'x'.repeat(150)} end`;
    f.store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'lines', lines: [long], offset: 3000 } });
    f.store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'partial', text: '' } });
    const r = await app(f);
    await r.settle();
    expect(r.frame()).toMatch(/│start x+…│/);
    expect(r.frame()).not.toContain(' end');
    await r.press('2', 'w');
    expect(r.frame()).toMatch(/x+ end/);
    // the view's own flags come last in the title: the zoomed pane has room for them
    await r.press('z');
    expect(r.row(0)).toContain('· wrap');
  });

  it('keeps the layout with tabs, ANSI colours and control characters in the log', async () => {
    const f = fixtureStore();
    f.store.dispatch({
      type: 'log',
      runId: 'a800:training',
      chunk: { kind: 'lines', lines: ['a\tb\x1b[31mred\x1b[0m', 'bell\x07\x1b[2Jclear', 'cr one\rcr two', '宽字符宽字符'.repeat(10)], offset: 4000 },
    });
    f.store.dispatch({ type: 'log', runId: 'a800:training', chunk: { kind: 'partial', text: '' } });
    const r = await app(f);
    await r.settle();
    const fr = lines(r.frame());
    expect(fr).toHaveLength(29);
    expect(r.frame()).toContain('│a       bred');
    expect(r.frame()).toContain('│bellclear');
    expect(r.frame()).toContain('│cr two');
    expect(r.frame()).not.toMatch(/[\r\t\x07]/);
    for (const l of fr.slice(0, 28)) expect(l.endsWith('│') || l.endsWith('┐') || l.endsWith('┤') || l.endsWith('┘')).toBe(true);
  });
});

describe('runs filter', () => {
  it('filters while typing and clears with Esc', async () => {
    const r = await app();
    await r.press('/', 'g', 'p', 'u');
    expect(r.row(28)).toContain('filter runs: gpu█');
    expect(r.row(2)).toMatch(/^│› gpu1:train_v1/);
    expect(r.frame()).not.toContain('a800:sweep-3');
    await r.press(KEY.enter);
    expect(r.row(0)).toContain('Runs · 3 · /gpu 1');
    await r.press('/', KEY.esc);
    expect(r.frame()).toContain('a800:sweep-3');
  });
});

describe('confirm dialog', () => {
  it('kill names the run and host and needs the typed name for a long run', async () => {
    const f = fixtureStore();
    const fx: Effect[] = [];
    f.store.onEffect((e) => fx.push(e));
    const r = await app(f);
    await r.press('K');
    expect(r.frame()).toContain('Kill a800:training on host a800?');
    expect(r.frame()).toContain('Type training to confirm: █');
    await r.press('t', 'r', 'a', 'i', 'n', 'i', 'n', 'g');
    expect(r.frame()).toContain('Type training to confirm: training█');
    await r.press(KEY.enter);
    expect(fx.filter((e) => e.type === 'run.kill')).toEqual([{ type: 'run.kill', runId: 'a800:training', host: 'a800', session: 'training', createdAt: '2026-11-23T10:00:00Z' }]);
    expect(r.frame()).not.toContain('Confirm kill');
    expect(r.row(28)).toContain('killing a800:training…');
  });

  it('y/n for a run that is not alive', async () => {
    const f = fixtureStore();
    const fx: Effect[] = [];
    f.store.onEffect((e) => fx.push(e));
    const r = await app(f);
    await r.press('j', 'K');
    expect(r.frame()).toContain('Kill a800:sweep-3 on host a800?');
    expect(r.frame()).toContain('y kill · n cancel');
    await r.press('n');
    expect(r.frame()).not.toContain('Confirm kill');
    expect(fx.some((e) => e.type === 'run.kill')).toBe(false);
  });
});

describe('colour', () => {
  it('uses colour in the colour theme and none in the no-color theme', async () => {
    const { colorTheme, noColorTheme } = await import('../../src/ui/theme.js');
    for (const st of Object.values(noColorTheme.styles)) expect(st.color).toBeUndefined();
    expect(Object.values(colorTheme.styles).some((st) => st.color !== undefined)).toBe(true);
    const red = { type: 'log', runId: 'a800:training', chunk: { kind: 'lines', lines: ['\x1b[31mred line\x1b[0m'], offset: 5000 } } as const;
    const f = fixtureStore();
    f.store.dispatch(red);
    const c = await renderApp(f, colorTheme);
    cleanup.push(c.unmount);
    expect(c.rawFrame()).toContain('\x1b[31mred line');
    expect(c.rawFrame()).toMatch(/\x1b\[36m/); // the theme's own colours
    const g = fixtureStore();
    g.store.dispatch(red);
    const n = await app(g);
    expect(n.frame()).toContain('red line');
    expect(n.rawFrame()).not.toMatch(/\x1b\[3\dm/);
    expect(n.rawFrame()).toContain('\x1b[1m'); // bold still marks focus and selection
  });
});

it('keeps the runs of a host across an empty refresh of another', async () => {
  const f = fixtureStore();
  const r = await app(f);
  f.store.dispatch({ type: 'runs', host: 'gpu1', runs: [] });
  f.store.dispatch({ type: 'runs', host: 'a800', runs: RUNS_A800 });
  await r.settle();
  expect(r.row(0)).toContain('Runs · 2');
  expect(r.row(2)).toMatch(/^│› a800:training/);
});

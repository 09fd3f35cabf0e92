// The whole-file log search in the store: F's prompt and its toggles, the effects, the matches view,
// the jump to a region of the file and back to the live tail; and the frames they make.
import { describe, expect, it } from 'vitest';
import { getDefaultKeymap, resolveKey } from '../../../src/keys/keymap.js';
import { activeScopes, type Effect } from '../../../src/store/index.js';
import { buildFrame } from '../../../src/ui/frame.js';
import { rowText } from '../../../src/ui/rows.js';
import { fixtureStore, mkRun, type Fixture } from '../../ui/fixture-store.js';

function effects(f: Fixture): Effect[] {
  const out: Effect[] = [];
  f.store.onEffect((e) => out.push(e));
  return out;
}

const screen = (f: Fixture): string => {
  f.settle();
  const s = f.store.getState();
  return buildFrame({ s, log: (id) => f.store.peekLog(id), keymap: f.store.keymap, color: false }).map(rowText).join('\n');
};

/** The keys of a user: resolved in the scopes in force, as the UI does. */
function press(f: Fixture, ...keys: string[]): void {
  for (const k of keys) {
    const r = resolveKey(f.store.keymap, activeScopes(f.store.getState()), k);
    if (r !== null) f.store.command(r.command, r.text);
  }
}

const hits = [
  { line: 100, text: 'the MARKER line', before: { line: 99, text: 'just before' }, after: { line: 101, text: 'just after' } },
  { line: 4000, text: 'marker again', before: null, after: null },
];

function searched(): { f: Fixture; fx: Effect[] } {
  const f = fixtureStore();
  const fx = effects(f);
  press(f, '2', '/', ...'marker', 'enter');
  press(f, 'F', 'enter');
  return { f, fx };
}

describe('whole-file search', () => {
  it('the buffer search offers it when nothing matches; F opens its prompt with the query, Enter asks for the grep', () => {
    const f = fixtureStore();
    const fx = effects(f);
    press(f, '2', '/', ...'marker', 'enter');
    expect(f.store.getState().message?.text).toBe('no match for "marker" in the last 200 lines · F searches the whole log file');
    press(f, 'F');
    expect(f.store.getState().input).toEqual({ kind: 'log-file-search', draft: 'marker', regex: false, ignoreCase: true });
    expect(screen(f)).toContain('search the whole log file: /marker█   [fixed string, ignore case]  Tab regex · Shift-Tab case');
    // Tab: regex; Shift-Tab: match case
    press(f, 'tab', 'shift+tab');
    expect(f.store.getState().input).toMatchObject({ regex: true, ignoreCase: false });
    expect(screen(f)).toContain('[regex, match case]');
    press(f, 'enter');
    expect(fx.filter((e) => e.type === 'logFile.search')).toEqual([
      { type: 'logFile.search', id: 1, runId: 'a800:training', host: 'a800', log: '/home/u/training.log', logStart: null, pattern: 'marker', regex: true, ignoreCase: false },
    ]);
    expect(activeScopes(f.store.getState())).toEqual(['log-search']);
    expect(screen(f)).toContain('searching "marker" (regex, match case) in /home/u/training.log on the host…');
  });

  it('lists the matches with line numbers and context; j/Enter jumps: a region is read around it', () => {
    const { f, fx } = searched();
    f.store.dispatch({ type: 'logFile.matches', id: 1, hits, more: true, note: null, error: null });
    let out = screen(f);
    expect(out).toContain('more than 2 matches: the first 2');
    expect(out).toMatch(/ 99 +just before/);
    expect(out).toMatch(/› +100 +the MARKER line/);
    expect(out).toMatch(/101 +just after/);
    press(f, 'j');
    expect(screen(f)).toMatch(/› 4000 +marker again/);
    press(f, 'k', 'enter');
    expect(fx.at(-1)).toEqual({ type: 'logFile.region', id: 2, runId: 'a800:training', host: 'a800', log: '/home/u/training.log', logStart: null, from: 1, count: 200 });
    const s = f.store.getState();
    expect(s.logFileSearch?.open).toBe(false);
    expect(s.focus).toBe('log');
    const lines = Array.from({ length: 200 }, (_, i) => (i === 99 ? 'the MARKER line' : `file line ${i + 1}`));
    f.store.dispatch({ type: 'logFile.region', id: 2, first: 1, lines, error: null });
    out = screen(f);
    expect(out).toContain('FILE line 100');
    expect(out).toContain('lines 1–200 of the file, not the live tail');
    expect(out).toMatch(/›100 the MARKER line/);
    expect(out).not.toContain('iter 200');
  });

  it('n/N in a region go to the next/previous match; Esc, f and G go back to the live tail', () => {
    const { f, fx } = searched();
    f.store.dispatch({ type: 'logFile.matches', id: 1, hits, more: false, note: null, error: null });
    press(f, 'enter');
    press(f, 'n');
    expect(fx.at(-1)).toMatchObject({ type: 'logFile.region', id: 3, from: 3900 });
    expect(f.store.getState().logRegion).toMatchObject({ line: 4000, phase: 'loading' });
    // an older answer is not shown
    f.store.dispatch({ type: 'logFile.region', id: 2, first: 1, lines: ['old'], error: null });
    expect(f.store.getState().logRegion?.lines).toEqual([]);
    press(f, 'n');
    expect(f.store.getState().message?.text).toMatch(/^no match below line 4000/);
    press(f, 'N');
    expect(f.store.getState().logRegion).toMatchObject({ line: 100 });
    let id = 1;
    for (const key of ['esc', 'f', 'G']) {
      // a new search, a jump, then the key
      press(f, 'F', 'enter');
      id = f.store.getState().logFileSearch!.id;
      f.store.dispatch({ type: 'logFile.matches', id, hits, more: false, note: null, error: null });
      press(f, 'enter');
      expect(screen(f)).toContain('not the live tail');
      press(f, key);
      const s = f.store.getState();
      expect(s.logRegion).toBeNull();
      expect(s.logView.follow).toBe(true);
      expect(screen(f)).toContain('iter 200');
    }
  });

  it('a failed grep says why in the view; a run without a log file says it cannot be searched', () => {
    const { f } = searched();
    f.store.dispatch({ type: 'logFile.matches', id: 1, hits: [], more: false, note: null, error: 'grep on a800 failed: bad regex' });
    expect(screen(f)).toContain('grep on a800 failed: bad regex');
    press(f, 'esc');
    expect(activeScopes(f.store.getState())).toEqual(['log', 'global']);
    f.store.dispatch({ type: 'runs', host: 'gpu1', runs: [mkRun('gpu1', 'pane-only', { log: null })] });
    f.store.dispatch({ type: 'select', runId: 'gpu1:pane-only' });
    // the search was the other run's
    expect(f.store.getState().logFileSearch).toBeNull();
    press(f, 'F');
    expect(f.store.getState().input).toBeNull();
    expect(f.store.getState().message?.text).toMatch(/gpu1:pane-only has no log file \(its pane is shown\)/);
  });

  it('F is free in the log pane and shows in its footer and the help', () => {
    const km = getDefaultKeymap();
    expect(resolveKey(km, ['log', 'global'], 'F')).toEqual({ command: 'log.searchFile' });
    const f = fixtureStore();
    press(f, '2');
    expect(screen(f).split('\n').at(-1)).toContain('F search whole file');
  });
});

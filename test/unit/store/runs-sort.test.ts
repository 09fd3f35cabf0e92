// `s` in the runs pane: the order cycles host → state → progress → last output → host; the selection
// stays on its run; j/k/g/G, the filter and a vanished run's neighbour all follow the order on screen.
import { describe, expect, it } from 'vitest';
import { helpSections, resolveKey } from '../../../src/keys/index.js';
import { visibleRuns, type State } from '../../../src/store/index.js';
import { conn, emptyFixture, mkRun } from '../../ui/fixture-store.js';

const ids = (s: State): string[] => visibleRuns(s).map((r) => r.id);

function world() {
  const f = emptyFixture();
  const { store } = f;
  store.dispatch({ type: 'host', state: conn('a800') });
  store.dispatch({ type: 'host', state: conn('gpu1') });
  store.dispatch({
    type: 'runs',
    host: 'a800',
    runs: [
      mkRun('a800', 'alpha', { progress: { step: 1, total: 10, percent: 10, etaSeconds: 90 }, lastOutputSecondsAgo: 30 }),
      mkRun('a800', 'beta', { state: 'stalled', reason: 'stalled', progress: { step: 5, total: 10, percent: 50, etaSeconds: null }, lastOutputSecondsAgo: 900 }),
      mkRun('a800', 'gamma', { state: 'finished', progress: { step: 10, total: 10, percent: 100, etaSeconds: 0 }, lastOutputSecondsAgo: 2 }),
    ],
  });
  store.dispatch({
    type: 'runs',
    host: 'gpu1',
    runs: [
      mkRun('gpu1', 'delta', { state: 'failed', reason: 'oom', progress: { step: 3, total: 10, percent: 30, etaSeconds: null }, lastOutputSecondsAgo: 60 }),
      mkRun('gpu1', 'eps', { progress: null, lastOutputSecondsAgo: null }),
    ],
  });
  f.settle();
  return f;
}

describe('runs sort', () => {
  it('cycles host → state → progress → last output → host, each a stable order', () => {
    const { store } = world();
    const s = () => store.getState();
    expect(s().runsSort).toBe('host');
    expect(ids(s())).toEqual(['a800:alpha', 'a800:beta', 'a800:gamma', 'gpu1:delta', 'gpu1:eps']);
    store.command('runs.sort');
    expect(s().runsSort).toBe('state');
    // failed, stalled, then the running ones in host order, the finished one last
    expect(ids(s())).toEqual(['gpu1:delta', 'a800:beta', 'a800:alpha', 'gpu1:eps', 'a800:gamma']);
    store.command('runs.sort');
    expect(s().runsSort).toBe('progress');
    // furthest first; no percent (a finished run shows none) after every percent, in host order
    expect(ids(s())).toEqual(['a800:beta', 'gpu1:delta', 'a800:alpha', 'a800:gamma', 'gpu1:eps']);
    store.command('runs.sort');
    expect(s().runsSort).toBe('output');
    expect(ids(s())).toEqual(['a800:gamma', 'a800:alpha', 'gpu1:delta', 'a800:beta', 'gpu1:eps']);
    store.command('runs.sort');
    expect(s().runsSort).toBe('host');
    expect(ids(s())[0]).toBe('a800:alpha');
  });

  it('keeps the selection on its run; j/k/g/G walk the sorted order', () => {
    const { store } = world();
    const sel = () => store.getState().selectedRunId;
    store.command('runs.last');
    expect(sel()).toBe('gpu1:eps');
    store.command('runs.sort'); // state: eps is fourth
    expect(sel()).toBe('gpu1:eps');
    store.command('runs.down');
    expect(sel()).toBe('a800:gamma');
    store.command('runs.first');
    expect(sel()).toBe('gpu1:delta');
    store.command('runs.down');
    expect(sel()).toBe('a800:beta');
    store.command('runs.last');
    expect(sel()).toBe('a800:gamma');
    store.command('runs.up');
    expect(sel()).toBe('gpu1:eps');
  });

  it('follows new polls: a run that fails moves up, the selection stays on it', () => {
    const { store } = world();
    store.command('runs.sort');
    store.command('runs.last');
    expect(store.getState().selectedRunId).toBe('a800:gamma');
    store.command('runs.up'); // gpu1:eps
    store.dispatch({ type: 'runs', host: 'gpu1', runs: [mkRun('gpu1', 'delta', { state: 'failed', reason: 'oom' }), mkRun('gpu1', 'eps', { state: 'failed', reason: 'traceback' })] });
    expect(store.getState().selectedRunId).toBe('gpu1:eps');
    expect(ids(store.getState()).slice(0, 2)).toEqual(['gpu1:delta', 'gpu1:eps']);
    // a vanished run hands the selection to the run now in its place in the sorted order
    store.dispatch({ type: 'runs', host: 'gpu1', runs: [mkRun('gpu1', 'delta', { state: 'failed', reason: 'oom' })] });
    expect(store.getState().selectedRunId).toBe('a800:beta');
  });

  it('the filter still applies, in the sorted order', () => {
    const { store } = world();
    store.command('runs.sort');
    store.command('runs.filter');
    for (const ch of 'a') store.command('input.char', ch);
    store.command('input.submit');
    // every id with an "a": all of them, the a800 host's too
    expect(ids(store.getState())).toEqual(['gpu1:delta', 'a800:beta', 'a800:alpha', 'a800:gamma']);
    store.command('runs.clearFilter');
    store.command('runs.filter');
    for (const ch of 'gpu1') store.command('input.char', ch);
    store.command('input.submit');
    expect(ids(store.getState())).toEqual(['gpu1:delta', 'gpu1:eps']);
    expect(store.getState().runsSort).toBe('state');
  });

  it('is s in the runs pane, listed in the help', () => {
    const { store } = world();
    expect(resolveKey(store.keymap, ['runs', 'global'], 's')?.command).toBe('runs.sort');
    expect(resolveKey(store.keymap, ['log', 'global'], 's')).toBeNull();
    const runs = helpSections(store.keymap).find((x) => x.scope === 'runs');
    expect(runs?.rows).toContainEqual({ keys: 's', description: 'sort: host, state, progress, last output', command: 'runs.sort' });
  });
});

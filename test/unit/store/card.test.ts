// The run card in the store: i opens it for the selected run (asking its source), its data arrives
// as 'card' events for that run only, its keys scroll it and act on its run, Esc closes it.
import { describe, expect, it } from 'vitest';
import { activeScopes, type Effect } from '../../../src/store/index.js';
import { sampleCard } from '../../ui/card-fixture.js';
import { fixtureStore } from '../../ui/fixture-store.js';

function effects(store: ReturnType<typeof fixtureStore>['store']): Effect[] {
  const out: Effect[] = [];
  store.onEffect((e) => out.push(e));
  return out;
}

describe('the run card', () => {
  it('i opens it for the selected run; its keys take over; Esc closes it and stops its source', () => {
    const { store } = fixtureStore();
    const fx = effects(store);
    store.command('card.open');
    const s = store.getState();
    expect(s.card).toMatchObject({ runId: 'a800:training', top: 0, data: null, loading: 'reading a800:training…' });
    expect(activeScopes(s)).toEqual(['card']);
    expect(fx).toEqual([{ type: 'card.open', runId: 'a800:training', host: 'a800', session: 'training' }]);
    store.command('card.close');
    expect(store.getState().card).toBeNull();
    expect(fx.at(-1)).toEqual({ type: 'card.close' });
  });
  it('takes data for its run only; an error keeps the last data', () => {
    const { store } = fixtureStore();
    store.command('card.open');
    store.dispatch({ type: 'card', runId: 'gpu1:train_v1', data: sampleCard() });
    expect(store.getState().card?.data).toBeNull();
    store.dispatch({ type: 'card', runId: 'a800:training', loading: 'reading the whole log: 3 MiB…' });
    expect(store.getState().card?.loading).toBe('reading the whole log: 3 MiB…');
    store.dispatch({ type: 'card', runId: 'a800:training', data: sampleCard() });
    expect(store.getState().card).toMatchObject({ loading: null, error: null });
    store.dispatch({ type: 'card', runId: 'a800:training', error: 'a800 was lost' });
    expect(store.getState().card?.data).not.toBeNull();
    expect(store.getState().card?.error).toBe('a800 was lost');
  });
  it('scrolls, toggles the log scale, and l goes to the log', () => {
    const { store } = fixtureStore();
    store.command('card.open');
    store.command('card.down');
    store.command('card.down');
    store.command('card.up');
    expect(store.getState().card?.top).toBe(1);
    store.command('card.top');
    expect(store.getState().card?.top).toBe(0);
    store.command('card.logScale');
    expect(store.getState().card?.log).toBe(true);
    store.command('card.log');
    expect(store.getState().card).toBeNull();
    expect(store.getState().focus).toBe('log');
  });
  it('K asks to kill the card\'s run, over the card', () => {
    const { store } = fixtureStore();
    store.command('card.open');
    store.command('run.kill');
    expect(store.getState().confirm).toMatchObject({ kind: 'kill', runId: 'a800:training' });
    expect(activeScopes(store.getState())[0]).toMatch(/^confirm/);
    expect(store.getState().card).not.toBeNull();
  });
});

// The run card (`i`): opening it asks for the card's source (effects), its data arrives as 'card'
// events, its keys scroll it and act on its run. Pure.
import { checkpointsOf, selectedRun, sortedCheckpoints } from './selectors.js';
import type { Effect, State, StoreEvent } from './state.js';

/** Rows a page moves: the screen less the borders and the status bar. */
const page = (s: State): number => Math.max(1, s.size.rows - 4);

export function cardEvent(s: State, ev: Extract<StoreEvent, { type: 'card' }>): State {
  const c = s.card;
  if (c === null || c.runId !== ev.runId) return s;
  return {
    ...s,
    card: {
      ...c,
      data: ev.data ?? c.data,
      loading: ev.loading !== undefined ? ev.loading : ev.data ? null : c.loading,
      error: ev.error !== undefined ? ev.error : ev.data ? null : c.error,
    },
  };
}

/** Card commands; null when `id` is not one of them. */
export function cardCommand(s: State, id: string, effects: Effect[], say: (s: State, text: string, level?: 'info' | 'warn') => State): State | null {
  switch (id) {
    case 'card.open': {
      if (s.card !== null) return closeCard(s, effects);
      const run = selectedRun(s);
      if (run === null) return say(s, 'no run selected', 'warn');
      effects.push({ type: 'card.open', runId: run.id, host: run.host, session: run.session });
      return { ...s, card: { runId: run.id, host: run.host, session: run.session, top: 0, log: false, data: null, loading: `reading ${run.id}…`, error: null } };
    }
    case 'card.close':
      return closeCard(s, effects);
    case 'card.log':
      return { ...closeCard(s, effects), focus: 'log' };
    default:
      break;
  }
  const c = s.card;
  if (c === null) return null;
  switch (id) {
    case 'card.down':
      return { ...s, card: { ...c, top: c.top + 1 } };
    case 'card.up':
      return { ...s, card: { ...c, top: Math.max(0, c.top - 1) } };
    case 'card.pageDown':
      return { ...s, card: { ...c, top: c.top + page(s) } };
    case 'card.pageUp':
      return { ...s, card: { ...c, top: Math.max(0, c.top - page(s)) } };
    case 'card.top':
      return { ...s, card: { ...c, top: 0 } };
    case 'card.logScale':
      return say({ ...s, card: { ...c, log: !c.log } }, c.log ? 'loss charts: linear scale' : 'loss charts: log scale');
    case 'card.pull': {
      const run = selectedRun(s);
      const listing = checkpointsOf(s);
      const newest = sortedCheckpoints(listing)[0];
      if (run === null || listing === null || newest === undefined) return say(s, 'no checkpoint to pull (none listed yet)', 'warn');
      effects.push({ type: 'ckpt.pull', runId: run.id, host: run.host, dir: listing.dir, checkpoint: newest });
      return say(s, `pulling ${newest.name} from ${run.host}…`);
    }
    default:
      return null;
  }
}

function closeCard(s: State, effects: Effect[]): State {
  if (s.card === null) return s;
  effects.push({ type: 'card.close' });
  return { ...s, card: null };
}

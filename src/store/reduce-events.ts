// The events view (`e`): the recent events, newest first; Enter selects the event's run. Pure.
import { visibleRuns } from './selectors.js';
import { EVENTS_SHOWN, type Effect, type State, type StoreEvent } from './state.js';

/** New events from the events layer, appended (oldest first), the newest EVENTS_SHOWN kept. */
export function addEvents(s: State, ev: Extract<StoreEvent, { type: 'events' }>): State {
  if (ev.events.length === 0) return s;
  const events = [...s.events, ...ev.events].slice(-EVENTS_SHOWN);
  // the selection stays on the event it was on
  const view = s.eventsView === null ? null : Math.min(events.length - 1, s.eventsView + ev.events.length);
  return { ...s, events, eventsView: view };
}

/**
 * Events view commands; null when `id` is not one of them. `select` hands a run id to the caller,
 * which selects it as the runs pane would.
 */
export function eventsCommand(s: State, id: string, select: (s: State, runId: string) => State): State | null {
  switch (id) {
    case 'events.open':
      return { ...s, eventsView: s.eventsView === null ? 0 : null };
    case 'events.close':
      return { ...s, eventsView: null };
    case 'events.down':
    case 'events.up': {
      if (s.eventsView === null || s.events.length === 0) return s;
      const j = id === 'events.down' ? Math.min(s.events.length - 1, s.eventsView + 1) : Math.max(0, s.eventsView - 1);
      return { ...s, eventsView: j };
    }
    case 'events.select': {
      if (s.eventsView === null) return s;
      const e = s.events[s.events.length - 1 - s.eventsView];
      const t: State = { ...s, eventsView: null };
      if (e === undefined || e.run === null) return t;
      if (!visibleRuns(t).some((r) => r.id === e.run)) {
        const gone = t.runsFilter !== '' ? ' (the filter hides it: Esc in the runs pane clears it)' : ' (it is gone from its host)';
        return { ...t, message: { text: `${e.run} is not in the runs list${gone}`, level: 'warn', at: s.now } };
      }
      return { ...select(t, e.run), focus: 'runs' };
    }
    default:
      return null;
  }
}

/** Commands kept in the view. */
const COMMANDS_SHOWN = 500;

export function addCommands(s: State, ev: Extract<StoreEvent, { type: 'commands' }>): State {
  const commands = (ev.replace ? ev.entries : [...s.commands, ...ev.entries]).slice(-COMMANDS_SHOWN);
  const view = s.commandsView === null || ev.replace ? s.commandsView : Math.min(commands.length - 1, s.commandsView + ev.entries.length);
  return { ...s, commands, commandsView: view };
}

/** Command log view commands; null when `id` is not one of them. */
export function commandsCommand(s: State, id: string, effects: Effect[]): State | null {
  switch (id) {
    case 'commands.open':
      if (s.commandsView !== null) return { ...s, commandsView: null, commands: [] };
      effects.push({ type: 'commands.open' });
      return { ...s, commandsView: 0 };
    case 'commands.close':
      return { ...s, commandsView: null, commands: [] };
    case 'commands.down':
    case 'commands.up': {
      if (s.commandsView === null || s.commands.length === 0) return s;
      const j = id === 'commands.down' ? Math.min(s.commands.length - 1, s.commandsView + 1) : Math.max(0, s.commandsView - 1);
      return { ...s, commandsView: j };
    }
    default:
      return null;
  }
}

// The monitor's control effects that run outside React, for the monitor command to install:
//   const off = installPeekEffect({ store, hosts, specs });   // 'p' on a run: live pane view
// Peek shows the run's tmux pane (capture-pane, 1-2 a second, read-only) in the log pane in place of
// its log; 'p' again, selecting another run, attaching or quitting ends it and puts the log back
// with the lines its follower delivered meanwhile (they are kept aside while the pane is shown).
// Attach and kill are run by src/commands/monitor.ts with attachInteractive / killSession.
import type { HostSpec } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { PanePeek, type PeekOptions } from '../sources/peek.js';
import type { Effect, Store, StoreEvent } from '../store/index.js';

export interface PeekEffectOptions {
  store: Store;
  hosts: Map<string, Host>;
  specs: readonly HostSpec[];
  peek?: PeekOptions;
}

/** The lines a run's buffer holds now, oldest first (to put back after a peek). */
function savedLines(store: Store, runId: string): string[] {
  const buf = store.peekLog(runId);
  if (!buf || buf.length === 0) return [];
  return buf.slice(buf.lastSeq - buf.length + 1, buf.lastSeq + 1);
}

export function installPeekEffect(o: PeekEffectOptions): () => void {
  const { store } = o;
  /** The run's log as it was, plus what its follower added while the pane was shown. */
  let saved: { runId: string; lines: string[]; hasLog: boolean } | null = null;
  /** The pane lines on show, and the buffer's state right after we put them there. */
  let snapshot: string[] = [];
  let mark: { version: number; nextSeq: number } | null = null;

  const show = (runId: string) => {
    store.dispatch({ type: 'log.reset', runId });
    if (snapshot.length > 0) store.dispatch({ type: 'log', runId, chunk: { kind: 'lines', lines: snapshot, offset: 0 } });
    const b = store.peekLog(runId);
    mark = b ? { version: b.version, nextSeq: b.nextSeq } : null;
  };

  const peek = new PanePeek((e: StoreEvent) => {
    if (e.type === 'log' && saved && e.runId === saved.runId && e.chunk.kind === 'lines') {
      snapshot = e.chunk.lines;
      show(e.runId);
    } else if (e.type === 'log.reset' && saved && e.runId === saved.runId) {
      snapshot = [];
      show(e.runId);
    } else if (e.type !== 'log' && e.type !== 'log.reset') store.dispatch(e);
  }, o.peek);

  // Another source (the log follower) wrote into the run's buffer while the pane is shown: keep its
  // lines for later and show the pane again (at most one published frame shows the mix).
  const offSub = store.subscribe(() => {
    if (!saved || peek.runId !== saved.runId || mark === null) return;
    const b = store.peekLog(saved.runId);
    if (!b || b.version === mark.version) return;
    if (saved.hasLog) saved.lines.push(...b.slice(mark.nextSeq, b.nextSeq));
    show(saved.runId);
  });

  const end = (why: string | null) => {
    const runId = peek.runId;
    peek.stop();
    if (saved && runId !== null) {
      const { lines } = saved;
      saved = null;
      store.dispatch({ type: 'log.reset', runId });
      if (lines.length > 0) store.dispatch({ type: 'log', runId, chunk: { kind: 'lines', lines, offset: 0 } });
      if (why) store.dispatch({ type: 'message', text: why });
    }
    saved = null;
    snapshot = [];
    mark = null;
  };

  const onEffect = (e: Effect) => {
    switch (e.type) {
      case 'run.peek': {
        if (peek.runId === e.runId) {
          end(`peek ended: ${e.runId}'s log again`);
          return;
        }
        end(null);
        const spec = o.specs.find((s) => s.name === e.host);
        const host = o.hosts.get(e.host);
        if (!spec || !host) {
          store.dispatch({ type: 'message', text: `peek: host ${e.host} is not open`, level: 'warn' });
          return;
        }
        const run = (store.getState().runsByHost[e.host] ?? []).find((r) => r.id === e.runId);
        saved = { runId: e.runId, lines: savedLines(store, e.runId), hasLog: Boolean(run?.log) };
        peek.start({ runId: e.runId, host, spec, session: e.session });
        return;
      }
      case 'log.select':
        if (peek.runId !== null && peek.runId !== e.runId) end(null);
        return;
      case 'run.attach':
      case 'run.kill':
      case 'app.quit':
        end(null);
        return;
      default:
        return;
    }
  };
  const off = store.onEffect(onEffect);
  return () => {
    off();
    offSub();
    end(null);
  };
}

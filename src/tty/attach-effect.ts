// The monitor's control effects that run outside React, for the monitor command to install:
//   const off = installPeekEffect({ store, hosts, specs });   // 'p' on a run: live pane view
// Peek shows the run's tmux pane (capture-pane, 1-2 a second, read-only) in the log pane in place of
// its log; 'p' again, selecting another run, attaching or quitting ends it and puts the log back
// as it was when the peek began (the follower keeps appending new lines from there).
// Attach and kill are run by src/commands/monitor.ts with attachInteractive / killSession.
import type { HostSpec } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { PanePeek, type PeekOptions } from '../sources/peek.js';
import type { Effect, Store } from '../store/index.js';

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
  const peek = new PanePeek((e) => store.dispatch(e), o.peek);
  let saved: { runId: string; lines: string[] } | null = null;

  const end = (why: string | null) => {
    const runId = peek.runId;
    peek.stop();
    if (saved && runId !== null) {
      store.dispatch({ type: 'log.reset', runId: saved.runId });
      if (saved.lines.length > 0) store.dispatch({ type: 'log', runId: saved.runId, chunk: { kind: 'lines', lines: saved.lines, offset: 0 } });
      if (why) store.dispatch({ type: 'message', text: why });
    }
    saved = null;
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
        saved = { runId: e.runId, lines: savedLines(store, e.runId) };
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
    end(null);
  };
}

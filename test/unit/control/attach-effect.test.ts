// installPeekEffect on a real store: 'p' shows the pane in place of the log, 'p' again (or selecting
// another run) puts the log back as it was; a strict fake host answers capture-pane only.
import { describe, expect, it } from 'vitest';
import { installPeekEffect } from '../../../src/tty/attach-effect.js';
import { createStore } from '../../../src/store/index.js';
import type { Host } from '../../../src/remote/host.js';
import { ok, type Run } from '../../../src/domain/types.js';

const spec = { name: 'gpu', local: false, ssh: 'rtk-gpu' };

function run(session: string): Run {
  return {
    id: `gpu:${session}`, host: 'gpu', session, state: 'running', reason: null, alerts: [], progress: null, metrics: {},
    log: `/home/u/${session}.log`, checkpoints: null, lastOutputSecondsAgo: 1, attachedClients: 0, createdAt: null,
  };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function lines(store: ReturnType<typeof createStore>, runId: string): string[] {
  const b = store.peekLog(runId);
  return b ? b.slice(b.lastSeq - b.length + 1, b.lastSeq + 1) : [];
}

describe('installPeekEffect', () => {
  it('shows the pane while peeking and restores the log after', async () => {
    const seen: string[] = [];
    const host = {
      exec: (cmd: string) => {
        if (!/capture-pane -p -e -J/.test(cmd)) throw new Error(`unexpected command: ${cmd}`);
        seen.push(cmd);
        return Promise.resolve(ok({ code: 0, stdout: Buffer.from('pane line 1\npane line 2\n\n'), stderr: Buffer.alloc(0) }));
      },
    } as unknown as Host;
    const store = createStore({ hosts: ['gpu'] });
    const off = installPeekEffect({ store, hosts: new Map([['gpu', host]]), specs: [spec], peek: { intervalMs: 60_000 } });
    store.dispatch({ type: 'runs', host: 'gpu', runs: [run('a'), run('b')] });
    store.dispatch({ type: 'log', runId: 'gpu:a', chunk: { kind: 'lines', lines: ['log 1', 'log 2'], offset: 10 } });
    expect(store.getState().selectedRunId).toBe('gpu:a');

    store.command('run.peek');
    await settle();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/RTK_SESSION=a awk .*\n.*capture-pane .* -t "\$sid:"\n$/s);
    expect(lines(store, 'gpu:a')).toEqual(['pane line 1', 'pane line 2']);

    // the log follower keeps writing: the pane stays on show, the lines are kept for later
    store.dispatch({ type: 'log', runId: 'gpu:a', chunk: { kind: 'lines', lines: ['log 3'], offset: 20 } });
    store.flush();
    expect(lines(store, 'gpu:a')).toEqual(['pane line 1', 'pane line 2']);

    store.command('run.peek'); // again: back to the log
    await settle();
    expect(lines(store, 'gpu:a')).toEqual(['log 1', 'log 2', 'log 3']);
    expect(store.getState().message?.text).toMatch(/peek ended/);

    store.command('run.peek');
    await settle();
    expect(lines(store, 'gpu:a')).toEqual(['pane line 1', 'pane line 2']);
    store.command('runs.down'); // another run selected: the peek ends, a's log is back
    await settle();
    expect(store.getState().selectedRunId).toBe('gpu:b');
    expect(lines(store, 'gpu:a')).toEqual(['log 1', 'log 2', 'log 3']);
    off();
    store.dispose();
  });
});

// A strict fake Host for source and command tests: exec answers through the test's function (which
// fails the test on a command it does not expect); a stream is never expected; always connected.
import { ok, type HostConnState, type Result } from '../../src/domain/types.js';
import type { ExecResult, Host } from '../../src/remote/host.js';

export function fakeHost(name: string, exec: (cmd: string) => Result<ExecResult> | Promise<Result<ExecResult>>): Host {
  return {
    name,
    local: false,
    async exec(cmd) {
      return exec(cmd);
    },
    async stream(cmd) {
      throw new Error(`unexpected stream: ${cmd}`);
    },
    state: () => ({ name, phase: 'connected', status: 'connected', error: null, latencyMs: 1, lastOkAt: 0 }),
    onState: () => () => undefined,
    connect: async () => ok(undefined),
    close: async () => undefined,
  };
}

/** A host that answers each exec (exit 0) with answer(cmd, call: 1, 2, ...) and records the commands. */
export function scriptedHost(answer: (cmd: string, call: number) => string, name = 'h'): Host & { cmds: string[] } {
  const cmds: string[] = [];
  const host = fakeHost(name, (cmd) => {
    cmds.push(cmd);
    return ok({ code: 0, stdout: Buffer.from(answer(cmd, cmds.length)), stderr: Buffer.alloc(0) });
  });
  return Object.assign(host, { cmds });
}

/**
 * A host whose connection state the test changes: its onState listener (the controller's) hears
 * each change. No command may run on it.
 */
export function controlledHost(name = 'h', lastOkAt = 0): { host: Host; change(to: Partial<HostConnState>): void } {
  let st: HostConnState = { name, phase: 'connected', status: 'connected', error: null, latencyMs: 3, lastOkAt };
  let cb: ((s: HostConnState) => void) | null = null;
  const host: Host = {
    ...fakeHost(name, (cmd) => {
      throw new Error(`unexpected exec: ${cmd}`);
    }),
    state: () => st,
    onState: (f) => {
      cb = f;
      return () => (cb = null);
    },
  };
  return {
    host,
    change(to) {
      st = { ...st, ...to };
      cb?.(st);
    },
  };
}

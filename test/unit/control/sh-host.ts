// A minimal Host for tests: runs each script with `sh -c` on this machine, in an environment the
// test chooses (an isolated TMUX_TMPDIR and HOME), so the real tmux and sh parse what we build.
import { spawn } from 'node:child_process';
import type { Host, ExecResult } from '../../../src/remote/host.js';
import { ok, type Result } from '../../../src/domain/types.js';

export interface ShHost extends Host {
  /** Every script exec() was given, in order. */
  scripts: string[];
}

export function shHost(env: NodeJS.ProcessEnv, cwd?: string): ShHost {
  const scripts: string[] = [];
  const state = { name: 'local', phase: 'connected', status: 'connected', error: null, latencyMs: 0, lastOkAt: Date.now() } as const;
  return {
    name: 'local',
    local: true,
    scripts,
    exec(command, opts = {}): Promise<Result<ExecResult>> {
      scripts.push(command);
      return new Promise((resolve) => {
        const p = spawn('sh', ['-c', command], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const errb: Buffer[] = [];
        p.stdout.on('data', (d: Buffer) => out.push(d));
        p.stderr.on('data', (d: Buffer) => errb.push(d));
        p.stdin.end(opts.stdin ?? '');
        p.on('close', (code) => resolve(ok({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(errb) })));
      });
    },
    stream: () => Promise.reject(new Error('stream is not used by these tests')),
    state: () => ({ ...state }),
    onState: () => () => undefined,
    connect: () => Promise.resolve(ok(undefined)),
    close: () => Promise.resolve(),
  };
}

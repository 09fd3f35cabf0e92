// A minimal local Host for helper C's tests (sh -c through child_process), independent of src/remote.
import { spawn } from 'node:child_process';
import { ok, type HostConnState, type Result, type RtkError } from '../../src/domain/types.js';
import type { ExecOptions, ExecResult, Host, StreamHandle } from '../../src/remote/host.js';

export function localTestHost(name = 'local', env: NodeJS.ProcessEnv = process.env): Host & { execs: string[] } {
  const execs: string[] = [];
  const st: HostConnState = { name, phase: 'connected', status: 'connected', error: null, latencyMs: 0, lastOkAt: 0 };
  return {
    name,
    local: true,
    execs,
    exec(command: string, opts: ExecOptions = {}): Promise<Result<ExecResult>> {
      execs.push(command);
      return new Promise((resolve) => {
        const child = spawn('sh', ['-c', command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const errb: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => errb.push(b));
        child.on('close', (code) => resolve(ok({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(errb) })));
        // a command that exits before reading its stdin: EPIPE is no error of the test
        child.stdin.on('error', () => undefined);
        child.stdin.end(opts.stdin ?? '');
      });
    },
    async stream(command: string): Promise<Result<StreamHandle>> {
      const child = spawn('sh', ['-c', command], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      let cb: ((code: number | null, e: RtkError | null) => void) | null = null;
      child.on('close', (code) => cb?.(code, null));
      child.stdin.on('error', () => undefined);
      return ok({
        onData: (f) => void child.stdout.on('data', f),
        onStderr: (f) => void child.stderr.on('data', f),
        onClose: (f) => {
          cb = f;
        },
        close: () => {
          // once reaped, its pid (and group) may be anyone's
          if (child.exitCode !== null || child.signalCode !== null) return;
          try {
            process.kill(-child.pid!, 'SIGTERM');
          } catch {
            /* gone */
          }
        },
      });
    },
    state: () => ({ ...st }),
    onState: () => () => undefined,
    connect: async () => ok(undefined),
    close: async () => undefined,
  };
}

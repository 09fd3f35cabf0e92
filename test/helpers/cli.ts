// The built binary against the lab: its HOME and ssh config (lab.env), output captured, killed after
// a minute at most.
import { execFile, spawn } from 'node:child_process';
import type { Lab } from './lab.js';
import { BIN } from './tui.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function labCli(lab: Lab, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((res) => {
    const c = spawn(BIN, args, { env: lab.env(env), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('close', (code) => res({ code, stdout, stderr }));
  });
}

/** The built binary under node with the lab's config, in `cwd`, its stdout as bytes (logs is byte-exact to a pipe). */
export function labCliBytes(lab: Lab, args: string[], cwd: string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--config', lab.rtkConfig, ...args], { env: lab.env(), cwd, encoding: 'buffer', timeout: 60_000 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

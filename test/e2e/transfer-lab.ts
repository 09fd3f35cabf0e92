// Shared by the transfer and check e2e files: the lab with SFTP on the target, and the built CLI.
// The lab's target sshd has no `Subsystem sftp` line (lab.ts belongs to the transport helper), so it
// is added here and sshd re-reads its config on SIGHUP (same pid, open sessions untouched).
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../helpers/lab.js';

export const BIN = fileURLToPath(new URL('../../bin/rtk-tui', import.meta.url));

const SFTP_SERVER = ['/usr/lib/openssh/sftp-server', '/usr/libexec/openssh/sftp-server', '/usr/libexec/sftp-server'].find(existsSync) ?? 'internal-sftp';

export async function until(fn: () => boolean | Promise<boolean>, what: string, deadlineMs = 15_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function sftpWorks(lab: Lab): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sftp', ['-F', lab.sshConfig, '-o', 'BatchMode=yes', '-b', '/dev/null', 'rtk-gpu'], { timeout: 10_000 }, (e) => resolve(!e));
  });
}

export async function enableSftp(lab: Lab): Promise<void> {
  const cfg = join(lab.dir, 'gpu_sshd_config');
  if (!/^\s*Subsystem\s+sftp/im.test(readFileSync(cfg, 'utf8'))) {
    appendFileSync(cfg, `\nSubsystem sftp ${SFTP_SERVER}\n`);
    process.kill(Number(readFileSync(join(lab.dir, 'gpu_sshd.pid'), 'utf8').trim()), 'SIGHUP');
  }
  await until(() => sftpWorks(lab), 'SFTP on the lab target', 20_000);
}

/** The lab with SFTP, and two empty directories in it for the files of a test: `local` (this side)
 * and `remote` (the target's side; the lab's two ends share one filesystem). */
export interface TransferLab extends Lab {
  localDir: string;
  remoteDir: string;
}

export async function startTransferLab(): Promise<TransferLab> {
  const lab = await startLab();
  try {
    await enableSftp(lab);
  } catch (e) {
    await lab.stop();
    throw e;
  }
  const localDir = join(lab.dir, 'local');
  const remoteDir = join(lab.dir, 'remote');
  mkdirSync(localDir);
  mkdirSync(remoteDir);
  return Object.assign(lab, { localDir, remoteDir });
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProc {
  done: Promise<CliRun>;
  stderr(): string;
  kill(): void;
}

/** The built rtk-tui with the lab's HOME and config; output captured. */
export function startCli(lab: Lab, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliProc {
  const child = spawn(process.execPath, [BIN, '--config', lab.rtkConfig, ...args], {
    cwd: opts.cwd ?? lab.dir,
    env: lab.env({ NO_COLOR: '1', ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ code, stdout: out, stderr: err })));
  return { done, stderr: () => err, kill: () => child.kill('SIGKILL') };
}

export function cli(lab: Lab, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return startCli(lab, args, opts).done;
}

// The transport's front door: openHost (local -> execa, else ssh2), sshArgv for the system ssh
// (attach), hostSftp, statusOf.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { err, type HostSpec, type Result } from '../domain/types.js';
import type { Host } from './host.js';
import { LocalHost } from './local.js';
import { SshHost, type SshHostOptions } from './ssh.js';
import { expandHome, parseDestination } from './ssh-config.js';
import { commandLog, recordingHost } from './command-log.js';

export { statusOf, isFatal } from './status.js';
export { LocalHost } from './local.js';
export { SshHost } from './ssh.js';

export interface HostEnv {
  home: string;
  env: NodeJS.ProcessEnv;
}

/** The HostEnv of this process: HOME (else the password database's home) and the environment. */
export function processHostEnv(env: NodeJS.ProcessEnv = process.env): HostEnv {
  return { home: env.HOME || homedir(), env };
}

/**
 * One Host per spec; each SSH host keeps one connection (through its ProxyJump chain), at most 4
 * channels with a queue, keepalive, and reconnects with backoff except after auth/host-key errors.
 */
export function openHost(spec: HostSpec, henv: HostEnv, opts: Partial<SshHostOptions> = {}): Host {
  const host = spec.local || !spec.ssh ? new LocalHost(spec.name, henv.env) : new SshHost(spec, henv, opts);
  // every command it runs is recorded (rtk-tui log-commands, the monitor's C)
  const log = commandLog();
  return log === null ? host : recordingHost(host, log);
}

/**
 * The argv after `ssh` that reaches the same machine with the system client: -F with the same
 * config file, -J for spec.jump, -i for spec.identityFile, then the destination.
 */
export function sshArgv(spec: HostSpec, henv: HostEnv): string[] {
  const argv: string[] = [];
  const cfg = join(henv.home, '.ssh', 'config');
  if (existsSync(cfg)) argv.push('-F', cfg);
  if (spec.jump) argv.push('-J', spec.jump);
  if (spec.identityFile) argv.push('-i', expandHome(spec.identityFile, henv.home));
  const dest = spec.ssh ?? spec.name;
  const d = parseDestination(dest);
  // `--` before the destination whatever it is: nothing after it is read as an option (a remote
  // command may follow); a destination parseDestination refuses never reaches here from a config
  if (d.ok && d.value.port !== null) {
    argv.push('-p', String(d.value.port));
    if (d.value.user !== null) argv.push('-l', d.value.user);
    argv.push('--', d.value.host);
  } else argv.push('--', dest);
  return argv;
}

/** The SFTP session of an SSH host (one channel of its budget until `end()`). */
export async function hostSftp(host: Host): Promise<Result<SFTPWrapper>> {
  if ('sftp' in host && typeof (host as SshHost).sftp === 'function') return (host as SshHost).sftp();
  return err('usage', `host ${host.name} is local: it has no SFTP session; use its files directly.`);
}

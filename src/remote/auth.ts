// Which authentication methods to offer one hop, decided before dialing: the agent (SSH_AUTH_SOCK,
// filtered to the configured keys when IdentitiesOnly is set, so a full agent does not trip sshd's
// MaxAuthTries) and the unencrypted identity files. An encrypted key with no agent is reported as
// an 'auth' error at once instead of hanging on a passphrase prompt nobody can answer.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { AuthenticationType, ParsedKey } from 'ssh2';
import { err, ok, type Result } from '../domain/types.js';
import type { ResolvedHop } from './ssh-config.js';

const { OpenSSHAgent, utils } = ssh2;

export type AuthMethod =
  | { type: 'agent'; username: string; agent: InstanceType<typeof OpenSSHAgent> }
  | { type: 'publickey'; username: string; key: Buffer };

export interface AuthPlan {
  methods: AuthMethod[];
  /** What will be tried, for the error message. */
  tried: string[];
  /** Identity files skipped because they need a passphrase. */
  encrypted: string[];
}

/** An agent that only offers the keys whose public halves are in `allowed` (IdentitiesOnly). */
class FilteredAgent extends OpenSSHAgent {
  constructor(
    socket: string,
    private readonly allowed: Set<string>,
  ) {
    super(socket);
  }

  override getIdentities(cb: Parameters<InstanceType<typeof OpenSSHAgent>['getIdentities']>[0]): void {
    super.getIdentities((e, keys) => {
      if (e || !keys) return cb(e, keys);
      // the OpenSSH agent answers with parsed keys
      cb(e, (keys as ParsedKey[]).filter((k) => this.allowed.has(k.getPublicSSH().toString('base64'))));
    });
  }
}

function publicBlobOf(privatePath: string, parsed: ParsedKey | null, read: (p: string) => Buffer): string | null {
  if (parsed) return parsed.getPublicSSH().toString('base64');
  try {
    const pub = read(`${privatePath}.pub`).toString('utf8').trim().split(/\s+/)[1];
    return pub ?? null;
  } catch {
    return null;
  }
}

export function planAuth(hop: ResolvedHop, env: NodeJS.ProcessEnv, read: (p: string) => Buffer = readFileSync): Result<AuthPlan> {
  const username = hop.user;
  const files: AuthMethod[] = [];
  const tried: string[] = [];
  const encrypted: string[] = [];
  const allowed = new Set<string>();
  for (const path of hop.identityFiles) {
    let data: Buffer;
    try {
      data = read(path);
    } catch {
      const blob = publicBlobOf(path, null, read);
      if (blob) allowed.add(blob);
      continue;
    }
    const parsed = utils.parseKey(data);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key instanceof Error || key === undefined) {
      if (/passphrase|encrypted/i.test(key instanceof Error ? key.message : '')) {
        encrypted.push(path);
        const blob = publicBlobOf(path, null, read);
        if (blob) allowed.add(blob);
      }
      continue;
    }
    if (!key.isPrivateKey()) continue;
    const blob = publicBlobOf(path, key, read);
    if (blob) allowed.add(blob);
    files.push({ type: 'publickey', username, key: data });
    tried.push(path);
  }
  const methods: AuthMethod[] = [];
  const sock = env.SSH_AUTH_SOCK;
  if (sock) {
    const agent = hop.identitiesOnly ? new FilteredAgent(sock, allowed) : new OpenSSHAgent(sock);
    methods.push({ type: 'agent', username, agent });
    tried.unshift('the ssh-agent');
  }
  methods.push(...files);
  if (methods.length === 0) {
    const where = `${hop.label} (${hop.user}@${hop.hostname}:${hop.port})`;
    if (encrypted.length > 0) {
      return err(
        'auth',
        `cannot log in to ${where}: the key ${encrypted.join(', ')} needs a passphrase and no ssh-agent is running (SSH_AUTH_SOCK is unset); load it with ssh-add.`,
      );
    }
    return err('auth', `cannot log in to ${where}: no ssh-agent (SSH_AUTH_SOCK) and no usable identity file.`);
  }
  return ok({ methods, tried, encrypted });
}

/** ssh2 takes the methods as an array of objects; the type is looser than ours. */
export function authHandlerOf(plan: AuthPlan): AuthenticationType[] {
  return plan.methods as unknown as AuthenticationType[];
}

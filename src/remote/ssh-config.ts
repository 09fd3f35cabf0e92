// Resolving an ssh alias the way OpenSSH does: `ssh -G` prints the fully evaluated configuration
// (Host/Match blocks, Include, tokens) as lowercase `key value` lines. We run it with
// `-F $HOME/.ssh/config` because OpenSSH takes ~ from the password database, not from $HOME.
// Parsing is pure; only resolveHop/resolveChain spawn `ssh -G` (once per hop, cached per process).
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import { parseDestination, parseProxyJump, type Destination } from '../parse/ssh-destination.js';
import { sshG } from './ssh-g-batch.js';

/** What we need from `ssh -G` for one hop. */
export interface SshGConfig {
  hostname: string | null;
  port: number | null;
  user: string | null;
  identityFiles: string[];
  /** null when absent or `none`. */
  proxyJump: string | null;
  proxyCommand: string | null;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: string | null;
  identitiesOnly: boolean;
  hostKeyAlias: string | null;
  hashKnownHosts: boolean;
  connectTimeoutS: number | null;
}

/** Parse `ssh -G` output. Unknown keys are ignored; garbage yields an empty config, never a throw. */
export function parseSshG(text: string): SshGConfig {
  const cfg: SshGConfig = {
    hostname: null,
    port: null,
    user: null,
    identityFiles: [],
    proxyJump: null,
    proxyCommand: null,
    userKnownHostsFiles: [],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: null,
    identitiesOnly: false,
    hostKeyAlias: null,
    hashKnownHosts: false,
    connectTimeoutS: null,
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const sp = line.search(/\s/);
    if (sp <= 0) continue;
    const key = line.slice(0, sp).toLowerCase();
    const value = line.slice(sp).trim();
    if (value === '') continue;
    switch (key) {
      case 'hostname':
        cfg.hostname = value;
        break;
      case 'port': {
        const n = Number(value);
        if (Number.isInteger(n) && n > 0 && n < 65536) cfg.port = n;
        break;
      }
      case 'user':
        cfg.user = value;
        break;
      case 'identityfile':
        cfg.identityFiles.push(value);
        break;
      case 'proxyjump':
        cfg.proxyJump = value.toLowerCase() === 'none' ? null : value;
        break;
      case 'proxycommand':
        cfg.proxyCommand = value.toLowerCase() === 'none' ? null : value;
        break;
      case 'userknownhostsfile':
        cfg.userKnownHostsFiles = value.split(/\s+/).filter((f) => f.toLowerCase() !== 'none');
        break;
      case 'globalknownhostsfile':
        cfg.globalKnownHostsFiles = value.split(/\s+/).filter((f) => f.toLowerCase() !== 'none');
        break;
      case 'stricthostkeychecking': {
        // ssh -G prints yes as `true` and no/off as `false`
        const v = value.toLowerCase();
        cfg.strictHostKeyChecking = v === 'true' ? 'yes' : v === 'false' ? 'no' : v;
        break;
      }
      case 'identitiesonly':
        cfg.identitiesOnly = value.toLowerCase() === 'yes';
        break;
      case 'hostkeyalias':
        cfg.hostKeyAlias = value;
        break;
      case 'hashknownhosts':
        cfg.hashKnownHosts = value.toLowerCase() === 'yes';
        break;
      case 'connecttimeout': {
        const n = Number(value);
        cfg.connectTimeoutS = Number.isFinite(n) && n > 0 ? n : null;
        break;
      }
      default:
        break;
    }
  }
  return cfg;
}

export { parseDestination, parseProxyJump, type Destination } from '../parse/ssh-destination.js';

/** One resolved hop: everything needed to open and verify one SSH connection. */
export interface ResolvedHop {
  /** What the user wrote (alias or destination), for messages. */
  label: string;
  hostname: string;
  port: number;
  user: string;
  /** Identity files (private key or its .pub exists), ~ expanded, in order. */
  identityFiles: string[];
  identitiesOnly: boolean;
  knownHostsFiles: string[];
  strictHostKeyChecking: string;
  hostKeyAlias: string | null;
  hashKnownHosts: boolean;
  connectTimeoutMs: number | null;
  proxyCommand: string | null;
  /** This hop's own ProxyJump from its configuration (null: none). */
  proxyJump: string | null;
}

export interface HostEnvLike {
  home: string;
  env: NodeJS.ProcessEnv;
}

export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/**
 * Turn parsed `ssh -G` output into a hop. OpenSSH expands default paths with the password
 * database's home; we read ~ as $HOME (DESIGN section 3), so such paths are moved under `home`.
 */
export function toHop(
  label: string,
  g: SshGConfig,
  home: string,
  fallbackHost: string,
  fileExists: (p: string) => boolean = existsSync,
  pwHome: string = passwdHome(),
): ResolvedHop {
  const fix = (p: string): string => {
    const e = expandHome(p, home);
    if (pwHome && pwHome !== home && e.startsWith(`${pwHome}/.ssh/`)) return join(home, e.slice(pwHome.length + 1));
    return e;
  };
  const userFiles = g.userKnownHostsFiles.length > 0 ? g.userKnownHostsFiles : ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
  const globalFiles = g.globalKnownHostsFiles.length > 0 ? g.globalKnownHostsFiles : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
  return {
    label,
    hostname: g.hostname ?? fallbackHost,
    port: g.port ?? 22,
    user: g.user ?? safeUser(),
    // a lone .pub still counts: it picks the agent's key under IdentitiesOnly, as in OpenSSH
    identityFiles: g.identityFiles.map(fix).filter((p) => fileExists(p) || fileExists(`${p}.pub`)),
    identitiesOnly: g.identitiesOnly,
    knownHostsFiles: [...userFiles.map(fix), ...globalFiles],
    strictHostKeyChecking: g.strictHostKeyChecking ?? 'ask',
    hostKeyAlias: g.hostKeyAlias,
    hashKnownHosts: g.hashKnownHosts,
    connectTimeoutMs: g.connectTimeoutS === null ? null : g.connectTimeoutS * 1000,
    proxyCommand: g.proxyCommand,
    proxyJump: g.proxyJump,
  };
}

function passwdHome(): string {
  try {
    return userInfo().homedir;
  } catch {
    return homedir();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** The names of ~/.ssh/config's `Host` lines that are plain aliases (no pattern), for "did you mean". */
export function sshConfigAliases(home: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(home, '.ssh', 'config'), 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*Host\s+(.+)$/i.exec(line);
    if (m) for (const name of m[1]!.trim().split(/\s+/)) if (!/[*?!]/.test(name)) out.push(name);
  }
  return out;
}

/** The -F file we pass, when it exists. */
export function sshConfigPath(henv: HostEnvLike): string | null {
  const p = join(henv.home, '.ssh', 'config');
  return existsSync(p) ? p : null;
}

export type SshGRunner = (args: string[], henv: HostEnvLike) => Promise<Result<string>>;

const SSH_MISSING = 'the ssh program was not found';

// calls of one turn are run together (ssh-g-batch.ts): a monitor of hundreds of hosts spawns a few
// shells, not one process per host
const runSshG: SshGRunner = async (args, henv) => {
  const r = await sshG(args, henv.env, henv.home);
  if (r.code === 0) return ok(r.stdout);
  if (r.missing) return err('config', SSH_MISSING);
  const why =
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('Pseudo-terminal'))[0] ?? `exit ${r.code ?? '?'}`;
  return err('config', `ssh -G ${args[args.length - 1] ?? ''} failed: ${why}`);
};

const cache = new Map<string, Promise<Result<ResolvedHop>>>();

/**
 * Resolve one destination (alias or user@host:port) with `ssh -G`; falls back to the literal
 * destination and OpenSSH's defaults when the ssh program is missing.
 */
export function resolveHop(dest: string, henv: HostEnvLike, runner: SshGRunner = runSshG): Promise<Result<ResolvedHop>> {
  const key = `${henv.home}\0${dest}`;
  const cached = runner === runSshG;
  const hit = cached ? cache.get(key) : undefined;
  if (hit) return hit;
  const p = (async (): Promise<Result<ResolvedHop>> => {
    const d = parseDestination(dest);
    if (!d.ok) return d;
    const args = ['-G'];
    const cfg = sshConfigPath(henv);
    if (cfg) args.push('-F', cfg);
    if (d.value.port !== null) args.push('-p', String(d.value.port));
    if (d.value.user !== null) args.push('-l', d.value.user);
    args.push('--', d.value.host);
    const out = await runner(args, henv);
    let g: SshGConfig;
    if (out.ok) g = parseSshG(out.value);
    else if (out.error.message === SSH_MISSING) {
      g = parseSshG(`hostname ${d.value.host}\nidentityfile ~/.ssh/id_rsa\nidentityfile ~/.ssh/id_ecdsa\nidentityfile ~/.ssh/id_ed25519`);
    } else return out;
    if (d.value.port !== null) g.port = d.value.port;
    if (d.value.user !== null) g.user = d.value.user;
    return ok(toHop(dest, g, henv.home, d.value.host));
  })();
  if (cached) {
    cache.set(key, p);
    void p.then((r) => {
      if (!r.ok) cache.delete(key);
    });
  }
  return p;
}

/** Forget cached `ssh -G` answers (after the user edited ~/.ssh/config). */
export function clearSshConfigCache(): void {
  cache.clear();
}

export const MAX_HOPS = 8;

/**
 * All hops from the first jump host to the target, in connection order. As in OpenSSH, `ProxyJump
 * a,b` reaches b through a (b's own ProxyJump is ignored) while a's own ProxyJump is honoured;
 * spec.jump overrides the target's ProxyJump, and `none` means a direct connection.
 */
export async function resolveChain(spec: HostSpec, henv: HostEnvLike, runner: SshGRunner = runSshG): Promise<Result<ResolvedHop[]>> {
  if (!spec.ssh) return err('config', `host "${spec.name}" has no ssh destination.`);
  const t = await resolveHop(spec.ssh, henv, runner);
  if (!t.ok) return t;
  const target = { ...t.value };
  if (spec.identityFile) {
    const f = expandHome(spec.identityFile, henv.home);
    if (!existsSync(f)) return err('config', `identity file ${spec.identityFile} of host "${spec.name}" does not exist.`);
    target.identityFiles = [f, ...target.identityFiles.filter((x) => x !== f)];
  }
  const before = await jumpsFor(spec.jump !== undefined ? spec.jump : target.proxyJump, henv, runner, 0);
  if (!before.ok) return before;
  return ok([...before.value, target]);
}

async function jumpsFor(chain: string | null, henv: HostEnvLike, runner: SshGRunner, depth: number): Promise<Result<ResolvedHop[]>> {
  const hops = parseProxyJump(chain);
  if (!hops.ok) return hops;
  if (hops.value.length === 0) return ok([]);
  if (depth >= MAX_HOPS) return err('config', `ProxyJump chain "${chain}" is longer than ${MAX_HOPS} hops or loops.`);
  const out: ResolvedHop[] = [];
  for (const [i, d] of hops.value.entries()) {
    const h = await resolveHop(destText(d), henv, runner);
    if (!h.ok) return h;
    if (i === 0) {
      // the first hop is reached the way its own configuration says
      const pre = await jumpsFor(h.value.proxyJump, henv, runner, depth + 1);
      if (!pre.ok) return pre;
      out.push(...pre.value);
    }
    out.push(h.value);
  }
  if (out.length > MAX_HOPS) return err('config', `ProxyJump chain "${chain}" is longer than ${MAX_HOPS} hops or loops.`);
  return ok(out);
}

export function destText(d: Destination): string {
  const host = d.host.includes(':') ? `[${d.host}]` : d.host;
  return `${d.user !== null ? `${d.user}@` : ''}${host}${d.port !== null ? `:${d.port}` : ''}`;
}

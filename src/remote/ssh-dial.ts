// Opening one hop of a connection: the auth plan, the host key check against known_hosts (unknown,
// changed and revoked keys refused with fingerprints; StrictHostKeyChecking no/accept-new
// honoured), host key algorithms ordered by the types known for the host, and ssh2's login errors
// turned into RtkError kinds.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import { err, ok, type Result, type RtkError } from '../domain/types.js';
import { authHandlerOf, planAuth } from './auth.js';
import { checkHostKey, hostToken, keyTypeOf, knownKeyTypes, orderHostKeyAlgorithms, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';
import { addKnownHost } from './known-hosts-file.js';
import { sshConfigAliases, type ResolvedHop } from './ssh-config.js';
import { didYouMean } from '../parse/suggest.js';

const { Client } = ssh2;
export type SshClient = InstanceType<typeof Client>;

/** A host key a dial refused as unknown: what `rtk-tui trust` shows, asks about and writes. */
export interface UnknownHostKey {
  /** `jump host bastion (me@10.0.0.1:22)` / `host gpu (...)`. */
  role: string;
  /** The name known_hosts is searched for: `host` or `[host]:port`. */
  token: string;
  keyType: string;
  fingerprint: string;
  blob: Buffer;
  /** Where OpenSSH would write it (the first UserKnownHostsFile), and whether hashed. */
  file: string | null;
  hashed: boolean;
}

/** A host key that differs from the one known_hosts holds for the host. */
export interface ChangedHostKey {
  role: string;
  token: string;
  known: string[];
  offered: string;
  files: string[];
}

/** What the cause of a host-key error carries (RtkError.cause). */
export type HostKeyProblem = { unknownHostKey: UnknownHostKey } | { changedHostKey: ChangedHostKey };

export interface DialContext {
  /** The rtk-tui host being reached (named in the fix: `rtk-tui trust NAME`). */
  hostName?: string;
  /** HOME, for ~/.ssh/config's aliases in a "did you mean". */
  home?: string;
  env: NodeJS.ProcessEnv;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Clients still logging in (the host destroys them on close()). */
  pending: Set<SshClient>;
}

function addr(hop: ResolvedHop): string {
  return `${hop.user}@${hop.hostname}:${hop.port}`;
}

/** `host gpu (rtk-gpu, root@10.0.0.2:22)`, `jump host bastion (me@10.0.0.1:22)`: who, by which name, where. */
export function describeHop(hostName: string, hop: ResolvedHop, isTarget: boolean): string {
  if (!isTarget) return `jump host ${hop.label} (${addr(hop)})`;
  const aliasShown = hop.label !== hostName && !hop.label.includes(hop.hostname);
  return aliasShown ? `host ${hostName} (${hop.label}, ${addr(hop)})` : `host ${hostName} (${addr(hop)})`;
}

/** Log in to one hop, directly or over `sock` (a forwarded channel of the previous hop). */
export function dialHop(hop: ResolvedHop, role: string, sock: ClientChannel | undefined, ctx: DialContext): Promise<Result<SshClient>> {
    const auth = planAuth(hop, ctx.env);
    if (!auth.ok) return Promise.resolve(auth);
    const token = hostToken(hop.hostKeyAlias ?? hop.hostname, hop.port);
    const tokens = hop.hostKeyAlias ? [hop.hostKeyAlias, token] : [token];
    const entries: KnownHostEntry[] = [];
    for (const f of hop.knownHostsFiles) {
      try {
        entries.push(...parseKnownHosts(readFileSync(f, 'utf8')));
      } catch {
        /* a missing file knows no hosts */
      }
    }
    let refusal: RtkError | null = null;
    const name = `${hop.label} (${hop.hostname}${hop.port === 22 ? '' : `:${hop.port}`})`;
    const strict = hop.strictHostKeyChecking;
    const hostVerifier = (key: Buffer): boolean => {
      const v = checkHostKey(entries, tokens, key);
      if (v.kind === 'ok') return true;
      if (v.kind === 'revoked') {
        refusal = { kind: 'host-key-mismatch', message: `host key for ${name} (${v.fingerprint}) is marked @revoked in known_hosts; refusing to connect.` };
        return false;
      }
      if (v.kind === 'mismatch') {
        // never accepted, whatever StrictHostKeyChecking says: a changed key is how a
        // man-in-the-middle looks, and rtk-tui carries the user's keys and runs
        // -f always: ssh-keygen's default is ~/.ssh of the password database, not of $HOME
        const userFile = hop.knownHostsFiles[0];
        const f = userFile ? ` -f '${userFile}'` : '';
        refusal = {
          kind: 'host-key-mismatch',
          message: `host key for ${name} has changed: known_hosts has ${v.known.join(', ')}, the server offers ${v.fingerprint}; if that is expected, remove the old entry with ssh-keygen${f} -R '${token}', then run rtk-tui trust ${ctx.hostName ?? hop.label}.`,
          cause: { changedHostKey: { role, token, known: v.known, offered: v.fingerprint, files: hop.knownHostsFiles } } satisfies HostKeyProblem,
        };
        return false;
      }
      // OpenSSH writes an unknown key under `no` too (and connects); `accept-new` writes it and connects
      if (strict === 'no' || strict === 'off' || strict === 'accept-new') {
        const file = hop.knownHostsFiles[0];
        if (file) {
          const added = addKnownHost(file, token, key, hop.hashKnownHosts);
          // accepted for this session even when it cannot be written, as OpenSSH carries on
          if (added.ok && added.value.line !== null) entries.push(...parseKnownHosts(added.value.line));
        }
        return true;
      }
      const fix = `check it and add it with rtk-tui trust ${ctx.hostName ?? hop.label}`;
      refusal = {
        kind: 'host-key-unknown',
        message: `host key for ${name} is not known (${keyTypeOf(key) ?? 'key'} ${v.fingerprint})${strict === 'yes' ? ' and StrictHostKeyChecking is yes' : ''}; ${fix} (or connect once with ssh).`,
        cause: {
          unknownHostKey: { role, token, keyType: keyTypeOf(key) ?? 'unknown', fingerprint: v.fingerprint, blob: Buffer.from(key), file: hop.knownHostsFiles[0] ?? null, hashed: hop.hashKnownHosts },
        } satisfies HostKeyProblem,
      };
      return false;
    };
    const cfg: ConnectConfig = {
      host: hop.hostname,
      port: hop.port,
      username: hop.user,
      readyTimeout: hop.connectTimeoutMs ?? ctx.readyTimeoutMs,
      keepaliveInterval: ctx.keepaliveIntervalMs,
      keepaliveCountMax: ctx.keepaliveCountMax,
      hostVerifier,
      authHandler: authHandlerOf(auth.value),
      algorithms: { serverHostKey: orderHostKeyAlgorithms(knownKeyTypes(entries, tokens)) as never },
      ...(sock ? { sock } : {}),
    };
    return new Promise((resolve) => {
      const c = new Client();
      ctx.pending.add(c);
      let settled = false;
      const settle = (r: Result<SshClient>): void => {
        if (settled) return;
        settled = true;
        ctx.pending.delete(c);
        c.removeAllListeners('ready');
        if (!r.ok) {
          c.removeAllListeners('error');
          c.on('error', () => undefined);
          c.end();
        }
        resolve(r);
      };
      c.once('ready', () => {
        c.removeAllListeners('error');
        c.removeAllListeners('close');
        // an 'error' without a listener would throw: dial() adds the real handlers once all hops are up
        c.on('error', () => undefined);
        settle(ok(c));
      });
      c.on('error', (e: Error & { level?: string; code?: string }) => {
        if (refusal) return settle({ ok: false, error: refusal });
        if (e.level === 'client-authentication') {
          const tried = auth.value.tried.join(', ') || 'nothing';
          const enc = auth.value.encrypted.length > 0 ? `; ${auth.value.encrypted.join(', ')} needs a passphrase (load it with ssh-add)` : '';
          return settle(err('auth', `authentication to ${role} failed (tried ${tried})${enc}.`, { cause: e }));
        }
        if (e.level === 'client-timeout') return settle(err('timeout', `${role} did not answer: ${e.message}.`, { cause: e }));
        if (e.code === 'ENOTFOUND') {
          // no such name (not a DNS hiccup, which is EAI_AGAIN): trying again cannot help until it is fixed
          const near = ctx.home ? didYouMean(hop.label, sshConfigAliases(ctx.home)) : '';
          return settle(err('unreachable', `cannot reach ${role}: no host is called ${hop.hostname} (is the ssh alias or host name spelled right?${near ? near.replace(/^ \(/, ' ').replace(/\)$/, '') : ''}); fix it, then press r or run again.`, { cause: e, retry: false }));
        }
        const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.message;
        return settle(err('unreachable', `cannot reach ${role}: ${why}.`, { cause: e }));
      });
      c.on('close', () => settle(refusal ? { ok: false, error: refusal } : err('unreachable', `${role} closed the connection during login.`)));
      try {
        c.connect(cfg);
      } catch (e) {
        settle(err('config', `cannot connect to ${role}: ${(e as Error).message}.`, { cause: e }));
      }
    });
  }

/** What the jump pool needs of a client: ssh2's Client, or a fake in unit tests. */
export interface PoolClient {
  end(): void;
  destroy(): void;
  on(event: 'error' | 'end' | 'close', cb: (e?: Error) => void): unknown;
}

/** One shared jump chain held by a target: its last client (forwardOut from it), release, death. */
export interface JumpLease<T extends PoolClient> {
  last: T;
  /** Drop this target's reference; the chain closes when the last one goes. Idempotent. */
  release(): void;
  /** Called once if the shared chain dies while this lease holds it. */
  onDeath(cb: (e: RtkError) => void): void;
}

interface JumpEntry<T extends PoolClient> {
  ready: Promise<Result<T[]>>;
  clients: T[] | null;
  refs: number;
  waiting: number;
  dead: RtkError | null;
  subs: Set<(e: RtkError) => void>;
  pending: Set<T>;
}

/**
 * One connection per jump chain (same resolved hops, keys, known_hosts and agent), shared by every
 * target behind it: reference-counted, its forwardOut (direct-tcpip) channels multiplexed over it.
 * Targets dialing at once wait for the same login, so a refused jump key is refused once and reported
 * to each of them. When the chain dies every target holding it is told (they reconnect as a unit);
 * when the last target lets go, the chain is closed.
 */
export class JumpPool<T extends PoolClient> {
  private readonly entries = new Map<string, JumpEntry<T>>();

  /** Chains alive or being dialed, with their reference counts (tests, diagnostics). */
  stats(): { key: string; refs: number; dialing: boolean }[] {
    return [...this.entries].map(([key, e]) => ({ key, refs: e.refs, dialing: e.clients === null }));
  }

  /**
   * The chain for `key`, dialing it with `dial` (clients registered in `pending` while logging in)
   * unless one is alive or on its way. `abandoned` resolves when the caller no longer wants it.
   */
  async acquire(
    key: string,
    labels: string[],
    dial: (pending: Set<T>) => Promise<Result<T[]>>,
    abandoned: Promise<void>,
  ): Promise<Result<JumpLease<T>>> {
    let e = this.entries.get(key);
    if (!e || e.dead) {
      const entry: JumpEntry<T> = { ready: Promise.resolve(err('unreachable', 'not dialed')), clients: null, refs: 0, waiting: 0, dead: null, subs: new Set(), pending: new Set() };
      this.entries.set(key, entry);
      entry.ready = dial(entry.pending).then((r) => {
        if (!r.ok) {
          this.kill(key, entry, r.error);
          return r;
        }
        entry.clients = r.value;
        for (const [i, c] of r.value.entries()) {
          const label = `jump host ${labels[i] ?? '?'}`;
          c.on('error', (x?: Error) => this.kill(key, entry, { kind: (x as { level?: string } | undefined)?.level === 'client-timeout' ? 'timeout' : 'unreachable', message: `connection to ${label} was lost${x ? `: ${x.message}` : ''}.`, cause: x }));
          c.on('end', () => this.kill(key, entry, { kind: 'unreachable', message: `connection to ${label} was lost.` }));
          c.on('close', () => this.kill(key, entry, { kind: 'unreachable', message: `connection to ${label} was lost.` }));
        }
        // everyone who asked went away while it was dialing
        if (entry.waiting === 0 && entry.refs === 0) this.kill(key, entry, { kind: 'unreachable', message: 'no host needs this jump connection.' });
        return r;
      });
      e = entry;
    }
    const entry = e;
    entry.waiting++;
    const r = await Promise.race([entry.ready, abandoned.then(() => null)]);
    entry.waiting--;
    if (r === null) {
      if (entry.waiting === 0 && entry.refs === 0) {
        if (entry.clients) this.kill(key, entry, { kind: 'unreachable', message: 'no host needs this jump connection.' });
        else for (const c of [...entry.pending]) c.destroy();
      }
      return err('unreachable', 'the host was closed while its jump host was being dialed.');
    }
    if (!r.ok) return r;
    if (entry.dead) return { ok: false, error: entry.dead };
    const last = r.value[r.value.length - 1];
    if (!last) return err('config', 'empty jump chain.');
    entry.refs++;
    let released = false;
    let sub: ((x: RtkError) => void) | null = null;
    return ok({
      last,
      release: () => {
        if (released) return;
        released = true;
        if (sub) entry.subs.delete(sub);
        if (--entry.refs === 0) this.kill(key, entry, { kind: 'unreachable', message: 'no host needs this jump connection.' });
      },
      onDeath: (cb) => {
        if (released) return;
        sub = (x) => {
          if (!released) cb(x);
        };
        if (entry.dead) return sub(entry.dead);
        entry.subs.add(sub);
      },
    });
  }

  private kill(key: string, entry: JumpEntry<T>, e: RtkError): void {
    if (entry.dead) return;
    entry.dead = e;
    if (this.entries.get(key) === entry) this.entries.delete(key);
    for (const c of entry.clients ?? []) {
      try {
        c.end();
      } catch {
        /* already gone */
      }
    }
    const subs = [...entry.subs];
    entry.subs.clear();
    for (const s of subs) s(e);
  }
}

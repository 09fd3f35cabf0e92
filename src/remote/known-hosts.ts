// known_hosts, the way OpenSSH reads it (sshd.8 "SSH_KNOWN_HOSTS FILE FORMAT", hostfile.c):
// comma-separated host patterns with * ? and ! negation, `[host]:port` for non-22 ports, hashed
// names `|1|base64(salt)|base64(HMAC-SHA1(salt, token))`, and the @revoked / @cert-authority markers.
// Pure: text in, values out; malformed lines are skipped, never thrown on.
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | null;
  /** The host field as written: patterns, or one hashed name. */
  hosts: string;
  keyType: string;
  /** base64 of the key blob, as in the file. */
  keyBase64: string;
  line: number;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let fields = (lines[i] ?? '').trim().split(/[ \t]+/);
    if (fields.length === 0 || fields[0] === '' || fields[0]?.startsWith('#')) continue;
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      if (fields[0] === '@revoked') marker = 'revoked';
      else if (fields[0] === '@cert-authority') marker = 'cert-authority';
      else continue; // an unknown marker: OpenSSH skips the line
      fields = fields.slice(1);
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64 || !/^[A-Za-z0-9+/]+=*$/.test(keyBase64)) continue;
    out.push({ marker, hosts, keyType, keyBase64, line: i + 1 });
  }
  return out;
}

/** The name OpenSSH looks up: `host` for port 22, else `[host]:port` (misc.c put_host_port). */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's match_pattern: `*` any run, `?` exactly one character; case-insensitive for host names. */
export function matchPattern(name: string, pattern: string): boolean {
  const s = name.toLowerCase();
  const p = pattern.toLowerCase();
  // iterative glob with backtracking on the last `*`
  let si = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      si++;
      pi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** A plain host field: any positive pattern matches and no negated one does (match_hostname). */
export function matchPatternList(name: string, list: string): boolean {
  let positive = false;
  for (const raw of list.split(',')) {
    if (raw === '') continue;
    if (raw.startsWith('!')) {
      if (matchPattern(name, raw.slice(1))) return false;
    } else if (matchPattern(name, raw)) positive = true;
  }
  return positive;
}

/** A hashed host field `|1|salt|hmac` against one token. */
export function matchHashed(token: string, field: string): boolean {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const want = parts[3] ?? '';
  if (salt.length === 0 || want === '') return false;
  return createHmac('sha1', salt).update(token).digest('base64') === want;
}

export function entryMatches(entry: KnownHostEntry, token: string): boolean {
  return entry.hosts.startsWith('|') ? matchHashed(token, entry.hosts) : matchPatternList(token, entry.hosts);
}

/** `SHA256:` + unpadded base64 of the key blob's SHA-256, as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside a wire-format public key blob (its first SSH string), or null. */
export function keyTypeOf(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || blob.length < 4 + n) return null;
  return blob.subarray(4, 4 + n).toString('latin1');
}

export type HostKeyVerdict =
  | { kind: 'ok' }
  | { kind: 'unknown'; fingerprint: string; knownTypes: string[] }
  | { kind: 'mismatch'; fingerprint: string; known: string[] }
  | { kind: 'revoked'; fingerprint: string };

/**
 * Check a server's key blob against known_hosts entries for any of the tokens (usually one:
 * hostToken(HostKeyAlias ?? HostName, port)). Like OpenSSH: a revoked key is refused first; a key
 * listed for the host is accepted; another key of the same type listed for the host is a change.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], tokens: readonly string[], blob: Buffer): HostKeyVerdict {
  const b64 = blob.toString('base64');
  const type = keyTypeOf(blob);
  const fp = fingerprint(blob);
  if (entries.some((e) => e.marker === 'revoked' && e.keyBase64 === b64)) return { kind: 'revoked', fingerprint: fp };
  const mine = entries.filter((e) => e.marker === null && tokens.some((t) => entryMatches(e, t)));
  if (mine.some((e) => e.keyBase64 === b64)) return { kind: 'ok' };
  const sameType = mine.filter((e) => e.keyType === type);
  if (sameType.length > 0) {
    return { kind: 'mismatch', fingerprint: fp, known: sameType.map((e) => fingerprint(Buffer.from(e.keyBase64, 'base64'))) };
  }
  return { kind: 'unknown', fingerprint: fp, knownTypes: [...new Set(mine.map((e) => e.keyType))] };
}

/** Key types listed (not revoked, not CA) for the host, in file order. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], tokens: readonly string[]): string[] {
  const types: string[] = [];
  for (const e of entries) {
    if (e.marker !== null || !tokens.some((t) => entryMatches(e, t))) continue;
    if (!types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** ssh2's default host key algorithms (lib/protocol/constants.js), best first. */
export const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;

/** Signature algorithms that a known key of this type can verify. */
function algorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}

/**
 * OpenSSH's order_hostkeyalgs: algorithms for key types already known for this host go first, so
 * the server presents a key we can check instead of, say, an ed25519 key when only ECDSA is known.
 */
export function orderHostKeyAlgorithms(knownTypes: readonly string[], all: readonly string[] = DEFAULT_HOST_KEY_ALGORITHMS): string[] {
  const first: string[] = [];
  for (const t of knownTypes) for (const a of algorithmsFor(t)) if (all.includes(a) && !first.includes(a)) first.push(a);
  return [...first, ...all.filter((a) => !first.includes(a))];
}

/** One known_hosts line for a key, hashed like `HashKnownHosts yes` when asked. */
export function knownHostsLine(token: string, blob: Buffer, hashed: boolean, salt?: Buffer): string {
  const type = keyTypeOf(blob) ?? 'unknown';
  let name = token;
  if (hashed) {
    const s = salt ?? createHash('sha1').update(`${token}${Date.now()}${Math.random()}`).digest();
    name = `|1|${s.toString('base64')}|${createHmac('sha1', s).update(token).digest('base64')}`;
  }
  return `${name} ${type} ${blob.toString('base64')}`;
}

// ssh destinations as people write them (alias, user@host, host:port, [v6]:port, ssh://...) and
// ProxyJump chains: pure, no I/O. A user or host that starts with "-" is refused: the system ssh
// would read it as an option (-oProxyCommand=...).
import { err, ok, type Result } from '../domain/types.js';

/** A destination as written: `alias`, `user@host`, `host:port`, `user@[v6::addr]:port`, `ssh://user@host:port`. */
export interface Destination {
  user: string | null;
  host: string;
  port: number | null;
}

export function parseDestination(spec: string): Result<Destination> {
  let s = spec.trim();
  if (s === '' || /\s/.test(s)) return err('usage', `"${spec}" is not an ssh destination (expected alias, user@host or user@host:port).`);
  if (s.startsWith('ssh://')) s = s.slice('ssh://'.length).replace(/\/$/, '');
  let user: string | null = null;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
    if (user === '') return err('usage', `"${spec}" has an empty user name.`);
    // ssh and ssh -G would read it as an option (-oProxyCommand=...): never a user name
    if (user.startsWith('-')) return err('usage', `"${spec}" has a user name starting with "-", which ssh would read as an option.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f-\x9f]/.test(spec)) return err('usage', `${JSON.stringify(spec)} holds a control character: it is not an ssh destination.`);
  let host = s;
  let port: number | null = null;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1] ?? '';
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else {
    const colon = s.split(':');
    if (colon.length === 2) {
      host = colon[0] ?? '';
      if (!/^\d+$/.test(colon[1] ?? '')) return err('usage', `"${spec}" has a port that is not a number.`);
      port = Number(colon[1]);
    } // more than one colon: a bare IPv6 address
  }
  if (host === '') return err('usage', `"${spec}" is not an ssh destination.`);
  if (host.startsWith('-')) return err('usage', `"${spec}" starts with "-", which ssh would read as an option: it is not an ssh destination.`);
  if (port !== null && !(port > 0 && port < 65536)) return err('usage', `"${spec}" has a port outside 1-65535.`);
  return ok({ user, host, port });
}

/** A ProxyJump value: `none` (no jump) or a comma-separated chain of destinations. */
export function parseProxyJump(value: string | null | undefined): Result<Destination[]> {
  if (value === null || value === undefined) return ok([]);
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'none') return ok([]);
  const hops: Destination[] = [];
  for (const part of v.split(',')) {
    const d = parseDestination(part);
    if (!d.ok) return err('config', `ProxyJump "${value}": ${d.error.message}`);
    hops.push(d.value);
  }
  return ok(hops);
}

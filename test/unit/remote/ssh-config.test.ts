import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ok, err, type Result } from '../../../src/domain/types.js';
import {
  destText,
  parseDestination,
  parseProxyJump,
  parseSshG,
  resolveChain,
  toHop,
  type SshGRunner,
} from '../../../src/remote/ssh-config.js';

const fx = (n: string) => readFileSync(new URL(`../../fixtures/remote/${n}`, import.meta.url), 'utf8');

describe('parseSshG', () => {
  const g = parseSshG(fx('ssh-G-jump-alias.txt'));
  it('reads the fields we use from real ssh -G output', () => {
    expect(g.hostname).toBe('10.0.0.1');
    expect(g.port).toBe(2222);
    expect(g.user).toBe('root');
    expect(g.proxyJump).toBe('b,me@c:23');
    expect(g.strictHostKeyChecking).toBe('ask');
    expect(g.identitiesOnly).toBe(false);
    expect(g.identityFiles).toContain('~/.ssh/id_ed25519');
    expect(g.userKnownHostsFiles).toEqual(['/root/.ssh/known_hosts', '/root/.ssh/known_hosts2']);
    expect(g.proxyCommand).toBeNull();
  });
  it('reads StrictHostKeyChecking as ssh -G prints it (yes is `true`, no and off are `false`)', () => {
    expect(parseSshG('stricthostkeychecking true').strictHostKeyChecking).toBe('yes');
    expect(parseSshG('stricthostkeychecking false').strictHostKeyChecking).toBe('no');
    expect(parseSshG('stricthostkeychecking accept-new').strictHostKeyChecking).toBe('accept-new');
    expect(parseSshG('stricthostkeychecking ask').strictHostKeyChecking).toBe('ask');
  });
  it('treats none as absent, and never throws on junk', () => {
    expect(parseSshG('proxyjump none\nproxycommand none\nport 99999\nport x').proxyJump).toBeNull();
    expect(parseSshG('port 99999').port).toBeNull();
    fc.assert(fc.property(fc.string(), (s) => typeof parseSshG(s) === 'object'));
  });
  it('filters identity files that do not exist and reads ~ as $HOME, not the password database home', () => {
    const hop = toHop('a', g, '/home/u', 'a', (p) => p === '/home/u/.ssh/id_ed25519', '/root');
    expect(hop.identityFiles).toEqual(['/home/u/.ssh/id_ed25519']);
    expect(hop.knownHostsFiles.slice(0, 2)).toEqual(['/home/u/.ssh/known_hosts', '/home/u/.ssh/known_hosts2']);
    expect(hop.knownHostsFiles).toContain('/etc/ssh/ssh_known_hosts');
    expect(hop).toMatchObject({ hostname: '10.0.0.1', port: 2222, user: 'root', proxyJump: 'b,me@c:23' });
  });
});

describe('destinations and ProxyJump', () => {
  it.each([
    ['gpu', { user: null, host: 'gpu', port: null }],
    ['me@gpu', { user: 'me', host: 'gpu', port: null }],
    ['me@gpu:2222', { user: 'me', host: 'gpu', port: 2222 }],
    ['gpu:22', { user: null, host: 'gpu', port: 22 }],
    ['me@[::1]:2200', { user: 'me', host: '::1', port: 2200 }],
    ['fe80::1', { user: null, host: 'fe80::1', port: null }],
    ['ssh://me@h:7', { user: 'me', host: 'h', port: 7 }],
    ['a@b@c', { user: 'a@b', host: 'c', port: null }],
  ])('%s', (text, want) => {
    expect(parseDestination(text)).toEqual(ok(want));
  });
  it.each(['', 'a b', '-oProxyCommand=x', 'h:port', 'h:0', 'h:70000', '@h'])('rejects %j', (text) => {
    expect(parseDestination(text).ok).toBe(false);
  });
  it('parses chains, none, and bad hops', () => {
    const r = parseProxyJump('b, me@c:23,[::1]:5');
    expect(r).toEqual(ok([
      { user: null, host: 'b', port: null },
      { user: 'me', host: 'c', port: 23 },
      { user: null, host: '::1', port: 5 },
    ]));
    expect(parseProxyJump('none')).toEqual(ok([]));
    expect(parseProxyJump(null)).toEqual(ok([]));
    expect(parseProxyJump('a,,b').ok).toBe(false);
    expect(destText({ user: 'me', host: '::1', port: 5 })).toBe('me@[::1]:5');
  });
});

/** A fake `ssh -G`: alias -> its config lines; records the argv it was called with. */
function fakeSshG(table: Record<string, string>): { runner: SshGRunner; calls: string[][] } {
  const calls: string[][] = [];
  const runner: SshGRunner = async (args) => {
    calls.push(args);
    const host = args[args.length - 1] ?? '';
    const pi = args.indexOf('-p');
    const li = args.indexOf('-l');
    const body = table[host] ?? `hostname ${host}`;
    const port = pi >= 0 ? args[pi + 1] : /^port (\d+)/m.exec(body)?.[1] ?? '22';
    const user = li >= 0 ? args[li + 1] : /^user (\S+)/m.exec(body)?.[1] ?? 'me';
    if (host === 'broken') return err('config', 'ssh -G broken failed: bad configuration');
    return ok(`${body}\nport ${port}\nuser ${user}\n`) as Result<string>;
  };
  return { runner, calls };
}

const henv = { home: '/nonexistent-home', env: {} };

describe('resolveChain', () => {
  const table = {
    target: 'hostname 10.1.1.1\nproxyjump b,c',
    b: 'hostname 10.0.0.2\nproxyjump x',
    c: 'hostname 10.0.0.3\nproxyjump should-be-ignored',
    x: 'hostname 10.0.0.9',
    loop: 'hostname 1.1.1.1\nproxyjump loop',
    direct: 'hostname 10.2.2.2\nproxyjump none',
  };
  it('resolves each hop separately, honouring the first hop\'s own ProxyJump only', async () => {
    const { runner } = fakeSshG(table);
    const r = await resolveChain({ name: 't', local: false, ssh: 'target' }, henv, runner);
    expect(r.ok && r.value.map((h) => h.hostname)).toEqual(['10.0.0.9', '10.0.0.2', '10.0.0.3', '10.1.1.1']);
  });
  it('spec.jump overrides the config, with user and port per hop', async () => {
    const { runner, calls } = fakeSshG(table);
    const r = await resolveChain({ name: 't', local: false, ssh: 'target', jump: 'me@x:2022' }, henv, runner);
    expect(r.ok && r.value.map((h) => `${h.user}@${h.hostname}:${h.port}`)).toEqual(['me@10.0.0.9:2022', 'me@10.1.1.1:22']);
    expect(calls.some((a) => a.join(' ') === '-G -p 2022 -l me -- x')).toBe(true);
  });
  it('jump none means direct, and user@host:port targets pass -p/-l to ssh -G', async () => {
    const { runner } = fakeSshG(table);
    const r1 = await resolveChain({ name: 't', local: false, ssh: 'target', jump: 'none' }, henv, runner);
    expect(r1.ok && r1.value.length).toBe(1);
    const r2 = await resolveChain({ name: 'd', local: false, ssh: 'bob@direct:2200' }, henv, runner);
    expect(r2.ok && r2.value.map((h) => `${h.user}@${h.hostname}:${h.port}`)).toEqual(['bob@10.2.2.2:2200']);
  });
  it('a ProxyJump loop is an error, not a hang', async () => {
    const { runner } = fakeSshG(table);
    const r = await resolveChain({ name: 'l', local: false, ssh: 'loop' }, henv, runner);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/loops/);
  });
  it('passes ssh -G failures on', async () => {
    const { runner } = fakeSshG(table);
    const r = await resolveChain({ name: 'b', local: false, ssh: 'broken' }, henv, runner);
    expect(r.ok).toBe(false);
  });
});

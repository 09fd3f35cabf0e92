import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostSftp, openHost, processHostEnv, sshArgv } from '../../../src/remote/index.js';
import { parseDestination } from '../../../src/parse/ssh-destination.js';

const bare = mkdtempSync(join(tmpdir(), 'rtk-argv-'));
const withCfg = mkdtempSync(join(tmpdir(), 'rtk-argv-'));
mkdirSync(join(withCfg, '.ssh'));
writeFileSync(join(withCfg, '.ssh', 'config'), 'Host x\n');
afterAll(() => {
  rmSync(bare, { recursive: true, force: true });
  rmSync(withCfg, { recursive: true, force: true });
});

describe('sshArgv', () => {
  it('passes -F only when the config file exists, then the alias', () => {
    expect(sshArgv({ name: 'a', local: false, ssh: 'a800' }, { home: bare, env: {} })).toEqual(['--', 'a800']);
    expect(sshArgv({ name: 'a', local: false, ssh: 'a800' }, { home: withCfg, env: {} })).toEqual(['-F', join(withCfg, '.ssh', 'config'), '--', 'a800']);
  });
  it('turns user@host:port into -p/-l and adds -J and -i (with ~ from HOME)', () => {
    const argv = sshArgv({ name: 'a', local: false, ssh: 'me@h:2222', jump: 'j1,me@j2:22', identityFile: '~/.ssh/k' }, { home: bare, env: {} });
    expect(argv).toEqual(['-J', 'j1,me@j2:22', '-i', join(bare, '.ssh', 'k'), '-p', '2222', '-l', 'me', '--', 'h']);
  });
  it('keeps a destination that looks like an option from being read as one: `--` before it, always', () => {
    expect(sshArgv({ name: 'evil', local: false, ssh: '-oProxyCommand=touch x' }, { home: bare, env: {} })).toEqual(['--', '-oProxyCommand=touch x']);
    // the reproduction: a user part that is an option (parseDestination refuses it; sshArgv still guards)
    expect(sshArgv({ name: 'evil', local: false, ssh: '-oProxyCommand=touch x@h' }, { home: bare, env: {} })).toEqual(['--', '-oProxyCommand=touch x@h']);
  });
  it('a destination whose user or host starts with - is no destination, nor one with a control character', () => {
    for (const d of ['-oProxyCommand=touch x@h', '-h', 'me@-h', '-l@host', 'a\nb', 'x\x1b[2J', '--@h:22']) expect(parseDestination(d).ok).toBe(false);
    for (const d of ['a800', 'me@h', 'me@h:2222', 'u-1@h-2', '[::1]:22']) expect(parseDestination(d).ok).toBe(true);
  });
});

describe('openHost', () => {
  it('gives local hosts execa and no SFTP', async () => {
    const h = openHost({ name: 'me', local: true }, processHostEnv());
    expect(h.local).toBe(true);
    expect(h.state().status).toBe('connected');
    const s = await hostSftp(h);
    expect(s.ok ? null : s.error.kind).toBe('usage');
  });
  it('gives ssh hosts an SFTP method and starts unconnected (connections are lazy)', async () => {
    const h = openHost({ name: 'r', local: false, ssh: 'nowhere.invalid' }, { home: bare, env: {} });
    expect(h.local).toBe(false);
    expect('sftp' in h).toBe(true);
    expect(h.state().phase).toBe('connecting');
    await h.close();
  });
});

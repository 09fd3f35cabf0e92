import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { nameForSsh, parseDuration } from '../../../src/config/schema.js';

const g = (over: Partial<{ config: string | null; hosts: string[] }> = {}) => ({
  config: null,
  hosts: [],
  readonly: false,
  noColor: false,
  ...over,
});

const message = (text: string): string => {
  const r = parseConfig(text, 'config.yaml');
  if (r.ok) throw new Error(`expected an error for ${JSON.stringify(text)}`);
  expect(r.error.kind).toBe('config');
  return r.error.message;
};

describe('parseConfig', () => {
  it('reads a complete file', () => {
    const r = parseConfig(
      [
        'hosts:',
        '  - name: a800',
        '    ssh: a800',
        '    jump: me@bastion',
        '    identityFile: ~/.ssh/id_ed25519',
        '    tmuxSocket: null',
        '    gpuSource: gpustat',
        '  - name: laptop',
        '    local: true',
        '  - ssh: me@10.0.0.5:2222',
        'runs:',
        '  - run: a800:training',
        '    log: ~/proj/train.log',
        '    checkpoints: ~/proj/ckpt',
        'stallAfter: 15m',
        'refresh: {runs: 3s, gpus: 500ms, checkpoints: 1h}',
        'keys: {run.attach: a, app.quit: [q, Q]}',
        'scrollback: 5000',
        'gpuIdleAfter: 10m',
        'notify: {on: [run.failed, host.lost], bell: false, desktop: on, exec: [curl, -d, "{message}", https://ntfy.example/x]}',
      ].join('\n'),
      '/x/config.yaml',
    );
    expect(r).toEqual({
      ok: true,
      value: {
        path: '/x/config.yaml',
        hosts: [
          { name: 'a800', local: false, ssh: 'a800', jump: 'me@bastion', identityFile: '~/.ssh/id_ed25519', tmuxSocket: null, gpuSource: 'gpustat' },
          { name: 'laptop', local: true },
          { name: '10.0.0.5', local: false, ssh: 'me@10.0.0.5:2222' },
        ],
        runs: [{ run: 'a800:training', log: '~/proj/train.log', checkpoints: '~/proj/ckpt' }],
        stallAfterMs: 900_000,
        refresh: { runsMs: 3000, gpusMs: 500, checkpointsMs: 3_600_000 },
        keys: { 'run.attach': 'a', 'app.quit': ['q', 'Q'] },
        scrollback: 5000,
        gpuIdleAfterMs: 600_000,
        notify: { on: ['run.failed', 'host.lost'], bell: false, desktop: 'on', exec: ['curl', '-d', '{message}', 'https://ntfy.example/x'] },
        resume: null,
      },
    });
  });

  it('gives defaults for an empty file', () => {
    const r = parseConfig('', 'c.yaml');
    expect(r.ok && r.value).toMatchObject({
      hosts: [{ name: 'local', local: true }],
      stallAfterMs: 600_000,
      refresh: { runsMs: 5000, gpusMs: 2000, checkpointsMs: 30000 },
      scrollback: 100_000,
    });
  });

  it.each([
    ['unknown host key', 'hosts:\n  - name: a\n    ssh: a\n  - ssh: b\n    sshh: x\n',
      'config.yaml:5:5: hosts[1].sshh is not a known key (expected one of name, ssh, jump, identityFile, tmuxSocket, local, gpuSource, resume, scheduler)'],
    ['unknown top key', 'host: []\n', 'config.yaml:1:1: host is not a known key (expected one of hosts, runs, stallAfter, refresh, keys, scrollback, gpuIdleAfter, notify, resume, groups)'],
    ['unknown refresh key', 'refresh: {runs: 5s, gpu: 2s}\n', 'config.yaml:1:21: refresh.gpu is not a known key (expected one of runs, gpus, checkpoints)'],
    ['unknown runs key', 'runs:\n  - run: a:b\n    logg: x\n', 'config.yaml:3:5: runs[0].logg is not a known key (expected one of run, log, checkpoints, resume)'],
    ['malformed YAML', 'hosts: [\n', /^config\.yaml:2:1: malformed YAML: /],
    ['duplicate key', 'scrollback: 1\nscrollback: 2\n', /^config\.yaml:2:1: malformed YAML: Map keys must be unique/],
    ['bad duration', 'stallAfter: 10x\n', 'config.yaml:1:13: stallAfter: expected a duration like 10m, 5s or 500ms, got "10x"'],
    ['number duration', 'refresh:\n  runs: 10\n', 'config.yaml:2:9: refresh.runs must be a duration like 10m, 5s or 500ms, not the number 10'],
    ['wrong type', 'hosts:\n  - ssh: a\n    local: yes\n', 'config.yaml:3:12: hosts[0].local must be true or false, not the string "yes"'],
    ['enum', 'hosts:\n  - ssh: a\n    gpuSource: foo\n', 'config.yaml:3:16: hosts[0].gpuSource must be one of nvidia-smi, gpustat'],
    ['no ssh', 'hosts:\n  - name: x\n', 'config.yaml:2:5: hosts[0] needs ssh: ALIAS or user@host[:port] (or local: true)'],
    ['ssh and local', 'hosts:\n  - ssh: a\n    local: true\n', 'config.yaml:2:10: hosts[0] has both local: true and ssh (expected one of them)'],
    ['duplicate names', 'hosts:\n  - ssh: a\n  - ssh: me@a\n', 'config.yaml:3:5: host name a is used twice (hosts[0] and hosts[1])'],
    ['colon in name', 'hosts:\n  - {name: "a:b", ssh: a}\n', 'config.yaml:2:12: hosts[0].name: a host name cannot contain ":", blanks or control characters'],
    ['missing run', 'runs:\n  - log: x\n', 'config.yaml:2:5: runs[0].run is required (expected a string)'],
    ['not a mapping', '- a\n', 'config.yaml:1:1: expected a mapping with keys hosts, runs, stallAfter, refresh, keys, scrollback, gpuIdleAfter, notify, resume, groups'],
    ['notify kind', 'notify: {on: [run.exploded]}\n', /^config\.yaml:1:15: notify\.on\[0\] must be one of run\.started, run\.finished/],
    ['scrollback', 'scrollback: 0\n', 'config.yaml:1:13: scrollback must be greater than 0'],
    ['keys', 'keys:\n  x: 3\n', 'config.yaml:2:6: keys.x: expected a key or a list of keys'],
  ])('reports %s with its position', (_name, text, want) => {
    const m = message(text);
    if (typeof want === 'string') expect(m).toBe(want);
    else expect(m).toMatch(want);
  });

  it('refuses an ssh destination or jump that the system ssh would read as an option', () => {
    expect(message("hosts:\n  - name: evil\n    ssh: '-oProxyCommand=touch /tmp/x@h'\n")).toMatch(/^config\.yaml:3:10: hosts\[0\]\.ssh: /);
    expect(message('hosts:\n  - ssh: -oProxyCommand=x\n')).toMatch(/^config\.yaml:2:10: hosts\[0\]\.ssh: .*starts with "-"/);
    expect(message('hosts:\n  - ssh: a800\n    jump: ok,-J\n')).toMatch(/^config\.yaml:3:11: hosts\[0\]\.jump: /);
    expect(loadConfig(g({ hosts: ['-oProxyCommand=touch /tmp/x@h'] }), {})).toMatchObject({ ok: false, error: { kind: 'usage' } });
  });

  it('never throws on garbage', () => {
    for (const t of ['\0\x01', '{', ']]]', ': :', 'a: !!binary x', '&a [*a]', 'x'.repeat(100_000)]) {
      expect(() => parseConfig(t, 'c')).not.toThrow();
    }
  });
});

describe('durations and names', () => {
  it.each([
    ['10m', 600_000], ['5s', 5000], ['2s', 2000], ['500ms', 500], ['1.5h', 5_400_000], ['10', null], ['m', null], ['-1s', null],
  ])('%s', (t, ms) => expect(parseDuration(t)).toBe(ms));

  it.each([
    ['a800', 'a800'], ['me@host', 'host'], ['me@host:2222', 'host'], ['host:22', 'host'], ['u@[::1]:22', '::1'.replaceAll(':', '_')],
  ])('%s is named %s', (ssh, name) => expect(nameForSsh(ssh)).toBe(name));
});

describe('loadConfig search order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtk-cfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (rel: string, text: string) => {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
    return p;
  };
  const a = file('a.yaml', 'hosts: [{ssh: from-flag}]\n');
  const b = file('b.yaml', 'hosts: [{ssh: from-env}]\n');
  file('xdg/rtk-tui/config.yaml', 'hosts: [{ssh: from-xdg}]\n');
  file('home/.config/rtk-tui/config.yaml', 'hosts: [{ssh: from-home}]\n');
  const names = (r: ReturnType<typeof loadConfig>) => (r.ok ? r.value.hosts.map((h) => h.name) : r.error.message);
  const env = { RTK_TUI_CONFIG: b, XDG_CONFIG_HOME: join(dir, 'xdg'), HOME: join(dir, 'home') };

  it('prefers --config, then $RTK_TUI_CONFIG, then XDG, then ~/.config', () => {
    expect(names(loadConfig(g({ config: a }), env))).toEqual(['from-flag']);
    expect(names(loadConfig(g(), env))).toEqual(['from-env']);
    expect(names(loadConfig(g(), { ...env, RTK_TUI_CONFIG: '' }))).toEqual(['from-xdg']);
    expect(names(loadConfig(g(), { HOME: env.HOME }))).toEqual(['from-home']);
  });

  it('without a config file: the --host values are the only hosts (this machine when asked: local), else this machine', () => {
    const r = loadConfig(g({ hosts: ['gpu1', 'me@box:2222'] }), { HOME: join(dir, 'nowhere') });
    expect(r.ok && r.value).toMatchObject({
      path: null,
      hosts: [{ name: 'gpu1', ssh: 'gpu1', local: false }, { name: 'box', ssh: 'me@box:2222', local: false }],
    });
    expect(names(loadConfig(g({ hosts: ['gpu1', 'local'] }), { HOME: join(dir, 'nowhere') }))).toEqual(['gpu1', 'local']);
    expect(names(loadConfig(g(), { HOME: join(dir, 'nowhere') }))).toEqual(['local']);
  });

  it('--host adds to the configured hosts', () => {
    expect(names(loadConfig(g({ config: a, hosts: ['other', 'from-flag'] }), {}))).toEqual(['from-flag', 'other']);
  });

  it('a named file that is missing is an error', () => {
    const r = loadConfig(g({ config: join(dir, 'missing.yaml') }), {});
    expect(r).toMatchObject({ ok: false, error: { kind: 'config' } });
    expect(!r.ok && r.error.message).toContain('missing.yaml');
    const e = loadConfig(g(), { RTK_TUI_CONFIG: join(dir, 'gone.yaml') });
    expect(!e.ok && e.error.message).toMatch(/gone\.yaml \(from \$RTK_TUI_CONFIG\) does not exist/);
  });

  it('names the file in validation errors', () => {
    const p = file('bad.yaml', 'hosts:\n  - ssh: a\n    sshh: b\n');
    const r = loadConfig(g({ config: p }), {});
    expect(!r.ok && r.error.message).toBe(`${p}:3:5: hosts[0].sshh is not a known key (expected one of name, ssh, jump, identityFile, tmuxSocket, local, gpuSource, resume, scheduler)`);
  });
});

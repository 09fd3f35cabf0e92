// Host keys at first contact, against the lab's real sshd pair (jump + target): StrictHostKeyChecking
// accept-new, no and the default ask; known_hosts written as OpenSSH writes it and always parseable by
// ssh-keygen; `rtk-tui trust` asking for each unknown hop; a changed key never replaced. The
// reproduction that showed it: a known_hosts whose last line had no newline got the new entry glued
// onto it (`[127.0.0.1]:42803 ssh-ed25519 AAAA…x79[127.0.0.2]:50483 ssh-ed25519 AAAA…`).
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labUnavailable, makeKey, startLab, type Lab } from '../helpers/lab.js';
import { distMissing, firstReason, suite } from '../helpers/require.js';
import { BIN, startTui } from '../helpers/tui.js';

suite(firstReason(labUnavailable(), distMissing()), 'host keys at first contact', () => {
  let lab: Lab;
  let kh: string;
  let jumpTok: string;
  let gpuTok: string;
  let original: string;
  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const p = execFile(process.execPath, [BIN, '--config', lab.rtkConfig, ...args], { env: lab.env(), encoding: 'utf8', timeout: 60_000 }, (e, stdout, stderr) =>
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
      );
      p.stdin?.end();
    });
  /** The lab's ssh config with these StrictHostKeyChecking / HashKnownHosts settings. */
  const policy = (strict: string | null, hash = false) => {
    const lines = original.split('\n').filter((l) => !/^\s*(StrictHostKeyChecking|HashKnownHosts)\b/.test(l));
    const at = lines.indexOf('Host *') + 1;
    lines.splice(at, 0, ...(strict === null ? [] : [`  StrictHostKeyChecking ${strict}`]), ...(hash ? ['  HashKnownHosts yes'] : []));
    writeFileSync(lab.sshConfig, lines.join('\n'));
  };
  /** ssh-keygen finds exactly one entry for the host, and reads the whole file line by line. */
  const entries = (tok: string): number => {
    let out = '';
    try {
      out = execFileSync('ssh-keygen', ['-F', tok, '-f', kh]).toString();
    } catch {
      return 0;
    }
    return out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  };
  const parseable = (): boolean => {
    for (const line of readFileSync(kh, 'utf8').split('\n').filter(Boolean)) {
      const f = join(lab.dir, 'one-line');
      writeFileSync(f, `${line}\n`);
      try {
        execFileSync('ssh-keygen', ['-l', '-f', f], { stdio: 'pipe' });
      } catch {
        return false;
      }
    }
    return true;
  };

  beforeAll(async () => {
    lab = await startLab();
    kh = join(lab.home, '.ssh', 'known_hosts');
    jumpTok = `[127.0.0.1]:${lab.jumpPort}`;
    gpuTok = `[127.0.0.2]:${lab.gpuPort}`;
    original = readFileSync(lab.sshConfig, 'utf8');
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('accept-new: a known_hosts without a final newline gets each entry on its own line, once, and keeps its mode', async () => {
    policy('accept-new');
    // an unrelated last line without its newline, the file mode of the user's choice
    const other = makeKey('ed25519').public.split(' ').slice(0, 2).join(' ');
    writeFileSync(kh, `other.example ${other}`);
    chmodSync(kh, 0o640);
    const [a, b] = await Promise.all([cli(['ls', '--json']), cli(['ls', '--json'])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(parseable()).toBe(true);
    expect(entries(jumpTok)).toBe(1);
    expect(entries(gpuTok)).toBe(1);
    expect(entries('other.example')).toBe(1);
    expect(readFileSync(kh, 'utf8').split('\n')[0]).toBe(`other.example ${other}`);
    expect(statSync(kh).mode & 0o777).toBe(0o640);
    // again: nothing new to write
    const before = readFileSync(kh, 'utf8');
    expect((await cli(['ls', '--json'])).code).toBe(0);
    expect(readFileSync(kh, 'utf8')).toBe(before);
  });

  it('HashKnownHosts yes: the entries are hashed, and found again', async () => {
    policy('accept-new', true);
    writeFileSync(kh, '');
    expect((await cli(['ls', '--json'])).code).toBe(0);
    const text = readFileSync(kh, 'utf8');
    expect(text.split('\n').filter(Boolean).every((l) => l.startsWith('|1|'))).toBe(true);
    expect(text).not.toContain('127.0.0');
    expect(entries(jumpTok)).toBe(1);
    expect(entries(gpuTok)).toBe(1);
    policy('yes');
    expect((await cli(['ls', '--json'])).code).toBe(0);
  });

  it('no: the key is written as OpenSSH does; a changed key is still refused', async () => {
    policy('no');
    writeFileSync(kh, '');
    expect((await cli(['ls', '--json'])).code).toBe(0);
    expect(entries(gpuTok)).toBe(1);
    const wrong = makeKey('ed25519').public.split(' ').slice(0, 2).join(' ');
    writeFileSync(kh, `${jumpTok} ${lab.jumpHostKey}\n${gpuTok} ${wrong}\n`);
    const r = await cli(['ls', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).hosts[0]).toMatchObject({ status: 'host-key-mismatch' });
    expect(readFileSync(kh, 'utf8')).toBe(`${jumpTok} ${lab.jumpHostKey}\n${gpuTok} ${wrong}\n`);
  });

  it('the default (ask): a command without a terminal refuses, names the fingerprint and the fix', async () => {
    policy(null);
    writeFileSync(kh, `${jumpTok} ${lab.jumpHostKey}\n`);
    const r = await cli(['logs', 'gpu:none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/host key for rtk-gpu \(127\.0\.0\.2:\d+\) is not known \(ssh-ed25519 SHA256:[A-Za-z0-9+/]+\); check it and add it with (npx )?\S*rtk-tui trust gpu/);
    expect(readFileSync(kh, 'utf8')).toBe(`${jumpTok} ${lab.jumpHostKey}\n`);
  });

  it('trust: asks for each unknown hop (jump, then target), writes what is accepted, and n changes nothing', async () => {
    policy('yes');
    writeFileSync(kh, '');
    const no = await startTui({ args: ['--config', lab.rtkConfig, 'trust', 'gpu'], env: lab.env(), cols: 140, rows: 20 });
    try {
      await no.waitFor(/jump host rtk-jump \(.*\) cannot be established\.\s+ssh-ed25519 key fingerprint is SHA256:/);
      await no.type('n');
      await no.sendKeys('Enter');
      expect(await no.waitExit()).toBe(1);
      expect(readFileSync(kh, 'utf8')).toBe('');
    } finally {
      await no.stop();
    }
    const t = await startTui({ args: ['--config', lab.rtkConfig, 'trust', 'gpu'], env: lab.env(), cols: 140, rows: 20 });
    try {
      await t.waitFor('Add it to');
      await t.type('y');
      await t.sendKeys('Enter');
      await t.waitFor(/host gpu \(.*\) cannot be established/);
      await t.type('y');
      await t.sendKeys('Enter');
      expect(await t.waitExit()).toBe(0);
      expect(await t.capture()).toContain('gpu: 2 host keys added; every host key on the way is known, and the login works');
    } finally {
      await t.stop();
    }
    expect(parseable()).toBe(true);
    expect(entries(jumpTok)).toBe(1);
    expect(entries(gpuTok)).toBe(1);
    expect((await cli(['ls', '--json'])).code).toBe(0);
  });

  it('trust never replaces a changed key: it names the ssh-keygen -R to run', async () => {
    const wrong = makeKey('ed25519').public.split(' ').slice(0, 2).join(' ');
    writeFileSync(kh, `${jumpTok} ${lab.jumpHostKey}\n${gpuTok} ${wrong}\n`);
    const t = await startTui({ args: ['--config', lab.rtkConfig, 'trust', 'gpu'], env: lab.env(), cols: 200, rows: 20 });
    try {
      expect(await t.waitExit()).toBe(1);
      expect((await t.capture()).replace(/\n/g, '')).toMatch(/has changed: .*ssh-keygen -f '.*known_hosts' -R '\[127\.0\.0\.2\]:\d+'/);
    } finally {
      await t.stop();
    }
    expect(readFileSync(kh, 'utf8')).toBe(`${jumpTok} ${lab.jumpHostKey}\n${gpuTok} ${wrong}\n`);
  });
});

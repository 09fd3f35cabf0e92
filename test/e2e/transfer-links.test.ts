// Partial files are never written through a link: a `NAME.rtk-part` planted as a symbolic link (on
// the target for push, here for pull) makes the transfer refuse, says why, and leaves the file the
// link points to untouched. The reproduction that showed it: `u.bin.rtk-part -> /tmp/victim` made
// push overwrite the victim, publish the link as u.bin, and print "sha256 verified".
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labUnavailable } from '../helpers/lab.js';
import { distMissing, firstReason, suite } from '../helpers/require.js';
import { cli, startTransferLab, type TransferLab } from './transfer-lab.js';

suite(firstReason(labUnavailable(), distMissing()), 'transfers never follow a planted partial-file link', () => {
  let lab: TransferLab;
  let L: string;
  let R: string;
  const victim = (name: string) => {
    const p = join(lab.dir, `victim-${name}`);
    writeFileSync(p, `VICTIM ${name}\n`);
    return p;
  };

  beforeAll(async () => {
    lab = await startTransferLab();
    L = lab.localDir;
    R = lab.remoteDir;
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('push refuses a remote NAME.rtk-part that is a link, and writes nothing through it', async () => {
    const data = randomBytes(200_000);
    writeFileSync(join(L, 'u.bin'), data);
    const v = victim('push');
    symlinkSync(v, join(R, 'u.bin.rtk-part'));
    const r = await cli(lab, ['push', join(L, 'u.bin'), `gpu:${R}/u.bin`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/u\.bin\.rtk-part is a symbolic link or not a regular file: rtk-tui never writes its partial files through a link/);
    expect(readFileSync(v, 'utf8')).toBe('VICTIM push\n');
    expect(existsSync(join(R, 'u.bin'))).toBe(false);
    // a dangling link: its target is never created
    const ghost = join(lab.dir, 'ghost-push');
    symlinkSync(ghost, join(R, 'd.bin.rtk-part'));
    writeFileSync(join(L, 'd.bin'), data);
    expect((await cli(lab, ['push', join(L, 'd.bin'), `gpu:${R}/d.bin`])).code).toBe(1);
    expect(existsSync(ghost)).toBe(false);
  });

  it('pull refuses a local NAME.rtk-part that is a link, and writes nothing through it', async () => {
    const data = randomBytes(200_000);
    writeFileSync(join(R, 'p.bin'), data);
    mkdirSync(join(L, 'in'));
    const v = victim('pull');
    symlinkSync(v, join(L, 'in', 'p.bin.rtk-part'));
    const r = await cli(lab, ['pull', `gpu:${R}/p.bin`, join(L, 'in') + '/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/p\.bin\.rtk-part is a symbolic link or not a regular file/);
    expect(readFileSync(v, 'utf8')).toBe('VICTIM pull\n');
    expect(existsSync(join(L, 'in', 'p.bin'))).toBe(false);
    expect(lstatSync(join(L, 'in', 'p.bin.rtk-part')).isSymbolicLink()).toBe(true);
  });

  it('with the link removed, both go through and verify', async () => {
    const data = randomBytes(300_000);
    writeFileSync(join(L, 'ok.bin'), data);
    const up = await cli(lab, ['push', join(L, 'ok.bin'), `gpu:${R}/ok.bin`]);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('sha256 verified');
    expect(readFileSync(join(R, 'ok.bin')).equals(data)).toBe(true);
    const down = await cli(lab, ['pull', `gpu:${R}/ok.bin`, join(L, 'ok-back.bin')]);
    expect(down.code).toBe(0);
    expect(readFileSync(join(L, 'ok-back.bin')).equals(data)).toBe(true);
  });
});

// rtk_hash, the far side's checksum tool chooser, run here under sh: OpenSSL first when it answers the
// digest of nothing right, else sha256sum/shasum; the same digest whichever it picks.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashFunction } from '../../../src/remote/transfer-hash.js';

const dir = mkdtempSync(join(tmpdir(), 'rtk-hashfn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const which = (p: string): Promise<string | null> =>
  new Promise((resolve) => execFile('sh', ['-c', `command -v ${p}`], (e, out) => resolve(e ? null : String(out).trim())));

function runSh(script: string, file: string, path = process.env.PATH ?? ''): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('/bin/sh', ['-c', `${script}\nrtk_hash <"$1"; echo "rc=$?"`, 'sh', file], { encoding: 'utf8', env: { PATH: path } }, (e, out) => (e ? reject(e) : resolve(out))),
  );
}

/** A PATH of links to just these programs (and what sh needs), plus `extra` scripts. */
function pathWith(name: string, progs: Record<string, string | null>, extra: Record<string, string> = {}): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const [p, at] of Object.entries(progs)) if (at) symlinkSync(at, join(d, p));
  for (const [p, body] of Object.entries(extra)) {
    writeFileSync(join(d, p), `#!/bin/sh\n${body}\n`);
    chmodSync(join(d, p), 0o755);
  }
  return d;
}

describe('hashFunction (sha256)', async () => {
  const data = randomBytes(300_000);
  const f = join(dir, '-n "odd name"');
  writeFileSync(f, data);
  const want = createHash('sha256').update(data).digest('hex');
  const [openssl, sha256sum, cat] = await Promise.all([which('openssl'), which('sha256sum'), which('cat')]);

  it.runIf(openssl !== null)('uses OpenSSL when it answers right', async () => {
    const path = pathWith('ossl', { openssl, cat });
    expect(await runSh(hashFunction('sha256'), f, path)).toBe(`${want} *stdin\nrc=0\n`);
  });

  it.runIf(sha256sum !== null)('falls back to sha256sum when openssl is missing or answers wrong', async () => {
    const none = pathWith('nossl', { sha256sum });
    expect(await runSh(hashFunction('sha256'), f, none)).toMatch(new RegExp(`^${want} +-\\nrc=0\\n$`));
    const liar = pathWith('liar', { sha256sum }, { openssl: 'cat >/dev/null; echo 0000 "*stdin"' });
    expect(await runSh(hashFunction('sha256'), f, liar)).toMatch(new RegExp(`^${want} +-\\nrc=0\\n$`));
  });

  it('fails with 127 when no tool is there', async () => {
    expect(await runSh(hashFunction('sha256'), f, pathWith('empty', {}))).toBe('rc=127\n');
  });
});

// The far-side hash that follows an upload as it lands, run here under sh against a file that grows.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { followHashScript } from '../../../src/remote/transfer-hash.js';

const dir = mkdtempSync(join(tmpdir(), 'rtk-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gnuDd = (): Promise<boolean> =>
  new Promise((resolve) => execFile('dd', ['if=/dev/null', 'of=/dev/null', 'iflag=skip_bytes,count_bytes', 'count=0'], (e) => resolve(!e)));

function runSh(script: string): Promise<string> {
  return new Promise((resolve, reject) => execFile('sh', ['-c', script], { encoding: 'utf8' }, (e, out) => (e ? reject(e) : resolve(out))));
}

describe('followHashScript', () => {
  it('hashes a file that grows while it reads, stopping at the announced size', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 7);
    const f = join(dir, 'growing "name" $(x)');
    writeFileSync(f, data.subarray(0, 1000));
    const done = runSh(followHashScript(f, data.length, 'sha256'));
    // the rest lands in pieces, in order, while the script follows
    for (let pos = 1000; pos < data.length; pos += 256 * 1024) {
      await new Promise((r) => setTimeout(r, 20));
      appendFileSync(f, data.subarray(pos, Math.min(data.length, pos + 256 * 1024)));
    }
    appendFileSync(f, Buffer.from('bytes past the size are not hashed'));
    const out = await done;
    // without GNU dd the script says nothing and the caller hashes afterwards: that is its contract too
    expect(out).toBe((await gnuDd()) ? `\x1efh\t${createHash('sha256').update(data).digest('hex')}\n` : '');
  });

  it('prints nothing when the file stops growing before the size', async () => {
    const f = join(dir, 'stalled');
    writeFileSync(f, randomBytes(5000));
    expect(await runSh(followHashScript(f, 10_000, 'md5', 3))).toBe('');
  });
});

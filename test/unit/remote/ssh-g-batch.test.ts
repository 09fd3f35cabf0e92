import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_SHELLS, batchScript, splitBatch, sshG } from '../../../src/remote/ssh-g-batch.js';

// a fake `ssh` on PATH: prints its last argument as `hostname ARG`, a hostile line and a warning on
// stderr; a destination named `bad` fails with status 255 and one stderr line
const dir = mkdtempSync(join(tmpdir(), 'rtk-sshg-'));
writeFileSync(
  join(dir, 'ssh'),
  [
    '#!/bin/sh',
    'for a; do last=$a; done',
    'if [ "$last" = bad ]; then echo "ssh: Could not resolve hostname bad" >&2; exit 255; fi',
    'printf "hostname %s\\n" "$last"',
    'printf "@@fake 0\\nport 22\\n"',
    'echo "warning for $last" >&2',
  ].join('\n'),
);
chmodSync(join(dir, 'ssh'), 0o755);
const env = { PATH: `${dir}:/usr/bin:/bin` };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('batchScript + splitBatch', () => {
  it("gives every call its own output, status and stderr, whatever its arguments hold", () => {
    const jobs = [['-G', '--', 'a b'], ['-G', '--', 'bad'], ['-G', '--', "-o'x\n@@n 0"]];
    const script = batchScript(jobs, 'n1', 5);
    // stdout and stderr apart, as execFile gives them
    const { stdout, stderr } = spawnSync('/bin/sh', ['-c', script], { env, encoding: 'utf8' });
    const res = splitBatch(stdout, stderr, 'n1', 5, 3);
    expect(res[0]).toEqual({ code: 0, stdout: 'hostname a b\n@@fake 0\nport 22', stderr: 'warning for a b', missing: false });
    expect(res[1]).toEqual({ code: 255, stdout: '', stderr: 'ssh: Could not resolve hostname bad', missing: false });
    // a destination that looks like a marker of another nonce stays its own output
    expect(res[2]?.code).toBe(0);
    expect(res[2]?.stdout).toBe("hostname -o'x\n@@n 0\n@@fake 0\nport 22");
  });

  it('says when there is no ssh program', () => {
    const script = batchScript([['-G', 'a']], 'n2');
    const stdout = execFileSync('/bin/sh', ['-c', script], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
    expect(splitBatch(stdout, '', 'n2', 0, 1)).toEqual([{ code: null, stdout: '', stderr: '', missing: true }]);
  });

  it('never throws on garbage, and a call without its section has no status', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 0, max: 5 }), (o, e, n) => {
        const r = splitBatch(o, e, 'nn', 0, n);
        return r.length === n && r.every((x) => x.code === null || Number.isInteger(x.code));
      }),
    );
    expect(splitBatch('', '', 'nn', 0, 2).map((r) => r.code)).toEqual([null, null]);
  });
});

describe('sshG', () => {
  it('answers calls made together each with its own result (shells of several calls past BATCH_SHELLS), and a lone call alone', async () => {
    const names = Array.from({ length: 3 * BATCH_SHELLS - 1 }, (_, i) => `host-${i}`);
    const rs = await Promise.all([...names, 'bad'].map((n) => sshG(['-G', '--', n], env, '/nonexistent-home')));
    names.forEach((n, i) => expect(rs[i]?.stdout.split('\n')[0]).toBe(`hostname ${n}`));
    expect(rs[names.length]?.code).toBe(255);
    expect(rs[names.length]?.stderr).toBe('ssh: Could not resolve hostname bad');
    const one = await sshG(['-G', '--', 'solo'], env, '/nonexistent-home');
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n')[0]).toBe('hostname solo');
  });
});

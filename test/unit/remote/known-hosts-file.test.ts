// addKnownHost against real files, checked with OpenSSH's own ssh-keygen: after any sequence of
// additions onto any prior content (with or without a final newline, comments, hashed entries),
// every earlier line is intact, every entry sits on a line of its own, and each host is there once.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { addKnownHost } from '../../../src/remote/known-hosts-file.js';
import { makeKey } from '../../helpers/lab.js';
import { onPath } from '../../helpers/require.js';

const dir = mkdtempSync(join(tmpdir(), 'rtk-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a few real keys (ssh-keygen is slow: made once)
const KEYS = Array.from({ length: 4 }, () => makeKey('ed25519').public.split(' ').slice(0, 2));
const blob = (k: string[]) => Buffer.from(k[1]!, 'base64');
const HOSTS = ['[127.0.0.1]:2201', '[127.0.0.2]:2202', 'gpu.example', '[10.0.0.9]:22022'];

describe('addKnownHost', () => {
  it.runIf(onPath('ssh-keygen'))('any prior content, any additions: parseable line by line, one entry per host (property)', () => {
    let n = 0;
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('comment', 'blank', 'plain', 'other'), { maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
        (prior, finalNewline, adds) => {
          const f = join(dir, `kh-${n++}`);
          const lines = prior.map((p, i) => (p === 'comment' ? '# a comment' : p === 'blank' ? '' : p === 'plain' ? `old${i}.example ${KEYS[i % 4]!.join(' ')}` : `other${i} ${KEYS[(i + 1) % 4]!.join(' ')}`));
          const before = lines.join('\n') + (finalNewline && lines.length ? '\n' : '');
          writeFileSync(f, before);
          for (const [h, hashed] of adds) expect(addKnownHost(f, HOSTS[h]!, blob(KEYS[h]!), hashed).ok).toBe(true);
          const after = readFileSync(f, 'utf8');
          // the earlier lines are all still there, as they were, each on its own line
          // exactly: what was there, a newline if it lacked one, then the new entries
          const lead = before === '' || before.endsWith('\n') ? before : `${before}\n`;
          expect(after.startsWith(lead)).toBe(true);
          expect(after.slice(lead.length).split('\n').filter(Boolean).every((l) => /^(\[|\||gpu)/.test(l))).toBe(true);
          for (const line of after.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
            const one = join(dir, 'one');
            writeFileSync(one, `${line}\n`);
            execFileSync('ssh-keygen', ['-l', '-f', one], { stdio: 'pipe' });
          }
          for (const h of new Set(adds.map(([x]) => x))) {
            const found = execFileSync('ssh-keygen', ['-F', HOSTS[h]!, '-f', f]).toString().split('\n').filter((l) => l !== '' && !l.startsWith('#'));
            expect(found).toHaveLength(1);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
  it('keeps the mode of an existing file, makes a new one 0600', () => {
    const f = join(dir, 'mode');
    writeFileSync(f, '');
    chmodSync(f, 0o644);
    expect(addKnownHost(f, HOSTS[0]!, blob(KEYS[0]!), false).ok).toBe(true);
    expect(statSync(f).mode & 0o777).toBe(0o644);
    const g = join(dir, 'fresh');
    expect(addKnownHost(g, HOSTS[1]!, blob(KEYS[1]!), true)).toMatchObject({ ok: true, value: { file: g } });
    expect(statSync(g).mode & 0o777).toBe(0o600);
    expect(readFileSync(g, 'utf8')).toMatch(/^\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28} ssh-ed25519 /);
  });
});

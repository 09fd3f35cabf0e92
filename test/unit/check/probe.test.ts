// The probe script runs under the machine's sh (dash on Debian, like many servers) against temp
// folders; hostile names must be read as data, never run.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProbe, parseProbe, rpath, type ProbeRequest } from '../../../src/commands/check-probe.js';

let dir: string;
const pwned = (): string => join(dir, 'PWNED');

function runProbe(req: ProbeRequest, env: NodeJS.ProcessEnv = {}): { out: string; res: ReturnType<typeof parseProbe> } {
  const out = execFileSync('sh', ['-c', buildProbe(req)], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, ...env }, encoding: 'utf8' });
  return { out, res: parseProbe(out, req) };
}

const empty = (over: Partial<ProbeRequest>): ProbeRequest => ({ disk: [], files: [], hash: 'sha256', models: [], env: [], run: [], ...over });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtk-probe-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('probe script', () => {
  it('reports disks: free space, missing, not a directory, with hostile names', () => {
    const hostile = join(dir, `d $(touch PWNED) 'q"`);
    mkdirSync(hostile);
    writeFileSync(join(dir, 'plain-file'), 'x');
    const { res } = runProbe(empty({ disk: [hostile, join(dir, 'missing'), join(dir, 'plain-file'), '~'] }));
    expect(res.disk[0]).toMatchObject({ kind: 'ok', writable: true });
    expect((res.disk[0] as { freeBytes: number }).freeBytes).toBeGreaterThan(0);
    expect(res.disk[1]).toEqual({ kind: 'missing' });
    expect(res.disk[2]).toEqual({ kind: 'not-dir' });
    expect(res.disk[3]).toMatchObject({ kind: 'ok' });
    expect(existsSync(pwned())).toBe(false);
  });

  it('sizes files and hashes only those whose size matches', () => {
    const data = randomBytes(5000);
    const f = join(dir, '-leading dash`touch x`.bin');
    writeFileSync(f, data);
    const sha = createHash('sha256').update(data).digest('hex');
    const md5 = createHash('md5').update(data).digest('hex');
    const req = empty({ files: [{ remote: f, size: 5000 }, { remote: f, size: 4999 }, { remote: join(dir, 'nope'), size: 1 }, { remote: dir, size: 1 }] });
    const { res } = runProbe(req);
    expect(res.files).toEqual([{ kind: 'ok', size: 5000, hash: sha }, { kind: 'ok', size: 5000, hash: null }, { kind: 'missing' }, { kind: 'not-file' }]);
    expect(res.hashTool).toBe(true);
    expect(runProbe({ ...req, hash: 'md5' }).res.files[0]).toEqual({ kind: 'ok', size: 5000, hash: md5 });
  });

  it('lists model folders: weights, shards named by index files, LFS pointers', () => {
    const m = join(dir, 'model');
    mkdirSync(m);
    writeFileSync(join(m, 'config.json'), '{}');
    writeFileSync(join(m, 'model-00001-of-00002.safetensors'), 'version https://git-lfs.github.com/spec/v1\noid sha256:ab\n');
    writeFileSync(join(m, 'model.safetensors.index.json'), '{"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}');
    writeFileSync(join(m, 'notes.txt'), 'ignored');
    const { res } = runProbe(empty({ models: [m, join(dir, 'none')] }));
    expect(res.models[1]).toEqual({ kind: 'missing' });
    const p = res.models[0];
    expect(p?.kind).toBe('ok');
    if (p?.kind !== 'ok') return;
    expect(p.files.map((f) => f.name).sort()).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model.safetensors.index.json']);
    expect(p.files.find((f) => f.name.startsWith('model-0'))?.lfsPointer).toBe(true);
    expect(p.indexes['model.safetensors.index.json']?.sort()).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });

  it('reads the login environment without printing values', () => {
    writeFileSync(join(dir, '.profile'), 'export FROM_PROFILE=abc\n');
    const { out, res } = runProbe(empty({ env: ['FROM_PROFILE', 'SET_EMPTY', 'NOT_SET', 'SECRET'] }), { SET_EMPTY: '', SECRET: 'hunter2' });
    expect(res.env).toEqual({
      FROM_PROFILE: { kind: 'set', length: 3 },
      SET_EMPTY: { kind: 'empty' },
      NOT_SET: { kind: 'unset' },
      SECRET: { kind: 'set', length: 7 },
    });
    expect(out).not.toContain('hunter2');
  });

  it('runs each command as one argument of a login shell, keeping the tail of its output', () => {
    const { res } = runProbe(
      empty({
        run: [
          { command: `echo "it's"; echo 'a "quoted" $HOME' >&2`, timeoutSeconds: 10 },
          { command: `printf 'line\\tone\\n'; exit 7`, timeoutSeconds: 10 },
          { command: 'touch PWNED; false', timeoutSeconds: 10 },
          { command: 'sleep 5', timeoutSeconds: 1 },
        ],
      }),
    );
    expect(res.run[0]).toEqual({ code: 0, tail: ["it's", 'a "quoted" $HOME'] });
    expect(res.run[1]).toEqual({ code: 7, tail: ['line one'] });
    // the user's own code does run (it is theirs), in the home directory; nothing else breaks
    expect(res.run[2]).toEqual({ code: 1, tail: [] });
    expect(existsSync(pwned())).toBe(true);
    expect(res.run[3]?.code).toBe(124);
    rmSync(pwned(), { force: true });
  });

  it('quotes remote paths, expanding only a leading ~', () => {
    expect(rpath('~')).toBe('"$HOME"');
    expect(rpath('~/a b')).toBe(`"$HOME"/'a b'`);
    expect(rpath('/x/~y')).toBe("'/x/~y'");
    expect(rpath('-rf')).toBe('./-rf');
    expect(rpath("a'b")).toBe(`'./a'\\''b'`);
  });
});

describe('parseProbe', () => {
  const req = empty({ disk: ['/d'], files: [{ remote: '/f', size: 1 }], models: ['/m'], env: ['A'], run: [{ command: 'x', timeoutSeconds: 1 }] });

  it('ignores login noise and unknown or out-of-range records', () => {
    const out = [
      'Welcome to the server!',
      '\x1edisk\t0\tok\t1024\t/mnt/my disk\tyes\t',
      '\x1edisk\t7\tok\t1\t/\tyes\t',
      '\x1efile\t0\tok\t1\tABCDEF0123\t',
      '\x1ebogus\t0\t',
      'noise \x1eenv\tA\t5',
      '\x1erun\t0\t3\t\x1ffirst\x1f\x1fsecond',
    ].join('\n');
    const r = parseProbe(out, req);
    expect(r.disk).toEqual([{ kind: 'ok', freeBytes: 1024 * 1024, mount: '/mnt/my disk', writable: true }]);
    expect(r.files).toEqual([{ kind: 'ok', size: 1, hash: 'abcdef0123' }]);
    expect(r.models).toEqual([null]);
    expect(r.env).toEqual({ A: { kind: 'set', length: 5 } });
    expect(r.run).toEqual([{ code: 3, tail: ['first', 'second'] }]);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: fc.constantFrom('\x1e', '\t', '\n', '\x1f', 'disk', 'file', 'run', 'ok', '0', '1', 'x', ' ') }), (s) => {
        const r = parseProbe(s, req);
        expect(r.disk).toHaveLength(1);
      }),
      { numRuns: 400 },
    );
  });
});

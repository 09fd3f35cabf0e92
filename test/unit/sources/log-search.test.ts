// The whole-file search's commands run for real, through a local sh: hostile paths and patterns must
// reach grep as a file and a pattern, never as options or code.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHost } from '../../../src/remote/local.js';
import { GREP_MAX_MATCHES, grepCommand, readRegion, searchLog } from '../../../src/sources/log-search.js';

let dir: string;
let host: LocalHost;
const lines = Array.from({ length: 5000 }, (_, i) => `line ${i + 1} step=${i + 1} loss: 0.${i}`);
lines[99] = 'here is the -e MARKER: a.b* [x] $(touch pwned) \'q\' "dq"';
lines[2999] = 'second Marker (different case)';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtk-grep-'));
  mkdirSync(join(dir, "-odd dir 'q'"), { recursive: true });
  writeFileSync(join(dir, "-odd dir 'q'", '-run\nlog $x.txt'), `${lines.join('\n')}\n`);
  host = new LocalHost('local', { ...process.env, HOME: dir });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const path = "~/-odd dir 'q'/-run\nlog $x.txt";

describe('searchLog on a real sh', () => {
  it('finds a fixed string with - [ * $( and quotes in it, in a path with -, spaces, quotes and a newline', async () => {
    const r = await searchLog(host, { path, logStart: null, pattern: "-e MARKER: a.b* [x] $(touch pwned) 'q'", regex: false, ignoreCase: false });
    expect(r.ok && r.value.hits.map((h) => h.line)).toEqual([100]);
    if (!r.ok) return;
    expect(r.value.hits[0]!.before).toEqual({ line: 99, text: lines[98] });
    expect(r.value.hits[0]!.after).toEqual({ line: 101, text: lines[100] });
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync('pwned')).toBe(false);
  });

  it('ignores case when asked; a regex when asked; none: says no match', async () => {
    const exact = await searchLog(host, { path, logStart: null, pattern: 'marker', regex: false, ignoreCase: false });
    expect(exact.ok && exact.value.hits).toEqual([]);
    const any = await searchLog(host, { path, logStart: null, pattern: 'marker', regex: false, ignoreCase: true });
    expect(any.ok && any.value.hits.map((h) => h.line)).toEqual([100, 3000]);
    const re = await searchLog(host, { path, logStart: null, pattern: '^line 4[0-9]{3} step=4(00|99)1 ', regex: true, ignoreCase: false });
    expect(re.ok && re.value.hits.map((h) => h.line)).toEqual([4001, 4991]);
  });

  it('stops at the cap and says there are more', async () => {
    const r = await searchLog(host, { path, logStart: null, pattern: 'step=', regex: false, ignoreCase: false });
    expect(r.ok && r.value.hits.length).toBe(GREP_MAX_MATCHES);
    expect(r.ok && r.value.more).toBe(true);
  });

  it('a bad regex and a missing file fail with a sentence', async () => {
    const bad = await searchLog(host, { path, logStart: null, pattern: 'a[', regex: true, ignoreCase: false });
    expect(!bad.ok && bad.error.message).toMatch(/grep on local failed/);
    const gone = await searchLog(host, { path: '~/nope.log', logStart: null, pattern: 'x', regex: false, ignoreCase: false });
    expect(!gone.ok && gone.error.message).toMatch(/does not exist/);
  });

  it('counts lines from logStart on when the log is shared', async () => {
    const start = Buffer.byteLength(`${lines.slice(0, 50).join('\n')}\n`);
    const r = await searchLog(host, { path, logStart: start, pattern: 'MARKER', regex: false, ignoreCase: false });
    expect(r.ok && r.value.hits.map((h) => h.line)).toEqual([50]);
    const g = await readRegion(host, path, start, 49, 3);
    // line 49 of the run's part is line 99 of the file
    expect(g.ok && g.value).toEqual({ first: 49, lines: [lines[98], lines[99], lines[100]] });
  });

  it('reads a region of the file by line number', async () => {
    const r = await readRegion(host, path, null, 99, 3);
    expect(r.ok && r.value).toEqual({ first: 99, lines: [lines[98], lines[99], lines[100]] });
    const end = await readRegion(host, path, null, 4999, 200);
    expect(end.ok && end.value.lines).toEqual([lines[4998], lines[4999]]);
  });

  it('quotes the pattern as one word after -e and the path after --', () => {
    const c = grepCommand({ path: '-x', logStart: null, pattern: "--help'", regex: false, ignoreCase: true });
    expect(c).toContain(`-e '--help'\\'''`);
    expect(c).toContain('f=./-x\n');
    expect(c).toContain('-- "$f"');
  });
});

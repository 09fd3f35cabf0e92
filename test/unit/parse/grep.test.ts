import { describe, expect, it } from 'vitest';
import { parseGrep, parseRegion } from '../../../src/parse/grep.js';

describe('parseGrep (grep -n -C1 output)', () => {
  it('reads matches with their line of context, across groups', () => {
    const out = ['9-before a', '10:the marker here', '11-after a', '--', '200-b', '201:marker again', '202-c', ''].join('\n');
    const r = parseGrep(out, 500);
    expect(r.more).toBe(false);
    expect(r.skipped).toBe(0);
    expect(r.hits).toEqual([
      { line: 10, text: 'the marker here', before: { line: 9, text: 'before a' }, after: { line: 11, text: 'after a' } },
      { line: 201, text: 'marker again', before: { line: 200, text: 'b' }, after: { line: 202, text: 'c' } },
    ]);
  });

  it('keeps colons and dashes inside the line, and lines that look like separators', () => {
    const out = ['3:a:b:c', '4-12:34 not a number prefix', '5:--', '6:-e --', ''].join('\n');
    const r = parseGrep(out, 10);
    expect(r.hits.map((h) => [h.line, h.text])).toEqual([
      [3, 'a:b:c'],
      [5, '--'],
      [6, '-e --'],
    ]);
    expect(r.hits[0]!.after).toEqual({ line: 4, text: '12:34 not a number prefix' });
    // adjacent matches are each other's context (grep merges the groups)
    expect(r.hits[2]!.before).toEqual({ line: 5, text: '--' });
  });

  it('drops CR of CRLF logs and sanitizes escapes, controls and binary bytes', () => {
    const out = `7:step 1\r\n8:\x1b]0;title\x07evil \x1b[2Jclear\n9:bin\x00\x01\x02ary\uFFFD\n10:a\rbar 50%\r\n`;
    const r = parseGrep(out, 10);
    expect(r.hits.map((h) => h.text)).toEqual(['step 1', 'evil clear', 'binary\uFFFD', 'bar 50%']);
    for (const h of r.hits) expect(h.text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  });

  it('says there are more past the cap (grep was asked for one more)', () => {
    const out = Array.from({ length: 4 }, (_, i) => `${i + 1}:m${i}`).join('\n') + '\n';
    const r = parseGrep(out, 3);
    expect(r.hits).toHaveLength(3);
    expect(r.more).toBe(true);
  });

  it('drops a last line cut by the byte cap, and garbage; never throws', () => {
    const r = parseGrep('1:ok\n2:cut in the midd', 10, false);
    expect(r.hits.map((h) => h.line)).toEqual([1]);
    expect(r.skipped).toBe(1);
    const g = parseGrep('Binary file matches\n:no number\n0:zero\n99999999999999999999:huge\n-1:neg\n\n', 10);
    expect(g.hits).toEqual([]);
    expect(g.skipped).toBe(5);
    for (const junk of ['', '\n', '--\n--\n', '\x00\x00', 'x'.repeat(100_000)]) expect(() => parseGrep(junk, 5)).not.toThrow();
  });
});

describe('parseRegion', () => {
  it('numbers lines from the first, drops CR, sanitizes, marks a cut reply', () => {
    expect(parseRegion('a\r\nb\x1b[Kc\nd', 41)).toEqual({ first: 41, lines: ['a', 'bc', 'd'] });
    expect(parseRegion('a\npart', 1, false).lines).toEqual(['a', 'part…']);
    expect(parseRegion('', 0)).toEqual({ first: 1, lines: [] });
  });
});

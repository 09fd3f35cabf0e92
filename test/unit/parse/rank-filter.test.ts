import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RankFilter, countRanks, detectStyle, filterBytes, filterLine, lastLinesOf, parseRankSelector } from '../../../src/parse/rank-filter.js';
import type { PrefixStyle } from '../../../src/parse/rank-prefix.js';

const srun: PrefixStyle = { kind: 'srun', width: 1, escaped: false };
const b = (s: string) => Buffer.from(s, 'utf8');

// srun -l of 4 tasks, tqdm redraws on rank 0 and 2, a launcher line without a prefix, UTF-8 text
const LOG = [
  '0: start ü\n',
  '1: start\n',
  '2: start ✓\n',
  '3: start\n',
  '2:  10%|█         | 1/10\r 20%|██        | 2/10\r 30%|███       | 3/10\n',
  'srun: Job step aborted\n',
  '0: \r 50%|█████     | 5/10\n',
  '1: loss 0.5\n',
  '2: loss 0.4\r\n',
  '3: [rank3]: Traceback\n',
].join('');

describe('rank filter', () => {
  it('keeps one rank, without its prefix, byte for byte (redraws included)', () => {
    const style = detectStyle(b(LOG));
    expect(style).toEqual(srun);
    const two = filterBytes(srun, { rank: 2, host: null }, b(LOG));
    expect(two.out.toString('utf8')).toBe('start ✓\n 10%|█         | 1/10\r 20%|██        | 2/10\r 30%|███       | 3/10\nloss 0.4\r\n');
    expect(two.lines).toBe(3);
    expect(filterBytes(srun, { rank: 0, host: null }, b(LOG)).out.toString('utf8')).toBe('start ü\n\r 50%|█████     | 5/10\n');
    // srun's task id is the rank, not the torch prefix inside it
    expect(filterBytes(srun, { rank: 3, host: null }, b(LOG)).out.toString('utf8')).toBe('start\nTraceback\n');
    expect(filterBytes(srun, { rank: 7, host: null }, b(LOG)).lines).toBe(0);
  });

  it('keeps the redraws of srun -l -u that carry another rank, each with its own \\r', () => {
    expect(filterLine(srun, { rank: 1, host: null }, '0: a\r1: b\rc')).toBe('\rb\rc');
    expect(filterLine(srun, { rank: 0, host: null }, '0: a\r1: b\rc')).toBe('a');
    expect(filterLine(srun, { rank: 0, host: null }, 'no prefix')).toBeNull();
  });

  it('reads bytes that are not UTF-8 and comes back with the same bytes', () => {
    const bytes = Buffer.concat([b('1: '), Buffer.from([0xff, 0xc3, 0x0d, 0x80]), b('\n0: x\n')]);
    expect(filterBytes(srun, { rank: 1, host: null }, bytes).out).toEqual(Buffer.from([0xff, 0xc3, 0x0d, 0x80, 0x0a]));
  });

  it('gives the same bytes however the stream is cut (chunk-split invariant)', () => {
    const line = fc.tuple(fc.constantFrom('0: ', '1: ', '2: ', '', '1: \r', 'srun: '), fc.array(fc.constantFrom('a', 'ü', '\r', ' ', '%', '1', ':'), { maxLength: 12 }).map((a) => a.join('')));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 0, max: 2 }), (lines, trail, cuts, rank) => {
        const text = lines.map(([p, t]) => p + t).join('\n') + (trail ? '\n' : '');
        const bytes = b(text);
        const sel = { rank, host: null };
        const whole = filterBytes(srun, sel, bytes);
        const f = new RankFilter(srun, sel);
        const outs: Buffer[] = [];
        let at = 0;
        for (const c of [...cuts].sort((x, y) => x - y)) {
          const to = Math.min(bytes.length, c % (bytes.length + 1));
          if (to < at) continue;
          outs.push(f.push(bytes.subarray(at, to)));
          at = to;
        }
        outs.push(f.push(bytes.subarray(at)), f.end());
        expect(Buffer.concat(outs).equals(whole.out)).toBe(true);
        expect(f.kept).toBe(whole.lines);
        // and a line is kept when one of its redraws carries the rank's prefix
        const want = text.split('\n').filter((l, i, all) => (i < all.length - 1 || l !== '') && l.split('\r').some((r) => new RegExp(`^${rank}:( |$)`).test(r))).length;
        expect(whole.lines).toBe(want);
      }),
      { numRuns: 300 },
    );
  });

  it('counts lines per rank, ranks in order, unprefixed last', () => {
    expect(countRanks(srun, b(LOG)).map((c) => [c.selector, c.lines])).toEqual([
      ['0', 2],
      ['1', 2],
      ['2', 3],
      ['3', 2],
      [null, 1],
    ]);
    const mpi = detectStyle(b('[1,0]<stdout>:a\n[1,10]<stdout>:b\n[1,2]<stderr>:c\n'));
    expect(mpi?.kind).toBe('bracket');
    expect(countRanks(mpi!, b('[1,0]<stdout>:a\n[1,10]<stdout>:b\n[1,2]<stderr>:c\n')).map((c) => c.selector)).toEqual(['0', '2', '10']);
    const host = detectStyle(b('node01: a\nnode02: b\nnode01: c\nnode10: d\n'))!;
    expect(countRanks(host, b('node10: a\nnode02: b\nnode01: c\nnode01: d\n')).map((c) => [c.selector, c.lines])).toEqual([
      ['node01', 2],
      ['node02', 1],
      ['node10', 1],
    ]);
    expect(filterBytes(host, parseRankSelector('node01')!, b('node01: a\nnode02: b\n')).out.toString()).toBe('a\n');
  });

  it('names ranks, hosts and both, and refuses the rest', () => {
    expect(parseRankSelector('3')).toEqual({ rank: 3, host: null });
    expect(parseRankSelector('gpu187:1')).toEqual({ rank: 1, host: 'gpu187' });
    expect(parseRankSelector('node01')).toEqual({ rank: null, host: 'node01' });
    for (const bad of ['', '-1', '$(x)', '3:', ':3', 'a b']) expect(parseRankSelector(bad)).toBeNull();
  });

  it('cuts the last n lines of bytes', () => {
    expect(lastLinesOf(b('a\nb\nc\n'), 2).toString()).toBe('b\nc\n');
    expect(lastLinesOf(b('a\nb\nc'), 1).toString()).toBe('c');
    expect(lastLinesOf(b('a\nb\n'), 5).toString()).toBe('a\nb\n');
    expect(lastLinesOf(b('\na\n'), 1).toString()).toBe('a\n');
    expect(lastLinesOf(b('a\n'), 0).length).toBe(0);
  });
});

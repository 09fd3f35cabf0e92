import { describe, expect, it } from 'vitest';
import { betterOf, rateOf, summarize, trendOf } from '../../../src/parse/metric-summary.js';
import { parsePsWide, parseRanks, rankInArgs } from '../../../src/parse/run-processes.js';

describe('metric summaries', () => {
  it('best is the lowest loss and the highest accuracy, with its step; none for a learning rate', () => {
    const s = summarize({
      learning_rate: [[1, 1e-4], [2, 2e-4], [3, 1e-4]],
      eval_accuracy: [[10, 0.5], [20, 0.8], [30, 0.7]],
      loss: [[1, 3], [2, 1.5], [3, 2]],
    });
    expect(s.map((m) => m.key)).toEqual(['loss', 'learning_rate', 'eval_accuracy']);
    expect(s[0]).toMatchObject({ latest: 2, latestStep: 3, best: 1.5, bestStep: 2 });
    expect(s[1]).toMatchObject({ best: null, bestStep: null });
    expect(s[2]).toMatchObject({ best: 0.8, bestStep: 20 });
  });
  it('a metric with no finite value is left out; NaN points do not count as best', () => {
    const s = summarize({ loss: [[1, Number.NaN], [2, 4], [3, Number.NaN]], junk: [[1, Number.NaN]] });
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ latest: 4, best: 4, bestStep: 2 });
  });
  it('trend: down, up, flat, and null with too few points', () => {
    const line = (f: (i: number) => number): [number, number][] => Array.from({ length: 30 }, (_, i) => [i * 10, f(i)]);
    expect(trendOf(line((i) => 10 - i * 0.3))).toBe('down');
    expect(trendOf(line((i) => 1 + i * 0.1))).toBe('up');
    expect(trendOf(line((i) => 5 + (i % 2) * 0.001))).toBe('flat');
    expect(trendOf([[1, 1], [2, 2]])).toBeNull();
  });
  it('which way is better, from the name', () => {
    expect(betterOf('eval_loss')).toBe('lower');
    expect(betterOf('val/ppl')).toBe('lower');
    expect(betterOf('eval_accuracy')).toBe('higher');
    expect(betterOf('learning_rate')).toBeNull();
  });
  it('the rate from the series, as the log names it', () => {
    expect(rateOf({ train_samples_per_second: [[1, 12.5]], it_per_sec: [[1, 3.2]] })).toEqual({ itPerSec: 3.2, samplesPerSec: 12.5, tokensPerSec: null });
    expect(rateOf({ loss: [[1, 1]] })).toBeNull();
  });
});

describe('the card\'s processes', () => {
  it('ps with CPU and RSS, commands with blanks and anything in them', () => {
    const ps = parsePsWide(['  4242     1  4242  4242  3600 Sl   101.3 5242880 python train.py --x "a b"', '7 1 7 7 5 S - - odd', 'garbage', ''].join('\n'));
    expect(ps).toEqual([
      { pid: 4242, ppid: 1, pgid: 4242, sid: 4242, etimes: 3600, stat: 'Sl', cpuPercent: 101.3, rssKiB: 5242880, command: 'python train.py --x "a b"' },
      { pid: 7, ppid: 1, pgid: 7, sid: 7, etimes: 5, stat: 'S', cpuPercent: null, rssKiB: null, command: 'odd' },
    ]);
  });
  it('ranks from the environment (RANK before LOCAL_RANK) or the argv', () => {
    const r = parseRanks('10 LOCAL_RANK=1 RANK=9 \n11 LOCAL_RANK=2 \n12 \n13 NOTRANK=4 \n');
    expect([...r.entries()]).toEqual([
      [10, 9],
      [11, 2],
    ]);
    expect(rankInArgs('python -m x --local_rank=3')).toBe(3);
    expect(rankInArgs('python x --local-rank 5')).toBe(5);
    expect(rankInArgs('python x')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import type { Run } from '../../../src/domain/types.js';
import { ago, renderRuns } from '../../../src/commands/ls.js';
import { parseLogsArgs, parseSourceAnswer, splitForFollow } from '../../../src/commands/logs.js';
import { firstReadBack, furtherBack, ranksTable } from '../../../src/commands/logs-rank.js';

const run = (over: Partial<Run>): Run => ({
  id: 'a800:training', host: 'a800', session: 'training', state: 'running', reason: null, alerts: [],
  progress: { step: 3600, total: 30000, percent: 12, etaSeconds: 100 }, metrics: { loss: 0.0123, lr: 0.0001 },
  log: null, checkpoints: null, lastOutputSecondsAgo: 4, attachedClients: 0, createdAt: null, ...over,
});

describe('ls table', () => {
  const report = {
    hosts: [{ name: 'a800', status: 'connected' as const, error: null }],
    runs: [
      run({}),
      run({ id: 'a800:sweep\x1b[2J', session: 'sweep', state: 'failed', reason: 'oom', alerts: [{ kind: 'oom', message: 'CUDA out of\nmemory' }], progress: null, metrics: {}, lastOutputSecondsAgo: 7300 }),
    ],
  };

  it('aligns columns and writes states as words, without colour', () => {
    expect(renderRuns(report, { color: false, width: 0 })).toBe(
      [
        'RUN            STATE       PROGRESS        LOSS/METRIC  LAST OUTPUT  ALERT',
        'a800:training  RUNNING     3600/30000 12%  loss 0.0123  4s ago',
        'a800:sweep     FAILED OOM  -               -            2h ago       oom: CUDA out of memory',
        '',
      ].join('\n'),
    );
  });

  it('colours the state only when asked, and cuts to the terminal width', () => {
    const c = renderRuns(report, { color: true, width: 0 });
    expect(c).toContain('\x1b[32mRUNNING   \x1b[0m');
    expect(c).toContain('\x1b[31mFAILED OOM\x1b[0m');
    for (const l of renderRuns(report, { color: false, width: 40 }).trimEnd().split('\n')) expect([...l].length).toBeLessThanOrEqual(40);
  });

  it('says when there are no runs', () => {
    expect(renderRuns({ hosts: report.hosts, runs: [] }, { color: false, width: 0 })).toBe('no runs on a800\n');
    expect(ago(null)).toBe('-');
    expect(ago(59)).toBe('59s ago');
    expect(ago(90000)).toBe('1d ago');
  });
});

describe('logs helpers', () => {
  it('parses arguments', () => {
    const plain = { linesSet: false, rank: null, ranks: false };
    expect(parseLogsArgs(['r'])).toEqual({ ok: true, value: { run: 'r', lines: 100, follow: false, ...plain } });
    expect(parseLogsArgs(['-f', '-n', '5', 'h:r'])).toEqual({ ok: true, value: { run: 'h:r', lines: 5, follow: true, ...plain, linesSet: true } });
    expect(parseLogsArgs(['-n20', '--', '-k'])).toEqual({ ok: true, value: { run: '-k', lines: 20, follow: false, ...plain, linesSet: true } });
    expect(parseLogsArgs(['r', '--rank', '3', '-f'])).toMatchObject({ ok: true, value: { rank: { rank: 3, host: null }, ranks: false, follow: true } });
    expect(parseLogsArgs(['r', '--rank=gpu187:1'])).toMatchObject({ ok: true, value: { rank: { rank: 1, host: 'gpu187' } } });
    expect(parseLogsArgs(['r', '--ranks'])).toMatchObject({ ok: true, value: { rank: null, ranks: true } });
    expect(parseLogsArgs(['r', '--rank', 'list'])).toMatchObject({ ok: true, value: { rank: null, ranks: true } });
    for (const bad of [['r', '--rank'], ['r', '--rank', '-1'], ['r', '--rank', '$(x)'], ['r', '--ranks', '-f'], ['r', '--ranks', '--rank', '2']])
      expect(parseLogsArgs(bad)).toMatchObject({ ok: false, error: { kind: 'usage' } });
    expect(parseLogsArgs(['-n', 'x', 'r'])).toMatchObject({ ok: false, error: { kind: 'usage' } });
    expect(parseLogsArgs([])).toMatchObject({ ok: false, error: { kind: 'usage' } });
    expect(parseLogsArgs(['a', 'b'])).toMatchObject({ ok: false, error: { kind: 'usage' } });
    expect(parseLogsArgs(['--bogus', 'a'])).toMatchObject({ ok: false, error: { kind: 'usage' } });
  });

  it('cuts the last N complete lines and follows from the start of a partial one', () => {
    // file of 20 bytes: "l1\nl2\nl3\nl4\npartial" (tail -n 3 of it gave the body)
    const body = Buffer.from('l3\nl4\npartial');
    expect(splitForFollow(body, 19, 2)).toEqual({ show: Buffer.from('l3\nl4\n'), offset: 12 });
    expect(splitForFollow(Buffer.from('a\nb\nc\n'), 100, 2)).toEqual({ show: Buffer.from('b\nc\n'), offset: 100 });
    expect(splitForFollow(Buffer.from('a\nb\n'), 4, 10)).toEqual({ show: Buffer.from('a\nb\n'), offset: 4 });
    expect(splitForFollow(Buffer.alloc(0), 0, 10)).toEqual({ show: Buffer.alloc(0), offset: 0 });
    expect(splitForFollow(Buffer.from('a\nb\n'), 4, 0)).toEqual({ show: Buffer.alloc(0), offset: 4 });
  });

  it('reads the source answer between its markers only', () => {
    const a = parseSourceAnswer(Buffer.from('motd\n@@N log 12 34 /p/with space.log\nx\n@@N end\ny\n\n@@N end\n'), 'N');
    expect(a).toEqual({ kind: 'log', inode: 12, size: 34, path: '/p/with space.log', body: Buffer.from('x\n@@N end\ny\n') });
    expect(parseSourceAnswer(Buffer.from('@@N pane \np1\n\n@@N end\n'), 'N')).toMatchObject({ kind: 'pane', path: null });
    expect(parseSourceAnswer(Buffer.from('nothing'), 'N')).toBeNull();
  });
});

describe('logs --rank', () => {
  it('reads further back only while the rank has too few lines and the file has more', () => {
    const body = Buffer.from('0: a\n1: b\n'.repeat(1000));
    expect(furtherBack(10, 10, body, 2000)).toBeNull();
    expect(furtherBack(3, 10, body, 2000)).toBe(16000);
    // fewer lines than asked: the whole file was read
    expect(furtherBack(3, 10, body, 2001)).toBeNull();
    // never past what an exec may bring back (lines of 1 KiB: 48 Ki of them)
    const wide = Buffer.from(`0: ${'x'.repeat(1020)}\n`.repeat(40_000));
    expect(furtherBack(0, 10, wide, 40_000)).toBe(49_152);
    expect(firstReadBack(5)).toBe(2000);
    expect(firstReadBack(1000)).toBe(16000);
  });

  it('prints the ranks as a table, the unprefixed lines last, host names made safe', () => {
    expect(
      ranksTable([
        { selector: '0', rank: 0, host: null, lines: 12 },
        { selector: '10', rank: 10, host: null, lines: 3 },
        { selector: null, rank: null, host: null, lines: 1 },
      ]),
    ).toBe('RANK  LINES\n0     12\n10    3\n-     1  (no prefix)\n');
    const hostile = ranksTable([{ selector: 'n\x1b[2J1', rank: null, host: 'n\x1b[2J1', lines: 3 }]);
    expect(hostile).not.toContain('\x1b');
    expect(hostile.split('\n')).toHaveLength(3);
  });
});

import { describe, expect, it } from 'vitest';
import { age, humanBytes, renderTable } from '../../../src/commands/ckpt-table.js';

describe('ckpt table', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [2469606195, '2.3 GiB'],
    [150 * 1024 * 1024, '150 MiB'],
    [-1, '-'],
  ])('humanBytes(%d)', (n, s) => expect(humanBytes(n)).toBe(s));

  it.each([
    [5_000, '5 s ago'],
    [3 * 60_000, '3 min ago'],
    [5 * 3600_000, '5 h ago'],
    [3 * 86400_000, '3 d ago'],
    [-5_000, '0 s ago'],
  ])('age(%d)', (ms, s) => expect(age(ms)).toBe(s));

  it('renders name, step, size, age, formats and the summary', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    const out = renderTable(
      {
        run: 'a800:training',
        dir: '/home/u/ckpt',
        diskFreeBytes: 48318382080,
        checkpoints: [
          { name: 'checkpoint-2000', path: '/home/u/ckpt/checkpoint-2000', step: 2000, sizeBytes: 2469606195, modifiedAt: '2026-11-23T11:02:03Z', formats: ['safetensors'] },
          { name: 'last\x1b[2J.ckpt', path: '/home/u/ckpt/last.ckpt', step: null, sizeBytes: 1024, modifiedAt: null, formats: [] },
        ],
      },
      now,
    );
    expect(out).toBe(
      [
        'NAME             STEP     SIZE         AGE  FORMATS',
        'checkpoint-2000  2000  2.3 GiB  57 min ago  safetensors',
        'last.ckpt           -  1.0 KiB           -  -',
        '2 checkpoints, 2.3 GiB total, 45.0 GiB free on /home/u/ckpt',
        '',
      ].join('\n'),
    );
  });

  it('says when there are none', () => {
    expect(renderTable({ run: 'r', dir: '/d', diskFreeBytes: null, checkpoints: [] }, 0)).toBe('no checkpoints in /d (free space unknown)\n');
  });
});

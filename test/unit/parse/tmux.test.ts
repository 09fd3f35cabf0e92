import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TMUX_PANE_FORMAT, isNoServerMessage, parseTmuxPanes } from '../../../src/parse/tmux.js';
import { suite, tmuxMissing } from '../../helpers/require.js';

const rec = (fields: { id?: string; win?: number; pane?: number; pid?: number; dead?: string; status?: string; text?: string[] }) => {
  const t = fields.text ?? ['train', '/home/u', 'python', '', '', '', '', '', ''];
  const nums = [fields.id ?? '$1', fields.win ?? 0, fields.pane ?? 0, fields.pid ?? 100, fields.dead ?? '0', fields.status ?? '', 1700000000, 1, 1700000100, 1700000200, 1];
  return `RTKP ${nums.join(' ')}${t.map((s) => ` ${Buffer.byteLength(s)}:${s}`).join('')}\n`;
};

describe('parseTmuxPanes (pure)', () => {
  it('reads one record', () => {
    const [s] = parseTmuxPanes(rec({ text: ['train', '/home/u', 'python', '/l.log', '/ck', 'python t.py', '/w', '0', '1234'] }));
    expect(s).toEqual({
      id: '$1', name: 'train', createdAt: 1700000000, attachedClients: 1, activityAt: 1700000200, windows: 1,
      panePid: 100, paneDead: false, paneDeadStatus: null, paneCurrentPath: '/home/u', paneCurrentCommand: 'python',
      options: { log: '/l.log', checkpoints: '/ck', cmd: 'python t.py', cwd: '/w', exit: 0, logStart: 1234 }, panePids: [100],
    });
  });

  it('keeps values with separators, newlines and the tag inside', () => {
    const nasty = ['a b 3:x', '/p\nRTKP $9 0 0', 'c:m d', 'RTKP 1', '', 'x\n\ny', '', '', ''];
    const out = parseTmuxPanes(rec({ text: nasty }) + rec({ id: '$2', text: ['two', '', '', '', '', '', '', '', ''] }));
    expect(out.map((s) => s.name)).toEqual(['a b 3:x', 'two']);
    expect(out[0]!.paneCurrentPath).toBe('/p\nRTKP $9 0 0');
    expect(out[0]!.options.cmd).toBe('x\n\ny');
  });

  it('takes the first pane of a session and collects every pane pid', () => {
    const out = parseTmuxPanes(
      rec({ win: 1, pane: 0, pid: 7 }) + rec({ win: 0, pane: 1, pid: 8, dead: '1', status: '3' }) + rec({ win: 0, pane: 0, pid: 9, dead: '1', status: '2' }),
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ panePid: 9, paneDead: true, paneDeadStatus: 2, panePids: [7, 8, 9] });
  });

  it('skips noise, truncated and malformed records', () => {
    const good = rec({ id: '$3', text: ['ok', '', '', '', '', '', '', '', ''] });
    const truncated = rec({ id: '$4' }).slice(0, 40);
    const out = parseTmuxPanes(`Welcome to Ubuntu\nRTKP garbage\n${good}RTKP $5 0 0 1 0  1 0 1 1 1 99:short\n${truncated}`);
    expect(out.map((s) => s.name)).toEqual(['ok']);
    expect(parseTmuxPanes('')).toEqual([]);
  });

  it('never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(Array.isArray(parseTmuxPanes(Buffer.concat([Buffer.from('RTKP $1 0 0 1 0  1 0 1 1 1 '), Buffer.from(bytes)])))).toBe(true);
      expect(Array.isArray(parseTmuxPanes(Buffer.from(bytes)))).toBe(true);
    }));
  });

  it('recognises "no server" messages', () => {
    expect(isNoServerMessage('no server running on /tmp/tmux-0/default')).toBe(true);
    expect(isNoServerMessage('error connecting to /tmp/tmux-1000/x (No such file or directory)')).toBe(true);
    expect(isNoServerMessage('unknown option -- u')).toBe(false);
  });
});

// Against the real tmux of this machine: names that are shell code must come back exactly.
// (set-option takes a pane target: '=NAME' alone is refused by tmux 3.3a, '=NAME:' is the exact session.)
const HOSTILE = ['a;touch x', 'b$(touch x)', 'c`touch x`', `d'e"f`, 'g h  i', '-k', 'l|touch x', 'm&&touch x', 'ü ñ 日本', 'RTKP 1 x', '5 abc'] // tmux itself turns ':' and '.' into '_';

suite(tmuxMissing(), 'parseTmuxPanes (real tmux)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtk-tmux-'));
  const env = { ...process.env, TMUX_TMPDIR: dir, TMUX: '' };
  const tmux = (...args: string[]) => execFileSync('tmux', ['-u', ...args], { env, cwd: dir });
  beforeAll(() => {
    for (const n of HOSTILE) tmux('new-session', '-d', '-s', n, '-x', '80', '-y', '10', 'sleep 600');
    tmux('set-option', '-t', '=a;touch x:', '@rtk_cmd', 'python -c "print(1)"\nsecond line');
    tmux('set-option', '-t', '=g h  i:', '@rtk_log', '/tmp/with space/train.log');
    tmux('set-option', '-t', '=-k:', '@rtk_exit', '137');
  });
  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every hostile name exactly, with its options', () => {
    const out = tmux('list-panes', '-a', '-F', TMUX_PANE_FORMAT);
    const sessions = parseTmuxPanes(out);
    expect(sessions.map((s) => s.name).sort()).toEqual([...HOSTILE].sort());
    const by = new Map(sessions.map((s) => [s.name, s]));
    expect(by.get('a;touch x')!.options.cmd).toBe('python -c "print(1)"\nsecond line');
    expect(by.get('g h  i')!.options.log).toBe('/tmp/with space/train.log');
    expect(by.get('-k')!.options.exit).toBe(137);
    for (const s of sessions) {
      expect(s.id).toMatch(/^\$\d+$/);
      expect(s.panePid).toBeGreaterThan(0);
      expect(s.paneDead).toBe(false);
    }
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

describe('parseTmuxPanes round trip (property)', () => {
  it('returns exactly the text fields it was given, whatever they hold', () => {
    const unit = fc.oneof(fc.constantFrom('\n', ' ', ':', 'R', 'T', 'K', 'P', '$', '1', 'ü', '日', '🚀', '\t', '\x1b'), fc.string({ minLength: 1, maxLength: 1 }));
    const text = fc.string({ unit, maxLength: 20 });
    fc.assert(
      fc.property(fc.array(fc.tuple(text.filter((s) => s !== ''), text, text, text), { minLength: 1, maxLength: 5 }), (rows) => {
        const out = rows
          .map(([name, path, cmd, log], i) => {
            const t = [name, path, cmd, log, '', '', '', '', ''];
            return `RTKP $${i} 0 0 ${100 + i} 0  1 0 1 1 1${t.map((s) => ` ${Buffer.byteLength(s)}:${s}`).join('')}\n`;
          })
          .join('');
        const parsed = parseTmuxPanes(out);
        expect(parsed.map((s) => [s.name, s.paneCurrentPath ?? '', s.paneCurrentCommand ?? '', s.options.log ?? ''])).toEqual(
          rows.map(([n, p, c, l]) => [n, p, c, l]),
        );
      }),
      { numRuns: 200 },
    );
  });
});

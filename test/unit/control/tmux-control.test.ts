// The tmux command builders, checked by running what they build: sh parses the script, a recording
// `tmux` on PATH captures the exact argv tmux would receive, and the pane wrapper is run for real.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCapturePane,
  buildKillSession,
  buildNewRun,
  checkRunName,
  runWrapper,
  tmuxArg,
  tmuxCommand,
  tmuxFlags,
} from '../../../src/remote/tmux-control.js';

// The hostile corpus of test/unit/remote/quote.test.ts (copied: importing a test file would run its tests here).
const HOSTILE = [
  'a;touch pwned', 'b$(touch pwned)', 'c`touch pwned`', `d'e"f`, 'g h  i', '-k', '--rm -rf', 'l|touch pwned',
  'm&&touch pwned', 'n\ntouch pwned', '$HOME', '${IFS}x', "'", "''", '\\', '*', '~', '!event',
  'ünïcødé 训练 🚀', '', ' ', '\t', '#comment', 'x>y', '<z', 'x;', ';', 'a\\;',
];

let dir: string;
let bin: string;
let rec: string;
let home: string;

// Records each invocation's argv (NUL-separated) in its own file; has-session says "no such session";
// list-sessions prints $FAKE_SESSIONS (lines `ID:NAME`).
const FAKE_TMUX = `#!/bin/sh
n=$(ls "$REC" | wc -l)
printf '%s\\0' "$@" > "$REC/$n"
for a in "$@"; do
  [ "$a" = has-session ] && exit 1
  [ "$a" = list-sessions ] && { printf '%s' "$FAKE_SESSIONS"; exit 0; }
done
exit 0
`;

function runScript(script: string, extraEnv: Record<string, string> = {}) {
  rmSync(rec, { recursive: true, force: true });
  mkdirSync(rec);
  const r = spawnSync('sh', ['-c', script], {
    cwd: home,
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: home, REC: rec, ...extraEnv },
  });
  const calls = readdirSync(rec)
    .map(Number)
    .sort((a, b) => a - b)
    .map((n) => readFileSync(join(rec, String(n)), 'utf8').split('\0').slice(0, -1));
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString(), calls };
}

/** Undo tmux's own argument parsing of a trailing `\;` (what tmux does before using the word). */
function tmuxParsed(word: string): string {
  if (!word.endsWith(';')) return word;
  const w = word.slice(0, -1);
  return w.endsWith('\\') ? `${w.slice(0, -1)};` : w;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtk-k-unit-'));
  bin = join(dir, 'bin');
  rec = join(dir, 'rec');
  home = join(dir, 'home');
  mkdirSync(bin);
  mkdirSync(home);
  writeFileSync(join(bin, 'tmux'), FAKE_TMUX);
  chmodSync(join(bin, 'tmux'), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tmuxArg', () => {
  it('escapes a trailing semicolon, which tmux would take as a command separator', () => {
    expect(tmuxArg('a;')).toBe('a\\;');
    expect(tmuxArg(';')).toBe('\\;');
    expect(tmuxArg('a\\;')).toBe('a\\\\;');
    expect(tmuxArg('a;b')).toBe('a;b');
    expect(tmuxArg('plain')).toBe('plain');
  });
  it('round-trips through the way tmux reads it back', () => {
    for (const w of [...HOSTILE, 'x;', 'x\\;', ';;', '\\']) expect(tmuxParsed(tmuxArg(w))).toBe(w);
  });
});

describe('checkRunName', () => {
  it('accepts hostile but storable names', () => {
    for (const n of ['a;touch pwned', 'b$(touch pwned)', '-k', "d'e\"f", 'g h  i', 'ünïcødé 训练 🚀', '#{x}', 'x;'])
      expect(checkRunName(n).ok).toBe(true);
  });
  it('refuses names tmux would store differently', () => {
    for (const n of ['', 'a:b', 'a.b', 'a\\b', 'a\nb', 'a\tb', 'a\x1bb', '$0', '@1', '%2']) {
      const r = checkRunName(n);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('usage');
    }
  });
});

const NAMES = ['a;touch pwned', 'b$(touch pwned)', 'c`touch pwned`', '-k', 'x;', "d'e\"f", 'g h  i', '#(touch pwned)'];

const LIST = ['-u', 'list-sessions', '-F', '#{session_id}:#{session_name}'];

const KILL_LIST = ['-u', 'list-sessions', '-F', '#{session_id}\t#{session_created}\t#{session_name}'];
const rows = (...r: [string, number, string][]) => r.map(([id, c, n]) => `${id}\t${c}\t${n}\n`).join('');

describe('buildKillSession', () => {
  for (const name of NAMES) {
    it(`targets exactly ${JSON.stringify(name)}, by its id`, () => {
      const sessions = rows(['$0', 100, 'victim'], ['$1', 101, `${name}x`], ['$2', 102, name]);
      const r = runScript(buildKillSession({ tmuxSocket: null }, { name }), { FAKE_SESSIONS: sessions });
      expect(r.code).toBe(0);
      expect(r.calls).toEqual([KILL_LIST, ['-u', 'kill-session', '-t', '$2']]);
      expect(existsSync(join(home, 'pwned'))).toBe(false);
    });
  }
  it('never reads a name starting with $ as an id', () => {
    // tmux resolves `-t =$0` to the session whose id is $0: the builder must not name targets
    const r = runScript(buildKillSession({ tmuxSocket: null }, { name: '$0' }), { FAKE_SESSIONS: rows(['$0', 1, 'victim'], ['$1', 2, '$0']) });
    expect(r.calls).toEqual([KILL_LIST, ['-u', 'kill-session', '-t', '$1']]);
  });
  it('stops with its not-found status when no session has that exact name', () => {
    const r = runScript(buildKillSession({ tmuxSocket: null }, { name: 'train' }), { FAKE_SESSIONS: rows(['$0', 1, 'train2'], ['$1', 2, 'trai']) });
    expect(r.code).toBe(93);
    expect(r.calls).toEqual([KILL_LIST]);
  });
  it('refuses (94) when the session under that name is not the one shown: another id or creation time', () => {
    const s = rows(['$5', 200, 'train']);
    const byId = runScript(buildKillSession({ tmuxSocket: null }, { name: 'train', id: '$3' }), { FAKE_SESSIONS: s });
    expect(byId.code).toBe(94);
    expect(byId.calls).toEqual([KILL_LIST]);
    const byTime = runScript(buildKillSession({ tmuxSocket: null }, { name: 'train', id: '$5', createdAt: 199 }), { FAKE_SESSIONS: s });
    expect(byTime.code).toBe(94);
    expect(byTime.stderr).toBe('200\n');
    const same = runScript(buildKillSession({ tmuxSocket: null }, { name: 'train', id: '$5', createdAt: 200 }), { FAKE_SESSIONS: s });
    expect(same.calls).toEqual([KILL_LIST, ['-u', 'kill-session', '-t', '$5']]);
  });
  it('honours the socket name', () => {
    const r = runScript(buildKillSession({ tmuxSocket: 'my sock;' }, { name: 's' }), { FAKE_SESSIONS: rows(['$4', 1, 's']) });
    // -L is read by tmux's getopt, not its command parser: no escaping
    expect(r.calls[0]!.slice(0, 4)).toEqual(['-u', '-L', 'my sock;', 'list-sessions']);
    expect(r.calls[1]).toEqual(['-u', '-L', 'my sock;', 'kill-session', '-t', '$4']);
  });
});

describe('buildCapturePane', () => {
  it('reads the pane without attaching: capture-pane -p -e -J of the session found by exact name', () => {
    for (const name of NAMES) {
      const r = runScript(buildCapturePane({ tmuxSocket: null }, name, 50), { FAKE_SESSIONS: `$0:x\n$7:${name}\n` });
      expect(r.code).toBe(0);
      expect(r.calls).toEqual([LIST, ['-u', 'capture-pane', '-p', '-e', '-J', '-S', '-50', '-t', '$7:']]);
    }
    expect(existsSync(join(home, 'pwned'))).toBe(false);
  });
});

describe('buildNewRun', () => {
  it('creates the session and sets every option in one tmux invocation, with exact values', () => {
    const name = 'a;b #(touch pwned) x;';
    const cmd = ['python', 'train.py', '--lr', '1e-4'];
    const r = runScript(buildNewRun({ tmuxSocket: 'sk' }, { name, cmd, log: 'logs/x;', checkpoints: '~/ck dir' }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.calls).toHaveLength(2);
    expect(r.calls[0]).toEqual(['-u', '-L', 'sk', 'has-session', '-t', `=${name}`.slice(0, -1) + '\\;']);
    const argv = r.calls[1]!;
    // split on tmux's separators the way tmux does
    const cmds: string[][] = [[]];
    for (const w of argv) {
      if (w === ';') cmds.push([]);
      else cmds[cmds.length - 1]!.push(tmuxParsed(w));
    }
    const [create, ...sets] = cmds;
    expect(create!.slice(0, 7)).toEqual(['-u', '-L', 'sk', 'new-session', '-d', '-s', 'a;b ##(touch pwned) x;']);
    expect(create!.slice(7, 10)).toEqual(['sh', '-c', runWrapper(cmd)]);
    expect(create!.slice(10)).toEqual(['rtk-run', join(home, 'logs/x;'), home]);
    const target = `=${name}:`;
    expect(sets).toEqual([
      ['set-option', '-w', '-t', target, 'remain-on-exit', 'on'],
      ['set-option', '-t', target, '@rtk_log', join(home, 'logs/x;')],
      ['set-option', '-t', target, '@rtk_cwd', home],
      ['set-option', '-t', target, '@rtk_cmd', 'python train.py --lr 1e-4'],
      // the log was empty: this run's output starts at byte 0
      ['set-option', '-t', target, '@rtk_log_start', '0'],
      ['set-option', '-t', target, '@rtk_checkpoints', join(home, 'ck dir')],
      // the exact argv, for relaunch
      ['set-option', '-t', target, '@rtk_argv', Buffer.from(JSON.stringify(cmd)).toString('base64')],
    ]);
    expect(r.stdout).toBe(`${join(home, 'logs/x;')}\n${home}\n${join(home, 'ck dir')}\n`);
    expect(existsSync(join(home, 'logs'))).toBe(true);
    expect(existsSync(join(home, 'pwned'))).toBe(false);
  });

  it('defaults the log to ~/rtk-runs/NAME.log and the directory to the login directory', () => {
    const r = runScript(buildNewRun({ tmuxSocket: null }, { name: 'run1', cmd: ['true'] }));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(home, 'rtk-runs', 'run1.log')}\n${home}\n\n`);
    expect(r.calls[1]).not.toContain('@rtk_checkpoints');
  });

  it('stops with its own statuses for a missing directory and an unwritable log', () => {
    expect(runScript(buildNewRun({}, { name: 'r', cmd: ['true'], cwd: '/nonexistent/dir' })).code).toBe(91);
    expect(runScript(buildNewRun({}, { name: 'r', cmd: ['true'], log: '/proc/nope/x.log' })).code).toBe(92);
  });
});

describe('runWrapper', () => {
  function wrap(cmd: string[], extraEnv: Record<string, string> = {}) {
    const log = join(dir, 'w.log');
    rmSync(log, { force: true });
    rmSync(rec, { recursive: true, force: true });
    mkdirSync(rec);
    const p = spawnSync('sh', ['-c', runWrapper(cmd), 'rtk-run', log, home], {
      cwd: '/',
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: home, REC: rec, TMUX_PANE: '%7', ...extraEnv },
    });
    const calls = readdirSync(rec).map((n) => readFileSync(join(rec, n), 'utf8').split('\0').slice(0, -1));
    return { code: p.status, out: p.stdout.toString(), log: readFileSync(log, 'utf8'), calls };
  }

  it('passes every hostile word to the command exactly, and runs none of them', () => {
    const r = wrap(['printf', '%s\\0', ...HOSTILE]);
    expect(r.code).toBe(0);
    expect(r.log.split('\0').slice(0, -1)).toEqual(HOSTILE);
    expect(r.out).toBe(r.log);
    expect(existsSync(join(home, 'pwned'))).toBe(false);
    expect(r.calls).toEqual([['set-option', '-t', '%7', '@rtk_exit', '0']]);
  });

  it('runs in the given directory, logs stdout and stderr, and records a failing status', () => {
    const r = wrap(['sh', '-c', 'pwd; echo to-err >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.log).toBe(`${home}\nto-err\n`);
    expect(r.calls).toEqual([['set-option', '-t', '%7', '@rtk_exit', '3']]);
  });

  it('records 127 for a command that does not exist, with the error in the log', () => {
    const r = wrap(['-no-such-command']);
    expect(r.code).toBe(127);
    expect(r.log).toMatch(/-no-such-command/);
    expect(r.calls).toEqual([['set-option', '-t', '%7', '@rtk_exit', '127']]);
  });

  it('is valid sh for dash as well', () => {
    expect(() => execFileSync('sh', ['-n', '-c', runWrapper(HOSTILE)])).not.toThrow();
  });
});

describe('tmuxFlags', () => {
  it('a socket name is -L, a path (with a /) is -S; -u always', () => {
    expect(tmuxFlags({})).toEqual(['-u']);
    expect(tmuxFlags({ tmuxSocket: null })).toEqual(['-u']);
    expect(tmuxFlags({ tmuxSocket: 'work' })).toEqual(['-u', '-L', 'work']);
    expect(tmuxFlags({ tmuxSocket: '/tmp/rtk-demo-x/tmux.sock' })).toEqual(['-u', '-S', '/tmp/rtk-demo-x/tmux.sock']);
    expect(tmuxCommand({ tmuxSocket: '/tmp/a b/s' })).toBe("tmux -u -S '/tmp/a b/s'");
    expect(tmuxCommand({})).toBe('tmux -u');
  });
});

// The new-run form in the monitor (the built binary in a terminal, a local tmux server of the test's
// own): n, type a name and a command, Ctrl-s; the run starts in a new session with its metadata, shows
// up selected with its log; the same name again is refused with the sentence from newRun.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTui } from '../helpers/tui.js';

let dir: string;
let home: string;
let env: NodeJS.ProcessEnv;
const tmux = (...args: string[]) => execFileSync('tmux', ['-u', ...args], { env, encoding: 'utf8' });
const sessions = () => tmux('list-sessions', '-F', '#{session_name}').split('\n').filter(Boolean).sort();
const selectedRow = (screen: string) => screen.split('\n').find((l) => l.includes('›')) ?? '';

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'rtk-d-new-')));
  home = join(dir, 'home');
  mkdirSync(home);
  env = { PATH: process.env.PATH, HOME: home, TMUX_TMPDIR: dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', CI: 'false' };
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'alpha', 'echo alpha-content; exec sh');
});

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    /* already gone */
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('new run from the monitor', () => {
  it('n, name, command, Ctrl-s: the run starts, is selected, shows its log, has its options', async () => {
    const t = await startTui({ args: [], env, cols: 120, rows: 40 });
    try {
      await t.waitUntil((s) => /› alpha\s/.test(selectedRow(s)), 'alpha selected');
      await t.sendKeys('n');
      await t.waitFor('[New run]');
      await t.type('train2');
      await t.sendKeys('Tab', 'Tab');
      await t.waitFor(/› Command/);
      await t.type(`sh -c 'echo hello-$((6*7)); sleep 30'`);
      await t.waitFor(`sh -c 'echo hello-$((6*7)); sleep 30'`);
      await t.sendKeys('C-s');
      await t.waitFor('started local:train2');
      const screen = await t.waitUntil((s) => /› train2\s/.test(selectedRow(s)) && s.includes('hello-42'), 'train2 selected with its log');
      expect(screen).not.toContain('[New run]');
      expect(sessions()).toEqual(['alpha', 'train2']);
      const log = join(home, 'rtk-runs', 'train2.log');
      expect(tmux('show-options', '-v', '-t', '=train2:', '@rtk_log').trim()).toBe(log);
      expect(tmux('show-options', '-v', '-t', '=train2:', '@rtk_cmd').trim()).toBe(`sh -c 'echo hello-$((6*7)); sleep 30'`);
      expect(tmux('show-options', '-v', '-t', '=train2:', '@rtk_cwd').trim()).toBe(home);
      expect(readFileSync(log, 'utf8')).toBe('hello-42\n');

      // the same name again: newRun's sentence in the status bar, nothing started
      await t.sendKeys('n');
      await t.waitFor('[New run]');
      await t.type('train2');
      await t.sendKeys('Tab', 'Tab');
      await t.type('true');
      await t.sendKeys('C-s');
      await t.waitFor('a session named "train2" already exists on local');
      expect(sessions()).toEqual(['alpha', 'train2']);
      await t.sendKeys('q');
      expect(await t.waitExit()).toBe(0);
    } finally {
      await t.stop();
    }
  });
});

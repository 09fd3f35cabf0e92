// Control from the monitor (the built binary in a terminal, a local tmux server of the test's own):
// 'a' hands the terminal to the run's session with the banner and Ctrl-\ comes back with the same run
// selected and the keys working after the remount; 'p' peeks at the pane; 'K' kills after a confirm.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTui } from '../helpers/tui.js';

let dir: string;
let env: NodeJS.ProcessEnv;
const tmux = (...args: string[]) => execFileSync('tmux', ['-u', ...args], { env, encoding: 'utf8' });
const sessions = () => tmux('list-sessions', '-F', '#{session_name}').split('\n').filter(Boolean).sort();
const selectedRow = (screen: string) => screen.split('\n').find((l) => l.includes('›')) ?? '';

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'rtk-k-mon-')));
  mkdirSync(join(dir, 'home'));
  env = { PATH: process.env.PATH, HOME: join(dir, 'home'), TMUX_TMPDIR: dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', CI: 'false' };
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'alpha', 'echo alpha-content; exec sh');
  tmux('new-session', '-d', '-s', 'beta', 'echo beta-content; exec sh');
  // a run whose log file says something else than its pane
  writeFileSync(join(dir, 'gamma.log'), 'from-the-log-file\n');
  tmux('new-session', '-d', '-s', 'gamma', 'echo from-the-pane; exec sh');
  tmux('set-option', '-t', '=gamma:', '@rtk_log', join(dir, 'gamma.log'));
});

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    /* already gone */
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('control from the monitor', () => {
  it('a attaches, Ctrl-\\ returns with the selection kept and the keys working', async () => {
    const t = await startTui({ args: [], env, cols: 120, rows: 30 });
    try {
      await t.waitFor(/│  beta +[A-Z]/); // one host: runs by session name, the host in the title
      await t.sendKeys('j');
      await t.waitUntil((s) => /› beta\s/.test(selectedRow(s)), 'beta selected');
      await t.sendKeys('a');
      await t.waitFor('attached to local:beta');
      await t.waitFor('beta-content');
      await t.type('echo typed-$((40+2))');
      await t.sendKeys('Enter');
      await t.waitFor('typed-42');
      await t.sendKeys('C-\\');
      const back = await t.waitFor('detached from local:beta');
      expect(selectedRow(back)).toMatch(/› beta\s/);
      expect(await t.alternateOn()).toBe(true);
      expect(sessions()).toEqual(['alpha', 'beta', 'gamma']);
      // the remounted UI reads keys again
      await t.sendKeys('k');
      await t.waitUntil((s) => /› alpha\s/.test(selectedRow(s)), 'alpha selected after the remount');
      await t.sendKeys('q');
      expect(await t.waitExit()).toBe(0);
      expect(await t.alternateOn()).toBe(false);
      expect(tmux('capture-pane', '-p', '-t', '=beta:')).toContain('typed-42');
    } finally {
      await t.stop();
    }
  });

  it('p shows the live pane in place of the log, p again brings the log back', async () => {
    const t = await startTui({ args: [], env, cols: 120, rows: 30 });
    try {
      await t.waitFor(/│  gamma +[A-Z]/);
      await t.sendKeys('G');
      await t.waitUntil((s) => /› gamma\s/.test(selectedRow(s)), 'gamma selected');
      await t.waitFor('from-the-log-file');
      await t.sendKeys('p');
      await t.waitUntil((s) => s.includes('from-the-pane') && !s.includes('from-the-log-file'), 'the pane in place of the log');
      tmux('send-keys', '-t', '=gamma:', 'echo live-$((6*7))', 'Enter');
      await t.waitFor('live-42');
      await t.sendKeys('p');
      await t.waitUntil((s) => s.includes('from-the-log-file') && !s.includes('live-42'), 'the log back');
      expect(tmux('display-message', '-p', '-t', '=gamma:', '#{session_attached}').trim()).toBe('0');
      await t.sendKeys('q');
      expect(await t.waitExit()).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('K asks, n keeps the run, K then y kills exactly that session', async () => {
    tmux('new-session', '-d', '-s', 'zz-kill', 'sleep 600');
    tmux('new-session', '-d', '-s', 'zz-kill2', 'sleep 600');
    const t = await startTui({ args: [], env, cols: 120, rows: 30 });
    try {
      await t.waitFor(/│  zz-kill2 +[A-Z]/);
      await t.sendKeys('G', 'k');
      await t.waitUntil((s) => /› zz-kill\s/.test(selectedRow(s) + ' '), 'zz-kill selected');
      await t.sendKeys('K');
      await t.waitFor('Kill local:zz-kill on host local?');
      await t.sendKeys('n');
      await t.waitFor('kill cancelled');
      expect(sessions()).toContain('zz-kill');
      await t.sendKeys('K');
      await t.waitFor('Kill local:zz-kill on host local?');
      await t.sendKeys('y');
      await t.waitFor('killed local:zz-kill');
      await t.waitUntil(() => !sessions().includes('zz-kill'), 'zz-kill gone');
      expect(sessions()).toEqual(['alpha', 'beta', 'gamma', 'zz-kill2']);
      await t.sendKeys('q');
      expect(await t.waitExit()).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('--readonly refuses kill and attaches a read-only client', async () => {
    const t = await startTui({ args: ['--readonly'], env, cols: 120, rows: 30 });
    try {
      await t.waitFor(/│  beta +[A-Z]/); // one host: runs by session name, the host in the title
      await t.sendKeys('K');
      await t.waitFor('read-only mode: kill is disabled');
      expect(sessions()).toContain('beta');
      await t.sendKeys('a');
      await t.waitFor('(read-only)');
      await t.sendKeys('C-\\');
      await t.waitFor('detached from');
      await t.sendKeys('q');
      expect(await t.waitExit()).toBe(0);
    } finally {
      await t.stop();
    }
  });
});

// `rtk-tui demo` as a new user meets it: the built binary in a real 120x40 terminal (a tmux pane),
// CI=false so Ink draws live. Every wait polls the screen with a deadline; nothing sleeps.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startTui, tmuxSocketsUnder } from '../helpers/tui.js';

const step = (screen: string): number => Number(/Steps: +\d+%\|[^|]*\| (\d+)\/30000/.exec(screen)?.[1] ?? Number.NaN);

const all =
  (...res: RegExp[]) =>
  (s: string): boolean =>
    res.every((r) => r.test(s));

/** Child pids, from /proc (no ps needed). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function serverAlive(sock: string): boolean {
  try {
    execFileSync('tmux', ['-S', sock, 'list-sessions'], { stdio: 'pipe', env: { ...process.env, TMUX: '' } });
    return true;
  } catch {
    return false;
  }
}

describe('rtk-tui demo', () => {
  test('a live run in all four panes; keys work; q quits, restores the terminal and removes the demo', async () => {
    // a home of its own: the demo must write nothing there (nor anywhere outside its directory)
    const home = mkdtempSync(join(tmpdir(), 'rtk-demo-home-'));
    const t = await startTui({ args: ['demo'], env: { HOME: home } });
    try {
      // everything under the test's own dir: the demo's files (TMPDIR) and its tmux server (TMUX_TMPDIR)
      const first = await t.waitUntil(
        (s) =>
          /Runs · local · 3/.test(s) && // one host: in the title, runs by session name
          /› llama-7b-sft +RUNNING +\d+%/.test(s) && // runs pane: name + state + progress
          / sweep-lr3e-4 +FAILED OOM +\d+%/.test(s) &&
          /Log · local:llama-7b-sft · step \d+\/30000/.test(s) && // log pane title with progress
          /Steps: +\d+%\|/.test(s) && // the live tqdm line, \r rewrites collapsed
          /GPUs · local/.test(s) &&
          /0 A100 +\d+%/.test(s) && // a GPU row
          /^│ +\d+ (?=.*\bpython\b)(?=.*\b\d+G\b).*local:llama-7/m.test(s) && // its process (pid, memory), mapped to the run
          /› checkpoint-\d+ +[\d.]+ KiB +\S+ ago +safetensors/.test(s), // a checkpoint row
        'all four panes filled',
        30_000,
      );
      expect(await t.alternateOn()).toBe(true);
      const sockets = tmuxSocketsUnder(t.dir);
      expect(sockets.filter(serverAlive)).toHaveLength(1);
      expect(readdirSync(t.dir).filter((n) => n.startsWith('rtk-demo-'))).toHaveLength(1);

      // the log keeps moving
      const s0 = step(first);
      await t.waitUntil((s) => step(s) > s0, `the progress bar to pass step ${s0}`);

      // j/k move the selection and the log pane follows it
      await t.sendKeys('j');
      await t.waitUntil(all(/› qlora-smoke/, /Log · local:qlora-smoke/), 'qlora-smoke selected, its log shown');
      await t.sendKeys('k');
      await t.waitUntil(all(/› llama-7b-sft/, /Log · local:llama-7b-sft/), 'llama-7b-sft selected again');

      // Tab focuses the log pane; z zooms it (the GPU pane goes) and back
      await t.sendKeys('Tab');
      await t.waitFor(/\[Log · local:llama-7b-sft/);
      await t.sendKeys('z');
      await t.waitUntil((s) => /\[Log · local:llama-7b-sft/.test(s) && !/GPUs · local/.test(s) && !/Runs · 3/.test(s), 'the zoomed log');
      await t.sendKeys('z');
      await t.waitFor(/GPUs · local/);

      // ? opens the help, Esc closes it
      await t.sendKeys('?');
      await t.waitUntil(all(/Help · keys/, /Tab +next pane/), 'the help');
      await t.sendKeys('Escape');
      await t.waitUntil((s) => !/Help · keys/.test(s) && /GPUs · local/.test(s), 'the help to close');

      // / searches the log
      await t.sendKeys('/');
      await t.type('eval_loss');
      await t.sendKeys('Enter');
      await t.waitFor(/Log · local:llama-7b-sft.*\/eval_loss/);

      // a attaches to the run's session on the demo's own tmux server; Ctrl-\ comes back
      await t.sendKeys('1', 'a');
      await t.waitUntil(all(/attached to local:llama-7b-sft · Ctrl-\\ detach/, /Steps: +\d+%\|/), 'the attached session');
      await t.sendKeys('C-\\');
      await t.waitUntil(all(/Runs · local · 3/, /detached from local:llama-7b-sft/), 'back in the monitor');

      // n starts a run: its directory and log are the demo's, shown dim in the form
      await t.sendKeys('n');
      const form = await t.waitFor('[New run]');
      expect(form).toMatch(/Directory +\S*rtk-demo-\w+/);
      await t.type('my test');
      expect(await t.waitFor(/Log +\S*rtk-demo-\w+\/runs\/my test\.log/)).not.toContain('~/rtk-runs');
      await t.sendKeys('Tab', 'Tab');
      await t.type('echo made-by-the-form');
      await t.sendKeys('C-s');
      await t.waitFor('started local:my test');
      const made = readdirSync(t.dir).filter((n) => n.startsWith('rtk-demo-'))[0] as string;
      await t.waitUntil(() => {
        try {
          return readFileSync(join(t.dir, made, 'runs', 'my test.log'), 'utf8').includes('made-by-the-form');
        } catch {
          return false;
        }
      }, 'the form run to log into the demo directory');

      await t.sendKeys('q');
      expect(await t.waitExit()).toBe(0);
      expect(await t.alternateOn()).toBe(false);
      expect(await t.capture()).not.toMatch(/Runs · /);
      // the demo's tmux server and files are gone, its socket with them; nothing in the home
      expect(sockets.filter(serverAlive)).toHaveLength(0);
      expect(readdirSync(t.dir).filter((n) => n.startsWith('rtk-demo-'))).toHaveLength(0);
      expect(tmuxSocketsUnder(t.dir)).toEqual([]);
      expect(readdirSync(t.dir).filter((n) => n.startsWith('tmux-'))).toEqual([]);
      expect(readdirSync(home)).toEqual([]);
    } finally {
      await t.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('--keep leaves the runs going and says how to attach and clean up', async () => {
    const t = await startTui({ args: ['demo', '--keep'] });
    try {
      await t.waitFor(/› llama-7b-sft +RUNNING/, 30_000);
      await t.sendKeys('C-c'); // Ctrl-C quits like q
      expect(await t.waitExit()).toBe(0);
      const s = await t.capture();
      expect(s).toMatch(/look at a run: +tmux -S \S*rtk-demo-\w+\/tmux\.sock attach -t llama-7b-sft/);
      expect(s).toMatch(/clean up: +tmux -S \S*rtk-demo-\w+\/tmux\.sock kill-server; rm -rf \S+/);
      expect(tmuxSocketsUnder(t.dir).filter(serverAlive)).toHaveLength(1);
      // the printed way back into the monitor works
      const joined = await t.tmux('capture-pane', '-p', '-J', '-t', 'tui'); // long paths wrap at 120 columns
      // the program is named the way it was started (here by its path; `npx rtk-tui` under npx)
      const m = /monitor again: +PATH=(\S+):"\$PATH" (\S+) --config (\S+)/.exec(joined);
      expect(m).not.toBeNull();
      expect(m![2]).toMatch(/bin\/rtk-tui$/);
      const again = await startTui({ argv: [m![2]!, '--config', m![3]!], env: { PATH: `${m![1]}:${process.env.PATH}`, TMUX_TMPDIR: t.dir } });
      try {
        await again.waitUntil(all(/› llama-7b-sft +RUNNING/, /0 A100 +\d+%/), 'the kept demo in a new monitor', 30_000);
        await again.sendKeys('q');
        expect(await again.waitExit()).toBe(0);
      } finally {
        await again.stop();
      }
      expect(tmuxSocketsUnder(t.dir).filter(serverAlive)).toHaveLength(1);
    } finally {
      await t.stop(); // also kills the kept demo server (it lives under t.dir)
    }
  });

  test('SIGTERM quits the normal way: terminal restored, demo server and files gone', async () => {
    const t = await startTui({ args: ['demo'] });
    try {
      await t.waitFor(/› llama-7b-sft +RUNNING/, 30_000);
      const sockets = tmuxSocketsUnder(t.dir);
      expect(sockets.filter(serverAlive)).toHaveLength(1);
      const shPid = (await t.tmux('display-message', '-p', '-t', 'tui', '#{pane_pid}')).trim();
      const node = childrenOf(Number(shPid))[0];
      expect(node).toBeGreaterThan(0);
      process.kill(node!, 'SIGTERM');
      expect(await t.waitExit()).toBe(0);
      expect(await t.alternateOn()).toBe(false);
      expect(sockets.filter(serverAlive)).toHaveLength(0);
      expect(readdirSync(t.dir).filter((n) => n.startsWith('rtk-demo-'))).toHaveLength(0);
    } finally {
      await t.stop();
    }
  });

  test('says what to install when tmux is missing', async () => {
    // a PATH with sh and node but no tmux
    const bin = mkdtempSync(join(tmpdir(), 'rtk-notmux-'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const t = await startTui({ args: ['demo'], env: { PATH: bin } });
    try {
      expect(await t.waitExit()).toBe(1);
      expect(await t.scrollback()).toMatch(/rtk-tui: rtk-tui demo needs tmux, which is not installed here \(apt install tmux/);
      expect(readdirSync(t.dir).filter((n) => n.startsWith('rtk-demo-'))).toHaveLength(0);
    } finally {
      await t.stop();
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('refuses without a terminal, with a sentence', async () => {
    let out = '';
    let code = 0;
    try {
      execFileSync(process.execPath, [new URL('../../bin/rtk-tui', import.meta.url).pathname, 'demo'], { stdio: 'pipe', env: { ...process.env, CI: 'false' } });
    } catch (e) {
      const x = e as { status: number; stderr: Buffer };
      code = x.status;
      out = x.stderr.toString();
    }
    expect(code).toBe(2);
    expect(out).toMatch(/^rtk-tui: rtk-tui demo needs a terminal/);
  });
});

// new / kill / attach through the BUILT binary on the local host, against a real tmux server of the
// test's own (TMUX_TMPDIR and HOME in a scratch directory). Nothing here sleeps a fixed time.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startTui } from '../helpers/tui.js';
import { PanePeek } from '../../src/sources/peek.js';
import type { StoreEvent } from '../../src/store/state.js';
import { shHost } from '../unit/control/sh-host.js';
import { LocalHost } from '../../src/remote/local.js';
import { killSession } from '../../src/remote/tmux-control.js';

let dir: string;
let home: string;
let env: NodeJS.ProcessEnv;

function cli(args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(process.execPath, [BIN, ...args], { env, cwd: opts.cwd ?? dir, encoding: 'utf8' }, (e, stdout, stderr) => {
      const code = e ? (typeof (e as { code?: unknown }).code === 'number' ? (e as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    p.stdin?.end(); // stdin is a pipe: not a terminal
  });
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-u', ...args], { env, encoding: 'utf8' });
}

function sessions(): string[] {
  try {
    return tmux('list-sessions', '-F', '#{session_name}').split('\n').filter(Boolean).sort();
  } catch {
    return [];
  }
}

function option(session: string, name: string): string {
  return tmux('display-message', '-p', '-t', `=${session}:`, `#{${name}}`).replace(/\n$/, '');
}

async function until<T>(fn: () => T | null | undefined | false, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'rtk-k-e2e-')));
  home = join(dir, 'home');
  mkdirSync(home);
  env = {
    PATH: process.env.PATH,
    HOME: home,
    TMUX_TMPDIR: dir,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    CI: 'false',
  };
  if (!existsSync(BIN.replace(/bin\/rtk-tui$/, 'dist/cli.js'))) throw new Error('dist/ is missing: build first (npx tsc -p .)');
});

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    /* no server */
  }
  rmSync(dir, { recursive: true, force: true });
});

// the words a user's command line may carry; none may run, each must arrive as given
const ARGS = ['a b', "q'\"", '$HOME', '$(touch pwned)', '`touch pwned`', 'x;touch pwned', ';', 'ünïcødé 训练 🚀', '-k', '', '#{session_name}', 'a\\;'];

describe('rtk-tui new (local)', () => {
  it('starts a command that succeeds: log, @rtk_* options, @rtk_exit 0, exact arguments', async () => {
    const r = await cli(['new', 'ok1', '--host', 'local', '--checkpoints', 'ck', '--', 'printf', '%s\\n', ...ARGS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('started local:ok1');
    await until(() => option('ok1', '@rtk_exit') === '0', '@rtk_exit of ok1');
    const log = join(home, 'rtk-runs', 'ok1.log');
    expect(option('ok1', '@rtk_log')).toBe(log);
    expect(option('ok1', '@rtk_cwd')).toBe(dir);
    expect(option('ok1', '@rtk_checkpoints')).toBe(join(dir, 'ck'));
    expect(option('ok1', '@rtk_cmd')).toMatch(/^printf '%s\\n' 'a b' /);
    expect(readFileSync(log, 'utf8')).toBe(ARGS.map((a) => `${a}\n`).join(''));
    // remain-on-exit: the last screen stays readable
    expect(option('ok1', 'pane_dead')).toBe('1');
    expect(tmux('capture-pane', '-p', '-t', '=ok1:')).toContain('ünïcødé 训练 🚀');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(home, 'pwned'))).toBe(false);
  });

  it('records a failing command: @rtk_exit 3, stderr in the log, the given directory and log file', async () => {
    mkdirSync(join(dir, 'work dir'));
    const r = await cli(['new', 'fail1', '--host', 'local', '--cwd', 'work dir', '--log', 'out/f.log', '--', 'sh', '-c', 'pwd; echo boom >&2; exit 3']);
    expect(r.code).toBe(0);
    await until(() => option('fail1', '@rtk_exit') === '3', '@rtk_exit of fail1');
    const log = join(dir, 'work dir', 'out', 'f.log');
    expect(option('fail1', '@rtk_log')).toBe(log);
    expect(readFileSync(log, 'utf8')).toBe(`${join(dir, 'work dir')}\nboom\n`);
  });

  it('a log file reused by a new run: the old run’s OOM is not the new run’s health', async () => {
    const log = join(dir, 'reused.log');
    writeFileSync(log, 'step 90/100 loss=0.5\nTraceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n');
    const r = await cli(['new', 'again', '--host', 'local', '--log', log, '--', 'sh', '-c', 'echo "step 1/100 loss=2.5"; exec sleep 600']);
    expect(r.code).toBe(0);
    await until(() => readFileSync(log, 'utf8').includes('step 1/100'), 'the new run’s first line');
    const ls = await cli(['ls', '--json']);
    const run = (JSON.parse(ls.stdout) as { runs: { id: string; state: string; reason: string | null; alerts: unknown[]; progress: unknown }[] }).runs.find((x) => x.id === 'local:again');
    expect(run).toMatchObject({ state: 'running', reason: null, alerts: [], progress: { step: 1, total: 100 } });
    // a log link is refused: tee would write into whatever it points to
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched\n');
    symlinkSync(victim, join(dir, 'linked.log'));
    const l = await cli(['new', 'linked', '--host', 'local', '--log', join(dir, 'linked.log'), '--', 'echo', 'written']);
    expect(l.code).toBe(1);
    expect(l.stderr).toMatch(/is a symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(sessions()).not.toContain('linked');
  });

  it('takes a hostile session name exactly, and runs none of it', async () => {
    const name = 'h;touch pwned $(touch pwned) #(touch pwned) x;';
    const r = await cli(['new', name, '--host', 'local', '--', 'true']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sessions()).toContain(name);
    await until(() => option(name, '@rtk_exit') === '0', '@rtk_exit of the hostile name');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(home, 'pwned'))).toBe(false);
  });

  it('refuses an existing name, a bad name, a missing command and --readonly', async () => {
    const dup = await cli(['new', 'ok1', '--host', 'local', '--', 'true']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists on local/);
    const bad = await cli(['new', 'a.b', '--host', 'local', '--', 'true']);
    expect(bad.code).toBe(2);
    const nocmd = await cli(['new', 'x', '--host', 'local']);
    expect(nocmd.code).toBe(2);
    expect(nocmd.stderr).toMatch(/after --/);
    const ro = await cli(['--readonly', 'new', 'x', '--host', 'local', '--', 'true']);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toMatch(/readonly/);
    expect(sessions()).not.toContain('x');
  });
});

describe('rtk-tui kill (local)', () => {
  it('without --yes and without a terminal: exit 2, nothing killed', async () => {
    tmux('new-session', '-d', '-s', 'k-a', 'sleep 600');
    const r = await cli(['kill', 'k-a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(sessions()).toContain('k-a');
  });

  it('--readonly refuses', async () => {
    const r = await cli(['--readonly', 'kill', 'k-a', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/readonly/);
    expect(sessions()).toContain('k-a');
  });

  it('removes exactly one of two sessions whose names share a prefix', async () => {
    tmux('new-session', '-d', '-s', '-k', 'sleep 600');
    tmux('new-session', '-d', '-s', '-k;b', 'sleep 600');
    const before = sessions();
    const r = await cli(['kill', 'local:-k', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^killed local:-k\n {2}ended \d+ process(es)?\n$/);
    expect(sessions()).toEqual(before.filter((s) => s !== '-k'));
    const again = await cli(['kill', 'local:-k', '--yes']);
    expect(again.code).toBe(1);
  });

  it('kills the session named like another session\'s id ($N), not that other session', async () => {
    // tmux reads `-t =$N` as the id $N: targets must be ids found by exact name
    tmux('new-session', '-d', '-s', 'victim', 'sleep 600');
    const victimId = tmux('display-message', '-p', '-t', 'victim', '#{session_id}').trim();
    expect(victimId).toMatch(/^\$\d+$/);
    tmux('new-session', '-d', '-s', victimId, 'sleep 600');
    const before = sessions();
    const r = await cli(['kill', `local:${victimId}`, '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sessions()).toEqual(before.filter((s) => s !== victimId));
    expect(sessions()).toContain('victim');
  });

  it('asks on a terminal and kills on y', async () => {
    tmux('new-session', '-d', '-s', 'k-ask', 'sleep 600');
    const t = await startTui({ args: ['kill', 'k-ask'], env, cols: 100, rows: 10 });
    try {
      await t.waitFor('kill local:k-ask? [y/N]');
      await t.type('y');
      await t.sendKeys('Enter');
      expect(await t.waitExit()).toBe(0);
      expect(sessions()).not.toContain('k-ask');
    } finally {
      await t.stop();
    }
  });
});

describe('rtk-tui kill kills the session it showed', () => {
  it('a session re-created under the name while the prompt is open is left alone', async () => {
    tmux('new-session', '-d', '-s', 'k-race', 'sleep 600');
    const t = await startTui({ args: ['kill', 'k-race'], env, cols: 120, rows: 10 });
    try {
      await t.waitFor('kill local:k-race? [y/N]');
      // meanwhile, someone ends it and starts another under the same name
      tmux('kill-session', '-t', '=k-race');
      tmux('new-session', '-d', '-s', 'k-race', 'sleep 601');
      const newId = tmux('display-message', '-p', '-t', '=k-race:', '#{session_id}').trim();
      await t.type('y');
      await t.sendKeys('Enter');
      expect(await t.waitExit()).toBe(1);
      expect(await t.capture()).toMatch(/re-created under that name/);
      expect(tmux('display-message', '-p', '-t', '=k-race:', '#{session_id}').trim()).toBe(newId);
    } finally {
      await t.stop();
    }
  });

  it('the monitor’s confirmed kill refuses a session created after the one it showed', async () => {
    tmux('new-session', '-d', '-s', 'k-mon', 'sleep 600');
    const created = Number(tmux('display-message', '-p', '-t', '=k-mon:', '#{session_created}').trim());
    const host = new LocalHost('local', env);
    const spec = { name: 'local', local: true };
    const stale = await killSession(host, spec, { name: 'k-mon', createdAt: created - 60 });
    expect(stale).toMatchObject({ ok: false, error: { kind: 'refused' } });
    expect(sessions()).toContain('k-mon');
    expect(await killSession(host, spec, { name: 'k-mon', createdAt: created })).toEqual({ ok: true, value: undefined });
    expect(sessions()).not.toContain('k-mon');
  });
});

/** The rtk-tui process of a harness terminal: the node child of its pane's shell. */
async function rtkPid(t: { tmux: (...a: string[]) => Promise<string> }): Promise<number> {
  const pane = Number((await t.tmux('display-message', '-p', '-t', 'tui', '#{pane_pid}')).trim());
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (ppid === pane && (argv[1] ?? '').endsWith('bin/rtk-tui')) return Number(name);
    } catch {
      /* gone */
    }
  }
  throw new Error(`no rtk-tui process under pane ${pane}`);
}

describe('rtk-tui attach (local)', () => {
  it('shows the session, passes keys through, and Ctrl-\\ returns to the shell with the run alive', async () => {
    tmux('new-session', '-d', '-s', 'att 1', 'echo inner-content-here; exec sh');
    const t = await startTui({ args: ['attach', 'att 1'], env, cols: 90, rows: 20 });
    try {
      const screen = await t.waitFor('attached to local:att 1');
      expect(screen).toContain('Ctrl-\\ detach');
      await t.waitFor('inner-content-here');
      await t.type('echo typed-$((40+2))');
      await t.sendKeys('Enter');
      await t.waitFor('typed-42');
      await t.sendKeys('C-\\');
      expect(await t.waitExit()).toBe(0);
      expect(await t.capture()).toContain('detached from local:att 1; it keeps running');
      expect(await t.alternateOn()).toBe(false);
      expect(sessions()).toContain('att 1');
      // what was typed reached the session
      expect(tmux('capture-pane', '-p', '-t', '=att 1:')).toContain('typed-42');
    } finally {
      await t.stop();
    }
  });

  for (const [sig, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${sig} while attached: the terminal comes back (main screen, full scroll region) and the run lives on`, async () => {
      tmux('new-session', '-d', '-s', `sig-${sig}`, 'echo sig-content; exec sh');
      const t = await startTui({ args: ['attach', `sig-${sig}`], env, cols: 90, rows: 20 });
      try {
        await t.waitFor('sig-content');
        const region = async () => (await t.tmux('display-message', '-p', '-t', 'tui', '#{scroll_region_upper} #{scroll_region_lower}')).trim();
        expect(await region()).toBe('0 18');
        process.kill(await rtkPid(t), sig);
        expect(await t.waitExit()).toBe(code);
        expect(await t.alternateOn()).toBe(false);
        expect(await region()).toBe('0 19');
        expect(sessions()).toContain(`sig-${sig}`);
      } finally {
        await t.stop();
      }
    });
  }

  it('SIGTERM while the monitor is attached: the monitor ends and the terminal comes back', async () => {
    tmux('new-session', '-d', '-s', 'sig-mon', 'echo sig-mon-content; exec sh');
    const t = await startTui({ args: [], env, cols: 120, rows: 30 });
    try {
      await t.waitFor('sig-mon');
      await t.type('/sig-mon');
      await t.sendKeys('Enter');
      await t.type('a');
      await t.waitFor('attached to local:sig-mon');
      process.kill(await rtkPid(t), 'SIGTERM');
      await t.waitExit();
      expect(await t.alternateOn()).toBe(false);
      expect((await t.tmux('display-message', '-p', '-t', 'tui', '#{scroll_region_lower}')).trim()).toBe('29');
      expect(sessions()).toContain('sig-mon');
    } finally {
      await t.stop();
    }
  });

  it("tmux's own prefix-d detaches too", async () => {
    const t = await startTui({ args: ['attach', 'local:att 1'], env, cols: 90, rows: 20 });
    try {
      await t.waitFor('typed-42');
      await t.sendKeys('C-b', 'd');
      expect(await t.waitExit()).toBe(0);
      expect(await t.capture()).toMatch(/detached/);
      expect(sessions()).toContain('att 1');
    } finally {
      await t.stop();
    }
  });

  it('gives the session all rows but the banner, and follows a resize', async () => {
    const size = () => tmux('display-message', '-p', '-t', '=att 1:', '#{window_width}x#{window_height}').trim();
    const t = await startTui({ args: ['attach', 'att 1'], env, cols: 90, rows: 20 });
    try {
      await t.waitFor('attached to local:att 1');
      await until(() => size() === '90x18', 'the session at 90x18 (20 rows less the banner and the tmux status line)');
      await t.resize(70, 16);
      await until(() => size() === '70x14', 'the session at 70x14 after the resize');
      // the banner is redrawn on the new bottom row
      const screen = await t.waitUntil((s) => (s.split('\n')[15] ?? '').includes('attached to local:att 1'), 'the banner on row 16');
      expect(screen.split('\n')[15]).toContain('Ctrl-\\ detach');
      await t.sendKeys('C-\\');
      expect(await t.waitExit()).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('inside tmux, the banner says which prefix reaches which tmux', async () => {
    // as if rtk-tui ran in a pane of the test's tmux server (tmux then talks to that server by $TMUX)
    const socket = tmux('display-message', '-p', '#{socket_path}').trim();
    const t = await startTui({ args: ['attach', 'att 1'], env: { ...env, TMUX: `${socket},1,0` }, cols: 160, rows: 20 });
    try {
      const s = await t.waitFor('attached to local:att 1');
      expect(s).toContain("Ctrl-b: this terminal's tmux");
      expect(s).toContain('Ctrl-b Ctrl-b: the run’s tmux');
      await t.sendKeys('C-\\');
      expect(await t.waitExit()).toBe(0);
      expect(sessions()).toContain('att 1');
    } finally {
      await t.stop();
    }
  });

  it('without node-pty it still attaches (tmux prefix-d detaches)', async () => {
    const t = await startTui({ args: ['attach', 'att 1'], env: { ...env, RTK_TUI_NO_PTY: '1' }, cols: 90, rows: 20 });
    try {
      await t.waitFor('typed-42');
      await t.sendKeys('C-b', 'd');
      expect(await t.waitExit()).toBe(0);
      expect(await t.capture()).toContain('detached from local:att 1; it keeps running');
      expect(sessions()).toContain('att 1');
    } finally {
      await t.stop();
    }
  });

  it('--readonly attaches a read-only client: keys do not reach the session', async () => {
    const t = await startTui({ args: ['--readonly', 'attach', 'att 1'], env, cols: 90, rows: 20 });
    try {
      await t.waitFor('attached to local:att 1 (read-only)');
      await t.type('echo ro-$((1+1))');
      await t.sendKeys('Enter');
      // typed from outside after our keys: once it shows, our keys would have shown before it
      tmux('send-keys', '-t', '=att 1:', 'echo marker-$((2+3))', 'Enter');
      await t.waitFor('marker-5');
      await t.sendKeys('C-\\');
      expect(await t.waitExit()).toBe(0);
      const pane = tmux('capture-pane', '-p', '-t', '=att 1:');
      expect(pane).toContain('marker-5');
      expect(pane).not.toContain('ro-');
      expect(sessions()).toContain('att 1');
    } finally {
      await t.stop();
    }
  });

  it('the detach key comes from the config (keys: attach.detach)', async () => {
    const cfg = join(dir, 'keys.yaml');
    writeFileSync(cfg, 'keys:\n  attach.detach: "ctrl+]"\n');
    const t = await startTui({ args: ['--config', cfg, 'attach', 'att 1'], env, cols: 90, rows: 20 });
    try {
      await t.waitFor('Ctrl-] detach');
      // the default key now reaches the session instead of detaching
      await t.sendKeys('C-\\');
      await t.sendKeys('C-]');
      expect(await t.waitExit()).toBe(0);
      expect(await t.capture()).toContain('detached from local:att 1');
      expect(sessions()).toContain('att 1');
    } finally {
      await t.stop();
    }
  });

  it('a session that ends while attached returns with a message', async () => {
    tmux('new-session', '-d', '-s', 'short', 'exec sh');
    const t = await startTui({ args: ['attach', 'short'], env, cols: 90, rows: 20 });
    try {
      await t.waitFor('attached to local:short');
      await t.type('exit');
      await t.sendKeys('Enter');
      expect(await t.waitExit()).toBe(0);
      expect(await t.capture()).toContain('local:short ended (its tmux session is gone)');
      expect(sessions()).not.toContain('short');
    } finally {
      await t.stop();
    }
  });

  it('refuses without a terminal, and names a missing run', async () => {
    const r = await cli(['attach', 'att 1']);
    expect(r.code).toBe(2);
    const t = await startTui({ args: ['attach', 'nope'], env, cols: 90, rows: 10 });
    try {
      expect(await t.waitExit()).toBe(1);
      expect(await t.capture()).toMatch(/run nope not found/);
    } finally {
      await t.stop();
    }
  });
});

describe('peek (local tmux)', () => {
  it('shows the pane with its colours, follows it, and never attaches a client', async () => {
    tmux('new-session', '-d', '-s', 'pk;x', "printf '\\033[31mred-line\\033[0m\\n'; exec sh");
    const events: StoreEvent[] = [];
    const peek = new PanePeek((e) => events.push(e), { intervalMs: 100 });
    const lines = () => {
      const last = [...events].reverse().find((e) => e.type === 'log');
      return last && last.type === 'log' && last.chunk.kind === 'lines' ? last.chunk.lines : [];
    };
    peek.start({ runId: 'local:pk;x', host: shHost(env), spec: { name: 'local', local: true }, session: 'pk;x' });
    try {
      await until(() => lines().some((l) => l.includes('\x1b[31mred-line')), 'the red line, with its colour');
      tmux('send-keys', '-t', '=pk;x:', 'echo peek-$((6*7))', 'Enter');
      await until(() => lines().some((l) => l === 'peek-42'), 'the new line');
      expect(tmux('display-message', '-p', '-t', '=pk;x:', '#{session_attached}').trim()).toBe('0');
    } finally {
      peek.stop();
    }
  });
});

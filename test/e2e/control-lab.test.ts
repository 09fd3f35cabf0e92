// new / kill / attach through the BUILT binary against the test lab: a real sshd target behind a
// jump host (ProxyJump), its own tmux server. The remote side is checked with lab.remote (system ssh).
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { BIN, startTui } from '../helpers/tui.js';
import { shq } from '../../src/remote/quote.js';
import { openHost } from '../../src/remote/index.js';
import { capturePane } from '../../src/remote/tmux-control.js';

const why = labUnavailable();
suite(why, 'control over ssh', () => {
  let lab: Lab;
  let env: NodeJS.ProcessEnv;

  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const p = execFile(process.execPath, [BIN, '--config', lab.rtkConfig, ...args], { env, encoding: 'utf8' }, (e, stdout, stderr) => {
        const code = e ? (typeof (e as { code?: unknown }).code === 'number' ? (e as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      p.stdin?.end();
    });

  /** One tmux query on the target; throws when tmux fails. */
  const rtmux = async (script: string): Promise<string> => {
    const r = await lab.remote(script);
    if (r.code !== 0) throw new Error(`remote failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const option = async (session: string, name: string) =>
    (await rtmux(`tmux -u display-message -p -t ${shq(`=${session}:`)} ${shq(`#{${name}}`)}`)).replace(/\n$/, '');
  const sessions = async () =>
    (await lab.remote("tmux -u list-sessions -F '#{session_name}' 2>/dev/null")).stdout.split('\n').filter(Boolean).sort();
  const until = async (fn: () => Promise<boolean>, what: string, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    lab = await startLab();
    env = lab.env({ LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  const ARGS = ['a b', "q'\"", '$HOME', '$(touch pwned)', 'x;touch pwned', ';', 'ünïcødé 训练 🚀', '-k', '', 'a\\;'];

  it('new: a succeeding command, its log in ~/rtk-runs on the target, options and exact arguments', async () => {
    const r = await cli(['new', 'ok1', '--host', 'gpu', '--', 'printf', '%s\\n', ...ARGS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('started gpu:ok1');
    await until(async () => (await option('ok1', '@rtk_exit')) === '0', '@rtk_exit of ok1');
    const log = `${lab.remoteHome}/rtk-runs/ok1.log`;
    expect(await option('ok1', '@rtk_log')).toBe(log);
    expect(await option('ok1', '@rtk_cwd')).toBe(lab.remoteHome);
    expect(await rtmux(`cat ${shq(log)}`)).toBe(ARGS.map((a) => `${a}\n`).join(''));
    expect((await lab.remote(`ls ${shq(lab.remoteHome)}/pwned`)).code).not.toBe(0);
  });

  it('new: a failing command records @rtk_exit 3; a hostile name is taken exactly', async () => {
    const name = 'f;touch pwned $(touch pwned) x;';
    const r = await cli(['new', name, '--host', 'gpu', '--checkpoints', '~/ck', '--', 'sh', '-c', 'echo to-log >&2; exit 3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await until(async () => (await option(name, '@rtk_exit')) === '3', '@rtk_exit of the failing run');
    expect(await option(name, '@rtk_checkpoints')).toBe(`${lab.remoteHome}/ck`);
    expect(await rtmux(`cat "$HOME"/rtk-runs/${shq(`${name}.log`)}`)).toBe('to-log\n');
    expect((await lab.remote(`ls ${shq(lab.remoteHome)}/pwned`)).code).not.toBe(0);
    const dup = await cli(['new', name, '--host', 'gpu', '--', 'true']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists on gpu/);
  });

  it('kill: exactly one of two sessions; without --yes and a terminal, exit 2', async () => {
    await rtmux("tmux new-session -d -s 'k a' 'sleep 600' && tmux new-session -d -s 'k a;b' 'sleep 600'");
    const no = await cli(['kill', 'gpu:k a']);
    expect(no.code).toBe(2);
    expect(await sessions()).toContain('k a');
    const before = await sessions();
    const r = await cli(['kill', 'gpu:k a', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await sessions()).toEqual(before.filter((s) => s !== 'k a'));
    const ro = await cli(['--readonly', 'kill', 'gpu:k a;b', '--yes']);
    expect(ro.code).toBe(1);
    expect(await sessions()).toContain('k a;b');
  });

  it('attach: the system ssh through the jump shows the remote session; Ctrl-\\ returns, the run lives on', async () => {
    await rtmux("tmux new-session -d -s att 'echo remote-content-here; exec sh'");
    const t = await startTui({ args: ['--config', lab.rtkConfig, 'attach', 'gpu:att'], env, cols: 100, rows: 20 });
    try {
      await t.waitFor('attached to gpu:att');
      await t.waitFor('remote-content-here');
      await t.type('echo typed-$((40+2))');
      await t.sendKeys('Enter');
      await t.waitFor('typed-42');
      await t.sendKeys('C-\\');
      expect(await t.waitExit()).toBe(0);
      expect(await t.capture()).toContain('detached from gpu:att; it keeps running');
      expect(await t.alternateOn()).toBe(false);
      expect(await sessions()).toContain('att');
      expect(await rtmux("tmux capture-pane -p -t '=att:'")).toContain('typed-42');
    } finally {
      await t.stop();
    }
  });

  it('capture-pane (peek) over ssh: the pane with its colours, exact target, no client attached', async () => {
    // (tmux itself reads a trailing ; as a separator: the test escapes it the way tmux-control does)
    await rtmux("tmux new-session -d -s 'pk\\;' \"printf '\\\\033[32mgreen-ok\\\\033[0m\\\\n'; exec sh\"");
    const spec = { name: 'gpu', local: false, ssh: 'rtk-gpu' };
    const host = openHost(spec, { home: lab.home, env });
    try {
      let lines: string[] = [];
      await until(async () => {
        const r = await capturePane(host, spec, 'pk;');
        lines = r.ok ? r.value : [];
        return lines.some((l) => l.includes('\x1b[32mgreen-ok'));
      }, 'the green line');
      expect(await option('pk;', 'session_attached')).toBe('0');
      const gone = await capturePane(host, spec, 'pk');
      expect(gone.ok).toBe(false);
      if (!gone.ok) expect(gone.error.kind).toBe('not-found');
    } finally {
      await host.close();
    }
  });

  it('attach: a dropped connection returns with a message, not a broken terminal', async () => {
    const t = await startTui({ args: ['--config', lab.rtkConfig, 'attach', 'gpu:att'], env, cols: 100, rows: 20 });
    try {
      await t.waitFor('typed-42');
      await lab.killTargetSessions();
      expect(await t.waitExit(20_000)).toBe(1);
      expect(await t.capture()).toMatch(/connection to gpu:att lost/);
      expect(await t.alternateOn()).toBe(false);
      expect(await sessions()).toContain('att');
    } finally {
      await t.stop();
    }
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.js';
import { ok } from '../../../src/domain/types.js';
import type { Host } from '../../../src/remote/host.js';
import { buildPollScript, configMeta, isIdleShell, parsePollOutput, pollRuns, splitPollOutput } from '../../../src/sources/runs.js';
import { localTestHost } from '../../helpers/c-local-host.js';
import { suite, tmuxMissing } from '../../helpers/require.js';
import { fakeHost } from '../../helpers/fake-host.js';

const spec = { name: 'h', local: false, ssh: 'h' };
const N = 'n0nce';
const rec = (id: string, name: string, opts: string[] = ['', '', '', '', '', ''], dead = '0', status = '', command = 'python') => {
  const text = [name, '/w', command, ...opts];
  return `RTKP ${id} 0 0 42 ${dead} ${status} 1700000000 0 1700000050 1700000090 1${text.map((s) => ` ${Buffer.byteLength(s)}:${s}`).join('')}\n`;
};
const output = (panes: string, sections: string[] = [], rc = 0, now = 1700000100) =>
  Buffer.from(`motd noise\n@@${N} now ${now} /home/u\n${panes}\n@@${N} tmux ${rc}\n${sections.join('')}`);

/** A Host that answers exactly one exec and fails the test on anything else. */
function strictHost(answer: Buffer, check: (cmd: string) => void): Host {
  let calls = 0;
  return fakeHost('h', (cmd) => {
    calls++;
    if (calls > 1) throw new Error(`unexpected second exec: ${cmd}`);
    check(cmd);
    return ok({ code: 0, stdout: answer, stderr: Buffer.alloc(0) });
  });
}

describe('parsePollOutput', () => {
  const cfg = { ...defaultConfig(null), runs: [{ run: 'h:b', log: '~/b.log', checkpoints: '~/ck' }] };

  it('builds runs from panes, log tails and pane captures', () => {
    const out = output(rec('$1', 'a', ['/l/a.log', '', 'python a.py', '', '', '']) + rec('$2', 'b', ['', '', '', '', '1', ''], '1', '1'), [
      `@@${N} log $1 77 1000 1700000070 \nepoch 1:  50%|#####     | 50/100 [00:10<00:10, 5.0it/s]\n{'loss': 0.25, 'learning_rate': 0.001}\n\n@@${N} end\n`,
      `@@${N} pane $2\nTraceback (most recent call last):\nRuntimeError: CUDA out of memory.\n\n\n\n@@${N} end\n`,
    ]);
    const r = parsePollOutput(out, spec, cfg, N, 0);
    if (!r.ok) throw new Error(r.error.message);
    const [a, b] = r.value.runs;
    expect(a).toMatchObject({
      id: 'h:a', host: 'h', session: 'a', state: 'running', log: '/l/a.log', checkpoints: null,
      lastOutputSecondsAgo: 30, attachedClients: 0, createdAt: '2023-11-14T22:13:20Z',
    });
    expect(a!.progress).toMatchObject({ step: 50, total: 100 });
    expect(a!.metrics).toMatchObject({ loss: 0.25 });
    expect(b).toMatchObject({ id: 'h:b', state: 'failed', reason: 'oom', log: '/home/u/b.log', checkpoints: '/home/u/ck', lastOutputSecondsAgo: 10 });
    expect(r.value.logTails['h:b']).toBe('Traceback (most recent call last):\nRuntimeError: CUDA out of memory.');
    expect(r.value.logTails['h:a']).toMatch(/'loss': 0.25, 'learning_rate': 0.001}\n$/);
    expect(r.value.panes).toEqual([{ runId: 'h:a', panePid: 42 }, { runId: 'h:b', panePid: 42 }]);
  });

  it('keeps the last 32 training losses of the tail on the run (finite only), oldest first; none: empty', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `iter ${i}: loss ${(10 - i * 0.1).toFixed(2)}`);
    lines.splice(45, 0, 'iter 45: loss nan');
    const out = output(rec('$1', 'a', ['/l/a.log', '', '', '', '', '']) + rec('$2', 'b', ['/l/b.log', '', '', '', '', '']), [
      `@@${N} log $1 1 5 1700000090 \n${lines.join('\n')}\n\n@@${N} end\n`,
      `@@${N} log $2 2 5 1700000090 \nno numbers here\n\n@@${N} end\n`,
    ]);
    const r = parsePollOutput(out, spec, defaultConfig(null), N, 0);
    if (!r.ok) throw new Error(r.error.message);
    const [a, b] = r.value.runs;
    expect(a!.lossHistory).toHaveLength(32);
    expect(a!.lossHistory!.every(Number.isFinite)).toBe(true);
    expect(a!.lossHistory!.at(-1)).toBe(5.1);
    expect(a!.lossHistory![0]).toBeGreaterThan(a!.lossHistory!.at(-1)!);
    expect(b!.lossHistory).toEqual([]);
    // ls --json carries it: a new field, the last values of the trend
    expect(JSON.parse(JSON.stringify(a)).lossHistory).toHaveLength(32);
  });

  it('marks a run stalled after stallAfter without log output', () => {
    const out = output(rec('$1', 'a', ['/l', '', '', '', '', '']), [`@@${N} log $1 1 5 1700000000 \nx\n\n@@${N} end\n`], 0, 1700000000 + 601);
    const r = parsePollOutput(out, spec, defaultConfig(null), N, 0);
    expect(r.ok && r.value.runs[0]).toMatchObject({ state: 'stalled', reason: 'stalled', lastOutputSecondsAgo: 601 });
  });

  it('reads a shell back at its prompt as an ended run: failed with the log\'s alert, or unknown', () => {
    // `tmux new -s x`, then `python train.py` typed at the prompt: after the crash the pane lives on
    // with bash (pid 42) and no child; pid 7 is some other process's parent
    const oomTail = `@@${N} pane $1\nTraceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory.\n@@${N} end\n`;
    const emptyTail = `@@${N} pane $2\n$ ls\n@@${N} end\n`;
    const panes = rec('$1', 'crashed', undefined, '0', '', 'bash') + rec('$2', 'shell', undefined, '0', '', '-zsh');
    const idle = parsePollOutput(output(panes, [`@@${N} ppids\n 1 1 7 \n`, oomTail, emptyTail]), spec, defaultConfig(null), N, 0);
    if (!idle.ok) throw new Error(idle.error.message);
    expect(idle.value.runs.map((r) => [r.session, r.state, r.reason])).toEqual([
      ['crashed', 'failed', 'oom'],
      ['shell', 'unknown', null],
    ]);
    // the same panes with a child under pid 42 (the training process still running in the foreground)
    const busy = parsePollOutput(output(panes, [`@@${N} ppids\n 1 42 7\n`, oomTail, emptyTail]), spec, defaultConfig(null), N, 0);
    expect(busy.ok && busy.value.runs.map((r) => r.state)).toEqual(['running', 'running']);
    // no ps output: nothing is assumed
    const blind = parsePollOutput(output(panes, [oomTail, emptyTail]), spec, defaultConfig(null), N, 0);
    expect(blind.ok && blind.value.runs.map((r) => r.state)).toEqual(['running', 'running']);
  });

  it('isIdleShell: only shells, only without children, never for sessions rtk-tui started', () => {
    const row = { paneDead: false, panePid: 42, paneCurrentCommand: 'bash', options: { log: null, checkpoints: null, cmd: null, cwd: null, exit: null } };
    expect(isIdleShell(row, new Set([1]))).toBe(true);
    expect(isIdleShell({ ...row, paneCurrentCommand: 'python3' }, new Set([1]))).toBe(false);
    expect(isIdleShell(row, new Set([42]))).toBe(false);
    expect(isIdleShell({ ...row, options: { ...row.options, cmd: 'python train.py' } }, new Set([1]))).toBe(false);
    expect(isIdleShell(row, null)).toBe(false);
    // the shell's own process is gone (tmux has not marked the pane dead yet): not back at a prompt
    expect(isIdleShell(row, new Set([1]), new Set([1, 7]))).toBe(false);
    expect(isIdleShell(row, new Set([1]), new Set([1, 7, 42]))).toBe(true);
  });

  it('reads the procs section as pid/ppid pairs', () => {
    const oomTail = `@@${N} pane $1\nTraceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory.\n@@${N} end\n`;
    const panes = rec('$1', 'crashed', undefined, '0', '', 'bash');
    // pid 42 (the pane's shell) is alive with no child: an ended run; gone while tmux has not marked
    // the pane dead: unknown until tmux says how it ended
    const back = parsePollOutput(output(panes, [`@@${N} procs\n 1 0 42 1 7 1 \n`, oomTail]), spec, defaultConfig(null), N, 0);
    expect(back.ok && back.value.runs.map((r) => r.state)).toEqual(['failed']);
    const gone = parsePollOutput(output(panes, [`@@${N} procs\n 1 0 7 1\n`, oomTail]), spec, defaultConfig(null), N, 0);
    expect(gone.ok && gone.value.runs.map((r) => [r.state, r.reason])).toEqual([['unknown', null]]);
  });

  it('treats "no server running" as no runs, and names a missing tmux', () => {
    const none = parsePollOutput(output('no server running on /tmp/tmux-0/default', [], 1), spec, cfg, N, 0);
    expect(none).toEqual({ ok: true, value: { runs: [], panes: [], logTails: {} } });
    const missing = parsePollOutput(output('sh: 1: tmux: not found', [], 127), spec, cfg, N, 0);
    expect(missing).toMatchObject({ ok: false, error: { kind: 'exit', message: 'tmux is not installed on h' } });
    const old = parsePollOutput(output('RTKP $1 0 0 42 0  1700000000 0 1 1 1 :a :/w :sh : : : : : :'), spec, cfg, N, 0);
    expect(old).toMatchObject({ ok: false, error: { kind: 'parse', message: expect.stringContaining('tmux 3.3 is known to work') } });
    const cut = parsePollOutput(Buffer.from('garbage'), spec, cfg, N, 0);
    expect(cut).toMatchObject({ ok: false, error: { kind: 'parse' } });
  });

  it('ignores markers with another nonce and markers inside lines', () => {
    const s = splitPollOutput(
      Buffer.from(`@@${N} now 5 /h\n@@${N} tmux 0\n@@${N} log $1 1 2 3 \nx @@${N} end\n@@other end\nz\n@@${N} end\n`),
      N,
    );
    expect(s.tails.get('$1')?.text).toBe(`x @@${N} end\n@@other end\nz`);
  });
});

describe('buildPollScript', () => {
  it('quotes config session names and paths, and honours tmuxSocket', () => {
    const cfg = { runs: [{ run: "h:a'b;$(touch x)", log: "~/it's here.log" }, { run: 'other:z', log: '/nope' }, { run: 'bare', log: '/b' }] };
    const s = buildPollScript({ ...spec, tmuxSocket: 'my sock' }, cfg, N);
    expect(s).toContain(`'a'\\''b;$(touch x)') log="$HOME"/'it'\\''s here.log' ;;`);
    expect(s).toContain("bare) log=/b ;;");
    expect(s).not.toContain('/nope');
    expect(s).toContain("tmux -u -L 'my sock' list-sessions");
    expect(s).toContain(' \\; list-panes -a -F ');
    // one stat for every log, and the clock only when asked for
    expect(s.match(/\bstat -L -c/g)).toHaveLength(2);
    expect(s).toContain('T=$(date +%s)');
    expect(buildPollScript(spec, cfg, N, undefined, false, false)).not.toContain('date');
    expect(configMeta(cfg, 'h', 'bare')).toEqual({ run: 'bare', log: '/b' });
  });

  it('pollRuns makes exactly one exec', async () => {
    let nonce = '';
    const host = strictHost(Buffer.alloc(0), (cmd) => {
      nonce = /^N=(\w+)/.exec(cmd)![1]!;
    });
    // the answer does not carry this poll's nonce: a parse error, not a crash
    const r = await pollRuns(host, spec, defaultConfig(null));
    expect(nonce).toMatch(/^[0-9a-f]{16}$/);
    expect(r).toMatchObject({ ok: false, error: { kind: 'parse' } });
  });
});

// The script against this machine's real tmux: hostile names are listed and never executed.
suite(tmuxMissing(), 'pollRuns against a real tmux', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtk-runs-'));
  const env = { ...process.env, TMUX_TMPDIR: dir, TMUX: '', HOME: dir };
  const tmux = (...args: string[]) => execFileSync('tmux', ['-u', ...args], { env, cwd: dir });
  const names = ['a;touch pwned', 'b$(touch pwned)', `d'e"f`, 'g h  i', '-k', 'l|touch pwned'];
  beforeAll(() => {
    writeFileSync(join(dir, 'train.log'), 'step 5/10 loss=1.5\n');
    for (const n of names) tmux('new-session', '-d', '-s', n, '-x', '80', '-y', '10', 'echo started; sleep 600');
    tmux('set-option', '-t', '=g h  i:', '@rtk_log', '~/train.log');
  });
  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every session exactly, with its log', async () => {
    const host = localTestHost('box', env);
    const cfg = { ...defaultConfig(null), runs: [{ run: '-k', log: 'train.log' }] };
    const r = await pollRuns(host, { name: 'box', local: true }, cfg);
    if (!r.ok) throw new Error(r.error.message);
    expect(host.execs).toHaveLength(1);
    expect(r.value.runs.map((x) => x.session).sort()).toEqual([...names].sort());
    const g = r.value.runs.find((x) => x.session === 'g h  i')!;
    expect(g).toMatchObject({ id: 'box:g h  i', log: `${dir}/train.log`, metrics: { loss: 1.5 }, progress: { step: 5, total: 10 } });
    expect(r.value.runs.find((x) => x.session === '-k')!.log).toBe('train.log');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('does not send an unchanged log again: the next poll says "same" and keeps its reading', async () => {
    const host = localTestHost('box', env);
    const outputs: string[] = [];
    const exec = host.exec.bind(host);
    host.exec = async (cmd, o) => {
      const r = await exec(cmd, o);
      if (r.ok) outputs.push(r.value.stdout.toString('utf8'));
      return r;
    };
    const cfg = defaultConfig(null);
    const commands: string[] = [];
    const exec0 = host.exec;
    host.exec = async (cmd, o) => {
      commands.push(cmd);
      return exec0(cmd, o);
    };
    const first = await pollRuns(host, { name: 'box', local: true }, cfg);
    const second = await pollRuns(host, { name: 'box', local: true }, cfg);
    if (!first.ok || !second.ok) throw new Error('poll failed');
    // the host's clock is asked once, then known
    expect(commands[0]).toContain('date +%s');
    expect(commands[1]).not.toContain('date');
    expect(second.value.runs.find((x) => x.session === 'g h  i')!.lastOutputSecondsAgo).toBeLessThan(120);
    expect(outputs[0]).toContain('step 5/10 loss=1.5');
    const out = outputs[1]!;
    expect(out).toMatch(/@@\w+ same \$\d+\n/);
    expect(out).not.toContain('step 5/10 loss=1.5');
    expect(second.value.logTails).toEqual(first.value.logTails);
    expect(second.value.runs.find((x) => x.session === 'g h  i')).toMatchObject({ metrics: { loss: 1.5 }, progress: { step: 5, total: 10 } });
    // the log grows: its new tail is sent
    writeFileSync(join(dir, 'train.log'), 'step 5/10 loss=1.5\nstep 6/10 loss=1.25\n');
    const third = await pollRuns(host, { name: 'box', local: true }, cfg);
    expect(third.ok && third.value.runs.find((x) => x.session === 'g h  i')).toMatchObject({ metrics: { loss: 1.25 }, progress: { step: 6 } });
  });

  it('reads a log from @rtk_log_start on; a tampered start (08, x) never stops the listing', async () => {
    writeFileSync(join(dir, 'reused.log'), 'old run: CUDA out of memory\nstep 1/10 loss=2.0\n');
    tmux('new-session', '-d', '-s', 'r1', 'sleep 600');
    tmux('set-option', '-t', '=r1:', '@rtk_log', join(dir, 'reused.log'));
    tmux('set-option', '-t', '=r1:', '@rtk_log_start', '28');
    for (const [n, start] of [['r2', '08'], ['r3', 'x'], ['r4', '99999']]) {
      tmux('new-session', '-d', '-s', n!, 'sleep 600');
      tmux('set-option', '-t', `=${n}:`, '@rtk_log', join(dir, 'reused.log'));
      tmux('set-option', '-t', `=${n}:`, '@rtk_log_start', start!);
    }
    const r = await pollRuns(localTestHost('box', env), { name: 'box', local: true }, defaultConfig(null));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.runs.find((x) => x.session === 'r1')).toMatchObject({ state: 'running', reason: null, logStart: 28, progress: { step: 1, total: 10 } });
    // a start past the end is a new file: all of it counts; 08 is 8
    expect(r.value.runs.find((x) => x.session === 'r4')!.alerts.map((a) => a.kind)).toContain('oom');
    expect(r.value.runs.find((x) => x.session === 'r1')!.alerts).toEqual([]);
    expect(r.value.runs.map((x) => x.session)).toEqual(expect.arrayContaining(['r1', 'r2', 'r3', 'r4', ...names]));
    for (const n of ['r1', 'r2', 'r3', 'r4']) tmux('kill-session', '-t', `=${n}`);
  });

  it('reads each log through the one stat: names with spaces, quotes and a leading dash, a log gone meanwhile', async () => {
    const odd = join(dir, `-n 'q"x y.log`);
    writeFileSync(odd, 'step 3/9 loss=0.5\n');
    tmux('new-session', '-d', '-s', 'o1', 'sleep 600');
    tmux('set-option', '-t', '=o1:', '@rtk_log', odd);
    tmux('new-session', '-d', '-s', 'o2', 'sleep 600');
    tmux('set-option', '-t', '=o2:', '@rtk_log', join(dir, 'never-there.log'));
    const r = await pollRuns(localTestHost('box', env), { name: 'box', local: true }, defaultConfig(null));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.runs.find((x) => x.session === 'o1')).toMatchObject({ log: odd, progress: { step: 3, total: 9 }, metrics: { loss: 0.5 } });
    expect(r.value.runs.find((x) => x.session === 'g h  i')).toMatchObject({ metrics: { loss: 1.25 } });
    expect(r.value.runs.find((x) => x.session === 'o2')).toMatchObject({ log: join(dir, 'never-there.log') });
    for (const n of ['o1', 'o2']) tmux('kill-session', '-t', `=${n}`);
  });

  it('runs ps only when a pane runs a shell or lost its process; a shell at its prompt is still told apart', async () => {
    const own = mkdtempSync(join(tmpdir(), 'rtk-runs-ps-'));
    const env2 = { ...env, TMUX_TMPDIR: own };
    const t2 = (...args: string[]) => execFileSync('tmux', ['-u', '-f', '/dev/null', ...args], { env: env2, cwd: dir });
    try {
      t2('new-session', '-d', '-s', 'busy', 'exec sleep 600');
      const host = localTestHost('box', env2);
      const outputs: string[] = [];
      const exec = host.exec.bind(host);
      host.exec = async (cmd, o) => {
        const r = await exec(cmd, o);
        if (r.ok) outputs.push(r.value.stdout.toString('utf8'));
        return r;
      };
      const a = await pollRuns(host, { name: 'box', local: true }, defaultConfig(null));
      expect(a.ok && a.value.runs.map((r) => [r.session, r.state])).toEqual([['busy', 'running']]);
      expect(outputs[0]).not.toMatch(/@@\w+ procs/);
      // a shell at its prompt (no child): ps is asked, and the pane is no running run
      t2('new-session', '-d', '-s', 'prompt', 'exec sh');
      const b = await pollRuns(host, { name: 'box', local: true }, defaultConfig(null));
      expect(outputs[1]).toMatch(/@@\w+ procs/);
      expect(b.ok && b.value.runs.find((r) => r.session === 'prompt')!.state).toBe('unknown');
      expect(b.ok && b.value.runs.find((r) => r.session === 'busy')!.state).toBe('running');
    } finally {
      try {
        t2('kill-server');
      } catch {
        /* gone */
      }
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('reports no runs when no server is running', async () => {
    const host = localTestHost('box', { ...env, TMUX_TMPDIR: join(dir, 'nothing-here') });
    expect(await pollRuns(host, { name: 'box', local: true }, defaultConfig(null))).toEqual({ ok: true, value: { runs: [], panes: [], logTails: {} } });
  });
});

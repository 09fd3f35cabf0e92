// `rtk-tui logs` through the BUILT binary against the lab. The centrepiece: `logs -f` while the test
// drops every ssh connection to the target 10 times and a writer keeps appending (partial lines too):
// what the command printed must equal the file byte for byte.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shq } from '../../src/remote/quote.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { BIN } from '../helpers/tui.js';
import { labCliBytes } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

const why = labUnavailable();
suite(why, 'logs over ssh', () => {
  let lab: Lab;
  let cwd: string;
  const cli = (args: string[]) => labCliBytes(lab, args, cwd);
  const remoteFile = async (path: string): Promise<Buffer> => {
    const r = await lab.remote(`base64 < ${shq(path)}`);
    if (r.code !== 0) throw new Error(r.stderr);
    return Buffer.from(r.stdout, 'base64');
  };

  beforeAll(async () => {
    lab = await startLab();
    cwd = mkdtempSync(join(tmpdir(), 'rtk-logs-cwd-'));
  });
  afterAll(async () => {
    await lab?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('prints the last N lines of the log, or of the pane when there is none', async () => {
    const log = `${lab.remoteHome}/short.log`;
    const r = await lab.remote(
      [
        `printf 'one\\ntwo ü\\nthree\\n' > ${shq(log)}`,
        `tmux new-session -d -s 'with log' 'sleep 600'`,
        `tmux set-option -t '=with log:' @rtk_log ${shq(log)}`,
        `tmux new-session -d -s "pane'only" -x 80 -y 10 'printf "p1\\np2\\np3\\n"; sleep 600'`,
      ].join(' && '),
    );
    expect(r.code).toBe(0);
    const a = await cli(['logs', 'gpu:with log', '-n', '2']);
    expect(a.stderr).toBe('');
    expect(a.stdout.toString('utf8')).toBe('two ü\nthree\n');
    expect((await cli(['logs', 'with log'])).stdout.toString('utf8')).toBe('one\ntwo ü\nthree\n');
    await until(async () => (await cli(['logs', "pane'only", '-n', '2'])).stdout.toString() === 'p2\np3\n', 'the pane lines');
    const nf = await cli(['logs', 'gpu:nope']);
    expect(nf.code).toBe(1);
    expect(nf.stderr).toMatch(/run gpu:nope not found/);
    const usage = await cli(['logs']);
    expect(usage.code).toBe(2);

    // names that are shell code reach tmux as data, never as code
    // '$1' too: tmux reads '=$1' as the session whose id is $1, which is another session
    for (const name of ['$(touch pwned)', 'x;touch pwned', '-k`touch pwned`', '$1']) {
      const made = await lab.remote(`tmux new-session -d -s ${shq(name)} -x 80 -y 5 ${shq(`echo ${shq(`hello ${name}`)}; sleep 600`)}`);
      expect(made.code).toBe(0);
      await until(async () => (await cli(['logs', `gpu:${name}`, '-n', '1'])).stdout.toString() === `hello ${name}\n`, `the pane of ${name}`);
    }
    expect((await lab.remote(`ls ${shq(lab.remoteHome)}`)).stdout).not.toContain('pwned');
  });

  it('-f survives 10 dropped connections: output equals the file byte for byte', async () => {
    const log = `${lab.remoteHome}/follow.log`;
    const stop = `${lab.remoteHome}/stop-writer`;
    // half lines on purpose: the follower must only ever commit complete ones
    const writer = `i=0; while [ ! -e ${shq(stop)} ]; do i=$((i+1)); printf 'line %s ü half ' "$i"; sleep 0.002; printf 'rest %s\\n' "$i"; sleep 0.01; done; echo DONE`;
    const setup = await lab.remote(
      [
        `printf 'before 1\\nbefore 2\\n' > ${shq(log)}`,
        `tmux new-session -d -s writer ${shq(`sh -c ${shq(`exec >> ${shq(log)}; ${writer}`)}`)}`,
        `tmux set-option -t =writer: @rtk_log ${shq(log)}`,
      ].join(' && '),
    );
    expect(setup.code).toBe(0);

    const child = spawn(process.execPath, [BIN, '--config', lab.rtkConfig, 'logs', 'gpu:writer', '-f', '-n', '1000000'], { env: lab.env(), cwd });
    const out: Buffer[] = [];
    let errText = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (errText += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const size = () => out.reduce((n, b) => n + b.length, 0);
    const t0 = Date.now();
    try {
      await until(() => size() > 0, 'the first output');
      for (let k = 0; k < 10; k++) {
        const before = size();
        await until(() => size() > before + 200, `new output before drop ${k + 1}`);
        const tk = Date.now();
        await lab.killTargetSessions();
        if (process.env.RTK_E2E_TRACE) console.log(`drop ${k + 1} at ${tk - t0} ms (kill took ${Date.now() - tk} ms), ${size()} bytes`);
      }
      const ended = await lab.remote(`touch ${shq(stop)}`);
      expect(ended.code).toBe(0);
      await until(() => Buffer.concat(out).toString('utf8').endsWith('DONE\n'), 'the DONE line', 60_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const file = await remoteFile(log);
    const printed = Buffer.concat(out);
    expect(printed.length).toBe(file.length);
    expect(printed.equals(file)).toBe(true);
    expect(errText).toMatch(/reconnecting/);
    expect(errText).not.toContain('truncated/replaced');
    // one sentence each: what was lost, then that it is back and from which byte
    expect(errText).not.toMatch(/\.;/);
    const lostLines = errText.match(/; reconnecting…$/gm) ?? [];
    const backLines = errText.match(/^rtk-tui: gpu: back; following \S+follow\.log again from byte [\d,]+, nothing missed$/gm) ?? [];
    expect(lostLines.length).toBeGreaterThan(0);
    expect(backLines.length).toBe(lostLines.length);
    if (process.env.RTK_E2E_TRACE) console.log(errText);
  }, 240_000);

  it('-f ends with 0 on SIGINT, and when its reader goes away (EPIPE)', async () => {
    const log = `${lab.remoteHome}/short.log`;
    const start = () => {
      const child = spawn(process.execPath, [BIN, '--config', lab.rtkConfig, 'logs', 'gpu:with log', '-f', '-n', '1'], { env: lab.env(), cwd });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      return { child, exited, out: () => out };
    };
    const a = start();
    await until(() => a.out() === 'three\n', 'the last line');
    a.child.kill('SIGINT');
    expect(await a.exited).toBe(0);

    const b = start();
    await until(() => b.out() === 'three\n', 'the last line');
    b.child.stdout.destroy();
    // the next line makes it write into the closed pipe; it may take a few
    await until(async () => {
      await lab.remote(`echo more >> ${shq(log)}`);
      return b.child.exitCode !== null;
    }, 'the exit after EPIPE');
    expect(await b.exited).toBe(0);
  });

  it('-f on a run without a log follows its pane: consecutive lines, none doubled', async () => {
    const r = await lab.remote(`tmux new-session -d -s ticker -x 80 -y 8 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'`);
    expect(r.code).toBe(0);
    const child = spawn(process.execPath, [BIN, '--config', lab.rtkConfig, 'logs', 'gpu:ticker', '-f', '-n', '3'], { env: lab.env(), cwd });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const ticks = () => [...out.matchAll(/^tick (\d+)$/gm)].map((m) => Number(m[1]));
    try {
      await until(() => ticks().length >= 30, '30 tick lines');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const t = ticks();
    expect(out).toBe(t.map((n) => `tick ${n}\n`).join(''));
    for (let i = 1; i < t.length; i++) expect(t[i]).toBe(t[i - 1]! + 1);
  });
});

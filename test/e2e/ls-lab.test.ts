// `rtk-tui ls` through the BUILT binary against the lab: a target behind a jump host, hostile session
// names (listed exactly, never executed), and an unreachable host reported beside the healthy one.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shq } from '../../src/remote/quote.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { BIN } from '../helpers/tui.js';

const HOSTILE = ['a;touch pwned', 'b$(touch pwned)', 'c`touch pwned`', `d'e"f`, 'g h  i', '-k', 'l|touch pwned', 'm&&touch pwned', 'ü 训练'];

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const why = labUnavailable();
suite(why, 'ls over ssh', () => {
  let lab: Lab;
  let cwd: string;
  const cli = (args: string[], env: NodeJS.ProcessEnv = lab.env()): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env, cwd, encoding: 'utf8', timeout: 60_000 }, (e, stdout, stderr) => {
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      });
    });

  beforeAll(async () => {
    lab = await startLab();
    cwd = mkdtempSync(join(tmpdir(), 'rtk-ls-cwd-'));
    const log = `${lab.remoteHome}/train.log`;
    const script = [
      `printf '%s\\n' 'step 30/100 loss=0.25' > ${shq(log)}`,
      `tmux new-session -d -s train -x 80 -y 10 'sleep 600'`,
      `tmux set-option -t =train: @rtk_log ${shq(log)}`,
      `tmux set-option -t =train: @rtk_checkpoints ${shq(`${lab.remoteHome}/ckpt`)}`,
      ...HOSTILE.map((n) => `tmux new-session -d -s ${shq(n)} -x 80 -y 10 'echo started; sleep 600'`),
    ].join(' && ');
    const r = await lab.remote(script);
    if (r.code !== 0) throw new Error(`lab setup failed: ${r.stderr}`);
  });
  afterAll(async () => {
    await lab?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('lists the runs of a host behind a jump, hostile names exactly and never executed', async () => {
    const r = await cli(['ls', '--json', '--config', lab.rtkConfig]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { hosts: unknown[]; runs: { id: string; session: string; [k: string]: unknown }[] };
    expect(out.hosts).toEqual([{ name: 'gpu', status: 'connected', error: null }]);
    expect(out.runs.map((x) => x.session).sort()).toEqual([...HOSTILE, 'train'].sort());
    const train = out.runs.find((x) => x.id === 'gpu:train')!;
    expect(train).toMatchObject({
      host: 'gpu',
      session: 'train',
      state: 'running',
      reason: null,
      alerts: [],
      progress: { step: 30, total: 100, percent: 30 },
      metrics: { loss: 0.25 },
      log: `${lab.remoteHome}/train.log`,
      checkpoints: `${lab.remoteHome}/ckpt`,
      attachedClients: 0,
    });
    expect(train.lastOutputSecondsAgo).toEqual(expect.any(Number));
    expect(train.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const n of HOSTILE) expect(out.runs.find((x) => x.id === `gpu:${n}`)).toMatchObject({ state: 'running', log: null });
    expect(existsSync(join(lab.remoteHome, 'pwned'))).toBe(false);
    expect(existsSync(join(cwd, 'pwned'))).toBe(false);
  });

  it('reports an unreachable host while the healthy one still lists; exit 1 only when all fail', async () => {
    const port = await closedPort();
    const cfg = join(cwd, 'two.yaml');
    writeFileSync(cfg, `hosts:\n  - name: gpu\n    ssh: rtk-gpu\n  - name: dead\n    ssh: root@127.0.0.1:${port}\n`);
    const r = await cli(['ls', '--json', '--config', cfg]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { hosts: { name: string; status: string; error: string | null }[]; runs: { id: string }[] };
    expect(out.hosts[0]).toEqual({ name: 'gpu', status: 'connected', error: null });
    expect(out.hosts[1]).toMatchObject({ name: 'dead', status: 'unreachable' });
    expect(out.hosts[1]!.error).toMatch(/dead|127\.0\.0\.1/);
    expect(out.runs.map((x) => x.id)).toContain('gpu:train');

    const only = join(cwd, 'dead.yaml');
    writeFileSync(only, `hosts:\n  - name: dead\n    ssh: root@127.0.0.1:${port}\n`);
    const d = await cli(['ls', '--config', only]);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/^rtk-tui: dead: unreachable: /m);
  });

  it('prints an aligned table without colour when stdout is not a terminal', async () => {
    const r = await cli(['ls', '--config', lab.rtkConfig]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b[');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN +STATE +PROGRESS +LOSS\/METRIC +LAST OUTPUT +ALERT$/);
    const train = lines.find((l) => l.startsWith('gpu:train '))!;
    expect(train).toMatch(/^gpu:train +RUNNING +30\/100 30% +loss 0\.25 +\d+[smhd] ago/);
    // columns line up: STATE starts at the same place on every line
    const col = lines[0]!.indexOf('STATE');
    for (const l of lines.slice(1)) expect([...l].slice(col - 2, col).join('')).toBe('  ');
    expect(lines).toHaveLength(HOSTILE.length + 2);
  });

  it('is a config error (exit 2) with file:line:col for a bad config', async () => {
    const bad = join(cwd, 'bad.yaml');
    writeFileSync(bad, 'hosts:\n  - ssh: rtk-gpu\n    sshh: x\n');
    const r = await cli(['ls', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`rtk-tui: ${bad}:3:5: hosts[0].sshh is not a known key (expected one of name, ssh, jump, identityFile, tmuxSocket, local, gpuSource, resume, scheduler)\n`);
  });
});

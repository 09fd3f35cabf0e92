// Config groups against the lab, through the BUILT binary: one multi-node run made of two sessions on
// two hosts. The lab has one target sshd, so the config names it twice (node1, node2: both
// ssh rtk-gpu), each with a tmux server of its own (tmuxSocket n1, n2), as two machines would have.
// `ls --json` shows one run `llama` with its two parts and rank 0's progress; `logs llama` is rank 0's
// log; the monitor lists `llama` once; a part whose host is down leaves it listed as unknown; `kill
// --yes llama` ends both sessions and nothing else.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { shq } from '../../src/remote/quote.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { distMissing, firstReason, suite } from '../helpers/require.js';
import { BIN, startTui, type Tui } from '../helpers/tui.js';

interface Part { id: string; host: string; session: string; state: string; status: string }
interface JsonRun { id: string; host: string; session: string; state: string; log: string | null; progress: { step: number | null } | null; metrics: Record<string, number>; parts?: Part[] }

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const why = firstReason(labUnavailable(), distMissing());
suite(why, 'groups: one run across two hosts (lab)', () => {
  let lab: Lab;
  let cwd: string;
  let cfg: string;
  let tui: Tui | null = null;
  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env: lab.env(), cwd, encoding: 'utf8', timeout: 90_000 }, (e, stdout, stderr) => {
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      });
    });
  const alive = async (socket: string, session: string): Promise<boolean> =>
    (await lab.remote(`tmux -L ${socket} has-session -t ${shq(`=${session}`)} 2>/dev/null`)).code === 0;

  beforeAll(async () => {
    lab = await startLab();
    cwd = mkdtempSync(join(tmpdir(), 'rtk-groups-'));
    const h = lab.remoteHome;
    const r = await lab.remote(
      [
        `printf '%s\\n' 'step 40/100 loss=0.5' > ${shq(`${h}/rank0.log`)}`,
        `printf '%s\\n' 'step 39/100 loss=0.75' > ${shq(`${h}/rank1.log`)}`,
        `tmux -L n1 new-session -d -s train-a -x 80 -y 10 'sleep 600'`,
        `tmux -L n1 set-option -t =train-a: @rtk_log ${shq(`${h}/rank0.log`)}`,
        `tmux -L n1 new-session -d -s solo -x 80 -y 10 'sleep 600'`,
        `tmux -L n2 new-session -d -s train-b -x 80 -y 10 'sleep 600'`,
        `tmux -L n2 set-option -t =train-b: @rtk_log ${shq(`${h}/rank1.log`)}`,
      ].join(' && '),
    );
    if (r.code !== 0) throw new Error(`lab setup failed: ${r.stderr}`);
    cfg = join(cwd, 'config.yaml');
    writeFileSync(
      cfg,
      [
        'hosts:',
        '  - {name: node1, ssh: rtk-gpu, tmuxSocket: n1}',
        '  - {name: node2, ssh: rtk-gpu, tmuxSocket: n2}',
        'groups:',
        '  llama: [node1:train-a, node2:train-b]',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await tui?.stop();
    await lab?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it("ls --json shows one run llama with its two parts and rank 0's progress", async () => {
    const r = await cli(['ls', '--json', '--config', cfg]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const runs = (JSON.parse(r.stdout) as { runs: JsonRun[] }).runs;
    expect(runs.map((x) => x.id).sort()).toEqual(['llama', 'node1:solo']);
    const g = runs.find((x) => x.id === 'llama')!;
    expect(g).toMatchObject({ host: 'node1', session: 'train-a', state: 'running', log: `${lab.remoteHome}/rank0.log`, metrics: { loss: 0.5 } });
    expect(g.progress?.step).toBe(40);
    expect(g.parts).toEqual([
      { id: 'node1:train-a', host: 'node1', session: 'train-a', state: 'running', status: 'ok' },
      { id: 'node2:train-b', host: 'node2', session: 'train-b', state: 'running', status: 'ok' },
    ]);

    const t = await cli(['ls', '--config', cfg]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^llama ×2 +RUNNING +40\/100 40%/m);
    expect(t.stdout).toContain('  parts: node1:train-a running, node2:train-b running');
    expect(t.stdout).not.toMatch(/^node2:train-b/m);
  });

  it("logs llama prints rank 0's log", async () => {
    const r = await cli(['logs', 'llama', '-n', '5', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('step 40/100 loss=0.5');
    expect(r.stdout).not.toContain('loss=0.75');
  });

  it('a part whose host does not answer keeps the group listed, unknown, that part unreachable', async () => {
    const port = await closedPort();
    const down = join(cwd, 'down.yaml');
    writeFileSync(
      down,
      `hosts:\n  - {name: node1, ssh: rtk-gpu, tmuxSocket: n1}\n  - {name: node2, ssh: 'root@127.0.0.1:${port}'}\ngroups:\n  llama: [node1:train-a, node2:train-b]\n`,
    );
    const r = await cli(['ls', '--json', '--config', down]);
    expect(r.code).toBe(0);
    const g = (JSON.parse(r.stdout) as { runs: JsonRun[] }).runs.find((x) => x.id === 'llama');
    expect(g?.state).toBe('unknown');
    expect(g?.progress?.step).toBe(40);
    expect(g?.parts?.map((p) => `${p.id} ${p.status}`)).toEqual(['node1:train-a ok', 'node2:train-b unreachable']);
  });

  it('the monitor lists llama once, with the log of rank 0', async () => {
    const env = lab.env();
    delete env.TMUX;
    tui = await startTui({ args: ['--config', cfg], env, cols: 140, rows: 30 });
    const listed = await tui.waitUntil((s) => /llama ×2 +RUNNING/.test(s) && /solo/.test(s), 'llama and solo listed', 40_000);
    // the runs are in session order on each host: solo comes first
    if (!/› llama/.test(listed)) await tui.sendKeys('j');
    const screen = await tui.waitUntil(
      (s) => /› llama ×2 +RUNNING/.test(s) && /Log · llama \(rank 0 node1:train-a\)/.test(s) && s.includes('step 40/100 loss=0.5'),
      'llama selected, with the log of rank 0',
      40_000,
    );
    expect(screen.match(/llama ×2/g)).toHaveLength(1);
    expect(screen).not.toContain('train-b');
    expect(screen).not.toContain('loss=0.75');
    await tui.stop();
    tui = null;
  });

  it('kill --dry-run llama lists every part; relaunch refuses a group', async () => {
    const d = await cli(['kill', 'llama', '--dry-run', '--config', cfg]);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/^would kill node1:train-a \(group llama\): its session and \d+ process/m);
    expect(d.stdout).toMatch(/^would kill node2:train-b \(group llama\): its session and \d+ process/m);
    expect(await alive('n1', 'train-a')).toBe(true);
    const r = await cli(['relaunch', 'llama', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('llama is a group of 2 sessions (node1:train-a, node2:train-b): name one of them as HOST:SESSION');
  });

  it('kill --yes llama ends both parts and nothing else', async () => {
    const r = await cli(['kill', 'llama', '--yes', '--grace', '1', '--config', cfg]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('killed node1:train-a');
    expect(r.stdout).toContain('killed node2:train-b');
    expect(await alive('n1', 'train-a')).toBe(false);
    expect(await alive('n2', 'train-b')).toBe(false);
    expect(await alive('n1', 'solo')).toBe(true);
    // the job is gone: no group left to list
    const ls = await cli(['ls', '--json', '--config', cfg]);
    expect((JSON.parse(ls.stdout) as { runs: JsonRun[] }).runs.map((x) => x.id)).toEqual(['node1:solo']);
  });
});

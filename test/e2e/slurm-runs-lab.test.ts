// A Slurm login node as a host, end to end: the built binary through the lab's jump host to a target
// that sees a real single-node Slurm (test/helpers/slurm.ts). ls --json lists the user's jobs (a
// running one with its progress read from its StdOut, one that exited 3, an array's tasks, a pending
// one with its reason, a cancelled one); logs -f follows a job; kill cancels exactly that job; new
// submits one that runs; attach opens a shell inside a running job and Ctrl-\ comes back.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labCli } from '../helpers/cli.js';
import { labUnavailable } from '../helpers/lab.js';
import { distMissing, firstReason, slurmUnavailable, suite } from '../helpers/require.js';
import { startSlurmLab, type SlurmLab } from '../helpers/slurm.js';
import { slurmConfig, untilJobs } from '../helpers/slurm-runs.js';
import { BIN, startTui } from '../helpers/tui.js';
import { pollFor } from '../helpers/wait.js';

const BAR = `#!/bin/sh
i=0
while [ $i -lt 900 ]; do
  i=$((i+1))
  printf '\\r%3d%%|###       | %d/1000 [00:%02d<05:00,  3.3it/s, loss=0.%03d]' $((i/10)) $i $((i%60)) $((999-i))
  [ $((i % 2)) = 0 ] && printf "\\n{'loss': 0.%03d, 'epoch': 0.1}\\n" $((999-i))
  sleep 1
done
`;

interface J {
  id: string;
  session: string;
  state: string;
  reason: string | null;
  exitStatus?: number | null;
  progress: { step: number | null; total: number | null } | null;
  log: string | null;
  slurm?: { state: string; reason: string | null; gpus: number | null };
}

suite(firstReason(labUnavailable(), slurmUnavailable(), distMissing()), 'a Slurm login node as a host (lab)', () => {
  let sl: SlurmLab;
  let cfg: string;
  const ids: Record<string, string> = {};
  const sbatch = async (args: string): Promise<string> => {
    const r = await sl.lab.remote(`cd "$HOME/slurm" && sbatch --parsable ${args}`);
    expect(r.stderr.replace(/^sbatch: .*warn.*\n?/gim, '')).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.trim().split(';')[0]!;
  };
  const until = (what: string, ok: (m: Map<string, J>) => boolean): Promise<Map<string, J>> => untilJobs<J>(sl.lab, cfg, what, ok);

  beforeAll(async () => {
    sl = await startSlurmLab({ slurm: { gpus: 2, cpus: 8 } });
    cfg = slurmConfig(sl.lab);
    const r = await sl.lab.remote(`mkdir -p "$HOME/slurm" && echo ${Buffer.from(BAR).toString('base64')} | base64 -d > "$HOME/slurm/bar.sh" && chmod +x "$HOME/slurm/bar.sh"`);
    expect(r.code).toBe(0);
    ids.bar = await sbatch(`-J train --time=30 --gres=gpu:1 -o 'train_%j.log' ./bar.sh`);
    ids.fail = await sbatch(`-J fail3 --time=5 -o 'fail_%j.log' --wrap 'echo about to fail; exit 3'`);
    ids.arr = await sbatch(`-J arr --time=5 --array=1-2 -o 'arr_%A_%a.out' --wrap 'echo task $SLURM_ARRAY_TASK_ID'`);
    ids.held = await sbatch(`-J held -H --wrap 'sleep 5'`);
    ids.gone = await sbatch(`-J gone --time=30 --wrap 'sleep 300'`);
    const c = await sl.lab.remote(`scancel ${ids.gone}`);
    expect(c.code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await sl?.stop();
  }, 60_000);

  it('ls --json: the running job with its progress, exit 3 as failed, the array tasks, the pending one with its reason, the cancelled one', async () => {
    const m = await until('every job as expected', (x) => {
      const bar = x.get(ids.bar!);
      return (
        bar?.state === 'running' &&
        (bar.progress?.step ?? 0) >= 2 &&
        x.get(ids.fail!)?.state === 'failed' &&
        x.get(`${ids.arr}_2`)?.state === 'finished' &&
        x.get(ids.gone!)?.slurm?.state === 'CANCELLED'
      );
    });
    const bar = m.get(ids.bar!)!;
    expect(bar.id).toBe(`cl:${ids.bar}`);
    expect(bar.progress?.total).toBe(1000);
    expect(bar.log).toMatch(new RegExp(`/slurm/train_${ids.bar}\\.log$`));
    expect(bar.slurm?.gpus).toBe(1);
    expect(m.get(ids.fail!)).toMatchObject({ state: 'failed', exitStatus: 3 });
    expect(m.get(`${ids.arr}_1`)?.state).toBe('finished');
    expect(m.get(ids.held!)).toMatchObject({ state: 'pending', slurm: { state: 'PENDING', reason: 'JobHeldUser' } });
    expect(m.get(ids.gone!)?.state).toBe('failed');
  }, 90_000);

  it('logs -f follows a running job', async () => {
    const p = spawn(BIN, ['logs', '-f', '-n', '1', '--config', cfg, `cl:${ids.bar}`], { env: sl.lab.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const first = await pollFor(() => Promise.resolve(/\{'loss': 0\.(\d+)/.exec(out)?.[1] ?? null), 40_000);
      // it keeps following: a later loss line arrives
      const later = await pollFor(() => Promise.resolve([...out.matchAll(/\{'loss': 0\.(\d+)/g)].some((x) => x[1] !== first) ? true : null), 40_000);
      expect(later).toBe(true);
      expect(out).not.toMatch(/\x1b/);
    } finally {
      p.kill('SIGTERM');
    }
  }, 90_000);

  it('new submits a job that runs, and kill cancels exactly that job', async () => {
    const n = await labCli(sl.lab, ['new', 'sub', '--host', 'cl', '--time', '5', '--cwd', 'slurm', '--log', 'sub_%j.log', '--config', cfg, '--', 'sh', '-c', "echo submitted-ok; sleep 120"]);
    expect(n.stderr).toBe('');
    expect(n.code).toBe(0);
    const id = /submitted cl:(\d+)/.exec(n.stdout)?.[1];
    expect(id).toBeDefined();
    await until('the submitted job runs', (x) => x.get(id!)?.state === 'running');
    const log = await pollFor(async () => {
      const r = await sl.lab.remote(`cat "$HOME/slurm/sub_${id}.log" 2>/dev/null`);
      return r.stdout.includes('submitted-ok') ? true : null;
    }, 30_000);
    expect(log).toBe(true);
    const k = await labCli(sl.lab, ['kill', `cl:${id}`, '--yes', '--config', cfg]);
    expect(k.stderr).toBe('');
    expect(k.code).toBe(0);
    expect(k.stdout).toContain(`cancelled cl:${id}`);
    const after = await until('the job cancelled, the others untouched', (x) => x.get(id!)?.slurm?.state === 'CANCELLED');
    expect(after.get(ids.bar!)?.state).toBe('running');
    // a job id that is not one is refused before anything runs
    const bad = await labCli(sl.lab, ['kill', 'cl:12;x', '--yes', '--config', cfg]);
    expect(bad.code).not.toBe(0);
  }, 120_000);

  it('the monitor lists the jobs by id and name, the pending one as PEND, with the running job\'s log', async () => {
    const env = sl.lab.env();
    delete env.TMUX;
    const t = await startTui({ args: ['--config', cfg], env, cols: 140, rows: 30 });
    try {
      const screen = await t.waitUntil(
        (s) => new RegExp(`${ids.bar} train +RUNNING`).test(s) && new RegExp(`${ids.held} held +PEND`).test(s) && /\{'loss': 0\.\d+/.test(s),
        'the jobs and the selected job\'s log',
        40_000,
      );
      expect(screen).toMatch(new RegExp(`${ids.fail} fail3 +FAILED`));
    } finally {
      await t.stop();
    }
  }, 90_000);

  it('attach opens a shell inside the running job; Ctrl-\\ comes back', async () => {
    const env = sl.lab.env();
    delete env.TMUX;
    const t = await startTui({ args: ['attach', `cl:${ids.bar}`, '--config', cfg], env, cols: 100, rows: 30 });
    try {
      await t.waitFor(/attached to cl:/, 30_000);
      await t.type('echo "job=$SLURM_JOB_ID gpus=$CUDA_VISIBLE_DEVICES"\r');
      const inside = await t.waitFor(new RegExp(`job=${ids.bar} gpus=0`), 30_000);
      expect(inside).toMatch(/attached to cl:/);
      await t.sendKeys('C-\\');
      const back = await t.waitFor(/detached from cl:/, 20_000);
      expect(back).toMatch(new RegExp(`detached from cl:${ids.bar}`));
    } finally {
      await t.stop();
    }
  }, 90_000);
});

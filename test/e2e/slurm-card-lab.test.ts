// The run card of a Slurm job, end to end: the built binary through the lab's jump host to a target
// that sees a real single-node Slurm (test/helpers/slurm.ts). `show cl:JOBID --json` has the job's
// command (Command= as submitted; the wrapped text of a --wrap job), its WorkDir, what Slurm says of it
// (the card's job) and the loss series of its whole StdOut; its processes are read where listpids
// answers (the single node is the login node here); the tmux parts leave no errors. The text card has
// the Job section, in the monitor too (i), where p says that a job's output is in the log pane.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labCli } from '../helpers/cli.js';
import { labUnavailable } from '../helpers/lab.js';
import { distMissing, firstReason, slurmUnavailable, suite } from '../helpers/require.js';
import { startSlurmLab, type SlurmLab } from '../helpers/slurm.js';
import { startTui } from '../helpers/tui.js';
import { pollFor } from '../helpers/wait.js';

// HF Trainer's dicts, one every second, a step counter in the bar before each
const TRAIN = `#!/bin/sh
#SBATCH --comment=card-test
# the trainer
i=0
while [ $i -lt 600 ]; do
  i=$((i+1))
  printf "{'loss': %d.%03d, 'learning_rate': 0.0003, 'epoch': 0.%02d}\\n" $((2 - i / 300)) $((999 - i % 1000)) $((i % 100))
  sleep 1
done
`;

interface Card {
  run: { id: string; state: string };
  command: string | null;
  cwd: string | null;
  series: Record<string, [number, number][]>;
  processes: { pid: number; command: string }[];
  errors: string[];
  job?: { id: string; state: string; reason: string | null; partition: string | null; nodes: string | null; gpus: number | null; timeLimitSeconds: number | null; wrap: boolean; processesRead: boolean; scriptLine: string | null };
}

suite(firstReason(labUnavailable(), slurmUnavailable(), distMissing()), 'the run card of a Slurm job (lab)', () => {
  let sl: SlurmLab;
  let cfg: string;
  let home: string;
  const ids: Record<string, string> = {};
  const sbatch = async (args: string): Promise<string> => {
    const r = await sl.lab.remote(`cd "$HOME/slurm" && sbatch --parsable ${args}`);
    expect(r.code).toBe(0);
    return r.stdout.trim().split(';')[0]!;
  };
  const show = async (id: string): Promise<Card> => {
    const r = await labCli(sl.lab, ['show', `cl:${id}`, '--json', '--config', cfg]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Card;
  };

  beforeAll(async () => {
    sl = await startSlurmLab({ slurm: { gpus: 2, cpus: 8 } });
    cfg = join(sl.lab.dir, 'slurm-config.yaml');
    writeFileSync(cfg, 'hosts:\n  - name: cl\n    ssh: rtk-gpu\n    scheduler: slurm\n');
    const r = await sl.lab.remote(`mkdir -p "$HOME/slurm" && echo ${Buffer.from(TRAIN).toString('base64')} | base64 -d > "$HOME/slurm/train.sh" && chmod +x "$HOME/slurm/train.sh" && printf '%s' "$HOME"`);
    expect(r.code).toBe(0);
    home = r.stdout;
    ids.train = await sbatch(`-J train --time=30 --gres=gpu:1 -o 'train_%j.log' ./train.sh --lr 3e-4`);
    ids.held = await sbatch(`-J held -H --time=5 --wrap 'echo held-job; sleep 5'`);
  }, 120_000);
  afterAll(async () => {
    await sl?.stop();
  }, 60_000);

  it('show --json: command as submitted, WorkDir, the job, its processes and the loss series of its StdOut; no errors', async () => {
    const c = await pollFor(async () => {
      const x = await show(ids.train!);
      return (x.series.loss?.length ?? 0) >= 3 && x.job?.processesRead ? x : null;
    }, 60_000);
    expect(c.errors).toEqual([]);
    expect(c.run).toMatchObject({ id: `cl:${ids.train}`, state: 'running' });
    expect(c.command).toBe('./train.sh --lr 3e-4');
    expect(c.cwd).toBe(`${home}/slurm`);
    expect(c.job).toMatchObject({ id: ids.train, state: 'RUNNING', partition: 'debug', nodes: 'localhost', gpus: 1, timeLimitSeconds: 1800, wrap: false, processesRead: true });
    expect(c.job?.scriptLine).toBe('i=0');
    expect(c.series.loss![0]![1]).toBeCloseTo(2.998, 3);
    expect(c.series.learning_rate?.length).toBeGreaterThanOrEqual(3);
    expect(c.processes.some((p) => /train\.sh --lr 3e-4|slurm_script/.test(p.command))).toBe(true);
  }, 90_000);

  it('show (text): the Job section, no "could not read"', async () => {
    const r = await labCli(sl.lab, ['show', `cl:${ids.train}`, '--width', '120', '--config', cfg]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`── Job ${ids.train} · RUNNING ─`));
    expect(r.stdout).toContain('partition debug · nodes localhost · 1 GPU');
    expect(r.stdout).toMatch(/time [█░]+ .* of 30m00s \(\d+%\)/);
    expect(r.stdout).toContain('cmd ./train.sh --lr 3e-4');
    expect(r.stdout).not.toContain('could not read');
  }, 60_000);

  it('the monitor: i opens the card with the Job section; p says where a job\'s output is', async () => {
    const env = sl.lab.env();
    delete env.TMUX;
    const t = await startTui({ args: ['--config', cfg], env, cols: 140, rows: 40 });
    try {
      await t.waitUntil((s) => new RegExp(`${ids.train} train +RUNNING`).test(s), 'the running job', 40_000);
      await t.type('i');
      const card = await t.waitFor(new RegExp(`── Job ${ids.train} · RUNNING ─`), 40_000);
      expect(card).toContain('partition debug · nodes localhost · 1 GPU');
      expect(card).not.toContain('could not read');
      await t.type('p');
      const said = await t.waitFor(/a Slurm job has no pane: its output is in the log pane/, 20_000);
      expect(said).toMatch(new RegExp(`── Job ${ids.train}`));
    } finally {
      await t.stop();
    }
  }, 90_000);

  it('a held --wrap job: pending with its reason, the wrapped text as its command, no processes read, no errors', async () => {
    const c = await show(ids.held!);
    expect(c.errors).toEqual([]);
    expect(c.run.state).toBe('pending');
    expect(c.command).toBe('echo held-job; sleep 5');
    expect(c.job).toMatchObject({ state: 'PENDING', reason: 'JobHeldUser', wrap: true, processesRead: false });
    const r = await labCli(sl.lab, ['show', `cl:${ids.held}`, '--width', '120', '--config', cfg]);
    expect(r.stdout).toMatch(new RegExp(`── Job ${ids.held} · PENDING \\(JobHeldUser\\) ─`));
    expect(r.stdout).toContain('none yet: the job waits in the queue');
  }, 60_000);
});

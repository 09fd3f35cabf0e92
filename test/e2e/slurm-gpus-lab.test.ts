// A Slurm job's GPUs and checkpoints, end to end: the built binary through the lab's jump host to a
// target that sees a real single-node Slurm with two fake GPUs (test/helpers/slurm.ts) and the fake
// nvidia-smi on its PATH. ls --json names the GPU a running job holds (scontrol show job -d);
// gpus --json on the Slurm host reads that GPU by srun inside the job and names the job's run id;
// new --checkpoints keeps the directory as the job's comment, ls shows it under the job's WorkDir, and
// ckpt lists what the job wrote there.
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultCapture, installFakeNvidiaSmi, setFakeGpuProcesses } from '../../src/demo/fake-nvidia-smi.js';
import { labCli } from '../helpers/cli.js';
import { labUnavailable } from '../helpers/lab.js';
import { distMissing, firstReason, slurmUnavailable, suite } from '../helpers/require.js';
import { startSlurmLab, type SlurmLab } from '../helpers/slurm.js';
import { slurmConfig, untilJobs } from '../helpers/slurm-runs.js';
import { startTui } from '../helpers/tui.js';
import { pollFor } from '../helpers/wait.js';

interface J {
  id: string;
  session: string;
  state: string;
  checkpoints: string | null;
  slurm?: { state: string; gpuIndices?: { node: string; indices: number[] }[] };
}

suite(firstReason(labUnavailable(), slurmUnavailable(), distMissing()), 'a Slurm job\'s GPUs and checkpoints (lab)', () => {
  let sl: SlurmLab;
  let cfg: string;
  let home: string;
  let gpuJob: string;
  let gpuJob2: string;
  let jobPid: number;
  const until = (what: string, ok: (m: Map<string, J>) => boolean): Promise<Map<string, J>> => untilJobs<J>(sl.lab, cfg, what, ok);

  beforeAll(async () => {
    sl = await startSlurmLab({ slurm: { gpus: 2, cpus: 8 } });
    // the node's two GPUs: the H100 capture's GPU and a copy of it as index 1 (a uuid of its own)
    const [head, row] = readFileSync(defaultCapture(), 'utf8').split('\n') as [string, string];
    const cols = head.split(', ');
    const second = row.split(', ').map((v, i) => (cols[i] === 'index' ? '1' : cols[i] === 'uuid' ? v.replace(/0$/, '1') : v));
    const capture = join(sl.lab.dir, 'two-gpus.csv');
    writeFileSync(capture, `${head}\n${row}\n${second.join(', ')}\n`);
    installFakeNvidiaSmi(sl.lab.binDir, { capture });
    cfg = slurmConfig(sl.lab);
    const r = await sl.lab.remote('mkdir -p "$HOME/slurm" && cd "$HOME/slurm" && pwd -P && sbatch --parsable -J gpujob --time=10 --gres=gpu:1 -o gpu_%j.log --wrap "sleep 300"');
    expect(r.code).toBe(0);
    [home, gpuJob] = r.stdout.trim().split('\n') as [string, string];
    gpuJob = gpuJob.split(';')[0]!;
    expect(gpuJob).toMatch(/^\d+$/);
    const r2 = await sl.lab.remote('cd "$HOME/slurm" && sbatch --parsable -J gpujob2 --time=10 --gres=gpu:1 -o gpu_%j.log --wrap "echo \\$\\$ > pid2; exec sleep 300"');
    expect(r2.code).toBe(0);
    gpuJob2 = r2.stdout.trim().split(';')[0]!;
    // the second job's process on GPU 1 (the fake lists live processes only)
    const pid = await pollFor(async () => {
      const c = await sl.lab.remote('cat "$HOME/slurm/pid2" 2>/dev/null');
      return /^\d+$/.test(c.stdout.trim()) ? Number(c.stdout.trim()) : null;
    }, 45_000);
    setFakeGpuProcesses(sl.lab.binDir, [{ gpu: 1, pid, usedMemoryMiB: 1500, name: 'python' }]);
    jobPid = pid;
  }, 120_000);
  afterAll(async () => {
    await sl?.stop();
  }, 60_000);

  it('ls --json: the running job names the GPU it holds on its node', async () => {
    const m = await until('the GPU jobs run with their GPUs', (x) => (x.get(gpuJob)?.slurm?.gpuIndices?.length ?? 0) > 0 && (x.get(gpuJob2)?.slurm?.gpuIndices?.length ?? 0) > 0);
    expect(m.get(gpuJob)?.state).toBe('running');
    expect(m.get(gpuJob)?.slurm?.gpuIndices).toEqual([{ node: 'localhost', indices: [0] }]);
    expect(m.get(gpuJob2)?.slurm?.gpuIndices).toEqual([{ node: 'localhost', indices: [1] }]);
  }, 60_000);

  it('gpus --json on the Slurm host: the job\'s GPU, read inside the job, with its run id', async () => {
    const r = await labCli(sl.lab, ['gpus', '--json', '--config', cfg]);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as { hosts: { name: string; status: string; error: string | null; gpus: { index: number; node?: string; run?: string; name: string | null; processes: { pid: number; run: string | null }[] }[] }[] };
    expect(doc.hosts).toHaveLength(1);
    const h = doc.hosts[0]!;
    expect(h).toMatchObject({ name: 'cl', status: 'ok', error: null });
    // one GPU per job: each job's nvidia-smi is narrowed to the job's GPU, named by the node's own index
    const byRun = new Map(h.gpus.map((g) => [g.run, g]));
    expect(h.gpus.length).toBe(2);
    expect(byRun.get(`cl:${gpuJob}`)).toMatchObject({ index: 0, node: 'localhost' });
    expect(byRun.get(`cl:${gpuJob2}`)).toMatchObject({ index: 1, node: 'localhost' });
    expect(h.gpus[0]!.name).toBeTruthy();
    expect(byRun.get(`cl:${gpuJob}`)?.processes).toEqual([]);
    expect(byRun.get(`cl:${gpuJob2}`)?.processes).toMatchObject([{ pid: jobPid, run: `cl:${gpuJob2}` }]);
    expect(r.code).toBe(0);
    const t = await labCli(sl.lab, ['gpus', '--config', cfg]);
    expect(t.stdout).toMatch(/^cl +localhost:0 /m);
    expect(t.stdout).toMatch(/^cl +localhost:1 /m);
  }, 60_000);

  it('the monitor\'s GPU pane on the Slurm host shows the jobs\' GPUs, the process under its job', async () => {
    const env = sl.lab.env();
    delete env.TMUX;
    const t = await startTui({ args: ['--config', cfg], env, cols: 140, rows: 40 });
    try {
      const screen = await t.waitUntil((x) => /GPUs · cl/.test(x) && new RegExp(`${jobPid} cl:${gpuJob2}\\b`).test(x), 'the GPU pane with the job\'s process', 40_000);
      expect(screen).toMatch(/H100/);
    } finally {
      await t.stop();
    }
  }, 90_000);

  it('new --checkpoints: the job carries its checkpoint directory, ckpt lists what it wrote there', async () => {
    const n = await labCli(sl.lab, ['new', 'ck', '--host', 'cl', '--time', '5', '--cwd', 'slurm', '--checkpoints', 'ck dir', '--config', cfg, '--', 'sh', '-c', 'mkdir -p "ck dir/checkpoint-7" && echo w > "ck dir/checkpoint-7/model.safetensors" && sleep 120']);
    expect(n.stderr).toBe('');
    expect(n.code).toBe(0);
    const id = /submitted cl:(\d+)/.exec(n.stdout)?.[1];
    expect(id).toBeDefined();
    const m = await until('the job runs', (x) => x.get(id!)?.state === 'running');
    expect(m.get(id!)?.checkpoints).toBe(`${home}/ck dir`);
    // a job without the comment has none
    expect(m.get(gpuJob)?.checkpoints).toBeNull();
    const listing = await pollFor(async () => {
      const c = await labCli(sl.lab, ['ckpt', `cl:${id}`, '--json', '--config', cfg]);
      if (c.code !== 0) return null;
      const j = JSON.parse(c.stdout) as { checkpoints: { name: string; step: number | null }[] };
      return j.checkpoints.length > 0 ? j : null;
    }, 30_000);
    expect(listing.checkpoints.map((c) => [c.name, c.step])).toEqual([['checkpoint-7', 7]]);
  }, 90_000);
});

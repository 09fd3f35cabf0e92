// A Slurm login node found by itself, end to end: the built binary through the lab's jump host to a
// target whose sessions get SLURM_CONF (test/helpers/slurm.ts). A host without the `scheduler` key and
// without tmux sessions lists the user's job as HOST:JOBID; once it has a tmux session it stays a tmux
// host, and `scheduler: tmux` opts out. (A plain lab host, slurm-wlm installed but no slurm.conf, staying a tmux host
// is what every other tmux e2e test shows, e.g. ls-lab.test.ts.)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labCli } from '../helpers/cli.js';
import { labUnavailable } from '../helpers/lab.js';
import { distMissing, firstReason, slurmUnavailable, suite } from '../helpers/require.js';
import { startSlurmLab, type SlurmLab } from '../helpers/slurm.js';
import { pollFor } from '../helpers/wait.js';

interface J {
  id: string;
  session: string;
  slurm?: { state: string } | null;
}

suite(firstReason(labUnavailable(), slurmUnavailable(), distMissing()), 'a Slurm login node found without `scheduler: slurm` (lab)', () => {
  let sl: SlurmLab;
  let job: string;
  const config = (name: string, extra: string): string => {
    const p = join(sl.lab.dir, `${name}.yaml`);
    writeFileSync(p, `hosts:\n  - name: cl\n    ssh: rtk-gpu\n${extra}`);
    return p;
  };
  const ls = async (cfg: string): Promise<J[]> => {
    const r = await labCli(sl.lab, ['ls', '--json', '--config', cfg]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { runs: J[] }).runs;
  };

  beforeAll(async () => {
    sl = await startSlurmLab({ slurm: { cpus: 2 } });
    const r = await sl.lab.remote(`mkdir -p "$HOME/slurm" && cd "$HOME/slurm" && sbatch --parsable -J found --time=5 -o 'found_%j.log' --wrap 'sleep 300'`);
    expect(r.code).toBe(0);
    job = r.stdout.trim().split(';')[0]!;
    expect(job).toMatch(/^\d+$/);
  }, 120_000);
  afterAll(async () => {
    if (sl && job) await sl.lab.remote(`scancel ${job}`).catch(() => undefined);
    await sl?.stop();
  }, 60_000);

  it('no scheduler key: the runs are the jobs (cl:JOBID), not the tmux sessions', async () => {
    const cfg = config('found', '');
    const runs = await pollFor(async () => {
      const x = await ls(cfg);
      return x.some((j) => j.session === job) ? x : null;
    }, 45_000);
    expect(runs.find((j) => j.session === job)).toMatchObject({ id: `cl:${job}`, slurm: expect.objectContaining({ state: expect.any(String) }) });
    expect(runs.map((j) => j.session)).not.toContain('tmuxrun');
  });

  it('no scheduler key: kill HOST:JOBID is a job to scancel (resolve finds the host too), not a tmux session', async () => {
    const r = await labCli(sl.lab, ['kill', '--dry-run', '--config', config('found-kill', ''), `cl:${job}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`scancel ${job} on cl`);
  });

  it('a host that has tmux sessions stays a tmux host (its runs never vanish behind the jobs); scheduler: tmux opts out too', async () => {
    const s = await sl.lab.remote(`tmux new-session -d -s tmuxrun -x 80 -y 10 'echo started; sleep 600'`);
    expect(s.code).toBe(0);
    const kept = await ls(config('has-tmux', ''));
    expect(kept.map((j) => j.id)).toContain('cl:tmuxrun');
    expect(kept.map((j) => j.session)).not.toContain(job);
    const runs = await ls(config('optout', '    scheduler: tmux\n'));
    expect(runs.map((j) => j.id)).toContain('cl:tmuxrun');
    expect(runs.map((j) => j.session)).not.toContain(job);
    expect(runs.every((j) => j.slurm == null)).toBe(true);
  });
});

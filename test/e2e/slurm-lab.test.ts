// A real single-node Slurm (test/helpers/slurm.ts) seen from the sshd lab's target: every client
// command below runs over ssh on 127.0.0.2 (lab.remote), the way rtk-tui reaches a login node.
// Jobs: a running GPU job, one waiting for GPUs (Resources), one held, one that begins in an hour,
// an array of three, one that exits 3, one cancelled.
// The last test reads every output the Slurm parsers are tested on; with RTK_CAPTURE=1 it also writes them to test/fixtures/slurm/
// (`RTK_CAPTURE=1 npx vitest run test/e2e/slurm-lab.test.ts`), for the Slurm parsers' tests.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labUnavailable, usersUnavailable, type Lab } from '../helpers/lab.js';
import { firstReason, slurmUnavailable, suite } from '../helpers/require.js';
import { startSlurmLab, type SlurmLab } from '../helpers/slurm.js';
import { pollFor } from '../helpers/wait.js';
import { parseSqueueJson } from '../../src/parse/slurm.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/slurm/', import.meta.url));
const CAPTURE = process.env.RTK_CAPTURE === '1';
/** The fixed format of the squeue-all-format fixture: `|` between fields, the reason/nodes last. */
export const SQUEUE_FORMAT = '%i|%A|%F|%K|%u|%j|%T|%M|%l|%S|%e|%b|%D|%C|%Z|%o|%r|%R';

/** `Key=Value` fields of one `scontrol show job -o` line (values may hold spaces only in the last keys). */
function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(?:^|\s)([A-Za-z:]+)=(\S*)/g)) out[m[1]!] ??= m[2]!;
  return out;
}

suite(firstReason(labUnavailable(), slurmUnavailable(), usersUnavailable()), 'slurm behind the lab e2e', () => {
  let sl: SlurmLab;
  let lab: Lab;
  const ids: Record<string, string> = {};

  async function sh(cmd: string): Promise<string> {
    const r = await lab.remote(cmd);
    if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  }
  async function job(id: string): Promise<Record<string, string>> {
    return fields((await sh(`scontrol show job -o ${id}`)).split('\n')[0] ?? '');
  }
  /** Polls until the job's JobState is `state`; returns its fields. */
  function reaches(id: string, state: string, timeoutMs = 30_000): Promise<Record<string, string>> {
    return pollFor(async () => {
      const f = await job(id);
      return f.JobState === state ? f : null;
    }, timeoutMs).catch(async () => {
      throw new Error(`job ${id} never ${state}: ${JSON.stringify(await job(id))}\n${sl.slurm.logs()}`);
    });
  }

  beforeAll(async () => {
    // one throwaway login besides the lab's own (root here): jobs run as whoever submits them
    sl = await startSlurmLab({ lab: { users: [{ shell: '/bin/sh' }] } });
    lab = sl.lab;
    const submit = async (name: string, args: string) => {
      ids[name] = (await sh(`sbatch --parsable -J ${name} ${args}`)).trim().split(';')[0]!;
      expect(ids[name]).toMatch(/^\d+$/);
    };
    // --time on the running job lets the backfill pass estimate when the waiting one starts
    await submit('gpu-run', `--gres=gpu:1 --time=10 -o 'out_%j.log' --wrap 'echo hello; sleep 300'`);
    await submit('fails', `-o 'fail_%j.log' --wrap 'echo failing; exit 3'`);
    await submit('cancel-me', `--wrap 'sleep 300'`);
    await submit('arr', `--array=0-2 -o 'arr_%A_%a.log' --wrap 'echo task $SLURM_ARRAY_TASK_ID; sleep 300'`);
    // a batch script (Command= is its path as given) in a directory whose name has spaces; before
    // the job that waits for GPUs: the backfill reservation for that one would hold this one back
    await sh(`mkdir -p 'exp 1' && printf '#!/bin/sh\\necho spaced\\nsleep 300\\n' > 'exp 1/my run.sh'`);
    await submit('spaced', `-D 'exp 1' -o 'log %j.txt' 'exp 1/my run.sh'`);
    await submit('wants-2gpu', `--gres=gpu:2 --time=5 --wrap 'sleep 5'`);
    await submit('held', `--hold --wrap 'sleep 5'`);
    await submit('later', `--begin=now+1hour --wrap 'sleep 5'`);
  });
  afterAll(async () => {
    await sl?.stop();
  });

  it('runs a GPU job as the lab user, its StdOut expanded in the remote home, where it writes hello', async () => {
    const f = await reaches(ids['gpu-run']!, 'RUNNING');
    expect(f.StdOut).toBe(`${lab.remoteHome}/out_${ids['gpu-run']}.log`);
    expect(f.WorkDir).toBe(lab.remoteHome);
    expect(f.UserId).toMatch(new RegExp(`^${lab.user}\\(`));
    expect(f.TresPerNode).toBe('gres:gpu:1');
    const out = await pollFor(async () => ((await sh(`cat out_${ids['gpu-run']}.log 2>/dev/null || true`)).includes('hello') ? true : null));
    expect(out).toBe(true);
    // srun reaches into the running job (a step beside the batch step)
    expect(await sh(`srun --jobid=${ids['gpu-run']} --overlap sh -c 'echo "$SLURM_JOB_ID $CUDA_VISIBLE_DEVICES"'`)).toBe(`${ids['gpu-run']} 0\n`);
  });

  it('runs a job of a non-root login as that user, its output in that user’s home', async () => {
    const u = lab.users[0]!;
    // --time: the backfill pass lets it past wants-2gpu, whose reservation holds back unlimited jobs
    const r = await lab.remoteAs(u.name, `cd && sbatch --parsable --time=1 -o 'mine_%j.log' --wrap 'id -un; pwd'`);
    expect(r.stderr).toBe('');
    const id = r.stdout.trim();
    ids.mine = id;
    const f = await reaches(id, 'COMPLETED');
    expect(f.UserId).toMatch(new RegExp(`^${u.name}\\(`));
    expect(f.StdOut).toBe(`${u.home}/mine_${id}.log`);
    expect((await lab.remoteAs(u.name, `cat ~/mine_${id}.log`)).stdout).toBe(`${u.name}\n${u.home}\n`);
  });

  it('keeps spaces in the script and log paths of a job', async () => {
    const f = await reaches(ids.spaced!, 'RUNNING');
    expect(f.WorkDir).toBe(`${lab.remoteHome}/exp`); // scontrol -o does not quote: values end at a space
    const line = (await sh(`scontrol show job -o ${ids.spaced}`)).trim();
    expect(line).toContain(' Command=exp 1/my run.sh ');
    expect(line).toContain(` StdOut=${lab.remoteHome}/exp 1/log ${ids.spaced}.txt`);
    const out = await pollFor(async () => ((await sh(`cat 'exp 1/log ${ids.spaced}.txt' 2>/dev/null || true`)) === 'spaced\n' ? true : null));
    expect(out).toBe(true);
  });

  it('squeue --json lists the running job with its GRES, the array tasks and the waiting ones', async () => {
    await reaches(ids['gpu-run']!, 'RUNNING');
    const doc = JSON.parse(await sh('squeue --json')) as { jobs: Record<string, unknown>[] };
    const byId = new Map(doc.jobs.map((j) => [String(j.job_id), j]));
    const run = byId.get(ids['gpu-run']!);
    expect(run).toMatchObject({ name: 'gpu-run', job_state: 'RUNNING', tres_per_node: 'gres:gpu:1', standard_output: `${lab.remoteHome}/out_%j.log` });
    expect(doc.jobs.filter((j) => String(j.array_job_id) === ids.arr).map((j) => j.array_task_id).sort()).toEqual([0, 1, 2]);
    expect(byId.get(ids.held!)).toMatchObject({ job_state: 'PENDING', state_reason: 'JobHeldUser' });
    expect(byId.get(ids.later!)).toMatchObject({ job_state: 'PENDING', state_reason: 'BeginTime' });
    expect(byId.get(ids['wants-2gpu']!)).toMatchObject({ job_state: 'PENDING' });
  });

  it('a job that exits 3 ends FAILED with ExitCode=3:0; scancel ends one as CANCELLED', async () => {
    const failed = await reaches(ids.fails!, 'FAILED');
    expect(failed.ExitCode).toBe('3:0');
    expect(await sh(`cat fail_${ids.fails}.log`)).toBe('failing\n');
    await reaches(ids['cancel-me']!, 'RUNNING');
    await sh(`scancel ${ids['cancel-me']}`);
    const cancelled = await reaches(ids['cancel-me']!, 'CANCELLED');
    expect(cancelled.ExitCode).toBe('0:15');
    // no slurmdbd: sacct reads the job completion file (-c)
    const comp = await pollFor(async () => {
      const out = await sh('sacct -c -n -o JobID,JobName,State');
      return out.includes('CANCELLED') ? out : null;
    });
    expect(comp).toMatch(new RegExp(`^\\s*${ids.fails}\\s+fails\\s+FAILED\\s*$`, 'm'));
  });

  // runs every time (the outputs the Slurm parsers are tested on are still there, and --json still
  // parses); with RTK_CAPTURE=1 it also writes them as the fixtures
  it(`every output the parsers read is there${CAPTURE ? ', written to test/fixtures/slurm/' : ''}`, async () => {
    // every state at once: the running, waiting, failed and cancelled jobs are all there by now
    await reaches(ids['cancel-me']!, 'CANCELLED');
    await pollFor(async () => ((await sh('squeue --start -h')).trim() !== '' ? true : null));
    const version = (await sh('sinfo --version')).trim();
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const save = async (name: string, cmd: string) => {
      const out = await sh(cmd);
      expect(out.trim()).not.toBe('');
      if (CAPTURE) writeFileSync(`${FIXTURES}${name}.txt`, `# captured from ${version} (Debian 12) on the test machine, ${cmd}, ${date}\n${out}`);
      return out;
    };
    const json = await save('lab-squeue-json', 'squeue --json');
    expect(parseSqueueJson(json)?.jobs.map((j) => j.id)).toContain(ids['gpu-run']);
    await save('squeue-all-format', `squeue -t all -h -o '${SQUEUE_FORMAT}'`);
    await save('lab-squeue-start', 'squeue --start');
    await save('scontrol-job-running', `scontrol show job -o ${ids['gpu-run']}`);
    await save('scontrol-job-pending-resources', `scontrol show job -o ${ids['wants-2gpu']}`);
    await save('scontrol-job-pending-held', `scontrol show job -o ${ids.held}`);
    await save('scontrol-job-pending-begin', `scontrol show job -o ${ids.later}`);
    await save('scontrol-job-failed', `scontrol show job -o ${ids.fails}`);
    await save('scontrol-job-cancelled', `scontrol show job -o ${ids['cancel-me']}`);
    await save('scontrol-job-array', `scontrol show job -o ${ids.arr}`);
    await save('scontrol-job-completed-user', `scontrol show job -o ${ids.mine}`);
    await save('scontrol-job-spaces', `scontrol show job -o ${ids.spaced}`);
    await save('sacct-jobcomp', 'sacct -c');
  });
});

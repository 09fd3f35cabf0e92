// The Slurm runs source run for real: its poll script against a standalone slurm-wlm (slurmctld, slurmd,
// munged from test/helpers/slurm.ts: free ports, cleaned up even when the worker dies), through a local Host.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.js';
import type { HostSpec, Run } from '../../../src/domain/types.js';
import { pollRuns, type RunsSnapshot } from '../../../src/sources/runs.js';
import { buildSlurmScript, jobsOf, pollSlurm, splitSlurmOutput, type SlurmListing } from '../../../src/sources/slurm.js';
import { localTestHost } from '../../helpers/c-local-host.js';
import { distMissing, firstReason, slurmUnavailable, suite } from '../../helpers/require.js';
import { startSlurm, type Slurm } from '../../helpers/slurm.js';
import { pollFor } from '../../helpers/wait.js';

const why = firstReason(slurmUnavailable(), distMissing());
const BIN = new URL('../../../bin/rtk-tui', import.meta.url).pathname;

const BAR = `#!/bin/sh
echo "starting training"
i=0
while [ $i -lt 600 ]; do
  i=$((i+1))
  printf '\\r%3d%%|###       | %d/1000 [00:%02d<05:00,  3.3it/s, loss=0.%03d]' $((i/10)) $i $((i%60)) $((999-i))
  sleep 1
done
`;

suite(why, 'pollSlurm against a standalone Slurm 22.05', () => {
  let T = '';
  const ids: Record<string, string> = {};
  let slurm: Slurm | null = null;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, ...slurm!.env });
  const spec: HostSpec = { name: 'cl', local: true, scheduler: 'slurm' };
  const cfg = { ...defaultConfig(null), hosts: [spec] };
  const sbatch = (args: string[]): string => {
    const out = execFileSync('sbatch', args, { env: env(), cwd: join(T, 'jobs'), encoding: 'utf8' });
    const m = /Submitted batch job (\d+)/.exec(out);
    if (!m) throw new Error(`sbatch said: ${out}`);
    return m[1]!;
  };
  const byId = (snap: RunsSnapshot): Map<string, Run> => new Map(snap.runs.map((r) => [r.session, r]));

  beforeAll(async () => {
    slurm = await startSlurm({ cpus: 2 });
    T = slurm.dir;
    mkdirSync(join(T, 'jobs'));
    writeFileSync(join(T, 'jobs/bar.sh'), BAR, { mode: 0o755 });
    // the long one first: it holds one CPU and one GPU; the quick ones run on the other CPU
    ids.bar = sbatch(['-J', 'train bar', '--time=30', '--gres=gpu:1', '-o', 'out %x_%j.log', './bar.sh']);
    ids.fail = sbatch(['-J', 'fail3', '-o', 'fail_%j.log', '--wrap', 'echo about to fail; exit 3']);
    ids.arr = sbatch(['-J', 'arr', '--array=1-2', '-o', 'arr_%A_%a.out', '--wrap', 'echo task $SLURM_ARRAY_TASK_ID; [ "$SLURM_ARRAY_TASK_ID" = 2 ] && exit 2; exit 0']);
    ids.held = sbatch(['-J', 'held', '-H', '--wrap', 'sleep 5']);
    ids.big = sbatch(['-J', 'big', '--time=10', '--gres=gpu:2', '--wrap', 'sleep 5']);
    ids.weird = sbatch(['-J', `-x it's "q"\nline`, '-H', '--wrap', 'sleep 5']);
    execFileSync('scancel', [ids.weird], { env: env() });
    // root may submit as another user: that job is never this user's run
    ids.other = sbatch(['--uid=nobody', '-J', 'theirs', '-H', '-o', '/dev/null', '--wrap', 'sleep 5']);
  }, 90_000);

  afterAll(async () => {
    if (T === '') return;
    try {
      execFileSync('scancel', ['-u', userInfo().username], { env: env(), timeout: 15_000 });
      // the job steps outlive slurmd: let them end before it goes
      await pollFor(() => (/RUNNING|COMPLETING/.test(execFileSync('squeue', ['-h', '-t', 'all', '-o', '%T'], { env: env(), encoding: 'utf8', timeout: 15_000 })) ? null : true), 20_000);
    } catch {
      // nothing to cancel, or the controller is gone already
    }
    await slurm?.stop();
  }, 60_000);

  /** Polls until every listed job is as asked. */
  /** pollRuns (auto: the -o form on this 22.05), or pollSlurm with the listing asked for. */
  const settled = async (host = localTestHost('cl', env()), listing?: SlurmListing): Promise<Map<string, Run>> =>
    pollFor(async () => {
      const r = listing === undefined ? await pollRuns(host, spec, cfg) : await pollSlurm(host, spec, cfg, Date.now(), listing);
      if (!r.ok) return null;
      const runs = byId(r.value);
      const want: [string, string][] = [[ids.bar!, 'running'], [ids.fail!, 'failed'], [`${ids.arr}_1`, 'finished'], [`${ids.arr}_2`, 'failed'], [ids.held!, 'pending'], [ids.big!, 'pending'], [ids.weird!, 'failed']];
      const bar = runs.get(ids.bar!);
      return want.every(([id, st]) => runs.get(id)?.state === st) && bar?.progress !== null && (bar?.progress?.step ?? 0) >= 3 ? runs : null;
    }, 60_000);

  it.each([['auto (-o and scontrol on 22.05)', undefined], ['--json', 'json' as const]])('lists the jobs with their states, exit codes, reasons, array tasks and log paths: %s', async (_name, listing) => {
    const runs = await settled(localTestHost('cl', env()), listing);
    // another user's job is not the user's run (22.05's --json lists it: filtered here)
    expect(runs.has(ids.other!)).toBe(false);
    const jobs = join(T, 'jobs');
    expect(runs.get(ids.fail!)).toMatchObject({ id: `cl:${ids.fail}`, host: 'cl', state: 'failed', exitStatus: 3, log: `${jobs}/fail_${ids.fail}.log`, slurm: { state: 'FAILED', reason: 'NonZeroExitCode' } });
    expect(runs.get(`${ids.arr}_1`)).toMatchObject({ state: 'finished', exitStatus: 0, log: `${jobs}/arr_${ids.arr}_1.out` });
    expect(runs.get(`${ids.arr}_2`)).toMatchObject({ state: 'failed', exitStatus: 2, log: `${jobs}/arr_${ids.arr}_2.out` });
    expect(runs.get(ids.held!)).toMatchObject({ state: 'pending', slurm: { state: 'PENDING', reason: 'JobHeldUser' }, createdAt: expect.any(String) });
    expect(runs.get(ids.big!)).toMatchObject({ state: 'pending', slurm: { gpus: 2, timeLimitSeconds: 600 } });
    // waiting for the GPU the running job holds (or, before the scheduler's pass, behind it)
    expect(['Resources', 'Priority']).toContain(runs.get(ids.big!)!.slurm!.reason);
    expect(runs.get(ids.weird!)).toMatchObject({ state: 'failed', reason: 'killed', slurm: { state: 'CANCELLED', name: `-x it's "q"\nline` } });
    // the last lines of each ended job's log were read: their words are there
    expect(runs.get(ids.fail!)!.lastOutputSecondsAgo).not.toBeNull();
  }, 90_000);

  it('reads the running job: its log with spaces in the path, its tqdm bar, GPUs and limit', async () => {
    const runs = await settled();
    const bar = runs.get(ids.bar!)!;
    expect(bar).toMatchObject({
      state: 'running',
      log: join(T, 'jobs', `out train bar_${ids.bar}.log`),
      slurm: { state: 'RUNNING', gpus: 1, timeLimitSeconds: 1800, nodes: 'localhost', partition: 'debug', name: 'train bar' },
    });
    expect(bar.progress).toMatchObject({ total: 1000 });
    expect(bar.progress!.step!).toBeGreaterThanOrEqual(3);
    expect(bar.metrics.loss).toBeLessThan(1);
    expect(bar.slurm!.elapsedSeconds!).toBeGreaterThanOrEqual(0);
    expect(bar.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  }, 90_000);

  it('needs one exec per poll once the paths are known', async () => {
    const host = localTestHost('cl', env());
    await settled(host);
    const before = host.execs.length;
    const r = await pollSlurm(host, spec, cfg);
    expect(r.ok).toBe(true);
    expect(host.execs.length - before).toBe(1);
    // and that exec carried the log tails: progress is there without another
    expect(r.ok && byId(r.value).get(ids.bar!)!.progress).not.toBeNull();
  }, 90_000);

  it('falls back to squeue -o where --json is refused', async () => {
    // (auto does not even try --json on 22.05: json is asked for here)
    // a squeue that refuses --json, as Slurm before 21.08 does, in front of the real one
    const bin = join(T, 'oldbin');
    mkdirSync(bin, { recursive: true });
    const real = execFileSync('sh', ['-c', 'command -v squeue'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'squeue'), `#!/bin/sh\nfor a; do [ "$a" = --json ] && { echo "squeue: unrecognized option '--json'" >&2; exit 1; }; done\nexec ${real} "$@"\n`, { mode: 0o755 });
    const host = localTestHost('cl', { ...env(), PATH: `${bin}:${process.env.PATH}` });
    const runs = await settled(host, 'json');
    expect(runs.get(ids.fail!)).toMatchObject({ state: 'failed', exitStatus: 3, log: join(T, 'jobs', `fail_${ids.fail}.log`), slurm: { state: 'FAILED' } });
    expect(runs.get(`${ids.arr}_2`)).toMatchObject({ state: 'failed', exitStatus: 2 });
    expect(runs.get(ids.held!)).toMatchObject({ state: 'pending', slurm: { reason: 'JobHeldUser' } });
    expect(runs.get(ids.bar!)!.log).toBe(join(T, 'jobs', `out train bar_${ids.bar}.log`));
  }, 90_000);

  /** The built binary with a config naming this cluster as host `cl`. */
  const cli = (args: string[], untilOut?: RegExp): Promise<{ code: number | null; out: string; err: string }> => {
    const conf = join(T, 'rtk.yaml');
    writeFileSync(conf, 'hosts:\n  - name: cl\n    local: true\n    scheduler: slurm\n');
    return new Promise((resolve) => {
      const c = spawn(process.execPath, [BIN, ...args], { env: { ...env(), RTK_TUI_CONFIG: conf, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      let out = '';
      let errText = '';
      c.stdout.on('data', (b: Buffer) => {
        out += b.toString('utf8');
        if (untilOut?.test(out)) c.kill('SIGTERM');
      });
      c.stderr.on('data', (b: Buffer) => (errText += b.toString('utf8')));
      c.on('close', (code) => resolve({ code, out, err: errText }));
    });
  };

  it('rtk-tui ls --json lists the jobs of a scheduler: slurm host', async () => {
    await settled();
    const r = await cli(['ls', '--json']);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out) as { hosts: { name: string; status: string }[]; runs: Run[] };
    expect(doc.hosts).toEqual([expect.objectContaining({ name: 'cl', status: 'connected' })]);
    const runs = new Map(doc.runs.map((x) => [x.id, x]));
    expect(runs.get(`cl:${ids.bar}`)).toMatchObject({ state: 'running', session: ids.bar, slurm: { state: 'RUNNING', gpus: 1 } });
    expect(runs.get(`cl:${ids.bar}`)!.progress!.total).toBe(1000);
    expect(runs.get(`cl:${ids.held}`)).toMatchObject({ state: 'pending', slurm: { reason: 'JobHeldUser' } });
    expect(runs.get(`cl:${ids.arr}_2`)).toMatchObject({ state: 'failed', exitStatus: 2 });
  }, 90_000);

  it('rtk-tui logs HOST:JOBID prints the StdOut, -f follows it; a pending job says it has none yet', async () => {
    await settled();
    const r = await cli(['logs', `cl:${ids.fail}`]);
    expect(r).toMatchObject({ code: 0, out: 'about to fail\n' });
    const arr = await cli(['logs', '-n', '1', `${ids.arr}_2`]);
    expect(arr.out).toBe('task 2\n');
    // the bar's \r updates arrive while following: stop once two more have come
    const f = await cli(['logs', '-f', '-n', '1', `cl:${ids.bar}`], /(loss=0\.\d+\]?[^]*){3}/);
    expect(f.out).toContain('starting training');
    expect(f.out).toMatch(/\/1000 \[/);
    const none = await cli(['logs', `cl:${ids.held}`]);
    expect(none.code).not.toBe(0);
    expect(none.err).toMatch(/has no log to show yet/);
    const missing = await cli(['logs', 'cl:999999']);
    expect(missing.err).toMatch(/no job of yours with id "999999"/);
  }, 90_000);

  it('says so when squeue is not there', async () => {
    // a PATH with the shell and its tools but no Slurm
    const bin = join(T, 'nobin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['sh', 'date', 'id']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    const host = localTestHost('cl', { ...env(), PATH: bin });
    const nonce = 'abc';
    const r = await host.exec(buildSlurmScript(nonce));
    const s = splitSlurmOutput(r.ok ? r.value.stdout : Buffer.alloc(0), nonce);
    const jobs = jobsOf(s, spec);
    expect(jobs.ok).toBe(false);
    expect(!jobs.ok && jobs.error.message).toMatch(/squeue/);
  });
});

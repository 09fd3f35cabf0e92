// A Slurm job's card, pure: the job script's sections (scontrol show job -o, write batch_script,
// listpids + ps) as Slurm 22.05 printed them on the test Slurm (test/helpers/slurm.ts, captured
// 2026-12-05), the command of a script job and of a --wrap job, hostile text kept inert, and the Job
// section of the card.
import { describe, expect, it } from 'vitest';
import type { RunCard } from '../../../src/domain/run-card.js';
import { buildJobScript, jobCardParts, scontrolId, scriptCommand, splitJobOutput } from '../../../src/sources/run-card-slurm.js';
import { cardRows } from '../../../src/ui/run-card.js';
import { rowText } from '../../../src/ui/rows.js';
import { mkRun } from '../../ui/fixture-store.js';

const N = 'abcdef0123456789';
const SHOW_SCRIPT_JOB =
  'JobId=1 JobName=x UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901759 Nice=0 Account=(null) QOS=(null) JobState=RUNNING Reason=None Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:12:03 TimeLimit=00:30:00 TimeMin=N/A SubmitTime=2026-12-05T02:25:16 EligibleTime=2026-12-05T02:25:16 AccrueTime=2026-12-05T02:25:16 StartTime=2026-12-05T02:25:17 EndTime=2026-12-05T02:55:17 Deadline=N/A SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-12-05T02:25:17 Scheduler=Backfill Partition=debug AllocNode:Sid=localhost:2859 ReqNodeList=(null) ExcNodeList=(null) NodeList=localhost BatchHost=localhost NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* TRES=cpu=1,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null) Command=./j.sh a1 b 2 WorkDir=/tmp/rtk-lab-KxcR2q/remote-home/s StdErr=/tmp/rtk-lab-KxcR2q/remote-home/s/o_1.log StdIn=/dev/null StdOut=/tmp/rtk-lab-KxcR2q/remote-home/s/o_1.log Power= TresPerNode=gres:gpu:1 ';
const SHOW_WRAP_JOB = SHOW_SCRIPT_JOB.replace('JobId=1 JobName=x', 'JobId=2 JobName=wrap').replace('Command=./j.sh a1 b 2', 'Command=(null)').replace(' TresPerNode=gres:gpu:1 ', ' ');
const PS = '   2889  2887  2889  2889   723 S     0.0  3120 /bin/sh /var/spool/slurmd/job00001/slurm_script a1 b 2\n   2890  2889  2889  2889   723 S     1.5 20480 python train.py --lr 3e-4\n';

const out = (show: string, script: string | null, ps: string | null): Buffer =>
  Buffer.from(
    [
      `@@${N} tz +0000`,
      `@@${N} show`,
      `${show}`,
      `@@${N} rc 0`,
      `@@${N} script`,
      `${script ?? ''}`,
      `@@${N} rc 0`,
      ...(ps === null ? [] : [`@@${N} ps`, ps, `@@${N} rc 0`]),
      '',
    ].join('\n'),
  );

const job = (session: string, extra = {}) =>
  mkRun('cl', session, {
    log: '/tmp/o_1.log',
    slurm: { state: 'RUNNING', reason: null, name: 'x', partition: 'debug', nodes: 'localhost', gpus: 1, timeLimitSeconds: 1800, elapsedSeconds: 700, startAt: '2026-12-05T02:25:17Z', exitSignal: null },
    ...extra,
  });

describe('the job script', () => {
  it('asks scontrol about a job or task id only, quoted; listpids only for a running job', () => {
    expect(scontrolId('123')).toBe('123');
    expect(scontrolId('123_4')).toBe('123_4');
    expect(scontrolId('123_[1-5%2]')).toBe('123');
    expect(scontrolId('-x; rm -rf ~')).toBeNull();
    expect(scontrolId('12 3')).toBeNull();
    const s = buildJobScript(N, '123_4', true);
    expect(s).toMatch(/; id='?123_4'?\n/);
    expect(s).toContain('scontrol listpids "$id"');
    expect(buildJobScript(N, '123', false)).not.toContain('listpids');
  });
});

describe('the parts of a Slurm job card', () => {
  it('a script job: Command= as submitted, WorkDir, the launcher line of its script, its processes where listpids answered', () => {
    const script = '#!/bin/sh\n#SBATCH -J x\n#SBATCH --gres=gpu:1\n# comment\n\nmodule load cuda\nsource venv/bin/activate\nsrun python train.py \\\n  --lr 3e-4\n';
    const p = jobCardParts(job('1'), splitJobOutput(out(SHOW_SCRIPT_JOB, script, PS), N));
    expect(p.errors).toEqual([]);
    expect(p.command).toBe('./j.sh a1 b 2');
    expect(p.cwd).toBe('/tmp/rtk-lab-KxcR2q/remote-home/s');
    expect(p.job).toMatchObject({
      id: '1', state: 'RUNNING', reason: null, partition: 'debug', nodes: 'localhost', batchHost: 'localhost', gpus: 1,
      timeLimitSeconds: 1800, elapsedSeconds: 723, submitAt: '2026-12-05T02:25:16Z', startAt: '2026-12-05T02:25:17Z', endAt: '2026-12-05T02:55:17Z',
      submitted: './j.sh a1 b 2', scriptLine: 'srun python train.py --lr 3e-4', wrap: false, processesRead: true,
    });
    expect(p.procs.map((q) => q.pid)).toEqual([2889, 2890]);
  });

  it('a --wrap job: the wrapped text is the command (Command=(null) in 22.05)', () => {
    const p = jobCardParts(job('2'), splitJobOutput(out(SHOW_WRAP_JOB, '#!/bin/sh\n# This script was created by sbatch --wrap.\n\necho wrapped; sleep 60\n', ''), N));
    expect(p.command).toBe('echo wrapped; sleep 60');
    expect(p.job).toMatchObject({ submitted: null, wrap: true, processesRead: false });
  });

  it('scontrol refusing (the job aged out) leaves one sentence and the poll’s own figures', () => {
    const p = jobCardParts(job('9'), splitJobOutput(out('slurm_load_jobs error: Invalid job id specified', null, null), N));
    expect(p.errors).toEqual(['the job: scontrol show job 9: slurm_load_jobs error: Invalid job id specified']);
    expect(p.job).toMatchObject({ state: 'RUNNING', partition: 'debug', nodes: 'localhost', timeLimitSeconds: 1800, elapsedSeconds: 700 });
    expect(p.command).toBeNull();
  });

  it('hostile text stays inert: escapes in the script and the WorkDir, a script line that is only comments, garbage output', () => {
    const hostile = SHOW_SCRIPT_JOB.replace('WorkDir=/tmp/rtk-lab-KxcR2q/remote-home/s', 'WorkDir=/tmp/\x1b]0;pwn\x07 dir');
    const p = jobCardParts(job('1'), splitJobOutput(out(hostile, '#!/bin/sh\npython "\x1b[2Jtrain.py"\n', null), N));
    expect(p.cwd).not.toContain('\x1b');
    expect(p.job.scriptLine).not.toContain('\x1b');
    expect(scriptCommand('#!/bin/bash\n#SBATCH -N 1\n\n# nothing\n')).toEqual({ line: null, wrap: false });
    expect(scriptCommand('x'.repeat(100_000)).line!.length).toBeLessThanOrEqual(2000);
    expect(() => jobCardParts(job('1'), splitJobOutput(Buffer.from('\u0000@@garbage\n@@' + N + ' show\n'), N))).not.toThrow();
  });
});

describe('the Job section', () => {
  const card = (extra: Partial<RunCard> = {}): RunCard => {
    const parts = jobCardParts(job('1'), splitJobOutput(out(SHOW_SCRIPT_JOB, '#!/bin/sh\nsrun python train.py\n', null), N));
    return {
      run: job('1'), command: parts.command, cwd: parts.cwd, startedAt: '2026-12-05T02:25:17Z', elapsedSeconds: 723, rate: null, series: {}, seriesSource: null,
      metrics: [], gpus: [], processes: [], checkpoints: null, alerts: [], hints: [], events: [], errors: [], job: parts.job, ...extra,
    };
  };
  it('state, where it runs, the time used of its limit as a bar, the launcher line; processes on the node, not read', () => {
    const text = cardRows(card(), { w: 120, h: 40, now: 0, log: false }).map(rowText).join('\n');
    expect(text).toMatch(/── Job 1 · RUNNING ─/);
    expect(text).toContain('partition debug · nodes localhost · 1 GPU');
    expect(text).toMatch(/time █{10}░{14} 12m03s of 30m00s \(40%\) · 17m57s left/);
    expect(text).toMatch(/submitted .* · started .* · ends by /);
    expect(text).toContain('its script runs srun python train.py');
    expect(text).toContain("GPUs · not read (the job's are on its node: 1)");
    expect(text).toContain("run on localhost (not read: scontrol listpids answers on the job's node)");
    expect(text).toContain('cmd ./j.sh a1 b 2');
  });
  it('a job Slurm ended at its time limit: why, with the hint, the bar full', () => {
    const show = SHOW_SCRIPT_JOB.replace('JobState=RUNNING Reason=None', 'JobState=TIMEOUT Reason=TimeLimit').replace('RunTime=00:12:03', 'RunTime=00:30:04').replace('ExitCode=0:0', 'ExitCode=0:15');
    const parts = jobCardParts(job('1', { state: 'failed' }), splitJobOutput(out(show, null, null), N));
    expect(parts.job.failure).toMatchObject({ reason: 'timeout', what: 'hit its time limit of 30 min (TIMEOUT)' });
    const text = cardRows({ ...card(), job: parts.job }, { w: 160, h: 40, now: 0, log: false }).map(rowText).join('\n');
    expect(text).toMatch(/── Job 1 · TIMEOUT \(TimeLimit\) ─/);
    expect(text).toMatch(/time █{24} 30m04s of 30m00s \(100%\)/);
    expect(text).toContain('TIMEOUT it hit its time limit of 30 min (TIMEOUT)');
    expect(text).toMatch(/ {8}.*requeue/);
    expect(text).toMatch(/try: raise the time limit \(sbatch --time\)/);
    expect(text).toMatch(/· ended 2026-12-05/);
  });

  it('a pending job: its reason, no node yet, when Slurm expects it to start', () => {
    const c = card();
    const text = cardRows({ ...c, job: { ...c.job!, state: 'PENDING', reason: 'Resources', nodes: null, elapsedSeconds: 0, startAt: '2026-12-05T04:00:00Z', endAt: null } }, { w: 120, h: 40, now: 0, log: false })
      .map(rowText)
      .join('\n');
    expect(text).toMatch(/── Job 1 · PENDING \(Resources\) ─/);
    expect(text).toContain('no node yet');
    expect(text).toMatch(/expected to start \d{4}-12-05/);
    expect(text).toContain('none yet: the job waits in the queue');
  });
});

// Slurm's job listings, read from real captures (test/fixtures/slurm, slurm-wlm 22.05.8 on this machine,
// plus 23.02 and 24.05 records kept in public projects) and from hostile input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeWaitStatus,
  gpusOf,
  mapSlurmState,
  parseSlurmDuration,
  parseSlurmTime,
  parseSqueueFormat,
  parseSqueueJson,
  parseUtcOffset,
  slurmNumber,
  SQUEUE_FORMAT,
  type SlurmJob,
} from '../../../src/parse/slurm.js';
import { parseScontrolJobs, splitScontrolRecord } from '../../../src/parse/slurm-scontrol.js';
import { expandStdPattern, firstNode, resolveStdout } from '../../../src/parse/slurm-paths.js';

const FIX = join(import.meta.dirname, '../../fixtures/slurm');
/** A fixture without its provenance line. */
const fixture = (name: string): string => readFileSync(join(FIX, name), 'utf8').replace(/^#[^\n]*\n/, '');
const byId = (jobs: SlurmJob[]) => new Map(jobs.map((j) => [j.id, j]));

describe('squeue --json of slurm 22.05 (captured)', () => {
  const doc = parseSqueueJson(fixture('squeue-json.txt'))!;
  const jobs = byId(doc.jobs);

  it('reads the version and every job, array tasks as their own ids', () => {
    expect(doc.version).toBe('22.05.8');
    expect([...jobs.keys()].sort()).toEqual(['1', '10', '11', '12', '13', '14', '15_[0-2%1]', '2', '3_1', '3_2', '3_3', '6', '7', '8', '9']);
  });

  it.each([
    // id, Slurm state, reason, exit code, run state, run reason
    ['1', 'COMPLETED', null, 0, 'finished', null],
    ['2', 'FAILED', 'NonZeroExitCode', 3, 'failed', null],
    ['3_2', 'FAILED', 'NonZeroExitCode', 2, 'failed', null],
    ['3_3', 'COMPLETED', null, 0, 'finished', null],
    ['7', 'RUNNING', null, 0, 'running', null],
    ['8', 'PENDING', 'JobHeldUser', 0, 'pending', null],
    ['9', 'PENDING', 'BeginTime', 0, 'pending', null],
    ['10', 'PENDING', 'Resources', 0, 'pending', null],
    ['14', 'CANCELLED', 'Priority', 0, 'failed', 'killed'],
  ] as const)('job %s: %s (%s), exit %s -> %s', (id, state, reason, exit, runState, runReason) => {
    const j = jobs.get(id)!;
    expect(j.state).toBe(state);
    expect(j.reason).toBe(reason);
    expect(j.exitCode).toBe(exit);
    expect(mapSlurmState(j.state, j.exitCode)).toEqual({ state: runState, reason: runReason });
  });

  it('keeps hostile names as they are', () => {
    expect(jobs.get('11')!.name).toBe(`it's "q" -x`);
    expect(jobs.get('12')!.name).toBe('nl\nname\ttab');
    expect(jobs.get('13')!.name).toBe('-dash');
    expect(jobs.get('7')!.name).toBe('train bar');
  });

  it('reads GPUs, limits, start estimates and array facts', () => {
    expect(jobs.get('7')).toMatchObject({ gpus: 1, timeLimitSeconds: 1800, nodes: 'localhost', partition: 'debug', user: 'root', stdout: '/tmp/rtkparse/jobs/out %x_%j.log' });
    expect(jobs.get('6')!.timeLimitSeconds).toBe(60);
    expect(jobs.get('10')).toMatchObject({ gpus: 2, startTime: 1796436789, nodes: null });
    expect(jobs.get('8')!.startTime).toBeNull();
    expect(jobs.get('3_1')).toMatchObject({ jobId: 4, arrayJobId: 3, arrayTaskId: 1 });
    expect(jobs.get('15_[0-2%1]')).toMatchObject({ jobId: 15, arrayJobId: 15, arrayTaskId: null, arrayTasks: '0-2%1', gpus: 1 });
    expect(jobs.get('1')!.gpus).toBeNull();
  });

  it('resolves log paths: patterns expanded, the default in the submit dir', () => {
    expect(resolveStdout(jobs.get('7')!)).toBe('/tmp/rtkparse/jobs/out train bar_7.log');
    expect(resolveStdout(jobs.get('2')!)).toBe('/tmp/rtkparse/jobs/fail_2.log');
    expect(resolveStdout(jobs.get('3_2')!)).toBe('/tmp/rtkparse/jobs/arr_3_2.out');
    expect(resolveStdout(jobs.get('1')!)).toBe('/tmp/rtkparse/jobs/slurm-1.out');
  });
});

describe('later capture: a timed-out job, throttled array tasks', () => {
  const jobs = byId(parseSqueueJson(fixture('squeue-json-later.txt'))!.jobs);
  it('TIMEOUT is a failure with the signal that ended it', () => {
    const j = jobs.get('6')!;
    expect(j).toMatchObject({ state: 'TIMEOUT', reason: 'TimeLimit', exitCode: null, exitSignal: 15 });
    expect(mapSlurmState(j.state, j.exitCode).state).toBe('failed');
  });
  it('a throttled array task waits with its own reason', () => {
    // the array's one task left is listed as the array; it is that task
    expect(jobs.get('21_5')).toMatchObject({ state: 'PENDING', reason: 'JobArrayTaskLimit', arrayJobId: 21, arrayTaskId: 5 });
    expect(jobs.get('21_4')).toMatchObject({ state: 'RUNNING', jobId: 22, arrayJobId: 21, arrayTaskId: 4 });
    expect(jobs.get('17_7')).toMatchObject({ state: 'COMPLETED', jobId: 17 });
    const done = jobs.get('15_0')!;
    expect(resolveStdout(done)).toBe('/tmp/rtkparse/jobs/arrp-15.000.out');
  });
});

describe('the three listings of one moment agree', () => {
  it.each([
    ['squeue-json.txt', 'squeue-format.txt', 'scontrol-show-job.txt'],
    ['squeue-json-later.txt', 'squeue-format-later.txt', 'scontrol-show-job-later.txt'],
  ])('%s / %s / %s', (jsonName, fmtName, scName) => {
    const json = byId(parseSqueueJson(fixture(jsonName))!.jobs);
    const fmt = byId(parseSqueueFormat(fixture(fmtName), 0));
    const sc = byId(parseScontrolJobs(fixture(scName), 0));
    expect([...fmt.keys()].sort()).toEqual([...json.keys()].sort());
    expect([...sc.keys()].sort()).toEqual([...json.keys()].sort());
    for (const [id, j] of json) {
      for (const other of [fmt.get(id)!, sc.get(id)!]) {
        expect({ id, ...pick(other) }).toEqual({ id, ...pick(j) });
      }
      // the text forms carry the cluster's local time (UTC here)
      expect(fmt.get(id)!.submitTime).toBe(j.submitTime);
      expect(sc.get(id)!.exitCode).toBe(j.exitCode);
      expect(sc.get(id)!.exitSignal).toBe(j.exitSignal);
    }
  });
  const pick = (j: SlurmJob) => ({ state: j.state, name: j.name, reason: j.reason, jobId: j.jobId, arrayJobId: j.arrayJobId, arrayTaskId: j.arrayTaskId, partition: j.partition, user: j.user, workDir: j.workDir, timeLimitSeconds: j.timeLimitSeconds });
});

describe('newer Slurm JSON shapes (records kept in public projects)', () => {
  it('23.02: numbers as {set, number}, the wait status wrapped, state a plain word', () => {
    const doc = parseSqueueJson(fixture('squeue-json-23.02.txt'))!;
    expect(doc.version).toBe('23.02.6');
    expect(doc.jobs[0]).toMatchObject({
      id: '1618871', state: 'RUNNING', reason: null, exitCode: 0, gpus: 8, arrayJobId: null, arrayTaskId: null,
      timeLimitSeconds: 6000 * 60, startTime: 1701983394, user: 'www26kf', batchHost: 'data-center-ia830',
    });
    expect(resolveStdout(doc.jobs[0]!)).toBe('/gpfsdswork/projects/rech/dmn/www26kf/repos/model/./logs/model_pretrain_1618871.out');
  });
  it('24.05: states as lists, exit_code as {status, return_code, signal}, no limit as infinite', () => {
    const doc = parseSqueueJson(fixture('squeue-json-24.05.txt'))!;
    expect(doc.version).toBe('24.05.3');
    expect(doc.jobs[0]).toMatchObject({ id: '333', state: 'COMPLETED', exitCode: 0, exitSignal: null, timeLimitSeconds: null, gpus: null, startTime: 1746693312 });
  });
  it.each([
    [{ status: ['EXITED'], return_code: { set: true, number: 3 }, signal: { id: { set: false, number: 0 }, name: '' } }, 3, null],
    [{ status: ['SIGNALED'], return_code: { set: true, number: 0 }, signal: { id: { set: true, number: 9 }, name: 'KILL' } }, null, 9],
    [{ status: ['PENDING'], return_code: { set: false, number: 0 } }, null, null],
    [{ set: true, infinite: false, number: 768 }, 3, null],
    [768, 3, null],
    [15, null, 15],
    ['junk', null, null],
  ])('exit_code %j -> code %s signal %s', (exit, code, signal) => {
    const [j] = parseSqueueJson(JSON.stringify({ jobs: [{ job_id: 5, job_state: ['FAILED'], exit_code: exit }] }))!.jobs;
    expect([j!.exitCode, j!.exitSignal]).toEqual([code, signal]);
  });
  it('a state list with flags keeps the base state', () => {
    const [j] = parseSqueueJson(JSON.stringify({ jobs: [{ job_id: 5, job_state: ['COMPLETING', 'RUNNING'] }, { job_id: 6, job_state: ['PENDING', 'REQUEUED'] }] }))!.jobs;
    expect(j!.state).toBe('RUNNING');
  });
  it('24.11 expanded paths win over the pattern', () => {
    const [j] = parseSqueueJson(JSON.stringify({ jobs: [{ job_id: 5, job_state: 'RUNNING', standard_output: '/x/%j.out', stdout_expanded: '/x/5.out' }] }))!.jobs;
    expect(j!.stdout).toBe('/x/5.out');
  });
});

describe('state mapping', () => {
  it.each([
    ['PENDING', null, 'pending', null],
    ['RUNNING', null, 'running', null],
    ['COMPLETING', null, 'running', null],
    ['COMPLETED', 0, 'finished', null],
    ['FAILED', 3, 'failed', null],
    ['OUT_OF_MEMORY', null, 'failed', 'oom'],
    ['CANCELLED', null, 'failed', 'killed'],
    ['TIMEOUT', null, 'failed', null],
    ['NODE_FAIL', null, 'failed', null],
    ['PREEMPTED', null, 'failed', null],
    ['BOOT_FAIL', null, 'failed', null],
    ['DEADLINE', null, 'failed', null],
    ['SOMETHING_NEW', null, 'unknown', null],
  ] as const)('%s (exit %s) -> %s %s', (word, exit, state, reason) => {
    expect(mapSlurmState(word, exit)).toEqual({ state, reason });
  });
});

describe('small readers', () => {
  it.each([
    ['gres/gpu:2', 2], ['gres:gpu:a100:2', 2], ['gpu:a100:2(IDX:0-1)', 2], ['gres/gpu=4', 4], ['gpu', 1],
    ['cpu=16,mem=120000M,node=1,billing=80,gres/gpu=8', 8], ['cpu=2,mem=4G,gres/gpu=1,gres/gpu:l40s=1,gres/tmpsize=1', 1],
    ['gres/gpu:l40s=2', 2], ['cpu=1,mem=2000M', null], ['', null], ['gres/gpuX=3', null], ['gres:gpu:1,gres:gpu:2', 3],
  ] as const)('gpusOf(%j) = %s', (spec, n) => expect(gpusOf(spec)).toBe(n));

  it.each([
    ['0:18', 18], ['1:00', 60], ['30:00', 1800], ['1:02:03', 3723], ['365-00:00:00', 365 * 86400], ['2-03', 2 * 86400 + 3 * 3600],
    ['5', 300], ['UNLIMITED', null], ['INVALID', null], ['N/A', null], ['', null], ['1:2:3:4', null],
  ] as const)('parseSlurmDuration(%j) = %s', (t, s) => expect(parseSlurmDuration(t)).toBe(s));

  it('times are the cluster local time', () => {
    expect(parseSlurmTime('2026-12-05T01:43:09', 0)).toBe(Date.UTC(2026, 11, 5, 1, 43, 9) / 1000);
    expect(parseSlurmTime('2026-12-05T01:43:09', 60)).toBe(Date.UTC(2026, 11, 5, 0, 43, 9) / 1000);
    expect(parseSlurmTime('N/A', 0)).toBeNull();
    expect(parseUtcOffset('+0100')).toBe(60);
    expect(parseUtcOffset('-0530')).toBe(-330);
    expect(parseUtcOffset('junk')).toBe(0);
  });

  it('numbers in every shape', () => {
    expect(slurmNumber({ set: true, infinite: false, number: 3 })).toBe(3);
    expect(slurmNumber({ set: false, number: 3 })).toBeNull();
    expect(slurmNumber({ set: true, infinite: true, number: 0 })).toBeNull();
    expect(slurmNumber('7')).toBe(7);
    expect(slurmNumber(null)).toBeNull();
    expect(decodeWaitStatus(768)).toEqual({ code: 3, signal: null });
    expect(decodeWaitStatus(9)).toEqual({ code: null, signal: 9 });
  });
});

describe('StdOut patterns, checked against the files slurmd created', () => {
  const rows = fixture('stdout-patterns.txt').trimEnd().split('\n').map((l) => l.split('\t'));
  it.each(rows)('%j (%s) -> %s', (pattern, facts, file) => {
    const f = Object.fromEntries([...facts!.matchAll(/(\w+)=((?:(?! \w+=).)*)/g)].map((m) => [m[1], m[2]]));
    const job = {
      jobId: Number(f.job), arrayJobId: f.array ? Number(f.array) : null, arrayTaskId: f.task ? Number(f.task) : null,
      arrayTasks: null, name: f.name!, user: f.user ?? 'root', batchHost: 'vm', nodes: 'vm', workDir: '/w',
    } as unknown as SlurmJob;
    expect(pattern === '' ? resolveStdout({ ...job, stdout: null }) : expandStdPattern(pattern!, job)).toBe(pattern === '' ? `/w/${file}` : file);
  });
  it('relative patterns live in the submit dir, absolute ones stay', () => {
    const job = { jobId: 9, arrayJobId: null, arrayTaskId: null, name: 'n', user: 'u', batchHost: null, nodes: 'gpu[01-04],x', workDir: '/home/u/my proj/', stdout: 'logs/%N %u.out' } as unknown as SlurmJob;
    expect(resolveStdout(job)).toBe('/home/u/my proj/logs/gpu01 u.out');
    expect(resolveStdout({ ...job, stdout: '/abs/%j.log' })).toBe('/abs/9.log');
    expect(resolveStdout({ ...job, workDir: null })).toBeNull();
    expect(firstNode('node-63')).toBe('node-63');
    expect(firstNode(null)).toBeNull();
  });
});

describe('the -o fallback and scontrol, hostile', () => {
  it('the format puts the name last', () => {
    expect(SQUEUE_FORMAT.endsWith('%j\x1fRTKE')).toBe(true);
    expect(SQUEUE_FORMAT.split('\x1f')).toHaveLength(17);
  });
  it('a name holding the separator, a newline and a record start stays one name', () => {
    const rec = (id: number, name: string) => `RTKJ${id}\x1f${id}\x1f${id}\x1fN/A\x1fRUNNING\x1fNone\x1fn1\x1f1:00\x1f10:00\x1f2026-12-05T01:00:00\x1f2026-12-05T01:00:01\x1fgres:gpu:1\x1fp\x1fu\x1f/w d\x1f${name}\x1fRTKE\n`;
    const jobs = parseSqueueFormat(rec(1, 'a\x1fb\nc') + rec(2, '-x \x1b[31mred') + 'garbage line\n', 0);
    expect(jobs.map((j) => [j.id, j.name])).toEqual([['1', 'a\x1fb\nc'], ['2', '-x \x1b[31mred']]);
    expect(jobs[0]).toMatchObject({ elapsedSeconds: 60, timeLimitSeconds: 600, gpus: 1, workDir: '/w d' });
  });
  it('scontrol: values with spaces and unknown keys', () => {
    const f = splitScontrolRecord(`JobId=5 JobName=my job Foo=bar 'q' UserId=me(1) JobState=RUNNING Reason=None NewKey=1 2 WorkDir=/a b StdOut=/a b/Out=x.log Power=`);
    expect(f).toMatchObject({ JobId: '5', JobName: "my job Foo=bar 'q'", UserId: 'me(1)', JobState: 'RUNNING', NewKey: '1 2', WorkDir: '/a b', StdOut: '/a b/Out=x.log', Power: '' });
    const [j] = parseScontrolJobs(`JobId=5 JobName=-n x UserId=me(1) JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0 RunTime=00:01:02 TimeLimit=UNLIMITED StdOut=/o\n`);
    expect(j).toMatchObject({ id: '5', name: '-n x', user: 'me', exitCode: 3, elapsedSeconds: 62, timeLimitSeconds: null, stdout: '/o' });
  });
  it('never throw, whatever they are given', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        parseSqueueJson(s);
        parseSqueueFormat(s);
        parseScontrolJobs(s);
        parseSlurmDuration(s);
        gpusOf(s);
      }),
    );
    for (const bad of ['', '{', '{"jobs": "x"}', '{"jobs": [null, 1, "x", {"job_id": -1}, {"job_id": "abc"}, {}]}', 'squeue: unrecognized option --json']) {
      const doc = parseSqueueJson(bad);
      expect(doc === null || doc.jobs.length === 0).toBe(true);
    }
    // a login banner before the JSON is skipped
    expect(parseSqueueJson('Welcome!\n{"jobs": [{"job_id": 4, "job_state": "RUNNING"}]}')!.jobs[0]!.id).toBe('4');
  });
});

describe('squeue --start agrees with the JSON start estimate', () => {
  it('for every pending job that has one', () => {
    const json = byId(parseSqueueJson(fixture('squeue-json.txt'))!.jobs);
    const rows = fixture('squeue-start.txt').trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    let checked = 0;
    // counted from the right: a name may hold blanks
    for (const cols of rows) {
      const [id, st, start] = [cols[0]!, cols[cols.length - 5], cols[cols.length - 4]];
      expect(st).toBe('PD');
      const est = parseSlurmTime(start, 0);
      expect(json.get(id)!.startTime).toBe(est);
      if (est !== null) checked++;
    }
    expect(checked).toBe(3);
  });
});

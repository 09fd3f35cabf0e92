// Events of Slurm jobs: the reasons Slurm's state words name (timeout, oom, preempted, node-fail,
// killed for CANCELLED) with their hints, and a queued job that is started only once it runs.
import { describe, expect, it } from 'vitest';
import type { Run, SlurmRunInfo } from '../../../src/domain/types.js';
import { failReason, type Observation } from '../../../src/events/derive.js';
import { slurmFailure } from '../../../src/events/slurm-reasons.js';
import type { RtkEvent } from '../../../src/events/types.js';
import { mkRun } from '../../ui/fixture-store.js';
import { Feed } from './feed.js';


const runs = (...rs: Run[]): Observation => ({ type: 'runs', host: 'cl', runs: rs });
const info = (extra: Partial<SlurmRunInfo>): SlurmRunInfo => ({
  state: 'RUNNING', reason: null, name: 'train', partition: 'gpu', nodes: 'gpu-017', gpus: 8, timeLimitSeconds: 4 * 3600, elapsedSeconds: 60, startAt: null, exitSignal: null, ...extra,
});
const job = (id: string, state: Run['state'], slurm: Partial<SlurmRunInfo>, extra: Partial<Run> = {}): Run =>
  mkRun('cl', id, { state, log: `/home/u/slurm-${id}.out`, slurm: info(slurm), ...extra });

/** A job seen running, then ended in `word`: the one run.failed it gives. */
function endedIn(word: string, extra: Partial<Run> = {}, slurm: Partial<SlurmRunInfo> = {}): RtkEvent {
  const f = new Feed();
  f.at(0, runs(job('77', 'running', {})));
  const ev = f.at(5000, runs(job('77', 'failed', { state: word, ...slurm }, { exitStatus: 0, ...extra })));
  expect(ev.map((e) => e.kind)).toEqual(['run.failed']);
  return ev[0]!;
}

describe('Slurm failure reasons', () => {
  it('TIMEOUT is timeout, with its limit, the step and the requeue hint', () => {
    const e = endedIn('TIMEOUT', { progress: { step: 5000, total: 9000, percent: 55, etaSeconds: null } });
    expect(e).toMatchObject({ reason: 'timeout', state: 'failed', details: { slurmState: 'TIMEOUT', nodes: 'gpu-017', step: 5000 } });
    expect(e.message).toBe('cl:77 hit its time limit of 4 h (TIMEOUT) at step 5000/9000');
    expect(e.hint).toContain('--time');
    expect(e.hint).toContain('--signal=B:USR1@300');
    expect(e.hint).toContain('--requeue');
  });

  it('a traceback in the log of a job killed at its limit does not hide the timeout', () => {
    const tb = { kind: 'traceback' as const, message: 'Traceback (most recent call last):' };
    const e = endedIn('TIMEOUT', { reason: 'traceback', alerts: [tb] });
    expect(e.reason).toBe('timeout');
  });

  it('OUT_OF_MEMORY is oom with the --mem hint (host memory, not the CUDA batch-size one)', () => {
    const e = endedIn('OUT_OF_MEMORY', { reason: 'oom' });
    expect(e.reason).toBe('oom');
    expect(e.hint).toContain('--mem-per-gpu');
    expect(e.hint).not.toContain('per_device_train_batch_size');
  });

  it('PREEMPTED is preempted: requeue and resume from the newest checkpoint', () => {
    const e = endedIn('PREEMPTED');
    expect(e.reason).toBe('preempted');
    expect(e.hint).toMatch(/--requeue.*newest checkpoint/);
  });

  it('NODE_FAIL is node-fail, naming the node to exclude', () => {
    const e = endedIn('NODE_FAIL');
    expect(e.reason).toBe('node-fail');
    expect(e.message).toBe('cl:77 lost its node gpu-017 (NODE_FAIL)');
    expect(e.hint).toContain('sbatch -x gpu-017');
  });

  it('CANCELLED is killed (section 9) with the scancel hint naming the job; a queued job cancelled never started', () => {
    const e = endedIn('CANCELLED', { reason: 'killed', exitStatus: null }, { exitSignal: 15 });
    expect(e.reason).toBe('killed');
    expect(e.hint).toContain('sacct -j 77');
    expect(e.details).toMatchObject({ exitSignal: 15 });
    const f = new Feed();
    f.at(0, runs(job('78', 'pending', { state: 'PENDING', reason: 'Resources' })));
    const [c] = f.at(5000, runs(job('78', 'failed', { state: 'CANCELLED' }, { reason: 'killed' })));
    expect(c!.message).toBe('cl:78 was cancelled (CANCELLED) before it started');
  });

  it('a plain FAILED keeps the reasons of the log and exit status; tmux runs are untouched', () => {
    expect(failReason(job('1', 'failed', { state: 'FAILED' }, { reason: 'nccl-timeout' }))).toBe('nccl-timeout');
    expect(failReason(job('1', 'failed', { state: 'FAILED' }, { exitStatus: 2 }))).toBe('exit-2');
    expect(failReason(mkRun('a', 't', { state: 'failed', exitStatus: 137 }))).toBe('killed');
    expect(slurmFailure(mkRun('a', 't'))).toBeNull();
    expect(slurmFailure(job('1', 'failed', { state: 'garbage\u001b[2J' }))).toBeNull();
  });
});

describe('a queued job', () => {
  it('is not started while it waits; started once it runs, though its time moves from submit to start', () => {
    const f = new Feed();
    f.at(0, runs(job('90', 'running', {})));
    // submitted after the first look: new, but pending
    f.at(5000, runs(job('90', 'running', {}), job('91', 'pending', { state: 'PENDING', reason: 'Priority' }, { createdAt: '2026-11-23T10:00:00Z' })));
    f.at(10_000, runs(job('90', 'running', {}), job('91', 'pending', { state: 'PENDING', reason: 'Resources' }, { createdAt: '2026-11-23T10:00:00Z' })));
    expect(f.events).toEqual([]);
    const [s] = f.at(15_000, runs(job('90', 'running', {}), job('91', 'running', {}, { createdAt: '2026-11-23T10:07:00Z' })));
    expect(s).toMatchObject({ kind: 'run.started', run: 'cl:91', message: 'cl:91 started on gpu-017' });
    f.at(20_000, runs(job('90', 'running', {}), job('91', 'running', {}, { createdAt: '2026-11-23T10:07:00Z' })));
    expect(f.kinds()).toEqual(['run.started cl:91']);
  });

  it('a job pending when rtk-tui first looked is started when it runs; a requeued one starts again', () => {
    const f = new Feed();
    f.at(0, runs(job('92', 'pending', { state: 'PENDING' })));
    f.at(5000, runs(job('92', 'running', {}, { createdAt: '2026-11-23T11:00:00Z' })));
    f.at(10_000, runs(job('92', 'failed', { state: 'PREEMPTED' }, { createdAt: '2026-11-23T11:00:00Z' })));
    f.at(15_000, runs(job('92', 'pending', { state: 'PENDING', reason: 'BeginTime' }, { createdAt: '2026-11-23T11:00:00Z' })));
    f.at(20_000, runs(job('92', 'running', {}, { createdAt: '2026-11-23T11:30:00Z' })));
    expect(f.kinds()).toEqual(['run.started cl:92', 'run.failed cl:92', 'run.started cl:92']);
    expect(f.events[2]!.message).toBe('cl:92 started again');
  });

  it('a running job that leaves squeue unseen ending is reported with the sacct hint, not tmux words', () => {
    const f = new Feed();
    f.at(0, runs(job('93', 'running', {})));
    const [e] = f.at(5000, runs());
    expect(e).toMatchObject({ kind: 'run.failed', run: 'cl:93', reason: 'killed' });
    expect(e!.message).not.toContain('tmux');
    expect(e!.hint).toContain('sacct -j 93');
  });
});

// The events engine: each change once, nothing re-fired from a restored memory, stalls judged
// against the run's own rhythm, GPU idleness held for a while, disks projected, hosts lost and back.
import { describe, expect, it } from 'vitest';
import type { CheckpointListing, GpuHostReport, HostConnState, Run } from '../../../src/domain/types.js';
import { derive, type EventMemory, type Observation } from '../../../src/events/derive.js';
import { projectDisk } from '../../../src/events/disk.js';
import { hintFor, quietestRank } from '../../../src/events/hints.js';
import { mkRun, T0 } from '../../ui/fixture-store.js';
import { Feed } from './feed.js';


const runs = (host: string, ...rs: Run[]): Observation => ({ type: 'runs', host, runs: rs });
const up = (name: string): Observation => ({ type: 'host', state: { name, phase: 'connected', status: 'connected', error: null, latencyMs: 1, lastOkAt: T0 } });
const down = (name: string, error = 'connection reset'): Observation => ({
  type: 'host',
  state: { name, phase: 'reconnecting', status: 'unreachable', error, latencyMs: null, lastOkAt: T0 } satisfies HostConnState,
});

describe('derive', () => {
  it('takes the first poll of a host as it is (no event), then reports what changes, once', () => {
    const f = new Feed();
    expect(f.at(0, runs('a', mkRun('a', 'old', { state: 'failed', reason: 'oom' }), mkRun('a', 'train')))).toEqual([]);
    f.at(5_000, runs('a', mkRun('a', 'old', { state: 'failed', reason: 'oom' }), mkRun('a', 'train'), mkRun('a', 'new')));
    f.at(10_000, runs('a', mkRun('a', 'old', { state: 'failed', reason: 'oom' }), mkRun('a', 'train', { state: 'finished', exitStatus: 0 }), mkRun('a', 'new')));
    f.at(15_000, runs('a', mkRun('a', 'old', { state: 'failed', reason: 'oom' }), mkRun('a', 'train', { state: 'finished', exitStatus: 0 }), mkRun('a', 'new')));
    expect(f.kinds()).toEqual(['run.started a:new', 'run.finished a:train']);
  });

  it('a failure carries its reason, the alert as message and the hint, with what else holds that GPU for an OOM', () => {
    const f = new Feed();
    f.at(0, runs('a', mkRun('a', 't')));
    const gpus: GpuHostReport = {
      name: 'a', status: 'ok', error: null, driver: null,
      gpus: [{ index: 3, name: null, uuid: null, utilizationPercent: 90, memoryUsedMiB: 70000, memoryTotalMiB: 81920, temperatureC: null, powerW: null, powerLimitW: null,
        processes: [{ pid: 10, name: 'python', usedMemoryMiB: 40000, run: 'a:t' }, { pid: 99, name: 'python', usedMemoryMiB: 30720, run: 'a:other' }] }],
    };
    f.at(1000, { type: 'gpus', report: gpus });
    const oom = { kind: 'oom' as const, message: 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB' };
    const [e] = f.at(5000, runs('a', mkRun('a', 't', { state: 'failed', reason: 'oom', exitStatus: 1, alerts: [oom], progress: { step: 1310, total: 8000, percent: 16, etaSeconds: null } })));
    expect(e).toMatchObject({ kind: 'run.failed', run: 'a:t', host: 'a', state: 'failed', reason: 'oom', details: { step: 1310, total: 8000, exitStatus: 1, gpus: [3] } });
    expect(e!.message).toBe('a:t failed at step 1310/8000: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB');
    expect(e!.hint).toContain('PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True');
    expect(e!.hint).toContain('pid 99 (a:other) 30 GiB on GPU 3');
    expect(e!.time).toBe('2026-11-23T12:00:05Z');
  });

  it('names the reason from the exit status when the log has none: killed for 137, exit-N otherwise', () => {
    const f = new Feed();
    f.at(0, runs('a', mkRun('a', 'x'), mkRun('a', 'y')));
    f.at(5000, runs('a', mkRun('a', 'x', { state: 'failed', exitStatus: 137 }), mkRun('a', 'y', { state: 'failed', exitStatus: 2 })));
    expect(f.events.map((e) => [e.run, e.reason])).toEqual([['a:x', 'killed'], ['a:y', 'exit-2']]);
    expect(f.events[1]!.message).toBe('a:y failed with exit status 2');
  });

  it('a run judged finished and then failed (its status came late) is reported failed too, once', () => {
    const f = new Feed();
    f.at(0, runs('a', mkRun('a', 'x')));
    f.at(5000, runs('a', mkRun('a', 'x', { state: 'finished' })));
    f.at(10000, runs('a', mkRun('a', 'x', { state: 'failed', exitStatus: 4 })));
    f.at(15000, runs('a', mkRun('a', 'x', { state: 'failed', exitStatus: 4 })));
    expect(f.events.map((e) => [e.kind, e.reason])).toEqual([['run.finished', null], ['run.failed', 'exit-4']]);
  });

  it('a session that vanishes while running is reported once as killed', () => {
    const f = new Feed();
    f.at(0, runs('a', mkRun('a', 'x')));
    f.at(5000, runs('a'));
    f.at(10000, runs('a'));
    expect(f.events.map((e) => [e.kind, e.reason])).toEqual([['run.failed', 'killed']]);
  });

  it('a session re-created under the same name is a new run', () => {
    const f = new Feed();
    f.at(0, runs('a', mkRun('a', 'x', { state: 'finished', exitStatus: 0 })));
    f.at(5000, runs('a', mkRun('a', 'x', { createdAt: '2026-11-23T11:59:59Z' })));
    expect(f.kinds()).toEqual(['run.started a:x']);
  });

  it('stalled after stallAfter, resumed when it writes again; never again while it stays quiet', () => {
    const f = new Feed();
    f.at(0, runs('a', mkRun('a', 't', { lastOutputSecondsAgo: 0 })));
    for (let t = 5; t <= 60; t += 5) f.at(t * 1000, runs('a', mkRun('a', 't', { lastOutputSecondsAgo: t })));
    expect(f.kinds()).toEqual([]);
    f.at(65_000, runs('a', mkRun('a', 't', { state: 'stalled', reason: 'stalled', lastOutputSecondsAgo: 65 })));
    f.at(70_000, runs('a', mkRun('a', 't', { state: 'stalled', reason: 'stalled', lastOutputSecondsAgo: 70 })));
    f.at(75_000, runs('a', mkRun('a', 't', { lastOutputSecondsAgo: 1 })));
    expect(f.kinds()).toEqual(['run.stalled a:t', 'run.resumed a:t']);
    expect(f.events[0]!.message).toBe('a:t stalled: no output for 65 s');
    expect(f.events[1]!.message).toBe('a:t writes again after 74 s of silence');
  });

  it('a quiet run does not flap stalled/resumed with the poll’s latency: the host’s write time decides', () => {
    const f = new Feed();
    const at = '2026-11-23T11:59:00Z';
    f.at(0, runs('a', mkRun('a', 't', { lastOutputAt: at, lastOutputSecondsAgo: 60 })));
    // polls land late or early; the remote age wobbles by a second either way; the mtime stays
    const wobble = [0, 1, -1, 2, 0, 1, -1, 0];
    for (let k = 1; k <= 40; k++) f.at(k * 5000 + wobble[k % 8]! * 700, runs('a', mkRun('a', 't', { lastOutputAt: at, lastOutputSecondsAgo: 60 + k * 5 + wobble[(k + 3) % 8]! })));
    expect(f.kinds()).toEqual(['run.stalled a:t']);
    f.at(205_000, runs('a', mkRun('a', 't', { lastOutputAt: '2026-11-23T12:03:24Z', lastOutputSecondsAgo: 1 })));
    expect(f.kinds()).toEqual(['run.stalled a:t', 'run.resumed a:t']);
    expect(f.events[1]!.message).toBe('a:t writes again after 4 min of silence');
  });

  it('a run that usually writes every 10 minutes is not stalled after 2 minutes past stallAfter, once its rhythm is known', () => {
    const f = new Feed();
    const min = 60_000;
    // writes every 10 min; polled every minute. The first three gaps teach the rhythm (until then
    // stallAfter alone decides, and does report them)
    f.at(0, runs('a', mkRun('a', 't', { lastOutputSecondsAgo: 0 })));
    for (let t = 1; t <= 30; t++) f.at(t * min, runs('a', mkRun('a', 't', { lastOutputSecondsAgo: (t % 10) * 60 })));
    expect(f.kinds()).toEqual(['run.stalled a:t', 'run.resumed a:t', 'run.stalled a:t', 'run.resumed a:t', 'run.stalled a:t', 'run.resumed a:t']);
    f.events = [];
    for (let t = 31; t <= 45; t++) f.at(t * min, runs('a', mkRun('a', 't', { lastOutputSecondsAgo: (t % 10) * 60 })));
    expect(f.kinds()).toEqual([]);
    // now quiet for 35 minutes: 3.5x its usual gap
    for (let t = 46; t <= 85; t++) f.at(t * min, runs('a', mkRun('a', 't', { lastOutputSecondsAgo: (t - 40) * 60 })));
    expect(f.kinds()).toEqual(['run.stalled a:t']);
    expect(f.events[0]!.message).toBe('a:t stalled: no output for 31 min (it usually writes every 10 min)');
  });

  it('a NaN loss while the run goes on is reported once; again only after a finite loss in between', () => {
    const f = new Feed();
    const nan = { kind: 'nan-loss' as const, message: 'step 425: loss nan' };
    f.at(0, runs('a', mkRun('a', 't')));
    f.at(5000, runs('a', mkRun('a', 't', { alerts: [nan] })));
    f.at(10000, runs('a', mkRun('a', 't', { alerts: [nan] })));
    f.at(15000, runs('a', mkRun('a', 't')));
    f.at(20000, runs('a', mkRun('a', 't', { alerts: [nan] })));
    expect(f.kinds()).toEqual(['run.nan a:t', 'run.nan a:t']);
    expect(f.events[0]).toMatchObject({ message: 'a:t: step 425: loss nan', reason: 'nan-loss' });
    expect(f.events[0]!.hint).toMatch(/learning rate/);
  });

  it('gpu.idle: the run’s GPUs near 0 % for gpuIdleAfter while its processes hold memory; re-armed by work', () => {
    const f = new Feed();
    f.at(0, runs('a', mkRun('a', 't'), mkRun('a', 'u')));
    const rep = (util: number, held = 70000): Observation => ({
      type: 'gpus',
      report: {
        name: 'a', status: 'ok', error: null, driver: null,
        gpus: [
          { index: 0, name: null, uuid: null, utilizationPercent: util, memoryUsedMiB: held, memoryTotalMiB: 81920, temperatureC: null, powerW: null, powerLimitW: null, processes: [{ pid: 1, name: 'python', usedMemoryMiB: held, run: 'a:t' }] },
          // another run's GPU, busy: not this run's business
          { index: 1, name: null, uuid: null, utilizationPercent: 99, memoryUsedMiB: 100, memoryTotalMiB: 81920, temperatureC: null, powerW: null, powerLimitW: null, processes: [{ pid: 2, name: 'python', usedMemoryMiB: 100, run: 'a:u' }] },
        ],
      },
    });
    for (let t = 0; t <= 29; t += 2) f.at(1000 + t * 1000, rep(0));
    expect(f.kinds()).toEqual([]);
    f.at(31_000, rep(1));
    f.at(33_000, rep(0));
    expect(f.kinds()).toEqual(['gpu.idle a:t']);
    expect(f.events[0]!.message).toBe('a:t: GPU 0 at 1 % for 30 s while holding 68.4 GiB');
    f.at(35_000, rep(80));
    for (let t = 37; t <= 80; t += 2) f.at(t * 1000, rep(0));
    expect(f.kinds()).toEqual(['gpu.idle a:t', 'gpu.idle a:t']);
    // no memory held: a run between phases, not hung
    const g = new Feed();
    g.at(0, runs('a', mkRun('a', 't')));
    for (let t = 1; t <= 60; t += 2) g.at(t * 1000, rep(0, 0));
    expect(g.kinds()).toEqual([]);
  });

  it('run.checkpoint when a new newest appears; disk.low once when the rest of the run will not fit', () => {
    const f = new Feed();
    const GiB = 1024 ** 3;
    const ck = (step: number, min: number) => ({ name: `checkpoint-${step}`, path: `/c/checkpoint-${step}`, step, sizeBytes: 10 * GiB, modifiedAt: new Date(T0 + min * 60_000).toISOString(), formats: [] as [] });
    const listing = (free: number, ...cs: ReturnType<typeof ck>[]): Observation => ({ type: 'checkpoints', listing: { run: 'a:t', dir: '/c', diskFreeBytes: free, checkpoints: cs } satisfies CheckpointListing });
    const progress = { step: 3100, total: 10000, percent: 31, etaSeconds: 3600 };
    f.at(0, runs('a', mkRun('a', 't', { progress })));
    f.at(1000, listing(200 * GiB, ck(1000, -60), ck(2000, -30), ck(3000, 0)));
    expect(f.kinds()).toEqual([]);
    // 7 more checkpoints of 10 GiB to step 10000; 65 GiB free
    f.at(2000, listing(55 * GiB, ck(1000, -60), ck(2000, -30), ck(3000, 0), ck(4000, 30)));
    f.at(3000, listing(50 * GiB, ck(1000, -60), ck(2000, -30), ck(3000, 0), ck(4000, 30)));
    expect(f.kinds()).toEqual(['run.checkpoint a:t', 'disk.low a:t']);
    expect(f.events[0]!.message).toBe('a:t saved checkpoint-4000 (10.0 GiB)');
    expect(f.events[1]!.message).toBe("a:t: the checkpoints' disk fills in ~3 h, before the run ends: 6 more checkpoints of 10.0 GiB need 60.0 GiB, 55.0 GiB free");
    expect(f.events[1]!.details).toMatchObject({ freeBytes: 55 * GiB, needBytes: 60 * GiB, more: 6, cadenceSeconds: 1800 });
  });

  it('host.lost after the grace, once, kept across a restart; host.back when it answers', () => {
    const f = new Feed();
    f.at(0, up('a'));
    f.at(1000, down('a', 'connection reset by peer'));
    f.at(2000, { type: 'tick' });
    expect(f.kinds()).toEqual([]);
    f.at(6000, { type: 'tick' });
    f.at(7000, { type: 'tick' });
    expect(f.kinds()).toEqual(['host.lost a']);
    expect(f.events[0]!.message).toBe('a stopped answering: connection reset by peer');
    // a restart: the memory as the state file keeps it
    const g = new Feed();
    g.memory = JSON.parse(JSON.stringify(f.memory)) as EventMemory;
    g.at(8000, down('a'));
    g.at(20000, { type: 'tick' });
    g.at(30000, up('a'));
    expect(g.kinds()).toEqual(['host.back a']);
    expect(g.events[0]!.message).toBe('a answers again after 24 s');
    // a blip shorter than the grace is nothing
    const h = new Feed();
    h.at(0, up('b'));
    h.at(1000, down('b'));
    h.at(3000, up('b'));
    h.at(10000, { type: 'tick' });
    // a host never reached is not "lost"
    h.at(10000, down('never'));
    h.at(60000, { type: 'tick' });
    expect(h.kinds()).toEqual([]);
  });

  it('nothing reported before a restart is reported again', () => {
    const f = new Feed();
    f.at(0, runs('a', mkRun('a', 'x'), mkRun('a', 'y')));
    f.at(5000, runs('a', mkRun('a', 'x', { state: 'finished', exitStatus: 0 }), mkRun('a', 'y', { alerts: [{ kind: 'nan-loss', message: 'loss nan' }] })));
    expect(f.kinds()).toEqual(['run.finished a:x', 'run.nan a:y']);
    const g = new Feed();
    g.memory = JSON.parse(JSON.stringify(f.memory)) as EventMemory;
    g.at(60_000, runs('a', mkRun('a', 'x', { state: 'finished', exitStatus: 0 }), mkRun('a', 'y', { alerts: [{ kind: 'nan-loss', message: 'loss nan' }] })));
    expect(g.kinds()).toEqual([]);
  });
});

describe('hints and projections', () => {
  it('has a hint for every failure reason and alert kind', () => {
    for (const k of ['oom', 'nccl-timeout', 'nan-loss', 'traceback', 'disk-full', 'killed', 'stalled', 'exit-3', 'gpu.idle', 'disk.low', 'timeout', 'preempted', 'node-fail', 'slurm-oom', 'cancelled', 'slurm-gone']) expect(hintFor(k), k).toMatch(/\w{4}/);
    expect(hintFor('nccl-timeout', { quietRank: 5 })).toMatch(/rank 5 stopped logging first$/);
    expect(hintFor(null)).toBeNull();
  });

  it('finds the rank that went quiet first', () => {
    const tail = ['[rank0]: step 10', '[rank1]: step 10', '[rank2]: step 10', '[rank0]: step 11', '[rank2]: step 11', '[rank0]: Watchdog caught collective operation timeout'].join('\n');
    expect(quietestRank(tail)).toBe(1);
    expect(quietestRank('step 1\nstep 2')).toBeNull();
  });

  it('projects to the horizon when the total is unknown, and a rotating trainer needs one checkpoint of room', () => {
    const GiB = 1024 ** 3;
    const cs = [0, 1, 2].map((h) => ({ name: `c${h}`, path: `/c/c${h}`, step: null, sizeBytes: 5 * GiB, modifiedAt: new Date(T0 + h * 3600_000).toISOString(), formats: [] }));
    const l = { run: 'a:t', dir: '/c', diskFreeBytes: 20 * GiB, checkpoints: cs };
    expect(projectDisk(l, null)).toMatchObject({ more: 6, needBytes: 30 * GiB, low: true, until: 'horizon', cadenceSeconds: 3600, fullInSeconds: 5 * 3600 });
    expect(projectDisk(l, null, true)).toMatchObject({ needBytes: 5 * GiB, low: false });
    expect(projectDisk({ ...l, diskFreeBytes: null }, null)).toBeNull();
  });
});

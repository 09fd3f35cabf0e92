// The pure group merge (src/parse/groups.ts): one run per group, worst state, every part's alerts.
import { describe, expect, it } from 'vitest';
import type { Run, RunGroup } from '../../../src/domain/types.js';
import { groupRuns, mergeGroup, worstState } from '../../../src/parse/groups.js';

const run = (id: string, over: Partial<Run> = {}): Run => {
  const [host, session] = id.split(':') as [string, string];
  return {
    id, host, session, state: 'running', reason: null, alerts: [], progress: null, metrics: {}, log: null, logStart: null,
    checkpoints: null, lastOutputSecondsAgo: 3, attachedClients: 0, createdAt: null, ...over,
  };
};

const LLAMA: RunGroup = { name: 'llama', parts: [{ host: 'node1', session: 'train' }, { host: 'node2', session: 'train' }] };
const all = (): boolean => true;
const byId = (...rs: Run[]) => new Map(rs.map((r) => [r.id, r]));

describe('worstState', () => {
  it('orders failed > stalled > unknown > running > finished', () => {
    expect(worstState(['finished', 'running'])).toBe('running');
    expect(worstState(['running', 'unknown', 'finished'])).toBe('unknown');
    expect(worstState(['unknown', 'stalled', 'running'])).toBe('stalled');
    expect(worstState(['stalled', 'failed', 'finished'])).toBe('failed');
    expect(worstState(['finished', 'finished'])).toBe('finished');
    expect(worstState([])).toBe('unknown');
  });
});

describe('mergeGroup', () => {
  it("is rank 0's run (log, progress, metrics, attach target) under the group's id, with its parts", () => {
    const p = { step: 100, total: 1000, percent: 10, etaSeconds: 60 };
    const m = mergeGroup(
      LLAMA,
      byId(
        run('node1:train', { progress: p, metrics: { loss: 1.5 }, log: '/r0.log', checkpoints: '/ck', attachedClients: 1 }),
        run('node2:train', { progress: { ...p, step: 90 }, metrics: { loss: 9 }, log: '/r1.log', attachedClients: 2 }),
      ),
      all,
    )!;
    expect(m).toMatchObject({ id: 'llama', host: 'node1', session: 'train', state: 'running', progress: p, metrics: { loss: 1.5 }, log: '/r0.log', checkpoints: '/ck', attachedClients: 3 });
    expect(m.parts).toEqual([
      { id: 'node1:train', host: 'node1', session: 'train', state: 'running', status: 'ok' },
      { id: 'node2:train', host: 'node2', session: 'train', state: 'running', status: 'ok' },
    ]);
  });

  it('takes the worst state, its reason from the part that has it, and every part\'s alerts naming the host', () => {
    const m = mergeGroup(
      LLAMA,
      byId(
        run('node1:train', { state: 'stalled', reason: 'stalled', alerts: [{ kind: 'stalled', message: 'no output for 12m' }] }),
        run('node2:train', { state: 'failed', reason: 'oom', alerts: [{ kind: 'oom', message: 'CUDA out of memory', hint: 'smaller batch' }] }),
      ),
      all,
    )!;
    expect(m.state).toBe('failed');
    expect(m.reason).toBe('oom');
    expect(m.alerts).toEqual([
      { kind: 'stalled', message: 'node1: no output for 12m' },
      { kind: 'oom', message: 'node2: CUDA out of memory', hint: 'smaller batch' },
    ]);
  });

  it('a finished rank next to a running one is running; all finished is finished', () => {
    expect(mergeGroup(LLAMA, byId(run('node1:train', { state: 'finished' }), run('node2:train')), all)!.state).toBe('running');
    expect(mergeGroup(LLAMA, byId(run('node1:train', { state: 'finished' }), run('node2:train', { state: 'finished' })), all)!.state).toBe('finished');
  });

  it('a missing part makes the group unknown, marked missing', () => {
    const m = mergeGroup(LLAMA, byId(run('node1:train')), all)!;
    expect(m.state).toBe('unknown');
    expect(m.parts?.[1]).toMatchObject({ id: 'node2:train', status: 'missing', state: 'unknown' });
  });

  it('a part whose host is unreachable keeps the group listed, at least unknown, without its old alerts', () => {
    const down = (h: string) => h !== 'node2';
    const m = mergeGroup(LLAMA, byId(run('node1:train'), run('node2:train', { alerts: [{ kind: 'nan-loss', message: 'old' }] })), down)!;
    expect(m.state).toBe('unknown');
    expect(m.parts?.[1]).toMatchObject({ status: 'unreachable', state: 'unknown' });
    expect(m.alerts).toEqual([]);
    // failed stays failed: worse than unknown
    expect(mergeGroup(LLAMA, byId(run('node1:train', { state: 'failed' })), down)!.state).toBe('failed');
    // rank 0 down and nothing known of it: still listed, on rank 0's host
    const both = mergeGroup(LLAMA, new Map(), () => false)!;
    expect(both).toMatchObject({ id: 'llama', host: 'node1', state: 'unknown', log: null, progress: null });
  });

  it('is null when every host answered and no part is there (the job is gone)', () => {
    expect(mergeGroup(LLAMA, new Map(), all)).toBeNull();
  });
});

describe('groupRuns', () => {
  it('lists the group once, where its first listed part was, and never its parts', () => {
    const runs = [run('node1:other'), run('node1:train'), run('node2:a'), run('node2:train')];
    const out = groupRuns(runs, [LLAMA], all);
    expect(out.map((r) => r.id)).toEqual(['node1:other', 'llama', 'node2:a']);
  });

  it('puts a group with no part listed but a host down last, and leaves runs alone without groups', () => {
    const runs = [run('node1:x')];
    expect(groupRuns(runs, [LLAMA], (h) => h === 'node1').map((r) => r.id)).toEqual(['node1:x', 'llama']);
    expect(groupRuns(runs, [LLAMA], all).map((r) => r.id)).toEqual(['node1:x']);
    expect(groupRuns(runs, [], all)).toEqual(runs);
  });
});

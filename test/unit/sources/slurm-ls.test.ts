import { describe, expect, it } from 'vitest';
import { renderRuns } from '../../../src/commands/ls.js';
import type { Run } from '../../../src/domain/types.js';

const job = (over: Partial<Run>, slurm: Partial<NonNullable<Run['slurm']>>): Run => ({
  id: 'cl:7', host: 'cl', session: '7', state: 'pending', reason: null, alerts: [], progress: null, metrics: {}, log: null, logStart: null,
  checkpoints: null, lastOutputSecondsAgo: null, attachedClients: 0, createdAt: null, ...over,
  slurm: { state: 'PENDING', reason: 'Resources', name: 'n', partition: null, nodes: null, gpus: null, timeLimitSeconds: null, elapsedSeconds: null, startAt: null, exitSignal: null, ...slurm },
});

describe('ls table of a Slurm host', () => {
  it("shows Slurm's word and reason for a job that waits or ended badly, not for running or completed ones", () => {
    const out = renderRuns(
      {
        hosts: [{ name: 'cl', status: 'connected', error: null }],
        runs: [
          job({}, {}),
          job({ id: 'cl:8', state: 'failed' }, { state: 'TIMEOUT', reason: 'TimeLimit' }),
          job({ id: 'cl:9', state: 'running' }, { state: 'RUNNING', reason: null }),
          job({ id: 'cl:10', state: 'pending' }, { state: 'PENDING', reason: '\x1b[2Jx' }),
        ],
      },
      { color: false, width: 0 },
    ).split('\n');
    expect(out[1]).toMatch(/^cl:7 n +PENDING .*slurm PENDING \(Resources\)$/);
    expect(out[2]).toMatch(/^cl:8 n +FAILED .*slurm TIMEOUT \(TimeLimit\)$/);
    expect(out[3]).toMatch(/^cl:9 n +RUNNING +- +- +-$/);
    expect(out[4]).not.toContain('\x1b');
  });
});

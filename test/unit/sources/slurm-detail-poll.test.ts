// The poll's GPU detail and checkpoint comment, without a Slurm: the script's sections as a --json
// listing prints them, read into runs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScontrolJobs } from '../../../src/parse/slurm-scontrol.js';
import { buildSlurmScript, snapshotOfJobs, splitSlurmOutput } from '../../../src/sources/slurm.js';
import { parseJobGpus } from '../../../src/parse/slurm-detail.js';

const DETAIL = readFileSync(new URL('../../fixtures/slurm/scontrol-show-job-detail.txt', import.meta.url), 'utf8').split('\n').slice(1).join('\n');
const spec = { name: 'cl', ssh: 'cl', scheduler: 'slurm' as const };
const cfg = { stallAfterMs: 600_000, runs: [] };

describe('the Slurm poll: GPUs of running jobs, checkpoints from the comment', () => {
  it('the --json listing asks scontrol -d for the running jobs; the -o listing asks it in its own scontrol pass', () => {
    expect(buildSlurmScript('n', [], undefined, 'json')).toMatch(/@@%s detail[\s\S]*squeue -t running[\s\S]*scontrol show job -d -o "\$id"/);
    const text = buildSlurmScript('n', [], undefined, 'text');
    expect(text.match(/scontrol show job -d -o/g)).toHaveLength(2);
  });
  it('a running job gets its GPUs per node and the checkpoints its comment names; a config entry wins', () => {
    const out = Buffer.from(`@@n now 1796436200 /root\n@@n tz +0000\n@@n user root\n@@n format\n@@n rc 1\n@@n scontrol\n${DETAIL}\n@@n rc 0\n`);
    const s = splitSlurmOutput(out, 'n');
    const jobs = parseScontrolJobs(s.scontrol!.text);
    expect(jobs).toHaveLength(3);
    const snap = snapshotOfJobs(jobs, spec, cfg, 1796436200, new Map(), parseJobGpus(s.scontrol!.text));
    const byId = new Map(snap.runs.map((r) => [r.session, r]));
    expect(byId.get('1')?.slurm?.gpuIndices).toEqual([{ node: 'localhost', indices: [0] }]);
    expect(byId.get('1')?.checkpoints).toBe('/tmp/sg/ck');
    expect(byId.get('2')?.slurm?.gpuIndices).toEqual([{ node: 'localhost', indices: [1] }]);
    expect(byId.get('3')?.slurm?.gpuIndices).toEqual([]);
    expect(byId.get('3')?.checkpoints).toBeNull();
    const withCfg = snapshotOfJobs(jobs, spec, { ...cfg, runs: [{ run: 'cl:1', checkpoints: '/cfg/ck' }] } as never, 1796436200, new Map());
    expect(withCfg.runs.find((r) => r.session === '1')?.checkpoints).toBe('/cfg/ck');
    // not read: no gpuIndices key at all
    expect(withCfg.runs.find((r) => r.session === '1')?.slurm).not.toHaveProperty('gpuIndices');
  });
});

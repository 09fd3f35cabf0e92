import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseGpuFields } from '../../../src/parse/nvidia-smi.js';
import { parseJobGpus } from '../../../src/parse/slurm-detail.js';
import { innerScript, jobGpus, slurmGpusScript, splitJobs } from '../../../src/sources/slurm-gpus.js';

const DETAIL = readFileSync(new URL('../../fixtures/slurm/scontrol-show-job-detail.txt', import.meta.url), 'utf8').split('\n')[2]!;
const F = chooseGpuFields(null);
const M = '@@M';
const I = '@@I';

const out = (srun: string, rc: number) => `${M} job 2\n${DETAIL}\n${M} srun ${rc}\n${srun}${M} done\n`;

describe('a Slurm job\'s GPUs from srun + nvidia-smi', () => {
  it('the GPU takes the node\'s own index from scontrol, the node and the job\'s run id; its processes are the job\'s', () => {
    const smi = `${I} node localhost\n${I} gpu\n0, GPU-aa, NVIDIA H100, 97, 1000, 81559, 60, 500.5, 700\n\n${I} rc 0\n${I} apps\nGPU-aa, 4242, python, 17000\n\n${I} rc 0\n`;
    const { jobs, done } = splitJobs(out(smi, 0), M);
    expect(done).toBe(true);
    const part = jobs.get('2')!;
    const held = parseJobGpus(part.detail).get('2')!;
    const r = jobGpus('cl:2', part, I, F, held);
    expect(r.error).toBeNull();
    expect(r.gpus).toHaveLength(1);
    expect(r.gpus[0]).toMatchObject({ index: 1, node: 'localhost', run: 'cl:2', utilizationPercent: 97, memoryUsedMiB: 1000 });
    expect(r.gpus[0]!.processes).toEqual([{ pid: 4242, name: 'python', usedMemoryMiB: 17000, run: 'cl:2' }]);
  });
  it('srun that failed or timed out is said, not a GPU', () => {
    const { jobs } = splitJobs(out('srun: error: Unable to create step for job 2: Invalid job id specified\n', 1), M);
    const r = jobGpus('cl:2', jobs.get('2')!, I, F, [{ node: 'localhost', indices: [1] }]);
    expect(r.gpus).toEqual([]);
    expect(r.error).toContain('Unable to create step');
    const t = jobGpus('cl:2', splitJobs(out('', 124), M).jobs.get('2')!, I, F, []);
    expect(t.error).toMatch(/within 20s/);
  });
  it('garbage never throws', () => {
    expect(splitJobs('\x1b[2J@@M job x\n@@M srun\n', M).jobs.size).toBe(0);
    const p = { detail: '', rc: null, out: `${I} gpu\nnot,a,gpu\n` };
    expect(jobGpus('cl:9', p, I, F, []).gpus).toEqual([]);
  });
  it('the scripts are valid sh', () => {
    execFileSync('sh', ['-n', '-c', slurmGpusScript(M, innerScript(I, F))]);
    execFileSync('sh', ['-n', '-c', innerScript(I, F)]);
    expect(slurmGpusScript(M, innerScript(I, F))).toContain('srun --jobid="$id" --overlap -N1 -n1');
  });
});

describe('the gpus table of a Slurm host', () => {
  it('names a job\'s GPU NODE:INDEX with its run, and says why a host without a GPU job lists none', async () => {
    const { renderTable } = await import('../../../src/commands/gpus.js');
    const gpu = { index: 1, name: 'H100', uuid: null, utilizationPercent: 50, memoryUsedMiB: 1, memoryTotalMiB: 2, temperatureC: null, powerW: null, powerLimitW: null, processes: [{ pid: 7, name: 'python', usedMemoryMiB: 1, run: 'cl:2' }], node: 'gpu\x1b[2J01', run: 'cl:2' };
    const out = renderTable([
      { name: 'cl', status: 'ok', error: null, driver: null, gpus: [gpu] },
      { name: 'c2', status: 'ok', error: null, driver: null, gpus: [], note: 'no running Slurm job of yours holds a GPU' },
    ]);
    expect(out).toMatch(/^cl +gpu01:1 +H100 .* python\/7\(1M\) cl:2$/m);
    expect(out).not.toContain('\x1b');
    expect(out).toContain('c2  no running Slurm job of yours holds a GPU');
  });
});

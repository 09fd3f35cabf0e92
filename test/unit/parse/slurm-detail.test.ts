import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkpointsOfComment, gpuIndicesOfGres, parseIndexList, parseJobGpus } from '../../../src/parse/slurm-detail.js';
import { parseScontrolJobs } from '../../../src/parse/slurm-scontrol.js';

const FX = readFileSync(new URL('../../fixtures/slurm/scontrol-show-job-detail.txt', import.meta.url), 'utf8');

describe('scontrol show job -d -o: the GPUs a job holds', () => {
  it('reads the real capture: job 1 holds GPU 0, job 2 GPU 1, job 3 none', () => {
    const m = parseJobGpus(FX);
    expect([...m.keys()]).toEqual(['1', '2', '3']);
    expect(m.get('1')).toEqual([{ node: 'localhost', indices: [0] }]);
    expect(m.get('2')).toEqual([{ node: 'localhost', indices: [1] }]);
    expect(m.get('3')).toEqual([]);
  });
  it('several nodes, typed GPUs, ranges and lists, other GRES left out', () => {
    const rec =
      'JobId=77 JobName=big UserId=u(1) JobState=RUNNING NodeList=g[01-03] NumNodes=3 JOB_GRES=gpu:a100:10 ' +
      '  Nodes=g[01-02] CPU_IDs=0-63 Mem=0 GRES=gpu:a100:4(IDX:0-3) ' +
      '  Nodes=g03 CPU_IDs=0-7 Mem=0 GRES=gpu:a100:2(IDX:0,6),mps:100(0/100,0/100) MinCPUsNode=1 WorkDir=/w';
    expect(parseJobGpus(rec).get('77')).toEqual([
      { node: 'g[01-02]', indices: [0, 1, 2, 3] },
      { node: 'g03', indices: [0, 6] },
    ]);
  });
  it('an array task is keyed by its run id', () => {
    const rec = 'JobId=9 ArrayJobId=8 ArrayTaskId=1 JobName=a UserId=u(1) JobState=RUNNING   Nodes=n1 CPU_IDs=0 Mem=0 GRES=gpu:1(IDX:3) MinCPUsNode=1';
    expect(parseJobGpus(rec).get('8_1')).toEqual([{ node: 'n1', indices: [3] }]);
  });
  it('a job name that spells a GRES line out is not read as one', () => {
    const rec = 'JobId=5 JobName=x Nodes=evil CPU_IDs=0 Mem=0 GRES=gpu:1(IDX:7) UserId=u(1) JobState=RUNNING JOB_GRES=(null)   Nodes=n1 CPU_IDs=0 Mem=0 GRES= MinCPUsNode=1';
    expect(parseJobGpus(rec).get('5')).toEqual([]);
  });
  it('garbage gives nothing and never throws', () => {
    expect(parseJobGpus('')).toEqual(new Map());
    expect(parseJobGpus('slurm_load_jobs error: Invalid job id specified\n\x00\x1b[2J').size).toBe(0);
    expect(gpuIndicesOfGres('gpu:1(IDX:N/A)')).toEqual([]);
    expect(gpuIndicesOfGres('gpu:2(IDX:0-99999)')).toEqual([]);
    expect(parseIndexList('3-1')).toBeNull();
    expect(parseIndexList('0-2,5')).toEqual([0, 1, 2, 5]);
  });
});

describe('rtk:checkpoints=DIR in a job comment', () => {
  it('the real capture: Comment=rtk:checkpoints=ck, under WorkDir', () => {
    const j = parseScontrolJobs(FX)[0]!;
    expect(j.comment).toBe('rtk:checkpoints=ck');
    expect(checkpointsOfComment(j.comment, j.workDir)).toBe('/tmp/sg/ck');
    expect(parseScontrolJobs(FX)[1]!.comment).toBeNull();
  });
  it('absolute, with spaces, ./, none', () => {
    expect(checkpointsOfComment('rtk:checkpoints=/scratch/a b', '/w')).toBe('/scratch/a b');
    expect(checkpointsOfComment('rtk:checkpoints=./out/ck', '/w/')).toBe('/w/out/ck');
    expect(checkpointsOfComment('hello', '/w')).toBeNull();
    expect(checkpointsOfComment(null, '/w')).toBeNull();
    expect(checkpointsOfComment('rtk:checkpoints=ck', null)).toBeNull();
    expect(checkpointsOfComment('rtk:checkpoints=', '/w')).toBeNull();
  });
});

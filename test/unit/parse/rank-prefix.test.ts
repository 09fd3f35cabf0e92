import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectAlerts } from '../../../src/parse/health.js';
import { analyzeLog } from '../../../src/parse/progress.js';
import { RankChooser, detectPrefix, splitLine, stripPrefix, type PrefixStyle } from '../../../src/parse/rank-prefix.js';
import { newSeriesBuilder } from '../../../src/parse/series.js';

/** A fixture under test/fixtures/training-logs without its first (provenance) line. */
const capture = (f: string): string => {
  const t = readFileSync(new URL(`../../fixtures/training-logs/${f}`, import.meta.url), 'utf8');
  expect(t.startsWith('# provenance: ')).toBe(true);
  return t.slice(t.indexOf('\n') + 1);
};

function series(text: string, chunks: number[] = []): ReturnType<ReturnType<typeof newSeriesBuilder>['series']> {
  const b = newSeriesBuilder();
  let at = 0;
  for (const c of chunks) {
    b.push(text.slice(at, at + c));
    at += c;
  }
  b.push(text.slice(at));
  b.end();
  return b.series();
}

// Real captures: the style found, and one line of each read without its prefix.
describe('detectPrefix and stripPrefix over real captures', () => {
  it.each([
    ['issue_basicsr-737_torch-rank-prefix_nccl-watchdog.txt', 'bracket', false, 2, { rank: 0, host: null, text: '[E626 06:24:44.159932949 ProcessGroupNCCL.cpp:616]' }],
    ['issue_horovod-1421_mpi-tag-output_two-ranks-losses.txt', 'bracket', true, 1, { rank: 0, host: null, text: 'Total loss is  236.61468505859375' }],
    ['issue_i6-core-658_torchrun-tee_default-ranks.txt', 'bracket', false, 1, { rank: 3, host: null, text: 'ep 55 train, step 1347, ce 0.355' }],
    ['sagemaker-accelerate_mpirank-tag-output_cr-escaped-015.txt', 'bracket', true, 7, { rank: 0, host: null, text: '#015  0%|          | 0/79' }],
    ['issue_accelerate-1519_host-rank-brackets_oom-traceback.txt', 'bracket', false, 1, { rank: 1, host: 'gpu187', text: 'torch.cuda.OutOfMemoryError: CUDA out of memory.' }],
    ['aurora-megatron-deepspeed_host-prefix_ccl-traceback.txt', 'host', false, 9, { rank: null, host: 'x4502c1s3b0n0', text: ' > padded vocab (size: 50257)' }],
  ])('%s: %s', (file, kind, escaped, line, want) => {
    const t = capture(file);
    const style = detectPrefix(t);
    expect(style).toMatchObject({ kind, escaped });
    const got = stripPrefix(style!, t.split('\n')[line]!);
    expect({ ...got, text: got.text.slice(0, want.text.length) }).toEqual(want);
  });

  it('srun -l (from its man page: the task id right-aligned to the widest, then ": "): width and ranks', () => {
    const t = [' 0: GPU available: True', ' 1: GPU available: True', '12: GPU available: True', ' 3: ', ' 3: Epoch 0:  10%|█ | 10/100'].join('\n');
    const style = detectPrefix(t);
    expect(style).toEqual({ kind: 'srun', width: 2, escaped: false });
    expect(stripPrefix(style!, '12: x')).toEqual({ rank: 12, host: null, text: 'x' });
    expect(stripPrefix(style!, ' 3: ')).toEqual({ rank: 3, host: null, text: '' });
    expect(stripPrefix(style!, ' 3:')).toEqual({ rank: 3, host: null, text: '' });
    // srun wrapping torch: the task id names the process, the inner prefix is dropped
    expect(stripPrefix(style!, ' 1: [rank1]:[W reducer.cpp:1389] Warning')).toEqual({ rank: 1, host: null, text: '[W reducer.cpp:1389] Warning' });
    expect(stripPrefix(style!, 'srun: error: gpu001: task 1: Out Of Memory')).toEqual({ rank: null, host: null, text: 'srun: error: gpu001: task 1: Out Of Memory' });
  });

  it('SageMaker #015 redraws and srun redraws with and without their own prefix', () => {
    const mpi: PrefixStyle = { kind: 'bracket', escaped: true };
    expect(splitLine(mpi, '[1,mpirank:0,algo-1]<stderr>:#015  1%|▏ | 1/79#015[1,mpirank:0,algo-1]<stderr>:  3%|▎ | 2/79').map((p) => [p.rank, p.text])).toEqual([
      [0, ''],
      [0, '  1%|▏ | 1/79'],
      [0, '  3%|▎ | 2/79'],
    ]);
    const srun: PrefixStyle = { kind: 'srun', width: 1, escaped: false };
    expect(splitLine(srun, '1:  10%|█ | 10/100\r 11%|█ | 11/100').map((p) => p.rank)).toEqual([1, 1]);
    expect(splitLine(srun, '1:  10%|█ | 10/100\r1:  11%|█ | 11/100').map((p) => [p.rank, p.text])).toEqual([
      [1, ' 10%|█ | 10/100'],
      [1, ' 11%|█ | 11/100'],
    ]);
  });
});

// Hostile input: what looks like a prefix in a log without one is left alone.
describe('logs without prefixes are not mangled', () => {
  it.each([
    ['one `0: ` line among normal ones', 'loading\n0: cat\nstep 5 loss 1.5\nstep 6 loss 1.4\nstep 7 loss 1.3\n'],
    ['a numbered list of mixed widths', Array.from({ length: 12 }, (_, i) => `${i}: item`).join('\n')],
    ['timestamps', '12:34:56 step 5 loss 1.5\n12:34:57 step 6 loss 1.4\n12:34:58 step 7 loss 1.3\n'],
    ['[rank0] in the middle of lines', 'step 5 [rank0] loss 1.5\nstep 6 [rank1]: loss 1.4\n'],
    ['logger levels', 'INFO: step 5 loss 1.5\nINFO: step 6 loss 1.4\nWARNING: step 7 loss 1.3\n'],
    ['NCCL INFO host:pid:tid lines', 'qgpu2009:9502:9525 [0] NCCL INFO Using network IB\nqgpu2008:35184:35221 [1] NCCL INFO Using network IB\nqgpu2008:35185:35222 [1] NCCL INFO Using network IB\n'],
    ['DeepSpeed timestamps and poster line numbers', '[2022-03-11 02:06:58,985] [INFO] [logging.py:69:log_dist] [Rank 0] step=40, skipped=2\n[1745]   1%|          | 10/1752 [00:29<1:22:01,  2.83s/it]\n'],
  ])('%s', (_, t) => {
    expect(detectPrefix(t)).toBeNull();
  });

  it('a `0: ` line keeps its text for the line readers', () => {
    const t = 'loading\n0: step 7 loss 9.9\nstep 5 loss 1.5\nstep 6 loss 1.4\n';
    expect(analyzeLog(t).metrics).toEqual({ loss: 1.4 });
    expect(analyzeLog(t).lossHistory).toEqual([9.9, 1.5, 1.4]);
  });
});

describe('progress and metrics follow the lowest rank', () => {
  it('SageMaker: rank 0 tqdm bars behind #015, other ranks download bars skipped', () => {
    const a = analyzeLog(capture('sagemaker-accelerate_mpirank-tag-output_cr-escaped-015.txt'));
    expect(a.progress).toEqual({ step: 79, total: 79, percent: 100, etaSeconds: 0 });
    expect(a.rate?.itPerSec).toBe(4.79);
    expect(series(capture('sagemaker-accelerate_mpirank-tag-output_cr-escaped-015.txt')).it_per_sec?.map((p) => p[0])).toEqual([1, 2, 79]);
  });

  it('torchrun --tee: rank 0 step line, not rank 3', () => {
    const a = analyzeLog(capture('issue_i6-core-658_torchrun-tee_default-ranks.txt'));
    expect(a.progress?.step).toBe(1347);
    const t = capture('issue_i6-core-658_torchrun-tee_default-ranks.txt').replace('[default0]:ep 55 train, step 1347', '[default0]:ep 55 train, step 1340');
    expect(analyzeLog(t).progress?.step).toBe(1340);
  });

  it('[host:rank]: rank 0 bar, though rank 1 printed first', () => {
    expect(analyzeLog(capture('issue_accelerate-1519_host-rank-brackets_oom-traceback.txt')).progress).toMatchObject({ step: 0, total: 125 });
  });

  // srun -l -u sends each write with its prefix; srun -l, each line (a bar's '\r' redraws then have one)
  const bar = (n: number): string => ` ${n}%|█ | ${n}/100 [00:0${n % 10}<01:00, 1.00it/s, loss=${(2 - n / 100).toFixed(2)}]`;
  const ranks = (perRedraw: boolean): string => {
    const line = (r: number, from: number): string =>
      [from, from + 1, from + 2].map((n, k) => (k === 0 || perRedraw ? `${r}: ` : '') + bar(n)).join('\r');
    return [line(1, 40), line(0, 30), line(1, 43), line(0, 33), `${1}: step 46 loss 0.5`, ''].join('\n');
  };
  it.each([
    ['prefix on every redraw', true],
    ['prefix once per line', false],
  ])('srun tqdm bars of two ranks (%s): rank 0 drives, never rank 1', (_, perRedraw) => {
    const t = ranks(perRedraw);
    const a = analyzeLog(t);
    expect(a.progress).toMatchObject({ step: 35, total: 100 });
    expect(a.metrics.loss).toBe(1.65);
    expect(a.lossHistory).toEqual([1.7, 1.69, 1.68, 1.67, 1.66, 1.65]);
    const s = series(t);
    expect(s.loss).toEqual([[30, 1.7], [31, 1.69], [32, 1.68], [33, 1.67], [34, 1.66], [35, 1.65]]);
    // chunked anywhere (inside a prefix, inside a redraw), the same series
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 12 }), (chunks) => {
        expect(series(t, chunks).loss).toEqual(s.loss);
      }),
      { numRuns: 60 },
    );
  });

  it('RankChooser: unprefixed lines kept, a lower rank seen later takes over', () => {
    const c = new RankChooser();
    expect([c.keep(2, null), c.keep(null, null), c.keep(3, null), c.keep(0, null), c.keep(2, null), c.keep(0, null)]).toEqual([true, true, false, true, false, true]);
    const h = new RankChooser();
    expect([h.keep(null, 'node10'), h.keep(null, 'node9'), h.keep(null, 'node10')]).toEqual([true, true, false]);
  });
});

describe('alerts come from every rank and name it', () => {
  it('torch [rankN]: NCCL watchdog (BasicSR #737): the latest rank, named', () => {
    const a = detectAlerts(capture('issue_basicsr-737_torch-rank-prefix_nccl-watchdog.txt'));
    expect(a.map((x) => x.kind)).toEqual(['nccl-timeout']);
    expect(a[0]!.message).toMatch(/^rank 2: \[E626 06:24:44\.173078629 ProcessGroupNCCL\.cpp:616\] \[Rank 2\] Watchdog caught/);
  });

  it('[host:rank]: rank 1 OOM while rank 0 is still on its bar (accelerate #1519)', () => {
    const a = detectAlerts(capture('issue_accelerate-1519_host-rank-brackets_oom-traceback.txt'));
    expect(a.map((x) => x.kind)).toEqual(['oom']);
    expect(a[0]!.message.startsWith('gpu187 rank 1: torch.cuda.OutOfMemoryError: CUDA out of memory.')).toBe(true);
  });

  it('host prefixes (Aurora): a traceback cut before its exception is no alert; its exception line makes one, named by host', () => {
    const t = capture('aurora-megatron-deepspeed_host-prefix_ccl-traceback.txt');
    expect(detectAlerts(t)).toEqual([]);
    // another host's line between the frames and the exception does not hide it
    const more = `${t}x4502c1s0b0n0:  > padded vocab (size: 50257)\nx4502c1s3b0n0: RuntimeError: oneCCL: allreduce failed\n`;
    expect(detectAlerts(more)).toEqual([{ kind: 'traceback', message: 'x4502c1s3b0n0: RuntimeError: oneCCL: allreduce failed' }]);
  });

  it('srun: interleaved tracebacks of ranks 5 and 3 each get their own exception', () => {
    const t = [
      '0: step 10 loss 1.0',
      '5: Traceback (most recent call last):',
      '3: Traceback (most recent call last):',
      '5:   File "train.py", line 9, in <module>',
      '3:   File "train.py", line 9, in <module>',
      '5: ValueError: five',
      '0: step 11 loss 0.9',
      '3: KeyError: three',
      '',
    ].join('\n');
    expect(detectAlerts(t)).toEqual([{ kind: 'traceback', message: 'rank 3: KeyError: three' }]);
    expect(detectAlerts(t.replace('3: KeyError: three\n', ''))).toEqual([{ kind: 'traceback', message: 'rank 5: ValueError: five' }]);
  });

  it('srun: an OOM on rank 5 while rank 0 keeps printing is the run alert', () => {
    const t = ['0: step 10 loss 1.0', '5: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.', '0: step 11 loss 0.9', ''].join('\n');
    expect(detectAlerts(t)).toEqual([{ kind: 'oom', message: 'rank 5: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.' }]);
    expect(analyzeLog(t).progress?.step).toBe(11);
  });

  it('never throws on prefixed garbage', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('0: ', ' 3: ', '[rank1]:', '[1,mpirank:2,algo-1]<stderr>:', 'node01: ', ''), fc.string({ unit: 'binary', maxLength: 60 }))), (parts) => {
        const t = parts.map(([p, s]) => p + s).join('\n');
        expect(Array.isArray(detectAlerts(t))).toBe(true);
        expect(analyzeLog(t)).toBeTypeOf('object');
        expect(series(t)).toBeTypeOf('object');
      }),
      { numRuns: 150 },
    );
  });
});

describe('long prefixed lines', () => {
  it('an error printed after 1 MB of one rank bar redraws is found and named', () => {
    const redraws = Array.from({ length: 20000 }, (_, i) => ` ${i % 100}%|█ | ${i}/20000 [00:01<00:09, 10it/s]`).join('\r');
    const t = `0: step 1 loss 2\n1: step 1 loss 2\n2: step 1 loss 2\n3: ${redraws}RuntimeError: CUDA error: out of memory\n`;
    expect(t.length).toBeGreaterThan(500_000);
    expect(detectAlerts(t)).toEqual([{ kind: 'oom', message: expect.stringMatching(/^rank 3: .*RuntimeError: CUDA error: out of memory$/) }]);
  });
});

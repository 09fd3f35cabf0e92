import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/domain/types.js';
import { decideState, detectAlerts, stripRankPrefix } from '../../../src/parse/health.js';

const fixture = (f: string): string => readFileSync(new URL(`../../fixtures/logs/${f}`, import.meta.url), 'utf8');
const kinds = (t: string): string[] => detectAlerts(t).map((a) => a.kind);

describe('detectAlerts over real logs', () => {
  it('CUDA OOM traceback (old RuntimeError wording): one oom alert with the exception line', () => {
    expect(detectAlerts(fixture('issue_seg-toolbox-54_cuda-oom_traceback_old-format.txt'))).toEqual([
      {
        kind: 'oom',
        message:
          'RuntimeError: CUDA out of memory. Tried to allocate 86.00 MiB (GPU 3; 11.75 GiB total capacity; 10.05 GiB already allocated; 85.81 MiB free; 588.65 MiB cached)',
      },
    ]);
  });
  it.each([
    'hf-trainer_gemma2-9b-lora_tqdm-CR_dicts_lmsys-train.log.txt',
    'modded-nanogpt_8xh100_step-log_post-code-section.txt',
  ])('healthy log %s has no alerts', (f) => {
    expect(detectAlerts(fixture(f))).toEqual([]);
  });
});

// Synthetic: the wordings of torch, NCCL, the kernel and torchrun, hand-written from their sources.
describe('every OOM wording', () => {
  it.each([
    'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.25 GiB is free.',
    'torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 15.78 GiB total capacity; 14.50 GiB already allocated)',
    'RuntimeError: CUDA out of memory. Tried to allocate 86.00 MiB (GPU 3; 11.75 GiB total capacity)',
    'RuntimeError: CUDA error: out of memory',
    'RuntimeError: CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`',
    'RuntimeError: cuDNN error: CUDNN_STATUS_ALLOC_FAILED',
    'torch.OutOfMemoryError: HIP out of memory. Tried to allocate 1.00 GiB. GPU 0 has a total capacity of 63.98 GiB',
    'RuntimeError: MPS backend out of memory (MPS allocated: 17.00 GB)',
    '[rank3]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 512.00 MiB.',
    '[12345.678901] Out of memory: Killed process 4242 (python) total-vm:123456kB, anon-rss:987654kB',
  ])('%s', (line) => {
    const alerts = detectAlerts(`step 1 loss 2\n${line}\n`);
    // a launcher's rank prefix is not part of the message; the rank is named instead
    expect(alerts[0]).toEqual({ kind: 'oom', message: line.replace(/^\[rank3\]: /, 'rank 3: ') });
  });

  it('an OOM traceback is one oom alert, not also a traceback', () => {
    const log = [
      '[rank0]: Traceback (most recent call last):',
      '[rank0]:   File "/w/train.py", line 10, in <module>',
      '[rank0]:     loss.backward()',
      '[rank0]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.',
    ].join('\n');
    expect(detectAlerts(log)).toEqual([{ kind: 'oom', message: 'rank 0: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.' }]);
  });
});

describe('every NCCL timeout wording', () => {
  it.each([
    "[rank3]:[E ProcessGroupNCCL.cpp:563] [Rank 3] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=12, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=600000) ran for 600041 milliseconds before timing out.",
    '[E ProcessGroupNCCL.cpp:828] [Rank 1] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1, OpType=BROADCAST, Timeout(ms)=1800000) ran for 1800620 milliseconds before timing out.',
    '[rank0]:[E1024 10:00:00.000000 123 ProcessGroupNCCL.cpp:1484] [PG 0 Rank 0] Process group watchdog thread terminated with exception: [Rank 0] Watchdog caught collective operation timeout',
    'RuntimeError: NCCL communicator was aborted on rank 2. Original reason for failure was: [Rank 2] Watchdog caught collective operation timeout',
    'torch.distributed.DistBackendError: [2] is setting up NCCL communicator and retrieving ncclUniqueId from [0] via c10d key-value store by key 0, but store->get(0) got error: Socket Timeout',
    'ProcessGroupNCCL: operation timed out after 1800000 ms',
    'NCCL timeout in allreduce',
    '[E ProcessGroupNCCL.cpp:455] Some NCCL operations have failed or timed out. Due to the asynchronous nature of CUDA kernels, subsequent GPU operations might run on corrupted/incomplete data.',
  ])('%s', (line) => {
    // the DistBackendError wording is a store timeout, not the watchdog: not claimed
    const k = kinds(`${line}\n`);
    if (line.includes('Socket Timeout')) expect(k).not.toContain('nccl-timeout');
    else expect(k).toContain('nccl-timeout');
  });
});

describe('other alerts', () => {
  it.each([
    ['disk-full', 'OSError: [Errno 28] No space left on device', 'OSError: [Errno 28] No space left on device'],
    ['disk-full', 'RuntimeError: [enforce fail at inline_container.cc:595] . unexpected pos 1234 vs 1200: No space left on device', null],
    ['killed', 'Killed', 'Killed'],
    ['killed', 'bash: line 1: 12345 Killed                  python train.py', null],
    ['killed', 'torch.distributed.elastic.multiprocessing.api: [WARNING] Received Signal 9 (SIGKILL) received by PID 4242', null],
    ['killed', 'torch.distributed.elastic.multiprocessing.api:failed (exitcode: -9) local_rank: 0 (pid: 4242) of binary: /usr/bin/python', null],
    ['killed', 'Process exited with signal 9', null],
  ])('%s: %s', (kind, line, message) => {
    const alerts = detectAlerts(`${line}\n`);
    expect(alerts.map((a) => a.kind)).toContain(kind);
    if (message !== null) expect(alerts.find((a) => a.kind === kind)?.message).toBe(message);
  });

  it('a plain traceback reports the final exception line', () => {
    const log = [
      'Traceback (most recent call last):',
      '  File "train.py", line 3, in <module>',
      '    import foo',
      "ModuleNotFoundError: No module named 'foo'",
      '',
    ].join('\n');
    expect(detectAlerts(log)).toEqual([{ kind: 'traceback', message: "ModuleNotFoundError: No module named 'foo'" }]);
  });

  it('chained exceptions: the last one is reported', () => {
    const log = [
      'Traceback (most recent call last):',
      '  File "a.py", line 1, in <module>',
      'KeyError: 1',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "a.py", line 3, in <module>',
      'ValueError: bad',
    ].join('\n');
    expect(detectAlerts(log)).toEqual([{ kind: 'traceback', message: 'ValueError: bad' }]);
  });

  it('output of other processes interleaved with the traceback does not hide it', () => {
    const log = [
      'Traceback (most recent call last):',
      '  File "train.py", line 3, in <module>',
      'step 5 loss 2.0',
      '[rank1] waiting for rank 0',
      '    main()',
      'RuntimeError: expected scalar type Float but found Half',
    ].join('\n');
    expect(detectAlerts(log)).toEqual([{ kind: 'traceback', message: 'RuntimeError: expected scalar type Float but found Half' }]);
  });

  it('a custom exception name right after the frames counts', () => {
    expect(detectAlerts('Traceback (most recent call last):\n  File "a.py", line 1\nmylib.Boom: it broke\n')).toEqual([
      { kind: 'traceback', message: 'mylib.Boom: it broke' },
    ]);
  });

  it('a traceback still being written (no exception line yet) is not an alert', () => {
    expect(detectAlerts('Traceback (most recent call last):\n  File "a.py", line 1\n')).toEqual([]);
  });

  it('a traceback printed right after an unterminated tqdm bar is found', () => {
    const log = '\r 45%|████▌     | 450/1000 [00:10<00:12]Traceback (most recent call last):\n  File "t.py", line 1\nValueError: x\n';
    expect(kinds(log)).toEqual(['traceback']);
  });

  it('nan-loss: the latest loss is nan or inf', () => {
    expect(detectAlerts('iter 424: loss 2.2\niter 425: loss nan, time 35ms\n')).toEqual([{ kind: 'nan-loss', message: 'iter 425: loss nan, time 35ms' }]);
    expect(kinds("{'loss': inf, 'learning_rate': 1e-4}\n")).toEqual(['nan-loss']);
    expect(kinds(' 10%|█ | 10/100 [00:01<00:09, 10it/s, loss=nan]')).toEqual(['nan-loss']);
  });

  it('nan-loss clears when a later loss is finite; a nan eval loss is not a training nan', () => {
    expect(kinds('iter 1: loss nan\niter 2: loss 2.0\n')).toEqual([]);
    expect(kinds("{'loss': 1.0}\n{'eval_loss': nan}\n")).toEqual([]);
  });

  it('only the latest occurrence of a kind is kept', () => {
    const a = detectAlerts('RuntimeError: CUDA out of memory. first\nstep 1\nRuntimeError: CUDA out of memory. second\n');
    expect(a).toEqual([{ kind: 'oom', message: 'RuntimeError: CUDA out of memory. second' }]);
  });

  it('a fatal error followed by a tqdm bar that went further is history (restarted job)', () => {
    const log = [
      ' 10%|█ | 100/1000 [00:10<01:30, 10it/s]',
      'Traceback (most recent call last):',
      '  File "t.py", line 1',
      'torch.OutOfMemoryError: CUDA out of memory.',
      'restarting with a smaller batch',
      ' 11%|█ | 110/1000 [00:11<01:29, 10it/s]',
    ].join('\n');
    expect(detectAlerts(log)).toEqual([]);
  });

  it('stdout lines flushed after the traceback do not clear it', () => {
    const log = [
      'iter 10: loss 2.0',
      'Traceback (most recent call last):',
      '  File "t.py", line 1',
      'ValueError: boom',
      'iter 20: loss 1.9',
      "{'loss': 1.8}",
    ].join('\n');
    expect(kinds(log)).toEqual(['traceback']);
  });

  it('strips rank prefixes', () => {
    expect(stripRankPrefix('[rank3]: Traceback (most recent call last):')).toBe('Traceback (most recent call last):');
    expect(stripRankPrefix('[default0]:  File "x"')).toBe(' File "x"');
    expect(stripRankPrefix('plain')).toBe('plain');
  });

  it('never throws (random input, 1 MB lines, CRLF)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        for (const t of [s, s.replaceAll('\n', '\r\n'), `Traceback (most recent call last):\n${s}`]) {
          const a = detectAlerts(t);
          expect(Array.isArray(a)).toBe(true);
          for (const x of a) expect(x.message.length).toBeLessThanOrEqual(300);
        }
      }),
      { numRuns: 200 },
    );
    expect(kinds(`${'x'.repeat(1 << 20)}\nNo space left on device\r\n`)).toEqual(['disk-full']);
  });
});

describe('decideState', () => {
  const oom: Alert = { kind: 'oom', message: 'CUDA out of memory' };
  const nan: Alert = { kind: 'nan-loss', message: 'loss nan' };
  const tb: Alert = { kind: 'traceback', message: 'ValueError: x' };
  const base = { alive: true, exitStatus: null, alerts: [] as Alert[], lastOutputSecondsAgo: 5, stallAfterSeconds: 600 };
  it.each([
    ['alive and writing: running', {}, 'running', null],
    ['alive with a NaN loss stays running', { alerts: [nan] }, 'running', null],
    ['alive with an OOM in the log is still running (another rank may recover)', { alerts: [oom] }, 'running', null],
    ['alive and silent past stallAfter: stalled', { lastOutputSecondsAgo: 601 }, 'stalled', 'stalled'],
    ['exit 0: finished, even with an old traceback', { alive: false, exitStatus: 0, alerts: [tb] }, 'finished', null],
    ['exit 1 with an OOM: failed oom', { alive: false, exitStatus: 1, alerts: [tb, oom] }, 'failed', 'oom'],
    ['exit 1 without alerts: failed, no reason', { alive: false, exitStatus: 1 }, 'failed', null],
    ['exit 137: failed killed', { alive: false, exitStatus: 137 }, 'failed', 'killed'],
    ['ended, no status, OOM in the log: failed oom', { alive: false, alerts: [oom] }, 'failed', 'oom'],
    ['ended, no status, traceback: failed traceback', { alive: false, alerts: [tb] }, 'failed', 'traceback'],
    ['ended, no status, clean log: finished', { alive: false }, 'finished', null],
    ['ended, no status, NaN only: finished (nan is not fatal)', { alive: false, alerts: [nan] }, 'finished', null],
    ['ended, no status, nothing known: unknown', { alive: false, lastOutputSecondsAgo: null }, 'unknown', null],
    ['exit status wins over alive', { alive: true, exitStatus: 2 }, 'failed', null],
  ])('%s', (_n, over, state, reason) => {
    const d = decideState({ ...base, ...over });
    expect(d.state).toBe(state);
    expect(d.reason).toBe(reason);
  });

  it('stalled adds a stalled alert and keeps the others', () => {
    const d = decideState({ ...base, alerts: [nan], lastOutputSecondsAgo: 900 });
    expect(d.alerts).toEqual([nan, { kind: 'stalled', message: 'no output for 15 min' }]);
  });
});

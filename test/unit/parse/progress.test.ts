import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HISTORY, analyzeLog, clock, primaryLoss } from '../../../src/parse/progress.js';

const fixture = (f: string): string => readFileSync(new URL(`../../fixtures/logs/${f}`, import.meta.url), 'utf8');

describe('analyzeLog over real logs (test/fixtures/logs, provenance in README.md)', () => {
  it('HF Trainer + tqdm with \\r updates (Gemma2-9B LoRA)', () => {
    const a = analyzeLog(fixture('hf-trainer_gemma2-9b-lora_tqdm-CR_dicts_lmsys-train.log.txt'));
    // last redraw: `  2%|██████▊ ... | 200/8264 [23:37<15:44:25,  7.03s/it]`
    expect(a.progress).toEqual({ step: 200, total: 8264, percent: 2.4, etaSeconds: 15 * 3600 + 44 * 60 + 25 });
    expect(a.metrics).toEqual({
      loss: 0.4738,
      grad_norm: 1.2908930778503418,
      learning_rate: 6.992640273956282e-5,
      epoch: 0.05,
    });
    // 20 dicts, the first printed right after the bar on the same line
    expect(a.lossHistory).toHaveLength(20);
    expect(a.lossHistory[0]).toBe(12.4476);
    expect(a.lossHistory.slice(-3)).toEqual([0.5157, 0.5047, 0.4738]);
  });

  it('takes no metrics from the HF Trainer banner (synthetic, in its wording)', () => {
    const banner = [
      '***** Running training *****',
      '  Num examples = 9,600',
      '  Num Epochs = 3',
      '  Instantaneous batch size per device = 8',
      '  Total optimization steps = 30,000',
      '  Number of trainable parameters = 25,460,736',
      "{'loss': 2.25, 'learning_rate': 0.0001, 'epoch': 0.01}",
      'step 10 loss=2.2 lr=1e-4',
    ].join('\n');
    expect(analyzeLog(banner).metrics).toEqual({ loss: 2.2, learning_rate: 0.0001, epoch: 0.01, lr: 1e-4 });
  });

  it('modded-nanogpt step lines (8xH100)', () => {
    const a = analyzeLog(fixture('modded-nanogpt_8xh100_step-log_post-code-section.txt'));
    expect(a.progress).toEqual({ step: 1390, total: 1390, percent: 100, etaSeconds: 0 });
    expect(a.metrics).toEqual({ val_loss: 3.2785, train_time: 204345, step_avg: 148.08 });
    // no training loss in this log: the history falls back to val_loss
    expect(a.lossHistory).toHaveLength(13);
    expect(a.lossHistory[0]).toBe(10.8258);
    expect(a.lossHistory[12]).toBe(3.2785);
  });

  it('a traceback-only log has no progress', () => {
    const a = analyzeLog(fixture('issue_seg-toolbox-54_cuda-oom_traceback_old-format.txt'));
    expect(a).toEqual({ progress: null, metrics: {}, lossHistory: [], rate: null });
  });

  it('a tail cut in the middle of the modded-nanogpt log still reads the last step', () => {
    const text = fixture('modded-nanogpt_8xh100_step-log_post-code-section.txt');
    const cut = text.slice(0, text.indexOf('step:700/1390') + 'step:700/13'.length);
    // the cut line reads `step:700/13`: the latest information wins, however odd
    expect(analyzeLog(cut).progress?.step).toBe(700);
    const tail = text.slice(text.length - 3000);
    expect(analyzeLog(tail).progress).toEqual({ step: 1390, total: 1390, percent: 100, etaSeconds: 0 });
  });
});

// Synthetic lines in the style of other trainers (hand-written from their format strings).
describe('analyzeLog over synthetic lines', () => {
  const cases: { name: string; log: string; progress?: unknown; metrics?: Record<string, number>; history?: number[] }[] = [
    {
      name: 'tqdm with postfix metrics',
      log: '  12%|█▏        | 3600/30000 [1:02:03<7:34:12, 1.02it/s, loss=2.29, lr=1e-4]',
      progress: { step: 3600, total: 30000, percent: 12, etaSeconds: 27252 },
      metrics: { loss: 2.29, lr: 1e-4 },
      history: [2.29],
    },
    {
      name: 'Lightning bar (v_num is not a metric)',
      log: 'Epoch 3:  45%|████▌     | 450/1000 [00:10<00:12, 44.00it/s, v_num=0, train_loss=0.123]',
      progress: { step: 450, total: 1000, percent: 45, etaSeconds: 12 },
      metrics: { epoch: 3, train_loss: 0.123 },
      history: [0.123],
    },
    {
      name: 'tqdm \\r rewrites: every redraw counts, one history point per step',
      log: '\r 10%|█ | 10/100 [00:01<00:09, 10it/s, loss=3.0]\r 20%|██ | 20/100 [00:02<00:08, 10it/s, loss=2.5]\r 20%|██ | 20/100 [00:02<00:08, 10it/s, loss=2.4]\r 30%|███ | 30/100 [00:03<00:07, 10it/s, loss=2.0]',
      progress: { step: 30, total: 100, percent: 30, etaSeconds: 7 },
      metrics: { loss: 2 },
      history: [3, 2.4, 2],
    },
    {
      name: 'ETA from the rate when tqdm shows <?',
      log: '  3%|▎  | 3/100 [00:20<?, 6.66s/it]',
      progress: { step: 3, total: 100, percent: 3, etaSeconds: 646 },
    },
    {
      name: 'HF dict with nan (history keeps finite values only)',
      log: "{'loss': 0.5, 'learning_rate': 0.0002, 'epoch': 1.1}\n{'loss': nan, 'grad_norm': nan, 'learning_rate': 0.0001, 'epoch': 1.2}\n",
      progress: null,
      metrics: { loss: Number.NaN, grad_norm: Number.NaN, learning_rate: 1e-4, epoch: 1.2 },
      history: [0.5],
    },
    {
      name: 'JSON-style dict with inf',
      log: '{"loss": inf, "learning_rate": 1e-4, "epoch": 1.2}\n{"eval_loss": -inf}\n',
      metrics: { loss: Infinity, learning_rate: 1e-4, epoch: 1.2, eval_loss: -Infinity },
      history: [],
    },
    {
      name: 'nanoGPT iter line',
      log: 'iter 424: loss 2.3000, time 35.00ms, mfu 38.00%\niter 425: loss 2.2917, time 35.12ms, mfu 38.40%\n',
      progress: { step: 425, total: null, percent: null, etaSeconds: null },
      metrics: { loss: 2.2917, time: 35.12, mfu: 38.4 },
      history: [2.3, 2.2917],
    },
    {
      name: 'nanoGPT eval line',
      log: 'step 500: train loss 2.3011, val loss 2.3456\n',
      progress: { step: 500, total: null, percent: null, etaSeconds: null },
      metrics: { train_loss: 2.3011, val_loss: 2.3456 },
      history: [2.3011],
    },
    {
      name: 'modded-nanogpt with step_avg ETA',
      log: 'step:1200/1750 val_loss:3.4 train_time:123456ms step_avg:102.88ms\n',
      progress: { step: 1200, total: 1750, percent: 68.6, etaSeconds: 57 },
      metrics: { val_loss: 3.4, train_time: 123456, step_avg: 102.88 },
    },
    {
      name: 'pipe-separated Step N/M',
      log: 'Step 100/1000 | loss: 2.3 | lr: 1e-4\n',
      progress: { step: 100, total: 1000, percent: 10, etaSeconds: null },
      metrics: { loss: 2.3, lr: 1e-4 },
    },
    {
      name: 'key=value with an ETA',
      log: 'step=50 loss=1.5 lr=3e-4 grad_norm=0.9 eta=0:10:00\n',
      progress: { step: 50, total: null, percent: null, etaSeconds: 600 },
      metrics: { loss: 1.5, lr: 3e-4, grad_norm: 0.9 },
    },
    {
      name: 'logging prefix and [rank0]',
      log: '[rank0]: 2024-05-01 10:00:00 INFO step 7 | train/loss: 0.75 | lr: 2.5e-05\n',
      progress: { step: 7, total: null, percent: null, etaSeconds: null },
      metrics: { 'train/loss': 0.75, lr: 2.5e-5 },
      history: [0.75],
    },
    {
      name: 'an eval bar does not hide the unfinished training bar',
      log: ' 30%|███ | 300/1000 [01:00<02:20, 5.0it/s]\n100%|██████████| 50/50 [00:05<00:00, 9.5it/s]\n',
      progress: { step: 300, total: 1000, percent: 30, etaSeconds: 140 },
    },
    {
      name: 'a Validation bar does not hide the Lightning bar',
      log: 'Epoch 0:  50%|█████     | 50/100 [00:05<00:05, 10it/s]\nValidation DataLoader 0:  40%|████      | 400/1000 [00:01<00:02, 300it/s]',
      progress: { step: 50, total: 100, percent: 50, etaSeconds: 5 },
    },
    {
      name: 'after a finished bar, a new (smaller) bar wins',
      log: '100%|██████████| 1000/1000 [10:00<00:00, 1.6it/s]\n 10%|█ | 10/100 [00:05<00:45, 2it/s]',
      progress: { step: 10, total: 100, percent: 10, etaSeconds: 45 },
    },
    {
      name: 'the latest record wins across formats',
      log: ' 10%|█ | 100/1000 [00:10<01:30, 10it/s]\nStep 150/1000 | loss: 1.0\n',
      progress: { step: 150, total: 1000, percent: 15, etaSeconds: null },
    },
    {
      name: 'unit-scaled counts',
      log: ' 40%|████ | 1.2k/3.00k [02:00<03:00, 10.0it/s]',
      progress: { step: 1200, total: 3000, percent: 40, etaSeconds: 180 },
    },
    {
      name: 'a bar with no total',
      log: '1234it [00:12, 99.5it/s, loss=0.4]',
      progress: { step: 1234, total: null, percent: null, etaSeconds: null },
      metrics: { loss: 0.4 },
    },
    {
      name: 'ordinary lines are not metrics',
      log: 'trainable params: 25,460,736 || all params: 9,267,166,720 || trainable%: 0.2747\nLoading checkpoint shards: 100%\nhttp://localhost:8080\n',
      progress: null,
      metrics: {},
    },
    {
      name: 'CRLF lines',
      log: 'Step 1/10 | loss: 5\r\nStep 2/10 | loss: 4\r\n',
      progress: { step: 2, total: 10, percent: 20, etaSeconds: null },
      history: [5, 4],
    },
    {
      name: 'DeepSpeed log_dist line (lr in brackets)',
      log: '[2024-05-01 10:00:00,000] [INFO] [logging.py:96:log_dist] [Rank 0] step=100, skipped=0, lr=[0.0001], mom=[(0.9, 0.999)]\n',
      progress: { step: 100, total: null, percent: null, etaSeconds: null },
      metrics: { skipped: 0, lr: 1e-4 },
    },
    {
      name: 'Megatron-LM iteration line (keys of several words)',
      log: ' iteration      100/  500000 | consumed samples:        12800 | elapsed time per iteration (ms): 1234.5 | learning rate: 1.000E-04 | global batch size:   128 | lm loss: 7.123456E+00 | loss scale: 1.0 | grad norm: 1.234 |\n',
      progress: { step: 100, total: 500000, percent: 0, etaSeconds: null },
      metrics: {
        consumed_samples: 12800,
        elapsed_time_per_iteration_ms: 1234.5,
        learning_rate: 1e-4,
        global_batch_size: 128,
        lm_loss: 7.123456,
        loss_scale: 1,
        grad_norm: 1.234,
      },
      history: [7.123456],
    },
    {
      name: 'torchtune bar (metrics in the description)',
      log: '1|50|Loss: 1.2345:  10%|█         | 50/500 [00:30<04:30,  1.66it/s]',
      progress: { step: 50, total: 500, percent: 10, etaSeconds: 270 },
      metrics: { Loss: 1.2345 },
      history: [1.2345],
    },
    {
      name: 'Lightning RichProgressBar',
      log: 'Epoch 3/9  ━━━━━━━━━━━━━━━╸━━━━━━━━━━━━━━━━━━ 450/1000 0:00:10 • 0:00:12 44.00it/s v_num: 0 train_loss: 0.123',
      progress: { step: 450, total: 1000, percent: 45, etaSeconds: 12 },
      metrics: { epoch: 3, train_loss: 0.123 },
    },
    {
      name: 'ANSI-coloured metrics',
      log: '\x1b[32mstep 3\x1b[0m | \x1b[1mloss\x1b[0m: 0.5\n',
      progress: { step: 3, total: null, percent: null, etaSeconds: null },
      metrics: { loss: 0.5 },
    },
  ];
  it.each(cases)('$name', ({ log, progress, metrics, history }) => {
    const a = analyzeLog(log);
    if (progress !== undefined) expect(a.progress).toEqual(progress);
    if (metrics !== undefined) expect(a.metrics).toEqual(metrics);
    if (history !== undefined) expect(a.lossHistory).toEqual(history);
  });

  it('bounds the loss history', () => {
    const log = Array.from({ length: 500 }, (_, k) => `iter ${k}: loss ${k}`).join('\n');
    const h = analyzeLog(log).lossHistory;
    expect(h).toHaveLength(HISTORY);
    expect(h[HISTORY - 1]).toBe(499);
  });
});

describe('helpers', () => {
  it.each([
    ['7:34:12', 27252],
    ['00:12', 12],
    ['42', 42],
    ['?', null],
    ['1:2:3:4', null],
    ['', null],
  ])('clock(%j)', (s, v) => expect(clock(s)).toBe(v));

  it('primaryLoss prefers loss, then train_loss, never eval', () => {
    expect(primaryLoss({ eval_loss: 1, train_loss: 2, loss: 3 })).toEqual({ key: 'loss', value: 3 });
    expect(primaryLoss({ eval_loss: 1, train_loss: 2 })).toEqual({ key: 'train_loss', value: 2 });
    expect(primaryLoss({ val_loss: 1 })).toBeNull();
  });
});

describe('analyzeLog never throws', () => {
  it('on random bytes, truncations and CRLF', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), fc.nat(500), (s, cut) => {
        for (const t of [s, s.slice(0, cut), s.replaceAll('\n', '\r\n')]) {
          const a = analyzeLog(t);
          expect(a.lossHistory.length).toBeLessThanOrEqual(HISTORY);
          expect(a.lossHistory.every(Number.isFinite)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('on fragments of real lines', () => {
    const pieces = ['|', '%|', ' [', ']', '/', '<', ', ', 'it/s', 'loss=', "{'loss': ", 'nan', 'step:', '1e-4', '\r', '\n', '\x1b[A', '█'];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.integer({ min: 0, max: 99999 }).map(String)), { maxLength: 60 }), (parts) => {
        const a = analyzeLog(parts.join(''));
        if (a.progress) expect(a.progress.step === null || Number.isFinite(a.progress.step)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('on a 1 MB line', () => {
    const a = analyzeLog(`${'█'.repeat(1 << 20)}\nstep 5 loss 1\n`);
    expect(a.progress?.step).toBe(5);
  });
});

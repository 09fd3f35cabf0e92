import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeLog, scanLine } from '../../../src/parse/progress.js';
import { tqdmFast } from '../../../src/parse/line-fast.js';

/** A fixture under test/fixtures/training-logs without its first (provenance) line. */
const capture = (f: string): string => {
  const t = readFileSync(new URL(`../../fixtures/training-logs/${f}`, import.meta.url), 'utf8');
  expect(t.startsWith('# provenance: ')).toBe(true);
  return t.slice(t.indexOf('\n') + 1);
};

type Case = { file: string; progress: unknown; metrics?: Record<string, number>; rate: unknown; history?: number[] };

// Real captures (provenance on each file's first line).
const cases: Case[] = [
  {
    file: 'lightning-rich_v2-4_epoch-2-2_wrapped-metrics.txt',
    // the Testing bar (7/7) is finished: the latest record wins
    progress: { step: 7, total: 7, percent: 100, etaSeconds: 0 },
    metrics: { epoch: 2, 'train/loss_step': 0.298, 'train/loss_epoch': 0.074, 'val/loss_epoch': 0.037 },
    rate: { itPerSec: 1.47, samplesPerSec: null, tokensPerSec: null },
  },
  {
    file: 'lightning-rich_unknown-total_iterable-dataset.txt',
    // the run's own callback prints `Step 0 generation:` after the bar: a step line, and the latest wins
    progress: { step: 0, total: null, percent: null, etaSeconds: null },
    metrics: { epoch: 0, train_loss: 10.416 },
    rate: { itPerSec: 0.57, samplesPerSec: null, tokensPerSec: null },
    history: [10.416],
  },
  {
    file: 'issue_lightning-12720_rich-ascii-bar_spyder.txt',
    progress: { step: 232, total: 291, percent: 79.7, etaSeconds: 9 },
    metrics: { epoch: 4, loss: 0.398 },
    rate: { itPerSec: 7, samplesPerSec: null, tokensPerSec: null },
  },
  {
    file: 'keras3_multimodal_val-metrics.txt',
    progress: { step: 422, total: 422, percent: 100, etaSeconds: 0 },
    metrics: { epoch: 5, accuracy: 1, loss: 1.2648e-4, val_accuracy: 1, val_loss: 8.8949e-6 },
    rate: { itPerSec: 200, samplesPerSec: null, tokensPerSec: null },
    history: [0.2329, 9.6791e-4, 3.4862e-4, 1.686e-4, 1.2648e-4],
  },
  {
    file: 'keras3_lstm_last-epochs_predict.txt',
    // the predict bar after the last epoch is the latest record
    progress: { step: 15, total: 15, percent: 100, etaSeconds: 0 },
    metrics: { epoch: 100, loss: 4.576e-4 },
    rate: { itPerSec: 1 / 0.017, samplesPerSec: null, tokensPerSec: null },
  },
  {
    file: 'issue_moire-25_keras2-eta-bars.txt',
    progress: { step: 14, total: 102, percent: 13.7, etaSeconds: 7 * 60 + 20 },
    metrics: { loss: 0.6191, accuracy: 0.6652 },
    rate: null,
  },
  {
    file: 'issue_mobilenet-ssd-21_keras2-eta-hours_inf-loss.txt',
    progress: { step: 4, total: 234, percent: 1.7, etaSeconds: 25 * 3600 + 9 * 60 },
    metrics: { epoch: 1, loss: Infinity },
    rate: null,
    history: [44.411],
  },
  {
    file: 'issue_deepspeed-1825_log-dist-step_samplespersec.txt',
    progress: { step: 50, total: null, percent: null, etaSeconds: null },
    metrics: { lr: 5e-5, skipped: 2, SamplesPerSec: 83.73838805358588 },
    rate: { itPerSec: null, samplesPerSec: 83.73838805358588, tokensPerSec: null },
  },
  {
    file: 'issue_deepspeed-3742_gpt-neox_iteration_timer.txt',
    progress: { step: 35, total: null, percent: null, etaSeconds: null },
    metrics: { lm_loss: 11.18665, 'samples/sec': 7.799, learning_rate: 2.111e-6, elapsed_time_per_iteration_ms: 4103.1 },
    rate: { itPerSec: 1000 / 4103.1, samplesPerSec: 7.799, tokensPerSec: null },
    history: [11.18665],
  },
  {
    file: 'issue_megatron-llm-11_iteration-lines.txt',
    progress: { step: 125, total: 250000, percent: 0.1, etaSeconds: null },
    metrics: { lm_loss: 2.477393, learning_rate: 9.375e-6, grad_norm: 0.356, consumed_samples: 128000 },
    rate: { itPerSec: 1000 / 89075.2, samplesPerSec: null, tokensPerSec: null },
    history: [2.50422, 2.493043, 2.559583, 2.477393],
  },
  {
    file: 'deepspeed-pipe_steps-loss-itertime_quoted.txt',
    progress: { step: 1, total: null, percent: null, etaSeconds: null },
    metrics: { loss: 0.0563, iter_time_s: 101.853, 'samples/sec': 0.039, lm_loss: 5.5103, moe_loss: 0.0405 },
    rate: { itPerSec: 1 / 101.853, samplesPerSec: 0.039, tokensPerSec: null },
    // `lm loss` and `moe loss` are their own keys, not a second `loss`
    history: [0.0585, 5.5508, 0.0563],
  },
];

describe('analyzeLog over real captures (test/fixtures/training-logs)', () => {
  it.each(cases)('$file', ({ file, progress, metrics, rate, history }) => {
    const a = analyzeLog(capture(file));
    expect(a.progress).toEqual(progress);
    if (metrics) expect(a.metrics).toMatchObject(metrics);
    if (rate === null) expect(a.rate).toBeNull();
    else {
      const r = rate as Record<string, number | null>;
      for (const k of ['itPerSec', 'samplesPerSec', 'tokensPerSec'] as const) {
        if (r[k] === null) expect(a.rate?.[k]).toBeNull();
        else expect(a.rate?.[k]).toBeCloseTo(r[k]!, 9);
      }
    }
    if (history) expect(a.lossHistory).toEqual(history);
  });

  it('a rich bar with no total (`5072/--`, `-:--:--`) is a bar with a step and no total or ETA', () => {
    const t = capture('lightning-rich_unknown-total_iterable-dataset.txt');
    const a = analyzeLog(t.slice(0, t.indexOf('Step 0 generation')));
    expect(a.progress).toEqual({ step: 5072, total: null, percent: null, etaSeconds: null });
  });

  it('the same capture reads the same with CRLF line ends', () => {
    for (const { file } of cases) {
      const t = capture(file);
      expect(analyzeLog(t.replaceAll('\n', '\r\n'))).toEqual(analyzeLog(t));
    }
  });
});

describe('scanLine on lines in the formats of the field (synthetic, from their format strings)', () => {
  const lines: { name: string; line: string; record?: unknown; pairs?: [string, number][]; epoch?: number; it?: number; samples?: number; tokens?: number }[] = [
    {
      name: 'Lightning rich bar as in the brief',
      line: 'Epoch 2/2 ━━━━━━━━━━━━━━━━━━━━ 200/200 0:00:00 • 0:00:00 310.41it/s v_num: 0.000 train_loss: 0.123',
      record: { bar: true, desc: 'Epoch 2/2', step: 200, total: 200, etaSeconds: 0 },
      pairs: [['train_loss', 0.123]],
      epoch: 2,
      it: 310.41,
    },
    {
      name: 'rich.progress default columns: bar, percent, remaining',
      line: 'Downloading ━━━━━━━━━━━━━━━╺━━━━━━━━━━━━━━━━━━━━━━━━  40% 0:00:05',
      record: { bar: true, desc: 'Downloading', step: 40, total: 100, etaSeconds: 5 },
    },
    {
      name: 'rich.progress MofN, elapsed • remaining, speed',
      line: 'train ━━━━━━━━━━━━━━━━━━━━━━━╸━━━━━━━━━━━━━━━━ 45/100 0:01:23 • 0:01:40 0.55it/s',
      record: { bar: true, desc: 'train', step: 45, total: 100, etaSeconds: 100 },
      it: 0.55,
    },
    {
      name: 'Keras 3 mid-epoch (time left, ms/step)',
      line: '120/500 ━━━━━━━━━━━━━━━━━━━━ 12s 25ms/step - loss: 0.2134 - accuracy: 0.91',
      record: { bar: true, desc: '', step: 120, total: 500, etaSeconds: 12 },
      pairs: [['loss', 0.2134], ['accuracy', 0.91]],
      it: 40,
    },
    {
      name: 'Keras 3 mid-epoch, minutes left',
      line: ' 37/938 ━━━━━━━━━━━━━━━━━━━━ 1:23 93ms/step - loss: 2.0915',
      record: { bar: true, desc: '', step: 37, total: 938, etaSeconds: 83 },
      pairs: [['loss', 2.0915]],
    },
    {
      name: 'Keras verbose=2 epoch line',
      line: '239/239 - 6s - 27ms/step - accuracy: 0.8640 - loss: 0.0195 - val_accuracy: 0.8350 - val_loss: 0.0235',
      record: { bar: true, desc: '', step: 239, total: 239, etaSeconds: 0 },
      pairs: [['accuracy', 0.864], ['loss', 0.0195], ['val_accuracy', 0.835], ['val_loss', 0.0235]],
    },
    { name: 'Keras epoch header', line: 'Epoch 3/10', epoch: 3 },
    {
      name: 'DeepSpeed pipeline line as in the brief',
      line: 'steps: 100 loss: 2.3456 iter time (s): 0.512 samples/sec: 62.5',
      record: { bar: false, desc: '', step: 100, total: null, etaSeconds: null },
      pairs: [['loss', 2.3456], ['iter_time_s', 0.512], ['samples/sec', 62.5]],
      it: 1 / 0.512,
      samples: 62.5,
    },
    {
      name: 'HF end-of-training summary',
      line: "{'train_runtime': 3600.5, 'train_samples_per_second': 21.3, 'train_steps_per_second': 0.67, 'train_loss': 0.52, 'epoch': 3.0}",
      samples: 21.3,
    },
    { name: 'tokens/s spaced', line: 'iter 10 | loss 2.5 | tok/s 51234', tokens: 51234, it: undefined },
    { name: 'tokens_per_second key', line: 'step=7 loss=2.1 tokens_per_second=1.2e5', tokens: 1.2e5 },
    { name: 'tqdm s/it', line: ' 2%|█▌   | 200/8264 [23:37<15:44:25,  7.03s/it]', it: 1 / 7.03 },
  ];
  it.each(lines)('$name', ({ line, record, pairs, epoch, it: itPerSec, samples, tokens }) => {
    const f = scanLine(line);
    expect(f).not.toBeNull();
    if (record !== undefined) expect(f!.record).toEqual(record);
    if (pairs !== undefined) expect(f!.pairs).toEqual(pairs);
    if (epoch !== undefined) expect(f!.epoch).toBe(epoch);
    if (itPerSec !== undefined) expect(f!.itPerSec).toBeCloseTo(itPerSec, 9);
    if (samples !== undefined) expect(f!.samplesPerSec).toBe(samples);
    if (tokens !== undefined) expect(f!.tokensPerSec).toBe(tokens);
  });

  it('the hand-read tqdm bar agrees with the regex reading', () => {
    const bar = fc
      .record({
        desc: fc.constantFrom('', 'Epoch 3: ', 'Map: ', '1|50|Loss: 1.2345: '),
        step: fc.nat(99999),
        total: fc.integer({ min: 1, max: 99999 }),
        el: fc.constantFrom('00:01', '1:02:03', '23:37'),
        left: fc.constantFrom('?', '00:09', '15:44:25'),
        rate: fc.constantFrom(' 7.03s/it', ' 10.00it/s', ' ?it/s', '1.02it/s'),
        post: fc.constantFrom('', ', loss=2.29', ', loss=2.29, lr=1e-4'),
        after: fc.constantFrom('', "{'loss': 1.5}"),
      })
      .map((b) => `${b.desc}${String(Math.floor((b.step / b.total) * 100) % 1000).padStart(3)}%|██▏       | ${b.step}/${b.total} [${b.el}<${b.left},${b.rate}${b.post}]${b.after}`);
    fc.assert(
      fc.property(bar, (line) => {
        const fast = tqdmFast(line);
        expect(fast).not.toBeNull();
        // the regex path: the same line with a unit-scaled count the fast path refuses
        const slow = scanLine(line.replace(/ (\d+)\/(\d+) \[/, ' $1/$2.0 ['));
        const mine = scanLine(line);
        expect(mine!.record).toEqual({ ...slow!.record!, total: slow!.record!.total === null ? null : Math.round(slow!.record!.total) });
        expect(mine!.pairs).toEqual(slow!.pairs);
        expect(mine!.itPerSec).toBe(slow!.itPerSec);
      }),
      { numRuns: 300 },
    );
  });
});

describe('hostile input', () => {
  it('ANSI colour and cursor moves around a rich bar', () => {
    const a = analyzeLog('\x1b[2K\x1b[1A\x1b[35mEpoch 1/3\x1b[0m \x1b[38;5;197m━━━━━━━━━━\x1b[0m 10/20 \x1b[33m0:00:01\x1b[0m • \x1b[36m0:00:01\x1b[0m 9.50it/s\n');
    expect(a.progress).toEqual({ step: 10, total: 20, percent: 50, etaSeconds: 1 });
    expect(a.rate?.itPerSec).toBe(9.5);
  });

  it('nan and inf in Keras and DeepSpeed lines are kept as printed, out of the history and the rate', () => {
    const a = analyzeLog('58/58 ━━━━━━━━━━━━━━━━━━━━ 1s 20ms/step - loss: nan\nsteps: 200 loss: inf iter time (s): inf samples/sec: nan\n');
    expect(a.metrics.loss).toBe(Infinity);
    expect(a.metrics['samples/sec']).toBeNaN();
    expect(a.lossHistory).toEqual([]);
    expect(a.rate).toEqual({ itPerSec: 50, samplesPerSec: null, tokensPerSec: null });
  });

  it('a 1 MB line of bar characters, and one of digits and slashes, then a real line', () => {
    for (const junk of ['━'.repeat(1 << 20), '1/'.repeat(1 << 19), '•0:00:00 '.repeat(1 << 17)]) {
      const a = analyzeLog(`${junk}\nsteps: 5 loss: 1.5 iter time (s): 0.5\n`);
      expect(a.progress?.step).toBe(5);
      expect(a.rate?.itPerSec).toBe(2);
    }
  });

  it('binary junk between real lines never throws and never yields non-finite steps or rates', () => {
    const pieces = ['━', '╸', '•', ' ', '/', '0:00:', 'it/s', 'ms/step', ' - loss: ', 'steps: ', 'iter time (s): ', 'Epoch ', '\r', '\n', '\x1b[', '\x00', '\uFFFD', 'nan', 'inf'];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.nat(99999).map(String), fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 80 }), (parts) => {
        const a = analyzeLog(parts.join(''));
        if (a.progress) expect(Number.isFinite(a.progress.step)).toBe(true);
        for (const v of Object.values(a.rate ?? {})) if (v !== null) expect(Number.isFinite(v) && v > 0).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsample, newSeriesBuilder, spreadTies, type Point } from '../../../src/parse/series.js';

const hf = readFileSync(new URL('../../fixtures/logs/hf-trainer_gemma2-9b-lora_tqdm-CR_dicts_lmsys-train.log.txt', import.meta.url), 'utf8');
const capture = (f: string): string => {
  const t = readFileSync(new URL(`../../fixtures/training-logs/${f}`, import.meta.url), 'utf8');
  return t.slice(t.indexOf('\n') + 1);
};

function build(text: string, chunks?: number[], maxPoints?: number): ReturnType<typeof newSeriesBuilder> {
  const b = newSeriesBuilder(maxPoints === undefined ? undefined : { maxPoints });
  if (chunks === undefined) b.push(text);
  else {
    let at = 0;
    for (const c of chunks) {
      b.push(text.slice(at, at + c));
      at += c;
    }
    b.push(text.slice(at));
  }
  b.end();
  return b;
}

describe('series over real logs', () => {
  it('HF Trainer + tqdm (Gemma2-9B LoRA): the 20 dicts, spread over the steps the bars had reached', () => {
    const b = build(hf);
    const s = b.series();
    expect(Object.keys(s).sort()).toEqual(['epoch', 'grad_norm', 'it_per_sec', 'learning_rate', 'loss']);
    // stdout (the dicts) reached the file in one block after the bar's step 200: logged every 10 steps
    expect(s.loss).toHaveLength(20);
    expect(s.loss![0]).toEqual([10, 12.4476]);
    expect(s.loss!.at(-1)).toEqual([200, 0.4738]);
    expect(s.loss!.map((p) => p[0])).toEqual(Array.from({ length: 20 }, (_, k) => 10 * (k + 1)));
    expect(s.learning_rate!.at(-1)).toEqual([200, 6.992640273956282e-5]);
    // one it/s point per bar step, from `7.03s/it`
    expect(s.it_per_sec![0]![0]).toBe(1);
    expect(s.it_per_sec!.at(-1)).toEqual([200, 1 / 7.03]);
    expect(b.lines).toBe(hf.split('\n').length - (hf.endsWith('\n') ? 1 : 0));
  });

  it('Keras 3: one point per epoch, at the run-wide step (epoch - 1) * steps + step', () => {
    const s = build(capture('keras3_multimodal_val-metrics.txt')).series();
    expect(s.loss).toEqual([
      [422, 0.2329],
      [844, 9.6791e-4],
      [1266, 3.4862e-4],
      [1688, 1.686e-4],
      [2110, 1.2648e-4],
    ]);
    expect(s.val_loss!.at(-1)).toEqual([2110, 8.8949e-6]);
    expect(s.it_per_sec![0]).toEqual([422, 200]);
  });

  it('Megatron-LM: lm loss per iteration', () => {
    const s = build(capture('issue_megatron-llm-11_iteration-lines.txt')).series();
    expect(s.lm_loss).toEqual([
      [122, 2.50422],
      [123, 2.493043],
      [124, 2.559583],
      [125, 2.477393],
    ]);
    expect(s.grad_norm!.at(-1)).toEqual([125, 0.356]);
  });

  it('DeepSpeed: timer lines borrow the step of the log_dist line before them', () => {
    const s = build(capture('issue_deepspeed-1825_log-dist-step_samplespersec.txt')).series();
    expect(s.SamplesPerSec).toEqual([
      [40, 83.48609168106144],
      [50, 83.73838805358588],
    ]);
    expect(s.lr).toEqual([
      [40, 5e-5],
      [50, 5e-5],
    ]);
  });
});

describe('series rules (synthetic lines)', () => {
  it('NaN and ±Infinity are kept out of the points', () => {
    const s = build('step 1 loss 2.0\nstep 2 loss nan\nstep 3 loss inf\nstep 4 loss 1.0\n').series();
    expect(s.loss).toEqual([
      [1, 2],
      [4, 1],
    ]);
  });

  it('a metric never given a step counts its own points', () => {
    const s = build('{"reward": 1.5}\n{"reward": 2.5}\n{"reward": 3.5}\n').series();
    expect(s.reward).toEqual([
      [1, 1.5],
      [2, 2.5],
      [3, 3.5],
    ]);
  });

  it('a bar redrawn at one step keeps one point, the latest value; an evaluation bar does not move the step', () => {
    const log = [
      'Epoch 0:  10%|█ | 10/100 [00:01<00:09, 10.00it/s, loss=3.0]',
      'Epoch 0:  10%|█ | 10/100 [00:01<00:09, 10.00it/s, loss=2.9]',
      'Validation DataLoader 0:  50%|█████ | 5/10 [00:01<00:01, 5.00it/s]',
      "{'eval_loss': 2.5}",
      'Epoch 1:  20%|██ | 20/100 [00:02<00:08, 10.00it/s, loss=2.0]',
    ].join('\n');
    const s = build(log).series();
    expect(s.loss).toEqual([
      [10, 2.9],
      [120, 2],
    ]);
    expect(s.eval_loss).toEqual([[10, 2.5]]);
  });

  it('spreadTies spreads a block of borrowed steps back to the point before it', () => {
    const a = [10, 40, 40, 40];
    spreadTies(a);
    expect(a).toEqual([10, 20, 30, 40]);
    const b = [5, 5];
    spreadTies(b);
    expect(b).toEqual([3, 5]);
    const f = [1, 1, 1];
    spreadTies(f);
    expect(f).toEqual([1 / 3, 2 / 3, 1]);
    const c = [7, 3, 3];
    spreadTies(c);
    expect(c).toEqual([7, 3, 3]);
  });
});

describe('chunking', () => {
  const logs = [hf, capture('keras3_lstm_last-epochs_predict.txt'), capture('lightning-rich_v2-4_epoch-2-2_wrapped-metrics.txt'), capture('issue_deepspeed-3742_gpt-neox_iteration_timer.txt')];
  it('any chunking gives the same series and line count (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...logs.keys()), fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 40 }), fc.constantFrom(5, 50, 2000), (k, cuts, max) => {
        const text = logs[k]!.replaceAll('\n', k % 2 === 0 ? '\n' : '\r\n');
        const whole = build(text, undefined, max);
        const split = build(text, cuts, max);
        expect(split.series()).toEqual(whole.series());
        expect(split.lines).toBe(whole.lines);
      }),
      { numRuns: 150 },
    );
  });

  it('one character at a time, inside \\r redraws and escape sequences', () => {
    const text = '\x1b[32m 1%|▏ | 1/100 [00:01<01:39, 1.00it/s, loss=5.0]\x1b[0m\r 2%|▏ | 2/100 [00:02<01:38, 1.00it/s, loss=4.0]\r\n{\'loss\': 3.5, \'epoch\': 0.02}\nno newline at the end: step 3 loss 3.0';
    expect(build(text, Array.from({ length: text.length }, () => 1)).series()).toEqual(build(text).series());
    // the dict borrows the bar's step 2: two points at one step are spread (the bar's moves to 1.5)
    expect(build(text).series().loss).toEqual([
      [1, 5],
      [1.5, 4],
      [2, 3.5],
      [3, 3],
    ]);
  });
});

describe('downsample', () => {
  const points = fc.array(fc.tuple(fc.integer(), fc.double({ noNaN: true })), { maxLength: 3000 }) as fc.Arbitrary<Point[]>;
  it('keeps the first and the last, never more than max, in order, only points it was given (property)', () => {
    fc.assert(
      fc.property(points, fc.integer({ min: 2, max: 500 }), (pts, max) => {
        const d = downsample(pts, max);
        expect(d.length).toBeLessThanOrEqual(max);
        if (pts.length <= max) expect(d).toEqual(pts);
        else {
          expect(d[0]).toBe(pts[0]);
          expect(d.at(-1)).toBe(pts.at(-1));
          let last = -1;
          for (const p of d) {
            const at = pts.indexOf(p);
            expect(at).toBeGreaterThan(last);
            last = at;
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the shape: a spike in a flat series survives', () => {
    const pts: Point[] = Array.from({ length: 100_000 }, (_, k) => [k, k === 54_321 ? 99 : 1]);
    const d = downsample(pts, 50);
    expect(d).toContainEqual([54_321, 99]);
    expect(d.length).toBeLessThanOrEqual(50);
  });

  it('max below 2', () => {
    expect(downsample([[1, 1], [2, 2]], 1)).toEqual([[2, 2]]);
    expect(downsample([[1, 1]], 0)).toEqual([]);
  });
});

describe('bounded memory', () => {
  it('2M lines hold at most 4 x maxPoints per metric, and the series still spans the run', () => {
    const b = newSeriesBuilder({ maxPoints: 100 });
    const lines: string[] = [];
    for (let i = 1; i <= 2_000_000; i++) {
      lines.push(i % 2 === 0 ? `step ${i} loss ${(1 / i).toFixed(8)}` : `{'learning_rate': ${i * 1e-9}}`);
      if (lines.length === 10_000) {
        b.push(`${lines.join('\n')}\n`);
        lines.length = 0;
      }
    }
    b.end();
    const held = b as unknown as { held(key: string): number };
    expect(held.held('loss')).toBeLessThanOrEqual(400);
    expect(held.held('learning_rate')).toBeLessThanOrEqual(400);
    const s = b.series();
    expect(s.loss!.length).toBeLessThanOrEqual(100);
    expect(s.loss![0]).toEqual([2, 0.5]);
    expect(s.loss!.at(-1)).toEqual([2_000_000, 5e-7]);
    expect(b.lines).toBe(2_000_000);
  }, 60_000);

  it('a metric name per line (garbage) stops at MAX_SERIES names', () => {
    const b = newSeriesBuilder();
    b.push(Array.from({ length: 5000 }, (_, k) => `step ${k} k${k}=1`).join('\n'));
    b.end();
    expect(Object.keys(b.series()).length).toBeLessThanOrEqual(256);
  });

  it('never throws on junk, and every point is finite', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('\r', '\n', 'loss=', "{'loss': ", 'nan', '1e308', '━━', '1/2 ')), { maxLength: 60 }), (parts) => {
        const s = build(parts.join(''), [7, 3, 11]).series();
        for (const pts of Object.values(s)) for (const [x, y] of pts) expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('downsampled over the steps, not over the points', () => {
  it('a long run gets as many points in its first half as in its second, whatever was compacted when', () => {
    const b = newSeriesBuilder({ maxPoints: 200 });
    let t = '';
    for (let i = 1; i <= 20_000; i++) t += `step ${i}/20000 loss ${(10 - i / 4000).toFixed(4)}\n`;
    b.push(t);
    b.end();
    const loss = b.series().loss!;
    expect(loss.length).toBeLessThanOrEqual(200);
    expect(loss[0]![0]).toBe(1);
    expect(loss.at(-1)![0]).toBe(20_000);
    const firstHalf = loss.filter(([s]) => s <= 10_000).length;
    expect(firstHalf / loss.length).toBeGreaterThan(0.4);
    expect(firstHalf / loss.length).toBeLessThan(0.6);
  });
  it('downsample puts no more points in a densely logged part than in a sparse one of the same length', () => {
    const pts: [number, number][] = [];
    for (let s = 0; s < 1000; s += 10) pts.push([s, Math.sin(s)]);
    for (let s = 1000; s < 2000; s += 0.1) pts.push([s, Math.sin(s)]);
    const d = downsample(pts, 100);
    const early = d.filter(([s]) => s < 1000).length;
    expect(early).toBeGreaterThan(35);
  });
});

// Progress and metrics from the tail of a training log: every '\r' redraw of a bar, not just the last,
// read line by line by progress-line.ts (tqdm / accelerate / Lightning / rich / Keras bars, HF Trainer
// dicts, nanoGPT, DeepSpeed and Megatron lines, key=value lines). Later information wins. Lines with a
// launcher's rank prefix (rank-prefix.ts: srun -l, mpirun --tag-output, torchrun --tee) are read without
// it, and only the lowest rank's count. Pure; never throws.
import type { Metrics, Progress } from '../domain/types.js';
import { SCAN_MAX, clock, scanLine } from './progress-line.js';
import { RankChooser, detectPrefix, splitLine, type PrefixStyle } from './rank-prefix.js';

export { clock, scanLine } from './progress-line.js';
export type { LineFacts, LineRecord } from './progress-line.js';

/** The run's speed as the log last told it; each null when the log never said. */
export interface Rate {
  itPerSec: number | null;
  samplesPerSec: number | null;
  tokensPerSec: number | null;
}

export interface LogAnalysis {
  progress: Progress | null;
  metrics: Metrics;
  /** Training loss values in log order (finite only), at most HISTORY long; one per step. */
  lossHistory: number[];
  /** it/s from bars and step lines, samples/s and tokens/s where the log prints them; null: none seen. */
  rate: Rate | null;
}

export const HISTORY = 120;

/** One progress observation: a bar update or a step line. */
export interface ProgressRecord {
  /** 0-based physical line ('\n'-separated) it came from. */
  line: number;
  bar: boolean;
  /** The bar's description (`Epoch 3`, `Validation DataLoader 0`), '' for none. */
  desc: string;
  step: number;
  total: number | null;
  etaSeconds: number | null;
}

export interface LogScan {
  records: ProgressRecord[];
  metrics: Metrics;
  lossHistory: number[];
  /** Loss-like values per physical line (for nan detection), latest last. */
  lossLines: { line: number; key: string; value: number; text: string }[];
  lines: number;
  rate: Rate | null;
}

export function analyzeLog(tail: string): LogAnalysis {
  try {
    const scan = scanLog(tail);
    return { progress: pickProgress(scan.records), metrics: scan.metrics, lossHistory: scan.lossHistory, rate: scan.rate };
  } catch {
    return { progress: null, metrics: {}, lossHistory: [], rate: null };
  }
}

/** step: `epoch:step` (Keras and Lightning bars restart every epoch), null for none. */
type History = { step: string | null; v: number }[];

/** Every progress record and metric in the text, in order. */
export function scanLog(tail: string): LogScan {
  const records: ProgressRecord[] = [];
  const metrics: Metrics = {};
  const train: History = [];
  const val: History = [];
  const lossLines: LogScan['lossLines'] = [];
  let rate: Rate | null = null;
  const style = detectPrefix(tail);
  if (style !== null) {
    // launcher prefixes (srun -l, mpirun --tag-output, torchrun --tee...): one rank's lines only
    const lines = scanRanked(style, tail, (f, lineNo) => {
      rate = takeRate(rate, f);
      take(f, lineNo, records, metrics, train, val, lossLines);
    });
    const hist = (train.length > 0 ? train : val).map((h) => h.v);
    return { records, metrics, lossHistory: hist.slice(-HISTORY), lossLines, lines, rate };
  }
  let lineNo = 0;
  let start = 0;
  const n = tail.length;
  while (start <= n) {
    let end = tail.indexOf('\n', start);
    if (end < 0) end = n;
    // each '\r'-separated segment is one complete redraw of the line
    let s = start;
    while (s <= end) {
      let e = tail.indexOf('\r', s);
      if (e < 0 || e > end) e = end;
      if (e > s) {
        const f = scanLine(e - s > SCAN_MAX ? tail.slice(e - SCAN_MAX, e) : tail.slice(s, e));
        if (f) {
          rate = takeRate(rate, f);
          take(f, lineNo, records, metrics, train, val, lossLines);
        }
      }
      s = e + 1;
    }
    lineNo++;
    start = end + 1;
  }
  const hist = (train.length > 0 ? train : val).map((h) => h.v);
  return { records, metrics, lossHistory: hist.slice(-HISTORY), lossLines, lines: lineNo, rate };
}

/**
 * Each '\r' redraw of each line read without its prefix; lines of ranks other than the lowest one in
 * the text are skipped (unprefixed lines are kept). Returns the number of physical lines.
 */
function scanRanked(style: PrefixStyle, tail: string, found: (f: NonNullable<ReturnType<typeof scanLine>>, lineNo: number) => void): number {
  const lines = tail.split('\n');
  const split = lines.map((l) => splitLine(style, l));
  // the lowest rank in the whole text first, so lines printed before rank 0's first one are not taken
  const chooser = new RankChooser();
  for (const segs of split) for (const p of segs) chooser.keep(p.rank, p.host);
  split.forEach((segs, lineNo) => {
    for (const p of segs) {
      if (p.text.length === 0 || !chooser.keep(p.rank, p.host)) continue;
      const f = scanLine(p.text);
      if (f) found(f, lineNo);
    }
  });
  return lines.length;
}

function takeRate(r: Rate | null, f: { itPerSec: number | null; samplesPerSec: number | null; tokensPerSec: number | null }): Rate | null {
  if (f.itPerSec === null && f.samplesPerSec === null && f.tokensPerSec === null) return r;
  const out = r ?? { itPerSec: null, samplesPerSec: null, tokensPerSec: null };
  if (f.itPerSec !== null) out.itPerSec = f.itPerSec;
  if (f.samplesPerSec !== null) out.samplesPerSec = f.samplesPerSec;
  if (f.tokensPerSec !== null) out.tokensPerSec = f.tokensPerSec;
  return out;
}

function take(
  f: NonNullable<ReturnType<typeof scanLine>>,
  line: number,
  records: ProgressRecord[],
  metrics: Metrics,
  train: History,
  val: History,
  lossLines: LogScan['lossLines'],
): void {
  if (f.epoch !== null) metrics.epoch = f.epoch;
  const step = f.record ? `${metrics.epoch ?? ''}:${f.record.step}` : null;
  if (f.record) records.push({ line, ...f.record });
  let trainLoss: [string, number] | null = null;
  let valLoss: [string, number] | null = null;
  for (const [key, v] of f.pairs) {
    metrics[key] = v;
    const lk = key.toLowerCase();
    if (lk.includes('loss')) {
      if (/^(val|valid|validation|eval|test)[_/ -]?/.test(lk)) valLoss ??= [key, v];
      else if (trainLoss === null || rankLoss(lk) < rankLoss(trainLoss[0].toLowerCase())) trainLoss = [key, v];
    }
  }
  if (trainLoss === null && valLoss === null) return;
  const text = f.text;
  if (trainLoss) {
    lossLines.push({ line, key: trainLoss[0], value: trainLoss[1], text });
    push(train, step, trainLoss[1]);
  }
  if (valLoss) {
    lossLines.push({ line, key: valLoss[0], value: valLoss[1], text });
    push(val, step, valLoss[1]);
  }
}

export function rankLoss(k: string): number {
  if (k === 'loss') return 0;
  if (k === 'train_loss' || k === 'train/loss' || k === 'training_loss') return 1;
  return 2;
}

function push(h: History, step: string | null, v: number): void {
  if (!Number.isFinite(v)) return;
  const last = h[h.length - 1];
  if (last && step !== null && last.step === step) last.v = v;
  else h.push({ step, v });
  if (h.length > HISTORY * 2) h.splice(0, h.length - HISTORY);
}

const EVALISH = /valid|eval|test|predict|sanity/i;

/**
 * The latest record wins, with one exception: an evaluation bar (described as one, or any bar with a
 * smaller total) does not hide an unfinished training bar seen before it.
 */
export function pickProgress(records: ProgressRecord[]): Progress | null {
  if (records.length === 0) return null;
  let chosen = records[records.length - 1]!;
  if (chosen.bar) {
    let main: ProgressRecord | null = null;
    for (let k = records.length - 1; k >= 0; k--) {
      const r = records[k]!;
      if (!r.bar || r.total === null || EVALISH.test(r.desc)) continue;
      if (main === null || r.total > main.total!) main = r;
    }
    const smaller = chosen.total === null || (main !== null && chosen.total < main.total!);
    if (main && main !== chosen && (EVALISH.test(chosen.desc) || smaller) && main.step < main.total!) chosen = main;
  }
  const { step, total } = chosen;
  const percent = total !== null && total > 0 ? Math.round((Math.min(step, total) / total) * 1000) / 10 : null;
  let eta = chosen.etaSeconds;
  if (total !== null && step >= total) eta = 0;
  return { step, total, percent, etaSeconds: eta };
}

/** The training loss among the metrics (`loss`, then `train_loss`...), or null. */
export function primaryLoss(metrics: Metrics): { key: string; value: number } | null {
  let best: { key: string; value: number } | null = null;
  for (const [key, value] of Object.entries(metrics)) {
    const lk = key.toLowerCase();
    if (!lk.includes('loss') || /^(val|valid|validation|eval|test)[_/ -]?/.test(lk)) continue;
    if (best === null || rankLoss(lk) < rankLoss(best.key.toLowerCase())) best = { key, value };
  }
  return best;
}

// Progress and metrics from the tail of a training log: tqdm / accelerate / Lightning bars (every '\r'
// update, not just the last), HF Trainer dicts, nanoGPT / modded-nanogpt step lines, key=value lines.
// Later information wins. Pure; never throws.
import type { Metrics, Progress } from '../domain/types.js';
import { stripAnsi } from './terminal.js';

export interface LogAnalysis {
  progress: Progress | null;
  metrics: Metrics;
  /** Training loss values in log order (finite only), at most HISTORY long; one per step. */
  lossHistory: number[];
}

export const HISTORY = 120;
/** Longest piece of a line looked at (a bar is ~200 chars, an HF dict ~150). */
const SCAN_MAX = 4096;

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
}

export function analyzeLog(tail: string): LogAnalysis {
  try {
    const scan = scanLog(tail);
    return { progress: pickProgress(scan.records), metrics: scan.metrics, lossHistory: scan.lossHistory };
  } catch {
    return { progress: null, metrics: {}, lossHistory: [] };
  }
}

/** Every progress record and metric in the text, in order. */
export function scanLog(tail: string): LogScan {
  const records: ProgressRecord[] = [];
  const metrics: Metrics = {};
  const train: { step: number | null; v: number }[] = [];
  const val: { step: number | null; v: number }[] = [];
  const lossLines: LogScan['lossLines'] = [];
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
        const raw = e - s > SCAN_MAX ? tail.slice(e - SCAN_MAX, e) : tail.slice(s, e);
        scanSegment(stripAnsi(raw).trim(), lineNo, records, metrics, train, val, lossLines);
      }
      s = e + 1;
    }
    lineNo++;
    start = end + 1;
  }
  const hist = (train.length > 0 ? train : val).map((h) => h.v);
  return { records, metrics, lossHistory: hist.slice(-HISTORY), lossLines, lines: lineNo };
}

const NUM = String.raw`-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|-?nan|[-+]?inf(?:inity)?`;
// key=value / key: value / 'key': value / "key": value; the key starts after a separator
const PAIR = new RegExp(
  String.raw`(?:^|[\s,{|(\[:;])['"]?([A-Za-z_][\w./-]*)['"]?\s*[=:]\s*[['"]?(${NUM})(?![\d.:])['"]?`,
  'gi',
);
// nanoGPT style: `loss 2.2917`, `train loss 2.3`, `time 35.12ms`, `mfu 38.40%`
const SPACED = new RegExp(
  String.raw`(?:^|[\s,|:;])((?:train|val|valid|eval|test)[ _])?(loss|lr|mfu|time|ppl|perplexity|acc|accuracy|grad_norm|gnorm)\s+(${NUM})(?:ms|s|%)?(?![\w.])`,
  'gi',
);
// one `|`-separated field whose key has spaces: `lm loss: 7.123456E+00`, `elapsed time per iteration (ms): 12.5`
const FIELD = new RegExp(String.raw`^\s*([A-Za-z][A-Za-z]*(?: [A-Za-z()]+){1,5})\s*:\s*(${NUM})\s*$`, 'i');
const BAR = /(\d{1,3})%\|/;
const BAR_COUNTS = /\|\s?(\d+(?:\.\d+)?[kMGTP]?)\/(\d+(?:\.\d+)?[kMGTP]?)\s\[([^\]]*)\]?/;
const STEP = /(?:^|[^\w])(?:global[_ ]step|step|iter|iteration)\s*[:=#]?\s*(\d+)(?:\s*\/\s*(\d+))?/i;
const ETA = /\beta\b\s*[:=]?\s*(\d+(?::\d{1,2}){0,2})(?![\d.])/i;
const METRIC_HINT = /loss|\blr\b|learning_rate|\bstep\b|step[:=\s]|iter\b|\bepoch|=\s*-?[\d.]|mfu|accuracy/i;
const NOT_METRICS = new Set(['step', 'iter', 'iteration', 'global_step', 'v_num', 'total', 'it', 'eta']);

function scanSegment(
  seg: string,
  line: number,
  records: ProgressRecord[],
  metrics: Metrics,
  train: { step: number | null; v: number }[],
  val: { step: number | null; v: number }[],
  lossLines: LogScan['lossLines'],
): void {
  if (seg.length === 0) return;
  let step: number | null = null;
  let pairsFrom = seg;
  const bar = barRecord(seg, line);
  if (bar) {
    records.push(bar.rec);
    step = bar.rec.step;
    // torchtune and others put metrics in the description: `1|50|Loss: 1.2345: 100%|...`
    pairsFrom = `${bar.rec.desc} , ${bar.postfix}`;
    const ep = /^epoch\s+(\d+)/i.exec(bar.rec.desc);
    if (ep) metrics.epoch = Number(ep[1]);
  } else {
    const m = STEP.exec(seg);
    if (m) {
      const st = Number(m[1]);
      const total = m[2] !== undefined ? Number(m[2]) : null;
      if (Number.isSafeInteger(st)) {
        step = st;
        let eta: number | null = null;
        const avg = /step_avg[:=]\s*(\d+(?:\.\d+)?)\s*ms/.exec(seg);
        if (total !== null && avg) eta = Math.round(((total - st) * Number(avg[1])) / 1000);
        const e = ETA.exec(seg);
        if (e) eta = clock(e[1]!);
        records.push({ line, bar: false, desc: '', step: st, total: total && total > 0 ? total : null, etaSeconds: eta });
      }
    }
  }
  if (pairsFrom.length === 0 || !METRIC_HINT.test(pairsFrom)) return;
  const found: [string, number][] = [];
  // Megatron / custom loggers: `| lm loss: 7.1E+00 | learning rate: 1.0E-04 |`, keys of several words
  const fields = pairsFrom.includes('|') ? pairsFrom.split('|') : [pairsFrom];
  for (const field of fields) {
    const w = fields.length > 1 ? FIELD.exec(field) : null;
    if (w) {
      found.push([w[1]!.toLowerCase().replace(/[()]/g, '').trim().replace(/\s+/g, '_'), num(w[2]!)]);
      continue;
    }
    PAIR.lastIndex = 0;
    for (let m = PAIR.exec(field); m; m = PAIR.exec(field)) {
      if (!isPhraseOrCount(field, m)) found.push([m[1]!, num(m[2]!)]);
      if (PAIR.lastIndex === m.index) PAIR.lastIndex++;
    }
  }
  SPACED.lastIndex = 0;
  for (let m = SPACED.exec(pairsFrom); m; m = SPACED.exec(pairsFrom)) {
    const prefix = m[1] ? `${m[1].trim().toLowerCase().replace(/ $/, '')}_` : '';
    found.push([`${prefix.replace('__', '_')}${m[2]!.toLowerCase()}`, num(m[3]!)]);
    if (SPACED.lastIndex === m.index) SPACED.lastIndex++;
  }
  let trainLoss: [string, number] | null = null;
  let valLoss: [string, number] | null = null;
  for (const [key, v] of found) {
    const lk = key.toLowerCase();
    if (NOT_METRICS.has(lk)) continue;
    metrics[key] = v;
    if (lk.includes('loss')) {
      if (/^(val|valid|validation|eval|test)[_/ -]?/.test(lk)) valLoss ??= [key, v];
      else if (trainLoss === null || rankLoss(lk) < rankLoss(trainLoss[0].toLowerCase())) trainLoss = [key, v];
    }
  }
  if (trainLoss) {
    lossLines.push({ line, key: trainLoss[0], value: trainLoss[1], text: seg });
    push(train, step, trainLoss[1]);
  }
  if (valLoss) {
    lossLines.push({ line, key: valLoss[0], value: valLoss[1], text: seg });
    push(val, step, valLoss[1]);
  }
}

/**
 * Banner lines are not metrics: `  Num examples = 9,600` (a key that ends a phrase of words, before a
 * spaced `=`) or a value with a thousands separator (`= 25,460,736`) would read as `examples: 9`.
 */
function isPhraseOrCount(field: string, m: RegExpExecArray): boolean {
  const end = m.index + m[0].length;
  if (/^,\d{3}(?!\d)/.test(field.slice(end))) return true;
  const keyAt = field.indexOf(m[1]!, m.index);
  const before = field.slice(0, keyAt);
  const spacedEq = /^\s+[=:]\s/.test(field.slice(keyAt + m[1]!.length));
  return spacedEq && /[A-Za-z]\s$/.test(before);
}

function rankLoss(k: string): number {
  if (k === 'loss') return 0;
  if (k === 'train_loss' || k === 'train/loss' || k === 'training_loss') return 1;
  return 2;
}

function push(h: { step: number | null; v: number }[], step: number | null, v: number): void {
  if (!Number.isFinite(v)) return;
  const last = h[h.length - 1];
  if (last && step !== null && last.step === step) last.v = v;
  else h.push({ step, v });
  if (h.length > HISTORY * 2) h.splice(0, h.length - HISTORY);
}

const RICH = /(\d+)\/(\d+)\s+(\d+:\d{2}(?::\d{2})?)\s+\u2022\s+(\d+:\d{2}(?::\d{2})?|-:--:--)/;

function barRecord(seg: string, line: number): { rec: ProgressRecord; postfix: string } | null {
  const c = BAR_COUNTS.exec(seg);
  const rich = c ? null : RICH.exec(seg);
  if (rich) {
    const desc = seg.slice(0, rich.index).replace(/[\u2500-\u257f\s]+$/, '').trim();
    const total = Number(rich[2]);
    return {
      rec: { line, bar: true, desc, step: Number(rich[1]), total: total > 0 ? total : null, etaSeconds: clock(rich[4]!) },
      postfix: seg.slice(rich.index + rich[0].length),
    };
  }
  if (!c) {
    // a bar with no total: `123it [00:01, 99.0it/s, loss=1]`
    const u = /(?:^|\s|:)(\d+(?:\.\d+)?[kMGTP]?)(?:it|batch|step|steps|ex|samples|tok)?\s\[(\d+:\d{2}(?::\d{2})?),\s*([^\]]*)\]?/.exec(seg);
    if (!u || !/(it|s)\/(s|it)|\?it\/s/.test(u[3]!)) return null;
    const st = scaled(u[1]!);
    if (st === null) return null;
    const desc = seg.slice(0, u.index).replace(/:\s*$/, '').trim();
    const postfix = u[3]!.split(',').slice(1).join(',');
    return { rec: { line, bar: true, desc, step: Math.round(st), total: null, etaSeconds: null }, postfix };
  }
  const step = scaled(c[1]!);
  const total = scaled(c[2]!);
  if (step === null || total === null) return null;
  const inside = c[3]!;
  const parts = inside.split(',');
  let eta: number | null = null;
  const lt = parts[0]!.indexOf('<');
  if (lt >= 0) eta = clock(parts[0]!.slice(lt + 1).trim());
  if (eta === null && parts[1] !== undefined) {
    const rate = /(\d+(?:\.\d+)?)\s*(it|s)\/(s|it)/.exec(parts[1]);
    if (rate && total > step) {
      const r = Number(rate[1]);
      const perSec = rate[2] === 'it' ? r : r > 0 ? 1 / r : 0;
      if (perSec > 0) eta = Math.round((total - step) / perSec);
    }
  }
  const pm = BAR.exec(seg);
  const descEnd = pm && pm.index < c.index ? pm.index : c.index;
  const desc = seg.slice(0, descEnd).replace(/:\s*$/, '').trim();
  return {
    rec: { line, bar: true, desc, step: Math.round(step), total: total > 0 ? Math.round(total) : null, etaSeconds: eta },
    // the postfix, plus whatever was printed right after the bar on the same line (HF's first dict)
    postfix: `${parts.slice(2).join(',')} ${seg.slice(c.index + c[0].length)}`,
  };
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

/** `7:34:12`, `01:02`, `42` -> seconds; `?` and garbage -> null. */
export function clock(s: string): number | null {
  const t = s.trim();
  const parts = t.split(':');
  if (parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) return null;
  let v = 0;
  for (const p of parts) v = v * 60 + Number(p);
  return Number.isFinite(v) ? v : null;
}

function scaled(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kMGTP]?)$/.exec(s);
  if (!m) return null;
  const mult = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 }[m[2] as '' | 'k' | 'M' | 'G' | 'T' | 'P'];
  const v = Number(m[1]) * mult;
  return Number.isFinite(v) ? v : null;
}

function num(s: string): number {
  const l = s.toLowerCase();
  if (l.endsWith('nan')) return Number.NaN;
  if (l.includes('inf')) return l.startsWith('-') ? -Infinity : Infinity;
  return Number(s);
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

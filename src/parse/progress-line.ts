// What one line of a training log says: a bar update or a step line, key/value metrics, the run's rate.
// One '\r'-separated redraw at a time (callers split), so a log scan and the whole-run series
// (series.ts) read lines the same way. Formats: tqdm / accelerate / Lightning bars, Lightning's and
// generic rich.progress bars, Keras 3 and tf.keras progbars, HF Trainer dicts, nanoGPT /
// modded-nanogpt step lines, DeepSpeed (engine, pipeline, timer) and Megatron-LM / GPT-NeoX lines,
// key=value lines. Pure; never throws on garbage.
import { type Bar, clock, hfDict, itRate, tqdmFast } from './line-fast.js';
import { stripAnsi } from './terminal.js';

export { clock } from './line-fast.js';

export interface LineRecord {
  bar: boolean;
  /** The bar's description (`Epoch 3`, `Validation DataLoader 0`), '' for none. */
  desc: string;
  step: number;
  total: number | null;
  etaSeconds: number | null;
}

export interface LineFacts {
  /** The redraw as read: control sequences dropped, trimmed. */
  text: string;
  record: LineRecord | null;
  /** Metrics in line order, NaN and ±Infinity kept as printed. */
  pairs: [string, number][];
  /** Epoch the line names (`Epoch 3/10`, a bar's `Epoch 3`), as printed; null when none. */
  epoch: number | null;
  /** Iterations per second (a bar's it/s or s/it, Keras ms/step, DeepSpeed iter time, Megatron ms per iteration). */
  itPerSec: number | null;
  samplesPerSec: number | null;
  tokensPerSec: number | null;
}

/** Longest piece of a line looked at (a bar is ~200 chars, an HF dict ~150). */
export const SCAN_MAX = 4096;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const RATE_KEY = /sec|\/s|^tps$|^elapsed_time_per_iteration_ms$/i;
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
// DeepSpeed pipeline engine: `steps: 100 loss: 0.0585 iter time (s): 0.186 samples/sec: 53.694`
const DS_PIPE = /^steps:\s*(\d+)\s/;
const DS_FIELD = new RegExp(String.raw`([A-Za-z][\w/]*(?: [a-z]+)*(?: \(s\))?):\s*(${NUM})(?![\w.])`, 'g');
const BAR = /(\d{1,3})%\|/;
const BAR_COUNTS = /\|\s?(\d+(?:\.\d+)?[kMGTP]?)\/(\d+(?:\.\d+)?[kMGTP]?)\s\[([^\]]*)\]?/;
const STEP = /(?:^|[^\w])(?:global[_ ]step|step|iter|iteration)\s*[:=#]?\s*(\d+)(?:\s*\/\s*(\d+))?/i;
const ETA = /\beta\b\s*[:=]?\s*(\d+(?::\d{1,2}){0,2})(?![\d.])/i;
const METRIC_HINT = /loss|\blr\b|learning_rate|\bstep\b|step[:=\s]|iter\b|\bepoch|=\s*-?[\d.]|mfu|accuracy|\/s|per_?sec/i;
const NOT_METRICS = new Set(['step', 'steps', 'iter', 'iteration', 'global_step', 'v_num', 'total', 'it', 'eta']);
// Lightning's RichProgressBar: `Epoch 2/9 ━━━╸━━ 450/1000 0:00:10 • 0:00:12 44.00it/s v_num: 0 ...`;
// an iterable dataset has no total (`5072/-- 2:40:43 • -:--:--`)
const RICH = /(\d+)\/(\d+|--)\s+(\d+:\d{2}(?::\d{2})?)\s+\u2022\s+(\d+:\d{2}(?::\d{2})?|-:--:--)/;
// rich.progress columns in other orders: a `━` bar then `M/N` or `NN%`, clocks (elapsed, remaining)
const RICH_BAR = /[\u2501\u2578\u257a]{2,}/;
const RICH_AFTER = /^\s*(?:(\d+)\/(\d+)|(\d{1,3})%)(?:\s+(?:\u2022\s+)?(\d+:\d{2}(?::\d{2})?|-:--:--))?(?:\s+(?:\u2022\s+)?(\d+:\d{2}(?::\d{2})?|-:--:--))?/;
// Keras 3 `120/500 ━━━━━ 12s 25ms/step - loss: 0.21`, tf.keras `4/102 [>....] - ETA: 8:10 - loss: 0.67`,
// verbose=2 `239/239 - 6s - 27ms/step - loss: 0.02`
const KERAS = /^(\d+)\/(\d+) (?:[\u2501\u2578\u257a\u2500 ]+|\[[=>.]*\]|-)\s*(?:-\s*)?(?:ETA:\s*)?(\d+(?::\d{2}){1,2}|\d+(?:\.\d+)?(?:ms|us|\u00b5s|s|m|h))?/;
const PER_STEP = /(\d+(?:\.\d+)?)(ms|us|\u00b5s|s)\/step\b/;
const EPOCH_HEADER = /^Epoch (\d+)\/(\d+)$/;
// `tok/s 51234`, `tokens/s: 1.2e5`, `51234 tok/s`, `samples/sec: 62.5`
const SPACED_RATE = /\b(tok(?:en)?s?|samples?)\/s(?:ec)?\b[:=]?\s*(\d+(?:\.\d+)?(?:e[-+]?\d+)?)|(\d+(?:\.\d+)?)\s*(tok(?:en)?s?|samples?)\/s(?:ec)?\b/i;

/** Whether text has control characters other than '\t', '\n', '\r' (escape sequences, junk). */
export function hasControls(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * One '\r'-separated redraw of a line (raw: ANSI and trailing spaces allowed), or null for nothing.
 * plain: the caller knows raw has no control characters (hasControls on a whole chunk is cheaper).
 */
export function scanLine(raw: string, plain = false): LineFacts | null {
  const cut = raw.length > SCAN_MAX ? raw.slice(raw.length - SCAN_MAX) : raw;
  const seg = (!plain && CONTROL.test(cut) ? stripAnsi(cut) : cut).trim();
  if (seg.length === 0) return null;
  const facts: LineFacts = { text: seg, record: null, pairs: [], epoch: null, itPerSec: null, samplesPerSec: null, tokensPerSec: null };
  // HF Trainer's dicts are most of a long log's metric lines: read them without the regexes
  const dict = seg.charCodeAt(0) === 123 ? hfDict(seg) : null;
  if (dict) {
    for (const [k, v] of dict) add(facts.pairs, k, v);
    rates('', facts);
    return facts.pairs.length > 0 ? facts : null;
  }
  let pairsFrom = seg;
  const header = seg.length < 24 ? EPOCH_HEADER.exec(seg) : null;
  if (header) {
    facts.epoch = Number(header[1]);
    return facts;
  }
  const bar = barRecord(seg) ?? kerasRecord(seg, facts);
  if (bar) {
    facts.record = bar.rec;
    pairsFrom = bar.rec.desc.length === 0 ? bar.postfix.trim() : `${bar.rec.desc} , ${bar.postfix}`;
    const ep = bar.rec.desc.length > 5 ? /^epoch\s+(\d+)/i.exec(bar.rec.desc) : null;
    if (ep) facts.epoch = Number(ep[1]);
    if (facts.itPerSec === null) facts.itPerSec = itRate(bar.rateText);
  } else if (DS_PIPE.test(seg)) {
    return deepspeedPipe(seg, facts);
  } else {
    const m = STEP.exec(seg);
    if (m) {
      const st = Number(m[1]);
      const total = m[2] !== undefined ? Number(m[2]) : null;
      if (Number.isSafeInteger(st)) {
        let eta: number | null = null;
        const avg = /step_avg[:=]\s*(\d+(?:\.\d+)?)\s*ms/.exec(seg);
        if (total !== null && avg) eta = Math.round(((total - st) * Number(avg[1])) / 1000);
        const e = ETA.exec(seg);
        if (e) eta = clock(e[1]!);
        facts.record = { bar: false, desc: '', step: st, total: total && total > 0 ? total : null, etaSeconds: eta };
      }
    }
  }
  if (pairsFrom.length === 0 || !METRIC_HINT.test(pairsFrom)) return facts.record || facts.itPerSec !== null ? facts : null;
  collectPairs(pairsFrom, facts.pairs);
  rates(pairsFrom, facts);
  return facts;
}

function collectPairs(text: string, out: [string, number][]): void {
  // Megatron / custom loggers: `| lm loss: 7.1E+00 | learning rate: 1.0E-04 |`, keys of several words
  const fields = text.includes('|') ? text.split('|') : [text];
  for (const field of fields) {
    const w = fields.length > 1 ? FIELD.exec(field) : null;
    if (w) {
      add(out, w[1]!.toLowerCase().replace(/[()]/g, '').trim().replace(/\s+/g, '_'), num(w[2]!));
      continue;
    }
    PAIR.lastIndex = 0;
    for (let m = PAIR.exec(field); m; m = PAIR.exec(field)) {
      if (!isPhraseOrCount(field, m)) add(out, m[1]!, num(m[2]!));
      if (PAIR.lastIndex === m.index) PAIR.lastIndex++;
    }
  }
  SPACED.lastIndex = 0;
  for (let m = SPACED.exec(text); m; m = SPACED.exec(text)) {
    const prefix = m[1] ? `${m[1].trim().toLowerCase().replace(/ $/, '')}_` : '';
    add(out, `${prefix.replace('__', '_')}${m[2]!.toLowerCase()}`, num(m[3]!));
    if (SPACED.lastIndex === m.index) SPACED.lastIndex++;
  }
}

function add(out: [string, number][], key: string, v: number): void {
  if (key.length > 11 || !NOT_METRICS.has(key.toLowerCase())) out.push([key, v]);
}

/** samples/s and tokens/s from the metrics (HF `train_samples_per_second`, DeepSpeed `SamplesPerSec=`) or spaced text. */
function rates(text: string, facts: LineFacts): void {
  for (const [key, v] of facts.pairs) {
    if (!Number.isFinite(v) || v < 0) continue;
    if (!RATE_KEY.test(key)) continue;
    const k = key.toLowerCase();
    if (/samples?(?:_per_second|_per_sec|\/s|\/sec|persec)$/.test(k)) facts.samplesPerSec = v;
    else if (/^(?:train_)?tok(?:en)?s?(?:_per_second|_per_sec|\/s|\/sec|persec)$|^tps$/.test(k)) facts.tokensPerSec = v;
    else if (k === 'elapsed_time_per_iteration_ms' && v > 0) facts.itPerSec ??= 1000 / v;
  }
  if ((facts.samplesPerSec === null || facts.tokensPerSec === null) && text.includes('/s')) {
    const m = SPACED_RATE.exec(text);
    if (m) {
      const what = (m[1] ?? m[4]!).toLowerCase();
      const v = Number(m[2] ?? m[3]);
      if (Number.isFinite(v)) {
        if (what.startsWith('tok')) facts.tokensPerSec ??= v;
        else facts.samplesPerSec ??= v;
      }
    }
  }
}

function deepspeedPipe(seg: string, facts: LineFacts): LineFacts {
  facts.record = { bar: false, desc: '', step: Number(DS_PIPE.exec(seg)![1]), total: null, etaSeconds: null };
  DS_FIELD.lastIndex = 0;
  for (let m = DS_FIELD.exec(seg); m; m = DS_FIELD.exec(seg)) {
    const key = m[1]!.toLowerCase().replace(' (s)', '_s').replace(/ /g, '_');
    const v = num(m[2]!);
    if (key === 'iter_time_s' && v > 0 && Number.isFinite(v)) facts.itPerSec = 1 / v;
    add(facts.pairs, key, v);
  }
  rates(seg, facts);
  return facts;
}

function kerasRecord(seg: string, facts: LineFacts): Bar | null {
  const k = KERAS.exec(seg);
  if (!k) return null;
  const step = Number(k[1]);
  const total = Number(k[2]);
  if (!Number.isSafeInteger(step) || !Number.isSafeInteger(total)) return null;
  const per = PER_STEP.exec(seg);
  if (per) {
    const unit = per[2] === 'ms' ? 1e-3 : per[2] === 's' ? 1 : 1e-6;
    const s = Number(per[1]) * unit;
    if (s > 0 && Number.isFinite(s)) facts.itPerSec = 1 / s;
  }
  // before the end the time printed is what remains; at the end it is the epoch's duration
  const eta = step >= total ? 0 : k[3] !== undefined ? duration(k[3]) : null;
  return { rec: { bar: true, desc: '', step, total: total > 0 ? total : null, etaSeconds: eta }, postfix: seg.slice(k[0].length), rateText: '' };
}

function barRecord(seg: string): Bar | null {
  const fast = tqdmFast(seg);
  if (fast) return fast;
  const c = seg.includes('|') ? BAR_COUNTS.exec(seg) : null;
  if (!c) {
    if (seg.includes('\u2022')) {
      const rich = RICH.exec(seg);
      if (rich) {
        const desc = seg.slice(0, rich.index).replace(/[\u2500-\u257f\s-]+$/, '').trim();
        const total = rich[2] === '--' ? 0 : Number(rich[2]);
        const postfix = seg.slice(rich.index + rich[0].length);
        return {
          rec: { bar: true, desc, step: Number(rich[1]), total: total > 0 ? total : null, etaSeconds: clock(rich[4]!) },
          postfix,
          rateText: postfix,
        };
      }
    }
    const rb = RICH_BAR.exec(seg);
    if (rb) return richColumns(seg, rb);
    return unboundedBar(seg);
  }
  const step = scaled(c[1]!);
  const total = scaled(c[2]!);
  if (step === null || total === null) return null;
  const inside = c[3]!;
  const parts = inside.split(',');
  let eta: number | null = null;
  const lt = parts[0]!.indexOf('<');
  if (lt >= 0) eta = clock(parts[0]!.slice(lt + 1).trim());
  const perSec = parts[1] !== undefined ? itRate(parts[1]) : null;
  if (eta === null && perSec !== null && total > step) eta = Math.round((total - step) / perSec);
  const pm = BAR.exec(seg);
  const descEnd = pm && pm.index < c.index ? pm.index : c.index;
  const desc = seg.slice(0, descEnd).replace(/:\s*$/, '').trim();
  return {
    rec: { bar: true, desc, step: Math.round(step), total: total > 0 ? Math.round(total) : null, etaSeconds: eta },
    // the postfix, plus whatever was printed right after the bar on the same line (HF's first dict)
    postfix: `${parts.slice(2).join(',')} ${seg.slice(c.index + c[0].length)}`,
    rateText: parts[1] ?? '',
  };
}

/** rich.progress with its own columns: `desc ━━━━╺━━━ 45/100 0:01:23 • 0:00:10 3.2it/s` or `desc ━━━╸━━ 52% 0:00:05`. */
function richColumns(seg: string, rb: RegExpExecArray): Bar | null {
  let end = rb.index + rb[0].length;
  while (end < seg.length && /[\u2500-\u257f]/.test(seg[end]!)) end++;
  const after = seg.slice(end);
  const m = RICH_AFTER.exec(after);
  if (!m || (m[1] === undefined && m[3] === undefined)) return null;
  const step = Number(m[1] ?? m[3]);
  const total = m[1] !== undefined ? Number(m[2]) : 100;
  // two clocks: elapsed then remaining (Lightning's order); one: rich's default TimeRemainingColumn
  const remaining = m[5] ?? m[4];
  const eta = remaining !== undefined ? clock(remaining) : null;
  const desc = seg.slice(0, rb.index).trim();
  const postfix = after.slice(m[0].length);
  return { rec: { bar: true, desc, step, total: total > 0 ? total : null, etaSeconds: eta }, postfix, rateText: postfix };
}

/** A bar with no total: `123it [00:01, 99.0it/s, loss=1]`. */
function unboundedBar(seg: string): Bar | null {
  if (!seg.includes('[')) return null;
  const u = /(?:^|\s|:)(\d+(?:\.\d+)?[kMGTP]?)(?:it|batch|step|steps|ex|samples|tok)?\s\[(\d+:\d{2}(?::\d{2})?),\s*([^\]]*)\]?/.exec(seg);
  if (!u || !/(it|s)\/(s|it)|\?it\/s/.test(u[3]!)) return null;
  const st = scaled(u[1]!);
  if (st === null) return null;
  const desc = seg.slice(0, u.index).replace(/:\s*$/, '').trim();
  const postfix = u[3]!.split(',').slice(1).join(',');
  return { rec: { bar: true, desc, step: Math.round(st), total: null, etaSeconds: null }, postfix, rateText: u[3]! };
}

/**
 * Banner lines are not metrics: `  Num examples = 9,600` (a key that ends a phrase of words, before a
 * spaced `=`) or a value with a thousands separator (`= 25,460,736`) would read as `examples: 9`.
 */
function isPhraseOrCount(field: string, m: RegExpExecArray): boolean {
  const end = m.index + m[0].length;
  if (field.charCodeAt(end) === 44 && /^,\d{3}(?!\d)/.test(field.slice(end))) return true;
  const keyAt = field.indexOf(m[1]!, m.index);
  const before = field.slice(0, keyAt);
  const spacedEq = /^\s+[=:]\s/.test(field.slice(keyAt + m[1]!.length));
  return spacedEq && /[A-Za-z]\s$/.test(before);
}

/** Keras' times: `1:23`, `12s`, `250ms`, `3m`, `2h` -> seconds (rounded). */
function duration(s: string): number | null {
  if (s.includes(':')) return clock(s);
  const m = /^(\d+(?:\.\d+)?)(ms|us|\u00b5s|s|m|h)$/.exec(s);
  if (!m) return null;
  const mult = { ms: 1e-3, us: 1e-6, '\u00b5s': 1e-6, s: 1, m: 60, h: 3600 }[m[2] as 'ms'];
  return Math.round(Number(m[1]) * mult);
}

function scaled(s: string): number | null {
  const plain = Number(s);
  if (Number.isFinite(plain) && s.length > 0 && s.charCodeAt(0) !== 32) return plain;
  const m = /^(\d+(?:\.\d+)?)([kMGTP]?)$/.exec(s);
  if (!m) return null;
  const mult = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 }[m[2] as '' | 'k' | 'M' | 'G' | 'T' | 'P'];
  const v = Number(m[1]) * mult;
  return Number.isFinite(v) ? v : null;
}

function num(s: string): number {
  const v = Number(s);
  if (!Number.isNaN(v)) return v;
  const l = s.toLowerCase();
  if (l.endsWith('nan')) return Number.NaN;
  if (l.includes('inf')) return l.startsWith('-') ? -Infinity : Infinity;
  return Number(s);
}

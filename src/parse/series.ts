// Whole-run metric series for charts and `show --json` (DESIGN section 2: `series`, at most 2,000
// points per metric, first and last kept). Fed the log in chunks as it arrives; reads each '\r' redraw
// with progress-line.ts's scanLine, so it knows every format the monitor knows. Memory stays bounded
// for any log size: each metric keeps a reservoir of at most 4x maxPoints, compacted to 2x maxPoints
// (min/max per bucket) when full. NaN and ±Infinity are kept out of the points (JSON has no NaN;
// the nan-loss alert reports them). Steps: the line's own (bars that restart every epoch count on
// across epochs); lines without one (HF dicts, timer lines) borrow the latest training bar's or step
// line's, else count their metric's points; points that end up on one step are spread back to the
// point before them (spreadTies). Pure; never throws.
import { SCAN_MAX, hasControls, scanLine, type LineFacts } from './progress-line.js';
import { PrefixWatch, RankedStream } from './rank-prefix.js';

export type Point = [step: number, value: number];

export interface SeriesBuilder {
  /** Feed decoded log text; chunks may split lines anywhere (also inside a \r-rewritten bar). */
  push(text: string): void;
  /** Flush a last line without newline. */
  end(): void;
  /** Every metric seen, each as [step, value] points in log order, downsampled to at most maxPoints (first and last kept). */
  series(maxPoints?: number): Record<string, Point[]>;
  /** Lines consumed so far. */
  readonly lines: number;
}

export const DEFAULT_MAX_POINTS = 2000;
/** More metric names than this in one log is garbage, not a run's metrics: later names are ignored. */
export const MAX_SERIES = 256;
const EVALISH = /valid|eval|test|predict|sanity/i;

interface Reservoir {
  steps: number[];
  values: number[];
  /** Points ever taken (for the running-count step of metrics logged without one). */
  count: number;
}

export function newSeriesBuilder(o?: { maxPoints?: number }): SeriesBuilder {
  return new Builder(Math.max(2, Math.floor(o?.maxPoints ?? DEFAULT_MAX_POINTS)));
}

class Builder implements SeriesBuilder {
  lines = 0;
  private pending = '';
  private readonly series_ = new Map<string, Reservoir>();
  /** Step of the latest training bar or step line; null until one is seen. */
  private step: number | null = null;
  /** Largest total of a training bar so far (an evaluation bar has a smaller one). */
  private mainTotal = 0;
  /** 0-based epoch for bars that restart every epoch (Keras headers are 1-based, Lightning bars 0-based). */
  private epochIndex: number | null = null;
  private readonly cap: number;
  private readonly keep: number;
  /** Launcher prefixes (srun -l, mpirun --tag-output, torchrun --tee); null while none seen. */
  private ranked: RankedStream | null = null;
  /** The next segment begins a physical line. */
  private lineStart = true;
  private readonly watch = new PrefixWatch();

  constructor(private readonly maxPoints: number) {
    this.keep = 2 * maxPoints;
    this.cap = 4 * maxPoints;
  }

  push(text: string): void {
    try {
      this.feed(text);
    } catch {
      /* a parser bug must not take the monitor down; the series keeps what it had */
    }
  }

  end(): void {
    if (this.pending.length > 0) {
      if (this.ranked !== null) this.rankedSegment(this.pending, false);
      else this.segment(this.pending, false);
      this.pending = '';
      this.lines++;
    }
  }

  series(maxPoints?: number): Record<string, Point[]> {
    const max = Math.max(2, Math.floor(maxPoints ?? this.maxPoints));
    const out: Record<string, Point[]> = {};
    for (const [key, r] of this.series_) {
      const steps = r.steps.slice();
      spreadTies(steps);
      const pts: Point[] = steps.map((s, k) => [s, r.values[k]!]);
      out[key] = downsample(pts, max);
    }
    return out;
  }

  /** Points held for a metric now (tests check the bound). */
  held(key: string): number {
    return this.series_.get(key)?.steps.length ?? 0;
  }

  private feed(chunk: string): void {
    if (this.ranked === null) {
      const seen = this.watch.see(chunk, this.lines);
      if (seen !== null) {
        this.ranked = new RankedStream(seen.style);
        if (seen.again !== null) {
          // the prefixes showed on the first lines: read them again as prefixed (they include this chunk)
          this.restart();
          this.lines = 0;
          this.pending = '';
          this.scan(seen.again, true);
          return;
        }
      }
    }
    this.scan(chunk, this.ranked !== null);
  }

  /**
   * The chunk's lines and '\r' redraws, each read once (the line the last chunk left open first). A
   * prefixed log's redraws go through its rank filter (rankedSegment), which cuts them itself and
   * keeps their head (the prefix); a plain one's are cut to their last SCAN_MAX here.
   */
  private scan(chunk: string, ranked: boolean): void {
    // one look for escape sequences per chunk instead of one per line
    const plain = !hasControls(chunk);
    let s = 0;
    let nl = chunk.indexOf('\n');
    let cr = chunk.indexOf('\r');
    for (;;) {
      if (nl >= 0 && nl < s) nl = chunk.indexOf('\n', s);
      if (cr >= 0 && cr < s) cr = chunk.indexOf('\r', s);
      const e = nl < 0 ? cr : cr < 0 ? nl : Math.min(nl, cr);
      if (e < 0) break;
      if (s === 0 && this.pending.length > 0) {
        // the line the last chunk left open
        if (ranked) this.rankedSegment(this.pending + chunk.slice(0, e), false);
        else this.segment(this.pending + chunk.slice(0, e), false);
        this.pending = '';
      } else if (e > s) {
        if (ranked) this.rankedSegment(chunk.slice(s, e), plain);
        else this.segment(e - s > SCAN_MAX ? chunk.slice(e - SCAN_MAX, e) : chunk.slice(s, e), plain);
      }
      if (e === nl) {
        this.lines++;
        this.lineStart = true;
      }
      s = e + 1;
    }
    // an endless line (tqdm to a file without '\n' and '\r', a 1 MB line): scanLine reads its last
    // SCAN_MAX only; a prefixed one keeps its head too (its rank prefix)
    const open = s === 0 ? this.pending + chunk : s >= chunk.length ? '' : chunk.slice(s);
    this.pending = open.length <= 2 * SCAN_MAX ? open : (ranked ? open.slice(0, 256) : '') + open.slice(open.length - SCAN_MAX);
  }

  /** One redraw of a prefixed log: the chosen rank's text, read as any other. */
  private rankedSegment(raw: string, plain: boolean): void {
    const cut = raw.length > 4 * SCAN_MAX ? raw.slice(0, 256) + raw.slice(raw.length - SCAN_MAX) : raw;
    const { texts, restarted } = this.ranked!.take(cut, this.lineStart);
    this.lineStart = false;
    // a lower rank showed up (rank 0 printed after rank 1 began): the series are that rank's from here
    if (restarted) this.restart();
    for (const t of texts) this.segment(t.length > SCAN_MAX ? t.slice(t.length - SCAN_MAX) : t, plain);
  }

  private restart(): void {
    this.series_.clear();
    this.step = null;
    this.mainTotal = 0;
    this.epochIndex = null;
  }

  private segment(raw: string, plain: boolean): void {
    const f = scanLine(raw, plain);
    if (f === null) return;
    if (f.record === null && f.epoch !== null && f.pairs.length === 0) this.epochIndex = f.epoch - 1;
    const rec = f.record;
    if (rec === null) {
      // HF dicts and timer lines carry no step: the latest one seen before them
      for (const [key, v] of f.pairs) this.add(key, this.step, false, v);
      return;
    }
    let s = rec.step;
    if (rec.bar) {
      const ep = barEpoch(f);
      if (ep !== null) this.epochIndex = ep;
      // an evaluation bar's metrics belong to the training step it interrupts
      if (EVALISH.test(rec.desc) || (rec.total !== null && rec.total < this.mainTotal && this.step !== null)) {
        for (const [key, v] of f.pairs) this.add(key, this.step, false, v);
        return;
      }
      if (rec.total !== null) {
        this.mainTotal = Math.max(this.mainTotal, rec.total);
        if (this.epochIndex !== null && this.epochIndex >= 0) s = this.epochIndex * rec.total + rec.step;
      }
      if (f.itPerSec !== null) this.add('it_per_sec', s, true, f.itPerSec);
    }
    this.step = s;
    for (const [key, v] of f.pairs) this.add(key, s, true, v);
  }

  /** own: the step is the line's; otherwise borrowed from an earlier line (or a running count). */
  private add(key: string, step: number | null, own: boolean, v: number): void {
    if (!Number.isFinite(v)) return;
    let r = this.series_.get(key);
    if (r === undefined) {
      if (this.series_.size >= MAX_SERIES) return;
      r = { steps: [], values: [], count: 0 };
      this.series_.set(key, r);
    }
    r.count++;
    const at = step ?? r.count;
    const last = r.steps.length - 1;
    // a bar redrawn at the same step repeats its postfix: one point per step, the latest value;
    // lines with a borrowed step are each a logging event (stdout's buffer may have held many back)
    if (own && last >= 0 && r.steps[last] === at) {
      r.values[last] = v;
      return;
    }
    r.steps.push(at);
    r.values.push(v);
    if (r.steps.length > this.cap) this.compact(r);
  }

  private compact(r: Reservoir): void {
    spreadTies(r.steps);
    const idx = bucketIndexes(r.values, this.keep, r.steps);
    r.steps = idx.map((k) => r.steps[k]!);
    r.values = idx.map((k) => r.values[k]!);
  }
}

/**
 * Points logged without a step that got the same borrowed one (HF's dicts reach a redirected log in
 * blocks, long after the bars: stdout is block-buffered, stderr is not) are spread evenly between the
 * point before them and that step: with a fixed logging interval, where they were logged.
 */
export function spreadTies(steps: number[]): void {
  let i = 1;
  while (i < steps.length) {
    const s = steps[i]!;
    if (s !== steps[i - 1]) {
      i++;
      continue;
    }
    const from = i - 1;
    let j = i + 1;
    while (j < steps.length && steps[j] === s) j++;
    // a leading run: from step 0 (trainers count from 0 or 1)
    const prev = from > 0 ? steps[from - 1]! : 0;
    const k = j - from;
    if (prev < s) {
      const whole = s - prev >= k;
      for (let m = 0; m < k; m++) {
        const at = prev + ((s - prev) * (m + 1)) / k;
        steps[from + m] = whole ? Math.round(at) : at;
      }
    }
    i = j + 1;
  }
}

function barEpoch(f: LineFacts): number | null {
  return f.record?.bar && f.epoch !== null && /^epoch\b/i.test(f.record.desc) ? f.epoch : null;
}

/**
 * At most `max` points with the shape kept: the first and the last, and between them the smallest
 * and the largest value of each of (max-2)/2 equal buckets, in log order. `max` < 2 keeps the last.
 */
export function downsample(points: readonly Point[], max: number): Point[] {
  const m = Math.floor(max);
  if (!(m >= 1)) return [];
  if (points.length <= m) return points.slice();
  if (m < 2) return [points[points.length - 1]!];
  const values = points.map((p) => p[1]);
  return bucketIndexes(values, m, points.map((p) => p[0])).map((k) => points[k]!);
}

/**
 * Indexes kept by downsample (values.length > max >= 2), ascending. The buckets are equal spans of
 * steps when the steps never go back (a chart's x axis: a part of the run logged densely, or kept
 * whole since the last compaction, gets no more points than any other part of the same length), else
 * equal counts of points.
 */
function bucketIndexes(values: readonly number[], max: number, steps?: readonly number[]): number[] {
  const n = values.length;
  const out: number[] = [0];
  const buckets = Math.floor((max - 2) / 2);
  const inner = n - 2;
  const ends = steps !== undefined && ascending(steps) ? stepBuckets(steps, buckets) : null;
  for (let b = 0; b < buckets; b++) {
    const from = ends === null ? 1 + Math.floor((b * inner) / buckets) : ends[b]!;
    const to = ends === null ? 1 + Math.floor(((b + 1) * inner) / buckets) : ends[b + 1]!;
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let k = from + 1; k < to; k++) {
      const v = values[k]!;
      if (v < values[lo]!) lo = k;
      else if (v > values[hi]!) hi = k;
    }
    if (lo === hi) out.push(lo);
    else if (lo < hi) out.push(lo, hi);
    else out.push(hi, lo);
  }
  out.push(n - 1);
  return out;
}

function ascending(steps: readonly number[]): boolean {
  for (let i = 1; i < steps.length; i++) if (!(steps[i]! >= steps[i - 1]!)) return false;
  return steps.length > 2 && steps[steps.length - 1]! > steps[0]!;
}

/** Where each of `buckets` equal step spans begins among the inner points 1..n-2 (and where the last ends). */
function stepBuckets(steps: readonly number[], buckets: number): number[] {
  const n = steps.length;
  const x0 = steps[0]!;
  const span = steps[n - 1]! - x0;
  const ends: number[] = [1];
  let k = 1;
  for (let b = 1; b < buckets; b++) {
    const edge = x0 + (span * b) / buckets;
    while (k < n - 1 && steps[k]! < edge) k++;
    ends.push(k);
  }
  ends.push(n - 1);
  return ends;
}

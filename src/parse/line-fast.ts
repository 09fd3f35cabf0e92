// Hand-written readers for the two lines a long training log is mostly made of (tqdm bars, HF Trainer
// dicts) and the small number readers under them: the regexes in progress-line.ts read the same lines
// the same way (a unit test holds them to it), these only do it without the regex engine (bench
// figure series.mjs: 1M lines into chart series, 2.5 s with regexes alone). Pure; never throws.

import type { LineRecord } from './progress-line.js';

const IT_RATE = /(\d+(?:\.\d+)?)\s*(it|s)\/(s|it)\b/;

/** `{'loss': 0.47, 'grad_norm': 1.29, 'learning_rate': 7e-05, 'epoch': 0.05}`; false (nothing taken) when it is not one. */
export function hfDict(seg: string): [string, number][] | null {
  const n = seg.length;
  if (seg.charCodeAt(n - 1) !== 125) return null;
  const found: [string, number][] = [];
  let i = 1;
  while (i < n - 1) {
    while (seg.charCodeAt(i) === 32) i++;
    const q = seg.charCodeAt(i);
    if (q !== 39 && q !== 34) return null;
    const close = seg.indexOf(q === 39 ? "'" : '"', i + 1);
    if (close < 0 || seg.charCodeAt(close + 1) !== 58) return null;
    const key = seg.slice(i + 1, close);
    let j = close + 2;
    while (seg.charCodeAt(j) === 32) j++;
    let end = seg.indexOf(',', j);
    if (end < 0) end = n - 1;
    if (j >= end) return null;
    const raw = seg.slice(j, end);
    const v = Number(raw);
    if (Number.isNaN(v) && !/^-?nan\s*$|^[-+]?inf(?:inity)?\s*$/i.test(raw)) return null;
    const k0 = key.charCodeAt(0) | 32;
    if (!(k0 >= 97 && k0 <= 122) && key.charCodeAt(0) !== 95) return null;
    found.push([key, Number.isNaN(v) ? nonFinite(raw.trim()) : v]);
    i = end + 1;
  }
  return found;
}

export function itRate(text: string): number | null {
  if (text.length === 0) return null;
  // ` 7.03s/it`, `1.02it/s`: by hand first, the regex for the rest
  let i = 0;
  while (text.charCodeAt(i) === 32) i++;
  const n0 = i;
  while (isDigit(text.charCodeAt(i)) || text.charCodeAt(i) === 46) i++;
  if (i > n0) {
    const it = text.startsWith('it/s', i) && i + 4 === text.length;
    if (it || (text.startsWith('s/it', i) && i + 4 === text.length)) {
      const r = Number(text.slice(n0, i));
      if (r > 0 && Number.isFinite(r)) return it ? r : 1 / r;
    }
  }
  const m = IT_RATE.exec(text);
  if (!m) return null;
  const r = Number(m[1]);
  if (!(r > 0) || !Number.isFinite(r)) return null;
  return m[2] === 'it' ? r : 1 / r;
}

export interface Bar {
  rec: LineRecord;
  postfix: string;
  /** Where the bar's it/s or s/it is printed. */
  rateText: string;
}

/**
 * The common tqdm bar, `desc: 12%|█▏   | 3600/30000 [1:02:03<7:34:12, 1.02it/s, loss=2.29]`, read by
 * hand (a long log is mostly these); anything else (unit scales, odd spacing) is left to the regexes,
 * which read the same bar the same way (a unit test holds them to it).
 */
export function tqdmFast(seg: string): Bar | null {
  const pct = seg.indexOf('%|');
  if (pct < 1) return null;
  let d = pct;
  while (d > 0 && isDigit(seg.charCodeAt(d - 1)) && pct - d < 3) d--;
  if (d === pct || (d > 0 && isDigit(seg.charCodeAt(d - 1)))) return null;
  const close = seg.indexOf('| ', pct + 2);
  if (close < 0 || seg.indexOf('|', pct + 2) !== close) return null;
  let i = close + 2;
  const n0 = i;
  let step = 0;
  for (let c = seg.charCodeAt(i); isDigit(c); c = seg.charCodeAt(++i)) step = step * 10 + (c - 48);
  if (i === n0 || i - n0 > 15 || seg.charCodeAt(i) !== 47) return null;
  const t0 = ++i;
  let total = 0;
  for (let c = seg.charCodeAt(i); isDigit(c); c = seg.charCodeAt(++i)) total = total * 10 + (c - 48);
  if (i === t0 || i - t0 > 15 || seg.charCodeAt(i) !== 32 || seg.charCodeAt(i + 1) !== 91) return null;
  const open = i + 2;
  const n = seg.length;
  const end = seg.indexOf(']', open);
  const bound = end < 0 ? n : end;
  let c1 = seg.indexOf(',', open);
  if (c1 >= bound) c1 = -1;
  let c2 = c1 < 0 ? -1 : seg.indexOf(',', c1 + 1);
  if (c2 >= bound) c2 = -1;
  const timesEnd = c1 < 0 ? bound : c1;
  const lt = seg.indexOf('<', open);
  let eta = lt >= 0 && lt < timesEnd ? clock(seg, lt + 1, timesEnd) : null;
  const rateText = c1 < 0 ? '' : seg.slice(c1 + 1, c2 < 0 ? bound : c2);
  if (eta === null && c1 >= 0 && total > step) {
    const perSec = itRate(rateText);
    if (perSec !== null) eta = Math.round((total - step) / perSec);
  }
  let desc = d === 0 ? '' : seg.slice(0, d).trim();
  if (desc.endsWith(':')) desc = desc.slice(0, -1).trim();
  const after = end < 0 ? n : end + 1;
  const postfix = c2 < 0 && after >= n ? '' : `${c2 < 0 ? '' : seg.slice(c2 + 1, bound)} ${seg.slice(after)}`;
  return { rec: { bar: true, desc, step, total: total > 0 ? total : null, etaSeconds: eta }, postfix, rateText };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0x1680;
}

/** `7:34:12`, `01:02`, `42` -> seconds; `?` and garbage -> null. */
export function clock(t: string, from = 0, to = t.length): number | null {
  while (from < to && isSpace(t.charCodeAt(from))) from++;
  while (to > from && isSpace(t.charCodeAt(to - 1))) to--;
  let v = 0;
  let part = 0;
  let digits = 0;
  let parts = 1;
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
    } else if (c === 58 && digits > 0 && parts < 3) {
      v = v * 60 + part;
      part = 0;
      digits = 0;
      parts++;
    } else return null;
  }
  if (digits === 0) return null;
  v = v * 60 + part;
  return Number.isFinite(v) ? v : null;
}


function nonFinite(s: string): number {
  const l = s.toLowerCase();
  if (l.endsWith('nan')) return Number.NaN;
  return l.startsWith('-') ? -Infinity : Infinity;
}

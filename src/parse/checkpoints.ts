// Checkpoint listings: the output of one remote script (src/sources/checkpoints.ts) that prints the
// host's clock, the directory tree (GNU find summed per top-level entry by awk, or a stat fallback),
// what DeepSpeed's/Megatron's `latest` files say, and `df -P -k`, between markers.
// What the entries mean is src/parse/checkpoint-layout.ts. Pure; never throws on garbage.
import type { CheckpointListing, Result } from '../domain/types.js';
import { err, ok } from '../domain/types.js';
import { buildCheckpoints, type Aggregate, type Entry } from './checkpoint-layout.js';

export { buildCheckpoints, formatOf, stepOf, type Aggregate, type Entry } from './checkpoint-layout.js';

export const MARK_FIND = '@@RTK-CKPT find';
export const MARK_STAT = '@@RTK-CKPT stat';
export const MARK_DF = '@@RTK-CKPT df';
export const MARK_NODIR = '@@RTK-CKPT nodir';
export const MARK_NOTDIR = '@@RTK-CKPT notdir';
export const MARK_AGG = '@@RTK-CKPT agg';
export const MARK_NOW = '@@RTK-CKPT now';
export const MARK_LATEST = '@@RTK-CKPT latest';
export const MARK_ITER = '@@RTK-CKPT iter';
export const MARK_CUT = '@@RTK-CKPT cut';
/** A newline in a file name travels as this byte (tr on the host), so one record stays one line. */
export const NL_STANDIN = '\x01';

/**
 * The awk summary of `find -printf '%y\t%s\t%T@\t%P\0'` (NUL-separated, newlines in names turned into
 * \x01): top-level entries and a few deeper samples as find lines, then one
 * `A<TAB>size<TAB>mtime<TAB>files<TAB>name` line per top-level directory with every file under it summed.
 */
export function parseAggregated(text: string): { entries: Entry[]; aggregates: Aggregate[] } {
  const entries: Entry[] = [];
  const aggregates: Aggregate[] = [];
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('A\t')) {
      const f = line.replace(/\r$/, '').split('\t');
      if (f.length < 5) continue;
      const top = f.slice(4).join('\t').split(NL_STANDIN).join('\n');
      const size = Number(f[1]);
      const mtime = Number(f[2]);
      const files = Number(f[3]);
      if (top === '' || top.includes('/')) continue;
      aggregates.push({
        top,
        size: Number.isFinite(size) && size >= 0 ? size : 0,
        mtime: Number.isFinite(mtime) ? mtime : 0,
        files: Number.isFinite(files) && files >= 0 ? files : 0,
      });
    } else lines.push(line);
  }
  for (const e of parseFindPrintf(lines.join('\n'))) entries.push({ ...e, path: e.path.split(NL_STANDIN).join('\n') });
  return { entries, aggregates };
}

/** GNU find `-printf '%y\t%s\t%T@\t%P\n'` lines. */
export function parseFindPrintf(text: string): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf('\t');
    const b = a < 0 ? -1 : line.indexOf('\t', a + 1);
    const c = b < 0 ? -1 : line.indexOf('\t', b + 1);
    if (c < 0) continue;
    const path = line.slice(c + 1).replace(/\r$/, '');
    if (path === '') continue; // the directory itself
    const size = Number(line.slice(a + 1, b));
    const mtime = Number(line.slice(b + 1, c));
    const t = line.slice(0, a);
    out.push({
      type: t === 'd' || t === 'f' || t === 'l' ? t : 'o',
      size: Number.isFinite(size) && size >= 0 ? size : 0,
      mtime: Number.isFinite(mtime) ? mtime : 0,
      path,
    });
  }
  return out;
}

/**
 * The fallback: `stat -c '%F|%s|%Y|%n'` (GNU, busybox) or `stat -f '%HT|%z|%m|%N'` (BSD, macOS) run
 * from inside the directory on `* *\/* *\/*\/*`; the type is a word ("directory", "Regular File").
 */
export function parseStatLines(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const a = line.indexOf('|');
    const b = a < 0 ? -1 : line.indexOf('|', a + 1);
    const c = b < 0 ? -1 : line.indexOf('|', b + 1);
    if (c < 0) continue;
    const word = line.slice(0, a).toLowerCase();
    let path = line.slice(c + 1);
    if (path.startsWith('./')) path = path.slice(2);
    if (path === '' || path === '.' || path.includes('*')) continue; // an unmatched glob
    const size = Number(line.slice(a + 1, b));
    const mtime = Number(line.slice(b + 1, c));
    out.push({
      type: word.startsWith('dir') ? 'd' : word.startsWith('reg') ? 'f' : word.startsWith('sym') ? 'l' : 'o',
      size: Number.isFinite(size) && size >= 0 ? size : 0,
      mtime: Number.isFinite(mtime) ? mtime : 0,
      path,
    });
  }
  return out;
}

/** `df -P -k DIR`: available bytes, or null. Reads the column before the `NN%` capacity column. */
export function parseDfAvailable(text: string): number | null {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  for (let k = lines.length - 1; k >= 0; k--) {
    const f = lines[k]!.split(/\s+/);
    const cap = f.findIndex((x, idx) => idx >= 2 && /^\d+%$/.test(x));
    if (cap < 2) continue;
    const avail = Number(f[cap - 1]);
    if (Number.isFinite(avail) && avail >= 0) return avail * 1024;
  }
  return null;
}

/** Parse the whole output of the listing script. */
export function parseCheckpointOutput(text: string, run: string, dir: string, host = 'the host'): Result<CheckpointListing> {
  try {
    // marks are whole lines: a file named like one (`x@@RTK-CKPT df`) is inside an entry line
    const lined = `\n${text.endsWith('\n') ? text : `${text}\n`}`;
    if (lined.includes(`\n${MARK_NODIR}\n`)) return err('not-found', `Checkpoint directory ${dir} does not exist on ${host}.`);
    if (lined.includes(`\n${MARK_NOTDIR}\n`)) return err('not-found', `Checkpoint path ${dir} on ${host} is not a directory.`);
    const section = (mark: string): string | null => {
      const at = lined.indexOf(`\n${mark}\n`);
      if (at < 0) return null;
      const from = at + mark.length + 1; // in text: lined is text one character later
      const next = text.indexOf('\n@@RTK-CKPT ', from - 1);
      return text.slice(from, next < 0 ? text.length : next + 1);
    };
    const agg = section(MARK_AGG);
    const find = section(MARK_FIND);
    const stat = section(MARK_STAT);
    if (agg === null && find === null && stat === null) return err('parse', `Could not read the listing of ${dir} on ${host}.`);
    const { entries, aggregates } = agg !== null ? parseAggregated(agg) : { entries: find !== null ? parseFindPrintf(find) : parseStatLines(stat ?? ''), aggregates: [] };
    const word = (mark: string): string | null => {
      const w = (section(mark) ?? '').trim().split('\n')[0]?.trim() ?? '';
      return /^[A-Za-z0-9_.=-]{1,64}$/.test(w) ? w : null;
    };
    const nowWord = word(MARK_NOW);
    const now = nowWord !== null && /^\d{9,11}$/.test(nowWord) ? Number(nowWord) : null;
    const df = section(MARK_DF);
    return ok({
      run,
      dir,
      diskFreeBytes: df === null ? null : parseDfAvailable(df),
      checkpoints: buildCheckpoints(dir, entries, { aggregates, now, latest: word(MARK_LATEST), latestIteration: word(MARK_ITER) }),
    });
  } catch (e) {
    return err('parse', `Could not read the listing of ${dir} on ${host}.`, { cause: e });
  }
}

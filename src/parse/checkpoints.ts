// Checkpoint listings: the output of one remote script (src/sources/checkpoints.ts) that prints the
// directory tree (GNU find -printf, or a stat fallback) and `df -P -k` between markers.
// Pure; never throws on garbage.
import type { Checkpoint, CheckpointFormat, CheckpointListing, Result } from '../domain/types.js';
import { err, ok } from '../domain/types.js';

export const MARK_FIND = '@@RTK-CKPT find';
export const MARK_STAT = '@@RTK-CKPT stat';
export const MARK_DF = '@@RTK-CKPT df';
export const MARK_NODIR = '@@RTK-CKPT nodir';
export const MARK_NOTDIR = '@@RTK-CKPT notdir';

/** One filesystem entry, path relative to the checkpoint directory. */
export interface Entry {
  type: 'd' | 'f' | 'l' | 'o';
  size: number;
  /** seconds since epoch */
  mtime: number;
  path: string;
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

const WEIGHT_EXT: Record<string, CheckpointFormat> = {
  safetensors: 'safetensors',
  bin: 'bin',
  pt: 'pt',
  pth: 'pth',
  ckpt: 'ckpt',
  gguf: 'gguf',
};
const FORMAT_ORDER: CheckpointFormat[] = ['safetensors', 'bin', 'pt', 'pth', 'ckpt', 'gguf', 'other'];
// training state, not model weights: counted in the size, not in the formats
const NOT_WEIGHTS = /^(training_args\.bin|optimizer\.(pt|bin)|scheduler\.(pt|bin)|scaler\.pt|rng_state.*\.pth|.*optim_states\.pt|trainer_state\.json)$/;
// files that together make up the model in the directory itself (HF save_pretrained, sharded or not)
const ROOT_MODEL = /^(model|pytorch_model|adapter_model|diffusion_pytorch_model|consolidated|tf_model|flax_model)([.-]|$)/;
const CKPT_DIR = /^(checkpoint|ckpt|step|global[_-]?step|iter|iteration|epoch)([-_=]?\d+)|^epoch=\d+-step=\d+/i;

export function formatOf(fileName: string): CheckpointFormat | null {
  const dot = fileName.lastIndexOf('.');
  if (dot < 0) return null;
  const f = WEIGHT_EXT[fileName.slice(dot + 1).toLowerCase()];
  if (f === undefined || NOT_WEIGHTS.test(fileName)) return null;
  return f;
}

/** Step from a checkpoint's name: checkpoint-2000, step_2000, global_step2000, epoch=3-step=4500.ckpt. */
export function stepOf(name: string): number | null {
  const m =
    /(?:^|[^a-z])(?:global[_-]?step|step|iter|iteration|checkpoint|ckpt)[-_=]?(\d+)/i.exec(name) ??
    /^(?:checkpoint|ckpt|model)?[-_]?(\d+)(?:\.[a-z]+)?$/i.exec(name);
  if (!m) return null;
  const v = Number(m[1]);
  return Number.isSafeInteger(v) ? v : null;
}

/** Group entries into checkpoints, newest first. */
export function buildCheckpoints(dir: string, entries: Entry[]): Checkpoint[] {
  interface Acc {
    name: string;
    isDir: boolean;
    size: number;
    mtime: number;
    formats: Set<CheckpointFormat>;
    weights: number;
  }
  const groups = new Map<string, Acc>();
  const get = (name: string, isDir: boolean): Acc => {
    let g = groups.get(name);
    if (!g) {
      g = { name, isDir, size: 0, mtime: 0, formats: new Set(), weights: 0 };
      groups.set(name, g);
    }
    return g;
  };
  for (const e of entries) {
    const parts = e.path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0) continue;
    const top = parts[0]!;
    const base = parts[parts.length - 1]!;
    if (parts.length === 1) {
      if (e.type === 'd') {
        const g = get(top, true);
        g.mtime = Math.max(g.mtime, e.mtime);
        continue;
      }
      if (e.type !== 'f') continue;
      const f = formatOf(base);
      if (f === null) continue;
      const g = ROOT_MODEL.test(base) ? get('.', false) : get(top, false);
      g.size += e.size;
      g.mtime = Math.max(g.mtime, e.mtime);
      g.formats.add(f);
      g.weights++;
      continue;
    }
    const g = get(top, true);
    g.mtime = Math.max(g.mtime, e.mtime);
    if (e.type !== 'f') continue;
    g.size += e.size;
    const f = formatOf(base);
    if (f !== null) {
      g.formats.add(f);
      g.weights++;
    }
  }
  const out: (Checkpoint & { mt: number })[] = [];
  for (const g of groups.values()) {
    // a directory is a checkpoint when its name says so or it holds weights
    if (g.isDir && g.name !== '.' && g.weights === 0 && !CKPT_DIR.test(g.name)) continue;
    const epochStep = /epoch=(\d+)-step=(\d+)/.exec(g.name);
    out.push({
      name: g.name,
      path: g.name === '.' ? dir : joinPath(dir, g.name),
      step: epochStep ? Number(epochStep[2]) : stepOf(g.name),
      sizeBytes: g.size,
      modifiedAt: g.mtime > 0 ? new Date(Math.round(g.mtime * 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      formats: FORMAT_ORDER.filter((f) => g.formats.has(f)),
      mt: g.mtime,
    });
  }
  out.sort((a, b) => b.mt - a.mt || (b.step ?? -1) - (a.step ?? -1) || a.name.localeCompare(b.name));
  return out.map(({ mt: _mt, ...c }) => c);
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/** Parse the whole output of the listing script. */
export function parseCheckpointOutput(text: string, run: string, dir: string, host = 'the host'): Result<CheckpointListing> {
  try {
    if (text.includes(MARK_NODIR)) return err('not-found', `Checkpoint directory ${dir} does not exist on ${host}.`);
    if (text.includes(MARK_NOTDIR)) return err('not-found', `Checkpoint path ${dir} on ${host} is not a directory.`);
    const section = (mark: string): string | null => {
      const at = text.indexOf(`${mark}\n`);
      if (at < 0) return null;
      const from = at + mark.length + 1;
      const next = text.indexOf('\n@@RTK-CKPT ', from - 1);
      return text.slice(from, next < 0 ? text.length : next + 1);
    };
    const find = section(MARK_FIND);
    const stat = section(MARK_STAT);
    if (find === null && stat === null) return err('parse', `Could not read the listing of ${dir} on ${host}.`);
    const entries = find !== null ? parseFindPrintf(find) : parseStatLines(stat ?? '');
    const df = section(MARK_DF);
    return ok({
      run,
      dir,
      diskFreeBytes: df === null ? null : parseDfAvailable(df),
      checkpoints: buildCheckpoints(dir, entries),
    });
  } catch (e) {
    return err('parse', `Could not read the listing of ${dir} on ${host}.`, { cause: e });
  }
}

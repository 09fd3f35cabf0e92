// The pre-flight check spec: from a YAML check file (zod-validated, errors with file:line:col) and
// from `rtk-tui check` flags. Pure: text in, spec or error out; the caller reads the file.
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/types.js';

export type HashAlgo = 'sha256' | 'md5';

export interface RunCheck {
  /** The user's own shell code, run as ONE argument of `bash -lc` on the host. */
  command: string;
  timeoutSeconds: number;
}

export interface CheckSpec {
  /** Host named in the file; --host wins. */
  host: string | null;
  gpus: { count: number; freeGiB: number } | null;
  disk: { dir: string; freeGiB: number }[];
  /** local is absolute (resolved against the file's folder or the cwd). */
  files: { local: string; remote: string }[];
  hash: HashAlgo;
  models: string[];
  run: RunCheck[];
  env: string[];
}

export const DEFAULT_RUN_TIMEOUT_S = 120;

export function emptySpec(): CheckSpec {
  return { host: null, gpus: null, disk: [], files: [], hash: 'sha256', models: [], run: [], env: [] };
}

export function specIsEmpty(s: CheckSpec): boolean {
  return !s.gpus && !s.disk.length && !s.files.length && !s.models.length && !s.run.length && !s.env.length;
}

const UNIT: Record<string, number> = { '': 1, k: 1 / 1024 ** 2, m: 1 / 1024, g: 1, t: 1024, p: 1024 ** 2 };

/** "100", "100G", "1.5TiB", "500M" -> GiB; null when it is not a size. */
export function parseGiB(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]) * UNIT[m[2]!.toLowerCase()]!;
  return Number.isFinite(n) ? n : null;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const sizeField = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : parseGiB(v);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: `expected a size in GiB such as 100 or "1.5T", got "${String(v)}"` });
    return z.NEVER;
  }
  return n;
});

const diskItem = z.union([
  z.string().transform((v, ctx) => {
    const d = splitDisk(v);
    if (!d) {
      ctx.addIssue({ code: 'custom', message: `expected "DIR:GIB" such as "/data:100", got "${v}"` });
      return z.NEVER;
    }
    return d;
  }),
  z.strictObject({ dir: z.string().min(1), freeGiB: sizeField }),
]);

const runItem = z.union([
  z.string().min(1).transform((command) => ({ command, timeoutSeconds: DEFAULT_RUN_TIMEOUT_S })),
  z.strictObject({ cmd: z.string().min(1), timeout: z.number().positive().optional() }).transform((r) => ({
    command: r.cmd,
    timeoutSeconds: r.timeout ?? DEFAULT_RUN_TIMEOUT_S,
  })),
]);

const fileItem = z.union([
  z.string().transform((v, ctx) => {
    const f = splitFileMatch(v);
    if (!f) {
      ctx.addIssue({ code: 'custom', message: `expected "LOCAL:REMOTE", got "${v}"` });
      return z.NEVER;
    }
    return f;
  }),
  z.strictObject({ local: z.string().min(1), remote: z.string().min(1) }),
]);

export const checkFileSchema = z.strictObject({
  host: z.string().min(1).optional(),
  gpus: z
    .union([
      z.number().int().positive().transform((count) => ({ count, freeGiB: 0 })),
      z.strictObject({ count: z.number().int().positive().default(1), freeGiB: sizeField.default(0) }),
    ])
    .optional(),
  disk: z.array(diskItem).optional(),
  files: z.array(fileItem).optional(),
  hash: z.enum(['sha256', 'md5']).optional(),
  models: z.array(z.string().min(1)).optional(),
  run: z.array(runItem).optional(),
  env: z.array(z.string().regex(ENV_NAME, 'expected an environment variable name such as HF_TOKEN')).optional(),
});

/** "DIR:GIB", split at the last colon (a directory may hold colons, a size never does). */
export function splitDisk(v: string): { dir: string; freeGiB: number } | null {
  const i = v.lastIndexOf(':');
  if (i <= 0) return null;
  const freeGiB = parseGiB(v.slice(i + 1));
  return freeGiB === null ? null : { dir: v.slice(0, i), freeGiB };
}

/** "LOCAL:REMOTE", split at the first colon. */
export function splitFileMatch(v: string): { local: string; remote: string } | null {
  const i = v.indexOf(':');
  if (i <= 0 || i === v.length - 1) return null;
  return { local: v.slice(0, i), remote: v.slice(i + 1) };
}

interface Issue {
  code: string;
  path: (string | number)[];
  message: string;
  keys?: string[];
  errors?: Issue[][];
}

/** Of a union's failed branches, the one that got furthest (deepest path) says what was wrong. */
function deepest(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return { ...issue, path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)) };
  let best: Issue | null = null;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (!first) continue;
    const d = deepest(first);
    const cand = { ...d, path: [...issue.path, ...d.path] };
    const better =
      !best || cand.path.length > best.path.length || (cand.path.length === best.path.length && best.code === 'invalid_type' && cand.code !== 'invalid_type');
    if (better) best = cand;
  }
  return best ?? issue;
}

/** Parse and validate a check file's text. Local paths are resolved against the file's folder (`~/` against `home`). */
export function parseCheckFile(text: string, file: string, home: string | null = null): Result<CheckSpec> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const p = lc.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  const yerr = doc.errors[0];
  if (yerr) return err('config', `${where(yerr.pos[0])}: invalid YAML: ${yerr.message.split('\n')[0]}`);
  let data: unknown;
  try {
    // toJS throws on what the parser let through (an alias to no anchor, a billion-laughs expansion)
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return err('config', `${file}: invalid YAML: ${(e as Error).message}`);
  }
  if (data === null || data === undefined) return err('config', `${file}: the check file is empty`);
  const parsed = checkFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = deepest(parsed.error.issues[0]! as Issue);
    const path = issue.path;
    // the deepest node that exists on the issue's path gives the position; an unknown key points at itself
    let node: unknown = undefined;
    if (issue.code === 'unrecognized_keys' && issue.keys?.[0] !== undefined) {
      const map = path.length ? doc.getIn(path, true) : doc.contents;
      const items = (map as { items?: { key?: { value?: unknown; range?: unknown } }[] } | null)?.items ?? [];
      node = items.find((it) => it.key?.value === issue.keys![0])?.key;
    }
    for (let n = path.length; n >= 0 && !node; n--) node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    const at = path.length ? path.join('.') : 'top level';
    let msg = issue.message;
    if (issue.code === 'unrecognized_keys') msg = `unknown key ${(issue.keys ?? []).map((k) => `"${k}"`).join(', ')}`;
    return err('config', `${where(range?.[0])}: ${at}: ${msg}`);
  }
  const v = parsed.data;
  const base = dirname(resolve(file));
  return ok({
    host: v.host ?? null,
    gpus: v.gpus ?? null,
    disk: v.disk ?? [],
    files: (v.files ?? []).map((f) => ({
      local: home !== null && (f.local === '~' || f.local.startsWith('~/')) ? resolve(home, f.local.slice(2)) : resolve(base, f.local),
      remote: f.remote,
    })),
    hash: v.hash ?? 'sha256',
    models: v.models ?? [],
    run: v.run ?? [],
    env: v.env ?? [],
  });
}

export interface CheckFlags {
  file: string | null;
  json: boolean;
  spec: CheckSpec;
  /** Which flags were given, so they override the file's scalars. */
  set: { gpus: boolean; gpuFree: boolean; hash: boolean };
}

/** Parse the flags of `rtk-tui check` (the global --host was already taken out by cli.ts). */
export function parseCheckFlags(argv: string[], cwd: string): Result<CheckFlags> {
  const out: CheckFlags = { file: null, json: false, spec: emptySpec(), set: { gpus: false, gpuFree: false, hash: false } };
  const s = out.spec;
  let runTimeout = DEFAULT_RUN_TIMEOUT_S;
  const runs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const takes = (what: string): Result<string> => {
      if (eq > 0) return ok(a.slice(eq + 1));
      const v = argv[i + 1];
      if (v === undefined) return err('usage', `${flag} needs ${what}`);
      i++;
      return ok(v);
    };
    let r: Result<string>;
    switch (flag) {
      case '--json':
        out.json = true;
        continue;
      case '--file':
        r = takes('a check file (YAML)');
        if (!r.ok) return r;
        out.file = r.value;
        continue;
      case '--gpus': {
        r = takes('a number of GPUs');
        if (!r.ok) return r;
        const n = Number(r.value);
        if (!Number.isInteger(n) || n < 1) return err('usage', `--gpus needs a whole number of GPUs (1 or more), got "${r.value}"`);
        s.gpus = { count: n, freeGiB: s.gpus?.freeGiB ?? 0 };
        out.set.gpus = true;
        continue;
      }
      case '--gpu-free-gib': {
        r = takes('a size in GiB');
        if (!r.ok) return r;
        const g = parseGiB(r.value);
        if (g === null) return err('usage', `--gpu-free-gib needs a size in GiB such as 20, got "${r.value}"`);
        s.gpus = { count: s.gpus?.count ?? 1, freeGiB: g };
        out.set.gpuFree = true;
        continue;
      }
      case '--disk': {
        r = takes('DIR:GIB');
        if (!r.ok) return r;
        const d = splitDisk(r.value);
        if (!d) return err('usage', `--disk needs DIR:GIB such as /data:100, got "${r.value}"`);
        s.disk.push(d);
        continue;
      }
      case '--file-match': {
        r = takes('LOCAL:REMOTE');
        if (!r.ok) return r;
        const f = splitFileMatch(r.value);
        if (!f) return err('usage', `--file-match needs LOCAL:REMOTE such as ./w.bin:/data/w.bin, got "${r.value}"`);
        s.files.push({ local: isAbsolute(f.local) ? f.local : resolve(cwd, f.local), remote: f.remote });
        continue;
      }
      case '--hash':
        r = takes('md5 or sha256');
        if (!r.ok) return r;
        if (r.value !== 'md5' && r.value !== 'sha256') return err('usage', `--hash is md5 or sha256, not "${r.value}"`);
        s.hash = r.value;
        out.set.hash = true;
        continue;
      case '--model':
        r = takes('a model directory');
        if (!r.ok) return r;
        s.models.push(r.value);
        continue;
      case '--run':
        r = takes('a shell command in one quoted argument');
        if (!r.ok) return r;
        runs.push(r.value);
        continue;
      case '--run-timeout': {
        r = takes('seconds');
        if (!r.ok) return r;
        const t = Number(r.value);
        if (!(t > 0)) return err('usage', `--run-timeout needs seconds, got "${r.value}"`);
        runTimeout = t;
        continue;
      }
      case '--env':
        r = takes('a variable name');
        if (!r.ok) return r;
        if (!ENV_NAME.test(r.value)) return err('usage', `--env needs a variable name such as HF_TOKEN, got "${r.value}"`);
        s.env.push(r.value);
        continue;
      default:
        return err('usage', a.startsWith('-') ? `check: unknown flag ${a} (see rtk-tui check --help)` : `check: unexpected argument "${a}"`);
    }
  }
  s.run = runs.map((command) => ({ command, timeoutSeconds: runTimeout }));
  return ok(out);
}

/** The file's spec with the flags laid over it: lists add up, scalars given as flags win. */
export function mergeSpecs(file: CheckSpec, flags: CheckFlags): CheckSpec {
  const f = flags.spec;
  let gpus = file.gpus;
  if (flags.set.gpus || flags.set.gpuFree) {
    gpus = {
      count: flags.set.gpus ? f.gpus!.count : (file.gpus?.count ?? 1),
      freeGiB: flags.set.gpuFree ? f.gpus!.freeGiB : (file.gpus?.freeGiB ?? 0),
    };
  }
  return {
    host: file.host,
    gpus,
    disk: [...file.disk, ...f.disk],
    files: [...file.files, ...f.files],
    hash: flags.set.hash ? f.hash : file.hash,
    models: [...file.models, ...f.models],
    run: [...file.run, ...f.run],
    env: [...file.env, ...f.env],
  };
}

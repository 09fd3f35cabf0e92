// One POSIX sh script that answers every non-GPU pre-flight question in one exec, and its parser.
// Records are lines starting with \036 (login-shell noise around them is ignored), fields split by tabs.
import { remoteOperand, shq } from '../remote/quote.js';
import type { HashAlgo, RunCheck } from '../config/check-file.js';
import { hashFunction } from '../remote/transfer.js';

export interface ProbeRequest {
  disk: string[];
  /** Remote files; their hash is computed only when the size equals `size` (the local size). */
  files: { remote: string; size: number | null }[];
  hash: HashAlgo;
  models: string[];
  env: string[];
  run: RunCheck[];
}

export type DiskProbe =
  | { kind: 'ok'; freeBytes: number; mount: string; writable: boolean }
  | { kind: 'missing' }
  | { kind: 'not-dir' }
  | { kind: 'error' };

export type FileProbe =
  | { kind: 'ok'; size: number; hash: string | null }
  | { kind: 'missing' }
  | { kind: 'not-file' }
  | { kind: 'unreadable' };

export interface ModelFile {
  name: string;
  size: number;
  lfsPointer: boolean;
}

export type ModelProbe =
  | { kind: 'ok'; files: ModelFile[]; /** index file name -> shard names it references */ indexes: Record<string, string[]> }
  | { kind: 'missing' }
  | { kind: 'not-dir' };

export type EnvProbe = { kind: 'set'; length: number } | { kind: 'empty' } | { kind: 'unset' };

export interface RunProbe {
  /** Exit status; 124 when `timeout` stopped it; null when the record was lost. */
  code: number | null;
  /** Last lines of its combined output, newest last. */
  tail: string[];
}

export interface ProbeResult {
  disk: (DiskProbe | null)[];
  files: (FileProbe | null)[];
  models: (ModelProbe | null)[];
  env: Record<string, EnvProbe>;
  run: (RunProbe | null)[];
  hashTool: boolean;
}

/** A remote path as a shell word (remote/quote.ts remoteOperand: never read as an option). */
export const rpath = remoteOperand;

// eval is safe: names were checked against [A-Za-z_][A-Za-z0-9_]* before they got here
const ENV_LOOP =
  'for n do eval "x=\\${$n+set}"; if [ -z "$x" ]; then s=unset; else eval "v=\\${$n}"; s=${#v}; fi; printf \'\\036env\\t%s\\t%s\\n\' "$n" "$s"; done';

export function buildProbe(req: ProbeRequest): string {
  const L: string[] = [
    "rec() { printf '\\036'; printf '%s\\t' \"$@\"; printf '\\n'; }",
    hashFunction(req.hash),
    'if command -v bash >/dev/null 2>&1; then RTK_SH=bash; else RTK_SH=sh; fi',
    'if command -v timeout >/dev/null 2>&1; then RTK_TO=timeout; else RTK_TO=; fi',
    "rtk_size() { wc -c <\"$1\" | tr -d ' '; }",
    "RS=$(printf '\\036'); US=$(printf '\\037')",
  ];
  if (req.files.some((f) => f.size !== null)) {
    L.push("if printf '' | rtk_hash >/dev/null 2>&1; then rec hashtool yes; else rec hashtool no; fi");
  }
  req.disk.forEach((d, i) => {
    L.push(
      `d=${rpath(d)}`,
      `if [ -d "$d" ]; then w=no; [ -w "$d" ] && w=yes; o=$(df -Pk "$d" 2>/dev/null | awk 'NR==2{m=$6; for(i=7;i<=NF;i++) m=m" "$i; print $4"\\t"m}'); ` +
        `if [ -n "$o" ]; then printf '\\036disk\\t${i}\\tok\\t%s\\t%s\\n' "$o" "$w"; else rec disk ${i} error; fi; ` +
        `elif [ -e "$d" ]; then rec disk ${i} not-dir; else rec disk ${i} missing; fi`,
    );
  });
  req.files.forEach((f, i) => {
    const want = f.size === null ? '' : String(f.size);
    L.push(
      `f=${rpath(f.remote)}`,
      `if [ -f "$f" ]; then if [ -r "$f" ]; then s=$(rtk_size "$f"); h=; ` +
        `if [ "$s" = ${shq(want || '-')} ]; then h=$(rtk_hash <"$f" 2>/dev/null) || h=; h=\${h%% *}; fi; rec file ${i} ok "$s" "$h"; ` +
        `else rec file ${i} unreadable; fi; elif [ -e "$f" ]; then rec file ${i} not-file; else rec file ${i} missing; fi`,
    );
  });
  req.models.forEach((m, i) => {
    L.push(
      `m=${rpath(m)}`,
      `if [ -d "$m" ]; then rec model ${i} ok; for f in "$m"/*; do [ -f "$f" ] || continue; n=\${f##*/}; ` +
        `case $n in config.json|*.safetensors|*.bin|*.json|*.pt|*.pth|*.gguf|*.model) ;; *) continue;; esac; ` +
        `s=$(rtk_size "$f"); l=; if [ "$s" -lt 1024 ] 2>/dev/null; then case $(head -c 64 "$f" 2>/dev/null) in 'version https://git-lfs'*) l=lfs;; esac; fi; ` +
        `rec mfile ${i} "$(printf %s "$n" | tr '\\t\\n' '  ')" "$s" "$l"; done; ` +
        `for f in "$m"/*.index.json; do [ -f "$f" ] || continue; grep -oE '"[^"]*\\.(safetensors|bin)"' "$f" 2>/dev/null | sort -u | ` +
        `while read -r x; do rec mshard ${i} "\${f##*/}" "$x"; done; done; ` +
        `elif [ -e "$m" ]; then rec model ${i} not-dir; else rec model ${i} missing; fi`,
    );
  });
  if (req.env.length) {
    // the login environment, as a login shell on that host sees it
    L.push(`"$RTK_SH" -lc ${shq(ENV_LOOP)} rtk ${req.env.map(shq).join(' ')} </dev/null 2>/dev/null`);
  }
  req.run.forEach((r, i) => {
    // the user's shell code is ONE argument of bash -lc; output (both streams) is cut to its tail
    L.push(
      `{ (cd && $RTK_TO ${RTK_TIMEOUT(r.timeoutSeconds)} "$RTK_SH" -lc ${shq(r.command)} </dev/null 2>&1); printf '\\n\\036rc %s\\n' "$?"; } ` +
        `| tail -c 2000 | tr '\\t\\r' '  ' | { o=; c=; while IFS= read -r x; do case $x in "$RS"rc\\ *) c=\${x#"\${RS}rc "};; *) o="$o$US$x";; esac; done; ` +
        `printf '\\036run\\t${i}\\t%s\\t%s\\n' "$c" "$o"; }`,
    );
  });
  L.push('rec end');
  return L.join('\n');
}

// `timeout` gets the seconds; when it is missing ($RTK_TO empty) the number must not become the command
const RTK_TIMEOUT = (s: number): string => `\${RTK_TO:+-k 5 ${Math.max(1, Math.ceil(s))}}`;

const int = (s: string | undefined): number | null => {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
};

/** Parse the probe's output. Never throws; what is missing stays null. */
export function parseProbe(stdout: string, req: ProbeRequest): ProbeResult {
  const res: ProbeResult = {
    disk: req.disk.map(() => null),
    files: req.files.map(() => null),
    models: req.models.map(() => null),
    env: {},
    run: req.run.map(() => null),
    hashTool: true,
  };
  const modelFiles: ModelFile[][] = req.models.map(() => []);
  const modelIdx: Record<string, string[]>[] = req.models.map(() => ({}));
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('\x1e');
    if (at < 0) continue;
    const f = line.slice(at + 1).split('\t');
    if (f[f.length - 1] === '') f.pop();
    const [kind, idxText, a, b, c, d] = f;
    const i = int(idxText);
    switch (kind) {
      case 'hashtool':
        res.hashTool = idxText === 'yes';
        break;
      case 'disk':
        if (i === null || i >= res.disk.length) break;
        if (a === 'ok') {
          const kib = int(b);
          res.disk[i] = kib === null ? { kind: 'error' } : { kind: 'ok', freeBytes: kib * 1024, mount: c ?? '', writable: d === 'yes' };
        } else if (a === 'missing' || a === 'not-dir' || a === 'error') res.disk[i] = { kind: a };
        break;
      case 'file':
        if (i === null || i >= res.files.length) break;
        if (a === 'ok') {
          const size = int(b);
          if (size !== null) res.files[i] = { kind: 'ok', size, hash: c && /^[0-9a-f]+$/i.test(c) ? c.toLowerCase() : null };
        } else if (a === 'missing' || a === 'not-file' || a === 'unreadable') res.files[i] = { kind: a };
        break;
      case 'model':
        if (i === null || i >= res.models.length) break;
        if (a === 'ok') res.models[i] = { kind: 'ok', files: modelFiles[i]!, indexes: modelIdx[i]! };
        else if (a === 'missing' || a === 'not-dir') res.models[i] = { kind: a };
        break;
      case 'mfile': {
        const size = int(b);
        if (i === null || i >= modelFiles.length || !a || size === null) break;
        modelFiles[i]!.push({ name: a, size, lfsPointer: c === 'lfs' });
        break;
      }
      case 'mshard':
        if (i === null || i >= modelIdx.length || !a || !b) break;
        (modelIdx[i]![a] ??= []).push(b.replace(/^"|"$/g, ''));
        break;
      case 'env':
        // env records carry the name where others carry an index
        if (!idxText || !req.env.includes(idxText)) break;
        if (a === 'unset') res.env[idxText] = { kind: 'unset' };
        else if (a === '0') res.env[idxText] = { kind: 'empty' };
        else if (int(a) !== null) res.env[idxText] = { kind: 'set', length: int(a)! };
        break;
      case 'run': {
        if (i === null || i >= res.run.length) break;
        const tail = (b ?? '')
          .split('\x1f')
          .map((s) => s.trimEnd())
          .filter((s) => s.trim() !== '');
        res.run[i] = { code: int(a), tail: tail.slice(-5) };
        break;
      }
      default:
        break;
    }
  }
  return res;
}

// Pure verdicts for `rtk-tui check`: probe results in, one line per check out (✓ / ⚠ / ✗ and a fix).
import type { CheckSpec, HashAlgo } from '../config/check-file.js';
import type { GpuHostReport } from '../domain/types.js';
import type { DiskProbe, EnvProbe, FileProbe, ModelProbe, RunProbe } from './check-probe.js';
import { safeText } from '../parse/terminal.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckLine {
  check: 'gpus' | 'disk' | 'file' | 'model' | 'run' | 'env';
  /** What was checked: a directory, a file, a command, a variable. */
  target: string;
  status: CheckStatus;
  message: string;
  /** A concrete next step for a failure or a warning. */
  fix: string | null;
}

const GiB = 1024 ** 3;
export const gib = (bytes: number): string => {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
};
const num = (n: number): string => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(3))));
const short = (h: string): string => `${h.slice(0, 12)}…`;

export function gpuLine(need: { count: number; freeGiB: number }, r: GpuHostReport | null, host: string): CheckLine {
  const target = `${need.count} GPU${need.count === 1 ? '' : 's'}${need.freeGiB > 0 ? ` with ${num(need.freeGiB)} GiB free` : ''}`;
  const line = (status: CheckStatus, message: string, fix: string | null = null): CheckLine => ({ check: 'gpus', target, status, message, fix });
  if (!r) return line('fail', `no GPU report from ${host}`, 'run rtk-tui gpus to see why');
  if (r.status === 'no-gpu') return line('fail', `no nvidia-smi on ${host}`, 'pick a GPU host, or install the NVIDIA driver there');
  if (r.status !== 'ok') return line('fail', `nvidia-smi failed on ${host}: ${r.error ?? r.status}`, 'run nvidia-smi on the host; the driver may need a reload or a reboot');
  const free = r.gpus.map((g) => ({
    g,
    freeGiB: g.memoryTotalMiB !== null && g.memoryUsedMiB !== null ? (g.memoryTotalMiB - g.memoryUsedMiB) / 1024 : null,
  }));
  const fits = free.filter((f) => f.freeGiB !== null && f.freeGiB >= need.freeGiB);
  const list = free.map((f) => `GPU ${f.g.index} ${f.freeGiB === null ? '?' : f.freeGiB.toFixed(1)} GiB`).join(', ');
  if (fits.length >= need.count) {
    const busy = fits.filter((f) => f.g.processes.length > 0);
    const idle = fits.length - busy.length;
    if (idle < need.count && busy.length) {
      const who = busy.map((f) => `GPU ${f.g.index}: ${f.g.processes.map(procName).join(', ')}`).join('; ');
      return line(
        'warn',
        `${fits.length} of ${r.gpus.length} GPUs have enough free memory but only ${idle} are idle (${who})`,
        `the job would share a GPU; stop those processes or wait for them`,
      );
    }
    return line('pass', `${fits.length} of ${r.gpus.length} GPUs fit (free: ${list})`);
  }
  const blocked = free.filter((f) => !fits.includes(f) && f.g.processes.length);
  const who = blocked.map((f) => `GPU ${f.g.index}: ${f.g.processes.map(procName).join(', ')}`).join('; ');
  const msg = r.gpus.length < need.count ? `${host} has ${r.gpus.length} GPU${r.gpus.length === 1 ? '' : 's'}` : `only ${fits.length} of ${r.gpus.length} GPUs fit (free: ${list})`;
  const fix =
    r.gpus.length < need.count
      ? 'pick a host with more GPUs or lower --gpus'
      : who
        ? `free them (${who}) or lower --gpus / --gpu-free-gib`
        : 'wait for memory to free up or lower --gpus / --gpu-free-gib';
  return line('fail', msg, fix);
}

function procName(p: GpuHostReport['gpus'][number]['processes'][number]): string {
  return `pid ${p.pid}${p.name ? ` ${p.name}` : ''}${p.run ? ` (run ${p.run})` : ''}`;
}

export function diskLine(d: { dir: string; freeGiB: number }, p: DiskProbe | null, host: string): CheckLine {
  const line = (status: CheckStatus, message: string, fix: string | null = null): CheckLine => ({ check: 'disk', target: d.dir, status, message, fix });
  if (!p || p.kind === 'error') return line('fail', `could not read free space of ${d.dir} on ${host}`, `run df -h ${d.dir} on the host`);
  if (p.kind === 'missing') return line('fail', `${d.dir} does not exist on ${host}`, `create it (mkdir -p ${d.dir}) or choose another dir`);
  if (p.kind === 'not-dir') return line('fail', `${d.dir} is not a directory on ${host}`, 'choose a directory');
  const need = d.freeGiB * GiB;
  if (p.freeBytes < need)
    return line('fail', `free ${gib(p.freeBytes)} on ${d.dir}, ${num(d.freeGiB)} GiB needed`, 'delete old checkpoints or choose another dir');
  if (!p.writable) return line('fail', `${d.dir} is not writable for the login user on ${host}`, 'fix its owner/permissions or choose another dir');
  if (p.freeBytes < need * 1.1)
    return line('warn', `free ${gib(p.freeBytes)} on ${d.dir}, only just above the ${num(d.freeGiB)} GiB needed`, 'make room before a long run: checkpoints grow');
  return line('pass', `free ${gib(p.freeBytes)} on ${d.dir} (mount ${p.mount}), ${num(d.freeGiB)} GiB needed`);
}

export type LocalFile = { kind: 'ok'; size: number; hash: string | null } | { kind: 'missing' } | { kind: 'not-file' } | { kind: 'error'; message: string };

export function fileLine(
  f: { local: string; remote: string },
  local: LocalFile,
  p: FileProbe | null,
  o: { host: string; algo: HashAlgo; hashTool: boolean },
): CheckLine {
  const target = `${f.local} = ${o.host}:${f.remote}`;
  const line = (status: CheckStatus, message: string, fix: string | null = null): CheckLine => ({ check: 'file', target, status, message, fix });
  const push = `rtk-tui push ${f.local} ${o.host}:${f.remote}`;
  const repush = `rtk-tui push --force ${f.local} ${o.host}:${f.remote}`;
  if (local.kind === 'missing') return line('fail', `local file ${f.local} does not exist`, 'check the LOCAL path');
  if (local.kind === 'not-file') return line('fail', `local ${f.local} is not a regular file`, 'name a file (directories are not compared)');
  if (local.kind === 'error') return line('fail', `cannot read local ${f.local}: ${local.message}`, 'check its permissions');
  if (!p) return line('fail', `no answer about ${f.remote} from ${o.host}`, 'run the check again');
  if (p.kind === 'missing') return line('fail', `${f.remote} does not exist on ${o.host}`, `copy it: ${push}`);
  if (p.kind === 'not-file') return line('fail', `${f.remote} is not a regular file on ${o.host}`, 'name a file');
  if (p.kind === 'unreadable') return line('fail', `${f.remote} is not readable on ${o.host}`, 'fix its permissions');
  if (p.size !== local.size)
    return line('fail', `size differs: local ${local.size} bytes, remote ${p.size} bytes`, `copy it again: ${repush}`);
  if (!o.hashTool || p.hash === null)
    return line('warn', `same size (${local.size} bytes), contents not compared: no ${o.algo} tool on ${o.host}`, `install coreutils (${o.algo}sum) on the host`);
  if (local.hash === null) return line('fail', `could not hash local ${f.local}`, 'check that it is readable');
  if (p.hash !== local.hash)
    return line('fail', `${o.algo} differs: local ${short(local.hash)}, remote ${short(p.hash)} (same size)`, `copy it again: ${repush}`);
  return line('pass', `identical (${local.size} bytes, ${o.algo} ${short(local.hash)})`);
}

const SHARD = /^(.*)-(\d{5})-of-(\d{5})\.(safetensors|bin)$/;

export function modelLine(dir: string, p: ModelProbe | null, host: string): CheckLine {
  const line = (status: CheckStatus, message: string, fix: string | null = null): CheckLine => ({ check: 'model', target: dir, status, message, fix });
  if (!p) return line('fail', `no answer about ${dir} from ${host}`, 'run the check again');
  if (p.kind === 'missing') return line('fail', `${dir} does not exist on ${host}`, `download or push the model there (rtk-tui push MODEL_DIR ${host}:${dir})`);
  if (p.kind === 'not-dir') return line('fail', `${dir} is not a directory on ${host}`, 'name the model folder');
  const by = new Map(p.files.map((f) => [f.name, f]));
  const problems: string[] = [];
  const fixes = new Set<string>();
  const cfg = by.get('config.json');
  if (!cfg) {
    problems.push('no config.json');
    fixes.add('download the whole model folder (huggingface-cli download REPO --local-dir DIR)');
  }
  // weights: single files first, then shard sets (NAME-0000i-of-0000n.EXT plus NAME.EXT.index.json)
  const found: string[] = [];
  for (const single of ['model.safetensors', 'pytorch_model.bin']) {
    const f = by.get(single);
    if (f) found.push(`${single} (${gib(f.size)})`);
  }
  const sets = new Map<string, { total: number; have: Set<number>; bytes: number }>();
  for (const f of p.files) {
    const m = SHARD.exec(f.name);
    if (!m) continue;
    const key = `${m[1]}.${m[4]}`;
    const s = sets.get(key) ?? { total: Number(m[3]), have: new Set<number>(), bytes: 0 };
    s.have.add(Number(m[2]));
    s.bytes += f.size;
    sets.set(key, s);
  }
  for (const [key, s] of sets) {
    const missing: string[] = [];
    const [stem, ext] = [key.slice(0, key.lastIndexOf('.')), key.slice(key.lastIndexOf('.') + 1)];
    for (let i = 1; i <= s.total; i++) if (!s.have.has(i)) missing.push(`${stem}-${String(i).padStart(5, '0')}-of-${String(s.total).padStart(5, '0')}.${ext}`);
    const index = `${key}.index.json`;
    const listed = p.indexes[index];
    if (listed) for (const n of listed) if (!by.has(n) && !missing.includes(n)) missing.push(n);
    if (missing.length) {
      problems.push(`missing shard${missing.length === 1 ? '' : 's'} ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`);
      fixes.add('download the missing shards');
    }
    if (!by.has(index)) {
      problems.push(`sharded weights without ${index}`);
      fixes.add(`download ${index} too (from_pretrained needs it to find the shards)`);
    }
    found.push(`${s.have.size} of ${s.total} ${ext} shards + ${by.has(index) ? 'index' : 'no index'} (${gib(s.bytes)})`);
  }
  const weights = p.files.filter((f) => f.name === 'model.safetensors' || f.name === 'pytorch_model.bin' || SHARD.test(f.name));
  const lfs = weights.filter((f) => f.lfsPointer);
  if (lfs.length) {
    problems.push(`${lfs.map((f) => f.name).slice(0, 2).join(', ')} ${lfs.length === 1 ? 'is a Git LFS pointer' : 'are Git LFS pointers'}, not the weights`);
    fixes.add(`run git lfs pull in ${dir} on ${host}`);
  }
  const empty = weights.filter((f) => f.size === 0);
  if (empty.length) {
    problems.push(`${empty.map((f) => f.name).slice(0, 2).join(', ')} ${empty.length === 1 ? 'is' : 'are'} empty`);
    fixes.add('copy the weights again');
  }
  if (!found.length) {
    problems.push('no model.safetensors, pytorch_model.bin or shard set');
    fixes.add('download or push the weights into the folder');
  }
  if (problems.length) return line('fail', problems.join('; '), [...fixes].join('; '));
  return line('pass', `config.json and ${found.join(' and ')}`);
}

export function envLine(name: string, p: EnvProbe | undefined, host: string): CheckLine {
  const line = (status: CheckStatus, message: string, fix: string | null = null): CheckLine => ({ check: 'env', target: name, status, message, fix });
  const fix = `add export ${name}=... to ~/.profile (or ~/.bash_profile) on ${host}`;
  if (!p) return line('fail', `could not read the login environment of ${host}`, 'check that a login shell starts cleanly there (bash -lc true)');
  if (p.kind === 'unset') return line('fail', `${name} is not set in the login environment of ${host}`, fix);
  if (p.kind === 'empty') return line('warn', `${name} is set but empty on ${host}`, fix);
  // the value itself is never printed: it may be a token
  return line('pass', `${name} is set (${p.length} characters)`);
}

export function runLine(cmd: { command: string; timeoutSeconds: number }, p: RunProbe | null, host: string): CheckLine {
  const line = (status: CheckStatus, message: string, fix: string | null = null): CheckLine => ({ check: 'run', target: cmd.command, status, message, fix });
  if (!p || p.code === null) return line('fail', `no exit status from ${host} (the probe was cut short)`, 'run the check again');
  if (p.code === 0) return line('pass', `succeeded${p.tail.length ? `: ${p.tail[p.tail.length - 1]}` : ''}`);
  const last = p.tail[p.tail.length - 1] ?? '';
  const all = p.tail.join('\n');
  if (p.code === 124) return line('fail', `timed out after ${cmd.timeoutSeconds} s`, 'raise --run-timeout, or find out why it hangs');
  return line('fail', `exit ${p.code}${last ? `: ${last}` : ''}`, runFix(all, p.code, host));
}

function runFix(out: string, code: number, host: string): string {
  if (/conda: (command )?not found/.test(out))
    return 'conda is not on the login PATH: prefix the command with source ~/miniconda3/etc/profile.d/conda.sh && (or the path of your conda install)';
  if (/CondaError: Run 'conda init'|Your shell has not been properly configured to use 'conda activate'|conda init/.test(out))
    return "login shells there do not run conda's hook: start with eval \"$(conda shell.bash hook)\" && conda activate ENV, or use conda run -n ENV CMD";
  if (/EnvironmentNameNotFound|Could not find conda environment|environment does not exist/i.test(out))
    return 'no such conda environment: list them with conda env list, or create it';
  const mod = /ModuleNotFoundError: No module named '([^']+)'/.exec(out);
  if (mod) return `install it in that environment (pip install ${mod[1]!.split('.')[0]})`;
  if (code === 127) return `a command is missing on ${host}: install it or put it on the login PATH (~/.profile)`;
  return `run it by hand on ${host} to see the whole output`;
}

export interface HostVerdict {
  name: string;
  lines: CheckLine[];
}

export function summarize(lines: CheckLine[]): { passed: number; warnings: number; failed: number } {
  return {
    passed: lines.filter((l) => l.status === 'pass').length,
    warnings: lines.filter((l) => l.status === 'warn').length,
    failed: lines.filter((l) => l.status === 'fail').length,
  };
}

// remote text (command output, file names) must not drive the terminal
/** Paths, file names and command output from the host: nothing in them may drive the terminal. */
const clean = (s: string): string => safeText(s);

const MARK: Record<CheckStatus, string> = { pass: '✓', warn: '⚠', fail: '✗' };
const COLOR: Record<CheckStatus, string> = { pass: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' };

/** One line per check: mark, what, verdict, and the fix after "fix:". */
export function formatLine(l: CheckLine, color: boolean): string {
  const mark = color ? `${COLOR[l.status]}${MARK[l.status]}\x1b[0m` : MARK[l.status];
  const t = clean(l.target);
  // long paths keep their end: the file name is what tells lines apart
  const target = t.length > 60 ? `…${t.slice(-59)}` : t;
  return `${mark} ${l.check} ${target}: ${clean(l.message)}${l.fix ? `; fix: ${clean(l.fix)}` : ''}`;
}

export function specTargets(spec: CheckSpec): number {
  return (spec.gpus ? 1 : 0) + spec.disk.length + spec.files.length + spec.models.length + spec.run.length + spec.env.length;
}

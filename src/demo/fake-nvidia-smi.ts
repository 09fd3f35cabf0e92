// The project's own fake nvidia-smi, for tests and `rtk-tui demo`. Installed as a `#!/bin/sh`
// wrapper that execs node on the built copy of this file. It plays back a real `--format=csv`
// capture (any field list the capture holds, with or without header and units), loops with
// -lms/-l, lists processes from a pid file, and fails the way the real one does.
//   mode csv      a capture played back (default)
//   mode failing  the driver-communication error, exit 9 (help still works, as it needs no driver)
//   mode demo     one simulated busy GPU; its processes come from $RTK_FAKE_SMI_PIDS or the procs file
//   mode missing  no binary at all
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { canonicalField, splitCsvLine } from '../parse/nvidia-smi.js';
import { shq } from '../remote/quote.js';

export type FakeSmiMode = 'csv' | 'missing' | 'failing' | 'demo';

export interface FakeSmiOptions {
  /** A `--format=csv` capture (header + one row per GPU). Default: the H100 capture in test/fixtures/gpu. */
  capture?: string;
  mode?: FakeSmiMode;
  /** Where the processes come from (lines `PID [USED_MIB [NAME]]`). Default: DIR/nvidia-smi.procs. */
  procsFile?: string;
}

export const DRIVER_ERROR =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../..');
}

export function defaultCapture(): string {
  return join(packageRoot(), 'test/fixtures/gpu/nge_h100-80gb-hbm3_590.48.01_query-gpu-all-fields_load.txt');
}

export function fakeProcsFile(dir: string): string {
  return join(dir, 'nvidia-smi.procs');
}

/** Write an executable DIR/nvidia-smi (or, for 'missing', make sure there is none). Returns its path. */
export function installFakeNvidiaSmi(dir: string, opts: FakeSmiOptions = {}): string {
  const target = join(dir, 'nvidia-smi');
  const mode = opts.mode ?? 'csv';
  if (mode === 'missing') {
    rmSync(target, { force: true });
    return target;
  }
  mkdirSync(dir, { recursive: true });
  const capture = resolve(opts.capture ?? defaultCapture());
  if (mode === 'csv' && !existsSync(capture)) throw new Error(`fake nvidia-smi: capture ${capture} does not exist`);
  const script = join(packageRoot(), 'dist/demo/fake-nvidia-smi.js');
  const procs = resolve(opts.procsFile ?? fakeProcsFile(dir));
  // the environment may override the procs file (rtk-tui demo sets RTK_FAKE_SMI_PIDS instead)
  const body = [
    '#!/bin/sh',
    '# fake nvidia-smi written by rtk-tui (src/demo/fake-nvidia-smi.ts)',
    `RTK_FAKE_SMI_MODE=${shq(mode)}`,
    `RTK_FAKE_SMI_CAPTURE=${shq(capture)}`,
    `: "\${RTK_FAKE_SMI_PROCS:=${procs.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('$', '\\$').replaceAll('`', '\\`')}}"`,
    'export RTK_FAKE_SMI_MODE RTK_FAKE_SMI_CAPTURE RTK_FAKE_SMI_PROCS',
    `exec ${shq(process.execPath)} ${shq(script)} "$@"`,
    '',
  ].join('\n');
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, body);
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return target;
}

export interface FakeProcess {
  pid: number;
  usedMemoryMiB?: number;
  name?: string;
  /** The GPU (index in the capture) it runs on; default 0. */
  gpu?: number;
}

/** Tell the fake (installed in DIR) which processes use the GPU. */
export function setFakeGpuProcesses(dir: string, procs: readonly FakeProcess[], file = fakeProcsFile(dir)): void {
  // `GPU:PID MIB NAME`: the GPU index first, so that a name may hold blanks
  const text = procs.map((p) => [`${p.gpu !== undefined ? `${p.gpu}:` : ''}${p.pid}`, p.usedMemoryMiB ?? 1024, p.name ?? ''].join(' ').trimEnd()).join('\n');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text ? `${text}\n` : '');
  renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// The fake itself (runs when this file is node's main module).

interface Device {
  /** canonical field → cell as printed with units (`81559 MiB`) */
  cells: Map<string, string>;
}

interface Capture {
  units: Map<string, string>;
  devices: Device[];
}

function loadCapture(path: string): Capture {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsvLine(lines[0] ?? '');
  const names = header.map(canonicalField);
  const units = new Map<string, string>();
  header.forEach((h, i) => {
    const m = /\[([^\]]*)\]\s*$/.exec(h);
    if (m) units.set(names[i]!, m[1]!);
  });
  const devices = lines.slice(1).map((l) => {
    const cells = splitCsvLine(l);
    return { cells: new Map(names.map((n, i) => [n, cells[i] ?? ''])) };
  });
  return { units, devices };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function stamp(d = new Date()): string {
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

interface LiveProc {
  pid: number;
  usedMemoryMiB: number;
  name: string;
  gpu: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a zombie has exited: the driver has freed its memory, nvidia-smi no longer lists it
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function procName(pid: number): string {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    if (argv0) return argv0;
  } catch {
    /* not Linux, or gone */
  }
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return 'python';
  }
}

function readProcs(env: NodeJS.ProcessEnv): LiveProc[] {
  const out: LiveProc[] = [];
  const add = (pid: number, mib: number | null, name: string | null, gpu = 0) => {
    if (!Number.isSafeInteger(pid) || pid <= 0 || !alive(pid)) return;
    out.push({ pid, usedMemoryMiB: mib ?? 1024, name: name || procName(pid), gpu });
  };
  if (env.RTK_FAKE_SMI_PIDS) {
    for (const item of env.RTK_FAKE_SMI_PIDS.split(/[,\s]+/)) {
      const [p, m] = item.split(':');
      if (p) add(Number(p), m ? Number(m) : null, null);
    }
    return out;
  }
  let text = '';
  try {
    text = env.RTK_FAKE_SMI_PROCS ? readFileSync(env.RTK_FAKE_SMI_PROCS, 'utf8') : '';
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*(?:(\d+):)?(\d+)(?:\s+(\d+))?(?:\s+(.*\S))?\s*$/.exec(line);
    if (m) add(Number(m[2]), m[3] ? Number(m[3]) : null, m[4] ?? null, m[1] ? Number(m[1]) : 0);
  }
  return out;
}

/** One simulated busy GPU whose figures drift with time; idle when nothing runs on it. */
function demoCapture(procs: LiveProc[], now = Date.now()): Capture {
  const busy = procs.length > 0;
  const t = now / 1000;
  const wave = (period: number, phase = 0) => Math.sin((2 * Math.PI * t) / period + phase);
  const used = busy ? Math.round(procs.reduce((a, p) => a + p.usedMemoryMiB, 0) + 900 + 600 * wave(23)) : 4;
  const util = busy ? Math.round(91 + 8 * wave(7)) : 0;
  const power = busy ? 318 + 55 * wave(11, 1) : 61.2;
  const cells = new Map<string, string>([
    ['timestamp', stamp(new Date(now))],
    ['driver_version', '535.129.03'],
    ['count', '1'],
    ['name', 'NVIDIA A100-SXM4-80GB'],
    ['serial', '[N/A]'],
    ['uuid', 'GPU-de300000-0000-4000-8000-00000000de30'],
    ['pci.bus_id', '00000000:07:00.0'],
    ['index', '0'],
    ['pstate', busy ? 'P0' : 'P8'],
    ['fan.speed', '[N/A]'],
    ['memory.total', '81920 MiB'],
    ['memory.used', `${Math.min(used, 81920)} MiB`],
    ['memory.free', `${Math.max(0, 81920 - used)} MiB`],
    ['utilization.gpu', `${util} %`],
    ['utilization.memory', `${busy ? Math.round(util * 0.6) : 0} %`],
    ['temperature.gpu', String(busy ? Math.round(63 + 4 * wave(31)) : 34)],
    ['power.draw', `${power.toFixed(2)} W`],
    ['power.draw.instant', `${(power + 3 * wave(2)).toFixed(2)} W`],
    ['power.limit', '400.00 W'],
    ['enforced.power.limit', '400.00 W'],
    ['clocks.current.sm', `${busy ? 1410 : 210} MHz`],
    ['clocks.current.memory', `${busy ? 1593 : 405} MHz`],
  ]);
  const units = new Map<string, string>([
    ['memory.total', 'MiB'], ['memory.used', 'MiB'], ['memory.free', 'MiB'], ['fan.speed', '%'],
    ['utilization.gpu', '%'], ['utilization.memory', '%'], ['power.draw', 'W'], ['power.draw.instant', 'W'],
    ['power.limit', 'W'], ['enforced.power.limit', 'W'], ['clocks.current.sm', 'MHz'], ['clocks.current.memory', 'MHz'],
  ]);
  return { units, devices: [{ cells }] };
}

const APP_FIELDS = ['timestamp', 'gpu_name', 'gpu_bus_id', 'gpu_serial', 'gpu_uuid', 'pid', 'process_name', 'used_gpu_memory', 'used_memory'];

interface Args {
  queryGpu: string[] | null;
  queryApps: string[] | null;
  format: Set<string> | null;
  loopMs: number | null;
  help: 'gpu' | 'apps' | null;
  list: boolean;
  ids: string[] | null;
  bad: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { queryGpu: null, queryApps: null, format: null, loopMs: null, help: null, list: false, ids: null, bad: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const val = (): string => (eq > 0 ? arg.slice(eq + 1) : (argv[++i] ?? ''));
    switch (flag) {
      case '--query-gpu': a.queryGpu = val().split(','); break;
      case '--query-compute-apps': a.queryApps = val().split(','); break;
      case '--format': a.format = new Set(val().split(',').map((s) => s.trim())); break;
      case '-lms': case '--loop-ms': a.loopMs = Number(val()); break;
      case '-l': case '--loop': a.loopMs = Number(val()) * 1000; break;
      case '--help-query-gpu': a.help = 'gpu'; break;
      case '--help-query-compute-apps': a.help = 'apps'; break;
      case '-L': case '--list-gpus': a.list = true; break;
      case '-i': case '--id': a.ids = val().split(','); break;
      default: a.bad ??= arg;
    }
  }
  return a;
}

function helpText(fields: Iterable<string>, sw: string): string {
  const out = [`List of valid properties to query for the switch "${sw}":`, ''];
  for (const f of fields) out.push(`"${f}"`, `Property ${f} (fake nvidia-smi: played back from a capture).`, '');
  return `${out.join('\n')}\n`;
}

function cellOut(value: string, unit: string | undefined, nounits: boolean): string {
  if (!nounits || unit === undefined) return value;
  const suffix = ` ${unit}`;
  return value.endsWith(suffix) ? value.slice(0, -suffix.length) : value;
}

function main(argv: string[], env: NodeJS.ProcessEnv): number | 'loop' {
  const out = (s: string) => process.stdout.write(s);
  const mode = (env.RTK_FAKE_SMI_MODE ?? 'csv') as FakeSmiMode;
  const a = parseArgs(argv);
  const load = (): Capture => (mode === 'demo' ? demoCapture(readProcs(env)) : loadCapture(env.RTK_FAKE_SMI_CAPTURE ?? defaultCapture()));
  if (a.bad !== null) {
    out(`Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n\n`);
    return 2;
  }
  if (a.help === 'gpu') {
    const cap = load();
    const names = new Set<string>();
    for (const k of cap.devices[0]?.cells.keys() ?? []) names.add(k);
    out(helpText(names, '--query-gpu'));
    return 0;
  }
  if (a.help === 'apps') {
    out(helpText(APP_FIELDS, '--query-compute-apps'));
    return 0;
  }
  if (mode === 'failing') {
    out(`${DRIVER_ERROR}\n\n`);
    return 9;
  }
  const fmt = a.format ?? new Set<string>();
  if ((a.queryGpu || a.queryApps) && !fmt.has('csv')) {
    out(`"--format" switch requires "csv" option. Please run 'nvidia-smi -h' for help.\n\n`);
    return 2;
  }
  const noheader = fmt.has('noheader');
  const nounits = fmt.has('nounits');

  if (a.queryApps) {
    const fields = a.queryApps.map((f) => f.trim());
    const bad = fields.find((f) => !APP_FIELDS.includes(f));
    if (bad !== undefined) {
      out(`Field "${bad}" is not a valid field to query.\n\n`);
      return 2;
    }
    const cap = load();
    const procs = readProcs(env);
    const rows: string[] = [];
    if (!noheader) rows.push(fields.map((f) => (f.startsWith('used_') ? `${f} [MiB]` : f)).join(', '));
    for (const p of procs) {
      const dev = (cap.devices[p.gpu] ?? cap.devices[0])?.cells;
      const cell: Record<string, string> = {
        timestamp: stamp(),
        gpu_name: dev?.get('name') ?? '[N/A]',
        gpu_bus_id: dev?.get('pci.bus_id') ?? '[N/A]',
        gpu_serial: dev?.get('serial') ?? '[N/A]',
        gpu_uuid: dev?.get('uuid') ?? '[N/A]',
        pid: String(p.pid),
        process_name: p.name,
        used_gpu_memory: nounits ? String(p.usedMemoryMiB) : `${p.usedMemoryMiB} MiB`,
        used_memory: nounits ? String(p.usedMemoryMiB) : `${p.usedMemoryMiB} MiB`,
      };
      rows.push(fields.map((f) => cell[f] ?? '[N/A]').join(', '));
    }
    if (rows.length) out(`${rows.join('\n')}\n`);
    return 0;
  }

  if (a.queryGpu) {
    const asked = a.queryGpu.map((f) => f.trim());
    const first = load();
    const known = new Set(first.devices[0]?.cells.keys() ?? []);
    const bad = asked.find((f) => !known.has(canonicalField(f)));
    if (bad !== undefined) {
      out(`Field "${bad}" is not a valid field to query.\n\n`);
      return 2;
    }
    const sample = (cap: Capture, withHeader: boolean): string => {
      const rows: string[] = [];
      if (withHeader) rows.push(asked.map((f) => { const u = cap.units.get(canonicalField(f)); return u ? `${canonicalField(f)} [${u}]` : canonicalField(f); }).join(', '));
      const now = stamp();
      cap.devices.forEach((d, i) => {
        if (a.ids && !a.ids.includes(String(i)) && !a.ids.includes(d.cells.get('uuid') ?? '')) return;
        rows.push(asked.map((f) => {
          const c = canonicalField(f);
          return c === 'timestamp' ? now : cellOut(d.cells.get(c) ?? '[N/A]', cap.units.get(c), nounits);
        }).join(', '));
      });
      return `${rows.join('\n')}\n`;
    };
    out(sample(first, !noheader));
    if (a.loopMs === null) return 0;
    const every = Math.max(50, Number.isFinite(a.loopMs) ? a.loopMs : 1000);
    // like the real one: header once, then a sample per interval until killed
    setInterval(() => out(sample(load(), false)), every);
    return 'loop';
  }

  const cap = load();
  if (a.list || argv.length === 0) {
    out(cap.devices.map((d, i) => `GPU ${i}: ${d.cells.get('name') ?? 'NVIDIA GPU'} (UUID: ${d.cells.get('uuid') ?? 'GPU-unknown'})`).join('\n') + '\n');
    return 0;
  }
  out(`Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n\n`);
  return 2;
}

const isMain = (() => {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(resolve(process.argv[1]))).href;
  } catch {
    return false;
  }
})();

if (isMain) {
  // a reader that went away (head, a closed channel) ends the loop quietly, as SIGPIPE would
  process.stdout.on('error', () => process.exit(0));
  let code: number | 'loop';
  try {
    code = main(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`fake nvidia-smi: ${e instanceof Error ? e.message : String(e)}\n`);
    code = 1;
  }
  if (code !== 'loop') process.exitCode = code;
}

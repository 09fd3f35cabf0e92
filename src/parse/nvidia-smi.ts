// nvidia-smi output → GPU records. Pure: strings in, values out, never throws on what a host prints.
// Handles `--format=csv` (header, units in values) and `csv,noheader,nounits`, CRLF, quoted cells,
// `[N/A]`-style values, `-lms` loop output, `--help-query-gpu` and nvidia-smi's own error texts.
import type { Gpu, Result } from '../domain/types.js';
import { err, ok } from '../domain/types.js';

/** One CSV row keyed by the field name it answers (null for `[N/A]` and the like). */
export type SmiRow = Record<string, string | null>;

export interface SmiTable {
  /** Field names in column order (from the header when there was one, else as requested). */
  fields: string[];
  rows: SmiRow[];
  /** Non-empty lines that were not a valid row (wrong column count, error text). */
  skipped: number;
}

/** The fields `gpus` wants, in order of preference per column (first supported one wins). */
export const GPU_COLUMNS = {
  timestamp: ['timestamp'],
  driver: ['driver_version'],
  index: ['index'],
  uuid: ['uuid'],
  name: ['name'],
  utilization: ['utilization.gpu'],
  memoryUsed: ['memory.used'],
  memoryTotal: ['memory.total'],
  temperature: ['temperature.gpu'],
  power: ['power.draw', 'power.draw.instant', 'power.draw.average'],
  powerLimit: ['power.limit', 'enforced.power.limit'],
  smClock: ['clocks.current.sm', 'clocks.sm'],
  memClock: ['clocks.current.memory', 'clocks.mem'],
} as const;

/** What an nvidia-smi that cannot answer --help-query-gpu is asked for (present since R2xx). */
export const FALLBACK_GPU_FIELDS = [
  'index',
  'uuid',
  'name',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
  'power.limit',
];

export const COMPUTE_APPS_FIELDS = ['gpu_uuid', 'pid', 'process_name', 'used_memory'];

// The same property answers to several names (see --help-query-gpu: `"uuid" or "gpu_uuid"`).
const ALIASES = new Map<string, string>(Object.entries({
  gpu_name: 'name',
  gpu_uuid: 'uuid',
  gpu_serial: 'serial',
  gpu_bus_id: 'pci.bus_id',
  used_gpu_memory: 'used_memory',
}));

/** Canonical name of a field: lower-case, unit suffix (` [MiB]`) dropped, aliases folded. */
export function canonicalField(name: string): string {
  const bare = name.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
  return ALIASES.get(bare) ?? bare;
}

/** `[N/A]`, `N/A`, `[Not Supported]`, `[Unknown Error]`, `[GPU is lost]`, `[Requested …]`, empty → null. */
export function naToNull(value: string): string | null {
  const v = value.trim();
  if (v === '' || v === 'N/A' || /^\[.*\]$/.test(v)) return null;
  return v;
}

/** Split one CSV line. nvidia-smi writes `a, b, c`; quoted cells (`"a, b"`, `""`) are honoured. */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQuotes = false;
      } else cur += c;
    } else if (c === ',') {
      cells.push(quoted ? cur : cur.trim());
      cur = '';
      quoted = false;
    } else if (c === '"' && cur.trim() === '') {
      cur = '';
      quoted = true;
      inQuotes = true;
    } else cur += c;
  }
  cells.push(quoted ? cur : cur.trim());
  return cells;
}

/** A number from `98`, `98 %`, `350.20 W`, `81559 MiB`; null for N/A or anything else. */
export function parseNumber(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const m = /^([-+]?(?:\d+(?:\.\d*)?|\.\d+))(?:\s*(?:%|[A-Za-z]{1,4}))?$/.exec(value.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

export function parseInteger(value: string | null | undefined): number | null {
  const n = parseNumber(value);
  return n !== null && Number.isInteger(n) ? n : null;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.]*(\s*\[[^\]]*\])?$/;

function lines(text: string): string[] {
  return text.split(/\r?\n|\r/);
}

/** True when every cell looks like a field name (`memory.used [MiB]`), i.e. a `--format=csv` header. */
function isHeader(cells: string[], fields: readonly string[] | undefined): boolean {
  if (!cells.every((c) => FIELD_NAME.test(c))) return false;
  // a data row of bare words (`Enabled, Default`) could pass the pattern: require a known name
  const canon = cells.map(canonicalField);
  if (fields && fields.length > 0) return canon.some((c) => fields.map(canonicalField).includes(c));
  return canon.some((c) => c.includes('.') || c.includes('_') || ['index', 'name', 'uuid', 'pid', 'timestamp', 'serial'].includes(c));
}

/**
 * Parse CSV output of `--query-gpu` / `--query-compute-apps`. With a header (`--format=csv`) the
 * fields come from it; without, `fields` says what was asked. Rows with the wrong column count are
 * skipped (error text printed to stdout lands there), never guessed at.
 */
export function parseCsv(text: string, fields?: readonly string[]): SmiTable {
  let names: string[] | null = fields ? fields.map(canonicalField) : null;
  const rows: SmiRow[] = [];
  let skipped = 0;
  let first = true;
  for (const raw of lines(text)) {
    if (raw.trim() === '') continue;
    const cells = splitCsvLine(raw);
    if (first) {
      first = false;
      if (isHeader(cells, fields)) {
        names = cells.map(canonicalField);
        continue;
      }
    }
    if (!names || cells.length !== names.length) {
      skipped++;
      continue;
    }
    // no prototype: a field named `__proto__` or `toString` is just a key
    const row: SmiRow = Object.create(null) as SmiRow;
    names.forEach((n, i) => {
      row[n] = naToNull(cells[i] ?? '');
    });
    rows.push(row);
  }
  return { fields: names ?? [], rows, skipped };
}

function pick(row: SmiRow, candidates: readonly string[]): string | null {
  for (const c of candidates) {
    const v = row[c];
    if (v !== undefined && v !== null) return v;
  }
  return null;
}

/** One `--query-gpu` row → a Gpu (processes empty). `position` stands in for a missing index. */
export function rowToGpu(row: SmiRow, position: number): Gpu {
  const index = parseInteger(pick(row, GPU_COLUMNS.index));
  return {
    index: index !== null && index >= 0 ? index : position,
    name: pick(row, GPU_COLUMNS.name),
    uuid: pick(row, GPU_COLUMNS.uuid),
    utilizationPercent: parseNumber(pick(row, GPU_COLUMNS.utilization)),
    memoryUsedMiB: parseNumber(pick(row, GPU_COLUMNS.memoryUsed)),
    memoryTotalMiB: parseNumber(pick(row, GPU_COLUMNS.memoryTotal)),
    temperatureC: parseNumber(pick(row, GPU_COLUMNS.temperature)),
    powerW: parseNumber(pick(row, GPU_COLUMNS.power)),
    powerLimitW: parseNumber(pick(row, GPU_COLUMNS.powerLimit)),
    processes: [],
    // only where answered: a report from a driver without clocks keeps its old shape
    ...clocks(parseNumber(pick(row, GPU_COLUMNS.smClock)), parseNumber(pick(row, GPU_COLUMNS.memClock))),
  };
}

function clocks(sm: number | null, mem: number | null): Pick<Gpu, 'smClockMHz' | 'memClockMHz'> {
  return { ...(sm !== null ? { smClockMHz: sm } : {}), ...(mem !== null ? { memClockMHz: mem } : {}) };
}

export interface GpuQuery {
  driver: string | null;
  gpus: Gpu[];
}

/**
 * `nvidia-smi --query-gpu=<fields> --format=csv[,noheader][,nounits]` → GPUs. An error value when
 * nvidia-smi printed one of its failure texts, or when there was output but no row fitted.
 */
export function parseQueryGpu(text: string, fields?: readonly string[]): Result<GpuQuery> {
  const failure = detectSmiError(text);
  const table = parseCsv(text, fields);
  if (table.rows.length === 0) {
    if (failure) return err('exit', failure.message);
    if (table.skipped > 0) return err('parse', `nvidia-smi printed ${table.skipped} line(s) that do not match the ${table.fields.length} fields asked for`);
    return ok({ driver: null, gpus: [] });
  }
  return ok(tableToGpus(table.rows));
}

export function tableToGpus(rows: readonly SmiRow[]): GpuQuery {
  let driver: string | null = null;
  const gpus = rows.map((r, i) => {
    driver ??= pick(r, GPU_COLUMNS.driver);
    return rowToGpu(r, i);
  });
  return { driver, gpus };
}

/**
 * Split `-lms` loop rows into samples: a new sample starts when the GPU index repeats or goes back,
 * or when the timestamp changes. Rows without index or timestamp each form their own sample only
 * when `expected` (GPUs per sample) says so.
 */
export function groupSamples(rows: readonly SmiRow[], expected?: number): SmiRow[][] {
  const grouper = new SampleGrouper(expected);
  const out: SmiRow[][] = [];
  for (const r of rows) out.push(...grouper.push(r));
  const rest = grouper.flush();
  if (rest) out.push(rest);
  return out;
}

/** Incremental form of groupSamples for a live stream: emits a sample as soon as it is complete. */
export class SampleGrouper {
  private cur: SmiRow[] = [];
  private seen = new Set<number>();
  private lastIndex: number | null = null;
  private stamp: string | null = null;

  /** expected: GPUs per sample when known (from the probe); lets a sample be emitted without waiting for the next. */
  constructor(private expected?: number) {}

  push(row: SmiRow): SmiRow[][] {
    const out: SmiRow[][] = [];
    const index = parseInteger(row.index ?? null);
    const stamp = row.timestamp ?? null;
    const startsNew =
      this.cur.length > 0 &&
      ((index !== null && (this.seen.has(index) || (this.lastIndex !== null && index < this.lastIndex))) ||
        (stamp !== null && this.stamp !== null && stamp !== this.stamp));
    if (startsNew) out.push(this.take());
    this.cur.push(row);
    if (index !== null) {
      this.seen.add(index);
      this.lastIndex = index;
    }
    if (stamp !== null) this.stamp = stamp;
    if (this.expected !== undefined && this.expected > 0 && this.cur.length >= this.expected) out.push(this.take());
    return out;
  }

  /** The sample in progress, if any (at end of stream). */
  flush(): SmiRow[] | null {
    return this.cur.length > 0 ? this.take() : null;
  }

  private take(): SmiRow[] {
    const s = this.cur;
    this.cur = [];
    this.seen = new Set();
    this.lastIndex = null;
    // the timestamp is kept: the next row with the same stamp still belongs to a new sample only by index
    return s;
  }
}

/** Splits a byte/char stream into complete lines; keeps the unfinished tail (bounded). */
export class LineSplitter {
  private tail = '';
  constructor(private maxLine = 1 << 20) {}

  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const parts = text.split(/\r?\n/);
    this.tail = parts.pop() ?? '';
    // a runaway line without newline: drop it rather than grow forever
    if (this.tail.length > this.maxLine) this.tail = '';
    return parts;
  }
}

export interface SupportedFields {
  /** Every name nvidia-smi accepts, aliases included, as canonical and as printed. */
  names: Set<string>;
}

/**
 * `nvidia-smi --help-query-gpu` → the set of accepted field names. Property lines are made only of
 * quoted names joined by `or` (`"uuid" or "gpu_uuid"`); descriptions that merely start with a quote
 * (`"0: Default" means …`) are not.
 */
export function parseHelpQueryGpu(text: string): Set<string> {
  const names = new Set<string>();
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (!/^"[^"\s]+"(\s+or\s+"[^"\s]+")*$/.test(line)) continue;
    for (const m of line.matchAll(/"([^"]+)"/g)) {
      const n = m[1]!;
      if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(n)) names.add(n);
    }
  }
  return names;
}

/** `Field "x" is not a valid field to query.` → x, or null. */
export function invalidField(text: string): string | null {
  const m = /Field "([^"]*)" is not a valid field to query/.exec(text);
  return m ? m[1]! : null;
}

/**
 * The fields to ask a host for: per column the first supported candidate (power keeps every
 * supported variant, so one that reads [N/A] can fall back to another). `timestamp` and
 * `driver_version` ride along for -lms grouping and the report.
 */
export function chooseGpuFields(supported: ReadonlySet<string> | null): string[] {
  if (supported === null || supported.size === 0) return [...FALLBACK_GPU_FIELDS];
  const out: string[] = [];
  for (const [col, candidates] of Object.entries(GPU_COLUMNS)) {
    const have = candidates.filter((c) => supported.has(c));
    if (col === 'power' || col === 'powerLimit') out.push(...have);
    else if (have[0]) out.push(have[0]);
  }
  return out;
}

export type SmiFailureKind = 'no-gpu' | 'error' | 'invalid-field';

export interface SmiFailure {
  kind: SmiFailureKind;
  /** nvidia-smi's own sentence (first line of it), or ours for a missing binary. */
  message: string;
  field?: string;
}

// nvidia-smi's failure texts; some go to stdout, so both streams are searched
const ERROR_PATTERNS: RegExp[] = [
  /NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver[^\n]*/,
  /NVIDIA-SMI couldn't find libnvidia-ml\.so library[^\n]*/,
  /Failed to initialize NVML[^\n]*/,
  /Unable to determine the device handle for[^\n]*/,
  /No devices were found[^\n]*/,
  /No supported (?:GPUs|devices) (?:were )?found[^\n]*/,
  /Driver\/library version mismatch[^\n]*/,
  /Insufficient Permissions[^\n]*/,
  /GPU is lost[^\n]*/,
  /Unable to query[^\n]*/,
  /Unknown Error[^\n]*/,
];

/** The first nvidia-smi failure sentence in `text` (not counting in-cell `[Unknown Error]` values). */
export function detectSmiError(text: string): SmiFailure | null {
  const field = invalidField(text);
  if (field !== null) return { kind: 'invalid-field', message: `Field "${field}" is not a valid field to query.`, field };
  for (const raw of lines(text)) {
    const line = raw.trim();
    // a CSV row carrying `[GPU is lost]` in a cell is data, not a failure message
    if (line === '' || /^\[.*\]$/.test(line)) continue;
    if (line.includes(',')) {
      if (!/^NVIDIA-SMI|^Failed to initialize NVML|^Unable to determine/.test(line)) continue;
    }
    for (const p of ERROR_PATTERNS) {
      const m = p.exec(line);
      if (m) return { kind: 'error', message: line.slice(0, 400) };
    }
  }
  return null;
}

/**
 * Classify a finished nvidia-smi run. Command not found → 'no-gpu'; a known failure text on
 * stdout or stderr → 'error' (or 'invalid-field'); any other non-zero exit → 'error' with the
 * first line it printed. null when the run looks healthy.
 */
export function classifySmiRun(run: { code: number | null; stdout: string; stderr: string }): SmiFailure | null {
  const both = `${run.stderr}\n${run.stdout}`;
  if (run.code === 127 || /nvidia-smi: (?:command )?not found|command not found: nvidia-smi|nvidia-smi: No such file or directory/.test(run.stderr)) {
    return { kind: 'no-gpu', message: 'nvidia-smi is not installed (not on PATH)' };
  }
  const known = detectSmiError(both);
  if (known) return known;
  if (run.code !== 0) {
    const first = both.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '');
    const status = run.code === null ? 'was killed' : `exited with status ${run.code}`;
    return { kind: 'error', message: first ? first.slice(0, 400) : `nvidia-smi ${status}` };
  }
  return null;
}

export interface ComputeApp {
  gpuUuid: string | null;
  pid: number;
  name: string | null;
  usedMemoryMiB: number | null;
}

/**
 * `--query-compute-apps=gpu_uuid,pid,process_name,used_memory` (any order; with or without
 * header and units). Prints nothing, a header only, or `No running processes found` when idle.
 */
export function parseComputeApps(text: string, fields: readonly string[] = COMPUTE_APPS_FIELDS): ComputeApp[] {
  const table = parseCsv(text, fields);
  const out: ComputeApp[] = [];
  for (const r of table.rows) {
    const pid = parseInteger(r.pid ?? null);
    if (pid === null || pid < 0) continue;
    out.push({
      gpuUuid: r.uuid ?? null,
      pid,
      name: r.process_name ?? null,
      usedMemoryMiB: parseNumber(r.used_memory ?? null),
    });
  }
  return out;
}

/** `nvidia-smi -L` → index, name, uuid per GPU (MIG device lines skipped). */
export function parseListGpus(text: string): { index: number; name: string; uuid: string | null }[] {
  const out: { index: number; name: string; uuid: string | null }[] = [];
  for (const raw of lines(text)) {
    const m = /^GPU (\d+): (.*?)(?: \(UUID: ([^)]*)\))?\s*$/.exec(raw);
    if (m) out.push({ index: Number(m[1]), name: m[2]!, uuid: m[3] ?? null });
  }
  return out;
}

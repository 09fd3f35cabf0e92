// GPUs of one host. A host is probed ONCE (which tool, which fields its driver accepts); then
// `collectGpus` answers in one exec (GPUs + compute apps + panes + process table), and `GpuStream`
// keeps one long-lived `nvidia-smi -lms` stream plus an apps poll every few seconds.
import { tmuxCommand } from '../remote/tmux-control.js';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { Gpu, GpuHostReport, GpuProcess, HostSpec, Result, RtkError } from '../domain/types.js';
import { err, ok } from '../domain/types.js';
import { parseGpustatJson } from '../parse/gpustat.js';
import {
  chooseGpuFields,
  classifySmiRun,
  COMPUTE_APPS_FIELDS,
  type ComputeApp,
  detectSmiError,
  LineSplitter,
  parseComputeApps,
  parseCsv,
  parseHelpQueryGpu,
  parseQueryGpu,
  SampleGrouper,
  tableToGpus,
} from '../parse/nvidia-smi.js';
import { mapPidsToRuns, type PaneRef, parsePaneList, parseProcDetails, parseProcTable, PS_DETAIL_FIELDS, type ProcTable } from '../parse/proc-tree.js';
import type { Host, StreamHandle } from '../remote/host.js';
import { shq } from '../remote/quote.js';

export type GpuProbe =
  | { source: 'nvidia-smi'; fields: string[]; /** `nvidia-smi` (on PATH) or where it was found off PATH */ bin: string }
  | { source: 'gpustat' }
  | { source: 'none' };

const probes = new WeakMap<Host, GpuProbe>();

/** Forget what was learned about a host (its driver changed under us: an invalid field). */
export function forgetProbe(host: Host): void {
  probes.delete(host);
}

/** Stop asking for a field the driver refused (`Field "x" is not a valid field to query.`). */
function dropField(host: Host, field: string | undefined): void {
  const p = probes.get(host);
  if (p?.source !== 'nvidia-smi' || field === undefined || !p.fields.includes(field)) return forgetProbe(host);
  probes.set(host, { ...p, fields: p.fields.filter((f) => f !== field) });
}

const marker = () => `@@RTK-GPU-${randomBytes(6).toString('hex')}`;

/** Split `MARK name` delimited output into sections; `MARK rc N` lines give each section's status. */
export function splitSections(text: string, mark: string): Map<string, { body: string; rc: number | null }> {
  const out = new Map<string, { body: string; rc: number | null }>();
  let cur: { body: string; rc: number | null } | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${mark} `)) {
      const rest = line.slice(mark.length + 1).trim();
      const rc = /^rc (\d+)$/.exec(rest);
      if (rc && cur) cur.rc = Number(rc[1]);
      else if (!rc) {
        cur = { body: '', rc: null };
        out.set(rest, cur);
      }
      continue;
    }
    if (cur) cur.body += `${line}\n`;
  }
  return out;
}


const OFF_PATH = ['/usr/local/nvidia/bin/nvidia-smi', '/usr/lib/wsl/lib/nvidia-smi', '/opt/nvidia/bin/nvidia-smi'];

/** Which tool, and which fields this driver accepts. One exec; cached per host. */
export async function probeGpus(host: Host, spec: HostSpec): Promise<Result<GpuProbe>> {
  const cached = probes.get(host);
  if (cached) return ok(cached);
  const M = marker();
  const script = [
    `M=${shq(M)}`,
    spec.gpuSource === 'gpustat' ? 'command -v gpustat >/dev/null 2>&1 && printf \'%s gpustat\\n\' "$M"' : ':',
    'b=nvidia-smi',
    // where drivers put it when a non-login shell's PATH lacks it (containers, WSL)
    `command -v nvidia-smi >/dev/null 2>&1 || { b=; for p in ${OFF_PATH.join(' ')}; do [ -x "$p" ] && { b=$p; printf '%s bin\\n%s\\n' "$M" "$p"; break; }; done; }`,
    'if [ -n "$b" ]; then',
    '  printf \'%s help\\n\' "$M"; "$b" --help-query-gpu 2>&1; printf \'\\n%s rc %s\\n\' "$M" "$?"',
    'fi',
    'printf \'%s done\\n\' "$M"',
  ].join('\n');
  const r = await host.exec(script, { timeoutMs: 20_000 });
  if (!r.ok) return r;
  const sections = splitSections(r.value.stdout.toString('utf8'), M);
  if (!sections.has('done')) return err('parse', `the GPU probe on ${spec.name} printed no end marker`);
  let probe: GpuProbe;
  if (sections.has('gpustat')) probe = { source: 'gpustat' };
  else if (!sections.has('help')) probe = { source: 'none' };
  else {
    const help = sections.get('help')!;
    const supported = help.rc === 0 ? parseHelpQueryGpu(help.body) : null;
    const bin = sections.get('bin')?.body.split('\n')[0]?.trim();
    probe = { source: 'nvidia-smi', fields: chooseGpuFields(supported), bin: bin || 'nvidia-smi' };
  }
  probes.set(host, probe);
  return ok(probe);
}

/** The process table of a poll: the long ps form (`psx`: owner, CPU, RSS, age, command line) when
 * that ps answered, else the short one or /proc (`ps`). */
function procTableOf(sec: ReadonlyMap<string, { body: string }>): ProcTable {
  const long = sec.get('psx');
  return long !== undefined ? parseProcDetails(long.body) : parseProcTable(sec.get('ps')?.body ?? '');
}

/** Pid → run, through the process tree, for every process on every GPU; with what ps said of it. */
function attachRuns(gpus: Gpu[], table: ProcTable, panes: readonly PaneRef[]): void {
  const pids = gpus.flatMap((g) => g.processes.map((p) => p.pid));
  if (pids.length === 0) return;
  const runs = mapPidsToRuns(pids, table, panes);
  for (const g of gpus)
    for (const p of g.processes) {
      p.run = runs.get(p.pid) ?? null;
      const e = table.get(p.pid);
      if (e?.args === undefined) continue;
      p.user = e.user ?? null;
      p.cpuPercent = e.cpuPercent ?? null;
      p.rssMiB = e.rssKiB === undefined ? null : Math.round(e.rssKiB / 102.4) / 10;
      p.elapsedSeconds = e.elapsedSeconds ?? null;
      p.command = e.args;
    }
}

/** Put compute apps on their GPU (joined by UUID; a single GPU takes them all when UUIDs are missing). */
export function joinApps(gpus: Gpu[], apps: readonly ComputeApp[]): void {
  for (const g of gpus) g.processes = [];
  for (const a of apps) {
    const g = gpus.find((x) => x.uuid !== null && x.uuid === a.gpuUuid) ?? (gpus.length === 1 ? gpus[0] : undefined);
    g?.processes.push({ pid: a.pid, name: a.name, usedMemoryMiB: a.usedMemoryMiB, run: null });
  }
}

/** The shell lines for compute apps + panes + process table (ps only when some process uses a GPU). */
function appsScript(spec: HostSpec, bin: string | null): string[] {
  const lines = [];
  if (bin !== null) {
    lines.push(
      `a=$(${shq(bin)} --query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')} --format=csv,noheader,nounits 2>&1); r=$?`,
      'printf \'%s apps\\n%s\\n%s rc %s\\n\' "$M" "$a" "$M" "$r"',
    );
  }
  lines.push(
    'printf \'%s panes\\n\' "$M"',
    `${tmuxCommand(spec)} list-panes -a -F '#{pane_pid} #{session_name}' 2>/dev/null`,
    // the process table is only needed when some process uses a GPU (gpustat: not known here); the
    // long form gives the zoomed GPU view its owner, CPU, RSS, age and command line in the same
    // exec; a ps without those fields (busybox) falls back to the short form, then to /proc
    `${bin !== null ? '[ -z "$a" ] || ' : ''}{ p=$(LC_ALL=C ps -eo ${PS_DETAIL_FIELDS} 2>/dev/null) && printf '%s psx\\n%s\\n' "$M" "$p" || { printf '%s ps\\n' "$M"; ps -eo pid=,ppid=,comm= 2>/dev/null || cat /proc/[0-9]*/stat 2>/dev/null; }; }`,
    'printf \'\\n%s done\\n\' "$M"',
  );
  return lines;
}

function report(spec: HostSpec, status: GpuHostReport['status'], error: string | null, driver: string | null = null, gpus: Gpu[] = []): GpuHostReport {
  return { name: spec.name, status, error, driver, gpus };
}

/** A transport failure as a report: unreachable (connection, auth, host key, timeout) or error. */
export function transportReport(spec: HostSpec, e: RtkError): GpuHostReport {
  const unreachable = ['unreachable', 'auth', 'host-key-unknown', 'host-key-mismatch', 'timeout'].includes(e.kind);
  return report(spec, unreachable ? 'unreachable' : 'error', e.message);
}

function mergePanes(given: readonly PaneRef[], found: readonly PaneRef[]): PaneRef[] {
  const seen = new Set(given.map((p) => p.panePid));
  return [...given, ...found.filter((p) => !seen.has(p.panePid))];
}

/**
 * Everything `gpus` prints for one host, in one exec after the (cached) probe. Never rejects:
 * failures are reports with status unreachable / no-gpu / error.
 */
export async function collectGpus(host: Host, spec: HostSpec, panes: readonly PaneRef[] = []): Promise<GpuHostReport> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const probe = await probeGpus(host, spec);
    if (!probe.ok) return transportReport(spec, probe.error);
    if (probe.value.source === 'none') return report(spec, 'no-gpu', null);
    const M = marker();
    const head =
      probe.value.source === 'gpustat'
        ? ['printf \'%s gpu\\n\' "$M"', 'gpustat --json 2>&1; printf \'\\n%s rc %s\\n\' "$M" "$?"']
        : [
            'printf \'%s gpu\\n\' "$M"',
            `${shq(probe.value.bin)} --query-gpu=${probe.value.fields.join(',')} --format=csv,noheader,nounits 2>&1; printf '\\n%s rc %s\\n' "$M" "$?"`,
          ];
    const script = [`M=${shq(M)}`, ...head, ...appsScript(spec, probe.value.source === 'nvidia-smi' ? probe.value.bin : null)].join('\n');
    const r = await host.exec(script, { timeoutMs: 30_000 });
    if (!r.ok) return transportReport(spec, r.error);
    const sec = splitSections(r.value.stdout.toString('utf8'), M);
    const gpuSec = sec.get('gpu');
    if (!gpuSec || !sec.has('done')) return report(spec, 'error', `the GPU query on ${spec.name} was cut short`);
    const found = parsePaneList(sec.get('panes')?.body ?? '', spec.name);
    const allPanes = mergePanes(panes, found);
    const procs = procTableOf(sec);

    if (probe.value.source === 'gpustat') {
      const g = parseGpustatJson(gpuSec.body);
      if (!g.ok) return report(spec, 'error', `gpustat on ${spec.name}: ${firstLine(gpuSec.body) ?? g.error.message}`);
      attachRuns(g.value.gpus, procs, allPanes);
      return report(spec, 'ok', null, g.value.driver, g.value.gpus);
    }

    const failure = classifySmiRun({ code: gpuSec.rc, stdout: gpuSec.body, stderr: '' });
    if (failure?.kind === 'invalid-field') {
      // the driver changed since the probe (or its help lied): ask without that field
      dropField(host, failure.field);
      continue;
    }
    if (failure?.kind === 'no-gpu') return report(spec, 'no-gpu', null);
    const q = parseQueryGpu(gpuSec.body, probe.value.fields);
    // one GPU lost among eight: the other seven are still worth showing, with the sentence beside them
    if (!q.ok || q.value.gpus.length === 0) return report(spec, 'error', failure?.message ?? (q.ok ? `nvidia-smi on ${spec.name} listed no GPU` : q.error.message));
    const appsSec = sec.get('apps');
    joinApps(q.value.gpus, appsSec && appsSec.rc === 0 ? parseComputeApps(appsSec.body) : []);
    attachRuns(q.value.gpus, procs, allPanes);
    return report(spec, 'ok', failure?.message ?? null, q.value.driver, q.value.gpus);
  }
  return report(spec, 'error', `nvidia-smi on ${spec.name} keeps refusing the fields it listed as valid`);
}

function firstLine(text: string): string | null {
  return text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? null;
}

export interface GpuStreamOptions {
  /** Sample period of the -lms stream (and of the gpustat poll). Default 2000 ms. */
  intervalMs?: number;
  /** Compute apps + process tree poll period, while a GPU's memory is changing. Default max(5000, intervalMs). */
  appsEveryMs?: number;
  /** Longest gap between apps polls when no GPU's memory moved (processes come and go with memory). Default 30 s. */
  appsMaxAgeMs?: number;
  panes?: readonly PaneRef[];
  onReport: (r: GpuHostReport) => void;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * The monitor's GPU source for one host: first a full collect (so the screen fills at once), then
 * one `nvidia-smi --query-gpu=… -lms N` stream whose samples are emitted as they complete, with the
 * compute apps polled every few seconds in one exec. Restarts after drops with backoff.
 */
export class GpuStream {
  private stopped = true;
  private handle: StreamHandle | null = null;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private appsTimer: ReturnType<typeof setInterval> | null = null;
  private stallTimer: ReturnType<typeof setTimeout> | null = null;
  private backoff = 1000;
  private gpus: Gpu[] = [];
  private driver: string | null = null;
  private apps: Map<string, GpuProcess[]> = new Map();
  private polling = false;
  private last: GpuHostReport | null = null;
  private panes: readonly PaneRef[];
  private readonly intervalMs: number;
  private readonly appsEveryMs: number;
  private readonly appsMaxAgeMs: number;
  /** memory.used per GPU at the last apps poll, and when that was */
  private memAtPoll = new Map<string, number | null>();
  private polledAt = 0;

  constructor(
    private readonly host: Host,
    private readonly spec: HostSpec,
    private readonly opts: GpuStreamOptions,
  ) {
    this.panes = opts.panes ?? [];
    this.intervalMs = Math.max(100, opts.intervalMs ?? 2000);
    this.appsEveryMs = Math.max(this.intervalMs, opts.appsEveryMs ?? 5000);
    this.appsMaxAgeMs = Math.max(this.appsEveryMs, opts.appsMaxAgeMs ?? 30_000);
  }

  latest(): GpuHostReport | null {
    return this.last;
  }

  /** Pane pids from the runs poll, so processes map to runs between our own looks at tmux. */
  setPanes(panes: readonly PaneRef[]): void {
    this.panes = panes;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.begin();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.appsTimer) clearInterval(this.appsTimer);
    this.appsTimer = null;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.handle?.close();
    this.handle = null;
  }

  /** Poll processes (or, for gpustat, everything) now. */
  refresh(): void {
    void this.pollApps(true);
  }

  /** The host is back: a sampler waiting out its backoff starts again now, not in up to 30 s. */
  wake(): void {
    if (this.stopped || this.handle !== null || this.timers.size === 0) return;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.backoff = 1000;
    void this.begin();
  }

  /**
   * A process starting or ending on a GPU moves its memory.used, so while nothing moves the apps
   * poll (one remote exec) waits up to appsMaxAgeMs: an idle host costs 2 spawns a minute, not 12.
   */
  private appsDue(): boolean {
    if (Date.now() - this.polledAt >= this.appsMaxAgeMs) return true;
    if (this.gpus.length !== this.memAtPoll.size) return true;
    return this.gpus.some((g) => {
      const before = this.memAtPoll.get(key(g));
      const now = g.memoryUsedMiB;
      return before === undefined || (before === null) !== (now === null) || (before !== null && now !== null && Math.abs(now - before) >= 32);
    });
  }

  private notePoll(gpus: readonly Gpu[]): void {
    this.polledAt = Date.now();
    this.memAtPoll = new Map(gpus.map((g) => [key(g), g.memoryUsedMiB]));
  }

  private emit(r: GpuHostReport): void {
    if (this.stopped) return;
    this.last = r;
    this.opts.onReport(r);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private retry(): void {
    const ms = this.backoff;
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
    this.later(ms + Math.floor(Math.random() * 250), () => void this.begin());
  }

  private async begin(): Promise<void> {
    const first = await collectGpus(this.host, this.spec, this.panes);
    if (this.stopped) return;
    this.emit(first);
    if (first.status === 'unreachable') return this.retry();
    if (first.status === 'no-gpu') return;
    if (first.status === 'ok') {
      this.gpus = first.gpus;
      this.driver = first.driver;
      this.apps = new Map(first.gpus.map((g) => [key(g), g.processes]));
      this.notePoll(first.gpus);
    }
    const probe = probes.get(this.host);
    if (!probe || probe.source === 'none') return this.retry();
    if (!this.appsTimer) this.appsTimer = setInterval(() => void this.pollApps(), probe.source === 'gpustat' ? this.intervalMs : this.appsEveryMs);
    if (probe.source === 'gpustat') return;
    if (first.status === 'error') return this.retry();
    await this.openStream(probe.fields, probe.bin);
  }

  private async openStream(fields: string[], bin: string): Promise<void> {
    const cmd = `exec ${shq(bin)} --query-gpu=${fields.join(',')} --format=csv,noheader,nounits -lms ${this.intervalMs}`;
    const h = await this.host.stream(cmd);
    if (this.stopped) {
      if (h.ok) h.value.close();
      return;
    }
    if (!h.ok) {
      this.emit(transportReport(this.spec, h.error));
      return this.retry();
    }
    const handle = h.value;
    this.handle = handle;
    const split = new LineSplitter();
    // a UTF-8 character split across two chunks must not turn into two replacement characters
    const utf8 = new StringDecoder('utf8');
    const grouper = new SampleGrouper(this.gpus.length || undefined);
    let errText = '';
    let samples = 0;
    let ended = false;
    // a sampler that goes quiet (a GPU in a bad state can hang NVML) is closed and started again
    const stallMs = Math.max(10_000, this.intervalMs * 5);
    const arm = (): void => {
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.stallTimer = setTimeout(() => {
        this.stallTimer = null;
        if (ended || this.stopped) return;
        handle.close();
        finish(null, null, `nvidia-smi on ${this.spec.name} printed nothing for ${Math.round(stallMs / 1000)} s; restarting it.`);
      }, stallMs);
    };
    const onSample = (rows: ReturnType<typeof parseCsv>['rows']) => {
      samples++;
      this.backoff = 1000;
      const q = tableToGpus(rows);
      this.driver = q.driver ?? this.driver;
      for (const g of q.gpus) g.processes = this.apps.get(key(g)) ?? [];
      this.gpus = q.gpus;
      this.emit(report(this.spec, 'ok', null, this.driver, this.gpus));
    };
    // once per stream, whether it closed, failed or was given up on
    const finish = (code: number | null, e: RtkError | null, stalled: string | null): void => {
      if (ended) return;
      ended = true;
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.stallTimer = null;
      if (this.handle === handle) this.handle = null;
      if (this.stopped) return;
      const rest = grouper.flush();
      if (rest) onSample(rest);
      const failure = errText ? detectSmiError(errText) ?? classifySmiRun({ code, stdout: '', stderr: errText }) : null;
      if (failure?.kind === 'invalid-field') dropField(this.host, failure.field);
      if (e) this.emit(transportReport(this.spec, e));
      else if (failure && failure.kind !== 'invalid-field') this.emit(report(this.spec, failure.kind === 'no-gpu' ? 'no-gpu' : 'error', failure.kind === 'no-gpu' ? null : failure.message));
      else if (stalled) this.emit(report(this.spec, 'error', stalled));
      if (samples > 0) this.backoff = 1000;
      this.retry();
    };
    handle.onData((chunk) => {
      if (ended) return;
      arm();
      for (const line of split.push(utf8.write(chunk))) {
        const t = parseCsv(line, fields);
        if (t.rows[0]) {
          for (const s of grouper.push(t.rows[0])) onSample(s);
        } else if (line.trim() !== '' && errText.length < 4096) errText += `${line}\n`;
      }
    });
    handle.onStderr((chunk) => {
      if (errText.length < 4096) errText += chunk.toString('utf8');
    });
    handle.onClose((code, e) => finish(code, e, null));
    arm();
  }

  private async pollApps(force = false): Promise<void> {
    if (this.polling || this.stopped) return;
    const probe = probes.get(this.host);
    if (!probe || probe.source === 'none') return;
    if (probe.source === 'nvidia-smi' && !force && !this.appsDue()) return;
    this.polling = true;
    try {
      if (probe.source === 'gpustat') {
        const r = await collectGpus(this.host, this.spec, this.panes);
        this.emit(r);
        return;
      }
      const M = marker();
      const r = await this.host.exec([`M=${shq(M)}`, ...appsScript(this.spec, probe.bin)].join('\n'), { timeoutMs: 20_000, shared: true });
      if (!r.ok || this.stopped) return;
      const sec = splitSections(r.value.stdout.toString('utf8'), M);
      const appsSec = sec.get('apps');
      if (!appsSec || appsSec.rc !== 0 || !sec.has('done')) return;
      const gpus = this.gpus.map((g) => ({ ...g, processes: [] as GpuProcess[] }));
      this.notePoll(gpus);
      joinApps(gpus, parseComputeApps(appsSec.body));
      attachRuns(gpus, procTableOf(sec), mergePanes(this.panes, parsePaneList(sec.get('panes')?.body ?? '', this.spec.name)));
      this.apps = new Map(gpus.map((g) => [key(g), g.processes]));
      if (gpus.length > 0 && this.last?.status === 'ok') {
        this.gpus = gpus;
        this.emit(report(this.spec, 'ok', null, this.driver, gpus));
      }
    } finally {
      this.polling = false;
    }
  }
}

const key = (g: Gpu) => g.uuid ?? `#${g.index}`;

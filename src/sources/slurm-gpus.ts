// The GPUs of a Slurm host: the login node has none, its user's running jobs do. One exec: per running
// job of the user (the newest MAX_JOBS) `scontrol show job -d -o` says which GPUs it holds per node,
// and for each that holds some, one `srun --jobid=N --overlap -N1 -n1` (under `timeout 20`, all at
// once) runs nvidia-smi inside the allocation, on the job's first node: the step gets the job's GRES,
// so its cgroup and CUDA_VISIBLE_DEVICES are the job's GPUs, which `nvidia-smi -i` narrows to on nodes
// without device cgroups. `--gres=none` would leave the step without the GPUs (22.05: CUDA_VISIBLE_DEVICES
// empty), `--overlap` lets it run beside the job's own steps. Every GPU and process found is the job's:
// the report names the node, the node's own index (from the IDX of scontrol) and the job's run id.
import { randomBytes } from 'node:crypto';
import type { Gpu, GpuHostReport, HostSpec } from '../domain/types.js';
import { chooseGpuFields, classifySmiRun, COMPUTE_APPS_FIELDS, parseComputeApps, parseQueryGpu } from '../parse/nvidia-smi.js';
import { parseJobGpus, type JobNodeGpus } from '../parse/slurm-detail.js';
import type { Host } from '../remote/host.js';
import { shq } from '../remote/quote.js';
import { joinApps, splitSections, transportReport } from './gpus.js';

/** Running jobs asked about (one scontrol each) and jobs whose GPUs are read (one srun each). */
const MAX_JOBS = 50;
const MAX_SRUN = 16;
/** Seconds one srun may take (it queues behind a busy controller, or a node that does not answer). */
export const SRUN_TIMEOUT_S = 20;
const OFF_PATH = ['/usr/local/nvidia/bin/nvidia-smi', '/usr/lib/wsl/lib/nvidia-smi', '/opt/nvidia/bin/nvidia-smi'];

/** What runs inside the job: nvidia-smi narrowed to the job's GPUs, its compute apps, the node's name. */
export function innerScript(mark: string, fields: readonly string[]): string {
  const smi = (q: string) => `"$b" \${i:+-i "$i"} ${q} --format=csv,noheader,nounits 2>&1; printf '\\n%s rc %s\\n' "$M" "$?"`;
  return [
    `M=${shq(mark)}`,
    // indices only: UUIDs or NoDevFiles are left to the cgroup
    `i=\${CUDA_VISIBLE_DEVICES-}; case "$i" in *[!0-9,]*) i= ;; esac`,
    `b=nvidia-smi; command -v nvidia-smi >/dev/null 2>&1 || for p in ${OFF_PATH.join(' ')}; do [ -x "$p" ] && { b=$p; break; }; done`,
    // Slurm's name of the node (a node's hostname may differ from it)
    `printf '%s node %s\\n' "$M" "\${SLURMD_NODENAME:-$(hostname -s 2>/dev/null || hostname)}"`,
    `printf '%s gpu\\n' "$M"`,
    smi(`--query-gpu=${fields.join(',')}`),
    `printf '%s apps\\n' "$M"`,
    smi(`--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`),
  ].join('\n');
}

/** The login node's script: per job, its scontrol detail and what srun printed, between `JOB id` lines. */
export function slurmGpusScript(mark: string, inner: string): string {
  return [
    `M=${shq(mark)}`,
    `u=$(id -un 2>/dev/null || echo "$USER")`,
    `t=$(mktemp -d 2>/dev/null) || { t=\${TMPDIR:-/tmp}/rtk-sg.$$; mkdir -p -- "$t" || exit 1; }`,
    `T=; command -v timeout >/dev/null 2>&1 && T='timeout ${SRUN_TIMEOUT_S}'`,
    `n=0`,
    `for id in $(squeue -t running -h -u "$u" -o '%A' 2>/dev/null | sort -rn | head -n ${MAX_JOBS}); do`,
    `  case "$id" in *[!0-9]*|'') continue ;; esac`,
    `  d=$(scontrol show job -d -o "$id" 2>/dev/null)`,
    `  case "$d" in *'(IDX:'*) ;; *) continue ;; esac`,
    `  n=$((n+1)); [ "$n" -le ${MAX_SRUN} ] || break`,
    `  printf '%s\\n' "$d" > "$t/$id.d"`,
    `  ( $T srun --jobid="$id" --overlap -N1 -n1 sh -c ${shq(inner)} > "$t/$id.o" 2>&1 < /dev/null; echo "$?" > "$t/$id.rc" ) &`,
    `done`,
    `wait`,
    `for f in "$t"/*.d; do`,
    `  [ -f "$f" ] || continue; id=\${f##*/}; id=\${id%.d}`,
    `  printf '%s job %s\\n' "$M" "$id"; cat -- "$f"`,
    `  printf '%s srun %s\\n' "$M" "$(cat -- "$t/$id.rc" 2>/dev/null)"; cat -- "$t/$id.o" 2>/dev/null`,
    `done`,
    `rm -rf -- "$t"`,
    `printf '%s done\\n' "$M"`,
  ].join('\n');
}

interface JobPart {
  detail: string;
  rc: number | null;
  out: string;
}

/** The per-job parts of the output, by Slurm job id. */
export function splitJobs(text: string, mark: string): { jobs: Map<string, JobPart>; done: boolean } {
  const jobs = new Map<string, JobPart>();
  let cur: JobPart | null = null;
  let into: 'detail' | 'out' = 'detail';
  let done = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${mark} `)) {
      const [word, arg] = line.slice(mark.length + 1).split(' ');
      if (word === 'job' && /^\d+$/.test(arg ?? '')) {
        cur = { detail: '', rc: null, out: '' };
        jobs.set(arg!, cur);
        into = 'detail';
      } else if (word === 'srun' && cur) {
        cur.rc = /^\d+$/.test(arg ?? '') ? Number(arg) : null;
        into = 'out';
      } else if (word === 'done') done = true;
      continue;
    }
    if (cur) cur[into] += `${line}\n`;
  }
  return { jobs, done };
}

/** One job's GPUs from what srun printed: indices as the node's own, every process the job's. */
export function jobGpus(runId: string, part: JobPart, inner: string, fields: readonly string[], held: readonly JobNodeGpus[]): { gpus: Gpu[]; driver: string | null; error: string | null } {
  const sec = splitSections(part.out, inner);
  const gpuSec = sec.get('gpu');
  const nodeLine = [...sec.keys()].find((k) => k.startsWith('node '));
  const ranOn = nodeLine?.slice(5).trim() || null;
  const said = part.out.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith(inner)) ?? '';
  if (!gpuSec) {
    const why = part.rc === 124 ? `srun did not answer within ${SRUN_TIMEOUT_S}s` : said || `srun exited ${part.rc ?? '?'}`;
    return { gpus: [], driver: null, error: `job ${runId}: ${why}` };
  }
  const failure = classifySmiRun({ code: gpuSec.rc, stdout: gpuSec.body, stderr: '' });
  const q = parseQueryGpu(gpuSec.body, fields);
  if (!q.ok || q.value.gpus.length === 0) return { gpus: [], driver: null, error: `job ${runId}: ${failure?.message ?? (q.ok ? 'nvidia-smi listed no GPU' : q.error.message)}` };
  const apps = sec.get('apps');
  // an app on a GPU that is not the job's (an nvidia-smi that lists the node's apps whatever -i says)
  // is not the job's: only those on its GPUs, or without a uuid, are joined
  const uuids = new Set(q.value.gpus.map((g) => g.uuid).filter((u) => u !== null));
  joinApps(q.value.gpus, (apps && apps.rc === 0 ? parseComputeApps(apps.body) : []).filter((a) => a.gpuUuid === null || uuids.size === 0 || uuids.has(a.gpuUuid)));
  const entry = held.find((h) => h.node === ranOn) ?? (held.length === 1 ? held[0] : undefined);
  const node = ranOn ?? entry?.node ?? '?';
  const byOrder = entry !== undefined && entry.indices.length === q.value.gpus.length;
  const gpus = q.value.gpus.map((g, k) => {
    for (const p of g.processes) p.run = runId;
    return { ...g, index: byOrder ? entry.indices[k]! : g.index, node, run: runId };
  });
  return { gpus, driver: q.value.driver, error: failure?.message ?? null };
}

/** `gpus` for a Slurm host: its user's running jobs' GPUs. Never rejects. */
export async function collectSlurmGpus(host: Host, spec: HostSpec): Promise<GpuHostReport> {
  const mark = `@@RTK-SG-${randomBytes(6).toString('hex')}`;
  const inner = `@@RTK-SGI-${randomBytes(6).toString('hex')}`;
  const fields = chooseGpuFields(null);
  const r = await host.exec(slurmGpusScript(mark, innerScript(inner, fields)), { timeoutMs: (SRUN_TIMEOUT_S + 25) * 1000, maxBytes: 8 * 1024 * 1024 });
  if (!r.ok) return transportReport(spec, r.error);
  const { jobs, done } = splitJobs(r.value.stdout.toString('utf8'), mark);
  const base = { name: spec.name, driver: null as string | null, gpus: [] as Gpu[] };
  if (!done) return { ...base, status: 'error', error: `the GPU query on ${spec.name} was cut short` };
  const errors: string[] = [];
  for (const part of jobs.values()) {
    for (const [id, held] of parseJobGpus(part.detail)) {
      const runId = `${spec.name}:${id}`;
      const got = jobGpus(runId, part, inner, fields, held);
      base.gpus.push(...got.gpus);
      base.driver ??= got.driver;
      if (got.error) errors.push(got.error);
    }
  }
  if (base.gpus.length === 0 && errors.length > 0) return { ...base, status: 'error', error: errors.join('; ') };
  return {
    ...base,
    status: 'ok',
    error: errors.length > 0 ? errors.join('; ') : null,
    ...(jobs.size === 0 ? { note: 'no running Slurm job of yours holds a GPU' } : {}),
  };
}

/** Polls of a Slurm host's GPUs are at least this far apart: each one is a job step per job, and a
 * job has a step budget (MaxStepCount, 40,000 by default): once a minute is 27 days of it. */
export const SLURM_GPUS_MIN_MS = 60_000;

/**
 * `gpus --watch` and the monitor's GPU source for a Slurm host (the controller's GpuSource):
 * collectSlurmGpus every intervalMs, at least SLURM_GPUS_MIN_MS apart (no -lms stream: an srun each time).
 */
export class SlurmGpuPoll {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private busy = false;
  private readonly intervalMs: number;
  constructor(
    private readonly host: Host,
    private readonly spec: HostSpec,
    private readonly opts: { intervalMs: number; onReport: (r: GpuHostReport) => void },
  ) {
    this.intervalMs = Math.max(opts.intervalMs, SLURM_GPUS_MIN_MS);
  }
  start(): void {
    this.stopped = false;
    void this.tick();
  }
  /** The processes are the jobs' own: tmux panes say nothing here. */
  setPanes(): void {}
  refresh(): void {
    void this.tick();
  }
  wake(): void {
    void this.tick();
  }
  private async tick(): Promise<void> {
    if (this.stopped || this.busy) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.busy = true;
    try {
      const r = await collectSlurmGpus(this.host, this.spec);
      if (!this.stopped) this.opts.onReport(r);
    } finally {
      this.busy = false;
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.intervalMs);
      this.timer.unref?.();
    }
  }
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

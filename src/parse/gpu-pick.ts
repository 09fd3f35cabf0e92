// Which GPUs a new run gets (`new --gpus N`): pure, from the host's GPU report (processes mapped to
// runs) and the GPUs other live runs claimed at launch (@rtk_gpus: a run started a second ago holds
// its GPUs before its processes show in nvidia-smi). Free: no compute process, no claim, enough free
// memory. Among the free, the least busy first.
import { err, ok, type GpuHostReport, type Result } from '../domain/types.js';

export interface GpuClaim {
  /** The run id that claimed it at launch. */
  run: string;
  gpus: number[];
}

export interface PickRequest {
  host: string;
  /** How many GPUs; ignored when `pinned` is given. */
  count: number | null;
  /** `--gpus 0,3`: exactly these. */
  pinned: number[] | null;
  /** Free memory a GPU needs (MiB). */
  minFreeMiB: number;
  /** A relaunch: these again when they are all free (else any `count` free ones). */
  prefer?: number[];
}

export interface Pick {
  gpus: number[];
  /** Pinned GPUs that another run holds (they are used anyway: the user named them). */
  busyPinned: string[];
}

/** "0,3" -> [0, 3]; a count "2" -> null (not a list); throws nothing. */
export function parseGpuList(text: string): number[] | null {
  if (!/^\d+(,\d+)+$/.test(text) && !/^\d+,$/.test(text)) return null;
  return text.split(',').filter(Boolean).map(Number);
}

/** Parses the `@rtk_gpus` value of a session ("0,3"); anything else is no claim. */
export function parseClaim(text: string): number[] {
  return /^\d+(,\d+)*$/.test(text.trim()) ? text.trim().split(',').map(Number) : [];
}

/** Why each GPU is not free, or null when it is. */
function occupancy(report: GpuHostReport, claims: readonly GpuClaim[], minFreeMiB: number): Map<number, string | null> {
  const out = new Map<number, string | null>();
  for (const g of report.gpus) {
    const claim = claims.find((c) => c.gpus.includes(g.index));
    const procs = g.processes;
    let why: string | null = null;
    if (procs.length > 0) {
      const byRun = [...new Set(procs.map((p) => p.run ?? `pid ${p.pid}${p.name ? ` (${p.name.split('/').pop()})` : ''}`))];
      why = `held by ${byRun.slice(0, 3).join(', ')}${byRun.length > 3 ? ` and ${byRun.length - 3} more` : ''}`;
    } else if (claim) why = `claimed by ${claim.run}, starting`;
    else if (g.memoryTotalMiB !== null && g.memoryUsedMiB !== null && g.memoryTotalMiB - g.memoryUsedMiB < minFreeMiB)
      why = `only ${((g.memoryTotalMiB - g.memoryUsedMiB) / 1024).toFixed(1)} GiB free`;
    out.set(g.index, why);
  }
  return out;
}

export function pickGpus(report: GpuHostReport, claims: readonly GpuClaim[], req: PickRequest): Result<Pick> {
  if (report.status !== 'ok') return err('exit', `cannot pick GPUs on ${req.host}: ${report.error ?? (report.status === 'no-gpu' ? 'it has no nvidia-smi' : report.status)}`);
  if (report.gpus.length === 0) return err('not-found', `${req.host} has no GPU`);
  const occ = occupancy(report, claims, req.minFreeMiB);
  if (req.pinned !== null) {
    const missing = req.pinned.filter((i) => !occ.has(i));
    if (missing.length > 0) return err('usage', `${req.host} has no GPU ${missing.join(', ')} (it has ${[...occ.keys()].join(', ')})`);
    const busyPinned = req.pinned.filter((i) => occ.get(i) !== null).map((i) => `GPU ${i} ${occ.get(i)}`);
    return ok({ gpus: [...new Set(req.pinned)], busyPinned });
  }
  const want = req.count ?? 1;
  if (req.prefer && req.prefer.length === want && req.prefer.every((i) => occ.has(i) && occ.get(i) === null)) return ok({ gpus: [...req.prefer].sort((a, b) => a - b), busyPinned: [] });
  const free = report.gpus
    .filter((g) => occ.get(g.index) === null)
    .sort((a, b) => (a.utilizationPercent ?? 0) - (b.utilizationPercent ?? 0) || (a.memoryUsedMiB ?? 0) - (b.memoryUsedMiB ?? 0) || a.index - b.index);
  if (free.length >= want) return ok({ gpus: free.slice(0, want).map((g) => g.index).sort((a, b) => a - b), busyPinned: [] });
  const busy = [...occ].filter(([, why]) => why !== null).map(([i, why]) => `GPU ${i} ${why}`);
  return err(
    'refused',
    `${req.host} has ${free.length} free GPU${free.length === 1 ? '' : 's'} of ${report.gpus.length}, ${want} asked: ${busy.join('; ')}. Wait for one, pin GPUs with --gpus ${free.length > 0 ? free.map((g) => g.index).join(',') : '0,1'}, or lower --min-free-gib`,
  );
}

/** `--gpus 2` (a count, picked), `--gpus 0,3` or `--gpus 3,` (pinned); `--min-free-gib M` (default 2). */
export function parseGpusFlag(gpus: string | undefined, minFree: string | undefined): Result<Omit<PickRequest, 'host'> | null> {
  if (gpus === undefined) {
    if (minFree !== undefined) return err('usage', 'new: --min-free-gib goes with --gpus N');
    return ok(null);
  }
  const min = minFree === undefined ? 2 : Number(minFree);
  if (!Number.isFinite(min) || min < 0) return err('usage', `new: --min-free-gib wants a number of GiB, got ${JSON.stringify(minFree)}`);
  const list = parseGpuList(gpus);
  if (list !== null) return ok({ count: null, pinned: list, minFreeMiB: min * 1024 });
  if (!/^[1-9]\d*$/.test(gpus)) return err('usage', `new: --gpus wants a count (2) or a list of GPU indices (0,3; one GPU: 3,), got ${JSON.stringify(gpus)}`);
  return ok({ count: Number(gpus), pinned: null, minFreeMiB: min * 1024 });
}

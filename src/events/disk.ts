// Will the checkpoints' filesystem fill before the run ends? Projected from the newest checkpoint's
// size, the cadence seen in the listing (modification times, steps) and the steps left, or the next
// 6 hours when the total is unknown. Pure; used by the disk.low event and the checkpoints pane title.
import type { Checkpoint, CheckpointListing, Progress } from '../domain/types.js';

export const HORIZON_SECONDS = 6 * 3600;

export interface DiskProjection {
  freeBytes: number;
  /** Bytes the checkpoints still to come will take (the newest one's size each). */
  needBytes: number;
  /** How many more checkpoints are expected (to the run's end, or within the horizon). */
  more: number;
  /** Seconds between checkpoints, median of the recent ones; null when fewer than two are dated. */
  cadenceSeconds: number | null;
  /** When, at this cadence, the disk is full (seconds from now); null when it never fills. */
  fullInSeconds: number | null;
  /** True when needBytes exceeds freeBytes. */
  low: boolean;
  /** What the projection counts to: the run's last step, or the horizon. */
  until: 'end' | 'horizon';
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Gaps between successive values (sorted), the last `keep` of them. */
function gaps(values: number[], keep = 8): number[] {
  const s = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 1; i < s.length; i++) if (s[i]! > s[i - 1]!) out.push(s[i]! - s[i - 1]!);
  return out.slice(-keep);
}

/**
 * Null when there is nothing to project from: no free-space figure, no checkpoint with a size, or
 * neither a step cadence with a known total nor a time cadence.
 * `rotates`: the trainer deletes old checkpoints as it writes new ones (count stable): only one more
 * checkpoint's worth of space is ever needed at a time.
 */
export function projectDisk(listing: CheckpointListing | null, progress: Progress | null, rotates = false): DiskProjection | null {
  if (listing === null || listing.diskFreeBytes === null) return null;
  const list = listing.checkpoints.filter((c) => c.sizeBytes > 0);
  if (list.length === 0) return null;
  const newest = newestOf(list)!;
  const size = newest.sizeBytes;
  const free = listing.diskFreeBytes;
  const times = list.map((c) => (c.modifiedAt === null ? NaN : Date.parse(c.modifiedAt) / 1000)).filter(Number.isFinite);
  const cadence = median(gaps(times));
  const stepGap = median(gaps(list.map((c) => c.step).filter((x): x is number => x !== null)));
  let more: number | null = null;
  let until: DiskProjection['until'] = 'horizon';
  if (progress !== null && progress.step !== null && progress.total !== null && stepGap !== null && stepGap > 0) {
    more = Math.max(0, Math.floor((progress.total - Math.max(progress.step, newest.step ?? 0)) / stepGap));
    until = 'end';
  } else if (cadence !== null && cadence > 0) more = Math.floor(HORIZON_SECONDS / cadence);
  if (more === null) return null;
  const needBytes = rotates ? Math.min(more, 1) * size : more * size;
  const fullIn = cadence !== null && cadence > 0 && !rotates ? Math.max(0, Math.floor(free / size)) * cadence + cadence : null;
  const low = needBytes > free;
  return { freeBytes: free, needBytes, more, cadenceSeconds: cadence, fullInSeconds: low ? fullIn : null, low, until };
}

/** The checkpoint written last: highest step, else newest time. */
export function newestOf(list: readonly Checkpoint[]): Checkpoint | null {
  let best: Checkpoint | null = null;
  for (const c of list) {
    if (best === null) best = c;
    else if (c.step !== null && best.step !== null ? c.step > best.step : (Date.parse(c.modifiedAt ?? '') || 0) > (Date.parse(best.modifiedAt ?? '') || 0)) best = c;
  }
  return best;
}

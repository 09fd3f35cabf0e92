// When the round of every live run's checkpoints (controller.listAllCheckpoints) last listed each run's
// directory, and whether a checkpoint was still being written then: the selected run's own listing
// reuses a fresh one instead of listing the same directory again within the round's interval.
import type { CheckpointListing } from '../domain/types.js';

export class RecentListings {
  private readonly seen = new Map<string, { at: number; dir: string; writing: boolean }>();

  note(l: CheckpointListing, now = Date.now()): void {
    this.seen.set(l.run, { at: now, dir: l.dir, writing: l.checkpoints.some((c) => c.writing === true) });
  }

  /** The run's `dir` was listed less than `maxAgeMs` ago with nothing being written. */
  fresh(runId: string, dir: string, maxAgeMs: number, now = Date.now()): boolean {
    const s = this.seen.get(runId);
    return s !== undefined && s.dir === dir && !s.writing && now - s.at < maxAgeMs;
  }

  forget(runId: string): void {
    this.seen.delete(runId);
  }
}

// The events of DESIGN section 9: what `watch` prints, the monitor lists and notifications carry.
import type { RunState } from '../domain/types.js';

export const EVENT_KINDS = [
  'run.started',
  'run.finished',
  'run.failed',
  'run.stalled',
  'run.resumed',
  'run.nan',
  'run.checkpoint',
  'gpu.idle',
  'disk.low',
  'host.lost',
  'host.back',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

/** What notifies unless the config says otherwise (`notify.on`). */
export const DEFAULT_NOTIFY_ON: readonly EventKind[] = ['run.failed', 'run.stalled', 'gpu.idle', 'disk.low'];

export interface RtkEvent {
  /** ISO 8601, UTC, seconds. */
  time: string;
  kind: EventKind;
  /** Run id (HOST:SESSION), or null for host events. */
  run: string | null;
  host: string;
  state: RunState | null;
  /** run.failed: oom | nccl-timeout | nan-loss | traceback | disk-full | killed | exit-N, and for a Slurm job timeout |
   * preempted | node-fail (slurm-reasons.ts); run.stalled: stalled. */
  reason: string | null;
  /** One sentence, plain text (sanitized where it is printed). */
  message: string;
  hint: string | null;
  details: Record<string, unknown>;
}

/** A stable identity for merging event lists (two processes may both have written one). */
export function eventId(e: RtkEvent): string {
  return `${e.time} ${e.kind} ${e.run ?? e.host}`;
}

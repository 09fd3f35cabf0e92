// Why a Slurm job ended, in the reasons of DESIGN section 9: Slurm's own state word decides where it
// says more than the log can (a job killed at its time limit, preempted, or lost with its node often
// leaves a traceback of the signal in its log; that traceback is not the cause). Pure.
import type { Run } from '../domain/types.js';

export interface SlurmFailure {
  /** The run.failed reason: oom and killed where they fit, else timeout, preempted, node-fail. */
  reason: string;
  /** The hint table's key (hints.ts): Slurm's own (its memory limit is host RAM, not CUDA's). */
  hintKey: string;
  /** What happened, after the run id: "hit its time limit (TIMEOUT)". */
  what: string;
}

const HOURS = (s: number): string => (s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);

/** The failure a job's Slurm state word names; null for a plain FAILED (the log or exit status tells). */
export function slurmFailure(r: Pick<Run, 'slurm'>): SlurmFailure | null {
  const s = r.slurm;
  if (s === undefined) return null;
  const word = s.state.toUpperCase().replace(/[^A-Z_]/g, '');
  switch (word) {
    case 'TIMEOUT':
    case 'DEADLINE': {
      const limit = word === 'TIMEOUT' && s.timeLimitSeconds !== null ? ` of ${HOURS(s.timeLimitSeconds)}` : '';
      return { reason: 'timeout', hintKey: 'timeout', what: `hit its time limit${limit} (${word})` };
    }
    case 'OUT_OF_MEMORY':
      return { reason: 'oom', hintKey: 'slurm-oom', what: 'ran out of its memory allocation (OUT_OF_MEMORY)' };
    case 'PREEMPTED':
      return { reason: 'preempted', hintKey: 'preempted', what: 'was preempted (PREEMPTED)' };
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
      return { reason: 'node-fail', hintKey: 'node-fail', what: `lost its node${s.nodes ? ` ${s.nodes}` : ''} (${word})` };
    case 'CANCELLED':
    case 'REVOKED':
      return { reason: 'killed', hintKey: 'cancelled', what: `was cancelled (${word})` };
    default:
      return null;
  }
}

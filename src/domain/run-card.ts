// The run card (`rtk-tui show RUN --json`, the monitor's `i`): everything about one run on one page.
// Types only. DESIGN section 2: the run object of `ls --json`, plus what follows.
import type { Run } from './types.js';

/** [step, value]: one point of a metric over the whole run. */
export type SeriesPoint = [number, number];

export interface MetricSummary {
  key: string;
  latest: number;
  latestStep: number;
  /** Lowest for losses and errors, highest for accuracies and scores; null where "best" means nothing (learning rate, throughput). */
  best: number | null;
  bestStep: number | null;
  /** Over the last points: down, up or flat; null with too few points. */
  trend: 'down' | 'up' | 'flat' | null;
}

export interface CardProcess {
  pid: number;
  /** torch.distributed rank (RANK in its environment, or --local_rank), when known. */
  rank: number | null;
  /** ps %CPU: CPU time over its lifetime. */
  cpuPercent: number | null;
  rssMiB: number | null;
  gpuMemoryMiB: number | null;
  elapsedSeconds: number | null;
  /** Printable: control characters shown as escapes. */
  command: string;
}

export interface CardGpu {
  index: number;
  uuid: string | null;
  name: string | null;
  utilizationPercent: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  /** [unix seconds, percent]: what this client saw (one sample for `show`). */
  utilizationHistory: [number, number][];
  memoryHistory: [number, number][];
}

export interface CardCheckpoints {
  dir: string;
  count: number;
  newest: string | null;
  cadenceSeconds: number | null;
  /** The newest checkpoint's size. */
  sizeBytes: number | null;
  totalBytes: number;
  diskFreeBytes: number | null;
  /** When the disk fills at this cadence (seconds from now); null: it does not, or unknown. */
  diskFullInSeconds: number | null;
}

export interface RunRate {
  itPerSec: number | null;
  samplesPerSec: number | null;
  tokensPerSec: number | null;
}

/** An event of the run (the events layer's RtkEvent, as much as the card shows). */
export interface CardEvent {
  time: string;
  kind: string;
  reason: string | null;
  message: string;
  hint: string | null;
}

export interface RunCard {
  run: Run;
  /** The command line: @rtk_argv / @rtk_cmd, else the pane's process. */
  command: string | null;
  cwd: string | null;
  startedAt: string | null;
  elapsedSeconds: number | null;
  rate: RunRate | null;
  /** Each metric over the whole run, at most 2,000 points, first and last kept. */
  series: Record<string, SeriesPoint[]>;
  /** How much of the log the series were read from: bytes from the run's start in its log, and lines. */
  seriesSource: { bytes: number; lines: number; from: number } | null;
  metrics: MetricSummary[];
  gpus: CardGpu[];
  processes: CardProcess[];
  checkpoints: CardCheckpoints | null;
  alerts: Run['alerts'];
  hints: string[];
  /** The run's last events (watch, the monitor), newest last. */
  events: CardEvent[];
  /** What could not be read (a host error for one part), one sentence each. */
  errors: string[];
  /** A Slurm job's card (a host with `scheduler: slurm`): what Slurm says of it; absent for tmux runs. */
  job?: CardJob;
}

/** What `scontrol show job` and the batch script say of a Slurm job (sources/run-card-slurm.ts). */
export interface CardJob {
  id: string;
  state: string;
  reason: string | null;
  partition: string | null;
  nodes: string | null;
  batchHost: string | null;
  gpus: number | null;
  timeLimitSeconds: number | null;
  elapsedSeconds: number | null;
  /** ISO times; startAt of a pending job is when Slurm expects it to start. */
  submitAt: string | null;
  startAt: string | null;
  endAt: string | null;
  /** Command= as Slurm prints it (the script and its arguments, joined by spaces); null for --wrap. */
  submitted: string | null;
  /** The first command line of the batch script (not #SBATCH, not a comment), bounded; null when not read. */
  scriptLine: string | null;
  /** --wrap: the wrapped command. */
  wrap: boolean;
  /** The processes were read (scontrol listpids answers only where the job's slurmd runs). */
  processesRead: boolean;
  /** Why it ended, when Slurm's state word says (events/slurm-reasons.ts: timeout, oom, preempted...), and what to try. */
  failure: { reason: string; what: string; hint: string | null } | null;
}

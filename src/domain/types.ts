// Domain types only: no I/O, no logic. Every layer speaks these.

/** Errors are values with a kind and a sentence for the user; only cli.ts turns them into exit codes. */
export type ErrorKind =
  | 'auth'
  | 'host-key-unknown'
  | 'host-key-mismatch'
  | 'unreachable'
  | 'timeout'
  | 'exit'
  | 'parse'
  | 'usage'
  | 'config'
  | 'not-found'
  | 'refused'
  | 'io';

export interface RtkError {
  kind: ErrorKind;
  /** One clear sentence naming the file, host, run or flag at fault. */
  message: string;
  /** Exit status of a remote command, for kind 'exit'. */
  code?: number | null;
  /** false: retrying cannot help until the user changes something (a host name that does not resolve). */
  retry?: false;
  cause?: unknown;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: RtkError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = <T = never>(kind: ErrorKind, message: string, extra: Partial<RtkError> = {}): Result<T> => ({
  ok: false,
  error: { kind, message, ...extra },
});

/** A host as configured (config file or --host). */
export interface HostSpec {
  /** Shown in the UI and in run ids. */
  name: string;
  local: boolean;
  /** ssh alias of ~/.ssh/config, or user@host[:port]. Absent for local hosts. */
  ssh?: string;
  /** ProxyJump chain, comma-separated; overrides ~/.ssh/config's. */
  jump?: string;
  identityFile?: string;
  /** tmux -L NAME on that host. */
  tmuxSocket?: string | null;
  /** Where GPU figures come from; default nvidia-smi. */
  gpuSource?: 'nvidia-smi' | 'gpustat';
  /** How trainers on this host resume (relaunch --resume); {checkpoint} is replaced. */
  resume?: string[];
  /** `slurm`: a cluster's login node, whose runs are the user's jobs (sources/slurm.ts); default tmux. */
  scheduler?: 'slurm' | 'tmux';
}

export type HostStatus =
  | 'connected'
  | 'unreachable'
  | 'auth-failed'
  | 'host-key-unknown'
  | 'host-key-mismatch'
  | 'error';

/** Live connection state of one host, for the status bar. */
export interface HostConnState {
  name: string;
  phase: 'connecting' | 'connected' | 'reconnecting' | 'failed';
  status: HostStatus;
  error: string | null;
  latencyMs: number | null;
  /** ms since epoch of the last good contact; drives "stale for N s". */
  lastOkAt: number | null;
  /** When the next attempt to reconnect is due (ms since epoch); null: none planned. */
  nextRetryAt?: number | null;
}

/** `pending`: queued, not started (a Slurm job). */
export type RunState = 'pending' | 'running' | 'stalled' | 'finished' | 'failed' | 'unknown';

export type AlertKind = 'oom' | 'nccl-timeout' | 'nan-loss' | 'traceback' | 'disk-full' | 'stalled' | 'killed';

export interface Alert {
  kind: AlertKind;
  message: string;
  /** What to try (src/events/hints.ts); set where the run is reported. */
  hint?: string;
}

export interface Progress {
  step: number | null;
  total: number | null;
  percent: number | null;
  etaSeconds: number | null;
}

export type Metrics = Record<string, number>;

/** A run as `ls --json` prints it (DESIGN section 2). */
export interface Run {
  id: string;
  host: string;
  session: string;
  state: RunState;
  reason: AlertKind | null;
  /** The command's exit status when it ended and tmux or @rtk_exit knows it. */
  exitStatus?: number | null;
  alerts: Alert[];
  progress: Progress | null;
  metrics: Metrics;
  /** The training loss as the log tail of the last poll shows it, oldest first: its last values
   * (finite only, at most 32: sources/runs.ts LOSS_HISTORY_MAX), for the runs pane's trend and
   * `ls --json`; absent where nothing read a log. */
  lossHistory?: number[];
  log: string | null;
  /** Byte offset in `log` where this run's output begins (a log file reused by a new run keeps the
   * old run's lines before it); null: from the start of the file. */
  logStart: number | null;
  checkpoints: string | null;
  lastOutputSecondsAgo: number | null;
  /** When the log (or the pane) was last written, by the host's clock (ISO); the age above is from it. */
  lastOutputAt?: string | null;
  attachedClients: number;
  createdAt: string | null;
  /** A group (config `groups:`): one multi-node run made of sessions on several hosts, rank 0 first.
   * The run's log, progress and metrics are rank 0's; its state the worst of its parts'. */
  parts?: RunPart[];
  /** What Slurm says of a job (a host with `scheduler: slurm`); absent for tmux runs. */
  slurm?: SlurmRunInfo;
}

/** One session of a group run. */
export interface RunPart {
  /** HOST:SESSION. */
  id: string;
  host: string;
  session: string;
  /** The part's own state ('unknown' when it is missing or its host is not reached). */
  state: RunState;
  /** ok: listed; missing: its host answered without that session; unreachable: its host did not answer. */
  status: 'ok' | 'missing' | 'unreachable';
}

/** A group as configured: its name (the run id) and its parts, rank 0 first. */
export interface RunGroup {
  name: string;
  parts: { host: string; session: string }[];
}

/** A Slurm job's own words and figures, beside the run's state. */
export interface SlurmRunInfo {
  /** Slurm's state word: PENDING, RUNNING, TIMEOUT, OUT_OF_MEMORY... */
  state: string;
  /** Why it waits or ended (`Resources`, `JobHeldUser`, `NonZeroExitCode`), or null. */
  reason: string | null;
  name: string;
  partition: string | null;
  nodes: string | null;
  gpus: number | null;
  /** null: no limit. */
  timeLimitSeconds: number | null;
  elapsedSeconds: number | null;
  /** When it started, or for a pending job when Slurm expects it to (ISO); null when unknown. */
  startAt: string | null;
  /** The signal that ended it, when one did. */
  exitSignal: number | null;
  /** A running job's GPUs per node, by the node's own index (`scontrol show job -d`); [] when it
   * holds none; absent when not running or not read. */
  gpuIndices?: { node: string; indices: number[] }[];
}

/** What tmux tells about a session (parse/tmux.ts), before the log is read. */
export interface TmuxSession {
  name: string;
  createdAt: number | null;
  attachedClients: number;
  activityAt: number | null;
  windows: number;
  panePid: number | null;
  paneDead: boolean;
  paneDeadStatus: number | null;
  paneCurrentPath: string | null;
  paneCurrentCommand: string | null;
  options: {
    log: string | null;
    checkpoints: string | null;
    cmd: string | null;
    cwd: string | null;
    exit: number | null;
    /** Size of the log when the run started (@rtk_log_start): a reused log's older bytes are not this run's. */
    logStart: number | null;
  };
}

export interface GpuProcess {
  pid: number;
  name: string | null;
  usedMemoryMiB: number | null;
  /** Run id owning this process, or null. */
  run: string | null;
  /** From the host's `ps` in the same poll, where it answered (absent from gpustat and old reports). */
  user?: string | null;
  cpuPercent?: number | null;
  rssMiB?: number | null;
  elapsedSeconds?: number | null;
  /** Its command line as ps printed it (cut to a few KiB; sanitise before it reaches a screen). */
  command?: string | null;
}

export interface Gpu {
  index: number;
  name: string | null;
  uuid: string | null;
  utilizationPercent: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  temperatureC: number | null;
  powerW: number | null;
  powerLimitW: number | null;
  /** Current SM and memory clocks, where the driver answers them. */
  smClockMHz?: number | null;
  memClockMHz?: number | null;
  processes: GpuProcess[];
  /** On a Slurm host (sources/slurm-gpus.ts): the node the GPU is on (index is that node's own), and
   * the run id (`HOST:JOBID`) of the job holding it. Absent on other hosts. */
  node?: string;
  run?: string;
}

export type GpuHostStatus = 'ok' | 'no-gpu' | 'error' | 'unreachable';

export interface GpuHostReport {
  name: string;
  status: GpuHostStatus;
  error: string | null;
  driver: string | null;
  gpus: Gpu[];
  /** Why gpus is empty when that is no failure (a Slurm host where no running job holds a GPU). */
  note?: string;
}

export type CheckpointFormat = 'safetensors' | 'bin' | 'pt' | 'ckpt' | 'pth' | 'gguf' | 'distcp' | 'nemo' | 'other';

export interface Checkpoint {
  name: string;
  path: string;
  step: number | null;
  sizeBytes: number;
  modifiedAt: string | null;
  formats: CheckpointFormat[];
  /** Still being written when listed (files changing by the host's clock, a staging name, shards without their index); absent when not. */
  writing?: boolean;
}

export interface CheckpointListing {
  run: string;
  dir: string;
  diskFreeBytes: number | null;
  checkpoints: Checkpoint[];
}

/** A piece of a log stream as it reaches the store. */
export type LogChunk =
  | { kind: 'lines'; lines: string[]; /** byte offset just after the last complete line */ offset: number }
  | { kind: 'partial'; text: string }
  | { kind: 'marker'; text: string };

/** A remote command rtk-tui ran (src/remote/command-log.ts): `log-commands` and the monitor's C. */
export interface CommandEntry {
  /** When it started (ISO, ms). */
  time: string;
  host: string;
  kind: 'exec' | 'stream';
  /** How long it ran; null for a stream still running. */
  ms: number | null;
  /** Its exit status; null when unknown (killed, still running, never started). */
  exit: number | null;
  /** Why it did not run or finish (the transport's sentence), else null. */
  error: string | null;
  /** The POSIX sh script as given to the host. */
  command: string;
}

// The monitor's state, the events that change it and the effects it asks the outside world to run.
import type { RtkEvent } from '../events/types.js';
import type { RunCard } from '../domain/run-card.js';
import type { GrepHit } from '../parse/grep.js';
import type { GpuHistory } from './gpu-history.js';
import type { GpuView } from './reduce-gpus.js';
import type {
  CommandEntry,
  Progress,
  Checkpoint,
  CheckpointListing,
  GpuHostReport,
  HostConnState,
  LogChunk,
  Run,
  RunGroup,
} from '../domain/types.js';

export type PaneId = 'runs' | 'log' | 'gpus' | 'checkpoints';
export const PANES: readonly PaneId[] = ['runs', 'log', 'gpus', 'checkpoints'];

export interface LogView {
  /** Follow the newest line; false while scrolled back. */
  follow: boolean;
  /** Sequence number of the bottom line on screen while not following. */
  anchorSeq: number;
  /** lastSeq when following stopped: lines after it are "new". */
  pausedAtSeq: number;
  wrap: boolean;
  /** Applied search ('' for none). */
  query: string;
  /** The match the view jumped to. */
  matchSeq: number | null;
}

/** The run card (`i`): one run whole; its data comes from a source while it is open. */
export interface CardView {
  runId: string;
  host: string;
  session: string;
  /** First row shown (the card scrolls when it is taller than the screen). */
  top: number;
  /** Loss charts on a log scale. */
  log: boolean;
  data: RunCard | null;
  /** What is being read, while the first data is on its way ('reading the whole log: 12 MB'). */
  loading: string | null;
  error: string | null;
}

/** The order of the runs pane (`s` cycles): host order, failed and stalled first, furthest progress
 * first, most recent output first. */
export type RunsSort = 'host' | 'state' | 'progress' | 'output';
export const RUNS_SORTS: readonly RunsSort[] = ['host', 'state', 'progress', 'output'];

export type InputMode =
  | { kind: 'log-search' | 'runs-filter'; draft: string }
  /** `F`: search the whole log file on the host; Tab toggles regex, Shift-Tab ignore case. */
  | { kind: 'log-file-search'; draft: string; regex: boolean; ignoreCase: boolean }
  | null;

/** How a whole-file search matches. */
export interface LogFileQuery {
  pattern: string;
  regex: boolean;
  ignoreCase: boolean;
}

/** A search of the selected run's whole log file (`F`): its matches, listed in a full-screen view. */
export interface LogFileSearch extends LogFileQuery {
  /** Tells this search's answers from an older one's. */
  id: number;
  runId: string;
  /** The file searched (the run's log). */
  path: string;
  phase: 'searching' | 'done' | 'failed';
  hits: GrepHit[];
  /** More matches than listed. */
  more: boolean;
  /** Why the list may be incomplete, or why the search failed. */
  note: string | null;
  selected: number;
  /** The matches view is on screen (it closes on a jump and comes back with F's list or n/N). */
  open: boolean;
}

/** A region of the log file around a match, shown in the log pane instead of the live tail. */
export interface LogRegion {
  id: number;
  runId: string;
  path: string;
  /** The line of the match (1-based, in the run's part of the file). */
  line: number;
  /** Line number of lines[0]. */
  first: number;
  lines: string[];
  phase: 'loading' | 'done' | 'failed';
  error: string | null;
  /** Index in lines of the first row on screen. */
  top: number;
  query: LogFileQuery;
}

export interface ConfirmKill {
  kind: 'kill';
  runId: string;
  host: string;
  session: string;
  /** When the session shown was created (ISO): the kill ends that session, not one re-created under its name. */
  createdAt: string | null;
  /** Long-running runs ask for the session name to be typed. */
  typedRequired: boolean;
  typed: string;
}

/** The fields of the new-run form, in order. */
export type NewRunField = 'name' | 'host' | 'cmd' | 'cwd' | 'log' | 'checkpoints' | 'gpus';
export const NEW_RUN_FIELDS: readonly NewRunField[] = ['name', 'host', 'cmd', 'cwd', 'log', 'checkpoints', 'gpus'];
/** The fields typed as text (the host is chosen among the configured ones). */
export type NewRunTextField = Exclude<NewRunField, 'host'>;

/** `n` in the runs pane: a modal form whose submit asks for the 'run.new' effect. */
export interface NewRunForm {
  field: NewRunField;
  host: string;
  text: Record<NewRunTextField, string>;
  /** Cursor in the focused text field, in code points. */
  cursor: number;
  /** Submit was tried: validation errors are shown, and kept up to date while typing. */
  tried: boolean;
}

/** What the form asks to start (null: the default of `rtk-tui new`). */
export interface NewRunRequest {
  host: string;
  name: string;
  /** The command line split into argv (src/parse/argv.ts). */
  cmd: string[];
  cwd: string | null;
  log: string | null;
  checkpoints: string | null;
  /** `--gpus`: a count to pick, or a list to pin; null: none. */
  gpus: string | null;
}

export interface Message {
  text: string;
  level: 'info' | 'warn' | 'error';
  at: number;
}

export interface State {
  /** ms since epoch, from the store's clock at the last event. */
  now: number;
  size: { cols: number; rows: number };
  readonly: boolean;
  /** What an empty Directory or Log field of the new-run form means. */
  newRunDefaults: NewRunDefaults;
  /** Hosts in display order (configured order first, then as they appear). */
  hostOrder: string[];
  hosts: Record<string, HostConnState>;
  /** Last good runs per host: kept while a host is down. */
  runsByHost: Record<string, Run[]>;
  /** Config groups: each shows as one run in place of its parts (selectors.ts allRuns). */
  groups?: RunGroup[];
  runsAt: Record<string, number>;
  /** Each host's scheduler as its polls say (`slurm (found)` where found rather than configured). */
  schedulers?: Record<string, string>;
  selectedRunId: string | null;
  runsFilter: string;
  runsSort: RunsSort;
  gpus: Record<string, GpuHostReport>;
  gpusAt: Record<string, number>;
  /** Utilisation, memory and power over time per GPU (store/gpu-history.ts); key `host#index`. */
  gpuHistory: Record<string, GpuHistory>;
  selectedGpu: number;
  /** The zoomed GPU view's process table: its selected row and sort column. */
  gpuView: GpuView;
  checkpoints: Record<string, CheckpointListing>;
  /** Selected checkpoint, by name (kept across refreshes). */
  selectedCkpt: string | null;
  logView: LogView;
  /** Bumped when the selected run's log buffer changed. */
  logVersion: number;
  /** Progress read from the newest log lines of the selected run (fresher than its last poll). */
  liveProgress: { runId: string; progress: Progress } | null;
  /** Where the user last looked at each run's log (its last line then, and when), set on leaving it. */
  seenMarks: Record<string, { seq: number; at: number }>;
  /** The rule "N new lines since HH:MM" in the log on screen: after this line of this run. */
  logRule: { runId: string; seq: number; at: number } | null;
  /** Each run's log search, kept while another run is on screen. */
  logQueries: Record<string, string>;
  /** The last whole-file search of the selected run (`F`). */
  logFileSearch: LogFileSearch | null;
  /** The log pane shows this region of the file, not the live tail (Esc, f or G go back). */
  logRegion: LogRegion | null;
  focus: PaneId;
  zoom: boolean;
  help: boolean;
  /** First help entry shown (the overlay scrolls when the terminal is small). */
  helpTop: number;
  /** The host detail view (`H`) is open on this host. */
  hostDetail: string | null;
  /** Recent events, oldest first (the last EVENTS_SHOWN). */
  events: RtkEvent[];
  /** The events view (`e`) is open; the selected event, counted from the newest (0). */
  eventsView: number | null;
  /** The command log view (`C`) is open: the selected entry, counted from the newest (0). */
  commandsView: number | null;
  /** This monitor's remote commands, oldest first (filled while the view is open). */
  commands: CommandEntry[];
  /** R on a finished or failed run: how to start it again is being asked. */
  relaunch: { runId: string; host: string; session: string } | null;
  card: CardView | null;
  /** Hosts whose runs on screen come from the state file (the last session), not yet from a poll: ms of that poll. */
  restored: Record<string, number>;
  input: InputMode;
  confirm: ConfirmKill | null;
  newRun: NewRunForm | null;
  /** Select this run as soon as a runs snapshot has it (a run just started from the form). */
  pendingSelect: string | null;
  message: Message | null;
  quitting: boolean;
}

/** What sources (and the terminal) tell the store. */
export type StoreEvent =
  | { type: 'hosts'; names: string[] }
  | { type: 'host'; state: HostConnState }
  | { type: 'runs'; host: string; runs: Run[]; /** `slurm`, `tmux`, `slurm (found)` (sources/scheduler-detect.ts schedulerText) */ scheduler?: string }
  | { type: 'gpus'; report: GpuHostReport }
  | { type: 'log'; runId: string; chunk: LogChunk }
  /** Raw stream text (split and \r-collapsed by the buffer). */
  | { type: 'log.text'; runId: string; text: string }
  | { type: 'log.reset'; runId: string }
  | { type: 'checkpoints'; listing: CheckpointListing }
  /** Remote commands this monitor ran: all of them (replace), or new ones (append). */
  | { type: 'commands'; entries: CommandEntry[]; replace: boolean }
  /** New events (src/events): appended to the events view. */
  | { type: 'events'; events: RtkEvent[] }
  /** The last known runs of a host, from the state file: on screen (stale) until the host answers. */
  | { type: 'runs.restored'; host: string; runs: Run[]; at: number }
  | { type: 'card'; runId: string; data?: RunCard; loading?: string | null; error?: string | null }
  | { type: 'tick' }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'message'; text: string; level?: Message['level'] }
  /** Select this run now, or as soon as a runs snapshot has it. */
  | { type: 'select'; runId: string }
  | { type: 'command'; id: string; text?: string }
  /** A whole-file search's answer (its matches, or why it failed). */
  | { type: 'logFile.matches'; id: number; hits: GrepHit[]; more: boolean; note: string | null; error: string | null }
  /** A region of the log file, as asked by a 'logFile.region' effect. */
  | { type: 'logFile.region'; id: number; first: number; lines: string[]; error: string | null };

/** What the store asks code outside React to do. */
export type Effect =
  | { type: 'run.attach' | 'run.peek'; runId: string; host: string; session: string }
  /** Confirmed: kill exactly the session shown (its name and creation time), or refuse if it changed. */
  | { type: 'run.kill'; runId: string; host: string; session: string; createdAt: string | null }
  /** 'form': the new-run form opened on this host (nothing to do yet); 'submit': start this run. */
  | ({ type: 'run.new' } & NewRunRequest)
  | { type: 'ckpt.pull'; runId: string; host: string; dir: string; checkpoint: Checkpoint }
  /** The selected run changed: follow this run's log (null: none selected). */
  | { type: 'log.select'; runId: string | null; host: string | null; session: string | null; log: string | null; logStart: number | null }
  | { type: 'app.quit' }
  /** Start this finished or failed run again as it was started (rtk-tui relaunch). */
  | { type: 'run.relaunch'; runId: string; host: string; session: string; resume: boolean }
  /** The command log view opened: fill it (commands of this monitor so far). */
  | { type: 'commands.open' }
  | { type: 'app.refresh' }
  /** The selected run's log said a checkpoint was saved: list its checkpoints again soon. */
  | { type: 'ckpt.refresh'; runId: string }
  /** Connect to this host again now, even after a failure that is not retried by itself. */
  | { type: 'host.retry'; host: string }
  | { type: 'card.open'; runId: string; host: string; session: string }
  | { type: 'card.close' }
  /** Search this run's whole log file on its host (grep); answered by a 'logFile.matches' event. */
  | ({ type: 'logFile.search'; id: number; runId: string; host: string; log: string; logStart: number | null } & LogFileQuery)
  /** Read lines [from, from + count) of the run's log file; answered by a 'logFile.region' event. */
  | { type: 'logFile.region'; id: number; runId: string; host: string; log: string; logStart: number | null; from: number; count: number };

export interface StoreOptions {
  /** Log lines kept per run (config `scrollback`). */
  scrollback?: number;
  /** Uncompressed log bytes kept across all runs; older blocks past it are compressed. Default 12 MiB. */
  logMemoryBytes?: number;
  readonly?: boolean;
  size?: { cols: number; rows: number };
  /** Hosts in display order. */
  hosts?: string[];
  /** Config groups: sessions on several hosts shown as one run. */
  groups?: RunGroup[];
  /** Publish rate for keys and a trickle of lines (at most trickleLines per frame). Default 100 Hz. */
  fastHz?: number;
  /** Publish rate when only polls, samples and the clock changed something (default 1 Hz). */
  backgroundHz?: number;
  /** Lines per frame up to which the log counts as a trickle. Default 4. */
  trickleLines?: number;
  /** Publish rate for a steady stream of lines (default 20 Hz). */
  maxHz?: number;
  /** Publish rate while the log on screen floods in (over burstLines lines per frame). Default 10 Hz. */
  burstHz?: number;
  /** Lines per frame above which the log counts as a flood. Default 100 (2000 lines/s at 20 Hz). */
  burstLines?: number;
  /** Injected clock and timers, so tests can fake them. */
  now?: () => number;
  timers?: {
    setTimeout: (fn: () => void, ms: number) => unknown;
    clearTimeout: (h: unknown) => void;
  };
  /** Runs alive longer than this (ms) ask for the session name before a kill. Default 1 h. */
  typeNameAfterMs?: number;
  /** Samples kept per GPU in the last hour at most (older ones are merged into minute buckets). */
  gpuHistory?: number;
  /** Where a run started from the form runs and logs when those fields are left empty (the demo
   * keeps them in its own directory). Default: the login directory and ~/rtk-runs, as `rtk-tui new`. */
  newRunDefaults?: NewRunDefaults;
}

/** Events kept in the monitor's view. */
export const EVENTS_SHOWN = 200;

export interface NewRunDefaults {
  cwd: string;
  logDir: string;
}

export const NEW_RUN_DEFAULTS: NewRunDefaults = { cwd: '~', logDir: '~/rtk-runs' };

export function initialState(o: StoreOptions, now: number): State {
  const hosts = o.hosts ?? [];
  return {
    now,
    size: o.size ?? { cols: 100, rows: 30 },
    readonly: o.readonly ?? false,
    newRunDefaults: o.newRunDefaults ?? NEW_RUN_DEFAULTS,
    hostOrder: [...hosts],
    hosts: {},
    runsByHost: {},
    groups: o.groups ?? [],
    runsAt: {},
    selectedRunId: null,
    runsFilter: '',
    runsSort: 'host',
    gpus: {},
    gpusAt: {},
    gpuHistory: {},
    selectedGpu: 0,
    gpuView: { proc: 0, sort: 'memory' },
    checkpoints: {},
    selectedCkpt: null,
    logView: { follow: true, anchorSeq: -1, pausedAtSeq: -1, wrap: false, query: '', matchSeq: null },
    logVersion: 0,
    liveProgress: null,
    seenMarks: {},
    logRule: null,
    logQueries: {},
    logFileSearch: null,
    logRegion: null,
    focus: 'runs',
    zoom: false,
    help: false,
    helpTop: 0,
    hostDetail: null,
    events: [],
    eventsView: null,
    commandsView: null,
    commands: [],
    relaunch: null,
    card: null,
    restored: {},
    input: null,
    confirm: null,
    newRun: null,
    pendingSelect: null,
    message: null,
    quitting: false,
  };
}

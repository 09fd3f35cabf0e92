// One poll of a host's runs: ONE exec, one round trip. The remote sh script lists every tmux pane with
// the @rtk_* options, then per session prints the tail of its log (with inode/size/mtime) or, when it has
// no readable log, the last lines of its pane. Sections are delimited by a fresh random nonce, so nothing
// a log or a session name contains can be mistaken for a delimiter.
import { randomBytes } from 'node:crypto';
import type { Config, RunMeta } from '../config/schema.js';
import { err, ok, type Alert, type HostSpec, type Metrics, type Progress, type Result, type Run } from '../domain/types.js';
import { analyzeLog } from '../parse/progress.js';
import { decideState, detectAlerts } from '../parse/health.js';
import { TMUX_PANE_FORMAT, isNoServerMessage, parseTmuxPanes, type TmuxSessionRow } from '../parse/tmux.js';
import type { Host } from '../remote/host.js';
import { remoteOperand, shq } from '../remote/quote.js';
import { tmuxCommand } from '../remote/tmux-control.js';
import { hintFor } from '../events/hints.js';
import { pollSlurm } from './slurm.js';
import { detectSchedulerScript, knownScheduler, parseDetected, rememberScheduler, SLURM_CONF_PATHS } from './scheduler-detect.js';

export interface RunsSnapshot {
  runs: Run[];
  /** Every pane's pid, for mapping GPU processes to runs. */
  panes: { runId: string; panePid: number }[];
  /** The tail of each run's log (or pane), for the UI and the parsers. */
  logTails: Record<string, string>;
}

/** Bytes of each log read per poll: enough for progress, metrics and the last traceback. */
export const TAIL_BYTES = 16 * 1024;
/** Logs whose unchanged tails are not sent again (the rest are, as if changed). */
const MAX_SAME = 400;
/** Lines of pane history captured for a run without a log file. */
export const PANE_LINES = 200;
/** Loss values kept on each run (Run.lossHistory): the runs pane's trend shows the last few. */
export const LOSS_HISTORY_MAX = 32;


/**
 * Shell lines that print the id of the session rtk-tui itself runs in, when it runs in a pane of this
 * very tmux server (TMUX names its socket, TMUX_PANE the pane): that session is the user's own, never
 * a run. `fmt` is the rest of a printf format and its arguments before the id, e.g.
 * `self\t%s\n'` after an opening quote supplied here.
 */
export function selfSessionScript(tmux: string, fmt: string): string {
  return [
    `if [ -n "$TMUX_PANE" ] && [ -n "$TMUX" ] && [ "$(${tmux} display-message -p '#{socket_path}' 2>/dev/null)" = "\${TMUX%%,*}" ]; then`,
    `  printf '${fmt} "$(${tmux} display-message -p -t "$TMUX_PANE" '#{session_id}' 2>/dev/null)"`,
    'fi',
  ].join('\n');
}

/** The config's metadata for SESSION on this host (`HOST:SESSION` entries first, then bare `SESSION`). */
export function configMeta(cfg: Pick<Config, 'runs'>, host: string, session: string): RunMeta | undefined {
  return (
    cfg.runs.find((r) => r.run === `${host}:${session}`) ??
    cfg.runs.find((r) => !r.run.includes(':') && r.run === session)
  );
}

/** Programs that are shells: a pane running one with no child is back at its prompt (isIdleShell). */
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ash', 'ksh', 'mksh', 'fish', 'tcsh', 'csh', 'nu', 'xonsh']);

/** A path for the remote sh (remote/quote.ts remoteOperand: never read as an option). */
export const remotePath = remoteOperand;

/** Expand a leading ~/ with the remote HOME, for display. */
export function expandHome(path: string | null, home: string | null): string | null {
  if (path === null || home === null || home === '') return path;
  if (path === '~') return home;
  return path.startsWith('~/') ? `${home.replace(/\/$/, '')}/${path.slice(2)}` : path;
}

/**
 * The poll script. `known` holds the log stat (inode size mtime) of each session's tail from the last
 * poll: a log whose stat is unchanged is reported as `same` instead of sending its 16 KB again.
 * `clock` false: the host's time is not asked (`now -`), the caller knows its clock's offset.
 * Processes per poll: tmux and one stat for every log (a tail where a log changed; ps where a pane
 * runs a shell or lost its process); no `date` while the clock is known, none for what sh does itself.
 */
export function buildPollScript(spec: HostSpec, cfg: Pick<Config, 'runs'>, nonce: string, known?: ReadonlyMap<string, TailEntry>, detect = false, clock = true): string {
  const N = shq(nonce);
  const metas = cfg.runs.filter((r) => r.log !== undefined && (r.run.startsWith(`${spec.name}:`) || !r.run.includes(':')));
  // host-qualified entries come first so that they win over a bare SESSION entry in `case`
  metas.sort((a, b) => Number(!a.run.includes(':')) - Number(!b.run.includes(':')));
  const cases = metas.map((r) => {
    const session = r.run.includes(':') ? r.run.slice(r.run.indexOf(':') + 1) : r.run;
    return `      ${shq(session)}) log=${remotePath(r.log!)} ;;`;
  });
  const t = tmuxCommand(spec);
  // at most MAX_SAME of them: the script travels as one argument of the login shell (128 KiB at most)
  const same = [...(known ?? [])]
    .filter(([, e]) => e.kind === 'log' && e.inode !== null && e.size !== null && e.mtime !== null)
    .slice(0, MAX_SAME)
    .map(([id, e]) => `      ${shq(`${id} ${e.inode} ${e.size} ${e.mtime}`)}) printf '@@%s same %s\\n' "$N" "$id"; continue ;;`);
  const sessFmt = shq('#{session_id}\t#{session_name}\t#{@rtk_log}\t#{@rtk_log_start}');
  return [
    `N=${N}`,
    // the first poll of a host without a `scheduler` key: is it a Slurm login node? (scheduler-detect.ts)
    ...(detect ? [detectSchedulerScript(SLURM_CONF_PATHS, t), `[ "$sched" = slurm ] && exit 0`] : []),
    // the host's clock: asked only when the caller does not know its offset yet (one process less)
    clock ? `T=$(date +%s)` : 'T=-',
    `printf '@@%s now %s %s\\n' "$N" "$T" "$HOME"`,
    // ONE tmux process: the sessions (with their log options, each line led by S and this poll's
    // nonce, which no name can know) and every pane. The pane records are printed for the parser,
    // which skips the session lines; the loops below read the session lines.
    `o=$(${t} list-sessions -F "S$N"${sessFmt} \\; list-panes -a -F ${shq(TMUX_PANE_FORMAT)} \\; list-panes -a -F "P$N"${shq(' #{pane_dead} #{pane_pid} #{pane_current_command}')} 2>&1)`,
    `rc=$?`,
    `printf '%s\\n' "$o"`,
    `printf '\\n@@%s tmux %s\\n' "$N" "$rc"`,
    `[ "$rc" = 0 ] || exit 0`,
    selfSessionScript(t, `@@%s self %s\\n' "$N"`),
    // parents of every process: a pane whose shell has no child is back at its prompt (see isIdleShell)
    // and every process itself: a pane whose process is gone is dead, tmux just has not said so yet.
    // Only asked when it can matter: a live pane runs a shell, or its process is gone (or cannot be
    // signalled, another user's: ps decides); else no pane needs it and no ps runs
    `p=`,
    `while read -r tag dead pid cmd; do`,
    `  [ "$tag" = "P$N" ] && [ "$dead" != 1 ] || continue`,
    `  case "$pid" in ''|*[!0-9]*) p=1; break ;; esac`,
    `  kill -0 "$pid" 2>/dev/null || { p=1; break; }`,
    `  c=\${cmd#-}; c=\${c##*/}`,
    `  case "$c" in ${[...SHELLS].join('|')}) p=1; break ;; esac`,
    `done <<RTK_PANES`,
    `$o`,
    `RTK_PANES`,
    `if [ -n "$p" ]; then`,
    `  printf '@@%s procs\\n' "$N"`,
    `  ps -A -o pid=,ppid= 2>/dev/null`,
    `  printf '\\n'`,
    `fi`,
    // pass 1: the readable logs (positional parameters) with their session id and start (L, a line
    // each: "ID START", both digits only); a session without one prints its pane now
    `set --; L=`,
    `while IFS='\t' read -r id name log start; do`,
    `  case "$id" in "S$N"'$'*) id=\${id#"S$N"} ;; *) continue ;; esac`,
    `  case "$id" in '$'*[!0-9]*|'$') continue ;; esac`,
    ...(cases.length ? [`  if [ -z "$log" ]; then`, `    case "$name" in`, ...cases, `    esac`, `  fi`] : []),
    `  case "$log" in '~/'*) log="$HOME/\${log#??}" ;; esac`,
    `  if [ -n "$log" ] && [ -f "$log" ] && [ -r "$log" ]; then`,
    `    case "$start" in ''|*[!0-9]*) start=- ;; esac`,
    `    set -- "$@" "$log"`,
    `    L="$L$id $start`,
    `"`,
    `  else`,
    `    printf '@@%s pane %s\\n' "$N" "$id"`,
    `    ${t} capture-pane -p -J -S -${PANE_LINES} -t "$id" 2>/dev/null`,
    `    printf '\\n@@%s end\\n' "$N"`,
    `  fi`,
    `done <<RTK_SESSIONS`,
    `$o`,
    `RTK_SESSIONS`,
    `[ $# -gt 0 ] || exit 0`,
    // every log's inode, size and mtime in ONE stat (GNU); one stat each (GNU, then BSD) when it did
    // not print a line per log (BSD stat, or a log gone meanwhile)
    `S=$(stat -L -c '%i %s %Y' -- "$@" 2>/dev/null)`,
    `k=0; while read -r x; do [ -n "$x" ] && k=$((k + 1)); done <<RTK_STAT`,
    `$S`,
    `RTK_STAT`,
    `if [ "$k" != $# ]; then`,
    `  S=; for f do S="$S$(stat -L -c '%i %s %Y' -- "$f" 2>/dev/null || stat -L -f '%i %z %m' -- "$f" 2>/dev/null || echo '- - -')`,
    `"; done`,
    `fi`,
    // pass 2: each log with its session and its stat line
    `while read -r id start <&3 && read -r st <&4; do`,
    `  log=$1; shift`,
    ...(same.length ? [`  case "$id $st" in`, ...same.map((l) => l.slice(2)), `  esac`] : []),
    `  printf '@@%s log %s %s\\n' "$N" "$id" "$st"`,
    // this run's bytes only: a log reused by a new run starts at @rtk_log_start (a shorter file is
    // a new one: all of it counts)
    // (leading zeros dropped: dash reads 08 as a bad octal number and would end the loop)
    `  n=${TAIL_BYTES}; sz=\${st#* }; sz=\${sz%% *}; while case "$start" in 0?*) true ;; *) false ;; esac; do start=\${start#0}; done`,
    `  case "$start:$sz" in *[!0-9:]*|:*|*:) ;; *) if [ "$sz" -ge "$start" ] && [ $(($sz - start)) -lt $n ]; then n=$(($sz - start)); fi ;; esac`,
    `  [ "$n" -gt 0 ] && tail -c "$n" -- "$log" 2>/dev/null`,
    `  printf '\\n@@%s end\\n' "$N"`,
    `done 3<<RTK_IDS 4<<RTK_STATS`,
    `$L`,
    `RTK_IDS`,
    `$S`,
    `RTK_STATS`,
    `exit 0`,
  ].join('\n');
}

export interface PollSections {
  remoteNow: number | null;
  remoteHome: string | null;
  tmuxRc: number | null;
  tmuxOut: Buffer;
  /** Every process's parent pid on the host; null when ps could not say. */
  parentPids: Set<number> | null;
  /** Every process's pid on the host; null when ps could not say. */
  pids: Set<number> | null;
  /** The session rtk-tui itself runs in, on this host's tmux server (`$3`), or null. */
  selfId: string | null;
  /** By tmux session id: the log tail with its stat, or the pane capture. */
  tails: Map<string, TailEntry>;
}

export interface TailEntry {
  kind: 'log' | 'pane';
  inode: number | null;
  size: number | null;
  mtime: number | null;
  text: string;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Split the script's output into its sections. Pure; never throws. */
export function splitPollOutput(out: Buffer, nonce: string, previous?: ReadonlyMap<string, TailEntry>): PollSections {
  const res: PollSections = { remoteNow: null, remoteHome: null, tmuxRc: null, tmuxOut: Buffer.alloc(0), parentPids: null, pids: null, selfId: null, tails: new Map() };
  const mark = Buffer.from(`@@${nonce} `, 'latin1');
  // every marker sits at a line start; the newline before it (printed by the script) is not content
  const starts: number[] = [];
  for (let i = out.indexOf(mark); i >= 0; i = out.indexOf(mark, i + 1)) if (i === 0 || out[i - 1] === 0x0a) starts.push(i);
  const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
  for (let k = 0; k < starts.length; k++) {
    const at = starts[k]!;
    const nl = out.indexOf(0x0a, at);
    const headEnd = nl < 0 ? out.length : nl;
    const head = out.toString('utf8', at + mark.length, headEnd);
    const next = k + 1 < starts.length ? starts[k + 1]! : out.length;
    const bodyStart = Math.min(headEnd + 1, next);
    const body = out.subarray(bodyStart, Math.max(bodyStart, next - 1));
    const [word, ...rest] = head.split(' ');
    if (word === 'now') {
      res.remoteNow = num(rest[0]);
      res.remoteHome = rest.slice(1).join(' ') || null;
      res.tmuxOut = body;
    } else if (word === 'tmux') {
      res.tmuxRc = num(rest[0]);
    } else if (word === 'self') {
      res.selfId = /^\$\d+$/.test(rest[0] ?? '') ? rest[0]! : null;
    } else if (word === 'ppids') {
      const pids = body.toString('latin1').split(/\s+/).filter((w) => /^\d+$/.test(w)).map(Number);
      res.parentPids = pids.length > 0 ? new Set(pids) : null;
    } else if (word === 'procs') {
      // "PID PPID" pairs
      const nums = body.toString('latin1').split(/\s+/).filter((w) => /^\d+$/.test(w)).map(Number);
      if (nums.length >= 2 && nums.length % 2 === 0) {
        res.pids = new Set(nums.filter((_, i) => i % 2 === 0));
        res.parentPids = new Set(nums.filter((_, i) => i % 2 === 1));
      }
    } else if (word === 'same') {
      // the log did not change since the last poll: its tail is the one read then
      const prev = previous?.get(rest[0] ?? '');
      if (prev) res.tails.set(rest[0]!, prev);
    } else if (word === 'log' || word === 'pane') {
      const id = rest[0] ?? '';
      if (word === 'log') {
        // the stat line and the tail share the header line: "log $3 INODE SIZE MTIME" then the bytes
        const [inode, size, mtime] = rest.slice(1, 4);
        res.tails.set(id, { kind: 'log', inode: num(inode), size: num(size), mtime: num(mtime), text: decoder.decode(body) });
      } else {
        res.tails.set(id, { kind: 'pane', inode: null, size: null, mtime: null, text: decoder.decode(body).replace(/\n+$/, '') });
      }
    }
  }
  return res;
}

/** Build the snapshot from the script's output. */
export function parsePollOutput(out: Buffer, spec: HostSpec, cfg: Pick<Config, 'runs' | 'stallAfterMs'>, nonce: string, now: number, previous?: ReadonlyMap<string, TailEntry>): Result<RunsSnapshot> {
  return snapshotOf(splitPollOutput(out, nonce, previous), spec, cfg, now);
}

function snapshotOf(s: PollSections, spec: HostSpec, cfg: Pick<Config, 'runs' | 'stallAfterMs'>, now: number): Result<RunsSnapshot> {
  if (s.tmuxRc === null) return err('parse', `the runs poll on ${spec.name} returned no tmux section (the remote shell cut it short)`);
  if (s.tmuxRc !== 0) {
    const text = s.tmuxOut.toString('utf8').trim();
    if (isNoServerMessage(text)) return ok({ runs: [], panes: [], logTails: {} });
    if (s.tmuxRc === 127 || /not found/.test(text)) return err('exit', `tmux is not installed on ${spec.name}`, { code: s.tmuxRc });
    return err('exit', `tmux failed on ${spec.name}: ${text.split('\n')[0] || `exit status ${s.tmuxRc}`}`, { code: s.tmuxRc });
  }
  const nowSec = s.remoteNow ?? Math.floor(now / 1000);
  const snap: RunsSnapshot = { runs: [], panes: [], logTails: {} };
  const rows = parseTmuxPanes(s.tmuxOut);
  if (rows.length === 0 && /(^|\n)RTKP /.test(s.tmuxOut.toString('latin1'))) {
    // records were printed but none could be read: a tmux without the #{n:} length modifier
    return err('parse', `tmux on ${spec.name} printed its sessions in a form rtk-tui cannot read (an old tmux without the #{n:} format? tmux 3.3 is known to work)`);
  }
  for (const row of rows) {
    // the session the monitor (or this command) runs in is the user's own: never a run
    if (row.id === s.selfId) continue;
    const run = buildRun(row, spec, cfg, s, nowSec);
    snap.runs.push(run);
    for (const pid of row.panePids) snap.panes.push({ runId: run.id, panePid: pid });
    const tail = s.tails.get(row.id);
    if (tail) snap.logTails[run.id] = tail.text;
  }
  snap.runs.sort((a, b) => a.session.localeCompare(b.session));
  return ok(snap);
}

/** The last tail read per run and what it said: an idle run's tail is the same 16 KB every poll. */
export interface TailReading {
  progress: Progress | null;
  metrics: Metrics;
  lossHistory: number[];
  alerts: Alert[];
}
const tailCache = new Map<string, { text: string; read: TailReading }>();
const TAIL_CACHE_MAX = 512;

/** analyzeLog + detectAlerts of a run's tail, reusing the last answer while the tail is unchanged. */
export function readTail(key: string, text: string): TailReading {
  const hit = tailCache.get(key);
  if (hit && hit.text === text) return hit.read;
  const { progress, metrics, lossHistory } = analyzeLog(text);
  const read = { progress, metrics, lossHistory: lossHistory.filter(Number.isFinite).slice(-LOSS_HISTORY_MAX), alerts: detectAlerts(text) };
  if (tailCache.size >= TAIL_CACHE_MAX) tailCache.delete(tailCache.keys().next().value!);
  tailCache.set(key, { text, read });
  return read;
}


/**
 * True when the pane's program is a shell with no child process: a run typed at a prompt
 * (`python train.py` in `tmux new -s x`) has ended, even though the pane lives on. Sessions started
 * by rtk-tui new (@rtk_cmd) are judged by @rtk_exit instead; without ps output nothing is assumed.
 */
export function isIdleShell(row: Pick<TmuxSessionRow, 'paneDead' | 'panePid' | 'paneCurrentCommand' | 'options'>, parentPids: Set<number> | null, pids: Set<number> | null = null): boolean {
  if (row.paneDead || row.options.cmd !== null || parentPids === null || row.panePid === null) return false;
  // the shell itself is gone (it was running `a; exit 4` and just exited): tmux has not marked the pane
  // dead yet and will say with which status at the next poll; it was not back at a prompt
  if (pids !== null && !pids.has(row.panePid)) return false;
  const cmd = (row.paneCurrentCommand ?? '').replace(/^-/, '').split('/').pop() ?? '';
  return SHELLS.has(cmd) && !parentPids.has(row.panePid);
}

function buildRun(row: TmuxSessionRow, spec: HostSpec, cfg: Pick<Config, 'runs' | 'stallAfterMs'>, s: PollSections, nowSec: number): Run {
  const meta = configMeta(cfg, spec.name, row.name);
  const tail = s.tails.get(row.id);
  const text = tail?.text ?? '';
  const lastAt = tail?.kind === 'log' && tail.mtime !== null ? tail.mtime : row.activityAt;
  const ago = lastAt !== null ? Math.max(0, nowSec - lastAt) : null;
  const idle = isIdleShell(row, s.parentPids, s.pids);
  const alive = !row.paneDead && !idle;
  const exitStatus = row.options.exit ?? (row.paneDead ? row.paneDeadStatus : null);
  const { progress, metrics, lossHistory, alerts } = readTail(`${spec.name}\0${row.id}`, text);
  let decision = decideState({
    alive,
    exitStatus,
    alerts,
    lastOutputSecondsAgo: ago,
    stallAfterSeconds: cfg.stallAfterMs / 1000,
  });
  // a shell at its prompt that never showed training output is not a finished run: say we don't know
  if (idle && decision.state === 'finished' && progress === null && Object.keys(metrics).length === 0)
    decision = { ...decision, state: 'unknown' };
  // the pane's process is gone but tmux has not marked the pane dead yet: how it ended is known at
  // the next poll; until then, we don't know (never "running", never "finished" too early)
  if (!row.paneDead && s.pids !== null && row.panePid !== null && !s.pids.has(row.panePid) && exitStatus === null)
    decision = { ...decision, state: 'unknown', reason: null };
  return {
    id: `${spec.name}:${row.name}`,
    host: spec.name,
    session: row.name,
    state: decision.state,
    reason: decision.reason,
    exitStatus: decision.state === 'finished' || decision.state === 'failed' ? exitStatus : null,
    alerts: decision.alerts.map((a) => withHint(a)),
    // only a live run has an ETA
    progress: progress !== null && decision.state !== 'running' && progress.etaSeconds !== null ? { ...progress, etaSeconds: null } : progress,
    metrics,
    lossHistory,
    log: expandHome(row.options.log ?? meta?.log ?? null, s.remoteHome),
    logStart: row.options.log !== null ? row.options.logStart : null,
    checkpoints: expandHome(row.options.checkpoints ?? meta?.checkpoints ?? null, s.remoteHome),
    lastOutputSecondsAgo: ago,
    lastOutputAt: lastAt !== null ? new Date(lastAt * 1000).toISOString().replace(/\.000Z$/, 'Z') : null,
    attachedClients: row.attachedClients,
    createdAt: row.createdAt !== null ? new Date(row.createdAt * 1000).toISOString().replace(/\.000Z$/, 'Z') : null,
  };
}

export function withHint(a: Alert): Alert {
  const hint = hintFor(a.kind);
  return hint === null ? a : { ...a, hint };
}

/**
 * Poll a host's runs: one exec. A Slurm login node's runs are its jobs (sources/slurm.ts): a host
 * without a `scheduler` key is checked once, in its first tmux poll (scheduler-detect.ts); one found
 * to be a Slurm host is polled as one from then on (that first time: one more exec).
 */
export async function pollRuns(host: Host, spec: HostSpec, cfg: Config, now: number = Date.now()): Promise<Result<RunsSnapshot>> {
  const scheduler = knownScheduler(host, spec);
  if (scheduler === 'slurm') return pollSlurm(host, spec, cfg, now);
  const nonce = randomBytes(8).toString('hex');
  const previous = lastTails.get(host);
  const detect = scheduler === null;
  const clock = clocks.get(host);
  const askClock = clock === undefined || now - clock.at > CLOCK_MAX_AGE_MS;
  const res = await host.exec(buildPollScript(spec, cfg, nonce, previous, detect, askClock), { timeoutMs: 20_000, maxBytes: 16 * 1024 * 1024, shared: true });
  if (!res.ok) return res;
  if (detect) {
    const found = parseDetected(res.value.stdout, nonce);
    if (found !== null) rememberScheduler(host, found);
    if (found === 'slurm') return pollSlurm(host, spec, cfg, now);
  }
  const sections = splitPollOutput(res.value.stdout, nonce, previous);
  lastTails.set(host, sections.tails);
  if (sections.remoteNow !== null) clocks.set(host, { offsetS: sections.remoteNow - now / 1000, at: now });
  else if (clock !== undefined) sections.remoteNow = Math.floor(now / 1000 + clock.offsetS);
  return snapshotOf(sections, spec, cfg, now);
}

/**
 * Each host's clock, as an offset from ours (seconds), asked with `date` in one poll every
 * CLOCK_MAX_AGE_MS: the other polls take the host's time from ours plus the offset (a run's age is
 * the host's now minus its log's mtime, both the host's clock).
 */
const clocks = new WeakMap<Host, { offsetS: number; at: number }>();
const CLOCK_MAX_AGE_MS = 10 * 60_000;

/** The host's time now (epoch seconds) from its clock's known offset, or null (not known, or old). */
export function hostNow(host: Host, now: number = Date.now()): number | null {
  const c = clocks.get(host);
  return c === undefined || now - c.at > CLOCK_MAX_AGE_MS ? null : Math.floor(now / 1000 + c.offsetS);
}

/** Each host's tails of its last poll (by session id), so that unchanged logs are not sent again. */
const lastTails = new WeakMap<Host, Map<string, TailEntry>>();

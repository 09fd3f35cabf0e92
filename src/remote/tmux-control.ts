// tmux commands that change or read one session: new run, kill, capture for peek.
// Every word reaching the remote shell goes through shq; every word reaching tmux's own argument
// parser goes through tmuxWord as well, because tmux (3.x) reads an argument ending in `;` as a
// command separator, and format-expands `-s`/`-c` of new-session (`#(cmd)` would run a command).
// Existing sessions are targeted by id, found by exact name (findSessionScript), so a session named
// `-k`, `a;b` or `$0` is that session and nothing else.
import type { Host } from './host.js';
import { sshArgv, type HostEnv } from './index.js';
import { forLoginShell } from './markers.js';
import { remoteOperand, shjoin, shq } from './quote.js';
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import { checkRunName } from '../parse/run-name.js';

// (checkRunName lives in parse/run-name.ts so that the store can check a name without this module)
export { checkRunName };

export interface NewRunOptions {
  name: string;
  /** The argv of the command; it reaches the program exactly as given. */
  cmd: string[];
  /** Working directory; `~/` is the remote home; relative paths are relative to the login directory. */
  cwd?: string;
  /** Log file; default `~/rtk-runs/NAME.log`; relative paths are relative to cwd. */
  log?: string;
  checkpoints?: string;
  /** Variables set for the command (CUDA_VISIBLE_DEVICES of a GPU pick); recorded for relaunch. */
  env?: Record<string, string>;
  /** GPUs the run claims (@rtk_gpus): other launches do not pick them while it lives. */
  gpus?: number[];
}

/** What a relaunch needs, kept on the session: the exact argv and environment (base64 of JSON). */
export function encodeRecord(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64');
}

export interface NewRunResult {
  session: string;
  log: string;
  cwd: string;
  checkpoints: string | null;
}

/** A variable name the shell takes as one (the value is quoted; the name cannot be). */
function checkEnvName(k: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`not a variable name: ${JSON.stringify(k)}`);
  return k;
}

/** Exit statuses our scripts use to say what went wrong (chosen above what tmux and sh return). */
const EXISTS = 90;
const NO_DIR = 91;
const NO_LOG = 92;
const NO_SESSION = 93;
const CHANGED = 94;
const LOG_LINK = 95;

/** One argument for tmux's parser: a trailing `;` is escaped so it is not a command separator. */
export function tmuxArg(arg: string): string {
  return arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;
}

/** An argument for tmux, quoted for the shell. */
export function tmuxWord(arg: string): string {
  return shq(tmuxArg(arg));
}

/** tmux's global flags: -u (UTF-8 even where the remote locale is not set, else names and panes
 * come back with `_` for every non-ASCII character), and the host's socket when it has one: a name
 * (-L, under tmux's own directory) or, with a `/` in it, a path (-S). */
export function tmuxFlags(spec: Pick<HostSpec, 'tmuxSocket'>): string[] {
  const s = spec.tmuxSocket;
  if (!s) return ['-u'];
  return ['-u', s.includes('/') ? '-S' : '-L', s];
}

/** `tmux -u [-L NAME | -S PATH]` for a shell script (global flags are read by getopt, not by tmux's
 * command parser: no `;` escaping there); the one way every source and command names the server. */
export function tmuxCommand(spec: Pick<HostSpec, 'tmuxSocket'>): string {
  const [u, flag, sock] = tmuxFlags(spec);
  return sock === undefined ? `tmux ${u}` : `tmux ${u} ${flag} ${shq(sock)}`;
}

/**
 * Shell lines that set $sid to the id (`$N`) of the session named exactly SESSION, or run
 * `onMissing`. Targets are ids, never names: tmux reads `=NAME` as an id when NAME starts with `$`,
 * so `-t '=$0'` would reach another session. The name travels in the environment, never as code.
 */
export function findSessionScript(spec: Pick<HostSpec, 'tmuxSocket'>, session: string, onMissing: string): string {
  return [
    `sid=$(${tmuxCommand(spec)} list-sessions -F '#{session_id}:#{session_name}' 2>/dev/null |`,
    `  RTK_SESSION=${shq(session)} awk 'BEGIN { n = ENVIRON["RTK_SESSION"] } { i = index($0, ":"); if (substr($0, i + 1) == n) { print substr($0, 1, i - 1); exit } }')`,
    `[ -n "$sid" ] || ${onMissing}`,
  ].join('\n');
}

/** The session found by findSessionScript, for session commands (kill-session, attach-session). */
export const SESSION_BY_ID = '"$sid"';
/** Its current window and active pane (set-option, capture-pane, display-message). */
export const PANE_BY_ID = '"$sid:"';

/** Exact target by name, only for names checkRunName accepted (no leading `$`, `@` or `%`). */
function newSessionTarget(session: string): string {
  return tmuxWord(`=${session}`);
}

function newPaneTarget(session: string): string {
  return tmuxWord(`=${session}:`);
}

/** A path as a shell expression (remote/quote.ts remoteOperand). */
const pathExpr = remoteOperand;

/** The command as a user would type it (@rtk_cmd): still valid sh, without quotes around `--lr`. */
export function displayCommand(cmd: readonly string[]): string {
  return cmd.map((w) => (/^-[A-Za-z0-9_@%+=:,./-]*$/.test(w) ? w : shq(w))).join(' ');
}

/** The sh script run in the session's pane: runs the command, tees to the log, records the exit. */
export function runWrapper(cmd: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  // fd 3 carries the exit status out of the pipeline, fd 4 is the pane; neither reaches the command.
  // SIGINT (Ctrl-C typed in the pane) reaches the command; the wrapper survives it to record the exit,
  // and tee -i keeps logging what the command prints while it stops.
  return [
    'log=$1',
    'cd -- "$2" || exit 1',
    ': "${PYTHONUNBUFFERED:=1}"; export PYTHONUNBUFFERED',
    ...Object.entries(env).map(([k, v]) => `${checkEnvName(k)}=${shq(v)}; export ${k}`),
    'trap : INT',
    'exec 4>&1',
    // the status is recorded as soon as the command ends: workers it left behind may hold the log's
    // pipe open for long (tee, and so this wrapper, wait for them), and the run has ended all the same
    `s=$( { { trap : INT; ${shjoin(cmd)} 3>&- 4>&-; c=$?; tmux set-option -t "$TMUX_PANE" @rtk_exit "$c" </dev/null >/dev/null 2>&1; echo $c >&3; } 2>&1 | tee -ai "$log" >&4; } 3>&1 )`,
    'exec 4>&-',
    // no status came out: the block itself was killed
    `case $s in ''|*[!0-9]*) s=130; tmux set-option -t "$TMUX_PANE" @rtk_exit "$s";; esac`,
    'exit "$s"',
    '',
  ].join('\n');
}

/** The script that creates the run (run through Host.exec). */
export function buildNewRun(spec: Pick<HostSpec, 'tmuxSocket'>, o: NewRunOptions): string {
  const tmux = tmuxCommand(spec);
  const pane = newPaneTarget(o.name);
  // `-s` is format-expanded by tmux: `##` is a literal `#`
  const nameArg = tmuxWord(o.name.replaceAll('#', '##'));
  const setOpt = (opt: string, valueExpr: string) => `\\; set-option -t ${pane} ${opt} ${valueExpr}`;
  return [
    // tq: escape a trailing `;` of a runtime value for tmux's parser, as tmuxArg does
    `tq() { case $1 in *\\;) printf '%s\\\\;' "\${1%?}";; *) printf '%s' "$1";; esac; }`,
    `if ${tmux} has-session -t ${newSessionTarget(o.name)} 2>/dev/null; then exit ${EXISTS}; fi`,
    `cd -- ${o.cwd !== undefined ? pathExpr(o.cwd) : '"$HOME"'} 2>/dev/null || exit ${NO_DIR}`,
    'cwd=$(pwd)',
    `log=${o.log !== undefined ? pathExpr(o.log) : `"$HOME"/rtk-runs/${shq(`${o.name}.log`)}`}`,
    // relative to the run's directory (remoteOperand put ./ in front, which the full path drops)
    'case $log in /*) ;; *) log=$cwd/${log#./};; esac',
    // a log that is a link is refused: tee would write into whatever it points to
    `[ -L "$log" ] && exit ${LOG_LINK}`,
    `mkdir -p -- "$(dirname -- "$log")" 2>/dev/null && : >>"$log" 2>/dev/null || exit ${NO_LOG}`,
    // where this run's output begins in a reused log: what came before is another run's
    "lstart=$(wc -c <\"$log\" 2>/dev/null | tr -d ' '); case $lstart in ''|*[!0-9]*) lstart=0;; esac",
    o.checkpoints !== undefined
      ? `ck=${pathExpr(o.checkpoints)}; case $ck in /*) ;; *) ck=$cwd/\${ck#./};; esac`
      : 'ck=',
    // one tmux invocation: the options are set before the server can see the command end
    [
      `${tmux} new-session -d -s ${nameArg} sh -c ${shq(runWrapper(o.cmd, o.env))} rtk-run "$(tq "$log")" "$(tq "$cwd")"`,
      `\\; set-option -w -t ${pane} remain-on-exit on`,
      setOpt('@rtk_log', '"$(tq "$log")"'),
      setOpt('@rtk_cwd', '"$(tq "$cwd")"'),
      setOpt('@rtk_cmd', tmuxWord(displayCommand(o.cmd))),
      setOpt('@rtk_log_start', '"$lstart"'),
      o.checkpoints !== undefined ? setOpt('@rtk_checkpoints', '"$(tq "$ck")"') : '',
      o.gpus !== undefined && o.gpus.length > 0 ? setOpt('@rtk_gpus', shq(o.gpus.join(','))) : '',
      setOpt('@rtk_argv', shq(encodeRecord(o.cmd))),
      o.env !== undefined && Object.keys(o.env).length > 0 ? setOpt('@rtk_env', shq(encodeRecord(o.env))) : '',
    ]
      .filter(Boolean)
      .join(' '),
    's=$?',
    'if [ $s -ne 0 ]; then exit $s; fi',
    `printf '%s\\n%s\\n%s\\n' "$log" "$cwd" "$ck"`,
    '',
  ].join('\n');
}

/**
 * The argv that attaches a terminal to SESSION: `tmux -u [-L S] attach-session [-r] -t =SESSION`,
 * through `ssh -t` for a remote host. `readOnly` attaches a read-only client (tmux -r also ignores
 * its size, so the user's session is not resized).
 */
export function attachArgv(spec: HostSpec, session: string, henv: HostEnv, readOnly = false): string[] {
  const ro = readOnly ? ' -r' : '';
  const script = [
    findSessionScript(spec, session, `{ echo ${shq(`rtk-tui: no session named ${JSON.stringify(session)}`)} >&2; exit 1; }`),
    `exec ${tmuxCommand(spec)} attach-session${ro} -t ${SESSION_BY_ID}`,
  ].join('\n');
  if (spec.local || !spec.ssh) return ['sh', '-c', script];
  // ssh joins its arguments into one command line for the login shell (fish, tcsh, bash...): give
  // it one that every shell reads the same way (markers.ts forLoginShell)
  return ['ssh', '-t', ...sshArgv(spec, henv), forLoginShell(script, 'any')];
}

/** The session a kill is meant for: its exact name, and what was seen of it (id, creation time). */
export interface KillTarget {
  name: string;
  /** tmux's id (`$3`) when it was looked up: a session re-created under the name has another one. */
  id?: string | null;
  /** Epoch seconds of its creation, as shown: a session re-created under the name differs. */
  createdAt?: number | null;
}

/**
 * Kill exactly that session: found by exact name, and refused (CHANGED) when its id or creation time
 * is not the one shown, as when it was re-created under that name while the user was asked. Exits
 * NO_SESSION when there is no session by that exact name. Expected values travel in the environment.
 */
export function buildKillSession(spec: Pick<HostSpec, 'tmuxSocket'>, target: KillTarget): string {
  const tmux = tmuxCommand(spec);
  const env = [`RTK_SESSION=${shq(target.name)}`, `RTK_SID=${shq(target.id ?? '')}`, `RTK_CREATED=${shq(target.createdAt == null ? '' : String(target.createdAt))}`];
  return [
    `hit=$(${tmux} list-sessions -F '#{session_id}	#{session_created}	#{session_name}' 2>/dev/null |`,
    `  ${env.join(' ')} awk -F '\t' 'BEGIN { n = ENVIRON["RTK_SESSION"] } { i = index($0, "\t"); r = substr($0, i + 1); j = index(r, "\t"); if (substr(r, j + 1) == n) { print $1 "\t" $2; exit } }')`,
    `[ -n "$hit" ] || exit ${NO_SESSION}`,
    `sid=\${hit%%	*}; created=\${hit#*	}`,
    `[ -z ${shq(target.id ?? '')} ] || [ "$sid" = ${shq(target.id ?? '')} ] || { printf '%s\\n' "$created" >&2; exit ${CHANGED}; }`,
    `[ -z ${shq(target.createdAt == null ? '' : String(target.createdAt))} ] || [ "$created" = ${shq(target.createdAt == null ? '' : String(target.createdAt))} ] || { printf '%s\\n' "$created" >&2; exit ${CHANGED}; }`,
    `${tmux} kill-session -t ${SESSION_BY_ID}`,
    '',
  ].join('\n');
}

/** The visible pane (with colours, wrapped lines joined); `history` adds that many lines above it. */
export function buildCapturePane(spec: Pick<HostSpec, 'tmuxSocket'>, session: string, history = 0): string {
  const start = history > 0 ? ` -S -${Math.floor(history)}` : '';
  return `${findSessionScript(spec, session, `{ echo "can't find session" >&2; exit 1; }`)}\n${tmuxCommand(spec)} capture-pane -p -e -J${start} -t ${PANE_BY_ID}\n`;
}

/** `ID CREATED DEAD` of the session (epoch seconds, 0/1) for the kill confirmation. */
export function buildSessionInfo(spec: Pick<HostSpec, 'tmuxSocket'>, session: string): string {
  return `${findSessionScript(spec, session, 'exit 1')}\n${tmuxCommand(spec)} display-message -p -t ${PANE_BY_ID} '#{session_id} #{session_created} #{pane_dead}'\n`;
}

function stderrOf(r: { stderr: Buffer }): string {
  const s = r.stderr.toString('utf8').trim().split('\n').filter(Boolean).pop() ?? '';
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function runId(spec: HostSpec, session: string): string {
  return `${spec.name}:${session}`;
}

/** Start a command in a new detached session; an existing session of that name is refused. */
export async function newRun(host: Host, spec: HostSpec, o: NewRunOptions): Promise<Result<NewRunResult>> {
  const name = checkRunName(o.name);
  if (!name.ok) return name;
  if (o.cmd.length === 0) return err('usage', 'no command given: put it after --, e.g. -- python train.py');
  const r = await host.exec(buildNewRun(spec, o));
  if (!r.ok) return r;
  const { code } = r.value;
  const id = runId(spec, o.name);
  if (code === EXISTS) return err('refused', `a session named ${JSON.stringify(o.name)} already exists on ${spec.name}; pick another name or kill ${id} first`);
  if (code === NO_DIR) return err('not-found', `the directory ${JSON.stringify(o.cwd ?? '~')} does not exist on ${spec.name}`);
  if (code === NO_LOG) return err('io', `cannot create the log file ${JSON.stringify(o.log ?? `~/rtk-runs/${o.name}.log`)} on ${spec.name}`);
  if (code === LOG_LINK) return err('refused', `the log file ${JSON.stringify(o.log ?? `~/rtk-runs/${o.name}.log`)} on ${spec.name} is a symbolic link: rtk-tui never writes a log through one; name the file itself`);
  if (code === 127) return err('exit', `tmux is not installed on ${spec.name} (or not on the PATH of a non-interactive shell there)`, { code });
  if (code !== 0) {
    const why = stderrOf(r.value);
    if (/duplicate session/.test(why)) return err('refused', `a session named ${JSON.stringify(o.name)} already exists on ${spec.name}`);
    return err('exit', `tmux could not start ${id}${why ? `: ${why}` : ` (exit status ${code})`}`, { code });
  }
  const [log = '', cwd = '', ck = ''] = r.value.stdout.toString('utf8').split('\n');
  return ok({ session: o.name, log, cwd, checkpoints: ck === '' ? null : ck });
}

/**
 * Kill exactly this session (and nothing else): not-found when no session has exactly that name,
 * refused when the session under that name is not the one shown (re-created meanwhile).
 */
export async function killSession(host: Host, spec: HostSpec, target: KillTarget | string): Promise<Result<void>> {
  const t: KillTarget = typeof target === 'string' ? { name: target } : target;
  const session = t.name;
  const r = await host.exec(buildKillSession(spec, t));
  if (!r.ok) return r;
  const { code } = r.value;
  if (code === NO_SESSION) return err('not-found', `no session named ${JSON.stringify(session)} on ${spec.name}: not killed`);
  if (code === CHANGED) {
    const now = Number(r.value.stderr.toString('utf8').trim());
    const when = Number.isFinite(now) && now > 0 ? ` (it was created ${new Date(now * 1000).toISOString().replace(/\.000Z$/, 'Z')})` : '';
    return err('refused', `${runId(spec, session)} is not the session you were shown: it was re-created under that name${when}; not killed. Look again (rtk-tui ls) and kill it if it is the one.`);
  }
  if (code !== 0) {
    const why = stderrOf(r.value);
    return err('exit', `tmux could not kill ${runId(spec, session)}${why ? `: ${why}` : ` (exit status ${code})`}`, { code });
  }
  return ok(undefined);
}

/**
 * The session's visible pane as lines with SGR colours, for peek. Read-only: no client attaches,
 * so the user's session is never resized or typed into.
 */
export async function capturePane(
  host: Host,
  spec: HostSpec,
  session: string,
  opts: { history?: number; timeoutMs?: number } = {},
): Promise<Result<string[]>> {
  const r = await host.exec(buildCapturePane(spec, session, opts.history ?? 0), {
    timeoutMs: opts.timeoutMs ?? 10_000,
    maxBytes: 4 * 1024 * 1024,
  });
  if (!r.ok) return r;
  if (r.value.code !== 0) {
    const why = stderrOf(r.value);
    if (/can't find|no such session|no server running|error connecting/.test(why))
      return err('not-found', `no session named ${JSON.stringify(session)} on ${spec.name}`);
    return err('exit', `tmux could not capture ${runId(spec, session)}${why ? `: ${why}` : ''}`, { code: r.value.code });
  }
  const text = r.value.stdout.toString('utf8');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return ok(lines);
}

export interface SessionInfo {
  /** tmux's id of the session (`$3`). */
  id: string | null;
  /** ms since epoch, or null when tmux did not say. */
  createdAt: number | null;
  /** The pane's command has ended (remain-on-exit keeps it on screen). */
  dead: boolean;
}

export async function sessionInfo(host: Host, spec: HostSpec, session: string): Promise<Result<SessionInfo>> {
  const r = await host.exec(buildSessionInfo(spec, session), { timeoutMs: 10_000 });
  if (!r.ok) return r;
  if (r.value.code !== 0) return err('not-found', `no session named ${JSON.stringify(session)} on ${spec.name}`);
  const [id, created, dead] = r.value.stdout.toString('utf8').trim().split(' ');
  const c = Number(created);
  return ok({ id: id && /^\$\d+$/.test(id) ? id : null, createdAt: Number.isFinite(c) && c > 0 ? c * 1000 : null, dead: dead === '1' });
}

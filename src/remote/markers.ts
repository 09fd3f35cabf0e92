// Sentinels around remote output. sshd runs commands through the user's login shell, and Debian's
// bash sources ~/.bashrc for them (SSH_SOURCE_BASHRC): banners, `conda init` chatter and the like
// land on stdout before our command's output. We bracket the command with markers carrying a
// per-call nonce and keep only what lies between them. Pure: no I/O.
import { randomBytes } from 'node:crypto';
import { shq } from './quote.js';

export const RS = '\x1e';

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

export function beginMarker(nonce: string): string {
  return `${RS}RTK-BEGIN-${nonce}\n`;
}

function endPrefix(nonce: string): string {
  return `${RS}RTK-END-${nonce} `;
}

/**
 * First on every plain (posix-mode) line: a quoted newline, a no-op to sh, bash, dash, zsh and fish,
 * but csh and tcsh refuse the whole line before running any of it. A tcsh whose config exports
 * SHELL=/bin/bash then costs one retry in the form every shell reads, never a half-run line (tcsh
 * would read `>&2` as "stdout and stderr to a file named 2"). fish refuses our `$?` the same way.
 */
const TRIPWIRE = ": '\n'; ";

/**
 * The command line sent to sshd for exec: begin markers on stdout and stderr, the command under
 * `sh -c` (a POSIX shell whatever the login shell is), then the end marker with its exit status.
 * With `watchdogS`, the command runs under the watchdog (below) so that closing the channel, on a
 * timeout for instance, kills it instead of leaving it to hold one of sshd's MaxSessions slots.
 * The command is in the line once (a variable): sshd hands the line over as ONE argument, which
 * Linux caps at 128 KiB.
 */
export function wrapExec(command: string, nonce: string, opts: { watchdogS: number | null } = { watchdogS: null }): string {
  const run = opts.watchdogS === null ? 'sh -c "$rtk_c"' : withWatchdog(opts.watchdogS, '', 'sh -c "$rtk_c" </dev/null');
  return `${preamble(command, nonce)}${run}; printf '\\036RTK-END-${nonce} %d\\n' "$?"`;
}

/** What every line starts with: the tripwire, the command in $rtk_c (once), the begin markers. */
function preamble(command: string, nonce: string): string {
  return `${TRIPWIRE}rtk_c=${shq(command)}; printf '\\036RTK-BEGIN-${nonce}\\n'; printf '\\036RTK-BEGIN-${nonce}\\n' >&2; `;
}

/** $rtk_c under the watchdog where the host has bash (`lead` is '' or 'exec '), else `otherwise`. */
function withWatchdog(watchdogS: number, lead: string, otherwise: string): string {
  return `if command -v bash >/dev/null 2>&1; then ${lead}bash --norc -c ${shq(watchdogScript(watchdogS))} rtk-watchdog "$rtk_c"; else ${otherwise}; fi`;
}

/**
 * The bash script of the watchdog. The command runs as its own process group (set -m) with stdin
 * from /dev/null; a watcher reads heartbeats (one line every few seconds) from the channel. When
 * the channel closes (EOF) or the heartbeats stop (network gone, no FIN), the watcher ends the
 * command's whole process TREE, TERM then KILL: its group, and every descendant found through ps
 * (tools like `timeout` move their child into a group of its own, where a group kill never reaches;
 * the tree is read before the first signal, while every process still has its parent). Signals over
 * SSH are ignored for root logins on OpenSSH < 9.8, hence all this. bash's own stderr goes to
 * /dev/null (its job notices would pollute the output); the command keeps the real stderr through fd
 * 3. `timeoutS` null: no heartbeats expected, only EOF ends it (a local pipe: no network to lose).
 *
 * A process is known by its pid AND its start time (WATCHDOG_FUNCTIONS): the KILL, 3 s after the
 * TERM, goes only to the processes of the first listing that still run as themselves, never to a
 * pid that another user's process took in between (a busy host with pid_max 32768 wraps in
 * seconds). Where ps cannot say start times (busybox), nothing is KILLed: TERM only.
 */
export function watchdogScript(timeoutS: number | null): string {
  const wait = timeoutS === null ? 'while read -r _; do :; done' : `while read -r -t ${Math.max(1, Math.round(timeoutS))} _; do :; done`;
  return (
    'exec 3>&2 2>/dev/null; set -m; sh -c "$1" 2>&3 3>&- </dev/null & c=$!; ' +
    WATCHDOG_FUNCTIONS +
    // once it is ending the command, the watcher ignores the TERM the main shell sends it when the
    // command is gone: the first of its kills can end the command before the rest are sent
    `( ${wait}; trap '' TERM; t=$(rtk_tree $c); kill -TERM -- $(rtk_pids $t) -$c; ` +
    // KILL only what is left after 3 s, and only the same processes (and what they started since)
    'i=0; while [ $i -lt 30 ] && [ -n "$(rtk_same $t)" ]; do sleep 0.1; i=$((i+1)); done; ' +
    'l=$(rtk_same $t); g=; case " $(echo $l) " in *" $c "*) g=-$c;; esac; ' +
    '[ -n "$l" ] && kill -KILL -- $(rtk_pids $(rtk_tree $l)) $g ) 3>&- & w=$!; ' +
    'wait $c; s=$?; kill -- -$w; exit $s'
  );
}

/**
 * The watchdog's process listing, in bash (exported for tests):
 * - rtk_tree PID...: `PID:START` of each given pid and every descendant, from one ps listing
 *   (START: the start time, words joined by _; empty where ps cannot say it);
 * - rtk_same PID:START...: the pids among those still running with the same start time;
 * - rtk_pids PID:START...: the pids alone.
 */
export const WATCHDOG_FUNCTIONS =
  'rtk_ps() { ps -A -o pid= -o ppid= -o lstart= 2>/dev/null || ps -A -o pid= -o ppid= 2>/dev/null; }; ' +
  "rtk_tree() { rtk_ps | awk -v r=\"$*\" 'BEGIN { n = split(r, a, \" \"); for (i = 1; i <= n; i++) s[a[i]] = 1 } " +
  '{ p[$1] = $2; t[$1] = ($3 == "" ? "" : $3 "_" $4 "_" $5 "_" $6 "_" $7) } ' +
  "END { do { n = 0; for (k in p) if ((p[k] in s) && !(k in s)) { s[k] = 1; n = 1 } } while (n); for (k in s) if (k in p) print k \":\" t[k] }'; }; " +
  "rtk_same() { rtk_ps | awk -v w=\"$*\" 'BEGIN { n = split(w, a, \" \"); for (i = 1; i <= n; i++) if (a[i] !~ /:$/) s[a[i]] = 1 } " +
  "$3 != \"\" && (($1 \":\" $3 \"_\" $4 \"_\" $5 \"_\" $6 \"_\" $7) in s) { print $1 }'; }; " +
  'rtk_pids() { for v do printf \'%s \' "${v%%:*}"; done; }; ';

/**
 * The command line for a long-lived stream: begin markers, then the watchdog under bash (`read -t`
 * is not POSIX); without bash, or when the caller feeds stdin itself, a plain `sh -c`. `--norc`:
 * an exec'd bash still counts as the top-level shell of an sshd session and would source
 * ~/.bashrc again, printing its noise after our begin marker.
 */
export function wrapStream(command: string, nonce: string, opts: { watchdogS: number | null }): string {
  const plain = 'exec sh -c "$rtk_c"';
  return preamble(command, nonce) + (opts.watchdogS === null ? plain : withWatchdog(opts.watchdogS, 'exec ', plain));
}

/**
 * How a command line reaches `sh` through the user's login shell, which sshd runs as `SHELL -c LINE`:
 * - 'posix': the login shell is sh, bash, dash, zsh or ksh: LINE is the POSIX script itself.
 * - 'any': any login shell (fish, tcsh, csh, nushell...): LINE is `exec sh -c 'DECODE' B64`, where
 *   B64 is the script in base64 (letters, digits, + / =) and DECODE is single-quoted text without
 *   a quote, backslash or newline. fish, tcsh and every POSIX shell read that line the same way, and
 *   none of them ever parses the script itself.
 */
export type ShellMode = 'posix' | 'any';

/** Login shells that parse our POSIX command lines as sh does. */
const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ksh93', 'mksh', 'pdksh', 'ash', 'yash', 'posh', 'busybox']);

/** The login shell named by $SHELL (a path) speaks POSIX sh. */
export function isPosixShell(shellPath: string): boolean {
  const base = shellPath.trim().replace(/^-/, '').split('/').pop() ?? '';
  return POSIX_SHELLS.has(base);
}

// `$0` of sh is the base64 text; openssl is the fallback where base64(1) is missing (old BSDs)
const DECODE = `eval "$(printf %s "$0" | base64 -d 2>/dev/null || printf %s "$0" | openssl base64 -d -A)"`;

/** The line sshd gives the login shell for a POSIX `script`, in the given mode. */
export function forLoginShell(script: string, mode: ShellMode): string {
  if (mode === 'posix') return script;
  return `exec sh -c '${DECODE}' ${Buffer.from(script, 'utf8').toString('base64')}`;
}

/** Printed on stderr ahead of the begin marker in 'any' mode: which login shell answered. */
export const SHELL_REPORT = `printf '\\036RTK-SHELL %s\\n' "$SHELL" >&2; `;

/** The $SHELL reported by SHELL_REPORT in raw stderr, or null. */
export function reportedShell(rawStderr: Buffer): string | null {
  const m = /\x1eRTK-SHELL ([^\n]*)\n/.exec(rawStderr.subarray(0, 64 * 1024).toString('latin1'));
  return m ? m[1]! : null;
}

export interface Unwrapped {
  body: Buffer;
  /** Exit status from the end marker, or null when it was not printed (killed, exit in a trap...). */
  code: number | null;
  sawBegin: boolean;
  sawEnd: boolean;
}

/** Keep what lies between the begin and the end marker of this nonce; noise before and after is dropped. */
export function unwrapOutput(raw: Buffer, nonce: string): Unwrapped {
  const begin = Buffer.from(beginMarker(nonce), 'latin1');
  const b = raw.indexOf(begin);
  const sawBegin = b >= 0;
  const start = sawBegin ? b + begin.length : 0;
  const end = Buffer.from(endPrefix(nonce), 'latin1');
  const e = raw.lastIndexOf(end);
  if (e < start) return { body: raw.subarray(start), code: null, sawBegin, sawEnd: false };
  const tail = raw.subarray(e + end.length, e + end.length + 16).toString('latin1');
  const m = /^(\d{1,3})\n/.exec(tail);
  return { body: raw.subarray(start, e), code: m ? Number(m[1]) : null, sawBegin, sawEnd: m !== null };
}

/** Drop everything up to and including the begin marker (stderr of exec, both sides of a stream). */
export function afterBegin(raw: Buffer, nonce: string): Buffer {
  const begin = Buffer.from(beginMarker(nonce), 'latin1');
  const b = raw.indexOf(begin);
  return b >= 0 ? raw.subarray(b + begin.length) : raw;
}

/**
 * Incremental version for streams: buffers until the begin marker arrives, then passes bytes
 * through untouched. If the marker never comes within `limit` bytes, gives up and passes all.
 */
export class BeginStripper {
  private pending: Buffer | null = Buffer.alloc(0);
  private readonly marker: Buffer;

  constructor(
    nonce: string,
    private readonly limit = 1024 * 1024,
  ) {
    this.marker = Buffer.from(beginMarker(nonce), 'latin1');
  }

  push(chunk: Buffer): Buffer | null {
    if (this.pending === null) return chunk;
    const all = Buffer.concat([this.pending, chunk]);
    const i = all.indexOf(this.marker);
    if (i >= 0) {
      this.pending = null;
      const rest = all.subarray(i + this.marker.length);
      return rest.length > 0 ? rest : null;
    }
    if (all.length > this.limit) {
      this.pending = null;
      return all;
    }
    this.pending = all;
    return null;
  }
}

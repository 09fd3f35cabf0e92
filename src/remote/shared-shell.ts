// One long-lived remote shell per SSH host for the idle polls (host.ts ExecOptions.shared): one
// session channel, opened once, on which each request is a script and each answer its output between
// the usual markers (markers.ts). An exec of its own costs the target sshd's session, the login
// shell, the watchdog's bash and the command's sh before the command runs anything; a request here
// costs one subshell (a fork, no program started). Nothing is installed: the helper is a shell
// script in the command line, read by `bash --posix` (for `read -t`: the watchdog below) or, where
// there is no bash, by `sh` (then without the watchdog, as streams there).
// Protocol, on the channel's stdin: `RTK-REQ NONCE BYTES`, the script, `RTK-EOR NONCE`; empty lines
// in between are the heartbeats. On stdout and stderr: BEGIN NONCE, the script's output, END NONCE
// STATUS. One request at a time. A request that outruns its time limit or its byte cap closes the
// channel: the watchdog ends the request's whole process tree (markers.ts watchdogScript) and the
// next request opens a new channel. A channel that dies before a request began (the login shell
// refused the line, the connection dropped) says so (`null`), and the caller runs the command as an
// exec of its own.
import type { ClientChannel } from 'ssh2';
import { err, ok, type Result, type RtkError } from '../domain/types.js';
import type { ExecOptions, ExecResult } from './host.js';
import { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, fmtMs, short } from './local.js';
import { afterBegin, beginMarker, newNonce, unwrapOutput, WATCHDOG_FUNCTIONS } from './markers.js';
import { shq } from './quote.js';

/** A session channel of the host's budget, with the hooks of its connection. */
export interface SharedChannel {
  ch: ClientChannel;
  /** Give the channel's slot back (called once, when the channel is done). */
  release(): void;
  /** Called when the connection dies; returns an unsubscribe function. */
  onLost(cb: (e: RtkError) => void): () => void;
}

export interface SharedShellOptions {
  name: string;
  /** Opens a session channel running `line` (through the login shell, as loginLine makes it). */
  open(script: string): Promise<Result<SharedChannel>>;
  heartbeatMs: number;
  /** The watchdog ends the shell (and a running request) after this long without a heartbeat. */
  watchdogS: number;
}

/**
 * Reads one request into $s (nonce in $n); anything else than a request start is skipped. bash reads
 * the body whole (`read -N` of its byte count, bytes under LC_ALL=C for that read only): a shell's
 * line loop costs ~10x the CPU and, with -t, waits a timer per line. sh reads it line by line.
 */
function readRequest(bash: string | null): string {
  const t = bash ?? '';
  const body =
    bash !== null
      ? `k=\${n#* }; n=\${n%% *}; case "$k" in ''|*[!0-9]*) exit 0 ;; esac; s=; ` +
        '[ "$k" -gt 0 ] && { LC_ALL=C IFS= read -r -N "$k" s || exit 0; }; IFS= read -r l; '
      : `n=\${n%% *}; s=; while IFS= read -r l; do [ "$l" = "RTK-EOR $n" ] && break; s="$s$l\n"; done; `;
  return (
    `while IFS= read -r ${t}l; do ` +
    `case "$l" in 'RTK-REQ '*) ;; *) continue ;; esac; n=\${l#RTK-REQ }; ` +
    body +
    '[ "$l" = "RTK-EOR $n" ] || exit 0; ' +
    `printf '\\036RTK-BEGIN-%s\\n' "$n"; printf '\\036RTK-BEGIN-%s\\n' "$n" >&E; `
  );
}
const END = `printf '\\036RTK-END-%s %d\\n' "$n" "$r"; printf '\\036RTK-END-%s %d\\n' "$n" "$r" >&E; done`;

/**
 * The helper under bash: each request in a subshell of its own process group, and beside it a watcher
 * that reads the channel (heartbeats) and, on EOF or silence, ends the request's tree as the stream
 * watchdog does; the watcher is ended when the request is. Between requests the shell itself reads
 * the heartbeats and ends on EOF or silence. bash's own stderr is /dev/null (job notices), the
 * request's is the channel's (fd 3).
 */
export function sharedBashScript(watchdogS: number): string {
  const t = `-t ${Math.max(1, Math.round(watchdogS))} `;
  return (
    'exec 3>&2 2>/dev/null; ' +
    WATCHDOG_FUNCTIONS +
    readRequest(t).replaceAll('>&E', '>&3') +
    'set -m; ( unset l n c r w; eval "unset s\n$s" ) 2>&3 3>&- </dev/null & c=$!; ' +
    `( while read -r ${t}_; do :; done; trap '' TERM; t=$(rtk_tree $c); kill -TERM -- $(rtk_pids $t) -$c; ` +
    'i=0; while [ $i -lt 30 ] && [ -n "$(rtk_same $t)" ]; do sleep 0.1; i=$((i+1)); done; ' +
    'l=$(rtk_same $t); g=; case " $(echo $l) " in *" $c "*) g=-$c;; esac; ' +
    '[ -n "$l" ] && kill -KILL -- $(rtk_pids $(rtk_tree $l)) $g ) 3>&- & w=$!; ' +
    'wait $c; r=$?; kill -- -$w; wait $w; set +m; ' +
    END.replaceAll('>&E', '>&3')
  );
}

/** The helper without bash: no watchdog (a hung request lives on until it ends, as streams there). */
export function sharedShScript(): string {
  return readRequest(null).replaceAll('>&E', '>&2') + '( unset l n r; eval "unset s\n$s" ) </dev/null; r=$?; ' + END.replaceAll('>&E', '>&2');
}

/** The command line of the helper (before loginLine): bash where there is one, else sh. */
export function sharedShellLine(watchdogS: number): string {
  // a quoted newline first, as every exec line (markers.ts TRIPWIRE): csh and tcsh refuse the line whole
  return (
    ": '\n'; if command -v bash >/dev/null 2>&1; then exec bash --norc --posix -c " +
    `${shq(sharedBashScript(watchdogS))} rtk-shared; else exec sh -c ${shq(sharedShScript())} rtk-shared; fi`
  );
}

/** The bytes sent for one request: its nonce and byte count, the script (ending in a newline), the end line. */
export function requestText(script: string, nonce: string): string {
  const body = script.endsWith('\n') ? script : `${script}\n`;
  return `RTK-REQ ${nonce} ${Buffer.byteLength(body)}\n${body}RTK-EOR ${nonce}\n`;
}

interface Live {
  sc: SharedChannel;
  out: Buffer[];
  err: Buffer[];
  outLen: number;
  /** The request being answered: fed with every chunk. */
  feed: (() => void) | null;
  closed: boolean;
  onClosed: (() => void) | null;
  heartbeat: NodeJS.Timeout;
  unLost: () => void;
  lostError: RtkError | null;
}

export class SharedShell {
  private live: Live | null = null;
  private opening: Promise<Live | null> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Channels that died before answering a request, in a row: past 3, this host does without. */
  private failures = 0;
  private stopped = false;

  constructor(private readonly o: SharedShellOptions) {}

  /** Whether it is worth asking (false after repeated failures to start, or once closed). */
  get usable(): boolean {
    return !this.stopped && this.failures < 3;
  }

  /**
   * Run `command` in the shared shell. null: it did not run (no shell could be started, or the shell
   * died before the request began): the caller runs it on its own channel.
   */
  exec(command: string, o: ExecOptions = {}): Promise<Result<ExecResult> | null> {
    const next = this.queue.then(() => this.run(command, o));
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.stopped = true;
    if (this.live) this.drop(this.live);
  }

  private async channel(): Promise<Live | null> {
    if (this.live && !this.live.closed) return this.live;
    if (!this.opening) this.opening = this.openLive().finally(() => (this.opening = null));
    return this.opening;
  }

  private async openLive(): Promise<Live | null> {
    const got = await this.o.open(sharedShellLine(this.o.watchdogS));
    if (!got.ok || this.stopped) {
      if (got.ok) {
        safeClose(got.value.ch);
        got.value.release();
      }
      return null;
    }
    const sc = got.value;
    const ch = sc.ch;
    const heartbeat = setInterval(() => {
      if (ch.writable) ch.write('\n');
    }, this.o.heartbeatMs);
    heartbeat.unref();
    const l: Live = { sc, out: [], err: [], outLen: 0, feed: null, closed: false, onClosed: null, heartbeat, unLost: () => undefined, lostError: null };
    l.unLost = sc.onLost((e) => {
      l.lostError = e;
      this.drop(l);
    });
    ch.on('data', (d: Buffer) => {
      if (l.feed === null) return; // login noise, or what a dropped request left
      l.out.push(d);
      l.outLen += d.length;
      l.feed();
    });
    ch.stderr.on('data', (d: Buffer) => {
      if (l.feed === null) return;
      l.err.push(d);
      l.feed();
    });
    ch.on('close', () => this.drop(l));
    ch.on('error', () => undefined);
    this.live = l;
    return l;
  }

  /** The channel is done with: closed, its slot given back, a request waiting on it told. */
  private drop(l: Live): void {
    if (l.closed) return;
    l.closed = true;
    clearInterval(l.heartbeat);
    l.unLost();
    safeClose(l.sc.ch);
    l.sc.release();
    if (this.live === l) this.live = null;
    l.onClosed?.();
  }

  private async run(command: string, o: ExecOptions): Promise<Result<ExecResult> | null> {
    if (!this.usable) return null;
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    const what = `\`${short(command)}\` on ${this.o.name}`;
    const started = Date.now();
    const l = await this.channel();
    if (l === null) return null;
    const nonce = newNonce();
    const rawCap = maxBytes + 64 * 1024;
    const endRe = new RegExp(`\\x1eRTK-END-${nonce} \\d{1,3}\\n`);
    const begin = Buffer.from(beginMarker(nonce), 'latin1');
    l.out = [];
    l.err = [];
    l.outLen = 0;
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: Result<ExecResult> | null, keep: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        l.feed = null;
        l.onClosed = null;
        if (!keep) this.drop(l);
        resolve(r);
      };
      const timer = setTimeout(() => finish(err('timeout', `${what} took longer than ${fmtMs(timeoutMs)}.`), false), Math.max(1, timeoutMs - (Date.now() - started)));
      l.feed = () => {
        if (l.outLen > rawCap) return finish(err('io', `${what} printed more than ${maxBytes} bytes.`), false);
        // the END lines are the last the shell prints for a request: look at the tails only
        const outTail = tailText(l.out);
        const errTail = tailText(l.err);
        if (!endRe.test(outTail) || !endRe.test(errTail)) return;
        const u = unwrapOutput(Buffer.concat(l.out), nonce);
        if (u.body.length > maxBytes) return finish(err('io', `${what} printed more than ${maxBytes} bytes.`), false);
        this.failures = 0;
        const stderr = afterBegin(Buffer.concat(l.err), nonce);
        const e = stderr.lastIndexOf(Buffer.from(`\x1eRTK-END-${nonce} `, 'latin1'));
        finish(ok({ code: u.code, stdout: Buffer.from(u.body), stderr: Buffer.from(e >= 0 ? stderr.subarray(0, e) : stderr) }), true);
      };
      l.onClosed = () => {
        // never began: the caller runs it on a channel of its own; began: it was cut off
        // (a lost connection is an error whether or not it began: a channel of its own would fail too)
        const began = Buffer.concat(l.out).includes(begin);
        if (!began && l.lostError === null) {
          this.failures++;
          return finish(null, false);
        }
        const why = l.lostError ? `: ${l.lostError.message}` : '';
        finish(err(l.lostError?.kind ?? 'unreachable', `${what} was cut off${why || ' (the shared shell ended)'}.`), false);
      };
      if (l.closed) return l.onClosed();
      l.sc.ch.write(requestText(command, nonce));
    });
  }
}

/** The last 128 bytes of a list of chunks, as text (an END line is under 64 bytes). */
function tailText(chunks: Buffer[]): string {
  let n = 0;
  let i = chunks.length;
  while (i > 0 && n < 128) n += chunks[--i]!.length;
  const b = Buffer.concat(chunks.slice(i));
  return b.subarray(Math.max(0, b.length - 128)).toString('latin1');
}

function safeClose(ch: ClientChannel): void {
  try {
    ch.close();
  } catch {
    /* the connection is already gone */
  }
}

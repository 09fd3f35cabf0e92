// An SSH host over ssh2: one connection (a chain of clients through the ProxyJump hops, each hop's
// host key checked against known_hosts), a budget of 4 session channels with a FIFO queue,
// keepalive 15 s x 3, reconnect with jittered backoff (never after auth or host-key failures),
// exec output between markers, streams guarded by a stdin heartbeat watchdog.
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { err, ok, type HostConnState, type HostSpec, type Result, type RtkError } from '../domain/types.js';
import type { ExecOptions, ExecResult, Host, StreamHandle, StreamOptions } from './host.js';
import { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, fmtMs, short } from './local.js';
import { afterBegin, BeginStripper, forLoginShell, isPosixShell, newNonce, reportedShell, SHELL_REPORT, unwrapOutput, wrapExec, wrapStream, type ShellMode } from './markers.js';
import { Semaphore, type Release } from './semaphore.js';
import { SharedShell } from './shared-shell.js';
import { describeHop, dialHop, JumpPool, type DialContext, type JumpLease, type SshClient } from './ssh-dial.js';
import { resolveChain, type HostEnvLike, type ResolvedHop } from './ssh-config.js';
import { isFatal, statusOf } from './status.js';

export interface SshHostOptions {
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  readyTimeoutMs: number;
  maxChannels: number;
  /** Stream heartbeat period; the remote watchdog gives up after `watchdogS` without one. */
  heartbeatMs: number;
  watchdogS: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  resolve: (spec: HostSpec, henv: HostEnvLike) => Promise<Result<ResolvedHop[]>>;
}

/** The longest command line sent: one argv element of the login shell (Linux: 128 KiB, minus room). */
export const MAX_LINE_BYTES = 120 * 1024;

export const DEFAULT_SSH_OPTIONS: SshHostOptions = {
  keepaliveIntervalMs: 15_000,
  keepaliveCountMax: 3,
  readyTimeoutMs: 20_000,
  maxChannels: 4,
  heartbeatMs: 15_000,
  watchdogS: 45,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
  resolve: resolveChain,
};

interface Conn {
  /** The target's own client; the jump chain before it is shared (lease). */
  clients: SshClient[];
  target: SshClient;
  lease: JumpLease<SshClient> | null;
  sem: Semaphore;
  dead: RtkError | null;
  /** Fail-callbacks of open channels, run when the connection dies. */
  live: Set<(e: RtkError) => void>;
  since: number;
}

/** Jittered exponential backoff: base * 2^attempt capped at max, times a factor in [0.5, 1]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, rnd: () => number = Math.random): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap * (0.5 + rnd() * 0.5));
}

/**
 * Logins in progress at once in this process (key exchange, auth: CPU on both ends, and sshd drops
 * unauthenticated connections past its MaxStartups, 10:30:100 by default): the rest wait their turn,
 * FIFO. Hundreds of hosts behind one jump then connect in waves instead of all at once (a login is
 * mostly round trips: 32 at once keep a high-latency link busy while the event loop stays free).
 */
export const MAX_LOGINS = 32;
const LOGINS = new Semaphore(MAX_LOGINS);

/** The jump connections of this process, shared by the targets behind them. */
const JUMPS = new JumpPool<SshClient>();

/** Jump chains alive (or being dialed) and how many targets hold each: tests and diagnostics. */
export function jumpStats(): { key: string; refs: number; dialing: boolean }[] {
  return JUMPS.stats();
}

/** Same resolved hops (address, user, keys, known_hosts, policy), agent and timeouts: one shared chain. */
function jumpKey(jumps: ResolvedHop[], ctx: Omit<DialContext, 'pending'>): string {
  const hops = jumps.map(({ label: _label, ...rest }) => rest);
  return JSON.stringify({ hops, agent: ctx.env.SSH_AUTH_SOCK ?? null, r: ctx.readyTimeoutMs, k: [ctx.keepaliveIntervalMs, ctx.keepaliveCountMax] });
}

/** Log in to each jump hop in turn, each through a forwarded channel of the one before. */
async function dialJumpChain(hostName: string, jumps: ResolvedHop[], ctx: DialContext): Promise<Result<SshClient[]>> {
  const clients: SshClient[] = [];
  const abort = (e: RtkError): Result<SshClient[]> => {
    for (const c of clients) c.end();
    return { ok: false, error: e };
  };
  for (const [i, hop] of jumps.entries()) {
    let sock: ClientChannel | undefined;
    const prev = clients[i - 1];
    if (prev) {
      const ch = await new Promise<Result<ClientChannel>>((resolve) => {
        prev.forwardOut('127.0.0.1', 0, hop.hostname, hop.port, (e, stream) => {
          if (e) resolve(err('unreachable', `jump host ${jumps[i - 1]?.label ?? '?'} could not reach ${hop.label} (${hop.hostname}:${hop.port}): ${e.message}.`, { cause: e }));
          else resolve(ok(stream));
        });
      });
      if (!ch.ok) return abort(ch.error);
      sock = ch.value;
    }
    const c = await dialHop(hop, describeHop(hostName, hop, false), sock, ctx);
    if (!c.ok) return abort(c.error);
    clients.push(c.value);
  }
  return ok(clients);
}

function isOpenFailure(e: unknown): boolean {
  const x = e as { reason?: unknown; message?: unknown };
  return x?.reason === 2 || /open failed|Channel open failure/i.test(String(x?.message ?? ''));
}

function safeClose(ch: ClientChannel): void {
  try {
    ch.close();
  } catch {
    /* the connection is already gone */
  }
}

export class SshHost implements Host {
  readonly local = false;
  private readonly opts: SshHostOptions;
  private st: HostConnState;
  private readonly listeners = new Set<(s: HostConnState) => void>();
  private conn: Conn | null = null;
  private dialing: Promise<Result<Conn>> | null = null;
  private lastError: RtkError | null = null;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** How command lines reach sh through this user's login shell (markers.ts ShellMode): unknown at
   * first, so in the form every shell reads; plain once $SHELL names a POSIX shell. */
  private shellMode: ShellMode = 'any';
  /** A plain line failed once on this host: never try plain lines again. */
  private shellLocked = false;
  /** Clients still logging in, destroyed by close() so a dial in progress cannot hold the process. */
  private readonly pending = new Set<SshClient>();
  private markClosed: () => void = () => undefined;
  /** Resolves on close(): a dial waiting for a shared jump connection stops waiting. */
  private readonly closedSignal = new Promise<void>((res) => {
    this.markClosed = res;
  });

  constructor(
    readonly spec: HostSpec,
    private readonly henv: HostEnvLike,
    opts: Partial<SshHostOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SSH_OPTIONS, ...opts };
    this.st = { name: spec.name, phase: 'connecting', status: 'connected', error: null, latencyMs: null, lastOkAt: null };
  }

  get name(): string {
    return this.spec.name;
  }

  state(): HostConnState {
    return { ...this.st };
  }

  onState(cb: (s: HostConnState) => void): () => void {
    this.listeners.add(cb);
    return () => void this.listeners.delete(cb);
  }

  private setState(patch: Partial<HostConnState>): void {
    this.st = { ...this.st, ...patch };
    const snap = this.state();
    for (const cb of [...this.listeners]) cb(snap);
  }

  async connect(): Promise<Result<void>> {
    if (this.closed) return err('unreachable', `host ${this.name} was closed.`);
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const c = await this.ensure(true);
    return c.ok ? ok(undefined) : c;
  }

  /** The live connection, dialing if needed. While backing off, fails fast with the last error. */
  private ensure(force = false): Promise<Result<Conn>> {
    if (this.closed) return Promise.resolve(err('unreachable', `host ${this.name} was closed.`));
    if (this.conn && !this.conn.dead) return Promise.resolve(ok(this.conn));
    if (this.dialing) return this.dialing;
    if (!force && this.lastError && (this.retryTimer || isFatal(this.lastError))) return Promise.resolve({ ok: false, error: this.lastError });
    this.setState({ phase: this.st.lastOkAt === null && this.attempt === 0 ? 'connecting' : 'reconnecting' });
    this.dialing = this.gatedDial().then((r) => {
      this.dialing = null;
      if (r.ok) {
        if (this.closed) {
          for (const c of r.value.clients) c.end();
          r.value.lease?.release();
          return err<Conn>('unreachable', `host ${this.name} was closed.`);
        }
        this.conn = r.value;
        this.lastError = null;
        // the backoff counts failed dials in a row: after a drop, the first retry comes within a second
        this.attempt = 0;
        this.setState({ phase: 'connected', status: 'connected', error: null, lastOkAt: Date.now(), nextRetryAt: null });
        this.startPings(r.value);
      } else this.failed(r.error);
      return r;
    });
    return this.dialing;
  }

  private failed(e: RtkError): void {
    this.lastError = e;
    if (this.closed) return;
    if (isFatal(e)) {
      this.setState({ phase: 'failed', status: statusOf(e), error: e.message, nextRetryAt: null });
      return;
    }
    const delay = backoffDelay(this.attempt++, this.opts.backoffBaseMs, this.opts.backoffMaxMs);
    this.setState({ phase: 'reconnecting', status: statusOf(e), error: e.message, nextRetryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.ensure(true);
    }, delay);
    this.retryTimer.unref();
  }

  private lost(conn: Conn, e: RtkError): void {
    if (conn.dead) return;
    conn.dead = e;
    conn.sem.fail(e);
    for (const f of [...conn.live]) f(e);
    conn.live.clear();
    for (const c of conn.clients) c.end();
    conn.lease?.release();
    if (this.conn !== conn) return;
    this.conn = null;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.failed(e);
  }

  /** Latency by a cheap round trip: an OpenSSH keepalive global request (no channel). */
  private startPings(conn: Conn): void {
    const once = (): void => {
      const t0 = Date.now();
      const c = conn.target as unknown as { _callbacks?: ((...a: unknown[]) => void)[]; _protocol?: { ping?: () => void } };
      if (!Array.isArray(c._callbacks) || typeof c._protocol?.ping !== 'function') return;
      c._callbacks.push(() => {
        if (conn.dead || this.conn !== conn) return;
        this.setState({ latencyMs: Date.now() - t0, lastOkAt: Date.now() });
      });
      c._protocol.ping();
    };
    once();
    this.pingTimer = setInterval(once, this.opts.keepaliveIntervalMs);
    this.pingTimer.unref();
  }

  /**
   * Resolve the hops (ssh -G: every host's at once, in one batch), then dial within the process's
   * login budget (MAX_LOGINS at once).
   */
  private async gatedDial(): Promise<Result<Conn>> {
    const hops = await this.opts.resolve(this.spec, this.henv);
    if (!hops.ok) return hops;
    const release = await LOGINS.acquire();
    try {
      if (this.closed) return err('unreachable', `host ${this.name} was closed.`);
      return await this.dial(hops);
    } finally {
      release();
    }
  }

  private async dial(hops: Result<ResolvedHop[]> & { ok: true }): Promise<Result<Conn>> {
    for (const [i, hop] of hops.value.entries()) {
      if (hop.proxyCommand) return err('config', `${describeHop(this.name, hop, i === hops.value.length - 1)} uses ProxyCommand, which rtk-tui cannot follow; use ProxyJump instead.`);
    }
    const targetHop = hops.value[hops.value.length - 1];
    if (!targetHop) return err('config', `host ${this.name} has no hops.`);
    const jumps = hops.value.slice(0, -1);
    const ctx = {
      hostName: this.name,
      home: this.henv.home,
      env: this.henv.env,
      readyTimeoutMs: this.opts.readyTimeoutMs,
      keepaliveIntervalMs: this.opts.keepaliveIntervalMs,
      keepaliveCountMax: this.opts.keepaliveCountMax,
    };
    let lease: JumpLease<SshClient> | null = null;
    let sock: ClientChannel | undefined;
    if (jumps.length > 0) {
      const key = jumpKey(jumps, ctx);
      const got = await JUMPS.acquire(
        key,
        jumps.map((h) => h.label),
        (pending) => dialJumpChain(this.name, jumps, { ...ctx, pending }),
        this.closedSignal,
      );
      if (!got.ok) return got;
      lease = got.value;
      const prevLabel = jumps[jumps.length - 1]?.label ?? '?';
      const last = lease.last;
      const ch = await new Promise<Result<ClientChannel>>((resolve) => {
        try {
          last.forwardOut('127.0.0.1', 0, targetHop.hostname, targetHop.port, (e, stream) => {
            if (e) resolve(err('unreachable', `jump host ${prevLabel} could not reach ${targetHop.label} (${targetHop.hostname}:${targetHop.port}): ${e.message}.`, { cause: e }));
            else resolve(ok(stream));
          });
        } catch (e) {
          resolve(err('unreachable', `jump host ${prevLabel} could not reach ${targetHop.label}: ${(e as Error).message}.`, { cause: e }));
        }
      });
      if (!ch.ok) {
        lease.release();
        return ch;
      }
      sock = ch.value;
    }
    const c = await dialHop(targetHop, describeHop(this.name, targetHop, true), sock, { ...ctx, pending: this.pending });
    if (!c.ok) {
      lease?.release();
      return c;
    }
    const target = c.value;
    const conn: Conn = { clients: [target], target, lease, sem: new Semaphore(this.opts.maxChannels), dead: null, live: new Set(), since: Date.now() };
    const label = `host ${this.name}`;
    target.on('error', (e: Error & { level?: string }) => {
      const kind = e.level === 'client-timeout' ? 'timeout' : 'unreachable';
      this.lost(conn, { kind, message: `connection to ${label} was lost: ${e.message}.`, cause: e });
    });
    // 'end' matters behind a jump: when the target's TCP connection dies, the jump host sends EOF on
    // the forwarded channel but keeps it half-open, so the inner client sees 'end' and never 'close'
    const gone = (): void => this.lost(conn, { kind: 'unreachable', message: `connection to ${label} was lost.` });
    target.on('end', gone);
    target.on('close', gone);
    // the shared jump connection died: every target behind it goes down and reconnects
    lease?.onDeath((e) => this.lost(conn, e));
    return ok(conn);
  }

  /** A session channel within the budget; retried briefly when sshd refuses it (MaxSessions). */
  private async openChannel(
    open: (c: SshClient, cb: (e: Error | undefined, ch: ClientChannel) => void) => void,
    what: string,
  ): Promise<Result<{ conn: Conn; ch: ClientChannel; release: Release }>> {
    const got = await this.ensure();
    if (!got.ok) return got;
    const conn = got.value;
    let release: Release;
    try {
      release = await conn.sem.acquire();
    } catch (e) {
      return { ok: false, error: e as RtkError };
    }
    for (let tryNo = 0; ; tryNo++) {
      if (conn.dead) {
        release();
        return { ok: false, error: conn.dead };
      }
      const r = await new Promise<{ e?: Error; ch?: ClientChannel }>((resolve) => {
        try {
          open(conn.target, (e, ch) => resolve(e ? { e } : { ch }));
        } catch (e) {
          resolve({ e: e as Error });
        }
      });
      if (r.ch) {
        this.opened++;
        return ok({ conn, ch: r.ch, release });
      }
      if (isOpenFailure(r.e) && tryNo < 4 && !conn.dead) {
        await new Promise((res) => setTimeout(res, 100 * 2 ** tryNo));
        continue;
      }
      release();
      const e = conn.dead ?? { kind: 'unreachable' as const, message: `${this.name} refused a channel for ${what}: ${r.e?.message ?? 'unknown error'}.`, cause: r.e };
      return { ok: false, error: e };
    }
  }

  /**
   * The line for sshd: our POSIX script as it is while the login shell is known to speak POSIX, else
   * in the form every shell reads alike, asking the shell to name itself ($SHELL) on the way.
   */
  private loginLine(script: string): string {
    return this.shellMode === 'posix' ? script : forLoginShell(SHELL_REPORT + script, 'any');
  }

  /** What the login shell said it is (in 'any' mode): a POSIX one gets plain command lines from now on. */
  private learnShell(rawStderr: Buffer): void {
    if (this.shellMode !== 'any') return;
    const sh = reportedShell(rawStderr);
    if (sh !== null && isPosixShell(sh) && !this.shellLocked) this.shellMode = 'posix';
  }

  /** The long-lived shell of the idle polls (ExecOptions.shared), opened on its first request. */
  private sharedShell: SharedShell | null = null;
  private opened = 0;

  private get shared(): SharedShell {
    this.sharedShell ??= new SharedShell({
      name: this.name,
      heartbeatMs: this.opts.heartbeatMs,
      watchdogS: this.opts.watchdogS,
      open: async (script) => {
        const opened = await this.openChannel((c, cb) => c.exec(this.loginLine(script), cb), `the shared shell on ${this.name}`);
        if (!opened.ok) return opened;
        const { conn, ch, release } = opened.value;
        return ok({
          ch,
          release,
          onLost: (cb: (e: RtkError) => void) => {
            conn.live.add(cb);
            return () => void conn.live.delete(cb);
          },
        });
      },
    });
    return this.sharedShell;
  }

  async exec(command: string, o: ExecOptions = {}): Promise<Result<ExecResult>> {
    if (o.shared && o.stdin === undefined && this.shared.usable) {
      const r = await this.shared.exec(command, o);
      if (r !== null) {
        if (r.ok) this.st.lastOkAt = Date.now();
        return r;
      }
    }
    const mode = this.shellMode;
    const first = await this.execOnce(command, o);
    // $SHELL named a POSIX shell but the real login shell did not run our line (a config file that
    // exports SHELL=/bin/bash under fish): nothing of it ran, so say it again in the form every
    // shell reads, and keep to that form on this host
    if (mode === 'posix' && first.notRun && !first.tooLong) {
      this.shellMode = 'any';
      this.shellLocked = true;
      return (await this.execOnce(command, o)).r;
    }
    return first.r;
  }

  /** One exec; `notRun` when the login shell never got to our first line. */
  private async execOnce(command: string, o: ExecOptions): Promise<{ r: Result<ExecResult>; notRun: boolean; tooLong?: boolean }> {
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    const what = `\`${short(command)}\` on ${this.name}`;
    const nonce = newNonce();
    const started = Date.now();
    // without stdin of its own, the command runs under the watchdog: when we close the channel
    // (timeout, cap) it dies instead of lingering on one of sshd's session slots. No heartbeats
    // here: the watchdog's limit lies past our own timeout.
    const watchdogS = o.stdin === undefined ? Math.ceil(timeoutMs / 1000) + 30 : null;
    const line = this.loginLine(wrapExec(command, nonce, { watchdogS }));
    // sshd hands the line to the login shell as one argument, which Linux caps at 128 KiB
    if (Buffer.byteLength(line) > MAX_LINE_BYTES)
      return { r: err('io', `${what} is too long to send (${Buffer.byteLength(line)} bytes; at most ${MAX_LINE_BYTES}).`), notRun: true, tooLong: true };
    const opened = await this.openChannel((c, cb) => c.exec(line, cb), what);
    if (!opened.ok) return { r: opened, notRun: false };
    const { conn, ch, release } = opened.value;
    const remaining = Math.max(1, timeoutMs - (Date.now() - started));
    return new Promise((resolveBoth) => {
      let notRun = false;
      let tooLong = false;
      const resolve = (r: Result<ExecResult>): void => resolveBoth({ r, notRun, tooLong });
      const out: Buffer[] = [];
      const errs: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      // login noise and markers come on top of the command's own output
      const rawCap = maxBytes + 64 * 1024;
      let exitCode: number | null = null;
      let done = false;
      const finish = (r: Result<ExecResult>): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        conn.live.delete(onLost);
        release();
        if (!r.ok) safeClose(ch);
        resolve(r);
      };
      const onLost = (e: RtkError): void => finish(err(e.kind, `${what} was cut off: ${e.message}`, { cause: e }));
      conn.live.add(onLost);
      const timer = setTimeout(() => finish(err('timeout', `${what} took longer than ${fmtMs(timeoutMs)}.`)), remaining);
      ch.on('data', (d: Buffer) => {
        outLen += d.length;
        if (outLen > rawCap) return finish(err('io', `${what} printed more than ${maxBytes} bytes.`));
        out.push(d);
      });
      ch.stderr.on('data', (d: Buffer) => {
        errLen += d.length;
        if (errLen <= rawCap) errs.push(d);
      });
      ch.on('exit', (code: number | null) => {
        exitCode = typeof code === 'number' ? code : null;
      });
      ch.on('close', () => {
        const u = unwrapOutput(Buffer.concat(out), nonce);
        const rawErr = Buffer.concat(errs);
        if (u.body.length > maxBytes) return finish(err('io', `${what} printed more than ${maxBytes} bytes.`));
        if (!u.sawBegin) {
          // our line's first act is the begin marker: the login shell failed before it (no sh? a
          // .bashrc that exits? a shell that cannot parse the line, as fish exits 0 on a syntax error)
          notRun = true;
          tooLong = /Argument list too long/i.test(rawErr.toString('latin1'));
          const stderr = rawErr.toString('utf8').trim().split('\n').slice(-1)[0] ?? '';
          return finish(err('exit', `the login shell on ${this.name} failed before running ${what}${stderr ? `: ${stderr}` : ''}.`, { code: exitCode }));
        }
        this.learnShell(rawErr);
        this.st.lastOkAt = Date.now();
        finish(ok({ code: u.sawEnd ? u.code : exitCode, stdout: Buffer.from(u.body), stderr: Buffer.from(afterBegin(rawErr, nonce)) }));
      });
      ch.on('error', () => undefined);
      if (o.stdin !== undefined) ch.end(o.stdin);
    });
  }

  async stream(command: string, o: StreamOptions = {}): Promise<Result<StreamHandle>> {
    const what = `\`${short(command)}\` on ${this.name}`;
    const nonce = newNonce();
    const watchdog = o.stdin === undefined;
    const wrapped = this.loginLine(wrapStream(command, nonce, { watchdogS: watchdog ? this.opts.watchdogS : null }));
    const opened = await this.openChannel((c, cb) => c.exec(wrapped, cb), what);
    if (!opened.ok) return opened;
    const { conn, ch, release } = opened.value;
    const outStrip = new BeginStripper(nonce);
    const errStrip = new BeginStripper(nonce);
    const dataCbs: ((b: Buffer) => void)[] = [];
    const errCbs: ((b: Buffer) => void)[] = [];
    const early: Buffer[] = [];
    const earlyErr: Buffer[] = [];
    let closeCb: ((code: number | null, e: RtkError | null) => void) | null = null;
    let ended: { code: number | null; e: RtkError | null } | null = null;
    let exitCode: number | null = null;
    let heartbeat: NodeJS.Timeout | null = null;
    const end = (code: number | null, e: RtkError | null): void => {
      if (ended) return;
      ended = { code, e };
      if (heartbeat) clearInterval(heartbeat);
      conn.live.delete(onLost);
      release();
      closeCb?.(code, e);
    };
    const onLost = (e: RtkError): void => end(null, { kind: e.kind, message: `${what} was cut off: ${e.message}`, cause: e });
    conn.live.add(onLost);
    ch.on('data', (d: Buffer) => {
      const b = outStrip.push(d);
      if (!b) return;
      if (dataCbs.length === 0) early.push(b);
      for (const cb of dataCbs) cb(b);
    });
    ch.stderr.on('data', (d: Buffer) => {
      const b = errStrip.push(d);
      if (!b) return;
      if (errCbs.length === 0) earlyErr.push(b);
      for (const cb of errCbs) cb(b);
    });
    ch.on('exit', (code: number | null) => {
      exitCode = typeof code === 'number' ? code : null;
    });
    ch.on('close', () => end(exitCode, null));
    ch.on('error', () => undefined);
    if (watchdog) {
      heartbeat = setInterval(() => {
        if (!ended && ch.writable) ch.write('\n');
      }, this.opts.heartbeatMs);
      heartbeat.unref();
    } else ch.end(o.stdin);
    const handle: StreamHandle = {
      onData: (cb) => {
        dataCbs.push(cb);
        for (const b of early.splice(0)) cb(b);
      },
      onStderr: (cb) => {
        errCbs.push(cb);
        for (const b of earlyErr.splice(0)) cb(b);
      },
      onClose: (cb) => {
        closeCb = cb;
        if (ended) cb(ended.code, ended.e);
      },
      close: () => {
        if (ended) return;
        safeClose(ch);
        end(null, null);
      },
    };
    return ok(handle);
  }

  /** The SFTP subsystem of this connection; it holds one channel of the budget until ended. */
  async sftp(): Promise<Result<SFTPWrapper>> {
    const opened = await this.openChannel((c, cb) => c.sftp(cb as never), `sftp`);
    if (!opened.ok) return opened;
    const { conn, ch, release } = opened.value;
    const s = ch as unknown as SFTPWrapper;
    const onLost = (): void => release();
    conn.live.add(onLost);
    s.once('close', () => {
      conn.live.delete(onLost);
      release();
    });
    return ok(s);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sharedShell?.close();
    this.markClosed();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
    const conn = this.conn;
    this.conn = null;
    if (conn) this.lost(conn, { kind: 'unreachable', message: `host ${this.name} was closed.` });
    for (const c of [...this.pending]) c.destroy();
    if (this.dialing) await this.dialing;
  }

  /**
   * Whether the live connection runs through a jump host: all its channels then ride one forwarded
   * (direct-tcpip) channel of the jump connection, whose 2 MiB ssh2 window they share.
   */
  get viaJump(): boolean {
    return this.conn?.lease != null;
  }

  /** Session channels opened so far (each one command line that sshd runs): benches and tests. */
  get sessionsOpened(): number {
    return this.opened;
  }

  /** For tests and the status bar: channels in use and waiting. */
  channelStats(): { inUse: number; queued: number } {
    return { inUse: this.conn?.sem.inUse ?? 0, queued: this.conn?.sem.queued ?? 0 };
  }
}

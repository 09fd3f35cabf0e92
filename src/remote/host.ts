// The one Host interface, implemented by local.ts (execa) and ssh.ts (ssh2).
// A command is a POSIX sh script; every user- or remote-supplied string in it went through shq().
import type { HostConnState, Result } from '../domain/types.js';

export interface ExecOptions {
  /** Give up (and close the channel) after this long. Default 20 s. */
  timeoutMs?: number;
  /** Cap on captured stdout; past it the command is closed and the result is an error. Default 8 MiB. */
  maxBytes?: number;
  /** Bytes written to the command's stdin, then EOF. */
  stdin?: string | Buffer;
  /**
   * May run in the host's long-lived shell (ssh.ts: one channel, one `sh` reading requests) instead
   * of a session of its own: for the idle polls, whose processes would otherwise be mostly sshd's
   * login shell and the watchdog. Such a command runs in a subshell with stdin from /dev/null, in the
   * login's HOME. Ignored with `stdin` and by local hosts.
   */
  shared?: boolean;
}

export interface ExecResult {
  /** Exit status of the command (null when killed by a signal). */
  code: number | null;
  /** Only what the command printed: login noise (.bashrc, MOTD) before the begin marker is dropped. */
  stdout: Buffer;
  stderr: Buffer;
}

export interface StreamOptions {
  /** Bytes written to stdin once at start (the stream's stdin otherwise carries the watchdog heartbeat). */
  stdin?: string | Buffer;
}

/**
 * A long-lived remote process. Its remote side dies when close() is called, when the channel
 * or the connection goes away, and (watchdog) when the network vanishes without a FIN.
 */
export interface StreamHandle {
  onData(cb: (chunk: Buffer) => void): void;
  onStderr(cb: (chunk: Buffer) => void): void;
  /** Called once: exit code when the process ended, or an error when the channel/connection died. */
  onClose(cb: (code: number | null, error: import('../domain/types.js').RtkError | null) => void): void;
  close(): void;
}

export interface SftpLike {
  /** The ssh2 SFTPWrapper for this host's connection (ssh hosts only). */
  readonly raw: unknown;
  end(): void;
}

export interface Host {
  readonly name: string;
  readonly local: boolean;
  /** Run a short command; output bounded, time bounded, delimited by markers. */
  exec(command: string, opts?: ExecOptions): Promise<Result<ExecResult>>;
  /** Start a long-lived command whose output arrives as raw bytes (never decoded here). */
  stream(command: string, opts?: StreamOptions): Promise<Result<StreamHandle>>;
  /** Current connection state (local hosts are always connected). */
  state(): HostConnState;
  /** Subscribe to connection state changes; returns an unsubscribe function. */
  onState(cb: (s: HostConnState) => void): () => void;
  /** Connect now (exec/stream connect lazily); resolves with the first outcome. */
  connect(): Promise<Result<void>>;
  /** Close every channel and the connection; no reconnect after this. */
  close(): Promise<void>;
}

// SFTP requests as promises that also end when the channel goes away (a request sent on a dead
// channel is never answered, so every pending call must be released by the channel's end).
import type { OpenMode, SFTPWrapper, Stats } from 'ssh2';

export type SftpError = Error & { code?: number | string };
export const NO_SUCH_FILE = 2;

// a request sent on a channel that is gone is never answered: every call also ends on the abort
const gone = new WeakMap<SFTPWrapper, AbortSignal>();

export function call<T>(s: SFTPWrapper, f: (cb: (e: Error | undefined | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const signal = gone.get(s);
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      f((e, v) => {
        signal?.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else resolve(v);
      });
    } catch (e) {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    }
  });
}

export const rstat = (s: SFTPWrapper, p: string): Promise<Stats | null> =>
  call<Stats>(s, (cb) => s.stat(p, cb)).catch((e: SftpError) => {
    if (e.code === NO_SUCH_FILE) return null;
    throw e;
  });
/** The path itself, never what a link points to; null when there is nothing. */
export const rlstat = (s: SFTPWrapper, p: string): Promise<Stats | null> =>
  call<Stats>(s, (cb) => s.lstat(p, cb)).catch((e: SftpError) => {
    if (e.code === NO_SUCH_FILE) return null;
    throw e;
  });
export const rfstat = (s: SFTPWrapper, h: Buffer): Promise<Stats> => call<Stats>(s, (cb) => s.fstat(h, cb));
export const ropen = (s: SFTPWrapper, p: string, flags: OpenMode, mode?: number): Promise<Buffer> =>
  call<Buffer>(s, (cb) => (mode === undefined ? s.open(p, flags, cb) : s.open(p, flags, { mode }, cb)));
export const rclose = (s: SFTPWrapper, h: Buffer): Promise<void> => call<void>(s, (cb) => s.close(h, (e) => cb(e, undefined)));
export const rread = (s: SFTPWrapper, h: Buffer, pos: number, len: number): Promise<Buffer> =>
  call<Buffer>(s, (cb) => {
    const buf = Buffer.alloc(len);
    s.read(h, buf, 0, len, pos, (e, nb) => cb(e, buf.subarray(0, nb)));
  });
export const runlink = (s: SFTPWrapper, p: string): Promise<void> =>
  call<void>(s, (cb) => s.unlink(p, (e) => cb(e, undefined))).catch((e: SftpError) => {
    if (e.code !== NO_SUCH_FILE) throw e;
  });
export const rmkdir = (s: SFTPWrapper, p: string): Promise<void> => call<void>(s, (cb) => s.mkdir(p, (e) => cb(e, undefined)));
export const rreaddir = (s: SFTPWrapper, p: string) => call<{ filename: string; attrs: Stats }[]>(s, (cb) => s.readdir(p, cb));
export const rchmod = (s: SFTPWrapper, p: string, mode: number): Promise<void> => call<void>(s, (cb) => s.chmod(p, mode, (e) => cb(e, undefined)));

export async function rrename(s: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    // posix-rename replaces the target atomically; plain SFTP rename refuses an existing target
    await call<void>(s, (cb) => s.ext_openssh_rename(from, to, (e) => cb(e, undefined)));
  } catch (e) {
    if (!/does not support/.test((e as Error).message)) throw e;
    await runlink(s, to);
    await call<void>(s, (cb) => s.rename(from, to, (e2) => cb(e2, undefined)));
  }
}

/** Aborted when the SFTP channel (or the connection under it) goes away. */
export function channelGone(sftp: SFTPWrapper): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const closed = (): void => ac.abort(new Error('the SFTP channel was closed'));
  const onErr = (e: Error): void => ac.abort(e);
  sftp.on('close', closed);
  sftp.on('end', closed);
  sftp.on('error', onErr);
  gone.set(sftp, ac.signal);
  return {
    signal: ac.signal,
    dispose: () => {
      sftp.off('close', closed);
      sftp.off('end', closed);
      sftp.off('error', onErr);
    },
  };
}

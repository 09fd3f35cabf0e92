// The byte pipelines under push/pull: several SFTP requests in flight, data hashed in file order, and
// the partial file always a prefix of the source (so a later run can resume from its size):
// uploads rely on the SFTP server applying writes of one handle in order (OpenSSH's sftp-server is one
// loop over its input), downloads write locally in offset order, every byte of every write checked
// (a full disk ends the pull; it never leaves a hole), and hash what they read back from the file:
// the checksum verifies what is on disk, not what was received.
import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { SFTPWrapper } from 'ssh2';

export interface PipeOptions {
  /** Requests in flight. */
  window: number;
  /** Bytes per request. */
  chunk: number;
  limiter: RateLimiter | null;
  /** Called as bytes are confirmed (uploads: acknowledged; downloads: written locally). */
  onBytes: (n: number) => void;
  /** Aborted when the SFTP channel goes away: requests sent after that would wait forever. */
  signal: AbortSignal;
  /** Downloads: more SFTP sessions with the same file open; requests are spread over all of them. */
  extra?: { sftp: SFTPWrapper; handle: Buffer }[];
}

function onAbort(signal: AbortSignal, fail: (e: unknown) => void): void {
  if (signal.aborted) fail(signal.reason);
  else signal.addEventListener('abort', () => fail(signal.reason), { once: true });
}

/** A bandwidth cap (`--limit`): callers wait before sending more than `bytesPerSecond` on average. */
export class RateLimiter {
  private readonly t0 = Date.now();
  private sent = 0;
  constructor(private readonly bytesPerSecond: number) {}
  async take(n: number): Promise<void> {
    this.sent += n;
    const wait = this.t0 + (this.sent / this.bytesPerSecond) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

// chunk buffers are recycled: a fresh 255 KiB allocation per request kept the GC busy
class Buffers {
  private readonly free: Buffer[] = [];
  constructor(private readonly size: number) {}
  take(len: number): Buffer {
    const b = len === this.size ? this.free.pop() : undefined;
    return b ?? Buffer.allocUnsafe(len);
  }
  give(b: Buffer): void {
    if (b.length === this.size && this.free.length < 256) this.free.push(b);
  }
}

/** Upload local [start, size) to the open remote handle; `hasher` sees [start, size) in order. */
export function uploadRange(
  sftp: SFTPWrapper,
  handle: Buffer,
  fh: FileHandle,
  start: number,
  size: number,
  hasher: Hash,
  o: PipeOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = start;
    let inflight = 0;
    let failed = false;
    let pumping = false;
    const pool = new Buffers(o.chunk);
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      reject(e);
    };
    onAbort(o.signal, fail);
    const finished = (): boolean => !failed && next >= size && inflight === 0;
    const pump = async (): Promise<void> => {
      if (pumping || failed) return;
      pumping = true;
      try {
        while (!failed && inflight < o.window && next < size) {
          const len = Math.min(o.chunk, size - next);
          const pos = next;
          next += len;
          inflight++;
          if (o.limiter) await o.limiter.take(len);
          if (failed) break;
          const buf = pool.take(len);
          const { bytesRead } = await fh.read(buf, 0, len, pos);
          if (bytesRead !== len) throw new Error('the local file got shorter during the transfer');
          hasher.update(buf);
          sftp.write(handle, buf, 0, len, pos, (e?: Error | null) => {
            inflight--;
            pool.give(buf);
            if (e) return fail(e);
            o.onBytes(len);
            if (finished()) resolve();
            else void pump();
          });
        }
      } catch (e) {
        fail(e);
      } finally {
        pumping = false;
      }
      if (finished()) resolve();
    };
    void pump();
  });
}

/** Write all of buf at pos, however many calls it takes; an error (ENOSPC...) or a write of 0 bytes throws. */
export async function writeAll(fh: FileHandle, buf: Buffer, pos: number): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, pos + off);
    if (bytesWritten <= 0) throw new Error(`writing the local file stopped at byte ${pos + off} (disk full?)`);
    off += bytesWritten;
  }
}

/** Read back [pos, pos + len) of the local file: what the disk holds there, for the hash. */
async function readBack(fh: FileHandle, into: Buffer, pos: number): Promise<Buffer> {
  for (let off = 0; off < into.length; ) {
    const { bytesRead } = await fh.read(into, off, into.length - off, pos + off);
    if (bytesRead <= 0) throw new Error(`the local file is shorter than what was written to it (byte ${pos + off})`);
    off += bytesRead;
  }
  return into;
}

/**
 * Download remote [start, size) from the open handle into the local file (opened for reading and
 * writing); `hasher` sees the bytes as read back from the file, in order.
 */
export function downloadRange(
  sftp: SFTPWrapper,
  handle: Buffer,
  fh: FileHandle,
  start: number,
  size: number,
  hasher: Hash,
  o: PipeOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = start;
    const again: { pos: number; len: number }[] = [];
    const ready = new Map<number, Buffer>();
    let writePos = start;
    let written = start;
    // every channel gets its own window; a request goes to the least busy one
    const chans = [{ sftp, handle, inflight: 0 }, ...(o.extra ?? []).map((c) => ({ ...c, inflight: 0 }))];
    let inflight = 0;
    let buffered = 0;
    let failed = false;
    let issuing = false;
    const pool = new Buffers(o.chunk);
    let writing: Promise<void> = Promise.resolve();
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      reject(e);
    };
    if (start >= size) return resolve();
    onAbort(o.signal, fail);
    const back = Buffer.allocUnsafe(o.chunk);
    const flush = (): void => {
      for (let b = ready.get(writePos); b; b = ready.get(writePos)) {
        const buf = b;
        const at = writePos;
        ready.delete(at);
        writePos += buf.length;
        writing = writing.then(
          async () => {
            if (failed) return;
            await writeAll(fh, buf, at);
            hasher.update(await readBack(fh, buf.length <= back.length ? back.subarray(0, buf.length) : Buffer.allocUnsafe(buf.length), at));
            pool.give(buf);
            buffered -= buf.length;
            written += buf.length;
            o.onBytes(buf.length);
            if (written >= size) resolve();
            else void issue();
          },
          () => undefined,
        );
        writing.catch(fail);
      }
    };
    const issue = async (): Promise<void> => {
      if (issuing || failed) return;
      issuing = true;
      try {
        // bytes received but not yet on disk count against the window too: a slow disk slows the reads
        while (!failed && inflight + Math.floor(buffered / o.chunk) < o.window * chans.length && (again.length || next < size)) {
          const ch = chans.reduce((a, b) => (b.inflight < a.inflight ? b : a));
          if (ch.inflight >= o.window) break;
          let pos: number;
          let len: number;
          const r = again.shift();
          if (r) ({ pos, len } = r);
          else {
            pos = next;
            len = Math.min(o.chunk, size - next);
            next += len;
          }
          inflight++;
          ch.inflight++;
          if (o.limiter) await o.limiter.take(len);
          if (failed) break;
          const buf = pool.take(len);
          ch.sftp.read(ch.handle, buf, 0, len, pos, (e: Error | undefined, nb: number) => {
            inflight--;
            ch.inflight--;
            if (e) return fail(e);
            if (!nb) return fail(new Error('the remote file got shorter during the transfer'));
            // a short read: ask again for the rest
            if (nb < len) again.push({ pos: pos + nb, len: len - nb });
            buffered += nb;
            ready.set(pos, nb === len ? buf : buf.subarray(0, nb));
            flush();
            void issue();
          });
        }
      } catch (e) {
        fail(e);
      } finally {
        issuing = false;
      }
    };
    void issue();
  });
}

// The pipelines against a fake SFTP session that answers out of order, with short reads: the local
// file and the hash must still come out right, the partial file must stay a prefix, and a channel
// that goes away must end the transfer instead of leaving it waiting.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { downloadRange, uploadRange, type PipeOptions } from '../../../src/remote/transfer-pipe.js';

const dir = mkdtempSync(join(tmpdir(), 'rtk-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function fakeSftp(remote: Buffer, seed: number, opts: { maxInflightSeen?: { n: number } } = {}) {
  const rnd = rng(seed);
  const pending: (() => void)[] = [];
  let inflight = 0;
  let flushing = false;
  const later = (f: () => void): void => {
    inflight++;
    if (opts.maxInflightSeen) opts.maxInflightSeen.n = Math.max(opts.maxInflightSeen.n, inflight);
    pending.push(() => {
      inflight--;
      f();
    });
    if (!flushing) {
      flushing = true;
      setImmediate(() => {
        flushing = false;
        // answer everything queued so far, in a shuffled order
        const batch = pending.splice(0);
        for (let i = batch.length - 1; i > 0; i--) {
          const j = Math.floor(rnd() * (i + 1));
          [batch[i], batch[j]] = [batch[j]!, batch[i]!];
        }
        for (const f of batch) f();
      });
    }
  };
  const written: { pos: number; len: number }[] = [];
  const fake = {
    read(_h: Buffer, buf: Buffer, off: number, len: number, pos: number, cb: (e: Error | undefined, nb: number) => void) {
      later(() => {
        const avail = Math.max(0, Math.min(len, remote.length - pos));
        // short reads now and then
        const nb = avail > 1 && rnd() < 0.3 ? 1 + Math.floor(rnd() * (avail - 1)) : avail;
        if (nb > 0) remote.copy(buf, off, pos, pos + nb);
        cb(undefined, nb);
      });
    },
    write(_h: Buffer, buf: Buffer, off: number, len: number, pos: number, cb: (e?: Error) => void) {
      // applied in the order sent (as OpenSSH's sftp-server does), acknowledged in any order
      buf.copy(remote, pos, off, off + len);
      written.push({ pos, len });
      later(() => cb());
    },
  };
  return { sftp: fake as unknown as SFTPWrapper, written };
}

const opts = (signal: AbortSignal, chunk = 1000, window = 8): PipeOptions => ({ window, chunk, limiter: null, signal, onBytes: () => undefined });

describe('downloadRange', () => {
  it.each([1, 2, 3, 4, 5])('writes the file in order and hashes it right despite reordering and short reads (seed %d)', async (seed) => {
    const data = randomBytes(50_000 + seed * 777);
    const { sftp } = fakeSftp(data, seed);
    const path = join(dir, `down-${seed}`);
    const start = seed * 1000;
    writeFileSync(path, data.subarray(0, start));
    const fh = await open(path, 'r+');
    const h = createHash('sha256');
    h.update(data.subarray(0, start));
    let counted = 0;
    await downloadRange(sftp, Buffer.alloc(4), fh, start, data.length, h, { ...opts(new AbortController().signal), onBytes: (n) => (counted += n) });
    await fh.close();
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(h.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(counted).toBe(data.length - start);
  });

  it('spreads the reads over several sessions and still writes in order', async () => {
    const data = randomBytes(60_000);
    const seenA = { n: 0 };
    const seenB = { n: 0 };
    const a = fakeSftp(data, 11, { maxInflightSeen: seenA });
    const b = fakeSftp(data, 12, { maxInflightSeen: seenB });
    const path = join(dir, 'down-multi');
    const fh = await open(path, 'w+');
    const h = createHash('sha256');
    await downloadRange(a.sftp, Buffer.alloc(4), fh, 0, data.length, h, { ...opts(new AbortController().signal, 1000, 4), extra: [{ sftp: b.sftp, handle: Buffer.alloc(4) }] });
    await fh.close();
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(h.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(seenA.n).toBeGreaterThan(0);
    expect(seenB.n).toBeGreaterThan(0);
    expect(Math.max(seenA.n, seenB.n)).toBeLessThanOrEqual(4);
  });

  it('keeps at most `window` requests in flight', async () => {
    const data = randomBytes(40_000);
    const seen = { n: 0 };
    const { sftp } = fakeSftp(data, 9, { maxInflightSeen: seen });
    const fh = await open(join(dir, 'down-window'), 'w+');
    await downloadRange(sftp, Buffer.alloc(4), fh, 0, data.length, createHash('md5'), opts(new AbortController().signal, 1000, 5));
    await fh.close();
    expect(seen.n).toBeGreaterThan(1);
    expect(seen.n).toBeLessThanOrEqual(5);
  });

  it('fails when the remote file is shorter than announced', async () => {
    const data = randomBytes(5000);
    const { sftp } = fakeSftp(data, 3);
    const fh = await open(join(dir, 'down-short'), 'w+');
    await expect(downloadRange(sftp, Buffer.alloc(4), fh, 0, 8000, createHash('md5'), opts(new AbortController().signal))).rejects.toThrow(/got shorter/);
    await fh.close();
  });

  it('ends with the channel instead of waiting forever', async () => {
    const never = { read: () => undefined, write: () => undefined } as unknown as SFTPWrapper;
    const ac = new AbortController();
    const fh = await open(join(dir, 'down-dead'), 'w+');
    const p = downloadRange(never, Buffer.alloc(4), fh, 0, 10_000, createHash('md5'), opts(ac.signal));
    ac.abort(new Error('the SFTP channel was closed'));
    await expect(p).rejects.toThrow(/channel was closed/);
    await fh.close();
  });
});

describe('downloadRange writes every byte and hashes the disk', () => {
  /** A FileHandle whose writes go through `write` (short, failing or lying ones), reads are real. */
  function wrapped(fh: FileHandle, write: (buf: Buffer, off: number, len: number, pos: number) => Promise<{ bytesWritten: number }>): FileHandle {
    return new Proxy(fh, { get: (t, k) => (k === 'write' ? write : (Reflect.get(t, k) as unknown as Function).bind(t)) });
  }
  it('short writes: the rest is written too', async () => {
    const data = randomBytes(20_000);
    const { sftp } = fakeSftp(data, 21);
    const path = join(dir, 'down-shortwrites');
    const real = await open(path, 'w+');
    const fh = wrapped(real, (buf, off, len, pos) => real.write(buf, off, Math.min(len, 97), pos));
    const h = createHash('sha256');
    await downloadRange(sftp, Buffer.alloc(4), fh, 0, data.length, h, opts(new AbortController().signal));
    await real.close();
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(h.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });
  it('a full disk ends the pull with its error, never a hole', async () => {
    const data = randomBytes(20_000);
    const { sftp } = fakeSftp(data, 22);
    const real = await open(join(dir, 'down-enospc'), 'w+');
    let total = 0;
    const fh = wrapped(real, async (buf, off, len, pos) => {
      if (total > 5000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      total += len;
      return real.write(buf, off, len, pos);
    });
    await expect(downloadRange(sftp, Buffer.alloc(4), fh, 0, data.length, createHash('md5'), opts(new AbortController().signal))).rejects.toThrow(/ENOSPC/);
    await real.close();
    const zero = wrapped(await open(join(dir, 'down-zero'), 'w+'), async () => ({ bytesWritten: 0 }));
    await expect(downloadRange(sftp, Buffer.alloc(4), zero, 0, data.length, createHash('md5'), opts(new AbortController().signal))).rejects.toThrow(/disk full/);
    await zero.close();
  });
  it('a write that reports success but leaves a hole is caught by the hash of what is on disk', async () => {
    const data = randomBytes(20_000);
    const { sftp } = fakeSftp(data, 23);
    const lie = (real: FileHandle) => wrapped(real, async (buf, off, len, pos) => (pos >= 8000 && pos < 9000 ? { bytesWritten: len } : real.write(buf, off, len, pos)));
    // the file ends where the bytes are missing: reading them back fails
    const a = await open(join(dir, 'down-hole'), 'w+');
    await expect(downloadRange(sftp, Buffer.alloc(4), lie(a), 0, data.length, createHash('sha256'), opts(new AbortController().signal))).rejects.toThrow(/shorter than what was written/);
    await a.close();
    // a sparse file of the full size: the hole reads back as zeros, and the hash says so
    const b = await open(join(dir, 'down-hole2'), 'w+');
    await b.truncate(data.length);
    const h = createHash('sha256');
    await downloadRange(fakeSftp(data, 24).sftp, Buffer.alloc(4), lie(b), 0, data.length, h, opts(new AbortController().signal));
    await b.close();
    expect(h.digest('hex')).not.toBe(createHash('sha256').update(data).digest('hex'));
  });
});

describe('uploadRange', () => {
  it.each([1, 2, 3])('sends every byte once, in offset order, hashing in file order (seed %d)', async (seed) => {
    const data = randomBytes(30_000 + seed * 313);
    const src = join(dir, `up-${seed}`);
    writeFileSync(src, data);
    const start = 2500 * seed;
    const remote = Buffer.alloc(data.length);
    data.copy(remote, 0, 0, start);
    const { sftp, written } = fakeSftp(remote, seed);
    const fh = await open(src, 'r');
    const h = createHash('sha256');
    h.update(data.subarray(0, start));
    await uploadRange(sftp, Buffer.alloc(4), fh, start, data.length, h, opts(new AbortController().signal));
    await fh.close();
    expect(remote.equals(data)).toBe(true);
    expect(h.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    // sent in offset order: what the server applied before a cut is always a prefix
    const positions = written.map((w) => w.pos);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(written.reduce((a, w) => a + w.len, 0)).toBe(data.length - start);
  });

  it('ends with the channel instead of waiting forever', async () => {
    const src = join(dir, 'up-dead');
    writeFileSync(src, randomBytes(10_000));
    const never = { read: () => undefined, write: () => undefined } as unknown as SFTPWrapper;
    const ac = new AbortController();
    const fh = await open(src, 'r');
    const p = uploadRange(never, Buffer.alloc(4), fh, 0, 10_000, createHash('md5'), opts(ac.signal));
    setImmediate(() => ac.abort(new Error('the SFTP channel was closed')));
    await expect(p).rejects.toThrow(/channel was closed/);
    await fh.close();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ok, type LogChunk, type RtkError } from '../../../src/domain/types.js';
import type { Host, StreamHandle } from '../../../src/remote/host.js';
import { LineAssembler, LogFollower, RESTART_MARKER, parseProbe, probeCommand, tailCommand } from '../../../src/sources/log-follow.js';
import { lastRedraw } from '../../../src/parse/terminal.js';

const PATH = '~/runs/my log.txt';

/**
 * A strict fake Host holding one remote file. It answers only the probe and the tail of PATH (any other
 * command fails the test), and its tail delivers the file from the asked offset in chunks of the given
 * sizes, dropping the stream after `dropAfter` bytes.
 */
class FakeRemote {
  file = Buffer.alloc(0);
  inode = 1;
  log: string[] = [];
  plan: { chunk: number; dropAfter: number; stderr?: string }[] = [];
  onStreamStart: ((offset: number) => void) | null = null;
  down = 0;

  host(): Host {
    return {
      name: 'fake',
      local: false,
      exec: async (cmd) => {
        this.log.push(`exec ${cmd}`);
        if (cmd !== probeCommand(PATH)) throw new Error(`unexpected exec: ${cmd}`);
        if (this.down > 0) {
          this.down--;
          return { ok: false, error: { kind: 'unreachable', message: 'fake is down' } };
        }
        return ok({ code: 0, stdout: Buffer.from(`${this.inode} ${this.file.length}\n`), stderr: Buffer.alloc(0) });
      },
      stream: async (cmd) => {
        const m = /^exec tail -c \+(\d+) -F -- "\$HOME"\/'runs\/my log\.txt'$/.exec(cmd);
        if (!m || cmd !== tailCommand(PATH, Number(m[1]) - 1)) throw new Error(`unexpected stream: ${cmd}`);
        this.log.push(`tail ${m[1]}`);
        return ok(this.open(Number(m[1]) - 1));
      },
      state: () => ({ name: 'fake', phase: 'connected', status: 'connected', error: null, latencyMs: 0, lastOkAt: 0 }),
      onState: () => () => undefined,
      connect: async () => ok(undefined),
      close: async () => undefined,
    };
  }

  private open(offset: number): StreamHandle {
    let data: ((b: Buffer) => void) | null = null;
    let errCb: ((b: Buffer) => void) | null = null;
    let close: ((c: number | null, e: RtkError | null) => void) | null = null;
    let closed = false;
    const step = this.plan.shift() ?? { chunk: 1 << 20, dropAfter: Infinity };
    const h: StreamHandle = {
      onData: (cb) => void (data = cb),
      onStderr: (cb) => void (errCb = cb),
      onClose: (cb) => void (close = cb),
      close: () => {
        if (!closed) {
          closed = true;
          setImmediate(() => close?.(null, null));
        }
      },
    };
    setImmediate(() => {
      // like tail after "has been replaced": the new content from its first byte
      if (step.stderr) errCb?.(Buffer.from(step.stderr));
      let pos = step.stderr ? 0 : offset;
      let sent = 0;
      const pump = () => {
        if (closed) return;
        if (sent >= step.dropAfter || pos >= this.file.length) {
          if (pos >= this.file.length && step.dropAfter === Infinity) {
            this.onStreamStart?.(pos);
            return; // idle, like tail waiting for more
          }
          closed = true;
          close?.(null, { kind: 'unreachable', message: 'connection dropped' });
          return;
        }
        const n = Math.min(step.chunk, step.dropAfter - sent, this.file.length - pos);
        data?.(this.file.subarray(pos, pos + n));
        pos += n;
        sent += n;
        setImmediate(pump);
      };
      pump();
    });
    return h;
  }
}

function follow(remote: FakeRemote, until: (out: Buffer, chunks: LogChunk[]) => boolean, opts: { offset?: number } = {}) {
  const printed: Buffer[] = [];
  const chunks: LogChunk[] = [];
  return new Promise<{ out: Buffer; chunks: LogChunk[]; f: LogFollower }>((resolve, reject) => {
    const f = new LogFollower({
      host: remote.host(),
      path: PATH,
      ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
      sleep: () => new Promise((r) => setImmediate(r)),
      onBytes: (b) => printed.push(Buffer.from(b)),
      onChunk: (c) => {
        chunks.push(c);
        if (until(Buffer.concat(printed), chunks)) {
          f.stop();
          resolve({ out: Buffer.concat(printed), chunks, f });
        }
      },
    });
    remote.onStreamStart = () => {
      if (until(Buffer.concat(printed), chunks)) {
        f.stop();
        resolve({ out: Buffer.concat(printed), chunks, f });
      }
    };
    f.run().catch(reject);
  });
}

describe('LogFollower', () => {
  it('prints the file byte for byte across any number of drops (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constant('ünï ✓ 日本'), fc.constant('\r50%|###')), { minLength: 1, maxLength: 40 }),
        fc.array(fc.record({ chunk: fc.integer({ min: 1, max: 50 }), dropAfter: fc.integer({ min: 0, max: 120 }) }), { maxLength: 12 }),
        async (lines, plan) => {
          const remote = new FakeRemote();
          remote.file = Buffer.from(lines.map((l) => `${l}\n`).join(''));
          remote.plan = plan;
          const { out, chunks, f } = await follow(remote, (o) => o.length >= remote.file.length);
          expect(out.equals(remote.file)).toBe(true);
          expect(f.offset).toBe(remote.file.length);
          expect(chunks.some((c) => c.kind === 'marker')).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('delivers every byte once when a stream drops mid-line, resuming from the next byte', async () => {
    const remote = new FakeRemote();
    remote.file = Buffer.from('one\ntwo\nthr');
    remote.plan = [{ chunk: 3, dropAfter: 10 }];
    const { out, chunks } = await follow(remote, (o, c) => o.length === 11 && c.some((x) => x.kind === 'partial' && x.text === 'thr'));
    expect(out.toString()).toBe('one\ntwo\nthr');
    expect(chunks.filter((c) => c.kind === 'lines')).toEqual([
      { kind: 'lines', lines: ['one'], offset: 6 },
      { kind: 'lines', lines: ['two'], offset: 9 },
    ]);
    // the first tail dropped after 10 bytes ('one\ntwo\nth'); the second starts at byte 11 (1-based)
    expect(remote.log.filter((l) => l.startsWith('tail'))).toEqual(['tail 1', 'tail 11']);
  });

  it('keeps retrying while the host is down', async () => {
    const remote = new FakeRemote();
    remote.file = Buffer.from('a\nb\n');
    remote.down = 3;
    const { out } = await follow(remote, (o) => o.length === 4);
    expect(out.toString()).toBe('a\nb\n');
    expect(remote.log.filter((l) => l.startsWith('exec'))).toHaveLength(4);
  });

  it('starts again from 0 with a marker when the file shrank or was replaced', async () => {
    const remote = new FakeRemote();
    remote.file = Buffer.from('old 1\nold 2\n');
    remote.plan = [{ chunk: 100, dropAfter: 12 }];
    let swapped = false;
    const { chunks } = await follow(remote, (o, c) => {
      if (!swapped && o.length === 12) {
        swapped = true;
        remote.file = Buffer.from('new\n');
      }
      return c.some((x) => x.kind === 'lines' && x.lines[0] === 'new');
    });
    expect(chunks.map((c) => (c.kind === 'lines' ? c.lines.join('|') : c.kind === 'marker' ? c.text : '~'))).toEqual(['old 1|old 2', RESTART_MARKER, 'new']);

    const r2 = new FakeRemote();
    r2.file = Buffer.from('x\n');
    r2.plan = [{ chunk: 100, dropAfter: 2 }];
    let rotated = false;
    const res = await follow(r2, (o, c) => {
      if (!rotated && o.length === 2) {
        rotated = true;
        r2.inode = 2;
        r2.file = Buffer.from('x\ny\n');
      }
      return c.some((x) => x.kind === 'lines' && x.lines.includes('y'));
    });
    expect(res.chunks.some((c) => c.kind === 'marker')).toBe(true);
    expect(r2.log.filter((l) => l.startsWith('tail'))).toEqual(['tail 1', 'tail 1']);
  });

  it("reacts to tail's own truncation messages", async () => {
    const remote = new FakeRemote();
    remote.file = Buffer.from('a\n');
    remote.plan = [{ chunk: 100, dropAfter: 2 }, { chunk: 100, dropAfter: Infinity, stderr: "tail: '/x/my log.txt' has been replaced;  following new file\n" }];
    const { chunks, f } = await follow(remote, (_o, c) => c.filter((x) => x.kind === 'lines').length === 2);
    expect(chunks.map((c) => c.kind)).toEqual(['lines', 'marker', 'lines']);
    expect(f.offset).toBe(2);
  });

  it('starts at the given offset', async () => {
    const remote = new FakeRemote();
    remote.file = Buffer.from('skip\nkeep\n');
    const { out } = await follow(remote, (o) => o.length === 5, { offset: 5 });
    expect(out.toString()).toBe('keep\n');
  });

  it('parses probes', () => {
    expect(parseProbe('123 456\n')).toEqual({ inode: 123, size: 456 });
    expect(parseProbe('motd\n123 456')).toEqual({ inode: 123, size: 456 });
    expect(parseProbe('- -\n')).toEqual({ inode: null, size: 0 });
    expect(parseProbe('stat: nope')).toBeNull();
  });
});

describe('LineAssembler: display lines from raw bytes, linear and bounded', () => {
  const feed = (parts: (string | Buffer)[], max?: number) => {
    const a = new LineAssembler(max);
    const lines: string[] = [];
    for (const p of parts) lines.push(...a.push(Buffer.isBuffer(p) ? p : Buffer.from(p)));
    return { lines, partial: a.partial };
  };
  it.each([
    ['plain lines', ['a\nb\n'], ['a', 'b'], null],
    ['a tqdm bar keeps its last redraw', ['\r 10%|#  |\r 20%|## |', '\r100%|###|\n'], ['100%|###|'], null],
    ['a trailing \r keeps what was drawn', ['abc\r', '\n'], ['abc'], null],
    ['CRLF split between chunks', ['x\r', '\ny\r\n'], ['x', 'y'], null],
    ['\r-only output is one live line', ['\r1%', '\r2%', '\r3%'], [], '3%'],
    ['an empty redraw shows what was drawn before', ['abc\r\r'], [], 'abc'],
    ['UTF-8 split across chunks', [Buffer.from([0xe8, 0xae]), Buffer.concat([Buffer.from([0xad]), Buffer.from('\n')])], ['训'], null],
  ])('%s', (_n, parts, lines, partial) => {
    expect(feed(parts)).toEqual({ lines, partial });
  });
  it('cuts a line without end at MAX_LINE and says how much it left out', () => {
    const r = feed(['x'.repeat(30), 'y'.repeat(30), '\nnext\n'], 40);
    expect(r.lines).toEqual([`${'x'.repeat(30)}${'y'.repeat(10)}… [rtk-tui: 20 more characters of this line not shown]`, 'next']);
  });
  it('a cut segment that a \\r replaces leaves no note behind; a cut never splits a surrogate pair', () => {
    expect(feed([`${'x'.repeat(30)}\rdone\n`], 10).lines).toEqual(['done']);
    expect(feed(['ab😀\n'], 3).lines).toEqual(['ab… [rtk-tui: 2 more characters of this line not shown]']);
  });
  it('holds at most MAX_LINE characters of a live line however much arrives', () => {
    const a = new LineAssembler(100);
    for (let i = 0; i < 2000; i++) a.push(Buffer.from(`\r${i}% ${'#'.repeat(i % 300)}`));
    expect(a.partial!.length).toBeLessThan(200);
    expect(a.partial!.startsWith('1999% ')).toBe(true);
  });
  it('gives the lines a terminal would show, however the bytes are cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('\r', '\n', '\r\n', 'ünï', '训练')), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
        (pieces, cuts) => {
          const bytes = Buffer.from(pieces.join(''));
          const parts: Buffer[] = [];
          for (let at = 0, k = 0; at < bytes.length; k++) {
            const n = cuts[k % cuts.length]!;
            parts.push(bytes.subarray(at, at + n));
            at += n;
          }
          const text = bytes.toString('utf8');
          const all = text.split('\n');
          const tail = all.pop()!;
          // a line shows its last segment that has text; all of them empty: an empty line
          const want = all.map((l) => l.split('\r').filter((x) => x !== '').pop() ?? '');
          // the same rule the one-line sanitizer applies to a line that still holds its \r's
          for (const [k, l] of all.entries()) if (want[k] !== '') expect(lastRedraw(l)).toBe(want[k]);
          const r = feed(parts);
          expect(r.lines).toEqual(want);
          const live = tail.split('\r').filter((x) => x !== '').pop() ?? null;
          expect(r.partial).toBe(live);
        },
      ),
      { numRuns: 300 },
    );
  });
});

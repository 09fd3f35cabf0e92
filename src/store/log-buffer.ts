// A bounded ring of decoded log lines with monotonically increasing sequence numbers, plus the live
// unterminated line (a tqdm bar) kept apart. Ingest is outside React and O(lines); the UI slices only
// the visible window (tech.md 1.5).
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { LogChunk } from '../domain/types.js';
import { collapseTerminalDetailed, lastRedraw, printableAscii, sanitizeLogLine } from '../parse/terminal.js';

export const DEFAULT_SCROLLBACK = 100_000;
export const DEFAULT_MAX_LINE = 16_384;

/** Lines are packed as UTF-8 into blocks of this size (a longer line gets a block of its own). */
const BLOCK_BYTES = 64 * 1024;

interface Block {
  /** The raw bytes, or null once compressed. */
  buf: Buffer | null;
  /** deflate-raw of buf[0, used) for an old block, once the pool is over its budget. */
  z: Buffer | null;
  used: number;
  /** Lines in this block still kept. */
  live: number;
}

/**
 * Raw (uncompressed) log bytes shared by all the buffers of one store. Past the budget, each block
 * that fills up is compressed (deflate level 1: ~0.3 ms per 64 KiB, 4-10x on training logs), so a
 * million lines of scrollback fit in a modest resident size; below it nothing is compressed.
 */
export class BlockPool {
  rawBytes = 0;
  constructor(readonly budgetBytes = 12 * 1024 * 1024) {}
}

/**
 * Lines live off the V8 heap, packed into 64 KiB blocks, with a ring of (block, start) per line:
 * ~101 bytes per 100-character line instead of ~130 as JS strings, and nothing for the garbage
 * collector to trace. Only the lines on screen are decoded back to strings.
 */
export class LogBuffer {
  readonly capacity: number;
  readonly maxLineLen: number;
  private starts: Uint32Array;
  private blockIds: Uint32Array;
  /** ring index of firstSeq */
  private head = 0;
  private count = 0;
  private blocks: Block[] = [];
  private firstBlockId = 0;
  private readonly pool: BlockPool;
  /** The last blocks inflated for reading. */
  private inflated: { blk: Block; buf: Buffer }[] = [];
  /** Sequence number of the oldest line kept. */
  firstSeq = 0;
  /** Sequence number the next line will get. */
  nextSeq = 0;
  /** The live unterminated line, \r rewrites collapsed; null when the last line ended. */
  partial: string | null = null;
  /** Raw text after the last newline, for ingestText. */
  private pendingRaw = '';
  private markers = new Set<number>();
  /** Text added to pendingBlock from byte pendingAt on, not yet written (see add). */
  private pending = '';
  private pendingBlock: Block | null = null;
  private pendingAt = 0;
  /** Byte offset after the last complete line, as reported by the source. */
  lastOffset: number | null = null;
  /** Bumped on every change; cheap change detection for the UI. */
  version = 0;

  constructor(capacity = DEFAULT_SCROLLBACK, maxLineLen = DEFAULT_MAX_LINE, pool: BlockPool = new BlockPool()) {
    this.pool = pool;
    this.capacity = Math.max(1, Math.floor(capacity));
    this.maxLineLen = Math.max(16, Math.floor(maxLineLen));
    const n = Math.min(this.capacity, 1024);
    this.starts = new Uint32Array(n);
    this.blockIds = new Uint32Array(n);
  }

  get length(): number {
    return this.count;
  }

  /** Sequence number of the newest line, or firstSeq - 1 when empty. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Appends one already-split line (may hold \r rewrites, tabs, ANSI). */
  push(line: string, marker = false): void {
    this.add(line, marker);
    this.flushPending();
  }

  /**
   * Appends a line to the newest block's pending text: a chunk's lines reach the block in one
   * Buffer.write (flushPending), not one each. Printable ASCII, most of any training log, needs
   * no cleaning and is as many bytes as characters.
   */
  private add(line: string, marker: boolean): void {
    let clean: string;
    let bytes: number;
    if (printableAscii(line)) {
      clean = line.length > this.maxLineLen ? line.slice(0, this.maxLineLen) : line;
      bytes = clean.length;
    } else {
      clean = sanitizeLogLine(line, this.maxLineLen);
      bytes = Buffer.byteLength(clean);
    }
    if (this.count === this.capacity) this.evictOldest();
    else if (this.count === this.starts.length) this.grow();
    let blk = this.blocks[this.blocks.length - 1];
    // the newest block is always raw: only full (sealed) blocks get compressed
    if (blk === undefined || bytes > (blk.buf as Buffer).length - blk.used) {
      if (blk !== undefined) this.seal(blk);
      blk = { buf: Buffer.allocUnsafeSlow(Math.max(BLOCK_BYTES, bytes)), z: null, used: 0, live: 0 };
      this.blocks.push(blk);
    }
    if (this.pendingBlock !== blk) {
      this.flushPending();
      this.pendingBlock = blk;
      this.pendingAt = blk.used;
    }
    const i = (this.head + this.count) % this.starts.length;
    this.starts[i] = blk.used;
    this.blockIds[i] = this.firstBlockId + this.blocks.length - 1;
    this.pending += clean;
    blk.used += bytes;
    blk.live++;
    this.count++;
    if (marker) this.markers.add(this.nextSeq);
    this.nextSeq++;
    this.version++;
  }

  /** Writes the pending text into its block (before any read or seal of it). */
  private flushPending(): void {
    const blk = this.pendingBlock;
    if (blk !== null && this.pending !== '' && blk.buf !== null) blk.buf.write(this.pending, this.pendingAt);
    this.pending = '';
    this.pendingBlock = null;
  }

  /** A block is full: count it as raw, or compress it when the pool is over budget. */
  private seal(blk: Block): void {
    if (blk === this.pendingBlock) this.flushPending();
    if (blk.buf === null) return;
    if (this.pool.rawBytes + blk.used > this.pool.budgetBytes) {
      blk.z = deflateRawSync(blk.buf.subarray(0, blk.used), { level: 1 });
      blk.buf = null;
    } else {
      this.pool.rawBytes += blk.used;
    }
  }

  private evictOldest(): void {
    const first = this.blocks[0] as Block;
    first.live--;
    if (first.live === 0 && this.blocks.length > 1) {
      this.blocks.shift();
      this.firstBlockId++;
      this.release(first);
    }
    this.head = (this.head + 1) % this.starts.length;
    this.count--;
    this.markers.delete(this.firstSeq);
    this.firstSeq++;
  }

  /** Gives a dropped sealed block's raw bytes back to the pool. */
  private release(blk: Block): void {
    if (blk.buf !== null && blk !== this.blocks[this.blocks.length - 1]) this.pool.rawBytes -= blk.used;
    this.inflated = this.inflated.filter((x) => x.blk !== blk);
  }

  private bytesOf(blk: Block): Buffer {
    if (blk.buf !== null) return blk.buf;
    const hit = this.inflated.find((x) => x.blk === blk);
    if (hit !== undefined) return hit.buf;
    const buf = inflateRawSync(blk.z as Buffer);
    this.inflated.unshift({ blk, buf });
    if (this.inflated.length > 3) this.inflated.pop();
    return buf;
  }

  private grow(): void {
    const size = Math.min(this.capacity, this.starts.length * 2);
    const starts = new Uint32Array(size);
    const ids = new Uint32Array(size);
    for (let k = 0; k < this.count; k++) {
      const j = (this.head + k) % this.starts.length;
      starts[k] = this.starts[j] as number;
      ids[k] = this.blockIds[j] as number;
    }
    this.starts = starts;
    this.blockIds = ids;
    this.head = 0;
  }

  /** Ingests one chunk from a log source; returns the number of complete lines added. */
  ingest(chunk: LogChunk): number {
    switch (chunk.kind) {
      case 'lines': {
        for (const l of chunk.lines) this.add(l, false);
        this.flushPending();
        this.partial = null;
        this.lastOffset = chunk.offset;
        this.version++;
        return chunk.lines.length;
      }
      case 'partial': {
        const p = sanitizeLogLine(chunk.text, this.maxLineLen);
        this.partial = p === '' ? null : p;
        this.version++;
        return 0;
      }
      case 'marker':
        this.push(chunk.text, true);
        return 1;
    }
  }

  /** Ingests raw text as read from a stream: complete lines plus a carried-over partial line. */
  ingestText(text: string): number {
    const all = this.pendingRaw + text;
    const nl = all.lastIndexOf('\n');
    let added = 0;
    if (nl >= 0 && all.indexOf('\x1b') >= 0 && all.indexOf('\x1b') < nl) {
      // escapes may move the cursor between lines (nested tqdm bars): the terminal rules decide
      for (const l of collapseTerminalDetailed(all.slice(0, nl + 1), this.maxLineLen).lines) {
        this.add(l, false);
        added++;
      }
    } else if (nl >= 0) {
      let start = 0;
      while (start <= nl) {
        const end = all.indexOf('\n', start);
        this.add(all.slice(start, end), false);
        added++;
        start = end + 1;
      }
    }
    this.flushPending();
    // only the state after the last \r matters for a bar; keep the raw tail short
    let rest = all.slice(nl + 1);
    if (rest.length > this.maxLineLen) rest = lastRedraw(rest).slice(-this.maxLineLen);
    this.pendingRaw = rest;
    const p = rest === '' ? '' : sanitizeLogLine(rest, this.maxLineLen);
    this.partial = p === '' ? null : p;
    this.version++;
    return added;
  }

  /** The line with this sequence number, or undefined when evicted or not yet written. */
  get(seq: number): string | undefined {
    if (seq < this.firstSeq || seq >= this.nextSeq) return undefined;
    const n = this.starts.length;
    const i = (this.head + (seq - this.firstSeq)) % n;
    const id = this.blockIds[i] as number;
    const blk = this.blocks[id - this.firstBlockId] as Block;
    const start = this.starts[i] as number;
    let end = blk.used;
    if (seq + 1 < this.nextSeq) {
      const j = (i + 1) % n;
      if (this.blockIds[j] === id) end = this.starts[j] as number;
    }
    return this.bytesOf(blk).toString('utf8', start, end);
  }

  isMarker(seq: number): boolean {
    return this.markers.size > 0 && this.markers.has(seq);
  }

  /** Lines [from, to) clamped to what is kept. */
  slice(from: number, to: number): string[] {
    const a = Math.max(from, this.firstSeq);
    const z = Math.min(to, this.nextSeq);
    const out: string[] = [];
    for (let s = a; s < z; s++) out.push(this.get(s) as string);
    return out;
  }

  clear(): void {
    this.pending = '';
    this.pendingBlock = null;
    const n = Math.min(this.capacity, 1024);
    this.starts = new Uint32Array(n);
    this.blockIds = new Uint32Array(n);
    const current = this.blocks[this.blocks.length - 1];
    for (const b of this.blocks) if (b !== current && b.buf !== null) this.pool.rawBytes -= b.used;
    this.firstBlockId += this.blocks.length;
    this.blocks = [];
    this.inflated = [];
    this.head = 0;
    this.count = 0;
    this.firstSeq = this.nextSeq;
    this.partial = null;
    this.pendingRaw = '';
    this.markers.clear();
    this.version++;
  }
}

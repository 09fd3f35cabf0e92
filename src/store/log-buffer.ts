// A bounded ring of decoded log lines with monotonically increasing sequence numbers, plus the live
// unterminated line (a tqdm bar) kept apart. Ingest is outside React and O(lines); the UI slices only
// the visible window (tech.md 1.5).
import type { LogChunk } from '../domain/types.js';
import { sanitizeLogLine, collapseCarriage } from './sanitize.js';

export const DEFAULT_SCROLLBACK = 100_000;
export const DEFAULT_MAX_LINE = 16_384;

export class LogBuffer {
  readonly capacity: number;
  readonly maxLineLen: number;
  private ring: (string | undefined)[];
  /** ring index of firstSeq */
  private head = 0;
  private count = 0;
  /** Sequence number of the oldest line kept. */
  firstSeq = 0;
  /** Sequence number the next line will get. */
  nextSeq = 0;
  /** The live unterminated line, \r rewrites collapsed; null when the last line ended. */
  partial: string | null = null;
  /** Raw text after the last newline, for ingestText. */
  private pendingRaw = '';
  private markers = new Set<number>();
  /** Byte offset after the last complete line, as reported by the source. */
  lastOffset: number | null = null;
  /** Bumped on every change; cheap change detection for the UI. */
  version = 0;

  constructor(capacity = DEFAULT_SCROLLBACK, maxLineLen = DEFAULT_MAX_LINE) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.maxLineLen = Math.max(16, Math.floor(maxLineLen));
    this.ring = new Array<string | undefined>(Math.min(this.capacity, 1024));
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
    const clean = sanitizeLogLine(line, this.maxLineLen);
    if (this.count === this.capacity) {
      // overwrite the oldest
      this.ring[this.head] = clean;
      this.head = (this.head + 1) % this.capacity;
      this.markers.delete(this.firstSeq);
      this.firstSeq++;
    } else {
      if (this.count === this.ring.length) this.grow();
      this.ring[(this.head + this.count) % this.ring.length] = clean;
      this.count++;
    }
    if (marker) this.markers.add(this.nextSeq);
    this.nextSeq++;
    this.version++;
  }

  private grow(): void {
    const size = Math.min(this.capacity, this.ring.length * 2);
    const next = new Array<string | undefined>(size);
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }

  /** Ingests one chunk from a log source; returns the number of complete lines added. */
  ingest(chunk: LogChunk): number {
    switch (chunk.kind) {
      case 'lines': {
        for (const l of chunk.lines) this.push(l);
        this.partial = null;
        this.lastOffset = chunk.offset;
        this.version++;
        return chunk.lines.length;
      }
      case 'partial': {
        const p = sanitizeLogLine(collapseCarriage(chunk.text), this.maxLineLen);
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
    if (nl >= 0) {
      let start = 0;
      while (start <= nl) {
        const end = all.indexOf('\n', start);
        this.push(all.slice(start, end));
        added++;
        start = end + 1;
      }
    }
    // only the state after the last \r matters for a bar; keep the raw tail short
    let rest = all.slice(nl + 1);
    if (rest.length > this.maxLineLen) rest = collapseCarriage(rest).slice(-this.maxLineLen);
    this.pendingRaw = rest;
    const p = rest === '' ? '' : sanitizeLogLine(collapseCarriage(rest), this.maxLineLen);
    this.partial = p === '' ? null : p;
    this.version++;
    return added;
  }

  /** The line with this sequence number, or undefined when evicted or not yet written. */
  get(seq: number): string | undefined {
    if (seq < this.firstSeq || seq >= this.nextSeq) return undefined;
    return this.ring[(this.head + (seq - this.firstSeq)) % this.ring.length];
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
    this.ring = new Array<string | undefined>(Math.min(this.capacity, 1024));
    this.head = 0;
    this.count = 0;
    this.firstSeq = this.nextSeq;
    this.partial = null;
    this.pendingRaw = '';
    this.markers.clear();
    this.version++;
  }
}

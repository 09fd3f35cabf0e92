// Following a remote log with `tail -c +OFF -F`, surviving any number of dropped streams/connections:
// no byte lost, none doubled. Every byte is passed on (onBytes) as it arrives and counted; after a
// drop we probe the file (inode + size) and resume from the next byte, or start again from 0 with a
// marker when the file was truncated or replaced (tech.md section 6).
// For display, the bytes are decoded once, as a stream, into lines: a `\r` rewrite (tqdm) keeps only
// its last segment, and a line without end is cut at MAX_LINE characters with a visible note, so any
// input costs linear time and bounded memory (a run that prints 4 MB of `\r` and no `\n` included).
import type { LogChunk, Result, RtkError } from '../domain/types.js';
import { MAX_LINE } from '../parse/terminal.js';
import type { Host, StreamHandle } from '../remote/host.js';
import { remotePath } from './runs.js';

export const RESTART_MARKER = '--- rtk-tui: log truncated/replaced, starting again ---';

export interface FileProbe {
  /** null when the file does not exist (yet). */
  inode: number | null;
  size: number;
}

export interface LogFollowerOptions {
  host: Host;
  /** The remote path; a leading ~/ is the remote HOME. */
  path: string;
  /** Byte offset to start at: the byte after the last one already shown. Default 0. */
  offset?: number;
  /** Inode of the file that `offset` belongs to, when known (else the first probe's is taken). */
  inode?: number | null;
  /** Lines for display (no \r or \n in them), and the live line still being written. */
  onChunk: (chunk: LogChunk) => void;
  /** The raw bytes, exactly as in the file, as they arrive (what `logs -f` prints to a pipe). */
  onBytes?: (bytes: Buffer) => void;
  /** false: no display lines are made (onChunk gets markers only). Default true. */
  display?: boolean;
  /** Called when the stream drops, reconnects or cannot be started. */
  onStatus?: (s: { phase: 'streaming' | 'reconnecting'; error: RtkError | null; offset?: number }) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
}

// not unref()d: while following, the backoff timer may be the only thing keeping the process alive
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The probe command: `INODE SIZE`, or `- -` when the file is missing. GNU stat, then BSD. */
export function probeCommand(path: string): string {
  const p = remotePath(path);
  return `stat -L -c '%i %s' -- ${p} 2>/dev/null || stat -L -f '%i %z' -- ${p} 2>/dev/null || echo '- -'`;
}

export function parseProbe(text: string): FileProbe | null {
  const m = /(\d+|-) (\d+|-)\s*$/.exec(text.trim());
  if (!m) return null;
  if (m[1] === '-') return { inode: null, size: 0 };
  return { inode: Number(m[1]), size: Number(m[2]) };
}

export function tailCommand(path: string, offset: number): string {
  return `exec tail -c +${offset + 1} -F -- ${remotePath(path)}`;
}

const TAIL_RESTART = /file truncated|has been replaced|has appeared/;

/**
 * Bytes in, display lines out: a streaming decode, then a small state machine over \r and \n. The
 * current line is held as its last finished \r segment (`carry`) and the segment being written
 * (`seg`), each at most MAX_LINE characters: nothing grows with the length of a line.
 */
export class LineAssembler {
  private decoder = new TextDecoder('utf-8', { fatal: false });
  private seg = '';
  private carry = '';
  /** Characters (UTF-16 units) of `seg` / `carry` not kept (past maxLine). */
  private dropped = 0;
  private carryDropped = 0;

  constructor(private readonly maxLine = MAX_LINE) {}

  /** Forget the current line (the file started again). */
  reset(): void {
    this.decoder = new TextDecoder('utf-8', { fatal: false });
    this.seg = '';
    this.carry = '';
    this.dropped = 0;
    this.carryDropped = 0;
  }

  /** The live line as a terminal would show it now, or null when there is none. */
  get partial(): string | null {
    if (this.seg !== '') return withNote(this.seg, this.dropped);
    return this.carry === '' ? null : withNote(this.carry, this.carryDropped);
  }

  /** Feed bytes; returns the lines they completed. One pass: each \n and \r is looked for once. */
  push(bytes: Buffer): string[] {
    const text = this.decoder.decode(bytes, { stream: true });
    const lines: string[] = [];
    const n = text.length;
    let at = 0;
    // the next \r at or after `at` (-1: none left in this text)
    let cr = text.indexOf('\r');
    while (at < n) {
      const nl = text.indexOf('\n', at);
      const end = nl < 0 ? n : nl;
      for (;;) {
        if (cr !== -1 && cr < at) cr = text.indexOf('\r', at);
        const stop = cr !== -1 && cr < end ? cr : end;
        if (stop > at) this.append(text, at, stop);
        if (stop === end) break;
        // \r: the segment is drawn; what follows overwrites it
        if (this.seg !== '') {
          this.carry = this.seg;
          this.carryDropped = this.dropped;
        }
        this.seg = '';
        this.dropped = 0;
        at = stop + 1;
      }
      if (nl < 0) break;
      lines.push(this.finishLine());
      at = nl + 1;
    }
    return lines;
  }

  private append(text: string, from: number, to: number): void {
    let room = this.maxLine - this.seg.length;
    if (room <= 0) {
      this.dropped += to - from;
      return;
    }
    if (to - from <= room) {
      this.seg += text.slice(from, to);
      return;
    }
    // never keep half of a surrogate pair
    const hi = text.charCodeAt(from + room - 1);
    if (hi >= 0xd800 && hi <= 0xdbff) room--;
    this.seg += text.slice(from, from + room);
    this.dropped += to - from - room;
  }

  private finishLine(): string {
    const line = this.seg !== '' ? withNote(this.seg, this.dropped) : withNote(this.carry, this.carryDropped);
    this.seg = '';
    this.carry = '';
    this.dropped = 0;
    this.carryDropped = 0;
    return line;
  }
}

function withNote(t: string, dropped: number): string {
  return dropped > 0 ? `${t}… [rtk-tui: ${dropped} more characters of this line not shown]` : t;
}

export class LogFollower {
  private committed: number;
  private inode: number | null;
  private readonly lines = new LineAssembler();
  private stream: StreamHandle | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private done: Promise<void> | null = null;

  constructor(private readonly o: LogFollowerOptions) {
    this.committed = o.offset ?? 0;
    this.inode = o.inode ?? null;
  }

  /** Byte offset just after the last byte delivered. */
  get offset(): number {
    return this.committed;
  }

  /** Runs until stop(); resolves then. */
  run(): Promise<void> {
    this.done ??= this.loop();
    return this.done;
  }

  stop(): void {
    this.stopped = true;
    this.stream?.close();
    this.wake?.();
  }

  private async loop(): Promise<void> {
    const sleep = this.o.sleep ?? defaultSleep;
    const min = this.o.minBackoffMs ?? 200;
    const max = this.o.maxBackoffMs ?? 5000;
    let backoff = min;
    let first = true;
    while (!this.stopped) {
      if (!first) {
        // jitter keeps many followers from reconnecting in lockstep
        const wait = Math.round(backoff * (0.75 + Math.random() * 0.5));
        await Promise.race([sleep(wait), new Promise<void>((r) => (this.wake = r))]);
        this.wake = null;
        if (this.stopped) break;
        backoff = Math.min(max, backoff * 2);
      }
      first = false;
      const probe = await this.probe();
      if (this.stopped) break;
      if (!probe.ok) {
        this.o.onStatus?.({ phase: 'reconnecting', error: probe.error });
        continue;
      }
      this.reconcile(probe.value);
      const started = await this.o.host.stream(tailCommand(this.o.path, this.committed));
      if (this.stopped) {
        if (started.ok) started.value.close();
        break;
      }
      if (!started.ok) {
        this.o.onStatus?.({ phase: 'reconnecting', error: started.error });
        continue;
      }
      // streaming again from this byte of the file (0 after a restart)
      this.o.onStatus?.({ phase: 'streaming', error: null, offset: this.committed });
      const gotData = await this.pump(started.value);
      if (gotData) backoff = min;
      if (!this.stopped) this.o.onStatus?.({ phase: 'reconnecting', error: null });
    }
  }

  private async probe(): Promise<Result<FileProbe>> {
    const r = await this.o.host.exec(probeCommand(this.o.path), { timeoutMs: 15_000, shared: true });
    if (!r.ok) return r;
    const p = parseProbe(r.value.stdout.toString('utf8'));
    if (!p) return { ok: false, error: { kind: 'parse', message: `could not read the size of ${this.o.path} on ${this.o.host.name}` } };
    return { ok: true, value: p };
  }

  /** Decide where to resume: same file and not shorter -> the committed offset; else from 0 with a marker. */
  private reconcile(p: FileProbe): void {
    if (p.inode === null) {
      // missing right now: tail -F waits for it and reports "has appeared"
      if (this.committed > 0) this.restart();
      return;
    }
    const replaced = this.inode !== null && p.inode !== this.inode;
    if (replaced || p.size < this.committed) this.restart();
    this.inode = p.inode;
  }

  private restart(): void {
    // a file that shows up for the first time is no restart: nothing of it was shown yet
    const shown = this.committed > 0;
    this.committed = 0;
    this.lines.reset();
    if (shown) this.o.onChunk({ kind: 'marker', text: RESTART_MARKER });
  }

  /** Feed one stream until it closes; true when it delivered any bytes. */
  private pump(s: StreamHandle): Promise<boolean> {
    this.stream = s;
    let got = false;
    let errText = '';
    return new Promise<boolean>((resolve) => {
      s.onData((chunk: Buffer) => {
        if (this.stopped || this.stream !== s) return;
        got = true;
        this.feed(chunk);
      });
      s.onStderr((chunk: Buffer) => {
        if (this.stopped || this.stream !== s) return;
        errText += chunk.toString('utf8');
        let nl: number;
        while ((nl = errText.indexOf('\n')) >= 0) {
          const line = errText.slice(0, nl);
          errText = errText.slice(nl + 1);
          if (TAIL_RESTART.test(line)) {
            // tail starts the new content from its byte 0; the old inode is no longer ours
            this.inode = null;
            this.restart();
          }
        }
      });
      s.onClose(() => {
        if (this.stream === s) this.stream = null;
        resolve(got);
      });
    });
  }

  private feed(chunk: Buffer): void {
    this.committed += chunk.length;
    this.o.onBytes?.(chunk);
    if (this.o.display === false) return;
    const done = this.lines.push(chunk);
    if (done.length > 0) this.o.onChunk({ kind: 'lines', lines: done, offset: this.committed });
    const live = this.lines.partial;
    if (live !== null) this.o.onChunk({ kind: 'partial', text: live });
  }
}

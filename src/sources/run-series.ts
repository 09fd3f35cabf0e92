// A run's metrics over its whole log, for the run card: the log is read from the run's first byte
// once (streamed, never held: the series builder keeps bounded, downsampled points), then only what
// was appended since, each time the card refreshes. A log replaced or truncated is read again.
import { StringDecoder } from 'node:string_decoder';
import { err, ok, type Result } from '../domain/types.js';
import { newSeriesBuilder, type SeriesBuilder } from '../parse/series.js';
import type { Host } from '../remote/host.js';
import { parseProbe, probeCommand } from './log-follow.js';
import { remotePath } from './runs.js';

/** Past this, only the log's last MAX_READ bytes are read (and the card says from where). */
export const MAX_READ = 1024 ** 3;

export interface SeriesReadState {
  path: string;
  /** Where this run's output begins in the file (@rtk_log_start), or where reading began. */
  from: number;
  /** Byte offset read up to. */
  offset: number;
  inode: number | null;
  builder: SeriesBuilder;
  decoder: StringDecoder;
}

/** The bytes [offset, size) of the file, exactly: tail from the offset, cut at the size probed. */
export function rangeCommand(path: string, offset: number, size: number): string {
  return `tail -c +${offset + 1} -- ${remotePath(path)} | head -c ${size - offset}`;
}

/**
 * Reads what the state has not seen yet (everything, with no state) into its builder. `start` is
 * the run's first byte in the file. Resolves with the new state (the same object, moved on).
 */
export async function readSeries(
  host: Host,
  path: string,
  start: number,
  prev: SeriesReadState | null,
  opts: { onBytes?: (n: number) => void; signal?: AbortSignal; timeLimitMs?: number } = {},
): Promise<Result<SeriesReadState>> {
  const p = await host.exec(probeCommand(path), { timeoutMs: 15_000 });
  if (!p.ok) return p;
  const probe = parseProbe(p.value.stdout.toString('utf8'));
  if (probe === null) return err('exit', `could not read the size of ${path} on ${host.name}`);
  if (probe.inode === null) return err('not-found', `${path} is not on ${host.name} (any more)`);
  let st = prev;
  if (st === null || st.path !== path || st.inode !== probe.inode || probe.size < st.offset) {
    const from = probe.size - start > MAX_READ ? probe.size - MAX_READ : Math.min(start, probe.size);
    st = { path, from, offset: from, inode: probe.inode, builder: newSeriesBuilder(), decoder: new StringDecoder('utf8') };
  }
  if (probe.size === st.offset) return ok(st);
  const s = await host.stream(rangeCommand(path, st.offset, probe.size));
  if (!s.ok) return s;
  const state = st;
  const stream = s.value;
  let got = 0;
  // closing the card (or a read past its time) ends the remote read; what came is kept
  let stopped: string | null = null;
  const stop = (why: string) => {
    stopped ??= why;
    stream.close();
  };
  const onAbort = () => stop('stopped');
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) stop('stopped');
  const timer = setTimeout(() => stop(`reading ${path} took longer than ${Math.round((opts.timeLimitMs ?? READ_TIME_LIMIT_MS) / 1000)} s`), opts.timeLimitMs ?? READ_TIME_LIMIT_MS);
  timer.unref?.();
  return new Promise((resolve) => {
    stream.onData((b) => {
      if (stopped !== null) return;
      got += b.length;
      state.builder.push(state.decoder.write(b));
      opts.onBytes?.(got);
    });
    stream.onStderr(() => undefined);
    stream.onClose((code, e) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // every byte fed to the builder is read: the next refresh goes on from there, also after an error
      state.offset += got;
      if (stopped !== null) return resolve(err('timeout', stopped));
      if (e) return resolve(err(e.kind, e.message));
      if (code !== 0 && got === 0) return resolve(err('exit', `could not read ${path} on ${host.name} (exit status ${code})`));
      resolve(ok(state));
    });
  });
}

/** A first read of a long log over a slow link stops here; the next refresh goes on from where it got. */
export const READ_TIME_LIMIT_MS = 5 * 60_000;

// Searching a run's whole log on its host (the log pane keeps only its last lines): one `grep` through
// the host's exec, fixed strings or an extended regex, bounded in matches, bytes per line, bytes in
// all and time; and reading a region of the file around a match (`tail -n +N | head`). The pattern
// and the path are hostile: both are single-quoted words after `-e` / `--`, never an option.
import { err, ok, type Result } from '../domain/types.js';
import { parseGrep, parseRegion, type GrepHit, type Region } from '../parse/grep.js';
import type { Host } from '../remote/host.js';
import { remoteOperand, shq } from '../remote/quote.js';

/** Matches listed at most (grep is asked for one more, to say there are more). */
export const GREP_MAX_MATCHES = 500;
/** Bytes kept of each output line (grep's `N:` prefix included). */
export const GREP_LINE_BYTES = 500;
/** Bytes of the whole reply. */
export const GREP_REPLY_BYTES = 1024 * 1024;
/** Bytes of each line that grep sees (cut streams; grep would hold a whole line, however long). */
export const GREP_SCAN_BYTES = 16 * 1024;
/** Seconds grep may run on the host (where `timeout` exists; the exec gives up a little later anyway). */
export const GREP_TIMEOUT_S = 30;
/** Lines of a region read around a match. */
export const REGION_LINES = 200;
const REGION_LINE_BYTES = 4000;

export interface GrepRequest {
  /** The run's log file as the run reports it (a leading ~/ is the remote HOME). */
  path: string;
  /** Where this run's part of the log begins (bytes); null or 0: the whole file. */
  logStart: number | null;
  pattern: string;
  /** Extended regex (`grep -E`); else a fixed string (`grep -F`). */
  regex: boolean;
  ignoreCase: boolean;
}

export interface GrepReply {
  hits: GrepHit[];
  /** More matches than GREP_MAX_MATCHES. */
  more: boolean;
  /** Why the list may be incomplete (the byte cap, the time limit); null when it is not. */
  note: string | null;
}

const MARK = '@@rtk-rc ';

/** `f=PATH` and a check that it exists; the reading command reads "$f" after `--`. */
function fileHead(path: string): string {
  return [`f=${remoteOperand(path)}`, `if [ ! -e "$f" ]; then echo 'rtk-tui: the log file does not exist' >&2; exit 3; fi`].join('\n');
}

/** The file's bytes from logStart on, as the start of a pipeline (tail reads them). */
function source(logStart: number | null): string | null {
  return logStart !== null && logStart > 0 ? `tail -c +${Math.floor(logStart) + 1} -- "$f"` : null;
}

export function grepCommand(r: GrepRequest, max = GREP_MAX_MATCHES): string {
  const from = source(r.logStart);
  // -a: a binary log is searched as text; -h: never a file name in front; -C 1: one line of context
  const flags = ['-a', '-n', '-h', '-C', '1', '-m', String(max + 1), r.regex ? '-E' : '-F', ...(r.ignoreCase ? ['-i'] : [])].join(' ');
  const grep = `LC_ALL=C $T grep ${flags} -e ${shq(r.pattern)}`;
  // lines are cut BEFORE grep (line numbers stay): grep holds a whole line in memory, and a tqdm log
  // written with \r only is one line of gigabytes; cut streams. A match past a line's first
  // GREP_SCAN_BYTES is not found.
  const pre = `${from === null ? `LC_ALL=C $T cut -b 1-${GREP_SCAN_BYTES} -- "$f"` : `${from} | LC_ALL=C cut -b 1-${GREP_SCAN_BYTES}`}`;
  return [
    fileHead(r.path),
    // a busy host must not grep a 100 GB file for ever: GNU/busybox timeout where there is one
    `T=; if timeout 1 true >/dev/null 2>&1; then T='timeout ${GREP_TIMEOUT_S}'; fi`,
    `{ ${pre} | ${grep}; printf '${MARK}%s\\n' "$?" >&2; } | LC_ALL=C cut -b 1-${GREP_LINE_BYTES} | head -c ${GREP_REPLY_BYTES}`,
  ].join('\n');
}

/** Lines [from, from + count) of the run's part of the log. */
export function regionCommand(path: string, logStart: number | null, from: number, count = REGION_LINES): string {
  const src = source(logStart);
  const a = Math.max(1, Math.floor(from));
  const read = src === null ? `tail -n +${a} -- "$f"` : `${src} | tail -n +${a}`;
  return [fileHead(path), `${read} | head -n ${Math.max(1, Math.floor(count))} | LC_ALL=C cut -b 1-${REGION_LINE_BYTES} | head -c ${GREP_REPLY_BYTES}`].join('\n');
}

/** grep's exit status as the script reported it on stderr, and the rest of stderr. */
function statusOf(stderr: string): { rc: number | null; text: string } {
  const i = stderr.lastIndexOf(MARK);
  if (i < 0) return { rc: null, text: stderr.trim() };
  const rc = Number.parseInt(stderr.slice(i + MARK.length), 10);
  return { rc: Number.isFinite(rc) ? rc : null, text: (stderr.slice(0, i) + stderr.slice(i).replace(/^[^\n]*\n?/, '')).trim() };
}

/** First line of an error text, short (sanitized by the store's message line like any other). */
const firstLine = (t: string): string => t.split('\n').find((l) => l.trim() !== '')?.slice(0, 200) ?? '';

export async function searchLog(host: Host, r: GrepRequest): Promise<Result<GrepReply>> {
  const x = await host.exec(grepCommand(r), { timeoutMs: (GREP_TIMEOUT_S + 15) * 1000, maxBytes: GREP_REPLY_BYTES + 64 * 1024 });
  if (!x.ok) return x;
  const { stdout, stderr, code } = x.value;
  const st = statusOf(stderr.toString('utf8'));
  if (code === 3) return err('io', `${r.path} on ${host.name}: the log file does not exist (any more)`);
  const cut = stdout.length >= GREP_REPLY_BYTES;
  // 0: found, 1: none; 124: timed out (what it found so far stands); 141: cut off by the byte cap
  if (st.rc === 2 || (st.rc !== null && st.rc > 2 && st.rc !== 124 && !(cut && st.rc === 141))) {
    const why = firstLine(st.text);
    return err('exit', `grep on ${host.name} failed${why !== '' ? `: ${why}` : ''}${r.regex ? ' (is it a valid extended regex?)' : ''}`, { code: st.rc });
  }
  if (st.rc === null && code !== 0) return err('exit', `grep on ${host.name} ended with status ${code ?? 'signal'}${st.text !== '' ? `: ${firstLine(st.text)}` : ''}`);
  const p = parseGrep(stdout.toString('utf8'), GREP_MAX_MATCHES, !cut);
  const note = st.rc === 124 ? `grep stopped after ${GREP_TIMEOUT_S} s: the matches found so far` : cut ? 'the reply reached 1 MiB: the matches up to there' : null;
  return ok({ hits: p.hits, more: p.more, note });
}

export async function readRegion(host: Host, path: string, logStart: number | null, from: number, count = REGION_LINES): Promise<Result<Region>> {
  const x = await host.exec(regionCommand(path, logStart, from, count), { timeoutMs: 30_000, maxBytes: GREP_REPLY_BYTES + 64 * 1024 });
  if (!x.ok) return x;
  if (x.value.code === 3) return err('io', `${path} on ${host.name}: the log file does not exist (any more)`);
  const out = x.value.stdout;
  return ok(parseRegion(out.toString('utf8'), Math.max(1, Math.floor(from)), out.length < GREP_REPLY_BYTES));
}

// tmux list-panes output -> sessions. Pure; never throws.
//
// tmux prints control characters and non-ASCII as `_` unless the client is UTF-8 (`tmux -u`), and
// with `-u` it prints option values raw, newlines included. So every free-text field is written
// length-prefixed (`#{n:x}` is its length in bytes), `LEN:VALUE`, and parsed by byte count: a value
// can hold spaces, quotes, `;`, `$(...)`, newlines or the separator itself without breaking a record.
import type { TmuxSession } from '../domain/types.js';

const NUMERIC = [
  'session_id',
  'window_index',
  'pane_index',
  'pane_pid',
  'pane_dead',
  'pane_dead_status',
  'session_created',
  'session_attached',
  'session_activity',
  'window_activity',
  'session_windows',
] as const;

const TEXT = [
  'session_name',
  'pane_current_path',
  'pane_current_command',
  '@rtk_log',
  '@rtk_checkpoints',
  '@rtk_cmd',
  '@rtk_cwd',
  '@rtk_exit',
  '@rtk_log_start',
] as const;

const TAG = 'RTKP';

/** The -F format for `tmux -u list-panes -a`: one record per pane. Pass it through shq. */
export const TMUX_PANE_FORMAT =
  TAG + NUMERIC.map((f) => ` #{${f}}`).join('') + TEXT.map((f) => ` #{n:${f}}:#{${f}}`).join('');

/** A session as parsed, with tmux's session id (`$3`) and every pane's pid (for GPU process mapping). */
export interface TmuxSessionRow extends TmuxSession {
  id: string;
  panePids: number[];
}

/** tmux's exit message when there is no server (or no socket) yet: that means no sessions. */
export function isNoServerMessage(text: string): boolean {
  return /no server running|error connecting to/i.test(text);
}

const num = (s: string | undefined): number | null => {
  if (s === undefined || s === '' || !/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
};

interface PaneRecord {
  n: Record<(typeof NUMERIC)[number], string>;
  t: Record<(typeof TEXT)[number], string>;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Parse one record starting at `pos` (just after the tag); returns null when it does not fit. */
function parseRecord(buf: Buffer, start: number): { rec: PaneRecord; end: number } | null {
  let pos = start;
  const n = {} as PaneRecord['n'];
  for (const f of NUMERIC) {
    if (buf[pos] !== 0x20) return null;
    pos++;
    let end = pos;
    while (end < buf.length && buf[end] !== 0x20 && buf[end] !== 0x0a) end++;
    n[f] = buf.toString('latin1', pos, end);
    pos = end;
  }
  const t = {} as PaneRecord['t'];
  for (const f of TEXT) {
    if (buf[pos] !== 0x20) return null;
    pos++;
    let colon = pos;
    while (colon < buf.length && colon - pos < 12 && buf[colon] !== 0x3a) colon++;
    if (buf[colon] !== 0x3a) return null;
    const len = num(buf.toString('latin1', pos, colon));
    if (len === null || len < 0 || colon + 1 + len > buf.length) return null;
    t[f] = decoder.decode(buf.subarray(colon + 1, colon + 1 + len));
    pos = colon + 1 + len;
  }
  if (pos < buf.length && buf[pos] !== 0x0a) return null;
  return { rec: { n, t }, end: pos };
}

/**
 * Parse `tmux -u list-panes -a -F TMUX_PANE_FORMAT` output. Lines that are not records (login noise,
 * tmux warnings) are skipped; a record that does not parse is skipped, never guessed.
 */
export function parseTmuxPanes(out: Buffer | string): TmuxSessionRow[] {
  const buf = typeof out === 'string' ? Buffer.from(out, 'utf8') : out;
  const tag = Buffer.from(TAG, 'latin1');
  const byId = new Map<string, { row: TmuxSessionRow; win: number; pane: number }>();
  let pos = 0;
  while (pos < buf.length) {
    const lineStart = pos === 0 || buf[pos - 1] === 0x0a;
    if (lineStart && buf.subarray(pos, pos + tag.length).equals(tag)) {
      const r = parseRecord(buf, pos + tag.length);
      if (r) {
        addPane(byId, r.rec);
        pos = r.end + 1;
        continue;
      }
    }
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    pos = nl + 1;
  }
  return [...byId.values()].map((v) => v.row);
}

function addPane(byId: Map<string, { row: TmuxSessionRow; win: number; pane: number }>, rec: PaneRecord): void {
  const { n, t } = rec;
  const id = n.session_id;
  if (!/^\$\d+$/.test(id) || t.session_name === '') return;
  const win = num(n.window_index) ?? Number.MAX_SAFE_INTEGER;
  const pane = num(n.pane_index) ?? Number.MAX_SAFE_INTEGER;
  const pid = num(n.pane_pid);
  const prev = byId.get(id);
  if (prev) {
    if (pid !== null && pid > 0) prev.row.panePids.push(pid);
    if (win > prev.win || (win === prev.win && pane >= prev.pane)) return;
  }
  const text = (s: string): string | null => (s === '' ? null : s);
  const activity = [num(n.session_activity), num(n.window_activity)].filter((x): x is number => x !== null && x > 0);
  const row: TmuxSessionRow = {
    id,
    name: t.session_name,
    createdAt: num(n.session_created),
    attachedClients: num(n.session_attached) ?? 0,
    activityAt: activity.length ? Math.max(...activity) : null,
    windows: num(n.session_windows) ?? 1,
    panePid: pid,
    paneDead: n.pane_dead === '1',
    paneDeadStatus: n.pane_dead === '1' ? num(n.pane_dead_status) : null,
    paneCurrentPath: text(t.pane_current_path),
    paneCurrentCommand: text(t.pane_current_command),
    options: {
      log: text(t['@rtk_log']),
      checkpoints: text(t['@rtk_checkpoints']),
      cmd: text(t['@rtk_cmd']),
      cwd: text(t['@rtk_cwd']),
      exit: num(t['@rtk_exit'].trim()),
      logStart: num(t['@rtk_log_start'].trim()),
    },
    panePids: prev ? prev.row.panePids : pid !== null && pid > 0 ? [pid] : [],
  };
  byId.set(id, { row, win, pane });
}

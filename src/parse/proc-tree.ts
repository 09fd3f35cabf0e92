// Process tables → which run owns a GPU process. A run is a tmux session; its panes' processes and
// all their descendants (torchrun workers, DDP ranks, dataloader forks) belong to it.

export interface ProcEntry {
  ppid: number;
  comm: string;
  /** From the long ps form (parseProcDetails) only. */
  user?: string;
  cpuPercent?: number;
  rssKiB?: number;
  elapsedSeconds?: number;
  /** The command line as ps printed it, cut to ARGS_MAX; raw host bytes: sanitise before a screen. */
  args?: string;
}

/** The fields of the long ps form, args last (it may hold blanks and anything else). */
export const PS_DETAIL_FIELDS = 'pid=,ppid=,user=,pcpu=,rss=,etimes=,args=';
const ARGS_MAX = 4096;
const DETAIL = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\d+(?:\.\d+)?)\s+(\d+)\s+(\d+)(?:\s(.*))?$/;

/**
 * `ps -eo pid=,ppid=,user=,pcpu=,rss=,etimes=,args=` lines (run under LC_ALL=C, so pcpu has a
 * point) → the table with each process's owner, CPU %, RSS, age and command line. The command name
 * is argv[0]'s last path part. Lines that do not fit are skipped.
 */
export function parseProcDetails(text: string): ProcTable {
  const table: ProcTable = new Map();
  for (const line of text.split(/\r?\n/)) {
    const m = DETAIL.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const ppid = Number(m[2]);
    if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(ppid)) continue;
    const args = (m[7] ?? '').trim().slice(0, ARGS_MAX);
    const argv0 = args.split(/\s/, 1)[0] ?? '';
    const e: ProcEntry = { ppid, comm: argv0.slice(argv0.lastIndexOf('/') + 1).slice(0, 64), user: m[3] as string, args };
    const cpu = Number(m[4]);
    const rss = Number(m[5]);
    const age = Number(m[6]);
    if (Number.isFinite(cpu)) e.cpuPercent = cpu;
    if (Number.isSafeInteger(rss)) e.rssKiB = rss;
    if (Number.isSafeInteger(age)) e.elapsedSeconds = age;
    table.set(pid, e);
  }
  return table;
}

/** pid → parent and command name. */
export type ProcTable = Map<number, ProcEntry>;

/**
 * Parse `ps -eo pid=,ppid=,comm=` lines, or `/proc/[0-9]*\/stat` lines (`pid (comm) S ppid …`, the
 * fallback where ps is missing). Garbage lines are ignored.
 */
export function parseProcTable(text: string): ProcTable {
  const table: ProcTable = new Map();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    // /proc stat: comm may hold spaces and parentheses, so cut at the LAST ')'
    const open = line.indexOf(' (');
    const close = line.lastIndexOf(') ');
    if (open > 0 && close > open && /^\d+$/.test(line.slice(0, open))) {
      const rest = line.slice(close + 2).split(' ');
      const pid = Number(line.slice(0, open));
      const ppid = Number(rest[1]);
      if (Number.isSafeInteger(pid) && Number.isSafeInteger(ppid) && /^\d+$/.test(rest[1] ?? '')) {
        table.set(pid, { ppid, comm: line.slice(open + 2, close) });
        continue;
      }
    }
    const m = /^(\d+)\s+(\d+)(?:\s+(.*))?$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const ppid = Number(m[2]);
    if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(ppid)) continue;
    table.set(pid, { ppid, comm: m[3] ?? '' });
  }
  return table;
}

export interface PaneRef {
  runId: string;
  panePid: number;
}

/**
 * The run owning `pid`: walk up the parent chain until a pane's process is met. null for processes
 * outside every pane (another user's job, a container's host pid that is not in our table).
 */
export function runOfPid(pid: number, table: ProcTable, panes: readonly PaneRef[]): string | null {
  const byPid = new Map<number, string>();
  for (const p of panes) byPid.set(p.panePid, p.runId);
  return walk(pid, table, byPid);
}

function walk(pid: number, table: ProcTable, byPid: Map<number, string>): string | null {
  let cur = pid;
  // a cycle cannot happen in a real table, but a garbled one must not hang us
  for (let depth = 0; depth < 256; depth++) {
    const run = byPid.get(cur);
    if (run !== undefined) return run;
    const e = table.get(cur);
    if (!e || e.ppid === cur || e.ppid <= 0) return null;
    cur = e.ppid;
  }
  return null;
}

/** Map many pids at once. */
export function mapPidsToRuns(pids: readonly number[], table: ProcTable, panes: readonly PaneRef[]): Map<number, string | null> {
  const byPid = new Map<number, string>();
  for (const p of panes) byPid.set(p.panePid, p.runId);
  const out = new Map<number, string | null>();
  for (const pid of pids) out.set(pid, walk(pid, table, byPid));
  return out;
}

/**
 * `tmux list-panes -a -F '#{pane_pid} #{session_name}'` → panes, run id `HOST:SESSION`. The session
 * name is the rest of the line (it may hold spaces; tmux shows control characters as `_`).
 */
export function parsePaneList(text: string, host: string): PaneRef[] {
  const out: PaneRef[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = /^(\d+) (.+)$/.exec(raw);
    if (!m) continue;
    const pid = Number(m[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    out.push({ runId: `${host}:${m[2]}`, panePid: pid });
  }
  return out;
}

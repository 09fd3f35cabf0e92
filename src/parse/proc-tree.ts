// Process tables → which run owns a GPU process. A run is a tmux session; its panes' processes and
// all their descendants (torchrun workers, DDP ranks, dataloader forks) belong to it.

export interface ProcEntry {
  ppid: number;
  comm: string;
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

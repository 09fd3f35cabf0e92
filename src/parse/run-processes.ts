// Which processes on a host belong to a run, for `kill`: its panes' process trees, everything still
// in the panes' sessions or process groups (a dataloader worker re-parented to init when its parent
// died keeps both), and what the GPU process map attributed to the run. Pure: `ps` text in.
export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Seconds since it started (identity check with its pid before a signal). */
  etimes: number;
  /** ps STAT: R, S, D (uninterruptible), Z (zombie)... */
  stat: string;
  command: string;
}

/** `ps -A -o pid=,ppid=,pgid=,sid=,etimes=,stat=,args=` lines. */
export function parsePs(text: string): Proc[] {
  const out: Proc[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s?(.*)$/.exec(line);
    if (m) out.push({ pid: +m[1]!, ppid: +m[2]!, pgid: +m[3]!, sid: +m[4]!, etimes: +m[5]!, stat: m[6]!, command: (m[7] ?? '').trim() });
  }
  return out;
}

export interface RunProcs {
  procs: Proc[];
  /** Why each was taken, by pid: "tree", "session", "group" or "gpu". */
  why: Map<number, string>;
}

/**
 * The run's processes. Never pid 1, never the tmux server (a pane's parent), never one of `exclude`
 * (the shell running this very listing).
 */
export function runProcesses(ps: readonly Proc[], panePids: readonly number[], gpuPids: readonly number[], exclude: readonly number[] = []): RunProcs {
  const byPid = new Map(ps.map((p) => [p.pid, p]));
  const children = new Map<number, number[]>();
  for (const p of ps) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const why = new Map<number, string>();
  const servers = new Set(panePids.map((p) => byPid.get(p)?.ppid).filter((x): x is number => x !== undefined));
  const never = new Set<number>([0, 1, ...servers, ...exclude]);
  const take = (pid: number, reason: string) => {
    if (!never.has(pid) && byPid.has(pid) && !why.has(pid)) why.set(pid, reason);
  };
  const stack = panePids.filter((p) => byPid.has(p));
  for (const p of stack) take(p, 'tree');
  while (stack.length > 0) {
    const pid = stack.pop()!;
    for (const c of children.get(pid) ?? []) {
      if (!why.has(c) && !never.has(c)) {
        take(c, 'tree');
        stack.push(c);
      }
    }
  }
  // re-parented orphans: same session or process group as the panes' tree (the server's never)
  const serverSids = new Set([...servers].map((s) => byPid.get(s)?.sid));
  const sids = new Set([...why.keys()].map((p) => byPid.get(p)!.sid).filter((s) => !serverSids.has(s)));
  const pgids = new Set([...why.keys()].map((p) => byPid.get(p)!.pgid).filter((g) => !servers.has(g)));
  for (const p of ps) {
    if (why.has(p.pid)) continue;
    if (sids.has(p.sid)) take(p.pid, 'session');
    else if (pgids.has(p.pgid)) take(p.pid, 'group');
  }
  for (const pid of gpuPids) take(pid, 'gpu');
  return { procs: ps.filter((p) => why.has(p.pid)), why };
}

/** A process with what the run card shows of it. */
export interface ProcWide extends Proc {
  /** ps %CPU: CPU time over its lifetime. */
  cpuPercent: number | null;
  rssKiB: number | null;
}

/** `ps -A -o pid=,ppid=,pgid=,sid=,etimes=,stat=,pcpu=,rss=,args=` lines. */
export function parsePsWide(text: string): ProcWide[] {
  const out: ProcWide[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+(?:[.,]\d+)?|-)\s+(\d+|-)\s?(.*)$/.exec(line);
    if (!m) continue;
    const cpu = Number(m[7]!.replace(',', '.'));
    const rss = Number(m[8]);
    out.push({
      pid: +m[1]!,
      ppid: +m[2]!,
      pgid: +m[3]!,
      sid: +m[4]!,
      etimes: +m[5]!,
      stat: m[6]!,
      command: (m[9] ?? '').trim(),
      cpuPercent: Number.isFinite(cpu) ? cpu : null,
      rssKiB: Number.isFinite(rss) ? rss : null,
    });
  }
  return out;
}

/** `PID RANK=3 LOCAL_RANK=1 ...` lines (what a run's processes have in their environment) -> pid -> rank. */
export function parseRanks(text: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const line of text.split('\n')) {
    const pid = /^(\d+)\s/.exec(line)?.[1];
    const rank = /(?:^|\s)RANK=(\d+)(?:\s|$)/.exec(line)?.[1] ?? /(?:^|\s)LOCAL_RANK=(\d+)(?:\s|$)/.exec(line)?.[1];
    if (pid !== undefined && rank !== undefined) m.set(Number(pid), Number(rank));
  }
  return m;
}

/** The rank an argv names (`--local_rank=2`, `--local-rank 2`), else null. */
export function rankInArgs(command: string): number | null {
  const m = /--local[_-]rank[= ](\d+)/.exec(command);
  return m ? Number(m[1]) : null;
}

// Runs pane: every run on every host, as a table that uses its width. `›` marks the selection; the
// run and its state are always there, then the columns join in this order of priority as the pane
// widens: progress, alert, ETA, loss, its trend, GPUs, last output, a bar (and the host where runs are
// named by session). A narrow pane names runs by session. The order is visibleRuns' (`s` sorts).
import type { Run } from '../../domain/types.js';
import { primaryLoss } from '../../parse/progress.js';
import { allRuns, hostView, progressOf, runsSortLabel, visibleRuns } from '../../store/selectors.js';
import { age, alertWord, bar, compactNumber, duration, stateLabel, stateWord } from '../format.js';
import { RowBuilder, textRow, type Row } from '../rows.js';
import { fit, fitRight, width } from '../text.js';
import type { Tok } from '../theme.js';
import { notice, padRows, windowStart, type PaneCtx, type PaneOut } from './pane.js';
import { gpusByRun, lossTrend } from './run-cells.js';

const STATE_TOK: Record<Run['state'], Tok> = {
  pending: 'dim',
  running: 'ok',
  stalled: 'warn',
  finished: 'accent',
  failed: 'err',
  unknown: 'dim',
};

interface Cell {
  text: string;
  tok?: Tok;
}

interface Column {
  head: string;
  /** Lower keeps its place longer as the pane narrows. */
  prio: number;
  /** Right-aligned (numbers). */
  right?: boolean;
  cells: Cell[];
  w: number;
}

const BAR_W = 10;
/** A GPU list longer than this is cut (`0,2,4,6,…`). */
const GPUS_W = 9;
/** The run name keeps this many cells (or all of it when shorter) before another column is shown. */
const NAME_CAP = 24;

/** Narrow panes: a state in at most five cells. */
const SHORT_STATE: Record<Run['state'], string> = { pending: 'PEND', running: 'RUN', stalled: 'STALL', finished: 'DONE', failed: 'FAIL', unknown: '?' };

interface Way {
  /** Session names instead of run ids (host:session). */
  session: boolean;
  /** full: the word and a failed or stalled run's reason; plain: the word; short: SHORT_STATE. */
  states: 'full' | 'plain' | 'short';
}

interface Plan {
  names: string[];
  nameNat: number;
  states: Cell[];
  stateW: number;
  cols: Column[];
  nameW: number;
}

export function runsPane(c: PaneCtx): PaneOut {
  const { s } = c;
  const runs = visibleRuns(s);
  // a group (config groups) counts once, as it is listed
  const total = allRuns(s).length;
  let title = `Runs · ${total}`;
  if (s.runsFilter !== '') title += ` · /${s.runsFilter} ${runs.length}`;
  const order = runsSortLabel(s.runsSort);
  if (order !== '') title += ` · ${order}`;
  if (runs.length === 0) {
    if (total > 0) return { title, rows: notice(c, `no run matches "${s.runsFilter}"`) };
    // per host, the truth: never "no tmux sessions" for a host that was never reached
    const lines = s.hostOrder.map((h) => {
      const conn = s.hosts[h];
      if (s.runsByHost[h] !== undefined) return ` ${h}: no tmux sessions`;
      if (!conn || conn.phase === 'connecting') return ` ${h}: connecting…`;
      if (conn.phase === 'connected') return ` ${h}: listing sessions…`;
      return ` ${h}: not reached: ${conn.error ?? conn.status} (H for details)`;
    });
    return { title, rows: padRows((lines.length ? lines : [' no hosts']).map((l) => textRow(l, c.w, 'dim')), c) };
  }
  const stale = new Map<string, boolean>();
  const isStale = (host: string): boolean => {
    let v = stale.get(host);
    if (v === undefined) {
      v = hostView(s, host).stale;
      stale.set(host, v);
    }
    return v;
  };

  const progress = runs.map((r) => progressOf(s, r));
  const pcts = runs.map((r, i) => (r.state === 'finished' ? null : (progress[i]?.percent ?? null)));
  const multiHost = new Set(runs.map((r) => r.host)).size > 1;
  const gpus = gpusByRun(s);
  const lossCol = col('LOSS', 4, true, runs.map((r) => {
    const l = primaryLoss(r.metrics);
    return { text: l === null ? '' : compactNumber(l.value) };
  }));
  // the trend leaves before its value (a trend without the value says little)
  const trendCol = col('', 5, false, runs.map((r) => ({ text: lossTrend(r) })));
  // left to right as shown; prio says which leave first (lower stays longer)
  const optional: Column[] = [
    col('PROG', 1, true, pcts.map((p) => ({ text: p === null ? '' : `${Math.floor(p)}%` }))),
    { head: '', prio: 8, cells: [], w: pcts.some((p) => p !== null) ? BAR_W : 0 },
    col('ETA', 3, true, runs.map((r, i) => {
      // a dead run has no ETA; a host not heard from marks it rather than freeze it as if live
      const eta = progress[i]?.etaSeconds ?? null;
      if (r.state !== 'running' || eta === null || eta <= 0) return { text: '' };
      return isStale(r.host) ? { text: `${duration(eta)}?`, tok: 'dim' } : { text: duration(eta) };
    })),
    lossCol,
    trendCol,
    col('GPUS', 6, false, runs.map((r) => {
      // a group's: rank 0's, as the GPU pane shows its host
      const list = gpus.get(r.parts?.[0]?.id ?? r.id) ?? '';
      return { text: fit(list, Math.min(GPUS_W, width(list))) };
    })),
    col('LAST', 7, true, runs.map((r) => ({ text: r.lastOutputSecondsAgo === null ? '' : age(r.lastOutputSecondsAgo * 1000), tok: 'dim' }))),
    col('ALERT', 2, false, runs.map((r) => {
      const a = r.alerts.find((x) => x.kind !== r.reason && x.kind !== 'stalled');
      return a ? { text: `!${alertWord(a.kind)}`, tok: 'err' } : { text: '' };
    })),
  ];
  const barCol = optional[1] as Column;
  // with session names only, the host gets a column of its own when there is room
  const hostCol = col('HOST', 9, false, runs.map((r) => ({ text: r.host, tok: 'dim' })));

  // how to name a run and word its state: the first way that shows the whole name beside the state
  // and, when there is progress, the progress too; the narrowest way otherwise
  // (one host: its name is in the title, not on every row)
  const oneHost = !multiHost && s.hostOrder.length <= 1;
  const ways: Way[] = [
    ...(oneHost ? [] : [{ session: false, states: 'full' } as const]),
    { session: true, states: 'full' },
    { session: true, states: 'plain' },
    { session: true, states: 'short' },
  ];
  const first = optional.find((k) => k.w > 0 && k.prio === 1);
  let plan: Plan | null = null;
  for (const way of ways) {
    plan = layoutWay(way);
    if (plan.nameW >= Math.min(plan.nameNat, NAME_CAP) && (first === undefined || plan.cols.includes(first))) break;
  }
  // none fits whole: the last (narrowest) way, its name cut
  const { names, states, stateW, cols, nameW } = plan as Plan;
  if (oneHost && runs[0] !== undefined) title = title.replace('Runs · ', `Runs · ${runs[0].host} · `);

  function layoutWay(way: Way): Plan {
    const states: Cell[] = runs.map((r) => {
      const st = isStale(r.host);
      const word = way.states === 'short' ? SHORT_STATE[r.state] : way.states === 'plain' ? stateWord(r) : stateLabel(r);
      return { text: `${word}${st ? '?' : ''}`, tok: st ? 'dim' : STATE_TOK[r.state] };
    });
    const stateW = Math.max(...states.map((x) => width(x.text)));
    // a group is named by its id and its part count whatever the way (its session is rank 0's)
    // a Slurm job is its id and its name (the id alone says nothing to its user)
    const names = runs.map((r) => {
      if (r.parts !== undefined) return `${r.id} ×${r.parts.length}`;
      const base = way.session ? r.session : r.id;
      return r.slurm?.name ? `${base} ${r.slurm.name}` : base;
    });
    const nameNat = Math.max(4, ...names.map((n) => width(n)));
    const nameMin = Math.min(nameNat, NAME_CAP);
    const fixed = 2 + 1 + stateW;
    // columns join in priority order while the name keeps its room; the first that does not fit
    // ends it, so a column never shows while one of higher priority is gone (nor flickers in the gap)
    const shown = new Set<Column>();
    let used = fixed;
    const candidates = way.session && multiHost ? [...optional, hostCol] : optional;
    for (const k of [...candidates].sort((a, b) => a.prio - b.prio)) {
      if (k.w === 0) continue;
      if (used + 1 + k.w + nameMin > c.w) break;
      shown.add(k);
      used += 1 + k.w;
    }
    const cols = candidates.filter((k) => shown.has(k));
    return { names, nameNat, states, stateW, cols, nameW: Math.max(1, Math.min(nameNat, c.w - used)) };
  }

  // a header when there is more than the name and the state, and rows to spare
  const header = cols.length > 0 && c.h >= 4;
  const sel = runs.findIndex((r) => r.id === s.selectedRunId);
  const bodyH = Math.max(1, c.h - (header ? 1 : 0));
  const start = windowStart(sel, runs.length, bodyH);
  const rows: Row[] = [];
  if (header) {
    const b = new RowBuilder(c.w).add('  ').add(fit('RUN', nameW), 'dim').add(' ').add(fit('STATE', stateW), 'dim');
    for (const k of cols) b.add(' ').add(k.right === true ? fitRight(k.head, k.w) : fit(k.head, k.w), 'dim');
    rows.push(b.row());
  }
  for (let i = start; i < Math.min(runs.length, start + bodyH); i++) {
    const r = runs[i] as Run;
    const selected = i === sel;
    const b = new RowBuilder(c.w);
    b.add(selected ? '› ' : '  ', selected ? 'sel' : undefined);
    b.add(fit(names[i] as string, nameW), selected ? 'sel' : isStale(r.host) ? 'dim' : undefined);
    b.add(' ');
    const st = states[i] as Cell;
    b.add(fit(st.text, stateW), st.tok);
    for (const k of cols) {
      b.add(' ');
      if (k === barCol) {
        const [on, off] = pcts[i] === null ? ['', ''] : bar(pcts[i] as number, BAR_W);
        b.add(on, 'bar').add(off, 'dim').add(' '.repeat(BAR_W - on.length - off.length));
        continue;
      }
      const cell = k.cells[i] as Cell;
      b.add(k.right === true ? fitRight(cell.text, k.w) : fit(cell.text, k.w), cell.tok);
    }
    rows.push(b.row());
  }
  return { title, rows: padRows(rows, c) };
}

/** A column as wide as its widest cell (and its heading when it has cells); 0 when every cell is empty. */
function col(head: string, prio: number, right: boolean, cells: Cell[]): Column {
  const w = Math.max(0, ...cells.map((x) => width(x.text)));
  return { head, prio, right, cells, w: w === 0 ? 0 : Math.max(w, width(head)) };
}

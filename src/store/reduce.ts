// The pure reducer: (state, event, context) -> state + effects. Log buffers are read, never written
// here (the store ingests chunks before reducing, see create-store.ts).
import type { Run } from '../domain/types.js';
import { anySavesCheckpoint } from '../parse/checkpoint-saved.js';
import type { Scope } from '../keys/bindings.js';
import type { LogBuffer } from './log-buffer.js';
import { helpMaxTop } from './layout.js';
import { newRunCommand, openNewRunForm } from './new-run-form.js';
import { findMatch, scroll } from './reduce-log.js';
import { dropOtherRuns, logSearchCommand, logSearchEvent } from './reduce-log-search.js';
import { findRun, gpuHostOf, selectedRun, sortedCheckpoints, checkpointsOf, visibleRuns } from './selectors.js';
import { PANES, RUNS_SORTS, type Effect, type PaneId, type RunsSort, type State, type StoreEvent } from './state.js';
import { hostsCommand } from './reduce-hosts.js';
import { gpusCommand } from './reduce-gpus.js';
import { recordReport } from './gpu-history.js';
import { addCommands, addEvents, commandsCommand, eventsCommand } from './reduce-events.js';
import { cardCommand, cardEvent } from './reduce-card.js';
import { analyzeLog } from '../parse/progress.js';
import type { CheckpointListing, LogChunk } from '../domain/types.js';

export interface ReduceContext {
  now: number;
  log: (runId: string) => LogBuffer | undefined;
  typeNameAfterMs: number;
  gpuHistory: number;
  /** Rows of the help overlay (section titles + bindings), for its scrolling. */
  helpEntries: number;
}

export interface Reduced {
  state: State;
  effects: Effect[];
}

const MESSAGE_MS = 6000;

/** The key scopes in force, highest priority first. */
export function activeScopes(s: State): Scope[] {
  if (s.confirm !== null) return [s.confirm.typedRequired ? 'confirm-typed' : 'confirm'];
  if (s.newRun !== null) return ['new-run'];
  if (s.input !== null) return ['input'];
  if (s.help) return ['help'];
  if (s.hostDetail !== null) return ['hosts'];
  if (s.eventsView !== null) return ['events'];
  if (s.commandsView !== null) return ['commands'];
  if (s.logFileSearch?.open === true) return ['log-search'];
  if (s.relaunch !== null) return ['relaunch'];
  if (s.card !== null) return ['card'];
  return [s.focus, 'global'];
}

export function reduce(state: State, ev: StoreEvent, ctx: ReduceContext): Reduced {
  const effects: Effect[] = [];
  let s: State = state.now === ctx.now ? state : { ...state, now: ctx.now };
  switch (ev.type) {
    case 'hosts': {
      const order = [...s.hostOrder];
      for (const n of ev.names) if (!order.includes(n)) order.push(n);
      s = { ...s, hostOrder: order };
      break;
    }
    case 'host': {
      const was = s.hosts[ev.state.name];
      s = { ...s, hosts: { ...s.hosts, [ev.state.name]: ev.state } };
      // a host that stops for good (auth, host key, config) says why and what fixes it, once
      if (ev.state.phase === 'failed' && ev.state.error && (was?.phase !== 'failed' || was.error !== ev.state.error))
        s = say(s, `${ev.state.name}: ${ev.state.error}`, ctx, 'error');
      break;
    }
    case 'runs.restored':
      // only until the host answers: a poll's runs are never replaced by older ones
      if (s.runsAt[ev.host] !== undefined) break;
      s = { ...s, runsByHost: { ...s.runsByHost, [ev.host]: ev.runs }, restored: { ...s.restored, [ev.host]: ev.at } };
      if (!s.hostOrder.includes(ev.host)) s = { ...s, hostOrder: [...s.hostOrder, ev.host] };
      s = fixSelection(state, s, effects);
      break;
    case 'events':
      s = addEvents(s, ev);
      break;
    case 'card':
      s = cardEvent(s, ev);
      break;
    case 'commands':
      if (s.commandsView !== null) s = addCommands(s, ev);
      break;
    case 'runs': {
      s = { ...s, runsByHost: { ...s.runsByHost, [ev.host]: ev.runs }, runsAt: { ...s.runsAt, [ev.host]: ctx.now } };
      if (ev.scheduler !== undefined && s.schedulers?.[ev.host] !== ev.scheduler) s = { ...s, schedulers: { ...s.schedulers, [ev.host]: ev.scheduler } };
      if (s.restored[ev.host] !== undefined) {
        const { [ev.host]: _gone, ...rest } = s.restored;
        s = { ...s, restored: rest };
      }
      if (!s.hostOrder.includes(ev.host)) s = { ...s, hostOrder: [...s.hostOrder, ev.host] };
      s = fixSelection(state, s, effects);
      if (s.pendingSelect !== null && visibleRuns(s).some((r) => r.id === s.pendingSelect)) {
        s = { ...select(s, s.pendingSelect, effects), pendingSelect: null };
      }
      break;
    }
    case 'select':
      // a run just started is not in the runs yet: it is selected when a poll brings it
      if (visibleRuns(s).some((r) => r.id === ev.runId)) s = { ...select(s, ev.runId, effects), pendingSelect: null };
      else s = { ...s, pendingSelect: ev.runId };
      break;
    case 'gpus': {
      // a host that cannot be reached keeps its last GPUs on screen (marked stale by the pane)
      const prev = s.gpus[ev.report.name];
      const r = ev.report.status === 'unreachable' && ev.report.gpus.length === 0 && prev !== undefined && prev.gpus.length > 0 ? { ...prev, status: ev.report.status, error: ev.report.error } : ev.report;
      // the last values shown again are not a new sample
      const hist = r === ev.report ? recordReport(s.gpuHistory, r, ctx.now, ctx.gpuHistory) : s.gpuHistory;
      s = { ...s, gpus: { ...s.gpus, [r.name]: r }, gpusAt: { ...s.gpusAt, [r.name]: ctx.now }, gpuHistory: hist };
      break;
    }
    case 'checkpoints':
      // every live run's directory is listed every interval: an unchanged listing changes nothing (no frame)
      if (!sameListing(s.checkpoints[ev.listing.run], ev.listing)) s = { ...s, checkpoints: { ...s.checkpoints, [ev.listing.run]: ev.listing } };
      break;
    case 'log':
    case 'log.text':
    case 'log.reset':
      if (ev.runId === s.selectedRunId) {
        s = { ...s, logVersion: s.logVersion + 1 };
        if (ev.type === 'log') s = liveLog(s, ev.runId, ev.chunk, effects);
      }
      break;
    case 'tick':
      if (s.message !== null && ctx.now - s.message.at > MESSAGE_MS) s = { ...s, message: null };
      break;
    case 'resize':
      if (ev.cols !== s.size.cols || ev.rows !== s.size.rows) s = { ...s, size: { cols: ev.cols, rows: ev.rows } };
      break;
    case 'message':
      s = { ...s, message: { text: ev.text, level: ev.level ?? 'info', at: ctx.now } };
      break;
    case 'command':
      s = command(s, ev.id, ev.text, ctx, effects);
      break;
    case 'logFile.matches':
    case 'logFile.region':
      s = logSearchEvent(s, ev);
      break;
  }
  if (s.selectedRunId !== state.selectedRunId) s = dropOtherRuns(markSeen(state, s, ctx));
  return { state: s, effects };
}

/**
 * The selection moved: remember where the user left the run they leave (its last line and the time),
 * and for the run they come back to, put the rule after the line they had last seen.
 */
function markSeen(before: State, s: State, ctx: ReduceContext): State {
  const marks = { ...s.seenMarks };
  const left = before.selectedRunId;
  if (left !== null) {
    const buf = ctx.log(left);
    if (buf !== undefined && buf.length > 0) marks[left] = { seq: buf.lastSeq, at: ctx.now };
  }
  const id = s.selectedRunId;
  const m = id !== null ? marks[id] : undefined;
  return { ...s, seenMarks: marks, logRule: id !== null && m !== undefined ? { runId: id, seq: m.seq, at: m.at } : null };
}

function sameListing(a: CheckpointListing | undefined, b: CheckpointListing): boolean {
  if (a === undefined || a.dir !== b.dir || a.checkpoints.length !== b.checkpoints.length) return false;
  // free space moves with every write on the filesystem: what is shown (GiB, one decimal) does not
  if ((a.diskFreeBytes === null) !== (b.diskFreeBytes === null)) return false;
  if (a.diskFreeBytes !== null && b.diskFreeBytes !== null && Math.abs(a.diskFreeBytes - b.diskFreeBytes) > Math.max(64 * 2 ** 20, a.diskFreeBytes / 1000)) return false;
  return a.checkpoints.every((c, i) => {
    const d = b.checkpoints[i]!;
    return c.name === d.name && c.sizeBytes === d.sizeBytes && c.modifiedAt === d.modifiedAt && c.step === d.step && c.formats.join() === d.formats.join() && c.writing === d.writing;
  });
}

/** Keeps the selection by run id; a run that vanished hands it to its neighbour. */
function fixSelection(before: State, s: State, effects: Effect[]): State {
  const list = visibleRuns(s);
  let id = s.selectedRunId;
  if (id === null || !list.some((r) => r.id === id)) {
    if (list.length === 0) id = null;
    else if (id === null) id = (list[0] as Run).id;
    else {
      const old = visibleRuns(before).findIndex((r) => r.id === id);
      id = (list[Math.min(Math.max(0, old), list.length - 1)] as Run).id;
    }
  }
  return select(s, id, effects);
}

function select(s: State, id: string | null, effects: Effect[]): State {
  if (id === s.selectedRunId) return s;
  const run = findRun(s, id);
  effects.push({ type: 'log.select', runId: id, host: run?.host ?? null, session: run?.session ?? null, log: run?.log ?? null, logStart: run?.logStart ?? null });
  // a search belongs to its run: put this one's away, bring the next one's back
  const queries = { ...s.logQueries };
  if (s.selectedRunId !== null) {
    if (s.logView.query !== '') queries[s.selectedRunId] = s.logView.query;
    else delete queries[s.selectedRunId];
  }
  return {
    ...s,
    selectedRunId: id,
    selectedCkpt: null,
    selectedGpu: 0,
    logVersion: s.logVersion + 1,
    liveProgress: null,
    logQueries: queries,
    logView: { ...s.logView, follow: true, anchorSeq: -1, pausedAtSeq: -1, matchSeq: null, query: (id !== null ? queries[id] : undefined) ?? '' },
  };
}

/**
 * The selected run's newest lines: a progress bar further than its last poll goes to the title now,
 * and a line saying a checkpoint was saved asks for the checkpoints to be listed again.
 */
function liveLog(s: State, runId: string, chunk: LogChunk, effects: Effect[]): State {
  if (chunk.kind === 'marker') return s;
  const lines = chunk.kind === 'partial' ? [chunk.text] : chunk.lines.slice(-3);
  if (chunk.kind === 'lines' && anySavesCheckpoint(chunk.lines)) effects.push({ type: 'ckpt.refresh', runId });
  const p = analyzeLog(lines.join('\n')).progress;
  if (p === null || p.step === null) return s;
  const prev = s.liveProgress?.runId === runId ? s.liveProgress.progress : null;
  if (prev !== null && prev.step !== null && prev.total === p.total && p.step < prev.step) return s;
  return { ...s, liveProgress: { runId, progress: p } };
}

function say(s: State, text: string, ctx: ReduceContext, level: 'info' | 'warn' | 'error' = 'info'): State {
  return { ...s, message: { text, level, at: ctx.now } };
}

function command(s: State, id: string, text: string | undefined, ctx: ReduceContext, effects: Effect[]): State {
  const run = selectedRun(s);
  if (s.newRun !== null) {
    const r = newRunCommand(s, id, text, effects, (t, m) => say(t, m, ctx));
    if (r !== null) return r;
  }
  const h = hostsCommand(s, id, effects);
  if (h !== null) return h;
  const e = eventsCommand(s, id, (t, runId) => select(t, runId, effects));
  if (e !== null) return e;
  const c = commandsCommand(s, id, effects);
  if (c !== null) return c;
  const k = cardCommand(s, id, effects, (t, m, level) => say(t, m, ctx, level));
  if (k !== null) return k;
  const f = logSearchCommand(s, id, effects);
  if (f !== null) return f;
  const g = gpusCommand(s, id, (t, runId) => select(t, runId, effects));
  if (g !== null) return g;
  switch (id) {
    case 'app.quit':
      effects.push({ type: 'app.quit' });
      return { ...s, quitting: true };
    case 'app.help':
      return { ...s, help: !s.help, helpTop: 0 };
    case 'help.down':
      return { ...s, helpTop: Math.min(helpMaxTop(s, ctx.helpEntries), s.helpTop + 1) };
    case 'help.up':
      return { ...s, helpTop: Math.max(0, s.helpTop - 1) };
    case 'help.close':
      return { ...s, help: false };
    case 'app.refresh':
      // hosts stopped for good (an unknown name, auth) are tried again too
      effects.push({ type: 'app.refresh' });
      return say(s, 'refreshing…', ctx);
    case 'pane.next':
    case 'pane.prev': {
      const i = PANES.indexOf(s.focus);
      const d = id === 'pane.next' ? 1 : PANES.length - 1;
      return { ...s, focus: PANES[(i + d) % PANES.length] as PaneId };
    }
    case 'pane.runs':
    case 'pane.log':
    case 'pane.gpus':
    case 'pane.checkpoints':
      return { ...s, focus: id.slice(5) as PaneId };
    case 'pane.zoom':
      return { ...s, zoom: !s.zoom };

    case 'runs.down':
    case 'runs.up':
    case 'runs.first':
    case 'runs.last': {
      const list = visibleRuns(s);
      if (list.length === 0) return s;
      // the user picked a run: one started from the form no longer takes the selection
      if (s.pendingSelect !== null) s = { ...s, pendingSelect: null };
      const i = list.findIndex((r) => r.id === s.selectedRunId);
      const j =
        id === 'runs.first' ? 0 : id === 'runs.last' ? list.length - 1 : id === 'runs.down' ? Math.min(list.length - 1, i + 1) : Math.max(0, i - 1);
      return select(s, (list[j] as Run).id, effects);
    }
    case 'run.showLog':
      return run === null ? s : { ...s, focus: 'log' };
    case 'run.attach':
    case 'run.peek':
    case 'run.kill': {
      if (run === null) return say(s, 'no run selected', ctx, 'warn');
      // a batch job runs on a compute node with no tmux pane: what it prints is its StdOut, which the log pane follows
      if (id === 'run.peek' && run.slurm !== undefined) return say(s, 'a Slurm job has no pane: its output is in the log pane', ctx);
      const verb = id.slice(4);
      // read-only: attach is a read-only client (tmux attach -r), peek only reads
      if (s.readonly && id === 'run.kill') return say(s, `read-only mode: ${verb} is disabled`, ctx, 'warn');
      // a group's row is rank 0's session: K would end one part of a multi-node run and leave the rest
      if (id === 'run.kill' && run.parts !== undefined) return say(s, `${run.id} is a group of ${run.parts.length} sessions: rtk-tui kill ${run.id} ends every part`, ctx, 'warn');
      if (id === 'run.kill') {
        const created = run.createdAt === null ? NaN : Date.parse(run.createdAt);
        const alive = run.state === 'running' || run.state === 'stalled';
        const typedRequired = alive && Number.isFinite(created) && ctx.now - created > ctx.typeNameAfterMs;
        return { ...s, confirm: { kind: 'kill', runId: run.id, host: run.host, session: run.session, createdAt: run.createdAt, typedRequired, typed: '' } };
      }
      effects.push({ type: id as 'run.attach' | 'run.peek', runId: run.id, host: run.host, session: run.session });
      return s;
    }
    case 'run.relaunch':
      if (run === null) return say(s, 'no run selected', ctx, 'warn');
      if (run.parts !== undefined) return say(s, `${run.id} is a group of ${run.parts.length} sessions: relaunch starts one session again (rtk-tui relaunch HOST:SESSION)`, ctx, 'warn');
      if (s.readonly) return say(s, 'read-only mode: relaunch is disabled', ctx, 'warn');
      if (run.state === 'running' || run.state === 'stalled')
        return say(s, `${run.id} is still running: R starts a finished or failed run again (rtk-tui relaunch ${run.id} --replace ends it first)`, ctx, 'warn');
      return { ...s, relaunch: { runId: run.id, host: run.host, session: run.session } };
    case 'relaunch.asIs':
    case 'relaunch.resume': {
      const r = s.relaunch;
      if (r === null) return s;
      const resume = id === 'relaunch.resume';
      effects.push({ type: 'run.relaunch', ...r, resume });
      return say({ ...s, relaunch: null }, `relaunching ${r.runId}${resume ? ' from its newest checkpoint' : ''}…`, ctx);
    }
    case 'relaunch.cancel':
      return s.relaunch === null ? s : say({ ...s, relaunch: null }, 'relaunch cancelled', ctx);
    case 'run.new':
      if (s.readonly) return say(s, 'read-only mode: new is disabled', ctx, 'warn');
      return openNewRunForm(s, effects);
    case 'runs.filter':
      return { ...s, input: { kind: 'runs-filter', draft: s.runsFilter } };
    case 'runs.sort': {
      // the selection stays on its run (by id); the pane scrolls to wherever the run went
      const next = RUNS_SORTS[(RUNS_SORTS.indexOf(s.runsSort) + 1) % RUNS_SORTS.length] as RunsSort;
      return { ...s, runsSort: next };
    }

    case 'log.search':
      return { ...s, input: { kind: 'log-search', draft: s.logView.query } };
    case 'log.up':
    case 'log.down':
    case 'log.pageUp':
    case 'log.pageDown':
    case 'log.top':
    case 'log.bottom':
    case 'log.follow':
      return scroll(s, id, ctx);
    case 'log.wrap':
      return { ...s, logView: { ...s.logView, wrap: !s.logView.wrap } };
    case 'log.next':
    case 'log.prev':
      return findMatch(s, id === 'log.next' ? 1 : -1, ctx);

    case 'ckpt.down':
    case 'ckpt.up': {
      const list = sortedCheckpoints(checkpointsOf(s));
      if (list.length === 0) return s;
      const i = Math.max(0, list.findIndex((c) => c.name === s.selectedCkpt));
      const j = Math.max(0, Math.min(list.length - 1, i + (id === 'ckpt.down' ? 1 : -1)));
      return { ...s, selectedCkpt: list[j]?.name ?? null };
    }
    case 'ckpt.pull': {
      const listing = checkpointsOf(s);
      const list = sortedCheckpoints(listing);
      const c = list.find((x) => x.name === s.selectedCkpt) ?? list[0];
      if (run === null || listing === null || c === undefined) return say(s, 'no checkpoint selected', ctx, 'warn');
      // half a checkpoint is worse than none: wait until it is complete
      if (c.writing === true) return say(s, `${c.name} is still being written; pull it when it is done`, ctx, 'warn');
      effects.push({ type: 'ckpt.pull', runId: run.id, host: run.host, dir: listing.dir, checkpoint: c });
      return say(s, `pulling ${c.name} from ${run.host}…`, ctx);
    }

    case 'input.char':
      if (text === undefined) return s;
      if (s.confirm !== null) return { ...s, confirm: { ...s.confirm, typed: s.confirm.typed + text } };
      if (s.input === null) return s;
      return liveFilter({ ...s, input: { ...s.input, draft: s.input.draft + text } }, effects);
    case 'input.backspace':
      if (s.confirm !== null) return { ...s, confirm: { ...s.confirm, typed: dropLast(s.confirm.typed) } };
      if (s.input === null) return s;
      return liveFilter({ ...s, input: { ...s.input, draft: dropLast(s.input.draft) } }, effects);
    case 'input.cancel':
      if (s.input?.kind === 'runs-filter') return liveFilter({ ...s, input: null, runsFilter: '' }, effects, '');
      return { ...s, input: null };
    case 'input.clear':
      if (s.input === null) return s;
      return liveFilter({ ...s, input: { ...s.input, draft: '' } }, effects);
    case 'runs.clearFilter':
      return s.runsFilter === '' ? s : liveFilter({ ...s, runsFilter: '' }, effects, '');
    case 'log.clearSearch':
      return s.logView.query === '' ? s : { ...s, logView: { ...s.logView, query: '', matchSeq: null } };
    case 'input.submit': {
      if (s.input === null) return s;
      if (s.input.kind === 'runs-filter') return { ...s, input: null, runsFilter: s.input.draft };
      const query = s.input.draft;
      const t: State = { ...s, input: null, logView: { ...s.logView, query, matchSeq: null } };
      return query === '' ? t : findMatch(t, 0, ctx);
    }

    case 'confirm.no':
      return s.confirm === null ? s : say({ ...s, confirm: null }, 'kill cancelled', ctx);
    case 'confirm.yes':
    case 'confirm.submit': {
      const c = s.confirm;
      if (c === null) return s;
      if (c.typedRequired && c.typed !== c.session) {
        return say(s, `type the session name "${c.session}" exactly to kill it`, ctx, 'warn');
      }
      effects.push({ type: 'run.kill', runId: c.runId, host: c.host, session: c.session, createdAt: c.createdAt });
      return say({ ...s, confirm: null }, `killing ${c.runId}…`, ctx);
    }
  }
  return s;
}

const dropLast = (t: string): string => Array.from(t).slice(0, -1).join('');

/** The runs filter applies while typing. */
function liveFilter(s: State, effects: Effect[], value?: string): State {
  const f = value ?? (s.input?.kind === 'runs-filter' ? s.input.draft : null);
  if (f === null) return s;
  const t = { ...s, runsFilter: f };
  return fixSelection(s, t, effects);
}

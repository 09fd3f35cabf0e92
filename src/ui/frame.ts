// The whole screen as rows: four panes in a tmux-like split (or one, zoomed), the status bar, and
// the help / confirm overlays. Pure: state + log buffers + key map in, rows out.
import { footerHints, helpSections, type Keymap } from '../keys/keymap.js';
import { computeLayout, helpGeometry, type Rect } from '../store/layout.js';
import type { LogBuffer } from '../store/log-buffer.js';
import { activeScopes } from '../store/reduce.js';
import { hostsInOrder, hostView } from '../store/selectors.js';
import type { PaneId, State } from '../store/state.js';
import { checkpointsPane } from './panes/checkpoints.js';
import { gpusPane } from './panes/gpus.js';
import { logPane } from './panes/log.js';
import type { PaneCtx, PaneOut } from './panes/pane.js';
import { runsPane } from './panes/runs.js';
import { NEW_RUN_TITLE, newRunRows } from './new-run-form.js';
import { HOST_DETAIL_TITLE, hostDetailRows, hostStateText } from './host-detail.js';
import { EVENTS_TITLE, eventsRows } from './events-view.js';
import { COMMANDS_TITLE, commandsRows } from './commands-view.js';
import { cardViewRows, cardViewTitle, withGpuHistory } from './card-view.js';
import { LOG_SEARCH_TITLE, logSearchRows, queryMode } from './log-search-view.js';
import { overlayRow, RowBuilder, textRow, type Row } from './rows.js';
import { fit, width } from './text.js';

export interface FrameInput {
  s: State;
  log: (runId: string) => LogBuffer | undefined;
  keymap: Keymap;
  color: boolean;
}

const BUILDERS: Record<PaneId, (c: PaneCtx) => PaneOut> = {
  runs: runsPane,
  log: logPane,
  gpus: gpusPane,
  checkpoints: checkpointsPane,
};

const TITLES: Record<PaneId, string> = { runs: 'Runs', log: 'Log', gpus: 'GPUs', checkpoints: 'Checkpoints' };

/** Every row of the screen: layout.height rows of layout.width cells. */
export function buildFrame(f: FrameInput): Row[] {
  const { s } = f;
  const L = computeLayout(s.size, s.zoom, s.focus);
  const W = L.width;
  const H = L.paneRows;
  const pane = (id: PaneId, r: Rect): PaneOut => BUILDERS[id]({ s, w: r.w, h: r.h, focused: s.focus === id, color: f.color, log: f.log });

  let rows: Row[];
  if (s.help) {
    rows = helpBox(f.keymap, W, H, s.helpTop);
  } else if (s.zoom) {
    const r = L.panes[s.focus] as Rect;
    const out = pane(s.focus, r);
    rows = [border('┌', '┐', out.title || TITLES[s.focus], W, true)];
    for (const row of out.rows) rows.push(side(row));
    while (rows.length < H - 1) rows.push(side(textRow('', W - 2)));
    rows.push(border('└', '┘', '', W, false));
  } else {
    const runs = pane('runs', L.panes.runs as Rect);
    const log = pane('log', L.panes.log as Rect);
    const gpus = pane('gpus', L.panes.gpus as Rect);
    const ckpt = pane('checkpoints', L.panes.checkpoints as Rect);
    const lw = L.leftW;
    const rw = W - lw;
    const focus = s.focus;
    rows = [];
    for (let y = 0; y < H; y++) {
      let left: Row;
      let right: Row;
      if (y === 0) {
        left = border('┌', '┐', runs.title, lw, focus === 'runs');
        right = border('┌', '┐', log.title, rw, focus === 'log');
      } else if (y < L.splitY) {
        left = side(runs.rows[y - 1] ?? textRow('', lw - 2));
        right = side(log.rows[y - 1] ?? textRow('', rw - 2));
      } else if (y === L.splitY) {
        left = border('├', '┤', gpus.title, lw, focus === 'gpus');
        right = border('├', '┤', ckpt.title, rw, focus === 'checkpoints');
      } else if (y < H - 1) {
        left = side(gpus.rows[y - L.splitY - 1] ?? textRow('', lw - 2));
        right = side(ckpt.rows[y - L.splitY - 1] ?? textRow('', rw - 2));
      } else {
        left = border('└', '┘', '', lw, false);
        right = border('└', '┘', '', rw, false);
      }
      rows.push([...left, ...right]);
    }
  }
  if (s.hostDetail !== null) {
    const w = Math.min(W - 2, 110);
    rows = boxOverlay(rows, HOST_DETAIL_TITLE, hostDetailRows(s, w - 2, H - 2), w, W, H);
  }
  if (s.eventsView !== null) {
    const w = Math.min(W - 2, 140);
    rows = boxOverlay(rows, EVENTS_TITLE, eventsRows(s, w - 2, Math.max(2, H - 4)), w, W, H);
  }
  if (s.commandsView !== null) {
    const w = Math.min(W - 2, 160);
    rows = boxOverlay(rows, COMMANDS_TITLE, commandsRows(s, w - 2, Math.max(3, H - 4)), w, W, H);
  }
  // the card takes the whole screen (it has charts to draw); a kill confirmation still goes over it
  if (s.card !== null) rows = boxOverlay(rows, cardViewTitle(s.card), cardViewRows(withGpuHistory(s.card, s), W - 2, H - 2, s.now), W, W, H);
  if (s.logFileSearch?.open === true) {
    const w = Math.min(W - 2, 160);
    rows = boxOverlay(rows, LOG_SEARCH_TITLE, logSearchRows(s, w - 2, Math.max(3, H - 4)), w, W, H);
  }
  if (s.relaunch !== null) {
    const w = Math.min(W - 2, 72);
    const inner = w - 2;
    const lines: Row[] = [
      textRow(` Start ${s.relaunch.runId} again, as rtk-tui relaunch does:`, inner),
      textRow(' its command, directory, log, checkpoints and GPU count, as a new session', inner, 'dim'),
      textRow(' Enter as it was · r from its newest complete checkpoint · Esc cancel', inner, 'key'),
    ];
    rows = boxOverlay(rows, 'Relaunch', lines, w, W, H);
  }
  if (s.confirm !== null) rows = confirmOverlay(rows, s, W, H);
  if (s.newRun !== null) {
    const w = Math.min(W - 2, 100);
    rows = boxOverlay(rows, NEW_RUN_TITLE, newRunRows(s, s.newRun, w - 2, f.keymap, H - 2), w, W, H);
  }
  rows.push(statusBar(f, W));
  return rows;
}

/** "┌ Title ─────┐"; the focused pane's title is bracketed: "┌[Title]─────┐" (same width). */
function border(l: string, r: string, title: string, w: number, focused: boolean): Row {
  const inner = Math.max(0, w - 2);
  const b = new RowBuilder(w).add(l, 'border');
  if (title !== '' && inner >= 4) {
    const t = fit(title, Math.min(width(title), inner - 3), true);
    b.add(focused ? '[' : ' ', focused ? 'focus' : 'border');
    b.add(t, focused ? 'focus' : 'title');
    b.add(focused ? ']' : ' ', focused ? 'focus' : 'border');
  }
  const fill = w - 1 - (inner >= 4 && title !== '' ? 1 + Math.min(width(title), inner - 3) + 2 : 1);
  if (fill > 0) b.add('─'.repeat(fill), 'border');
  return b.add(r, 'border').row();
}

function side(content: Row): Row {
  return [{ t: '│', s: 'border' }, ...content, { t: '│', s: 'border' }];
}

function statusBar(f: FrameInput, W: number): Row {
  const { s } = f;
  const b = new RowBuilder(W);
  if (s.input?.kind === 'log-file-search') {
    // the whole-file search says how it matches and how to change it
    b.add(' search the whole log file: /', 'key').add(s.input.draft).add('█', 'accent');
    b.add(`   [${queryMode(s.input)}]`, 'accent').add('  Tab regex · Shift-Tab case · Enter search · Esc cancel', 'dim');
    return b.row();
  }
  if (s.input !== null) {
    const prompt = s.input.kind === 'log-search' ? 'search log: /' : 'filter runs: ';
    b.add(` ${prompt}`, 'key').add(s.input.draft).add('█', 'accent');
    b.add('   Enter apply · Esc cancel', 'dim');
    return b.row();
  }
  b.add(' ');
  let trouble = false;
  // the form's keys stay on screen however narrow the terminal (its box may have no row left for
  // them): the hosts give way while it is open
  for (const h of s.newRun === null ? hostsInOrder(s) : []) {
    const hv = hostView(s, h);
    const c = hv.conn;
    b.add(h).add(' ');
    const st = hostStateText(c, s.now);
    if (c?.phase === 'connected') b.add('●', 'ok').add(c.latencyMs === null ? '' : ` ${c.latencyMs}ms`);
    else if (c?.phase === 'reconnecting' && hv.staleSeconds !== null && hv.staleSeconds >= 5) b.add(`○ stale ${hv.staleSeconds}s${st.text.startsWith('○ retry') ? `, ${st.text.slice(2)}` : ''}`, 'warn');
    else b.add(st.text, st.tok);
    if (c !== null && c.phase !== 'connected' && c.phase !== 'connecting') trouble = true;
    b.add('  ');
  }
  // a host in trouble: where its reason and fix are
  if (trouble) b.add('H', 'key').add(' why', 'dim').add('  ');
  b.add(' ');
  if (s.message !== null) {
    const tok = s.message.level === 'error' ? 'err' : s.message.level === 'warn' ? 'warn' : 'accent';
    return b.add(s.message.text, tok).row();
  }
  // scrolling hints only when the help does not fit (asked once, and only while the help is open)
  const scopes = activeScopes(s);
  const scrolls = scopes.includes('help') && helpOverflows(f.keymap, W, computeLayout(s.size, s.zoom, s.focus).paneRows);
  const hints = footerHints(f.keymap, scopes).filter((h) => scrolls || !h.command.startsWith('help.') || h.command === 'help.close');
  // keep "? help" first and "q quit" last; drop from the middle until they fit
  const text = (list: typeof hints) => list.map((h) => `${h.key} ${h.description}`).join('  ');
  let list = hints;
  while (list.length > 2 && width(text(list)) > b.left) list = [...list.slice(0, -2), ...list.slice(-1)];
  // still too wide: "? help" alone, or nothing rather than a cut key
  while (list.length > 0 && width(text(list)) > b.left) list = list.slice(0, -1);
  list.forEach((h, i) => {
    if (i > 0) b.add('  ');
    b.add(h.key, 'key').add(` ${h.description}`, 'dim');
  });
  return b.row();
}

function helpEntryCount(keymap: Keymap): number {
  return helpSections(keymap).reduce((n, sec) => n + (sec.rows.length > 0 ? sec.rows.length + 1 : 0), 0);
}

function helpOverflows(keymap: Keymap, W: number, H: number): boolean {
  const n = helpEntryCount(keymap);
  const { cols, inner } = helpGeometry(W, H, n);
  return n > cols * inner;
}

function helpBox(keymap: Keymap, W: number, H: number, top: number): Row[] {
  const entries: Row[] = [];
  const { colW, cols, inner } = helpGeometry(W, H, helpEntryCount(keymap));
  const keyW = Math.min(18, Math.max(8, colW - 24));
  for (const sec of helpSections(keymap)) {
    if (sec.rows.length === 0) continue;
    entries.push(textRow(` ${sec.scope}`, colW, 'title'));
    for (const r of sec.rows) {
      entries.push(new RowBuilder(colW).add(`   ${fit(r.keys, keyW, true)} `, 'key').add(r.description).row());
    }
  }
  // too many for the screen: j/k scroll (the last row says so)
  const over = entries.length > cols * inner;
  const room = over ? cols * inner - 1 : cols * inner;
  const skip = Math.max(0, Math.min(top, entries.length - room));
  entries.splice(0, skip);
  const hidden = entries.length - room;
  const rows: Row[] = [border('┌', '┐', 'Help · keys (Esc closes)', W, true)];
  for (let y = 0; y < inner; y++) {
    const b: Row = [];
    for (let c = 0; c < cols; c++) {
      const k = c * inner + y;
      b.push(...((k < room ? entries[k] : undefined) ?? textRow('', colW)));
    }
    const used = cols * colW;
    if (used < W - 2) b.push({ t: ' '.repeat(W - 2 - used) });
    rows.push(side(b));
  }
  if (over) {
    const last = rows.length - 1;
    const more = hidden > 0 ? `${hidden} more below` : 'end';
    rows[last] = side(textRow(` … ${more} · j/k scroll`, W - 2, 'dim'));
  }
  rows.push(border('└', '┘', '', W, false));
  return rows;
}

function confirmOverlay(base: Row[], s: State, W: number, H: number): Row[] {
  const c = s.confirm;
  if (c === null) return base;
  const w = Math.min(W - 2, 66);
  const lines: Row[] = [];
  const inner = w - 2;
  lines.push(textRow(` Kill ${c.runId} on host ${c.host}?`, inner, 'err'));
  lines.push(textRow(` This ends tmux session "${c.session}" and what runs in it.`, inner));
  if (c.typedRequired) {
    lines.push(new RowBuilder(inner).add(` Type ${c.session} to confirm: `).add(c.typed, 'key').add('█', 'accent').row());
    lines.push(textRow(' Enter kill · Esc cancel', inner, 'dim'));
  } else {
    lines.push(textRow(' y kill · n cancel', inner, 'dim'));
  }
  return boxOverlay(base, 'Confirm kill', lines, w, W, H);
}

/** A box of `lines` (each w-2 wide) drawn over the middle of the screen. */
function boxOverlay(base: Row[], title: string, lines: Row[], width: number, W: number, H: number): Row[] {
  // a margin of one cell would show a sliver of the pane borders beside the box: use the full width
  const w = W - width < 4 ? W : width;
  const fitted = w === width ? lines : lines.map((r) => [...r, { t: ' '.repeat(w - width) }]);
  const box: Row[] = [border('┌', '┐', title, w, true), ...fitted.map(side), border('└', '┘', '', w, false)];
  const x = Math.max(0, Math.floor((W - w) / 2));
  const y0 = Math.max(0, Math.floor((H - box.length) / 2));
  const out = [...base];
  box.forEach((r, i) => {
    const y = y0 + i;
    if (y < out.length) out[y] = overlayRow(out[y] as Row, x, r, W);
  });
  return out;
}

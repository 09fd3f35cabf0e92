// Where each pane sits for a terminal size: pure, shared by the reducer (page sizes) and the UI.
import type { PaneId, State } from './state.js';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Layout {
  /** Rows Ink draws: the terminal's rows - 1 (Ink 6 clears the screen on every frame otherwise). */
  height: number;
  width: number;
  /** Pane area rows (height - status bar). */
  paneRows: number;
  /** Content rectangles (inside the borders) of the panes on screen. */
  panes: Partial<Record<PaneId, Rect>>;
  /** Width of the left column (runs, GPUs), 0 when zoomed. */
  leftW: number;
  /** Row of the separator between top and bottom panes, 0 when zoomed. */
  splitY: number;
}

export const MIN_COLS = 20;
export const MIN_ROWS = 8;

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

export function computeLayout(size: { cols: number; rows: number }, zoom: boolean, focus: PaneId): Layout {
  const width = Math.max(MIN_COLS, size.cols);
  const height = Math.max(MIN_ROWS, size.rows) - 1;
  const H = height - 1;
  if (zoom) {
    return {
      height,
      width,
      paneRows: H,
      panes: { [focus]: { x: 1, y: 1, w: width - 2, h: Math.max(1, H - 2) } },
      leftW: 0,
      splitY: 0,
    };
  }
  // a wide terminal gives the runs table room for its columns (at 120: run, state, progress, ETA and
  // loss); the log keeps the most
  const leftW = clamp(Math.round(width * (width >= 110 ? 0.4 : 0.36)), Math.min(32, width >> 1), width >= 160 ? 64 : 48);
  const rightW = width - leftW;
  const bottomH = clamp(Math.floor(H * 0.4), 3, 14);
  const splitY = H - bottomH;
  const topRows = Math.max(1, splitY - 1);
  const bottomRows = Math.max(1, H - splitY - 2);
  return {
    height,
    width,
    paneRows: H,
    leftW,
    splitY,
    panes: {
      runs: { x: 1, y: 1, w: leftW - 2, h: topRows },
      log: { x: leftW + 1, y: 1, w: rightW - 2, h: topRows },
      gpus: { x: 1, y: splitY + 1, w: leftW - 2, h: bottomRows },
      checkpoints: { x: leftW + 1, y: splitY + 1, w: rightW - 2, h: bottomRows },
    },
  };
}

/** The help overlay's grid: columns of colW cells, `inner` rows each. */
/** As many columns as the width allows, and no more than `entries` rows of help need. */
export function helpGeometry(W: number, H: number, entries = Infinity): { colW: number; cols: number; inner: number } {
  const inner = Math.max(1, H - 2);
  const most = W >= 120 ? 3 : W >= 70 ? 2 : 1;
  const cols = Math.max(1, Math.min(most, Math.ceil(entries / inner)));
  return { colW: Math.floor((W - 2) / cols), cols, inner };
}

/** How far the help overlay can scroll with `entries` rows of help. */
export function helpMaxTop(s: State, entries: number): number {
  const l = computeLayout(s.size, false, s.focus);
  const g = helpGeometry(l.width, l.paneRows, entries);
  const all = g.cols * g.inner;
  return entries > all ? entries - (all - 1) : 0;
}

export function layoutOf(s: State): Layout {
  return computeLayout(s.size, s.zoom, s.focus);
}

/** Content rows of a pane as it is laid out now (the log pane when hidden: as if shown). */
export function paneRect(s: State, pane: PaneId): Rect {
  const l = layoutOf(s);
  return l.panes[pane] ?? (computeLayout(s.size, false, s.focus).panes[pane] as Rect);
}

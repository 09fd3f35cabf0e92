// The monitor's root component. It reads the store's published snapshot (useSyncExternalStore), draws
// the frame built from it (one <Text> per row, rows-1 tall) and turns keys into commands. The input
// handler never reads React state: it resolves the key against the store's latest state and
// dispatches, so a fast second key never sees a stale closure (anchors/aesthetics section 0.3).
import { Box, Text, useInput, type Key } from 'ink';
import React, { memo, useCallback, useMemo, useSyncExternalStore } from 'react';
import { keyFromInk, resolveKey } from '../keys/keymap.js';
import type { Store } from '../store/create-store.js';
import { computeLayout } from '../store/layout.js';
import { activeScopes } from '../store/reduce.js';
import { toBlocks } from './blocks.js';
import { buildFrame } from './frame.js';
import type { Row } from './rows.js';
import { colorTheme, sgr, type Theme } from './theme.js';

export interface AppProps {
  store: Store;
  theme?: Theme;
}

/** Key handling outside React: resolves against the store's current state and dispatches. */
export function handleKey(store: Store, input: string, key: Partial<Key>): void {
  const k = keyFromInk(input, key);
  if (k === null) return;
  // Several keys in one read (fast typing, tmux send-keys, a paste) arrive as one string: handle
  // them one by one, each against the state the previous one left ("/abc" opens search, types abc).
  if (k === input && Array.from(input).length > 1) {
    for (const ch of Array.from(input)) dispatchKey(store, charKey(ch));
    return;
  }
  dispatchKey(store, k);
}

/** A single character of a multi-key read, as a key name. */
function charKey(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c === 13 || c === 10) return 'enter';
  if (c === 9) return 'tab';
  if (c === 27) return 'esc';
  if (c === 127 || c === 8) return 'backspace';
  if (c < 27) return `ctrl+${String.fromCharCode(c + 96)}`;
  return ch;
}

function dispatchKey(store: Store, k: string): void {
  const r = resolveKey(store.keymap, activeScopes(store.getState()), k);
  if (r === null) return;
  store.dispatch(r.text === undefined ? { type: 'command', id: r.command } : { type: 'command', id: r.command, text: r.text });
}

/** One piece of the screen: a full-width row, or a band of pane rows cut into vertical strips. */
export type FrameBlock = { text: string } | { cols: { w: number; text: string }[]; h: number };

export interface Frame {
  width: number;
  height: number;
  blocks: FrameBlock[];
}

/**
 * The frame as an external store over the state store: it rebuilds the rows (cheap, pure) on every
 * publish but tells React only when the text on screen changed. A clock tick or a GPU report of a
 * host not on screen then costs no React render and no Ink layout (idle CPU, DESIGN section 8).
 */
export function frameSource(store: Store, theme: Theme): { subscribe: (cb: () => void) => () => void; get: () => Frame } {
  let seen: unknown = null;
  let frame: Frame = { width: 0, height: 0, blocks: [] };
  let key = '';
  const get = (): Frame => {
    const s = store.getSnapshot();
    if (s === seen) return frame;
    seen = s;
    const L = computeLayout(s.size, s.zoom, s.focus);
    const rows = buildFrame({ s, log: (id) => store.peekLog(id), keymap: store.keymap, color: theme.color });
    const blocks: FrameBlock[] = toBlocks(rows, s, L).map((b) =>
      'row' in b
        ? { text: rowString(b.row, theme) }
        : { h: b.cols[0]?.rows.length ?? 0, cols: b.cols.map((c) => ({ w: c.w, text: c.rows.map((r) => rowString(r, theme)).join('\n') })) },
    );
    const k = `${L.width}x${L.height}${blocks.map((b) => ('text' in b ? `\n${b.text}` : b.cols.map((c) => `\u0001${c.text}`).join(''))).join('')}`;
    if (k !== key) {
      key = k;
      frame = { width: L.width, height: L.height, blocks };
    }
    return frame;
  };
  return {
    get,
    subscribe(cb) {
      return store.subscribe(() => {
        const before = frame;
        if (get() !== before) cb();
      });
    },
  };
}

export function App({ store, theme = colorTheme }: AppProps): React.ReactElement {
  const src = useMemo(() => frameSource(store, theme), [store, theme]);
  const frame = useSyncExternalStore(src.subscribe, src.get, src.get);
  const onInput = useCallback((input: string, key: Key) => handleKey(store, input, key), [store]);
  useInput(onInput);
  return (
    <Box flexDirection="column" width={frame.width} height={frame.height}>
      {frame.blocks.map((b, i) =>
        'text' in b ? (
          <RowView key={i} text={b.text} />
        ) : (
          <Box key={i} flexDirection="row" height={b.h}>
            {b.cols.map((c, j) => (
              <Box key={j} width={c.w} height={b.h}>
                <RowView text={c.text} />
              </Box>
            ))}
          </Box>
        ),
      )}
    </Box>
  );
}

/** One row as one string: segments wrapped in their SGR codes. */
export function rowString(row: Row, theme: Theme): string {
  let out = '';
  for (const seg of row) {
    if (seg.s === undefined) {
      out += seg.t;
      continue;
    }
    const [open, close] = sgr(theme.styles[seg.s]);
    out += open === '' ? seg.t : `${open}${seg.t}${close}`;
  }
  return out;
}

const RowView = memo(
  function RowView({ text }: { text: string }): React.ReactElement {
    return <Text wrap="truncate">{text}</Text>;
  },
  (a, b) => a.text === b.text,
);

// Semantic style tokens -> Ink <Text> props. Components never name a colour; NO_COLOR picks the
// no-color theme, where every state still reads as text (RUNNING, FAILED OOM, ›, [Runs]).

export type Tok =
  | 'border'
  | 'title'
  | 'focus'
  | 'dim'
  | 'sel'
  | 'ok'
  | 'warn'
  | 'err'
  | 'match'
  | 'marker'
  | 'bar'
  | 'key'
  | 'accent'
  | 'banner';

export interface TextStyle {
  color?: string;
  bold?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
}

export interface Theme {
  name: string;
  /** False: SGR colours inside log lines are stripped too. */
  color: boolean;
  styles: Record<Tok, TextStyle>;
}

export const colorTheme: Theme = {
  name: 'color',
  color: true,
  styles: {
    border: { color: 'gray' },
    title: { bold: true },
    focus: { bold: true, color: 'cyan' },
    dim: { dimColor: true },
    sel: { bold: true, color: 'cyan' },
    ok: { color: 'green' },
    warn: { color: 'yellow' },
    err: { color: 'red', bold: true },
    match: { inverse: true, color: 'yellow' },
    marker: { color: 'magenta' },
    bar: { color: 'green' },
    key: { bold: true },
    accent: { color: 'cyan' },
    banner: { inverse: true },
  },
};

/** NO_COLOR: no colour at all; bold and inverse (not colours) mark focus and search matches. */
export const noColorTheme: Theme = {
  name: 'no-color',
  color: false,
  styles: {
    border: {},
    title: {},
    focus: { bold: true },
    dim: {},
    sel: { bold: true },
    ok: {},
    warn: {},
    err: { bold: true },
    match: { inverse: true },
    marker: {},
    bar: {},
    key: { bold: true },
    accent: {},
    banner: { inverse: true },
  },
};

export function themeFor(color: boolean): Theme {
  return color ? colorTheme : noColorTheme;
}

const COLOR_CODES: Record<string, number> = {
  black: 30, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, gray: 90, grey: 90,
};

/**
 * The SGR prefix for a style ('' for none). Rows are drawn as one pre-styled string per <Text>:
 * one Yoga node per row instead of one per segment keeps layout cheap (tech.md 1.3).
 */
export function sgr(st: TextStyle): [open: string, close: string] {
  const open: number[] = [];
  const close: number[] = [];
  if (st.bold || st.dimColor) close.push(22);
  if (st.bold) open.push(1);
  if (st.dimColor) open.push(2);
  if (st.inverse) {
    open.push(7);
    close.push(27);
  }
  const c = st.color === undefined ? undefined : COLOR_CODES[st.color];
  if (c !== undefined) {
    open.push(c);
    close.push(39);
  }
  // the specific "off" codes, as chalk writes them: Ink's ANSI tokenizer pairs them exactly
  return open.length === 0 ? ['', ''] : [`\x1b[${open.join(';')}m`, `\x1b[${close.join(';')}m`];
}

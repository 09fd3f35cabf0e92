// Key names, config overrides and the one resolver (scope + key -> command id).
import { err, ok, type Result } from '../domain/types.js';
import { DEFAULT_BINDINGS, PANE_SCOPES, QUIT_KEY, SCOPES, TEXT_SCOPES, type Binding, type Scope } from './bindings.js';

export interface Keymap {
  bindings: readonly Binding[];
  /** scope -> key -> command */
  byScope: ReadonlyMap<Scope, ReadonlyMap<string, string>>;
}

export interface Resolved {
  command: string;
  /** Typed text, for `input.char`. */
  text?: string;
}

const NAMED: Record<string, string> = {
  enter: 'enter',
  return: 'enter',
  cr: 'enter',
  esc: 'esc',
  escape: 'esc',
  tab: 'tab',
  space: ' ',
  up: 'up',
  down: 'down',
  left: 'left',
  right: 'right',
  pageup: 'pageup',
  pgup: 'pageup',
  pagedown: 'pagedown',
  pgdn: 'pagedown',
  pgdown: 'pagedown',
  home: 'home',
  end: 'end',
  backspace: 'backspace',
  bs: 'backspace',
  delete: 'backspace',
  del: 'backspace',
};
const MODS: Record<string, 'ctrl' | 'meta' | 'shift'> = {
  ctrl: 'ctrl',
  control: 'ctrl',
  c: 'ctrl',
  alt: 'meta',
  meta: 'meta',
  m: 'meta',
  shift: 'shift',
  s: 'shift',
};

/**
 * Canonical key name: single characters as typed ('K' differs from 'k'), else
 * `[ctrl+][meta+][shift+]name` in lower case. Accepts 'Ctrl-u', 'C-u', 'ctrl+u', 'Shift-Tab', 'PgUp'.
 * Returns null for something that is not a key.
 */
export function normalizeKey(raw: string): string | null {
  if (raw.length === 1) return raw >= ' ' && raw !== '\x7f' ? raw : null;
  const s = raw.trim();
  if (s.length === 1) return s;
  if (s === '') return null;
  const parts = s.split(/[+-](?=.)/);
  const last = parts.pop() as string;
  const mods = new Set<string>();
  for (const p of parts) {
    const m = MODS[p.toLowerCase()];
    if (!m) return null;
    mods.add(m);
  }
  let name: string;
  if (last.length === 1) {
    name = mods.has('ctrl') || mods.has('meta') ? last.toLowerCase() : last;
    if (mods.has('shift') && !mods.has('ctrl') && !mods.has('meta')) {
      name = last.toUpperCase();
      mods.delete('shift');
    }
  } else {
    const n = NAMED[last.toLowerCase()];
    if (n === undefined) return null;
    name = n;
  }
  let out = '';
  if (mods.has('ctrl')) out += 'ctrl+';
  if (mods.has('meta')) out += 'meta+';
  if (mods.has('shift')) out += 'shift+';
  return out + name;
}

/** Ink's (input, key) pair -> a canonical key name (see normalizeKey); null for nothing useful. */
export function keyFromInk(
  input: string,
  key: {
    upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean;
    pageUp?: boolean; pageDown?: boolean; home?: boolean; end?: boolean; return?: boolean;
    escape?: boolean; tab?: boolean; backspace?: boolean; delete?: boolean; ctrl?: boolean;
    shift?: boolean; meta?: boolean;
  },
): string | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (input === '') return null;
  if (key.ctrl) return `ctrl+${input.toLowerCase()}`;
  if (key.meta) return `meta+${input}`;
  return input;
}

/** Builds the key map from the defaults and the config's `keys:` overrides, refusing any clash. */
export function buildKeymap(overrides: Record<string, string | string[]> = {}): Result<Keymap> {
  const known = new Set(DEFAULT_BINDINGS.map((x) => x.command));
  const bindings: Binding[] = DEFAULT_BINDINGS.map((x) => ({ ...x, keys: [...x.keys] }));
  for (const [command, value] of Object.entries(overrides)) {
    if (!known.has(command)) {
      return err('config', `keys: unknown command "${command}" (known: ${[...known].join(', ')}).`);
    }
    const list = Array.isArray(value) ? value : [value];
    const keys: string[] = [];
    for (const k of list) {
      const n = typeof k === 'string' ? normalizeKey(k) : null;
      if (n === null) return err('config', `keys: "${String(k)}" for ${command} is not a key name (try "A", "ctrl+u", "shift+tab", "pageup").`);
      if (n === QUIT_KEY) return err('config', `keys: ${command} cannot take ctrl+c, which always quits.`);
      keys.push(n);
    }
    for (const bnd of bindings) if (bnd.command === command) bnd.keys = keys;
  }
  const byScope = new Map<Scope, Map<string, string>>();
  for (const scope of SCOPES) byScope.set(scope, new Map());
  for (const bnd of bindings) {
    const m = byScope.get(bnd.scope) as Map<string, string>;
    for (const k of bnd.keys) {
      const other = m.get(k);
      if (other !== undefined && other !== bnd.command) return err('config', clash(k, other, bnd.command, bnd.scope));
      m.set(k, bnd.command);
    }
  }
  // A pane scope sits on top of `global`: a key there may not also be a global key.
  const global = byScope.get('global') as Map<string, string>;
  for (const scope of PANE_SCOPES) {
    for (const [k, c] of byScope.get(scope) as Map<string, string>) {
      const g = global.get(k);
      if (g !== undefined) return err('config', clash(k, g, c, `${scope} (on top of global)`));
    }
  }
  return ok({ bindings, byScope });
}

function clash(key: string, a: string, b: string, scope: string): string {
  return `keys: "${key}" is bound to both ${a} and ${b} in scope ${scope}.`;
}

let defaultKeymap: Keymap | null = null;
export function getDefaultKeymap(): Keymap {
  if (defaultKeymap === null) {
    const r = buildKeymap();
    if (!r.ok) throw new Error(r.error.message); // the defaults are data checked by a unit test
    defaultKeymap = r.value;
  }
  return defaultKeymap;
}

/**
 * The resolver: scopes in priority order (a modal scope alone, or [pane, 'global']).
 * Unbound printable text in a text scope becomes `input.char`.
 */
export function resolveKey(keymap: Keymap, scopes: readonly Scope[], key: string): Resolved | null {
  if (key === QUIT_KEY) return { command: 'app.quit' };
  for (const scope of scopes) {
    const c = keymap.byScope.get(scope)?.get(key);
    if (c !== undefined) return { command: c };
  }
  const top = scopes[0];
  if (top !== undefined && TEXT_SCOPES.has(top) && !key.startsWith('ctrl+') && !key.startsWith('meta+') && isText(key)) {
    return { command: 'input.char', text: key };
  }
  return null;
}

function isText(key: string): boolean {
  if (key.length === 1) return key >= ' ';
  // a paste arrives as one string; named keys are lower-case words we produced ourselves
  return !(key in NAMED) && key !== 'shift+tab' && !/[\x00-\x1f\x7f]/.test(key);
}

/** How a key is shown to the user. */
export function displayKey(key: string): string {
  const names: Record<string, string> = {
    enter: 'Enter', esc: 'Esc', tab: 'Tab', 'shift+tab': 'Shift-Tab', up: '↑', down: '↓', left: '←', right: '→',
    pageup: 'PgUp', pagedown: 'PgDn', home: 'Home', end: 'End', backspace: 'Backspace', ' ': 'Space',
  };
  const n = names[key];
  if (n !== undefined) return n;
  if (key.startsWith('ctrl+')) return `Ctrl-${key.slice(5)}`;
  if (key.startsWith('meta+')) return `Alt-${key.slice(5)}`;
  return key;
}

/** Bindings of one command in one scope, for hints ("a attach"). */
export function keysOf(keymap: Keymap, command: string, scope?: Scope): string[] {
  const out: string[] = [];
  for (const bnd of keymap.bindings) if (bnd.command === command && (scope === undefined || bnd.scope === scope)) out.push(...bnd.keys);
  return out;
}

export interface Hint {
  key: string;
  description: string;
  command: string;
}

/** Footer hints for the active scopes: the `footer: true` bindings, first key of each. */
export function footerHints(keymap: Keymap, scopes: readonly Scope[]): Hint[] {
  const out: Hint[] = [];
  const seen = new Set<string>();
  for (const scope of scopes) {
    for (const bnd of keymap.bindings) {
      if (bnd.scope !== scope || !bnd.footer || bnd.keys.length === 0 || seen.has(bnd.command)) continue;
      seen.add(bnd.command);
      out.push({ key: displayKey(bnd.keys[0] as string), description: bnd.description, command: bnd.command });
    }
  }
  // global hints last, except help first (as in the sketch: "? help ... q quit")
  const help = out.findIndex((h) => h.command === 'app.help');
  if (help > 0) out.unshift(...out.splice(help, 1));
  const quit = out.findIndex((h) => h.command === 'app.quit');
  if (quit >= 0 && quit !== out.length - 1) out.push(...out.splice(quit, 1));
  return out;
}

export interface HelpSection {
  scope: Scope;
  rows: { keys: string; description: string; command: string }[];
}

/** The `?` overlay: every binding, grouped by scope. */
export function helpSections(keymap: Keymap): HelpSection[] {
  const order: Scope[] = ['global', 'runs', 'log', 'gpus', 'checkpoints', 'new-run', 'hosts', 'attached'];
  return order.map((scope) => ({
    scope,
    rows: keymap.bindings
      .filter((x) => x.scope === scope && x.keys.length > 0)
      .map((x) => ({ keys: x.keys.map(displayKey).join(' '), description: x.description, command: x.command })),
  }));
}

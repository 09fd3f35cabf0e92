// The new-run form's rows (inside its box): one line per field, the focused one marked `›` with its
// cursor, defaults shown dim, then the command note and the errors or the focused field's hint.
// Pure: the form state in, rows out; frame.ts draws the box over the panes.
import { displayKey, type Keymap } from '../keys/keymap.js';
import { newRunErrors } from '../store/new-run-form.js';
import { hostsInOrder } from '../store/selectors.js';
import { NEW_RUN_FIELDS, type NewRunField, type NewRunForm, type State } from '../store/state.js';
import { RowBuilder, textRow, type Row } from './rows.js';
import { wrapWords } from './text.js';

const LABELS: Record<NewRunField, string> = {
  name: 'Name',
  host: 'Host',
  cmd: 'Command',
  cwd: 'Directory',
  log: 'Log',
  checkpoints: 'Checkpoints',
  gpus: 'GPUs',
};

const HINTS: Record<NewRunField, string> = {
  name: "the tmux session's name on the host (no '.', ':' or '\\')",
  host: '←/→ choose among the configured hosts',
  cmd: 'the program and its arguments, e.g. python train.py --lr 1e-4',
  cwd: 'where the command starts; empty: the directory shown dim',
  log: 'its output is also written here; empty: the file shown dim',
  checkpoints: 'a directory the checkpoints pane lists (optional)',
  gpus: 'N: pick N free GPUs (CUDA_VISIBLE_DEVICES), 0,3: exactly those; empty: none chosen',
};

/** How the command line is run: split into words like sh would, run without a shell. */
export const COMMAND_NOTE = "Command: split into words like sh (quotes and \\ work), nothing expanded; for pipes or $VARS: bash -lc '...'";

const LABEL_W = 13;

export const NEW_RUN_TITLE = 'New run';

/**
 * The rows inside the form's box, `inner` cells wide, at most `maxRows` (the key list goes first,
 * then the blank rows, when the terminal is short); its keys come from the key map.
 */
export function newRunRows(s: State, f: NewRunForm, inner: number, keymap: Keymap, maxRows = Infinity): Row[] {
  const errors = newRunErrors(f);
  const valueW = Math.max(4, inner - 3 - LABEL_W);
  const rows: Row[] = [];
  for (const field of NEW_RUN_FIELDS) {
    const on = f.field === field;
    const bad = errors[field] !== undefined;
    const b = new RowBuilder(inner)
      .add(on ? ' › ' : bad ? ' ✗ ' : '   ', on ? 'focus' : bad ? 'err' : undefined)
      .add(LABELS[field].padEnd(LABEL_W), on ? 'focus' : 'title');
    if (field === 'host') hostValue(b, s, f, on);
    else textValue(b, f.text[field], on ? f.cursor : null, placeholder(s, field, f), valueW);
    rows.push(b.row());
  }
  // what gives way on a short terminal, first to last: blank rows, the full key list (a short one
  // stays: how to start and how to cancel), the command note, the focused field's hint
  const note = wrapWords(COMMAND_NOTE, inner - 2).map((line) => textRow(` ${line}`, inner, 'dim'));
  const shown = NEW_RUN_FIELDS.filter((x) => errors[x] !== undefined);
  const msgs: Row[] = [];
  // messages wrap: nothing a user must read is cut
  if (shown.length === 0) for (const line of wrapWords(`${LABELS[f.field]}: ${HINTS[f.field]}`, inner - 2)) msgs.push(textRow(` ${line}`, inner, 'dim'));
  for (const x of shown) wrapWords(`${LABELS[x]}: ${errors[x] as string}`, inner - 4).forEach((line, i) => msgs.push(textRow(`${i === 0 ? ' ✗ ' : '   '}${line}`, inner, 'err')));
  const keys = keyRows(keymap, inner);
  const short = shortKeys(keymap, inner);
  const blank = textRow('', inner);
  const candidates: Row[][] = [
    [blank, ...rows, blank, ...note, ...msgs, blank, ...keys],
    [...rows, ...note, ...msgs, ...keys],
    [...rows, ...note, ...msgs, short],
    [...rows, ...msgs, short],
    [...rows, ...(shown.length ? msgs : []), short],
  ];
  return candidates.find((c) => c.length <= maxRows) ?? [...rows, short].slice(0, Math.max(1, maxRows));
}

/** The keys that must always show: start and cancel (and next field). */
function shortKeys(keymap: Keymap, inner: number): Row {
  const key = (cmd: string) => keymap.bindings.find((x) => x.scope === 'new-run' && x.command === cmd && x.keys.length > 0)?.keys[0];
  const b = new RowBuilder(inner).add(' ');
  for (const [cmd, what] of [['form.submit', 'start'], ['form.cancel', 'cancel'], ['form.next', 'next field']] as const) {
    const k = key(cmd);
    if (k === undefined) continue;
    if (b.left < inner - 1) b.add(' · ', 'dim');
    b.add(displayKey(k), 'key').add(` ${what}`, 'dim');
  }
  return b.row();
}

/** The form's bindings ("Tab ↓ next field · ..."), wrapped to the box: `?` is text inside the form. */
function keyRows(keymap: Keymap, inner: number): Row[] {
  const items = keymap.bindings
    .filter((x) => x.scope === 'new-run' && x.keys.length > 0)
    .map((x) => ({ keys: x.keys.map(displayKey).join(' '), what: x.description }));
  const rows: Row[] = [];
  let b = new RowBuilder(inner).add(' ');
  for (const it of items) {
    const w = it.keys.length + 1 + it.what.length + 3;
    if (b.left < w && b.left < inner - 1) {
      rows.push(b.row());
      b = new RowBuilder(inner).add(' ');
    } else if (b.left < inner - 1) b.add(' · ', 'dim');
    b.add(it.keys, 'key').add(` ${it.what}`, 'dim');
  }
  rows.push(b.row());
  return rows;
}

function placeholder(s: State, field: NewRunField, f: NewRunForm): string {
  if (field === 'cwd') return s.newRunDefaults.cwd;
  if (field === 'log') return `${s.newRunDefaults.logDir}/${f.text.name.trim() === '' ? 'NAME' : f.text.name.trim()}.log`;
  if (field === 'checkpoints' || field === 'gpus') return 'none';
  return '';
}

function hostValue(b: RowBuilder, s: State, f: NewRunForm, on: boolean): void {
  const hosts = hostsInOrder(s);
  if (f.host === '') {
    b.add('no host configured', 'err');
    return;
  }
  if (hosts.length <= 1) {
    b.add(f.host, on ? 'key' : undefined);
    return;
  }
  b.add(on ? '‹ ' : '  ', 'accent').add(f.host, on ? 'key' : undefined).add(on ? ' ›' : '  ', 'accent');
  b.add(`  ${hosts.indexOf(f.host) + 1}/${hosts.length}`, 'dim');
}

/** The value, scrolled so the cursor stays in view; the cursor is a block at the end, else inverse. */
function textValue(b: RowBuilder, value: string, cursor: number | null, hint: string, w: number): void {
  const cs = Array.from(value);
  if (cs.length === 0) {
    if (cursor !== null) b.add('█', 'accent');
    if (hint !== '') b.add(hint, 'dim');
    return;
  }
  if (cursor === null) {
    b.add(cs.length > w ? `${cs.slice(0, w - 1).join('')}…` : value);
    return;
  }
  const at = Math.min(cursor, cs.length);
  // scrolled so the cursor is in view; a leading … (one cell) says text is cut on the left
  const from = cs.length + 1 <= w ? 0 : Math.max(0, at + 2 - w);
  const room = from > 0 ? w - 1 : w;
  const to = Math.min(cs.length, from + room - (at === cs.length ? 1 : 0));
  if (from > 0) b.add('…', 'dim');
  b.add(cs.slice(from, Math.min(at, to)).join(''));
  if (at < cs.length) {
    b.add(cs[at] as string, 'banner');
    if (at + 1 < to) b.add(cs.slice(at + 1, to).join(''));
  } else {
    b.add('█', 'accent');
  }
}


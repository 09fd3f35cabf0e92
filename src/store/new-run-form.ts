// The new-run form (`n` in the runs pane): pure state changes for its commands, and its validation.
// Submit asks for the 'run.new' effect; src/commands/monitor.ts starts the run outside React.
import { splitCommandLine } from '../parse/argv.js';
import { parseGpusFlag } from '../parse/gpu-pick.js';
import { checkRunName } from '../parse/run-name.js';
import { hostsInOrder, selectedRun } from './selectors.js';
import {
  NEW_RUN_FIELDS,
  type Effect,
  type NewRunField,
  type NewRunForm,
  type NewRunRequest,
  type NewRunTextField,
  type State,
} from './state.js';

export type NewRunErrors = Partial<Record<NewRunField, string>>;

/** What the form would start, or what is wrong with it, field by field. */
export function checkNewRunForm(f: NewRunForm): { ok: true; value: NewRunRequest } | { ok: false; errors: NewRunErrors } {
  const errors: NewRunErrors = {};
  const name = f.text.name.trim();
  if (name === '') errors.name = 'the name is empty';
  else {
    const c = checkRunName(name);
    if (!c.ok) errors.name = c.error.message;
  }
  if (f.host === '') errors.host = 'no host to start the run on';
  const cmd = splitCommandLine(f.text.cmd);
  if (!cmd.ok) errors.cmd = cmd.error;
  const gpus = f.text.gpus.trim();
  if (gpus !== '') {
    const g = parseGpusFlag(gpus, undefined);
    if (!g.ok) errors.gpus = g.error.message.replace(/^new: --gpus wants/, 'wants');
  }
  if (!cmd.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  const opt = (v: string): string | null => (v.trim() === '' ? null : v.trim());
  return {
    ok: true,
    value: { host: f.host, name, cmd: cmd.value, cwd: opt(f.text.cwd), log: opt(f.text.log), checkpoints: opt(f.text.checkpoints), gpus: opt(f.text.gpus) },
  };
}

/** Errors to show: none until a submit was tried, then kept current while the user types. */
export function newRunErrors(f: NewRunForm): NewRunErrors {
  if (!f.tried) return {};
  const r = checkNewRunForm(f);
  return r.ok ? {} : r.errors;
}

/** Opens the form on the selected run's host (else the first host). */
export function openNewRunForm(s: State, effects: Effect[]): State {
  const hosts = hostsInOrder(s);
  const host = selectedRun(s)?.host ?? hosts[0] ?? '';
  return {
    ...s,
    newRun: { field: 'name', host, text: { name: '', cmd: '', cwd: '', log: '', checkpoints: '', gpus: '' }, cursor: 0, tried: false },
  };
}

const chars = (t: string): string[] => Array.from(t);
const isText = (f: NewRunField): f is NewRunTextField => f !== 'host';

function focus(f: NewRunForm, field: NewRunField): NewRunForm {
  return { ...f, field, cursor: isText(field) ? chars(f.text[field]).length : 0 };
}

function edit(f: NewRunForm, fn: (cs: string[], at: number) => { cs: string[]; at: number }): NewRunForm {
  if (!isText(f.field)) return f;
  const cs = chars(f.text[f.field]);
  const r = fn(cs, Math.min(f.cursor, cs.length));
  return { ...f, text: { ...f.text, [f.field]: r.cs.join('') }, cursor: r.at };
}

function cycleHost(s: State, f: NewRunForm, d: 1 | -1): NewRunForm {
  const hosts = hostsInOrder(s);
  if (hosts.length === 0) return f;
  const i = hosts.indexOf(f.host);
  const j = i < 0 ? 0 : (i + d + hosts.length) % hosts.length;
  return { ...f, host: hosts[j] as string };
}

/**
 * A command while the form is open ('form.*' and 'input.char'); null when `id` is not one of them.
 * `say` puts a line in the status bar.
 */
export function newRunCommand(
  s: State,
  id: string,
  text: string | undefined,
  effects: Effect[],
  say: (s: State, text: string) => State,
): State | null {
  const f = s.newRun;
  if (f === null) return null;
  const set = (g: NewRunForm): State => ({ ...s, newRun: g });
  const idx = NEW_RUN_FIELDS.indexOf(f.field);
  switch (id) {
    case 'input.char':
      if (text === undefined || !isText(f.field)) return s;
      // a paste may carry line breaks: the form's fields are one line each
      return set(edit(f, (cs, at) => {
        const add = chars(text.replace(/[\r\n\t]+/g, ' ')).filter((c) => c >= ' ' && c !== '\x7f');
        return { cs: [...cs.slice(0, at), ...add, ...cs.slice(at)], at: at + add.length };
      }));
    case 'form.backspace':
      return set(edit(f, (cs, at) => (at === 0 ? { cs, at } : { cs: [...cs.slice(0, at - 1), ...cs.slice(at)], at: at - 1 })));
    case 'form.clear':
      return set(edit(f, () => ({ cs: [], at: 0 })));
    case 'form.left':
      return set(isText(f.field) ? { ...f, cursor: Math.max(0, f.cursor - 1) } : cycleHost(s, f, -1));
    case 'form.right':
      return set(isText(f.field) ? { ...f, cursor: Math.min(chars(f.text[f.field]).length, f.cursor + 1) } : cycleHost(s, f, 1));
    case 'form.home':
      return set({ ...f, cursor: 0 });
    case 'form.end':
      return set(focus(f, f.field));
    case 'form.next':
      return set(focus(f, NEW_RUN_FIELDS[(idx + 1) % NEW_RUN_FIELDS.length] as NewRunField));
    case 'form.prev':
      return set(focus(f, NEW_RUN_FIELDS[(idx + NEW_RUN_FIELDS.length - 1) % NEW_RUN_FIELDS.length] as NewRunField));
    case 'form.enter':
      if (idx < NEW_RUN_FIELDS.length - 1) return set(focus(f, NEW_RUN_FIELDS[idx + 1] as NewRunField));
      return submit(s, f, effects, say);
    case 'form.submit':
      return submit(s, f, effects, say);
    case 'form.cancel':
      return say({ ...s, newRun: null }, 'new run cancelled');
  }
  return null;
}

function submit(s: State, f: NewRunForm, effects: Effect[], say: (s: State, text: string) => State): State {
  const r = checkNewRunForm(f);
  if (!r.ok) {
    // focus the first field at fault; the errors show in the form
    const first = NEW_RUN_FIELDS.find((x) => r.errors[x] !== undefined) ?? f.field;
    return { ...s, newRun: focus({ ...f, tried: true }, first) };
  }
  effects.push({ type: 'run.new', ...r.value });
  return say({ ...s, newRun: null }, `starting ${r.value.host}:${r.value.name}…`);
}

// The new-run form in the store: pure reducer behaviour, keys resolved through the real key map.
import { describe, expect, it } from 'vitest';
import { resolveKey } from '../../../src/keys/index.js';
import { activeScopes, type Effect, type Store } from '../../../src/store/index.js';
import { checkNewRunForm } from '../../../src/store/new-run-form.js';
import { emptyFixture, fixtureStore, mkRun, RUNS_A800, RUNS_GPU1 } from '../../ui/fixture-store.js';

function effects(store: Store): Effect[] {
  const out: Effect[] = [];
  store.onEffect((e) => out.push(e));
  return out;
}

/** Keys as the input handler sends them: resolved against the latest state, then dispatched. */
function keys(store: Store, ...ks: string[]): void {
  for (const k of ks) {
    const r = resolveKey(store.keymap, activeScopes(store.getState()), k);
    if (r !== null) store.command(r.command, r.text);
  }
}
const form = (store: Store) => {
  const f = store.getState().newRun;
  if (f === null) throw new Error('the form is not open');
  return f;
};

describe('opening', () => {
  it('n opens the form on the selected run\'s host, in its own modal key scope', () => {
    const f = fixtureStore();
    const fx = effects(f.store);
    keys(f.store, 'j', 'j'); // gpu1:train_v1
    keys(f.store, 'n');
    expect(form(f.store)).toMatchObject({ field: 'name', host: 'gpu1', cursor: 0, tried: false });
    expect(activeScopes(f.store.getState())).toEqual(['new-run']);
    // nothing starts until the form is submitted
    expect(fx.filter((e) => e.type === 'run.new')).toEqual([]);
    // keys of other scopes are text now: q does not quit, j does not move
    keys(f.store, 'q', 'j', '?', 'K');
    expect(form(f.store).text.name).toBe('qj?K');
    expect(f.store.getState().quitting).toBe(false);
    expect(f.store.getState().help).toBe(false);
    // Ctrl-C still quits
    keys(f.store, 'ctrl+c');
    expect(f.store.getState().quitting).toBe(true);
  });

  it('with no run selected, the first configured host', () => {
    const f = emptyFixture();
    keys(f.store, 'n');
    expect(form(f.store).host).toBe('a800');
  });

  it('is refused under --readonly, with a message', () => {
    const f = fixtureStore({ readonly: true });
    const fx = effects(f.store);
    keys(f.store, 'n');
    expect(f.store.getState().newRun).toBeNull();
    expect(f.store.getState().message?.text).toBe('read-only mode: new is disabled');
    expect(fx).toEqual([]);
  });
});

describe('editing', () => {
  it('inserts at the cursor, moves it, deletes before it, clears with Ctrl-u', () => {
    const f = fixtureStore();
    keys(f.store, 'n', 'a', 'c', 'left', 'b');
    expect(form(f.store)).toMatchObject({ text: { name: 'abc' }, cursor: 2 });
    keys(f.store, 'home', 'x', 'end', 'y');
    expect(form(f.store).text.name).toBe('xabcy');
    keys(f.store, 'left', 'left', 'backspace');
    expect(form(f.store)).toMatchObject({ text: { name: 'xabcy'.slice(0, 2) + 'cy' }, cursor: 2 });
    keys(f.store, 'ctrl+a', 'backspace', 'ctrl+e', 'right', 'right');
    expect(form(f.store).cursor).toBe(4);
    keys(f.store, 'ctrl+u');
    expect(form(f.store)).toMatchObject({ text: { name: '' }, cursor: 0 });
  });

  it('counts the cursor in characters, not UTF-16 units', () => {
    const f = fixtureStore();
    keys(f.store, 'n', '日', '😀', 'left', 'backspace');
    expect(form(f.store)).toMatchObject({ text: { name: '😀' }, cursor: 0 });
  });

  it('takes a paste as one key, line breaks turned into spaces', () => {
    const f = fixtureStore();
    keys(f.store, 'n', 'tab', 'tab');
    f.store.command('input.char', "sh -c 'echo a'\npython x.py");
    expect(form(f.store).text.cmd).toBe("sh -c 'echo a' python x.py");
  });

  it('moves between fields with Tab/Shift-Tab and arrows, wrapping; the cursor goes to the end', () => {
    const f = fixtureStore();
    keys(f.store, 'n', 'run1', 'down');
    expect(form(f.store).field).toBe('host');
    keys(f.store, 'tab', 'tab', 'tab', 'tab');
    expect(form(f.store).field).toBe('checkpoints');
    keys(f.store, 'tab');
    expect(form(f.store).field).toBe('gpus');
    keys(f.store, 'tab');
    expect(form(f.store)).toMatchObject({ field: 'name', cursor: 4 });
    keys(f.store, 'shift+tab');
    expect(form(f.store).field).toBe('gpus');
    keys(f.store, 'up', 'up', 'up', 'up', 'up', 'up');
    expect(form(f.store).field).toBe('name');
  });

  it('cycles the host with left/right among the hosts, wrapping; text typed there goes nowhere', () => {
    const f = fixtureStore();
    keys(f.store, 'n', 'tab');
    expect(form(f.store).host).toBe('a800');
    keys(f.store, 'right');
    expect(form(f.store).host).toBe('gpu1');
    keys(f.store, 'right');
    expect(form(f.store).host).toBe('a800');
    keys(f.store, 'left', 'z', 'backspace');
    expect(form(f.store).host).toBe('gpu1');
    expect(form(f.store).text).toEqual({ name: '', cmd: '', cwd: '', log: '', checkpoints: '', gpus: '' });
  });
});

describe('submitting', () => {
  it('emits run.new with the argv and the optional fields (null: the default), closes, says so', () => {
    const f = fixtureStore();
    const fx = effects(f.store);
    keys(f.store, 'n', ' train2 ', 'tab', 'right', 'tab');
    f.store.command('input.char', `CUDA_VISIBLE_DEVICES=1 python train.py --name "my run"`);
    keys(f.store, 'tab', 'tab', 'tab', '~/ckpt', 'ctrl+s');
    expect(fx.filter((e) => e.type === 'run.new')).toEqual([
      {
        type: 'run.new',
        host: 'gpu1',
        name: 'train2',
        cmd: ['env', 'CUDA_VISIBLE_DEVICES=1', 'python', 'train.py', '--name', 'my run'],
        cwd: null,
        log: null,
        checkpoints: '~/ckpt',
        gpus: null,
      },
    ]);
    expect(f.store.getState().newRun).toBeNull();
    expect(f.store.getState().message?.text).toBe('starting gpu1:train2…');
    expect(activeScopes(f.store.getState())).toEqual(['runs', 'global']);
  });

  it('Enter moves on, and submits only on the last field', () => {
    const f = fixtureStore();
    const fx = effects(f.store);
    keys(f.store, 'n', 'r1', 'enter', 'enter', 'true', 'enter', '/w', 'enter', 'l.log', 'enter');
    expect(fx.some((e) => e.type === 'run.new')).toBe(false);
    expect(form(f.store).field).toBe('checkpoints');
    keys(f.store, 'enter');
    expect(form(f.store).field).toBe('gpus');
    keys(f.store, '2', 'enter');
    expect(fx.at(-1)).toEqual({ type: 'run.new', host: 'a800', name: 'r1', cmd: ['true'], cwd: '/w', log: 'l.log', checkpoints: null, gpus: '2' });
  });

  it('refuses an empty name, a name tmux would change, an empty or shell-only command; errors follow the typing', () => {
    const f = fixtureStore();
    const fx = effects(f.store);
    keys(f.store, 'n', 'tab', 'tab', 'ctrl+s');
    const s1 = form(f.store);
    expect(s1).toMatchObject({ tried: true, field: 'name' });
    expect(checkNewRunForm(s1)).toEqual({ ok: false, errors: { name: 'the name is empty', cmd: 'the command is empty' } });
    keys(f.store, 'a:b');
    const s2 = checkNewRunForm(form(f.store));
    expect(s2.ok === false && s2.errors.name).toMatch(/contains ":", which tmux does not keep/);
    keys(f.store, 'ctrl+u', '$x');
    const s3 = checkNewRunForm(form(f.store));
    expect(s3.ok === false && s3.errors.name).toMatch(/starts with "\$"/);
    keys(f.store, 'ctrl+u', 'ok', 'tab', 'tab', 'echo "unterminated', 'ctrl+s');
    expect(form(f.store).field).toBe('cmd');
    const s4 = checkNewRunForm(form(f.store));
    expect(s4).toEqual({ ok: false, errors: { cmd: 'the command has an unterminated " quote' } });
    expect(fx.some((e) => e.type === 'run.new')).toBe(false);
    keys(f.store, '"', 'ctrl+s');
    expect(fx.at(-1)).toMatchObject({ type: 'run.new', name: 'ok', cmd: ['echo', 'unterminated'] });
  });

  it('Esc cancels without an effect and keeps the selection', () => {
    const f = fixtureStore();
    const fx = effects(f.store);
    keys(f.store, 'j', 'n', 'abc', 'esc');
    expect(f.store.getState().newRun).toBeNull();
    expect(f.store.getState().message?.text).toBe('new run cancelled');
    expect(f.store.getState().selectedRunId).toBe('a800:sweep-3');
    expect(fx.filter((e) => e.type === 'run.new')).toEqual([]);
  });
});

describe('selecting the new run', () => {
  it('a select event for a run not seen yet selects it when a snapshot brings it', () => {
    const f = fixtureStore();
    const fx = effects(f.store);
    f.store.dispatch({ type: 'select', runId: 'gpu1:train2' });
    expect(f.store.getState().selectedRunId).toBe('a800:training');
    f.store.dispatch({ type: 'runs', host: 'gpu1', runs: [...RUNS_GPU1, mkRun('gpu1', 'train2', { log: '/home/u/rtk-runs/train2.log' })] });
    expect(f.store.getState().selectedRunId).toBe('gpu1:train2');
    expect(f.store.getState().pendingSelect).toBeNull();
    expect(fx.filter((e) => e.type === 'log.select').at(-1)).toEqual({
      type: 'log.select', runId: 'gpu1:train2', host: 'gpu1', session: 'train2', log: '/home/u/rtk-runs/train2.log', logStart: null,
    });
  });

  it('a run already there is selected at once; moving by hand drops a pending selection', () => {
    const f = fixtureStore();
    f.store.dispatch({ type: 'select', runId: 'a800:sweep-3' });
    expect(f.store.getState().selectedRunId).toBe('a800:sweep-3');
    f.store.dispatch({ type: 'select', runId: 'a800:later' });
    keys(f.store, 'k');
    f.store.dispatch({ type: 'runs', host: 'a800', runs: [...RUNS_A800, mkRun('a800', 'later')] });
    expect(f.store.getState().selectedRunId).toBe('a800:training');
  });
});

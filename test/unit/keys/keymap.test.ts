import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BINDINGS,
  PANE_SCOPES,
  SCOPES,
  buildKeymap,
  footerHints,
  getDefaultKeymap,
  helpSections,
  keyFromInk,
  normalizeKey,
  resolveKey,
} from '../../../src/keys/index.js';

describe('default key map', () => {
  it('has no two commands on one key in one scope, pane scopes counted with global', () => {
    for (const scope of SCOPES) {
      const seen = new Map<string, string>();
      const rows = DEFAULT_BINDINGS.filter(
        (b) => b.scope === scope || ((PANE_SCOPES as readonly string[]).includes(scope) && b.scope === 'global'),
      );
      for (const b of rows) {
        for (const k of b.keys) {
          const other = seen.get(k);
          expect(other === undefined || other === b.command, `${scope}: ${k} -> ${other} and ${b.command}`).toBe(true);
          seen.set(k, b.command);
        }
      }
    }
    expect(buildKeymap().ok).toBe(true);
  });

  it('uses namespaced command ids and normalised key names', () => {
    for (const b of DEFAULT_BINDINGS) {
      expect(b.command).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
      for (const k of b.keys) expect(normalizeKey(k)).toBe(k);
    }
  });

  it('covers DESIGN section 5', () => {
    const km = getDefaultKeymap();
    const r = (scope: 'runs' | 'log' | 'gpus' | 'checkpoints', key: string) => resolveKey(km, [scope, 'global'], key)?.command;
    expect(r('runs', 'q')).toBe('app.quit');
    expect(r('runs', '?')).toBe('app.help');
    expect(r('log', 'tab')).toBe('pane.next');
    expect(r('log', 'shift+tab')).toBe('pane.prev');
    expect(r('gpus', '3')).toBe('pane.gpus');
    expect(r('runs', 'z')).toBe('pane.zoom');
    expect(r('runs', 'r')).toBe('app.refresh');
    expect(r('runs', 'j')).toBe('runs.down');
    expect(r('runs', 'down')).toBe('runs.down');
    expect(r('runs', 'G')).toBe('runs.last');
    expect(r('runs', 'enter')).toBe('run.showLog');
    expect(r('runs', 'a')).toBe('run.attach');
    expect(r('runs', 'p')).toBe('run.peek');
    expect(r('runs', 'K')).toBe('run.kill');
    expect(r('runs', 'n')).toBe('run.new');
    expect(r('runs', '/')).toBe('runs.filter');
    expect(r('log', 'ctrl+u')).toBe('log.pageUp');
    expect(r('log', 'pagedown')).toBe('log.pageDown');
    expect(r('log', 'f')).toBe('log.follow');
    expect(r('log', '/')).toBe('log.search');
    expect(r('log', 'n')).toBe('log.next');
    expect(r('log', 'N')).toBe('log.prev');
    expect(r('log', 'w')).toBe('log.wrap');
    expect(r('gpus', 'k')).toBe('gpus.up');
    expect(r('checkpoints', 'D')).toBe('ckpt.pull');
    expect(r('gpus', 'D')).toBeUndefined();
  });
});

describe('resolver', () => {
  const km = getDefaultKeymap();
  it('modal scopes take keys before global ones, and ctrl+c always quits', () => {
    expect(resolveKey(km, ['help'], 'q')?.command).toBe('help.close');
    expect(resolveKey(km, ['help'], 'x')).toBeNull();
    expect(resolveKey(km, ['confirm'], 'y')?.command).toBe('confirm.yes');
    expect(resolveKey(km, ['confirm'], 'ctrl+c')?.command).toBe('app.quit');
    expect(resolveKey(km, ['input'], 'ctrl+c')?.command).toBe('app.quit');
  });
  it('turns unbound printable keys into text in input scopes, not elsewhere', () => {
    expect(resolveKey(km, ['input'], 'q')).toEqual({ command: 'input.char', text: 'q' });
    expect(resolveKey(km, ['input'], 'loss nan')).toEqual({ command: 'input.char', text: 'loss nan' });
    expect(resolveKey(km, ['input'], 'enter')?.command).toBe('input.submit');
    expect(resolveKey(km, ['input'], 'up')).toBeNull();
    expect(resolveKey(km, ['confirm-typed'], 'y')).toEqual({ command: 'input.char', text: 'y' });
    expect(resolveKey(km, ['runs', 'global'], 'x')).toBeNull();
  });
});

describe('key names', () => {
  it.each([
    ['A', 'A'],
    ['Ctrl-u', 'ctrl+u'],
    ['C-d', 'ctrl+d'],
    ['ctrl+U', 'ctrl+u'],
    ['Shift-Tab', 'shift+tab'],
    ['shift+k', 'K'],
    ['PgUp', 'pageup'],
    ['Enter', 'enter'],
    ['space', ' '],
    ['-', '-'],
    ['ctrl+\\', 'ctrl+\\'],
  ])('%s -> %s', (raw, want) => expect(normalizeKey(raw)).toBe(want));
  it.each(['', 'hyper+x', 'flarp', '\x01'])('refuses %j', (raw) => expect(normalizeKey(raw)).toBeNull());

  it('maps Ink key events', () => {
    expect(keyFromInk('', { upArrow: true })).toBe('up');
    expect(keyFromInk('', { tab: true, shift: true })).toBe('shift+tab');
    expect(keyFromInk('u', { ctrl: true })).toBe('ctrl+u');
    expect(keyFromInk('K', { shift: true })).toBe('K');
    expect(keyFromInk('', { return: true })).toBe('enter');
    expect(keyFromInk('', { escape: true, meta: true })).toBe('esc');
    expect(keyFromInk('', {})).toBeNull();
  });
});

describe('config overrides', () => {
  it('rebinds a command, with one key or several', () => {
    const r = buildKeymap({ 'run.attach': 'A', 'log.follow': ['ctrl+f', 'ctrl+g'] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(resolveKey(r.value, ['runs', 'global'], 'A')?.command).toBe('run.attach');
    expect(resolveKey(r.value, ['runs', 'global'], 'a')).toBeNull();
    expect(resolveKey(r.value, ['log', 'global'], 'ctrl+f')?.command).toBe('log.follow');
    expect(footerHints(r.value, ['runs', 'global']).find((h) => h.command === 'run.attach')?.key).toBe('A');
  });
  it('names both commands on a clash in one scope', () => {
    const r = buildKeymap({ 'run.attach': 'K' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('config');
    expect(r.error.message).toContain('run.attach');
    expect(r.error.message).toContain('run.kill');
  });
  it('refuses a pane key that shadows a global one', () => {
    const r = buildKeymap({ 'log.wrap': 'q' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/app\.quit.*log\.wrap|log\.wrap.*app\.quit/);
  });
  it('allows the same key in different pane scopes', () => {
    expect(buildKeymap({ 'ckpt.pull': 'n' }).ok).toBe(true);
  });
  it('refuses unknown commands, bad key names and ctrl+c', () => {
    const a = buildKeymap({ 'run.explode': 'x' });
    expect(!a.ok && a.error.message).toContain('run.explode');
    const b = buildKeymap({ 'run.attach': 'hyper+q' });
    expect(!b.ok && b.error.message).toContain('hyper+q');
    expect(buildKeymap({ 'run.attach': 'C-c' }).ok).toBe(false);
  });
});

describe('hints and help come from the same data', () => {
  it('footer for the runs pane', () => {
    const hints = footerHints(getDefaultKeymap(), ['runs', 'global']).map((h) => `${h.key} ${h.description}`);
    expect(hints[0]).toBe('? help');
    expect(hints.at(-1)).toBe('q quit');
    expect(hints).toContain('a attach');
    expect(hints).toContain('K kill (confirm)');
  });
  it('help lists every non-modal binding', () => {
    const rows = helpSections(getDefaultKeymap()).flatMap((s) => s.rows.map((r) => r.command));
    for (const b of DEFAULT_BINDINGS) {
      if (['global', 'runs', 'log', 'gpus', 'checkpoints', 'attached'].includes(b.scope)) expect(rows).toContain(b.command);
    }
  });
});

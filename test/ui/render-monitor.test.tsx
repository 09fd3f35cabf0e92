import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { renderMonitor } from '../../src/ui/render-monitor.js';
import { ALT_SCREEN_ON, CURSOR_HIDE, RESTORE } from '../../src/tty/screen.js';
import type { Effect } from '../../src/store/index.js';
import { fixtureStore } from './fixture-store.js';
import { FakeIn, FakeOut } from './fake-tty.js';


const tick = () => new Promise<void>((r) => setImmediate(r));

function mount(f = fixtureStore()) {
  const out = new FakeOut();
  const inp = new FakeIn();
  const proc = new EventEmitter();
  const fx: Effect[] = [];
  f.store.onEffect((e) => fx.push(e));
  const h = renderMonitor(f.store, { stdin: inp as never, stdout: out as never, proc, color: false, tickMs: 0 });
  return { f, out, inp, proc, fx, h };
}

describe('renderMonitor', () => {
  it('enters the alternate screen before drawing and restores it on q', async () => {
    const m = mount();
    expect(m.out.data.startsWith(ALT_SCREEN_ON + CURSOR_HIDE)).toBe(true);
    expect(m.proc.listenerCount('SIGTERM')).toBe(1);
    await tick();
    m.inp.write('q');
    await m.h.waitUntilExit();
    expect(m.fx.map((e) => e.type)).toContain('app.quit');
    expect(m.out.data.endsWith(RESTORE)).toBe(true);
    expect(m.inp.raw.at(-1)).toBe(false);
    expect(m.proc.listenerCount('SIGTERM')).toBe(0);
    expect(m.proc.listenerCount('uncaughtException')).toBe(0);
  });

  it('Ctrl-C quits the same way (exitOnCtrlC is off)', async () => {
    const m = mount();
    await tick();
    m.inp.write('\u0003');
    await m.h.waitUntilExit();
    expect(m.fx.filter((e) => e.type === 'app.quit')).toHaveLength(1);
    expect(m.out.data.endsWith(RESTORE)).toBe(true);
  });

  it('SIGTERM quits through app.quit and restores', async () => {
    const m = mount();
    m.proc.emit('SIGTERM');
    await m.h.waitUntilExit();
    expect(m.fx.map((e) => e.type)).toContain('app.quit');
    expect(m.out.data.endsWith(RESTORE)).toBe(true);
  });

  it('an uncaught exception restores the terminal at once', async () => {
    const m = mount();
    // a second listener stands in for the test runner's, so the guard does not re-throw
    const seen: unknown[] = [];
    m.proc.on('uncaughtException', (e) => seen.push(e));
    m.proc.emit('uncaughtException', new Error('boom'));
    expect(m.out.data.endsWith(RESTORE)).toBe(true);
    expect(seen).toHaveLength(1);
    m.h.unmount();
    expect(m.out.data.indexOf(RESTORE)).toBe(m.out.data.lastIndexOf(RESTORE));
  });

  it('tracks terminal resizes in the store', async () => {
    const m = mount();
    expect(m.f.store.getState().size).toEqual({ cols: 100, rows: 30 });
    m.out.columns = 80;
    m.out.rows = 24;
    m.out.emit('resize');
    expect(m.f.store.getState().size).toEqual({ cols: 80, rows: 24 });
    m.h.unmount();
    await m.h.waitUntilExit();
  });

  it('unmounts and mounts again (attach) keeping all state in the store', async () => {
    const f = fixtureStore();
    const a = mount(f);
    await tick();
    a.inp.write('j');
    await tick();
    a.h.unmount();
    await a.h.waitUntilExit();
    expect(a.out.data.endsWith(RESTORE)).toBe(true);
    const b = mount(f);
    expect(b.out.data.startsWith(ALT_SCREEN_ON)).toBe(true);
    expect(f.store.getState().selectedRunId).toBe('a800:sweep-3');
    await tick();
    b.inp.write('j');
    await tick();
    expect(f.store.getState().selectedRunId).toBe('gpu1:train_v1');
    b.h.unmount();
    await b.h.waitUntilExit();
    expect(b.out.data).toContain('gpu1:train_v1');
  });
});

// The state file (atomic, bounded, a bad one set aside), the exec hooks (argv only, bounded queue,
// timeouts, failures reported) and the notification bytes (bell, OSC 9 / 777, tmux passthrough).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hookArgs, hookEnv, HookRunner } from '../../../src/events/hooks.js';
import { EventHub } from '../../../src/events/hub.js';
import { EVENTS_KEPT, loadState, saveState, emptyState, statePath } from '../../../src/events/state-file.js';
import type { RtkEvent } from '../../../src/events/types.js';
import { desktopKind, notificationBytes, tmuxWrap } from '../../../src/tty/notify.js';
import { defaultNotify } from '../../../src/config/schema.js';
import { mkRun, T0 } from '../../ui/fixture-store.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rtk-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ev = (over: Partial<RtkEvent> = {}): RtkEvent => ({
  time: '2026-12-04T03:12:09Z',
  kind: 'run.failed',
  run: 'a800:$(touch /tmp/x)',
  host: 'a800',
  state: 'failed',
  reason: 'oom',
  message: 'a800:$(touch /tmp/x) failed: CUDA out of memory',
  hint: 'lower the batch size',
  details: {},
  ...over,
});

describe('the state file', () => {
  it('lives under XDG_STATE_HOME, else ~/.local/state', () => {
    expect(statePath({ XDG_STATE_HOME: '/s', HOME: '/h' })).toBe('/s/rtk-tui/state.json');
    expect(statePath({ HOME: '/h' })).toBe('/h/.local/state/rtk-tui/state.json');
    expect(statePath({ XDG_STATE_HOME: 'relative', HOME: '/h' })).toBe('/h/.local/state/rtk-tui/state.json');
  });

  it('round-trips, bounded, written through a renamed temporary file with mode 600', () => {
    const p = join(tmp(), 'sub', 'state.json');
    const s = emptyState();
    s.events = Array.from({ length: EVENTS_KEPT + 50 }, (_, i) => ev({ time: new Date(T0 + i * 1000).toISOString() }));
    s.hosts.a800 = { at: T0, runs: [mkRun('a800', 'training')] };
    saveState(p, s, T0);
    const l = loadState(p);
    expect(l.warning).toBeNull();
    expect(l.state.events).toHaveLength(EVENTS_KEPT);
    expect(l.state.events.at(-1)).toEqual(s.events.at(-1));
    expect(l.state.hosts.a800!.runs[0]!.id).toBe('a800:training');
    expect(readdirSync(join(p, '..'))).toEqual(['state.json']);
  });

  it('sets a corrupt or foreign file aside with a warning, and starts afresh', () => {
    const d = tmp();
    const p = join(d, 'state.json');
    for (const bad of ['{"version": 1, "memory": ', '{"some": "other tool"}', '\u0000\u0001binary']) {
      writeFileSync(p, bad);
      const l = loadState(p);
      expect(l.state.events).toEqual([]);
      expect(l.warning).toMatch(/^the state file .*state\.json is not rtk-tui's \(or is damaged\); moved it to .*state\.json\.bad-\d+ and started afresh$/);
      expect(existsSync(p)).toBe(false);
    }
    expect(readdirSync(d).filter((f) => f.includes('.bad-')).length).toBeGreaterThanOrEqual(1);
    expect(loadState(join(d, 'missing.json'))).toEqual({ state: emptyState(), warning: null });
  });

  it('drops a bad memory entry (hand-edited, older) instead of failing on it later', () => {
    const p = join(tmp(), 'state.json');
    const good = { up: true, everUp: true, downSince: null, lostAt: null, polled: true, error: null };
    writeFileSync(p, JSON.stringify({ version: 1, savedAt: '', events: [], hosts: {}, memory: { hosts: { a: null, b: good, c: { up: 'yes' } }, runs: { 'a:x': { id: 'a:x' } } } }));
    const l = loadState(p);
    expect(l.warning).toBeNull();
    expect(l.state.memory).toEqual({ hosts: { b: good }, runs: {} });
    const hub = new EventHub({ path: p, options: { stallAfterMs: 60_000, gpuIdleAfterMs: 60_000, hostLostAfterMs: 5000 }, tick: false });
    expect(hub.observe({ type: 'tick' })).toEqual([]);
    hub.close();
  });

  it('keeps per host the memory of the process that polled it last', () => {
    const p = join(tmp(), 'state.json');
    const memo = (host: string, id: string, seenAt: number) => ({ id, host, createdAt: null, state: 'running' as const, ended: false, stalled: false, nan: false, idle: false, idleSince: null, diskLow: false, lastWriteAt: null, gaps: [], newestCkpt: null, ckptCount: null, rotates: false, gpus: [], seenAt });
    // a watch of hosts a and b saved first; then a monitor of a only, with a newer poll of a
    const w = emptyState();
    w.hosts = { a: { at: T0, runs: [] }, b: { at: T0, runs: [] } };
    w.memory.runs = { 'a:old': memo('a', 'a:old', T0), 'b:x': memo('b', 'b:x', T0) };
    saveState(p, w, T0);
    const m = emptyState();
    m.hosts = { a: { at: T0 + 5000, runs: [] } };
    m.memory.runs = { 'a:new': memo('a', 'a:new', T0 + 5000) };
    saveState(p, m, T0 + 5000);
    expect(Object.keys(loadState(p).state.memory.runs).sort()).toEqual(['a:new', 'b:x']);
  });

  it('a save keeps the events another process wrote meanwhile', () => {
    const p = join(tmp(), 'state.json');
    const a = emptyState();
    a.events = [ev({ time: '2026-12-04T03:00:00Z' })];
    saveState(p, a, T0);
    const b = emptyState();
    b.events = [ev({ time: '2026-12-04T04:00:00Z', kind: 'host.lost' })];
    saveState(p, b, T0);
    expect(loadState(p).state.events.map((e) => e.kind)).toEqual(['run.failed', 'host.lost']);
  });

  it('the hub saves what it reported before telling anyone, and loads it again', () => {
    const p = join(tmp(), 'state.json');
    let t = T0;
    const hub = new EventHub({ path: p, options: { stallAfterMs: 60_000, gpuIdleAfterMs: 60_000, hostLostAfterMs: 5000 }, now: () => t, tick: false });
    const seen: string[] = [];
    hub.on((e) => seen.push(`${e.kind} ${readFileSync(p, 'utf8').includes(e.message) ? 'saved' : 'not saved'}`));
    hub.observe({ type: 'runs', host: 'a', runs: [mkRun('a', 'x')] });
    t += 5000;
    hub.observe({ type: 'runs', host: 'a', runs: [mkRun('a', 'x', { state: 'finished', exitStatus: 0 })] });
    hub.close();
    expect(seen).toEqual(['run.finished saved']);
    const again = new EventHub({ path: p, options: { stallAfterMs: 60_000, gpuIdleAfterMs: 60_000, hostLostAfterMs: 5000 }, now: () => t + 1000, tick: false });
    expect(again.events.map((e) => e.kind)).toEqual(['run.finished']);
    expect(again.observe({ type: 'runs', host: 'a', runs: [mkRun('a', 'x', { state: 'finished', exitStatus: 0 })] })).toEqual([]);
    again.close();
  });
});

describe('exec hooks', () => {
  it('replaces whole {run} {message} {kind} arguments only, never the program, and sets RTK_* variables', () => {
    expect(hookArgs(['{run}', '-d', '{message}', '{kind}', '{nope}', 'echo {message}'], ev())).toEqual(['{run}', '-d', 'a800:$(touch /tmp/x) failed: CUDA out of memory', 'run.failed', '{nope}', 'echo {message}']);
    expect(hookEnv({ PATH: '/bin' }, ev())).toMatchObject({ PATH: '/bin', RTK_EVENT: 'run.failed', RTK_RUN: 'a800:$(touch /tmp/x)', RTK_HOST: 'a800', RTK_STATE: 'failed', RTK_REASON: 'oom', RTK_HINT: 'lower the batch size' });
  });

  it('reports a failing, a missing and a hanging hook, ending the hanging one; the others are not held up', async () => {
    const d = tmp();
    const reports: string[] = [];
    const slow = new HookRunner({ argv: ['sh', '-c', 'sleep 60'], timeoutMs: 300, onReport: (m) => reports.push(m) });
    const t0 = Date.now();
    slow.push(ev());
    const quick = new HookRunner({ argv: ['sh', '-c', `cat > ${d}/in.json; exit 3`], onReport: (m) => reports.push(m) });
    quick.push(ev());
    const missing = new HookRunner({ argv: ['/nonexistent/hook'], onReport: (m) => reports.push(m) });
    missing.push(ev());
    const until = async (f: () => boolean) => {
      while (!f()) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => reports.length >= 3);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(reports).toContain('hook /nonexistent/hook for run.failed a800:$(touch /tmp/x) could not start: no such program');
    expect(reports).toContain('hook sh for run.failed a800:$(touch /tmp/x) failed (exit status 3)');
    expect(reports).toContain('hook sh for run.failed a800:$(touch /tmp/x) timed out after 0 s and was ended');
    expect(JSON.parse(readFileSync(join(d, 'in.json'), 'utf8'))).toEqual(ev());
    expect(existsSync('/tmp/x')).toBe(false);
  });

  it('a hook that exits while a daemon it started holds its stderr frees its slot at once', async () => {
    const reports: string[] = [];
    const r = new HookRunner({ argv: ['sh', '-c', 'sleep 30 >/dev/null & exit 0'], timeoutMs: 5000, concurrency: 1, onReport: (m) => reports.push(m) });
    const t0 = Date.now();
    r.push(ev());
    r.push(ev({ time: '2026-12-04T03:12:10Z' }));
    while (r.pending > 0 && Date.now() - t0 < 4000) await new Promise((x) => setTimeout(x, 20));
    expect(r.pending).toBe(0);
    expect(reports).toEqual([]);
    r.close();
  });

  it('keeps at most maxQueue events waiting, dropping the oldest with a report', () => {
    const reports: string[] = [];
    const r = new HookRunner({ argv: ['sh', '-c', 'sleep 5'], concurrency: 1, maxQueue: 2, onReport: (m) => reports.push(m) });
    for (let i = 0; i < 5; i++) r.push(ev({ time: `2026-12-04T03:00:0${i}Z` }));
    expect(r.pending).toBe(3);
    expect(reports).toEqual([
      'hook queue full (2): dropped run.failed a800:$(touch /tmp/x) of 2026-12-04T03:00:01Z',
      'hook queue full (2): dropped run.failed a800:$(touch /tmp/x) of 2026-12-04T03:00:02Z',
    ]);
    r.close();
  });
});

describe('notifications', () => {
  const cfg = defaultNotify();
  it('rings for the kinds asked for only, and the desktop one as the terminal understands it', () => {
    expect(notificationBytes(ev(), cfg, null, false)).toBe('\x07');
    expect(notificationBytes(ev({ kind: 'run.finished' }), cfg, 'osc9', false)).toBe('');
    expect(notificationBytes(ev(), cfg, 'osc9', false)).toBe('\x07\x1b]9;rtk-tui: a800:$(touch /tmp/x) failed: CUDA out of memory\x07');
    expect(notificationBytes(ev(), { ...cfg, bell: false }, 'osc777', false)).toBe('\x1b]777;notify;rtk-tui: run.failed;a800:$(touch /tmp/x) failed: CUDA out of memory\x07');
    expect(notificationBytes(ev(), { ...cfg, bell: false }, 'osc9', true)).toBe(tmuxWrap('\x1b]9;rtk-tui: a800:$(touch /tmp/x) failed: CUDA out of memory\x07'));
    expect(tmuxWrap('\x1b]9;x\x07')).toBe('\x1bPtmux;\x1b\x1b]9;x\x07\x1b\\');
  });

  it('never lets a host string end the sequence early or slip a control character in', () => {
    const hostile = notificationBytes(ev({ message: 'x\x07\x1b]0;pwned\x07\x9b2J' }), { ...cfg, bell: false }, 'osc9', false);
    expect(hostile.startsWith('\x1b]9;rtk-tui: x')).toBe(true);
    expect(hostile.slice(4, -1)).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });

  it('auto picks OSC 9 for iTerm2, WezTerm, kitty and Ghostty, OSC 777 for VTE and foot, else none', () => {
    expect(desktopKind('auto', { TERM_PROGRAM: 'iTerm.app' })).toBe('osc9');
    expect(desktopKind('auto', { KITTY_WINDOW_ID: '1', TERM: 'tmux-256color' })).toBe('osc9');
    expect(desktopKind('auto', { VTE_VERSION: '7600' })).toBe('osc777');
    expect(desktopKind('auto', { TERM: 'foot' })).toBe('osc777');
    expect(desktopKind('auto', { TERM: 'xterm-256color' })).toBeNull();
    expect(desktopKind('on', { TERM: 'xterm-256color' })).toBe('osc9');
    expect(desktopKind('off', { TERM_PROGRAM: 'iTerm.app' })).toBeNull();
  });
});

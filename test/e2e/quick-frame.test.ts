// The built binary draws the monitor's last screen before the program loads (src/tty/quick-frame.ts),
// the monitor then draws over it and keeps its own screen on the way out; a start that fails puts
// the normal screen back with its error readable.
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { quickFramePath, saveQuickFrame } from '../../src/tty/quick-frame.js';
import { distMissing, firstReason, suite, tmuxMissing } from '../helpers/require.js';
import { startTui } from '../helpers/tui.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'rtk-qf-e2e-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A saved screen of 39 rows with a marker (and an escape that must not reach the terminal). */
function saveOld(env: NodeJS.ProcessEnv, args: string[], agoMs: number): void {
  const rows = Array.from({ length: 39 }, (_, i) => (i === 3 ? '\u001b[1mOLD-SCREEN-MARK\u001b[22m \u001b]0;evil\u0007title' : `row ${i}`));
  saveQuickFrame(quickFramePath(env, args), rows.join('\n'), { cols: 120, rows: 40 }, Date.now() - agoMs);
}

suite(firstReason(tmuxMissing(), distMissing()), 'quick frame (built binary in tmux)', () => {
  it('draws the saved screen at once, then the monitor draws over it and saves its own', async () => {
    const cfg = join(dir, 'ok.yaml');
    writeFileSync(cfg, 'hosts:\n  - name: local\n    local: true\n');
    const args = ['--config', cfg];
    const env = { XDG_STATE_HOME: join(dir, 'state-ok') };
    saveOld(env, args, 5 * 60_000);
    const t = await startTui({ args, env });
    try {
      const first = await t.waitFor(/OLD-SCREEN-MARK/, 10_000);
      expect(first).toContain('showing the screen of 5m ago · connecting…');
      expect(first).toContain('OLD-SCREEN-MARK title'); // the OSC is dropped whole
      expect(first).not.toContain('evil');
      const live = await t.waitUntil((s) => s.includes('Runs') && !s.includes('OLD-SCREEN-MARK'), 'the monitor’s own frame');
      expect(live).not.toContain('showing the screen of');
      await t.sendKeys('q');
      expect(await t.waitExit(10_000)).toBe(0);
      const saved = readFileSync(quickFramePath(env, args), 'utf8');
      expect(saved.split('\n')[0]).toMatch(/^\{"cols":120,"rows":40,"at":\d+\}$/);
      expect(saved).toContain('Runs');
      expect(saved).not.toContain('OLD-SCREEN-MARK');
    } finally {
      await t.stop();
    }
  }, 60_000);

  it('puts the normal screen back when the start fails, with its error readable', async () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'hosts: [\n');
    const args = ['--config', cfg];
    const env = { XDG_STATE_HOME: join(dir, 'state-bad') };
    saveOld(env, args, 60_000);
    const t = await startTui({ args, env });
    try {
      expect(await t.waitExit(15_000)).toBe(2);
      expect(await t.alternateOn()).toBe(false);
      const screen = await t.capture();
      expect(screen).toMatch(/rtk-tui: .*bad\.yaml/);
      expect(screen).not.toContain('OLD-SCREEN-MARK');
    } finally {
      await t.stop();
    }
  }, 60_000);
});

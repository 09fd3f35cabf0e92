// The last screen drawn at start (src/tty/quick-frame.ts): only text and colours of the saved file
// reach the terminal, a screen saved for another size or arguments is not drawn.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanFrame, loadQuickFrame, opensMonitor, quickFramePath, saveQuickFrame } from '../../../src/tty/quick-frame.js';

const dir = () => mkdtempSync(join(tmpdir(), 'rtk-qf-'));

describe('quick frame', () => {
  it('keeps text, newlines and SGR colours; drops every other escape sequence whole and every control character', () => {
    const hostile = 'a\u001b[1;36mRuns\u001b[22;39m \u001b]52;c;ZXZpbA==\u0007x\u001b[2J\u001b[10;1Hy\u009b31mz\u202eq\u0000|\nnext';
    const c = cleanFrame(hostile, 80, 5);
    expect(c).toBe('a\u001b[1;36mRuns\u001b[22;39m xy31mzq|\u001b[0m\nnext');
    // what is left cannot start a sequence other than SGR
    expect(c.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    // a \r redraw shows what was drawn last; rows past the screen are dropped
    expect(cleanFrame('old text\rnew\nb\nc', 80, 2)).toBe('new\nb');
  });

  it('saves 0600 and loads only for the same terminal size', () => {
    const p = join(dir(), 'state', 'screen-x.txt');
    saveQuickFrame(p, 'row 1\nrow 2\nrow 3', { cols: 80, rows: 3 }, 1000);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(loadQuickFrame(p, { cols: 80, rows: 3 })).toEqual({ frame: 'row 1\nrow 2', at: 1000 });
    expect(loadQuickFrame(p, { cols: 81, rows: 3 })).toBeNull();
    expect(loadQuickFrame(join(dir(), 'missing'), { cols: 80, rows: 3 })).toBeNull();
    writeFileSync(p, `{"cols":80,"rows":3,"at":5}\n${'x'.repeat(5000)}\nok`);
    expect(loadQuickFrame(p, { cols: 80, rows: 3 })).toEqual({ frame: `${'x'.repeat(79)}…\nok`, at: 5 });
    writeFileSync(p, 'not json\nrow');
    expect(loadQuickFrame(p, { cols: 80, rows: 3 })).toBeNull();
    writeFileSync(p, '{"cols":80,"rows":3,"at":"x"}\nrow');
    expect(loadQuickFrame(p, { cols: 80, rows: 3 })).toBeNull();
  });

  it('belongs to the arguments that open the monitor, in the state directory', () => {
    const env = { XDG_STATE_HOME: '/s', HOME: '/h' };
    expect(quickFramePath(env, ['--config', 'a.yaml'])).toMatch(/^\/s\/rtk-tui\/screen-[0-9a-f]{16}\.txt$/);
    expect(quickFramePath(env, ['--config', 'a.yaml'])).not.toBe(quickFramePath(env, ['--config', 'b.yaml']));
    expect(quickFramePath({ RTK_TUI_STATE: '/t/st.json' }, [])).toMatch(/^\/t\/screen-/);
    expect(opensMonitor([])).toBe(true);
    expect(opensMonitor(['--config', 'x.yaml', '--readonly', '--host', 'a800'])).toBe(true);
    for (const a of [['ls'], ['demo'], ['--help'], ['--version'], ['--config'], ['--', 'host1'], ['gpu1']]) expect(opensMonitor(a), a.join(' ')).toBe(false);
  });

  it('round-trips a frame with colours and wide characters', () => {
    const p = join(dir(), 'screen.txt');
    const frame = '\u001b[90m┌\u001b[39m 世界 🙂\n│ loss 0.1';
    saveQuickFrame(p, frame, { cols: 120, rows: 40 });
    // a row with colours comes back closed by a reset, as the log sanitizer closes every coloured line
    expect(loadQuickFrame(p, { cols: 120, rows: 40 })?.frame).toBe('\u001b[90m┌\u001b[39m 世界 🙂\u001b[0m\n│ loss 0.1');
    expect(readFileSync(p, 'utf8').split('\n')[0]).toMatch(/^\{"cols":120,"rows":40,"at":\d+\}$/);
  });
});

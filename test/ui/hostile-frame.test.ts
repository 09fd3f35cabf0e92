// Everything a host sends and the monitor draws (session names, process names, checkpoint names and
// paths, error texts, log lines) holds escape sequences here: the frame, as Ink would write it, must
// carry no escape but SGR colour (the theme's own, and a log line's).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameSource, rowString } from '../../src/ui/App.js';
import { RowBuilder } from '../../src/ui/rows.js';
import { colorTheme, noColorTheme } from '../../src/ui/theme.js';
import { GPUS_A800, conn, emptyFixture, mkRun, T0 } from './fixture-store.js';

const EVIL = [
  'py\x1b]0;PWNED\x07\x1b[2J\x1b]52;c;ZWNobyBoaQ==\x07',
  'a\x9b2Jb',
  'x\x1b[>4;2my',
  'title\x1bPdcs\x1b\\end',
  '\u202eexe.txt',
  'multi\nline\rname',
  'bell\x07\x00nul',
];

/** No escape other than SGR, no control character. */
function onlySgr(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\x00-\x09\x0b-\x1f\x7f-\x9f]/.test(s.replace(/\x1b\[[0-9;:]*m/g, ''));
}

describe('the monitor never draws a host’s escape sequences', () => {
  for (const [name, theme] of [
    ['colour', colorTheme],
    ['NO_COLOR', noColorTheme],
  ] as const) {
    it(`every pane, the status bar and messages (${name})`, () => {
      const f = emptyFixture({ cols: 140, rows: 40 });
      const { store } = f;
      store.dispatch({ type: 'host', state: conn('a800') });
      store.dispatch({ type: 'host', state: conn('gpu1', { phase: 'failed', status: 'error', error: EVIL[0]! }) });
      const runs = EVIL.map((e, i) => mkRun('a800', `${e}${i}`, { log: `/x/${e}`, checkpoints: `/ck/${e}`, alerts: [{ kind: 'oom', message: e }], metrics: { [e]: 1 } }));
      store.dispatch({ type: 'runs', host: 'a800', runs });
      store.dispatch({
        type: 'gpus',
        report: { ...GPUS_A800, error: EVIL[1]!, gpus: GPUS_A800.gpus.map((g) => ({ ...g, name: EVIL[2]!, processes: EVIL.map((e, i) => ({ pid: 100 + i, name: e, usedMemoryMiB: 1, run: runs[i]!.id })) })) },
      });
      const id = runs[0]!.id;
      store.dispatch({ type: 'select', runId: id });
      store.dispatch({
        type: 'checkpoints',
        listing: { run: id, dir: `/ck/${EVIL[3]}`, diskFreeBytes: 1, checkpoints: EVIL.map((e, i) => ({ name: e, path: `/ck/${e}`, step: i, sizeBytes: 1, modifiedAt: new Date(T0).toISOString(), formats: [e] })) },
      });
      store.dispatch({ type: 'log', runId: id, chunk: { kind: 'lines', lines: [...EVIL, '\x1b[32mgreen\x1b[0m kept'], offset: 1 } });
      store.dispatch({ type: 'log', runId: id, chunk: { kind: 'partial', text: EVIL[0]! } });
      store.dispatch({ type: 'message', text: `failed: ${EVIL[0]}`, level: 'error' });
      f.settle();
      const src = frameSource(store, theme);
      for (const focus of ['runs', 'log', 'gpus', 'checkpoints']) {
        store.dispatch({ type: 'command', id: `pane.${focus}` });
        f.settle();
        const fr = src.get();
        const text = fr.blocks.map((b) => ('text' in b ? b.text : b.cols.map((c) => c.text).join('\n'))).join('\n');
        expect(text).toContain('py');
        expect(onlySgr(text)).toBe(true);
        if (theme === colorTheme && focus === 'log') expect(text).toContain('\x1b[32mgreen');
      }
    });
  }

  it('a row of any text holds no escape but SGR (property)', () => {
    const piece = fc.constantFrom('\x1b', '\x1b[', '\x1b]', '0;', '2J', 'm', '\x07', '\x9b', '\r', '\n', 'a', '训', '\u202e', ';', '>4');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.integer({ min: 1, max: 40 }), (parts, w) => {
        const s = parts.join('');
        const row = new RowBuilder(w).add(s, 'accent').add(s).row();
        expect(onlySgr(rowString(row, colorTheme))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

// The monitor's events, end to end: the built binary in a real pty (every byte kept), real tmux
// sessions and logs on this machine. A run that fails while the monitor watches rings the bell and
// sends an OSC 9 desktop notification (desktop: on); the events view lists the failure with its hint;
// coming back to a run that logged while the user looked elsewhere shows "N new lines since HH:MM".
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runInPty, screenText } from '../helpers/pty.js';
import { distMissing, firstReason, suite, tmuxMissing } from '../helpers/require.js';
import { BIN } from '../helpers/tui.js';

const OOM_LOG = new URL('../fixtures/logs/issue_seg-toolbox-54_cuda-oom_traceback_old-format.txt', import.meta.url).pathname;

suite(firstReason(tmuxMissing(), distMissing()), 'events in the monitor (pty)', () => {
  let dir: string;
  let sock: string;
  let cfg: string;
  let env: NodeJS.ProcessEnv;
  const newRun = (name: string, cmd: string) => {
    const r = spawnSync(BIN, ['new', name, '--host', 'loc', '--config', cfg, '--log', join(dir, `${name}.log`), '--', 'sh', '-c', cmd], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtk-events-'));
    sock = join(dir, 'tmux.sock');
    cfg = join(dir, 'config.yaml');
    writeFileSync(
      cfg,
      [
        'hosts:',
        '  - name: loc',
        '    local: true',
        `    tmuxSocket: ${sock}`,
        'stallAfter: 1h',
        'refresh: {runs: 1s, gpus: 1s, checkpoints: 5s}',
        'notify: {desktop: on}',
      ].join('\n'),
    );
    const home = join(dir, 'home');
    env = { PATH: process.env.PATH, HOME: home, RTK_TUI_STATE: join(dir, 'state.json'), TERM: 'xterm-256color', LANG: 'C.UTF-8' };
  });
  afterAll(() => {
    try {
      execFileSync('tmux', ['-S', sock, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* none left */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('rings and notifies for a failure, lists it in the events view, and marks the lines that came while away', async () => {
    newRun('bad', `sleep 4; cat ${JSON.stringify(OOM_LOG)}; exit 1`);
    newRun('other', 'echo "quiet here"; sleep 120');
    newRun('ticker', 'i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo "line $i"; sleep 0.2; done; sleep 60');
    const run = await runInPty(['--config', cfg], env, {
      cols: 140,
      rows: 40,
      deadlineMs: 60_000,
      stepDelayMs: 300,
      steps: [
        // the last run (ticker), its log on screen
        { when: /ticker/, keys: 'G' },
        { when: /line \d+/, keys: 'k' },
        // away on `other` while ticker keeps writing
        { when: 'quiet here', keys: '' },
        { when: /FAILED OOM/, keys: 'j' },
        { when: /── [\d,]+ new lines? since \d\d:\d\d ──/, keys: 'e' },
        { when: /Events \(j\/k/, keys: '\x1b' },
        { when: /./, keys: 'q' },
      ],
    });
    expect(run.code).toBe(0);
    const text = screenText(run.raw);
    // the failure: the bell, and OSC 9 with the event's sentence
    expect(run.raw).toContain('\x07');
    expect(run.raw).toMatch(/\x1b\]9;rtk-tui: loc:bad failed: RuntimeError: CUDA out of memory\. Tried to allocate 86\.00 MiB[^\x07\x1b]*\x07/);
    // the events view: the failure with its hint
    expect(text).toMatch(/run\.failed +loc:bad failed: RuntimeError: CUDA out of memory/);
    expect(text).toMatch(/hint: lower the per-device batch size/);
    expect(text).toMatch(/── [\d,]+ new lines? since \d\d:\d\d ──/);

    // opened again: the last session's runs at once, the first selected and its log followed
    const again = await runInPty(['--config', cfg], env, {
      cols: 140,
      rows: 40,
      deadlineMs: 30_000,
      steps: [{ when: /Tried to allocate 86\.00 MiB/, keys: 'e' }, { when: /Events \(j\/k/, keys: '\x1b' }, { when: /./, keys: 'q' }],
    });
    expect(again.code).toBe(0);
    // the failure reported in the first session is listed, and not reported (rung) again
    expect(screenText(again.raw)).toMatch(/run\.failed +loc:bad failed/);
    expect(again.raw).not.toContain('\x1b]9;');
  }, 120_000);
});

// Run before every test file: the monitor's state file and the command log of every rtk-tui the
// tests start (they inherit this environment) go to a fresh directory of this file's own, never to
// the real home, and never shared with another file's hosts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'rtk-state-home-'));
process.env.XDG_STATE_HOME = dir;
delete process.env.RTK_TUI_STATE;
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

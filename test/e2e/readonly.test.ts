// --readonly: nothing is changed or run on a host. The reproductions that showed it: `--readonly push
// … --force` overwrote the remote file, `--readonly check --run "touch …"` ran it. The BUILT binary
// against the lab: push, new, kill and check --run refused; pull, ls, check without --run allowed;
// attach only as a read-only client.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labUnavailable } from '../helpers/lab.js';
import { distMissing, firstReason, suite } from '../helpers/require.js';
import { startTui } from '../helpers/tui.js';
import { cli, startTransferLab, type TransferLab } from './transfer-lab.js';

suite(firstReason(labUnavailable(), distMissing()), '--readonly changes nothing on a host', () => {
  let lab: TransferLab;
  let L: string;
  let R: string;
  const ro = (args: string[]) => cli(lab, ['--readonly', ...args]);

  beforeAll(async () => {
    lab = await startTransferLab();
    L = lab.localDir;
    R = lab.remoteDir;
    const r = await lab.remote("tmux new-session -d -s keep 'sleep 600'");
    if (r.code !== 0) throw new Error(r.stderr);
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('push (even with --force) is refused and the remote file stays as it was', async () => {
    writeFileSync(join(R, 'w.bin'), 'ORIGINAL');
    writeFileSync(join(L, 'w.bin'), 'REPLACEMENT');
    const r = await ro(['push', join(L, 'w.bin'), `gpu:${R}/w.bin`, '--force']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/push is refused in --readonly mode/);
    expect(readFileSync(join(R, 'w.bin'), 'utf8')).toBe('ORIGINAL');
  });

  it('check --run is refused (nothing runs); the checks that only read still work', async () => {
    const mark = join(R, 'ran');
    const r = await ro(['check', '--host', 'gpu', '--run', `touch ${mark}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/check --run is refused in --readonly mode/);
    expect(existsSync(mark)).toBe(false);
    const ok = await ro(['check', '--host', 'gpu', '--disk', `${R}:0`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/1 passed/);
  });

  it('new and kill are refused; ls and pull are allowed', async () => {
    const n = await ro(['new', 'x', '--host', 'gpu', '--', 'touch', join(R, 'made')]);
    expect(n.code).toBe(1);
    expect(n.stderr).toMatch(/new is refused in --readonly mode/);
    const k = await ro(['kill', 'gpu:keep', '--yes']);
    expect(k.code).toBe(1);
    expect(k.stderr).toMatch(/kill is refused in --readonly mode/);
    expect((await lab.remote("tmux list-sessions -F '#{session_name}'")).stdout).toBe('keep\n');
    expect(existsSync(join(R, 'made'))).toBe(false);
    expect((await ro(['ls', '--json'])).code).toBe(0);
    writeFileSync(join(R, 'p.bin'), 'PULL ME');
    const p = await ro(['pull', `gpu:${R}/p.bin`, join(L, 'p.bin')]);
    expect(p.code).toBe(0);
    expect(readFileSync(join(L, 'p.bin'), 'utf8')).toBe('PULL ME');
  });

  it('attach is a read-only client: what is typed never reaches the run', async () => {
    await lab.remote("tmux new-session -d -s ro 'echo ro-content; exec sh'");
    const t = await startTui({ args: ['--config', lab.rtkConfig, '--readonly', 'attach', 'gpu:ro'], env: lab.env(), cols: 100, rows: 20 });
    try {
      await t.waitFor('attached to gpu:ro (read-only)');
      await t.waitFor('ro-content');
      await t.type('touch typed-through');
      await t.sendKeys('Enter');
      await t.sendKeys('C-\\');
      expect(await t.waitExit()).toBe(0);
      const pane = (await lab.remote("tmux capture-pane -p -t '=ro:'")).stdout;
      expect(pane).not.toContain('typed-through');
    } finally {
      await t.stop();
    }
  });
});

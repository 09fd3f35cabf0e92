// Remote commands never outlive the client: Ctrl-C (SIGINT) or SIGTERM to rtk-tui while `check --run`
// runs a long command ends that command on the host, through the jump host and on the local host.
// The reproduction that showed it: `timeout -k 5 120 bash -lc sleep 100` still there 70 s after
// Ctrl-C (timeout moves its child into a process group of its own, out of reach of a group kill).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { distMissing, firstReason, suite } from '../helpers/require.js';
import { BIN } from '../helpers/tui.js';
import { pgrep, waitFor } from '../helpers/wait.js';

suite(firstReason(labUnavailable(), distMissing()), 'remote commands end with the client', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => {
    await lab?.stop();
  });

  for (const [where, host, sig] of [
    ['through the jump host', 'gpu', 'SIGINT'],
    ['on the local host', 'local', 'SIGINT'],
    ['through the jump host, on SIGTERM', 'gpu', 'SIGTERM'],
  ] as const) {
    it(`${sig} during check --run ${where}: the command is gone within seconds`, async () => {
      // the name the command takes is made by the remote shell ($((6*7)) becomes 42), so that it is
      // not in rtk-tui's own command line
      const tag = `${host}-${sig}-${process.pid}`;
      const mark = `rtk-outlive-42-${tag}`;
      const config = host === 'gpu' ? ['--config', lab.rtkConfig] : [];
      const p = spawn(process.execPath, [BIN, ...config, 'check', '--host', host, '--run', `exec -a rtk-outlive-$((6*7))-${tag} sleep 97`], { env: lab.env(), stdio: 'ignore' });
      try {
        expect(await waitFor(async () => (await pgrep(mark)) !== '', 30_000)).toBe(true);
        p.kill(sig);
        expect(await waitFor(async () => (await pgrep(mark)) === '', 10_000)).toBe(true);
      } finally {
        p.kill('SIGKILL');
      }
    });
  }
});

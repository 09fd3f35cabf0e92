// Targets behind the same jump host share ONE jump connection (real sshd pair, test/helpers/lab.ts):
// one jump login for three targets, the jump's death takes them all down and they come back on one
// new jump connection, and closing the last target closes the jump connection.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSpec } from '../../src/domain/types.js';
import type { Host } from '../../src/remote/host.js';
import { openHost, type HostEnv } from '../../src/remote/index.js';
import { jumpStats } from '../../src/remote/ssh.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { waitFor } from '../helpers/wait.js';

const pexec = promisify(execFile);
const why = labUnavailable();

suite(why, 'transport: one shared jump connection', () => {
  let lab: Lab;
  let henv: HostEnv;
  let hosts: Host[] = [];

  beforeAll(async () => {
    lab = await startLab();
    henv = { home: lab.home, env: lab.env() };
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    await lab?.stop();
  });

  it('logs in to the jump once for three targets, survives its death as a unit, and closes it with the last target', async () => {
    const specs: HostSpec[] = [
      { name: 'a', local: false, ssh: 'rtk-gpu' },
      { name: 'b', local: false, ssh: 'rtk-gpu' },
      // another way of naming the target, same jump hop: still the same jump connection
      { name: 'c', local: false, ssh: `${lab.user}@127.0.0.2:${lab.gpuPort}`, jump: 'rtk-jump' },
    ];
    hosts = specs.map((s) => openHost(s, henv, { backoffBaseMs: 100, backoffMaxMs: 400 }));
    const jumpBefore = accepted(lab, 'jump');
    const gpuBefore = accepted(lab, 'gpu');
    const rs = await Promise.all(hosts.map((h) => h.exec(`echo ${h.name}`)));
    expect(rs.map((r) => (r.ok ? r.value.stdout.toString() : r.error.message))).toEqual(['a\n', 'b\n', 'c\n']);
    expect(accepted(lab, 'jump')).toBe(jumpBefore + 1);
    expect(accepted(lab, 'gpu')).toBe(gpuBefore + 3);
    expect(jumpStats().map((s) => s.refs)).toEqual([3]);
    expect(await jumpSessions(lab)).toHaveLength(1);

    // the jump connection dies: every target behind it is told, and they come back on one new jump
    const phases: Record<string, string[]> = { a: [], b: [], c: [] };
    for (const h of hosts) h.onState((s) => phases[h.name]?.push(s.phase));
    for (const pid of await jumpSessions(lab)) process.kill(pid, 'SIGKILL');
    expect(await waitFor(() => hosts.every((h) => phases[h.name]?.includes('reconnecting')))).toBe(true);
    // each reconnects by itself with its backoff; they land on one new jump connection
    expect(await waitFor(() => hosts.every((h) => h.state().phase === 'connected'))).toBe(true);
    const again = await Promise.all(hosts.map((h) => h.exec(`echo ${h.name} again`)));
    expect(again.map((r) => (r.ok ? r.value.stdout.toString() : r.error.message))).toEqual(['a again\n', 'b again\n', 'c again\n']);
    expect(accepted(lab, 'jump')).toBe(jumpBefore + 2);
    expect(jumpStats().map((s) => s.refs)).toEqual([3]);

    // closing two keeps the jump for the third; closing the last closes it
    await hosts[0]?.close();
    await hosts[1]?.close();
    expect(jumpStats().map((s) => s.refs)).toEqual([1]);
    expect((await hosts[2]?.exec('echo still'))?.ok).toBe(true);
    await hosts[2]?.close();
    expect(jumpStats()).toEqual([]);
    expect(await waitFor(async () => (await jumpSessions(lab)).length === 0)).toBe(true);
  });
});

function accepted(lab: Lab, name: 'jump' | 'gpu'): number {
  return readFileSync(join(lab.dir, 'logs', `${name}_sshd.log`), 'utf8')
    .split('\n')
    .filter((l) => l.includes('Accepted publickey')).length;
}

/** The jump sshd's per-connection processes (children of its listener): one per client connection. */
async function jumpSessions(lab: Lab): Promise<number[]> {
  const cfg = join(lab.dir, 'jump_sshd_config');
  const main = await pexec('pgrep', ['-f', '--', `-f ${cfg}`]).catch(() => ({ stdout: '' }));
  const pids: number[] = [];
  for (const p of main.stdout.trim().split('\n').filter(Boolean)) {
    const kids = await pexec('pgrep', ['-P', p]).catch(() => ({ stdout: '' }));
    pids.push(...kids.stdout.trim().split('\n').filter(Boolean).map(Number));
  }
  return pids;
}

// RUN naming a group (config groups): logs, ckpt, show and attach read its rank 0; a group's name wins
// over a bare SESSION of that name, and HOST:SESSION still names the session.
import { describe, expect, it } from 'vitest';
import { resolveRun } from '../../../src/commands/resolve.js';
import { defaultConfig } from '../../../src/config/load.js';
import { ok } from '../../../src/domain/types.js';
import type { Host } from '../../../src/remote/host.js';
import { fakeHost as strictFake } from '../../helpers/fake-host.js';

function fakeHost(name: string, names: string[]): Host {
  return strictFake(name, (cmd) => {
    if (!cmd.startsWith('tmux -u list-sessions')) throw new Error(`unexpected exec on ${name}: ${cmd}`);
    return ok({ code: 0, stdout: Buffer.from(names.map((n, i) => `$${i + 10}\t${n}\n`).join('')), stderr: Buffer.alloc(0) });
  });
}

const cfg = {
  ...defaultConfig(null),
  hosts: [{ name: 'node1', local: false, ssh: 'n1' }, { name: 'node2', local: false, ssh: 'n2' }],
  groups: [
    { name: 'llama', parts: [{ host: 'node1', session: 'train' }, { host: 'node2', session: 'train' }] },
    { name: 'gone', parts: [{ host: 'node2', session: 'old' }] },
  ],
};
const hosts = new Map([
  ['node1', fakeHost('node1', ['train', 'llama'])],
  ['node2', fakeHost('node2', ['train'])],
]);

describe('resolveRun with groups', () => {
  it("a group's name is its rank 0 part, marked as the group's", async () => {
    expect(await resolveRun('llama', cfg, hosts)).toMatchObject({ ok: true, value: { runId: 'node1:train', session: 'train', group: 'llama', spec: { name: 'node1' } } });
  });

  it('HOST:SESSION still names the session of that name', async () => {
    const r = await resolveRun('node1:llama', cfg, hosts);
    expect(r).toMatchObject({ ok: true, value: { runId: 'node1:llama', sessionId: '$11' } });
    expect(r.ok && r.value.group).toBeUndefined();
  });

  it('says which group when its rank 0 is not there', async () => {
    const r = await resolveRun('gone', cfg, hosts);
    expect(!r.ok && r.error).toMatchObject({ kind: 'not-found', message: 'group gone: run node2:old not found: node2 has no tmux session named "old"' });
  });
});

// The kill confirmation: y/N for a young or finished run, the session name typed for a run alive
// for more than an hour. stdin is a stream the test writes the answer into.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { confirmKill, TYPE_NAME_AFTER_MS } from '../../../src/commands/kill.js';
import type { CommandContext } from '../../../src/commands/context.js';

function ctxWith(answer: string) {
  const stdin = new PassThrough();
  const stderr = new PassThrough();
  let said = '';
  stderr.on('data', (d: Buffer) => (said += d.toString()));
  const ctx = {
    stdin,
    stdout: new PassThrough(),
    stderr,
    env: {},
    cwd: '/',
    global: { config: null, hosts: [], readonly: false, noColor: true },
  } as unknown as CommandContext;
  // answer once the question is out
  stderr.once('data', () => stdin.write(answer));
  return { ctx, said: () => said };
}

const NOW = 1_800_000_000_000;

describe('confirmKill', () => {
  it('y kills a young run; anything else does not', async () => {
    const young = { createdAt: NOW - 60_000, dead: false };
    const a = ctxWith('y\n');
    expect(await confirmKill(a.ctx, 'gpu:t', 't', young, NOW)).toBe(true);
    expect(a.said()).toContain('kill gpu:t? [y/N]');
    const b = ctxWith('\n');
    expect(await confirmKill(b.ctx, 'gpu:t', 't', young, NOW)).toBe(false);
    expect(b.said()).toContain('not killed');
  });

  it('a run alive for more than an hour needs its name typed', async () => {
    const old = { createdAt: NOW - TYPE_NAME_AFTER_MS - 3 * 60_000, dead: false };
    const a = ctxWith('y\n');
    expect(await confirmKill(a.ctx, 'gpu:train', 'train', old, NOW)).toBe(false);
    expect(a.said()).toContain('has been running for 1 h 3 min. Type its name (train)');
    const b = ctxWith('train\n');
    expect(await confirmKill(b.ctx, 'gpu:train', 'train', old, NOW)).toBe(true);
  });

  it('a finished run (dead pane) only asks y/N, however old', async () => {
    const a = ctxWith('y\n');
    expect(await confirmKill(a.ctx, 'gpu:t', 't', { createdAt: NOW - 10 * TYPE_NAME_AFTER_MS, dead: true }, NOW)).toBe(true);
    expect(a.said()).toContain('[y/N]');
  });
});

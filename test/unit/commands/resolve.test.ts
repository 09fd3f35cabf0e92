import { describe, expect, it } from 'vitest';
import { resolveRun } from '../../../src/commands/resolve.js';
import { defaultConfig } from '../../../src/config/load.js';
import { err, ok, type Result } from '../../../src/domain/types.js';
import type { ExecResult, Host } from '../../../src/remote/host.js';
import { fakeHost as strictFake } from '../../helpers/fake-host.js';

/** A strict fake: answers only `tmux -u list-sessions -F '#{session_id}<TAB>#{session_name}'`, fails the test otherwise. */
function fakeHost(name: string, answer: Result<ExecResult>): Host {
  return strictFake(name, (cmd) => {
    // the listing, then the lines that find the session rtk-tui itself runs in (left out)
    if (!cmd.startsWith("tmux -u list-sessions -F '#{session_id}\t#{session_name}' 2>&1; rc=$?\n") || !cmd.includes('TMUX_PANE'))
      throw new Error(`unexpected exec on ${name}: ${cmd}`);
    return answer;
  });
}
const sessions = (...names: string[]) =>
  ok({ code: 0, stdout: Buffer.from(names.map((n, i) => `$${i + 10}\t${n}\n`).join('')), stderr: Buffer.alloc(0) });
const noServer = ok({ code: 1, stdout: Buffer.from('no server running on /tmp/tmux-0/default\n'), stderr: Buffer.alloc(0) });

const cfg = { ...defaultConfig(null), hosts: [{ name: 'a', local: false, ssh: 'a' }, { name: 'b', local: false, ssh: 'b' }] };

describe('resolveRun', () => {
  const hosts = new Map([
    ['a', fakeHost('a', sessions('train', 'both', 'g h  i', '-k', '$0'))],
    ['b', fakeHost('b', sessions('both', 'eval'))],
  ]);

  it('takes HOST:SESSION exactly, and a bare SESSION that is unique', async () => {
    expect(await resolveRun('a:g h  i', cfg, hosts)).toMatchObject({ ok: true, value: { session: 'g h  i', runId: 'a:g h  i', sessionId: '$12', spec: { name: 'a' } } });
    expect(await resolveRun('-k', cfg, hosts)).toMatchObject({ ok: true, value: { runId: 'a:-k' } });
    expect(await resolveRun('eval', cfg, hosts)).toMatchObject({ ok: true, value: { runId: 'b:eval' } });
    // a session NAMED $0 resolves to its own id, never to the session whose id is $0
    expect(await resolveRun('a:$0', cfg, hosts)).toMatchObject({ ok: true, value: { sessionId: '$14' } });
  });

  it('names the choices when a bare SESSION is on several hosts', async () => {
    expect(await resolveRun('both', cfg, hosts)).toEqual(err('usage', 'run both is ambiguous: say which one (a:both, b:both)'));
  });

  it('says what is missing, and what was probably meant', async () => {
    expect(await resolveRun('c:x', cfg, hosts)).toEqual(err('not-found', 'run c:x: no host named c (hosts: a, b)'));
    expect(await resolveRun('a:eval', cfg, hosts)).toEqual(err('not-found', 'run a:eval not found: a has no tmux session named "eval"'));
    expect(await resolveRun('nope', cfg, hosts)).toEqual(err('not-found', 'run nope not found on a, b'));
    expect(await resolveRun('a:trian', cfg, hosts)).toEqual(err('not-found', 'run a:trian not found: a has no tmux session named "trian" (did you mean train?)'));
    expect(await resolveRun('evla', cfg, hosts)).toEqual(err('not-found', 'run evla not found on a, b (did you mean eval?)'));
  });

  it('leaves out the session rtk-tui runs in', async () => {
    const self = ok({ code: 0, stdout: Buffer.from('$10\tmine\n$11\ttrain\nself\t$10\n'), stderr: Buffer.alloc(0) });
    const h = new Map([['a', fakeHost('a', self)]]);
    const one = { ...cfg, hosts: [cfg.hosts[0]!] };
    expect(await resolveRun('a:mine', one, h)).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    expect(await resolveRun('a:train', one, h)).toMatchObject({ ok: true, value: { sessionId: '$11' } });
  });

  it('treats "no server running" as no sessions, and reports a host it could not ask', async () => {
    const down = err<ExecResult>('unreachable', 'host b is unreachable.');
    const h2 = new Map([
      ['a', fakeHost('a', noServer)],
      ['b', fakeHost('b', down)],
    ]);
    expect(await resolveRun('x', cfg, h2)).toEqual(err('not-found', 'run x not found on a, b (could not check b)'));
    expect(await resolveRun('b:x', cfg, h2)).toEqual(down);
    const allDown = new Map([
      ['a', fakeHost('a', down)],
      ['b', fakeHost('b', down)],
    ]);
    expect(await resolveRun('x', cfg, allDown)).toEqual(down);
  });
});

// The shared shell (src/remote/shared-shell.ts) against real local shells: a child process running
// the helper line plays the SSH channel (stdin, stdout, stderr, close), so the protocol, the
// watchdog and the reopening are what a host runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientChannel } from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { ok, type RtkError } from '../../../src/domain/types.js';
import { requestText, SharedShell, sharedShellLine } from '../../../src/remote/shared-shell.js';
import { shq } from '../../../src/remote/quote.js';
import { until } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'rtk-shared-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PATH with sh and a few tools, and no bash. */
function noBash(): string {
  const bin = join(dir, 'bin');
  if (!existsSync(bin)) {
    mkdirSync(bin);
    for (const t of ['sh', 'cat', 'head', 'sleep', 'pwd']) symlinkSync(execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), join(bin, t));
  }
  return bin;
}

/** A child process shaped like the ssh2 ClientChannel the shell uses. */
function channelOf(p: ChildProcess): ClientChannel {
  const ch = new EventEmitter() as EventEmitter & { stderr: EventEmitter; writable: boolean; write(s: string): void; close(): void };
  ch.stderr = p.stderr!;
  ch.writable = true;
  ch.write = (s: string) => void p.stdin!.write(s);
  ch.close = () => {
    ch.writable = false;
    p.stdin!.end();
  };
  p.stdout!.on('data', (d: Buffer) => ch.emit('data', d));
  p.on('close', () => ch.emit('close'));
  p.stdin!.on('error', () => undefined);
  return ch as unknown as ClientChannel;
}

interface Opened {
  procs: ChildProcess[];
  lost: ((e: RtkError) => void)[];
  released: number;
}

function shell(o: { bin?: string; pathWithoutBash?: boolean; watchdogS?: number } = {}): { sh: SharedShell; opened: Opened } {
  const opened: Opened = { procs: [], lost: [], released: 0 };
  // a UTF-8 locale: the request's byte count must not be read as characters
  const env = { ...process.env, LANG: 'C.UTF-8', LC_ALL: undefined, ...(o.pathWithoutBash ? { PATH: noBash() } : {}) };
  const sh = new SharedShell({
    name: 'box',
    heartbeatMs: 200,
    watchdogS: o.watchdogS ?? 2,
    open: async (script) => {
      // the login shell: sh -c LINE, as sshd runs it; without bash on PATH, sh's builtins only
      const p = spawn(o.bin ?? '/bin/sh', ['-c', script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      opened.procs.push(p);
      return ok({
        ch: channelOf(p),
        release: () => void opened.released++,
        onLost: (cb) => {
          opened.lost.push(cb);
          return () => undefined;
        },
      });
    },
  });
  return { sh, opened };
}

describe('shared shell', () => {
  it('the helper line: quoted once, bash --posix where there is bash, sh otherwise', () => {
    const line = sharedShellLine(45);
    expect(line.startsWith(": '\n'; ")).toBe(true);
    expect(line).toContain('exec bash --norc --posix -c ');
    expect(line).toContain('read -r -t 45 ');
    expect(requestText('echo é', 'n1')).toBe('RTK-REQ n1 8\necho é\nRTK-EOR n1\n');
  });

  for (const [label, opts] of [
    ['under bash (with the watchdog)', {}],
    ['under sh alone (no bash on PATH)', { pathWithoutBash: true }],
  ] as const) {
    it(`${label}: requests one after the other on one process, output and status exact`, async () => {
      const { sh, opened } = shell(opts);
      const hostile = `a'b"c $HOME \`x\` \\ \n-n\n\x1eRTK-END-0000000000000000 0\nRTK-EOR x\nété 日本\n`;
      const r1 = await sh.exec(`printf '%s' ${shq(hostile)}; printf 'to stderr\\n' >&2; exit 3`);
      const r2 = await sh.exec('cat <<E\nline $((1 + 1))\nE\nprintf "%s" "$l$n$s$c$r$w"; exit 0');
      const r3 = await sh.exec('n=5; cd /; pwd; echo "$n"; printf %s "$LC_ALL"');
      const r4 = await sh.exec('echo "[$n]"; pwd');
      expect(r1).toEqual({ ok: true, value: { code: 3, stdout: Buffer.from(hostile), stderr: Buffer.from('to stderr\n') } });
      expect(r2?.ok && r2.value.stdout.toString()).toBe('line 2\n');
      // (and the locale is the login's: LC_ALL=C is for the helper's read only)
      expect(r3?.ok && r3.value.stdout.toString()).toBe('/\n5\n');
      // each request in a subshell: nothing of the last one is left over
      expect(r4?.ok && r4.value.stdout.toString()).not.toContain('[5]');
      expect(opened.procs).toHaveLength(1);
      sh.close();
      expect(opened.released).toBe(1);
    });
  }

  it('a request that outruns its time limit ends with its whole tree; the next one opens a new shell', async () => {
    const { sh, opened } = shell();
    const mark = join(dir, 'slow');
    const r = await sh.exec(`sleep 60 & echo $! > ${shq(mark)}; sleep 60; echo never`, { timeoutMs: 500 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'timeout' } });
    const bg = Number(readFileSync(mark, 'utf8'));
    // the watchdog saw the channel close: the background sleep goes too
    await until(() => !alive(bg), 'the request tree to be ended', 10_000);
    const again = await sh.exec('echo back');
    expect(again?.ok && again.value.stdout.toString()).toBe('back\n');
    expect(opened.procs).toHaveLength(2);
    sh.close();
  });

  it('output over the cap is an error, and the shell is replaced', async () => {
    const { sh, opened } = shell();
    const r = await sh.exec('head -c 300000 /dev/zero', { maxBytes: 1000 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'io' } });
    const again = await sh.exec('echo ok');
    expect(again?.ok && again.value.stdout.toString()).toBe('ok\n');
    expect(opened.procs).toHaveLength(2);
    sh.close();
  });

  it('a shell that dies before running a request says so (null: the caller runs it alone); a lost connection is an error', async () => {
    // a login shell that cannot run the line (as tcsh refuses it): nothing ran
    const { sh } = shell({ bin: '/bin/false' });
    expect(await sh.exec('echo x')).toBeNull();
    expect(await sh.exec('echo x')).toBeNull();
    expect(await sh.exec('echo x')).toBeNull();
    // past three in a row, the host does without
    expect(sh.usable).toBe(false);
    const b = shell();
    const mark = join(dir, 'started');
    const p = b.sh.exec(`: > ${shq(mark)}; sleep 60`);
    await until(() => existsSync(mark), 'the request to start', 10_000);
    for (const cb of b.opened.lost) cb({ kind: 'unreachable', message: 'connection to host box was lost.' });
    expect(await p).toMatchObject({ ok: false, error: { kind: 'unreachable', message: expect.stringContaining('was lost') } });
    b.sh.close();
  });

  it('ends by itself when the heartbeats stop (the network is gone without a FIN)', async () => {
    const { sh, opened } = shell({ watchdogS: 1 });
    expect((await sh.exec('echo up'))?.ok).toBe(true);
    const p = opened.procs[0]!;
    // no more heartbeats: the shell's `read -t 1` between requests runs out
    clearInterval((sh as unknown as { live: { heartbeat: NodeJS.Timeout } }).live.heartbeat);
    await until(() => p.exitCode !== null, 'the shell to end', 10_000);
    const again = await sh.exec('echo again');
    expect(again?.ok && again.value.stdout.toString()).toBe('again\n');
    sh.close();
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

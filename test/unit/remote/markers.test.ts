import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResolvedHop } from '../../../src/remote/ssh-config.js';
import { planAuth } from '../../../src/remote/auth.js';
import { afterBegin, BeginStripper, forLoginShell, isPosixShell, reportedShell, SHELL_REPORT, unwrapOutput, WATCHDOG_FUNCTIONS, wrapExec } from '../../../src/remote/markers.js';
import { onPath } from '../../helpers/require.js';
import { Semaphore } from '../../../src/remote/semaphore.js';
import { backoffDelay } from '../../../src/remote/ssh.js';
import { statusOf } from '../../../src/remote/status.js';

const N = '0123456789abcdef';
const B = `\x1eRTK-BEGIN-${N}\n`;
const E = (code: number) => `\x1eRTK-END-${N} ${code}\n`;

describe('exec markers', () => {
  it('drops login noise before the begin marker and after the end marker', () => {
    const raw = Buffer.from(`Welcome to GPU box\nconda: base activated\n${B}real output\n${E(3)}bye from .bash_logout\n`);
    const u = unwrapOutput(raw, N);
    expect(u.body.toString()).toBe('real output\n');
    expect(u.code).toBe(3);
    expect(u.sawEnd).toBe(true);
  });
  it('handles output without a final newline, and marker look-alikes with another nonce', () => {
    const other = '\x1eRTK-END-ffffffffffffffff 9\n';
    const u = unwrapOutput(Buffer.from(`${B}no newline${other}x${E(0)}`), N);
    expect(u.body.toString()).toBe(`no newline${other}x`);
    expect(u.code).toBe(0);
  });
  it('without an end marker keeps what came after begin and reports no code', () => {
    const u = unwrapOutput(Buffer.from(`noise${B}partial`), N);
    expect(u).toMatchObject({ code: null, sawBegin: true, sawEnd: false });
    expect(u.body.toString()).toBe('partial');
    expect(afterBegin(Buffer.from(`warn: x\n${B}err`), N).toString()).toBe('err');
  });
  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array(), (a) => {
      expect(Buffer.isBuffer(unwrapOutput(Buffer.from(a), N).body)).toBe(true);
    }));
  });
  it('the wrapper really brackets the command in sh, keeping its exit status and hostile words inert', () => {
    const cmd = `printf '%s\\n' "a'b" '$(touch /nonexistent/x)'; exit 7`;
    let raw: Buffer;
    try {
      raw = execFileSync('sh', ['-c', `echo noise; ${wrapExec(cmd, N)}`]);
    } catch (e) {
      raw = (e as { stdout: Buffer }).stdout;
    }
    const u = unwrapOutput(raw, N);
    expect(u.body.toString()).toBe(`a'b\n$(touch /nonexistent/x)\n`);
    expect(u.code).toBe(7);
  });
  it('the stream stripper passes bytes through only after the begin marker, across chunk borders', () => {
    const s = new BeginStripper(N);
    const text = `noise\n${B}line1\nline2\n`;
    const parts: string[] = [];
    for (let i = 0; i < text.length; i += 3) {
      const out = s.push(Buffer.from(text.slice(i, i + 3)));
      if (out) parts.push(out.toString());
    }
    expect(parts.join('')).toBe('line1\nline2\n');
    const gaveUp = new BeginStripper(N, 8);
    expect(gaveUp.push(Buffer.from('0123456789'))?.toString()).toBe('0123456789');
  });
});

describe('command lines for any login shell', () => {
  const script = [`printf '%s|' "a'b" '$HOME' "\\n" 'tab\there' "$((6*7))"`, 'for x in 1 2; do printf "%s" "$x"; done', 'echo', 'exit 3', ''].join('\n');
  const want = "a'b|$HOME|\\n|tab\there|42|12\n";
  // each shell this machine has: .ci/run installs fish and tcsh (the e2e login-shells suite needs
  // them and fails without them under CI); zsh is not installed there, so its case runs where it is
  for (const sh of ['sh', 'bash', 'dash', 'zsh', 'fish', 'tcsh', 'csh']) {
    it.runIf(onPath(sh))(`${sh} -c runs the script exactly, with its exit status`, () => {
      let out: Buffer;
      let code = 0;
      try {
        out = execFileSync(sh, ['-c', forLoginShell(script, 'any')], { env: { ...process.env, HOME: '/h' } });
      } catch (e) {
        out = (e as { stdout: Buffer }).stdout;
        code = (e as { status: number }).status;
      }
      expect(out.toString()).toBe(want);
      expect(code).toBe(3);
    });
  }
  it('the line holds no quote, backslash or newline of the script', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const line = forLoginShell(s, 'any');
        const tail = line.slice(line.lastIndexOf("' ") + 2);
        expect(tail).toMatch(/^[A-Za-z0-9+/=]*$/);
      }),
    );
  });
  it('knows the POSIX login shells by $SHELL, and reads the report', () => {
    for (const s of ['/bin/bash', '/usr/bin/zsh', '/bin/sh', '-bash', '/bin/dash', '/bin/ksh']) expect(isPosixShell(s)).toBe(true);
    for (const s of ['/usr/bin/fish', '/bin/tcsh', '/bin/csh', '/usr/bin/nu', '/usr/bin/xonsh', '', 'elvish']) expect(isPosixShell(s)).toBe(false);
    // on stderr, never on stdout
    const quiet = execFileSync('sh', ['-c', SHELL_REPORT], { env: { ...process.env, SHELL: '/usr/bin/fish' }, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(quiet.toString()).toBe('');
    const r = execFileSync('sh', ['-c', `{ ${SHELL_REPORT} } 2>&1`], { env: { ...process.env, SHELL: '/usr/bin/fish' } });
    expect(reportedShell(r)).toBe('/usr/bin/fish');
    expect(reportedShell(Buffer.from('noise only\n'))).toBeNull();
  });
});

describe('channel budget', () => {
  it('never lets more than N run and serves waiters first-in first-out', async () => {
    const sem = new Semaphore(2);
    const order: number[] = [];
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const release = await sem.acquire();
        order.push(i);
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 1));
        running--;
        release();
        release(); // a double release must not free two slots
      }),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sem.inUse).toBe(0);
  });
  it('fails waiters when the connection dies', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const waiting = sem.acquire();
    sem.fail({ kind: 'unreachable', message: 'gone' });
    await expect(waiting).rejects.toMatchObject({ kind: 'unreachable' });
  });
});

describe('backoff and statuses', () => {
  it('grows from 1 s to 30 s with jitter', () => {
    expect(backoffDelay(0, 1000, 30000, () => 1)).toBe(1000);
    expect(backoffDelay(0, 1000, 30000, () => 0)).toBe(500);
    expect(backoffDelay(3, 1000, 30000, () => 1)).toBe(8000);
    expect(backoffDelay(20, 1000, 30000, () => 1)).toBe(30000);
    expect(backoffDelay(1000, 1000, 30000, () => 0.5)).toBe(22500);
  });
  it('maps error kinds to host statuses', () => {
    expect(statusOf({ kind: 'auth', message: '' })).toBe('auth-failed');
    expect(statusOf({ kind: 'host-key-unknown', message: '' })).toBe('host-key-unknown');
    expect(statusOf({ kind: 'host-key-mismatch', message: '' })).toBe('host-key-mismatch');
    expect(statusOf({ kind: 'unreachable', message: '' })).toBe('unreachable');
    expect(statusOf({ kind: 'timeout', message: '' })).toBe('unreachable');
    expect(statusOf({ kind: 'exit', message: '' })).toBe('error');
    expect(statusOf(null)).toBe('connected');
  });
});

describe('auth plan', () => {
  const hop = (files: string[]): ResolvedHop => ({
    label: 'gpu',
    hostname: 'h',
    port: 22,
    user: 'me',
    identityFiles: files,
    identitiesOnly: false,
    knownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    hostKeyAlias: null,
    hashKnownHosts: false,
    connectTimeoutMs: null,
    proxyCommand: null,
    proxyJump: null,
  });
  const enc = fileURLToPath(new URL('../../fixtures/remote/encrypted_ed25519', import.meta.url));
  it('an encrypted key without an agent is an auth error at once, naming the key and ssh-add', () => {
    const r = planAuth(hop([enc]), {});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('auth');
      expect(r.error.message).toContain(enc);
      expect(r.error.message).toContain('ssh-add');
    }
  });
  it('with an agent, the agent is tried (first) and the encrypted key noted', () => {
    const r = planAuth(hop([enc]), { SSH_AUTH_SOCK: '/nonexistent/agent.sock' });
    expect(r.ok && r.value.methods.map((m) => m.type)).toEqual(['agent']);
    expect(r.ok && r.value.encrypted).toEqual([enc]);
  });
});

describe('exec under the watchdog (run here with sh and bash)', () => {
  const runWrapped = (script: string, holdStdinMs: number): Promise<{ out: Buffer; err: Buffer }> =>
    new Promise((resolve) => {
      const child = spawn('sh', ['-c', `echo login-noise; echo noise-err >&2; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const errs: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => errs.push(d));
      const t = setTimeout(() => child.stdin.end(), holdStdinMs);
      child.on('close', () => {
        clearTimeout(t);
        resolve({ out: Buffer.concat(out), err: Buffer.concat(errs) });
      });
    });
  it('keeps output, stderr and exit status, without bash job notices', async () => {
    const r = await runWrapped(wrapExec('echo out; echo err >&2; exit 5', N, { watchdogS: 30 }), 5000);
    const u = unwrapOutput(r.out, N);
    expect(u.code).toBe(5);
    expect(u.body.toString()).toBe('out\n');
    expect(afterBegin(r.err, N).toString()).toBe('err\n');
  });
  it('kills the command when stdin closes (the channel went away)', async () => {
    // were the command not killed, it would print "never" after 20 s
    const r = await runWrapped(wrapExec('sleep 20; echo never', N, { watchdogS: 30 }), 200);
    expect(r.out.toString()).not.toContain('never');
    expect(unwrapOutput(r.out, N).code).not.toBe(0);
  });
  it('KILLs what ignores the TERM, 3 s later', async () => {
    const mark = `rtk-wd-stubborn-${process.pid}-${Date.now()}`;
    const t0 = Date.now();
    const r = await runWrapped(wrapExec(`trap '' TERM; bash -c 'exec -a ${mark} sleep 97' & wait; echo never`, N, { watchdogS: 30 }), 300);
    expect(r.out.toString()).not.toContain('never');
    const alive = () => {
      try {
        return execFileSync('pgrep', ['-f', mark]).toString().trim() !== '';
      } catch {
        return false;
      }
    };
    const end = Date.now() + 8000;
    while (alive() && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    expect(alive()).toBe(false);
    expect(Date.now() - t0).toBeLessThan(9000);
  });
  it('kills the whole tree, also what moved to a process group of its own (timeout, setsid-less daemons)', async () => {
    // check --run's shape: timeout puts its child in a new group, out of reach of a group kill
    const mark = `rtk-wd-${process.pid}-${Date.now()}`;
    const t0 = Date.now();
    await runWrapped(wrapExec(`timeout -k 5 120 bash -c 'exec -a ${mark} sleep 97' ; echo never`, N, { watchdogS: 30 }), 300);
    const alive = () => {
      try {
        return execFileSync('pgrep', ['-f', mark]).toString().trim() !== '';
      } catch {
        return false;
      }
    };
    const end = Date.now() + 5000;
    while (alive() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
    expect(Date.now() - t0).toBeLessThan(6000);
  });
});

describe('the watchdog knows a process by its pid and its start time (a reused pid is another process)', () => {
  const bashFn = (call: string): string => execFileSync('bash', ['--norc', '-c', WATCHDOG_FUNCTIONS + call]).toString().trim();
  it('rtk_tree lists a process with its descendants, each as PID:START', () => {
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    try {
      let words: string[] = [];
      const end = Date.now() + 5000;
      while (words.length < 2 && Date.now() < end) words = bashFn(`rtk_tree ${child.pid}`).split(/\s+/).filter(Boolean);
      expect(words.length).toBe(2);
      for (const w of words) expect(w).toMatch(/^\d+:\S+_\S+_\S+_\S+_\S+$/);
      expect(words.map((w) => Number(w.split(':')[0]))).toContain(child.pid);
      expect(bashFn(`rtk_pids ${words.join(' ')}`).split(' ').map(Number).sort()).toEqual(words.map((w) => Number(w.split(':')[0])).sort());
    } finally {
      child.kill('SIGKILL');
    }
  });
  it('rtk_same keeps a pid only while it runs with the start time seen', () => {
    const me = bashFn(`rtk_tree ${process.pid}`).split(/\s+/).find((w) => w.startsWith(`${process.pid}:`))!;
    expect(me).toBeDefined();
    expect(bashFn(`rtk_same ${me}`)).toBe(String(process.pid));
    // the same pid with another start time: the process that had it is gone, this is someone else
    expect(bashFn(`rtk_same ${process.pid}:Mon_Jan_1_00:00:00_1990`)).toBe('');
    // no start time known (ps without lstart): never taken for the same process
    expect(bashFn(`rtk_same ${process.pid}:`)).toBe('');
    expect(bashFn('rtk_same 99999999:Mon_Jan_1_00:00:00_1990')).toBe('');
  });
});

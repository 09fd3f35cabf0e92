// The SSH transport against real OpenSSH sshd on loopback (test/helpers/lab.ts): a target behind a jump.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSpec } from '../../src/domain/types.js';
import type { Host, StreamHandle } from '../../src/remote/host.js';
import { hostSftp, openHost, sshArgv, statusOf, type HostEnv } from '../../src/remote/index.js';
import { fingerprint } from '../../src/remote/known-hosts.js';
import type { SshHost } from '../../src/remote/ssh.js';
import { labUnavailable, makeKey, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { pgrep, waitFor } from '../helpers/wait.js';

const pexec = promisify(execFile);
const why = labUnavailable();
const GPU: HostSpec = { name: 'gpu', local: false, ssh: 'rtk-gpu' };

suite(why, 'transport', () => {
  let lab: Lab;
  let henv: HostEnv;
  const hosts: Host[] = [];
  const open = (spec: HostSpec, env: HostEnv = henv, opts = {}): Host => {
    const h = openHost(spec, env, { backoffBaseMs: 100, backoffMaxMs: 400, ...opts });
    hosts.push(h);
    return h;
  };

  beforeAll(async () => {
    lab = await startLab();
    henv = { home: lab.home, env: lab.env() };
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    await lab?.stop();
  });

  it('runs a command on the target through the jump host, with exit status, stderr and stdin', async () => {
    const before = acceptedOn(lab, 'jump');
    const h = open(GPU);
    const r = await h.exec('echo "out $HOME"; echo err >&2; cat; exit 3', { stdin: 'from stdin\n' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.code).toBe(3);
    expect(r.value.stdout.toString()).toBe(`out ${lab.remoteHome}\nfrom stdin\n`);
    expect(r.value.stderr.toString()).toBe('err\n');
    // the chain really went through the jump: its sshd logged one more login
    expect(acceptedOn(lab, 'jump')).toBe(before + 1);
    expect(h.state()).toMatchObject({ phase: 'connected', status: 'connected', error: null });
    expect(h.state().latencyMs).not.toBeNull();
  });

  it('keeps bytes exact, times out, and caps output', async () => {
    const h = open(GPU);
    const bin = await h.exec("printf '\\000\\377\\r\\n\\036'");
    expect(bin.ok && [...bin.value.stdout]).toEqual([0, 255, 13, 10, 30]);
    const tag = uniqueSleep();
    const slow = await h.exec(`sleep ${tag}`, { timeoutMs: 300 });
    expect(slow.ok ? null : slow.error.kind).toBe('timeout');
    // the timed-out command does not linger on the target (it would hold an sshd session slot)
    expect(await waitFor(async () => (await pgrep(tag)) === '')).toBe(true);
    const big = await h.exec('head -c 300000 /dev/zero', { maxBytes: 1000 });
    expect(big.ok ? null : big.error.kind).toBe('io');
    expect((await h.exec('echo still fine')).ok).toBe(true);
  });

  it('refuses an unknown target host key with its fingerprint, and runs nothing', async () => {
    const home = variantHome(lab, 'unknown', (kh) => kh.split('\n').filter((l) => !l.startsWith('|1|')).join('\n'));
    const h = open(GPU, { home, env: lab.env({ HOME: home }) });
    const proof = join(lab.remoteHome, 'pwned-unknown');
    const r = await h.exec(`touch ${proof}`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('host-key-unknown');
    expect(r.error.message).toContain(fingerprint(blobOf(lab.gpuHostKey)));
    expect(r.error.message).toMatch(/is not known .*rtk-tui trust/);
    expect(existsSync(proof)).toBe(false);
    expect(h.state()).toMatchObject({ phase: 'failed', status: 'host-key-unknown' });
    expect(statusOf(r.error)).toBe('host-key-unknown');
  });

  it('refuses an unknown jump host key too', async () => {
    const home = variantHome(lab, 'unknown-jump', (kh) => kh.split('\n').filter((l) => !l.startsWith('[127.0.0.1]')).join('\n'));
    const r = await open(GPU, { home, env: lab.env({ HOME: home }) }).exec('true');
    expect(r.ok ? null : r.error.kind).toBe('host-key-unknown');
    expect(r.ok ? '' : r.error.message).toContain(`127.0.0.1:${lab.jumpPort}`);
  });

  it('refuses a changed host key, showing both fingerprints, and runs nothing', async () => {
    const other = makeKey('ed25519').public.split(' ').slice(0, 2).join(' ');
    const home = variantHome(lab, 'changed', (kh) =>
      kh
        .split('\n')
        .map((l) => (l.startsWith('|1|') ? `${l.split(' ')[0]} ${other}` : l))
        .join('\n'),
    );
    const h = open(GPU, { home, env: lab.env({ HOME: home }) });
    const proof = join(lab.remoteHome, 'pwned-changed');
    const r = await h.exec(`touch ${proof}`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('host-key-mismatch');
    expect(r.error.message).toContain(fingerprint(blobOf(other)));
    expect(r.error.message).toContain(fingerprint(blobOf(lab.gpuHostKey)));
    expect(existsSync(proof)).toBe(false);
    expect(h.state().status).toBe('host-key-mismatch');
  });

  it('reports a wrong client key as an auth failure and does not retry', async () => {
    const home = variantHome(lab, 'wrongkey', (kh) => kh);
    const k = makeKey('ed25519');
    writeFileSync(join(home, '.ssh', 'id_ed25519'), k.private, { mode: 0o600 });
    const h = open(GPU, { home, env: lab.env({ HOME: home }) });
    const r = await h.exec('true');
    expect(r.ok ? null : r.error.kind).toBe('auth');
    expect(h.state()).toMatchObject({ phase: 'failed', status: 'auth-failed' });
    const attempts = connectionsOn(lab, 'jump');
    const again = await h.exec('true');
    expect(again.ok ? null : again.error.kind).toBe('auth');
    // no retry loop: the second call failed without dialing again
    expect(connectionsOn(lab, 'jump')).toBe(attempts);
  });

  it('reports an encrypted key without an agent as an auth failure at once', async () => {
    const home = variantHome(lab, 'encrypted', (kh) => kh);
    writeFileSync(join(home, '.ssh', 'id_ed25519'), readFileSync(new URL('../fixtures/remote/encrypted_ed25519', import.meta.url)), { mode: 0o600 });
    const h = open(GPU, { home, env: lab.env({ HOME: home }) });
    const r = await h.exec('true');
    expect(r.ok ? null : r.error.kind).toBe('auth');
    expect(r.ok ? '' : r.error.message).toMatch(/passphrase.*ssh-add/);
  });

  it('logs in with the ssh-agent, offering only the configured key (IdentitiesOnly, .pub without private key)', async () => {
    const home = variantHome(lab, 'agent', (kh) => kh);
    rmSync(join(home, '.ssh', 'id_ed25519'));
    writeFileSync(join(home, '.ssh', 'id_ed25519.pub'), readFileSync(`${lab.clientKey}.pub`));
    const sock = join(lab.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      expect(await waitFor(async () => existsSync(sock))).toBe(true);
      // a decoy first: under IdentitiesOnly it must not be offered
      const decoy = join(lab.dir, 'decoy');
      writeFileSync(decoy, makeKey('ed25519').private, { mode: 0o600 });
      await pexec('ssh-add', ['-q', decoy, lab.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      const h = open(GPU, { home, env: lab.env({ HOME: home, SSH_AUTH_SOCK: sock }) });
      const before = sshdLog(lab, 'jump').split('Failed publickey').length;
      const r = await h.exec('echo via-agent');
      expect(r.ok ? r.value.stdout.toString() : r.error.message).toBe('via-agent\n');
      expect(sshdLog(lab, 'jump').split('Failed publickey').length).toBe(before);
    } finally {
      agent.kill();
    }
  });

  it('reports an unreachable host while a healthy one works', async () => {
    const closed = await closedPort();
    const down = open({ name: 'down', local: false, ssh: `${lab.user}@127.0.0.1:${closed}`, jump: 'none' });
    const up = open(GPU);
    const [d, u] = await Promise.all([down.exec('true'), up.exec('echo up')]);
    expect(d.ok ? null : d.error.kind).toBe('unreachable');
    expect(d.ok ? '' : d.error.message).toMatch(/connection refused/);
    expect(down.state()).toMatchObject({ phase: 'reconnecting', status: 'unreachable' });
    expect(u.ok && u.value.stdout.toString()).toBe('up\n');
  });

  it("drops login noise from the target's shell startup (a lab whose ~/.bashrc prints)", async () => {
    const noisy = await startLab({ remoteBashrc: 'echo NOISE-OUT; echo NOISE-ERR >&2' });
    try {
      const h = openHost(GPU, { home: noisy.home, env: noisy.env() });
      try {
        expect((await noisy.remote('true')).stdout).toBe('NOISE-OUT\n'); // the noise is real
        const r = await h.exec('echo clean; echo warn >&2');
        expect(r.ok && r.value.stdout.toString()).toBe('clean\n');
        expect(r.ok && r.value.stderr.toString()).toBe('warn\n');
        const s = await h.stream('echo streamed');
        expect(s.ok).toBe(true);
        if (s.ok) expect((await collect(s.value)).out).toBe('streamed\n');
      } finally {
        await h.close();
      }
    } finally {
      await noisy.stop();
    }
  });

  it('asks for the host key type known_hosts lists (ECDSA only), though the server prefers ed25519', async () => {
    const both = await startLab({ targetEcdsaKey: true });
    try {
      const kh = join(both.home, '.ssh', 'known_hosts');
      const lines = readFileSync(kh, 'utf8').split('\n');
      // the target's hashed ed25519 line becomes its ECDSA key
      writeFileSync(kh, lines.map((l) => (l.startsWith('|1|') ? `${l.split(' ')[0]} ${both.gpuEcdsaHostKey}` : l)).join('\n'));
      const h = openHost(GPU, { home: both.home, env: both.env() });
      try {
        const r = await h.exec('echo ecdsa-ok');
        expect(r.ok ? r.value.stdout.toString() : r.error.message).toBe('ecdsa-ok\n');
      } finally {
        await h.close();
      }
    } finally {
      await both.stop();
    }
  });

  it("kills a stream's remote process on close()", async () => {
    const h = open(GPU);
    const tag = uniqueSleep();
    const s = await h.stream(`echo started; sleep ${tag}`);
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    const closed = new Promise<[number | null, unknown]>((res) => s.value.onClose((c, e) => res([c, e])));
    expect(await waitFor(async () => (await pgrep(tag)) !== '')).toBe(true);
    s.value.close();
    expect(await closed).toEqual([null, null]);
    expect(await waitFor(async () => (await pgrep(tag)) === '')).toBe(true);
  });

  it('kills the remote process when the connection is killed, then reconnects', async () => {
    const h = open(GPU);
    expect((await h.connect()).ok).toBe(true);
    const tag = uniqueSleep();
    const s = await h.stream(`sleep ${tag}`);
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    const closed = new Promise<unknown>((res) => s.value.onClose((_c, e) => res(e)));
    expect(await waitFor(async () => (await pgrep(tag)) !== '')).toBe(true);
    await lab.killTargetSessions();
    expect(await closed).toMatchObject({ kind: 'unreachable' });
    expect(await waitFor(async () => (await pgrep(tag)) === '')).toBe(true);
    // the host comes back by itself (backoff shortened for the test)
    expect(await waitFor(async () => h.state().phase === 'connected')).toBe(true);
    const r = await h.exec('echo back');
    expect(r.ok && r.value.stdout.toString()).toBe('back\n');
  });

  it('the watchdog kills a stream whose heartbeats stop (a network gone without FIN)', async () => {
    // heartbeats every 10 min, watchdog 1 s: the remote side must give up on its own
    const h = open(GPU, henv, { heartbeatMs: 600_000, watchdogS: 1 });
    const tag = uniqueSleep();
    const s = await h.stream(`sleep ${tag}`);
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    const closed = new Promise<unknown>((res) => s.value.onClose((_c, e) => res(e)));
    expect(await waitFor(async () => (await pgrep(tag)) === '')).toBe(true);
    expect(await closed).toBeNull();
  });

  it('a burst of 5 streams and 10 execs stays within 4 channels, with no "open failed"', async () => {
    const h = open(GPU) as SshHost;
    expect((await h.connect()).ok).toBe(true);
    let peak = 0;
    let queued = 0;
    const sampler = setInterval(() => {
      const st = h.channelStats();
      peak = Math.max(peak, st.inUse);
      queued = Math.max(queued, st.queued);
    }, 2);
    try {
      const streams = Array.from({ length: 5 }, async (_, i) => {
        const s = await h.stream(`sleep 0.2; echo s${i}`);
        if (!s.ok) return s.error.message;
        return (await collect(s.value)).out;
      });
      const execs = Array.from({ length: 10 }, async (_, i) => {
        const r = await h.exec(`sleep 0.1; echo e${i}`);
        return r.ok ? r.value.stdout.toString() : r.error.message;
      });
      const got = await Promise.all([...streams, ...execs]);
      expect(got).toEqual([...Array.from({ length: 5 }, (_, i) => `s${i}\n`), ...Array.from({ length: 10 }, (_, i) => `e${i}\n`)]);
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(0);
    expect(queued).toBeGreaterThan(0);
    expect(readFileSync(join(lab.dir, 'logs', 'gpu_sshd.log'), 'utf8')).not.toMatch(/no more sessions/);
  });

  it('offers SFTP on the same connection, and an ssh argv that reaches the same host', async () => {
    const h = open(GPU);
    const sftp = await hostSftp(h);
    expect(sftp.ok).toBe(true);
    if (sftp.ok) {
      const names = await new Promise<string[]>((res, rej) =>
        sftp.value.readdir(lab.remoteHome, (e, list) => (e ? rej(e) : res(list.map((x) => x.filename)))),
      );
      expect(names).toContain('.bashrc');
      sftp.value.end();
    }
    const local = await hostSftp(openHost({ name: 'me', local: true }, henv));
    expect(local.ok).toBe(false);
    const argv = sshArgv(GPU, henv);
    expect(argv).toEqual(['-F', lab.sshConfig, '--', 'rtk-gpu']);
    const { stdout } = await pexec('ssh', [...argv, 'echo', 'via-system-ssh'], { env: henv.env });
    expect(stdout).toBe('via-system-ssh\n');
  });
});

describe('local host', () => {
  it('runs sh -c with status, stdin, timeout, and streams that close', async () => {
    const h = openHost({ name: 'me', local: true }, { home: process.env.HOME ?? '/', env: process.env });
    const r = await h.exec('cat; echo e >&2; exit 4', { stdin: 'x' });
    expect(r.ok && [r.value.code, r.value.stdout.toString(), r.value.stderr.toString()]).toEqual([4, 'x', 'e\n']);
    const t = await h.exec('sleep 5', { timeoutMs: 200 });
    expect(t.ok ? null : t.error.kind).toBe('timeout');
    const tag = uniqueSleep();
    const s = await h.stream(`sleep ${tag}`);
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    expect(await waitFor(async () => (await pgrep(tag)) !== '')).toBe(true);
    s.value.close();
    expect(await waitFor(async () => (await pgrep(tag)) === '')).toBe(true);
    await h.close();
  });
});

function variantHome(lab: Lab, name: string, editKnownHosts: (text: string) => string): string {
  const home = join(lab.dir, `home-${name}`);
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const kh = join(home, '.ssh', 'known_hosts');
  const cfg = readFileSync(lab.sshConfig, 'utf8')
    .replaceAll(join(lab.home, '.ssh', 'known_hosts'), kh)
    .replaceAll(lab.clientKey, join(home, '.ssh', 'id_ed25519'));
  writeFileSync(join(home, '.ssh', 'config'), cfg, { mode: 0o600 });
  writeFileSync(kh, editKnownHosts(readFileSync(join(lab.home, '.ssh', 'known_hosts'), 'utf8')), { mode: 0o600 });
  writeFileSync(join(home, '.ssh', 'id_ed25519'), readFileSync(lab.clientKey), { mode: 0o600 });
  return home;
}

function blobOf(pubLine: string): Buffer {
  return Buffer.from(pubLine.split(' ')[1] ?? '', 'base64');
}

function sshdLog(lab: Lab, name: 'jump' | 'gpu'): string {
  return readFileSync(join(lab.dir, 'logs', `${name}_sshd.log`), 'utf8');
}
function acceptedOn(lab: Lab, name: 'jump' | 'gpu'): number {
  return sshdLog(lab, name).split('\n').filter((l) => l.includes('Accepted publickey')).length;
}
function connectionsOn(lab: Lab, name: 'jump' | 'gpu'): number {
  return sshdLog(lab, name).split('\n').filter((l) => l.includes('Connection from')).length;
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 1));
    });
  });
}

let seq = 0;
/** A sleep duration no other process has on its command line: a marker for pgrep -f. */
function uniqueSleep(): string {
  return `300.${process.pid}${++seq}${Date.now() % 10_000}`;
}

function collect(s: StreamHandle): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    s.onData((b) => (out += b.toString()));
    s.onStderr((b) => (err += b.toString()));
    s.onClose((code) => resolve({ out, err, code }));
  });
}

// First data from 10 hosts through a jump host (DESIGN section 8, target <= 1.5 s): two real sshd on
// loopback (jump 127.0.0.1, target 127.0.0.2, as in test/helpers/lab.ts), ten ssh aliases reaching the
// target through the jump, each with a tmux server of its own (tmuxSocket) holding one run. Timed from
// spawning the built monitor in a pty (120x40) until every host is connected and shows its run.
// Baseline: the hand-made way, one `ssh -F cfg alias tmux ls` per host, all ten in parallel.
// Skipped (with the reason) where /usr/sbin/sshd or node-pty is missing.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, row } from '../lib/util.mjs';

const BIN = fileURLToPath(new URL('../../bin/rtk-tui', import.meta.url));
const SSHD = '/usr/sbin/sshd';
const HOSTS = 10;
const RUNS = 3;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = (addr) =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, addr, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const sh = (file, args, env) =>
  new Promise((resolve) => execFile(file, args, { env, timeout: 30_000 }, (e, stdout, stderr) => resolve({ ok: !e, stdout, stderr })));

async function startSshd(dir, name, addr, setEnv) {
  const port = await freePort(addr);
  const pidFile = join(dir, `${name}.pid`);
  const cfg = join(dir, `${name}_sshd_config`);
  writeFileSync(cfg, [
    `Port ${port}`, `ListenAddress ${addr}`, `HostKey ${join(dir, `${name}_key`)}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', 'UseDNS no', 'PrintMotd no',
    'AllowTcpForwarding yes', 'MaxStartups 100', 'MaxSessions 20', `PidFile ${pidFile}`, `SetEnv ${setEnv}`, '',
  ].join('\n'));
  const child = spawn(SSHD, ['-D', '-f', cfg, '-E', join(dir, `${name}.log`)], { stdio: 'ignore', detached: true });
  child.unref();
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(50);
  if (!existsSync(pidFile)) throw new Error(`sshd ${name} did not start`);
  return { pid: child.pid, port };
}

export async function run() {
  if (!existsSync(SSHD)) return [{ figure: 'first data, 10 hosts through a jump', error: `${SSHD} is missing` }];
  let pty;
  try {
    pty = (await import('node-pty')).default;
  } catch {
    return [{ figure: 'first data, 10 hosts through a jump', error: 'node-pty is not available' }];
  }
  const dir = mkdtempSync(join(tmpdir(), 'rtk-bench-jump-'));
  const pids = [];
  try {
    const home = join(dir, 'home');
    const sshDir = join(home, '.ssh');
    const tmuxDir = join(dir, 'tmux');
    mkdirSync(sshDir, { recursive: true, mode: 0o700 });
    mkdirSync(tmuxDir, { mode: 0o700 });
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    for (const k of ['jump_key', 'gpu_key', 'id']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]);
    execFileSync('cp', [join(dir, 'id.pub'), join(dir, 'authorized_keys')]);
    const path = '/usr/local/bin:/usr/bin:/bin';
    const jump = await startSshd(dir, 'jump', '127.0.0.1', `PATH=${path}`);
    pids.push(jump.pid);
    const gpu = await startSshd(dir, 'gpu', '127.0.0.2', `TMUX_TMPDIR=${tmuxDir} PATH=${path}`);
    pids.push(gpu.pid);
    const pub = (k) => execFileSync('cut', ['-d', ' ', '-f1,2', join(dir, `${k}.pub`)], { encoding: 'utf8' }).trim();
    const knownHosts = join(sshDir, 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${jump.port} ${pub('jump_key')}\n[127.0.0.2]:${gpu.port} ${pub('gpu_key')}\n`);
    const user = userInfo().username;
    const aliases = Array.from({ length: HOSTS }, (_, i) => `gpu${i + 1}`);
    const sshConfig = join(sshDir, 'config');
    writeFileSync(sshConfig, [
      'Host jump', '  HostName 127.0.0.1', `  Port ${jump.port}`,
      ...aliases.flatMap((a) => [`Host ${a}`, '  HostName 127.0.0.2', `  Port ${gpu.port}`, '  ProxyJump jump']),
      'Host *', `  User ${user}`, `  IdentityFile ${join(dir, 'id')}`, '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHosts}`, '  StrictHostKeyChecking yes', '  BatchMode yes', '  LogLevel ERROR', '',
    ].join('\n'), { mode: 0o600 });
    // one tmux server per alias on the target, one run each
    const env0 = { ...process.env, TMUX_TMPDIR: tmuxDir };
    delete env0.TMUX;
    for (const a of aliases) execFileSync('tmux', ['-L', a, '-f', '/dev/null', 'new-session', '-d', '-s', `train-${a}`, 'sleep 600'], { env: env0 });
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, `hosts:\n${aliases.map((a) => `  - name: ${a}\n    ssh: ${a}\n    tmuxSocket: ${a}\n`).join('')}`);
    const env = { ...process.env, HOME: home, CI: 'false', TERM: 'xterm-256color' };
    delete env.TMUX;
    delete env.SSH_AUTH_SOCK;
    delete env.RTK_TUI_CONFIG;

    const ours = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const p = pty.spawn(process.execPath, [BIN, '--config', cfg], { cols: 120, rows: 40, env, name: 'xterm-256color' });
      let screen = '';
      const ms = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not every host showed its run within 30 s: ${screen.slice(-600)}`)), 30_000);
        p.onData((d) => {
          screen = (screen + d.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')).slice(-100_000);
          if (aliases.every((a) => screen.includes(`${a}:train-${a}`))) {
            clearTimeout(timer);
            resolve(performance.now() - t0);
          }
        });
      });
      ours.push(ms);
      p.write('q');
      await new Promise((r) => {
        const t = setTimeout(() => {
          p.kill();
          r();
        }, 5000);
        p.onExit(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    const hand = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const rs = await Promise.all(aliases.map((a) => sh('ssh', ['-F', sshConfig, a, `tmux -L ${a} ls`], env)));
      if (!rs.every((r) => r.ok)) throw new Error(`baseline ssh failed: ${rs.find((r) => !r.ok).stderr}`);
      hand.push(performance.now() - t0);
    }
    return [
      row('first data, 10 hosts through a jump (every run on screen)', median(ours), 'ms', median(hand), {
        target: 1500,
        baselineIs: '10 parallel `ssh -J jump host tmux ls`',
        runs: RUNS,
      }),
    ];
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    const env0 = { ...process.env, TMUX_TMPDIR: join(dir, 'tmux') };
    for (let i = 1; i <= HOSTS; i++) await sh('tmux', ['-L', `gpu${i}`, 'kill-server'], env0);
    rmSync(dir, { recursive: true, force: true });
  }
}

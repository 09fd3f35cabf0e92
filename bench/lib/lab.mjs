// A disposable SSH lab on loopback for benches (plain JS: bench files cannot import the TypeScript
// test/helpers/lab.ts). Real OpenSSH sshd: targets on 127.0.0.2 (`rtk-gpu`, `rtk-gpu2`, ...), and
// optionally a jump host on 127.0.0.1 (`rtk-jump`). Throwaway ed25519 keys, free ports.
// Every target login gets, through sshd's SetEnv: TMUX_TMPDIR=lab.tmuxTmpDir (an isolated tmux server),
// PATH=lab.binDir:... (drop a fake nvidia-smi there) and HOME=lab.remoteHome (an empty .bashrc, so the
// machine's own shell start-up, which may spawn processes, stays out of every figure).
// With { strace: true } each target sshd runs under `strace -f -e trace=execve`: every process the
// target starts for its clients is in lab.traceFile(i) (see countExecs).
// stop() kills the sshd (and strace), every process started under the lab's TMUX_TMPDIR or naming the
// lab dir, and removes the dir; it also runs on process exit.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { logLine } from './util.mjs';

export const SSHD = '/usr/sbin/sshd';

export function labUnavailable() {
  if (!existsSync(SSHD)) return `${SSHD} is missing`;
  return null;
}

/** Whether a program is on PATH. */
export function hasProgram(name) {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, name)));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * strace stops only at execve with a seccomp filter (strace >= 5.3): without it every syscall of a
 * traced process stops twice, which multiplies the CPU of anything reading byte by byte (a shell's
 * `read`) and would weigh on the target-side CPU figures far more than the real cost.
 */
const STRACE_FAST = (() => {
  try {
    execFileSync('strace', ['--seccomp-bpf', '-f', '-qq', '-e', 'trace=execve', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
    return ['--seccomp-bpf'];
  } catch {
    return [];
  }
})();

const live = new Set();
let hooked = false;
function killQuiet(pid, sig = 'SIGTERM') {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

function freePort(addr) {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, addr, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Run a program; never rejects. */
export function sh(file, args, { env = process.env, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) =>
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 64 << 20, killSignal: 'SIGKILL' }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout: String(stdout), stderr: String(stderr) }),
    ),
  );
}

export function listProcs() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      let environ = '';
      try {
        environ = readFileSync(`/proc/${name}/environ`, 'utf8');
      } catch {
        /* not ours */
      }
      out.push({ pid: Number(name), ppid: Number(rest[1]), cmd, environ });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

function descendants(procs, roots) {
  const found = new Set();
  let frontier = roots;
  while (frontier.length > 0) {
    const next = [];
    for (const p of procs) if (frontier.includes(p.ppid) && !found.has(p.pid)) (found.add(p.pid), next.push(p.pid));
    frontier = next;
  }
  return [...found];
}

/**
 * CPU ms (user + system) a process has used so far, from /proc/PID/stat; with children, plus that of
 * the children it has waited for. null when it is gone.
 */
export function procCpuMs(pid, children = false) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 (utime, stime) are at 11 and 12 after the ')'; clock ticks of 1/100 s
    const t = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
    return (t * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** This process's CPU ms so far. */
export function selfCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Running, not a zombie. */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

async function until(cond, timeoutMs, stepMs = 20) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(stepMs);
  }
  return cond();
}

/**
 * Successful execve calls in a strace -f -ttt file between two epoch-second times: { execs, procs
 * (distinct pids that exec'd), byProgram }. The sshd re-exec for each new connection is left out.
 */
export function countExecs(file, fromS = 0, toS = Infinity) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const pids = new Set();
  const byProgram = {};
  let execs = 0;
  // concurrent execs (a pipeline's find | tr | awk) are split by strace -f into `execve("/usr/bin/find",
  // ... <unfinished ...>` and, later, `<... execve resumed>) = 0`: counted at the first, if it succeeded
  const pending = new Map();
  for (const line of text.split('\n')) {
    let m = /^(\d+)\s+(\d+\.\d+) execve\("([^"]*)".*\) = 0$/.exec(line);
    if (!m) {
      const u = /^(\d+)\s+(\d+\.\d+) execve\("([^"]*)".*<unfinished \.\.\.>$/.exec(line);
      if (u) pending.set(u[1], u);
      const r = /^(\d+)\s+\d+\.\d+ <\.\.\. execve resumed>.*\) = 0$/.exec(line);
      if (r && pending.has(r[1])) m = pending.get(r[1]);
      if (r) pending.delete(r[1]);
    }
    if (!m) continue;
    const t = Number(m[2]);
    if (t < fromS || t > toS) continue;
    const prog = m[3].slice(m[3].lastIndexOf('/') + 1);
    if (prog === 'sshd') continue;
    execs++;
    pids.add(m[1]);
    byProgram[prog] = (byProgram[prog] ?? 0) + 1;
  }
  return { execs, procs: pids.size, byProgram };
}

/**
 * opts: { targets = 1, jump = false, strace = false, extraAliases = [] (more names for target 0),
 * maxStartups = 100, maxSessions = 50 (every sshd of the lab) }.
 * Aliases: rtk-gpu (target 0), rtk-gpu2.. (targets 1..), rtk-jump; with jump, target aliases go
 * through it (ProxyJump).
 */
export async function startLab(opts = {}) {
  const why = labUnavailable();
  if (why) throw new Error(`bench lab: ${why}`);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const pid of live) killQuiet(pid, 'SIGKILL');
    });
  }
  const targets = opts.targets ?? 1;
  // sshd's limits on unauthenticated connections at once and on sessions per connection: a figure that
  // reaches one sshd under hundreds of names raises them (hosts256.mjs), so that it measures rtk-tui's
  // own scheduling, not sshd's random drops past MaxStartups
  const maxStartups = opts.maxStartups ?? 100;
  const maxSessions = opts.maxSessions ?? 50;
  const dir = mkdtempSync(join(tmpdir(), 'rtk-bench-lab-'));
  const home = join(dir, 'home');
  const sshDir = join(home, '.ssh');
  const binDir = join(dir, 'bin');
  const tmuxTmpDir = join(dir, 'tmux');
  const runsDir = join(dir, 'runs');
  const remoteHome = join(dir, 'remote-home');
  for (const d of [sshDir, binDir, tmuxTmpDir, runsDir, remoteHome, join(dir, 'logs')]) mkdirSync(d, { recursive: true, mode: 0o700 });
  writeFileSync(join(remoteHome, '.bashrc'), 'cd "$HOME" 2>/dev/null\n');
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  } catch {
    /* not root: sshd will say so */
  }
  const key = (f) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'rtk-bench', '-f', f]);
  const clientKey = join(sshDir, 'id_ed25519');
  key(clientKey);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const user = userInfo().username;
  const targetPath = `${binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
  const pids = [];
  const sshdPidFiles = [];

  async function startSshd(name, addr, setEnv, trace) {
    key(join(dir, `${name}_hostkey`));
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort(addr);
      const pidFile = join(dir, `${name}.pid`);
      const cfg = join(dir, `${name}_sshd_config`);
      rmSync(pidFile, { force: true });
      writeFileSync(cfg, [
        `Port ${port}`, `ListenAddress ${addr}`, `HostKey ${join(dir, `${name}_hostkey`)}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', 'UseDNS no', 'PrintMotd no', 'PrintLastLog no',
        'AllowTcpForwarding yes', 'Subsystem sftp internal-sftp', `MaxStartups ${maxStartups}`, `MaxSessions ${maxSessions}`, 'LoginGraceTime 30',
        `PidFile ${pidFile}`, 'LogLevel VERBOSE', `SetEnv ${setEnv}`, '',
      ].join('\n'));
      const argv = [SSHD, '-D', '-f', cfg, '-E', join(dir, 'logs', `${name}.log`)];
      const traceFile = join(dir, 'logs', `${name}.strace`);
      const child = trace
        ? spawn('strace', [...STRACE_FAST, '-f', '-qq', '-ttt', '-e', 'trace=execve', '-o', traceFile, ...argv], { stdio: 'ignore', detached: true })
        : spawn(argv[0], argv.slice(1), { stdio: 'ignore', detached: true });
      child.unref();
      let exited = false;
      child.once('exit', () => {
        exited = true;
        live.delete(child.pid);
      });
      live.add(child.pid);
      pids.push(child.pid);
      await until(() => exited || existsSync(pidFile), 10_000);
      if (!exited && existsSync(pidFile)) {
        sshdPidFiles.push(pidFile);
        return { port, traceFile, pidFile };
      }
      killQuiet(child.pid, 'SIGKILL');
    }
    throw new Error(`bench lab: sshd ${name} did not start on ${addr}`);
  }

  const stopAll = async () => {
    await sh('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: tmuxTmpDir }, timeoutMs: 5000 });
    const sshdPids = sshdPidFiles.map((f) => (existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0)).filter((p) => p > 0);
    const procs = listProcs();
    const victims = new Set([...pids, ...sshdPids, ...descendants(procs, [...pids, ...sshdPids])]);
    for (const p of procs) if (p.cmd.includes(dir) || p.environ.includes(`TMUX_TMPDIR=${tmuxTmpDir}\0`)) victims.add(p.pid);
    victims.delete(process.pid);
    for (const pid of victims) killQuiet(pid, 'SIGKILL');
    for (const pid of pids) live.delete(pid);
    await until(() => [...victims].every((p) => !alive(p)), 5000);
    rmSync(dir, { recursive: true, force: true });
  };

  const sshdInfo = [];
  let jumpPort = null;
  try {
    const setEnv = `TMUX_TMPDIR=${tmuxTmpDir} PATH=${targetPath} HOME=${remoteHome}`;
    if (opts.jump) jumpPort = (await startSshd('jump', '127.0.0.1', `PATH=${targetPath}`, false)).port;
    for (let i = 0; i < targets; i++) sshdInfo.push(await startSshd(`gpu${i}`, '127.0.0.2', setEnv, !!opts.strace));
  } catch (e) {
    await stopAll();
    throw e;
  }
  const pub = (name) => readFileSync(join(dir, `${name}_hostkey.pub`), 'utf8').split(' ').slice(0, 2).join(' ');
  const known = [];
  if (opts.jump) known.push(`[127.0.0.1]:${jumpPort} ${pub('jump')}`);
  sshdInfo.forEach((s, i) => known.push(`[127.0.0.2]:${s.port} ${pub(`gpu${i}`)}`));
  const knownHosts = join(sshDir, 'known_hosts');
  writeFileSync(knownHosts, `${known.join('\n')}\n`, { mode: 0o600 });
  const aliasOf = (i) => (i === 0 ? 'rtk-gpu' : `rtk-gpu${i + 1}`);
  const sshConfig = join(sshDir, 'config');
  const hostBlock = (alias, i) => [`Host ${alias}`, '  HostName 127.0.0.2', `  Port ${sshdInfo[i].port}`, ...(opts.jump ? ['  ProxyJump rtk-jump'] : [])];
  writeFileSync(sshConfig, [
    ...(opts.jump ? ['Host rtk-jump', '  HostName 127.0.0.1', `  Port ${jumpPort}`] : []),
    ...sshdInfo.flatMap((_, i) => hostBlock(aliasOf(i), i)),
    ...(opts.extraAliases ?? []).flatMap((a) => hostBlock(a, 0)),
    'Host *', `  User ${user}`, `  IdentityFile ${clientKey}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${knownHosts}`,
    '  StrictHostKeyChecking yes', '  BatchMode yes', '  LogLevel ERROR', '  ConnectTimeout 15', '',
  ].join('\n'), { mode: 0o600 });

  const baseEnv = () => {
    const e = { ...process.env };
    for (const k of ['RTK_TUI_CONFIG', 'XDG_CONFIG_HOME', 'SSH_AUTH_SOCK', 'TMUX', 'TMUX_PANE']) delete e[k];
    return e;
  };
  let stopped = false;
  const lab = {
    dir, home, sshConfig, binDir, tmuxTmpDir, runsDir, remoteHome, user, jumpPort,
    ports: sshdInfo.map((s) => s.port),
    aliases: sshdInfo.map((_, i) => aliasOf(i)),
    traceFile: (i = 0) => sshdInfo[i].traceFile,
    sshdLog: (i = 0) => join(dir, 'logs', `gpu${i}.log`),
    /** Environment for client programs: HOME=lab.home, CI=false. */
    env: (extra = {}) => ({ ...baseEnv(), HOME: home, CI: 'false', ...extra }),
    /** The HostEnv for openHost. */
    henv: () => ({ home, env: { ...baseEnv(), HOME: home } }),
    /** `sh -c cmd` on target `alias` through the system ssh (-F lab.sshConfig). */
    remote: (cmd, alias = 'rtk-gpu', o = {}) =>
      sh('ssh', ['-F', sshConfig, alias, `sh -c '${cmd.replaceAll("'", `'\\''`)}'`], { env: lab.env(), timeoutMs: o.timeoutMs ?? 30_000 }),
    /**
     * CPU ms used so far on the target's side: every process under target i's sshd (their own CPU
     * plus that of the children they waited for: exec'd commands that exited) and the target's tmux
     * server. Differences between two calls are the target's CPU in between (a process alive at the
     * first call that exits before the second is counted whole). withTmux false: sshd's tree only.
     */
    targetCpuMs(i = 0, withTmux = true) {
      const pidFile = sshdInfo[i].pidFile;
      const root = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
      const procs = listProcs();
      const mine = new Set([root, ...descendants(procs, [root])]);
      if (withTmux) for (const p of procs) if (/^tmux/.test(p.cmd) && p.environ.includes(`TMUX_TMPDIR=${tmuxTmpDir}\0`) ) mine.add(p.pid);
      let ms = 0;
      for (const pid of mine) ms += procCpuMs(pid, true) ?? 0;
      return ms;
    },
    /** tmux on the target's server (same machine: loopback), for setting up runs fast. */
    tmux: (args) => sh('tmux', args, { env: { ...baseEnv(), TMUX_TMPDIR: tmuxTmpDir, PATH: targetPath } }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopAll();
    },
  };
  // wait until every target answers
  for (const a of lab.aliases) {
    const ok = await until(async () => (await lab.remote('true', a, { timeoutMs: 10_000 })).code === 0, 20_000, 100);
    if (!ok) {
      await lab.stop();
      throw new Error(`bench lab: ${a} does not answer over ssh`);
    }
  }
  return lab;
}

/**
 * N tmux sessions (train-0..) on the target, each with a log of 500 training lines, nothing written
 * after, and a checkpoint directory with two checkpoints (the monitor lists every live run's).
 */
export async function setUpRuns(lab, n) {
  for (let r = 0; r < n; r++) {
    const log = join(lab.runsDir, `run${r}.log`);
    writeFileSync(log, Array.from({ length: 500 }, (_, i) => `${logLine(i)}\n`).join(''));
    const s = `train-${r}`;
    const a = await lab.tmux(['-f', '/dev/null', 'new-session', '-d', '-s', s, '-x', '120', '-y', '40', 'sleep 3600']);
    if (a.code !== 0) throw new Error(`tmux new-session: ${a.stderr}`);
    await lab.tmux(['set-option', '-t', s, '@rtk_log', log]);
    const ck = join(lab.runsDir, `ckpt${r}`);
    // saved an hour ago: an idle run's checkpoints, not ones being written (those are listed again every 3 s)
    const ago = Date.now() / 1000 - 3600;
    for (const step of [100, 200]) {
      mkdirSync(join(ck, `checkpoint-${step}`), { recursive: true });
      writeFileSync(join(ck, `checkpoint-${step}`, 'model.safetensors'), 'x'.repeat(1024));
      utimesSync(join(ck, `checkpoint-${step}`, 'model.safetensors'), ago + step, ago + step);
      utimesSync(join(ck, `checkpoint-${step}`), ago + step, ago + step);
    }
    await lab.tmux(['set-option', '-t', s, '@rtk_checkpoints', ck]);
  }
}

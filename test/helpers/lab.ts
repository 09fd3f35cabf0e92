// A disposable SSH lab on loopback for e2e tests: two real OpenSSH sshd, a jump host on 127.0.0.1 and
// a "GPU" target on 127.0.0.2 reached through it (ProxyJump), with throwaway ed25519 keys.
// Same shape as ../shared/tools/lab.sh, but started from node without a shell: no fixed sleeps, free
// ports picked at runtime, and a teardown that also runs when a test file dies without calling stop().
//
// Client side: lab.home is a HOME with .ssh/{config,known_hosts,id_ed25519}. OpenSSH takes ~ from the
// password database, not $HOME, so system ssh must get `-F lab.sshConfig`; UserKnownHostsFile is set
// inside that file so ProxyJump's inner `ssh -W` sees it too. known_hosts holds the jump key in plain
// `[127.0.0.1]:PORT` form and the target's hashed (`|1|salt|hmac`): both occur in real files.
// Remote side: every login gets TMUX_TMPDIR=lab.tmuxTmpDir (an isolated tmux server) and
// PATH=lab.binDir:... (drop a fake nvidia-smi there), through sshd's SetEnv.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { onPath, tmuxMissing } from './require.js';

export const SSHD = '/usr/sbin/sshd';

/** Why the lab cannot run here, or null. Use as `suite(labUnavailable(), name, fn)` (helpers/require.ts). */
export function labUnavailable(): string | null {
  if (!existsSync(SSHD)) return `${SSHD} is missing (apt-get install -y openssh-server)`;
  if (!onPath('ssh') || !onPath('ssh-keygen')) return 'the OpenSSH client is missing (apt-get install -y openssh-client)';
  return tmuxMissing();
}

export interface RemoteResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Lab {
  dir: string;
  /** Client HOME: .ssh/config, .ssh/known_hosts, .ssh/id_ed25519. */
  home: string;
  /** Path of the client's ssh config (pass it as -F to system ssh). */
  sshConfig: string;
  jumpPort: number;
  gpuPort: number;
  /** First on the target's PATH: drop a fake nvidia-smi here. */
  binDir: string;
  /** The target's TMUX_TMPDIR (tmux server isolated from the machine's own). */
  tmuxTmpDir: string;
  /** An rtk-tui config.yaml with one host: `gpu` (ssh: rtk-gpu, behind rtk-jump). */
  rtkConfig: string;
  /** The target's login user. */
  user: string;
  /** Private key the client uses (also in home/.ssh/id_ed25519). */
  clientKey: string;
  /** Public host keys, one `type base64` line each. */
  jumpHostKey: string;
  gpuHostKey: string;
  /** The target's second host key (ECDSA), when startLab({ targetEcdsaKey: true }); else null. */
  gpuEcdsaHostKey: string | null;
  /** The target's HOME (sshd SetEnv HOME=...; also its cwd): isolated from the machine's real home. */
  remoteHome: string;
  /** The throwaway users of startLab({ users }), in order. */
  users: LabUser[];
  /** Runs `cmd` (POSIX sh) on the target as that user, whatever their login shell. */
  remoteAs(user: string, cmd: string, opts?: { timeoutMs?: number }): Promise<RemoteResult>;
  /** Runs `sh -c cmd` on the target through system ssh -F (straight to the target, for speed). */
  remote(cmd: string, opts?: { timeoutMs?: number }): Promise<RemoteResult>;
  /**
   * Kills (SIGKILL) the sshd processes serving client connections on the target: every connection
   * drops. The commands those sessions started are not killed: they see their channel vanish.
   */
  killTargetSessions(): Promise<void>;
  /**
   * The target's sshd stops answering: its listener is stopped (SIGSTOP: new connections hang, as
   * on a host that went away) and every connection is dropped. thawTarget() lets it answer again.
   */
  freezeTarget(): Promise<void>;
  thawTarget(): void;
  /** Environment for the program under test: HOME=lab.home, CI=false, RTK_TUI_CONFIG unset. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** A throwaway login on the target, with its own login shell (startLab({ users })). */
export interface LabUser {
  name: string;
  /** Absolute path of the login shell (/usr/bin/fish, /usr/bin/tcsh...). */
  shell: string;
  home: string;
  /** Its own TMUX_TMPDIR on the target (under its home). */
  tmuxTmpDir: string;
}

export interface LabOptions {
  /** Extra lines for the target's ~/.bashrc (lab.remoteHome), e.g. `echo noise; echo more >&2` for login noise. */
  remoteBashrc?: string;
  /** Give the target an ECDSA host key besides its ed25519 one (known_hosts still lists only ed25519). */
  targetEcdsaKey?: boolean;
  /**
   * Throwaway users on this machine who may log in to the target with the lab's client key, each
   * with the given login shell (needs root; removed by stop()). Reach one as `NAME@rtk-gpu`.
   */
  users?: { shell: string }[];
  /**
   * More variables for every session on the target (sshd SetEnv, for the throwaway users too), e.g.
   * `{ SLURM_CONF }` from test/helpers/slurm.ts. Values without spaces or quotes.
   */
  targetEnv?: Record<string, string>;
}

const live = new Set<number>();
/** Throwaway users still on this machine: removed at exit even when a test file dies. */
const liveUsers = new Set<string>();
let exitHookInstalled = false;

export function killQuiet(pid: number, sig: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // a test file that dies without stop() must not leave sshd behind
  process.on('exit', () => {
    for (const pid of live) killQuiet(pid, 'SIGKILL');
    for (const u of liveUsers) removeUser(u);
  });
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Why throwaway users cannot be made here, or null. */
export function usersUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'creating throwaway users needs root';
  if (!onPath('useradd') || !onPath('userdel')) return 'useradd/userdel are missing (apt-get install -y passwd)';
  return null;
}

function removeUser(name: string): void {
  try {
    execFileSync('pkill', ['-KILL', '-u', name], { stdio: 'ignore' });
  } catch {
    /* no process left */
  }
  try {
    execFileSync('userdel', [name], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
  liveUsers.delete(name);
}

/**
 * A user with this login shell and a home under `dir`. The password field is `*` (not `!`): sshd
 * refuses a locked account even for key logins. sshd reads authorized_keys as that user, so the lab
 * directory is made traversable and the keys file readable.
 */
function createUser(dir: string, shell: string): LabUser {
  const base = (shell.split('/').pop() ?? 'sh').replace(/[^a-z]/g, '').slice(0, 8) || 'sh';
  const name = `rtk${base}${randomBytes(3).toString('hex')}`;
  const home = join(dir, 'users', name);
  mkdirSync(join(dir, 'users'), { recursive: true, mode: 0o755 });
  execFileSync('useradd', ['-m', '-d', home, '-s', shell, '-K', 'MAIL_DIR=/dev/null', name], { stdio: 'pipe' });
  liveUsers.add(name);
  execFileSync('usermod', ['-p', '*', name], { stdio: 'pipe' });
  const tmuxTmpDir = join(home, 'tmux');
  mkdirSync(tmuxTmpDir, { mode: 0o700 });
  execFileSync('chown', ['-R', `${name}:`, home]);
  return { name, shell, home, tmuxTmpDir };
}

/** `|1|salt|hmac` as `ssh-keygen -H` writes it. */
export function hashHostToken(token: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(token).digest('base64');
  return `|1|${salt.toString('base64')}|${mac}`;
}

export interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
  environ: string;
}

export function listProcs(): Proc[] {
  const out: Proc[] = [];
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
        /* another user's process */
      }
      out.push({ pid: Number(name), ppid: Number(rest[1]), cmd, environ });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

export function descendants(procs: Proc[], roots: number[]): number[] {
  const found = new Set<number>();
  let frontier = roots;
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const p of procs) if (frontier.includes(p.ppid) && !found.has(p.pid)) (found.add(p.pid), next.push(p.pid));
    frontier = next;
  }
  return [...found];
}

/** Running, not a zombie (an orphan's zombie waits for init, which may be slow to reap in containers). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function until(cond: () => boolean, timeoutMs: number, stepMs = 10): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

interface Sshd {
  pid: number;
  port: number;
}

/**
 * A throwaway key pair made by OpenSSH's ssh-keygen. Not ssh2's generator: about one ed25519 key in
 * 250 that it makes is refused by OpenSSH ("Load key: error in libcrypto"), which failed the lab's
 * sshd start now and then.
 */
export function makeKey(type: 'ed25519' | 'ecdsa' = 'ed25519', comment = ''): { private: string; public: string } {
  const d = mkdtempSync(join(tmpdir(), 'rtk-key-'));
  try {
    const f = join(d, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'ecdsa' ? ['-b', '256'] : []), '-N', '', '-C', comment, '-f', f]);
    return { private: readFileSync(f, 'utf8'), public: readFileSync(`${f}.pub`, 'utf8').trim() };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

/** Start one sshd in the foreground (-D) on addr; retried on a port race. */
async function startSshd(dir: string, name: string, addr: string, extra: string[]): Promise<Sshd> {
  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort(addr);
    const pidFile = join(dir, `${name}_sshd.pid`);
    const cfgFile = join(dir, `${name}_sshd_config`);
    const logFile = join(dir, 'logs', `${name}_sshd.log`);
    rmSync(pidFile, { force: true });
    writeFileSync(
      cfgFile,
      [
        `Port ${port}`,
        `ListenAddress ${addr}`,
        `HostKey ${join(dir, `${name}_hostkey`)}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'UsePAM no',
        'UseDNS no',
        'PrintMotd no',
        'PrintLastLog no',
        'AllowTcpForwarding yes',
        'Subsystem sftp internal-sftp',
        // parallel test files connect in bursts: don't let sshd drop unauthenticated connections
        'MaxStartups 100',
        'LoginGraceTime 30',
        `PidFile ${pidFile}`,
        'LogLevel VERBOSE',
        ...extra,
        '',
      ].join('\n'),
    );
    const child = spawn(SSHD, ['-D', '-f', cfgFile, '-E', logFile], { stdio: 'ignore', detached: true });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`lab: could not start ${SSHD}`);
    live.add(pid);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      live.delete(pid);
    });
    // sshd writes its pid file only once the listening socket is bound
    await until(() => exited || existsSync(pidFile), 10_000);
    if (!exited && existsSync(pidFile)) return { pid, port };
    killQuiet(pid, 'SIGKILL');
    lastLog = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  }
  throw new Error(`lab: ${name} sshd did not start on ${addr}: ${lastLog.trim().split('\n').slice(-3).join(' | ')}`);
}

function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<RemoteResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const why = labUnavailable();
  if (why) throw new Error(`lab: ${why}`);
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'rtk-lab-'));
  const home = join(dir, 'home');
  const sshDir = join(home, '.ssh');
  const binDir = join(dir, 'bin');
  const tmuxTmpDir = join(dir, 'tmux');
  for (const d of [sshDir, binDir, tmuxTmpDir, join(dir, 'logs'), join(dir, 'runs')]) mkdirSync(d, { recursive: true, mode: 0o700 });
  // sshd refuses to start without its privilege separation directory
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  } catch {
    /* not root: sshd will say so */
  }
  const user = userInfo().username;

  const keys = {
    jump: makeKey('ed25519'),
    gpu: makeKey('ed25519'),
    client: makeKey('ed25519', 'rtk-lab'),
  };
  writeFileSync(join(dir, 'jump_hostkey'), keys.jump.private, { mode: 0o600 });
  writeFileSync(join(dir, 'gpu_hostkey'), keys.gpu.private, { mode: 0o600 });
  const ecdsa = opts.targetEcdsaKey ? makeKey('ecdsa') : null;
  if (ecdsa) writeFileSync(join(dir, 'gpu_hostkey_ecdsa'), ecdsa.private, { mode: 0o600 });
  const clientKey = join(sshDir, 'id_ed25519');
  writeFileSync(clientKey, keys.client.private, { mode: 0o600 });
  writeFileSync(`${clientKey}.pub`, `${keys.client.public}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'authorized_keys'), `${keys.client.public}\n`, { mode: 0o600 });

  const targetPath = `${binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
  // The target gets a HOME of its own: the machine's ~/.bashrc (which may prepend to PATH, print
  // things, start conda) and ~/.tmux.conf stay out of the tests, and the real home is never written.
  // bash sources ~/.bashrc for sshd commands, before the command: the `cd` makes it the cwd as well.
  const remoteHome = join(dir, 'remote-home');
  mkdirSync(remoteHome, { recursive: true, mode: 0o700 });
  writeFileSync(join(remoteHome, '.bashrc'), `cd "$HOME" 2>/dev/null\n${opts.remoteBashrc ?? ''}\n`);
  const extraEnv = Object.entries(opts.targetEnv ?? {}).map(([k, v]) => ` ${k}=${v}`).join('');
  const setEnv = [`TMUX_TMPDIR=${tmuxTmpDir}`, `PATH=${targetPath}`, `HOME=${remoteHome}`];
  let users: LabUser[] = [];
  if (opts.users?.length) {
    const why = usersUnavailable();
    if (why) throw new Error(`lab: ${why}`);
    // other users log in too: they traverse the lab dir to authorized_keys and run bin/ (fake nvidia-smi)
    chmodSync(dir, 0o711);
    chmodSync(binDir, 0o755);
    chmodSync(join(dir, 'authorized_keys'), 0o644);
    users = opts.users.map((u) => createUser(dir, u.shell));
  }
  // sshd keeps the first SetEnv that applies: each user's own block, then everyone else's
  const gpuEnv = [
    ...users.flatMap((u) => [`Match User ${u.name}`, `  SetEnv TMUX_TMPDIR=${u.tmuxTmpDir} PATH=${targetPath}${extraEnv}`]),
    ...(users.length ? ['Match all'] : []),
    `SetEnv ${setEnv.join(' ')}${extraEnv}`,
  ];
  const pids: number[] = [];
  let jump: Sshd;
  let gpu: Sshd;
  try {
    [jump, gpu] = await Promise.all([
      startSshd(dir, 'jump', '127.0.0.1', [`SetEnv TMUX_TMPDIR=${tmuxTmpDir} PATH=${targetPath}`]),
      startSshd(dir, 'gpu', '127.0.0.2', [...(ecdsa ? [`HostKey ${join(dir, 'gpu_hostkey_ecdsa')}`] : []), ...gpuEnv]),
    ]);
  } catch (e) {
    for (const pid of live) killQuiet(pid, 'SIGKILL');
    for (const u of users) removeUser(u.name);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  pids.push(jump.pid, gpu.pid);

  const sshConfig = join(sshDir, 'config');
  const knownHosts = join(sshDir, 'known_hosts');
  writeFileSync(
    sshConfig,
    [
      'Host rtk-jump',
      '  HostName 127.0.0.1',
      `  Port ${jump.port}`,
      'Host rtk-gpu',
      '  HostName 127.0.0.2',
      `  Port ${gpu.port}`,
      '  ProxyJump rtk-jump',
      'Host *',
      `  User ${user}`,
      `  IdentityFile ${clientKey}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHosts}`,
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  LogLevel ERROR',
      '  ConnectTimeout 15',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const pub = (k: { public: string }) => k.public.split(' ').slice(0, 2).join(' ');
  writeFileSync(
    knownHosts,
    `[127.0.0.1]:${jump.port} ${pub(keys.jump)}\n${hashHostToken(`[127.0.0.2]:${gpu.port}`)} ${pub(keys.gpu)}\n`,
    { mode: 0o600 },
  );

  const rtkConfig = join(dir, 'rtk-config.yaml');
  writeFileSync(rtkConfig, 'hosts:\n  - name: gpu\n    ssh: rtk-gpu\n');

  const baseEnv = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env };
    delete e.RTK_TUI_CONFIG;
    delete e.XDG_CONFIG_HOME;
    delete e.SSH_AUTH_SOCK;
    delete e.TMUX;
    return e;
  };

  let stopped = false;
  const lab: Lab = {
    dir,
    home,
    sshConfig,
    jumpPort: jump.port,
    gpuPort: gpu.port,
    binDir,
    tmuxTmpDir,
    rtkConfig,
    user,
    clientKey,
    jumpHostKey: pub(keys.jump),
    gpuHostKey: pub(keys.gpu),
    gpuEcdsaHostKey: ecdsa ? pub(ecdsa) : null,
    remoteHome,
    users,
    remoteAs(name, cmd, o = {}) {
      // the line every login shell reads alike (src/remote/markers.ts forLoginShell)
      const line = `exec sh -c 'eval "$(printf %s "$0" | base64 -d)"' ${Buffer.from(cmd).toString('base64')}`;
      return run('ssh', ['-F', sshConfig, '-o', 'ProxyJump=none', '-l', name, 'rtk-gpu', line], { env: baseEnv(), timeoutMs: o.timeoutMs ?? 30_000 });
    },
    remote(cmd, o = {}) {
      return run('ssh', ['-F', sshConfig, '-o', 'ProxyJump=none', 'rtk-gpu', `sh -c ${quote(cmd)}`], {
        env: baseEnv(),
        timeoutMs: o.timeoutMs ?? 30_000,
      });
    },
    async killTargetSessions() {
      // only sshd's own per-connection processes: what the sessions ran is left to notice by itself
      const procs = listProcs();
      const victims = descendants(procs, live.has(gpu.pid) ? [gpu.pid] : []).filter((pid) => /^(\S*\/)?sshd[: ]/.test(procs.find((p) => p.pid === pid)?.cmd ?? ''));
      for (const pid of victims) killQuiet(pid, 'SIGKILL');
      await until(() => victims.every((p) => !alive(p)), 5_000);
    },
    async freezeTarget() {
      if (live.has(gpu.pid)) killQuiet(gpu.pid, 'SIGSTOP');
      await lab.killTargetSessions();
    },
    thawTarget() {
      if (live.has(gpu.pid)) killQuiet(gpu.pid, 'SIGCONT');
    },
    env(extra = {}) {
      return { ...baseEnv(), HOME: home, CI: 'false', ...extra };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await run('tmux', ['kill-server'], { env: { ...baseEnv(), TMUX_TMPDIR: tmuxTmpDir }, timeoutMs: 5_000 });
      const procs = listProcs();
      // an sshd that ended already (and was reaped) is not ours any more: its pid may be anyone's
      const ours = pids.filter((pid) => live.has(pid));
      const victims = new Set<number>([...ours, ...descendants(procs, ours)]);
      // every process naming the lab, and everything the target's sessions started (they carry
      // the lab's TMUX_TMPDIR from sshd's SetEnv), even when orphaned
      for (const p of procs) if (p.cmd.includes(dir) || p.environ.includes(`TMUX_TMPDIR=${tmuxTmpDir}\0`)) victims.add(p.pid);
      victims.delete(process.pid);
      for (const pid of victims) killQuiet(pid, 'SIGKILL');
      for (const pid of pids) live.delete(pid);
      await until(() => [...victims].every((p) => !alive(p)), 5_000);
      for (const u of users) removeUser(u.name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}

// push/pull throughput through a jump host (DESIGN section 8, issue 14: >= 1.0x `scp -J` for 1 GiB): the
// built `rtk-tui push|pull` (SFTP on its own ssh2 connection, pipelined, sha256 computed on both sides
// while the data flows) against the system `scp -J` of the same files in the same run, both timed as
// whole commands (start to exit) as a user waits for them, alternating who goes first. Beside each row:
// the CPU seconds both ends spent (this machine runs client, jump and target: on 2 cores the CPU is
// the throughput). RTK_BENCH_XFER_MIB=N moves N MiB instead of 1024 (quick runs).
// The lab is started here (two real sshd on loopback: jump 127.0.0.1, target 127.0.0.2), like
// test/helpers/lab.ts, which is TypeScript and not importable from plain node.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHost, hostSftp } from '../../dist/remote/index.js';
import { pullPath, pushPath } from '../../dist/remote/transfer.js';
import { listProcs, procCpuMs } from '../lib/lab.mjs';
import { median, round, row } from '../lib/util.mjs';

const BIN = fileURLToPath(new URL('../../bin/rtk-tui', import.meta.url));
const SSHD = '/usr/sbin/sshd';
const SFTP_SERVER = ['/usr/lib/openssh/sftp-server', '/usr/libexec/openssh/sftp-server'].find(existsSync) ?? 'internal-sftp';
const MiB = 1024 * 1024;
const BIG_MIB = Number(process.env.RTK_BENCH_XFER_MIB) || 1024;
const BIG = BIG_MIB * MiB;
const SMALL = { count: 32, size: MiB };
const RUNS = 3;
// what the profile said when the goal was missed (issue 14, 2-core machine, 1 GiB each way)
const WHY =
  'the node thread spends ~5-6 s of CPU per GiB against ~4 s for the two ssh of scp -J, on the cores the sshd share; ' +
  'node --cpu-prof of a push and a pull: write syscalls 42 % (one socket write per 32 KiB ssh2 packet, the file writes of a pull), ' +
  'GC 26 % (ssh2 allocates every packet), sha256 11 %, ssh2 ciphers 12 %; taking the jump layer out of the thread (OpenSSH ssh -W ' +
  'as the socket) saved only ~15 % of its CPU, and all of OpenSSH under the same SFTP engine (ssh -s sftp over pipes) cost as much ' +
  'CPU in total. The far side now hashes with OpenSSL (pull: 3-3.9 s of remote CPU against 4.3-5.1 s for scp). What would meet it: ' +
  'ssh2 writing its packets in batches (writev) from pooled buffers, and 256 KiB packets for pulls (its 32 KiB PACKET_SIZE is a constant)';

const freePort = (host) =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function timed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve((performance.now() - t0) / 1000) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-500)}`))));
  });
}

/** CPU ms of a process tree: each live process, plus the children it already waited for. */
function treeCpuMs(root) {
  const procs = listProcs();
  const set = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (set.has(p.ppid) && !set.has(p.pid)) (set.add(p.pid), (grew = true));
  }
  let ms = 0;
  for (const pid of set) ms += procCpuMs(pid, true) ?? 0;
  return ms;
}

async function startLab() {
  const dir = mkdtempSync(join(tmpdir(), 'rtk-bench-xfer-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  mkdirSync('/run/sshd', { recursive: true });
  const key = (f) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]);
  key(join(dir, 'jump_key'));
  key(join(dir, 'gpu_key'));
  key(join(home, '.ssh', 'id_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(home, '.ssh', 'id_ed25519.pub')));
  const pids = [];
  const ports = {};
  for (const [name, addr] of [['jump', '127.0.0.1'], ['gpu', '127.0.0.2']]) {
    const port = await freePort(addr);
    ports[name] = port;
    const cfg = join(dir, `${name}_sshd_config`);
    writeFileSync(
      cfg,
      [
        `Port ${port}`, `ListenAddress ${addr}`, `HostKey ${join(dir, `${name}_key`)}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no',
        'UseDNS no', 'PrintMotd no', 'AllowTcpForwarding yes', 'MaxStartups 100', `PidFile ${join(dir, `${name}.pid`)}`,
        `Subsystem sftp ${SFTP_SERVER}`, '',
      ].join('\n'),
    );
    const p = spawn(SSHD, ['-D', '-f', cfg, '-E', join(dir, `${name}.log`)], { stdio: 'ignore', detached: true });
    p.unref();
    pids.push(p.pid);
  }
  const user = userInfo().username;
  const sshConfig = join(home, '.ssh', 'config');
  writeFileSync(
    sshConfig,
    [
      'Host *', `  UserKnownHostsFile ${join(home, '.ssh', 'known_hosts')}`, '  StrictHostKeyChecking yes', '  BatchMode yes',
      'Host rtk-jump', '  HostName 127.0.0.1', `  Port ${ports.jump}`, `  User ${user}`, `  IdentityFile ${join(home, '.ssh', 'id_ed25519')}`,
      // the target's own address; the jump comes from -J (scp) or the rtk-tui config (jump: rtk-jump)
      'Host rtk-gpu', '  HostName 127.0.0.2', `  Port ${ports.gpu}`, `  User ${user}`, `  IdentityFile ${join(home, '.ssh', 'id_ed25519')}`, '',
    ].join('\n'),
  );
  const pub = (n) => readFileSync(join(dir, `${n}_key.pub`), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${ports.jump} ${pub('jump')}\n[127.0.0.2]:${ports.gpu} ${pub('gpu')}\n`);
  const rtkConfig = join(dir, 'rtk.yaml');
  writeFileSync(rtkConfig, 'hosts:\n  - name: gpu\n    ssh: rtk-gpu\n    jump: rtk-jump\n');
  const env = { ...process.env, HOME: home, NO_COLOR: '1' };
  delete env.RTK_TUI_CONFIG;
  const ssh = ['-F', sshConfig, '-J', 'rtk-jump'];
  for (let i = 0; ; i++) {
    try {
      execFileSync('ssh', [...ssh, 'rtk-gpu', 'true'], { env, stdio: 'ignore', timeout: 10_000 });
      break;
    } catch (e) {
      if (i > 100) throw new Error(`bench lab: sshd did not come up: ${e}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const sshdRoots = ['jump', 'gpu'].map((n) => Number(readFileSync(join(dir, `${n}.pid`), 'utf8').trim()));
  return {
    dir, env, rtkConfig, ssh,
    /** CPU ms so far of this process (and the commands it waited for) and of both sshd (jump, target). */
    cpuMs: () => ({ local: procCpuMs(process.pid, true) ?? 0, remote: sshdRoots.reduce((a, p) => a + treeCpuMs(p), 0) }),
    stop() {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function run() {
  if (!existsSync(SSHD)) return [{ figure: 'push/pull throughput through a jump', error: `${SSHD} missing` }];
  const lab = await startLab();
  try {
    const L = join(lab.dir, 'local');
    const R = join(lab.dir, 'remote');
    mkdirSync(L);
    mkdirSync(R);
    writeFileSync(join(L, 'big.bin'), randomBytes(BIG));
    mkdirSync(join(L, 'many'));
    for (let i = 0; i < SMALL.count; i++) writeFileSync(join(L, 'many', `f${i}.bin`), randomBytes(SMALL.size));
    const cpu = { push: [], scpPush: [], pull: [], scpPull: [] };
    // wall seconds, and the CPU both ends spent meanwhile into `into` (seconds)
    const metered = async (into, f) => {
      const c0 = lab.cpuMs();
      const s = await f();
      const c1 = lab.cpuMs();
      into?.push({ local: (c1.local - c0.local) / 1000, remote: (c1.remote - c0.remote) / 1000 });
      return s;
    };
    const rtk = (args, into) => metered(into, () => timed(process.execPath, [BIN, '--config', lab.rtkConfig, ...args], lab.env));
    const scp = (args, into) => metered(into, () => timed('scp', ['-q', ...lab.ssh, ...args], lab.env));
    const t = { push: [], scpPush: [], pull: [], scpPull: [], pushDir: [], scpPushDir: [] };
    for (let i = 0; i < RUNS; i++) {
      // alternate who goes first so neither always gets the warmer page cache
      const pair = async (a, b) => (i % 2 ? [await a(), await b()] : [await b(), await a()].reverse());
      const [p, s] = await pair(() => rtk(['push', '--force', join(L, 'big.bin'), `gpu:${R}/big-rtk.bin`], cpu.push), () => scp([join(L, 'big.bin'), `rtk-gpu:${R}/big-scp.bin`], cpu.scpPush));
      t.push.push(p);
      t.scpPush.push(s);
      const [q, u] = await pair(() => rtk(['pull', '--force', `gpu:${R}/big-rtk.bin`, join(L, 'back-rtk.bin')], cpu.pull), () => scp([`rtk-gpu:${R}/big-scp.bin`, join(L, 'back-scp.bin')], cpu.scpPull));
      t.pull.push(q);
      t.scpPull.push(u);
      rmSync(join(R, 'many-rtk'), { recursive: true, force: true });
      rmSync(join(R, 'many-scp'), { recursive: true, force: true });
      const [d, e] = await pair(() => rtk(['push', join(L, 'many'), `gpu:${R}/many-rtk`]), () => scp(['-r', join(L, 'many'), `rtk-gpu:${R}/many-scp`]));
      t.pushDir.push(d);
      t.scpPushDir.push(e);
    }
    // the monitor's `D` runs on the connection the monitor already holds: no process start, no handshake
    const held = { push: [], pull: [] };
    const host = openHost({ name: 'gpu', local: false, ssh: 'rtk-gpu', jump: 'rtk-jump' }, { home: join(lab.dir, 'home'), env: lab.env });
    try {
      const c = await host.connect();
      if (!c.ok) throw new Error(c.error.message);
      const sftp = await hostSftp(host);
      if (!sftp.ok) throw new Error(sftp.error.message);
      for (let i = 0; i < RUNS; i++) {
        let t0 = performance.now();
        const up = await pushPath(host, sftp.value, join(L, 'big.bin'), `${R}/big-held.bin`, { force: true });
        if (!up.ok) throw new Error(up.error.message);
        held.push.push((performance.now() - t0) / 1000);
        t0 = performance.now();
        const down = await pullPath(host, sftp.value, `${R}/big-held.bin`, join(L, 'back-held.bin'), { force: true });
        if (!down.ok) throw new Error(down.error.message);
        held.pull.push((performance.now() - t0) / 1000);
      }
      sftp.value.end();
    } finally {
      await host.close();
    }
    const mibs = (bytes, secs) => bytes / MiB / median(secs);
    const dirBytes = SMALL.count * SMALL.size;
    const size = BIG_MIB >= 1024 ? `${BIG_MIB / 1024} GiB` : `${BIG_MIB} MiB`;
    const note = 'whole command, sha256 of both sides compared; baseline scp -J (no verification), same files, same run';
    // CPU seconds (medians) of both ends: what the throughput costs where everything shares 2 cores
    const cpuOf = (xs) => ({ local: round(median(xs.map((x) => x.local)), 2), remote: round(median(xs.map((x) => x.remote)), 2) });
    const goal = (value, baseline, extra) => {
      const met = value / baseline >= 1.0;
      return { target: 'ratio >= 1.0', targetMet: met, ...extra, ...(met ? {} : { note: `TARGET MISSED: ${extra.note}; ${WHY}` }) };
    };
    const heldNote = 'the transfer engine on the connection the monitor holds (its D key), sha256 of both sides; baseline the whole scp -J command';
    return [
      row(`push throughput through a jump (${size} file)`, mibs(BIG, t.push), 'MiB/s', mibs(BIG, t.scpPush),
        goal(mibs(BIG, t.push), mibs(BIG, t.scpPush), { note, runs: RUNS, cpuS: cpuOf(cpu.push), baselineCpuS: cpuOf(cpu.scpPush) })),
      row(`pull throughput through a jump (${size} file)`, mibs(BIG, t.pull), 'MiB/s', mibs(BIG, t.scpPull),
        goal(mibs(BIG, t.pull), mibs(BIG, t.scpPull), { note, runs: RUNS, cpuS: cpuOf(cpu.pull), baselineCpuS: cpuOf(cpu.scpPull) })),
      row(`push throughput through a jump, connection already open (${size} file)`, mibs(BIG, held.push), 'MiB/s', mibs(BIG, t.scpPush), { note: heldNote, runs: RUNS }),
      row(`pull throughput through a jump, connection already open (${size} file)`, mibs(BIG, held.pull), 'MiB/s', mibs(BIG, t.scpPull), { note: heldNote, runs: RUNS }),
      row(`push throughput through a jump (${SMALL.count} x 1 MiB files)`, mibs(dirBytes, t.pushDir), 'MiB/s', mibs(dirBytes, t.scpPushDir), { note: `${note}; scp -r`, runs: RUNS }),
    ];
  } finally {
    lab.stop();
  }
}

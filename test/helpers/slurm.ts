// A throwaway single-node Slurm for e2e tests (slurm-wlm 22.05 + munge, ../shared/research/tech.md 11):
// munged, slurmctld -D and slurmd -D -N localhost as plain background processes, everything (config,
// state, spool, logs, the munge key and socket) under one temp dir, ports picked free at runtime and a
// ClusterName of its own, so that several test files can each run one at the same time.
// Two fake GPUs as GRES: gres.conf File= symlinks to /dev/null (plain files are refused).
//
// Clients reach it with SLURM_CONF=slurm.conf (slurm.env). Behind the sshd lab, use startSlurmLab():
// the target's sshd sets SLURM_CONF for every session, so squeue/sbatch/scontrol/scancel/srun work
// in lab.remote commands; jobs run as the submitting user, in the directory sbatch ran in (the lab's
// remote home), where their `-o out_%j.log` lands.
// Scheduling is Slurm's own (FIFO + backfill every second): once a job waits for resources (more GPUs
// than are free), later jobs without a --time only start when it has, as on a real cluster.
import { spawn, execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, descendants, freePort, killQuiet, listProcs, startLab, until, type Lab, type LabOptions } from './lab.js';
import { slurmUnavailable } from './require.js';

export interface Slurm {
  dir: string;
  /** Path of slurm.conf. */
  conf: string;
  /** Environment for Slurm clients on this machine: `{ ...process.env, ...slurm.env }`. */
  env: { SLURM_CONF: string };
  clusterName: string;
  /** The node's name (`localhost`) and its one partition (`debug`, the default). */
  node: string;
  partition: string;
  /** The daemons' logs, for error messages. */
  logs(): string;
  /** Ends the daemons and every process the jobs started, removes dir. */
  stop(): Promise<void>;
}

export interface SlurmOptions {
  /** An empty directory to use (else a new temp dir): startSlurmLab passes one to overlap the starts. */
  dir?: string;
  /** Fake GPUs on the node (default 2). */
  gpus?: number;
  /** CPUs the node claims (default 8: more than this machine may have, so several jobs run at once). */
  cpus?: number;
  /** How long to wait for the node to be idle (default 60 s: CI has 2 loaded cores). */
  timeoutMs?: number;
}

const live = new Set<number>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function victimsOf(dir: string, roots: number[]): Set<number> {
  const procs = listProcs();
  const marked = procs.filter((p) => p.cmd.includes(`${dir}/`) || p.environ.includes(`${dir}/`)).map((p) => p.pid);
  // slurmstepd and the jobs' processes are children of slurmd or orphans carrying SLURM_CONF=dir/...
  const all = new Set<number>([...roots, ...marked, ...descendants(procs, [...roots, ...marked])]);
  all.delete(process.pid);
  return all;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // a test file that dies without stop() must not leave daemons or jobs behind
  process.on('exit', () => {
    for (const dir of liveDirs) {
      for (const pid of victimsOf(dir, [...live])) killQuiet(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * A detached watcher for a test process killed outright (a worker SIGKILLed by the runner runs no
 * exit hook): once `parent` is gone it kills every process naming `dir` (the daemons, slurmstepd and
 * the jobs, which carry SLURM_CONF=dir/...) and removes dir. stop() ends it with the rest: its own
 * command line names dir too.
 */
const REAPER = [
  'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
  'for p in /proc/[0-9]*; do',
  '  pid=${p#/proc/}; [ "$pid" = "$$" ] && continue',
  '  grep -qsF -- "$2/" "$p/cmdline" "$p/environ" && kill -9 "$pid" 2>/dev/null',
  'done',
  'rm -rf -- "$2"',
].join('\n');

function startReaper(dir: string): void {
  const child = spawn('/bin/sh', ['-c', REAPER, 'rtk-slurm-reaper', String(process.pid), dir], { stdio: 'ignore', detached: true });
  child.unref();
}

function spawnDaemon(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, logFile: string): { pid: number; exited: () => boolean } {
  // cwd in the temp dir: slurmstepd inherits it, and a step killed mid-launch may leave a core file
  const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`slurm: could not start ${file} (see ${logFile})`);
  live.add(pid);
  let gone = false;
  child.once('exit', () => {
    gone = true;
    live.delete(pid);
  });
  return { pid, exited: () => gone };
}

function tail(file: string, lines = 8): string {
  if (!existsSync(file)) return `${file}: (none)`;
  return `${file}:\n  ${readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n  ')}`;
}

function query(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

function writeConf(d: string, cluster: string, ctldPort: number, slurmdPort: number, gpus: number, cpus: number): void {
  const munge = join(d, 'munge');
  const lines = [
    `ClusterName=${cluster}`,
    'SlurmctldHost=localhost',
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${join(munge, 'munge.sock')}`,
    `StateSaveLocation=${join(d, 'state')}`,
    `SlurmdSpoolDir=${join(d, 'spool')}`,
    `SlurmctldPidFile=${join(d, 'run', 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(d, 'run', 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(d, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(d, 'log', 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SwitchType=switch/none',
    'MpiDefault=none',
    'JobAcctGatherType=jobacct_gather/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'SchedulerType=sched/backfill',
    'SchedulerParameters=bf_interval=1',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/filetxt',
    `JobCompLoc=${join(d, 'log', 'jobcomp.txt')}`,
    // finished jobs stay visible to squeue -t all and scontrol for the whole test
    'MinJobAge=3600',
    'ReturnToService=2',
    'MailProg=/bin/true',
    // the node may claim more CPUs than this machine has
    'SlurmdParameters=config_overrides',
    'GresTypes=gpu',
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=2000 Gres=gpu:${gpus} State=UNKNOWN`,
    'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
    '',
  ];
  writeFileSync(join(d, 'etc', 'slurm.conf'), lines.join('\n'), { mode: 0o644 });
  const files = gpus === 1 ? join(d, 'dev', 'gpu0') : join(d, 'dev', `gpu[0-${gpus - 1}]`);
  writeFileSync(join(d, 'etc', 'gres.conf'), `AutoDetect=off\nNodeName=localhost Name=gpu File=${files}\n`, { mode: 0o644 });
}

export async function startSlurm(opts: SlurmOptions = {}): Promise<Slurm> {
  const why = slurmUnavailable();
  if (why) throw new Error(`slurm: ${why}`);
  installExitHook();
  const gpus = opts.gpus ?? 2;
  const cpus = opts.cpus ?? 8;
  const d = opts.dir ?? mkdtempSync(join(tmpdir(), 'rtk-slurm-'));
  liveDirs.add(d);
  startReaper(d);
  // jobs of throwaway lab users read slurm.conf and reach the munge socket: traversable, readable
  chmodSync(d, 0o755);
  for (const sub of ['etc', 'state', 'spool', 'log', 'run', 'dev']) mkdirSync(join(d, sub), { recursive: true, mode: 0o755 });
  // munged refuses a socket directory without execute permission for all
  const munge = join(d, 'munge');
  mkdirSync(munge, { mode: 0o755 });
  chmodSync(munge, 0o755);
  writeFileSync(join(munge, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  for (let i = 0; i < gpus; i++) symlinkSync('/dev/null', join(d, 'dev', `gpu${i}`));
  const conf = join(d, 'etc', 'slurm.conf');
  const clusterName = `rtk${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  const pids: number[] = [];
  const logFiles = ['munged.log', 'slurmctld.log', 'slurmd.log'].map((f) => (f === 'munged.log' ? join(munge, f) : join(d, 'log', f)));
  const logs = () => logFiles.map((f) => tail(f)).join('\n');

  const kill = async (roots: number[]) => {
    const victims = victimsOf(d, roots);
    for (const pid of victims) killQuiet(pid, 'SIGKILL');
    for (const pid of roots) live.delete(pid);
    await until(() => [...victims].every((p) => !alive(p)), 5_000);
  };

  let stopped = false;
  const slurm: Slurm = {
    dir: d,
    conf,
    env: { SLURM_CONF: conf },
    clusterName,
    node: 'localhost',
    partition: 'debug',
    logs,
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill(pids);
      liveDirs.delete(d);
      rmSync(d, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  try {
    const m = spawnDaemon(
      '/usr/sbin/munged',
      ['-F', `--socket=${join(munge, 'munge.sock')}`, `--key-file=${join(munge, 'munge.key')}`, `--pid-file=${join(munge, 'munged.pid')}`, `--seed-file=${join(munge, 'seed')}`, `--log-file=${logFiles[0]}`],
      env,
      join(d, 'run'),
      logFiles[0]!,
    );
    pids.push(m.pid);
    // a port taken between freePort() and the daemon's bind: start the two Slurm daemons again
    for (let attempt = 0; ; attempt++) {
      writeConf(d, clusterName, await freePort('0.0.0.0'), await freePort('0.0.0.0'), gpus, cpus);
      await until(() => m.exited() || existsSync(join(munge, 'munge.sock')), Math.max(0, deadline - Date.now()));
      if (m.exited() || !existsSync(join(munge, 'munge.sock'))) throw new Error('munged did not start');
      const ctld = spawnDaemon('/usr/sbin/slurmctld', ['-D', '-i'], env, join(d, 'run'), logFiles[1]!);
      const slurmd = spawnDaemon('/usr/sbin/slurmd', ['-D', '-N', 'localhost'], env, join(d, 'run'), logFiles[2]!);
      pids.push(ctld.pid, slurmd.pid);
      let state = '';
      while (Date.now() < deadline && !ctld.exited() && !slurmd.exited()) {
        const r = await query('scontrol', ['show', 'node', 'localhost', '-o'], env, 10_000);
        state = /\bState=(\S+)/.exec(r.out)?.[1] ?? r.out.trim();
        if (r.code === 0 && /^IDLE\b/.test(state)) return slurm;
        await new Promise((res) => setTimeout(res, 100));
      }
      const portRace = /Address already in use/i.test(logs());
      if (!portRace || attempt >= 3 || Date.now() >= deadline) throw new Error(`node never idle (last state: ${state || 'none'})`);
      await kill([ctld.pid, slurmd.pid]);
      for (const f of logFiles.slice(1)) rmSync(f, { force: true });
    }
  } catch (e) {
    const msg = `slurm: ${(e as Error).message}\n${logs()}`;
    await slurm.stop();
    throw new Error(msg);
  }
}

export interface SlurmLab {
  lab: Lab;
  slurm: Slurm;
  /** Stops both (the lab first: its sessions may be waiting on Slurm commands). */
  stop(): Promise<void>;
}

/**
 * The sshd lab whose target sees a Slurm: every session there (lab.remote, the program under test
 * reaching host `gpu` of lab.rtkConfig, throwaway users) gets SLURM_CONF through sshd's SetEnv.
 */
export async function startSlurmLab(opts: { lab?: LabOptions; slurm?: Omit<SlurmOptions, 'dir'> } = {}): Promise<SlurmLab> {
  const dir = mkdtempSync(join(tmpdir(), 'rtk-slurm-'));
  const conf = join(dir, 'etc', 'slurm.conf');
  const [s, l] = await Promise.allSettled([
    startSlurm({ ...opts.slurm, dir }),
    startLab({ ...opts.lab, targetEnv: { ...opts.lab?.targetEnv, SLURM_CONF: conf } }),
  ]);
  if (s.status === 'rejected' || l.status === 'rejected') {
    if (s.status === 'fulfilled') await s.value.stop();
    else rmSync(dir, { recursive: true, force: true });
    if (l.status === 'fulfilled') await l.value.stop();
    throw s.status === 'rejected' ? s.reason : (l as PromiseRejectedResult).reason;
  }
  const lab = l.value;
  const slurm = s.value;
  return {
    lab,
    slurm,
    async stop() {
      await lab.stop();
      await slurm.stop();
    },
  };
}

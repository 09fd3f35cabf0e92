// The demo's world: a temp dir, a tmux server on its own socket running simulated trainers (one
// training, one finished, one dead of a CUDA OOM), their logs and checkpoint dirs, and the environment
// (PATH with a fake nvidia-smi first) under which the local host must be opened. Nothing else on the
// machine is touched; teardown() kills that tmux server and removes the dir.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import { shjoin, shq } from '../remote/quote.js';
import { fakeProcsFile, installFakeNvidiaSmi } from './fake-nvidia-smi.js';

export interface DemoRun {
  session: string;
  /** Arguments of trainer.js (--log, --ckpt-dir, --pid-file are added). */
  trainer: string[];
  /** Shown as a process on the simulated GPU. */
  gpu?: boolean;
}

/** Three runs, so the first screen shows every state a user will meet. */
export const DEMO_RUNS: DemoRun[] = [
  { session: 'llama-7b-sft', gpu: true, trainer: ['--steps', '30000', '--start', '3400', '--rate', '12', '--ckpt-every', '250', '--seed', '7', '--loop'] },
  { session: 'qlora-smoke', trainer: ['--steps', '400', '--rate', '800', '--tick-ms', '50', '--ckpt-every', '200', '--log-every', '20', '--eval-every', '200', '--seed', '3'] },
  { session: 'sweep-lr3e-4', trainer: ['--steps', '8000', '--start', '1100', '--rate', '150', '--tick-ms', '100', '--oom-at', '1312', '--ckpt-every', '500', '--seed', '11'] },
];

export interface DemoWorld {
  dir: string;
  /** Path of the demo server's socket (tmux -S), inside `dir`: nothing of the demo is left outside it. */
  socket: string;
  /** The host to monitor: local, on that socket. */
  spec: HostSpec;
  /** Environment for the local host: PATH starts with the fake nvidia-smi's dir. */
  env: NodeJS.ProcessEnv;
  /** Where the trainers write their pids (the fake nvidia-smi's processes). */
  pidDir: string;
  runs: { session: string; log: string; checkpoints: string }[];
  /** Kill the demo's tmux server and remove the dir; safe to call twice. */
  teardown(): Promise<void>;
  /** Keep everything after this process exits (--keep): no teardown on exit. */
  keep(): void;
}

export interface DemoOptions {
  env: NodeJS.ProcessEnv;
  /** Install the fake nvidia-smi (mode demo). Default true. */
  gpu?: boolean;
  runs?: DemoRun[];
}

/** The built trainer beside this file (dist/demo), also when this module runs from src (tests). */
export function trainerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'trainer.js');
  return existsSync(js) ? js : join(here, '..', '..', 'dist', 'demo', 'trainer.js');
}

export function tmuxRun(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile('tmux', args, { env, encoding: 'utf8', timeout: 10_000 }, (e, stdout, stderr) => {
      const code = (e as { code?: unknown } | null)?.code;
      resolve({
        code: e ? (typeof code === 'number' ? code : 1) : 0,
        stdout,
        stderr,
        missing: code === 'ENOENT',
      });
    });
  });
}

export async function setupDemo(o: DemoOptions): Promise<Result<DemoWorld>> {
  const env: NodeJS.ProcessEnv = { ...o.env };
  delete env.TMUX; // a demo started from inside tmux still gets its own server
  const probe = await tmuxRun(['-V'], env);
  if (probe.missing) {
    return err('not-found', 'rtk-tui demo needs tmux, which is not installed here (apt install tmux, brew install tmux, dnf install tmux).');
  }
  // tmux leaves a -L socket behind in its own directory after kill-server; this one goes with dir
  // (a socket path has at most 107 bytes: a long TMPDIR gives way to /tmp)
  const long = Buffer.byteLength(join(tmpdir(), 'rtk-demo-XXXXXX', 'tmux.sock')) > 100;
  const dir = mkdtempSync(join(long ? '/tmp' : tmpdir(), 'rtk-demo-'));
  const socket = join(dir, 'tmux.sock');
  const binDir = join(dir, 'bin');
  const pidDir = join(dir, 'gpu-pids');
  mkdirSync(binDir);
  mkdirSync(pidDir);
  const trainer = trainerPath();
  const conf = join(dir, 'tmux.conf');
  // remain-on-exit: a run that ended stays listed, with its exit status, as on a real server
  writeFileSync(conf, 'set -g remain-on-exit on\nset -g history-limit 5000\nset -g status-left "[rtk-demo] "\n');
  const tmuxArgs = ['-S', socket, '-f', conf];

  let torn = false;
  // a crash ends the process without the async teardown: take the server and the files with us anyway
  const onExit = (): void => {
    if (torn) return;
    torn = true;
    try {
      execFileSync('tmux', [...tmuxArgs, 'kill-server'], { env, stdio: 'ignore', timeout: 5000 });
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  const teardown = async (): Promise<void> => {
    process.off('exit', onExit);
    if (torn) return;
    torn = true;
    await tmuxRun([...tmuxArgs, 'kill-server'], env);
    rmSync(dir, { recursive: true, force: true });
  };

  let procs: string | null = null;
  if (o.gpu !== false) {
    try {
      installFakeNvidiaSmi(binDir, { mode: 'demo' });
      procs = fakeProcsFile(binDir);
      writeFileSync(procs, '');
    } catch (e) {
      await teardown();
      return err('io', `rtk-tui demo could not set up its simulated GPU in ${binDir}: ${e instanceof Error ? e.message : String(e)}.`);
    }
  }
  env.PATH = `${binDir}:${env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`;

  const runs: DemoWorld['runs'] = [];
  for (const r of o.runs ?? DEMO_RUNS) {
    const runDir = join(dir, 'runs', r.session);
    const log = join(runDir, 'train.log');
    const checkpoints = join(runDir, 'checkpoints');
    mkdirSync(checkpoints, { recursive: true });
    const argv = [process.execPath, trainer, ...r.trainer, '--log', log, '--ckpt-dir', checkpoints, '--pid-file', join(pidDir, r.session)];
    // only the long run holds the GPU: the others end within seconds, before the GPU pane's first look
    if (procs && r.gpu) argv.push('--gpu-procs', procs);
    // the exit status goes to @rtk_exit when the trainer ends, as `rtk-tui new` records it
    const cmd = `${shjoin(argv)}; s=$?; tmux set-option -t "$TMUX_PANE" @rtk_exit "$s"; exit "$s"`;
    const res = await tmuxRun(
      [
        ...tmuxArgs,
        'new-session', '-d', '-s', r.session, '-x', '160', '-y', '48', '-c', runDir, `sh -c ${shq(cmd)}`,
        ';', 'set-option', '-t', `=${r.session}:`, '@rtk_log', log,
        ';', 'set-option', '-t', `=${r.session}:`, '@rtk_checkpoints', checkpoints,
        ';', 'set-option', '-t', `=${r.session}:`, '@rtk_cmd', shjoin(['node', 'trainer.js', ...r.trainer]),
        ';', 'set-option', '-t', `=${r.session}:`, '@rtk_cwd', runDir,
      ],
      env,
    );
    if (res.code !== 0) {
      await teardown();
      return err('io', `rtk-tui demo could not start tmux session ${r.session}: ${res.stderr.trim() || `tmux exited ${res.code}`}.`);
    }
    runs.push({ session: r.session, log, checkpoints });
  }
  const keep = (): void => {
    process.off('exit', onExit);
  };
  return ok({ dir, socket, spec: { name: 'local', local: true, tmuxSocket: socket }, env, pidDir, runs, teardown, keep });
}

// `rtk-tui watch` end to end: the built binary against real sshd through a jump host, real tmux
// sessions and log files on the target, the fake nvidia-smi and a fake df on its PATH. Every event
// of DESIGN section 9 is caused for real and must be reported exactly once, also across a restart;
// --exec must get the event for a hostile run name without running it, and a hook that hangs must
// not hold up the next one.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync, chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installFakeNvidiaSmi, setFakeGpuProcesses, defaultCapture } from '../../src/demo/fake-nvidia-smi.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { labCli as cli } from '../helpers/cli.js';
import { pollFor as until } from '../helpers/wait.js';

const BIN = new URL('../../bin/rtk-tui', import.meta.url).pathname;
const OOM_LOG = new URL('../fixtures/logs/issue_seg-toolbox-54_cuda-oom_traceback_old-format.txt', import.meta.url).pathname;
const why = labUnavailable() ?? (existsSync(new URL('../../dist/cli.js', import.meta.url)) ? null : 'dist/ is not built (npm test builds it)');

interface Ev {
  time: string;
  kind: string;
  run: string | null;
  host: string;
  state: string | null;
  reason: string | null;
  message: string;
  hint: string | null;
  details: Record<string, unknown>;
}

class Watcher {
  readonly events: Ev[] = [];
  stderr = '';
  private buf = '';
  readonly child: ChildProcess;
  constructor(lab: Lab, cfg: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(BIN, ['watch', '--json', '--config', cfg, ...args], { env: lab.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (b: Buffer) => {
      this.buf += b.toString('utf8');
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.events.push(JSON.parse(line) as Ev);
      }
    });
    this.child.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
  }
  async waitFor(kind: string, run: string | null, ms = 30_000): Promise<Ev> {
    const end = Date.now() + ms;
    for (;;) {
      const e = this.events.find((x) => x.kind === kind && (run === null || x.run === run || x.host === run));
      if (e) return e;
      if (Date.now() > end) throw new Error(`no ${kind} for ${run} in ${ms} ms; got: ${this.events.map((x) => `${x.kind} ${x.run ?? x.host}`).join(', ')}; stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const done = new Promise<number | null>((r) => this.child.once('exit', (c) => r(c)));
    this.child.kill('SIGTERM');
    return done;
  }
}

suite(why, 'rtk-tui watch e2e', () => {
  let lab: Lab;
  let cfg: string;
  let env: NodeJS.ProcessEnv;
  let w: Watcher;
  let hookDir: string;
  const pwned = `/tmp/rtk-pwned-${randomBytes(4).toString('hex')}`;
  const hostile = `$(touch ${pwned})`;
  const newRun = async (name: string, cmd: string, extra: string[] = []) => {
    const r = await cli(lab, ['new', name, '--host', 'gpu', '--config', cfg, ...extra, '--', 'sh', '-c', cmd], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  };
  const pidOf = async (pattern: string) =>
    until(async () => {
      const r = await lab.remote(`pgrep -f -x ${JSON.stringify(pattern)} | head -1`);
      return r.stdout.trim() ? Number(r.stdout.trim()) : null;
    });

  beforeAll(async () => {
    lab = await startLab();
    // one GPU at 0 % (a hung collective), from a real capture with its utilisation set to 0
    const cap = readFileSync(defaultCapture(), 'utf8').split('\n');
    const head = cap[0]!.split(', ');
    const row = cap[1]!.split(', ');
    row[head.indexOf('utilization.gpu [%]')] = '0 %';
    const idleCap = join(lab.dir, 'idle-capture.csv');
    writeFileSync(idleCap, `${cap[0]}\n${row.join(', ')}\n`);
    installFakeNvidiaSmi(lab.binDir, { capture: idleCap });
    // a filesystem with 2 MiB free, for the checkpoints' projection
    writeFileSync(join(lab.binDir, 'df'), "#!/bin/sh\nprintf 'Filesystem 1024-blocks Used Available Capacity Mounted on\\n/dev/fake 100000 97952 2048 98%% /\\n'\n");
    chmodSync(join(lab.binDir, 'df'), 0o755);
    copyFileSync(OOM_LOG, join(lab.remoteHome, 'oom.txt'));
    cfg = join(lab.dir, 'watch.yaml');
    writeFileSync(cfg, `${readFileSync(lab.rtkConfig, 'utf8')}stallAfter: 3s\ngpuIdleAfter: 2s\nrefresh: {runs: 1s, gpus: 1s, checkpoints: 1s}\n`);
    hookDir = join(lab.dir, 'hooks');
    mkdirSync(hookDir);
    env = { RTK_TUI_STATE: join(lab.dir, 'state', 'state.json'), RTK_TUI_LOG: join(lab.dir, 'debug.log') };
    // the hook keeps each event's stdin, environment and {run}; the first one hangs
    const hook = [
      'd=$1; cat > "$d/$$.json"; env | grep "^RTK_" > "$d/$$.env"; printf %s "$2" > "$d/$$.arg"',
      'if [ "$RTK_EVENT" = run.started ] && [ ! -e "$d/hung" ]; then : > "$d/hung"; sleep 60; fi',
    ].join('\n');
    w = new Watcher(lab, cfg, ['--exec', 'sh', '-c', hook, 'hook', hookDir, '{run}'], env);
    await until(() => {
      try {
        return (JSON.parse(readFileSync(env.RTK_TUI_STATE!, 'utf8')) as { hosts: Record<string, unknown> }).hosts.gpu ? true : null;
      } catch {
        return null;
      }
    }).catch((x: unknown) => {
      const log = existsSync(env.RTK_TUI_LOG!) ? readFileSync(env.RTK_TUI_LOG!, 'utf8').slice(-2000) : '';
      throw new Error(`${String(x)}; watch said: ${w.stderr}; exit ${w.child.exitCode}; log: ${log}; state: ${existsSync(env.RTK_TUI_STATE!)}`);
    });
    // the first poll is the baseline (nothing is news): a run started after it is
    await newRun('sentinel', 'while :; do echo tick; sleep 0.5; done');
    await w.waitFor('run.started', 'gpu:sentinel');
  }, 60_000);

  afterAll(async () => {
    await w?.stop();
    lab?.thawTarget();
    await lab?.stop();
  });

  it('reports a run exiting 0 as finished', async () => {
    await newRun('fin', 'echo "step 1/2"; sleep 1; echo "step 2/2"');
    const e = await w.waitFor('run.finished', 'gpu:fin');
    expect(e).toMatchObject({ host: 'gpu', state: 'finished', message: 'gpu:fin finished at step 2/2' });
  });

  it('reports a real CUDA OOM traceback and exit 1 as failed: oom, with its hint', async () => {
    await newRun('oom', 'cat oom.txt; exit 1');
    const e = await w.waitFor('run.failed', 'gpu:oom');
    expect(e.reason).toBe('oom');
    expect(e.message).toContain('RuntimeError: CUDA out of memory. Tried to allocate 86.00 MiB (GPU 3;');
    expect(e.hint).toContain('PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True');
    expect(e.details.exitStatus).toBe(1);
    // ls shows the same hint under the run
    const ls = await cli(lab, ['ls', '--config', cfg], env);
    expect(ls.stdout).toMatch(/gpu:oom +FAILED OOM[^\n]*\n {2}hint: lower the per-device batch size/);
  });

  it('reports a writer that stops as stalled, then resumed when it writes again', async () => {
    await newRun('quiet', 'echo "step 1"; sleep 7; echo "step 2"; sleep 3');
    const s = await w.waitFor('run.stalled', 'gpu:quiet');
    expect(s.message).toMatch(/^gpu:quiet stalled: no output for \d+ s$/);
    const r = await w.waitFor('run.resumed', 'gpu:quiet');
    expect(r.message).toMatch(/^gpu:quiet writes again after \d+ s of silence$/);
    await w.waitFor('run.finished', 'gpu:quiet');
  });

  it('reports NaN losses while the run goes on', async () => {
    await newRun('nan', 'i=0; while :; do i=$((i+1)); echo "step $i: loss nan"; sleep 0.5; done');
    const e = await w.waitFor('run.nan', 'gpu:nan');
    expect(e).toMatchObject({ state: 'running', reason: 'nan-loss' });
    expect(e.hint).toMatch(/learning rate/);
  });

  it('reports kill -9 of the training process as failed: killed', async () => {
    await newRun('victim', 'echo "step 1/100"; exec sleep 301');
    const pid = await pidOf('sleep 301');
    await w.waitFor('run.started', 'gpu:victim');
    await lab.remote(`kill -9 ${pid}`);
    const e = await w.waitFor('run.failed', 'gpu:victim');
    expect(e).toMatchObject({ reason: 'killed', details: { exitStatus: 137 } });
  });

  it('reports GPUs at 0 % while the run’s process holds memory as gpu.idle', async () => {
    await newRun('hung', 'while :; do echo tick; sleep 0.5; done & exec sleep 302');
    const pid = await pidOf('sleep 302');
    setFakeGpuProcesses(lab.binDir, [{ pid, usedMemoryMiB: 30000, name: 'python' }]);
    const e = await w.waitFor('gpu.idle', 'gpu:hung');
    expect(e.message).toMatch(/^gpu:hung: GPU 0 at 0 % for \d+ s while holding 29\.3 GiB$/);
    expect(e.details).toMatchObject({ gpus: [0], memoryMiB: 30000 });
  });

  it('projects a full disk (disk.low) and reports a new checkpoint', async () => {
    const dir = join(lab.remoteHome, 'ck');
    for (const step of [100, 200, 300]) {
      mkdirSync(join(dir, `checkpoint-${step}`), { recursive: true });
      writeFileSync(join(dir, `checkpoint-${step}`, 'model.safetensors'), Buffer.alloc(1024 * 1024));
      const t = Date.now() / 1000 - (400 - step) * 6;
      utimesSync(join(dir, `checkpoint-${step}`, 'model.safetensors'), t, t);
      utimesSync(join(dir, `checkpoint-${step}`), t, t);
    }
    await newRun('ckpt', 'while :; do echo "step 300/10000"; sleep 0.5; done', ['--checkpoints', dir]);
    const low = await w.waitFor('disk.low', 'gpu:ckpt');
    expect(low.message).toMatch(/^gpu:ckpt: the checkpoints' disk fills in ~\d+ (?:s|min|h), before the run ends: 97 more checkpoints of 1\.0 MiB need 97\.0 MiB, 2\.0 MiB free$/);
    mkdirSync(join(dir, 'checkpoint-400'));
    writeFileSync(join(dir, 'checkpoint-400', 'model.safetensors'), Buffer.alloc(1024 * 1024));
    const c = await w.waitFor('run.checkpoint', 'gpu:ckpt');
    expect(c.message).toBe('gpu:ckpt saved checkpoint-400 (1.0 MiB)');
  });

  it('reports a host whose sshd stops answering as lost, and back when it answers', async () => {
    await lab.freezeTarget();
    const lost = await w.waitFor('host.lost', 'gpu', 60_000);
    expect(lost.message).toMatch(/^gpu stopped answering/);
    lab.thawTarget();
    const back = await w.waitFor('host.back', 'gpu', 60_000);
    expect(back.message).toMatch(/^gpu answers again after \d+ s$/);
  }, 130_000);

  it('--exec gets each event in its environment, on stdin and in {run}, never through a shell; a hung hook holds up nothing', async () => {
    // a plain tmux session (tmux does not always know a dead pane's status: the log's error decides)
    await lab.remote(`tmux new-session -d -s '${hostile}' 'echo "step 1/9"; sleep 4; echo "torch.OutOfMemoryError: CUDA out of memory."; exit 4' \\; set-option -w remain-on-exit on`);
    const id = `gpu:${hostile}`;
    const e = await w.waitFor('run.failed', id);
    expect(e.reason).toBe('oom');
    // the hook of that failure ran while the first hook (of a run.started) still sleeps
    const files = await until(() => {
      for (const f of readdirSync(hookDir).filter((x) => x.endsWith('.env'))) {
        const text = readFileSync(join(hookDir, f), 'utf8');
        if (text.includes('RTK_EVENT=run.failed') && text.includes(`RTK_RUN=${id}\n`)) return f.slice(0, -4);
      }
      return null;
    });
    const envText = readFileSync(join(hookDir, `${files}.env`), 'utf8');
    expect(envText).toContain('RTK_HOST=gpu\n');
    expect(envText).toContain('RTK_REASON=oom\n');
    expect(envText).toContain('RTK_STATE=failed\n');
    expect(envText).toContain(`RTK_MESSAGE=${e.message}\n`);
    expect(JSON.parse(readFileSync(join(hookDir, `${files}.json`), 'utf8'))).toEqual(e);
    expect(readFileSync(join(hookDir, `${files}.arg`), 'utf8')).toBe(id);
    expect(existsSync(join(hookDir, 'hung'))).toBe(true);
    expect(existsSync(pwned)).toBe(false);
  });

  it('reports each event exactly once; a restarted watch repeats none of them, and --since lists them', async () => {
    const key = (e: Ev) => `${e.kind} ${e.run ?? e.host}`;
    const seen = w.events.map(key);
    const counts = new Map<string, number>();
    for (const k of seen) counts.set(k, (counts.get(k) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(await w.stop()).toBe(0);

    const again = new Watcher(lab, cfg, [], env);
    // a few polls: the runs are all there, nothing is news
    await new Promise((r) => setTimeout(r, 4000));
    expect(await again.stop()).toBe(0);
    expect(again.events.map(key)).toEqual([]);

    const since = new Watcher(lab, cfg, ['--since'], env);
    await until(() => (since.events.length >= seen.length ? true : null), 10_000);
    await since.stop();
    expect(since.events.slice(0, seen.length).map(key)).toEqual(seen);
  }, 30_000);
});

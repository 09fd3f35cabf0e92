// `new --gpus`: GPU-aware launch against the lab, the fake nvidia-smi playing 4 GPUs of which 2 are
// busy (their processes are real, in tmux sessions, so they map to runs). The two free ones are
// picked and reach the command as CUDA_VISIBLE_DEVICES; a concurrent third launch is refused with
// the occupancy; `--gpus 0,3` pins.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultCapture, installFakeNvidiaSmi, setFakeGpuProcesses } from '../../src/demo/fake-nvidia-smi.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { labCli as cli } from '../helpers/cli.js';
import { pollFor as until } from '../helpers/wait.js';

const why = labUnavailable() ?? (existsSync(new URL('../../dist/cli.js', import.meta.url)) ? null : 'dist/ is not built (npm test builds it)');

/** A capture of N GPUs from the real one-GPU capture: index, uuid and utilisation per row. */
function multiGpuCapture(path: string, utils: number[]): void {
  const [head, row] = readFileSync(defaultCapture(), 'utf8').split('\n');
  const cols = head!.split(', ');
  const at = (name: string) => cols.indexOf(name);
  const rows = utils.map((u, i) => {
    const r = row!.split(', ');
    r[at('index')] = String(i);
    r[at('uuid')] = `GPU-00000000-0000-0000-0000-00000000000${i}`;
    r[at('utilization.gpu [%]')] = `${u} %`;
    r[at('memory.used [MiB]')] = '500 MiB';
    return r.join(', ');
  });
  writeFileSync(path, `${head}\n${rows.join('\n')}\n`);
}

suite(why, 'rtk-tui new --gpus (lab)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
    const cap = join(lab.dir, 'four-gpus.csv');
    multiGpuCapture(cap, [97, 0, 88, 3]);
    installFakeNvidiaSmi(lab.binDir, { capture: cap });
    // GPUs 0 and 2 busy: the processes of two real runs
    const procs: { pid: number; gpu: number }[] = [];
    for (const [name, gpu] of [['busy-a', 0], ['busy-b', 2]] as const) {
      const r = await cli(lab, ['new', name, '--host', 'gpu', '--config', lab.rtkConfig, '--', 'sleep', `${400 + gpu}`]);
      expect(r.code).toBe(0);
      const pid = await until(async () => {
        const p = await lab.remote(`pgrep -f -x 'sleep ${400 + gpu}'`);
        return p.stdout.trim() ? Number(p.stdout.trim()) : null;
      });
      procs.push({ pid, gpu });
    }
    setFakeGpuProcesses(lab.binDir, procs.map((p) => ({ ...p, usedMemoryMiB: 30000, name: 'python' })));
  }, 60_000);
  afterAll(async () => {
    await lab?.stop();
  });

  it('gets the two free GPUs, seen by the command as CUDA_VISIBLE_DEVICES; a concurrent third launch is refused naming the runs that hold them', async () => {
    const cmd = ['sh', '-c', 'echo "CVD=$CUDA_VISIBLE_DEVICES"; sleep 300'];
    const [a, b] = await Promise.all([
      cli(lab, ['new', 'two', '--host', 'gpu', '--gpus', '2', '--config', lab.rtkConfig, '--', ...cmd]),
      cli(lab, ['new', 'three', '--host', 'gpu', '--gpus', '2', '--config', lab.rtkConfig, '--', ...cmd]),
    ]);
    // exactly one got them; the other was refused with the occupancy
    const [won, lost] = a.code === 0 ? [a, b] : [b, a];
    expect(won.code).toBe(0);
    expect(won.stdout).toContain('  gpus         1,3 (CUDA_VISIBLE_DEVICES)');
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(/gpu has 0 free GPUs of 4, 2 asked: GPU 0 held by gpu:busy-a; GPU 1 claimed by gpu:(two|three), starting; GPU 2 held by gpu:busy-b; GPU 3 claimed by gpu:(two|three), starting/);
    const name = a.code === 0 ? 'two' : 'three';
    const log = await until(async () => {
      const r = await lab.remote(`cat ~/rtk-runs/${name}.log 2>/dev/null`);
      return r.stdout.includes('CVD=') ? r.stdout : null;
    });
    expect(log).toContain('CVD=1,3\n');
    const opt = await lab.remote(`tmux display-message -p -t '=${name}:' '#{@rtk_gpus}'`);
    expect(opt.stdout.trim()).toBe('1,3');
  });

  it('--gpus 0,3 pins them, and says which of them another run holds', async () => {
    const r = await cli(lab, ['new', 'pinned', '--host', 'gpu', '--gpus', '0,3', '--config', lab.rtkConfig, '--', 'sh', '-c', 'echo "CVD=$CUDA_VISIBLE_DEVICES"; sleep 300']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  gpus         0,3 (CUDA_VISIBLE_DEVICES)');
    expect(r.stdout).toContain('  warning      GPU 0 held by gpu:busy-a');
    const bad = await cli(lab, ['new', 'nope', '--host', 'gpu', '--gpus', '7,', '--config', lab.rtkConfig, '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('rtk-tui: gpu has no GPU 7 (it has 0, 1, 2, 3)\n');
  });

  it('relaunch of a finished run reproduces its argv (hostile words included) and directory exactly; --resume passes the newest complete checkpoint', async () => {
    await lab.remote('mkdir -p ~/work/ck/checkpoint-100 ~/work/ck/checkpoint-200 && head -c 2048 /dev/zero > ~/work/ck/checkpoint-100/model.safetensors && head -c 2048 /dev/zero > ~/work/ck/checkpoint-200/model.safetensors && head -c 10 /dev/zero > ~/work/ck/checkpoint-200/optimizer.pt');
    const cfg = join(lab.dir, 'resume.yaml');
    writeFileSync(cfg, `${readFileSync(lab.rtkConfig, 'utf8')}resume: ["--resume_from_checkpoint", "{checkpoint}"]\n`);
    const words = ['a b', '$(touch /tmp/rtk-pwn-relaunch)', '-n', '\\', "it's", '; rm -rf ~', '{checkpoint}'];
    const script = 'for a in "$@"; do printf "[%s]" "$a"; done > "args.$RTK_TAG"; pwd >> "args.$RTK_TAG"';
    const started = await cli(lab, ['new', 'orig', '--host', 'gpu', '--cwd', 'work', '--checkpoints', 'ck', '--config', cfg, '--', 'env', 'RTK_TAG=1', 'sh', '-c', script, 'x', ...words]);
    expect(started.stderr).toBe('');
    const readArgs = (tag: string) =>
      until(async () => {
        const r = await lab.remote(`cat ~/work/args.${tag} 2>/dev/null`);
        return r.stdout.includes('\n') ? r.stdout : null;
      });
    const first = await readArgs('1');
    expect(first).toBe(`${words.map((w) => `[${w}]`).join('')}${lab.remoteHome}/work\n`);
    await until(async () => ((await lab.remote("tmux display-message -p -t '=orig:' '#{pane_dead}'")).stdout.trim() === '1' ? true : null));
    // the same argv: it writes the same file again (RTK_TAG=1 is part of it)
    await lab.remote('rm -f ~/work/args.1');
    const again = await cli(lab, ['relaunch', 'gpu:orig', '--config', cfg]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^started gpu:orig-2 again \(from gpu:orig\)\n/);
    const second = await readArgs('1');
    expect(second).toBe(first);
    expect(existsSync('/tmp/rtk-pwn-relaunch')).toBe(false);
    // a live run is not relaunched beside itself by accident
    await lab.remote('rm -f ~/work/args.1');
    await until(async () => ((await lab.remote("tmux display-message -p -t '=orig-2:' '#{pane_dead}'")).stdout.trim() === '1' ? true : null));
    const resumed = await cli(lab, ['relaunch', 'gpu:orig', '--resume', '--as', 'orig-r', '--config', cfg]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toBe('rtk-tui: resuming from checkpoint-200\n');
    const third = await readArgs('1');
    expect(third).toBe(`${words.map((w) => `[${w}]`).join('')}[--resume_from_checkpoint][${lab.remoteHome}/work/ck/checkpoint-200]${lab.remoteHome}/work\n`);
    // the run of the first test (two or three, whichever got the GPUs) is alive
    const outs = await Promise.all(['gpu:two', 'gpu:three'].map((id) => cli(lab, ['relaunch', id, '--config', cfg])));
    expect(outs.map((o) => o.code)).toEqual([1, 1]);
    expect(outs.filter((o) => /is still running: relaunch --replace ends it and starts it again, --as NAME starts a second copy beside it\n$/.test(o.stderr))).toHaveLength(1);
  });

  it('log-commands shows the exact commands of a poll and of a kill, with host, duration and exit status', async () => {
    const ls = await cli(lab, ['ls', '--config', lab.rtkConfig]);
    expect(ls.code).toBe(0);
    const kill = await cli(lab, ['kill', 'gpu:pinned', '--yes', '--config', lab.rtkConfig]);
    expect(kill.stdout).toMatch(/^killed gpu:pinned\n/);
    const r = await cli(lab, ['log-commands', 'gpu', '--json', '-n', '1000']);
    expect(r.code).toBe(0);
    const entries = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { host: string; kind: string; exit: number | null; ms: number; command: string });
    const poll = entries.filter((e) => e.command.includes('list-panes -a -F') && e.command.includes('@@%s now'));
    expect(poll.length).toBeGreaterThan(0);
    expect(poll.at(-1)).toMatchObject({ host: 'gpu', kind: 'exec', exit: 0 });
    const k = entries.filter((e) => e.command.includes('kill-session -t "$sid"'));
    expect(k).toHaveLength(1);
    expect(k[0]!.command).toMatch(/RTK_SESSION='?pinned'? /);
    expect(k[0]).toMatchObject({ host: 'gpu', exit: 0 });
    expect(typeof k[0]!.ms).toBe('number');
    const text = await cli(lab, ['log-commands', 'gpu', '-n', '2']);
    expect(text.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}gpu {2}exec {2}\d+ ms {2}exit 0 {2}/m);
  });

  it('kill ends the session, its re-parented worker on a GPU, reports the memory freed, and leaves an unrelated process alone', async () => {
    // the worker outlives its parent (re-parented, same session), as dataloader workers do
    const r = await cli(lab, ['new', 'victim2', '--host', 'gpu', '--config', lab.rtkConfig, '--', 'sh', '-c', 'sh -c "sleep 511 </dev/null >/dev/null 2>&1 &"; exec sleep 512']);
    expect(r.code).toBe(0);
    await lab.remote('setsid sleep 513 </dev/null >/dev/null 2>&1 &');
    const pid = async (n: number) =>
      until(async () => {
        const p = await lab.remote(`pgrep -f -x 'sleep ${n}'`);
        return p.stdout.trim() ? Number(p.stdout.trim()) : null;
      });
    const worker = await pid(511);
    const main = await pid(512);
    const other = await pid(513);
    // the worker's parent is gone: it is not in the pane's tree any more
    expect((await lab.remote(`ps -o ppid= -p ${worker}`)).stdout.trim()).not.toBe(String(main));
    setFakeGpuProcesses(lab.binDir, [
      { pid: worker, gpu: 1, usedMemoryMiB: 20000, name: 'python' },
      { pid: other, gpu: 1, usedMemoryMiB: 5000, name: 'python' },
    ]);
    const dry = await cli(lab, ['kill', 'gpu:victim2', '--dry-run', '--config', lab.rtkConfig]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^ +${worker} +session +sleep 511 +\\(GPU 1: 19\\.5 GiB\\)$`, 'm'));
    expect(dry.stdout).toMatch(new RegExp(`^ +${main} +tree +sleep 512$`, 'm'));
    expect(dry.stdout).not.toContain(`${other}`);
    expect((await lab.remote(`kill -0 ${worker} && kill -0 ${main} && echo alive`)).stdout.trim()).toBe('alive');
    const k = await cli(lab, ['kill', 'gpu:victim2', '--yes', '--grace', '2', '--config', lab.rtkConfig]);
    expect(k.stderr).toBe('');
    expect(k.code).toBe(0);
    expect(k.stdout).toMatch(/^killed gpu:victim2\n {2}ended \d+ processes \(1 outside its panes' tree: re-parented workers in its session or group, or its GPU processes\)\n {2}GPU memory freed: 19\.5 GiB \(GPU 1\)\n$/);
    // gone, or a zombie this machine's init has not collected yet (it holds nothing)
    expect((await lab.remote(`ps -o stat= -p ${worker}`)).stdout.trim()).toMatch(/^(Z.*)?$/);
    expect((await lab.remote(`kill -0 ${other} && echo alive`)).stdout.trim()).toBe('alive');
    await lab.remote(`kill ${other}`);
  });

  it('a run whose command ended is failed at once, even while a worker it left holds its log open', async () => {
    const r = await cli(lab, ['new', 'leaver', '--host', 'gpu', '--config', lab.rtkConfig, '--', 'sh', '-c', 'echo start; sleep 514 & exit 3']);
    expect(r.code).toBe(0);
    const run = await until(async () => {
      const ls = await cli(lab, ['ls', '--json', '--config', lab.rtkConfig]);
      const x = (JSON.parse(ls.stdout) as { runs: { id: string; state: string; exitStatus?: number | null }[] }).runs.find((y) => y.id === 'gpu:leaver');
      return x && x.state !== 'running' ? x : null;
    });
    expect(run).toMatchObject({ state: 'failed', exitStatus: 3 });
    // the worker is still there, holding the pipe: the pane has not ended
    expect((await lab.remote("pgrep -f -x 'sleep 514' >/dev/null && tmux display-message -p -t '=leaver:' '#{pane_dead}'")).stdout.trim()).toBe('0');
    // and kill ends it too (same session)
    const k = await cli(lab, ['kill', 'gpu:leaver', '--yes', '--grace', '1', '--config', lab.rtkConfig]);
    expect(k.stdout).toMatch(/^killed gpu:leaver\n {2}ended \d+ processes/);
    expect((await lab.remote("pgrep -f -x 'sleep 514' || echo none")).stdout.trim()).toBe('none');
  });
});

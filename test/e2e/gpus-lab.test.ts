// `rtk-tui gpus` end to end: the built binary, real sshd through a jump host, the fake nvidia-smi on
// the target's PATH, a real tmux session whose process the fake lists as a compute app.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVER_ERROR, installFakeNvidiaSmi, setFakeGpuProcesses } from '../../src/demo/fake-nvidia-smi.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { labCli as cli } from '../helpers/cli.js';
import { pollFor as until } from '../helpers/wait.js';

const BIN = new URL('../../bin/rtk-tui', import.meta.url).pathname;
const FX = new URL('../fixtures/gpu/', import.meta.url).pathname;
const why = labUnavailable() ?? (existsSync(new URL('../../dist/cli.js', import.meta.url)) ? null : 'dist/ is not built (npm test builds it)');

suite(why, 'rtk-tui gpus e2e', () => {
  let lab: Lab;
  let gpuPid: number;
  beforeAll(async () => {
    lab = await startLab();
    installFakeNvidiaSmi(lab.binDir, { capture: join(FX, 'nge_h100-80gb-hbm3_590.48.01_query-gpu-all-fields_load.txt') });
    // a run whose pane process is a shell with the "training" process as its child (torchrun-like)
    const name = 'train;$(touch x)';
    const r = await lab.remote(`tmux new-session -d -s '${name}' 'sh -c "sleep 300 & wait"' && tmux list-panes -a -F '#{pane_pid}'`);
    expect(r.code).toBe(0);
    const panePid = Number(r.stdout.trim());
    gpuPid = await until(async () => {
      const c = await lab.remote(`pgrep -P ${panePid} sleep`);
      return c.stdout.trim() ? Number(c.stdout.trim()) : null;
    });
    setFakeGpuProcesses(lab.binDir, [{ pid: gpuPid, usedMemoryMiB: 17000, name: 'python' }]);
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('--json reports the capture’s numbers exactly, the process mapped to its run', async () => {
    const r = await cli(lab, ['gpus', '--json', '--config', lab.rtkConfig]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      hosts: [
        {
          name: 'gpu',
          status: 'ok',
          error: null,
          driver: '590.48.01',
          gpus: [
            {
              index: 0,
              name: 'NVIDIA H100 80GB HBM3',
              uuid: 'GPU-00000000-0000-0000-0000-000000000000',
              utilizationPercent: 100,
              memoryUsedMiB: 19818,
              memoryTotalMiB: 81559,
              temperatureC: 59,
              powerW: 631.95,
              powerLimitW: 700,
              smClockMHz: 1980,
              memClockMHz: 2619,
              // with what the target's ps says of it, from the same exec
              processes: [
                {
                  pid: gpuPid,
                  name: 'python',
                  usedMemoryMiB: 17000,
                  run: 'gpu:train;$(touch x)',
                  user: expect.any(String),
                  cpuPercent: expect.any(Number),
                  rssMiB: expect.any(Number),
                  elapsedSeconds: expect.any(Number),
                  command: 'sleep 300',
                },
              ],
            },
          ],
        },
      ],
    });
    expect((await lab.remote('ls x 2>/dev/null; true')).stdout).toBe('');
  });

  it('the table names the host, the GPU, its figures and the run', async () => {
    const r = await cli(lab, ['gpus', '--config', lab.rtkConfig]);
    expect(r.code).toBe(0);
    const [head, row] = r.stdout.split('\n');
    expect(head).toMatch(/^HOST\s+GPU\s+NAME\s+UTIL\s+MEMORY\s+TEMP\s+POWER\s+PROCESSES$/);
    expect(row).toMatch(/^gpu\s+0\s+NVIDIA H100 80GB HBM3\s+100%\s+19818 \/ 81559 MiB\s+59C\s+632 \/ 700 W\s+python\/\d+\(17000M\) gpu:train;\$\(touch x\)$/);
  });

  it('--watch: one -lms stream over ssh, restarted when it dies or the connection drops, gone after Ctrl-C', async () => {
    const cfg = join(lab.dir, 'watch.yaml');
    writeFileSync(cfg, 'hosts:\n  - name: gpu\n    ssh: rtk-gpu\nrefresh: {gpus: 300ms}\n');
    const p = spawn(BIN, ['gpus', '--watch', '--json', '--config', cfg], { env: lab.env() });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => p.on('exit', (c) => res(c)));
    const lines = await until(() => {
      const l = out.split('\n').filter((x) => x.includes('"status":"ok"'));
      return l.length >= 3 ? l : null;
    });
    expect(JSON.parse(lines[2]!).hosts[0].gpus[0].memoryUsedMiB).toBe(19818);
    // exactly one long-lived sampler on the target, and it goes away with the client
    const lms = async () => (await lab.remote(`pgrep -f '[f]ake-nvidia-smi[.]js --query-gpu=.* -lms 300' || true`)).stdout.trim();
    const first = await until(async () => ((await lms()) || null));
    expect(first.split('\n')).toHaveLength(1);
    // the sampler dies on the target (driver reload, OOM killer): the stream comes back by itself
    await lab.remote(`kill ${first}`);
    const mark = out.length;
    const second = await until(async () => {
      const now = await lms();
      return now !== '' && now !== first && out.slice(mark).includes('"status":"ok"') ? now : null;
    });
    // the connection drops: the host reconnects and the stream comes back (the unreachable report
    // in between is asserted in the unit tests; here it may fall between two redraws)
    await lab.killTargetSessions();
    const mark2 = out.length;
    await until(async () => {
      const now = await lms();
      return now !== '' && now !== second && out.slice(mark2).includes('"status":"ok"') ? true : null;
    }, 30_000);
    p.kill('SIGINT');
    expect(await exited).toBe(0);
    await until(async () => ((await lms()) === '' ? true : null));
  });

  it('across hosts: a MIG GPU (utilization [N/A] → null) through the jump, and a local host without GPUs', async () => {
    installFakeNvidiaSmi(lab.binDir, { capture: join(FX, 'nge_h100-mig_590.48.01_query-gpu-all-fields_load.txt') });
    const cfg = join(lab.dir, 'two.yaml');
    writeFileSync(cfg, 'hosts:\n  - name: gpu\n    ssh: rtk-gpu\n  - name: here\n    local: true\n');
    const r = await cli(lab, ['gpus', '--json', '--config', cfg]);
    const hosts = JSON.parse(r.stdout).hosts;
    expect(hosts[0].gpus[0]).toMatchObject({ utilizationPercent: null, memoryUsedMiB: 11125, memoryTotalMiB: 81559, temperatureC: 53, powerW: 433.78, powerLimitW: 700 });
    // this machine's own PATH has no nvidia-smi (the fake lives on the target's PATH only)
    if (!existsSync('/usr/bin/nvidia-smi')) {
      expect(hosts[1]).toEqual({ name: 'here', status: 'no-gpu', error: null, driver: null, gpus: [] });
      expect(r.code).toBe(0);
    }
  });

  it('missing nvidia-smi → no-gpu; a failing driver → error with nvidia-smi’s message, exit 1', async () => {
    installFakeNvidiaSmi(lab.binDir, { mode: 'missing' });
    const none = await cli(lab, ['gpus', '--json', '--config', lab.rtkConfig]);
    // (a machine with a real nvidia-smi on /usr/bin cannot play "missing")
    if (!existsSync('/usr/bin/nvidia-smi')) {
      expect(JSON.parse(none.stdout)).toEqual({ hosts: [{ name: 'gpu', status: 'no-gpu', error: null, driver: null, gpus: [] }] });
      expect(none.code).toBe(0);
    }
    installFakeNvidiaSmi(lab.binDir, { mode: 'failing' });
    const bad = await cli(lab, ['gpus', '--json', '--config', lab.rtkConfig]);
    expect(JSON.parse(bad.stdout)).toEqual({ hosts: [{ name: 'gpu', status: 'error', error: DRIVER_ERROR, driver: null, gpus: [] }] });
    expect(bad.code).toBe(1);
    const human = await cli(lab, ['gpus', '--config', lab.rtkConfig]);
    expect(human.stdout).toContain(`gpu  ERROR: ${DRIVER_ERROR}`);
  });
});

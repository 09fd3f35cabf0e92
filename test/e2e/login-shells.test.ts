// Users whose login shell is fish or tcsh: sshd runs every command through that shell, which cannot
// read POSIX sh. The BUILT binary, through the jump host, as throwaway users of the target: ls --json,
// logs -f, gpus, ckpt, new, attach, push and pull all work, and nothing leaves a stray file behind
// (tcsh reads `>&2` as "write stdout and stderr to a file named 2").
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installFakeNvidiaSmi } from '../../src/demo/fake-nvidia-smi.js';
import { labUnavailable, startLab, usersUnavailable, type Lab, type LabUser } from '../helpers/lab.js';
import { distMissing, firstReason, onPath, suite } from '../helpers/require.js';
import { BIN, startTui } from '../helpers/tui.js';
import { waitFor } from '../helpers/wait.js';

const SHELLS = ['/usr/bin/fish', '/usr/bin/tcsh'];
const missingShell = SHELLS.find((s) => !onPath(s));
const why = firstReason(
  labUnavailable(),
  usersUnavailable(),
  distMissing(),
  missingShell ? `${missingShell} is missing (apt-get install -y fish tcsh)` : null,
);

suite(why, 'login shells other than sh/bash/zsh (fish, tcsh)', () => {
  let lab: Lab;
  let cwd: string;
  let config: string;
  const cli = (args: string[], timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const p = execFile(process.execPath, [BIN, '--config', config, ...args], { env: lab.env(), cwd, encoding: 'utf8', timeout }, (e, stdout, stderr) => {
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      });
      p.stdin?.end();
    });
  const hostOf = (u: LabUser) => (u.shell.endsWith('fish') ? 'fishy' : 'tcshy');

  beforeAll(async () => {
    lab = await startLab({ users: SHELLS.map((shell) => ({ shell })) });
    cwd = mkdtempSync(join(tmpdir(), 'rtk-shells-'));
    installFakeNvidiaSmi(lab.binDir);
    config = join(cwd, 'rtk.yaml');
    writeFileSync(config, `hosts:\n${lab.users.map((u) => `  - name: ${hostOf(u)}\n    ssh: ${u.name}@rtk-gpu\n`).join('')}`);
    for (const u of lab.users) {
      // a run with a log and checkpoints, started by the user's own tmux
      const script = [
        'cd "$HOME"',
        'mkdir -p ck/checkpoint-100 ck/checkpoint-200',
        'printf x > ck/checkpoint-100/model.safetensors; printf xy > ck/checkpoint-200/model.safetensors',
        "printf 'step 30/100 loss=0.25\\n' > train.log",
        "tmux new-session -d -s train 'sleep 600'",
        'tmux set-option -t =train: @rtk_log "$HOME/train.log"',
        'tmux set-option -t =train: @rtk_checkpoints "$HOME/ck"',
      ].join(' && ');
      const r = await lab.remoteAs(u.name, script);
      if (r.code !== 0) throw new Error(`setup as ${u.name} (${u.shell}) failed: ${r.stderr}`);
    }
  });
  afterAll(async () => {
    await lab?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('ls --json lists each user’s run with its progress', async () => {
    const r = await cli(['ls', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { hosts: { name: string; status: string }[]; runs: { id: string; progress: unknown; metrics: unknown; log: string }[] };
    expect(out.hosts.map((h) => h.status)).toEqual(['connected', 'connected']);
    for (const u of lab.users) {
      expect(out.runs.find((x) => x.id === `${hostOf(u)}:train`)).toMatchObject({
        progress: { step: 30, total: 100 },
        metrics: { loss: 0.25 },
        log: `${u.home}/train.log`,
      });
    }
  });

  it('gpus and ckpt answer for both shells', async () => {
    const g = await cli(['gpus', '--json']);
    expect(g.stderr).toBe('');
    const gpus = JSON.parse(g.stdout) as { hosts: { name: string; status: string; gpus: unknown[] }[] };
    expect(gpus.hosts.map((h) => [h.name, h.status])).toEqual(lab.users.map((u) => [hostOf(u), 'ok']));
    for (const h of gpus.hosts) expect(h.gpus.length).toBeGreaterThan(0);
    for (const u of lab.users) {
      const c = await cli(['ckpt', `${hostOf(u)}:train`, '--json']);
      expect(c.stderr).toBe('');
      const l = JSON.parse(c.stdout) as { checkpoints: { name: string; step: number; sizeBytes: number }[] };
      expect(l.checkpoints.map((x) => [x.name, x.step])).toEqual([
        ['checkpoint-200', 200],
        ['checkpoint-100', 100],
      ]);
    }
  });

  it('logs -f streams new lines byte for byte', async () => {
    for (const u of lab.users) {
      const p = spawn(process.execPath, [BIN, '--config', config, 'logs', '-f', '-n', '1', `${hostOf(u)}:train`], { env: lab.env(), cwd });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      try {
        expect(await waitFor(() => out.includes('step 30/100'), 30_000)).toBe(true);
        const r = await lab.remoteAs(u.name, `printf 'step 31/100 loss=0.24\\nüñï 训练 $(x)\\n' >> "$HOME/train.log"`);
        expect(r.code).toBe(0);
        expect(await waitFor(() => out.includes('üñï 训练 $(x)\n'), 30_000)).toBe(true);
        expect(out).toBe('step 30/100 loss=0.25\nstep 31/100 loss=0.24\nüñï 训练 $(x)\n');
      } finally {
        p.kill('SIGTERM');
      }
    }
  });

  it('new starts a run with exact arguments; attach shows it and Ctrl-\\ comes back', async () => {
    for (const u of lab.users) {
      const host = hostOf(u);
      const r = await cli(['new', 'job', '--host', host, '--', 'sh', '-c', 'printf "%s|" "$@"; echo; exec sleep 600', 'x', "a'b", '$HOME', 'c;d']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(await waitFor(async () => (await lab.remoteAs(u.name, 'cat "$HOME/rtk-runs/job.log"')).stdout === "a'b|$HOME|c;d|\n", 20_000)).toBe(true);
      const t = await startTui({ args: ['--config', config, 'attach', `${host}:job`], env: lab.env(), cols: 100, rows: 20 });
      try {
        await t.waitFor(`attached to ${host}:job`);
        await t.waitFor("a'b|$HOME|c;d|");
        await t.sendKeys('C-\\');
        expect(await t.waitExit()).toBe(0);
        expect(await t.capture()).toContain(`detached from ${host}:job; it keeps running`);
      } finally {
        await t.stop();
      }
    }
  });

  it('a fish config that claims SHELL=/bin/bash costs one retry, not a failure', async () => {
    const fish = lab.users.find((u) => u.shell.endsWith('fish'))!;
    const set = await lab.remoteAs(fish.name, 'mkdir -p "$HOME/.config/fish" && echo "set -gx SHELL /bin/bash" > "$HOME/.config/fish/config.fish"');
    expect(set.code).toBe(0);
    try {
      // ckpt runs several commands on one connection: the plain line after "bash" is named fails
      // in fish, and is said again in the form every shell reads
      const c = await cli(['ckpt', 'fishy:train', '--json']);
      expect(c.stderr).toBe('');
      expect((JSON.parse(c.stdout) as { checkpoints: unknown[] }).checkpoints).toHaveLength(2);
    } finally {
      await lab.remoteAs(fish.name, 'rm -f "$HOME/.config/fish/config.fish"');
    }
  });

  it('a tcsh config that claims SHELL=/bin/bash: the plain line is refused whole (no file named 2), then sent again', async () => {
    const tcsh = lab.users.find((u) => u.shell.endsWith('tcsh'))!;
    expect((await lab.remoteAs(tcsh.name, 'echo "setenv SHELL /bin/bash" > "$HOME/.tcshrc"')).code).toBe(0);
    try {
      const c = await cli(['ckpt', 'tcshy:train', '--json']);
      expect(c.stderr).toBe('');
      expect((JSON.parse(c.stdout) as { checkpoints: unknown[] }).checkpoints).toHaveLength(2);
      expect(existsSync(join(tcsh.home, '2'))).toBe(false);
    } finally {
      await lab.remoteAs(tcsh.name, 'rm -f "$HOME/.tcshrc"');
    }
  });

  it('push and pull a file, verified, and no stray file appears in the home directory', async () => {
    const data = randomBytes(300 * 1024 + 3);
    const local = join(cwd, 'weights.bin');
    writeFileSync(local, data);
    for (const u of lab.users) {
      const host = hostOf(u);
      const before = readdirSync(u.home).sort();
      const up = await cli(['push', local, `${host}:weights.bin`]);
      expect(up.code).toBe(0);
      expect(up.stderr).not.toMatch(/error|fail/i);
      expect(up.stdout).toContain('sha256 verified');
      const back = join(cwd, `back-${host}.bin`);
      const down = await cli(['pull', `${host}:weights.bin`, back]);
      expect(down.code).toBe(0);
      expect(down.stderr).not.toMatch(/error|fail/i);
      expect(down.stdout).toContain('sha256 verified');
      expect(createHash('sha256').update(readFileSync(back)).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      const after = readdirSync(u.home).sort();
      expect(after.filter((f) => !before.includes(f))).toEqual(['weights.bin']);
      expect(existsSync(join(u.home, '2'))).toBe(false);
    }
  });
});

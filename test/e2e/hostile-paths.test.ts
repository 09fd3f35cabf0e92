// Paths that start with `-` (or are `(`, `!`) reach remote tools as operands, never as options or
// `find` expressions: the BUILT binary against the lab, every command that takes a path. The
// reproduction that showed it: `@rtk_checkpoints -delete` and a directory named `-delete` in the
// login directory, and `rtk-tui ckpt` deleted everything under it.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installFakeNvidiaSmi } from '../../src/demo/fake-nvidia-smi.js';
import { shq } from '../../src/remote/quote.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { distMissing, firstReason, suite } from '../helpers/require.js';
import { BIN } from '../helpers/tui.js';

/** Directory names that tools read as options or find expressions when given bare. */
const DIRS = ['-delete', '-exec', '(', '!', '-newer', '--help', '-'];

/** Every file under dir (relative), sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

suite(firstReason(labUnavailable(), distMissing()), 'paths that start with - are never options', () => {
  let lab: Lab;
  let cwd: string;
  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const p = execFile(process.execPath, [BIN, '--config', lab.rtkConfig, ...args], { env: lab.env(), cwd, encoding: 'utf8', timeout: 60_000 }, (e, stdout, stderr) => {
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      });
      p.stdin?.end();
    });
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  beforeAll(async () => {
    lab = await startLab();
    installFakeNvidiaSmi(lab.binDir);
    cwd = mkdtempSync(join(tmpdir(), 'rtk-paths-'));
    // in the target's login directory: checkpoint trees under hostile names, a log named -n
    for (const d of DIRS) {
      for (const sub of ['checkpoint-100', 'checkpoint-200/global_step200']) mkdirSync(join(lab.remoteHome, d, sub), { recursive: true });
      writeFileSync(join(lab.remoteHome, d, 'checkpoint-100', 'model.safetensors'), 'x');
      writeFileSync(join(lab.remoteHome, d, 'checkpoint-200', 'global_step200', 'mp_rank_00_model_states.pt'), 'xy');
      // newest first is by time: give the two an hour apart rather than the milliseconds between writes
      const at = (rel: string, t: number) => utimesSync(join(lab.remoteHome, d, rel), t, t);
      for (const rel of ['checkpoint-100/model.safetensors', 'checkpoint-100']) at(rel, 1_767_225_600);
      for (const rel of ['checkpoint-200/global_step200/mp_rank_00_model_states.pt', 'checkpoint-200/global_step200', 'checkpoint-200']) at(rel, 1_767_229_200);
    }
    writeFileSync(join(lab.remoteHome, '-n'), 'step 7/10 loss=0.5\nsecond line\n');
    const script = DIRS.map((d, i) => `tmux new-session -d -s s${i} 'sleep 600' && tmux set-option -t =s${i}: @rtk_checkpoints ${shq(d)}`);
    script.push(`tmux new-session -d -s lg 'sleep 600' && tmux set-option -t =lg: @rtk_log -n`);
    const r = await lab.remote(script.join(' && '));
    if (r.code !== 0) throw new Error(`setup failed: ${r.stderr}`);
  });
  afterAll(async () => {
    await lab?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('ckpt lists a relative checkpoint dir named -delete, -exec, (, ! ... and deletes nothing', async () => {
    for (const [i, d] of DIRS.entries()) {
      const before = tree(join(lab.remoteHome, d));
      const r = await cli(['ckpt', `gpu:s${i}`, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const l = JSON.parse(r.stdout) as { dir: string; checkpoints: { name: string; sizeBytes: number }[] };
      expect(l.dir).toBe(d);
      expect(l.checkpoints.map((c) => [c.name, c.sizeBytes])).toEqual([
        ['checkpoint-200', 2],
        ['checkpoint-100', 1],
      ]);
      expect(tree(join(lab.remoteHome, d))).toEqual(before);
    }
  });

  it('ls and logs read a log named -n in the login directory', async () => {
    const ls = await cli(['ls', '--json']);
    expect(ls.stderr).toBe('');
    const run = (JSON.parse(ls.stdout) as { runs: { id: string; progress: unknown; log: string }[] }).runs.find((x) => x.id === 'gpu:lg');
    expect(run).toMatchObject({ progress: { step: 7, total: 10 } });
    const logs = await cli(['logs', 'gpu:lg', '-n', '5']);
    expect(logs.stderr).toBe('');
    expect(logs.stdout).toBe('step 7/10 loss=0.5\nsecond line\n');
  });

  it('check: disk, model and file paths that start with -', async () => {
    writeFileSync(join(cwd, 'local.bin'), 'xy');
    writeFileSync(join(lab.remoteHome, '-f'), 'xy');
    const r = await cli(['check', '--host', 'gpu', '--json', '--disk', '-delete:0', '--model', '-delete/checkpoint-100', '--file-match', `${join(cwd, 'local.bin')}:-f`]);
    const out = JSON.parse(r.stdout) as { hosts: { checks: { check: string; status: string; message: string }[] }[] };
    const by = Object.fromEntries(out.hosts[0]!.checks.map((c) => [c.check, c]));
    expect(by.disk?.status).toBe('pass');
    expect(by.file?.status).toBe('pass');
    expect(by.model?.message).not.toMatch(/does not exist|not a directory/);
    expect(existsSync(join(lab.remoteHome, '-delete', 'checkpoint-100', 'model.safetensors'))).toBe(true);
  });

  it('push and pull a remote path that starts with -', async () => {
    const data = randomBytes(70_000);
    writeFileSync(join(cwd, 'up.bin'), data);
    // a relative remote path is relative to the SFTP home: the login user's home from the password
    // database (the lab's SetEnv HOME reaches shells only), so the file is named to be unique there
    const name = `-rtk-test-${randomBytes(4).toString('hex')}.bin`;
    const landed = join(userInfo().homedir, name);
    try {
      const up = await cli(['push', join(cwd, 'up.bin'), `gpu:${name}`]);
      expect(up.code).toBe(0);
      expect(sha(readFileSync(landed))).toBe(sha(data));
      const down = await cli(['pull', `gpu:${name}`, join(cwd, 'back.bin')]);
      expect(down.code).toBe(0);
      expect(sha(readFileSync(join(cwd, 'back.bin')))).toBe(sha(data));
    } finally {
      rmSync(landed, { force: true });
    }
  });

  it('new: --cwd, --log and --checkpoints that start with -', async () => {
    mkdirSync(join(lab.remoteHome, '-wd'), { recursive: true });
    const r = await cli(['new', 'dash', '--host', 'gpu', '--cwd', '-wd', '--log', '-run.log', '--checkpoints', '-ck', '--', 'echo', 'hello']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const log = join(lab.remoteHome, '-wd', '-run.log');
    const end = Date.now() + 15_000;
    while (!(existsSync(log) && readFileSync(log, 'utf8') === 'hello\n') && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
    expect(readFileSync(log, 'utf8')).toBe('hello\n');
    expect(r.stdout).toContain(`checkpoints  ${join(lab.remoteHome, '-wd', '-ck')}`);
  });
});

// push/pull through the lab's jump host with the built binary: directories byte-identical both ways,
// no overwrite without --force, resume after the connection is cut mid-transfer, and a corrupted
// partial file caught by the final checksum with nothing left under the final name.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailable } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { openHost } from '../../src/remote/index.js';
import { pullCheckpoint, type TransferProgress } from '../../src/remote/transfer.js';
import { startTui } from '../helpers/tui.js';
import { cli, startCli, startTransferLab, until, type TransferLab } from './transfer-lab.js';

const MiB = 1024 * 1024;

function writeRandom(path: string, size: number): Buffer {
  const b = randomBytes(size);
  writeFileSync(path, b);
  return b;
}

async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out.sort();
}

const size = (p: string): number => (existsSync(p) ? statSync(p).size : -1);

suite(labUnavailable(), 'push and pull through the jump host', () => {
  let lab: TransferLab;
  let L: string;
  let R: string;

  beforeAll(async () => {
    lab = await startTransferLab();
    L = lab.localDir;
    R = lab.remoteDir;
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('pushes a directory of several files and pulls it back byte-identical', async () => {
    const src = join(L, 'ckpt');
    mkdirSync(join(src, 'sub'), { recursive: true });
    const files: Record<string, Buffer> = {
      'a.bin': writeRandom(join(src, 'a.bin'), 3 * MiB + 17),
      'b.bin': writeRandom(join(src, 'b.bin'), 2 * MiB),
      'sub/c.bin': writeRandom(join(src, 'sub', 'c.bin'), MiB - 1),
      'sub/empty': writeRandom(join(src, 'sub', 'empty'), 0),
    };
    const up = await cli(lab, ['push', src, `gpu:${R}/`]);
    expect(up.stderr).not.toMatch(/error/i);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/pushed 4 files .*sha256 verified -> gpu:.*\/remote\/ckpt/);
    for (const [rel, data] of Object.entries(files)) expect(readFileSync(join(R, 'ckpt', rel)).equals(data)).toBe(true);
    expect((await listAll(join(R, 'ckpt'))).filter((f) => f.endsWith('.rtk-part'))).toEqual([]);

    const down = await cli(lab, ['pull', `gpu:${R}/ckpt`, join(L, 'back')]);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/pulled 4 files/);
    for (const [rel, data] of Object.entries(files)) expect(readFileSync(join(L, 'back', rel)).equals(data)).toBe(true);
    expect(await listAll(join(L, 'back'))).toHaveLength(4);
    // the same pull again lands in the same place (not back/ckpt), and finds it complete
    const rerun = await cli(lab, ['pull', `gpu:${R}/ckpt`, join(L, 'back')]);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/^nothing to pull: 4 files are already there/);
    expect(existsSync(join(L, 'back', 'ckpt'))).toBe(false);
    // `.` is a folder to pull into
    mkdirSync(join(L, 'here'));
    expect((await cli(lab, ['pull', `gpu:${R}/ckpt`, '.'], { cwd: join(L, 'here') })).code).toBe(0);
    expect(readFileSync(join(L, 'here', 'ckpt', 'a.bin')).equals(files['a.bin']!)).toBe(true);

    // the same push again: every file is already there, identical, and nothing is rewritten
    const again = await cli(lab, ['push', src, `gpu:${R}/`]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^nothing to push: 4 files are already there, identical \(sha256\) -> gpu:/);
  });

  it('refuses to overwrite a different file without --force, and overwrites with it', async () => {
    const mine = join(L, 'w.bin');
    const theirs = join(R, 'w.bin');
    const old = writeRandom(theirs, 4096);
    const fresh = writeRandom(mine, 5000);
    const refused = await cli(lab, ['push', mine, `gpu:${theirs}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/w\.bin already exists: pass --force to overwrite/);
    expect(readFileSync(theirs).equals(old)).toBe(true);

    const forced = await cli(lab, ['push', '--force', mine, `gpu:${theirs}`]);
    expect(forced.code).toBe(0);
    expect(readFileSync(theirs).equals(fresh)).toBe(true);

    const localOld = writeRandom(join(L, 'w2.bin'), 10);
    const pullRefused = await cli(lab, ['pull', `gpu:${theirs}`, join(L, 'w2.bin')]);
    expect(pullRefused.code).toBe(1);
    expect(pullRefused.stderr).toMatch(/local .*w2\.bin already exists/);
    expect(readFileSync(join(L, 'w2.bin')).equals(localOld)).toBe(true);
    expect((await cli(lab, ['pull', '-f', `gpu:${theirs}`, join(L, 'w2.bin')])).code).toBe(0);
    expect(readFileSync(join(L, 'w2.bin')).equals(fresh)).toBe(true);
  });

  it('resumes a push cut off mid-transfer from the partial file', async () => {
    const src = join(L, 'big-up.bin');
    const data = writeRandom(src, 8 * MiB);
    const dst = join(R, 'big-up.bin');
    const part = `${dst}.rtk-part`;
    const p = startCli(lab, ['push', '--retries', '0', '--limit', '2M', src, `gpu:${dst}`]);
    await until(() => size(part) >= MiB, 'the partial upload to reach 1 MiB');
    await lab.killTargetSessions();
    const cut = await p.done;
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/run the same command again to resume/);
    expect(existsSync(dst)).toBe(false);
    const had = size(part);
    expect(had).toBeGreaterThan(0);
    expect(had).toBeLessThan(data.length);

    const resumed = await cli(lab, ['push', src, `gpu:${dst}`]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming gpu:.*big-up\.bin at/);
    expect(resumed.stdout).toMatch(/MiB resumed/);
    expect(readFileSync(dst).equals(data)).toBe(true);
    expect(existsSync(part)).toBe(false);
  });

  it('resumes a pull cut off mid-transfer from the partial file', async () => {
    const src = join(R, 'big-down.bin');
    const data = writeRandom(src, 8 * MiB);
    const dst = join(L, 'big-down.bin');
    const part = `${dst}.rtk-part`;
    const p = startCli(lab, ['pull', '--retries=0', '--limit', '2M', `gpu:${src}`, dst]);
    await until(() => size(part) >= MiB, 'the partial download to reach 1 MiB');
    await lab.killTargetSessions();
    const cut = await p.done;
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/run the same command again to resume/);
    expect(existsSync(dst)).toBe(false);
    expect(size(part)).toBeGreaterThan(0);

    const resumed = await cli(lab, ['pull', `gpu:${src}`, dst]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .*big-down\.bin at/);
    expect(readFileSync(dst).equals(data)).toBe(true);
    expect(existsSync(part)).toBe(false);

    // a whole pull of the same 8 MiB: big enough to read through two SFTP sessions at once
    const whole = await cli(lab, ['pull', `gpu:${src}`, join(L, 'big-down-2.bin')]);
    expect(whole.code).toBe(0);
    expect(readFileSync(join(L, 'big-down-2.bin')).equals(data)).toBe(true);
  });

  it('catches a corrupted partial file with the checksum and keeps nothing under the final name', async () => {
    const src = join(L, 'c.bin');
    const data = writeRandom(src, 3 * MiB);
    const dst = join(R, 'c.bin');
    // a partial upload whose last bytes match (so it is resumed) but with one byte flipped early on
    const bad = Buffer.from(data.subarray(0, 2 * MiB));
    bad[1000] = bad[1000]! ^ 0xff;
    writeFileSync(`${dst}.rtk-part`, bad);
    const r = await cli(lab, ['push', src, `gpu:${dst}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sha256 mismatch for gpu:.*\/c\.bin .*nothing was kept under that name/);
    expect(existsSync(dst)).toBe(false);
    expect(existsSync(`${dst}.rtk-part`)).toBe(false);
    // and the next run starts afresh and succeeds
    expect((await cli(lab, ['push', src, `gpu:${dst}`])).code).toBe(0);
    expect(readFileSync(dst).equals(data)).toBe(true);

    // the same on the way down, with md5
    const ldst = join(L, 'c-back.bin');
    const lbad = Buffer.from(data.subarray(0, MiB + 5));
    lbad[10] = lbad[10]! ^ 1;
    writeFileSync(`${ldst}.rtk-part`, lbad);
    const d = await cli(lab, ['pull', '--hash', 'md5', `gpu:${dst}`, ldst]);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/md5 mismatch for local .*c-back\.bin/);
    expect(existsSync(ldst)).toBe(false);
    expect(existsSync(`${ldst}.rtk-part`)).toBe(false);
  });

  it('names what is wrong with the arguments', async () => {
    const r = await cli(lab, ['push', join(L, 'nope.bin'), `gpu:${R}/`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/local .*nope\.bin does not exist/);
    const u = await cli(lab, ['pull', 'just-a-path', join(L, 'x')]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/is not HOST:PATH/);
  });

  it('pullCheckpoint (the monitor\'s D) brings a checkpoint folder home with progress', async () => {
    const ck = join(R, 'run1', 'checkpoint-200');
    mkdirSync(ck, { recursive: true });
    const w = writeRandom(join(ck, 'model.safetensors'), 2 * MiB);
    const c = Buffer.from('{"step": 200}');
    writeFileSync(join(ck, 'config.json'), c);
    const host = openHost({ name: 'gpu', local: false, ssh: 'rtk-gpu' }, { home: lab.home, env: lab.env() });
    const seen: TransferProgress[] = [];
    try {
      const r = await pullCheckpoint(host, ck, join(L, 'ckpts'), (p) => seen.push(p));
      expect(r.ok ? r.value.dest : r.error.message).toBe(join(L, 'ckpts', 'checkpoint-200'));
      expect(readFileSync(join(L, 'ckpts', 'checkpoint-200', 'model.safetensors')).equals(w)).toBe(true);
      expect(readFileSync(join(L, 'ckpts', 'checkpoint-200', 'config.json')).equals(c)).toBe(true);
      const last = seen[seen.length - 1]!;
      expect(last.phase).toBe('done');
      expect(last.bytesDone).toBe(w.length + c.length);
      expect(last.filesDone).toBe(2);
      // a second D on the same checkpoint: identical, nothing moved, no error
      const again = await pullCheckpoint(host, ck, join(L, 'ckpts'));
      expect(again.ok && again.value.skipped).toBe(2);
    } finally {
      await host.close();
    }
  });

  it('resumes by itself when the connection drops mid-transfer (default retries)', async () => {
    const src = join(L, 'big-retry.bin');
    const data = writeRandom(src, 6 * MiB);
    const dst = join(R, 'big-retry.bin');
    const part = `${dst}.rtk-part`;
    const p = startCli(lab, ['push', '--limit', '3M', src, `gpu:${dst}`]);
    await until(() => size(part) >= MiB, 'the partial upload to reach 1 MiB');
    await lab.killTargetSessions();
    const r = await p.done;
    expect(r.stderr).toMatch(/connection to gpu lost during the transfer; resuming in 1 s \(retry 1 of 3\)/);
    expect(r.stderr).toMatch(/resuming gpu:.*big-retry\.bin at/);
    expect(r.code).toBe(0);
    expect(readFileSync(dst).equals(data)).toBe(true);
    expect(existsSync(part)).toBe(false);
  });

  it('draws a progress bar with bytes, rate and ETA on a terminal, then the summary', async () => {
    const src = join(L, 'tty.bin');
    const data = writeRandom(src, 5 * MiB);
    const dst = join(R, 'tty.bin');
    const tui = await startTui({
      args: ['--config', lab.rtkConfig, 'push', '--limit', '2M', src, `gpu:${dst}`],
      env: { HOME: lab.home, PATH: lab.env().PATH },
      cols: 100,
      rows: 10,
    });
    try {
      await tui.waitFor(/\[#*-+\] +\d+% [\d.]+ MiB\/5\.0 MiB [\d.]+ MiB\/s ETA \d+:\d\d/, 20_000);
      expect(await tui.waitExit(30_000)).toBe(0);
      const screen = await tui.capture();
      expect(screen).toMatch(/pushed 1 file \(5\.0 MiB in [\d.]+ s/);
      // the bar was cleared: no half-drawn line left above the summary
      expect(screen).not.toMatch(/\[#+/);
      expect(readFileSync(dst).equals(data)).toBe(true);
    } finally {
      await tui.stop();
    }
  });
});

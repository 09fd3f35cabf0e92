// `rtk-tui logs RUN --rank N` through the BUILT binary against the lab: a tmux session whose @rtk_log
// is an `srun -l` log of ranks 0-3 (tqdm '\r' redraws, UTF-8, a launcher line without a prefix).
// What is printed is rank 2's lines without their `2: `, byte for byte, also while following.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { shq } from '../../src/remote/quote.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { BIN } from '../helpers/tui.js';
import { labCliBytes } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

const bar = (rank: number, n: number) =>
  `${rank}: ${[1, 2, 3].map((k) => `step ${n}: ${k * 10}%|${'█'.repeat(k)}${' '.repeat(10 - k)}| ${k}/10`).join('\r')}\n`;

/** Rank 2 says its lines early, then 2500 lines of the others: `-n 2` has to read further back. */
function srunLog(): { log: string; two: string } {
  let log = 'srun: job 4242 step 0 started\n';
  let two = '';
  for (let i = 0; i < 40; i++) {
    for (const r of [0, 1, 2, 3]) {
      const line = i % 5 === 0 ? bar(r, i) : `${r}: step ${i} loss ${(1 / (i + r + 1)).toFixed(4)} ü\n`;
      log += line;
      if (r === 2) two += line.slice(3);
    }
  }
  for (let i = 0; i < 2500; i++) log += `${[0, 1, 3][i % 3]}: later ${i}\n`;
  return { log, two };
}

const why = labUnavailable();
suite(why, 'logs --rank over ssh', () => {
  let lab: Lab;
  let cwd: string;
  let path: string;
  const { log, two } = srunLog();
  const cli = (args: string[]) => labCliBytes(lab, args, cwd);

  beforeAll(async () => {
    lab = await startLab();
    cwd = mkdtempSync(join(tmpdir(), 'rtk-logs-rank-cwd-'));
    path = `${lab.remoteHome}/srun job.log`;
    const plain = `${lab.remoteHome}/plain.log`;
    const r = await lab.remote(
      [
        `printf %s ${shq(Buffer.from(log).toString('base64'))} | base64 -d > ${shq(path)}`,
        `printf 'one\\ntwo\\nthree\\n' > ${shq(plain)}`,
        `tmux new-session -d -s ranked 'sleep 600'`,
        `tmux set-option -t =ranked: @rtk_log ${shq(path)}`,
        `tmux new-session -d -s plain 'sleep 600'`,
        `tmux set-option -t =plain: @rtk_log ${shq(plain)}`,
      ].join(' && '),
    );
    expect(r.code).toBe(0);
  });
  afterAll(async () => {
    await lab?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it("--rank 2 prints rank 2's lines without the prefix, byte for byte; -n 2 reads back far enough", async () => {
    const all = await cli(['logs', 'gpu:ranked', '--rank', '2', '-n', '1000']);
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    expect(all.stdout.equals(Buffer.from(two))).toBe(true);
    const last = await cli(['logs', 'gpu:ranked', '--rank', '2', '-n', '2']);
    expect(last.stdout.toString('utf8')).toBe(two.split('\n').slice(-3).join('\n'));
    // a rank that is not there: nothing on stdout, the ranks there on stderr
    const none = await cli(['logs', 'gpu:ranked', '--rank', '9']);
    expect(none.code).toBe(0);
    expect(none.stdout.length).toBe(0);
    expect(none.stderr).toMatch(/rank 9 has no lines .*ranks there: 0 1 2 3/);
  });

  it('--ranks lists the ranks with their line counts; a log without prefixes is a one-line error', async () => {
    const r = await cli(['logs', 'gpu:ranked', '--ranks']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString('utf8')).toBe('RANK  LINES\n0     874\n1     873\n2     40\n3     873\n-     1  (no prefix)\n');
    const plain = await cli(['logs', 'gpu:plain', '--rank', '0']);
    expect(plain.code).toBe(1);
    expect(plain.stdout.length).toBe(0);
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    expect(plain.stderr).toContain('this log has no rank prefixes (srun -l, mpirun --tag-output, torchrun --tee...)');
  });

  it("--rank 2 -f: a line appended for rank 2 arrives, one for rank 1 does not", async () => {
    const child = spawn(process.execPath, [BIN, '--config', lab.rtkConfig, 'logs', 'gpu:ranked', '--rank', '2', '-f', '-n', '1'], { env: lab.env(), cwd });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const first = two.split('\n').slice(-2).join('\n');
    try {
      await until(() => out === first, 'the last line of rank 2');
      // rank 1's line first, then rank 2's bar in two writes (its line completes in the second)
      const add = await lab.remote(
        [`printf '1: from one\\n2: \\r 10%%|█' >> ${shq(path)}`, 'sleep 0.3', `printf '\\r 20%%|██\\n0: from zero\\n2: from two ü\\n' >> ${shq(path)}`].join(' && '),
      );
      expect(add.code).toBe(0);
      await until(() => out.endsWith('from two ü\n'), "rank 2's new line");
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toBe(`${first}\r 10%|█\r 20%|██\nfrom two ü\n`);
  });
});

// Slurm control scripts, run through a real sh with fake scontrol/scancel/sbatch on PATH: the words
// they get are exactly the user's, nothing from a job name, command or path runs.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJobId, parseSubmitted, sbatchScript, scancelScript, CANCEL_GONE } from '../../../src/sources/slurm-control.js';

let dir: string;
const fake = (name: string, body: string) => {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
};
const sh = (script: string): { code: number; out: string } => {
  try {
    return { code: 0, out: execFileSync('sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir }, cwd: dir }).toString() };
  } catch (e) {
    const x = e as { status: number; stdout: Buffer };
    return { code: x.status, out: x.stdout.toString() };
  }
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtk-slurmctl-'));
  // each fake writes its argv, one word a line, to ARGS
  fake('sbatch', `for a in "$@"; do printf '%s\\n' "$a"; done > "$HOME/ARGS"; pwd > "$HOME/PWD"; echo '4242;testcluster'`);
  fake('scancel', `for a in "$@"; do printf '%s\\n' "$a"; done > "$HOME/CANCELLED"`);
  fake('scontrol', `[ "$4" = 77 ] && exit 1; echo "JobId=$4 JobName=x JobState=CANCELLED Reason=None"`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('slurm control', () => {
  it('job ids are digits, or an array task', () => {
    expect(checkJobId('1234').ok).toBe(true);
    expect(checkJobId('1234_7').ok).toBe(true);
    for (const bad of ['', '-1', '12 34', '1;rm', '$(x)', '1234_']) expect(checkJobId(bad).ok).toBe(false);
  });
  it('sbatch gets the name, paths and command as the user wrote them, and runs in the directory', () => {
    const sub = join(dir, "-odd dir 'q'");
    execFileSync('mkdir', ['-p', '--', sub]);
    const r = sbatchScript({ name: "n'$(touch PWNED)", argv: ['python', 'train.py', '--msg', 'a b;$(touch PWNED)'], cwd: sub, output: 'out %j.log', gpus: 2, time: '1:00:00', partition: 'debug' });
    expect(r.ok).toBe(true);
    const res = sh(r.ok ? r.value : '');
    expect(res.code).toBe(0);
    expect(parseSubmitted(res.out)).toBe('4242');
    const args = readFileSync(join(dir, 'ARGS'), 'utf8').trimEnd().split('\n');
    expect(args).toEqual(['--parsable', '-J', "n'$(touch PWNED)", '-o', './out %j.log', '-p', 'debug', '--gres=gpu:2', '-t', '1:00:00', '--wrap', "python train.py '--msg' 'a b;$(touch PWNED)'"]);
    expect(readFileSync(join(dir, 'PWD'), 'utf8').trim()).toBe(sub);
    expect(() => readFileSync(join(dir, 'PWNED'))).toThrow();
  });
  it('the checkpoint directory travels as the comment rtk:checkpoints=DIR, quoted', () => {
    const r = sbatchScript({ name: 'x', argv: ['a'], cwd: null, output: null, checkpoints: "-ck dir/'$(touch PWNED)" });
    expect(r.ok).toBe(true);
    expect(sh(r.ok ? r.value : '').code).toBe(0);
    const args = readFileSync(join(dir, 'ARGS'), 'utf8').trimEnd().split('\n');
    expect(args).toContain("--comment=rtk:checkpoints=-ck dir/'$(touch PWNED)");
    expect(() => readFileSync(join(dir, 'PWNED'))).toThrow();
    expect(sbatchScript({ name: 'x', argv: ['a'], cwd: null, output: null, checkpoints: 'a\nb' }).ok).toBe(false);
  });
  it('refuses an empty command, a bad GPU count or time limit', () => {
    expect(sbatchScript({ name: 'x', argv: [], cwd: null, output: null }).ok).toBe(false);
    expect(sbatchScript({ name: 'x', argv: ['a'], cwd: null, output: null, gpus: -1 }).ok).toBe(false);
    expect(sbatchScript({ name: 'x', argv: ['a'], cwd: null, output: null, time: '1h; rm' }).ok).toBe(false);
  });
  it('scancel only a job the controller still knows', () => {
    const r = sh(scancelScript('1234_5'));
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'CANCELLED'), 'utf8')).toBe('1234_5\n');
    expect(r.out).toContain('JobState=CANCELLED');
    rmSync(join(dir, 'CANCELLED'));
    expect(sh(scancelScript('77')).code).toBe(CANCEL_GONE);
    expect(() => readFileSync(join(dir, 'CANCELLED'))).toThrow();
  });
  it('reads what sbatch --parsable printed', () => {
    expect(parseSubmitted('1234\n')).toBe('1234');
    expect(parseSubmitted('1234;cluster\n')).toBe('1234');
    expect(parseSubmitted('sbatch: error: Batch job submission failed\n')).toBeNull();
  });
});

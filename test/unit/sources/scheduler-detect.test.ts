// Finding a Slurm host by itself: the detection lines run through a local sh, with a fake squeue and id
// first on PATH and the configuration paths given by the test (never the real /etc); then how pollRuns
// folds the check into the first tmux poll of a host and keeps the answer.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptedHost } from '../../helpers/fake-host.js';
import { defaultConfig } from '../../../src/config/load.js';
import { ok, type HostSpec } from '../../../src/domain/types.js';
import { listSessions } from '../../../src/commands/resolve.js';
import { pollRuns } from '../../../src/sources/runs.js';
import { detectSchedulerScript, effectiveSpec, knownScheduler, parseDetected, rememberScheduler, schedulerText } from '../../../src/sources/scheduler-detect.js';

describe('detectSchedulerScript (local sh, fake squeue)', () => {
  let dir: string;
  let bin: string;
  const ran = () => join(dir, 'squeue-ran');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtk-sdetect-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    // only what the script may use besides the shell's builtins: id (fake), timeout (real), squeue (fake, per test)
    writeFileSync(join(bin, 'id'), '#!/bin/sh\n[ "$1" = -un ] && echo alice\n');
    chmodSync(join(bin, 'id'), 0o755);
    for (const t of ['/usr/bin/timeout', '/bin/timeout']) if (existsSync(t)) { symlinkSync(t, join(bin, 'timeout')); break; }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const squeue = (rc: number) => {
    writeFileSync(join(bin, 'squeue'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(ran())}\necho 123\nexit ${rc}\n`);
    chmodSync(join(bin, 'squeue'), 0o755);
  };
  const conf = () => {
    const p = join(dir, 'etc slurm', 'slurm.conf');
    mkdirSync(join(dir, 'etc slurm'));
    writeFileSync(p, 'ClusterName=lab\n');
    return p;
  };
  const run = (paths: string[], env: Record<string, string> = {}) => {
    const r = spawnSync('/bin/sh', ['-c', `N=abc\n${detectSchedulerScript(paths)}`], { env: { PATH: bin, ...env }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    return { found: parseDetected(r.stdout, 'abc'), stdout: r.stdout };
  };

  it('no squeue on PATH: tmux', () => {
    expect(run([conf()]).found).toBe('tmux');
  });

  it('squeue but no configuration (slurm-wlm installed, no cluster): tmux, and squeue is not run', () => {
    squeue(0);
    expect(run([join(dir, 'nope', 'slurm.conf'), join(dir, 'also-not')]).found).toBe('tmux');
    expect(existsSync(ran())).toBe(false);
  });

  it('a configuration file and squeue exiting 0: slurm, asked for the login user\'s jobs only', () => {
    squeue(0);
    const r = run([join(dir, 'nope'), conf()]);
    expect(r.found).toBe('slurm');
    // squeue's own output is not in the script's
    expect(r.stdout).toBe('@@abc sched slurm\n');
    expect(readFileSync(ran(), 'utf8')).toBe('-h\n-u\nalice\n-o\n%i\n');
  });

  it('SLURM_CONF set (no file at the usual paths) and squeue exiting 0: slurm', () => {
    squeue(0);
    expect(run([join(dir, 'nope')], { SLURM_CONF: join(dir, 'x.conf') }).found).toBe('slurm');
  });

  it('a configuration but squeue failing (controller down, too slow): unsure, taken for tmux a while and asked again', () => {
    squeue(1);
    expect(run([conf()]).found).toBe('unsure');
    expect(existsSync(ran())).toBe(true);
    const host = scriptedHost(() => '');
    rememberScheduler(host, 'unsure', 1_000);
    expect(knownScheduler(host, { name: 'h', local: false })).toBeNull();
  });

  it('a host with tmux sessions stays a tmux host: squeue is not asked', () => {
    squeue(0);
    writeFileSync(join(bin, 'tmux'), '#!/bin/sh\n[ "$1" = list-sessions ] && echo "0: 1 windows"\n');
    chmodSync(join(bin, 'tmux'), 0o755);
    try {
      expect(run([conf()]).found).toBe('tmux');
      expect(existsSync(ran())).toBe(false);
    } finally {
      rmSync(join(bin, 'tmux'));
    }
  });

  it('a path with a quote or a leading dash is a path, not code', () => {
    squeue(0);
    expect(run([`${dir}/it's`, '-f']).found).toBe('tmux');
    expect(existsSync(ran())).toBe(false);
  });
});

describe('parseDetected, schedulerText', () => {
  it('reads only its own nonce at a line start; anything else is unknown', () => {
    expect(parseDetected('motd\n@@n1 sched slurm\n', 'n1')).toBe('slurm');
    expect(parseDetected('@@n1 sched tmux\n', 'n1')).toBe('tmux');
    expect(parseDetected('@@n2 sched slurm\n', 'n1')).toBeNull();
    expect(parseDetected('x @@n1 sched slurm\n', 'n1')).toBeNull();
    expect(parseDetected('@@n1 sched pbs\n', 'n1')).toBeNull();
    expect(parseDetected('', 'n1')).toBeNull();
  });
  it('says found only where it was', () => {
    expect(schedulerText('slurm', 'slurm')).toBe('slurm');
    expect(schedulerText('tmux', null)).toBe('tmux');
    expect(schedulerText(undefined, 'slurm')).toBe('slurm (found)');
    expect(schedulerText(undefined, null)).toBeNull();
  });
});

describe('pollRuns: the check rides on the first tmux poll', () => {
  const cfg = defaultConfig(null);
  const nonceOf = (cmd: string) => /^N='?([0-9a-f]+)'?$/m.exec(cmd)![1]!;
  const tmuxAnswer = (cmd: string, sched: string | null) => {
    const n = nonceOf(cmd);
    return `${sched === null ? '' : `@@${n} sched ${sched}\n`}@@${n} now 1700000100 /home/u\nno server running on /tmp/tmux-1/default\n@@${n} tmux 1\n`;
  };

  it('a host without the key that is not a Slurm host: checked once, then plain tmux polls', async () => {
    const spec: HostSpec = { name: 'h', ssh: 'h' };
    const host = scriptedHost((cmd) => tmuxAnswer(cmd, cmd.includes('squeue') ? 'tmux' : null));
    expect((await pollRuns(host, spec, cfg)).ok).toBe(true);
    expect((await pollRuns(host, spec, cfg)).ok).toBe(true);
    expect(host.cmds).toHaveLength(2);
    expect(host.cmds[0]).toContain('squeue -h -u');
    expect(host.cmds[0]).toContain('list-panes');
    expect(host.cmds[1]).not.toContain('squeue');
    expect(knownScheduler(host, spec)).toBe('tmux');
    expect(effectiveSpec(host, spec)).toBe(spec);
  });

  it('a host found to be a Slurm login node: that poll goes on as a Slurm poll, and so do the next ones', async () => {
    const spec: HostSpec = { name: 'h', ssh: 'h' };
    const host = scriptedHost((cmd, call) => (call === 1 ? `@@${nonceOf(cmd)} sched slurm\n` : 'garbage\n'));
    await pollRuns(host, spec, cfg);
    expect(knownScheduler(host, spec)).toBe('slurm');
    expect(effectiveSpec(host, spec).scheduler).toBe('slurm');
    const second = host.cmds.length;
    expect(second).toBeGreaterThanOrEqual(2);
    expect(host.cmds[1]).not.toContain('list-panes');
    await pollRuns(host, spec, cfg);
    expect(host.cmds.slice(second).every((c) => !c.includes('list-panes') && !c.includes('sched'))).toBe(true);
  });

  it('scheduler: tmux is never checked; an answer cut short is not kept', async () => {
    const tmux = scriptedHost((cmd) => tmuxAnswer(cmd, null));
    await pollRuns(tmux, { name: 'h', ssh: 'h', scheduler: 'tmux' }, cfg);
    expect(tmux.cmds[0]).not.toContain('squeue');
    const cut = scriptedHost(() => 'Connection closed\n');
    const spec: HostSpec = { name: 'h', ssh: 'h' };
    await pollRuns(cut, spec, cfg);
    await pollRuns(cut, spec, cfg);
    expect(cut.cmds.every((c) => c.includes('squeue -h'))).toBe(true);
    expect(knownScheduler(cut, spec)).toBeNull();
  });
});

describe('listSessions (kill, logs, attach): the check rides on the session listing', () => {
  const nonce = (cmd: string) => /^N=([0-9a-f]+)$/m.exec(cmd)?.[1] ?? 'none';

  it('a tmux host: its sessions, checked once', async () => {
    const spec: HostSpec = { name: 'h', ssh: 'h' };
    const host = scriptedHost((cmd) => `$1\ttrain\n@@${nonce(cmd)} sched tmux\n`);
    expect(await listSessions(host, spec)).toEqual(ok([{ id: '$1', name: 'train' }]));
    await listSessions(host, spec);
    expect(host.cmds[0]).toContain('squeue -h -u');
    expect(host.cmds[1]).not.toContain('squeue');
    expect(knownScheduler(host, spec)).toBe('tmux');
  });

  it('a host found to be a Slurm login node: its jobs are asked for next, not its tmux sessions', async () => {
    const spec: HostSpec = { name: 'h', ssh: 'h' };
    const host = scriptedHost((cmd, call) => (call === 1 ? `$1\ttrain\n@@${nonce(cmd)} sched slurm\n` : ''));
    await listSessions(host, spec);
    expect(host.cmds).toHaveLength(2);
    expect(host.cmds[1]).toContain('squeue');
    expect(host.cmds[1]).not.toContain('list-sessions');
    expect(effectiveSpec(host, spec).scheduler).toBe('slurm');
  });
});

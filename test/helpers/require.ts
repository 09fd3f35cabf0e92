// Suites that need something from the machine (sshd, tmux, the built dist/): without it they are
// skipped with the reason on a developer's machine, and FAIL with the reason under CI=true, where a
// missing prerequisite must never pass as a green run.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/** True when `cmd` is an executable on PATH (or an absolute path that exists). */
export function onPath(cmd: string): boolean {
  if (cmd.includes('/')) return existsSync(cmd);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** The first reason among these that is not null. */
export function firstReason(...reasons: (string | null | undefined)[]): string | null {
  return reasons.find((r): r is string => typeof r === 'string' && r !== '') ?? null;
}

export const tmuxMissing = (): string | null => (onPath('tmux') ? null : 'tmux is missing (apt-get install -y tmux)');

export const distMissing = (): string | null =>
  existsSync(new URL('../../dist/cli.js', import.meta.url)) ? null : 'dist/ is not built (npm test builds it first)';

/**
 * describe(name, fn) when `why` is null; otherwise a skipped suite that names the reason, or, under
 * CI=true, a suite whose one test fails with it.
 */
export function suite(why: string | null, name: string, fn: () => void): void {
  if (why === null) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has what it needs to run', () => {
        throw new Error(`${name} cannot run: ${why} (under CI=true a missing prerequisite is a failure, not a skip)`);
      });
    });
    return;
  }
  describe.skip(`${name} (skipped: ${why})`, fn);
}

/**
 * Why a throwaway single-node Slurm (test/helpers/slurm.ts) cannot run here, or null. Its daemons
 * run as root (SlurmUser=root: jobs run as whoever submits them).
 */
export function slurmUnavailable(): string | null {
  const missing = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged'].filter((f) => !existsSync(f) && !onPath(f.split('/').pop() ?? f));
  for (const c of ['squeue', 'sbatch', 'scontrol', 'scancel', 'sinfo']) if (!onPath(c)) missing.push(c);
  if (missing.length) return `${missing.join(', ')} missing (apt-get install -y slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'the test Slurm needs root (its daemons run jobs as the submitting user)';
  return null;
}

// What the Slurm e2e tests ask of rtk-tui against the Slurm lab: a config whose host `cl` is the lab's
// target as a Slurm login node, and `ls --json`'s runs by job id, once or until they are as a test wants.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { labCli } from './cli.js';
import type { Lab } from './lab.js';
import { pollFor } from './wait.js';

/** A config file in the lab's dir: host `cl`, the target through the jump host, `scheduler: slurm`. */
export function slurmConfig(lab: Lab): string {
  const cfg = join(lab.dir, 'slurm-config.yaml');
  writeFileSync(cfg, 'hosts:\n  - name: cl\n    ssh: rtk-gpu\n    scheduler: slurm\n');
  return cfg;
}

/** `ls --json`'s runs, by session (the job id); it must succeed with nothing on stderr. */
export async function runsByJob<J extends { session: string }>(lab: Lab, cfg: string): Promise<Map<string, J>> {
  const r = await labCli(lab, ['ls', '--json', '--config', cfg]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return new Map((JSON.parse(r.stdout) as { runs: J[] }).runs.map((j) => [j.session, j]));
}

/** Polls runsByJob until `ok` holds (45 s), saying `what` was waited for when it never does. */
export function untilJobs<J extends { session: string }>(lab: Lab, cfg: string, what: string, ok: (m: Map<string, J>) => boolean): Promise<Map<string, J>> {
  return pollFor(async () => {
    const m = await runsByJob<J>(lab, cfg);
    return ok(m) ? m : null;
  }, 45_000).catch((e: unknown) => {
    throw new Error(`${what}: ${String(e)}`);
  });
}

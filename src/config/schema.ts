// The config file's shape (DESIGN section 3), validated once at the boundary with zod.
// Objects are strict: an unknown key is an error, since a typo (`sshh:`) would otherwise be ignored silently.
import { z } from 'zod';
import type { HostSpec, RunGroup } from '../domain/types.js';
import { DEFAULT_NOTIFY_ON, EVENT_KINDS, type EventKind } from '../events/types.js';

export interface RunMeta {
  /** HOST:SESSION (or a bare SESSION, matched on every host). */
  run: string;
  log?: string;
  checkpoints?: string;
  /** How this run's trainer resumes: arguments added on relaunch --resume, {checkpoint} filled in. */
  resume?: string[];
}

export interface Config {
  /** The file read, or null when none was found (local host only). */
  path: string | null;
  hosts: HostSpec[];
  runs: RunMeta[];
  stallAfterMs: number;
  refresh: { runsMs: number; gpusMs: number; checkpointsMs: number };
  /** Command id -> key or keys; validated against the key map by src/keys. */
  keys: Record<string, string | string[]>;
  scrollback: number;
  /** gpu.idle: a running run's GPUs near 0 % this long while holding memory. */
  gpuIdleAfterMs: number;
  notify: NotifyConfig;
  /** How trainers resume (relaunch --resume): arguments appended, {checkpoint} replaced; per host and per run too. */
  resume: string[] | null;
  /** Multi-node runs: sessions on several hosts shown as one run (config `groups:`); absent: none. */
  groups?: RunGroup[];
}

export interface NotifyConfig {
  /** Event kinds that notify. */
  on: EventKind[];
  bell: boolean;
  /** OSC 9 / OSC 777 desktop notifications through the terminal (and through tmux). */
  desktop: 'off' | 'auto' | 'on';
  /** A program per event (argv, no shell); empty: none. */
  exec: string[];
}

export const DEFAULTS = {
  stallAfterMs: 10 * 60_000,
  refresh: { runsMs: 5_000, gpusMs: 2_000, checkpointsMs: 30_000 },
  scrollback: 100_000,
  gpuIdleAfterMs: 5 * 60_000,
} as const;

export const defaultNotify = (): NotifyConfig => ({ on: [...DEFAULT_NOTIFY_ON], bell: true, desktop: 'auto', exec: [] });

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `10m`, `5s`, `1.5h`, `500ms` -> milliseconds; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

const duration = z.string({ error: 'expected a duration like 10m, 5s or 500ms' }).transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 10m, 5s or 500ms, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return ms;
});

// A host name becomes the HOST of HOST:SESSION run ids, so it cannot hold ':' or blanks; it is shown
// everywhere, so no control character; and a run id starting with '-' would read as a flag.
const hostName = z
  .string()
  .min(1)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\s:\x00-\x1f\x7f-\x9f]+$/, { message: 'a host name cannot contain ":", blanks or control characters' })
  .regex(/^[^-]/, { message: 'a host name cannot start with "-"' });

const nonEmpty = z.string().min(1);

export const hostSchema = z
  .object({
    name: hostName.optional(),
    ssh: nonEmpty.optional(),
    jump: nonEmpty.optional(),
    identityFile: nonEmpty.optional(),
    tmuxSocket: nonEmpty.nullable().optional(),
    local: z.boolean().optional(),
    gpuSource: z.enum(['nvidia-smi', 'gpustat']).optional(),
    resume: z.array(z.string()).min(1).optional(),
    /**
     * slurm: a cluster's login node, its runs the user's jobs (no check); tmux: never a Slurm host.
     * Unset: a Slurm host when its Slurm client works (squeue on PATH, SLURM_CONF or a slurm.conf at a
     * usual path, `squeue -u ME` exits 0; sources/scheduler-detect.ts), else tmux. A configless cluster
     * (controller found through DNS SRV records) is not found by itself: say slurm.
     */
    scheduler: z.enum(['slurm', 'tmux']).optional(),
  })
  .strict();

export const runMetaSchema = z
  .object({
    run: nonEmpty,
    log: nonEmpty.optional(),
    checkpoints: nonEmpty.optional(),
    resume: z.array(z.string()).min(1).optional(),
  })
  .strict();

export const notifySchema = z
  .object({
    on: z.array(z.enum(EVENT_KINDS, { error: `expected event kinds: ${EVENT_KINDS.join(', ')}` })).optional(),
    bell: z.boolean().optional(),
    desktop: z.enum(['off', 'auto', 'on']).optional(),
    exec: z.array(z.string().min(1)).optional(),
  })
  .strict();

const keyBinding = z.union([z.string().min(1), z.array(z.string().min(1))], {
  error: 'expected a key or a list of keys',
});

// name -> [HOST:SESSION, ...], rank 0 first; names and parts are checked in load.ts (groups.ts)
const groupsSchema = z.record(
  z.string(),
  z.array(z.string({ error: 'expected HOST:SESSION' }), { error: 'expected a list of HOST:SESSION' }).min(1),
  { error: 'expected a mapping of group name to a list of HOST:SESSION' },
);

export const configSchema = z
  .object({
    hosts: z.array(hostSchema).optional(),
    runs: z.array(runMetaSchema).optional(),
    stallAfter: duration.optional(),
    refresh: z
      .object({ runs: duration.optional(), gpus: duration.optional(), checkpoints: duration.optional() })
      .strict()
      .optional(),
    keys: z.record(z.string(), keyBinding).optional(),
    scrollback: z.number().int().positive().optional(),
    gpuIdleAfter: duration.optional(),
    notify: notifySchema.optional(),
    resume: z.array(z.string()).min(1).optional(),
    groups: groupsSchema.optional(),
  })
  .strict();

export type ConfigFile = z.output<typeof configSchema>;

/**
 * The name shown for an ssh destination: the alias itself, or the host part of user@host[:port]
 * (a ':' would break HOST:SESSION ids).
 */
export function nameForSsh(ssh: string): string {
  let rest = ssh.includes('@') ? ssh.slice(ssh.lastIndexOf('@') + 1) : ssh;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    rest = close > 0 ? rest.slice(1, close) : rest.slice(1);
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0 && rest.indexOf(':', colon + 1) < 0) rest = rest.slice(0, colon);
  }
  return rest.replaceAll(':', '_') || ssh.replaceAll(':', '_');
}

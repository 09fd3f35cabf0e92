// Is a host without a `scheduler` key a Slurm login node (DESIGN section 3)? Only when its Slurm client
// works: squeue on PATH, a configuration the client reaches without the network ($SLURM_CONF, or one of
// the usual slurm.conf paths: a configless cluster finds its controller through DNS SRV records, a
// lookup that can hang for seconds, and says `scheduler: slurm` instead), and `squeue -u ME` exiting 0.
// A machine with slurm-wlm installed but no cluster (squeue on PATH, no slurm.conf) stays a tmux host,
// and squeue is not even run there. The check is a few shell lines folded into the first tmux poll of a
// host (runs.ts buildPollScript): no exec of its own; the answer is kept per Host object, so a new
// connection (a reconnect) may check again.
import { randomBytes } from 'node:crypto';
import type { HostSpec } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { shq } from '../remote/quote.js';
import { tmuxCommand } from '../remote/tmux-control.js';

export type Scheduler = 'slurm' | 'tmux';

/** Where a Slurm client finds its configuration when SLURM_CONF is not set (Debian/Ubuntu, RHEL, source builds). */
export const SLURM_CONF_PATHS: readonly string[] = ['/etc/slurm/slurm.conf', '/etc/slurm-llnl/slurm.conf', '/usr/local/etc/slurm.conf'];

/** Seconds squeue may take before the host is taken for a tmux host. */
export const SQUEUE_TIMEOUT_S = 10;

/**
 * Shell lines that print `@@NONCE sched slurm` or `@@NONCE sched tmux` (the nonce read from $N, as in
 * the runs poll script). `confPaths` are the configuration files looked for (a test passes its own).
 */
export function detectSchedulerScript(confPaths: readonly string[] = SLURM_CONF_PATHS, tmux = 'tmux'): string {
  const conf = confPaths.map((p) => `[ -f ${shq(p)} ]`);
  return [
    `sched=tmux`,
    // a host with tmux sessions stays a tmux host (a workstation that is also a Slurm node, a compute
    // node reached by ssh): its runs must not vanish behind the jobs (scheduler: slurm says otherwise)
    `if ${tmux} list-sessions >/dev/null 2>&1; then :`,
    `elif command -v squeue >/dev/null 2>&1 && { [ -n "\${SLURM_CONF:-}" ]${conf.map((c) => ` || ${c}`).join('')}; }; then`,
    `  if command -v timeout >/dev/null 2>&1; then to="timeout ${SQUEUE_TIMEOUT_S}"; else to=; fi`,
    // a cluster that did not answer in time is not taken for "no cluster" for good: unsure
    `  if $to squeue -h -u "$(id -un 2>/dev/null)" -o %i </dev/null >/dev/null 2>&1; then sched=slurm; else sched=unsure; fi`,
    `fi`,
    `printf '@@%s sched %s\\n' "$N" "$sched"`,
  ].join('\n');
}

/** The answer of detectSchedulerScript in a command's output; null when the section is not there. */
export function parseDetected(out: Buffer | string, nonce: string): Scheduler | 'unsure' | null {
  const text = typeof out === 'string' ? out : out.toString('latin1');
  const m = new RegExp(`(?:^|\\n)@@${nonce} sched (slurm|tmux|unsure)\\n`).exec(text);
  return m ? (m[1] as Scheduler | 'unsure') : null;
}

/** What was found on each host: absent until its first poll said. */
const found = new WeakMap<Host, { s: Scheduler; until: number }>();
/** A Slurm client that did not answer: taken for tmux for this long, then asked again. */
const UNSURE_MS = 5 * 60_000;

export function rememberScheduler(host: Host, s: Scheduler | 'unsure', now = Date.now()): void {
  found.set(host, s === 'unsure' ? { s: 'tmux', until: now + UNSURE_MS } : { s, until: Infinity });
}

function foundOf(host: Host, now = Date.now()): Scheduler | null {
  const f = found.get(host);
  return f === undefined || f.until < now ? null : f.s;
}

/** Forget what was found (the host's setup may have changed): the next poll checks again. */
export function forgetScheduler(host: Host): void {
  found.delete(host);
}

/**
 * The host's scheduler as far as it is known now: the config's when it says, else what its first poll
 * found, else null (not checked yet on this connection).
 */
export function knownScheduler(host: Host, spec: HostSpec): Scheduler | null {
  return spec.scheduler ?? foundOf(host);
}

/**
 * The spec as the host turned out, for code that reads spec.scheduler === 'slurm' (commands: resolve,
 * logs, kill, new): `scheduler: slurm` set where it was found; else the spec itself.
 */
export function effectiveSpec(host: Host, spec: HostSpec): HostSpec {
  return spec.scheduler === undefined && foundOf(host) === 'slurm' ? { ...spec, scheduler: 'slurm' } : spec;
}

/** `slurm`, `tmux`, or `slurm (found)` where it was found rather than configured: for the host detail and ls. */
export function schedulerText(configured: Scheduler | undefined, found: Scheduler | null): string | null {
  if (configured !== undefined) return configured;
  return found === null ? null : `${found} (found)`;
}

/** Ask the host on its own (for a command that does not poll first): one exec, then cached. */
export async function detectScheduler(host: Host, spec: HostSpec): Promise<Scheduler> {
  const known = knownScheduler(host, spec);
  if (known !== null) return known;
  const nonce = randomBytes(8).toString('hex');
  const res = await host.exec(`N=${shq(nonce)}\n${detectSchedulerScript(SLURM_CONF_PATHS, tmuxCommand(spec))}`, { timeoutMs: (SQUEUE_TIMEOUT_S + 10) * 1000, maxBytes: 64 * 1024 });
  const s = res.ok ? parseDetected(res.value.stdout, nonce) : null;
  if (s === null) return 'tmux';
  rememberScheduler(host, s);
  return s === 'unsure' ? 'tmux' : s;
}

// RUN arguments -> a host and a session: HOST:SESSION, or a bare SESSION that exists on exactly one host.
import { homedir } from 'node:os';
import type { Config } from '../config/schema.js';
import { err, ok, type HostSpec, type Result, type RtkError } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { openHost } from '../remote/index.js';
import { addCliHosts } from '../config/load.js';
import { findGroup, partId } from '../parse/groups.js';
import { didYouMean } from '../parse/suggest.js';
import { isNoServerMessage } from '../parse/tmux.js';
import { shq } from '../remote/quote.js';
import { selfSessionScript } from '../sources/runs.js';
import { tmuxCommand } from '../remote/tmux-control.js';
import { listSlurmJobs } from '../sources/slurm.js';
import { resolveStdout } from '../parse/slurm-paths.js';
import { detectSchedulerScript, effectiveSpec, knownScheduler, parseDetected, rememberScheduler, SLURM_CONF_PATHS } from '../sources/scheduler-detect.js';
import { randomBytes } from 'node:crypto';

export interface ResolvedRun {
  host: Host;
  spec: HostSpec;
  session: string;
  runId: string;
  /**
   * tmux's id of the session (`$3`), the only target that is always exact: tmux reads a target
   * `=NAME` whose NAME starts with `$` as a session *id*, so `=$0` can hit another session.
   */
  sessionId: string;
  /** RUN named a group (config groups): this is its rank 0 part (its first listed). */
  group?: string;
  /** A Slurm job's StdOut, where the run is a job (`scheduler: slurm`): its log, as ls shows it. */
  log?: string | null;
}

/** One Host per configured host (connections are opened lazily by the first exec). */
export function openHosts(cfg: Config, env: NodeJS.ProcessEnv): Map<string, Host> {
  const henv = { home: env.HOME ?? homedir(), env };
  return new Map(cfg.hosts.map((spec) => [spec.name, openHost(spec, henv)]));
}

/** Close every host, never throwing: the process must be free to exit. */
export async function closeHosts(hosts: Map<string, Host>): Promise<void> {
  await Promise.all([...hosts.values()].map((h) => h.close().catch(() => undefined)));
}

/** The sessions on a host (an empty list when its tmux server is not running), but the one rtk-tui runs in.
 * On a Slurm host (`scheduler: slurm`, or found to be one: sources/scheduler-detect.ts, checked in the
 * same exec when not known yet) the runs are the user's jobs: `7`, array tasks `3_2`. */
export async function listSessions(host: Host, spec: HostSpec): Promise<Result<{ id: string; name: string; log?: string | null }[]>> {
  const known = knownScheduler(host, spec);
  const slurmJobs = async () => {
    const jobs = await listSlurmJobs(host, spec);
    return jobs.ok ? ok(jobs.value.map((j) => ({ id: j.id, name: j.id, log: resolveStdout(j) }))) : jobs;
  };
  if (known === 'slurm') return slurmJobs();
  const t = tmuxCommand(spec);
  const nonce = randomBytes(8).toString('hex');
  // after the listing (a login node may have no tmux: its answer is then not read)
  const detect = known === null ? `N=${nonce}\n${detectSchedulerScript(SLURM_CONF_PATHS, t)}\n` : '';
  const script = `${t} list-sessions -F ${shq('#{session_id}\t#{session_name}')} 2>&1; rc=$?\n${selfSessionScript(t, `self\\t%s\\n'`)}\n${detect}exit $rc`;
  const r = await host.exec(script, { timeoutMs: 20_000 });
  if (!r.ok) return r;
  if (known === null) {
    const found = parseDetected(r.value.stdout, nonce);
    if (found !== null) rememberScheduler(host, found);
    if (found === 'slurm') return slurmJobs();
  }
  const text = r.value.stdout.toString('utf8');
  if (r.value.code !== 0) {
    if (isNoServerMessage(text)) return ok([]);
    if (r.value.code === 127) return err('exit', `tmux is not installed on ${spec.name}`, { code: 127 });
    return err('exit', `tmux failed on ${spec.name}: ${text.trim().split('\n')[0] ?? ''}`, { code: r.value.code });
  }
  // tmux stores names with control characters escaped (a tab is `\t`), so one line per session is exact
  const out: { id: string; name: string }[] = [];
  let self: string | null = null;
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0 && /^\$\d+$/.test(line.slice(0, tab))) out.push({ id: line.slice(0, tab), name: line.slice(tab + 1) });
    else if (line.startsWith('self\t')) self = line.slice(5);
  }
  return ok(out.filter((s) => s.id !== self));
}

/** The session names on a host. */
export async function listSessionNames(host: Host, spec: HostSpec): Promise<Result<string[]>> {
  const r = await listSessions(host, spec);
  return r.ok ? ok(r.value.map((s) => s.name)) : r;
}

export async function resolveRun(id: string, cfg: Config, hosts: Map<string, Host>, env?: NodeJS.ProcessEnv): Promise<Result<ResolvedRun>> {
  if (id === '') return err('usage', 'RUN is empty (expected HOST:SESSION or SESSION)');
  const group = findGroup(cfg.groups, id);
  if (group) return resolveGroupPart(group.name, partId(group.parts[0]!), cfg, hosts, env);
  // the LAST colon: tmux keeps no ':' in a session name, and a host may be user@host:port or [v6]:port
  const colon = id.lastIndexOf(':');
  const byName = new Map(cfg.hosts.map((h) => [h.name, h]));
  if (colon >= 0) {
    const hostName = id.slice(0, colon);
    const session = id.slice(colon + 1);
    let spec = byName.get(hostName) ?? cfg.hosts.find((h) => h.ssh === hostName);
    if (!spec && env) {
      // not a configured host: an ssh alias or user@host[:port], as push/pull take it
      const added = addCliHosts({ ...cfg, hosts: [] }, [hostName]);
      if (!added.ok) return err('not-found', `run ${id}: ${hostName} is not a configured host (${cfg.hosts.map((h) => h.name).join(', ') || 'none'}) nor an ssh destination: ${added.error.message}`);
      spec = added.value.hosts[0];
      if (spec && !hosts.has(spec.name)) hosts.set(spec.name, openHost(spec, { home: env.HOME ?? homedir(), env }));
    }
    if (!spec) {
      return err('not-found', `run ${id}: no host named ${hostName} (hosts: ${cfg.hosts.map((h) => h.name).join(', ') || 'none'})${didYouMean(hostName, byName.keys())}`);
    }
    const host = hosts.get(spec.name);
    if (!host) return err('not-found', `run ${id}: host ${spec.name} is not open`);
    const list = await listSessions(host, spec);
    if (!list.ok) return list;
    // a host found to be a Slurm login node acts as one (kill, logs, attach read spec.scheduler)
    spec = effectiveSpec(host, spec);
    const hit = list.value.find((x) => x.name === session);
    if (!hit) {
      const near = didYouMean(session, list.value.map((x) => x.name));
      const what = spec.scheduler === 'slurm' ? `no job of yours with id ${JSON.stringify(session)} (squeue)` : `no tmux session named ${JSON.stringify(session)}`;
      return err('not-found', `run ${id} not found: ${spec.name} has ${what}${near}`);
    }
    return ok({ host, spec, session, runId: `${spec.name}:${session}`, sessionId: hit.id, ...(hit.log !== undefined ? { log: hit.log } : {}) });
  }
  const found: ResolvedRun[] = [];
  const failed: { name: string; error: RtkError }[] = [];
  const all: string[] = [];
  await Promise.all(
    cfg.hosts.map(async (spec) => {
      const host = hosts.get(spec.name);
      if (!host) return;
      const list = await listSessions(host, spec);
      if (!list.ok) failed.push({ name: spec.name, error: list.error });
      else {
        all.push(...list.value.map((x) => x.name));
        const hit = list.value.find((x) => x.name === id);
        if (hit) found.push({ host, spec: effectiveSpec(host, spec), session: id, runId: `${spec.name}:${id}`, sessionId: hit.id, ...(hit.log !== undefined ? { log: hit.log } : {}) });
      }
    }),
  );
  if (found.length === 1) return ok(found[0]!);
  if (found.length > 1) {
    const ids = found.map((f) => f.runId).sort();
    return err('usage', `run ${id} is ambiguous: say which one (${ids.join(', ')})`);
  }
  if (failed.length > 0 && failed.length === cfg.hosts.length) return { ok: false, error: failed[0]!.error };
  const unchecked = failed.length ? ` (could not check ${failed.map((f) => f.name).join(', ')})` : '';
  return err('not-found', `run ${id} not found on ${cfg.hosts.map((h) => h.name).join(', ')}${unchecked}${didYouMean(id, all)}`);
}

/** A group's RUN is its rank 0 part (log, checkpoints, card, attach); a group's name wins over a bare
 * SESSION of that name (HOST:SESSION still names the session). */
async function resolveGroupPart(group: string, part: string, cfg: Config, hosts: Map<string, Host>, env?: NodeJS.ProcessEnv): Promise<Result<ResolvedRun>> {
  const r = await resolveRun(part, cfg, hosts, env);
  if (!r.ok) return { ok: false, error: { ...r.error, message: `group ${group}: ${r.error.message}` } };
  return ok({ ...r.value, group });
}

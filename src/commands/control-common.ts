// Shared by attach, new and kill: flag parsing, finding the host, asking on the terminal.
import { createInterface } from 'node:readline';
import { loadConfig, addCliHosts, type Config } from '../config/load.js';
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import { openHost, type HostEnv } from '../remote/index.js';
import type { Host } from '../remote/host.js';
import type { CommandContext } from './context.js';
import { findGroup, partId } from '../parse/groups.js';
import { closeHosts, openHosts, resolveRun } from './resolve.js';

export interface ParsedFlags {
  positional: string[];
  /** Values of flags that take one. */
  values: Record<string, string>;
  /** Flags without a value that were given. */
  switches: Set<string>;
  /** Words after `--`, verbatim (null when there was no `--`). */
  rest: string[] | null;
}

/**
 * Parse `argv` against known flags. `--flag VALUE` and `--flag=VALUE` both work; the first word
 * that is not a flag, with `stopAtPositional` set after `positionalsBeforeRest` words, starts the rest.
 */
export function parseFlags(
  cmd: string,
  argv: string[],
  spec: { values?: string[]; switches?: string[]; aliases?: Record<string, string> },
): Result<ParsedFlags> {
  const out: ParsedFlags = { positional: [], values: {}, switches: new Set(), rest: null };
  const values = new Set(spec.values ?? []);
  const switches = new Set(spec.switches ?? []);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      let flag = eq > 0 ? a.slice(0, eq) : a;
      flag = spec.aliases?.[flag] ?? flag;
      if (switches.has(flag)) {
        if (eq > 0) return err('usage', `${cmd}: ${flag} takes no value`);
        out.switches.add(flag);
        continue;
      }
      if (values.has(flag)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined || v === '') return err('usage', `${cmd}: ${flag} needs a value`);
        out.values[flag] = v;
        continue;
      }
      return err('usage', `${cmd}: unknown flag ${flag} (see rtk-tui ${cmd} --help)`);
    }
    out.positional.push(a);
  }
  return ok(out);
}

export function hostEnvOf(ctx: CommandContext): HostEnv {
  return { home: ctx.env.HOME ?? '/', env: ctx.env };
}

/** The config without the global --host hosts (the control commands read --host themselves). */
export function configWithoutCliHosts(ctx: CommandContext): Result<Config> {
  return loadConfig({ ...ctx.global, hosts: [] }, ctx.env);
}

/** The config as every command sees it (with the --host hosts added). */
export function configOf(ctx: CommandContext): Result<Config> {
  return loadConfig(ctx.global, ctx.env);
}

/**
 * `--host H` of new: a configured host's name, else a configured host's ssh alias, else `local`,
 * else an ssh alias or user@host[:port] used as given.
 */
export function pickHost(cfg: Config, h: string): Result<HostSpec> {
  const byName = cfg.hosts.find((x) => x.name === h);
  if (byName) return ok(byName);
  const bySsh = cfg.hosts.find((x) => x.ssh === h);
  if (bySsh) return ok(bySsh);
  if (h === 'local') return ok({ name: 'local', local: true });
  const added = addCliHosts({ ...cfg, hosts: [] }, [h]);
  if (!added.ok) return added;
  const spec = added.value.hosts[0];
  return spec ? ok(spec) : err('usage', `--host ${JSON.stringify(h)} is not a host name, ssh alias or user@host[:port]`);
}

export function openOne(spec: HostSpec, ctx: CommandContext): Host {
  return openHost(spec, hostEnvOf(ctx));
}

/** Ask one question on the terminal; resolves with the line typed (null on EOF / Ctrl-D). */
export function ask(ctx: CommandContext, question: string): Promise<string | null> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: ctx.stdin.isTTY === true });
    let answered = false;
    rl.question(question, (a) => {
      answered = true;
      rl.close();
      resolve(a);
    });
    rl.on('close', () => {
      if (!answered) {
        ctx.stderr.write('\n');
        resolve(null);
      }
    });
  });
}

/** "3 h 12 min", "45 min", "20 s". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export interface ResolvedTarget {
  host: Host;
  spec: HostSpec;
  session: string;
  runId: string;
  /** Every host opened for the lookup (close them all when done). */
  opened: Host[];
}

/** RUN as HOST:SESSION, or a SESSION that exists on exactly one host (C's resolveRun). */
export async function resolveTarget(ctx: CommandContext, id: string, opts: { group?: 'rank0' } = {}): Promise<Result<ResolvedTarget>> {
  const cfg = configOf(ctx);
  if (!cfg.ok) return cfg;
  // a group is several sessions: only a command that says so acts on its rank 0 alone
  const group = findGroup(cfg.value.groups, id);
  if (group && opts.group !== 'rank0')
    return err('usage', `${id} is a group of ${group.parts.length} sessions (${group.parts.map(partId).join(', ')}): name one of them as HOST:SESSION`);
  const hosts = openHosts(cfg.value, ctx.env);
  const r = await resolveRun(id, cfg.value, hosts, ctx.env);
  if (!r.ok) {
    await closeHosts(hosts);
    return r;
  }
  return ok({ ...r.value, opened: [...hosts.values()] });
}

// Finding, reading and validating the config file. Every error names file:line:col and what was expected.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { GlobalOptions } from '../commands/context.js';
import { parseDestination, parseProxyJump } from '../parse/ssh-destination.js';
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import {
  DEFAULTS,
  defaultNotify,
  notifySchema,
  configSchema,
  hostSchema,
  nameForSsh,
  runMetaSchema,
  type Config,
  type ConfigFile,
  type RunMeta,
} from './schema.js';
import { buildGroups } from './groups.js';

export type { Config, RunMeta } from './schema.js';

/** Which file to read, and whether its absence is an error (it is when the user named it). */
export function configPath(global: Pick<GlobalOptions, 'config'>, env: NodeJS.ProcessEnv): { path: string; explicit: boolean; from: string } | null {
  if (global.config) return { path: resolve(global.config), explicit: true, from: '--config' };
  if (env.RTK_TUI_CONFIG) return { path: resolve(env.RTK_TUI_CONFIG), explicit: true, from: '$RTK_TUI_CONFIG' };
  if (env.XDG_CONFIG_HOME) return { path: join(env.XDG_CONFIG_HOME, 'rtk-tui', 'config.yaml'), explicit: false, from: 'XDG' };
  if (env.HOME) return { path: join(env.HOME, '.config', 'rtk-tui', 'config.yaml'), explicit: false, from: 'HOME' };
  return null;
}

export function loadConfig(global: GlobalOptions, env: NodeJS.ProcessEnv): Result<Config> {
  const where = configPath(global, env);
  let base: Result<Config>;
  if (where && existsSync(where.path)) {
    let text: string;
    try {
      if (statSync(where.path).isDirectory()) return err('config', `config file ${where.path} is a directory`);
      text = readFileSync(where.path, 'utf8');
    } catch (e) {
      return err('config', `cannot read config file ${where.path}: ${(e as Error).message}`, { cause: e });
    }
    base = parseConfig(text, where.path);
  } else if (where?.explicit) {
    return err('config', `config file ${where.path} (from ${where.from}) does not exist`);
  } else {
    // no config: hosts named on the command line are the only hosts (this machine only when asked:
    // `local`); with none named, this machine
    base = ok(global.hosts.length > 0 ? { ...defaultConfig(null), hosts: [] } : defaultConfig(null));
  }
  if (!base.ok) return base;
  return addCliHosts(base.value, global.hosts);
}

/**
 * The monitor's HOST arguments: exactly these hosts. A configured host's name (or its ssh alias) is
 * that host with its settings; `local` is this machine; anything else is an ssh alias or
 * user@host[:port].
 */
export function selectHosts(cfg: Config, names: readonly string[]): Result<Config> {
  if (names.length === 0) return ok(cfg);
  const picked: HostSpec[] = [];
  for (const n of names) {
    const known = cfg.hosts.find((h) => h.name === n) ?? cfg.hosts.find((h) => h.ssh === n);
    if (known) {
      if (!picked.includes(known)) picked.push(known);
      continue;
    }
    const added = addCliHosts({ ...cfg, hosts: picked }, [n]);
    if (!added.ok) return added;
    picked.splice(0, picked.length, ...added.value.hosts);
  }
  // a group none of whose hosts is monitored is not shown (its parts would all read as unreachable)
  const groups = cfg.groups?.filter((g) => g.parts.some((p) => picked.some((h) => h.name === p.host)));
  return ok({ ...cfg, hosts: picked, ...(groups !== undefined ? { groups } : {}) });
}

export function defaultConfig(path: string | null): Config {
  return {
    path,
    hosts: [{ name: 'local', local: true }],
    runs: [],
    stallAfterMs: DEFAULTS.stallAfterMs,
    refresh: { ...DEFAULTS.refresh },
    keys: {},
    scrollback: DEFAULTS.scrollback,
    gpuIdleAfterMs: DEFAULTS.gpuIdleAfterMs,
    notify: defaultNotify(),
    resume: null,
  };
}

/** `--host` values add ssh hosts; one already configured under that name (same destination) is kept once. */
export function addCliHosts(cfg: Config, hosts: readonly string[]): Result<Config> {
  const out = [...cfg.hosts];
  for (const h of hosts) {
    if (h === 'local') {
      if (!out.some((x) => x.local)) out.push({ name: 'local', local: true });
      continue;
    }
    if (!h || /\s/.test(h)) return err('usage', `--host ${JSON.stringify(h)} is not an ssh alias or user@host[:port]`);
    const d = parseDestination(h);
    if (!d.ok) return err('usage', `--host: ${d.error.message}`);
    const name = nameForSsh(h);
    const same = out.find((x) => x.name === name);
    if (same) {
      if (same.ssh === h) continue;
      return err('usage', `--host ${h} clashes with the host named ${name} in the config`);
    }
    out.push({ name, local: false, ssh: h });
  }
  return ok({ ...cfg, hosts: out });
}

type Path = (string | number)[];

/** Parse and validate the text of a config file; `file` only labels the errors. */
export function parseConfig(text: string, file: string): Result<Config> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): string => {
    const p = lc.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  const bad = doc.errors[0];
  if (bad) {
    const first = bad.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return err('config', `${at(bad.pos[0])}: malformed YAML: ${first}`);
  }
  const data: unknown = doc.contents === null ? {} : doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const start = doc.contents?.range?.[0] ?? 0;
    return err('config', `${at(start)}: expected a mapping with keys ${knownKeys([]).join(', ')}`);
  }
  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return err('config', describeIssue(issue, doc, at, data));
  }
  return buildConfig(parsed.data, file, doc, at);
}

function buildConfig(f: ConfigFile, file: string, doc: Document, at: (o: number) => string): Result<Config> {
  const cfg = defaultConfig(file);
  const hosts: HostSpec[] = [];
  const seen = new Map<string, number>();
  for (const [i, h] of (f.hosts ?? []).entries()) {
    const here = (key?: string) => at(positionOf(doc, key ? ['hosts', i, key] : ['hosts', i]));
    if (h.local === true && h.ssh !== undefined)
      return err('config', `${here('ssh')}: hosts[${i}] has both local: true and ssh (expected one of them)`);
    if (h.local !== true && h.ssh === undefined)
      return err('config', `${here()}: hosts[${i}] needs ssh: ALIAS or user@host[:port] (or local: true)`);
    // a value ssh would read as an option (-oProxyCommand=...) is never a destination
    if (h.ssh !== undefined) {
      const d = parseDestination(h.ssh);
      if (!d.ok) return err('config', `${here('ssh')}: hosts[${i}].ssh: ${d.error.message}`);
    }
    if (h.jump !== undefined) {
      const j = parseProxyJump(h.jump);
      if (!j.ok) return err('config', `${here('jump')}: hosts[${i}].jump: ${j.error.message}`);
    }
    const name = h.name ?? (h.ssh !== undefined ? nameForSsh(h.ssh) : 'local');
    if (seen.has(name))
      return err('config', `${here('name')}: host name ${name} is used twice (hosts[${seen.get(name)}] and hosts[${i}])`);
    seen.set(name, i);
    const spec: HostSpec = { name, local: h.local === true };
    if (h.ssh !== undefined) spec.ssh = h.ssh;
    if (h.jump !== undefined) spec.jump = h.jump;
    if (h.identityFile !== undefined) spec.identityFile = h.identityFile;
    if (h.tmuxSocket !== undefined) spec.tmuxSocket = h.tmuxSocket;
    if (h.gpuSource !== undefined) spec.gpuSource = h.gpuSource;
    if (h.resume !== undefined) spec.resume = h.resume;
    if (h.scheduler !== undefined) spec.scheduler = h.scheduler;
    hosts.push(spec);
  }
  if (f.hosts !== undefined) cfg.hosts = hosts;
  cfg.runs = (f.runs ?? []).map((r): RunMeta => {
    const m: RunMeta = { run: r.run };
    if (r.log !== undefined) m.log = r.log;
    if (r.checkpoints !== undefined) m.checkpoints = r.checkpoints;
    if (r.resume !== undefined) m.resume = r.resume;
    return m;
  });
  if (f.stallAfter !== undefined) cfg.stallAfterMs = f.stallAfter;
  if (f.refresh?.runs !== undefined) cfg.refresh.runsMs = f.refresh.runs;
  if (f.refresh?.gpus !== undefined) cfg.refresh.gpusMs = f.refresh.gpus;
  if (f.refresh?.checkpoints !== undefined) cfg.refresh.checkpointsMs = f.refresh.checkpoints;
  if (f.keys !== undefined) cfg.keys = f.keys;
  if (f.scrollback !== undefined) cfg.scrollback = f.scrollback;
  if (f.gpuIdleAfter !== undefined) cfg.gpuIdleAfterMs = f.gpuIdleAfter;
  if (f.resume !== undefined) cfg.resume = f.resume;
  if (f.groups !== undefined) {
    const g = buildGroups(f.groups, cfg.hosts, (path, keyOf) => at(positionOf(doc, path, keyOf)));
    if (!g.ok) return g;
    cfg.groups = g.value;
  }
  if (f.notify !== undefined) {
    const n = f.notify;
    cfg.notify = {
      on: n.on ?? cfg.notify.on,
      bell: n.bell ?? cfg.notify.bell,
      desktop: n.desktop ?? cfg.notify.desktop,
      exec: n.exec ?? cfg.notify.exec,
    };
  }
  return ok(cfg);
}

function knownKeys(path: Path): string[] {
  const shape = (s: z.ZodObject): string[] => Object.keys(s.shape);
  const norm = path.filter((p) => typeof p === 'string').join('.');
  if (norm === 'hosts') return shape(hostSchema);
  if (norm === 'runs') return shape(runMetaSchema);
  if (norm === 'refresh') return ['runs', 'gpus', 'checkpoints'];
  if (norm === 'notify') return shape(notifySchema);
  return shape(configSchema);
}

function pathText(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s || 'the top level';
}

/** Offset of the node at `path`, or of the nearest ancestor that exists. */
function positionOf(doc: Document, path: Path, keyOf?: string): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (keyOf !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === keyOf);
      const key = pair && isScalar(pair.key) ? pair.key : null;
      if (key?.range) return key.range[0];
    }
    if (node && typeof node === 'object' && node.range) return node.range[0];
  }
  return 0;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v === 'number' ? 'the number' : 'the value'} ${String(v)}`;
}

function valueAt(data: unknown, path: Path): { found: boolean; value: unknown } {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || !(p in (cur as object))) return { found: false, value: undefined };
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return { found: true, value: cur };
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function describeIssue(issue: z.core.$ZodIssue, doc: Document, at: (o: number) => string, data: unknown): string {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const name = pathText(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const where = at(positionOf(doc, path, key));
      const full = pathText([...path, key]);
      return `${where}: ${full} is not a known key (expected one of ${knownKeys(path).join(', ')})`;
    }
    case 'invalid_type': {
      const v = valueAt(data, path);
      const where = at(positionOf(doc, path));
      // a schema-specific wording ("expected a duration like 10m ...") beats the bare type name
      const want = issue.message.startsWith('expected ')
        ? issue.message.slice('expected '.length)
        : (EXPECTED[issue.expected] ?? issue.expected);
      if (!v.found) return `${where}: ${name} is required (expected ${want})`;
      return `${where}: ${name} must be ${want}, not ${typeName(v.value)}`;
    }
    case 'invalid_value':
      return `${at(positionOf(doc, path))}: ${name} must be one of ${issue.values.map((x) => String(x)).join(', ')}`;
    case 'invalid_union':
      return `${at(positionOf(doc, path))}: ${name}: ${issue.message}`;
    case 'too_small':
      return `${at(positionOf(doc, path))}: ${name} ${
        issue.origin === 'string' || issue.origin === 'array'
          ? 'cannot be empty'
          : `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`
      }`;
    default:
      return `${at(positionOf(doc, path))}: ${name}: ${issue.message}`;
  }
}

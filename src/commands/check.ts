// rtk-tui check --host H [--file check.yaml] [flags]: pre-flight checks on a host, in two execs
// (the GPU query and one probe script for everything else), one line per check with a fix.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandContext, CommandResult } from './context.js';
import { useColor } from './context.js';
import { mergeSpecs, parseCheckFile, parseCheckFlags, specIsEmpty, type CheckSpec } from '../config/check-file.js';
import { err, ok, type GpuHostReport, type HostSpec, type HostStatus, type Result, type RtkError } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { openHost, processHostEnv, statusOf } from '../remote/index.js';
import { hashLocalFile } from '../remote/transfer.js';
import { safeText } from '../parse/terminal.js';
import { collectGpus } from '../sources/gpus.js';
import { buildProbe, parseProbe, type ProbeRequest } from './check-probe.js';
import { diskLine, envLine, fileLine, formatLine, gpuLine, modelLine, runLine, summarize, type CheckLine, type LocalFile } from './check-eval.js';
import { resolveHostSpec } from './transfer-cli.js';
import { toJson } from './json.js';

export interface HostChecks {
  name: string;
  status: HostStatus;
  error: string | null;
  ok: boolean;
  summary: { passed: number; warnings: number; failed: number };
  checks: CheckLine[];
}

function localFile(path: string): LocalFile {
  try {
    const st = statSync(path);
    return st.isFile() ? { kind: 'ok', size: st.size, hash: null } : { kind: 'not-file' };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'missing' } : { kind: 'error', message: (e as Error).message };
  }
}

/** Every check of `spec` against one host. Never rejects: a host that cannot be reached is a result. */
export async function runHostChecks(host: Host, hostSpec: HostSpec, spec: CheckSpec): Promise<HostChecks> {
  const hostLabel = hostSpec.name;
  const locals = spec.files.map((f) => localFile(f.local));
  const abort = new AbortController();
  // local hashes start now, alongside the remote probe, and stop when the sizes already differ
  const hashes = locals.map((l, i) =>
    l.kind === 'ok' ? hashLocalFile(spec.files[i]!.local, spec.hash, { signal: abort.signal }).catch(() => null) : Promise.resolve(null),
  );
  const req: ProbeRequest = {
    disk: spec.disk.map((d) => d.dir),
    files: spec.files.map((f, i) => ({ remote: f.remote, size: locals[i]!.kind === 'ok' ? (locals[i] as { size: number }).size : null })),
    hash: spec.hash,
    models: spec.models,
    env: spec.env,
    run: spec.run,
  };
  const bytes = locals.reduce((a, l) => a + (l.kind === 'ok' ? l.size : 0), 0);
  const timeoutMs = 60_000 + spec.run.reduce((a, r) => a + (r.timeoutSeconds + 5) * 1000, 0) + Math.ceil(bytes / (40 * 1024 * 1024)) * 1000;
  const needProbe = spec.disk.length + spec.files.length + spec.models.length + spec.env.length + spec.run.length > 0;
  const [probeRes, gpuRep] = await Promise.all([
    needProbe ? host.exec(buildProbe(req), { timeoutMs }) : Promise.resolve(null),
    spec.gpus ? collectGpus(host, hostSpec, []) : Promise.resolve(null as GpuHostReport | null),
  ]);
  const fail = (e: RtkError | null, message: string): HostChecks => {
    abort.abort();
    return { name: host.name, status: e ? statusOf(e) : 'unreachable', error: message, ok: false, summary: { passed: 0, warnings: 0, failed: 1 }, checks: [] };
  };
  if (probeRes && !probeRes.ok && probeRes.error.kind !== 'exit') return fail(probeRes.error, probeRes.error.message);
  if (gpuRep?.status === 'unreachable' && !needProbe) return fail(null, gpuRep.error ?? `${host.name} is unreachable`);
  const probe = parseProbe(probeRes?.ok ? probeRes.value.stdout.toString('utf8') : '', req);
  const lines: CheckLine[] = [];
  if (spec.gpus) lines.push(gpuLine(spec.gpus, gpuRep, hostLabel));
  spec.disk.forEach((d, i) => lines.push(diskLine(d, probe.disk[i] ?? null, hostLabel)));
  for (const [i, f] of spec.files.entries()) {
    const l = locals[i]!;
    const p = probe.files[i] ?? null;
    if (l.kind === 'ok' && p?.kind === 'ok' && p.size === l.size) l.hash = await hashes[i]!;
    lines.push(fileLine(f, l, p, { host: hostLabel, algo: spec.hash, hashTool: probe.hashTool }));
  }
  abort.abort();
  spec.models.forEach((m, i) => lines.push(modelLine(m, probe.models[i] ?? null, hostLabel)));
  spec.run.forEach((r, i) => lines.push(runLine(r, probe.run[i] ?? null, hostLabel)));
  for (const n of spec.env) lines.push(envLine(n, probe.env[n], hostLabel));
  const summary = summarize(lines);
  return { name: host.name, status: 'connected', error: null, ok: summary.failed === 0, summary, checks: lines };
}

function loadSpec(argv: string[], ctx: CommandContext): Result<{ spec: CheckSpec; json: boolean }> {
  const flags = parseCheckFlags(argv, ctx.cwd);
  if (!flags.ok) return flags;
  let spec = flags.value.spec;
  if (flags.value.file) {
    const path = resolve(ctx.cwd, flags.value.file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return err('config', code === 'ENOENT' ? `check file ${path} does not exist` : `cannot read check file ${path}: ${(e as Error).message}`);
    }
    const fileSpec = parseCheckFile(text, path, ctx.env.HOME ?? null);
    if (!fileSpec.ok) return fileSpec;
    spec = mergeSpecs(fileSpec.value, flags.value);
  }
  if (specIsEmpty(spec))
    return err('usage', 'check: nothing to check; give --gpus N, --gpu-free-gib M, --disk DIR:GIB, --file-match LOCAL:REMOTE, --model DIR, --run CMD, --env NAME or --file check.yaml');
  return ok({ spec, json: flags.value.json });
}

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const loaded = loadSpec(argv, ctx);
  if (!loaded.ok) return loaded;
  const { spec, json } = loaded.value;
  if (ctx.global.readonly && spec.run.length > 0)
    return err('refused', `check --run is refused in --readonly mode: it runs ${spec.run.length === 1 ? 'a command' : 'commands'} on the host (the other checks only read)`);
  const names = ctx.global.hosts.length ? ctx.global.hosts : spec.host ? [spec.host] : [];
  if (!names.length) return err('usage', 'check needs --host H (or host: in the check file)');
  const results: HostChecks[] = [];
  const color = useColor(ctx);
  for (const name of names) {
    const hs = resolveHostSpec(name, ctx);
    if (!hs.ok) return hs;
    const host = openHost(hs.value, processHostEnv(ctx.env));
    try {
      const r = await runHostChecks(host, hs.value, spec);
      results.push(r);
      if (json) continue;
      if (names.length > 1) ctx.stdout.write(`${r.name}\n`);
      if (r.error) ctx.stdout.write(`${color ? '\x1b[31m✗\x1b[0m' : '✗'} host ${r.name}: ${safeText(r.error)}\n`);
      for (const l of r.checks) ctx.stdout.write(`${formatLine(l, color)}\n`);
      if (!r.error) {
        const s = r.summary;
        ctx.stdout.write(`${r.name}: ${s.passed} passed, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.failed} failed\n`);
      }
    } finally {
      await host.close();
    }
  }
  const allOk = results.every((r) => r.ok);
  if (json) ctx.stdout.write(`${toJson({ ok: allOk, hosts: results })}\n`);
  return ok(allOk ? 0 : 1);
}

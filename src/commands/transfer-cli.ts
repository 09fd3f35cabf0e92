// What push and pull share: arguments, the host behind HOST:PATH, progress on stderr, the summary.
import type { CommandContext, CommandResult } from './context.js';
import { loadConfig } from '../config/load.js';
import type { HashAlgo } from '../config/check-file.js';
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { hostSftp, openHost, processHostEnv } from '../remote/index.js';
import { parseDestination } from '../parse/ssh-destination.js';
import { clause, safeText } from '../parse/terminal.js';
import { mib, pullPath, pushPath, type TransferOptions, type TransferProgress, type TransferSummary } from '../remote/transfer.js';
import { toJson } from './json.js';

export interface TransferArgs {
  local: string;
  host: string;
  remote: string;
  force: boolean;
  hash: HashAlgo;
  verify: boolean;
  json: boolean;
  limitBytesPerSec: number | null;
  /** Times a transfer cut off by a lost connection is resumed within this run. */
  retries: number;
}

/** "10M", "500k", "1.5G", "1048576" (bytes per second) -> number; null when not a rate. */
export function parseRate(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?\s*$/i.exec(text);
  if (!m) return null;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * mult;
  return n > 0 && Number.isFinite(n) ? n : null;
}

/** "HOST:PATH" split at the first colon (scp's rule); null when there is no host part. */
export function splitRemote(text: string): { host: string; path: string } | null {
  const i = text.indexOf(':');
  if (i <= 0) return null;
  const host = text.slice(0, i);
  if (host.includes('/')) return null;
  return { host, path: text.slice(i + 1) || '.' };
}

export function parseTransferArgs(cmd: 'push' | 'pull', argv: string[]): Result<TransferArgs> {
  const usage = cmd === 'push' ? 'push LOCAL HOST:REMOTE' : 'pull HOST:REMOTE LOCAL';
  const pos: string[] = [];
  const a: Omit<TransferArgs, 'local' | 'host' | 'remote'> = { force: false, hash: 'sha256', verify: true, json: false, limitBytesPerSec: null, retries: 3 };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const eq = x.startsWith('--') ? x.indexOf('=') : -1;
    const flag = eq > 0 ? x.slice(0, eq) : x;
    const value = (): string | undefined => (eq > 0 ? x.slice(eq + 1) : argv[++i]);
    if (x === '--') {
      pos.push(...argv.slice(i + 1));
      break;
    }
    switch (flag) {
      case '--force':
      case '-f':
        a.force = true;
        break;
      case '--no-verify':
        a.verify = false;
        break;
      case '--json':
        a.json = true;
        break;
      case '--hash': {
        const v = value();
        if (v !== 'md5' && v !== 'sha256') return err('usage', `--hash is md5 or sha256, not "${v ?? ''}"`);
        a.hash = v;
        break;
      }
      case '--limit': {
        const v = value();
        const r = v === undefined ? null : parseRate(v);
        if (r === null) return err('usage', `--limit needs bytes per second such as 10M, got "${v ?? ''}"`);
        a.limitBytesPerSec = r;
        break;
      }
      case '--retries': {
        const v = value();
        const n = Number(v);
        if (v === undefined || !Number.isInteger(n) || n < 0) return err('usage', `--retries needs a whole number (0 or more), got "${v ?? ''}"`);
        a.retries = n;
        break;
      }
      default:
        if (x.startsWith('-') && x !== '-')
          return err('usage', `${cmd}: unknown flag ${x} (usage: rtk-tui ${usage} [--force] [--hash md5|sha256] [--limit RATE] [--retries N] [--no-verify] [--json])`);
        pos.push(x);
    }
  }
  if (pos.length !== 2) return err('usage', `${cmd} needs two arguments: rtk-tui ${usage}`);
  const [first, second] = pos as [string, string];
  const remoteText = cmd === 'push' ? second : first;
  const local = cmd === 'push' ? first : second;
  const r = splitRemote(remoteText);
  if (!r) return err('usage', `${cmd}: "${remoteText}" is not HOST:PATH (usage: rtk-tui ${usage})`);
  if (splitRemote(local) && !local.startsWith('.') && !local.startsWith('/'))
    return err('usage', `${cmd}: "${local}" looks like HOST:PATH too; name a local path (./${local} if it really is one)`);
  return ok({ ...a, local, host: r.host, remote: r.path });
}

/** The host called NAME in the config, else NAME as an ssh alias or user@host. */
export function resolveHostSpec(name: string, ctx: CommandContext): Result<HostSpec> {
  const cfg = loadConfig({ ...ctx.global, hosts: [] }, ctx.env);
  if (!cfg.ok) return cfg;
  const found = cfg.value.hosts.find((h) => h.name === name);
  if (found) return ok(found);
  const d = parseDestination(name);
  if (!d.ok) return err('usage', `host "${name}" is not in the config and is not an ssh alias or user@host: ${d.error.message}`);
  return ok({ name, local: false, ssh: name });
}

const bar = (frac: number, width: number): string => {
  const full = Math.round(Math.max(0, Math.min(1, frac)) * width);
  return `${'#'.repeat(full)}${'-'.repeat(width - full)}`;
};

export function fmtEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** One progress line: a bar on a terminal, plain text otherwise. */
export function progressLine(p: TransferProgress, tty: boolean, width = 80): string {
  const pct = p.bytesTotal ? (p.bytesDone / p.bytesTotal) * 100 : 100;
  const rate = p.rateBps === null ? '--' : `${mib(p.rateBps)}/s`;
  const files = p.filesTotal > 1 ? ` ${p.filesDone}/${p.filesTotal} files` : '';
  const stats = `${pct.toFixed(0).padStart(3)}% ${mib(p.bytesDone)}/${mib(p.bytesTotal)} ${rate} ETA ${fmtEta(p.etaSeconds)}${files}`;
  if (!tty) return `${p.phase === 'verify' ? 'verifying' : 'progress'}: ${stats}`;
  const tail = p.phase === 'verify' ? `${stats} verifying` : stats;
  const barWidth = Math.max(10, Math.min(30, width - tail.length - 4));
  return `[${bar(pct / 100, barWidth)}] ${tail}`;
}

/** Draws progress on stderr: redrawn in place on a terminal, a line every 2 s otherwise. */
export function progressReporter(ctx: CommandContext): { onProgress: (p: TransferProgress) => void; onNote: (s: string) => void; end: () => void } {
  const tty = ctx.stderr.isTTY === true;
  const cols = (ctx.stderr as { columns?: number }).columns ?? 80;
  let drawn = false;
  let lastPlain = 0;
  const clear = (): void => {
    if (drawn) ctx.stderr.write('\r\x1b[K');
    drawn = false;
  };
  return {
    onProgress: (p) => {
      if (tty) {
        ctx.stderr.write(`\r\x1b[K${progressLine(p, true, cols)}`);
        drawn = true;
        return;
      }
      const now = Date.now();
      if (p.phase === 'transfer' && now - lastPlain < 2000) return;
      if (p.phase === 'done') return;
      lastPlain = now;
      ctx.stderr.write(`${progressLine(p, false)}\n`);
    },
    onNote: (s) => {
      clear();
      // notes name remote files
      ctx.stderr.write(`${safeText(s)}\n`);
    },
    end: clear,
  };
}

export function summaryLine(cmd: 'push' | 'pull', s: TransferSummary, a: TransferArgs, where: string): string {
  if (s.files === 0) return `nothing to ${cmd}: ${s.skipped} file${s.skipped === 1 ? ' is' : 's are'} already there, identical (${a.hash}) -> ${where}`;
  const rate = s.seconds > 0 ? `, ${mib(s.bytes / s.seconds)}/s` : '';
  const parts = [`${cmd === 'push' ? 'pushed' : 'pulled'} ${s.files} file${s.files === 1 ? '' : 's'} (${mib(s.bytes)} in ${s.seconds.toFixed(1)} s${rate})`];
  if (s.resumedBytes) parts.push(`${mib(s.resumedBytes)} resumed`);
  if (s.skipped) parts.push(`${s.skipped} identical skipped`);
  parts.push(a.verify ? `${a.hash} verified` : 'not verified');
  return `${parts.join(', ')} -> ${where}`;
}

export async function runTransfer(cmd: 'push' | 'pull', argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const parsed = parseTransferArgs(cmd, argv);
  if (!parsed.ok) return parsed;
  const a = parsed.value;
  const spec = resolveHostSpec(a.host, ctx);
  if (!spec.ok) return spec;
  if (spec.value.local) return err('usage', `${cmd}: host ${a.host} is local; copy files with cp instead`);
  const host: Host = openHost(spec.value, processHostEnv(ctx.env));
  const rep = progressReporter(ctx);
  try {
    const opts: TransferOptions = {
      force: a.force,
      hash: a.hash,
      verify: a.verify,
      limitBytesPerSec: a.limitBytesPerSec,
      onProgress: rep.onProgress,
      onNote: rep.onNote,
    };
    let res: Result<TransferSummary>;
    let started = false;
    // a connection lost mid-transfer is resumed from the partial files once the host is dialled
    // again; a host that cannot be reached at all is an error at once
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await host.connect();
      const s = await hostSftp(host);
      if (s.ok) {
        started = true;
        if (cmd === 'push') res = await pushPath(host, s.value, a.local, a.remote, opts);
        else {
          // pulls read big files through two SFTP sessions (see transfer.ts); the second is optional
          const s2 = await hostSftp(host);
          res = await pullPath(host, s.value, a.remote, a.local, { ...opts, extraChannels: s2.ok ? [s2.value] : [] });
          if (s2.ok) s2.value.end();
        }
        s.value.end();
      } else res = s;
      if (res.ok || res.error.kind !== 'unreachable' || !started || attempt >= a.retries) break;
      const wait = Math.min(8, 2 ** attempt);
      rep.onNote(`${clause(res.error.message.replace(/: run the same command again to resume\.?$/, ''))}; resuming in ${wait} s (retry ${attempt + 1} of ${a.retries})`);
      await new Promise((r) => setTimeout(r, wait * 1000));
    }
    rep.end();
    if (!res.ok) return res;
    const where = cmd === 'push' ? `${host.name}:${res.value.dest}` : res.value.dest;
    if (a.json) ctx.stdout.write(`${toJson({ ...res.value, dest: where, hash: a.verify ? a.hash : null })}\n`);
    else ctx.stdout.write(`${safeText(summaryLine(cmd, res.value, a, where))}\n`);
    return ok(0);
  } finally {
    rep.end();
    await host.close();
  }
}

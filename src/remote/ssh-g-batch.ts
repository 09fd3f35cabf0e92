// `ssh -G` for many destinations at once. Every host of a monitor resolves its alias with `ssh -G` as it
// dials; with hundreds of hosts that was hundreds of process spawns from this process at the same moment
// (each a fork of a big process: milliseconds of the event loop apiece, issue 14). Calls made in the same
// turn of the event loop with the same environment are run by at most 16 processes instead: up to 16
// calls each run ssh itself, as before; more are shared out to `sh` processes, each looping over its
// share; every call still gets its own output, status and stderr, split by markers with a fresh
// random nonce (an ssh -G line cannot fake one: ssh prints `key value` lines, never `@@`).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { shq } from './quote.js';

export interface SshGOutcome {
  /** Exit status of ssh; null when it could not be run or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** No ssh program on PATH. */
  missing: boolean;
}

/**
 * At most this many processes per batch; each shell runs its share of the calls one after the other
 * (and answers them all when it is done), so the shares stay short: 256 hosts are 16 shells of 16.
 */
export const BATCH_SHELLS = 16;
const TIMEOUT_MS = 10_000;

/** The shell script for one share: each call between `@@NONCE i` markers on both streams, then its status. */
export function batchScript(jobs: readonly (readonly string[])[], nonce: string, first = 0): string {
  const lines = [`command -v ssh >/dev/null 2>&1 || { printf '@@%s nossh\\n' ${shq(nonce)}; exit 0; }`];
  jobs.forEach((args, k) => {
    const i = first + k;
    lines.push(`printf '\\n@@%s %d\\n' ${shq(nonce)} ${i}; printf '\\n@@%s %d\\n' ${shq(nonce)} ${i} >&2`);
    lines.push(`ssh ${args.map(shq).join(' ')} </dev/null; printf '\\n@@%s rc %d %d\\n' ${shq(nonce)} ${i} "$?"`);
  });
  return lines.join('\n');
}

/** Split a batch's stdout and stderr into each call's outcome (index `first`..). Never throws. */
export function splitBatch(stdout: string, stderr: string, nonce: string, first: number, n: number): SshGOutcome[] {
  const out: SshGOutcome[] = Array.from({ length: n }, () => ({ code: null, stdout: '', stderr: '', missing: false }));
  if (stdout.includes(`@@${nonce} nossh\n`)) return out.map((o) => ({ ...o, missing: true }));
  const mark = `@@${nonce} `;
  const sections = (text: string, onSection: (i: number, body: string) => void, onRc?: (i: number, rc: number) => void): void => {
    let cur = -1;
    let body: string[] = [];
    const close = (): void => {
      if (cur >= 0) onSection(cur, body.join('\n').replace(/\n$/, ''));
      cur = -1;
      body = [];
    };
    for (const line of text.split('\n')) {
      if (line.startsWith(mark)) {
        const rest = line.slice(mark.length);
        const rc = /^rc (\d+) (\d+)$/.exec(rest);
        if (rc) {
          close();
          onRc?.(Number(rc[1]), Number(rc[2]));
          continue;
        }
        if (/^\d+$/.test(rest)) {
          close();
          cur = Number(rest);
          continue;
        }
      }
      if (cur >= 0) body.push(line);
    }
    close();
  };
  const at = (i: number): SshGOutcome | undefined => (i >= first && i < first + n ? out[i - first] : undefined);
  sections(
    stdout,
    (i, b) => {
      const o = at(i);
      if (o) o.stdout = b.replace(/^\n/, '');
    },
    (i, rc) => {
      const o = at(i);
      if (o) o.code = rc;
    },
  );
  sections(stderr, (i, b) => {
    const o = at(i);
    if (o) o.stderr = b.replace(/^\n/, '');
  });
  return out;
}

interface Job {
  args: string[];
  resolve: (o: SshGOutcome) => void;
}

function runOne(args: string[], env: NodeJS.ProcessEnv): Promise<SshGOutcome> {
  return new Promise((resolve) => {
    execFile('ssh', args, { env, timeout: TIMEOUT_MS, maxBuffer: 16 << 20, killSignal: 'SIGKILL' }, (e, stdout, stderr) => {
      const x = e as (Error & { code?: unknown }) | null;
      resolve({
        code: x ? (typeof x.code === 'number' ? x.code : null) : 0,
        stdout: String(stdout ?? ''),
        stderr: String(stderr ?? ''),
        missing: x?.code === 'ENOENT',
      });
    }).stdin?.end();
  });
}

function runShare(jobs: Job[], first: number, env: NodeJS.ProcessEnv): void {
  const nonce = randomBytes(8).toString('hex');
  const script = batchScript(
    jobs.map((j) => j.args),
    nonce,
    first,
  );
  execFile('/bin/sh', ['-c', script], { env, timeout: TIMEOUT_MS + 200 * jobs.length, maxBuffer: 64 << 20, killSignal: 'SIGKILL' }, (_e, stdout, stderr) => {
    const res = splitBatch(String(stdout ?? ''), String(stderr ?? ''), nonce, first, jobs.length);
    jobs.forEach((j, k) => j.resolve(res[k]!));
  }).stdin?.end();
}

/** Pending calls per environment (its JSON), flushed once the current turn of the event loop is over. */
const pending = new Map<string, { env: NodeJS.ProcessEnv; jobs: Job[] }>();
/** The JSON of each environment object seen (hosts share theirs: computed once). */
const envKeys = new WeakMap<object, string>();

function keyOf(env: NodeJS.ProcessEnv): string {
  let k = envKeys.get(env);
  if (k === undefined) {
    k = JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    envKeys.set(env, k);
  }
  return k;
}

function flush(): void {
  const all = [...pending.values()];
  pending.clear();
  for (const { env, jobs } of all) {
    const per = Math.ceil(jobs.length / BATCH_SHELLS);
    for (let s = 0; s < jobs.length; s += per) {
      const share = jobs.slice(s, s + per);
      // a share of one (up to BATCH_SHELLS calls in all) is ssh itself, as without a batch
      if (share.length === 1) void runOne(share[0]!.args, env).then(share[0]!.resolve);
      else runShare(share, s, env);
    }
  }
}

/** `ssh ARGS` (a -G query) with `env` and HOME=home, batched with the other calls of this turn that share them. */
export function sshG(args: string[], env: NodeJS.ProcessEnv, home: string): Promise<SshGOutcome> {
  return new Promise((resolve) => {
    const key = `${home}\0${keyOf(env)}`;
    let p = pending.get(key);
    if (!p) {
      if (pending.size === 0) setImmediate(flush);
      // as execa did before: the process's environment under the host's
      p = { env: { ...process.env, ...env, HOME: home }, jobs: [] };
      pending.set(key, p);
    }
    p.jobs.push({ args, resolve });
  });
}

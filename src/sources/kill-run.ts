// `kill` ends all of a run: its tmux session, every process of its panes' trees, what is left in
// their sessions or process groups (dataloader workers re-parented to init when their parent died:
// a real case left 126 of them pinning 7 of 8 GPUs), and the GPU processes the process map gave
// the run. SIGTERM, a grace period, SIGKILL; each signal only to the process that was listed (its pid
// and start time, so a reused pid is never hit). Then nvidia-smi again: the GPU memory freed, or who
// still holds it and why. Nothing the listing did not attribute to the run is touched.
import { err, ok, type GpuHostReport, type HostSpec, type Result } from '../domain/types.js';
import { parsePs, runProcesses, type Proc } from '../parse/run-processes.js';
import type { Host } from '../remote/host.js';
import { shq } from '../remote/quote.js';
import { findSessionScript, killSession, SESSION_BY_ID, tmuxCommand } from '../remote/tmux-control.js';
import { collectGpus } from './gpus.js';

const NO_SESSION = 93;

export interface Victim extends Proc {
  /** Why it is the run's: tree, session, group or gpu. */
  why: string;
  /** Its start, by the host's clock (epoch seconds): with the pid, its identity. */
  start: number;
  /** GPU memory it held when listed: [gpu index, MiB]. */
  gpu: [number, number][];
}

export interface KillPlan {
  runId: string;
  session: string;
  /** tmux id and creation time of the session listed: the kill ends exactly that one. */
  id: string;
  createdAt: number | null;
  victims: Victim[];
}

export interface KillReport {
  ended: Victim[];
  /** Still there after SIGKILL, with the reason in words. */
  left: { victim: Victim; why: string }[];
  /** GPU memory held by the victims before and after (MiB), per GPU index. */
  gpuBefore: Map<number, number>;
  gpuAfter: Map<number, number>;
}

export async function planKill(host: Host, spec: HostSpec, session: string, runId: string): Promise<Result<KillPlan>> {
  const t = tmuxCommand(spec);
  const script = [
    findSessionScript(spec, session, `exit ${NO_SESSION}`),
    `${t} display-message -p -t "$sid:" '#{session_id} #{session_created}'`,
    `printf 'self %s\\nnow %s\\n' "$$" "$(date +%s)"`,
    `printf 'panes'; ${t} list-panes -s -t ${SESSION_BY_ID} -F ' #{pane_pid}' | tr -d '\\n'; printf '\\n'`,
    'echo ps',
    'ps -A -o pid=,ppid=,pgid=,sid=,etimes=,stat=,args= 2>/dev/null',
  ].join('\n');
  const [r, gpus] = await Promise.all([host.exec(script, { timeoutMs: 20_000, maxBytes: 16 * 1024 * 1024 }), collectGpus(host, spec)]);
  if (!r.ok) return r;
  if (r.value.code === NO_SESSION) return err('not-found', `no session named ${JSON.stringify(session)} on ${spec.name}: not killed`);
  if (r.value.code !== 0) return err('exit', `could not list the processes of ${runId} (exit status ${r.value.code})`);
  const text = r.value.stdout.toString('utf8');
  const [head = '', ...rest] = text.split('\n');
  const [id = '', created = ''] = head.trim().split(' ');
  const self = Number(/^self (\d+)$/m.exec(text)?.[1] ?? 0);
  const now = Number(/^now (\d+)$/m.exec(text)?.[1] ?? 0);
  const panes = (/^panes((?: \d+)*)$/m.exec(text)?.[1] ?? '').trim().split(' ').filter(Boolean).map(Number);
  const psAt = rest.indexOf('ps');
  const ps = parsePs(rest.slice(psAt + 1).join('\n'));
  const gpuOf = gpuHolders(gpus);
  const mine = gpus.gpus.flatMap((g) => g.processes.filter((p) => p.run === runId).map((p) => p.pid));
  // our own listing shell and its children (ps) are not the run's
  const own = ps.filter((p) => p.pid === self || p.ppid === self).map((p) => p.pid);
  const rp = runProcesses(ps, panes, mine, own);
  const victims = rp.procs.map((p) => ({ ...p, why: rp.why.get(p.pid)!, start: now - p.etimes, gpu: gpuOf.get(p.pid) ?? [] }));
  const c = Number(created);
  return ok({ runId, session, id, createdAt: Number.isFinite(c) && c > 0 ? c : null, victims });
}

/** pid -> [[gpu, MiB], ...] from a GPU report. */
function gpuHolders(r: GpuHostReport): Map<number, [number, number][]> {
  const m = new Map<number, [number, number][]>();
  for (const g of r.gpus) for (const p of g.processes) m.set(p.pid, [...(m.get(p.pid) ?? []), [g.index, p.usedMemoryMiB ?? 0]]);
  return m;
}

/** The signals, on the host: each only to the listed process (same pid, same start within 2 s). */
export function buildSignals(victims: readonly Victim[], graceSeconds: number): string {
  const list = victims.map((v) => `${v.pid}:${v.start}`).join(' ');
  return [
    `V=${shq(list)}`,
    // same PID START: still that process (ps etimes, by the host's clock)
    'same() { e=$(ps -o etimes= -p "$1" 2>/dev/null | tr -d " "); [ -n "$e" ] || return 1; d=$(( $(date +%s) - e - $2 )); [ "$d" -ge -2 ] && [ "$d" -le 2 ]; }',
    'sig() { for v in $V; do p=${v%%:*}; s=${v#*:}; if same "$p" "$s"; then kill -"$1" "$p" 2>/dev/null; fi; done; }',
    'alive() { for v in $V; do p=${v%%:*}; s=${v#*:}; if same "$p" "$s"; then st=$(ps -o stat= -p "$p" 2>/dev/null | tr -d " "); case $st in Z*) ;; *) return 0 ;; esac; fi; done; return 1; }',
    'sig TERM',
    `i=0; while [ $i -lt ${Math.max(0, Math.floor(graceSeconds))} ] && alive; do sleep 1; i=$((i+1)); done`,
    'if alive; then sig KILL; sleep 1; fi',
    // a zombie has ended (it holds nothing): only the living are left
    'for v in $V; do p=${v%%:*}; s=${v#*:}; if same "$p" "$s"; then st=$(ps -o stat= -p "$p" 2>/dev/null | tr -d " "); case $st in Z*) ;; *) printf \'left %s %s\\n\' "$p" "$st" ;; esac; fi; done',
    'exit 0',
  ].join('\n');
}

function whyLeft(stat: string): string {
  if (stat.startsWith('Z')) return 'a zombie: ended, but its parent has not collected it (it holds no memory)';
  if (stat.startsWith('D')) return 'in an uninterruptible call (the GPU driver or a disk): it ends when the call returns; if it never does, only a reboot frees it';
  if (stat.startsWith('T')) return 'stopped (SIGSTOP or a debugger): it ended once continued';
  return `still running after SIGKILL (state ${stat || 'unknown'}): another user's process, or rtk-tui may not signal it`;
}

export async function executeKill(host: Host, spec: HostSpec, plan: KillPlan, graceSeconds: number): Promise<Result<KillReport>> {
  // the session first (tmux hangs up its panes), exactly the one listed
  const k = await killSession(host, spec, { name: plan.session, id: plan.id, createdAt: plan.createdAt });
  if (!k.ok && k.error.kind !== 'not-found') return k;
  const r = plan.victims.length > 0 ? await host.exec(buildSignals(plan.victims, graceSeconds), { timeoutMs: (graceSeconds + 30) * 1000 }) : null;
  if (r !== null && !r.ok) return r;
  const leftIds = new Map<number, string>();
  for (const m of (r?.value.stdout.toString('utf8') ?? '').matchAll(/^left (\d+) (\S*)$/gm)) leftIds.set(Number(m[1]), m[2] ?? '');
  const gpuBefore = sumGpu(plan.victims);
  const after = plan.victims.some((v) => v.gpu.length > 0) ? gpuHolders(await collectGpus(host, spec)) : new Map<number, [number, number][]>();
  // what nvidia-smi still lists of them holds its memory still
  const still = plan.victims.filter((v) => after.has(v.pid));
  const gpuAfter = sumGpu(still.map((v) => ({ ...v, gpu: after.get(v.pid) ?? [] })));
  return ok({
    ended: plan.victims.filter((v) => !leftIds.has(v.pid)),
    left: plan.victims.filter((v) => leftIds.has(v.pid)).map((v) => ({ victim: v, why: whyLeft(leftIds.get(v.pid)!) })),
    gpuBefore,
    gpuAfter,
  });
}

function sumGpu(vs: readonly { gpu: [number, number][] }[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of vs) for (const [g, mib] of v.gpu) m.set(g, (m.get(g) ?? 0) + mib);
  return m;
}

/** The report in words: what ended, the GPU memory freed, what is left and why. */
export function killSummary(runId: string, rep: KillReport): string[] {
  const lines = [`killed ${runId}`];
  const n = rep.ended.length;
  const extra = rep.ended.filter((v) => v.why !== 'tree').length;
  lines.push(`  ended ${n} process${n === 1 ? '' : 'es'}${extra > 0 ? ` (${extra} outside its panes' tree: re-parented workers in its session or group, or its GPU processes)` : ''}`);
  const freed = [...rep.gpuBefore].map(([g, mib]) => [g, mib - (rep.gpuAfter.get(g) ?? 0)] as const).filter(([, f]) => f > 0);
  if (freed.length > 0) lines.push(`  GPU memory freed: ${gib(freed.reduce((t, [, f]) => t + f, 0))} (GPU ${freed.map(([g]) => g).join(', ')})`);
  for (const { victim, why } of rep.left) lines.push(`  still there: pid ${victim.pid} (${victim.command.slice(0, 60)})${victim.gpu.length ? ` with ${gib(victim.gpu.reduce((t, [, m]) => t + m, 0))} on GPU ${victim.gpu.map(([g]) => g).join(', ')}` : ''}: ${why}`);
  return lines;
}

const gib = (mib: number): string => `${(mib / 1024).toFixed(1)} GiB`;

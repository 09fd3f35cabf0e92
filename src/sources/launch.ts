// `new --gpus N`: pick N free GPUs of the host and start the run on them, as one step on the host.
// A lock directory on the host (mkdir is atomic) is held from reading the GPUs and the claims of
// other live runs (@rtk_gpus) until the new session carries its own claim, so two launches in the
// same second never pick the same GPUs; a lock left by a client that died is taken over after 60 s.
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import { parseClaim, pickGpus, type GpuClaim, type PickRequest } from '../parse/gpu-pick.js';
import type { Host } from '../remote/host.js';
import { newRun, tmuxCommand, type NewRunOptions, type NewRunResult } from '../remote/tmux-control.js';
import { collectGpus } from './gpus.js';

const LOCK = '"$HOME/.cache/rtk-tui/gpu-pick.lock"';
const BUSY = 96;

export interface LaunchResult extends NewRunResult {
  gpus: number[];
  /** Pinned GPUs another run holds, in words ("GPU 3 held by gpu:train"). */
  busyPinned: string[];
}

/** Claims of the host's live runs (a dead pane's GPUs are free again), by tmux session. */
async function readClaims(host: Host, spec: HostSpec): Promise<Result<GpuClaim[]>> {
  const r = await host.exec(`${tmuxCommand(spec)} list-panes -a -F '#{pane_dead}\t#{@rtk_gpus}\t#{session_name}' 2>/dev/null; exit 0`, { timeoutMs: 15_000 });
  if (!r.ok) return r;
  const byRun = new Map<string, { gpus: number[]; alive: boolean }>();
  for (const line of r.value.stdout.toString('utf8').split('\n')) {
    const [dead, gpus, ...name] = line.split('\t');
    if (name.length === 0) continue;
    const run = `${spec.name}:${name.join('\t')}`;
    const e = byRun.get(run) ?? { gpus: parseClaim(gpus ?? ''), alive: false };
    e.alive ||= dead === '0';
    byRun.set(run, e);
  }
  return ok([...byRun].filter(([, e]) => e.alive && e.gpus.length > 0).map(([run, e]) => ({ run, gpus: e.gpus })));
}

export async function launchOnFreeGpus(host: Host, spec: HostSpec, o: NewRunOptions, req: Omit<PickRequest, 'host'>): Promise<Result<LaunchResult>> {
  const lock = await host.exec(
    [
      'mkdir -p "$HOME/.cache/rtk-tui" 2>/dev/null',
      'i=0',
      `while ! mkdir ${LOCK} 2>/dev/null; do`,
      // a lock older than a minute belongs to a client that died mid-launch
      `  if [ -n "$(find ${LOCK} -maxdepth 0 -mmin +1 2>/dev/null)" ]; then rmdir ${LOCK} 2>/dev/null; continue; fi`,
      `  i=$((i+1)); [ $i -ge 20 ] && exit ${BUSY}; sleep 1`,
      'done',
      'exit 0',
    ].join('\n'),
    { timeoutMs: 30_000 },
  );
  if (!lock.ok) return lock;
  if (lock.value.code === BUSY) return err('refused', `another launch on ${spec.name} has held its GPU lock for 20 s (~/.cache/rtk-tui/gpu-pick.lock there); try again`);
  if (lock.value.code !== 0) return err('exit', `could not take the GPU lock on ${spec.name} (exit status ${lock.value.code})`);
  try {
    const [report, claims] = await Promise.all([collectGpus(host, spec), readClaims(host, spec)]);
    if (!claims.ok) return claims;
    const pick = pickGpus(report, claims.value, { ...req, host: spec.name });
    if (!pick.ok) return pick;
    const gpus = pick.value.gpus;
    const env = { ...o.env, CUDA_VISIBLE_DEVICES: gpus.join(',') };
    const r = await newRun(host, spec, { ...o, env, gpus });
    if (!r.ok) return r;
    return ok({ ...r.value, gpus, busyPinned: pick.value.busyPinned });
  } finally {
    await host.exec(`rmdir ${LOCK} 2>/dev/null; exit 0`, { timeoutMs: 15_000 });
  }
}

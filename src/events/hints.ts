// One table of hints: what to try for each failure reason and alert. Shown by `ls`, the monitor and
// every event. Short and concrete; the context (what else holds memory on that GPU, which rank went
// quiet first, how big the checkpoints are) is added where it is known.

const TABLE: Record<string, string> = {
  oom:
    'lower the per-device batch size (per_device_train_batch_size) and raise gradient_accumulation_steps to keep the effective batch; ' +
    'enable activation (gradient) checkpointing; set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True against fragmentation',
  'nccl-timeout':
    'rerun with NCCL_DEBUG=INFO and TORCH_NCCL_ASYNC_ERROR_HANDLING=1; raise the collective timeout (init_process_group(timeout=...), --ddp_timeout); ' +
    'the rank that stopped logging first is the one to look at',
  'nan-loss':
    'lower the learning rate or lengthen the warm-up; clip gradients (max_grad_norm=1.0); fp16 overflows where bf16 does not: try bf16, or a loss scaler',
  'disk-full':
    'rotate checkpoints (save_total_limit in HF Trainer, save_top_k in Lightning), move them to a bigger filesystem, and see which directories are biggest (du -sh */ | sort -h)',
  traceback: 'read the exception above it in the log (rtk-tui logs RUN -n 200); fix and relaunch',
  killed:
    'something sent SIGKILL: the kernel OOM killer (check dmesg or journalctl -k for "Out of memory"), a scheduler, or a user; lower host RAM use (fewer dataloader workers, smaller prefetch)',
  gone: 'its tmux session was ended (tmux kill-session, rtk-tui kill, or the tmux server or the host restarted); the log file, if it had one, is still there',
  stalled:
    'attach (a) or peek (p) to see whether it waits on input, a lock or a hung collective; py-spy dump --pid PID shows where each process is',
  exit: 'the command ended with a non-zero status without a known error in its log: read the last lines (rtk-tui logs RUN -n 200)',
  timeout:
    'raise the time limit (sbatch --time) if the partition allows; save checkpoints more often and let it requeue itself: ' +
    '--signal=B:USR1@300 with a handler that checkpoints, then scontrol requeue (or --requeue), resuming from the newest checkpoint',
  preempted: 'submit with --requeue so that Slurm queues it again, and resume from the newest checkpoint (resume_from_checkpoint); save more often on a preemptible partition',
  'node-fail': 'resubmit without that node (sbatch -x NODE, --exclude) and resume from the newest checkpoint; tell the admins about the node',
  'slurm-oom':
    "the job went over its host memory allocation (Slurm's cgroup, not the GPU's): ask for more (--mem, --mem-per-gpu, --mem-per-cpu) or lower host RAM use (fewer dataloader workers, smaller prefetch)",
  cancelled: 'scancel ended it (you, a dependency, or an admin): sacct -j JOBID -o State,Reason,ExitCode tells more',
  'slurm-gone': 'it left squeue between two polls: sacct -j JOBID -o State,ExitCode,Elapsed tells how it ended',
  'gpu.idle':
    'its GPUs hold memory but compute nothing: a hung NCCL collective or a stuck dataloader; py-spy dump --pid PID shows where each rank waits',
  'disk.low': 'rotate checkpoints (save_total_limit / save_top_k), delete old ones, or point the checkpoints at a bigger filesystem',
  'host.lost': 'rtk-tui keeps the last state on screen and reconnects by itself; the runs themselves keep going in tmux',
};

export interface HintContext {
  /** Other processes holding memory on the GPUs this run used (the process map), for OOM. */
  others?: { pid: number; run: string | null; usedMemoryMiB: number | null; gpu: number }[];
  /** The rank whose last line is oldest, for NCCL timeouts. */
  quietRank?: number | null;
  /** A Slurm job's id and nodes, filled into its hint (JOBID, NODE). */
  job?: { id: string; nodes: string | null };
}

/** The hint for a failure reason (oom, exit-1...), an alert kind or an event kind; null when none. */
export function hintFor(key: string | null, ctx: HintContext = {}): string | null {
  if (key === null) return null;
  const base = TABLE[key] ?? (/^exit-\d+$/.test(key) ? TABLE.exit : undefined);
  if (base === undefined) return null;
  const extra: string[] = [];
  if (key === 'oom' && ctx.others && ctx.others.length > 0) {
    const list = ctx.others
      .slice(0, 3)
      .map((o) => `pid ${o.pid}${o.run ? ` (${o.run})` : ''}${o.usedMemoryMiB !== null ? ` ${Math.round(o.usedMemoryMiB / 1024)} GiB` : ''} on GPU ${o.gpu}`);
    extra.push(`also holding GPU memory: ${list.join(', ')}${ctx.others.length > 3 ? `, +${ctx.others.length - 3} more` : ''}`);
  }
  if (key === 'nccl-timeout' && ctx.quietRank !== undefined && ctx.quietRank !== null) extra.push(`rank ${ctx.quietRank} stopped logging first`);
  const text = ctx.job ? base.replace(/JOBID/g, ctx.job.id).replace(/-x NODE/g, ctx.job.nodes ? `-x ${ctx.job.nodes}` : '-x NODE') : base;
  return extra.length > 0 ? `${text}; ${extra.join('; ')}` : text;
}

/**
 * The rank whose last line comes first in a log tail of per-rank prefixed lines (`[rank3]:`,
 * `[default3]:`, `3: `): in a collective timeout, the rank that went quiet first is usually the culprit.
 * Null when fewer than two ranks are seen.
 */
export function quietestRank(tail: string): number | null {
  const last = new Map<number, number>();
  const lines = tail.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\[(?:rank|default)\s*(\d+)\]\s?:/i.exec(lines[i]!) ?? /^\s*(\d{1,4}): /.exec(lines[i]!);
    if (m) last.set(Number(m[1]), i);
  }
  if (last.size < 2) return null;
  let best: [number, number] | null = null;
  for (const [rank, line] of last) if (best === null || line < best[1]) best = [rank, line];
  return best === null ? null : best[0];
}

// `scontrol show job -d -o ID`: the detail of a running job, per node (or per set of nodes that share
// an allocation) `Nodes=NODES CPU_IDs=… Mem=… GRES=gpu:1(IDX:0)`, the GPUs the job holds there by the
// node's own index. A job's comment `rtk:checkpoints=DIR` names its checkpoint directory (relative to
// its WorkDir). Pure; never throws: garbage gives nothing.
import { parseScontrolJobs } from './slurm-scontrol.js';

export interface JobNodeGpus {
  /** The node, or a Slurm hostlist (`gpu[01-02]`) whose nodes each hold these indices. */
  node: string;
  indices: number[];
}

/** `0-3,6` → [0,1,2,3,6]; null for anything else (ranges capped: a node has no 4096 GPUs). */
export function parseIndexList(s: string): number[] | null {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part.trim());
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 1024) return null;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out.length > 0 ? out : null;
}

/**
 * The GPU indices of one GRES value: `gpu:1(IDX:0)`, `gpu:a100:2(IDX:0-1)`, `gpu:2(IDX:0,2),nic:1(IDX:0)`;
 * other GRES (mps, shards, nic) are not GPUs held. [] when none.
 */
export function gpuIndicesOfGres(gres: string): number[] {
  const out: number[] = [];
  for (const m of gres.matchAll(/(?:^|,)gpu(?::[^:(),\s]+)?:\d+\(IDX:([^)]*)\)/g)) {
    for (const i of parseIndexList(m[1]!) ?? []) if (!out.includes(i)) out.push(i);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Per job (keyed by its run id on the host: `7`, `3_2`), the GPUs it holds per node. A job with no
 * GPU maps to []. Records start with `JobId=` at a line start (several may follow each other).
 */
export function parseJobGpus(text: string): Map<string, JobNodeGpus[]> {
  const out = new Map<string, JobNodeGpus[]>();
  for (const part of `\n${text}`.split(/\n(?=JobId=\d)/).slice(1)) {
    const job = parseScontrolJobs(part)[0];
    if (!job) continue;
    // the per-node lines sit between the fixed keys and MinCPUsNode; starting after UserId keeps a
    // job name that spells `Nodes=… GRES=…` out of it
    const from = part.indexOf(' UserId=');
    const to = part.indexOf(' MinCPUsNode=', Math.max(0, from));
    const region = part.slice(Math.max(0, from), to < 0 ? undefined : to);
    const nodes: JobNodeGpus[] = [];
    for (const m of region.matchAll(/ Nodes=(\S+) CPU_IDs=\S* Mem=\S* GRES=(\S*)/g)) {
      const indices = gpuIndicesOfGres(m[2]!);
      if (indices.length > 0) nodes.push({ node: m[1]!, indices });
    }
    out.set(job.id, nodes);
  }
  return out;
}

/** The checkpoint directory a comment names (`rtk:checkpoints=DIR`, DIR the rest of it), under workDir when relative. */
export function checkpointsOfComment(comment: string | null | undefined, workDir: string | null): string | null {
  const m = /(?:^|\s)rtk:checkpoints=(.+)$/s.exec(comment ?? '');
  const dir = m?.[1]!.trim() ?? '';
  if (dir === '' || dir.includes('\0') || dir.includes('\n')) return null;
  if (dir.startsWith('/')) return dir;
  if (workDir === null || !workDir.startsWith('/')) return null;
  return `${workDir.replace(/\/+$/, '')}/${dir.replace(/^\.\/+/, '')}`;
}

// A job's StdOut/StdErr path as slurmd creates it from the submitted pattern (sbatch -o). Checked
// against the files slurmd 22.05 created (test/fixtures/slurm/stdout-patterns.txt): %j %J (the job id
// for the batch step) %A %a (4294967294 outside an array) %x %u %N %n %t %s (`batch`) %%, a width
// (`%3a` -> 007) zero-pads, and any backslash turns interpolation off (and is dropped). `scontrol`
// expands only some of these (it leaves %J and %3a), so the pattern is expanded here. Pure.
import type { SlurmJob } from './slurm.js';

/** Slurm's NO_VAL - 1, what %a gives outside an array. */
const NOT_ARRAY = 4294967294;

export function expandStdPattern(pattern: string, job: Pick<SlurmJob, 'jobId' | 'arrayJobId' | 'arrayTaskId' | 'name' | 'user' | 'batchHost' | 'nodes'>): string {
  if (pattern.includes('\\')) return pattern.replaceAll('\\', '');
  const node = job.batchHost ?? firstNode(job.nodes) ?? '';
  return pattern.replace(/%(\d*)([%AaJjNnstux])/g, (all, width: string, c: string) => {
    const pad = (n: number | string): string => {
      const s = String(n);
      const w = width === '' ? 0 : Math.min(Number(width), 10);
      return s.length < w ? '0'.repeat(w - s.length) + s : s;
    };
    switch (c) {
      case '%':
        return '%';
      case 'A':
        return pad(job.arrayJobId ?? job.jobId);
      case 'a':
        return pad(job.arrayJobId !== null && job.arrayTaskId !== null ? job.arrayTaskId : NOT_ARRAY);
      case 'J':
      case 'j':
        return pad(job.jobId);
      case 'N':
        return node;
      case 'n':
      case 't':
        return pad(0);
      case 's':
        return 'batch';
      case 'u':
        return job.user ?? all;
      case 'x':
        return job.name;
      default:
        return all;
    }
  });
}

/** The first host of a Slurm host list: `gpu[01-04,07],cpu1` -> `gpu01`. */
export function firstNode(list: string | null): string | null {
  if (!list) return null;
  const m = /^([^,[]*)(?:\[([^\]]*)\])?/.exec(list);
  if (!m || m[1] === undefined) return null;
  if (m[2] === undefined) return m[1] || null;
  const first = m[2].split(',')[0]!.split('-')[0]!;
  return `${m[1]}${first}`;
}

/** Where the job's output goes: its pattern expanded, the default `slurm-%j.out` (arrays `slurm-%A_%a.out`),
 * relative to its working directory. null when neither the pattern nor the directory is known. */
export function resolveStdout(job: SlurmJob, pattern: string | null = job.stdout): string | null {
  const isArray = job.arrayJobId !== null && job.arrayTaskId !== null;
  const pat = pattern !== null && pattern !== '' ? pattern : isArray ? 'slurm-%A_%a.out' : 'slurm-%j.out';
  const path = expandStdPattern(pat, job);
  if (path.startsWith('/')) return path;
  if (job.workDir === null) return null;
  return `${job.workDir.replace(/\/+$/, '')}/${path}`;
}

// What a checkpoint directory's entries mean: which top-level entries are checkpoints, their size (every
// file under them, at any depth), step, weight formats, and whether one is still being written.
// Layouts: HF Trainer checkpoint-N/ (with DeepSpeed's global_stepN/ inside), DeepSpeed global_stepN/ +
// `latest`, Megatron iter_NNNNNNN/mp_rank_00/ + latest_checkpointed_iteration.txt, NeMo epoch_E_step_S/
// model/consolidated/ and `-unfinished` markers, torch DCP *.distcp + .metadata, Lightning *.ckpt files,
// and the final model an HF output_dir holds beside its checkpoint-N/ folders. Pure; never throws.
import type { Checkpoint, CheckpointFormat } from '../domain/types.js';

/** One filesystem entry, path relative to the checkpoint directory. */
export interface Entry {
  type: 'd' | 'f' | 'l' | 'o';
  size: number;
  /** seconds since epoch */
  mtime: number;
  path: string;
}

/** A top-level entry's totals, summed on the host (every file under it, any depth). */
export interface Aggregate {
  top: string;
  size: number;
  mtime: number;
  files: number;
}

export interface LayoutFacts {
  aggregates?: readonly Aggregate[];
  /** The host's clock (seconds) when it listed; null when unknown. */
  now?: number | null;
  /** What DeepSpeed's `latest` and Megatron's latest_checkpointed_iteration.txt say, sanitized. */
  latest?: string | null;
  latestIteration?: string | null;
}

/** A file changed this recently (host clock) is still being written. */
export const WRITING_QUIET_S = 10;
/** The name of the final model in an HF output_dir, when it is more than one file. */
export const FINAL_NAME = 'final (output_dir)';

const WEIGHT_EXT: Record<string, CheckpointFormat> = {
  safetensors: 'safetensors',
  bin: 'bin',
  pt: 'pt',
  pth: 'pth',
  ckpt: 'ckpt',
  gguf: 'gguf',
  distcp: 'distcp',
  nemo: 'nemo',
};
const FORMAT_ORDER: CheckpointFormat[] = ['safetensors', 'bin', 'pt', 'pth', 'ckpt', 'distcp', 'nemo', 'gguf', 'other'];
// training state, not model weights: counted in the size, not in the formats
const NOT_WEIGHTS = /^(training_args\.bin|optimizer(_\d+)?\.(pt|bin)|scheduler\.(pt|bin)|scaler\.pt|rng_state.*\.pth|.*optim_states\.pt|trainer_state\.json|distrib_optim\.pt)$/;
// files that together make up the model in the directory itself (HF save_pretrained, sharded or not)
const ROOT_MODEL = /^(model|pytorch_model|adapter_model|diffusion_pytorch_model|consolidated|tf_model|flax_model)([.-]|$)/;
const CKPT_DIR = /^(checkpoint|ckpt|step|global[_-]?step|iter|iteration|epoch)([-_=]?\d+)|^epoch=\d+-step=\d+|[-_]step[-_=]?\d+/i;
// a staging name: HF's tmp-checkpoint-*, *.tmp, *.incomplete, *.partial
const STAGING = /^tmp[-_]|\.(tmp|incomplete|partial|part)$/i;
const UNFINISHED = '-unfinished';

export function formatOf(fileName: string): CheckpointFormat | null {
  const dot = fileName.lastIndexOf('.');
  if (dot < 0) return null;
  const f = WEIGHT_EXT[fileName.slice(dot + 1).toLowerCase()];
  if (f === undefined || NOT_WEIGHTS.test(fileName)) return null;
  return f;
}

/**
 * Step from a checkpoint's name: checkpoint-2000, step_2000, step-00500, global_step2000, iter_0000500,
 * epoch=3-step=4500.ckpt, epoch_0_step_9, megatron_gpt--val_loss=1.2-step=9-consumed_samples=80.0.
 */
export function stepOf(name: string): number | null {
  const es = /(?:^|[^a-z])step=(\d+)/i.exec(name);
  const m =
    es ??
    /(?:^|[^a-z])(?:global[_-]?step|step|iter|iteration|checkpoint|ckpt)[-_=]?(\d+)/i.exec(name) ??
    /^(?:checkpoint|ckpt|model)?[-_]?(\d+)(?:\.[a-z]+)?$/i.exec(name);
  if (!m) return null;
  const v = Number(m[1]);
  return Number.isSafeInteger(v) ? v : null;
}

interface Acc {
  name: string;
  isDir: boolean;
  size: number;
  mtime: number;
  formats: Set<CheckpointFormat>;
  weights: number;
  /** the only weight file of the root model */
  file: string | null;
  nestedStep: number | null;
  distcp: boolean;
  metadata: boolean;
  staging: boolean;
  globalStepDir: boolean;
  latestFile: boolean;
}

/** Group entries into checkpoints, newest first. */
export function buildCheckpoints(dir: string, entries: readonly Entry[], facts: LayoutFacts = {}): Checkpoint[] {
  const groups = new Map<string, Acc>();
  const get = (name: string, isDir: boolean): Acc => {
    let g = groups.get(name);
    if (!g) {
      g = { name, isDir, size: 0, mtime: 0, formats: new Set(), weights: 0, file: null, nestedStep: null, distcp: false, metadata: false, staging: false, globalStepDir: false, latestFile: false };
      groups.set(name, g);
    }
    return g;
  };
  const agg = new Map<string, Aggregate>();
  for (const a of facts.aggregates ?? []) agg.set(a.top, a);
  const rootFiles = new Map<string, Entry>();
  for (const e of entries) {
    const parts = e.path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0) continue;
    const top = parts[0]!;
    const base = parts[parts.length - 1]!;
    if (parts.length === 1) {
      if (e.type === 'f' || e.type === 'l') rootFiles.set(top, e);
      if (e.type === 'd') {
        const g = get(top, true);
        g.mtime = Math.max(g.mtime, e.mtime);
        continue;
      }
      if (e.type !== 'f' && e.type !== 'l') continue;
      const f = formatOf(base);
      if (f === null) continue;
      const rootModel = ROOT_MODEL.test(base) && e.type === 'f';
      const g = rootModel ? get('.', false) : get(top, false);
      // a link (Lightning's last.ckpt with save_last='link') takes no room of its own
      if (e.type === 'f') g.size += e.size;
      g.mtime = Math.max(g.mtime, e.mtime);
      g.formats.add(f);
      g.weights++;
      if (rootModel) g.file = g.weights === 1 ? top : null;
      continue;
    }
    const g = get(top, true);
    if (!agg.has(top)) {
      g.mtime = Math.max(g.mtime, e.mtime);
      if (e.type === 'f') g.size += e.size;
    }
    if (parts.length === 2 && e.type === 'd' && /^global[_-]?step\d+$/i.test(base)) g.globalStepDir = true;
    if (g.nestedStep === null && parts.length === 2 && CKPT_DIR.test(base)) g.nestedStep = stepOf(base);
    if (e.type !== 'f') continue;
    if (base === '.metadata') g.metadata = true;
    if (parts.length === 2 && base === 'latest') g.latestFile = true;
    if (STAGING.test(base)) g.staging = true;
    const f = formatOf(base);
    if (f === 'distcp') g.distcp = true;
    if (f !== null) {
      g.formats.add(f);
      g.weights++;
    }
  }
  for (const [top, a] of agg) {
    const g = groups.get(top);
    if (!g) continue;
    g.size = a.size;
    g.mtime = Math.max(g.mtime, a.mtime);
  }

  const unfinished = new Set<string>();
  for (const n of rootFiles.keys()) if (n.endsWith(UNFINISHED)) unfinished.add(n.slice(0, -UNFINISHED.length));
  const tagStep = (t: string | null | undefined): number | null => (t ? stepOf(t) ?? (/^\d+$/.test(t) ? Number(t) : null) : null);
  const latestStep = tagStep(facts.latest);
  const latestAt = rootFiles.get('latest')?.mtime ?? 0;
  const iterStep = tagStep(facts.latestIteration);
  const iterAt = rootFiles.get('latest_checkpointed_iteration.txt')?.mtime ?? 0;
  const now = facts.now ?? null;

  const out: (Checkpoint & { mt: number })[] = [];
  for (const g of groups.values()) {
    // a directory is a checkpoint when its name says so or it holds weights
    if (g.isDir && g.weights === 0 && !CKPT_DIR.test(g.name) && !STAGING.test(g.name)) continue;
    const step = stepOf(g.name) ?? g.nestedStep;
    const bare = g.name.replace(/\.[a-z0-9]+$/i, '');
    const writing =
      (now !== null && g.mtime > 0 && now - g.mtime < WRITING_QUIET_S) ||
      g.staging ||
      STAGING.test(g.name) ||
      unfinished.has(g.name) ||
      unfinished.has(bare) ||
      (g.distcp && !g.metadata) ||
      (g.globalStepDir && !g.latestFile) ||
      // DeepSpeed's `latest` / Megatron's tracker are written after the checkpoint: a newer one is not done
      (/^global[_-]?step\d+$/i.test(g.name) && latestStep !== null && step !== null && step > latestStep && g.mtime >= latestAt) ||
      (/^iter_\d+$/.test(g.name) && iterStep !== null && step !== null && step > iterStep && g.mtime >= iterAt);
    const root = g.name === '.';
    const name = root ? (g.file ?? FINAL_NAME) : g.name;
    const c: Checkpoint & { mt: number } = {
      name,
      path: root ? (g.file !== null ? joinPath(dir, g.file) : dir) : joinPath(dir, g.name),
      step,
      sizeBytes: g.size,
      modifiedAt: g.mtime > 0 ? new Date(Math.round(g.mtime * 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      formats: FORMAT_ORDER.filter((f) => g.formats.has(f)),
      mt: g.mtime,
    };
    if (writing) c.writing = true;
    out.push(c);
  }
  out.sort((a, b) => b.mt - a.mt || (b.step ?? -1) - (a.step ?? -1) || a.name.localeCompare(b.name));
  return out.map(({ mt: _mt, ...c }) => c);
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

// A trainer's log line that says a checkpoint is being saved or was saved: the monitor then lists the
// run's checkpoints at once instead of waiting for the next round. Pure; the wiring (a debounced
// refresh of the selected run) is in src/store/reduce.ts and src/sources/controller.ts.
//
// What the trainers print (test/fixtures/checkpoints/log*):
//   HF Trainer     `Saving model checkpoint to out/checkpoint-500` (or out/tmp-checkpoint-xxxx)
//   Lightning      `Epoch 2, global step 600: 'val_loss' reached 0.12345 (best 0.12345), saving model to '…/epoch=2-step=600.ckpt' as top 1`
//   DeepSpeed      `[Rank 0] Saving model checkpoint: out/global_step500/mp_rank_00_model_states.pt`,
//                  `[Torch] Saved …/zero_pp_rank_0_mp_rank_00_optim_states.pt.`, `zero checkpoint saved …`,
//                  `Checkpoint global_step500 is ready now!`
//   Megatron       `saving checkpoint at iteration     500 to ckpt`, `successfully saved checkpoint from iteration     500 to ckpt`
//   NeMo / others  `Saving checkpoint… `, `Async checkpoint save for step 10 … finalized successfully`, `Saved checkpoint to …`

const PATTERNS: readonly RegExp[] = [
  /\bsaving model checkpoint\b/i,
  /\bsaving model to\b/i,
  /\bsav(?:ed|ing)\b.{0,60}\bcheckpoint/i,
  /\bcheckpoint\b.{0,60}\b(?:saved|is ready now|finalized)\b/i,
  /\bsave_checkpoint\b/i,
  /\bcheckpoint save\b/i,
  /\bsaving (?:model|weights)\b/i,
  /\[Torch\] Saved\b/,
];

/** At most this much of each end of a line is looked at (a 1 MB line of tqdm costs nothing). */
const END = 500;

/** Every pattern holds "sav" or "checkpoint": one cheap test turns away almost every line first. */
const MAYBE = /sav|checkpoint/i;

/** Whether this log line says a checkpoint was (or is being) saved. */
export function savesCheckpoint(line: string): boolean {
  if (line.length === 0) return false;
  const head = line.length > 2 * END ? `${line.slice(0, END)}\n${line.slice(-END)}` : line;
  // "not saving", "skip saving": nothing lands
  if (!MAYBE.test(head)) return false;
  if (/\b(?:not|skip(?:ping)?|won't|will not)\s+sav/i.test(head)) return false;
  return PATTERNS.some((p) => p.test(head));
}

/** Whether any of these lines does. */
export function anySavesCheckpoint(lines: readonly string[]): boolean {
  for (const l of lines) if (savesCheckpoint(l)) return true;
  return false;
}

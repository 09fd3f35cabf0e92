import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anySavesCheckpoint, savesCheckpoint } from '../../../src/parse/checkpoint-saved.js';

// the HF Trainer lines as captured (transformers #36076), provenance line dropped
const hf = readFileSync(new URL('../../fixtures/checkpoints/log_hf-trainer-saving-tmp-checkpoint_transformers-issue-36076.txt', import.meta.url), 'utf8')
  .split('\n')
  .slice(1)
  .filter((l) => l !== '');

describe('a log line that says a checkpoint was saved', () => {
  it('the captured HF Trainer save', () => {
    // 'Configuration saved in …/tmp-checkpoint-…/config.json' is part of the same save: one more (debounced) look
    expect(hf.map(savesCheckpoint)).toEqual([false, true, true]);
  });

  it.each([
    // Lightning ModelCheckpoint, from its format string (test/fixtures/checkpoints/log-format_*)
    "Epoch 2, global step 600: 'val_loss' reached 0.12345 (best 0.12345), saving model to '/u/lightning_logs/version_0/checkpoints/epoch=2-step=600.ckpt' as top 1",
    // DeepSpeed engine._save_checkpoint through log_dist
    '[2025-03-25 18:40:01,123] [INFO] [logging.py:96:log_dist] [Rank 0] Saving model checkpoint: out/global_step500/mp_rank_00_model_states.pt',
    '[2025-03-25 18:40:09,001] [INFO] [torch_checkpoint_engine.py:23:save] [Torch] Saved out/global_step500/zero_pp_rank_0_mp_rank_00_optim_states.pt.',
    '[2025-03-25 18:40:09,002] [INFO] [engine.py:3488:_save_zero_checkpoint] zero checkpoint saved out/global_step500/zero_pp_rank_0_mp_rank_00_optim_states.pt',
    '[2025-03-25 18:40:09,003] [INFO] [engine.py:3400:_save_checkpoint] Checkpoint global_step500 is ready now!',
    // Megatron
    'saving checkpoint at iteration     500 to /ckpt in torch format',
    '  successfully saved checkpoint from iteration     500 to /ckpt',
    // NeMo async
    'Async checkpoint save for step 10 (/r/checkpoints/megatron_gpt--step=9.ckpt) finalized successfully.',
    `${'x'.repeat(1 << 20)} Saving model checkpoint to out/checkpoint-9`,
  ])('%s', (line) => expect(savesCheckpoint(line)).toBe(true));

  it.each([
    '{"loss": 1.23, "grad_norm": 0.5, "learning_rate": 2e-5, "epoch": 0.1}',
    "Epoch 3, global step 800: 'val_loss' was not in top 1",
    'Not saving checkpoint: save_steps not reached',
    ' 40%|████      | 400/1000 [01:00<01:30,  6.61it/s]',
    '',
  ])('not: %s', (line) => expect(savesCheckpoint(line)).toBe(false));

  it('any of a chunk; never throws', () => {
    expect(anySavesCheckpoint(['a', hf[1]!])).toBe(true);
    expect(anySavesCheckpoint([])).toBe(false);
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (s) => typeof savesCheckpoint(s) === 'boolean'));
  });
});

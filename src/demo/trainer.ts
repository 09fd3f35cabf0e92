// A simulated trainer for `rtk-tui demo`: prints what a Hugging Face Trainer run prints (tqdm bar
// rewritten with \r, `{'loss': ...}` dicts, eval dicts, a CUDA OOM traceback when asked) and writes
// small checkpoint-N/ directories, keeping only the last few so disk use stays bounded.
// Run as `node dist/demo/trainer.js [--steps N] [--start N] ...`; cheap: one timer, a few writes a second.
import { appendFileSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface TrainerOptions {
  steps: number;
  start: number;
  /** Steps per second. */
  rate: number;
  /** Milliseconds between bar redraws. */
  tickMs: number;
  logEvery: number;
  evalEvery: number;
  ckptEvery: number;
  ckptDir: string | null;
  keepCkpts: number;
  /** Append everything printed to this file too (what `| tee -a` would do). */
  log: string | null;
  pidFile: string | null;
  /** Append `PID MIB python` here: the fake nvidia-smi's process list (helper G's procs file). */
  gpuProcs: string | null;
  gpuMib: number;
  /** Die with a CUDA OOM at this step (exit 1). */
  oomAt: number | null;
  loop: boolean;
  seed: number;
}

export const DEFAULTS: TrainerOptions = {
  steps: 30000,
  start: 0,
  rate: 12,
  tickMs: 150,
  logEvery: 25,
  evalEvery: 500,
  ckptEvery: 250,
  ckptDir: null,
  keepCkpts: 3,
  log: null,
  pidFile: null,
  gpuProcs: null,
  gpuMib: 71234,
  oomAt: null,
  loop: false,
  seed: 1,
};

const INT_FLAGS = {
  '--steps': 'steps',
  '--start': 'start',
  '--tick-ms': 'tickMs',
  '--log-every': 'logEvery',
  '--eval-every': 'evalEvery',
  '--ckpt-every': 'ckptEvery',
  '--keep-ckpts': 'keepCkpts',
  '--seed': 'seed',
  '--gpu-mib': 'gpuMib',
} as const;

export function parseTrainerArgs(argv: string[]): { ok: true; value: TrainerOptions } | { ok: false; error: string } {
  const o: TrainerOptions = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    if (a === '--loop') {
      o.loop = true;
      continue;
    }
    if (v === undefined) return { ok: false, error: `${a} needs a value` };
    i++;
    if (a in INT_FLAGS) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) return { ok: false, error: `${a} needs a whole number, got ${v}` };
      o[INT_FLAGS[a as keyof typeof INT_FLAGS]] = n;
    } else if (a === '--rate') {
      const n = Number(v);
      if (!(n > 0)) return { ok: false, error: `--rate needs a positive number, got ${v}` };
      o.rate = n;
    } else if (a === '--oom-at') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) return { ok: false, error: `--oom-at needs a step number, got ${v}` };
      o.oomAt = n;
    } else if (a === '--ckpt-dir') o.ckptDir = v;
    else if (a === '--log') o.log = v;
    else if (a === '--pid-file') o.pidFile = v;
    else if (a === '--gpu-procs') o.gpuProcs = v;
    else return { ok: false, error: `unknown flag ${a}` };
  }
  if (o.steps < 1) return { ok: false, error: '--steps must be at least 1' };
  if (o.tickMs < 10) o.tickMs = 10;
  return { ok: true, value: o };
}

/** mm:ss, or h:mm:ss past an hour, as tqdm writes durations. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${String(m).padStart(2, '0')}:${ss}`;
}

const EIGHTHS = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

export function formatBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const cells = f * width;
  const full = Math.floor(cells);
  const part = Math.floor((cells - full) * 8);
  let bar = '█'.repeat(full);
  if (full < width) bar += part > 0 ? EIGHTHS[part] : ' ';
  return bar.padEnd(width, ' ');
}

/** The tqdm status line: `Steps:  12%|██▍  | 3600/30000 [01:02<07:34, 9.8it/s, loss=2.29, lr=1e-4]`. */
export function formatProgress(p: {
  step: number;
  total: number;
  elapsedS: number;
  rate: number;
  loss: number;
  lr: number;
}): string {
  const frac = p.step / p.total;
  const pct = `${Math.floor(frac * 100)}%`.padStart(4, ' ');
  const remaining = p.rate > 0 ? (p.total - p.step) / p.rate : 0;
  return (
    `Steps: ${pct}|${formatBar(frac, 20)}| ${p.step}/${p.total} ` +
    `[${formatDuration(p.elapsedS)}<${formatDuration(remaining)}, ${p.rate.toFixed(1)}it/s, ` +
    `loss=${p.loss.toFixed(3)}, lr=${formatLr(p.lr)}]`
  );
}

function formatLr(lr: number): string {
  return lr.toExponential(1).replace('.0e', 'e').replace('e-', 'e-');
}

/** A small PRNG so each run looks different but a seed reproduces it. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Loss that decays from ~2.6 towards ~0.4 with noise; learning rate: warmup then cosine. */
export function lossAt(step: number, total: number, noise: number): number {
  const x = step / total;
  return 0.4 + 2.2 * Math.exp(-5 * x) + 0.08 * (noise - 0.5);
}

export function lrAt(step: number, total: number): number {
  const warm = Math.min(500, total / 10);
  if (step < warm) return 2e-4 * (step / warm);
  const x = (step - warm) / Math.max(1, total - warm);
  return 1e-5 + (2e-4 - 1e-5) * 0.5 * (1 + Math.cos(Math.PI * x));
}

/** A valid, tiny safetensors file: one fp16 tensor of `n` elements (2n bytes of payload). */
export function tinySafetensors(n: number, fill: number): Buffer {
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    'lm_head.weight': { dtype: 'F16', shape: [n], data_offsets: [0, n * 2] },
  });
  const padded = header.padEnd(Math.ceil(header.length / 8) * 8, ' ');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(padded.length));
  return Buffer.concat([len, Buffer.from(padded), Buffer.alloc(n * 2, fill & 0xff)]);
}

export class Trainer {
  private step: number;
  private readonly rnd: () => number;
  private readonly t0 = Date.now();
  private readonly startStep: number;
  private timer: NodeJS.Timeout | null = null;
  private carry = 0;
  private lastBarLen = 0;
  private done: (code: number) => void = () => {};

  constructor(
    private readonly o: TrainerOptions,
    private readonly write: (s: string) => void,
  ) {
    this.step = Math.min(o.start, o.steps);
    this.startStep = this.step;
    this.rnd = mulberry32(o.seed);
  }

  /** Resolves with the exit status when training ends (never, with --loop, unless an OOM is asked for). */
  run(): Promise<number> {
    this.banner();
    return new Promise((resolve) => {
      this.done = resolve;
      this.timer = setInterval(() => this.tick(), this.o.tickMs);
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private banner(): void {
    const o = this.o;
    this.line('***** Running training *****');
    this.line(`  Num examples = ${(o.steps * 32).toLocaleString('en-US')}`);
    this.line('  Num Epochs = 3');
    this.line('  Instantaneous batch size per device = 8');
    this.line('  Total train batch size (w. parallel, distributed & accumulation) = 32');
    this.line(`  Total optimization steps = ${o.steps.toLocaleString('en-US')}`);
    this.line('  Number of trainable parameters = 25,460,736');
    if (this.step > 0 && o.ckptDir) {
      // a resumed run: the checkpoints it resumed from are already on disk, backdated
      const last = Math.floor(this.step / o.ckptEvery) * o.ckptEvery;
      for (let k = o.keepCkpts - 1; k >= 0; k--) {
        const s = last - k * o.ckptEvery;
        if (s > 0) this.checkpoint(s, Date.now() - ((this.step - s) / o.rate) * 1000);
      }
      if (last > 0) this.line(`Resuming training from checkpoint ${join(o.ckptDir, `checkpoint-${last}`)}`);
    }
    this.bar();
  }

  private tick(): void {
    const o = this.o;
    this.carry += (o.rate * o.tickMs) / 1000;
    const advance = Math.floor(this.carry);
    this.carry -= advance;
    for (let i = 0; i < advance; i++) {
      this.step++;
      if (o.oomAt !== null && this.step >= o.oomAt) return this.oom();
      if (this.step % o.logEvery === 0) this.dict(this.trainDict());
      if (o.evalEvery > 0 && this.step % o.evalEvery === 0) this.dict(this.evalDict());
      if (o.ckptDir && o.ckptEvery > 0 && this.step % o.ckptEvery === 0) this.checkpoint(this.step, Date.now());
      if (this.step >= o.steps) return this.finish();
    }
    this.bar();
  }

  private loss(): number {
    return lossAt(this.step, this.o.steps, this.rnd());
  }

  private trainDict(): string {
    const epoch = (3 * this.step) / this.o.steps;
    const gn = 0.6 + this.rnd() * 1.4;
    return `{'loss': ${this.loss().toFixed(4)}, 'grad_norm': ${gn.toFixed(6)}, 'learning_rate': ${lrAt(this.step, this.o.steps).toExponential(4)}, 'epoch': ${epoch.toFixed(2)}}`;
  }

  private evalDict(): string {
    const epoch = (3 * this.step) / this.o.steps;
    const ev = this.loss() + 0.05;
    return `{'eval_loss': ${ev.toFixed(4)}, 'eval_runtime': ${(20 + this.rnd() * 5).toFixed(3)}, 'eval_samples_per_second': ${(48 + this.rnd() * 4).toFixed(2)}, 'epoch': ${epoch.toFixed(2)}}`;
  }

  private barText(): string {
    const elapsed = (Date.now() - this.t0) / 1000;
    const rate = elapsed > 0.5 ? (this.step - this.startStep) / elapsed : this.o.rate;
    return formatProgress({
      step: this.step,
      total: this.o.steps,
      elapsedS: elapsed + this.startStep / this.o.rate,
      rate: rate > 0 ? rate : this.o.rate,
      loss: this.loss(),
      lr: lrAt(this.step, this.o.steps),
    });
  }

  private bar(): void {
    const text = this.barText();
    // tqdm pads with spaces to the previous length, so a shorter line fully overwrites a longer one
    this.write(`\r${text.padEnd(this.lastBarLen, ' ')}`);
    this.lastBarLen = text.length;
  }

  /** tqdm.write(): clear the bar, print the line, the bar is redrawn on the next tick. */
  private dict(text: string): void {
    this.write(`\r${' '.repeat(this.lastBarLen)}\r${text}\n`);
    this.lastBarLen = 0;
  }

  private line(text: string): void {
    this.write(`${text}\n`);
  }

  private checkpoint(step: number, mtimeMs: number): void {
    const root = this.o.ckptDir;
    if (!root) return;
    try {
      const dir = join(root, `checkpoint-${step}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'model.safetensors'), tinySafetensors(8192 + (step % 7) * 512, step));
      writeFileSync(
        join(dir, 'config.json'),
        `${JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64, num_hidden_layers: 2, torch_dtype: 'float16' }, null, 2)}\n`,
      );
      writeFileSync(join(dir, 'trainer_state.json'), `${JSON.stringify({ global_step: step, max_steps: this.o.steps }, null, 2)}\n`);
      const t = new Date(mtimeMs);
      for (const f of ['model.safetensors', 'config.json', 'trainer_state.json']) utimesSync(join(dir, f), t, t);
      utimesSync(dir, t, t);
      this.prune(root);
      if (mtimeMs >= this.t0) this.dict(`Saving model checkpoint to ${dir}`);
    } catch (e) {
      this.dict(`[demo] could not write checkpoint-${step}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Keep the last few written (by time, then step: a --loop run starts its steps again at 0). */
  private prune(root: string): void {
    const all = readdirSync(root)
      .map((n) => /^checkpoint-(\d+)$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[0], step: Number(m[1]), mtime: statSync(join(root, m[0])).mtimeMs }))
      .sort((a, b) => a.mtime - b.mtime || a.step - b.step);
    for (const c of all.slice(0, Math.max(0, all.length - this.o.keepCkpts))) {
      rmSync(join(root, c.name), { recursive: true, force: true });
    }
  }

  private oom(): void {
    this.stop();
    this.write('\n');
    this.line('Traceback (most recent call last):');
    this.line('  File "train.py", line 251, in <module>');
    this.line('    main()');
    this.line('  File "train.py", line 228, in main');
    this.line('    loss.backward()');
    this.line('  File "/opt/conda/lib/python3.11/site-packages/torch/_tensor.py", line 581, in backward');
    this.line('    torch.autograd.backward(');
    this.line(
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.12 GiB is free. Of the allocated memory 75.31 GiB is allocated by PyTorch.',
    );
    this.done(1);
  }

  private finish(): void {
    this.bar();
    this.write('\n');
    const runtime = (Date.now() - this.t0) / 1000;
    this.line(
      `{'train_runtime': ${runtime.toFixed(4)}, 'train_samples_per_second': ${((this.o.steps * 32) / Math.max(runtime, 0.001)).toFixed(3)}, 'train_loss': ${this.loss().toFixed(4)}, 'epoch': 3.0}`,
    );
    this.line('Training completed. Do not forget to share your model on huggingface.co/models =)');
    if (this.o.loop) {
      this.step = 0;
      this.line('');
      this.banner();
      return;
    }
    this.stop();
    this.done(0);
  }
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseTrainerArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`trainer: ${parsed.error}\n`);
    return 2;
  }
  const o = parsed.value;
  if (o.pidFile) writeFileSync(o.pidFile, `${process.pid}\n`);
  // one short append: atomic enough for the few trainers of a demo sharing the file
  if (o.gpuProcs) appendFileSync(o.gpuProcs, `${process.pid} ${o.gpuMib} python\n`);
  if (o.ckptDir) mkdirSync(o.ckptDir, { recursive: true });
  const write = (s: string): void => {
    process.stdout.write(s);
    if (o.log) {
      try {
        appendFileSync(o.log, s);
      } catch {
        // the log vanished (demo cleaned up): keep printing to the terminal
      }
    }
  };
  const t = new Trainer(o, write);
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    process.on(sig, () => {
      t.stop();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
  process.stdout.on('error', () => process.exit(0));
  return t.run();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

// A run card for UI and store tests: a run half way, three metrics over 5,000 steps, one GPU, one process.
import type { RunCard } from '../../src/domain/run-card.js';

const loss: [number, number][] = Array.from({ length: 500 }, (_, i) => [i * 10 + 1, 11 - 9 * (i / 499)]);

export function sampleCard(over: Partial<RunCard> = {}): RunCard {
  return {
    run: {
      id: 'a800:train',
      host: 'a800',
      session: 'train',
      state: 'running',
      reason: null,
      alerts: [],
      progress: { step: 4991, total: 10000, percent: 49.9, etaSeconds: 3600 },
      metrics: { loss: 2 },
      log: '/home/u/train.log',
      logStart: null,
      checkpoints: '/home/u/ckpt',
      lastOutputSecondsAgo: 3,
      attachedClients: 0,
      createdAt: '2026-12-01T10:00:00Z',
    },
    command: 'torchrun --nproc_per_node=8 train.py',
    cwd: '/home/u',
    startedAt: '2026-12-01T10:00:00Z',
    elapsedSeconds: 7200,
    rate: { itPerSec: 3.5, samplesPerSec: null, tokensPerSec: 12000 },
    series: { loss, learning_rate: loss.map(([s]) => [s, 3e-4 * (1 - s / 5000)]), eval_loss: loss.filter((_, i) => i % 50 === 0).map(([s, v]) => [s, v + 0.2]) },
    seriesSource: { bytes: 123456, lines: 200000, from: 0 },
    metrics: [
      { key: 'loss', latest: 2, latestStep: 4991, best: 2, bestStep: 4991, trend: 'down' },
      { key: 'eval_loss', latest: 2.3, latestStep: 4501, best: 2.3, bestStep: 4501, trend: 'down' },
      { key: 'learning_rate', latest: 1e-6, latestStep: 4991, best: null, bestStep: null, trend: 'down' },
    ],
    gpus: [{ index: 0, uuid: 'GPU-1', name: 'NVIDIA H200', utilizationPercent: 97, memoryUsedMiB: 70000, memoryTotalMiB: 143771, utilizationHistory: [], memoryHistory: [] }],
    processes: [{ pid: 4242, rank: 0, cpuPercent: 101.3, rssMiB: 5120, gpuMemoryMiB: 70000, elapsedSeconds: 7100, command: 'python train.py \\x1b[2J' }],
    checkpoints: { dir: '/home/u/ckpt', count: 3, newest: 'checkpoint-4500', cadenceSeconds: 1800, sizeBytes: 2469606195, totalBytes: 7408818585, diskFreeBytes: 48318382080, diskFullInSeconds: null },
    alerts: [],
    hints: [],
    events: [],
    errors: [],
    ...over,
  };
}


// `gpustat --json` → the same GPU records as nvidia-smi. Old gpustat (≤0.6) lacks driver_version
// and fan.speed; `processes` may be null; unavailable GPUs come as entries with the error in `name`.
import type { Gpu, GpuProcess, Result } from '../domain/types.js';
import { err, ok } from '../domain/types.js';

export interface GpustatReport {
  hostname: string | null;
  driver: string | null;
  gpus: Gpu[];
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function toProcess(p: unknown): GpuProcess | null {
  if (!isObj(p)) return null;
  const pid = num(p.pid);
  if (pid === null || !Number.isInteger(pid) || pid < 0) return null;
  return { pid, name: str(p.command), usedMemoryMiB: num(p.gpu_memory_usage), run: null };
}

function toGpu(g: unknown, position: number): Gpu | null {
  if (!isObj(g)) return null;
  const index = num(g.index);
  const procs = Array.isArray(g.processes) ? g.processes.map(toProcess).filter((p): p is GpuProcess => p !== null) : [];
  return {
    index: index !== null && Number.isInteger(index) && index >= 0 ? index : position,
    name: str(g.name),
    uuid: str(g.uuid),
    utilizationPercent: num(g['utilization.gpu']),
    memoryUsedMiB: num(g['memory.used']),
    memoryTotalMiB: num(g['memory.total']),
    temperatureC: num(g['temperature.gpu']),
    powerW: num(g['power.draw']),
    powerLimitW: num(g['enforced.power.limit']) ?? num(g['power.limit']),
    processes: procs,
  };
}

/** Parse gpustat's JSON. Text before the first `{` (warnings, login noise) is skipped. */
export function parseGpustatJson(text: string): Result<GpustatReport> {
  const start = text.indexOf('{');
  if (start < 0) return err('parse', 'gpustat --json printed no JSON object');
  let data: unknown;
  try {
    data = JSON.parse(text.slice(start));
  } catch (e) {
    return err('parse', `gpustat --json printed invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObj(data) || !Array.isArray(data.gpus)) return err('parse', 'gpustat --json printed JSON without a "gpus" list');
  const gpus = data.gpus.map(toGpu).filter((g): g is Gpu => g !== null);
  return ok({ hostname: str(data.hostname), driver: str(data.driver_version), gpus });
}

// The round of every live run's checkpoint directory over real ssh (test/helpers/lab.ts), through the
// host's long-lived shared shell: one request for several directories, hostile names (a leading -,
// quotes, a newline, a symlink, ~ and a relative path), a missing one; each reads as it does listed alone.
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HostSpec } from '../../src/domain/types.js';
import type { Host } from '../../src/remote/host.js';
import { openHost } from '../../src/remote/index.js';
import { listCheckpoints, listCheckpointsOfRuns } from '../../src/sources/checkpoints.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';

const why = labUnavailable();

function hf(dir: string, steps: number[]): void {
  for (const s of steps) {
    const c = join(dir, `checkpoint-${s}`);
    mkdirSync(c, { recursive: true });
    writeFileSync(join(c, 'model.safetensors'), Buffer.alloc(s));
    const t = 1_700_000_000 + s;
    utimesSync(join(c, 'model.safetensors'), t, t);
    utimesSync(c, t, t);
  }
}

suite(why, 'checkpoint round over ssh', () => {
  let lab: Lab;
  let host: Host;
  beforeAll(async () => {
    lab = await startLab();
    const spec: HostSpec = { name: 'gpu', local: false, ssh: 'rtk-gpu' };
    host = openHost(spec, { home: lab.home, env: lab.env() });
  });
  afterAll(async () => {
    await host?.close();
    await lab?.stop();
  });

  it('lists several directories in one request, each as listed alone', async () => {
    const h = lab.remoteHome;
    hf(join(h, 'ck', 'plain'), [100, 200]);
    hf(join(h, '-rel dir'), [5]);
    hf(join(h, "q 'x' \"y\"\nz"), [7]);
    hf(join(h, 'real'), [9]);
    symlinkSync(join(h, 'real'), join(h, 'linked'));
    const items = [
      { runId: 'gpu:a', dir: '~/ck/plain' },
      { runId: 'gpu:b', dir: '-rel dir' },
      { runId: 'gpu:c', dir: join(h, "q 'x' \"y\"\nz") },
      { runId: 'gpu:d', dir: join(h, 'linked') },
      { runId: 'gpu:e', dir: join(h, 'nope') },
    ];
    const round = await listCheckpointsOfRuns(host, items);
    const names = (id: string) => {
      const r = round.get(id);
      return r?.ok ? r.value.checkpoints.map((c) => c.name) : r?.error.kind;
    };
    expect(names('gpu:a')).toEqual(['checkpoint-200', 'checkpoint-100']);
    expect(names('gpu:b')).toEqual(['checkpoint-5']);
    expect(names('gpu:c')).toEqual(['checkpoint-7']);
    expect(names('gpu:d')).toEqual(['checkpoint-9']);
    expect(names('gpu:e')).toBe('not-found');
    for (const it of items) {
      const one = await listCheckpoints(host, it.runId, it.dir);
      const mine = round.get(it.runId)!;
      if (one.ok && mine.ok) {
        expect(mine.value.diskFreeBytes, it.runId).toBeGreaterThan(0);
        expect(mine.value.checkpoints, it.runId).toEqual(one.value.checkpoints);
      } else expect(mine.ok ? 'ok' : mine.error.kind, it.runId).toBe(one.ok ? 'ok' : one.error.kind);
    }
    // the second round (what the host's find and awk are, learned) reads the same
    const again = await listCheckpointsOfRuns(host, items);
    for (const it of items) expect(again.get(it.runId)?.ok, it.runId).toBe(round.get(it.runId)?.ok);
    const c = again.get('gpu:c');
    expect(c?.ok && c.value.checkpoints.map((x) => x.name)).toEqual(['checkpoint-7']);
  });
});

// The jump pool: one shared chain per key, reference-counted, death told to every holder, a refused
// login reported to every waiter from a single dial, abandoned dials destroyed.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { err, ok, type Result } from '../../../src/domain/types.js';
import { JumpPool, type PoolClient } from '../../../src/remote/ssh-dial.js';

class Fake extends EventEmitter implements PoolClient {
  ended = 0;
  destroyed = 0;
  end(): void {
    this.ended++;
  }
  destroy(): void {
    this.destroyed++;
  }
}

const never = new Promise<void>(() => undefined);

function dialer(): { dials: number; clients: Fake[]; dial: (p: Set<Fake>) => Promise<Result<Fake[]>> } {
  const d = {
    dials: 0,
    clients: [] as Fake[],
    dial: async (): Promise<Result<Fake[]>> => {
      d.dials++;
      const c = new Fake();
      d.clients.push(c);
      await new Promise((r) => setTimeout(r, 5));
      return ok([c]);
    },
  };
  return d;
}

describe('JumpPool', () => {
  it('dials once for many targets at once, and closes when the last one lets go', async () => {
    const pool = new JumpPool<Fake>();
    const d = dialer();
    const leases = await Promise.all([1, 2, 3].map(() => pool.acquire('k', ['jump'], d.dial, never)));
    expect(d.dials).toBe(1);
    expect(leases.every((l) => l.ok && l.value.last === d.clients[0])).toBe(true);
    expect(pool.stats()).toEqual([{ key: 'k', refs: 3, dialing: false }]);
    const later = await pool.acquire('k', ['jump'], d.dial, never);
    expect(d.dials).toBe(1);
    for (const l of [...leases, later]) if (l.ok) l.value.release();
    expect(d.clients[0]?.ended).toBe(1);
    expect(pool.stats()).toEqual([]);
    // a new target after that dials afresh
    await pool.acquire('k', ['jump'], d.dial, never);
    expect(d.dials).toBe(2);
  });

  it('keeps different keys apart', async () => {
    const pool = new JumpPool<Fake>();
    const d = dialer();
    await Promise.all([pool.acquire('a', ['j'], d.dial, never), pool.acquire('b', ['j'], d.dial, never)]);
    expect(d.dials).toBe(2);
  });

  it('tells every holder once when the shared connection dies, and a release does not double-count', async () => {
    const pool = new JumpPool<Fake>();
    const d = dialer();
    const got = await Promise.all([1, 2].map(() => pool.acquire('k', ['bastion'], d.dial, never)));
    const told: string[] = [];
    for (const l of got) if (l.ok) l.value.onDeath((e) => told.push(e.message));
    // a holder that already let go hears nothing
    const gone = await pool.acquire('k', ['bastion'], d.dial, never);
    if (gone.ok) {
      gone.value.onDeath(() => told.push('released one'));
      gone.value.release();
      gone.value.release();
    }
    d.clients[0]?.emit('close');
    d.clients[0]?.emit('end');
    expect(told).toEqual(['connection to jump host bastion was lost.', 'connection to jump host bastion was lost.']);
    expect(pool.stats()).toEqual([]);
    const again = await pool.acquire('k', ['bastion'], d.dial, never);
    expect(again.ok).toBe(true);
    expect(d.dials).toBe(2);
  });

  it('reports one refused login to every waiter, without dialing again for each', async () => {
    const pool = new JumpPool<Fake>();
    let dials = 0;
    const dial = async (): Promise<Result<Fake[]>> => {
      dials++;
      await new Promise((r) => setTimeout(r, 5));
      return err('host-key-unknown', 'host key for bastion is not known.');
    };
    const rs = await Promise.all([1, 2, 3].map(() => pool.acquire('k', ['bastion'], dial, never)));
    expect(dials).toBe(1);
    expect(rs.map((r) => (r.ok ? null : r.error.kind))).toEqual(['host-key-unknown', 'host-key-unknown', 'host-key-unknown']);
    expect(pool.stats()).toEqual([]);
  });

  it('destroys a login in progress when every waiter is gone, and ends a chain nobody took', async () => {
    const pool = new JumpPool<Fake>();
    const c = new Fake();
    let finish: (r: Result<Fake[]>) => void = () => undefined;
    const dial = (pending: Set<Fake>): Promise<Result<Fake[]>> => {
      pending.add(c);
      return new Promise((r) => (finish = r));
    };
    let abandon: () => void = () => undefined;
    const abandoned = new Promise<void>((r) => (abandon = r));
    const p = pool.acquire('k', ['j'], dial, abandoned);
    abandon();
    const r = await p;
    expect(r.ok).toBe(false);
    expect(c.destroyed).toBe(1);
    // the login finishes anyway (a race): nobody holds it, so it is ended at once
    finish(ok([c]));
    await new Promise((res) => setTimeout(res, 0));
    expect(c.ended).toBe(1);
    expect(pool.stats()).toEqual([]);
  });
});

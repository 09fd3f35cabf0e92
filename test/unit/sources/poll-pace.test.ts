import { afterEach, describe, expect, it, vi } from 'vitest';
import { Coalescer, firstSpread, PollGate, POLL_CONCURRENCY, POLLS_PER_SECOND, runsInterval } from '../../../src/sources/poll-pace.js';

describe('runsInterval', () => {
  it('keeps the configured interval while the budget covers every host', () => {
    expect(runsInterval(5000, 10)).toBe(5000);
    expect(runsInterval(5000, 5 * POLLS_PER_SECOND)).toBe(5000);
  });
  it('stretches it to hosts / budget past that, except for the selected run host', () => {
    expect(runsInterval(5000, 256, false, 8)).toBe(32_000);
    expect(runsInterval(5000, 256, true, 8)).toBe(5000);
    // the budget holds for any number of hosts: polls a second never exceed it
    for (const n of [1, 17, 100, 256, 1000]) expect(n / (runsInterval(5000, n) / 1000)).toBeLessThanOrEqual(POLLS_PER_SECOND);
  });
});

describe('firstSpread', () => {
  it('lands in [half, whole] of the interval', () => {
    expect(firstSpread(10_000, () => 0)).toBe(5000);
    expect(firstSpread(10_000, () => 0.999999)).toBe(10_000);
    expect(firstSpread(10_000, () => 0.5)).toBe(7500);
  });
});

describe('PollGate', () => {
  it('lets POLL_CONCURRENCY in and the rest in turn, first come first served', async () => {
    const g = new PollGate();
    const releases = await Promise.all(Array.from({ length: POLL_CONCURRENCY }, () => g.acquire()));
    const order: number[] = [];
    const later = [1, 2, 3].map((i) => g.acquire().then((r) => (order.push(i), r)));
    expect(g.inFlight).toBe(POLL_CONCURRENCY);
    expect(g.waiting).toBe(3);
    releases[0]!();
    releases[1]!();
    releases[2]!();
    for (const r of await Promise.all(later)) r();
    expect(order).toEqual([1, 2, 3]);
  });
});

describe('Coalescer', () => {
  afterEach(() => vi.useRealTimers());
  it('delivers at once when off', () => {
    const c = new Coalescer(false);
    const got: number[] = [];
    c.deliver(() => got.push(1));
    expect(got).toEqual([1]);
  });
  it('batches background news into one delivery per period, in order; urgent news flushes the batch first', () => {
    vi.useFakeTimers();
    const c = new Coalescer(true, 1000);
    const got: string[] = [];
    c.deliver(() => got.push('a'));
    c.deliver(() => got.push('b'));
    expect(got).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(got).toEqual(['a', 'b']);
    c.deliver(() => got.push('c'));
    c.deliver(() => got.push('first data'), true);
    expect(got).toEqual(['a', 'b', 'c', 'first data']);
    vi.advanceTimersByTime(5000);
    expect(got).toHaveLength(4);
  });
  it('drops what is queued once closed', () => {
    vi.useFakeTimers();
    const c = new Coalescer(true, 1000);
    const got: string[] = [];
    c.deliver(() => got.push('a'));
    c.close();
    c.deliver(() => got.push('b'), true);
    vi.advanceTimersByTime(2000);
    expect(got).toEqual([]);
  });
});

describe('PollGate.tryAcquire', () => {
  it('takes a free slot at once, and none while others wait', async () => {
    const g = new PollGate(1);
    const a = g.tryAcquire();
    expect(a).not.toBeNull();
    expect(g.tryAcquire()).toBeNull();
    const b = g.acquire();
    a!();
    // the waiter got the slot: a newcomer does not jump the queue
    expect(g.tryAcquire()).toBeNull();
    (await b)();
    expect(g.tryAcquire()).not.toBeNull();
  });
});

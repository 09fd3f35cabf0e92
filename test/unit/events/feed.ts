// The events engine fed as the sources feed it, for the events tests: observations in order, each at
// its time (ms after T0); every event kept, and the memory carried on.
import { derive, emptyContext, emptyMemory, type DeriveContext, type EventMemory, type EventOptions, type Observation } from '../../../src/events/derive.js';
import type { RtkEvent } from '../../../src/events/types.js';
import { T0 } from '../../ui/fixture-store.js';

export const OPTS: EventOptions = { stallAfterMs: 60_000, gpuIdleAfterMs: 30_000, hostLostAfterMs: 5_000 };

export class Feed {
  memory: EventMemory = emptyMemory();
  ctx: DeriveContext = emptyContext();
  events: RtkEvent[] = [];
  at(t: number, obs: Observation): RtkEvent[] {
    const d = derive(this.memory, obs, T0 + t, OPTS, this.ctx);
    this.memory = d.memory;
    this.events.push(...d.events);
    return d.events;
  }
  kinds(): string[] {
    return this.events.map((e) => `${e.kind} ${e.run ?? e.host}`);
  }
}

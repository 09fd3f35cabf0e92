// The run card's source in the monitor: while the card is open, the card is gathered once (the
// whole log read from the run's start, streamed), then refreshed every few seconds (only what the
// log gained since is read). One gathering at a time; closing the card drops what is in flight.
import type { Config } from '../config/schema.js';
import type { HostSpec } from '../domain/types.js';
import type { RtkEvent } from '../events/types.js';
import type { Host } from '../remote/host.js';
import type { Store } from '../store/index.js';
import { bytes } from '../parse/units.js';
import { collectCard, type CardResult } from './run-card.js';

export const CARD_REFRESH_MS = 10_000;

interface Open {
  runId: string;
  session: string;
  host: Host;
  spec: HostSpec;
  /** The last gathering: the next one reads only what changed. */
  prev: CardResult | null;
  timer: NodeJS.Timeout | null;
  busy: boolean;
  /** Bumped on every open and close: a gathering that finishes for an older one is dropped. */
  gen: number;
  /** Closing the card ends its log read. */
  abort: AbortController;
}

export class CardSource {
  private open: Open | null = null;
  private gen = 0;

  constructor(
    private readonly o: { store: Store; cfg: Config; events: () => readonly RtkEvent[]; refreshMs?: number },
  ) {}

  show(runId: string, session: string, host: Host, spec: HostSpec): void {
    this.close();
    this.open = { runId, session, host, spec, prev: null, timer: null, busy: false, gen: ++this.gen, abort: new AbortController() };
    void this.gather(this.open);
  }

  refresh(): void {
    if (this.open && !this.open.busy) void this.gather(this.open);
  }

  close(): void {
    if (this.open?.timer) clearTimeout(this.open.timer);
    this.open?.abort.abort();
    this.open = null;
    this.gen++;
  }

  private async gather(c: Open): Promise<void> {
    if (c.timer) clearTimeout(c.timer);
    c.timer = null;
    c.busy = true;
    const first = c.prev === null;
    let lastSaid = 0;
    const r = await collectCard({
      host: c.host,
      spec: c.spec,
      cfg: this.o.cfg,
      runId: c.runId,
      session: c.session,
      events: this.o.events(),
      prev: c.prev,
      signal: c.abort.signal,
      onLogBytes: first
        ? (n) => {
            const now = Date.now();
            if (now - lastSaid < 250 || c.gen !== this.gen) return;
            lastSaid = now;
            this.o.store.dispatch({ type: 'card', runId: c.runId, loading: `reading the whole log: ${bytes(n)}…` });
          }
        : undefined,
    });
    c.busy = false;
    if (c.gen !== this.gen) return;
    if (r.ok) {
      c.prev = r.value;
      this.o.store.dispatch({ type: 'card', runId: c.runId, data: r.value.card, loading: null, error: null });
    } else this.o.store.dispatch({ type: 'card', runId: c.runId, error: r.error.message, loading: null });
    c.timer = setTimeout(() => void this.gather(c), this.o.refreshMs ?? CARD_REFRESH_MS);
    c.timer.unref?.();
  }
}

// `rtk-tui watch [--json] [--exec CMD ARG...] [--since[=DURATION]]`: the events of every host as they
// happen (DESIGN section 9), headless, forever. The same sources as the monitor (one runs poll per
// host per interval, one GPU stream, every live run's checkpoints) feed the events layer; a host that
// drops is retried like in the monitor. Each event is a line (or a JSON object per line with --json);
// --exec runs a program per event (src/events/hooks.ts). Ends on SIGINT or SIGTERM with status 0.
import { loadConfig } from '../config/load.js';
import { parseDuration } from '../config/schema.js';
import { err, ok, type HostSpec } from '../domain/types.js';
import { EventHub, eventOptionsOf } from '../events/hub.js';
import { HookRunner } from '../events/hooks.js';
import { statePath } from '../events/state-file.js';
import type { RtkEvent } from '../events/types.js';
import { safeText } from '../parse/terminal.js';
import { localStamp } from '../parse/units.js';
import type { Host } from '../remote/host.js';
import { openHost, processHostEnv } from '../remote/index.js';
import { Controller } from '../sources/controller.js';
import { createStore } from '../store/index.js';
import { useColor, type CommandContext, type CommandResult } from './context.js';
import { toJson } from './json.js';
import { isClosedPipe, untilStopped, type Stopper } from './until-stopped.js';

const USAGE = 'usage: rtk-tui watch [--json] [--since[=DURATION]] [--exec CMD [ARG...]]';

interface WatchArgs {
  json: boolean;
  /** null: no --since; Infinity: every saved event; else ms back from now. */
  sinceMs: number | null;
  exec: string[];
}

export function parseWatchArgs(argv: string[]): WatchArgs | string {
  const a: WatchArgs = { json: false, sinceMs: null, exec: [] };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--json') a.json = true;
    else if (w === '--since') a.sinceMs = Infinity;
    else if (w.startsWith('--since=')) {
      const ms = parseDuration(w.slice(8));
      if (ms === null) return `watch: --since wants a duration like 2h or 30m, got ${JSON.stringify(w.slice(8))} (${USAGE})`;
      a.sinceMs = ms;
    } else if (w === '--exec') {
      a.exec = argv.slice(i + 1);
      if (a.exec[0] === '--') a.exec.shift();
      if (a.exec.length === 0) return `watch: --exec needs a program to run (${USAGE})`;
      break;
    } else return `watch: ${w.startsWith('-') ? `unknown flag ${w}` : `unexpected argument ${w}`} (${USAGE})`;
  }
  return a;
}

const KIND_COLOR: Record<string, string> = {
  'run.failed': '31',
  'run.stalled': '33',
  'run.nan': '33',
  'gpu.idle': '33',
  'disk.low': '33',
  'host.lost': '33',
  'run.finished': '34',
  'run.started': '32',
  'run.resumed': '32',
  'host.back': '32',
};

/** One event as a human line (and its hint on the next), every host string made safe for the terminal. */
export function eventLine(e: RtkEvent, color: boolean): string {
  const d = new Date(e.time);
  const when = Number.isNaN(d.getTime()) ? safeText(String(e.time)) : localStamp(d);
  // events saved in the state file are read back from disk: nothing in them is trusted either
  const kind = safeText(String(e.kind)).padEnd(14);
  const k = color && KIND_COLOR[e.kind] ? `\x1b[${KIND_COLOR[e.kind]}m${kind}\x1b[0m` : kind;
  const hint = e.hint ? `\n    hint: ${safeText(e.hint)}` : '';
  return `${when}  ${k} ${safeText(e.message)}${hint}\n`;
}

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const a = parseWatchArgs(argv);
  if (typeof a === 'string') return err('usage', a);
  const loaded = loadConfig(ctx.global, ctx.env);
  if (!loaded.ok) return loaded;
  const cfg = loaded.value;
  const color = useColor(ctx);
  const warn = (s: string): void => void ctx.stderr.write(`rtk-tui: ${safeText(s)}\n`);
  let stopper: Stopper | null = null;
  let closed = false;
  // a reader that goes away (`| head`) ends the watch quietly
  ctx.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (isClosedPipe(e)) {
      closed = true;
      stopper?.stop();
    }
  });
  const print = (e: RtkEvent): void => {
    if (!closed) ctx.stdout.write(a.json ? `${toJson(e)}\n` : eventLine(e, color));
  };

  const hub = new EventHub({
    path: statePath(ctx.env),
    options: eventOptionsOf(cfg),
    onWarning: warn,
  });
  if (hub.loadWarning) warn(hub.loadWarning);
  if (a.sinceMs !== null) {
    const from = a.sinceMs === Infinity ? -Infinity : Date.now() - a.sinceMs;
    for (const e of hub.events) if (Date.parse(e.time) >= from) print(e);
  }
  const hooks = a.exec.length > 0 ? new HookRunner({ argv: a.exec, onReport: warn }) : null;
  hub.on((e) => {
    print(e);
    hooks?.push(e);
  });

  const henv = processHostEnv(ctx.env);
  const specs: HostSpec[] = cfg.hosts;
  const hosts = new Map<string, Host>(specs.map((s) => [s.name, openHost(s, henv)]));
  const store = createStore({ hosts: specs.map((s) => s.name), scrollback: 100, maxHz: 1, fastHz: 1 });
  const controller = new Controller({ cfg, specs, hosts, store, headless: true, checkpointsOfAll: true, observe: (o) => hub.observe(o), logFile: ctx.env.RTK_TUI_LOG ?? null, tickMs: 0 });
  controller.start();
  // until a signal, or the reader went away
  stopper = untilStopped(['SIGINT', 'SIGTERM', 'SIGHUP']);
  if (closed) stopper.stop();
  await stopper.done;
  await controller.stop();
  hub.close();
  // a notification on its way out is let finish, briefly
  await hooks?.drain(3000);
  const all = Promise.allSettled([...hosts.values()].map((h) => h.close()));
  await Promise.race([all, new Promise((r) => setTimeout(r, 2000).unref())]);
  store.dispose();
  return ok(0);
}

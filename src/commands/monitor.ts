// rtk-tui [HOST...]: the monitor. Loads the config (HOST words add ssh hosts, as --host does), opens
// every host, starts the sources (src/sources/controller.ts), renders the UI, and runs the effects
// that happen outside React: attach (the UI steps aside while a child owns the terminal), kill,
// refresh, quit. A host that is down never ends the monitor; only q, Ctrl-C or a signal do.
import { handOverQuickFrame, saveScreen } from '../tty/quick-frame.js';
import { stateLabel } from '../ui/format.js';
import { loadConfig, selectHosts } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import { buildKeymap } from '../keys/keymap.js';
import type { Host } from '../remote/host.js';
import { openHost, processHostEnv, type HostEnv } from '../remote/index.js';
import { attachArgv, newRun } from '../remote/tmux-control.js';
import { isSlurm, jobShellArgv, submitJob } from './slurm-actions.js';
import { effectiveSpec } from '../sources/scheduler-detect.js';
import { CANCEL_GONE, checkJobId, scancelScript } from '../sources/slurm-control.js';
import { executeKill, killSummary, planKill } from '../sources/kill-run.js';
import { launchOnFreeGpus } from '../sources/launch.js';
import { parseGpusFlag } from '../parse/gpu-pick.js';
import { installPeekEffect } from '../tty/attach-effect.js';
import { Controller } from '../sources/controller.js';
import { EventHub, eventOptionsOf } from '../events/hub.js';
import { HookRunner } from '../events/hooks.js';
import { statePath } from '../events/state-file.js';
import { commandLog } from '../remote/command-log.js';
import { desktopKind, notificationBytes } from '../tty/notify.js';
import { createStore, type NewRunDefaults, type Store } from '../store/index.js';
import { useColor, type CommandContext, type CommandResult } from './context.js';

type RunEffect = { runId: string; host: string; session: string };

export interface MonitorOptions {
  henv: HostEnv;
  /** Shown once in the status bar when the monitor opens. */
  greeting?: string;
  /** What an empty Directory or Log field of the new-run form means (the demo: its own directory). */
  newRunDefaults?: NewRunDefaults;
  /** The state file (last known state, events); null: none (the demo keeps its own). Default: $XDG_STATE_HOME/rtk-tui/state.json. */
  statePath?: string | null;
  /** Called once the store and the sources exist (the demo uses it; tests too). */
  onStart?: (m: { store: Store; controller: Controller; hosts: Map<string, Host> }) => void;
}

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const extra: string[] = [];
  for (const a of argv) {
    if (a === '--') continue;
    if (a.startsWith('-')) return err('usage', `unknown flag ${a} for the monitor (see rtk-tui --help)`);
    extra.push(a);
  }
  // HOST arguments are the hosts of this monitor: exactly those (--host adds to the config's)
  const loaded = loadConfig({ ...ctx.global, hosts: extra.length > 0 ? [] : ctx.global.hosts }, ctx.env);
  if (!loaded.ok) return loaded;
  const cfg = extra.length > 0 ? selectHosts(loaded.value, [...ctx.global.hosts, ...extra]) : loaded;
  if (!cfg.ok) return cfg;
  return runMonitor(ctx, cfg.value, { henv: processHostEnv(ctx.env) });
}

/** Needs a terminal on both ends; everything else is reported inside the UI. */
export function checkTerminal(ctx: CommandContext, what: string): Result<void> {
  if (ctx.stdin.isTTY !== true || ctx.stdout.isTTY !== true) {
    return err('usage', `${what} needs a terminal (stdin and stdout must be a TTY); for scripts use rtk-tui ls --json or rtk-tui gpus --json.`);
  }
  return ok(undefined);
}

export async function runMonitor(ctx: CommandContext, cfg: Config, o: MonitorOptions): Promise<CommandResult> {
  const tty = checkTerminal(ctx, 'the monitor');
  if (!tty.ok) return tty;
  const keymap = buildKeymap(cfg.keys);
  if (!keymap.ok) return err('config', `${cfg.path ?? 'config'}: ${keymap.error.message}`);
  const specs: HostSpec[] = cfg.hosts;
  const hosts = new Map<string, Host>();
  for (const s of specs) hosts.set(s.name, openHost(s, o.henv));

  // React's development build is several times slower (and is what loads when NODE_ENV is unset);
  // it picks its build when first loaded, which is the import below
  if (process.env.NODE_ENV === undefined) process.env.NODE_ENV = 'production';
  // Ink and React take a while to load: let the hosts connect and the first polls run meanwhile
  const uiModule = loadUi();
  uiModule.catch(() => undefined);
  const store = createStore({
    hosts: specs.map((s) => s.name),
    ...(cfg.groups ? { groups: cfg.groups } : {}),
    scrollback: cfg.scrollback,
    readonly: ctx.global.readonly,
    ...(o.newRunDefaults ? { newRunDefaults: o.newRunDefaults } : {}),
    keymap: keymap.value,
    size: { cols: ctx.stdout.columns ?? 80, rows: ctx.stdout.rows ?? 24 },
  });
  const say = (text: string, level: 'info' | 'warn' | 'error' = 'info') => store.dispatch({ type: 'message', text, level });
  // the events layer: the last session's runs on screen at once (stale until each host answers), the
  // recent events in the events view, and notifications for what happens from now on
  const hub = new EventHub({
    path: o.statePath !== undefined ? o.statePath : statePath(ctx.env),
    options: eventOptionsOf(cfg),
    onWarning: (w) => say(w, 'warn'),
  });
  // the view keeps the newest EVENTS_SHOWN of them (addEvents)
  store.dispatch({ type: 'events', events: [...hub.events] });
  const desktop = desktopKind(cfg.notify.desktop, ctx.env);
  const inTmux = (ctx.env.TMUX ?? '') !== '';
  const hooks = cfg.notify.exec.length > 0 ? new HookRunner({ argv: cfg.notify.exec, onReport: (m) => say(m, 'warn') }) : null;
  // the command log view (C): this monitor's commands, kept up to date while it is open
  const cmdLog = commandLog();
  const offCmds = cmdLog?.on((entry) => {
    if (store.getState().commandsView !== null) store.dispatch({ type: 'commands', entries: [entry], replace: false });
  }) ?? (() => undefined);
  const offCmdOpen = store.onEffect((e) => {
    if (e.type === 'commands.open') store.dispatch({ type: 'commands', entries: cmdLog?.entries() ?? [], replace: true });
  });
  const offHub = hub.on((e) => {
    store.dispatch({ type: 'events', events: [e] });
    if (!cfg.notify.on.includes(e.kind)) return;
    const bytes = notificationBytes(e, cfg.notify, desktop, inTmux);
    // not while a child owns the terminal (attach): its screen is not ours to ring
    if (bytes !== '' && !controller.isPaused) ctx.stdout.write(bytes);
    hooks?.push(e);
  });
  const controller = new Controller({ cfg, specs, hosts, store, logFile: ctx.env.RTK_TUI_LOG ?? null, tickMs: 0, checkpointsOfAll: true, observe: (x) => hub.observe(x) });
  // a host found to be a Slurm login node (its first poll said) acts as one: K, a and n
  const specOf = (name: string) => {
    const spec = specs.find((s) => s.name === name);
    const host = hosts.get(name);
    return spec && host ? effectiveSpec(host, spec) : spec;
  };

  let pulling: string | null = null;
  let attachWanted: RunEffect | null = null;
  let ui: { unmount(): void; waitUntilExit(): Promise<void> } | null = null;

  const offEffects = store.onEffect((e) => {
    switch (e.type) {
      case 'run.attach':
        if (attachWanted) return;
        attachWanted = { runId: e.runId, host: e.host, session: e.session };
        ui?.unmount();
        return;
      case 'run.kill': {
        const spec = specOf(e.host);
        const host = hosts.get(e.host);
        if (!spec || !host) return;
        say(`killing ${e.runId}…`);
        const created = e.createdAt === null ? NaN : Date.parse(e.createdAt);
        if (isSlurm(spec)) {
          // a Slurm job: scancel exactly that job id
          void (async () => {
            const id = checkJobId(e.session);
            const r = id.ok ? await host.exec(scancelScript(e.session), { timeoutMs: 30_000 }) : id;
            if (!r.ok) say(r.error.message, 'error');
            else if (r.value.code === CANCEL_GONE) say(`Slurm no longer knows job ${e.session}: not cancelled`, 'warn');
            else if (r.value.code !== 0) say(`scancel ${e.session} failed (exit status ${r.value.code})`, 'error');
            else say(`cancelled ${e.runId}`);
            controller.refresh();
          })();
          return;
        }
        void (async () => {
          // all of it (its processes, what it left on the GPUs), and only the session shown: not
          // one re-created under its name since
          const plan = await planKill(host, spec, e.session, e.runId);
          if (plan.ok && Number.isFinite(created) && plan.value.createdAt !== null && plan.value.createdAt !== Math.round(created / 1000)) {
            say(`${e.runId} was re-created under that name since it was shown; not killed. Look again.`, 'error');
            return;
          }
          const r = plan.ok ? await executeKill(host, spec, plan.value, 10) : plan;
          if (!r.ok) say(r.error.message, 'error');
          else {
            const lines = killSummary(e.runId, r.value);
            say(lines.map((l) => l.trim()).join(' · '), r.value.left.length > 0 ? 'warn' : 'info');
          }
          controller.refresh();
        })();
        return;
      }
      case 'run.new': {
        const spec = specOf(e.host);
        const host = hosts.get(e.host);
        if (!spec || !host) {
          say(`no host named ${e.host} is configured`, 'error');
          return;
        }
        const id = `${e.host}:${e.name}`;
        // empty fields mean what the form showed dim
        const d = o.newRunDefaults;
        const cwd = e.cwd ?? (d ? d.cwd : null);
        const log = e.log ?? (d ? `${d.logDir}/${e.name}.log` : null);
        const req = {
          name: e.name,
          cmd: e.cmd,
          ...(cwd !== null ? { cwd } : {}),
          ...(log !== null ? { log } : {}),
          ...(e.checkpoints !== null ? { checkpoints: e.checkpoints } : {}),
        };
        // GPUs: picked free under the host's lock (as new --gpus), or pinned
        const pick = e.gpus !== null ? parseGpusFlag(e.gpus, undefined) : null;
        if (pick !== null && !pick.ok) {
          say(pick.error.message, 'error');
          return;
        }
        if (isSlurm(spec)) {
          // a Slurm host: the form's run is submitted as a batch job (the GPUs a count)
          if (pick?.value && pick.value.count === null) return say('on a Slurm host GPUs are a count (Slurm picks them), not a list', 'error');
          void submitJob(ctx, host, spec, { name: e.name, argv: e.cmd, cwd: e.cwd, output: e.log, gpus: pick?.value?.count ?? null }).then((r) => {
            if (!r.ok) return say(r.error.message, 'error');
            say(`submitted ${e.host}:${r.value} (Slurm job ${r.value}, named ${e.name})`);
            store.dispatch({ type: 'select', runId: `${e.host}:${r.value}` });
            controller.refresh();
          });
          return;
        }
        const started = pick?.value ? launchOnFreeGpus(host, spec, req, pick.value) : newRun(host, spec, req);
        void started.then((r) => {
          if (!r.ok) {
            say(r.error.message, 'error');
            return;
          }
          say(`started ${id}`);
          // selected as soon as the refresh brings it
          store.dispatch({ type: 'select', runId: id });
          controller.refresh();
        }, (x: unknown) => say(`could not start ${id}: ${x instanceof Error ? x.message : String(x)}`, 'error'));
        return;
      }
      case 'run.relaunch': {
        const spec = specOf(e.host);
        const host = hosts.get(e.host);
        if (!spec || !host) return;
        void import('./relaunch.js')
          .then(({ relaunchRun }) => relaunchRun(host, spec, cfg, e.session, e.runId, { resume: e.resume, replace: false, note: (m) => say(m) }))
          .then((r) => {
            if (!r.ok) say(r.error.message, 'error');
            else if (r.value !== null) {
              say(`started ${r.value.id} again (from ${e.runId})`);
              store.dispatch({ type: 'select', runId: r.value.id });
              controller.refresh();
            }
          }, (x: unknown) => say(`could not relaunch ${e.runId}: ${x instanceof Error ? x.message : String(x)}`, 'error'));
        return;
      }
      case 'ckpt.pull': {
        const host = hosts.get(e.host);
        if (!host) return;
        if (pulling) {
          say(`a download is already running (${pulling}); one at a time`, 'warn');
          return;
        }
        pulling = e.checkpoint.name;
        void pull(host, e.checkpoint.path, ctx.cwd, e.checkpoint.name, say).finally(() => (pulling = null));
        return;
      }
      default:
        return;
    }
  });

  const offPeek = installPeekEffect({ store, hosts, specs });
  controller.start();
  // after start: the controller hears the selection they make and follows that run's log
  for (const spec of specs) {
    const last = hub.lastRuns[spec.name];
    if (last && last.runs.length > 0) store.dispatch({ type: 'runs.restored', host: spec.name, runs: last.runs, at: last.at });
  }
  o.onStart?.({ store, controller, hosts });
  if (o.greeting) say(o.greeting);
  if (hub.loadWarning) say(hub.loadWarning, 'warn');
  const io = { stdin: ctx.stdin, stdout: ctx.stdout, stderr: ctx.stderr, color: useColor(ctx) };
  // the screen is kept for the next start (bin/rtk-tui draws it before the program loads)
  let keepScreen = (): void => undefined;
  const keeper = setInterval(() => keepScreen(), 30_000);
  keeper.unref();
  try {
    const { renderMonitor, lastFrameText } = await uiModule;
    keepScreen = () => saveScreen(ctx.env, { cols: ctx.stdout.columns ?? 0, rows: ctx.stdout.rows ?? 0 }, lastFrameText());
    for (;;) {
      handOverQuickFrame();
      ui = renderMonitor(store, io);
      await ui.waitUntilExit();
      keepScreen();
      ui = null;
      const a = attachWanted as RunEffect | null;
      attachWanted = null;
      if (!a || store.getState().quitting) break;
      await attach(a, ctx, cfg, o.henv, specOf(a.host), controller, say, store);
      if (store.getState().quitting) break;
    }
  } finally {
    clearInterval(keeper);
    offEffects();
    offPeek();
    offHub();
    offCmds();
    offCmdOpen();
    await controller.stop();
    hub.close();
    await hooks?.drain(2000);
    await closeAll(hosts);
    store.dispose();
  }
  return ok(0);
}

async function attach(
  e: RunEffect,
  ctx: CommandContext,
  cfg: Config,
  henv: HostEnv,
  spec: HostSpec | undefined,
  controller: Controller,
  say: (t: string, l?: 'info' | 'warn' | 'error') => void,
  store: Store,
): Promise<void> {
  if (!spec) return;
  controller.pause();
  try {
    const { detachKeyOf } = await import('./attach.js');
    const { attachInteractive } = await import('../tty/attach.js');
    // attachInteractive unsets TMUX for the child itself (nesting on purpose) and says so in its banner
    const env = henv.env;
    // a Slurm job: a shell inside it (not under --readonly: it could change things)
    let argv: string[];
    if (isSlurm(spec)) {
      if (ctx.global.readonly) return say(`read-only mode: no shell inside Slurm job ${e.runId} (its log is in the log pane)`, 'warn');
      const a = jobShellArgv(spec, e.session, henv);
      if (!a.ok) return say(a.error.message, 'error');
      argv = a.value;
    } else argv = attachArgv(spec, e.session, henv, ctx.global.readonly);
    const out = await attachInteractive({
      argv,
      title: e.runId + (ctx.global.readonly ? ' (read-only)' : ''),
      stdin: ctx.stdin,
      stdout: ctx.stdout,
      detachKey: detachKeyOf(cfg.keys),
      env,
    });
    // a signal while attached ends the monitor, as it would have without the attach
    if (out.reason === 'signal') store.command('app.quit');
    else if (out.reason === 'detached') {
      // what is true of the run: the store's last state of it
      const run = (store.getState().runsByHost[e.host] ?? []).find((r) => r.id === e.runId);
      const ended = run !== undefined && (run.state === 'finished' || run.state === 'failed');
      say(ended ? `detached from ${e.runId}; its command had already ended (${stateLabel(run)}): the session stays until it is killed` : `detached from ${e.runId}; it keeps running`);
    }
    else if (out.reason === 'exited') say(out.message ?? `${e.runId} ended`, out.message ? 'warn' : 'info');
    else say(out.message ?? `could not attach to ${e.runId}`, 'error');
  } catch (x) {
    say(`could not attach to ${e.runId}: ${x instanceof Error ? x.message : String(x)}`, 'error');
  } finally {
    controller.resume();
  }
}

/** `D` on a checkpoint: into the directory rtk-tui was started from, progress in the status bar. */
async function pull(
  host: Host,
  path: string,
  into: string,
  name: string,
  say: (t: string, l?: 'info' | 'warn' | 'error') => void,
): Promise<void> {
  const { pullCheckpoint } = await import('../remote/transfer.js');
  let last = 0;
  say(`downloading ${name} into ${into}…`);
  const r = await pullCheckpoint(host, path, into, (p) => {
    const now = Date.now();
    if (now - last < 1000 || p.bytesTotal === 0) return;
    last = now;
    const pct = Math.floor((100 * p.bytesDone) / p.bytesTotal);
    say(`downloading ${name}: ${pct}% (${p.filesDone}/${p.filesTotal} files)${p.phase === 'verify' ? ', verifying' : ''}`);
  });
  if (r.ok) say(`downloaded ${name} to ${r.value.dest}`);
  else say(r.error.message, 'error');
}

/** Close every host, but never hang the way out on a dead connection. */
async function closeAll(hosts: Map<string, Host>): Promise<void> {
  const all = Promise.allSettled([...hosts.values()].map((h) => h.close()));
  await Promise.race([all, new Promise((r) => setTimeout(r, 2000).unref())]);
}

type UiModule = typeof import('../ui/render-monitor.js');

/**
 * The UI, from its bundle when the build made one: Node 20 takes ~300 ms to load Ink's ESM module
 * graph file by file, ~100 ms as one file (bench first-frame). From sources (tests) there is none.
 */
async function loadUi(): Promise<UiModule> {
  try {
    return (await import(new URL('../ui/render-monitor.bundle.js', import.meta.url).href)) as UiModule;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    return import('../ui/render-monitor.js');
  }
}

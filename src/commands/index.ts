// The command table: --help is generated from it, cli.ts dispatches through it.
import type { CommandInfo, CommandModule } from './context.js';

// Loaded on use, so `rtk-tui ls` never pays for Ink and React.
const lazy = (file: string) => (): Promise<CommandModule> =>
  import(new URL(`./${file}.js`, import.meta.url).href) as Promise<CommandModule>;

export const COMMANDS: CommandInfo[] = [
  { name: 'ls', usage: 'ls [--json]', summary: 'runs on every host: state, progress, metrics, alerts, log, checkpoints', built: true, load: lazy('ls') },
  { name: 'gpus', usage: 'gpus [--json] [--watch]', summary: 'GPUs of every host, with processes mapped to runs', built: true, load: lazy('gpus') },
  { name: 'logs', usage: 'logs RUN [-n N] [-f]', summary: "print the run's log; -f follows, surviving reconnects", built: true, load: lazy('logs') },
  { name: 'ckpt', usage: 'ckpt RUN [--json]', summary: "the run's checkpoints", built: true, load: lazy('ckpt') },
  { name: 'attach', usage: 'attach RUN', summary: "attach to the run's tmux session (detach returns to the shell)", built: true, load: lazy('attach') },
  { name: 'new', usage: 'new NAME --host H [--log FILE] [--checkpoints DIR] [--cwd DIR] -- CMD [ARG...]', summary: 'start a command in a new detached tmux session', built: true, changes: 'it starts a run', load: lazy('new') },
  { name: 'kill', usage: 'kill RUN [--yes]', summary: "kill the run's tmux session (refuses without --yes when stdin is not a terminal)", built: true, changes: 'it ends a run', load: lazy('kill') },
  { name: 'check', usage: 'check --host H [--file check.yaml] [flags]', summary: 'pre-flight checks on a host: GPUs, disk, files, checksums, model files', built: true, load: lazy('check') },
  { name: 'push', usage: 'push LOCAL HOST:REMOTE [--force] [--hash md5|sha256] [--limit RATE]', summary: 'upload with progress, resume and checksum verification', built: true, changes: 'it writes files on the host; pull is allowed', load: lazy('push') },
  { name: 'pull', usage: 'pull HOST:REMOTE LOCAL [--force] [--hash md5|sha256] [--limit RATE]', summary: 'download with progress, resume and checksum verification', built: true, load: lazy('pull') },
  { name: 'trust', usage: 'trust HOST', summary: 'show the unknown host keys on the way to HOST, ask, and write known_hosts as ssh would', built: true, load: lazy('trust') },
  { name: 'demo', usage: 'demo [--keep]', summary: 'a simulated training run on this machine, opened in the monitor', built: true, load: lazy('demo') },
];

export const MONITOR: CommandInfo = {
  name: 'monitor',
  usage: '[HOST...]',
  summary: 'the monitor (TUI); hosts from the config, or these ssh aliases / user@host[:port]',
  built: true,
  load: lazy('monitor'),
};

export function findCommand(name: string): CommandInfo | undefined {
  return COMMANDS.find((c) => c.name === name);
}

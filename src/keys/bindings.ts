// The default key map of DESIGN section 5, as data. The resolver, the footer hints and the `?` help
// overlay are all generated from this one table, so they cannot drift apart.

/** Pane scopes are active when their pane has the focus; `global` backs every pane scope. */
export type PaneScope = 'runs' | 'log' | 'gpus' | 'checkpoints';
/** Modal scopes take every key while open (Ctrl-C, hard-wired to app.quit, still applies). */
export type ModalScope = 'help' | 'input' | 'confirm' | 'confirm-typed' | 'new-run' | 'hosts' | 'events' | 'commands' | 'relaunch' | 'card' | 'log-search';
export type Scope = 'global' | PaneScope | ModalScope | 'attached';

/** Ctrl-C always quits, in every scope; it is not configurable (the terminal's own convention). */
export const QUIT_KEY = 'ctrl+c';

export const PANE_SCOPES: readonly PaneScope[] = ['runs', 'log', 'gpus', 'checkpoints'];
export const SCOPES: readonly Scope[] = [
  'global',
  'runs',
  'log',
  'gpus',
  'checkpoints',
  'help',
  'input',
  'confirm',
  'confirm-typed',
  'new-run',
  'hosts',
  'events',
  'commands',
  'relaunch',
  'card',
  'log-search',
  'attached',
];

export interface Binding {
  command: string;
  scope: Scope;
  /** Normalised key names (see normalizeKey): 'q', 'K', 'tab', 'shift+tab', 'ctrl+u', 'pageup'. */
  keys: string[];
  description: string;
  /** Shown in the status bar's hints (the help overlay shows everything). */
  footer: boolean;
  /** Changes something on a host: refused in --readonly. */
  dangerous?: boolean;
}

const b = (
  scope: Scope,
  command: string,
  keys: string[],
  description: string,
  footer = false,
  dangerous = false,
): Binding => (dangerous ? { scope, command, keys, description, footer, dangerous } : { scope, command, keys, description, footer });

export const DEFAULT_BINDINGS: readonly Binding[] = [
  b('global', 'app.help', ['?'], 'help', true),
  b('global', 'app.quit', ['q'], 'quit', true),
  b('global', 'pane.next', ['tab'], 'next pane'),
  b('global', 'pane.prev', ['shift+tab'], 'previous pane'),
  b('global', 'pane.runs', ['1'], 'focus runs'),
  b('global', 'pane.log', ['2'], 'focus log'),
  b('global', 'pane.gpus', ['3'], 'focus GPUs'),
  b('global', 'pane.checkpoints', ['4'], 'focus checkpoints'),
  b('global', 'pane.zoom', ['z'], 'zoom', true),
  b('global', 'app.refresh', ['r'], 'refresh now (and retry failed hosts)'),
  b('global', 'host.detail', ['H'], 'hosts: state, last error and fix'),
  b('global', 'events.open', ['e'], 'events', true),
  b('global', 'commands.open', ['C'], 'the remote commands rtk-tui ran'),

  b('runs', 'runs.down', ['j', 'down'], 'next run'),
  b('runs', 'runs.up', ['k', 'up'], 'previous run'),
  b('runs', 'runs.first', ['g', 'home'], 'first run'),
  b('runs', 'runs.last', ['G', 'end'], 'last run'),
  b('runs', 'run.showLog', ['enter'], 'show its log'),
  b('runs', 'card.open', ['i'], 'run card', true),
  b('runs', 'run.attach', ['a'], 'attach', true, true),
  b('runs', 'run.peek', ['p'], 'peek (live pane)'),
  b('runs', 'run.kill', ['K'], 'kill (confirm)', true, true),
  b('runs', 'run.new', ['n'], 'new run', false, true),
  b('runs', 'run.relaunch', ['R'], 'relaunch (a finished or failed run, as it was started)', false, true),
  b('runs', 'runs.filter', ['/'], 'filter', true),
  b('runs', 'runs.clearFilter', ['esc'], 'clear the filter'),
  b('runs', 'runs.sort', ['s'], 'sort: host, state, progress, last output'),

  b('log', 'log.down', ['j', 'down'], 'line down'),
  b('log', 'log.up', ['k', 'up'], 'line up'),
  b('log', 'log.pageUp', ['pageup', 'ctrl+u'], 'page up'),
  b('log', 'log.pageDown', ['pagedown', 'ctrl+d'], 'page down'),
  b('log', 'log.top', ['g', 'home'], 'top'),
  b('log', 'log.bottom', ['G', 'end'], 'bottom'),
  b('log', 'log.follow', ['f'], 'follow', true),
  b('log', 'log.search', ['/'], 'search', true),
  b('log', 'log.searchFile', ['F'], 'search whole file', true),
  b('log', 'log.next', ['n'], 'next match'),
  b('log', 'log.prev', ['N'], 'previous match'),
  b('log', 'log.wrap', ['w'], 'wrap'),
  b('log', 'log.clearSearch', ['esc'], 'clear the search'),

  b('gpus', 'gpus.down', ['j', 'down'], 'next GPU'),
  b('gpus', 'gpus.up', ['k', 'up'], 'previous GPU'),
  // zoomed (z): j/k walk the process table, these jump between GPUs
  b('gpus', 'gpus.next', ['l', 'right'], 'next GPU (zoomed)'),
  b('gpus', 'gpus.prev', ['h', 'left'], 'previous GPU (zoomed)'),
  b('gpus', 'gpus.sort', ['o'], 'sort processes (zoomed): memory, CPU, RSS, time, pid, user, run'),
  b('gpus', 'gpus.select', ['enter'], "select the process's run (zoomed)"),

  b('checkpoints', 'ckpt.down', ['j', 'down'], 'next checkpoint'),
  b('checkpoints', 'ckpt.up', ['k', 'up'], 'previous checkpoint'),
  b('checkpoints', 'ckpt.pull', ['D'], 'download (pull)', true),

  b('help', 'help.close', ['esc', '?', 'q', 'enter'], 'close help', true),
  b('help', 'help.down', ['j', 'down'], 'scroll down', true),
  b('help', 'help.up', ['k', 'up'], 'scroll up'),

  b('input', 'input.submit', ['enter'], 'apply', true),
  b('input', 'input.cancel', ['esc'], 'cancel', true),
  b('input', 'input.backspace', ['backspace'], 'delete a character'),
  b('input', 'input.clear', ['ctrl+u'], 'clear'),
  b('input', 'input.regex', ['tab'], 'whole-file search: regex on/off'),
  b('input', 'input.case', ['shift+tab'], 'whole-file search: ignore case on/off'),

  b('confirm', 'confirm.yes', ['y', 'Y'], 'confirm', true),
  b('confirm', 'confirm.no', ['n', 'N', 'esc', 'q'], 'cancel', true),

  b('confirm-typed', 'confirm.submit', ['enter'], 'confirm when the name matches', true),
  b('confirm-typed', 'confirm.no', ['esc'], 'cancel', true),
  b('confirm-typed', 'input.backspace', ['backspace'], 'delete a character'),

  // the new-run form (`n` in the runs pane): typed text goes into the focused field
  // start first: on a narrow status bar the hints between the first and the last give way
  b('new-run', 'form.submit', ['ctrl+s'], 'start the run', true),
  b('new-run', 'form.next', ['tab', 'down'], 'next field', true),
  b('new-run', 'form.prev', ['shift+tab', 'up'], 'previous field'),
  b('new-run', 'form.enter', ['enter'], 'next field; start the run on the last'),
  b('new-run', 'form.left', ['left'], 'cursor left; previous host'),
  b('new-run', 'form.right', ['right'], 'cursor right; next host'),
  b('new-run', 'form.home', ['home', 'ctrl+a'], 'start of the field'),
  b('new-run', 'form.end', ['end', 'ctrl+e'], 'end of the field'),
  b('new-run', 'form.backspace', ['backspace'], 'delete a character'),
  b('new-run', 'form.clear', ['ctrl+u'], 'clear the field'),
  b('new-run', 'form.cancel', ['esc'], 'cancel', true),

  b('hosts', 'hosts.close', ['esc', 'q', 'H', 'enter'], 'close', true),
  b('hosts', 'hosts.down', ['j', 'down'], 'next host', true),
  b('hosts', 'hosts.up', ['k', 'up'], 'previous host'),
  b('hosts', 'hosts.retry', ['r'], 'connect again now', true),

  b('events', 'events.close', ['esc', 'q', 'e'], 'close', true),
  b('events', 'events.down', ['j', 'down'], 'older event', true),
  b('events', 'events.up', ['k', 'up'], 'newer event'),
  b('events', 'events.select', ['enter'], 'select its run', true),

  b('relaunch', 'relaunch.asIs', ['enter', 'y'], 'start it again as it was', true),
  b('relaunch', 'relaunch.resume', ['r'], 'from its newest complete checkpoint (config resume:)', true),
  b('relaunch', 'relaunch.cancel', ['esc', 'n', 'q'], 'cancel', true),

  b('commands', 'commands.close', ['esc', 'q', 'C'], 'close', true),
  b('commands', 'commands.down', ['j', 'down'], 'older command', true),
  b('commands', 'commands.up', ['k', 'up'], 'newer command'),

  // the run card (`i`): the run's own keys work on it as in the runs pane
  b('card', 'card.close', ['esc', 'q', 'i'], 'close', true),
  b('card', 'card.down', ['j', 'down'], 'scroll down'),
  b('card', 'card.up', ['k', 'up'], 'scroll up'),
  b('card', 'card.pageDown', ['pagedown', 'ctrl+d', ' '], 'page down'),
  b('card', 'card.pageUp', ['pageup', 'ctrl+u'], 'page up'),
  b('card', 'card.top', ['g', 'home'], 'top'),
  b('card', 'card.logScale', ['L'], 'log scale for the loss charts', true),
  b('card', 'card.log', ['l', 'enter'], 'its log', true),
  b('card', 'run.attach', ['a'], 'attach', true, true),
  b('card', 'run.peek', ['p'], 'peek (live pane)'),
  b('card', 'run.kill', ['K'], 'kill (confirm)', true, true),
  b('card', 'card.pull', ['D'], 'download (pull) the newest checkpoint', true),
  b('card', 'app.refresh', ['r'], 'refresh now'),
  // the matches of a whole-file search (F in the log pane)
  b('log-search', 'matches.jump', ['enter'], 'show it in the log pane', true),
  b('log-search', 'matches.down', ['j', 'down'], 'next match', true),
  b('log-search', 'matches.up', ['k', 'up'], 'previous match'),
  b('log-search', 'matches.first', ['g', 'home'], 'first match'),
  b('log-search', 'matches.last', ['G', 'end'], 'last match'),
  b('log-search', 'matches.close', ['esc', 'q'], 'close', true),

  b('attached', 'attach.detach', ['ctrl+\\'], 'detach back to the monitor', true),
];

/** Commands that take free text: unbound printable keys in these scopes become `input.char`. */
export const TEXT_SCOPES: ReadonlySet<Scope> = new Set<Scope>(['input', 'confirm-typed', 'new-run']);

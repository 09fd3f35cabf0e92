// argv → one command. The only place that turns error values into exit codes.
import { CommandLog, setCommandLog } from './remote/command-log.js';
import { commandLogPath } from './events/state-file.js';
import { readFileSync } from 'node:fs';
import { COMMANDS, MONITOR, findCommand } from './commands/index.js';
import { commandHelp, selfCommand } from './commands/help.js';
import { loadConfig } from './config/load.js';
import { closestNames, didYouMean } from './parse/suggest.js';
import { sshConfigAliases } from './remote/ssh-config.js';
import type { CommandContext, GlobalOptions } from './commands/context.js';
import type { RtkError } from './domain/types.js';
import { safeText } from './parse/terminal.js';
import { parseGlobal, type ParsedGlobal } from './cli-args.js';

const GLOBAL_HELP = `global: --config FILE  --host H (repeatable; an ssh alias or user@host[:port])  --readonly
        --no-color  --version  --help`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * A command the sentence tells the user to run (`run rtk-tui trust gpu`, `see rtk-tui ls --help`)
 * names rtk-tui the way it was started (`npx rtk-tui trust gpu`); the program's own name elsewhere
 * (`rtk-tui demo needs a terminal`) stays.
 */
export function withSelf(text: string, self: string): string {
  if (self === 'rtk-tui') return text;
  // a command line: rtk-tui followed by one of its commands or a flag ("rtk-tui never writes" is prose)
  const words = [...COMMANDS.map((c) => c.name), 'help'].join('|');
  const re = new RegExp(`(\\b(?:run|with|use|try|see|then)\\s+\`?|[(\`]|[:;]\\s+)rtk-tui(?=\\s+(?:(?:${words})\\b|--?[a-z]))`, 'g');
  return text.replace(re, (_m, lead: string) => `${lead}${self}`);
}

/** A first word that is a near miss of a command name, and no host the user could mean. */
function looksLikeCommand(word: string, ctx: CommandContext): boolean {
  if (word.length < 2 || word.includes('@') || word.includes('.') || word.includes(':')) return false;
  if (closestNames(word, COMMANDS.map((c) => c.name)).length === 0) return false;
  const home = ctx.env.HOME;
  if (home && sshConfigAliases(home).includes(word)) return false;
  const cfg = loadConfig({ ...ctx.global, hosts: [] }, ctx.env);
  return !(cfg.ok && cfg.value.hosts.some((h) => h.name === word || h.ssh === word));
}

export function helpText(self = 'rtk-tui'): string {
  const rows = [MONITOR, ...COMMANDS].map((c) => {
    const usage = `${self} ${c.usage}`;
    return { usage, summary: c.summary + (c.built ? '' : ' (not built yet)') };
  });
  const width = Math.min(48, Math.max(...rows.map((r) => r.usage.length)) + 2);
  const lines = rows.map((r) =>
    r.usage.length + 2 > width ? `${r.usage}\n${' '.repeat(width)}${r.summary}` : r.usage.padEnd(width) + r.summary,
  );
  return [
    'rtk-tui: training runs on remote GPU servers, on one screen',
    '',
    ...lines,
    '',
    GLOBAL_HELP,
    '',
    'Exit codes: 0 success, 1 the operation failed, 2 usage or configuration error.',
    'RUN is HOST:SESSION, or SESSION where it is unique. Config: --config, $RTK_TUI_CONFIG,',
    'else $XDG_CONFIG_HOME/rtk-tui/config.yaml. Set RTK_TUI_DEBUG=1 for stack traces.',
    `${self} COMMAND --help (or ${self} help COMMAND): a command's flags, examples and exit codes.`,
  ].join('\n');
}

export { parseGlobal, type ParsedGlobal };

function exitCodeFor(e: RtkError): number {
  return e.kind === 'usage' || e.kind === 'config' ? 2 : 1;
}

/**
 * The binary records every remote command into the state directory's commands.jsonl
 * (rtk-tui log-commands); in-process callers (tests) record nothing unless they call this.
 */
export function installCommandLog(env: NodeJS.ProcessEnv): void {
  setCommandLog(new CommandLog(commandLogPath(env)));
}

export async function main(argv: string[], io: Partial<CommandContext> = {}): Promise<number> {
  const parsed = parseGlobal(argv);
  const ctx: CommandContext = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    global: parsed.global,
  };
  // an error may quote a host (its stderr, a path, a name): nothing in it may drive the terminal;
  // a follow-up command in it names rtk-tui the way it was started (npx rtk-tui …)
  const say = (s: string) => ctx.stderr.write(`rtk-tui: ${withSelf(safeText(s), selfCommand(ctx.env))}\n`);
  if (parsed.error) {
    say(parsed.error);
    return 2;
  }
  if (parsed.version) {
    ctx.stdout.write(`${version()}\n`);
    return 0;
  }
  const [first, ...args] = parsed.rest;
  const known = first !== undefined ? findCommand(first) : undefined;
  const self = selfCommand(ctx.env);
  // `COMMAND --help`, `help COMMAND`: that command's help; else the overview
  if (first === 'help' || parsed.help) {
    const topic = first === 'help' ? args[0] : first;
    if (topic === undefined || (first !== 'help' && !known)) {
      ctx.stdout.write(`${helpText(self)}\n`);
      return 0;
    }
    const c = topic === 'monitor' ? MONITOR : findCommand(topic);
    if (!c) {
      say(`no command named ${topic}${didYouMean(topic, [...COMMANDS.map((x) => x.name), 'monitor'])}; ${self} --help lists them`);
      return 2;
    }
    ctx.stdout.write(`${commandHelp(c, self)}\n`);
    return 0;
  }
  const cmd = known ?? MONITOR;
  const cmdArgs = known ? args : parsed.rest;
  if (!known && first !== undefined && first.startsWith('-')) {
    say(`unknown flag ${first} (see ${self} --help)`);
    return 2;
  }
  // `rtk-tui lgos x`: a misspelled command is not a host to open the monitor on
  if (!known && first !== undefined && looksLikeCommand(first, ctx)) {
    say(`no command named ${first}${didYouMean(first, COMMANDS.map((x) => x.name))}; ${self} --help lists them (to open the monitor on a host named so, put it after --: ${self} -- ${first})`);
    return 2;
  }
  if (!cmd.built) {
    say(`${cmd.name} is not built yet in this version (see rtk-tui --help)`);
    return 2;
  }
  // read-only: nothing is changed or run on a host (check --run is refused by check itself)
  if (ctx.global.readonly && cmd.changes) {
    say(`${cmd.name} is refused in --readonly mode: ${cmd.changes}`);
    return 1;
  }
  try {
    const mod = await cmd.load();
    const res = await mod.run(cmdArgs, ctx);
    if (res.ok) return res.value;
    if (res.error.message) say(res.error.message);
    if (ctx.env.RTK_TUI_DEBUG && res.error.cause instanceof Error) ctx.stderr.write(`${res.error.cause.stack}\n`);
    return exitCodeFor(res.error);
  } catch (e) {
    say(`internal error in ${cmd.name}: ${e instanceof Error ? e.message : String(e)}`);
    if (ctx.env.RTK_TUI_DEBUG && e instanceof Error) ctx.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

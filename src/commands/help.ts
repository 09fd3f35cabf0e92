// What each command says about itself (`rtk-tui COMMAND --help`, `rtk-tui help COMMAND`): usage,
// every flag, examples and exit codes, from the command table's `help` entries. Also the way to
// name rtk-tui in a follow-up command it prints (`npx rtk-tui …` when it is not on the PATH).
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative } from 'node:path';
import type { CommandInfo } from './context.js';

export const GLOBAL_FLAGS: [string, string][] = [
  ['--config FILE', 'the config file (else $RTK_TUI_CONFIG, else ~/.config/rtk-tui/config.yaml)'],
  ['--host H', 'add a host: an ssh alias, user@host[:port], or local (repeatable); without a config file, the only hosts'],
  ['--readonly', 'change nothing and run nothing on a host (new, kill, push and check --run are refused; attach is read-only)'],
  ['--no-color', 'no colour (NO_COLOR does the same)'],
  ['--help, -h', "this command's help (rtk-tui help COMMAND too)"],
  ['--version, -V', 'the version'],
];

const EXIT = 'Exit codes: 0 done; 1 it failed (a host unreachable, a run not found, a remote command failed); 2 usage or configuration error.';

function table(rows: [string, string][], indent = 2): string[] {
  const w = Math.min(30, Math.max(...rows.map(([f]) => f.length)) + 2);
  return rows.map(([f, d]) => (f.length + 2 > w ? `${' '.repeat(indent)}${f}\n${' '.repeat(indent + w)}${d}` : `${' '.repeat(indent)}${f.padEnd(w)}${d}`));
}

/** The whole help of one command, with `self` as the way to run rtk-tui. */
export function commandHelp(c: CommandInfo, self = 'rtk-tui'): string {
  const h = c.help;
  const name = c.name === 'monitor' ? self : `${self} ${c.name}`;
  const lines = [`${name}: ${c.summary}`, '', 'Usage:', ...(h?.usage ?? [c.usage]).map((u) => `  ${self} ${u}`)];
  if (h?.about?.length) lines.push('', ...h.about);
  if (h?.flags?.length) lines.push('', 'Flags:', ...table(h.flags));
  if (h?.examples?.length) lines.push('', 'Examples:', ...h.examples.map((e) => `  ${e.replaceAll('rtk-tui ', `${self} `)}`));
  lines.push('', h?.exit ?? EXIT, '', 'Global flags:', ...table(GLOBAL_FLAGS));
  return lines.join('\n');
}

/**
 * How to run this rtk-tui in a command it prints: `rtk-tui` when that name on the PATH is this very
 * program, `npx rtk-tui` when npx started it, else the path of the program as started.
 */
export function selfCommand(env: NodeJS.ProcessEnv, argv1: string | undefined = process.argv[1]): string {
  const real = (p: string): string | null => {
    try {
      return realpathSync(p);
    } catch {
      return null;
    }
  };
  const me = argv1 ? real(argv1) : null;
  for (const d of (env.PATH ?? '').split(delimiter)) {
    // npx and npm scripts put node_modules/.bin first on the PATH they give the program: the user's
    // shell has no such entry, and `rtk-tui` typed there is "command not found"
    if (!d || /(^|[/\\])node_modules[/\\]\.bin[/\\]?$/.test(d)) continue;
    const p = join(d, 'rtk-tui');
    if (existsSync(p) && me !== null && real(p) === me) return 'rtk-tui';
  }
  if (env.npm_command === 'exec' || /\/_npx\//.test(argv1 ?? '')) return 'npx rtk-tui';
  if (me !== null && argv1) {
    // started by path: that path, relative to here when it is below here
    const rel = relative(process.cwd(), argv1);
    const shown = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? `./${rel}` : argv1;
    return /^[\w./+@%:-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", `'\\''`)}'`;
  }
  return 'rtk-tui';
}

// The global flags of the command line. Pure and light: bin/rtk-tui reads them before anything else
// loads (src/tty/quick-frame.ts), and cli.ts for every command.
import type { GlobalOptions } from './commands/context.js';

export interface ParsedGlobal {
  global: GlobalOptions;
  help: boolean;
  version: boolean;
  rest: string[];
  error: string | null;
}

/** Pull the global flags out of argv, wherever they stand before `--`. */
export function parseGlobal(argv: string[]): ParsedGlobal {
  const global: GlobalOptions = { config: null, hosts: [], readonly: false, noColor: false };
  const rest: string[] = [];
  let help = false;
  let ver = false;
  let error: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) return undefined;
      i++;
      return v;
    };
    switch (flag) {
      case '--config': {
        const v = value();
        if (v === undefined) error = '--config needs a file';
        else global.config = v;
        break;
      }
      case '--host': {
        const v = value();
        if (v === undefined) error = '--host needs an ssh alias or user@host[:port]';
        else global.hosts.push(v);
        break;
      }
      case '--readonly':
        global.readonly = true;
        break;
      case '--no-color':
        global.noColor = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      case '--version':
      case '-V':
        ver = true;
        break;
      default:
        rest.push(a);
    }
  }
  return { global, help, version: ver, rest, error };
}

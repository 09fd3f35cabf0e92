// What every command receives from cli.ts: the streams, the environment and the global flags.
import type { Readable, Writable } from 'node:stream';
import type { Result } from '../domain/types.js';

export interface GlobalOptions {
  config: string | null;
  /** --host values, in order: ssh aliases or user@host[:port]. */
  hosts: string[];
  readonly: boolean;
  noColor: boolean;
}

export interface CommandContext {
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  global: GlobalOptions;
}

/**
 * A command returns ok(exitCode) when it handled everything itself (0, or 1 after printing its own
 * report, as `check` does), or an error value that cli.ts prints as one sentence and maps to 1 or 2.
 */
export type CommandResult = Result<number>;

export interface CommandModule {
  run(argv: string[], ctx: CommandContext): Promise<CommandResult>;
}

export interface CommandHelp {
  /** Usage lines after `rtk-tui ` (default: the command's usage). */
  usage?: string[];
  /** A few lines on what it does, where the one-line summary is not enough. */
  about?: string[];
  flags?: [flag: string, description: string][];
  examples?: string[];
  /** Exit codes, when they say more than the global 0/1/2. */
  exit?: string;
}

export interface CommandInfo {
  name: string;
  usage: string;
  summary: string;
  /** false: listed in --help, says so and exits 2 when called. */
  built: boolean;
  /** What it changes on a host, when it always does: refused under --readonly (cli.ts). */
  changes?: string;
  /** `--help` of the command (commands/help.ts). */
  help?: CommandHelp;
  load: () => Promise<CommandModule>;
}

/** True when colour may be used on this stream. */
export function useColor(ctx: CommandContext, stream: { isTTY?: boolean } = ctx.stdout): boolean {
  if (ctx.global.noColor) return false;
  if (ctx.env.NO_COLOR !== undefined && ctx.env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

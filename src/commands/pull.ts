// rtk-tui pull HOST:REMOTE LOCAL: download over SFTP with progress, resume and checksum verification.
import type { CommandContext, CommandResult } from './context.js';
import { runTransfer } from './transfer-cli.js';

export function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  return runTransfer('pull', argv, ctx);
}

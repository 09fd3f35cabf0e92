// rtk-tui push LOCAL HOST:REMOTE: upload over SFTP with progress, resume and checksum verification.
import type { CommandContext, CommandResult } from './context.js';
import { runTransfer } from './transfer-cli.js';

export function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  return runTransfer('push', argv, ctx);
}

// rtk-tui log-commands [HOST] [-n N] [--full] [--json] [-f]: the remote commands rtk-tui ran
// (every command and the monitor record into commands.jsonl beside the state file), newest last,
// with time, host, duration and exit status; -f follows as more are recorded.
import { openSync, readSync, closeSync, statSync, readFileSync } from 'node:fs';
import { err, ok } from '../domain/types.js';
import { commandLogPath } from '../events/state-file.js';
import { safeText } from '../parse/terminal.js';
import { readCommandFile, type CommandEntry } from '../remote/command-log.js';
import type { CommandContext, CommandResult } from './context.js';
import { parseFlags } from './control-common.js';
import { toJson } from './json.js';
import { untilStopped } from './until-stopped.js';
import { commandFacts } from '../ui/commands-view.js';
import { localStamp } from '../parse/units.js';

const USAGE = 'rtk-tui log-commands [HOST] [-n N] [--full] [--json] [-f]';

/** One entry: its header line, and with `full` the whole script indented under it. */
export function commandLine(e: CommandEntry, full: boolean): string {
  const d = new Date(e.time);
  const when = Number.isNaN(d.getTime()) ? safeText(e.time) : localStamp(d);
  const { took, end, what, lines } = commandFacts(e);
  const head = `${when}  ${safeText(e.host)}  ${e.kind}  ${took}  ${safeText(end)}`;
  if (full) return `${head}\n${lines.map((l) => `    ${safeText(l)}`).join('\n')}\n`;
  return `${head}  ${safeText(what.length > 100 ? `${what.slice(0, 99)}…` : what)}${lines.length > 1 ? `  (+${lines.length - 1} lines)` : ''}\n`;
}

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const f = parseFlags('log-commands', argv, { values: ['-n'], switches: ['--full', '--json', '-f'], aliases: { '--follow': '-f', '--lines': '-n' } });
  if (!f.ok) return f;
  const words = [...f.value.positional, ...(f.value.rest ?? [])];
  if (words.length > 1) return err('usage', `log-commands takes at most one HOST: ${USAGE}`);
  const host = words[0] ?? null;
  const n = f.value.values['-n'] === undefined ? 50 : Number(f.value.values['-n']);
  if (!Number.isInteger(n) || n < 0) return err('usage', `log-commands: -n wants a number of commands, got ${JSON.stringify(f.value.values['-n'])}`);
  const full = f.value.switches.has('--full');
  const json = f.value.switches.has('--json');
  const path = commandLogPath(ctx.env);
  const print = (list: CommandEntry[]) => {
    for (const e of list) if (host === null || e.host === host) ctx.stdout.write(json ? `${toJson(e)}\n` : commandLine(e, full));
  };
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return err('io', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const all = readCommandFile(text).filter((e) => host === null || e.host === host);
  if (all.length === 0 && !f.value.switches.has('-f')) {
    ctx.stderr.write(`rtk-tui: no remote commands recorded${host !== null ? ` for ${safeText(host)}` : ''} yet (${path})\n`);
    return ok(0);
  }
  print(all.slice(Math.max(0, all.length - n)));
  if (!f.value.switches.has('-f')) return ok(0);
  // follow: new whole lines as they are appended (a cut file starts over from its beginning)
  let offset = Buffer.byteLength(text);
  let partial = '';
  const stopper = untilStopped();
  ctx.stdout.on('error', () => stopper.stop());
  const timer = setInterval(() => {
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size < offset) {
      offset = 0;
      partial = '';
    }
    if (size === offset) return;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const chunk = partial + buf.toString('utf8');
      const cut = chunk.lastIndexOf('\n');
      partial = chunk.slice(cut + 1);
      print(readCommandFile(chunk.slice(0, cut + 1)));
    } finally {
      closeSync(fd);
    }
  }, 500);
  await stopper.done;
  clearInterval(timer);
  return ok(0);
}

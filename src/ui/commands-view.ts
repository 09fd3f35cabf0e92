// The command log view (`C`): the remote commands this monitor ran, newest first (time, host,
// duration, exit status, what it ran), and the selected one's whole script. Pure: state in, rows out.
import type { CommandEntry } from '../domain/types.js';
import type { State } from '../store/state.js';
import { RowBuilder, textRow, type Row } from './rows.js';

/** Lines that do not say what a script does: variables, markers, helpers, control words, subshell parentheses, no-ops. */
export const SKIP = /^\s*(?:[A-Za-z_]\w*=\S*$|printf '(?:@@|\\n@@)|\w+\(\) \{|if \[|fi$|exit \d|done$|[():]\s*$)/;

export const COMMANDS_TITLE = 'Remote commands (j/k choose · Esc closes · all of them: rtk-tui log-commands)';

/** What a command entry says, in words: how long it took, how it ended, its telling line, its lines. */
export function commandFacts(e: CommandEntry): { took: string; end: string; what: string; lines: string[] } {
  const took = e.ms === null ? 'running' : e.ms < 1000 ? `${e.ms} ms` : `${(e.ms / 1000).toFixed(1)} s`;
  const end = e.error !== null ? `failed: ${e.error}` : e.exit === null ? (e.kind === 'stream' ? 'ended' : 'no status') : `exit ${e.exit}`;
  const lines = e.command.split('\n').filter((l) => l.trim() !== '');
  // the line that says what it does: not a variable, a marker or a function of the script's own
  const what = lines.find((l) => !SKIP.test(l)) ?? lines[0] ?? '';
  return { took, end, what: what.trim(), lines };
}

function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso.slice(11, 19) : d.toTimeString().slice(0, 8);
}

export function commandsRows(s: State, w: number, h: number): Row[] {
  if (s.commands.length === 0) return [textRow(' No remote command yet in this monitor (rtk-tui log-commands shows earlier ones).', w, 'dim')];
  const sel = s.commandsView ?? 0;
  const listH = Math.max(3, Math.floor(h / 2));
  const n = s.commands.length;
  const top = Math.max(0, Math.min(sel - Math.floor(listH / 2), n - listH));
  const rows: Row[] = [];
  for (let i = top; i < Math.min(n, top + listH); i++) {
    const e = s.commands[n - 1 - i]!;
    const x = commandFacts(e);
    const on = i === sel;
    rows.push(
      new RowBuilder(w)
        .add(on ? '› ' : '  ', on ? 'sel' : undefined)
        .add(`${timeOf(e.time)}  `, 'dim')
        .add(`${e.host}  `)
        .add(`${x.took.padStart(8)}  `, 'dim')
        .add(`${x.end.padEnd(8)}  `, e.error !== null || (e.exit !== null && e.exit !== 0) ? 'warn' : 'ok')
        .add(x.what, on ? 'sel' : undefined)
        .row(),
    );
  }
  const chosen = s.commands[n - 1 - sel];
  if (chosen !== undefined) {
    rows.push(textRow('', w));
    for (const l of commandFacts(chosen).lines.slice(0, Math.max(0, h - rows.length))) rows.push(textRow(`  ${l}`, w, 'dim'));
  }
  return rows.slice(0, h);
}

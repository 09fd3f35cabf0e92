// `rtk-tui logs RUN [-n N] [-f] [--rank N | --ranks]`: the run's log file (@rtk_log, else the
// config's runs[].log), or else its pane's history. -f follows the file through drops and reconnects.
// To a pipe or a file, what is printed equals the log byte for byte; to a terminal, each line is shown
// as the log pane shows it (its last \r redraw, SGR colour kept unless NO_COLOR, every other escape and
// control dropped: the log is the host's text, and must not drive this terminal). Markers and
// connection notes go to stderr, so stdout stays the file. --rank N: only rank N's lines of a
// multi-process log, without their prefix and otherwise byte for byte (logs-rank.ts, rank-filter.ts).
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/load.js';
import { err, ok, type Result } from '../domain/types.js';
import type { Host } from '../remote/host.js';
import { shq } from '../remote/quote.js';
import { LineAssembler, LogFollower } from '../sources/log-follow.js';
import { clause, safeText, sanitizeLine } from '../parse/terminal.js';
import { PaneFollower, settledLines } from '../sources/pane-follow.js';
import { configMeta, remotePath } from '../sources/runs.js';
import { tmuxCommand } from '../remote/tmux-control.js';
import { isClosedPipe } from './until-stopped.js';
import { countRanks, detectStyle, filterBytes, filterLine, lastLinesOf, parseRankSelector, RankFilter, type RankSelector } from '../parse/rank-filter.js';
import { detectPrefix, type PrefixStyle } from '../parse/rank-prefix.js';
import { firstReadBack, furtherBack, NO_PREFIXES, noLinesNote, RANKS_DEFAULT_LINES, ranksTable } from './logs-rank.js';
import { useColor, type CommandContext, type CommandResult } from './context.js';
import { closeHosts, openHosts, resolveRun, type ResolvedRun } from './resolve.js';

const USAGE = 'usage: rtk-tui logs RUN [-n N] [-f] [--rank N | --ranks]';

interface LogsArgs {
  run: string;
  lines: number;
  /** -n was given (--ranks counts over more lines by default). */
  linesSet: boolean;
  follow: boolean;
  /** --rank: only this rank's lines, without their prefix. */
  rank: RankSelector | null;
  /** --ranks (or --rank list): which ranks the log holds. */
  ranks: boolean;
}

export function parseLogsArgs(argv: string[]): Result<LogsArgs> {
  let lines = 100;
  let follow = false;
  let linesSet = false;
  let rank: RankSelector | null = null;
  let ranks = false;
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-f' || a === '--follow') follow = true;
    else if (a === '-n' || a === '--lines' || /^-n\d+$/.test(a) || a.startsWith('--lines=')) {
      const v = a === '-n' || a === '--lines' ? argv[++i] : a.startsWith('-n') ? a.slice(2) : a.slice('--lines='.length);
      if (v === undefined || !/^\d+$/.test(v)) return err('usage', `logs: -n needs a number of lines (${USAGE})`);
      lines = Number(v);
      linesSet = true;
    } else if (a === '--ranks') ranks = true;
    else if (a === '--rank' || a.startsWith('--rank=')) {
      const v = a === '--rank' ? argv[++i] : a.slice('--rank='.length);
      if (v === 'list') ranks = true;
      else {
        rank = v === undefined ? null : parseRankSelector(v);
        if (rank === null) return err('usage', `logs: --rank needs a rank (3), a host (node01) or both (gpu187:1), or list (${USAGE})`);
      }
    } else if (a === '--') pos.push(...argv.slice(i + 1)), (i = argv.length);
    else if (a.startsWith('-') && a.length > 1) return err('usage', `logs: unknown flag ${a} (${USAGE})`);
    else pos.push(a);
  }
  if (pos.length !== 1) return err('usage', pos.length === 0 ? `logs needs a RUN (${USAGE})` : `logs takes one RUN (${USAGE})`);
  if (ranks && (rank !== null || follow)) return err('usage', `logs: --ranks lists the ranks; it takes no --rank or -f (${USAGE})`);
  return ok({ run: pos[0]!, lines, linesSet, follow, rank, ranks });
}

/**
 * One exec: find the log (option, else config), and print either the last N lines of it (with the
 * inode and size they were cut at, for -f) or the last N lines of the pane.
 */
export function sourceScript(r: ResolvedRun, configLog: string | null, lines: number, follow: boolean, nonce: string): string {
  const t = tmuxCommand(r.spec);
  // by id: a name that starts with `$` would be read as an id even after `=` (see ResolvedRun)
  const target = shq(`${r.sessionId}:`);
  return [
    `N=${shq(nonce)}`,
    // a Slurm job's log is its StdOut (resolveRun found it); there is no tmux session to ask
    r.spec.scheduler === 'slurm' ? `log=''` : `log=$(${t} display-message -p -t ${target} ${shq('#{@rtk_log}')} 2>/dev/null)`,
    `[ -n "$log" ] || log=${configLog !== null ? remotePath(configLog) : "''"}`,
    `case "$log" in '~/'*) log="$HOME/\${log#??}" ;; esac`,
    `if [ -n "$log" ] && [ -f "$log" ]; then`,
    follow
      ? [
          `  st=$(stat -L -c '%i %s' -- "$log" 2>/dev/null || stat -L -f '%i %z' -- "$log" 2>/dev/null)`,
          `  printf '@@%s log %s %s\\n' "$N" "$st" "$log"`,
          `  head -c "\${st#* }" -- "$log" | tail -n ${lines + 1}`,
        ].join('\n')
      : [`  printf '@@%s log - - %s\\n' "$N" "$log"`, `  tail -n ${lines} -- "$log"`].join('\n'),
    `else`,
    `  printf '@@%s pane %s\\n' "$N" "$log"`,
    r.spec.scheduler === 'slurm' ? '  :' : `  ${t} capture-pane -p -J -S -${lines} -t ${target}`,
    `fi`,
    // the end marker keeps the body byte-exact even where a transport strips a final newline
    `printf '\\n@@%s end\\n' "$N"`,
  ].join('\n');
}

export interface SourceAnswer {
  kind: 'log' | 'pane';
  inode: number | null;
  size: number | null;
  /** The log's path (expanded remotely); for a pane answer, a configured log that is missing, or null. */
  path: string | null;
  body: Buffer;
}

export function parseSourceAnswer(out: Buffer, nonce: string): SourceAnswer | null {
  const mark = Buffer.from(`@@${nonce} `);
  let at = out.indexOf(mark);
  while (at > 0 && out[at - 1] !== 0x0a) at = out.indexOf(mark, at + 1);
  if (at < 0) return null;
  const nl = out.indexOf(0x0a, at);
  const head = out.toString('utf8', at + mark.length, nl < 0 ? out.length : nl);
  const endMark = Buffer.from(`\n@@${nonce} end`);
  const end = out.lastIndexOf(endMark);
  if (nl < 0 || end < nl) return null;
  const body = out.subarray(nl + 1, end);
  const [kind, ...rest] = head.split(' ');
  if (kind === 'log') {
    const [ino, size] = rest;
    const n = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
    return { kind: 'log', inode: n(ino), size: n(size), path: rest.slice(2).join(' ') || null, body };
  }
  if (kind === 'pane') return { kind: 'pane', inode: null, size: null, path: rest.join(' ') || null, body };
  return null;
}

/**
 * From the last N+1 lines of the file's first `size` bytes: the bytes of the last N complete lines, and
 * the offset to follow from (the start of a trailing partial line, which the follower prints once whole).
 */
export function splitForFollow(body: Buffer, size: number, lines: number): { show: Buffer; offset: number } {
  const lastNl = body.lastIndexOf(0x0a);
  const complete = body.subarray(0, lastNl + 1);
  const offset = size - (body.length - complete.length);
  let start = complete.length;
  for (let k = 0; k < lines && start > 0; k++) {
    const prev = complete.lastIndexOf(0x0a, start - 2);
    start = prev + 1;
  }
  return { show: lines === 0 ? Buffer.alloc(0) : complete.subarray(start), offset };
}

function lastLines(text: string, n: number): string[] {
  const lines = text.replace(/\n+$/, '').split('\n');
  return n === 0 || text.trim() === '' ? [] : lines.slice(-n);
}

/** Pane lines: as they are to a pipe, sanitized to a terminal. */
function writeLines(ctx: CommandContext, pipe: Pipe, lines: string[]): Promise<void> {
  return write(ctx, pipe, Buffer.from(pipe.term ? pipe.term.lines(lines) : lines.map((l) => `${l}\n`).join('')));
}

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const args = parseLogsArgs(argv);
  if (!args.ok) return args;
  const cfg = loadConfig(ctx.global, ctx.env);
  if (!cfg.ok) return cfg;
  const hosts = openHosts(cfg.value, ctx.env);
  // a reader that goes away (`| head`) ends the command quietly, whenever it happens
  const pipe: Pipe = {
    closed: false,
    onClose: null,
    term: ctx.stdout.isTTY === true ? new TermView(useColor(ctx), ctx.stdout.columns ?? 80) : null,
  };
  const onPipeError = (e: NodeJS.ErrnoException) => {
    if (isClosedPipe(e)) {
      pipe.closed = true;
      pipe.onClose?.();
    }
  };
  ctx.stdout.on('error', onPipeError);
  try {
    const r = await resolveRun(args.value.run, cfg.value, hosts, ctx.env);
    if (!r.ok) return r;
    const meta = configMeta(cfg.value, r.value.spec.name, r.value.session);
    const read = async (lines: number): Promise<Result<SourceAnswer>> => {
      const nonce = randomBytes(8).toString('hex');
      const res = await r.value.host.exec(sourceScript(r.value, r.value.log ?? meta?.log ?? null, lines, args.value.follow, nonce), {
        timeoutMs: 30_000,
        maxBytes: 64 * 1024 * 1024,
      });
      if (!res.ok) return res;
      const ans = parseSourceAnswer(res.value.stdout, nonce);
      if (!ans) return err('exit', `could not read the log of ${r.value.runId}: ${res.value.stderr.toString('utf8').trim() || 'no answer'}`);
      if (ans.kind === 'pane' && r.value.spec.scheduler === 'slurm')
        return err('not-found', `${r.value.runId} has no log to show yet: ${safeText(r.value.log ?? 'its StdOut')} does not exist (a pending job's is made when it starts)`);
      if (ans.kind === 'pane' && res.value.code !== 0) return err('exit', `could not capture the pane of ${r.value.runId}: ${res.value.stderr.toString('utf8').trim()}`);
      return ok(ans);
    };
    if (args.value.rank !== null || args.value.ranks) return await ranked(ctx, pipe, r.value, args.value, read, meta?.log ?? null);
    const got = await read(args.value.lines);
    if (!got.ok) return got;
    const ans = got.value;
    if (ans.kind === 'pane') {
      const text = ans.body.toString('utf8');
      if (!args.value.follow) {
        await writeLines(ctx, pipe, lastLines(text, args.value.lines));
        return ok(0);
      }
      if (ans.path) ctx.stderr.write(`rtk-tui: ${safeText(r.value.runId)}: its log ${safeText(ans.path)} does not exist; following its pane\n`);
      const settled = settledLines(text);
      const show = args.value.lines === 0 ? [] : settled.slice(-args.value.lines);
      await writeLines(ctx, pipe, show);
      if (pipe.closed) return ok(0);
      return await followPane(ctx, pipe, r.value, settled);
    }
    if (!args.value.follow) {
      await write(ctx, pipe, pipe.term ? Buffer.from(pipe.term.bytes(ans.body, true)) : ans.body);
      return ok(0);
    }
    const path = ans.path ?? meta?.log ?? '';
    const cut = splitForFollow(ans.body, ans.size ?? 0, args.value.lines);
    await write(ctx, pipe, pipe.term ? Buffer.from(pipe.term.bytes(cut.show)) : cut.show);
    if (pipe.closed) return ok(0);
    return await follow(ctx, pipe, r.value.host, path, cut.offset, ans.inode);
  } finally {
    ctx.stdout.off('error', onPipeError);
    await closeHosts(hosts);
  }
}

/** --rank and --ranks: read back until there are N lines of the rank, print them, maybe follow with a RankFilter. */
async function ranked(
  ctx: CommandContext,
  pipe: Pipe,
  r: ResolvedRun,
  args: LogsArgs,
  read: (lines: number) => Promise<Result<SourceAnswer>>,
  configLog: string | null,
): Promise<CommandResult> {
  const want = args.lines;
  let asked = args.ranks ? (args.linesSet ? args.lines : RANKS_DEFAULT_LINES) : firstReadBack(want);
  for (;;) {
    const got = await read(asked);
    if (!got.ok) return got;
    const ans = got.value;
    // the pane: its settled lines (to follow) or all of them, as text
    const paneLines = ans.kind === 'pane' ? (args.follow ? settledLines(ans.body.toString('utf8')) : lastLines(ans.body.toString('utf8'), asked)) : [];
    const cut = ans.kind === 'log' && args.follow ? splitForFollow(ans.body, ans.size ?? 0, asked) : null;
    const body = cut?.show ?? ans.body;
    const style: PrefixStyle | null = ans.kind === 'pane' ? detectPrefix(paneLines.join('\n')) : detectStyle(body);
    if (style === null) return err('exit', `logs --rank: ${NO_PREFIXES}`);
    if (args.ranks) {
      await write(ctx, pipe, Buffer.from(ranksTable(countRanks(style, ans.kind === 'pane' ? Buffer.from(paneLines.join('\n'), 'utf8') : body))));
      return ok(0);
    }
    const sel = args.rank!;
    if (ans.kind === 'pane') {
      const keep = (lines: string[]) => lines.flatMap((l) => filterLine(style, sel, l) ?? []);
      const kept = keep(paneLines);
      if (kept.length === 0) ctx.stderr.write(`${noLinesNote(sel, countRanks(style, Buffer.from(paneLines.join('\n'))), paneLines.length)}\n`);
      await writeLines(ctx, pipe, want === 0 ? [] : kept.slice(-want));
      if (!args.follow || pipe.closed) return ok(0);
      return await followPane(ctx, pipe, r, paneLines, keep);
    }
    const f = filterBytes(style, sel, body);
    const further = furtherBack(f.lines, want, ans.body, asked);
    if (further !== null) {
      asked = further;
      continue;
    }
    if (f.lines === 0) ctx.stderr.write(`${noLinesNote(sel, countRanks(style, body), asked)}\n`);
    const show = lastLinesOf(f.out, want);
    await write(ctx, pipe, pipe.term ? Buffer.from(pipe.term.bytes(show, true)) : show);
    if (!cut || pipe.closed) return ok(0);
    return await follow(ctx, pipe, r.host, ans.path ?? configLog ?? '', cut.offset, ans.inode, new RankFilter(style, sel));
  }
}

interface Pipe {
  closed: boolean;
  onClose: (() => void) | null;
  /** stdout is a terminal: lines are sanitized, the live line is redrawn in place. */
  term: TermView | null;
}

/** What a terminal is shown of the log: sanitized lines, and the live (\r) line redrawn in place. */
export class TermView {
  private live = false;
  private readonly assembler = new LineAssembler();
  constructor(
    private readonly color: boolean,
    private readonly cols: number,
  ) {}

  private line(l: string): string {
    return sanitizeLine(l, { keepColor: this.color });
  }

  /** Complete lines (and the live one) of raw log bytes, as text for the terminal. */
  bytes(b: Buffer, flushLive = false): string {
    const lines = this.assembler.push(b);
    let out = this.lines(lines);
    const p = this.assembler.partial;
    if (flushLive && p !== null) {
      out += `${this.line(p)}\n`;
      this.assembler.reset();
    }
    return out;
  }

  lines(lines: string[]): string {
    if (lines.length === 0) return '';
    const clear = this.live ? '\r\x1b[K' : '';
    this.live = false;
    return clear + lines.map((l) => `${this.line(l)}\n`).join('');
  }

  partial(text: string): string {
    this.live = true;
    return `\r\x1b[K${sanitizeLine(text, { keepColor: this.color, maxLen: Math.max(1, this.cols - 1) })}`;
  }

  /** Before a note on stderr: the live line is taken off the screen. */
  clearLive(): string {
    const was = this.live;
    this.live = false;
    return was ? '\r\x1b[K' : '';
  }
}

function write(ctx: CommandContext, pipe: Pipe, bytes: Buffer): Promise<void> {
  if (bytes.length === 0 || pipe.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pipe.onClose = null;
      resolve();
    };
    pipe.onClose = done;
    if (!ctx.stdout.write(bytes)) ctx.stdout.once('drain', done);
    else done();
  });
}

function follow(ctx: CommandContext, pipe: Pipe, host: Host, path: string, offset: number, inode: number | null, rank: RankFilter | null = null): Promise<CommandResult> {
  return new Promise((resolve) => {
    let lost = false;
    const f = new LogFollower({
      host,
      path,
      offset,
      inode,
      // to a pipe the bytes are all: no display lines to make
      // (--rank: the terminal is shown the rank's bytes, made into lines here)
      display: pipe.term !== null && rank === null,
      onBytes: (b) => {
        if (pipe.closed) return;
        if (rank) {
          const kept = rank.push(b);
          if (kept.length > 0) ctx.stdout.write(pipe.term ? pipe.term.bytes(kept) : kept);
        } else if (!pipe.term) ctx.stdout.write(b);
      },
      onChunk: (c) => {
        const term = pipe.term;
        if (c.kind === 'marker') {
          rank?.reset();
          if (term) ctx.stdout.write(term.clearLive());
          ctx.stderr.write(`${c.text}\n`);
        } else if (term && !pipe.closed) ctx.stdout.write(c.kind === 'lines' ? term.lines(c.lines) : term.partial(c.text));
      },
      onStatus: (s) => {
        if (s.phase === 'reconnecting' && s.error && !lost) {
          lost = true;
          if (pipe.term) ctx.stdout.write(pipe.term.clearLive());
          ctx.stderr.write(`rtk-tui: ${host.name}: ${clause(s.error.message)}; reconnecting…\n`);
        } else if (s.phase === 'streaming') {
          // back: say so, and from where (a file replaced meanwhile was marked and starts again)
          if (lost) ctx.stderr.write(`rtk-tui: ${host.name}: back; following ${safeText(path)} again from byte ${(s.offset ?? 0).toLocaleString('en-US')}${s.offset ? ', nothing missed' : ''}\n`);
          lost = false;
        }
      },
    });
    runUntilStopped(f, pipe, `following ${path} on ${host.name} failed`).then(resolve);
  });
}

/** Run a follower until Ctrl-C, SIGTERM or a closed stdout stops it: ok(0), or an io error. */
async function runUntilStopped(f: { run(): Promise<void>; stop(): void }, pipe: Pipe, failure: string): Promise<CommandResult> {
  const stop = () => f.stop();
  pipe.onClose = stop;
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await f.run();
    return ok(0);
  } catch (e) {
    return err('io', `${failure}: ${String(e)}`, { cause: e });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    pipe.onClose = null;
  }
}

/** -f for a run without a log file: poll its pane (best effort; the last, still-changing line is held back). */
function followPane(ctx: CommandContext, pipe: Pipe, r: ResolvedRun, printed: string[], keep: (lines: string[]) => string[] = (l) => l): Promise<CommandResult> {
  return new Promise((resolve) => {
    let failing = false;
    const f = new PaneFollower({
      host: r.host,
      spec: r.spec,
      session: r.session,
      sessionId: r.sessionId,
      printed,
      onLines: (all) => {
        const lines = keep(all);
        if (!pipe.closed && lines.length > 0) ctx.stdout.write(pipe.term ? pipe.term.lines(lines) : lines.map((l) => `${l}\n`).join(''));
      },
      onLost: () => ctx.stderr.write('--- rtk-tui: pane scrolled past or cleared, some lines may be missing ---\n'),
      onError: (m) => {
        if (m !== null && !failing) ctx.stderr.write(`rtk-tui: ${safeText(m)}; retrying…\n`);
        failing = m !== null;
      },
    });
    runUntilStopped(f, pipe, `following the pane of ${r.runId} failed`).then(resolve);
  });
}

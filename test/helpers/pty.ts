// The BUILT binary in a real pseudo-terminal (node-pty), every byte it writes kept: for checks on
// what actually reaches a terminal (escape sequences), which a tmux capture-pane, showing only the
// rendered screen, cannot make. Keys are sent once the screen text shows a pattern.
import { BIN } from './tui.js';

export interface PtyRun {
  /** Every byte written to the terminal, as text. */
  raw: string;
  /** Exit status, or null when it had to be killed at the deadline. */
  code: number | null;
}

export interface PtyStep {
  /** Wait until the visible text (escapes removed) holds this, then send `keys` (tmux-free: raw bytes). */
  when: RegExp | string;
  keys: string;
}

/** Text with escape sequences removed, for matching what is on screen. */
export function screenText(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b[\]P_^X][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b./g, '');
}

export async function runInPty(
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { cols?: number; rows?: number; steps?: PtyStep[]; deadlineMs?: number; stepDelayMs?: number; cwd?: string } = {},
): Promise<PtyRun> {
  const pty = ((await import('node-pty')) as unknown as { default?: typeof import('node-pty') }).default ?? (await import('node-pty'));
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries({ TERM: 'xterm-256color', ...env, CI: 'false' })) if (v !== undefined) clean[k] = v;
  delete clean.TMUX;
  const p = pty.spawn(process.execPath, [BIN, ...args], { cols: opts.cols ?? 120, rows: opts.rows ?? 40, env: clean, cwd: opts.cwd ?? process.cwd(), name: 'xterm-256color' });
  let raw = '';
  let code: number | null = null;
  const exited = new Promise<void>((resolve) => p.onExit((e) => ((code = e.exitCode), resolve())));
  p.onData((d) => {
    raw += d;
  });
  const deadline = Date.now() + (opts.deadlineMs ?? 60_000);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let done = false;
  void exited.then(() => (done = true));
  for (const step of opts.steps ?? []) {
    for (;;) {
      const text = screenText(raw);
      if (typeof step.when === 'string' ? text.includes(step.when) : step.when.test(text)) break;
      if (done) return { raw, code };
      if (Date.now() > deadline) {
        p.kill('SIGKILL');
        throw new Error(`no ${String(step.when)} on the screen; last text: ${JSON.stringify(text.slice(-600))}`);
      }
      await sleep(50);
    }
    p.write(step.keys);
    await sleep(opts.stepDelayMs ?? 150);
  }
  const left = Math.max(0, deadline - Date.now());
  // node-pty's kill signals the pid whether or not it has exited: only while it runs
  const t = setTimeout(() => done || p.kill('SIGKILL'), left);
  await exited;
  clearTimeout(t);
  return { raw, code };
}

/**
 * Escape sequences in `raw` that rtk-tui itself never writes: OSC, DCS, APC, PM, SOS, a full reset,
 * DEC screen tests, device status queries, keyboard-mode CSIs (`>`), the hostile corpus' odd
 * parameters (7777), raw C1 controls and BEL. Their presence means something a host sent reached
 * the terminal.
 */
export function foreignEscapes(raw: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x07) found.push('BEL');
    else if (c >= 0x80 && c < 0xa0) found.push(`C1 U+00${c.toString(16)}`);
    else if (c === 0x1b) {
      const k = raw[i + 1] ?? '';
      if (k !== '' && ']P_^Xc#'.includes(k)) found.push(JSON.stringify(raw.slice(i, i + 12)));
      else if (k === '[') {
        let j = i + 2;
        while (j < raw.length && /[0-?]/.test(raw[j]!)) j++;
        while (j < raw.length && /[ -/]/.test(raw[j]!)) j++;
        const seq = raw.slice(i, j + 1);
        const params = raw.slice(i + 2, j);
        const final = raw[j] ?? '';
        if (/[<=>]/.test(params) || /7777/.test(params) || (final !== '' && 'nctqpx'.includes(final))) found.push(JSON.stringify(seq));
      }
    }
  }
  return found;
}

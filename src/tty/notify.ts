// Notifications from the monitor (config `notify:`, DESIGN section 9): the terminal bell and desktop
// notifications through the terminal itself (OSC 9, as iTerm2, WezTerm, kitty and Ghostty show them;
// OSC 777 for VTE terminals, foot and urxvt), wrapped for tmux when the monitor runs inside it (tmux
// passes them on with `set -g allow-passthrough on`). Written between frames: none of these moves
// the cursor, so Ink's drawing is not disturbed.
import type { NotifyConfig } from '../config/schema.js';
import type { RtkEvent } from '../events/types.js';
import { safeText } from '../parse/terminal.js';

export type DesktopKind = 'osc9' | 'osc777' | null;

/** Which desktop notification this terminal shows, from its environment (inherited through tmux too). */
export function desktopKind(mode: NotifyConfig['desktop'], env: NodeJS.ProcessEnv): DesktopKind {
  if (mode === 'off') return null;
  const term = env.TERM ?? '';
  const vte = env.VTE_VERSION !== undefined || term.startsWith('foot') || term.startsWith('rxvt-unicode');
  const osc9 =
    env.TERM_PROGRAM === 'iTerm.app' ||
    env.TERM_PROGRAM === 'WezTerm' ||
    env.TERM_PROGRAM === 'ghostty' ||
    env.ITERM_SESSION_ID !== undefined ||
    env.WEZTERM_PANE !== undefined ||
    env.KITTY_WINDOW_ID !== undefined ||
    env.GHOSTTY_RESOURCES_DIR !== undefined ||
    term === 'xterm-kitty' ||
    term === 'xterm-ghostty';
  if (osc9) return 'osc9';
  if (vte) return 'osc777';
  return mode === 'on' ? 'osc9' : null;
}

/** Text for inside an OSC string: no control characters (BEL or ESC would end it early), bounded. */
function oscText(s: string, max = 240): string {
  // eslint-disable-next-line no-control-regex
  const t = safeText(s).replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** tmux passes an escape sequence to the outer terminal inside DCS tmux; … ST, its ESCs doubled. */
export function tmuxWrap(seq: string): string {
  return `\x1bPtmux;${seq.replaceAll('\x1b', '\x1b\x1b')}\x1b\\`;
}

/** The bytes to write for one event; '' when it does not notify. */
export function notificationBytes(e: RtkEvent, cfg: NotifyConfig, desktop: DesktopKind, inTmux: boolean): string {
  if (!cfg.on.includes(e.kind)) return '';
  let out = cfg.bell ? '\x07' : '';
  if (desktop !== null) {
    const body = oscText(e.message);
    const seq = desktop === 'osc9' ? `\x1b]9;rtk-tui: ${body}\x07` : `\x1b]777;notify;${oscText(`rtk-tui: ${e.kind}`, 60).replaceAll(';', ',')};${body}\x07`;
    out += inTmux ? tmuxWrap(seq) : seq;
  }
  return out;
}

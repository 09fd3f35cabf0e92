// Where rtk-tui keeps what it knows across restarts: $RTK_TUI_STATE, else
// $XDG_STATE_HOME/rtk-tui/state.json (default ~/.local/state/rtk-tui/), and files beside it. Light:
// bin/rtk-tui reads the last screen from there before anything else loads (src/tty/quick-frame.ts).
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function statePath(env: NodeJS.ProcessEnv): string {
  if (env.RTK_TUI_STATE) return env.RTK_TUI_STATE;
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'rtk-tui', 'state.json');
}

/** Where the remote commands are recorded (rtk-tui log-commands): beside the state file. */
export function commandLogPath(env: NodeJS.ProcessEnv): string {
  return join(dirname(statePath(env)), 'commands.jsonl');
}

// A run's name as tmux keeps it. Pure, so the store's new-run form can check a name without loading
// the SSH transport (src/remote/tmux-control.ts re-exports it).
import { err, ok, type Result } from '../domain/types.js';

/**
 * Names that tmux would store differently from what was asked (it turns `:` and `.` into `_` and
 * escapes backslashes and control characters), or that could not be named as a run: refused.
 */
export function checkRunName(name: string): Result<string> {
  if (name === '') return err('usage', 'the run name is empty; give NAME, e.g. rtk-tui new train1 --host H -- CMD');
  // eslint-disable-next-line no-control-regex
  if (/^[$@%]/.test(name))
    return err('usage', `the run name ${JSON.stringify(name)} starts with "${name[0]}", which tmux reads as an id; pick another name`);
  const bad = /[:.\\\x00-\x1f\x7f]/.exec(name);
  if (bad) {
    const ch = bad[0] < ' ' || bad[0] === '\x7f' ? 'a control character' : `"${bad[0]}"`;
    return err('usage', `the run name ${JSON.stringify(name)} contains ${ch}, which tmux does not keep in session names`);
  }
  return ok(name);
}

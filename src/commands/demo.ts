// rtk-tui demo [--keep]: simulated training runs on this machine, in a tmux server of their own, opened
// in the monitor. Needs nothing but this package and tmux. Quitting removes everything it made;
// --keep leaves the runs going and says how to look at them and how to clean up.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { err, ok } from '../domain/types.js';
import { shq } from '../remote/quote.js';
import { setupDemo } from '../demo/setup.js';
import type { CommandContext, CommandResult } from './context.js';
import { checkTerminal, runMonitor } from './monitor.js';
import { selfCommand } from './help.js';

export const DEMO_REFRESH = { runsMs: 2000, gpusMs: 1000, checkpointsMs: 5000 };

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  let keep = false;
  for (const a of argv) {
    if (a === '--keep') keep = true;
    else return err('usage', `demo takes only --keep, not ${a} (see rtk-tui demo --help)`);
  }
  const tty = checkTerminal(ctx, 'rtk-tui demo');
  if (!tty.ok) return tty;

  const world = await setupDemo({ env: ctx.env });
  if (!world.ok) return world;
  const w = world.value;
  // the user's key overrides and scrollback apply; their hosts do not (the demo is this machine only)
  const user = loadConfig({ ...ctx.global, hosts: [] }, ctx.env);
  const base: Config = user.ok ? user.value : defaultConfig(null);
  const cfg: Config = { ...base, hosts: [w.spec], runs: [], refresh: DEMO_REFRESH };
  const attachHint = `tmux -S ${shq(w.socket)} attach -t llama-7b-sft`;
  let res: CommandResult;
  try {
    res = await runMonitor(ctx, cfg, {
      henv: { home: ctx.env.HOME ?? '/', env: w.env },
      greeting: `demo: simulated runs on a tmux server of their own; q quits${keep ? '' : ' and cleans up'}`,
      // a run started from the form (n) stays inside the demo's directory too
      newRunDefaults: { cwd: w.dir, logDir: join(w.dir, 'runs') },
      // its events and last state stay in its own directory, never in the user's state file
      statePath: join(w.dir, 'state.json'),
    });
  } catch (e) {
    if (!keep) await w.teardown();
    throw e;
  }
  if (keep) {
    w.keep();
    const conf = join(w.dir, 'config.yaml');
    writeFileSync(conf, `hosts:\n  - name: local\n    local: true\n    tmuxSocket: ${JSON.stringify(w.socket)}\nrefresh: {runs: 2s, gpus: 1s, checkpoints: 5s}\n`);
    ctx.stdout.write(
      [
        `The demo keeps running on its own tmux server (socket ${w.socket}), all of it in ${w.dir}.`,
        `  look at a run:   ${attachHint}`,
        `  monitor again:   PATH=${shq(join(w.dir, 'bin'))}:"$PATH" ${selfCommand(ctx.env)} --config ${shq(conf)}`,
        `  clean up:        tmux -S ${shq(w.socket)} kill-server; rm -rf ${shq(w.dir)}`,
        '',
      ].join('\n'),
    );
  } else {
    await w.teardown();
  }
  return res.ok ? ok(res.value) : res;
}

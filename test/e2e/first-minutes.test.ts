// A new user's first ten minutes, against the lab (a real sshd behind a real jump host) with the built
// binary in a real terminal (a tmux pane): each thing that tripped the user, as they met it.
// - hosts named on the command line are the only hosts, and the session the monitor runs in is no run;
// - a misspelled alias, an unknown host key and a refused port each show their sentence and fix;
// - `logs ALIAS:SESSION` works without a config file, a misspelled run gets "did you mean";
// - every command explains itself (`check --help` lists check's flags);
// - a dead run has no ETA, detaching from it says it ended, and q leaves nothing on the terminal;
// - the screen at 40x10, 60x15, 80x24, 120x40 and 200x60 keeps the run's name and state.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { shq } from '../../src/remote/quote.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { distMissing, firstReason, suite } from '../helpers/require.js';
import { BIN, REPO_ROOT, startTui, type Tui } from '../helpers/tui.js';

const NO_DNS = `--import=${pathToFileURL(join(REPO_ROOT, 'test', 'helpers', 'no-dns.mjs')).href}`;

suite(firstReason(labUnavailable(), distMissing()), "a new user's first ten minutes (lab, built binary in tmux)", () => {
  let lab: Lab;
  /** The program's environment: the lab's HOME (its ~/.ssh/config knows rtk-gpu and rtk-jump), no
   * config file, and no name resolved beyond loopback. */
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => lab.env({ NODE_OPTIONS: NO_DNS, ...extra });
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const p = execFile(process.execPath, [BIN, ...args], { env: env(extra), encoding: 'utf8', timeout: 60_000 }, (e, stdout, stderr) =>
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
      );
      p.stdin?.end();
    });
  const tuis: Tui[] = [];
  const open = async (args: string[], o: { cols?: number; rows?: number; insideTmux?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Tui> => {
    const t = await startTui({ args, env: env(o.env), cols: o.cols ?? 160, rows: o.rows ?? 40, insideTmux: o.insideTmux ?? false });
    tuis.push(t);
    return t;
  };

  beforeAll(async () => {
    lab = await startLab();
    const dir = join(lab.remoteHome, 'proj');
    const trainer = [
      process.execPath, join(REPO_ROOT, 'dist', 'demo', 'trainer.js'),
      '--steps', '30000', '--start', '1000', '--rate', '12', '--ckpt-every', '100', '--log-every', '10',
      '--log', `${dir}/train.log`, '--ckpt-dir', `${dir}/ck`,
    ].map(shq).join(' ');
    const r = await lab.remote(
      [
        `mkdir -p ${shq(dir)}`,
        `tmux new-session -d -s train -x 160 -y 48 ${shq(trainer)}`,
        `tmux set-option -t train: @rtk_log ${shq(`${dir}/train.log`)}`,
      ].join(' && '),
    );
    if (r.code !== 0) throw new Error(`could not start the run on the target: ${r.stderr}`);
    // a run that got to 16 % with an ETA on its bar, then died: started the product's way
    const died = await cli(['--config', lab.rtkConfig, 'new', 'dead', '--host', 'gpu', '--', 'sh', '-c',
      "printf ' 16%%|##        | 1310/8000 [01:00<05:06, 21.8it/s]\\n'; printf 'Traceback (most recent call last):\\nRuntimeError: boom\\n'; exit 1"]);
    if (died.code !== 0) throw new Error(`could not start the dead run: ${died.stderr}`);
  }, 120_000);

  afterAll(async () => {
    for (const t of tuis) await t.stop();
    await lab?.stop();
  });

  it('hosts named on the command line are the only hosts; the session the monitor runs in is never a run', async () => {
    // `rtk-tui rtk-gpu` with no config, started inside the user's tmux: that host alone, no `local`
    const t = await open(['rtk-gpu'], { insideTmux: true });
    const s = await t.waitUntil((x) => /Runs · rtk-gpu · 2/.test(x) && /› (dead|train) /.test(x) && /rtk-gpu ● \d+ms/.test(x), 'the named host alone, with its runs', 40_000);
    expect(s).not.toMatch(/\blocal\b/);
    await t.sendKeys('q');
    expect(await t.waitExit()).toBe(0);

    // `local` when asked: the harness's own tmux server, where the monitor runs in session "tui"
    const own = await open(['local'], { insideTmux: true });
    await own.tmux('new-session', '-d', '-s', 'side-run', 'sleep 600');
    const mine = await own.waitUntil((x) => /Runs · local · 1/.test(x) && /› side-run /.test(x), 'the other session, and only it', 20_000);
    expect(mine).not.toMatch(/│[› ] tui /);
    await own.sendKeys('q');
    expect(await own.waitExit()).toBe(0);

    // the CLI the same way: only the hosts asked for, never the session it runs in
    const remote = await cli(['ls', '--host', 'rtk-gpu', '--json']);
    expect(remote.code).toBe(0);
    const ids = (JSON.parse(remote.stdout) as { runs: { id: string }[] }).runs.map((x) => x.id).sort();
    expect(ids).toEqual(['rtk-gpu:dead', 'rtk-gpu:train']);
    const local = await cli(['ls', '--host', 'local', '--json'], { TMUX: `${own.socket},0,0`, TMUX_PANE: '%0', TMUX_TMPDIR: own.dir });
    expect(local.code).toBe(0);
    expect((JSON.parse(local.stdout) as { runs: { id: string }[] }).runs.map((x) => x.id)).toEqual(['local:side-run']);
  }, 120_000);

  it('a misspelled alias, an unknown host key and a refused port each show their sentence and fix in the monitor', async () => {
    const kh = join(lab.home, '.ssh', 'known_hosts');
    const known = readFileSync(kh, 'utf8');
    // the target's key forgotten (the jump's kept): StrictHostKeyChecking yes in the lab's ssh config
    writeFileSync(kh, `${known.split('\n')[0]}\n`);
    try {
      const t = await open(['--config', lab.rtkConfig, 'gpu', 'rtk-gpuu', 'root@127.0.0.1:9'], { cols: 200, rows: 40 });
      const s = await t.waitUntil(
        (x) => /gpu ✗ host key unknown/.test(x) && /rtk-gpuu ✗ unreachable/.test(x) && /127\.0\.0\.1 [○✗] /.test(x) && /H why/.test(x),
        'the three hosts failing, each marked',
        40_000,
      );
      // the runs pane says why per host, never "no tmux sessions" for a host it never reached
      expect(s).not.toContain('no tmux sessions');
      expect(s).toMatch(/│ gpu: not reached: host key for rtk-gpu/);
      expect(s).toMatch(/│ rtk-gpuu: not reached: cannot reach host rtk-gpuu/);
      expect(s).toMatch(/│ 127\.0\.0\.1: not reached: cannot reach host 127\.0\.0\.1/);
      expect(s).not.toMatch(/GPUs · gpu · stale/); // never reached: nothing on screen is stale
      // H: each host's whole sentence, fix included (wrapped in the box: read as one text)
      const flat = (x: string): string => x.replace(/│/g, ' ').replace(/\s+/g, ' ');
      await t.sendKeys('H');
      await t.waitUntil(
        (x) => /why host key for rtk-gpu \(127\.0\.0\.2:\d+\) is not known \(ssh-ed25519 SHA256:[A-Za-z0-9+/]+\) and StrictHostKeyChecking is yes; check it and add it with rtk-tui trust gpu/.test(flat(x)),
        'the unknown key with its fingerprint and the fix',
      );
      await t.sendKeys('j');
      await t.waitUntil(
        (x) => /why cannot reach host rtk-gpuu .*no host is called rtk-gpuu .*did you mean rtk-gpu\?.*retry not by itself: trying again cannot help/.test(flat(x)),
        'the misspelled alias, the closest alias and no pointless retrying',
      );
      await t.sendKeys('j');
      await t.waitUntil((x) => /why cannot reach host 127\.0\.0\.1 .*connection refused.* retry (in \d+ s|now)/.test(flat(x)), 'the refused port, retried');
      // (Esc then q at once would read as Alt-q)
      await t.sendKeys('Escape');
      await t.waitUntil((x) => !x.includes('[Hosts'), 'the hosts view to close');
      await t.sendKeys('q');
      expect(await t.waitExit()).toBe(0);
    } finally {
      writeFileSync(kh, known);
    }
  }, 120_000);

  it('logs ALIAS:SESSION without a config file; a misspelled run gets did you mean; check --help lists its flags', async () => {
    const r = await cli(['logs', 'rtk-gpu:dead', '-n', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Traceback (most recent call last):\nRuntimeError: boom\n');
    const typo = await cli(['logs', 'rtk-gpu:trian']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/rtk-gpu has no tmux session named "trian" \(did you mean train\?\)/);
    const help = await cli(['check', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--gpus', '--disk', '--file-match', '--model', '--run', '--env', '--file', '--host']) expect(help.stdout).toContain(flag);
    expect(help.stdout).toMatch(/^Usage:\n +.*rtk-tui check --host H/m);
    expect(help.stdout).toMatch(/^Examples:\n/m);
    expect(help.stdout).toMatch(/^Exit codes: 0 /m);
    expect((await cli(['help', 'push'])).stdout).toMatch(/--retries/);
  }, 60_000);

  it('a dead run has no ETA; detaching from it says it ended; q leaves nothing of the monitor on the terminal', async () => {
    const ls = await cli(['--config', lab.rtkConfig, 'ls', '--json']);
    const dead = (JSON.parse(ls.stdout) as { runs: { id: string; state: string; progress: { percent: number | null; etaSeconds: number | null } | null }[] }).runs.find((x) => x.id === 'gpu:dead');
    expect(dead).toMatchObject({ state: 'failed', progress: { etaSeconds: null } });
    expect(dead?.progress?.percent).toBeCloseTo(16.4, 0);

    const t = await open(['--config', lab.rtkConfig], { cols: 160, rows: 40 });
    await t.waitFor(/› dead +FAILED/, 40_000);
    const s = await t.waitFor(/Log · gpu:dead · step 1310\/8000 16% · FAILED/);
    // the bar's own ETA (05:06) is the log's text; none of rtk-tui's: not in the title, not in the row
    expect(s.split('\n')[0]).not.toMatch(/ETA/);
    expect(s).toMatch(/› dead +FAILED ERROR +16% +█*░* +\d+s\b/);
    expect(s.split('\n')[0]).toContain('FAILED ERROR'); // the same words in the title
    // attach to the dead pane, detach: the truth about it
    await t.sendKeys('a');
    await t.waitFor('attached to gpu:dead');
    await t.sendKeys('C-\\');
    await t.waitFor(/detached from gpu:dead; its command had already ended \(FAILED/);
    // the live run, then q: the shell's screen as it was, no banner, no pane
    await t.sendKeys('j', 'a');
    await t.waitFor('attached to gpu:train');
    await t.sendKeys('C-\\');
    await t.waitFor('detached from gpu:train; it keeps running');
    await t.sendKeys('q');
    expect(await t.waitExit()).toBe(0);
    expect(await t.alternateOn()).toBe(false);
    const after = await t.scrollback(200);
    for (const gone of ['Runs ·', 'attached to', 'Ctrl-\\ detach', 'Steps:', '[detached']) expect(after).not.toContain(gone);
  }, 120_000);

  it('the screen at 40x10, 60x15, 80x24, 120x40 and 200x60 keeps each run by its whole name and state', async () => {
    const t = await open(['--config', lab.rtkConfig], { cols: 200, rows: 60 });
    // the runs of the last session show at once, marked `?` (stale) until the host answers: wait for it
    await t.waitFor(/› dead +FAILED( ERROR)? +16%/, 40_000);
    for (const [cols, rows] of [[200, 60], [120, 40], [80, 24], [60, 15], [40, 10]] as const) {
      await t.resize(cols, rows);
      const s = await t.waitUntil(
        (x) => x.split('\n').length === rows && /[│›] +dead +(FAILED|FAIL)\b/.test(x) && /[│ ] +train +(RUNNING|RUN)\b/.test(x),
        `the runs at ${cols}x${rows}`,
      );
      const lines = s.split('\n');
      expect(lines.every((l) => [...l].length <= cols)).toBe(true);
      expect(s).not.toMatch(/gp…|de…|tr…/);
      // Ink draws rows-1 lines: the status bar is the last of them
      expect(lines.filter((l) => l.trim() !== '').at(-1)).toContain('? help');
      if (cols >= 60) expect(s).toMatch(/ dead +FAILED( ERROR)? +16%/);
      if (cols >= 200) expect(s).toMatch(/RUN +STATE +PROG .*LAST/);
    }
    await t.sendKeys('q');
    expect(await t.waitExit()).toBe(0);
  }, 120_000);
});

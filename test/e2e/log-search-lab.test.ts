// The whole-file log search against a real host: a run whose log has 50,000 lines, with a marker on
// line 100 that the log pane's buffer (the file's last 64 KiB) does not hold. `/` finds nothing and
// offers `F`; F greps the file on the host, the match is listed with its line number, Enter shows the
// region around it in the log pane, Esc goes back to the live tail. Then a log whose path starts with
// `-` and holds spaces and a quote, searched for a pattern that starts with `-` and holds a quote.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { shq } from '../../src/remote/quote.js';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { startTui, type Tui } from '../helpers/tui.js';

const why = labUnavailable();
const MARK = 'MARKER-7f3a';
// relative to the login directory (the lab's remote HOME): the monitor reads it as ./-odd dir/…
const ODD = "-odd dir/it's a log.txt";

suite(why, 'whole-file log search (lab)', () => {
  let lab: Lab;
  let tui: Tui | null = null;

  beforeAll(async () => {
    lab = await startLab();
    const big = `${lab.remoteHome}/big.log`;
    const r = await lab.remote(
      [
        `awk -v m=${shq(MARK)} 'BEGIN { for (i = 1; i <= 50000; i++) { if (i == 100) print "step 100 " m " found it"; else printf "row %d loss=0.%d\\n", i, i % 97 } }' > ${shq(big)}`,
        `mkdir -p -- ${shq('-odd dir')}`,
        `printf 'first line\\nsecond -e needle'"'"'x here\\nthird line\\n' > ${shq(`./${ODD}`)}`,
        `tmux new-session -d -s big -x 100 -y 20 'exec sleep 600'`,
        `tmux set-option -t big: @rtk_log ${shq(big)}`,
        `tmux new-session -d -s odd -x 100 -y 20 'exec sleep 600'`,
        `tmux set-option -t odd: @rtk_log ${shq(ODD)}`,
      ].join(' && '),
    );
    if (r.code !== 0) throw new Error(`could not set up the runs: ${r.stderr}`);
  });

  afterAll(async () => {
    await tui?.stop();
    await lab?.stop();
  });

  test('a marker on line 100 of 50,000 lines: / offers F, F finds it, Enter shows it with its line number, Esc back to the tail', async () => {
    const env = lab.env();
    delete env.TMUX;
    tui = await startTui({ args: ['--config', lab.rtkConfig], env, cols: 140, rows: 40 });
    const t = tui;
    await t.waitUntil((s) => /› big/.test(s) && /Log · gpu:big/.test(s) && /row 50000 loss=/.test(s), 'the big run with the end of its log', 40_000);
    await t.sendKeys('2', '/');
    await t.type(MARK);
    await t.sendKeys('Enter');
    await t.waitFor(/no match for "MARKER-7f3a" in the last [\d,]+ lines · F searches the whole log file/);
    await t.sendKeys('F');
    await t.waitFor(/search the whole log file: \/MARKER-7f3a█ +\[fixed string, match case\]/);
    await t.sendKeys('Enter');
    const list = await t.waitFor(/1 match for "MARKER-7f3a"/, 30_000);
    expect(list).toMatch(/› 100 +step 100 MARKER-7f3a found it/);
    expect(list).toMatch(/99 +row 99 loss=/);
    await t.sendKeys('Enter');
    const region = await t.waitUntil((s) => /›100 step 100 MARKER-7f3a found it/.test(s) && /not the live tail/.test(s), 'the region around line 100', 30_000);
    expect(region).toMatch(/FILE line 100/);
    expect(region).toMatch(/ 101 row 101 loss=/);
    expect(region).not.toMatch(/row 50000/);
    await t.sendKeys('Escape');
    await t.waitUntil((s) => /row 50000 loss=/.test(s) && !/not the live tail/.test(s), 'the live tail again');
    expect(await t.exitCode()).toBeNull();
  });

  test('a log path starting with - with spaces and a quote, a pattern starting with - with a quote', async () => {
    const t = tui as Tui;
    await t.sendKeys('1', 'j');
    await t.waitUntil((s) => /› odd/.test(s) && /third line/.test(s), 'the odd run and its log', 30_000);
    await t.sendKeys('2', 'F');
    await t.waitFor(/search the whole log file: \/█/);
    await t.type("-e needle'x");
    await t.sendKeys('Enter');
    await t.waitFor(/1 match for "-e needle'x" \(fixed string, ignore case\) in -odd dir\/it's a log\.txt/, 30_000);
    await t.sendKeys('Enter');
    await t.waitUntil((s) => /›2 second -e needle'x here/.test(s) && /lines 1–3 of the file/.test(s), 'the region of the odd log', 30_000);
    await t.sendKeys('q');
    expect(await t.waitExit()).toBe(0);
  });
});

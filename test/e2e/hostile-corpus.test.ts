// A hostile corpus (over 200 inputs: session names, paths with a leading -, newlines, quotes, $(),
// backquotes, tmux formats, unicode and bidi overrides, escape sequences, process names, config
// values, log bytes) through every command and the monitor, against the lab (jump + target):
// - nothing runs: every payload that would execute something touches a file under PWN, which stays empty;
// - nothing is touched outside the test's own files: the checkpoint trees are the same afterwards;
// - nothing a host sent drives the terminal: each command's output, captured raw from a real
//   pseudo-terminal (and from a pipe), holds no escape sequence but the ones rtk-tui writes itself.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installFakeNvidiaSmi, setFakeGpuProcesses } from '../../src/demo/fake-nvidia-smi.js';
import { shq } from '../../src/remote/quote.js';
import { labUnavailable, type Lab } from '../helpers/lab.js';
import { foreignEscapes, runInPty, screenText } from '../helpers/pty.js';
import { distMissing, firstReason, suite } from '../helpers/require.js';
import { BIN } from '../helpers/tui.js';
import { startTransferLab } from './transfer-lab.js';

/** The corpus: each piece alone and wrapped, so it also sits inside, before and after other text. */
function corpus(pwn: string): string[] {
  const run = `touch ${pwn}/x`;
  const base = [
    `;${run}`, `$(${run})`, `\`${run}\``, `|${run}`, `&&${run}`, `>${pwn}/y`, `\n${run}`, `'`, `"`, '\\', '*', '?', '~', '$HOME', '${IFS}', '!1', '#', '%', '{a,b}', '[x]',
    '-delete', '--help', `-oProxyCommand=${run}`, '-', '--', '-n', '-exec', '(', ')', '-k',
    `#(${run})`, '#{session_name}', 'x;', ';', 'a\\;', '$0', '@1', '%2',
    '\x1b]0;PWNED\x07', '\x1b[7777J', '\x1b]52;c;ZWNobyBoaQ==\x07', '\x1bP1$q\x1b\\', '\x1b[>4;2m', '\x9b7777m', '\x1b[6n', '\x1b]8;;http://evil\x1b\\', '\x1bc', '\x1b[?7777h',
    'ü', '训练', '🚀', '\u202eexe', '\u200b', 'e\u0301', '\x07', '\r', '\t', '\x7f', 'x'.repeat(300),
  ];
  const out = new Set<string>();
  for (const b of base) for (const v of [b, `a${b}`, `${b}z`, `a${b}z`, `${b}${b}`]) out.add(v);
  return [...out];
}

/** A file name from a corpus word: no `/` or NUL (the only bytes a name cannot hold), not empty. */
const fileName = (w: string, i: number): string => `${i}${w.replaceAll('/', '%').replaceAll('\0', '')}`.slice(0, 200);

const hash = (p: string): string => {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const q = join(d, e.name);
      h.update(`${e.name}\0`);
      if (e.isDirectory()) walk(q);
      else h.update(readFileSync(q));
    }
  };
  walk(p);
  return h.digest('hex');
};

suite(firstReason(labUnavailable(), distMissing()), 'the hostile corpus through every command and the monitor', () => {
  let lab: Lab;
  let pwn: string;
  let words: string[];
  let sessions: string[];
  let ckRoot: string;
  let ckBefore: string;
  let work: string;
  const seen: { what: string; raw: string }[] = [];

  const cli = (args: string[], opts: { config?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const p = execFile(process.execPath, [BIN, '--config', opts.config ?? lab.rtkConfig, ...args], { env: lab.env(), cwd: work, encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 }, (e, stdout, stderr) => {
        seen.push({ what: `pipe: ${args.slice(0, 2).join(' ')}`, raw: stdout + stderr });
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      });
      p.stdin?.end();
    });
  const tty = async (args: string[], steps: Parameters<typeof runInPty>[2] = {}) => {
    const r = await runInPty(['--config', lab.rtkConfig, ...args], lab.env(), { cwd: work, ...steps });
    seen.push({ what: `tty: ${args.slice(0, 2).join(' ')}`, raw: r.raw });
    return r;
  };

  beforeAll(async () => {
    lab = await startTransferLab();
    pwn = join(lab.dir, 'PWN');
    work = join(lab.dir, 'work');
    mkdirSync(pwn);
    mkdirSync(work);
    words = corpus(pwn);
    installFakeNvidiaSmi(lab.binDir);
    // log bytes: every word, on lines of their own, inside progress bars and after a traceback word
    const logText = words.map((w, i) => `step ${i}/${words.length} loss=0.5 ${w}\r ${i}% |${w}|\n`).join('') + 'CUDA out of memory \x1b]0;PWNED\x07\n';
    writeFileSync(join(lab.remoteHome, 'hostile.log'), logText);
    // checkpoint trees named by the corpus (the test's own files: compared before and after)
    ckRoot = join(lab.remoteHome, 'ck');
    for (const [i, w] of words.slice(0, 60).entries()) {
      const d = join(ckRoot, fileName(w, i));
      mkdirSync(join(d, `checkpoint-${i}`), { recursive: true });
      writeFileSync(join(d, `checkpoint-${i}`, `${fileName(w, i)}.safetensors`), w);
    }
    ckBefore = hash(ckRoot);
    // sessions named by the corpus (tmux turns ':' and '.' into '_' and escapes control characters)
    const names = words.filter((w) => w !== '' && !w.includes('\n')).slice(0, 80);
    const script = names.map((n, i) => [
      `tmux new-session -d -s ${shq(n)} ${shq(`cat ${shq(join(lab.remoteHome, 'hostile.log'))}; exec sleep 600`)}`,
      `tmux set-option -t ${shq(`=${n}:`)} @rtk_log ${shq(i % 2 ? 'hostile.log' : `./${fileName(words[i]!, i)}.log`)}`,
      `tmux set-option -t ${shq(`=${n}:`)} @rtk_checkpoints ${shq(`ck/${fileName(words[i % 60]!, i % 60)}`)}`,
    ].join(' 2>/dev/null; '));
    const r = await lab.remote(script.join('\n'), { timeoutMs: 120_000 });
    if (r.code === null) throw new Error(`setup failed: ${r.stderr}`);
    sessions = (await lab.remote("tmux list-sessions -F '#{session_name}'")).stdout.split('\n').filter(Boolean);
    // GPU processes named by the corpus, owned by the sessions' panes
    const pids = (await lab.remote("tmux list-panes -a -F '#{pane_pid}'")).stdout.split('\n').filter(Boolean).map(Number);
    setFakeGpuProcesses(lab.binDir, pids.slice(0, 40).map((pid, i) => ({ pid, usedMemoryMiB: 100 + i, name: words[i]!.replace(/[\r\n]/g, ' ') })));
  }, 180_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('has over 200 inputs, and tmux kept most of them as session names', () => {
    expect(words.length).toBeGreaterThanOrEqual(200);
    expect(sessions.length).toBeGreaterThanOrEqual(60);
  });

  it('ls, gpus (table and JSON, on a terminal and a pipe)', async () => {
    const json = await cli(['ls', '--json']);
    expect(json.code).toBe(0);
    const runs = (JSON.parse(json.stdout) as { runs: { session: string }[] }).runs;
    expect(runs.length).toBe(sessions.length);
    for (const s of sessions) expect(runs.some((r) => r.session === s)).toBe(true);
    expect((await cli(['ls'])).code).toBe(0);
    expect((await tty(['ls'])).code).toBe(0);
    const g = await cli(['gpus', '--json']);
    const names = (JSON.parse(g.stdout) as { hosts: { gpus: { processes: { name: string | null }[] }[] }[] }).hosts[0]!.gpus.flatMap((x) => x.processes.map((p) => p.name));
    expect(names.length).toBeGreaterThan(0);
    expect((await tty(['gpus'])).code).toBe(0);
  });

  it('logs, ckpt and attach for sessions with hostile names, on a terminal and a pipe', async () => {
    for (const s of sessions.filter((_, i) => i % 8 === 0)) {
      const id = `gpu:${s}`;
      const l = await cli(['logs', id, '-n', '30']);
      expect(l.code === 0 || /log|pane|not found/.test(l.stderr)).toBe(true);
      await tty(['logs', id, '-n', '30']);
      await cli(['ckpt', id]);
      await tty(['ckpt', id]);
    }
    // one attach, detached at once
    const a = await tty(['attach', `gpu:${sessions[1]!}`], { steps: [{ when: 'attached to', keys: '\x1c' }], deadlineMs: 30_000 });
    expect(a.code).toBe(0);
  });

  it('check with corpus paths; new with corpus names and arguments; kill the exact session', async () => {
    const some = words.filter((_, i) => i % 10 === 0);
    const flags = some.flatMap((w, i) => ['--disk', `${fileName(w, i)}:0`, '--model', fileName(w, i + 1)]);
    const c = await cli(['check', '--host', 'gpu', ...flags]);
    expect([0, 1]).toContain(c.code);
    await tty(['check', '--host', 'gpu', ...flags.slice(0, 20)]);
    for (const [i, w] of words.filter((_, k) => k % 25 === 0).entries()) {
      const r = await cli(['new', `n${i}${w.replace(/[:.\\\x00-\x1f\x7f]/g, '_')}`.slice(0, 80), '--host', 'gpu', '--', 'printf', '%s\n', w, `x${w}`]);
      expect([0, 1, 2]).toContain(r.code);
    }
    const victim = sessions.find((s) => s.startsWith('-') && s.length > 1) ?? sessions[0]!;
    const before = (await lab.remote("tmux list-sessions -F '#{session_name}'")).stdout.split('\n').filter(Boolean);
    const k = await cli(['kill', `gpu:${victim}`, '--yes']);
    expect(k.code).toBe(0);
    const after = (await lab.remote("tmux list-sessions -F '#{session_name}'")).stdout.split('\n').filter(Boolean);
    expect(after.sort()).toEqual(before.filter((x) => x !== victim).sort());
  });

  it('push and pull a directory of corpus-named files', async () => {
    const src = join(work, 'up');
    mkdirSync(src);
    for (const [i, w] of words.filter((_, k) => k % 5 === 0).entries()) writeFileSync(join(src, fileName(w, i)), w);
    const up = await cli(['push', src, `gpu:${lab.remoteHome}/pushed`]);
    expect(up.code).toBe(0);
    const down = await cli(['pull', `gpu:${lab.remoteHome}/pushed`, join(work, 'down')]);
    expect(down.code).toBe(0);
    expect(readdirSync(join(work, 'down')).sort()).toEqual(readdirSync(src).sort());
    await tty(['pull', `gpu:${lab.remoteHome}/pushed`, join(work, 'down2')]);
  });

  it('config values and host arguments from the corpus: a one-line error each, nothing run', async () => {
    for (const [i, w] of words.filter((_, k) => k % 12 === 0).entries()) {
      const cfg = join(work, `bad-${i}.yaml`);
      writeFileSync(cfg, `hosts:\n  - name: ${JSON.stringify(w)}\n    ssh: ${JSON.stringify(w)}\nruns:\n  - run: ${JSON.stringify(`gpu:${w}`)}\n    log: ${JSON.stringify(w)}\n`);
      const r = await cli(['ls'], { config: cfg });
      expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
      const h = await cli(['ls', '--host', w]);
      expect(h.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      const t = await cli(['trust', w]);
      expect(t.code).toBe(2);
    }
  });

  it('the monitor: every run selected in turn, every pane focused and zoomed', async () => {
    const down = 'j'.repeat(1);
    const steps = [{ when: /Runs · \d+/, keys: '' }];
    for (let i = 0; i < Math.min(40, sessions.length); i++) steps.push({ when: /Runs · \d+/, keys: down });
    for (const k of ['2', 'z', 'z', '3', 'z', 'z', '4', 'z', 'z', '1', '?', '\x1b', 'q']) steps.push({ when: /Runs · \d+|Help/, keys: k });
    const r = await runInPty(['--config', lab.rtkConfig], lab.env(), { cols: 140, rows: 40, steps, deadlineMs: 120_000, stepDelayMs: 120, cwd: work });
    seen.push({ what: 'monitor', raw: r.raw });
    expect(r.code).toBe(0);
    expect(screenText(r.raw)).toMatch(/GPUs · gpu/);
  });

  it('afterwards: nothing ran, the checkpoint trees are untouched, no host escape reached a terminal', () => {
    expect(readdirSync(pwn)).toEqual([]);
    expect(existsSync(join(work, 'x'))).toBe(false);
    expect(hash(ckRoot)).toBe(ckBefore);
    expect(statSync(ckRoot).isDirectory()).toBe(true);
    // `logs` to a pipe is the log byte for byte (its contract): everything else is for people
    const bad = seen.filter((s) => !s.what.startsWith('pipe: logs')).flatMap((s) => foreignEscapes(s.raw).map((e) => `${s.what}: ${e}`));
    expect(bad).toEqual([]);
    expect(seen.length).toBeGreaterThan(30);
  });
});

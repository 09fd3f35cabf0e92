import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailable, startLab, type Lab } from '../helpers/lab.js';
import { suite } from '../helpers/require.js';
import { pgrep, waitFor } from '../helpers/wait.js';

const pexec = promisify(execFile);

// The lab itself: two real sshd, the target behind the jump, both host keys checked by system ssh.
const why = labUnavailable();
suite(why, 'test lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('runs a command on the target', async () => {
    const r = await lab.remote('echo hi; echo "$TMUX_TMPDIR"; echo "$HOME"; pwd');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`hi\n${lab.tmuxTmpDir}\n${lab.remoteHome}\n${lab.remoteHome}\n`);
  });

  it('reaches the target through the jump, checking the plain and the hashed known_hosts entry', async () => {
    const kh = readFileSync(`${lab.home}/.ssh/known_hosts`, 'utf8');
    expect(kh).toContain(`[127.0.0.1]:${lab.jumpPort} `);
    expect(kh).toMatch(/^\|1\|/m);
    const { stdout } = await pexec('ssh', ['-F', lab.sshConfig, 'rtk-gpu', 'echo "$PATH"; echo $SSH_CONNECTION'], {
      env: lab.env(),
    });
    const [path, conn] = stdout.split('\n');
    expect(path?.split(':')[0]).toBe(lab.binDir);
    // the target saw the connection coming from the jump host's side of loopback
    expect(conn).toMatch(new RegExp(`^127\\.0\\.0\\.\\d+ \\d+ 127\\.0\\.0\\.2 ${lab.gpuPort}$`));
    expect(readFileSync(lab.rtkConfig, 'utf8')).toContain('ssh: rtk-gpu');
  });

  it('drops connections on killTargetSessions and keeps serving new ones', async () => {
    const tag = `30.${process.pid}${Date.now() % 1000}`;
    const long = lab.remote(`sleep ${tag}`);
    expect(await waitFor(async () => (await pgrep(tag)) !== '')).toBe(true);
    await lab.killTargetSessions();
    const r = await long;
    expect(r.code).not.toBe(0);
    expect((await lab.remote('echo again')).stdout).toBe('again\n');
  });

  it('stop() removes the lab and whatever its sessions left running', async () => {
    const other = await startLab();
    const tag = `100.${process.pid}${Date.now() % 1000}`;
    await other.remote('tmux new-session -d -s t sleep 100');
    await other.remote(`nohup sleep ${tag} >/dev/null 2>&1 &`);
    expect(await pgrep(tag)).not.toBe('');
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    expect(await pgrep(other.dir)).toBe('');
    expect(await pgrep(tag)).toBe('');
  });
});

// Writing a known_hosts entry the way OpenSSH does (hostfile.c add_host_to_hostfile): the user's
// ~/.ssh created 0700 when missing, a newline first when the file does not end with one (else the
// entry is glued onto the last line and both are lost), the entry hashed under HashKnownHosts yes,
// the file's mode left as it is (a new file is 0600), and never a second entry for a host and key
// already there. Writers in this process are serialised by JavaScript; other rtk-tui processes by a
// short lock file beside known_hosts, so two of them accepting the same new host write it once.
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { err, ok, type Result } from '../domain/types.js';
import { checkHostKey, knownHostsLine, parseKnownHosts } from './known-hosts.js';

export interface AddedHostKey {
  file: string;
  /** The line written, or null when the host already had this key. */
  line: string | null;
}

const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 2_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Hold `file.rtk-lock` while fn runs (created O_EXCL; a lock older than 10 s is a crashed writer's). */
function withLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.rtk-lock`;
  const end = Date.now() + LOCK_WAIT_MS;
  let fd: number | null = null;
  while (fd === null) {
    try {
      fd = openSync(lock, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) unlinkSync(lock);
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > end) throw new Error(`${lock} is held by another writer`);
      sleepSync(20);
    }
  }
  try {
    return fn();
  } finally {
    closeSync(fd);
    try {
      unlinkSync(lock);
    } catch {
      /* removed as stale by another writer */
    }
  }
}

/** True when the file exists, is not empty and its last byte is not a newline. */
function lacksFinalNewline(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const size = statSync(file).size;
    if (size === 0) return false;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}

/**
 * Add `token key` to `file` (the first UserKnownHostsFile), hashed when asked. `token` is what
 * OpenSSH looks up: `host` for port 22, else `[host]:port` (known-hosts.ts hostToken).
 */
export function addKnownHost(file: string, token: string, key: Buffer, hashed: boolean): Result<AddedHostKey> {
  try {
    const dir = dirname(file);
    // like OpenSSH: the ~/.ssh directory is made (0700) when the file is to live there
    if (!existsSync(dir) && basename(dir) === '.ssh') mkdirSync(dir, { mode: 0o700 });
    return withLock(file, () => {
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      if (checkHostKey(parseKnownHosts(text), [token], key).kind === 'ok') return ok({ file, line: null });
      const line = knownHostsLine(token, key, hashed, hashed ? randomBytes(20) : undefined);
      const lead = lacksFinalNewline(file) ? '\n' : '';
      appendFileSync(file, `${lead}${line}\n`, { mode: 0o600 });
      return ok({ file, line });
    });
  } catch (e) {
    return err('io', `could not add the host key of ${token} to ${file}: ${(e as Error).message}`, { cause: e });
  }
}

// What a run started by `rtk-tui new` keeps on its session to be started again (relaunch): the
// exact argv and the environment set at launch (@rtk_argv, @rtk_env: base64 of JSON), its
// directory, log, checkpoints and GPUs, whether its command still runs, and the names taken on the
// server (for a free NAME-2). Read in one exec; values are NUL-separated (a path may hold anything
// but NUL).
import { err, ok, type HostSpec, type Result } from '../domain/types.js';
import type { Host } from './host.js';
import { findSessionScript, PANE_BY_ID, tmuxCommand } from './tmux-control.js';

export interface RunRecord {
  session: string;
  /** tmux id and creation time (epoch seconds): a --replace kills exactly this one. */
  id: string;
  createdAt: number | null;
  alive: boolean;
  /** The argv as started; null for a session rtk-tui did not start (or an older one: see `display`). */
  argv: string[] | null;
  /** @rtk_cmd: the command as typed, valid sh (sessions from before @rtk_argv). */
  display: string | null;
  env: Record<string, string>;
  cwd: string | null;
  log: string | null;
  checkpoints: string | null;
  gpus: number[];
  /** Every session name on the server. */
  taken: string[];
}

const NO_SESSION = 93;
const OPTS = ['@rtk_argv', '@rtk_cmd', '@rtk_env', '@rtk_cwd', '@rtk_log', '@rtk_checkpoints', '@rtk_gpus'] as const;

export function buildReadRecord(spec: Pick<HostSpec, 'tmuxSocket'>, session: string): string {
  const t = tmuxCommand(spec);
  return [
    findSessionScript(spec, session, `exit ${NO_SESSION}`),
    `${t} display-message -p -t ${PANE_BY_ID} '#{session_id} #{session_created} #{pane_dead}' | tr -d '\\n'; printf '\\0'`,
    // formats print the values as they are (show-options may quote them)
    ...OPTS.map((o) => `${t} display-message -p -t ${PANE_BY_ID} '#{${o}}' | tr -d '\\n'; printf '\\0'`),
    `${t} list-sessions -F '#{session_name}' | tr '\\n' '\\0'`,
    '',
  ].join('\n');
}

function decode<T>(b64: string, check: (v: unknown) => v is T): T | null {
  if (b64 === '') return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
    return check(v) ? v : null;
  } catch {
    return null;
  }
}

const isArgv = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
const isEnv = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.entries(v).every(([k, x]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && typeof x === 'string');

export function parseRecord(out: Buffer, session: string): RunRecord | null {
  const parts = out.toString('utf8').split('\0');
  if (parts.length < 1 + OPTS.length) return null;
  const [head = '', argv = '', cmd = '', env = '', cwd = '', log = '', ck = '', gpus = ''] = parts;
  const [id = '', created = '', dead = ''] = head.trim().split(' ');
  const c = Number(created);
  return {
    session,
    id,
    createdAt: Number.isFinite(c) && c > 0 ? c : null,
    alive: dead === '0',
    argv: decode(argv, isArgv),
    display: cmd || null,
    env: decode(env, isEnv) ?? {},
    cwd: cwd || null,
    log: log || null,
    checkpoints: ck || null,
    gpus: /^\d+(,\d+)*$/.test(gpus) ? gpus.split(',').map(Number) : [],
    taken: parts.slice(1 + OPTS.length).filter(Boolean),
  };
}

export async function readRecord(host: Host, spec: HostSpec, session: string): Promise<Result<RunRecord>> {
  const r = await host.exec(buildReadRecord(spec, session), { timeoutMs: 15_000 });
  if (!r.ok) return r;
  if (r.value.code === NO_SESSION) return err('not-found', `no session named ${JSON.stringify(session)} on ${spec.name}`);
  const rec = r.value.code === 0 ? parseRecord(r.value.stdout, session) : null;
  if (rec === null) return err('exit', `could not read what ${spec.name}:${session} was started with (exit status ${r.value.code})`);
  return ok(rec);
}

/** NAME-2, NAME-3, ...: the first not taken. */
export function nextFreeName(name: string, taken: readonly string[]): string {
  const base = name.replace(/-\d+$/, '');
  for (let i = 2; ; i++) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}

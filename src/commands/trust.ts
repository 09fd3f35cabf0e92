// rtk-tui trust HOST: the first contact with a host, done the careful way. It connects through the
// jump chain; for every hop whose key known_hosts does not hold it shows the key type and SHA256
// fingerprint, asks y/N, and writes the entry as OpenSSH would (hashed under HashKnownHosts yes),
// then goes on to the next hop. It never accepts silently, and never replaces a changed key: that
// error names the `ssh-keygen -R` that removes the old one, for the user to run after checking.
import { err, ok } from '../domain/types.js';
import { safeText } from '../parse/terminal.js';
import { addKnownHost } from '../remote/known-hosts-file.js';
import type { HostKeyProblem } from '../remote/ssh-dial.js';
import type { CommandContext, CommandResult } from './context.js';
import { ask, configWithoutCliHosts, openOne, parseFlags, pickHost } from './control-common.js';

const USAGE = 'rtk-tui trust HOST';
/** More hops than any sane ProxyJump chain: each round trusts one of them. */
const MAX_ROUNDS = 10;

export async function run(argv: string[], ctx: CommandContext): Promise<CommandResult> {
  const f = parseFlags('trust', argv, {});
  if (!f.ok) return f;
  const words = [...f.value.positional, ...(f.value.rest ?? [])];
  // cli.ts takes --host as a global flag: `trust --host h` means the same
  if (words.length === 0 && ctx.global.hosts.length === 1) words.push(ctx.global.hosts[0]!);
  if (words.length !== 1) return err('usage', `trust takes one HOST (a configured host, an ssh alias or user@host[:port]): ${USAGE}`);
  const name = words[0]!;
  if (ctx.stdin.isTTY !== true)
    return err('usage', `trust ${name} asks before it writes known_hosts and needs a terminal to ask on; in a script, check the keys yourself and add them with ssh-keyscan`);
  const cfg = configWithoutCliHosts(ctx);
  if (!cfg.ok) return cfg;
  const spec = pickHost(cfg.value, name);
  if (!spec.ok) return spec;
  if (spec.value.local) {
    ctx.stdout.write(`${name} is this machine: there is no SSH host key to trust\n`);
    return ok(0);
  }
  let added = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // a fresh host each round: it reads known_hosts again
    const host = openOne(spec.value, ctx);
    const r = await host.connect();
    await host.close();
    if (r.ok) {
      ctx.stdout.write(
        added > 0
          ? `${spec.value.name}: ${added} host key${added === 1 ? '' : 's'} added; every host key on the way is known, and the login works\n`
          : `${spec.value.name}: every host key on the way is already known, and the login works\n`,
      );
      return ok(0);
    }
    const problem = r.error.cause as Partial<Extract<HostKeyProblem, { unknownHostKey: unknown }>> | undefined;
    const k = r.error.kind === 'host-key-unknown' ? problem?.unknownHostKey : undefined;
    if (!k) {
      // a changed key is never replaced here: its message names the ssh-keygen -R to run
      if (added > 0 && r.error.kind !== 'host-key-mismatch')
        return err(r.error.kind, `the host keys are known now, but ${spec.value.name} could not be reached: ${r.error.message}`, { cause: r.error });
      return r;
    }
    ctx.stderr.write(`The authenticity of ${safeText(k.role)} cannot be established.\n${safeText(k.keyType)} key fingerprint is ${k.fingerprint}.\n`);
    if (k.file === null) return err('config', `there is no known_hosts file to write ${k.role}'s key to (UserKnownHostsFile none?)`);
    const answer = await ask(ctx, `Is it the right key? Add it to ${k.file}${k.hashed ? ' (hashed)' : ''} [y/N] `);
    if (answer === null || !/^y(es)?$/i.test(answer.trim())) {
      ctx.stderr.write('not trusted: known_hosts was not changed\n');
      return ok(1);
    }
    const w = addKnownHost(k.file, k.token, k.blob, k.hashed);
    if (!w.ok) return w;
    added++;
    ctx.stderr.write(`added ${safeText(k.role)} (${k.keyType} ${k.fingerprint}) to ${k.file}\n`);
  }
  return err('exit', `trust ${name}: gave up after ${MAX_ROUNDS} host keys`);
}

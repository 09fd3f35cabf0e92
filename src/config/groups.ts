// `groups:` of the config: one multi-node run made of sessions on several hosts.
//   groups:
//     llama-70b: [node1:train, node2:train]     # rank 0 first
// A group's name is its run id, so it can never read as HOST:SESSION (no ':'), nor as a flag (no
// leading '-'), nor drive a terminal (no control character). Each part is HOST:SESSION of a configured
// host, and belongs to one group only.
import { err, ok, type HostSpec, type Result, type RunGroup } from '../domain/types.js';

/** file:line:col of the node at a path (keyOf: of that key in the mapping at the path). */
export type Where = (path: (string | number)[], keyOf?: string) => string;

// eslint-disable-next-line no-control-regex
const NAME_OK = /^[^\s:\x00-\x1f\x7f-\x9f]+$/;
// eslint-disable-next-line no-control-regex
const SESSION_OK = /^[^\x00-\x1f\x7f-\x9f]+$/;

export function buildGroups(raw: Record<string, string[]>, hosts: readonly HostSpec[], where: Where): Result<RunGroup[]> {
  const names = new Set(hosts.map((h) => h.name));
  const hostList = hosts.map((h) => h.name).join(', ') || 'none';
  const owner = new Map<string, string>();
  const out: RunGroup[] = [];
  for (const [name, parts] of Object.entries(raw)) {
    const at = where(['groups'], name);
    if (!NAME_OK.test(name))
      return err('config', `${at}: group name ${JSON.stringify(name)} cannot contain ":", blanks or control characters (it is the run's id; HOST:SESSION names a session)`);
    if (name.startsWith('-')) return err('config', `${at}: group name ${JSON.stringify(name)} cannot start with "-"`);
    const g: RunGroup = { name, parts: [] };
    for (const [i, text] of parts.entries()) {
      const here = where(['groups', name, i]);
      const label = `groups.${name}[${i}]`;
      // the LAST colon, as resolveRun reads a run id
      const colon = text.lastIndexOf(':');
      const host = colon > 0 ? text.slice(0, colon) : '';
      const session = colon > 0 ? text.slice(colon + 1) : '';
      if (host === '' || session === '' || !SESSION_OK.test(text))
        return err('config', `${here}: ${label} must be HOST:SESSION (a configured host and a tmux session), not ${JSON.stringify(text)}`);
      if (!names.has(host)) return err('config', `${here}: ${label}: ${host} is not a configured host (hosts: ${hostList})`);
      const other = owner.get(text);
      if (other !== undefined)
        return err('config', `${here}: ${label}: ${text} is ${other === name ? 'listed twice in this group' : `already a part of group ${other}`}`);
      owner.set(text, name);
      g.parts.push({ host, session });
    }
    out.push(g);
  }
  return ok(out);
}

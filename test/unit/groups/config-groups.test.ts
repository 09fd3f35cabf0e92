// config `groups:` (DESIGN section 3): good groups read, bad ones a one-line error at file:line:col.
import { describe, expect, it } from 'vitest';
import { parseConfig, selectHosts } from '../../../src/config/load.js';

const HOSTS = ['hosts:', '  - name: node1', '    ssh: rtk-gpu', '  - name: node2', '    ssh: rtk-gpu'];

const parse = (...lines: string[]) => parseConfig([...HOSTS, ...lines].join('\n'), 'config.yaml');

const message = (...lines: string[]): string => {
  const r = parse(...lines);
  if (r.ok) throw new Error(`expected an error for ${lines.join(' / ')}`);
  expect(r.error.kind).toBe('config');
  expect(r.error.message).not.toContain('\n');
  return r.error.message;
};

describe('config groups', () => {
  it('reads groups, rank 0 first, in the order written', () => {
    const r = parse('groups:', '  llama-70b: [node1:train, node2:train]', '  small:', '    - node2:eval');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.groups).toEqual([
      { name: 'llama-70b', parts: [{ host: 'node1', session: 'train' }, { host: 'node2', session: 'train' }] },
      { name: 'small', parts: [{ host: 'node2', session: 'eval' }] },
    ]);
  });

  it('has no groups when the file names none', () => {
    const r = parse();
    expect(r.ok && r.value.groups).toBeFalsy();
  });

  it('refuses a part on a host that is not configured, naming line and column', () => {
    expect(message('groups:', '  llama: [node1:train, node3:train]')).toBe(
      'config.yaml:7:24: groups.llama[1]: node3 is not a configured host (hosts: node1, node2)',
    );
  });

  it('refuses a part that is not HOST:SESSION', () => {
    expect(message('groups:', '  llama: [node1:train, train]')).toMatch(/^config\.yaml:7:24: groups\.llama\[1\] must be HOST:SESSION .*"train"$/);
    expect(message('groups:', '  llama: [node1:]')).toMatch(/^config\.yaml:7:\d+: groups\.llama\[0\] must be HOST:SESSION/);
  });

  it('refuses a group name that would read as HOST:SESSION or a flag', () => {
    expect(message('groups:', '  "a:b": [node1:train]')).toMatch(/^config\.yaml:7:3: group name "a:b" cannot contain ":"/);
    expect(message('groups:', '  -x: [node1:train]')).toMatch(/^config\.yaml:7:3: group name "-x" cannot start with "-"/);
  });

  it('refuses a part in two groups, or twice in one', () => {
    expect(message('groups:', '  a: [node1:train]', '  b: [node2:x, node1:train]')).toBe(
      'config.yaml:8:16: groups.b[1]: node1:train is already a part of group a',
    );
    expect(message('groups:', '  a: [node1:t, node1:t]')).toMatch(/listed twice in this group$/);
  });

  it('refuses an empty group and a group that is not a list', () => {
    expect(message('groups:', '  a: []')).toMatch(/^config\.yaml:7:\d+: groups\.a cannot be empty$/);
    expect(message('groups:', '  a: node1:train')).toMatch(/^config\.yaml:7:\d+: groups\.a must be a list of HOST:SESSION/);
  });

  it('the monitor HOST arguments keep the groups with a part on a chosen host', () => {
    const r = parse('groups:', '  a: [node1:t]', '  b: [node2:t]');
    if (!r.ok) throw new Error(r.error.message);
    const sel = selectHosts(r.value, ['node2']);
    expect(sel.ok && sel.value.groups?.map((g) => g.name)).toEqual(['b']);
  });
});

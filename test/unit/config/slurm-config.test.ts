import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';

describe('scheduler: on hosts', () => {
  it('reads slurm and tmux, and leaves it unset by default', () => {
    const r = parseConfig('hosts:\n  - name: login\n    ssh: me@login\n    scheduler: slurm\n  - name: box\n    ssh: box\n    scheduler: tmux\n  - name: other\n    ssh: other\n', 'c.yaml');
    expect(r.ok && r.value.hosts.map((h) => [h.name, h.scheduler])).toEqual([['login', 'slurm'], ['box', 'tmux'], ['other', undefined]]);
  });
  it('refuses another word, naming the line', () => {
    const r = parseConfig('hosts:\n  - name: login\n    ssh: login\n    scheduler: pbs\n', 'c.yaml');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/^c\.yaml:4:\d+: hosts\[0\]\.scheduler must be one of slurm, tmux$/);
  });
});

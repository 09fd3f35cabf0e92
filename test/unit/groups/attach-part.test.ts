// `attach GROUP [--part HOST:SESSION]`: which part a group's attach goes to.
import { describe, expect, it } from 'vitest';
import { groupPart } from '../../../src/commands/attach.js';
import type { RunGroup } from '../../../src/domain/types.js';

const G: RunGroup[] = [{ name: 'llama', parts: [{ host: 'node1', session: 'train' }, { host: 'node2', session: 'train' }] }];

describe('attach to a group', () => {
  it('goes to rank 0 by default, to the part --part names, and leaves other runs alone', () => {
    expect(groupPart(G, 'llama', undefined)).toEqual({ ok: true, value: 'node1:train' });
    expect(groupPart(G, 'llama', 'node2:train')).toEqual({ ok: true, value: 'node2:train' });
    expect(groupPart(G, 'node2:train', undefined)).toEqual({ ok: true, value: null });
    expect(groupPart(undefined, 'llama', undefined)).toEqual({ ok: true, value: null });
  });

  it('refuses --part that is not a part, or --part for a run that is not a group', () => {
    const a = groupPart(G, 'llama', 'node3:train');
    expect(!a.ok && a.error).toMatchObject({ kind: 'usage', message: 'attach: node3:train is not a part of group llama (its parts: node1:train, node2:train)' });
    const b = groupPart(G, 'node1:train', 'node2:train');
    expect(!b.ok && b.error.message).toMatch(/--part is for a group/);
  });
});

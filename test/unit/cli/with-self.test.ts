// Follow-up commands name rtk-tui as it was started (npx rtk-tui, a path); prose that names the
// product is left alone.
import { describe, expect, it } from 'vitest';
import { withSelf } from '../../../src/cli.js';

describe('withSelf', () => {
  it('rewrites a command the user is told to run', () => {
    expect(withSelf('check it and add it with rtk-tui trust gpu (or connect once with ssh).', 'npx rtk-tui')).toBe(
      'check it and add it with npx rtk-tui trust gpu (or connect once with ssh).',
    );
    expect(withSelf('monitor again: rtk-tui --config /tmp/x.yaml', './bin/rtk-tui')).toBe('monitor again: ./bin/rtk-tui --config /tmp/x.yaml');
    expect(withSelf('attach with `rtk-tui attach gpu:exp2`', 'npx rtk-tui')).toBe('attach with `npx rtk-tui attach gpu:exp2`');
    expect(withSelf('(rtk-tui help check)', 'npx rtk-tui')).toBe('(npx rtk-tui help check)');
  });

  it('leaves prose naming the product, and everything when started as rtk-tui', () => {
    const prose = 'gpu:/r/u.bin.rtk-part is a symbolic link: rtk-tui never writes its partial files through a link';
    expect(withSelf(prose, 'npx rtk-tui')).toBe(prose);
    expect(withSelf('then rtk-tui waits for you', 'npx rtk-tui')).toBe('then rtk-tui waits for you');
    expect(withSelf('run rtk-tui trust gpu', 'rtk-tui')).toBe('run rtk-tui trust gpu');
  });
});

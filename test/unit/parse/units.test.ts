// Times as people read them: the date and the time of one stamp come from the same (local) clock.
import { afterEach, describe, expect, it } from 'vitest';
import { localStamp } from '../../../src/parse/units.js';

const tz = process.env.TZ;
afterEach(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});

describe('localStamp', () => {
  it('gives the local date with the local time, also when the UTC date differs', () => {
    process.env.TZ = 'Asia/Tokyo';
    expect(localStamp(new Date('2026-12-04T20:00:00Z'))).toBe('2026-12-05 05:00:00');
    process.env.TZ = 'America/Los_Angeles';
    expect(localStamp(new Date('2026-12-05T03:12:09Z'))).toBe('2026-12-04 19:12:09');
  });
});

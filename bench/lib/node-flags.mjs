// The V8 flags `rtk-tui` runs with: those on bin/rtk-tui's `#!/usr/bin/env -S node ...` line. Benches
// that measure the product's process use them too (bench/run.mjs re-runs itself with them; the
// memory figure's child gets them).
import { readFileSync } from 'node:fs';

const first = readFileSync(new URL('../../bin/rtk-tui', import.meta.url), 'utf8').split('\n')[0] ?? '';
export const NODE_FLAGS = first.replace(/^#!.*?\bnode\b/, '').trim().split(/\s+/).filter((f) => f.startsWith('--'));

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { helpText, main, parseGlobal } from '../../../src/cli.js';
import { COMMANDS } from '../../../src/commands/index.js';

function capture() {
  const out = new PassThrough();
  const errs = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d) => (o += d));
  errs.on('data', (d) => (e += d));
  return { io: { stdout: out, stderr: errs, env: {} }, out: () => o, err: () => e };
}

describe('cli', () => {
  it('lists every command of DESIGN section 2 in --help', () => {
    const text = helpText();
    for (const c of ['ls', 'gpus', 'logs', 'ckpt', 'attach', 'new', 'kill', 'check', 'push', 'pull', 'demo']) {
      expect(text).toContain(`rtk-tui ${c}`);
    }
    for (const f of ['--config', '--host', '--readonly', '--no-color', '--version', '--help']) expect(text).toContain(f);
  });

  it('prints the package version', async () => {
    const c = capture();
    expect(await main(['--version'], c.io)).toBe(0);
    expect(c.out().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('says so and exits 2 for a command not built yet', async () => {
    // a stand-in entry: every real command may well be built
    const unbuilt = { name: 'zz-unbuilt', usage: 'zz-unbuilt', summary: 'a test stand-in', built: false, load: () => Promise.reject(new Error('never loaded')) };
    COMMANDS.push(unbuilt);
    try {
      const c = capture();
      expect(await main([unbuilt.name], c.io)).toBe(2);
      expect(c.err()).toContain('not built yet');
    } finally {
      COMMANDS.splice(COMMANDS.indexOf(unbuilt), 1);
    }
  });

  it('pulls global flags from anywhere before --', () => {
    const p = parseGlobal(['ls', '--host', 'a800', '--json', '--config=x.yaml', '--readonly', '--', '--host']);
    expect(p.global).toEqual({ config: 'x.yaml', hosts: ['a800'], readonly: true, noColor: false });
    expect(p.rest).toEqual(['ls', '--json', '--', '--host']);
  });

  it('refuses a flag with no value', async () => {
    const c = capture();
    expect(await main(['--config'], c.io)).toBe(2);
    expect(c.err()).toContain('--config');
  });
});

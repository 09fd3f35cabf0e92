// How rtk-tui names itself in the commands it prints: what works in the user's own shell.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selfCommand } from '../../../src/commands/help.js';

const dir = mkdtempSync(join(tmpdir(), 'rtk-self-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const program = join(dir, 'pkg', 'bin', 'rtk-tui');
mkdirSync(join(dir, 'pkg', 'bin'), { recursive: true });
writeFileSync(program, '#!/bin/sh\n');
const npmBin = join(dir, 'proj', 'node_modules', '.bin');
mkdirSync(npmBin, { recursive: true });
symlinkSync(program, join(npmBin, 'rtk-tui'));
const userBin = join(dir, 'usr-bin');
mkdirSync(userBin);

describe('selfCommand', () => {
  it('npx rtk-tui under npx, though npx puts node_modules/.bin on the PATH it gives the program', () => {
    expect(selfCommand({ PATH: `${npmBin}:/usr/bin`, npm_command: 'exec' }, join(npmBin, 'rtk-tui'))).toBe('npx rtk-tui');
  });

  it('rtk-tui when that name on the user\'s PATH is this program (npm link), even under npx', () => {
    symlinkSync(program, join(userBin, 'rtk-tui'));
    try {
      expect(selfCommand({ PATH: `${npmBin}:${userBin}`, npm_command: 'exec' }, join(npmBin, 'rtk-tui'))).toBe('rtk-tui');
      expect(selfCommand({ PATH: userBin }, program)).toBe('rtk-tui');
    } finally {
      rmSync(join(userBin, 'rtk-tui'));
    }
  });

  it('the path it was started by otherwise', () => {
    expect(selfCommand({ PATH: '/usr/bin' }, program)).toBe(program);
  });
});

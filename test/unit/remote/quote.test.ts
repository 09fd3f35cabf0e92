import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { remoteOperand, shjoin, shq } from '../../../src/remote/quote.js';

// A hostile corpus: each word must reach the program exactly as given and never run as code.
export const HOSTILE = [
  'a;touch pwned',
  'b$(touch pwned)',
  'c`touch pwned`',
  `d'e"f`,
  'g h  i',
  '-k',
  '--rm -rf',
  'l|touch pwned',
  'm&&touch pwned',
  'n\ntouch pwned',
  '$HOME',
  '${IFS}x',
  "'",
  "''",
  '\\',
  '*',
  '~',
  '!event',
  'ünïcødé 训练 🚀',
  '',
  ' ',
  '\t',
  '#comment',
  'x>y',
  '<z',
];

describe('shq', () => {
  it('leaves plain words readable', () => {
    expect(shq('train_v1')).toBe('train_v1');
    expect(shq('/home/u/proj/train.log')).toBe('/home/u/proj/train.log');
  });

  for (const word of HOSTILE) {
    it(`carries ${JSON.stringify(word)} through sh exactly`, () => {
      const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shq(word)}`], { cwd: '/tmp' });
      expect(out.toString('utf8')).toBe(`${word}\0`);
    });
  }

  it('joins an argv that sh splits back into the same words', () => {
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shjoin(HOSTILE)}`], { cwd: '/tmp' });
    expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(HOSTILE);
  });
});

describe('remoteOperand: a remote path no tool reads as an option', () => {
  const sh = (script: string, home = '/home/u') => execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH, HOME: home } }).toString();
  it('expands ~ to the remote home, keeps absolute paths, and puts ./ before any other path', () => {
    expect(sh(`printf '%s' ${remoteOperand('~')}`)).toBe('/home/u');
    expect(sh(`printf '%s' ${remoteOperand('~/a b/$(x)')}`)).toBe('/home/u/a b/$(x)');
    expect(sh(`printf '%s' ${remoteOperand('/abs/-x')}`)).toBe('/abs/-x');
    for (const p of ['-delete', '(', '!', '--help', '-', 'ck/-x', '~user/x', '']) expect(sh(`printf '%s' ${remoteOperand(p)}`)).toBe(`./${p}`);
  });
  it('every word of the hostile corpus stays one operand of find', () => {
    for (const w of HOSTILE) {
      const out = sh(`set -- ${remoteOperand(w)}; printf '%s|%s' "$#" "$1"`);
      const [n, first] = out.split('|');
      expect(n).toBe('1');
      expect(first!.startsWith('/') || first!.startsWith('./')).toBe(true);
    }
  });
});

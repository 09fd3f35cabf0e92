import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCommandLine } from '../../../src/parse/argv.js';
import { shjoin } from '../../../src/remote/quote.js';

const argv = (line: string) => {
  const r = splitCommandLine(line);
  if (!r.ok) throw new Error(`expected argv for ${line}, got: ${r.error}`);
  return r.value;
};
const error = (line: string) => {
  const r = splitCommandLine(line);
  if (r.ok) throw new Error(`expected an error for ${line}, got ${JSON.stringify(r.value)}`);
  return r.error;
};

describe('splitCommandLine: words as sh splits them, nothing run or expanded', () => {
  it.each([
    ['python train.py --lr 1e-4', ['python', 'train.py', '--lr', '1e-4']],
    ['  python\ttrain.py  ', ['python', 'train.py']],
    [`sh -c 'echo hello; sleep 30'`, ['sh', '-c', 'echo hello; sleep 30']],
    [`echo "a b" 'c d' e\\ f`, ['echo', 'a b', 'c d', 'e f']],
    [`echo "it's" 'say "hi"'`, ['echo', "it's", 'say "hi"']],
    [`echo "a\\"b" "c\\\\d" "e\\nf"`, ['echo', 'a"b', 'c\\d', 'e\\nf']],
    [`echo '' ""`, ['echo', '', '']],
    [`echo ab'cd'"ef"`, ['echo', 'abcdef']],
    [`echo \\$HOME '$HOME' "\\$HOME" \\| \\~`, ['echo', '$HOME', '$HOME', '$HOME', '|', '~']],
    ['echo 100$ a$ $', ['echo', '100$', 'a$', '$']],
    ['python x.py --glob *.json a#b', ['python', 'x.py', '--glob', '*.json', 'a#b']],
    ['echo 日本語 ünï', ['echo', '日本語', 'ünï']],
  ])('%s', (line, want) => {
    expect(argv(line)).toEqual(want);
  });

  it('hands leading NAME=VALUE words to env, as sh would set them for the command', () => {
    expect(argv('CUDA_VISIBLE_DEVICES=0,1 OMP=4 python train.py')).toEqual(['env', 'CUDA_VISIBLE_DEVICES=0,1', 'OMP=4', 'python', 'train.py']);
    expect(argv(`A="x y" python t.py B=1`)).toEqual(['env', 'A=x y', 'python', 't.py', 'B=1']);
    // a quoted name is no assignment in sh either
    expect(argv(`'A=1' prog`)).toEqual(['A=1', 'prog']);
    expect(argv(`A\\=1 prog`)).toEqual(['A=1', 'prog']);
    expect(argv(`1A=1 prog`)).toEqual(['1A=1', 'prog']);
    expect(error('A=1 B=2')).toMatch(/only sets variables/);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    [`echo 'abc`, /unterminated ' quote/],
    [`echo "abc`, /unterminated " quote/],
    ['echo abc\\', /ends with a backslash/],
    ['python t.py | tee x', /"\|" is shell syntax.*bash -lc/],
    ['cd x && python t.py', /"&" is shell syntax/],
    ['a; b', /";" is shell syntax/],
    ['python t.py > out.log', /">" is shell syntax/],
    ['python t.py --out $HOME/x', /"\$H" would be expanded/],
    ['python t.py --out "${OUT}"', /"\$\{" would be expanded/],
    ['echo $(date)', /"\$\(" would be expanded/],
    ['echo `date`', /backquote/],
    ['echo "`date`"', /backquote/],
    ['python t.py --data ~/data', /"~" is expanded by a shell/],
    ['python t.py # a note', /comment/],
  ])('refuses %j', (line, re) => {
    expect(error(line)).toMatch(re);
  });

  it('never throws, and round-trips any argv quoted by shjoin', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const r = splitCommandLine(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }), (words) => {
        const safe = ['prog', ...words];
        expect(argv(shjoin(safe))).toEqual(safe);
      }),
      { numRuns: 150 },
    );
  });
});

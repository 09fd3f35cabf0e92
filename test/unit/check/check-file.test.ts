import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  mergeSpecs,
  parseCheckFile,
  parseCheckFlags,
  parseGiB,
  specIsEmpty,
  splitDisk,
  splitFileMatch,
} from '../../../src/config/check-file.js';

describe('sizes and pairs', () => {
  it.each([
    ['100', 100],
    ['100G', 100],
    ['100GiB', 100],
    ['1.5T', 1536],
    ['512M', 0.5],
    ['.5g', 0.5],
    [' 20 ', 20],
  ])('parseGiB(%j) = %d', (text, gib) => expect(parseGiB(text)).toBe(gib));

  it.each(['', 'lots', '-1', '1e3', '10 X', 'G'])('parseGiB(%j) is null', (text) => expect(parseGiB(text)).toBeNull());

  it('splits DIR:GIB at the last colon and LOCAL:REMOTE at the first', () => {
    expect(splitDisk('/data:100')).toEqual({ dir: '/data', freeGiB: 100 });
    expect(splitDisk('/mnt/a:b:2T')).toEqual({ dir: '/mnt/a:b', freeGiB: 2048 });
    expect(splitDisk('/data')).toBeNull();
    expect(splitDisk(':5')).toBeNull();
    expect(splitFileMatch('./w.bin:/data/w:1.bin')).toEqual({ local: './w.bin', remote: '/data/w:1.bin' });
    expect(splitFileMatch('w.bin:')).toBeNull();
    expect(splitFileMatch(':x')).toBeNull();
  });
});

describe('parseCheckFile', () => {
  it('reads every section, long and short forms, and resolves local paths against the file', () => {
    const text = [
      'host: a800',
      'gpus: {count: 2, freeGiB: "20G"}',
      'disk:',
      '  - /data:100',
      '  - {dir: ~/ckpt, freeGiB: 1.5T}',
      'files:',
      '  - weights/w.bin:/data/w.bin',
      '  - {local: /abs/x, remote: "~/x"}',
      'hash: md5',
      'models: [/data/llama]',
      'run:',
      '  - "conda activate rdt && python -c \'import torch\'"',
      '  - {cmd: nvidia-smi, timeout: 10}',
      'env: [HF_TOKEN, CUDA_HOME]',
    ].join('\n');
    const r = parseCheckFile(text, '/proj/checks/check.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual({
      host: 'a800',
      gpus: { count: 2, freeGiB: 20 },
      disk: [
        { dir: '/data', freeGiB: 100 },
        { dir: '~/ckpt', freeGiB: 1536 },
      ],
      files: [
        { local: '/proj/checks/weights/w.bin', remote: '/data/w.bin' },
        { local: '/abs/x', remote: '~/x' },
      ],
      hash: 'md5',
      models: ['/data/llama'],
      run: [
        { command: "conda activate rdt && python -c 'import torch'", timeoutSeconds: 120 },
        { command: 'nvidia-smi', timeoutSeconds: 10 },
      ],
      env: ['HF_TOKEN', 'CUDA_HOME'],
    });
    expect(parseCheckFile('gpus: 4\n', 'c.yaml')).toMatchObject({ ok: true, value: { gpus: { count: 4, freeGiB: 0 } } });
    expect(parseCheckFile('files: ["~/w.bin:/w.bin"]\n', '/p/c.yaml', '/home/me')).toMatchObject({ ok: true, value: { files: [{ local: '/home/me/w.bin' }] } });
  });

  it.each([
    ['host: a\ndisks: []\n', 'c.yaml:2:1: top level: unknown key "disks"'],
    ['disk:\n  - {dir: /d, freeGiB: lots}\n', 'c.yaml:2:24: disk.0.freeGiB: expected a size in GiB such as 100 or "1.5T", got "lots"'],
    ['disk: ["/data"]\n', 'c.yaml:1:8: disk.0: expected "DIR:GIB" such as "/data:100", got "/data"'],
    ['env: [ok, "1-bad"]\n', 'c.yaml:1:11: env.1: expected an environment variable name such as HF_TOKEN'],
    ['hash: sha1\n', 'c.yaml:1:7: hash: Invalid option: expected one of "sha256"|"md5"'],
    ['gpus: {count: 0}\n', 'c.yaml:1:15: gpus.count: '],
    ['host: [a\n', 'c.yaml:2:1: invalid YAML: '],
    ['a: 1\na: 2\n', 'c.yaml:2:1: invalid YAML: '],
    ['', 'c.yaml: the check file is empty'],
  ])('%j -> %s', (text, expected) => {
    const r = parseCheckFile(text, 'c.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('config');
    expect(r.error.message.startsWith(expected)).toBe(true);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = parseCheckFile(text, 'g.yaml');
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseCheckFlags and mergeSpecs', () => {
  it('reads every flag, = forms included, relative locals against the cwd', () => {
    const r = parseCheckFlags(
      [
        '--gpus', '2', '--gpu-free-gib=20', '--disk', '/data:100', '--file-match', 'w.bin:/data/w.bin', '--hash', 'md5',
        '--model', '/m', '--run', "python -c 'import torch'", '--run-timeout', '30', '--env', 'HF_TOKEN', '--json', '--file', 'c.yaml',
      ],
      '/work',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.json).toBe(true);
    expect(r.value.file).toBe('c.yaml');
    expect(r.value.spec).toMatchObject({
      gpus: { count: 2, freeGiB: 20 },
      disk: [{ dir: '/data', freeGiB: 100 }],
      files: [{ local: '/work/w.bin', remote: '/data/w.bin' }],
      hash: 'md5',
      models: ['/m'],
      run: [{ command: "python -c 'import torch'", timeoutSeconds: 30 }],
      env: ['HF_TOKEN'],
    });
  });

  it.each([
    [['--gpus', 'two'], '--gpus needs a whole number'],
    [['--gpus', '0'], '--gpus needs a whole number'],
    [['--disk', '/data'], '--disk needs DIR:GIB'],
    [['--file-match', 'x'], '--file-match needs LOCAL:REMOTE'],
    [['--hash', 'sha1'], '--hash is md5 or sha256'],
    [['--env', 'A-B'], '--env needs a variable name'],
    [['--run'], '--run needs a shell command'],
    [['--bogus'], 'check: unknown flag --bogus'],
    [['stray'], 'check: unexpected argument "stray"'],
  ])('%j is a usage error: %s', (argv, msg) => {
    const r = parseCheckFlags(argv, '/');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('usage');
      expect(r.error.message).toContain(msg);
    }
  });

  it('adds the lists of file and flags; scalars given as flags win', () => {
    const file = parseCheckFile('host: h\ngpus: {count: 2, freeGiB: 40}\nhash: md5\nenv: [A]\n', '/c.yaml');
    const flags = parseCheckFlags(['--gpu-free-gib', '10', '--env', 'B'], '/');
    if (!file.ok || !flags.ok) throw new Error('setup');
    const m = mergeSpecs(file.value, flags.value);
    expect(m.gpus).toEqual({ count: 2, freeGiB: 10 });
    expect(m.hash).toBe('md5');
    expect(m.env).toEqual(['A', 'B']);
    expect(m.host).toBe('h');
    expect(specIsEmpty(m)).toBe(false);
    const none = parseCheckFlags([], '/');
    expect(none.ok && specIsEmpty(none.value.spec)).toBe(true);
  });
});

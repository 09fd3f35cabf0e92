// push/pull argument handling and progress text (the engine itself is covered end to end).
import { describe, expect, it } from 'vitest';
import { fmtEta, parseRate, parseTransferArgs, progressLine, splitRemote } from '../../../src/commands/transfer-cli.js';
import { absRemote } from '../../../src/remote/transfer.js';

describe('push/pull arguments', () => {
  it('reads LOCAL HOST:REMOTE and HOST:REMOTE LOCAL with flags anywhere', () => {
    expect(parseTransferArgs('push', ['./ckpt', 'a800:/data/ckpt', '--force', '--hash=md5', '--limit', '10M'])).toEqual({
      ok: true,
      value: { local: './ckpt', host: 'a800', remote: '/data/ckpt', force: true, hash: 'md5', verify: true, json: false, limitBytesPerSec: 10 * 1024 ** 2, retries: 3 },
    });
    const pull = parseTransferArgs('pull', ['--no-verify', 'gpu:ckpt/step-1', '.', '--json']);
    expect(pull).toMatchObject({ ok: true, value: { local: '.', host: 'gpu', remote: 'ckpt/step-1', verify: false, json: true } });
    expect(parseTransferArgs('pull', ['gpu:', 'x'])).toMatchObject({ ok: true, value: { remote: '.' } });
  });
  it.each([
    [['a'], 'push needs two arguments'],
    [['a', 'b'], '"b" is not HOST:PATH'],
    [['a', 'h:b', '--hash', 'crc'], '--hash is md5 or sha256'],
    [['a', 'h:b', '--limit', 'fast'], '--limit needs bytes per second'],
    [['a', 'h:b', '--wat'], 'push: unknown flag --wat'],
    [['a', 'h:b', '--retries', '-1'], '--retries needs a whole number'],
    [['h2:a', 'h:b'], 'looks like HOST:PATH too'],
  ])('push %j is a usage error (%s)', (argv, msg) => {
    const r = parseTransferArgs('push', argv);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('usage');
      expect(r.error.message).toContain(msg);
    }
  });
  it('splits HOST:PATH at the first colon, not inside a local path', () => {
    expect(splitRemote('a800:/x:y')).toEqual({ host: 'a800', path: '/x:y' });
    expect(splitRemote('/abs/a:b')).toBeNull();
    expect(splitRemote('./a:b')).toBeNull();
    expect(splitRemote(':x')).toBeNull();
  });
  it.each([
    ['1048576', 1048576],
    ['10M', 10 * 1024 ** 2],
    ['500k', 500 * 1024],
    ['1.5GiB/s', 1.5 * 1024 ** 3],
  ])('parseRate(%j)', (t, n) => expect(parseRate(t)).toBe(n));
  it('rejects rates that are not', () => {
    for (const t of ['', '0', 'fast', '-5M']) expect(parseRate(t)).toBeNull();
  });
});

describe('remote paths', () => {
  it('makes paths absolute from the SFTP home', () => {
    expect(absRemote('~', '/home/u')).toBe('/home/u');
    expect(absRemote('~/ckpt/', '/home/u')).toBe('/home/u/ckpt');
    expect(absRemote('ckpt/../x', '/home/u')).toBe('/home/u/x');
    expect(absRemote('/data//a/', '/home/u')).toBe('/data/a');
    expect(absRemote('/', '/home/u')).toBe('/');
  });
});

describe('progress text', () => {
  const p = { file: 'a', filesDone: 1, filesTotal: 3, bytesDone: 50 * 1024 ** 2, bytesTotal: 100 * 1024 ** 2, rateBps: 10 * 1024 ** 2, etaSeconds: 5, phase: 'transfer' as const };
  it('a bar with bytes, rate and ETA on a terminal; plain words otherwise', () => {
    expect(progressLine(p, true, 80)).toHaveLength(79);
    expect(progressLine(p, true, 80)).toBe('[############-----------]  50% 50.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:05 1/3 files');
    expect(progressLine({ ...p, rateBps: null, etaSeconds: null, filesTotal: 1 }, false)).toBe('progress:  50% 50.0 MiB/100.0 MiB -- ETA --:--');
    expect(progressLine({ ...p, phase: 'verify' }, false)).toMatch(/^verifying: /);
  });
  it('ETA as m:ss or h:mm:ss', () => {
    expect(fmtEta(0)).toBe('0:00');
    expect(fmtEta(75)).toBe('1:15');
    expect(fmtEta(3 * 3600 + 62)).toBe('3:01:02');
    expect(fmtEta(null)).toBe('--:--');
  });
});

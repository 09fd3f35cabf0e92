// The pure parts of the interactive attach: detach key names, the banner, escape-boundary detection.
import { describe, expect, it } from 'vitest';
import { bannerText, endsInsideEscape, keyName, lastLine, parseDetachKey } from '../../../src/tty/attach.js';

describe('parseDetachKey', () => {
  it('reads the usual spellings', () => {
    expect(parseDetachKey(undefined)).toBe(0x1c);
    expect(parseDetachKey('ctrl-\\')).toBe(0x1c);
    expect(parseDetachKey('C-]')).toBe(0x1d);
    expect(parseDetachKey('^q')).toBe(0x11);
    expect(parseDetachKey('Ctrl+Q')).toBe(0x11);
    expect(parseDetachKey('\x1c')).toBe(0x1c);
    expect(parseDetachKey(0x1d)).toBe(0x1d);
  });
  it('refuses keys that are not control keys', () => {
    for (const k of ['q', 'ctrl-', 'ctrl-ab', 'alt-x', 0x41, '']) expect(parseDetachKey(k)).toBeNull();
  });
  it('names them back', () => {
    expect(keyName(0x1c)).toBe('Ctrl-\\');
    expect(keyName(0x11)).toBe('Ctrl-q');
  });
});

describe('bannerText', () => {
  it('says where we are and how to get back, fitted to the width', () => {
    const b = bannerText('gpu:train', 0x1c, false, 80);
    expect(b).toHaveLength(80);
    expect(b).toContain('attached to gpu:train');
    expect(b).toContain('Ctrl-\\ detach');
    expect(b).toContain('Ctrl-b d');
    expect(bannerText('gpu:train', 0x1c, false, 20)).toHaveLength(20);
  });
  it('says which prefix reaches which tmux when nested', () => {
    const b = bannerText('gpu:train', 0x1c, true, 200);
    expect(b).toContain("Ctrl-b: this terminal's tmux");
    expect(b).toContain('Ctrl-b Ctrl-b: the run’s tmux');
  });
});

describe('endsInsideEscape', () => {
  it('spots a chunk cut inside a sequence', () => {
    expect(endsInsideEscape('abc')).toBe(false);
    expect(endsInsideEscape('abc\x1b[2J')).toBe(false);
    expect(endsInsideEscape('abc\x1b[1;2')).toBe(true);
    expect(endsInsideEscape('abc\x1b')).toBe(true);
    expect(endsInsideEscape('\x1b]0;title\x07')).toBe(false);
    expect(endsInsideEscape('\x1b]0;tit')).toBe(true);
    expect(endsInsideEscape('\x1b7')).toBe(false);
    expect(endsInsideEscape('\x1b(B')).toBe(false);
  });
});

describe('lastLine', () => {
  it('is the last printed line without escapes', () => {
    expect(lastLine('\x1b[?1049l\x1b[0m[detached (from session x)]\r\n')).toBe('[detached (from session x)]');
    expect(lastLine('a\r\nConnection to 127.0.0.2 closed by remote host.\r\n')).toBe('Connection to 127.0.0.2 closed by remote host.');
    expect(lastLine('')).toBe('');
  });
});

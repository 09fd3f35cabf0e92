import { describe, expect, it } from 'vitest';
import { newPaneLines, settledLines } from '../../../src/sources/pane-follow.js';

describe('pane following', () => {
  it('holds back the last line and drops blank screen rows', () => {
    expect(settledLines('a\nb\nbar 50%\n\n\n')).toEqual(['a', 'b']);
    expect(settledLines('\n\n')).toEqual([]);
    expect(settledLines('only')).toEqual([]);
  });

  it('finds what is new after the lines already printed', () => {
    expect(newPaneLines([], ['a', 'b'])).toEqual({ lines: ['a', 'b'], lost: false });
    expect(newPaneLines(['a', 'b'], ['a', 'b', 'c', 'd'])).toEqual({ lines: ['c', 'd'], lost: false });
    // history scrolled: the anchor is further up
    expect(newPaneLines(['1', '2', '3', '4', '5', '6'], ['3', '4', '5', '6', '7'])).toEqual({ lines: ['7'], lost: false });
    expect(newPaneLines(['x', 'y'], ['x', 'y'])).toEqual({ lines: [], lost: false });
    // the anchor is gone: all of it is new, and the caller says so
    expect(newPaneLines(['old'], ['n1', 'n2'])).toEqual({ lines: ['n1', 'n2'], lost: true });
  });

  it('uses the latest match of the anchor', () => {
    expect(newPaneLines(['a', 'b'], ['a', 'b', 'x', 'a', 'b', 'y'])).toEqual({ lines: ['y'], lost: false });
  });
});

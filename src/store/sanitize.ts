// Makes one log line safe for a terminal frame: \r rewrites collapsed to the final state, tabs
// expanded, SGR colours kept, every other escape or control character dropped, length capped.
// Raw \r and \t reaching Ink corrupt the frame (tech.md 1.1). The fast path (plain printable text)
// is what 99% of training logs are, and it costs one regex test; anything else goes through the
// terminal rules of src/parse/terminal.ts (one implementation for `logs`, `ls` and the monitor).
import { sanitizeLine } from '../parse/terminal.js';

// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[\x00-\x1f\x7f-\x9f]/;
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]?/g;
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;:]*m/g;

/** Keeps what a terminal would show after the \r rewrites: the last non-empty \r segment. */
export function collapseCarriage(text: string): string {
  if (text.indexOf('\r') < 0) return text;
  const segs = text.split('\r');
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i] as string;
    if (s !== '') return s;
  }
  return '';
}

export function stripAnsi(text: string): string {
  return text.indexOf('\x1b') < 0 ? text : text.replace(ESCAPES, '');
}

/** One display line; keeps SGR colour sequences (they are stripped at render time under NO_COLOR). */
export function sanitizeLogLine(line: string, maxLen: number): string {
  if (!NEEDS_WORK.test(line)) return line.length > maxLen ? line.slice(0, maxLen) : line;
  return sanitizeLine(line, { keepColor: true, maxLen });
}

export function expandTabs(s: string, stop = 8): string {
  let out = '';
  let col = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\t') {
      const n = stop - (col % stop);
      out += ' '.repeat(n);
      col += n;
    } else if (c === '\x1b') {
      SGR.lastIndex = i;
      const m = SGR.exec(s);
      if (m !== null && m.index === i) {
        out += m[0];
        i += m[0].length - 1;
      } else out += c;
    } else {
      out += c;
      col++;
    }
  }
  return out;
}

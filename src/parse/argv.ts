// One command line -> argv, split the way a POSIX shell splits words, without running anything:
// 'single' and "double" quotes and backslashes are honoured, nothing is expanded. What a shell would
// have expanded or interpreted ($VAR, $(..), `..`, ~, |, &&, ;, <, >, #) is refused with a sentence
// rather than passed on as a literal the user did not mean; `bash -lc '...'` is the way to ask for a
// shell. Leading NAME=VALUE words set the environment as they do in sh: they become `env NAME=VALUE`.
// Pure; never throws.

export type ArgvResult = { ok: true; value: string[] } | { ok: false; error: string };

const SHELL_HINT = "; quote it, or run the line through a shell: bash -lc '...'";
const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')']);
/** Characters after `$` that start an expansion in sh (a lone `$` is literal). */
const EXPANDS = /[A-Za-z0-9_{(@*#?$!-]/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

interface Word {
  text: string;
  /** Length of the unquoted, unescaped prefix: an assignment needs `NAME=` inside it. */
  plain: number;
}

/** Splits LINE into words; see the file comment for what is refused. */
export function splitWords(line: string): { ok: true; value: Word[] } | { ok: false; error: string } {
  const words: Word[] = [];
  const chars = Array.from(line);
  let cur: Word | null = null;
  let plainOpen = true;
  const start = (): Word => {
    if (cur === null) {
      cur = { text: '', plain: 0 };
      plainOpen = true;
    }
    return cur;
  };
  const add = (ch: string, plain: boolean): void => {
    const w = start();
    w.text += ch;
    if (plain && plainOpen) w.plain = w.text.length;
    else plainOpen = false;
  };
  const dollar = (i: number): string | null => {
    const next = chars[i + 1];
    return next !== undefined && EXPANDS.test(next) ? `"$${next}" would be expanded by a shell, not here${SHELL_HINT}` : null;
  };
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (cur !== null) words.push(cur);
      cur = null;
      continue;
    }
    if (c === '\\') {
      const next = chars[i + 1];
      if (next === undefined) return { ok: false, error: 'the command ends with a backslash' };
      add(next, false);
      i++;
      continue;
    }
    if (c === "'") {
      const end = chars.indexOf("'", i + 1);
      if (end < 0) return { ok: false, error: "the command has an unterminated ' quote" };
      start();
      for (let k = i + 1; k < end; k++) add(chars[k] as string, false);
      plainOpen = false;
      i = end;
      continue;
    }
    if (c === '"') {
      start();
      plainOpen = false;
      let k = i + 1;
      for (; k < chars.length; k++) {
        const d = chars[k] as string;
        if (d === '"') break;
        if (d === '\\' && k + 1 < chars.length && '$`"\\'.includes(chars[k + 1] as string)) {
          add(chars[++k] as string, false);
          continue;
        }
        if (d === '`') return { ok: false, error: `a backquote would run a command in a shell, not here${SHELL_HINT}` };
        if (d === '$') {
          const e = dollar(k);
          if (e !== null) return { ok: false, error: e };
        }
        add(d, false);
      }
      if (k >= chars.length) return { ok: false, error: 'the command has an unterminated " quote' };
      i = k;
      continue;
    }
    if (OPERATORS.has(c)) return { ok: false, error: `"${c}" is shell syntax, and the command does not run through a shell${SHELL_HINT}` };
    if (c === '`') return { ok: false, error: `a backquote would run a command in a shell, not here${SHELL_HINT}` };
    if (c === '$') {
      const e = dollar(i);
      if (e !== null) return { ok: false, error: e };
    }
    if (cur === null && c === '~') return { ok: false, error: `"~" is expanded by a shell, not here: write the path out${SHELL_HINT.slice(1)}` };
    if (cur === null && c === '#') return { ok: false, error: `"#" starts a comment in a shell${SHELL_HINT}` };
    add(c, true);
  }
  if (cur !== null) words.push(cur);
  return { ok: true, value: words };
}

/**
 * The argv to run for a command line: its words, with leading NAME=VALUE words handed to `env`
 * (so `CUDA_VISIBLE_DEVICES=0 python train.py` does what it does in a shell).
 */
export function splitCommandLine(line: string): ArgvResult {
  const r = splitWords(line);
  if (!r.ok) return r;
  const words = r.value;
  if (words.length === 0) return { ok: false, error: 'the command is empty' };
  let n = 0;
  while (n < words.length && isAssignment(words[n] as Word)) n++;
  const argv = words.map((w) => w.text);
  if (n === 0) return { ok: true, value: argv };
  if (n === words.length) return { ok: false, error: 'the command only sets variables; add the program to run after them' };
  return { ok: true, value: ['env', ...argv] };
}

function isAssignment(w: Word): boolean {
  const m = ASSIGNMENT.exec(w.text);
  return m !== null && m[0].length <= w.plain;
}

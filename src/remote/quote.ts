// The one quoting function for everything that reaches a remote shell.
// POSIX single quotes: nothing inside is special except the quote itself, which is closed,
// escaped and reopened. Session names, paths and commands can never run as code.

/** Quote one word for a POSIX shell (sh, bash, dash, zsh). */
export function shq(word: string): string {
  if (word === '') return "''";
  // NUL cannot be carried by a shell word at all; drop it rather than let the shell truncate silently
  const clean = word.includes('\0') ? word.replaceAll('\0', '') : word;
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(clean) && !clean.startsWith('-')) return clean;
  return `'${clean.replaceAll("'", `'\\''`)}'`;
}

/** Quote every word and join with spaces: an argv made safe for `sh -c`. */
export function shjoin(words: readonly string[]): string {
  return words.map(shq).join(' ');
}

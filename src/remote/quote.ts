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

/**
 * A remote path as one shell word that no tool can read as an option or an expression: `~` and `~/x`
 * are the remote home, an absolute path is quoted as it is, and any other path is relative to the
 * login directory and gets `./` in front (`find` reads a first argument starting with `-`, `(` or `!`
 * as its expression: a directory named `-delete` must stay a directory).
 */
export function remoteOperand(path: string): string {
  if (path === '~') return '"$HOME"';
  if (path.startsWith('~/')) return `"$HOME"/${shq(path.slice(2))}`;
  if (path.startsWith('/')) return shq(path);
  return shq(`./${path}`);
}

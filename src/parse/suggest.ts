// "did you mean …?": the closest names to a misspelled one, by edit distance (fastest-levenshtein:
// the well-kept implementation, rather than one more of our own). Pure.
import { distance } from 'fastest-levenshtein';

/**
 * Up to `max` candidates close enough to `word` to be what was meant, closest first: a small edit
 * distance for the word's length, or the word as a prefix.
 */
export function closestNames(word: string, candidates: Iterable<string>, max = 3): string[] {
  // a swap of two letters costs 2: 1- and 2-letter words only prefixes, 3 letters 1, up to 7 letters 2, then 3
  const limit = word.length <= 2 ? 0 : word.length <= 3 ? 1 : word.length <= 7 ? 2 : 3;
  const scored: { c: string; d: number }[] = [];
  for (const c of new Set(candidates)) {
    if (c === word) continue;
    const d = c.startsWith(word) || word.startsWith(c) ? 0.5 : distance(word.toLowerCase(), c.toLowerCase());
    if (d <= limit) scored.push({ c, d });
  }
  scored.sort((a, b) => a.d - b.d || a.c.localeCompare(b.c));
  return scored.slice(0, max).map((x) => x.c);
}

/** ` (did you mean a or b?)`, or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const near = closestNames(word, candidates);
  if (near.length === 0) return '';
  return ` (did you mean ${near.length === 1 ? near[0] : `${near.slice(0, -1).join(', ')} or ${near[near.length - 1]}`}?)`;
}

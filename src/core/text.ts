/** Small text helpers shared by lexical search, the extractive generator and evaluation. */

const STOP_WORDS = new Set(
  'a an and are as at be been but by did do does for from had has have he her his how i if in into is it its me my no not of on or our she so than that the their them then there these they this to was we were what when where which who whom whose why will with would you your'.split(' '),
);

/** Lower-cased word tokens (letters and digits, any script). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The distinct content words of a query: words minus stop words (all words if that leaves none). */
export function queryTerms(text: string): string[] {
  const all = words(text);
  const content = all.filter((w) => !STOP_WORDS.has(w));
  return [...new Set(content.length > 0 ? content : all)];
}

export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

/** A light stemmer for matching word forms: plural and possessive endings removed. */
export function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return word.slice(0, -3) + 'y';
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

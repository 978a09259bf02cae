/**
 * Well-formed UTF-16. JavaScript strings may hold lone surrogates (a JSON "\uD800" escape is
 * one); UTF-8 cannot, so storage replaces each (better-sqlite3 with three U+FFFD, changing the
 * length). Text is therefore made well-formed once, where it comes in, before any offset into it
 * is computed: each lone surrogate becomes one U+FFFD, so lengths and offsets stay as they were.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `text` with every lone surrogate replaced by U+FFFD (same length; `String.prototype.toWellFormed`). */
export function wellFormed(text: string): string {
  return HAS_LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/** Index of the first lone surrogate in `text`, or -1. */
export function loneSurrogateAt(text: string): number {
  return text.search(HAS_LONE_SURROGATE);
}

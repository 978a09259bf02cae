/**
 * Word-information evidence for the offline critic: how much of a question a passage or
 * segment covers, weighted by how much each word tells, and how the retrieved passages of one
 * question name and link to each other (HotpotQA's bridge hops).
 */
import { isStopWord, stem, words } from '../../core/text.js';
import type { Passage } from '../../llm/generator.js';
import type { WordInformation } from './word-information.js';

/** Lower-cased words joined by single spaces, padded, for whole-phrase matching. */
function phrase(text: string): string {
  return ` ${words(text).join(' ')} `;
}

/** A question's content terms (stems), each weighted by how much its word tells. */
export interface WeightedTerms {
  weights: Map<string, number>;
  total: number;
  /** The three most informative terms. */
  rarest: string[];
}

export function weightedTerms(question: string, information: WordInformation): WeightedTerms {
  const weights = new Map<string, number>();
  for (const w of words(question)) {
    if (w.length < 2 || isStopWord(w)) continue;
    const t = stem(w);
    weights.set(t, Math.max(weights.get(t) ?? 0, information.of(w)));
  }
  const total = [...weights.values()].reduce((a, v) => a + v, 0);
  const rarest = [...weights.keys()].sort((a, b) => weights.get(b)! - weights.get(a)!).slice(0, 3);
  return { weights, total, rarest };
}

/** The information-weighted share of the question's terms that the text contains. */
export function infoCover(terms: WeightedTerms, text: string): number {
  if (terms.total === 0) return 0;
  const inText = new Set(words(text).map(stem));
  let covered = 0;
  for (const [t, w] of terms.weights) if (inText.has(t)) covered += w;
  return covered / terms.total;
}

/** The share of the question's three most informative terms that the text contains. */
export function rareCover(terms: WeightedTerms, text: string): number {
  if (terms.rarest.length === 0) return 0;
  const inText = new Set(words(text).map(stem));
  return terms.rarest.filter((t) => inText.has(t)).length / terms.rarest.length;
}

const bareTitle = (title: string | null | undefined) => (title ?? '').replace(/\s*\(.*\)\s*$/, '');

/** Whether the text names the title (without its parenthesis) as a whole phrase. */
export function mentionsTitle(text: string, title: string | null | undefined): boolean {
  const bare = bareTitle(title);
  return bare.trim() !== '' && phrase(text).includes(phrase(bare));
}

/** The information-weighted share of a title's words (without its parenthesis) that the question names. */
function titleInfoIn(title: string | null | undefined, question: string, information: WordInformation): number {
  const titleWords = words(bareTitle(title)).filter((w) => !isStopWord(w));
  if (titleWords.length === 0) return 0;
  const inQuestion = new Set(words(question).map(stem));
  const all = titleWords.reduce((a, w) => a + information.of(w), 0);
  const named = titleWords.filter((w) => inQuestion.has(stem(w))).reduce((a, w) => a + information.of(w), 0);
  return all > 0 ? named / all : 0;
}

/** What each retrieved passage of one question shows about answering it, alone and with the others. */
export function passageEvidence(question: string, passages: Passage[], terms: WeightedTerms, information: WordInformation) {
  const titleShare = passages.map((p) => titleInfoIn(p.title, question, information));
  const named = passages.filter((_, i) => titleShare[i]! >= NAMED_TITLE);
  const cover = passages.map((p) => infoCover(terms, p.chunk.text));
  return {
    bestTitle: Math.max(0, ...titleShare),
    bestCover: Math.max(0, ...cover),
    of: new Map(
      passages.map((p, i) => [
        p.ref,
        {
          cover: cover[i]!,
          titleShare: titleShare[i]!,
          pairCover: Math.max(cover[i]!, ...passages.filter((o) => o !== p).map((o) => infoCover(terms, `${p.chunk.text} ${o.chunk.text}`))),
          linkedFromNamed: named.some((o) => o !== p && mentionsTitle(o.chunk.text, p.title)) ? 1 : 0,
          mentionsNamed: named.some((o) => o !== p && mentionsTitle(p.chunk.text, o.title)) ? 1 : 0,
        },
      ]),
    ),
  };
}

/** A title counts as named by the question when nearly all of its information is there. */
const NAMED_TITLE = 0.99;

/** The information-weighted share of the segment's content words that the question does not have. */
export function novelInfo(segment: string, question: string, information: WordInformation): number {
  const inQuestion = new Set(words(question).map(stem));
  const content = words(segment).filter((w) => w.length > 1 && !isStopWord(w));
  const all = content.reduce((a, w) => a + information.of(w), 0);
  const novel = content.filter((w) => !inQuestion.has(stem(w))).reduce((a, w) => a + information.of(w), 0);
  return all > 0 ? novel / all : 0;
}

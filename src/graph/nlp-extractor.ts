import nlp from 'compromise';
import { sentenceSpans } from '../ingestion/chunker.js';
import { isStopWord } from '../core/text.js';
import type { CpuRunner } from '../cpu/cpu-runner.js';
import type { ChunkExtraction, EntityExtractor, ExtractedEntity, ExtractedRelation, ExtractorInput } from './extraction.js';

/** Runs of capitalised words ("Bob Cratchit", "Warner Bros"), joined by "of"/"the" inside a name. */
const CAPITALISED_RUN = /\p{Lu}[\p{L}'’.-]*(?:\s+(?:(?:of|the|de|von|van)\s+)?\p{Lu}[\p{L}'’.-]*)*/gu;
const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'sir', 'lady', 'lord', 'st', 'saint', 'mr.', 'mrs.', 'ms.', 'dr.', 'st.']);
const SENTENCE_WORDS_NEVER_NAMES = new Set("a an the this that these those it he she they we you i there here when where what who which why how but and or so if then yes no not all some every each one two three once upon after before well oh ah let now come look good dear ha hallo hello thank thanks please nay aye why i'll i'm i've it's don't can't won't you're that's there's let's".split(' '));

function clean(name: string): string {
  return name.replace(/\s+/gu, ' ').replace(/[.,;:!?"“”'’]+$/u, '').replace(/['’]s$/u, '').trim();
}

/**
 * The offline extractor. Entities are named entities and proper-noun phrases found by
 * compromise (typed PERSON, PLACE or ORGANIZATION where it knows, else NAME), plus runs of
 * capitalised words it missed — a sentence's first word counts only when the same word is
 * capitalised elsewhere in the chunk. Relations are co-occurrence within a sentence; a pair's
 * strength is the share of the chunk's sentences in which both appear. The work runs on the
 * CPU runner (a worker thread), so that a build does not hold up the event loop.
 */
export class NlpExtractor implements EntityExtractor {
  readonly id = 'nlp-cooccurrence';

  constructor(private readonly cpu: CpuRunner) {}

  async extract(chunks: ExtractorInput[], signal?: AbortSignal): Promise<ChunkExtraction[]> {
    return this.cpu.run('extract-entities', { texts: chunks.map((c) => c.text) }, signal);
  }
}

/** One chunk's entities and relations, by the rules NlpExtractor describes. */
export function extractOffline(text: string): ChunkExtraction {
  const sentences = sentenceSpans(text).map((s) => text.slice(s.start, s.end));
  const types = new Map<string, string>();
  const doc = nlp(text);
  for (const [type, found] of [
    ['PERSON', doc.people()],
    ['PLACE', doc.places()],
    ['ORGANIZATION', doc.organizations()],
  ] as const) {
    for (const name of found.out('array') as string[]) types.set(clean(name).toLowerCase(), type);
  }
  const proper = new Set((doc.match('#ProperNoun+').out('array') as string[]).map((n) => clean(n).toLowerCase()));
  const capitalisedInside = new Set<string>();
  for (const s of sentences) for (const m of s.slice(1).matchAll(CAPITALISED_RUN)) for (const w of clean(m[0]).split(/\s+/)) capitalisedInside.add(w.toLowerCase());

  const mentions = new Map<string, { name: string; type: string; sentences: Set<number>; context: string }>();
  sentences.forEach((sentence, index) => {
    for (const m of sentence.matchAll(CAPITALISED_RUN)) {
      let name = clean(m[0]);
      const first = name.split(/\s+/)[0]!.toLowerCase();
      if (m.index === 0 || /[.!?:"“'‘(\[—-]\s*$/u.test(sentence.slice(0, m.index))) {
        // A sentence's first word is capitalised anyway: keep it only if it is a name elsewhere too.
        if (HONORIFICS.has(first)) {
          // "Mr. Scrooge" at the start of a sentence is a name.
        } else if (SENTENCE_WORDS_NEVER_NAMES.has(first) || (!capitalisedInside.has(first) && !proper.has(name.toLowerCase()) && !types.has(name.toLowerCase()))) {
          const rest = name.split(/\s+/).slice(1).join(' ');
          if (!rest) continue;
          name = rest;
        }
      }
      const words = name.split(/\s+/);
      if (words.every((w) => isStopWord(w.toLowerCase()) || SENTENCE_WORDS_NEVER_NAMES.has(w.toLowerCase()) || w.length < 2)) continue;
      const key = name.toLowerCase();
      const type = types.get(key) ?? types.get(words.at(-1)!.toLowerCase()) ?? 'NAME';
      const entry = mentions.get(key) ?? { name, type, sentences: new Set<number>(), context: sentence.trim() };
      entry.sentences.add(index);
      mentions.set(key, entry);
    }
  });
  const entities: ExtractedEntity[] = [...mentions.values()].map((m) => ({ name: m.name, type: m.type, description: m.context }));
  const relations: ExtractedRelation[] = [];
  const list = [...mentions.values()];
  for (let a = 0; a < list.length; a++) {
    for (let b = a + 1; b < list.length; b++) {
      const shared = [...list[a]!.sentences].filter((s) => list[b]!.sentences.has(s));
      if (shared.length === 0) continue;
      relations.push({
        source: list[a]!.name,
        target: list[b]!.name,
        description: sentences[shared[0]!]!.trim(),
        strength: shared.length / Math.max(1, sentences.length),
      });
    }
  }
  return { entities, relations };
}

/**
 * The features the offline critic's heads read. The training script and the service compute
 * them with this same code, so that the heads see at run time what they saw in training.
 */
import type { LruCache } from '../../core/lru.js';
import type { Embedder } from '../../embedding/embedder.js';
import { isStopWord, stem, words } from '../../core/text.js';
import { idfOverlap } from '../../llm/extractive-generator.js';
import { innerProduct } from '../../store/exact-vector-index.js';
import type { CritiqueInput } from './critic.js';
import { infoCover, mentionsTitle, novelInfo, passageEvidence, rareCover, weightedTerms } from './passage-evidence.js';
import type { WeightedTerms } from './passage-evidence.js';
import type { WordInformation } from './word-information.js';

export const JUDGE_FEATURES = [
  'cosQuestionPassage',
  'cosQuestionSegment',
  'cosPassageSegment',
  'cosQuestionPassageBelowBest',
  'coverQuestionPassage',
  'coverQuestionSegment',
  'idfOverlapPassage',
  'idfOverlapSegment',
  'titleInQuestion',
  'titlePhraseInQuestion',
  'questionNamesInPassage',
  'questionNamesInSegment',
  'reciprocalRank',
  'retrievalScoreShare',
  'segmentNewNames',
  'segmentHasYear',
  'segmentHasNumber',
  'askWho',
  'askWhen',
  'askWhere',
  'askHowMany',
  'askYesNo',
  'whenAndYear',
  'howManyAndNumber',
  'whoAndNewName',
  'segmentLogWords',
  'infoCoverPassage',
  'infoCoverSegment',
  'rareTermsInPassage',
  'rareTermsInSegment',
  'titleInfoInQuestion',
  'bestTitleInfoInQuestion',
  'bestInfoCoverPassage',
  'pairInfoCover',
  'linkedFromNamedPassage',
  'mentionsNamedTitle',
  'segmentNovelInfo',
  'hasPrevious',
  'titleInPrevious',
  'addedInfoCover',
] as const;

export const RETRIEVE_FEATURES = [
  'logWords',
  'questionMark',
  'startsWithWh',
  'startsWithAuxiliary',
  'namesInside',
  'startsWithInstruction',
  'arithmetic',
  'quoted',
  'contentTerms',
  'greeting',
  'previousSegments',
] as const;

const contentStems = (text: string) => new Set(words(text).filter((w) => w.length > 1 && !isStopWord(w)).map(stem));

function cover(question: Set<string>, text: string): number {
  if (question.size === 0) return 0;
  const inText = new Set(words(text).map(stem));
  let n = 0;
  for (const t of question) if (inText.has(t)) n++;
  return n / question.size;
}

/** Capitalised words after a sentence's first word: a rough sign of names. */
function names(text: string): string[] {
  return (text.match(/(?<=[\p{L}\p{N},;:)]\s+)\p{Lu}[\p{L}\p{N}'-]*/gu) ?? []).map((w) => w.toLowerCase());
}

function askFlags(question: string) {
  const q = question.trim().toLowerCase();
  return {
    who: /\b(who|whom|whose)\b/.test(q) ? 1 : 0,
    when: /\b(when|what year|which year|what date)\b/.test(q) ? 1 : 0,
    where: /\bwhere\b|\bwhich (city|country|state|town)\b|\bwhat (city|country|state|town)\b/.test(q) ? 1 : 0,
    howMany: /\bhow (many|much|long|old|tall|far)\b/.test(q) ? 1 : 0,
    yesNo: /^(is|are|was|were|do|does|did|can|could|has|have|had|will|would|should)\b/.test(q) ? 1 : 0,
  };
}

const YEAR = /\b(1[0-9]{3}|20[0-9]{2})\b/;
const NUMBER = /\d/;

/** What feature computation needs: the embedder, word information, and optionally a cache of recent vectors. */
export interface FeatureTools {
  embedder: Embedder;
  information: WordInformation;
  vectors?: LruCache<string, Float32Array>;
}

/**
 * One row of JUDGE_FEATURES per input. Texts are embedded in one call; IDF overlaps are
 * taken over the inputs' passages and segments, which for the service are one question's
 * candidates (and in training, likewise one question's).
 */
export async function judgeFeatures(tools: FeatureTools, inputs: CritiqueInput[], signal?: AbortSignal): Promise<Float32Array[]> {
  const { information } = tools;
  const texts = [...new Set(inputs.flatMap((i) => [i.question, i.passage.chunk.text, i.segment]))];
  const vector = new Map(texts.flatMap((t) => (tools.vectors?.get(t) ? [[t, tools.vectors.get(t)!] as const] : [])));
  const missing = texts.filter((t) => !vector.has(t));
  if (missing.length) {
    const { vectors } = await tools.embedder.embed(missing, { signal, priority: 'interactive' });
    missing.forEach((t, i) => {
      vector.set(t, vectors[i]!);
      tools.vectors?.set(t, vectors[i]!);
    });
  }
  const cos = (a: string, b: string) => innerProduct(vector.get(a)!, vector.get(b)!);
  const byQuestion = new Map<string, CritiqueInput[]>();
  for (const input of inputs) byQuestion.set(input.question, [...(byQuestion.get(input.question) ?? []), input]);
  const idfPassage = new Map<CritiqueInput, number>();
  const idfSegment = new Map<CritiqueInput, number>();
  const bestCos = new Map<string, number>();
  const bestScore = new Map<string, number>();
  const evidence = new Map<string, ReturnType<typeof passageEvidence>>();
  const termsOf = new Map<string, WeightedTerms>();
  for (const [question, group] of byQuestion) {
    const terms = weightedTerms(question, information);
    termsOf.set(question, terms);
    evidence.set(question, passageEvidence(question, [...new Map(group.map((i) => [i.passage.ref, i.passage])).values()], terms, information));
    const p = idfOverlap(question, group.map((i) => i.passage.chunk.text));
    const s = idfOverlap(question, group.map((i) => i.segment));
    group.forEach((input, k) => {
      idfPassage.set(input, p[k]!);
      idfSegment.set(input, s[k]!);
    });
    bestCos.set(question, Math.max(...group.map((i) => cos(question, i.passage.chunk.text))));
    bestScore.set(question, Math.max(...group.map((i) => i.passage.score)));
  }
  return inputs.map((input) => {
    const { question, passage, segment, previous } = input;
    const before = previous.join(' ');
    const terms = contentStems(question);
    const ask = askFlags(question);
    const questionWords = new Set(words(question));
    const newNames = names(segment).filter((n) => !questionWords.has(n)).length > 0 ? 1 : 0;
    const hasYear = YEAR.test(segment) ? 1 : 0;
    const hasNumber = NUMBER.test(segment) ? 1 : 0;
    const title = passage.title ? contentStems(passage.title) : new Set<string>();
    const titleInQuestion = title.size ? cover(title, question) : 0;
    const questionNames = new Set(names(question).map(stem));
    const top = bestScore.get(question)!;
    const cosQP = cos(question, passage.chunk.text);
    const weighted = termsOf.get(question)!;
    const seen = evidence.get(question)!;
    const own = seen.of.get(passage.ref)!;
    const row: Record<(typeof JUDGE_FEATURES)[number], number> = {
      cosQuestionPassage: cosQP,
      cosQuestionSegment: cos(question, segment),
      cosPassageSegment: cos(passage.chunk.text, segment),
      cosQuestionPassageBelowBest: bestCos.get(question)! - cosQP,
      coverQuestionPassage: cover(terms, passage.chunk.text),
      coverQuestionSegment: cover(terms, segment),
      idfOverlapPassage: idfPassage.get(input)!,
      idfOverlapSegment: idfSegment.get(input)!,
      titleInQuestion,
      titlePhraseInQuestion: mentionsTitle(question, passage.title) ? 1 : 0,
      questionNamesInPassage: questionNames.size ? cover(questionNames, passage.chunk.text) : 0,
      questionNamesInSegment: questionNames.size ? cover(questionNames, segment) : 0,
      reciprocalRank: 1 / Math.max(1, passage.ref),
      retrievalScoreShare: top > 0 ? passage.score / top : 0,
      segmentNewNames: newNames,
      segmentHasYear: hasYear,
      segmentHasNumber: hasNumber,
      askWho: ask.who,
      askWhen: ask.when,
      askWhere: ask.where,
      askHowMany: ask.howMany,
      askYesNo: ask.yesNo,
      whenAndYear: ask.when * hasYear,
      howManyAndNumber: ask.howMany * hasNumber,
      whoAndNewName: ask.who * newNames,
      segmentLogWords: Math.log1p(words(segment).length),
      infoCoverPassage: own.cover,
      infoCoverSegment: infoCover(weighted, segment),
      rareTermsInPassage: rareCover(weighted, passage.chunk.text),
      rareTermsInSegment: rareCover(weighted, segment),
      titleInfoInQuestion: own.titleShare,
      bestTitleInfoInQuestion: seen.bestTitle,
      bestInfoCoverPassage: seen.bestCover,
      pairInfoCover: own.pairCover,
      linkedFromNamedPassage: own.linkedFromNamed,
      mentionsNamedTitle: own.mentionsNamed,
      segmentNovelInfo: novelInfo(segment, question, information),
      hasPrevious: previous.length > 0 ? 1 : 0,
      titleInPrevious: mentionsTitle(before, passage.title) ? 1 : 0,
      addedInfoCover: infoCover(weighted, `${before} ${segment}`) - infoCover(weighted, before),
    };
    return Float32Array.from(JUDGE_FEATURES, (f) => row[f]);
  });
}

const INSTRUCTION = /^(please\s+)?(write|translate|summari[sz]e|rewrite|rephrase|paraphrase|compute|calculate|convert|tell me a|give me a|make|create|compose|draft|sort|list \d|generate|fix|correct|format|say)\b/i;
const GREETING = /^(hi|hello|hey|thanks|thank you|good (morning|evening|night)|bye|goodbye|how are you)\b/i;

/** One row of RETRIEVE_FEATURES: cues in the question itself, and how much is answered so far. */
export function retrieveFeatures(question: string, previous: string[]): Float32Array {
  const q = question.trim();
  const all = words(q);
  const row: Record<(typeof RETRIEVE_FEATURES)[number], number> = {
    logWords: Math.log1p(all.length),
    questionMark: q.endsWith('?') ? 1 : 0,
    startsWithWh: /^(who|whom|whose|what|when|where|which|why|how)\b/i.test(q) ? 1 : 0,
    startsWithAuxiliary: askFlags(q).yesNo,
    namesInside: names(q).length > 0 ? 1 : 0,
    startsWithInstruction: INSTRUCTION.test(q) ? 1 : 0,
    arithmetic: /\d\s*([-+*/×÷^x]|times|plus|minus|divided by)\s*\d/i.test(q) ? 1 : 0,
    quoted: /["“'‘].{3,}["”'’]/.test(q) ? 1 : 0,
    contentTerms: Math.log1p(contentStems(q).size),
    greeting: GREETING.test(q) ? 1 : 0,
    previousSegments: Math.log1p(previous.length),
  };
  return Float32Array.from(RETRIEVE_FEATURES, (f) => row[f]);
}

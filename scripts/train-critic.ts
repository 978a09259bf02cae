/**
 * Trains the offline Self-RAG critic: one MLP head per reflection-token group, exported to
 * ONNX under models/critic-heads/ (with manifest.json), plus held-out accuracy, expected
 * calibration error and reliability plots in bench/results/critic-heads.{json,svg}.
 *   npm run train:critic
 *
 * Data. IsREL / IsSUP / IsUSE: HotpotQA-100 (eval/data/hotpotqa-100). Questions 1–50 (file
 * order) train, questions 51–100 are held out; the eval's self-rag numbers use 51–100 only
 * (`--skip 50`). Each question is asked twice, as the eval's `--holdout-gold` asks it: once
 * of the whole corpus, and once of the corpus without any question's gold passages (so that
 * nothing retrieved answers it). Each time its top-5 hybrid hits are the passages and each of
 * their sentences a candidate segment, judged as a first segment and again as the next segment
 * after the sentence that overlaps the question most. Labels come from HotpotQA's supporting
 * facts and answers:
 *   IsREL  [Relevant] when the passage is gold and holds a supporting sentence, else [Irrelevant];
 *   IsSUP  [Fully supported] for a sentence that contains the answer (for yes/no questions: a
 *          supporting sentence), [Partially supported] for another supporting sentence or
 *          another sentence of a relevant passage, else [No support / Contradictory];
 *   IsUSE  5 a supporting sentence with the answer, 4 the answer or a supporting sentence,
 *          3 another sentence of a relevant passage, 2 one with half the question's terms, else 1.
 * Also writes, under models/critic-heads/folds/ (not committed), the heads trained without each
 * fold's questions, with the chosen weight decay, for choosing the likelihood weight and abstention floors out of fold.
 * Retrieve: eval/data/retrieve-decision/prompts.jsonl (even lines train, odd lines test) and
 * the HotpotQA questions of each split as [Retrieval].
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { isStopWord, stem, words } from '../src/core/text.js';
import { sentenceSpans } from '../src/ingestion/chunker.js';
import { idfOverlap } from '../src/llm/extractive-generator.js';
import type { Passage } from '../src/llm/generator.js';
import { mlpForward, mlpToOnnx } from '../src/models/mlp-head.js';
import type { MlpWeights } from '../src/models/mlp-head.js';
import type { CritiqueInput } from '../src/rag/self-rag/critic.js';
import { JUDGE_FEATURES, judgeFeatures, RETRIEVE_FEATURES, retrieveFeatures } from '../src/rag/self-rag/critic-features.js';
import { HEAD_TOKENS } from '../src/rag/self-rag/offline-critic.js';
import { WordInformation } from '../src/rag/self-rag/word-information.js';
import type { Workspace } from '../src/store/workspace.js';
import type { CriticManifest, HeadName } from '../src/rag/self-rag/offline-critic.js';
import { barChart } from '../src/eval/charts.js';
import { machine, table, writeResult } from './lib/bench.js';
import { HOTPOTQA_100, jsonl, readQuestions } from './lib/datasets.js';
import { indexWholeAndWithoutGold } from './lib/holdout-indexes.js';
import type { Question } from './lib/datasets.js';
import { calibration, trainMlp } from './lib/train-mlp.js';

const OUT = 'models/critic-heads';
const TRAIN_QUESTIONS = 50;
const K = 5;
const TRAINING = { hidden: 4, epochs: 400, learningRate: 0.02, seed: 7 };
/** Weight decay is chosen per head by 5-fold cross-validated log-loss (folds by question), then the head is retrained on all 50. */
const WEIGHT_DECAYS = [1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1];
const FOLDS = 5;
/** The heads again, once per fold, trained without that fold's questions: scripts/choose-floors.ts asks those questions of them. */
const FOLDS_OUT = join(OUT, 'folds');

const questions = readQuestions(HOTPOTQA_100);
const split = { train: questions.slice(0, TRAIN_QUESTIONS), test: questions.slice(TRAIN_QUESTIONS) };

const app = await buildApp(loadConfig({ ...process.env, DATA_DIR: mkdtempSync(join(tmpdir(), 'train-critic-')), SAMPLE_INGEST: 'false', LOG_LEVEL: 'warn' }));
await app.ready();
const { embedder, retriever } = app.services;
const information = await WordInformation.load();
const indexes = await indexWholeAndWithoutGold(app);

const normalise = (text: string) => words(text).join(' ');
const contentTerms = (text: string) => new Set(words(text).filter((w) => w.length > 1 && !isStopWord(w)).map(stem));

function isSupporting(sentence: string, q: Question): boolean {
  const s = normalise(sentence);
  return (q.supportingSentences ?? []).some((fact) => {
    const f = normalise(fact);
    if (f.length === 0) return false;
    if (s.includes(f) || f.includes(s)) return true;
    const a = new Set(s.split(' '));
    const b = new Set(f.split(' '));
    const shared = [...a].filter((w) => b.has(w)).length;
    return shared / Math.max(1, new Set([...a, ...b]).size) >= 0.6;
  });
}

function hasAnswer(sentence: string, q: Question): boolean {
  const s = ` ${normalise(sentence)} `;
  return q.answers.some((a) => !/^(yes|no)$/i.test(a.trim()) && normalise(a).length > 0 && s.includes(` ${normalise(a)} `));
}

interface Example {
  questionId: string;
  features: number[];
  labels: Record<'isRel' | 'isSup' | 'isUse', number>;
}

async function judgeExamples(qs: Question[]): Promise<Example[]> {
  const examples: Example[] = [];
  for (const q of qs) for (const ws of Object.values(indexes)) examples.push(...(await questionExamples(q, ws)));
  return examples;
}

const isYesNo = (q: Question) => q.answers.some((a) => /^(yes|no)$/i.test(a.trim()));

async function questionExamples(q: Question, ws: Workspace): Promise<Example[]> {
  const hits = await retriever.search(ws, q.question, K, 'hybrid');
  const passages: Passage[] = hits.map((h, i) => ({ ref: i + 1, chunk: h.chunk, title: h.title, score: h.score }));
  const inputs: CritiqueInput[] = [];
  const meta: Array<{ relevant: boolean; supporting: boolean; answer: boolean; cover: number }> = [];
  const terms = contentTerms(q.question);
  for (const passage of passages) {
    const sentences = sentenceSpans(passage.chunk.text).map((s) => passage.chunk.text.slice(s.start, s.end).replace(/\s+/g, ' '));
    const isGold = q.goldIds.includes(passage.chunk.docId);
    const relevant = isGold && sentences.some((s) => isSupporting(s, q));
    for (const segment of sentences) {
      inputs.push({ question: q.question, passage, segment, previous: [] });
      const inSegment = contentTerms(segment);
      meta.push({ relevant, supporting: isGold && isSupporting(segment, q), answer: hasAnswer(segment, q), cover: terms.size ? [...terms].filter((t) => inSegment.has(t)).length / terms.size : 0 });
    }
  }
  // Each candidate is judged twice: as a first segment, and as the next one after the sentence
  // that overlaps the question most (what the beam search tends to choose first).
  const overlap = idfOverlap(q.question, inputs.map((i) => i.segment));
  const first = overlap.indexOf(Math.max(...overlap));
  const rest = inputs.flatMap((input, i) => (i === first ? [] : [{ ...input, previous: [inputs[first]!.segment] }]));
  const rows = [...(await judgeFeatures({ embedder, information }, inputs)), ...(await judgeFeatures({ embedder, information }, rest))];
  const metaOf = [...meta, ...meta.filter((_, i) => i !== first)];
  return rows.map((row, i) => {
    const m = metaOf[i]!;
    const isUse = m.supporting && m.answer ? 4 : m.supporting || m.answer ? 3 : m.relevant ? 2 : m.cover >= 0.5 ? 1 : 0;
    const full = m.answer || (isYesNo(q) && m.supporting);
    return {
      questionId: q.id,
      features: [...row],
      // Token order: [Relevant] [Irrelevant]; [Fully] [Partially] [No support]; [Utility:1]…[Utility:5].
      labels: { isRel: m.relevant ? 0 : 1, isSup: full ? 0 : m.supporting ? 1 : 2, isUse },
    };
  });
}

console.error('computing features…');
const trainJudge = await judgeExamples(split.train);
const testJudge = await judgeExamples(split.test);
const prompts = jsonl<{ text: string; needsRetrieval: boolean }>('eval/data/retrieve-decision/prompts.jsonl');
const retrieveRows = (items: Array<{ text: string; needsRetrieval: boolean }>) => ({
  rows: items.map((p) => [...retrieveFeatures(p.text, [])]),
  labels: items.map((p) => (p.needsRetrieval ? 0 : 1)),
});
const retrieveTrain = retrieveRows([...prompts.filter((_, i) => i % 2 === 0), ...split.train.map((q) => ({ text: q.question, needsRetrieval: true }))]);
const retrieveTest = retrieveRows([...prompts.filter((_, i) => i % 2 === 1), ...split.test.map((q) => ({ text: q.question, needsRetrieval: true }))]);
await app.close();

type Rows = { rows: number[][]; labels: number[] };
const questionFold = new Map(split.train.map((q, i) => [q.id, i % FOLDS]));
/** The training rows split FOLDS ways (by question, or every FOLDS-th retrieve row), as fit and validation parts. */
function folds(name: HeadName, train: Rows): Array<{ fit: Rows; validation: Rows }> {
  const foldOf = name === 'retrieve' ? train.rows.map((_, i) => i % FOLDS) : trainJudge.map((e) => questionFold.get(e.questionId)!);
  const pick = (keep: (fold: number) => boolean) => ({ rows: train.rows.filter((_, i) => keep(foldOf[i]!)), labels: train.labels.filter((_, i) => keep(foldOf[i]!)) });
  return Array.from({ length: FOLDS }, (_, f) => ({ fit: pick((g) => g !== f), validation: pick((g) => g === f) }));
}

function logLoss(model: MlpWeights, rows: Rows): number {
  return rows.rows.reduce((a, r, i) => a - Math.log(Math.max(1e-9, mlpForward(model, r)[rows.labels[i]!]!)), 0) / rows.rows.length;
}

const data: Record<HeadName, { train: Rows; test: Rows }> = {
  retrieve: { train: retrieveTrain, test: retrieveTest },
  isRel: { train: { rows: trainJudge.map((e) => e.features), labels: trainJudge.map((e) => e.labels.isRel) }, test: { rows: testJudge.map((e) => e.features), labels: testJudge.map((e) => e.labels.isRel) } },
  isSup: { train: { rows: trainJudge.map((e) => e.features), labels: trainJudge.map((e) => e.labels.isSup) }, test: { rows: testJudge.map((e) => e.features), labels: testJudge.map((e) => e.labels.isSup) } },
  isUse: { train: { rows: trainJudge.map((e) => e.features), labels: trainJudge.map((e) => e.labels.isUse) }, test: { rows: testJudge.map((e) => e.features), labels: testJudge.map((e) => e.labels.isUse) } },
};

mkdirSync(OUT, { recursive: true });
const manifest: CriticManifest = { embedder: embedder.id, heads: {} as CriticManifest['heads'] };
const report: Record<string, unknown> = {};
const heldOut: Record<string, { rows: number[][]; labels: number[] }> = {};
const tableRows: Array<Record<string, string | number>> = [];
for (const name of Object.keys(data) as HeadName[]) {
  const { train, test } = data[name];
  const classes = HEAD_TOKENS[name].length;
  console.error(`training ${name}: ${train.rows.length} examples, ${classes} tokens…`);
  // Each decay's fold heads are kept: the chosen decay's are the fold heads written for choose-floors.
  const trials = WEIGHT_DECAYS.map((weightDecay) => {
    const foldHeads = folds(name, train).map(({ fit }) => trainMlp(fit.rows, fit.labels, classes, { ...TRAINING, weightDecay }));
    const loss = folds(name, train).reduce((a, { validation }, f) => a + logLoss(foldHeads[f]!, validation), 0) / FOLDS;
    return { weightDecay, loss, foldHeads };
  });
  const losses = trials.map((t) => t.loss);
  const { weightDecay, foldHeads } = trials[losses.indexOf(Math.min(...losses))]!;
  const model: MlpWeights = trainMlp(train.rows, train.labels, classes, { ...TRAINING, weightDecay });
  const file = `${name}.onnx`;
  writeFileSync(join(OUT, file), mlpToOnnx(model, `critic-${name}`));
  foldHeads.forEach((head, f) => {
    mkdirSync(join(FOLDS_OUT, `fold-${f}`), { recursive: true });
    writeFileSync(join(FOLDS_OUT, `fold-${f}`, file), mlpToOnnx(head, `critic-${name}-fold-${f}`));
  });
  manifest.heads[name] = { file, features: [...(name === 'retrieve' ? RETRIEVE_FEATURES : JUDGE_FEATURES)], classes: [...HEAD_TOKENS[name]] };
  const counts = Array.from({ length: classes }, (_, c) => test.labels.filter((l) => l === c).length);
  const trainCounts = Array.from({ length: classes }, (_, c) => train.labels.filter((l) => l === c).length);
  const majority = trainCounts.indexOf(Math.max(...trainCounts));
  const heldOutScore = calibration(model, test.rows, test.labels);
  const trainScore = calibration(model, train.rows, train.labels);
  report[name] = { tokens: HEAD_TOKENS[name], weightDecay, validationLogLoss: Object.fromEntries(WEIGHT_DECAYS.map((w, i) => [w, losses[i]])), trainExamples: train.rows.length, testExamples: test.rows.length, testLabelCounts: counts, trainAccuracy: trainScore.accuracy, heldOut: heldOutScore, majorityBaselineAccuracy: counts[majority]! / test.rows.length };
  tableRows.push({ head: name, weightDecay, test: test.rows.length, accuracy: heldOutScore.accuracy, majorityBaseline: counts[majority]! / test.rows.length, ece: heldOutScore.ece, trainAccuracy: trainScore.accuracy });
  heldOut[name] = { rows: test.rows.map((r) => r.map((v) => Number(v.toFixed(6)))), labels: test.labels };
}
writeFileSync(join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
for (let f = 0; f < FOLDS; f++) {
  writeFileSync(join(FOLDS_OUT, `fold-${f}`, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  writeFileSync(join(FOLDS_OUT, `fold-${f}`, 'questions.json'), JSON.stringify(split.train.filter((q) => questionFold.get(q.id) === f).map((q) => q.id)) + '\n');
}
writeFileSync(join(OUT, 'held-out.json'), JSON.stringify({ questions: split.test.map((q) => q.id), ...heldOut }));
console.log(table(tableRows));
const heads = Object.keys(report) as HeadName[];
const binsOf = (name: HeadName) => (report[name] as { heldOut: { bins: Array<{ count: number; accuracy: number }> } }).heldOut.bins;
const svg = barChart({
  title: 'Critic heads, held-out reliability: accuracy per confidence bin (ideal = bin centre)',
  yLabel: 'accuracy',
  groups: binsOf('isRel').map((_, i) => `${i / 10}–${(i + 1) / 10}`),
  series: [...heads, 'ideal'],
  values: [...heads.map((name) => binsOf(name).map((b) => (b.count ? b.accuracy : Number.NaN))), binsOf('isRel').map((_, i) => (i + 0.5) / 10)],
  yMax: 1,
});
writeFileSync('bench/results/critic-heads.svg', svg);
const path = await writeResult('critic-heads', { machine: machine(), training: TRAINING, split: { trainQuestions: split.train.map((q) => q.id), testQuestions: split.test.map((q) => q.id) }, heads: report });
console.log(`wrote ${OUT}/ and ${path} (+ .svg)`);

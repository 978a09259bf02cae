/**
 * Chooses the offline critic's Self-RAG defaults, the likelihood weight w_gen and the abstention
 * floors, and records them in its manifest (models/critic-heads/manifest.json, `likelihoodWeight`
 * and `floors`), where the self-rag mode takes its defaults from.
 *   npm run choose:floors            (run by `npm run train:critic` after training)
 *
 * Only the critic's training questions are used (HotpotQA-100 questions 1–50), and each is judged
 * out of fold: by the heads that `npm run train:critic` trained without its fold's questions
 * (models/critic-heads/folds/), so that the defaults suit questions the heads have not seen. Each
 * is asked through the service, with rag and with self-rag (floors at 0, so that every
 * candidate's scores are visible; once per w_gen of the grid), of the whole corpus and of the
 * corpus without any question's gold passages.
 *
 * The chosen w_gen gives self-rag its best unfloored accuracy on the whole corpus (ties go to the
 * lower weight). Then, for that w_gen, a floor pair (relevance, support) abstains on a question
 * when no candidate has s_rel ≥ relevance and s_sup ≥ support; the chosen pair abstains most on
 * the questions without gold while costing self-rag at most 3 points of its unfloored accuracy
 * on the whole corpus; ties go to the lower floors. Writes bench/results/self-rag-floors.json.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { containsAnswer } from '../src/eval/metrics.js';
import type { CriticManifest } from '../src/rag/self-rag/offline-critic.js';
import { machine, table, writeResult } from './lib/bench.js';
import { HOTPOTQA_100, readQuestions } from './lib/datasets.js';
import { HOLDOUT_WORKSPACES, indexWholeAndWithoutGold } from './lib/holdout-indexes.js';

const ALLOWED_LOSS = 0.03;
const GRID = Array.from({ length: 20 }, (_, i) => i / 20);
const LIKELIHOOD_WEIGHTS = [0, 1, 2, 3, 5, 10];

const config = loadConfig(process.env);
const manifestPath = join(config.CRITIC_HEADS_DIR, 'manifest.json');
const foldsDir = join(config.CRITIC_HEADS_DIR, 'folds');
const folds = existsSync(foldsDir) ? readdirSync(foldsDir).filter((f) => f.startsWith('fold-')).sort() : [];
if (folds.length === 0) {
  console.error(`no fold heads in ${foldsDir}: run \`npm run train:critic\` (it trains them, then runs this script)`);
  process.exit(2);
}
const dataDir = mkdtempSync(join(tmpdir(), 'choose-floors-'));
const byId = new Map(readQuestions(HOTPOTQA_100).map((q) => [q.id, q]));

interface Asked {
  answerable: boolean;
  ragCorrect: boolean;
  selfRagCorrect: boolean;
  candidates: Array<{ rel: number; sup: number }>;
}

/** What each question got, per w_gen of the grid. */
const asked = new Map<number, Asked[]>(LIKELIHOOD_WEIGHTS.map((w) => [w, []]));
const questionIds: string[] = [];
for (const [k, fold] of folds.entries()) {
  // One data folder for every fold: the corpus is indexed once, and each fold's service opens it with its own heads.
  const app = await buildApp(loadConfig({ ...process.env, DATA_DIR: dataDir, CRITIC_HEADS_DIR: join(foldsDir, fold), SAMPLE_INGEST: 'false', LOG_LEVEL: 'warn' }));
  await app.ready();
  if (k === 0) await indexWholeAndWithoutGold(app);
  const ask = async (question: string, workspace: string, mode: string, extra: object = {}) => {
    const res = await app.inject({ method: 'POST', url: '/query', payload: { question, workspace, mode, k: 5, retriever: 'hybrid', ...extra } });
    if (res.statusCode !== 200) throw new Error(`${mode} on "${question}": HTTP ${res.statusCode} ${res.body}`);
    return res.json() as { answer: string; selfRag?: { candidates: Array<{ scores: { rel: number; sup: number } }> } };
  };
  const ids = JSON.parse(readFileSync(join(foldsDir, fold, 'questions.json'), 'utf8')) as string[];
  for (const id of ids) {
    const q = byId.get(id)!;
    questionIds.push(id);
    for (const workspace of Object.values(HOLDOUT_WORKSPACES)) {
      const rag = await ask(q.question, workspace, 'rag');
      for (const likelihoodWeight of LIKELIHOOD_WEIGHTS) {
        const selfRag = await ask(q.question, workspace, 'self-rag', { selfRag: { relevanceFloor: 0, supportFloor: 0, likelihoodWeight } });
        asked.get(likelihoodWeight)!.push({
          answerable: workspace === HOLDOUT_WORKSPACES.whole,
          ragCorrect: containsAnswer(rag.answer, q.answers) === 1,
          selfRagCorrect: containsAnswer(selfRag.answer, q.answers) === 1,
          candidates: (selfRag.selfRag?.candidates ?? []).map((c) => c.scores),
        });
      }
    }
    process.stderr.write(`\r${fold}: asked ${questionIds.length} questions`);
  }
  await app.close();
}
process.stderr.write('\n');

const share = (xs: Asked[], f: (a: Asked) => boolean) => xs.filter(f).length / xs.length;
const byLikelihoodWeight = LIKELIHOOD_WEIGHTS.map((likelihoodWeight) => ({
  likelihoodWeight,
  unflooredAccuracy: share(asked.get(likelihoodWeight)!.filter((a) => a.answerable), (a) => a.selfRagCorrect),
}));
const { likelihoodWeight, unflooredAccuracy } = byLikelihoodWeight.reduce((best, w) => (w.unflooredAccuracy > best.unflooredAccuracy ? w : best));
const answerable = asked.get(likelihoodWeight)!.filter((a) => a.answerable);
const unanswerable = asked.get(likelihoodWeight)!.filter((a) => !a.answerable);
const clears = (a: Asked, relevance: number, support: number) => a.candidates.some((c) => c.rel >= relevance && c.sup >= support);
const ragAccuracy = share(answerable, (a) => a.ragCorrect);
const required = unflooredAccuracy - ALLOWED_LOSS;
const outcomes = GRID.flatMap((relevance) =>
  GRID.map((support) => ({
    relevance,
    support,
    accuracy: share(answerable, (a) => a.selfRagCorrect && clears(a, relevance, support)),
    abstainsUnanswerable: share(unanswerable, (a) => !clears(a, relevance, support)),
    abstainsAnswerable: share(answerable, (a) => !clears(a, relevance, support)),
  })),
);
const chosen = outcomes
  .filter((o) => o.accuracy >= required - 1e-9)
  .sort((a, b) => b.abstainsUnanswerable - a.abstainsUnanswerable || a.relevance + a.support - (b.relevance + b.support))[0]!;

const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CriticManifest;
manifest.floors = { relevance: chosen.relevance, support: chosen.support };
manifest.likelihoodWeight = likelihoodWeight;
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
console.log(table(byLikelihoodWeight.map((w) => ({ 'w_gen': w.likelihoodWeight, rag: ragAccuracy, 'self-rag unfloored': w.unflooredAccuracy }))));
console.log(table([{ 'w_gen': likelihoodWeight, rag: ragAccuracy, 'self-rag unfloored': unflooredAccuracy, required, ...chosen }]));
const path = await writeResult('self-rag-floors', { machine: machine(), questions: questionIds, judgedOutOfFold: folds, rule: { allowedLoss: ALLOWED_LOSS, required }, ragAccuracy, byLikelihoodWeight, likelihoodWeight, unflooredAccuracy, chosen, outcomes });
console.log(`wrote likelihood weight ${likelihoodWeight} and floors ${chosen.relevance}/${chosen.support} to ${manifestPath}, and ${path}`);

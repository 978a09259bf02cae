/**
 * Turns per-question evaluation records into the report's numbers: retrieval recall@k and MRR
 * per retriever, answer measures per mode (answerable and unanswerable questions apart), with a
 * bootstrap 95% interval for each headline number and paired differences between modes.
 */
import { bootstrapMean, citationPrecision, citationRecall, containsAnswer, exactMatch, mean, pairedDifference, quantile, recallAtK, reciprocalRank, tokenF1 } from './metrics.js';
import type { Interval } from './metrics.js';

export interface RetrievalRecord {
  questionId: string;
  retriever: string;
  rankedDocIds: string[];
  goldIds: string[];
  latencyMs: number;
}

export interface AnswerRecord {
  questionId: string;
  mode: string;
  answerable: boolean;
  answers: string[];
  goldIds: string[];
  answer: string;
  citedDocIds: string[];
  /** Documents the mode retrieved or cited. */
  foundDocIds?: string[];
  /** For a bridge question: the gold passage the question does not name (the second hop), if exactly one. */
  secondHopId?: string;
  noAnswer: boolean;
  latencyMs: number;
  llmCalls: number;
  tokens: number;
  error?: string;
}

type Ci = Record<string, { low: number; high: number }>;

export interface RetrieverSummary {
  [measure: string]: number | Ci;
  mrr: number;
  ci: Ci;
}

export interface AnswerMeasures {
  questions: number;
  accuracy: number;
  em: number;
  f1: number;
  citationPrecision: number;
  citationRecall: number;
  abstainRate: number;
}

export interface ModeSummary extends AnswerMeasures {
  p50Ms: number;
  p95Ms: number;
  llmCalls: number;
  tokens: number;
  errors: number;
  answerable: AnswerMeasures;
  unanswerable: { questions: number; abstainRate: number };
  /** Share of bridge questions whose second-hop passage the mode retrieved or cited. */
  secondHop: { questions: number; recall: number };
  ci: Ci;
  latencyQuantiles: [number, number, number, number, number];
}

const interval = (i: Interval) => ({ low: i.low, high: i.high });

export function summariseRetrieval(records: RetrievalRecord[], ks: number[], seed: number): Record<string, RetrieverSummary> {
  const out: Record<string, RetrieverSummary> = {};
  for (const retriever of [...new Set(records.map((r) => r.retriever))]) {
    const rows = records.filter((r) => r.retriever === retriever && r.goldIds.length > 0);
    const summary: RetrieverSummary = { mrr: 0, ci: {} };
    for (const k of ks) {
      const ci = bootstrapMean(rows.map((r) => recallAtK(r.rankedDocIds, r.goldIds, k)), { seed });
      summary[`recall@${k}`] = ci.mean;
      summary.ci[`recall@${k}`] = interval(ci);
    }
    const mrr = bootstrapMean(rows.map((r) => reciprocalRank(r.rankedDocIds, r.goldIds)), { seed });
    summary.mrr = mrr.mean;
    summary.ci.mrr = interval(mrr);
    summary.p50Ms = quantile(rows.map((r) => r.latencyMs), 0.5);
    out[retriever] = summary;
  }
  return out;
}

/** Per-question scores of one answer record. */
export function scoreAnswer(r: AnswerRecord) {
  const cited = [...new Set(r.citedDocIds)];
  return {
    accuracy: containsAnswer(r.answer, r.answers),
    em: exactMatch(r.answer, r.answers),
    f1: tokenF1(r.answer, r.answers),
    citationPrecision: citationPrecision(r.citedDocIds, r.goldIds),
    citationRecall: citationRecall(cited, r.goldIds),
    abstain: r.noAnswer ? 1 : 0,
  };
}

function measures(rows: AnswerRecord[]): AnswerMeasures {
  const scores = rows.map(scoreAnswer);
  return {
    questions: rows.length,
    accuracy: mean(scores.map((s) => s.accuracy)),
    em: mean(scores.map((s) => s.em)),
    f1: mean(scores.map((s) => s.f1)),
    citationPrecision: mean(scores.map((s) => s.citationPrecision)),
    citationRecall: mean(scores.map((s) => s.citationRecall)),
    abstainRate: mean(scores.map((s) => s.abstain)),
  };
}

export function summariseModes(records: AnswerRecord[], seed: number): Record<string, ModeSummary> {
  const out: Record<string, ModeSummary> = {};
  for (const mode of [...new Set(records.map((r) => r.mode))]) {
    const rows = records.filter((r) => r.mode === mode);
    const answerable = rows.filter((r) => r.answerable);
    const unanswerable = rows.filter((r) => !r.answerable);
    const scores = answerable.map(scoreAnswer);
    const latencies = rows.map((r) => r.latencyMs);
    const ci: Ci = {};
    for (const key of ['accuracy', 'em', 'f1', 'citationPrecision', 'citationRecall'] as const) ci[key] = interval(bootstrapMean(scores.map((s) => s[key]), { seed }));
    ci.abstainRate = interval(bootstrapMean(rows.map((r) => (r.noAnswer ? 1 : 0)), { seed }));
    ci.unanswerableAbstainRate = interval(bootstrapMean(unanswerable.map((r) => (r.noAnswer ? 1 : 0)), { seed }));
    const a = measures(answerable);
    const bridged = answerable.filter((r) => r.secondHopId);
    const secondHopHits = bridged.map((r) => ((r.foundDocIds ?? r.citedDocIds).includes(r.secondHopId!) ? 1 : 0));
    ci.secondHopRecall = interval(bootstrapMean(secondHopHits, { seed }));
    out[mode] = {
      ...a,
      abstainRate: mean(rows.map((r) => (r.noAnswer ? 1 : 0))),
      p50Ms: quantile(latencies, 0.5),
      p95Ms: quantile(latencies, 0.95),
      llmCalls: mean(rows.map((r) => r.llmCalls)),
      tokens: mean(rows.map((r) => r.tokens)),
      errors: rows.filter((r) => r.error).length,
      answerable: a,
      unanswerable: { questions: unanswerable.length, abstainRate: mean(unanswerable.map((r) => (r.noAnswer ? 1 : 0))) },
      secondHop: { questions: bridged.length, recall: mean(secondHopHits) },
      ci,
      latencyQuantiles: [0.05, 0.25, 0.5, 0.75, 0.95].map((q) => quantile(latencies, q)) as ModeSummary['latencyQuantiles'],
    };
  }
  return out;
}

/** For every pair of modes, the paired difference (first − second) on the same answerable questions. */
export function pairedComparisons(records: AnswerRecord[], seed: number): Record<string, Record<string, { difference: number; low: number; high: number }>> {
  const modes = [...new Set(records.map((r) => r.mode))];
  const out: Record<string, Record<string, { difference: number; low: number; high: number }>> = {};
  for (let i = 0; i < modes.length; i++) {
    for (let j = i + 1; j < modes.length; j++) {
      const [a, b] = [modes[i]!, modes[j]!];
      const byQuestion = (mode: string) => new Map(records.filter((r) => r.mode === mode && r.answerable).map((r) => [r.questionId, scoreAnswer(r)]));
      const sa = byQuestion(a);
      const sb = byQuestion(b);
      const ids = [...sa.keys()].filter((id) => sb.has(id));
      const pair: Record<string, { difference: number; low: number; high: number }> = {};
      for (const key of ['accuracy', 'f1', 'citationPrecision'] as const) {
        const d = pairedDifference(ids.map((id) => sa.get(id)![key]), ids.map((id) => sb.get(id)![key]), { seed });
        pair[key] = { difference: d.mean, low: d.low, high: d.high };
      }
      out[`${a} vs ${b}`] = pair;
    }
  }
  return out;
}

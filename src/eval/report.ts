/** The evaluation report: a Markdown page a person can read, with SVG charts beside it. */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { barChart, boxPlot } from './charts.js';
import type { ModeSummary, RetrieverSummary } from './summarise.js';

export interface EvalResult {
  dataset: string;
  createdAt: string;
  command: string;
  settings: Record<string, unknown>;
  corpus: { passages: number; ingested: number; heldOut: number };
  questions: { total: number; answerable: number; unanswerable: number };
  retrievers: Record<string, RetrieverSummary>;
  modes: Record<string, ModeSummary>;
  paired: Record<string, Record<string, { difference: number; low: number; high: number }>>;
  charts?: Record<string, string>;
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');
const num = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const withCi = (v: number, ci: { low: number; high: number } | undefined, f: (x: number) => string) => (ci && Number.isFinite(ci.low) ? `${f(v)} [${f(ci.low)}, ${f(ci.high)}]` : f(v));

export async function writeReport(outJson: string, result: EvalResult, ks: number[]): Promise<string[]> {
  const stem = outJson.replace(/\.json$/, '');
  const retrievers = Object.keys(result.retrievers);
  const modes = Object.keys(result.modes);
  const charts: Record<string, string> = {};
  if (retrievers.length) {
    charts.recall = `${stem}-recall.svg`;
    await writeFile(
      charts.recall,
      barChart({
        title: `Recall@k of gold passages — ${result.dataset}`,
        yLabel: 'recall',
        groups: ks.map((k) => `k=${k}`),
        series: retrievers,
        values: retrievers.map((r) => ks.map((k) => result.retrievers[r]![`recall@${k}`] as number)),
        intervals: retrievers.map((r) => ks.map((k) => [result.retrievers[r]!.ci[`recall@${k}`]!.low, result.retrievers[r]!.ci[`recall@${k}`]!.high] as [number, number])),
        yMax: 1,
      }),
    );
  }
  if (modes.length) {
    charts.accuracy = `${stem}-accuracy.svg`;
    await writeFile(
      charts.accuracy,
      barChart({
        title: `Answer measures per mode (answerable questions) — ${result.dataset}`,
        yLabel: 'share of questions',
        groups: ['accuracy', 'EM', 'F1', 'citation precision'],
        series: modes,
        values: modes.map((m) => [result.modes[m]!.accuracy, result.modes[m]!.em, result.modes[m]!.f1, result.modes[m]!.citationPrecision]),
        intervals: modes.map((m) => ['accuracy', 'em', 'f1', 'citationPrecision'].map((k) => [result.modes[m]!.ci[k]!.low, result.modes[m]!.ci[k]!.high] as [number, number])),
        yMax: 1,
      }),
    );
    charts.latency = `${stem}-latency.svg`;
    await writeFile(charts.latency, boxPlot({ title: `Query latency per mode — ${result.dataset}`, yLabel: 'ms', series: modes.map((m) => ({ name: m, quantiles: result.modes[m]!.latencyQuantiles })) }));
  }
  result.charts = Object.fromEntries(Object.entries(charts).map(([k, v]) => [k, basename(v)]));

  const lines = [
    `# Evaluation: ${result.dataset}`,
    '',
    `${result.createdAt} · \`${result.command}\``,
    '',
    `Corpus: ${result.corpus.passages} passages, ${result.corpus.ingested} ingested${result.corpus.heldOut ? ` (${result.corpus.heldOut} gold passages held out)` : ''}. Questions: ${result.questions.total} (${result.questions.answerable} answerable, ${result.questions.unanswerable} unanswerable). Intervals are bootstrap 95%.`,
    '',
  ];
  if (retrievers.length) {
    lines.push('## Retrieval', '', `Recall@k: share of gold passages among the first k distinct passages retrieved (chunks mapped to their passage).`, '');
    lines.push(`| retriever | ${ks.map((k) => `recall@${k}`).join(' | ')} | MRR |`, `|---|${ks.map(() => '---').join('|')}|---|`);
    for (const r of retrievers) {
      const s = result.retrievers[r]!;
      lines.push(`| ${r} | ${ks.map((k) => withCi(s[`recall@${k}`] as number, s.ci[`recall@${k}`], (x) => num(x))).join(' | ')} | ${withCi(s.mrr, s.ci.mrr, (x) => num(x))} |`);
    }
    lines.push('', `![recall](${basename(charts.recall!)})`, '');
  }
  if (modes.length) {
    lines.push('## Answers', '', 'Accuracy: the answer contains a gold answer after SQuAD normalisation. Citation precision: share of cited passages that are gold; recall: share of gold passages cited. Measured on answerable questions; abstention is also given for unanswerable ones.', '');
    lines.push('| mode | accuracy | EM | F1 | citation precision | citation recall | abstain (answerable) | abstain (unanswerable) | p50 ms | p95 ms | LLM calls/q | tokens/q | errors |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const m of modes) {
      const s = result.modes[m]!;
      lines.push(
        `| ${m} | ${withCi(s.accuracy, s.ci.accuracy, pct)} | ${withCi(s.em, s.ci.em, pct)} | ${withCi(s.f1, s.ci.f1, (x) => num(x))} | ${withCi(s.citationPrecision, s.ci.citationPrecision, pct)} | ${withCi(s.citationRecall, s.ci.citationRecall, pct)} | ${pct(s.answerable.abstainRate)} | ${s.unanswerable.questions ? withCi(s.unanswerable.abstainRate, s.ci.unanswerableAbstainRate, pct) : 'n/a'} | ${num(s.p50Ms, 0)} | ${num(s.p95Ms, 0)} | ${num(s.llmCalls, 2)} | ${num(s.tokens, 0)} | ${s.errors} |`,
      );
    }
    lines.push('', `![accuracy](${basename(charts.accuracy!)})`, '', `![latency](${basename(charts.latency!)})`, '');
    if (Object.values(result.modes).some((m) => m.secondHop?.questions)) {
      lines.push('### Second hop', '', 'Bridge questions whose second gold passage (the one the question does not name) the mode retrieved or cited.', '');
      lines.push('| mode | questions | second-hop recall |', '|---|---|---|');
      for (const [m, s] of Object.entries(result.modes)) lines.push(`| ${m} | ${s.secondHop.questions} | ${withCi(s.secondHop.recall, s.ci.secondHopRecall, pct)} |`);
      lines.push('');
    }
    if (Object.keys(result.paired).length) {
      lines.push('## Paired comparisons', '', 'Difference (first − second) on the same answerable questions, with a paired bootstrap 95% interval; an interval that excludes 0 is a real difference.', '');
      lines.push('| pair | accuracy | F1 | citation precision |', '|---|---|---|---|');
      for (const [pair, d] of Object.entries(result.paired)) {
        lines.push(`| ${pair} | ${['accuracy', 'f1', 'citationPrecision'].map((k) => `${num(d[k]!.difference)} [${num(d[k]!.low)}, ${num(d[k]!.high)}]`).join(' | ')} |`);
      }
      lines.push('');
    }
  }
  lines.push('## Settings', '', '```json', JSON.stringify(result.settings, null, 2), '```', '');
  const md = `${stem}.md`;
  await writeFile(md, lines.join('\n'));
  await writeFile(outJson, JSON.stringify(result, null, 2) + '\n');
  return [outJson, md, ...Object.values(charts)];
}

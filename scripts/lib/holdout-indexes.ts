/** HotpotQA-100 indexed twice, as the eval's `--holdout-gold` sees it: whole, and without any question's gold passages. */
import type { FastifyInstance } from 'fastify';
import type { Workspace } from '../../src/store/workspace.js';
import { HOTPOTQA_100, readCorpus, readQuestions } from './datasets.js';

export const HOLDOUT_WORKSPACES = { whole: 'hotpotqa', withoutGold: 'hotpotqa-without-gold' } as const;

export async function indexWholeAndWithoutGold(app: FastifyInstance): Promise<{ whole: Workspace; withoutGold: Workspace }> {
  const { ingestor, workspaces } = app.services;
  const gold = new Set(readQuestions(HOTPOTQA_100).flatMap((q) => q.goldIds));
  const documents = readCorpus(HOTPOTQA_100).map((p) => ({ id: p.id, title: p.title, text: p.text, mime: 'text/plain' }));
  console.error(`indexing ${documents.length} passages, and again without the ${gold.size} gold ones…`);
  const whole = await workspaces.get(HOLDOUT_WORKSPACES.whole, { create: true });
  const withoutGold = await workspaces.get(HOLDOUT_WORKSPACES.withoutGold, { create: true });
  await ingestor.ingestMany(whole, documents);
  await ingestor.ingestMany(withoutGold, documents.filter((d) => !gold.has(d.id)));
  return { whole, withoutGold };
}

/** The eval command end to end on a tiny dataset: it must produce JSON, a report and charts. */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testApp } from '../support/app.js';
import { tempDir } from '../support/runtime.js';

const corpus = [
  { id: 'marley', title: 'Marley', text: 'Jacob Marley was the business partner of Ebenezer Scrooge. Marley died seven years before the story begins.' },
  { id: 'cratchit', title: 'Cratchit', text: 'Bob Cratchit is the clerk of Scrooge. His youngest son is Tiny Tim.' },
  { id: 'bread', title: 'Bread', text: 'Bread is made from flour, water, salt and yeast, and baked in an oven.' },
  { id: 'paris', title: 'Paris', text: 'Paris is the capital of France. The Eiffel Tower was completed in 1889.' },
  { id: 'rome', title: 'Rome', text: 'Rome is the capital of Italy and was founded, by legend, in 753 BC.' },
];
const questions = [
  { id: 'q1', question: 'Who was the business partner of Scrooge?', answers: ['Jacob Marley'], goldIds: ['marley'] },
  { id: 'q2', question: 'What is the name of the youngest son of Bob Cratchit?', answers: ['Tiny Tim'], goldIds: ['cratchit'] },
  { id: 'q3', question: 'When was the Eiffel Tower completed?', answers: ['1889'], goldIds: ['paris'] },
];

describe('npm run eval', () => {
  it('writes recall, answer measures with intervals, a held-out split, a report and charts', () => {
    const dir = tempDir('eval-dataset');
    writeFileSync(join(dir, 'corpus.jsonl'), corpus.map((c) => JSON.stringify(c)).join('\n'));
    writeFileSync(join(dir, 'questions.jsonl'), questions.map((q) => JSON.stringify(q)).join('\n'));
    const out = join(tempDir('eval-out'), 'tiny.json');
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/eval.ts', '--dataset', dir, '--out', out, '--k', '1,3', '--holdout-gold', '0.34', '--seed', '3'], {
      env: { ...process.env, ORT_INTRA_OP_THREADS: '1', MODEL_CACHE_DIR: join(process.cwd(), '.cache', 'models') },
      stdio: 'pipe',
    });
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.corpus).toEqual({ passages: 5, ingested: 4, heldOut: 1 });
    expect(result.questions).toEqual({ total: 3, answerable: 2, unanswerable: 1 });
    for (const r of ['dense', 'lexical', 'hybrid']) {
      expect(result.retrievers[r]['recall@1']).toBeGreaterThanOrEqual(0);
      expect(result.retrievers[r]['recall@3']).toBeGreaterThanOrEqual(result.retrievers[r]['recall@1']);
      expect(result.retrievers[r].mrr).toBeGreaterThan(0);
      expect(result.retrievers[r].ci['recall@3'].low).toBeLessThanOrEqual(result.retrievers[r]['recall@3']);
    }
    const rag = result.modes.rag;
    for (const key of ['accuracy', 'em', 'f1', 'citationPrecision', 'citationRecall', 'abstainRate', 'p50Ms', 'p95Ms', 'llmCalls', 'tokens']) expect(typeof rag[key]).toBe('number');
    expect(rag.answerable.questions).toBe(2);
    expect(rag.unanswerable.questions).toBe(1);
    expect(rag.accuracy).toBeGreaterThan(0);
    const stem = out.replace(/\.json$/, '');
    expect(readFileSync(`${stem}.md`, 'utf8')).toMatch(/\| rag \| \d/);
    for (const chart of ['recall', 'accuracy', 'latency']) expect(readFileSync(`${stem}-${chart}.svg`, 'utf8')).toMatch(/^<svg/);
  });

  it('with --one-title, ingests every passage under that title into the service at --url; --self-rag options reach self-rag', async () => {
    const dir = tempDir('eval-dataset');
    writeFileSync(join(dir, 'corpus.jsonl'), corpus.map((c) => JSON.stringify(c)).join('\n'));
    writeFileSync(join(dir, 'questions.jsonl'), questions.map((q) => JSON.stringify(q)).join('\n'));
    const out = join(tempDir('eval-out'), 'one-title.json');
    const { app } = await testApp();
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const evaluate = async (floor: number) => {
        const args = ['--dataset', dir, '--out', out, '--url', url, '--retrievers', 'hybrid', '--k', '1', '--one-title', 'One Book', '--modes', 'rag,self-rag', '--self-rag', JSON.stringify({ relevanceFloor: floor, supportFloor: floor })];
        await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/eval.ts', ...args]);
        return JSON.parse(readFileSync(out, 'utf8'));
      };
      // Floors of 0 are cleared by any candidate and floors of 1 by none: self-rag answers every
      // question in one run and none in the other only if the options reach it.
      const open = await evaluate(0);
      expect(open.settings.selfRag).toEqual({ relevanceFloor: 0, supportFloor: 0 });
      expect(open.modes['self-rag'].abstainRate).toBe(0);
      const result = await evaluate(1);
      expect(result.modes['self-rag'].abstainRate).toBe(1);
      expect(result.modes.rag.abstainRate).toBe(0);
      expect(result.settings.oneTitle).toBe('One Book');
      const docs = (await app.inject({ method: 'GET', url: `/v1/workspaces/${result.settings.workspace}/documents` })).json();
      expect(docs.total).toBe(5);
      expect(new Set(docs.items.map((d: { title: string }) => d.title))).toEqual(new Set(['One Book']));
    } finally {
      await app.close();
    }
  });

  it('refuses --self-rag that is not a JSON object, before doing any work', () => {
    let failure: { status: number; stderr: Buffer } | undefined;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/eval.ts', '--dataset', 'nowhere', '--out', 'nowhere.json', '--self-rag', 'relevanceFloor=0.2'], { stdio: 'pipe' });
    } catch (error) {
      failure = error as { status: number; stderr: Buffer };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr.toString()).toMatch(/--self-rag must be a JSON object/);
  });
});

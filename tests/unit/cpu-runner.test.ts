/**
 * The CPU runners (worker threads, and inline on the event loop) run the same tasks and give the
 * same answers; with threads, the event loop stays free while a long task runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { InlineCpuRunner, ThreadCpuRunner } from '../../src/cpu/cpu-runner.js';
import type { CpuRunner } from '../../src/cpu/cpu-runner.js';
import { chunkText } from '../../src/ingestion/chunker.js';
import { hierarchicalCommunities } from '../../src/graph/communities.js';
import { resolveEntities } from '../../src/graph/entity-resolution.js';
import { toGraph } from '../../src/graph/graph-index.js';
import { extractOffline } from '../../src/graph/nlp-extractor.js';
import { readVocabulary, SentencePieceTokenizer } from '../../src/embedding/use-lite/sentencepiece.js';
import { useLitePackageDir } from '../../src/models/use-lite-model.js';
import { longestStall } from '../support/watchdog.js';

const CAROL = readFileSync(join(process.cwd(), 'corpora', 'a-christmas-carol.txt'), 'utf8');
const PASSAGES = CAROL.slice(20_000, 60_000).split(/\n\n+/).filter((p) => p.length > 200).slice(0, 40);
const VOCAB = join(useLitePackageDir(), 'vocab.json');

const runners: Array<[string, CpuRunner]> = [
  ['worker threads', new ThreadCpuRunner(2)],
  ['inline', new InlineCpuRunner()],
];
afterAll(() => Promise.all(runners.map(([, r]) => r.close())));

describe.each(runners)('CPU runner contract: %s', (_name, cpu) => {
  it('extracts entities exactly as the extractor does when called directly', async () => {
    expect(await cpu.run('extract-entities', { texts: PASSAGES })).toEqual(PASSAGES.map(extractOffline));
  });

  it('resolves entities and finds communities exactly as the direct calls do', async () => {
    const rows = PASSAGES.map((text, chunkId) => ({ chunkId, extraction: extractOffline(text) }));
    const options = { maxSize: 5, maxLevels: 3, seed: 42 };
    const { entities, relations, communities } = await cpu.run('graph-structure', { rows, options });
    const direct = resolveEntities(rows);
    expect(entities.map((e) => e.id).sort()).toEqual([...direct.entities.keys()].sort());
    expect(relations).toHaveLength(direct.relations.size);
    expect(communities).toEqual(hierarchicalCommunities(toGraph({ entities, relations }), options));
  });

  it('chunks in the embedder’s own tokens, with the offsets chunkText gives', async () => {
    const tokenizer = new SentencePieceTokenizer(await readVocabulary(VOCAB));
    const text = PASSAGES.join('\n\n');
    const chunking = { maxTokens: 60, overlapTokens: 10 };
    const sections = [{ start: 0, end: text.length, page: null }];
    const offsets = await cpu.run('chunk-text', { text, sections, chunking, counter: { kind: 'sentencepiece', vocabPath: VOCAB } });
    const direct = chunkText(text, sections, chunking, (s) => tokenizer.encode(s).length);
    expect([...offsets.start]).toEqual(direct.map((c) => c.start));
    expect([...offsets.end]).toEqual(direct.map((c) => c.end));
    expect([...offsets.tokens]).toEqual(direct.map((c) => c.tokenCount));
    expect([...offsets.page].every((p) => p === -1)).toBe(true);
  });

  it('loads files, and a malformed one is the loader’s own typed error', async () => {
    const html = new TextEncoder().encode('<html><head><title>T</title></head><body><p>Marley was dead.</p></body></html>');
    const [doc] = await cpu.run('load-file', { bytes: html, fileName: 'a.html', textField: 'text', maxPdfPages: 10 });
    expect(doc).toMatchObject({ text: 'Marley was dead.', title: 'T', mime: 'text/html' });
    const broken = cpu.run('load-file', { bytes: new TextEncoder().encode('{"text": '), fileName: 'a.json', textField: 'text', maxPdfPages: 10 });
    await expect(broken).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('event-loop watchdog', () => {
  it('keeps the event loop free while worker threads extract entities, where inline work holds it', async () => {
    const texts = PASSAGES;
    const [threads, inline] = [runners[0]![1], runners[1]![1]];
    await threads.run('extract-entities', { texts: PASSAGES.slice(0, 2) }); // the workers are started
    const { stallMs: inlineStall } = await longestStall(() => inline.run('extract-entities', { texts }));
    const { stallMs: threadStall } = await longestStall(() => threads.run('extract-entities', { texts }));
    expect(inlineStall, 'the inline work is long enough to show a stall').toBeGreaterThan(400);
    expect(threadStall).toBeLessThan(250);
  });
});

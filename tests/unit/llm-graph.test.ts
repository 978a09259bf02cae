/**
 * Graph-RAG's LLM stages (extraction with one gleaning pass, community reports, the global map)
 * against a FAKE OpenAI-compatible chat/completions server on loopback. The fake scripts the
 * answers (reading ids back out of the prompt's tables where it must cite them); every
 * expected strength, score and chunk list below is worked out by hand from those answers.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useFakeOpenAiServer } from '../support/fake-openai-server.js';
import type { FakeRequest } from '../support/fake-openai-server.js';
import { AbortedError } from '../../src/core/errors.js';
import type { Community } from '../../src/graph/communities.js';
import type { CommunityReport, GraphEntity, GraphRelation } from '../../src/graph/graph-index.js';
import type { LoadedGraph } from '../../src/graph/graph-service.js';
import { LlmExtractor, parseGraphRecords } from '../../src/graph/llm-extractor.js';
import { LlmReportWriter } from '../../src/graph/llm-report-writer.js';
import { UpstreamError } from '../../src/llm/openai-http.js';
import { Prompts } from '../../src/llm/prompts.js';
import { LlmReportMapper } from '../../src/rag/graph/llm-report-mapper.js';

interface ChatBody {
  model: string;
  messages: Array<{ role: string; content: string }>;
  temperature: number;
  max_tokens?: number;
  response_format?: { type: string };
}
const fake = useFakeOpenAiServer<ChatBody>();

const prompts = Prompts.load('prompts');
const endpoint = (timeoutMs = 5000) => ({ baseUrl: fake.baseUrl, apiKey: 'k-123', timeoutMs, model: 'graph-7b', temperature: 0, maxTokens: 512 });
/** A chat/completions answer whose content is `content`. */
const answer = (res: ServerResponse, content: string, finishReason = 'stop') => res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content }, finish_reason: finishReason }] }));
const lastPrompt = () => fake.requests.at(-1)!.body.messages.at(-1)!.content;

describe('parseGraphRecords', () => {
  it('reads entities and relationships, and ignores what follows the completion marker', () => {
    const text = [
      '("entity"<|>Ebenezer Scrooge<|>person<|>A miser who keeps a counting-house)##',
      '("entity"<|>Marley<|>PERSON<|>Scrooge\'s partner (dead these seven years))##',
      '("relationship"<|>Ebenezer Scrooge<|>Marley<|>They were partners<|>8)',
      '<|COMPLETE|>',
      '("entity"<|>Ghost<|>PERSON<|>after the marker)',
    ].join('\n');
    expect(parseGraphRecords(text)).toEqual({
      entities: [
        { name: 'Ebenezer Scrooge', type: 'PERSON', description: 'A miser who keeps a counting-house' },
        { name: 'Marley', type: 'PERSON', description: "Scrooge's partner (dead these seven years)" },
      ],
      relations: [{ source: 'Ebenezer Scrooge', target: 'Marley', description: 'They were partners', strength: 0.8 }],
    });
  });

  it('tolerates padding, quotes and records on one line', () => {
    const text = '  ( "entity" <|> "Bob Cratchit" <|> "person" <|>  Scrooge\'s   clerk  )  ## ("relationship" <|> \'Bob Cratchit\' <|> “Ebenezer Scrooge” <|> works for <|> "7" )##<|COMPLETE|>';
    expect(parseGraphRecords(text)).toEqual({
      entities: [{ name: 'Bob Cratchit', type: 'PERSON', description: "Scrooge's clerk" }],
      relations: [{ source: 'Bob Cratchit', target: 'Ebenezer Scrooge', description: 'works for', strength: 0.7 }],
    });
  });

  it('skips malformed records without throwing, and keeps the good ones', () => {
    const text = [
      '("entity"<|>Only a name)',
      '("relationship"<|>Fred<|>Scrooge<|>no strength field)',
      '("concept"<|>Charity<|>IDEA<|>not a record kind)',
      'Here are the entities I found:',
      '("entity"<|><|>PERSON<|>an empty name)',
      '("relationship"<|>Scrooge<|>scrooge<|>a relation with itself<|>5)',
      '"entity"<|>Fezziwig<|>person<|>a merchant, without parentheses',
      '1. ("entity"<|>Belle<|>person<|>a numbered record)',
      '("relationship"<|>Belle<|>Fezziwig<|>cut off by max_tokens<|>6',
    ].join('\n');
    expect(parseGraphRecords(text)).toEqual({
      entities: [
        { name: 'Fezziwig', type: 'PERSON', description: 'a merchant, without parentheses' },
        { name: 'Belle', type: 'PERSON', description: 'a numbered record' },
      ],
      relations: [{ source: 'Belle', target: 'Fezziwig', description: 'cut off by max_tokens', strength: 0.6 }],
    });
  });

  it('scales strength 1–10 to 0–1, clamped; a strength that is not a number counts as 1', () => {
    const rel = (s: string) => `("relationship"<|>A<|>B<|>d<|>${s})`;
    const strengths = ['10', '1', '15', '-3', 'strong', '7.5'].map((s) => parseGraphRecords(rel(s)).relations[0]!.strength);
    expect(strengths).toEqual([1, 0.1, 1, 0, 0.1, 0.75]);
  });

  it('reads an answer with no records as an empty extraction', () => {
    expect(parseGraphRecords('The text names no entities.\n<|COMPLETE|>')).toEqual({ entities: [], relations: [] });
    expect(parseGraphRecords('')).toEqual({ entities: [], relations: [] });
  });
});

describe('LlmExtractor', () => {
  const first = '("entity"<|>Scrooge<|>PERSON<|>A miser)##("entity"<|>Marley<|>PERSON<|>His partner)##("relationship"<|>Scrooge<|>Marley<|>Partners in business<|>6)<|COMPLETE|>';
  const gleaned = '("entity"<|>Fred<|>PERSON<|>Scrooge\'s nephew)##("entity"<|>scrooge<|>PERSON<|>Dislikes Christmas)##("relationship"<|>Marley<|>Scrooge<|>Marley haunts Scrooge<|>9)##("relationship"<|>Fred<|>Scrooge<|>Fred invites Scrooge to dinner<|>4)<|COMPLETE|>';

  it('asks once, gleans once in the same conversation, and merges the records', async () => {
    fake.requests.length = 0;
    fake.reply = (body, res) => answer(res, body.messages.length === 1 ? first : gleaned);
    const extractor = new LlmExtractor(endpoint(), prompts, { entityTypes: ['person', 'organization'] });
    const [out] = await extractor.extract([{ chunkId: 7, text: 'Marley was dead, to begin with.' }]);

    expect(fake.requests).toHaveLength(2);
    const [one, two] = fake.requests as [FakeRequest<ChatBody>, FakeRequest<ChatBody>];
    expect(one).toMatchObject({ path: '/v1/chat/completions', auth: 'Bearer k-123', body: { model: 'graph-7b', temperature: 0, max_tokens: 512 } });
    expect(one.body.messages).toHaveLength(1);
    expect(one.body.messages[0]!.content).toContain('Text: Marley was dead, to begin with.');
    expect(one.body.messages[0]!.content).toContain('Entity_types: PERSON, ORGANIZATION');
    expect(two.body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(two.body.messages[0]).toEqual(one.body.messages[0]);
    expect(two.body.messages[1]!.content).toBe(first);
    expect(two.body.messages[2]!.content).toMatch(/^MANY entities and relationships were missed in the last extraction/);

    // "scrooge" again joins "Scrooge" (descriptions joined); Marley–Scrooge again keeps the larger strength 9/10.
    expect(out).toEqual({
      entities: [
        { name: 'Scrooge', type: 'PERSON', description: 'A miser Dislikes Christmas' },
        { name: 'Marley', type: 'PERSON', description: 'His partner' },
        { name: 'Fred', type: 'PERSON', description: "Scrooge's nephew" },
      ],
      relations: [
        { source: 'Scrooge', target: 'Marley', description: 'Partners in business Marley haunts Scrooge', strength: 0.9 },
        { source: 'Fred', target: 'Scrooge', description: 'Fred invites Scrooge to dinner', strength: 0.4 },
      ],
    });
  });

  it('returns an empty extraction when neither answer holds a record', async () => {
    fake.reply = (_, res) => answer(res, 'I could not find any entities.');
    expect(await new LlmExtractor(endpoint(), prompts).extract([{ chunkId: 1, text: 'Nothing here.' }])).toEqual([{ entities: [], relations: [] }]);
  });

  it('extracts at most `concurrency` chunks at once and keeps the chunks in order', async () => {
    let inFlight = 0;
    let most = 0;
    fake.reply = (body, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      const name = /Text: (\w+) walked/.exec(body.messages[0]!.content)![1]!;
      setTimeout(() => {
        inFlight--;
        answer(res, body.messages.length === 1 ? `("entity"<|>${name}<|>PERSON<|>seen)` : '<|COMPLETE|>');
      }, 20);
    };
    const names = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo'];
    const out = await new LlmExtractor(endpoint(), prompts, { concurrency: 2 }).extract(names.map((n, i) => ({ chunkId: i, text: `${n} walked.` })));
    expect(most).toBe(2);
    expect(out.map((e) => e.entities.map((x) => x.name))).toEqual(names.map((n) => [n]));
  });

  it("turns the caller's abort into AbortedError and a failing server into UpstreamError", async () => {
    fake.reply = () => {}; // never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(new LlmExtractor(endpoint(), prompts).extract([{ chunkId: 1, text: 'x' }], controller.signal)).rejects.toBeInstanceOf(AbortedError);
    fake.reply = (_, res) => {
      res.statusCode = 500;
      res.end('model not loaded');
    };
    await expect(new LlmExtractor(endpoint(), prompts).extract([{ chunkId: 1, text: 'x' }])).rejects.toThrow(UpstreamError);
  });
});

// A community of four: chunk ids are chosen so that each citation's chunks can be told apart.
const entity = (id: string, name: string, chunkIds: number[], mentions: number): GraphEntity => ({ id, name, type: 'PERSON', forms: [name], descriptions: [`${name} of the Carol`], chunkIds, mentions });
const entities = [entity('scrooge', 'Scrooge', [1, 2, 3, 6], 4), entity('marley', 'Marley', [2, 4], 2), entity('cratchit', 'Cratchit', [3, 5], 2), entity('fred', 'Fred', [6], 1)];
const relation = (source: string, target: string, weight: number, chunkIds: number[], description: string): GraphRelation => ({ source, target, weight, descriptions: [description], chunkIds });
const relations = [relation('marley', 'scrooge', 1.6, [2], 'partners'), relation('cratchit', 'scrooge', 0.9, [3], 'clerk'), relation('fred', 'scrooge', 0.3, [6], 'nephew')];
const community: Community = { id: 'L0-3', level: 0, parent: null, members: ['cratchit', 'fred', 'marley', 'scrooge'] };
const input = { community, entities, relations, chunks: new Map() };

/** The rows of a CSV table in the prompt, after its header line, up to a blank line. */
function tableRows(prompt: string, header: string): string[][] {
  const lines = prompt.split('\n');
  const start = lines.indexOf(header);
  const rows: string[][] = [];
  for (let i = start + 1; i < lines.length && lines[i]!.trim(); i++) rows.push(lines[i]!.split(','));
  return rows;
}
/** The id the prompt gives an entity (by name) or a relation (by its two names, either order). */
function idsIn(prompt: string) {
  const entityRows = tableRows(prompt, 'id,entity,type,description');
  const relationRows = tableRows(prompt, 'id,source,target,description,weight');
  return {
    entityRows,
    relationRows,
    entity: (name: string) => entityRows.find((r) => r[1] === name)?.[0],
    relation: (a: string, b: string) => relationRows.find((r) => (r[1] === a && r[2] === b) || (r[1] === b && r[2] === a))?.[0],
  };
}

describe('LlmReportWriter', () => {
  it('asks for JSON, validates it, and maps cited relation and entity ids to their chunks', async () => {
    fake.requests.length = 0;
    fake.reply = (body, res) => {
      const ids = idsIn(body.messages[0]!.content);
      answer(res, JSON.stringify({
        title: 'Scrooge and his circle',
        summary: 'Scrooge, his late partner and his clerk [Data: Entities (1)].',
        rating: '7.5',
        rating_explanation: 'Central to the story.',
        findings: [
          { summary: 'Partners', explanation: `Scrooge and Marley were partners [Data: Relationships (${ids.relation('Scrooge', 'Marley')}); Entities (${ids.entity('Marley')}, ${ids.entity('Scrooge')})].` },
          { summary: 'A miser', explanation: 'Scrooge is mean.' },
          { summary: 'The clerk', explanation: `Cratchit works for him [Data: Entities (${ids.entity('Cratchit')}, 99)].` },
          { explanation: 'a finding without a summary' },
          { summary: `Family [Data: Relationships (${ids.relation('Fred', 'Scrooge')}, +more)]`, explanation: 'Fred is his nephew.' },
        ],
      }));
    };
    const report = await new LlmReportWriter(endpoint(), prompts).write(input);

    const sent = fake.requests.at(-1)!;
    expect(sent.body.response_format).toEqual({ type: 'json_object' });
    const { entityRows, relationRows } = idsIn(sent.body.messages[0]!.content);
    expect(entityRows.map((r) => r[1])).toEqual(expect.arrayContaining(['Scrooge', 'Marley', 'Cratchit', 'Fred']));
    expect(relationRows.map((r) => Number(r[4]))).toEqual([1.6, 0.9, 0.3]); // strongest first
    expect(sent.body.messages[0]!.content).toContain('[Data: Relationships (');

    expect(report).toMatchObject({ communityId: 'L0-3', level: 0, title: 'Scrooge and his circle', summary: 'Scrooge, his late partner and his clerk.', rating: 7.5 });
    expect(report.findings).toEqual([
      // relation [2]; Marley [2,4]; Scrooge [1,2,3,6]: chunk 2 is in all three, then the rest in citation order.
      { summary: 'Partners', explanation: 'Scrooge and Marley were partners.', chunkIds: [2, 4, 1, 3, 6] },
      // cites nothing: the strongest relation's chunks (Marley–Scrooge, weight 1.6).
      { summary: 'A miser', explanation: 'Scrooge is mean.', chunkIds: [2] },
      // id 99 is not in the tables and is ignored.
      { summary: 'The clerk', explanation: 'Cratchit works for him.', chunkIds: [3, 5] },
      { summary: 'Family', explanation: 'Fred is his nephew.', chunkIds: [6] },
    ]);
  });

  it('sends the strongest relations first when the tables must be cut to the character budget', async () => {
    const long = (e: GraphEntity): GraphEntity => ({ ...e, descriptions: [`${e.name} ${'is described at length '.repeat(7)}`] });
    const longRelations = relations.map((r) => ({ ...r, descriptions: [`${r.descriptions[0]} ${'with many words '.repeat(10)}`] }));
    fake.reply = (_, res) => answer(res, JSON.stringify({ title: 'T', summary: 'S', findings: [{ summary: 'cites a relation that was cut [Data: Relationships (2)]', explanation: '' }] }));
    const report = await new LlmReportWriter(endpoint(), prompts, { maxInputChars: 400 }).write({ ...input, entities: entities.map(long), relations: longRelations });
    const { entityRows, relationRows } = idsIn(lastPrompt());
    expect(relationRows.map((r) => [r[1], r[2]])).toEqual([['Marley', 'Scrooge']]);
    expect(entityRows.map((r) => r[1])).toEqual(['Scrooge']); // the most connected one
    expect(report.findings[0]!.chunkIds).toEqual([2]); // id 2 was not sent: the strongest relation's chunks
    expect(report).not.toHaveProperty('rating');
  });

  it('keeps at most 10 findings and reads a fenced JSON answer', async () => {
    const findings = Array.from({ length: 12 }, (_, i) => ({ summary: `Finding ${i + 1}`, explanation: 'x' }));
    fake.reply = (_, res) => answer(res, `Here is the report:\n\`\`\`json\n${JSON.stringify({ title: 'T', summary: 'S', rating: 12, findings })}\n\`\`\``);
    const report = await new LlmReportWriter(endpoint(), prompts).write(input);
    expect(report.findings.map((f) => f.summary)).toEqual(findings.slice(0, 10).map((f) => f.summary));
    expect(report.rating).toBe(10); // clamped to 0–10
  });

  it('rejects an answer that is not JSON, misses a field, or has no usable finding, with UpstreamError', async () => {
    const writer = new LlmReportWriter(endpoint(), prompts);
    fake.reply = (_, res) => answer(res, 'Title: Scrooge. This community is about');
    await expect(writer.write(input)).rejects.toThrow(UpstreamError);
    await expect(writer.write(input)).rejects.toThrow(/report for community L0-3 is not valid JSON: Title: Scrooge/);
    fake.reply = (_, res) => answer(res, '{"title": "T", "summary": "cut o', 'length');
    await expect(writer.write(input)).rejects.toThrow(/cut off at max_tokens/);
    fake.reply = (_, res) => answer(res, JSON.stringify({ summary: 'S', findings: [] }));
    await expect(writer.write(input)).rejects.toThrow(/does not match .*title/);
    fake.reply = (_, res) => answer(res, JSON.stringify({ title: 'T', summary: 'S', findings: [{ explanation: 'no summary' }] }));
    await expect(writer.write(input)).rejects.toThrow(/no usable finding/);
  });
});

const report = (communityId: string, level: number, findingChunks: number[][]): CommunityReport => ({
  communityId,
  level,
  title: `Report ${communityId}`,
  summary: `About ${communityId}`,
  rating: 5,
  findings: findingChunks.map((chunkIds, i) => ({ summary: `finding ${i + 1} of ${communityId}`, explanation: `explained ${i + 1}`, chunkIds })),
  contentHash: 'h',
  vectorKey: 'v',
});
const batch = [report('L0-1', 0, [[1, 2], [3]]), report('L1-4', 1, [[7], [8, 9]])];
const noGraph = {} as LoadedGraph;
const q = new Float32Array(4);

describe('LlmReportMapper', () => {
  it('sends the reports with numbered findings and maps cited reports and findings to points', async () => {
    fake.requests.length = 0;
    fake.reply = (_, res) =>
      answer(res, JSON.stringify({
        points: [
          { description: 'Scrooge was a miser [Data: Reports (L0-1.2, L1-4)].', score: 80 },
          { description: 'Nothing is known of that [Data: Reports (L0-1)].', score: 0 },
          { description: 'Out of range [Data: Reports (l1-4.2, +more)]', score: 150 },
          { description: 'A point that cites nothing', score: 50 },
          { description: 'A string score [Data: Reports (L0-1.1)]', score: '42.4' },
          { description: 'Negative [Data: Reports (L0-1)]', score: -5 },
          { description: 5, score: 60 },
        ],
      }));
    const points = await new LlmReportMapper(endpoint(), prompts).map('Who was Scrooge?', q, batch, noGraph);

    const sent = fake.requests.at(-1)!;
    expect(sent.body.response_format).toEqual({ type: 'json_object' });
    const prompt = sent.body.messages[0]!.content;
    expect(prompt).toContain('Who was Scrooge?');
    expect(prompt).toContain('----- Report L0-1 -----');
    expect(prompt).toContain('[L0-1.2] finding 2 of L0-1: explained 2');
    expect(prompt).toContain('[L1-4.1] finding 1 of L1-4: explained 1');

    expect(points.map((p) => ({ report: p.report.communityId, text: p.text, chunkIds: p.chunkIds, score: p.score }))).toEqual([
      // finding 2 of L0-1 ([3]), then every finding of L1-4 ([7], [8, 9]).
      { report: 'L0-1', text: 'Scrooge was a miser.', chunkIds: [3, 7, 8, 9], score: 80 },
      { report: 'L1-4', text: 'Out of range', chunkIds: [8, 9], score: 100 },
      { report: 'L0-1', text: 'A string score', chunkIds: [1, 2], score: 42 },
    ]);
  });

  it('gives an uncited point to the report when the batch holds only one', async () => {
    fake.reply = (_, res) => answer(res, JSON.stringify({ points: [{ description: 'Uncited', score: 30 }] }));
    const points = await new LlmReportMapper(endpoint(), prompts).map('q', q, [batch[1]!], noGraph);
    expect(points.map((p) => [p.report.communityId, p.chunkIds, p.score])).toEqual([['L1-4', [7, 8, 9], 30]]);
  });

  it('rejects an answer that is not JSON or has no points list, and turns abort into AbortedError', async () => {
    const mapper = new LlmReportMapper(endpoint(), prompts);
    fake.reply = (_, res) => answer(res, 'Scrooge was a miser (score 80)');
    await expect(mapper.map('q', q, batch, noGraph)).rejects.toThrow(UpstreamError);
    await expect(mapper.map('q', q, batch, noGraph)).rejects.toThrow(/map answer for 2 report\(s\) is not valid JSON: Scrooge was a miser/);
    fake.reply = (_, res) => answer(res, JSON.stringify({ answer: 'Scrooge' }));
    await expect(mapper.map('q', q, batch, noGraph)).rejects.toThrow(/does not match \{points: .*points/);
    fake.reply = () => {}; // never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(mapper.map('q', q, batch, noGraph, controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });
});

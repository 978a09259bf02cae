/**
 * The OpenAI-compatible generator against a fake chat/completions server on loopback: the
 * fake scripts the replies; what is under test is the client around it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiGenerator } from '../../src/llm/openai-generator.js';
import { spanLikelihoods } from '../../src/llm/token-likelihood.js';
import { PerPassageSegmentGenerator } from '../../src/rag/self-rag/segment-generator.js';
import type { Passage } from '../../src/llm/generator.js';
import { Prompts } from '../../src/llm/prompts.js';

const requests: Array<Record<string, unknown>> = [];
let reply: (body: Record<string, unknown>, res: import('node:http').ServerResponse) => void = () => {};
const fakeServer = createServer((req, res) => {
  let raw = '';
  req.on('data', (d) => (raw += d));
  req.on('end', () => {
    const body = JSON.parse(raw) as Record<string, unknown>;
    requests.push({ ...body, path: req.url, auth: req.headers.authorization });
    reply(body, res);
  });
});
let baseUrl = '';
beforeAll(async () => {
  await new Promise<void>((r) => fakeServer.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(fakeServer.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => fakeServer.close(() => r())));

const passages: Passage[] = [
  { ref: 1, title: 'Carol', score: 0.9, chunk: { id: 11, docId: 'carol', ordinal: 0, text: 'Scrooge and Marley were partners.', start: 100, end: 133, page: null, tokenCount: 6 } },
  { ref: 2, title: 'Bread', score: 0.5, chunk: { id: 12, docId: 'bread', ordinal: 0, text: 'Knead the dough.', start: 0, end: 16, page: 3, tokenCount: 4 } },
];
const generator = (timeoutMs = 5000) => new OpenAiGenerator({ baseUrl, model: 'selfrag-7b', apiKey: 'k-123', timeoutMs, maxTokens: 64, temperature: 0 }, Prompts.load('prompts'));

describe('OpenAI-compatible generator', () => {
  it('sends the prompt with numbered passages and parses [n] citations per sentence', async () => {
    reply = (_, res) => res.end(JSON.stringify({ choices: [{ message: { content: 'Marley was his partner [1]. Bread needs kneading [2][1]. No idea.' } }], usage: { prompt_tokens: 120, completion_tokens: 15 } }));
    const out = await generator().generate("Who was Scrooge's partner?", passages);
    const sent = requests.at(-1)!;
    expect(sent).toMatchObject({ path: '/v1/chat/completions', model: 'selfrag-7b', max_tokens: 64, stream: false, auth: 'Bearer k-123' });
    const messages = sent.messages as Array<{ role: string; content: string }>;
    expect(messages[0]!.role).toBe('system');
    expect(messages[1]!.content).toContain('[1] Carol: Scrooge and Marley were partners.');
    expect(messages[1]!.content).toContain("Question: Who was Scrooge's partner?");
    expect(out.usage).toEqual({ llmCalls: 1, promptTokens: 120, completionTokens: 15 });
    expect(out.segments).toEqual([
      { text: 'Marley was his partner.', citations: [{ ref: 1, start: 100, end: 133 }] },
      { text: 'Bread needs kneading.', citations: [{ ref: 2, start: 0, end: 16 }, { ref: 1, start: 100, end: 133 }] },
      { text: 'No idea.', citations: [] },
    ]);
  });

  it('streams deltas and reads usage from the last event', async () => {
    reply = (_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of ['Marley ', 'was his ', 'partner [1].']) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 50, completion_tokens: 6 } })}\n\ndata: [DONE]\n\n`);
      res.end();
    };
    const deltas: string[] = [];
    const out = await generator().generate('q', passages, { onText: (t) => deltas.push(t) });
    expect(deltas).toEqual(['Marley ', 'was his ', 'partner [1].']);
    expect(out.segments[0]).toEqual({ text: 'Marley was his partner.', citations: [{ ref: 1, start: 100, end: 133 }] });
    expect(out.usage).toEqual({ llmCalls: 1, promptTokens: 50, completionTokens: 6 });
    expect(requests.at(-1)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('turns upstream failures and timeouts into 502 errors that name the server', async () => {
    reply = (_, res) => {
      res.statusCode = 500;
      res.end('model not loaded');
    };
    await expect(generator().generate('q', passages)).rejects.toMatchObject({ statusCode: 502, message: expect.stringMatching(/answered 500: model not loaded/) });
    reply = () => {}; // never answers
    await expect(generator(200).generate('q', passages)).rejects.toMatchObject({ statusCode: 502, message: expect.stringMatching(/did not answer within 200 ms/) });
    const unreachable = new OpenAiGenerator({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apiKey: '', timeoutMs: 2000, maxTokens: 8, temperature: 0 }, Prompts.load('prompts'));
    await expect(unreachable.generate('q', passages)).rejects.toMatchObject({ statusCode: 502, message: expect.stringMatching(/cannot be reached/) });
  });

  // "Marley was his partner [1]." is [0, 27) and "No idea." [28, 36); " No" ([27, 30)) belongs to the second only.
  const ANSWER = 'Marley was his partner [1]. No idea.';
  const TOKENS: Array<[string, number]> = [['Mar', -0.1], ['ley', -0.2], [' was', -0.3], [' his', -0.4], [' partner', -0.5], [' [', -0.6], ['1', -0.7], ['].', -0.8], [' No', -2], [' idea', -1], ['.', -3]];
  const logprobs = { content: TOKENS.map(([token, logprob]) => ({ token, logprob, top_logprobs: [] })) };
  const first = Math.exp(-(0.1 + 0.2 + 0.3 + 0.4 + 0.5 + 0.6 + 0.7 + 0.8) / 8);
  const second = Math.exp(-(2 + 1 + 3) / 3);

  it("asked for likelihoods, requests logprobs and gives each sentence exp of its tokens' mean log-probability", async () => {
    reply = (_, res) => res.end(JSON.stringify({ choices: [{ message: { content: ANSWER }, logprobs }] }));
    const out = await generator().generate('q', passages, { likelihood: true });
    expect(requests.at(-1)).toMatchObject({ logprobs: true });
    expect(out.segments.map((s) => [s.text, s.likelihood])).toEqual([
      ['Marley was his partner.', expect.closeTo(first, 12)],
      ['No idea.', expect.closeTo(second, 12)],
    ]);
    // Not asked: no logprobs requested, no likelihood given.
    await generator().generate('q', passages);
    expect(requests.at(-1)).not.toHaveProperty('logprobs');
  });

  it('reads streamed logprobs too, and gives no likelihood when the tokens do not spell the answer or are missing', async () => {
    reply = (_, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const [token, logprob] of TOKENS) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: token }, logprobs: { content: [{ token, logprob }] } }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    const streamed = await generator().generate('q', passages, { likelihood: true, onText: () => {} });
    expect(streamed.segments.map((s) => s.likelihood)).toEqual([expect.closeTo(first, 12), expect.closeTo(second, 12)]);
    reply = (_, res) => res.end(JSON.stringify({ choices: [{ message: { content: ANSWER }, logprobs: { content: [{ token: 'Something else', logprob: -1 }] } }] }));
    expect((await generator().generate('q', passages, { likelihood: true })).segments.every((s) => s.likelihood === undefined)).toBe(true);
    reply = (_, res) => res.end(JSON.stringify({ choices: [{ message: { content: ANSWER }, logprobs: null }] }));
    expect((await generator().generate('q', passages, { likelihood: true })).segments.every((s) => s.likelihood === undefined)).toBe(true);
    expect(spanLikelihoods('ab', [{ token: 'ab', logprob: 0 }])(5, 9)).toBeUndefined(); // a span no token overlaps
  });

  it("as Self-RAG's per-passage segment generator: one request per passage, each next segment with its likelihood", async () => {
    reply = (_, res) => res.end(JSON.stringify({ choices: [{ message: { content: ANSWER }, logprobs }] }));
    const before = requests.length;
    const segments = await new PerPassageSegmentGenerator(generator()).nextSegments('q', passages, [{ text: 'Marley was his partner.', citations: [] }]);
    expect(requests.length - before).toBe(2);
    expect(requests.slice(before).every((r) => r.logprobs === true)).toBe(true);
    // The first sentence was said already, so each passage's next segment is the second, with its likelihood.
    expect(segments.map((list) => list.map((s) => [s.text, s.likelihood]))).toEqual([[['No idea.', expect.closeTo(second, 12)]], [['No idea.', expect.closeTo(second, 12)]]]);
  });
});

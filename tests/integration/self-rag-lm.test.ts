/**
 * Self-RAG through POST /query with an LLM server as both critic (CRITIC=lm, /completions with
 * top logprobs) and segment writer (GENERATOR=openai, chat/completions with token logprobs). The
 * server is a FAKE on loopback that scripts log-probabilities; every expected number below is
 * worked out by hand from them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { useFakeOpenAiServer } from '../support/fake-openai-server.js';
import { completionsShape, groupOf, SCRIPTED_TOP_LOGPROBS } from '../support/fake-reflection-logprobs.js';

type Body = { prompt?: string; messages?: unknown[]; logprobs?: unknown };
const fake = useFakeOpenAiServer<Body>();
/** The written segment, token by token, with its log-probabilities (mean −0.4). */
const TOKENS: Array<[string, number]> = [['Marley', -0.1], [' was', -0.2], [' his', -0.3], [' partner', -0.4], [' [', -0.5], ['1', -0.6], ['].', -0.7]];

let t: TestApp;
beforeAll(async () => {
  fake.reply = (body, res) => {
    if (body.prompt !== undefined) {
      res.end(JSON.stringify(completionsShape(SCRIPTED_TOP_LOGPROBS[groupOf(body.prompt)])));
    } else {
      const content = TOKENS.map(([token]) => token).join('');
      res.end(JSON.stringify({ choices: [{ message: { content }, logprobs: { content: TOKENS.map(([token, logprob]) => ({ token, logprob })) } }] }));
    }
  };
  t = await testApp({ GENERATOR: 'openai', CRITIC: 'lm', LLM_BASE_URL: fake.baseUrl, LLM_MODEL: 'selfrag-7b' });
  await t.app.inject({ method: 'POST', url: '/v1/workspaces/lm/documents', payload: { id: 'carol', title: 'A Christmas Carol', text: 'Scrooge and Marley were partners for many years.' } });
});
afterAll(() => t.app.close());

describe('POST /query mode self-rag with an LLM critic and writer (fake server)', () => {
  it("adds the writer's segment likelihood to the critique total, with the paper's weight 1 and the fallback floors", async () => {
    const res = await t.app.inject({ method: 'POST', url: '/query', payload: { question: "Who was Scrooge's partner?", workspace: 'lm', mode: 'self-rag' } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const trace = body.selfRag;
    expect(trace.critic).toBe('lm-critic:selfrag-7b');
    expect(trace.retrieve.probability).toBeCloseTo(0.9, 12); // 0.09 / (0.09 + 0.01)
    expect(trace.floors).toEqual({ relevance: 0.5, support: 0.4 });
    expect(trace.likelihoodWeight).toBe(1);
    expect(trace.abstained).toBe(false);
    // One passage, one segment; at depth 1 the writer has nothing new, so the answer ends.
    expect(trace.candidates).toHaveLength(1);
    const [c] = trace.candidates;
    expect(c.segment).toBe('Marley was his partner.');
    // From SCRIPTED_TOP_LOGPROBS: s_rel 0.6/0.8; s_sup (0.3 + 0.5·0.1)/0.4; s_use (−0.5·0.1 + 0.5·0.2 + 0.4)/0.8
    expect(c.scores.rel).toBeCloseTo(0.75, 9);
    expect(c.scores.sup).toBeCloseTo(0.875, 9);
    expect(c.scores.use).toBeCloseTo(0.5625, 9);
    expect(c.score).toBeCloseTo(0.75 + 0.875 + 0.5 * 0.5625, 9);
    expect(c.likelihood).toBeCloseTo(Math.exp(-0.4), 9);
    expect(c.segmentScore).toBeCloseTo(Math.exp(-0.4) + 1.90625, 9);
    expect(trace.pathScore).toBeCloseTo(Math.exp(-0.4) + 1.90625, 9);
    expect(body.answer).toContain('Marley was his partner.');
    const chats = fake.requests.filter((r) => r.body.messages);
    expect(chats.length).toBeGreaterThan(0);
    expect(chats.every((r) => r.body.logprobs === true)).toBe(true);
  });
});

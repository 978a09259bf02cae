/**
 * The LM critic against a FAKE OpenAI-compatible /completions server on loopback. The fake
 * only scripts next-token logprobs; every expected probability below is worked out by hand
 * from those logprobs (exp, then divide by the group's sum), not taken from the code.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useFakeOpenAiServer } from '../support/fake-openai-server.js';
import { completionsShape, groupOf, SCRIPTED_TOP_LOGPROBS } from '../support/fake-reflection-logprobs.js';
import { AbortedError } from '../../src/core/errors.js';
import type { Passage } from '../../src/llm/generator.js';
import { UpstreamError } from '../../src/llm/openai-http.js';
import { Prompts } from '../../src/llm/prompts.js';
import type { CritiqueInput } from '../../src/rag/self-rag/critic.js';
import { LmCritic } from '../../src/rag/self-rag/lm-critic.js';

type CompletionsBody = { model: string; prompt: string; max_tokens: number; temperature: number; logprobs: number };

const fake = useFakeOpenAiServer<CompletionsBody>();

const critic = (timeoutMs = 5000) => new LmCritic({ baseUrl: fake.baseUrl, model: 'selfrag-7b', apiKey: 'k-123', timeoutMs }, Prompts.load('prompts'));

/** The chat-style shape: content[0].top_logprobs is a list of {token, logprob}. */
function chatShape(top: Array<[string, number]>) {
  return { choices: [{ logprobs: { content: [{ token: top[0]![0], logprob: top[0]![1], top_logprobs: top.map(([token, logprob]) => ({ token, logprob })) }] } }] };
}
const ln = Math.log;

const scripted = SCRIPTED_TOP_LOGPROBS;

const passage = (title: string | null, text: string): Passage => ({
  ref: 1,
  title,
  score: 0.9,
  chunk: { id: 11, docId: 'carol', ordinal: 0, text, start: 0, end: text.length, page: null, tokenCount: 6 },
});
const input: CritiqueInput = {
  question: "Who was Scrooge's partner?",
  passage: passage('A Christmas Carol', 'Scrooge and Marley were partners.'),
  segment: 'Marley was his partner.',
  previous: ['Scrooge is a miser.'],
};

describe('LmCritic (Self-RAG reflection tokens from an LM)', () => {
  it("sends the paper's prompts with its exact token strings to /completions", async () => {
    fake.reply = (body, res) => res.end(JSON.stringify(completionsShape(scripted[groupOf(body.prompt)])));
    fake.requests.length = 0;
    await critic().retrieve("Who was Scrooge's partner?", []);
    await critic().judge([input]);
    const head = "### Instruction:\nWho was Scrooge's partner?\n\n### Response:\n";
    const rel = `${head}Scrooge is a miser.[Retrieval]<paragraph>A Christmas Carol\nScrooge and Marley were partners.</paragraph>`;
    const sup = `${rel}[Relevant]Marley was his partner.`;
    expect(fake.requests.map((r) => r.body.prompt).sort()).toEqual([head, rel, sup, `${sup}[Fully supported]`].sort());
    for (const r of fake.requests) {
      expect(r).toMatchObject({ path: '/v1/completions', auth: 'Bearer k-123' });
      expect(r.body).toEqual({ model: 'selfrag-7b', prompt: r.body.prompt, max_tokens: 1, temperature: 0, logprobs: 20 });
    }

    fake.requests.length = 0;
    await critic().retrieve('q', ['First.', 'Second.']);
    expect(fake.requests[0]!.body.prompt).toBe('### Instruction:\nq\n\n### Response:\nFirst. Second.');
    fake.requests.length = 0;
    await critic().judge([{ ...input, previous: [], passage: passage(null, '  Untitled text. ') }]);
    expect(fake.requests.map((r) => r.body.prompt)).toContain("### Instruction:\nWho was Scrooge's partner?\n\n### Response:\n[Retrieval]<paragraph>Untitled text.</paragraph>");
  });

  it('renormalises each group over its own tokens; a token not in the top logprobs gets 0', async () => {
    fake.reply = (body, res) => res.end(JSON.stringify(completionsShape(scripted[groupOf(body.prompt)])));
    // 0.09 / (0.09 + 0.01) = 0.9; [Continue to Use Evidence] absent → 0.
    const retrieve = await critic().retrieve('q', []);
    expect(retrieve['[Retrieval]']).toBeCloseTo(0.9, 12);
    expect(retrieve['[No Retrieval]']).toBeCloseTo(0.1, 12);
    expect(retrieve['[Continue to Use Evidence]']).toBe(0);

    const [j] = await critic().judge([input]);
    // 0.6 / 0.8 and 0.2 / 0.8; "The" is not an IsREL token and is ignored.
    expect(j!.isRel['[Relevant]']).toBeCloseTo(0.75, 12);
    expect(j!.isRel['[Irrelevant]']).toBeCloseTo(0.25, 12);
    // 0.3 / 0.4, 0.1 / 0.4, absent → 0.
    expect(j!.isSup['[Fully supported]']).toBeCloseTo(0.75, 12);
    expect(j!.isSup['[Partially supported]']).toBeCloseTo(0.25, 12);
    expect(j!.isSup['[No support / Contradictory]']).toBe(0);
    // 0.4, 0.2, 0.1, 0.1 over 0.8; [Utility:1] absent.
    expect(j!.isUse).toEqual({
      '[Utility:1]': 0,
      '[Utility:2]': expect.closeTo(0.125, 12),
      '[Utility:3]': expect.closeTo(0.125, 12),
      '[Utility:4]': expect.closeTo(0.25, 12),
      '[Utility:5]': expect.closeTo(0.5, 12),
    });
  });

  it('stays exact when every logprob of a group is far below 0 (no underflow to 0/0)', async () => {
    fake.reply = (_, res) => res.end(JSON.stringify(completionsShape({ '[Retrieval]': -2000, '[No Retrieval]': -2001 })));
    const d = await critic().retrieve('q', []);
    // e^-2000 / (e^-2000 + e^-2001) = 1 / (1 + e^-1)
    expect(d['[Retrieval]']).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(d['[No Retrieval]']).toBeCloseTo(Math.exp(-1) / (1 + Math.exp(-1)), 12);
  });

  it('parses the chat-style logprobs shape, adding up a token listed twice', async () => {
    fake.reply = (body, res) => {
      const group = groupOf(body.prompt);
      const top: Array<[string, number]> =
        group === 'rel' ? [['[Relevant]', ln(0.3)], ['[Relevant]', ln(0.3)], ['[Irrelevant]', ln(0.2)]] : Object.entries(scripted[group]);
      res.end(JSON.stringify(chatShape(top)));
    };
    const [j] = await critic().judge([input]);
    // (0.3 + 0.3) / 0.8 and 0.2 / 0.8
    expect(j!.isRel['[Relevant]']).toBeCloseTo(0.75, 12);
    expect(j!.isRel['[Irrelevant]']).toBeCloseTo(0.25, 12);
    expect(j!.isSup['[Fully supported]']).toBeCloseTo(0.75, 12);
    expect(j!.isUse['[Utility:5]']).toBeCloseTo(0.5, 12);
  });

  it('asks IsUSE after the most probable IsSUP token', async () => {
    fake.reply = (body, res) => {
      const group = groupOf(body.prompt);
      const top = group === 'sup' ? { '[Partially supported]': ln(0.5), '[No support / Contradictory]': ln(0.2) } : scripted[group];
      res.end(JSON.stringify(completionsShape(top)));
    };
    fake.requests.length = 0;
    await critic().judge([input]);
    expect(fake.requests.filter((r) => groupOf(r.body.prompt) === 'use').map((r) => r.body.prompt.endsWith('Marley was his partner.[Partially supported]'))).toEqual([true]);
  });

  it('refuses, naming the group, a model whose top tokens hold none of a group', async () => {
    fake.reply = (body, res) => {
      const group = groupOf(body.prompt);
      res.end(JSON.stringify(completionsShape(group === 'rel' ? { The: ln(0.5), Scrooge: ln(0.3) } : scripted[group])));
    };
    const error = await critic().judge([input]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ statusCode: 502, message: expect.stringMatching(/model selfrag-7b does not emit Self-RAG reflection tokens: none of the IsREL tokens \[Relevant\] \[Irrelevant\]/) });

    fake.reply = (_, res) => res.end(JSON.stringify({ choices: [{ text: 'The', logprobs: null }] }));
    await expect(critic().retrieve('q', [])).rejects.toMatchObject({ statusCode: 502, message: expect.stringMatching(/without next-token logprobs/) });
  });

  it('turns a server error, a timeout and an unreachable server into UpstreamError', async () => {
    fake.reply = (_, res) => {
      res.statusCode = 500;
      res.end('model not loaded');
    };
    const error = await critic().retrieve('q', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ statusCode: 502, message: expect.stringMatching(/answered 500: model not loaded/) });

    fake.reply = () => {}; // never answers
    await expect(critic(200).judge([input])).rejects.toMatchObject({ statusCode: 502, message: expect.stringMatching(/did not answer within 200 ms/) });

    const unreachable = new LmCritic({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apiKey: '', timeoutMs: 2000 }, Prompts.load('prompts'));
    await expect(unreachable.retrieve('q', [])).rejects.toMatchObject({ statusCode: 502, message: expect.stringMatching(/cannot be reached/) });
  });

  it("turns the caller's abort into AbortedError, in flight or before the call", async () => {
    fake.reply = () => {}; // never answers
    const controller = new AbortController();
    const pending = critic().judge([input, input], { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    await expect(critic().retrieve('q', [], { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
  });

  it('judges several inputs at most 4 fake.requests at a time, answering in input order', async () => {
    const delays = [60, 10, 40, 20, 50, 30];
    let inFlight = 0;
    let maxInFlight = 0;
    fake.reply = (body, res) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      const i = Number(/Passage (\d)/.exec(body.prompt)![1]);
      const group = groupOf(body.prompt);
      // Input i is judged relevant with p = (i + 1) / 10 against [Irrelevant] at 1 - p.
      const top = group === 'rel' ? { '[Relevant]': ln((i + 1) / 10), '[Irrelevant]': ln(1 - (i + 1) / 10) } : scripted[group];
      setTimeout(() => {
        inFlight--;
        res.end(JSON.stringify(completionsShape(top)));
      }, delays[i]);
    };
    const inputs = delays.map((_, i) => ({ ...input, passage: passage(null, `Passage ${i}.`) }));
    fake.requests.length = 0;
    const judgements = await critic().judge(inputs);
    expect(fake.requests).toHaveLength(18);
    expect(maxInFlight).toBe(4);
    expect(judgements.map((j) => j.isRel['[Relevant]'])).toEqual(delays.map((_, i) => expect.closeTo((i + 1) / 10, 12)));
  });
});

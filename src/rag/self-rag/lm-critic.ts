import { Limiter } from '../../core/limiter.js';
import type { Passage } from '../../llm/generator.js';
import { postOpenAiJson, type OpenAiEndpoint } from '../../llm/openai-http.js';
import { UpstreamError } from '../../llm/openai-http.js';
import type { Prompts } from '../../llm/prompts.js';
import type { Critic, CriticOptions, CritiqueInput } from './critic.js';
import {
  argmax,
  distribution,
  IS_REL_TOKENS,
  IS_SUP_TOKENS,
  IS_USE_TOKENS,
  RETRIEVE_TOKENS,
  type Distribution,
  type Judgement,
  type RetrieveToken,
} from './reflection.js';

export interface LmCriticOptions {
  baseUrl: string;
  model: string;
  apiKey: string;
  timeoutMs: number;
}

/** Requests in flight at once for one `judge` call. */
const JUDGE_CONCURRENCY = 4;
/** How many next-token alternatives the server is asked for (vLLM's default cap). */
const TOP_LOGPROBS = 20;

/**
 * Self-RAG's critic read off a Self-RAG-trained LM (e.g. selfrag/selfrag_llama2_7b served by
 * vLLM): each reflection group's distribution is the LM's next-token probabilities of the
 * group's tokens after the paper's prompt, renormalised within the group.
 *
 * Prompts, as in the paper's inference code (`x` the question, `y<t` the previous segments):
 *   retrieve: `### Instruction:\n{x}\n\n### Response:\n{y<t}` → RETRIEVE_TOKENS
 *   IsREL:    … `{y<t}[Retrieval]<paragraph>{title}\n{text}</paragraph>` → IS_REL_TOKENS
 *   IsSUP:    … `</paragraph>[Relevant]{segment}` → IS_SUP_TOKENS
 *   IsUSE:    … `[Relevant]{segment}{argmax IsSUP}` → IS_USE_TOKENS
 */
export class LmCritic implements Critic {
  readonly id: string;
  private readonly endpoint: OpenAiEndpoint;

  constructor(
    private readonly options: LmCriticOptions,
    private readonly prompts: Prompts,
  ) {
    this.id = `lm-critic:${options.model}`;
    this.endpoint = { baseUrl: options.baseUrl, apiKey: options.apiKey, timeoutMs: options.timeoutMs };
  }

  async retrieve(question: string, previous: string[], options: CriticOptions = {}): Promise<Distribution<RetrieveToken>> {
    return this.nextToken(this.prompt(question, previous.join(' ')), RETRIEVE_TOKENS, 'Retrieve', options.signal);
  }

  async judge(inputs: CritiqueInput[], options: CriticOptions = {}): Promise<Judgement[]> {
    const limiter = new Limiter(JUDGE_CONCURRENCY);
    // The first failure cancels the calls still queued or in flight; the caller sees that failure.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const ask = <T extends string>(prompt: string, tokens: readonly T[], group: string) =>
      limiter.run(() => this.nextToken(prompt, tokens, group, signal), { signal });
    const judgeOne = async (input: CritiqueInput): Promise<Judgement> => {
      const withPassage = this.prompt(input.question, `${input.previous.join(' ')}[Retrieval]${paragraph(input.passage)}`);
      const withSegment = `${withPassage}[Relevant]${input.segment}`;
      const [isRel, isSup] = await Promise.all([ask(withPassage, IS_REL_TOKENS, 'IsREL'), ask(withSegment, IS_SUP_TOKENS, 'IsSUP')]);
      const isUse = await ask(`${withSegment}${argmax(isSup)}`, IS_USE_TOKENS, 'IsUSE');
      return { isRel, isSup, isUse };
    };
    try {
      return await Promise.all(inputs.map(judgeOne));
    } finally {
      stop.abort();
    }
  }

  private prompt(question: string, response: string): string {
    return this.prompts.render('self-rag/instruction', { question, response });
  }

  /** The group's next-token distribution after `prompt`, renormalised over the group. */
  private async nextToken<T extends string>(prompt: string, tokens: readonly T[], group: string, signal?: AbortSignal): Promise<Distribution<T>> {
    const body = await postOpenAiJson(
      this.endpoint,
      '/completions',
      { model: this.options.model, prompt, max_tokens: 1, temperature: 0, logprobs: TOP_LOGPROBS },
      signal,
    );
    return groupDistribution(topLogprobs(body), tokens, group, this.options.model);
  }
}

/** A passage as the paper's retrieval tokens wrap it: `<paragraph>{title}\n{text}</paragraph>`. */
export function paragraph(passage: Passage): string {
  const text = passage.chunk.text.trim();
  return `<paragraph>${passage.title ? `${passage.title}\n${text}` : text}</paragraph>`;
}

/**
 * The first generated position's top log-probabilities, token → logprob, from either shape:
 * completions (`choices[0].logprobs.top_logprobs[0]`, an object, as vLLM answers) or
 * chat-style (`choices[0].logprobs.content[0].top_logprobs`, a list of {token, logprob}).
 * A token listed twice (two ids decoding to the same text) gets the sum of their probabilities.
 */
export function topLogprobs(body: unknown): Map<string, number> {
  const logprobs = (body as { choices?: Array<{ logprobs?: unknown }> } | null)?.choices?.[0]?.logprobs as
    | { top_logprobs?: Array<Record<string, unknown> | null>; content?: Array<{ top_logprobs?: Array<{ token?: unknown; logprob?: unknown }> }> }
    | null
    | undefined;
  const entries: Array<[unknown, unknown]> | undefined = logprobs?.top_logprobs?.[0]
    ? Object.entries(logprobs.top_logprobs[0])
    : logprobs?.content?.[0]?.top_logprobs?.map((e) => [e?.token, e?.logprob]);
  if (!entries) {
    throw new UpstreamError('the LLM server answered without next-token logprobs (expected choices[0].logprobs.top_logprobs[0] or choices[0].logprobs.content[0].top_logprobs); it must support `logprobs` on /completions');
  }
  const out = new Map<string, number>();
  for (const [token, logprob] of entries) {
    if (typeof token !== 'string' || typeof logprob !== 'number' || Number.isNaN(logprob)) {
      throw new UpstreamError(`the LLM server answered a malformed top logprob entry ${JSON.stringify([token, logprob])} (expected a token string and a number)`);
    }
    const seen = out.get(token);
    out.set(token, seen === undefined ? logprob : logAddExp(seen, logprob));
  }
  return out;
}

/**
 * p(t) = exp(logprob t) for the group's tokens (0 where a token is not among the top
 * logprobs), divided by their sum. Computed relative to the largest logprob so that very
 * negative logprobs do not all underflow to 0.
 */
export function groupDistribution<T extends string>(logprobs: Map<string, number>, tokens: readonly T[], group: string, model: string): Distribution<T> {
  const present = tokens.map((t) => logprobs.get(t));
  const max = Math.max(...present.filter((lp): lp is number => lp !== undefined));
  if (max === -Infinity) {
    throw new UpstreamError(
      `model ${model} does not emit Self-RAG reflection tokens: none of the ${group} tokens ${tokens.join(' ')} is among its top ${TOP_LOGPROBS} next tokens; serve a Self-RAG-trained model (e.g. selfrag/selfrag_llama2_7b) as the critic`,
    );
  }
  const weights = present.map((lp) => (lp === undefined ? 0 : Math.exp(lp - max)));
  const total = weights.reduce((a, b) => a + b, 0);
  return distribution(tokens, weights.map((w) => w / total));
}

function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m === -Infinity ? m : m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

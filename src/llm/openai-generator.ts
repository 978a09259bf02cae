import { sentenceSpans } from '../ingestion/chunker.js';
import type { AnswerSegment, GenerateOptions, GeneratedAnswer, Generator, Passage, Usage } from './generator.js';
import type { ChatMessage } from './openai-chat.js';
import { postOpenAi, UpstreamError } from './openai-http.js';
import type { Prompts } from './prompts.js';
import { readTokenLogprobs, spanLikelihoods } from './token-likelihood.js';
import type { TokenLogprob } from './token-likelihood.js';

export interface OpenAiOptions {
  baseUrl: string;
  model: string;
  apiKey: string;
  timeoutMs: number;
  maxTokens: number;
  temperature: number;
}

/**
 * A chat/completions client for OpenAI-compatible servers (vLLM, Ollama, llama.cpp's server,
 * OpenAI). Passages are numbered in the prompt and the model cites them as [n]. Asked for
 * likelihoods, it requests token log-probabilities (`logprobs: true`) and gives each sentence
 * exp of its tokens' mean log-probability, where the server reports them.
 */
export class OpenAiGenerator implements Generator {
  readonly id: string;

  constructor(
    private readonly options: OpenAiOptions,
    private readonly prompts: Prompts,
  ) {
    this.id = `openai:${options.model}`;
  }

  async generate(question: string, passages: Passage[], options: GenerateOptions = {}): Promise<GeneratedAnswer> {
    const messages: ChatMessage[] = [
      { role: 'system', content: this.prompts.render('rag/system') },
      { role: 'user', content: this.prompts.render('rag/user', { question, passages: formatPassages(passages) }) },
    ];
    const { text, usage, tokens } = await this.complete(messages, options);
    return { segments: citeSentences(text, passages, tokens), usage };
  }

  /** One chat completion; streamed when `onText` is given; with the tokens' log-probabilities when `likelihood` is asked for. */
  async complete(messages: ChatMessage[], options: GenerateOptions = {}): Promise<Completion> {
    const stream = Boolean(options.onText);
    const { baseUrl, apiKey, timeoutMs, model, maxTokens, temperature } = this.options;
    const response = await postOpenAi(
      { baseUrl, apiKey, timeoutMs },
      '/chat/completions',
      { model, messages, max_tokens: maxTokens, temperature, stream, ...(stream ? { stream_options: { include_usage: true } } : {}), ...(options.likelihood ? { logprobs: true } : {}) },
      options.signal,
    );
    const promptChars = messages.reduce((n, m) => n + m.content.length, 0);
    return stream ? readStream(response, promptChars, options.onText!) : readWhole(response, promptChars);
  }
}

/**
 * Passages as numbered one-line quotes: line breaks inside a title or a passage become spaces,
 * so document text cannot start a line that looks like another passage, the question, or a role.
 */
export function formatPassages(passages: Passage[]): string {
  const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
  return passages.map((p) => `[${p.ref}]${p.title ? ` ${oneLine(p.title)}:` : ''} ${oneLine(p.chunk.text)}`).join('\n\n');
}

/** What one chat completion produced: its text, usage, and token log-probabilities where they were asked for and reported. */
interface Completion {
  text: string;
  usage: Usage;
  tokens: TokenLogprob[];
}

/**
 * Splits an answer into sentences and attaches the passages each one cites as [n]; with the
 * answer's token log-probabilities, each sentence also gets its likelihood.
 */
export function citeSentences(answer: string, passages: Passage[], tokens: readonly TokenLogprob[] = []): AnswerSegment[] {
  const byRef = new Map(passages.map((p) => [p.ref, p]));
  const likelihood = spanLikelihoods(answer, tokens);
  return sentenceSpans(answer).map(({ start, end }) => {
    const sentence = answer.slice(start, end);
    const refs = [...new Set([...sentence.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))].filter((r) => byRef.has(r));
    const p = likelihood(start, end);
    return {
      text: sentence.replace(/\s*\[\d+\]/g, '').trim(),
      citations: refs.map((ref) => ({ ref, start: byRef.get(ref)!.chunk.start, end: byRef.get(ref)!.chunk.end })),
      ...(p === undefined ? {} : { likelihood: p }),
    };
  });
}

/** About four characters a token, for servers that report no usage. */
function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

async function readWhole(response: Response, promptChars: number): Promise<Completion> {
  const body = (await response.json()) as { choices?: Array<{ message?: { content?: string }; logprobs?: unknown }>; usage?: { prompt_tokens?: number; completion_tokens?: number } };
  const text = body.choices?.[0]?.message?.content;
  if (typeof text !== 'string') throw new UpstreamError('the LLM server answered without choices[0].message.content');
  return {
    text,
    usage: { llmCalls: 1, promptTokens: body.usage?.prompt_tokens ?? estimateTokens(promptChars), completionTokens: body.usage?.completion_tokens ?? estimateTokens(text.length) },
    tokens: readTokenLogprobs(body.choices?.[0]?.logprobs),
  };
}

async function readStream(response: Response, promptChars: number, onText: (text: string) => void): Promise<Completion> {
  if (!response.body) throw new UpstreamError('the LLM server sent an empty stream');
  let text = '';
  const tokens: TokenLogprob[] = [];
  let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const part of response.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(part, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') continue;
      const event = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string }; logprobs?: unknown }>; usage?: typeof usage };
      const delta = event.choices?.[0]?.delta?.content;
      tokens.push(...readTokenLogprobs(event.choices?.[0]?.logprobs));
      if (delta) {
        text += delta;
        onText(delta);
      }
      if (event.usage) usage = event.usage;
    }
  }
  return {
    text,
    usage: { llmCalls: 1, promptTokens: usage?.prompt_tokens ?? estimateTokens(promptChars), completionTokens: usage?.completion_tokens ?? estimateTokens(text.length) },
    tokens,
  };
}

import { postOpenAiJson, UpstreamError } from './openai-http.js';
import type { OpenAiEndpoint } from './openai-http.js';

/** An OpenAI-compatible chat/completions server and the model and sampling to ask it with. */
export type LlmEndpoint = OpenAiEndpoint & { model: string; temperature?: number; maxTokens?: number };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One chat completion (not streamed): the answer's text and why it stopped ("length": cut off at max_tokens). */
export async function chatCompletion(endpoint: LlmEndpoint, messages: ChatMessage[], signal?: AbortSignal, extra: Record<string, unknown> = {}): Promise<{ text: string; finishReason: string | null }> {
  const body = await postOpenAiJson(
    endpoint,
    '/chat/completions',
    { model: endpoint.model, messages, temperature: endpoint.temperature ?? 0, ...(endpoint.maxTokens ? { max_tokens: endpoint.maxTokens } : {}), ...extra },
    signal,
  );
  const choice = (body as { choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }> } | null)?.choices?.[0];
  if (typeof choice?.message?.content !== 'string') throw new UpstreamError(`the LLM server at ${endpoint.baseUrl} answered without choices[0].message.content`);
  return { text: choice.message.content, finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null };
}

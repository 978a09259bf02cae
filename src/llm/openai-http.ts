import { AbortedError, AppError } from '../core/errors.js';

/** The upstream LLM server failed or answered something unusable (502). */
export class UpstreamError extends AppError {
  constructor(message: string) {
    super(message, 'upstream', 502);
  }
}

/** Where an OpenAI-compatible server is and how long one request may take. */
export interface OpenAiEndpoint {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** The setting an operator changes to lengthen the timeout, named in the timeout message. */
  timeoutSetting?: string;
}

/**
 * POSTs JSON to `{baseUrl}{path}` under a per-request timeout, and returns the response once
 * its status is 2xx. The caller's abort becomes AbortedError; a timeout, an unreachable
 * server or a non-2xx status becomes UpstreamError (502) naming the server.
 */
export async function postOpenAi(endpoint: OpenAiEndpoint, path: string, body: unknown, callerSignal?: AbortSignal): Promise<Response> {
  return upstreamCall(endpoint, callerSignal, (signal) => send(endpoint, path, body, signal));
}

/** As {@link postOpenAi}, and reads the body as JSON under the same timeout and abort. */
export async function postOpenAiJson(endpoint: OpenAiEndpoint, path: string, body: unknown, callerSignal?: AbortSignal): Promise<unknown> {
  return upstreamCall(endpoint, callerSignal, async (signal) => {
    const response = await send(endpoint, path, body, signal);
    const text = await response.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new UpstreamError(`the LLM server at ${endpoint.baseUrl} answered with a body that is not JSON: ${text.slice(0, 300)}`);
    }
  });
}

async function send(endpoint: OpenAiEndpoint, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
  const response = await fetch(`${endpoint.baseUrl.replace(/\/$/, '')}${path}`, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new UpstreamError(`the LLM server answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return response;
}

/** Runs `work` under the caller's signal joined with a timeout, mapping failures to typed errors. */
async function upstreamCall<T>(endpoint: OpenAiEndpoint, callerSignal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (callerSignal?.aborted) throw new AbortedError();
  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
  try {
    return await work(signal);
  } catch (error) {
    if (callerSignal?.aborted) throw new AbortedError();
    if (error instanceof AppError) throw error;
    if (timeout.aborted) throw new UpstreamError(`the LLM server at ${endpoint.baseUrl} did not answer within ${endpoint.timeoutMs} ms (${endpoint.timeoutSetting ?? 'LLM_TIMEOUT_MS'})`);
    throw new UpstreamError(`the LLM server at ${endpoint.baseUrl} cannot be reached: ${(error as Error).message}`);
  }
}

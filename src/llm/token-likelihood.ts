/** One generated token and its log-probability, as OpenAI-compatible servers report them (`logprobs.content`). */
export interface TokenLogprob {
  token: string;
  logprob: number;
}

/** Reads `logprobs.content` of a chat choice (or a streamed delta): the tokens, or none when it is missing or malformed. */
export function readTokenLogprobs(logprobs: unknown): TokenLogprob[] {
  const content = (logprobs as { content?: unknown } | null | undefined)?.content;
  if (!Array.isArray(content)) return [];
  const ok = content.every((t) => typeof t?.token === 'string' && typeof t?.logprob === 'number' && Number.isFinite(t.logprob));
  return ok ? content.map((t: TokenLogprob) => ({ token: t.token, logprob: t.logprob })) : [];
}

/**
 * Likelihoods of spans of a generated answer: for [start, end), exp of the mean log-probability
 * of the tokens that overlap it, the length-normalised sequence probability Self-RAG's inference
 * code adds to a segment's critique score. Undefined for every span when the tokens do not spell
 * the answer (a server that reports them otherwise), and for a span no token overlaps.
 */
export function spanLikelihoods(answer: string, tokens: readonly TokenLogprob[]): (start: number, end: number) => number | undefined {
  if (tokens.length === 0 || tokens.map((t) => t.token).join('') !== answer) return () => undefined;
  const starts: number[] = [];
  let offset = 0;
  for (const t of tokens) {
    starts.push(offset);
    offset += t.token.length;
  }
  return (start, end) => {
    let sum = 0;
    let count = 0;
    tokens.forEach((t, i) => {
      if (starts[i]! < end && starts[i]! + t.token.length > start) {
        sum += t.logprob;
        count++;
      }
    });
    return count === 0 ? undefined : Math.exp(sum / count);
  };
}

/**
 * What a FAKE Self-RAG LM scripts for the critic's prompts: which reflection group a prompt asks
 * for, a fixed next-token top-logprobs table per group, and vLLM's /completions response shape.
 * Tests work out their expected probabilities by hand from these tables.
 */
const ln = Math.log;

export type ReflectionGroup = 'retrieve' | 'rel' | 'sup' | 'use';

/** Which reflection group a prompt asks for, from how it ends (the paper's format). */
export function groupOf(prompt: string): ReflectionGroup {
  if (prompt.endsWith('</paragraph>')) return 'rel';
  if (/\[(Fully supported|Partially supported|No support \/ Contradictory)\]$/.test(prompt)) return 'use';
  if (prompt.includes('[Relevant]')) return 'sup';
  return 'retrieve';
}

/** Next-token log-probabilities per group, with a token outside the group in most. */
export const SCRIPTED_TOP_LOGPROBS: Record<ReflectionGroup, Record<string, number>> = {
  retrieve: { '[Retrieval]': ln(0.09), '[No Retrieval]': ln(0.01), The: ln(0.5) },
  rel: { '[Relevant]': ln(0.6), '[Irrelevant]': ln(0.2), The: ln(0.15) },
  sup: { '[Fully supported]': ln(0.3), '[Partially supported]': ln(0.1), '.': ln(0.5) },
  use: { '[Utility:5]': ln(0.4), '[Utility:4]': ln(0.2), '[Utility:3]': ln(0.1), '[Utility:2]': ln(0.1), '</s>': ln(0.1) },
};

/** vLLM's /completions shape: top_logprobs[0] is an object token → logprob. */
export function completionsShape(top: Record<string, number>) {
  return { choices: [{ text: Object.keys(top)[0] ?? '', logprobs: { tokens: [Object.keys(top)[0]], token_logprobs: [0], top_logprobs: [top] } }] };
}

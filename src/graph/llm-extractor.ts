import { Limiter } from '../core/limiter.js';
import { chatCompletion } from '../llm/openai-chat.js';
import type { ChatMessage, LlmEndpoint } from '../llm/openai-chat.js';
import type { Prompts } from '../llm/prompts.js';
import type { ChunkExtraction, EntityExtractor, ExtractedEntity, ExtractedRelation, ExtractorInput } from './extraction.js';

export const TUPLE_DELIMITER = '<|>';
export const RECORD_DELIMITER = '##';
export const COMPLETION_MARKER = '<|COMPLETE|>';
export const DEFAULT_ENTITY_TYPES: readonly string[] = ['organization', 'person', 'geo', 'event'];

/** Quotes, angle brackets and backticks a model may wrap a field in. */
const WRAPPING = /^[\s"'“”‘’`<]+|[\s"'“”‘’`>]+$/gu;

function field(raw: string): string {
  return raw
    .replace(/[\u0000-\u001f\u007f-\u009f]/gu, ' ')
    .replace(WRAPPING, '')
    .replace(/\s+/gu, ' ')
    .trim();
}

/**
 * Parses GraphRAG's record format: `("entity"<|>NAME<|>TYPE<|>DESCRIPTION)` and
 * `("relationship"<|>SOURCE<|>TARGET<|>DESCRIPTION<|>STRENGTH)`, records separated by `##`
 * (or line breaks), anything after `<|COMPLETE|>` ignored. Leniently: fields may be quoted or
 * padded, the parentheses may be missing, and a record that is not one of the two kinds, has too
 * few fields or an empty name is skipped. STRENGTH (1–10) becomes strength / 10 in [0, 1]; one
 * that is not a number counts as 1, as in GraphRAG. A relation of an entity with itself is dropped.
 */
export function parseGraphRecords(text: string): ChunkExtraction {
  const end = text.indexOf(COMPLETION_MARKER);
  const body = end >= 0 ? text.slice(0, end) : text;
  const entities: ExtractedEntity[] = [];
  const relations: ExtractedRelation[] = [];
  for (const piece of body.split(new RegExp(`${RECORD_DELIMITER}|\\r?\\n`, 'u'))) {
    const firstTuple = piece.indexOf(TUPLE_DELIMITER);
    if (firstTuple < 0) continue;
    const lastTuple = piece.lastIndexOf(TUPLE_DELIMITER);
    const open = piece.lastIndexOf('(', firstTuple);
    const close = piece.lastIndexOf(')');
    const inner = piece.slice(open >= 0 ? open + 1 : 0, close > lastTuple ? close : piece.length);
    const fields = inner.split(TUPLE_DELIMITER).map(field);
    const kind = fields[0]!.replace(/[^a-z]/giu, '').toLowerCase();
    if (kind === 'entity' && fields.length >= 4) {
      const [, name, type, description] = fields as [string, string, string, string];
      if (name) entities.push({ name, type: type.toUpperCase() || 'NAME', description });
    } else if (kind === 'relationship' && fields.length >= 5) {
      const [, source, target, description, strength] = fields as [string, string, string, string, string];
      if (!source || !target || source.toLowerCase() === target.toLowerCase()) continue;
      const raw = Number.parseFloat(strength);
      relations.push({ source, target, description, strength: Math.min(1, Math.max(0, (Number.isFinite(raw) ? raw : 1) / 10)) });
    }
  }
  return { entities, relations };
}

/**
 * Merges extractions of one chunk (the first answer, then the gleaning): an entity named again
 * (case aside) or a relation between the same two entities (either direction) is kept once, its
 * distinct descriptions joined; a repeated relation keeps its larger strength.
 */
export function mergeExtractions(...parts: ChunkExtraction[]): ChunkExtraction {
  const entities = new Map<string, ExtractedEntity>();
  const relations = new Map<string, ExtractedRelation>();
  const join = (a: string, b: string) => (!b || a.includes(b) ? a : a ? `${a} ${b}` : b);
  for (const part of parts) {
    for (const e of part.entities) {
      const key = e.name.toLowerCase();
      const seen = entities.get(key);
      entities.set(key, seen ? { ...seen, description: join(seen.description, e.description) } : { ...e });
    }
    for (const r of part.relations) {
      const key = [r.source.toLowerCase(), r.target.toLowerCase()].sort().join('\u0000');
      const seen = relations.get(key);
      relations.set(key, seen ? { ...seen, description: join(seen.description, r.description), strength: Math.max(seen.strength, r.strength) } : { ...r });
    }
  }
  return { entities: [...entities.values()], relations: [...relations.values()] };
}

export interface LlmExtractorOptions {
  /** Entity types asked for (GraphRAG's default: organization, person, geo, event). */
  entityTypes?: string[];
  /** Chunks extracted at once (each is two requests in turn); default 4. */
  concurrency?: number;
}

/**
 * GraphRAG's LLM extraction (Edge et al., 2024): each chunk is sent with the extraction prompt,
 * and then, in the same conversation, exactly one gleaning prompt ("many entities were missed")
 * whose records are merged into the first answer's.
 */
export class LlmExtractor implements EntityExtractor {
  readonly id: string;
  private readonly entityTypes: string;
  private readonly limiter: Limiter;

  constructor(
    private readonly endpoint: LlmEndpoint,
    private readonly prompts: Prompts,
    options: LlmExtractorOptions = {},
  ) {
    this.id = `llm:${endpoint.model}`;
    const types = options.entityTypes ?? DEFAULT_ENTITY_TYPES;
    if (types.length === 0) throw new RangeError('entityTypes must name at least one entity type');
    this.entityTypes = types.map((t) => t.trim().toUpperCase()).join(', ');
    this.limiter = new Limiter(options.concurrency ?? 4);
  }

  async extract(chunks: ExtractorInput[], signal?: AbortSignal): Promise<ChunkExtraction[]> {
    // The first failure cancels the chunks still queued or in flight; the caller sees that failure.
    const stop = new AbortController();
    const joined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    try {
      return await Promise.all(chunks.map((c) => this.limiter.run(() => this.extractOne(c.text, joined), { priority: 'batch', signal: joined })));
    } finally {
      stop.abort();
    }
  }

  /** The first answer and one gleaning pass over a chunk's text. */
  async extractOne(text: string, signal?: AbortSignal): Promise<ChunkExtraction> {
    const messages: ChatMessage[] = [{ role: 'user', content: this.prompts.render('graph/extract', { entity_types: this.entityTypes, input_text: text }) }];
    const first = await chatCompletion(this.endpoint, messages, signal);
    messages.push({ role: 'assistant', content: first.text }, { role: 'user', content: this.prompts.render('graph/glean') });
    const glean = await chatCompletion(this.endpoint, messages, signal);
    return mergeExtractions(parseGraphRecords(first.text), parseGraphRecords(glean.text));
  }
}

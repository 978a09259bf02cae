import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';

/** Every prompt the service uses, with the placeholders it must contain (and may only contain). */
export const PROMPT_SPECS = {
  'rag/system': [],
  'rag/user': ['passages', 'question'],
  'self-rag/instruction': ['question', 'response'],
  'graph/extract': ['entity_types', 'input_text'],
  'graph/glean': [],
  'graph/community-report': ['entities', 'relationships'],
  'graph/map': ['question', 'reports'],
} as const satisfies Record<string, readonly string[]>;

export type PromptName = keyof typeof PROMPT_SPECS;

const PLACEHOLDER = /\{\{\s*([a-zA-Z_][\w]*)\s*\}\}/g;

/** Prompt templates, read from `prompts/` once and checked at start-up. */
export class Prompts {
  private constructor(private readonly templates: Map<PromptName, string>) {}

  static load(dir: string): Prompts {
    const templates = new Map<PromptName, string>();
    for (const [name, required] of Object.entries(PROMPT_SPECS) as Array<[PromptName, readonly string[]]>) {
      const path = join(dir, `${name}.md`);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        throw new ConfigError(`prompt ${path} is missing; restore it from the repository`);
      }
      const found = new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!));
      const missing = required.filter((p) => !found.has(p));
      const unknown = [...found].filter((p) => !required.includes(p));
      if (missing.length || unknown.length) {
        throw new ConfigError(`prompt ${path}: ${missing.length ? `missing placeholders ${missing.map((p) => `{{${p}}}`).join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `unknown placeholders ${unknown.map((p) => `{{${p}}}`).join(', ')}` : ''} (expected: ${required.map((p) => `{{${p}}}`).join(', ') || 'none'})`);
      }
      templates.set(name, text.trim());
    }
    return new Prompts(templates);
  }

  /** Fills a template; values are inserted verbatim, once, and never re-scanned for placeholders. */
  render(name: PromptName, values: Record<string, string> = {}): string {
    return this.templates.get(name)!.replace(PLACEHOLDER, (_, key: string) => values[key] ?? '');
  }
}

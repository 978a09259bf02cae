import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

describe('sequence endpoints (the committed char-lstm and char-gru models)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t.app.close());

  const generate = (body: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/v1/sequence/generate', payload: body });

  it('GET /v1/sequence/models lists both models with their validation perplexity', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/sequence/models' });
    expect(res.statusCode).toBe(200);
    const models = res.json().models as Array<{ name: string; cell: string; metrics: { validationPerplexity: number } }>;
    expect(models.map((m) => [m.name, m.cell])).toEqual([['char-gru', 'gru'], ['char-lstm', 'lstm']]);
    for (const m of models) expect(m.metrics.validationPerplexity).toBeGreaterThan(1);
  });

  it('POST /v1/sequence/generate is reproducible for a seed and returns a random seed when none is given', async () => {
    for (const model of ['char-lstm', 'char-gru']) {
      const body = { model, prompt: 'Scrooge ', maxTokens: 60, temperature: 0.8, topK: 20, seed: 123 };
      const a = await generate(body);
      const b = await generate(body);
      expect(a.statusCode).toBe(200);
      expect(a.json()).toEqual(b.json());
      expect(a.json()).toMatchObject({ model, tokens: 60, seed: 123 });
      expect(a.json().text).toHaveLength(60);
      const unseeded = (await generate({ model, prompt: 'Scrooge ' })).json();
      expect(unseeded.text).toHaveLength(200);
      expect(Number.isInteger(unseeded.seed)).toBe(true);
      const again = (await generate({ model, prompt: 'Scrooge ', seed: unseeded.seed })).json();
      expect(again.text).toBe(unseeded.text);
    }
  });

  it('answers an unknown model with 404 naming the models, and bad settings with 400', async () => {
    const missing = await generate({ model: 'char-transformer', prompt: 'x' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/available: char-gru, char-lstm/);
    for (const body of [{ model: 'char-lstm', prompt: '' }, { model: 'char-lstm', prompt: 'x', temperature: 3 }, { model: 'char-lstm', prompt: 'x', maxTokens: 0 }]) {
      expect((await generate(body)).statusCode).toBe(400);
    }
  });

  it('reads prompt characters the model has never seen as its unknown character, and counts them', async () => {
    const res = (await generate({ model: 'char-lstm', prompt: 'Scrooge 😀', maxTokens: 5, seed: 1 })).json();
    expect(res.unknownPromptChars).toBe(1); // characters are code points: the emoji is one
  });

  it('documents the audio and sequence endpoints in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    for (const path of ['/v1/audio/vad', '/v1/audio/transcribe', '/v1/sequence/generate', '/v1/sequence/models']) expect(Object.keys(doc.paths)).toContain(path);
  });
});

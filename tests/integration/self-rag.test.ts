import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlpForward, mlpToOnnx } from '../../src/models/mlp-head.js';
import type { MlpWeights } from '../../src/models/mlp-head.js';
import { HEAD_NAMES, HEAD_TOKENS, OfflineCritic } from '../../src/rag/self-rag/offline-critic.js';
import { WordInformation } from '../../src/rag/self-rag/word-information.js';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { tempDir, testRuntime } from '../support/runtime.js';

const HEADS = 'models/critic-heads';
const CAROL = `Marley was dead: to begin with. There is no doubt whatever about that. Scrooge and he were partners for I don't know how many years. Scrooge was his sole executor, his sole administrator, his sole friend, and sole mourner.

Once upon a time, of all the good days in the year, on Christmas Eve, old Scrooge sat busy in his counting-house. It was cold, bleak, biting weather: foggy withal.`;
const COOKING = 'To bake bread, mix flour, water, salt and yeast. Knead the dough for ten minutes. Let it rise for an hour, then bake it in a hot oven until the crust is brown.';

describe('critic heads', () => {
  it('refuses a manifest whose floors are not shares, whose likelihood weight is out of range, or whose heads were trained for another embedder', async () => {
    const runtime = testRuntime();
    const information = await WordInformation.load();
    const manifest = JSON.parse(readFileSync(join(HEADS, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    const folderWith = (changes: Record<string, unknown>) => {
      const dir = tempDir('critic-heads-');
      for (const file of readdirSync(HEADS).filter((f) => /\.(onnx|json)$/.test(f))) copyFileSync(join(HEADS, file), join(dir, file));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, ...changes }));
      return dir;
    };
    /** A fake embedder: only its id matters here, since loading never embeds. */
    const embedder = { id: manifest.embedder as string, dim: 1, maxTokens: 1, countTokens: () => 1, embed: async () => ({ vectors: [], truncated: [] }) };
    await expect(OfflineCritic.load(runtime, embedder, information, folderWith({ floors: { relevance: 1.5, support: 0 } }))).rejects.toThrow(/floors are not two numbers between 0 and 1/);
    await expect(OfflineCritic.load(runtime, embedder, information, folderWith({ floors: null }))).rejects.toThrow(/floors are not two numbers between 0 and 1/);
    await expect(OfflineCritic.load(runtime, embedder, information, folderWith({ likelihoodWeight: -1 }))).rejects.toThrow(/likelihoodWeight is not a number between 0 and 10/);
    await expect(OfflineCritic.load(runtime, embedder, information, folderWith({ likelihoodWeight: '3' }))).rejects.toThrow(/likelihoodWeight is not a number between 0 and 10/);
    await expect(OfflineCritic.load(runtime, { ...embedder, id: 'other' }, information, folderWith({}))).rejects.toThrow(/trained on features of the "use-lite" embedder/);
    const loaded = await OfflineCritic.load(runtime, embedder, information, folderWith({ floors: { relevance: 0.25, support: 0.1 }, likelihoodWeight: 2 }));
    expect(loaded.floors).toEqual({ relevance: 0.25, support: 0.1 });
    expect(loaded.likelihoodWeight).toBe(2);
    await runtime.close();
  });

  it('the ONNX export computes what the double-precision reference computes', async () => {
    let seed = 3;
    const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
    const m: MlpWeights = { mean: [0.1, -0.2, 0.3], std: [1, 0.5, 2], w1: Array.from({ length: 12 }, random), b1: Array.from({ length: 4 }, random), w2: Array.from({ length: 12 }, random), b2: Array.from({ length: 3 }, random), hidden: 4, classes: 3 };
    const rows = Array.from({ length: 20 }, () => [random() * 4, random() * 4, random() * 4]);
    const runtime = testRuntime();
    const session = await runtime.load('mlp-parity', mlpToOnnx(m, 'parity'));
    const out = await session.run({ features: { type: 'float32', data: Float32Array.from(rows.flat()), dims: [rows.length, 3] } });
    const got = out.probabilities!.data as Float32Array;
    rows.forEach((row, r) => mlpForward(m, row).forEach((p, c) => expect(Math.abs(got[r * 3 + c]! - p)).toBeLessThan(1e-6)));
    await runtime.close();
  });

  it('the trained heads give distributions that sum to 1 and beat the majority class on held-out questions', async () => {
    const heldOut = JSON.parse(readFileSync(join(HEADS, 'held-out.json'), 'utf8')) as Record<string, { rows: number[][]; labels: number[] }>;
    const runtime = testRuntime();
    for (const name of HEAD_NAMES) {
      const { rows, labels } = heldOut[name]!;
      const classes = HEAD_TOKENS[name].length;
      const session = await runtime.load(`critic-${name}`, join(HEADS, `${name}.onnx`));
      const out = await session.run({ features: { type: 'float32', data: Float32Array.from(rows.flat()), dims: [rows.length, rows[0]!.length] } });
      const p = out.probabilities!.data as Float32Array;
      let correct = 0;
      const distinct = new Set<string>();
      for (let r = 0; r < rows.length; r++) {
        const row = [...p.slice(r * classes, (r + 1) * classes)];
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        if (row.indexOf(Math.max(...row)) === labels[r]) correct++;
        distinct.add(row.map((v) => v.toFixed(3)).join());
      }
      const counts = Array.from({ length: classes }, (_, c) => labels.filter((l) => l === c).length);
      const majority = Math.max(...counts) / labels.length;
      expect(correct / labels.length, name).toBeGreaterThan(majority);
      expect(distinct.size, `${name} outputs vary with the input`).toBeGreaterThan(rows.length / 10);
    }
    await runtime.close();
  });
});

describe('POST /query mode self-rag', () => {
  let t: TestApp;
  const post = (payload: unknown) => t.app.inject({ method: 'POST', url: '/query', payload: payload as Record<string, unknown> });
  beforeAll(async () => {
    t = await testApp();
    await t.app.inject({ method: 'POST', url: '/v1/workspaces/sr/documents', payload: { id: 'carol', title: 'A Christmas Carol', text: CAROL } });
    await t.app.inject({ method: 'POST', url: '/v1/workspaces/sr/documents', payload: { id: 'bread', title: 'Bread', text: COOKING } });
  });
  afterAll(() => t.app.close());

  it('shows the retrieve decision, every candidate with its reflection-token distributions, and the chosen path', async () => {
    // Floors at 0, so that the answer is built and its path can be checked.
    const res = await post({ question: "Who was Scrooge's partner?", workspace: 'sr', mode: 'self-rag', k: 2, selfRag: { relevanceFloor: 0, supportFloor: 0 } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.mode).toBe('self-rag');
    const trace = body.selfRag;
    expect(trace.retrieve.decision).toBe(true);
    expect(trace.retrieve.probability).toBeGreaterThan(0.2);
    expect(Object.keys(trace.retrieve.distribution)).toEqual(['[Retrieval]', '[No Retrieval]', '[Continue to Use Evidence]']);
    expect(trace.candidates.length).toBeGreaterThanOrEqual(1);
    expect(trace.candidates.filter((c: { depth: number }) => c.depth === 0).length).toBeLessThanOrEqual(2 * 4); // four sentences per passage at most
    for (const c of trace.candidates) {
      for (const group of [c.isRel, c.isSup, c.isUse]) expect(Object.values(group as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(Object.keys(c.isUse)).toEqual(['[Utility:1]', '[Utility:2]', '[Utility:3]', '[Utility:4]', '[Utility:5]']);
      // The total is the paper's weighted sum of the reported scores; the segment score adds the generator's likelihood.
      expect(c.score).toBeCloseTo(c.scores.rel + c.scores.sup + 0.5 * c.scores.use, 9);
      expect(c.likelihood).toBeGreaterThanOrEqual(0);
      expect(c.likelihood).toBeLessThanOrEqual(1);
      expect(c.segmentScore).toBeCloseTo(trace.likelihoodWeight * c.likelihood + c.score, 9);
    }
    // The extractive likelihood is a sentence's score relative to the best sentence's, which is among the first candidates.
    expect(Math.max(...trace.candidates.filter((c: { depth: number }) => c.depth === 0).map((c: { likelihood: number }) => c.likelihood))).toBeCloseTo(1, 9);
    expect(trace.path.length).toBeGreaterThan(0);
    const chosen = trace.path.map((i: number) => trace.candidates[i]);
    expect(trace.pathScore).toBeCloseTo(chosen.reduce((a: number, c: { segmentScore: number }) => a * c.segmentScore, 1), 9);
    expect(body.answer).toContain(chosen[0].segment);
    expect(body.citations.length).toBeGreaterThan(0);
  });

  it('abstains, with the best candidates, when nothing clears the floors; answers when the floors are low', async () => {
    const strict = (await post({ question: "Who was Scrooge's partner?", workspace: 'sr', mode: 'self-rag', k: 2, selfRag: { relevanceFloor: 1, supportFloor: 1 } })).json();
    expect(strict).toMatchObject({ noAnswer: true, citations: [], answer: 'The indexed documents do not answer this question.' });
    expect(strict.selfRag.abstained).toBe(true);
    expect(strict.selfRag.candidates.length).toBeGreaterThan(0);
    const scores = strict.selfRag.candidates.map((c: { segmentScore: number }) => c.segmentScore);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const lax = (await post({ question: "Who was Scrooge's partner?", workspace: 'sr', mode: 'self-rag', k: 2, selfRag: { relevanceFloor: 0, supportFloor: 0 } })).json();
    expect(lax.selfRag.abstained).toBe(false);
    expect(lax.selfRag.floors).toEqual({ relevance: 0, support: 0 });
  });

  it("holds answers to the floors and likelihood weight chosen for the offline heads when the request names none", async () => {
    const manifest = JSON.parse(readFileSync(join(HEADS, 'manifest.json'), 'utf8')) as { floors: { relevance: number; support: number }; likelihoodWeight: number };
    const body = (await post({ question: "Who was Scrooge's partner?", workspace: 'sr', mode: 'self-rag', k: 2 })).json();
    expect(body.selfRag.floors).toEqual(manifest.floors);
    expect(body.selfRag.likelihoodWeight).toBe(manifest.likelihoodWeight);
    const clears = body.selfRag.candidates.some((c: { scores: { rel: number; sup: number } }) => c.scores.rel >= manifest.floors.relevance && c.scores.sup >= manifest.floors.support);
    expect(body.selfRag.abstained).toBe(!clears);
    const mixed = (await post({ question: "Who was Scrooge's partner?", workspace: 'sr', mode: 'self-rag', k: 2, selfRag: { supportFloor: 1 } })).json();
    expect(mixed.selfRag.floors).toEqual({ relevance: manifest.floors.relevance, support: 1 });
  });

  it('ranks by the critique total alone with likelihoodWeight 0, and by w_gen·likelihood + total otherwise', async () => {
    type Trace = { likelihoodWeight: number; path: number[]; candidates: Array<{ segment: string; score: number; likelihood: number; segmentScore: number }> };
    const ask = async (question: string, likelihoodWeight: number): Promise<Trace> =>
      (await post({ question, workspace: 'sr', mode: 'self-rag', k: 2, selfRag: { beamWidth: 1, maxDepth: 1, likelihoodWeight, relevanceFloor: 0, supportFloor: 0 } })).json().selfRag;
    const chosen = (t: Trace) => t.candidates[t.path[0]!]!.segment;
    const best = (t: Trace, f: (c: Trace['candidates'][number]) => number) => t.candidates.reduce((a, b) => (f(b) > f(a) ? b : a)).segment;
    let disagreements = 0;
    for (const question of ["Who was Scrooge's sole friend?", 'Where did Scrooge sit?', 'How long should the dough rise?']) {
      const critiqueOnly = await ask(question, 0);
      expect(critiqueOnly.likelihoodWeight).toBe(0);
      for (const c of critiqueOnly.candidates) expect(c.segmentScore).toBeCloseTo(c.score, 12);
      expect(chosen(critiqueOnly)).toBe(best(critiqueOnly, (c) => c.score));
      const weighted = await ask(question, 10);
      expect(chosen(weighted)).toBe(best(weighted, (c) => 10 * c.likelihood + c.score)); // computed here from the reported parts
      if (chosen(weighted) !== chosen(critiqueOnly)) disagreements++;
    }
    // At least one question where the likelihood changes the choice, so that ignoring it would fail this test.
    expect(disagreements).toBeGreaterThan(0);
  });

  it('honours beam width, depth and weights from the request', async () => {
    const body = (await post({ question: 'How long should the dough rise?', workspace: 'sr', mode: 'self-rag', k: 2, selfRag: { beamWidth: 1, maxDepth: 1, weights: { rel: 2, sup: 0, use: 0 }, relevanceFloor: 0, supportFloor: 0 } })).json();
    expect(body.selfRag.path).toHaveLength(1);
    for (const c of body.selfRag.candidates) expect(c.score).toBeCloseTo(2 * c.scores.rel, 9);
  });

  it('skips retrieval when the critic says it is not needed, and says so', async () => {
    const body = (await post({ question: 'Write a haiku about autumn leaves.', workspace: 'sr', mode: 'self-rag', selfRag: { retrieveThreshold: 0.99 } })).json();
    expect(body.selfRag.retrieve.decision).toBe(false);
    expect(body.retrieval.hits).toEqual([]);
    expect(body.answer).toMatch(/needs no retrieval/);
  });

  it('refuses bad settings with a 400 naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ beamWidth: 0 }, /beamWidth/],
      [{ retrieveThreshold: 2 }, /retrieveThreshold/],
      [{ weights: { rel: -1 } }, /rel/],
      [{ likelihoodWeight: -1 }, /likelihoodWeight/],
      [{ temperature: 1 }, /temperature|unrecognized/i],
    ];
    for (const [selfRag, message] of cases) {
      const res = await post({ question: 'Who?', workspace: 'sr', mode: 'self-rag', selfRag });
      expect(res.statusCode, JSON.stringify(selfRag)).toBe(400);
      expect(res.json().message).toMatch(message);
    }
  });
});

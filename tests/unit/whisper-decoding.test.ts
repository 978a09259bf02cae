import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLanguage, greedyDecode, timedSegments } from '../../src/audio/whisper/greedy-decoder.js';
import { WhisperTokenizer } from '../../src/audio/whisper/tokenizer.js';
import { planWindows, transcribe } from '../../src/audio/whisper/transcriber.js';
import { WhisperModel } from '../../src/audio/whisper/whisper-model.js';
import { FAKE, writeFakeWhisper } from '../support/fake-whisper.js';
import { tempDir, testRuntime } from '../support/runtime.js';

describe('Whisper decoding on a FAKE encoder/decoder pair (scripted transitions)', () => {
  const runtime = testRuntime();
  let model: WhisperModel;
  let tok: WhisperTokenizer;
  const audio = new Float32Array(16_000 * 3).map((_, i) => Math.sin(i / 7) * 0.3);
  let next: (tokens: number[]) => Promise<Float32Array>;
  let calls: number[][];

  beforeAll(async () => {
    model = await WhisperModel.load(runtime, writeFakeWhisper(tempDir('fake-whisper')));
    tok = model.tokenizer;
    const states = await model.encode(audio);
    expect(states.dims).toEqual([1, 1500, 1]);
    calls = [];
    next = (tokens) => (calls.push(tokens), model.nextLogits(tokens, states));
  });
  afterAll(() => runtime.close());

  it('reads the special tokens, languages and timestamp range from tokenizer.json, and decodes byte-level pieces', () => {
    expect([tok.eot, tok.sot, tok.transcribe, tok.noTimestamps, tok.timestampBegin]).toEqual([FAKE.eot, FAKE.sot, FAKE.transcribe, FAKE.noTimestamps, FAKE.ts(0)]);
    expect([...tok.languages.keys()]).toEqual(['en', 'fr', 'de']);
    expect(model.englishOnly).toBe(false); // generation_config.json has no is_multilingual: false
    expect(tok.decode([0, 1, 9, FAKE.ts(0.5), FAKE.eot])).toBe('Hello world café');
    expect(tok.timeOf(FAKE.ts(1.62))).toBe(1.62);
  });

  it('detects the language from the language tokens after <|startoftranscript|>', async () => {
    const { language, probability } = await detectLanguage(next, tok);
    expect(language).toBe('fr');
    expect(probability).toBeCloseTo(Math.exp(5) / (Math.exp(5) + Math.exp(3) + 1), 5);
  });

  it('decodes greedily under the timestamp rules', async () => {
    calls = [];
    const out = await greedyDecode(next, tok, { task: 'transcribe', timestamps: true, maxTokens: 50, suppress: model.suppress });
    expect(out.language).toBe('fr');
    expect(calls[0]).toEqual([FAKE.sot]);
    expect(calls[1]).toEqual([FAKE.sot, FAKE.fr, FAKE.transcribe]);
    // <|0.20|> (1.50 is too late to start), Hello world, <|1.00|> (the timestamps outweigh "."),
    // <|1.00|> (0.50 would go back in time), again, <|1.60|>, end.
    expect(out.tokens).toEqual([FAKE.ts(0.2), 0, 1, FAKE.ts(1), FAKE.ts(1), 7, FAKE.ts(1.6)]);
    expect(timedSegments(out.tokens, tok, 30, 60)).toEqual([
      { start: 30.2, end: 31, text: 'Hello world' },
      { start: 31, end: 31.6, text: 'again' },
    ]);
  });

  it('without timestamps: the <|notimestamps|> prompt and no timestamp tokens; a given language skips detection', async () => {
    calls = [];
    const out = await greedyDecode(next, tok, { language: 'en', task: 'transcribe', timestamps: false, maxTokens: 50, suppress: model.suppress });
    expect(calls[0]).toEqual([FAKE.sot, FAKE.en, FAKE.transcribe, FAKE.noTimestamps]);
    expect(tok.decode(out.tokens)).toBe('Hello world.');
    // Without generation_config.json's suppression the scripted decoder would start with " bonjour".
    const unsuppressed = await greedyDecode(next, tok, { language: 'en', task: 'transcribe', timestamps: false, maxTokens: 1 });
    expect(tok.decode(unsuppressed.tokens)).toBe(' bonjour');
    expect(model.suppress).toEqual({ always: [9], atBegin: [8, FAKE.eot] });
    await expect(greedyDecode(next, tok, { language: 'xx', task: 'transcribe', timestamps: false, maxTokens: 5 })).rejects.toThrow(/knows: en, fr, de/);
  });

  it('prompts an English-only model with <|startoftranscript|> alone and detects no language', async () => {
    calls = [];
    const out = await greedyDecode(next, tok, { task: 'transcribe', timestamps: true, maxTokens: 1, englishOnly: true });
    expect(calls).toEqual([[FAKE.sot]]);
    expect(out).toMatchObject({ language: 'en', languageProbability: null });
    await expect(greedyDecode(next, tok, { language: 'fr', task: 'transcribe', timestamps: true, maxTokens: 1, englishOnly: true })).rejects.toThrow(/English-only/);
  });

  it('stops at maxTokens', async () => {
    const out = await greedyDecode(next, tok, { language: 'en', task: 'transcribe', timestamps: true, maxTokens: 3 });
    expect(out.tokens).toHaveLength(3);
  });

  it('transcribes window by window, skipping windows without speech and shifting the times', async () => {
    const long = new Float32Array(16_000 * 70);
    const speech = [{ start: 2, end: 20, probability: 0.9 }, { start: 24, end: 40, probability: 0.9 }, { start: 62, end: 65, probability: 0.9 }];
    const result = await transcribe(model, long, speech, { task: 'transcribe', timestamps: true, maxTokens: 50 });
    expect(result.windows).toEqual([{ start: 0, end: 22, speech: true }, { start: 22, end: 51, speech: true }, { start: 51, end: 70, speech: true }]);
    expect(result.segments.map((s) => s.start)).toEqual([0.2, 1, 22.2, 23, 51.2, 52]);
    expect(result.text).toBe('Hello world again Hello world again Hello world again');
    expect(result.language).toBe('fr');
  });
});

describe('planWindows', () => {
  const seg = (start: number, end: number) => ({ start, end, probability: 0.9 });
  it('keeps audio of 30 s or less in one window', () => {
    expect(planWindows(30, [seg(1, 29)])).toEqual([{ start: 0, end: 30, speech: true }]);
    expect(planWindows(12, [])).toEqual([{ start: 0, end: 12, speech: false }]);
  });
  it('cuts in the middle of the latest silence within 30 s, at 30 s when there is none, and marks windows without speech', () => {
    expect(planWindows(95, [seg(0, 10), seg(14, 28), seg(29, 45), seg(60, 61)])).toEqual([
      { start: 0, end: 28.5, speech: true },
      { start: 28.5, end: 52.5, speech: true },
      { start: 52.5, end: 61, speech: true },
      { start: 61, end: 91, speech: false },
      { start: 91, end: 95, speech: false },
    ]);
    const endless = planWindows(75, [seg(0, 75)]);
    expect(endless.map((w) => [w.start, w.end])).toEqual([[0, 30], [30, 60], [60, 75]]);
  });
});

describe('the key/value cache (FAKE decoder_with_past_model.onnx)', () => {
  const runtime = testRuntime();
  afterAll(() => runtime.close());

  it('decodes the same tokens as the uncached decoder, running the full decoder only when the prefix is new', async () => {
    const model = await WhisperModel.load(runtime, writeFakeWhisper(tempDir('fake-whisper-past'), { withPast: true }));
    const states = await model.encode(new Float32Array(16_000));
    const stepper = model.stepper(states);
    expect(stepper.cached).toBeDefined();
    const options = { task: 'transcribe' as const, timestamps: true, maxTokens: 50, suppress: model.suppress };
    const cached = await greedyDecode(stepper.next, model.tokenizer, options);
    const plain = await greedyDecode((tokens) => model.nextLogits(tokens, states), model.tokenizer, options);
    expect(cached.tokens).toEqual([FAKE.ts(0.2), 0, 1, FAKE.ts(1), FAKE.ts(1), 7, FAKE.ts(1.6)]);
    expect(cached).toEqual(plain);
    // Language detection ([SOT]) and the prompt are full runs; the 7 generated tokens then 1 step each.
    expect(stepper.cached!.fullRuns).toBe(2);
    expect(stepper.cached!.cachedRuns).toBe(7);
    // The fake's decoder "keys" are the token ids: the cache holds the whole sequence, in order.
    const keys = stepper.cached!.cached('past_key_values.0.decoder.key')!;
    expect(Array.from(keys.data as Float32Array)).toEqual([FAKE.sot, FAKE.fr, FAKE.transcribe, ...cached.tokens]);
    expect(stepper.cached!.cached('past_key_values.0.encoder.key')!.dims).toEqual([1, 1, 1500, 1]);
  });
});

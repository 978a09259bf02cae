/**
 * A FAKE Whisper export for testing the code around the model (tokenizer, greedy decoding with
 * timestamp rules, language detection, windows, the HTTP route): a tiny encoder and a decoder
 * whose logits depend only on the previous token, through a transition table, so that the
 * greedy path is known in advance. It recognises nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attr, OnnxGraphBuilder } from '../../src/models/onnx/graph-builder.js';

export const FAKE_TEXT_PIECES = ['Hello', 'Ġworld', 'Ġfrom', 'Ġthe', 'Ġfake', 'Ġmodel', '.', 'Ġagain', 'Ġbonjour', 'ĠcafÃ©'];
const SPECIAL = ['<|endoftext|>', '<|startoftranscript|>', '<|en|>', '<|fr|>', '<|de|>', '<|translate|>', '<|transcribe|>', '<|nocaptions|>', '<|notimestamps|>'];
/** Timestamps <|0.00|> … <|2.00|>. */
const TIMESTAMPS = Array.from({ length: 101 }, (_, i) => `<|${(i * 0.02).toFixed(2)}|>`);

export const FAKE = {
  eot: 10,
  sot: 11,
  en: 12,
  fr: 13,
  transcribe: 16,
  noTimestamps: 18,
  ts: (seconds: number) => 19 + Math.round(seconds / 0.02),
  vocab: 10 + SPECIAL.length + TIMESTAMPS.length,
};

/** The transition table: row = previous token, column = next token's logit. The greedy path is documented in the test. */
function transitions(): Float32Array {
  const V = FAKE.vocab;
  const t = new Float32Array(V * V);
  const set = (from: number, to: number, v: number) => (t[from * V + to] = v);
  const { ts, eot } = FAKE;
  set(FAKE.sot, FAKE.fr, 5); // language detection: French …
  set(FAKE.sot, FAKE.en, 3); // … rather than English
  set(FAKE.transcribe, ts(1.5), 9); // too late for a first timestamp (> 1 s): suppressed
  set(FAKE.transcribe, ts(0.2), 5); // so the first token is <|0.20|>
  set(FAKE.noTimestamps, 0, 5); // without timestamps: "Hello" straight away …
  set(FAKE.noTimestamps, 8, 6); // … as " bonjour" may not come first (begin_suppress_tokens)
  set(ts(0.2), 0, 5); // "Hello"
  set(0, 1, 5); // " world" …
  set(0, 9, 6); // … as " café" is never generated (suppress_tokens)
  set(1, 6, 3); // "." is the best single token, but the timestamps 1.00–1.20 together outweigh it
  for (let s = 1.0; s <= 1.2001; s += 0.02) set(1, ts(s), 2.5);
  set(ts(1.0), ts(0.5), 6); // going back in time: suppressed
  set(ts(1.0), ts(1.0), 4); // so the segment closes with <|1.00|> and the next opens at <|1.00|>
  set(ts(1.0), eot, 1);
  set(ts(1.0), 7, 2); // then " again" (text, once the pair is closed)
  set(7, ts(1.6), 5); // " again" ends at <|1.60|>
  set(ts(1.6), eot, 5);
  set(6, eot, 5); // "." ends the text
  return t;
}

/** Writes the fake export (Hugging Face layout) into `folder`; with `withPast`, also the cached decoder (optimum's decoder_with_past_model.onnx). */
export function writeFakeWhisper(folder: string, options: { withPast?: boolean } = {}): string {
  mkdirSync(join(folder, 'onnx'), { recursive: true });
  const vocab = Object.fromEntries(FAKE_TEXT_PIECES.map((p, i) => [p, i]));
  const added = [...SPECIAL, ...TIMESTAMPS].map((content, i) => ({ id: 10 + i, content, special: true }));
  writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab, merges: [] }, added_tokens: added }));
  writeFileSync(join(folder, 'generation_config.json'), JSON.stringify({ suppress_tokens: [9], begin_suppress_tokens: [8, FAKE.eot] }));
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'whisper', num_mel_bins: 80, d_model: 1 }));

  const enc = new OnnxGraphBuilder('fake_whisper_encoder');
  const x = enc.input('input_features', 'float32', [1, 80, 3000]);
  const pooled = enc.op('ReduceMean', [enc.op('Reshape', [x, enc.int64s([1, 80, 1500, 2])])], { axes: attr.ints([1, 3]), keepdims: attr.int(0) });
  enc.op('Unsqueeze', [pooled, enc.int64s([2])], {}, 'last_hidden_state');
  enc.output('last_hidden_state', 'float32', [1, 1500, 1]);
  writeFileSync(join(folder, 'onnx', 'encoder_model.onnx'), enc.toBytes());

  const dec = new OnnxGraphBuilder('fake_whisper_decoder');
  const ids = dec.input('input_ids', 'int64', [1, 'sequence']);
  const states = dec.input('encoder_hidden_states', 'float32', [1, 1500, 1]);
  const table = dec.initializer('transitions', 'float32', [FAKE.vocab, FAKE.vocab], transitions());
  const audioTerm = dec.op('Mul', [dec.op('ReduceMean', [states], { keepdims: attr.int(0) }), dec.scalar('float32', 0)]);
  dec.op('Add', [dec.op('Gather', [table, ids]), audioTerm], {}, 'logits');
  dec.output('logits', 'float32', [1, 'sequence', FAKE.vocab]);
  if (options.withPast) {
    // The "keys" and "values" of this fake are the token ids themselves (decoder) and the
    // encoder states (encoder), so a test can read what the cache holds.
    const idKeys = dec.op('Reshape', [dec.op('Cast', [ids], { to: attr.int(1) }), dec.int64s([1, 1, -1, 1])]);
    dec.op('Identity', [idKeys], {}, 'present.0.decoder.key');
    dec.op('Identity', [idKeys], {}, 'present.0.decoder.value');
    const encKeys = dec.op('Reshape', [states, dec.int64s([1, 1, 1500, 1])]);
    dec.op('Identity', [encKeys], {}, 'present.0.encoder.key');
    dec.op('Identity', [encKeys], {}, 'present.0.encoder.value');
    for (const n of ['decoder.key', 'decoder.value']) dec.output(`present.0.${n}`, 'float32', [1, 1, 'sequence', 1]);
    for (const n of ['encoder.key', 'encoder.value']) dec.output(`present.0.${n}`, 'float32', [1, 1, 1500, 1]);

    const past = new OnnxGraphBuilder('fake_whisper_decoder_with_past');
    const id = past.input('input_ids', 'int64', [1, 1]);
    const pastKey = past.input('past_key_values.0.decoder.key', 'float32', [1, 1, 'past', 1]);
    past.input('past_key_values.0.decoder.value', 'float32', [1, 1, 'past', 1]);
    const encKey = past.input('past_key_values.0.encoder.key', 'float32', [1, 1, 1500, 1]);
    past.input('past_key_values.0.encoder.value', 'float32', [1, 1, 1500, 1]);
    const pastTable = past.initializer('transitions', 'float32', [FAKE.vocab, FAKE.vocab], transitions());
    const encTerm = past.op('Mul', [past.op('ReduceMean', [encKey], { keepdims: attr.int(0) }), past.scalar('float32', 0)]);
    past.op('Add', [past.op('Gather', [pastTable, id]), encTerm], {}, 'logits');
    const grown = past.op('Concat', [pastKey, past.op('Reshape', [past.op('Cast', [id], { to: attr.int(1) }), past.int64s([1, 1, 1, 1])])], { axis: attr.int(2) });
    past.op('Identity', [grown], {}, 'present.0.decoder.key');
    past.op('Identity', [grown], {}, 'present.0.decoder.value');
    past.output('logits', 'float32', [1, 1, FAKE.vocab]);
    for (const n of ['decoder.key', 'decoder.value']) past.output(`present.0.${n}`, 'float32', [1, 1, 'total', 1]);
    writeFileSync(join(folder, 'onnx', 'decoder_with_past_model.onnx'), past.toBytes());
  }
  writeFileSync(join(folder, 'onnx', 'decoder_model.onnx'), dec.toBytes());
  return folder;
}

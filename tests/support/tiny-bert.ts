/**
 * A BERT-shaped sentence encoder with random weights, written as a Hugging Face folder
 * (tokenizer.json, tokenizer_config.json, config.json, onnx/model.onnx), and an independent
 * hand-written forward pass over the same weights to check the ONNX path against.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attr, OnnxGraphBuilder } from '../../src/models/onnx/graph-builder.js';

export const TINY_VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  'the', 'quick', 'brown', 'fox', 'jump', '##s', 'over', 'lazy', 'dog', 'hello', 'world',
  'a', 'is', 'cat', 'run', '##ning', '##ing', 'sleep', 'on', 'mat', '.', ',', '!', '?', 'scrooge', 'marley', 'was', 'dead',
];
const H = 16;
const HEADS = 2;
const DH = H / HEADS;
const FFN = 32;
const POSITIONS = 64;
const EPS = 1e-12;

type Matrix = Float32Array; // row-major

interface Weights {
  word: Matrix; pos: Matrix; type: Matrix; lnEg: Matrix; lnEb: Matrix;
  wq: Matrix; bq: Matrix; wk: Matrix; bk: Matrix; wv: Matrix; bv: Matrix; wo: Matrix; bo: Matrix;
  ln1g: Matrix; ln1b: Matrix; w1: Matrix; b1: Matrix; w2: Matrix; b2: Matrix; ln2g: Matrix; ln2b: Matrix;
}

function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export function tinyBertWeights(seed = 7): Weights {
  const rand = seededRandom(seed);
  const m = (n: number, scale = 0.6) => Float32Array.from({ length: n }, () => rand() * scale);
  const around1 = (n: number) => Float32Array.from({ length: n }, () => 1 + rand() * 0.2);
  const V = TINY_VOCAB.length;
  return {
    word: m(V * H, 2), pos: m(POSITIONS * H), type: m(2 * H), lnEg: around1(H), lnEb: m(H, 0.1),
    wq: m(H * H), bq: m(H, 0.1), wk: m(H * H), bk: m(H, 0.1), wv: m(H * H), bv: m(H, 0.1), wo: m(H * H), bo: m(H, 0.1),
    ln1g: around1(H), ln1b: m(H, 0.1), w1: m(H * FFN), b1: m(FFN, 0.1), w2: m(FFN * H), b2: m(H, 0.1), ln2g: around1(H), ln2b: m(H, 0.1),
  };
}

/** Writes the folder; `pooling` adds a sentence-transformers 1_Pooling/config.json. */
export function writeTinyBertFolder(folder: string, weights: Weights, pooling?: 'mean' | 'cls'): void {
  mkdirSync(join(folder, 'onnx'), { recursive: true });
  writeFileSync(join(folder, 'onnx', 'model.onnx'), tinyBertOnnx(weights));
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: H, num_attention_heads: HEADS, num_hidden_layers: 1, intermediate_size: FFN, max_position_embeddings: POSITIONS, vocab_size: TINY_VOCAB.length, pad_token_id: 0 }));
  writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 24, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' }));
  writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify(wordPieceTokenizerJson()));
  if (pooling) {
    mkdirSync(join(folder, '1_Pooling'), { recursive: true });
    writeFileSync(join(folder, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: H, pooling_mode_cls_token: pooling === 'cls', pooling_mode_mean_tokens: pooling === 'mean' }));
  }
}

function wordPieceTokenizerJson() {
  const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: TINY_VOCAB.slice(0, 5).map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])) },
  };
}

/** The encoder as an ONNX graph: embeddings + LayerNorm, one attention block, one FFN block. */
function tinyBertOnnx(w: Weights): Uint8Array {
  const b = new OnnxGraphBuilder('tiny-bert');
  const ids = b.input('input_ids', 'int64', ['batch', 'seq']);
  const mask = b.input('attention_mask', 'int64', ['batch', 'seq']);
  const types = b.input('token_type_ids', 'int64', ['batch', 'seq']);
  const init = (name: string, dims: number[], data: Float32Array) => b.initializer(name, 'float32', dims, data);
  const layerNorm = (x: string, g: Matrix, beta: Matrix, name: string) =>
    b.op('LayerNormalization', [x, init(`${name}.g`, [H], g), init(`${name}.b`, [H], beta)], { axis: attr.int(-1), epsilon: attr.float(EPS) });
  const dense = (x: string, wt: Matrix, bias: Matrix, inDim: number, outDim: number, name: string) =>
    b.op('Add', [b.op('MatMul', [x, init(`${name}.w`, [inDim, outDim], wt)]), init(`${name}.bias`, [outDim], bias)]);

  const seqLen = b.op('Gather', [b.op('Shape', [ids]), b.scalar('int64', 1)], { axis: attr.int(0) });
  const positions = b.op('Range', [b.scalar('int64', 0), seqLen, b.scalar('int64', 1)]);
  const embedded = b.op('Add', [
    b.op('Add', [b.op('Gather', [init('word', [TINY_VOCAB.length, H], w.word), ids]), b.op('Gather', [init('pos', [POSITIONS, H], w.pos), positions])]),
    b.op('Gather', [init('type', [2, H], w.type), types]),
  ]);
  const x = layerNorm(embedded, w.lnEg, w.lnEb, 'ln_emb');
  const heads = (t: string, perm: number[]) => b.op('Transpose', [b.op('Reshape', [t, b.int64s([0, 0, HEADS, DH])])], { perm: attr.ints(perm) });
  const q = heads(dense(x, w.wq, w.bq, H, H, 'q'), [0, 2, 1, 3]);
  const kT = heads(dense(x, w.wk, w.bk, H, H, 'k'), [0, 2, 3, 1]);
  const v = heads(dense(x, w.wv, w.bv, H, H, 'v'), [0, 2, 1, 3]);
  const maskF = b.op('Cast', [mask], { to: attr.int(1) });
  const bias = b.op('Unsqueeze', [b.op('Mul', [b.op('Sub', [b.scalar('float32', 1), maskF]), b.scalar('float32', -10000)]), b.int64s([1, 2])]);
  const scores = b.op('Add', [b.op('Mul', [b.op('MatMul', [q, kT]), b.scalar('float32', 1 / Math.sqrt(DH))]), bias]);
  const context = b.op('MatMul', [b.op('Softmax', [scores], { axis: attr.int(-1) }), v]);
  const merged = b.op('Reshape', [b.op('Transpose', [context], { perm: attr.ints([0, 2, 1, 3]) }), b.int64s([0, 0, H])]);
  const x1 = layerNorm(b.op('Add', [x, dense(merged, w.wo, w.bo, H, H, 'o')]), w.ln1g, w.ln1b, 'ln1');
  const hidden = dense(x1, w.w1, w.b1, H, FFN, 'ffn1');
  const gelu = b.op('Mul', [b.op('Mul', [hidden, b.scalar('float32', 0.5)]), b.op('Add', [b.scalar('float32', 1), b.op('Erf', [b.op('Div', [hidden, b.scalar('float32', Math.SQRT2)])])])]);
  layerNormOutput(b, b.op('Add', [x1, dense(gelu, w.w2, w.b2, FFN, H, 'ffn2')]), init('ln2.g', [H], w.ln2g), init('ln2.b', [H], w.ln2b));
  return b.toBytes();
}

function layerNormOutput(b: OnnxGraphBuilder, x: string, g: string, beta: string): void {
  b.op('LayerNormalization', [x, g, beta], { axis: attr.int(-1), epsilon: attr.float(EPS) }, 'last_hidden_state');
  b.output('last_hidden_state', 'float32', ['batch', 'seq', H]);
}

// ---- the independent reference: plain loops in double precision, one unpadded sequence at a time ----

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

function layerNormRow(row: number[], g: Matrix, beta: Matrix): number[] {
  const mean = row.reduce((a, v) => a + v, 0) / row.length;
  const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / row.length;
  return row.map((v, i) => ((v - mean) / Math.sqrt(variance + EPS)) * g[i]! + beta[i]!);
}

function denseRow(row: number[], wt: Matrix, bias: Matrix, outDim: number): number[] {
  return Array.from({ length: outDim }, (_, o) => row.reduce((a, v, i) => a + v * wt[i * outDim + o]!, bias[o]!));
}

/** Hidden states [tokens][H] of one sequence. */
export function referenceForward(w: Weights, ids: number[]): number[][] {
  const x = ids.map((id, t) => layerNormRow(Array.from({ length: H }, (_, d) => w.word[id * H + d]! + w.pos[t * H + d]! + w.type[d]!), w.lnEg, w.lnEb));
  const q = x.map((r) => denseRow(r, w.wq, w.bq, H));
  const k = x.map((r) => denseRow(r, w.wk, w.bk, H));
  const v = x.map((r) => denseRow(r, w.wv, w.bv, H));
  const context = x.map((_, t) =>
    Array.from({ length: H }, (_, d) => {
      const h = Math.floor(d / DH);
      const scores = k.map((kr) => {
        let s = 0;
        for (let j = h * DH; j < (h + 1) * DH; j++) s += q[t]![j]! * kr[j]!;
        return s / Math.sqrt(DH);
      });
      const max = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - max));
      const z = e.reduce((a, b) => a + b, 0);
      return e.reduce((a, p, u) => a + (p / z) * v[u]![d]!, 0);
    }),
  );
  const x1 = x.map((r, t) => layerNormRow(r.map((val, d) => val + denseRow(context[t]!, w.wo, w.bo, H)[d]!), w.ln1g, w.ln1b));
  return x1.map((r) => {
    const hidden = denseRow(r, w.w1, w.b1, FFN).map((h) => 0.5 * h * (1 + erf(h / Math.SQRT2)));
    const out = denseRow(hidden, w.w2, w.b2, H);
    return layerNormRow(r.map((val, d) => val + out[d]!), w.ln2g, w.ln2b);
  });
}

export function referenceSentenceVector(w: Weights, ids: number[], pooling: 'mean' | 'cls'): number[] {
  const states = referenceForward(w, ids);
  const pooled = pooling === 'cls' ? states[0]! : states[0]!.map((_, d) => states.reduce((a, r) => a + r[d]!, 0) / states.length);
  const norm = Math.sqrt(pooled.reduce((a, v) => a + v * v, 0));
  return pooled.map((v) => v / norm);
}

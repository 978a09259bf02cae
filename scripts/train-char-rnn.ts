/**
 * Trains a character-level language model (one-layer LSTM or GRU) on the corpora texts with
 * TF.js (wasm backend) and truncated back-propagation through time, exports it to ONNX and
 * checks the export against the TF.js forward pass through the service's own runtime.
 *   npm run train:char-lstm      (= tsx scripts/train-char-rnn.ts --cell lstm)
 *   npm run train:char-gru       (= tsx scripts/train-char-rnn.ts --cell gru)
 * Options: --hidden 128 --epochs 4 --batch 16 --steps 48 --lr 0.005 --seed 1 --corpora DIR[,DIR…]
 *
 * Data: every .txt file under the corpora folders (duplicates by content counted once), Project
 * Gutenberg's header and licence removed; the first 90% of the text trains, the last 10% (the
 * end of the book) is the validation text. Validation perplexity
 * (per character) is reported beside a unigram and a bigram model fitted on the training text
 * (add-k smoothing, k chosen on the last tenth of the training text), in
 * models/char-rnn/metrics.json and bench/results/char-rnn.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/core/logger.js';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';
import { charRnnToOnnx, encodeChars, UNKNOWN_CHAR } from '../src/sequence/char-rnn.js';
import type { CellType, CharRnnManifest } from '../src/sequence/char-rnn.js';
import { machine, table, writeResult } from './lib/bench.js';
import { cellStep, forwardSequence, fromTf, initWeights, inputProjection, outputLogits, toTf, zeroState } from './lib/char-rnn-tf.js';
import type { State, TfCharRnn } from './lib/char-rnn-tf.js';
import { tf, useWasmBackend } from './lib/tfjs-reference.js';
import { seededRandom } from '../src/core/random.js';

const { values: args } = parseArgs({
  options: {
    cell: { type: 'string', default: 'lstm' },
    hidden: { type: 'string', default: '128' },
    epochs: { type: 'string', default: '4' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '48' },
    lr: { type: 'string', default: '0.005' },
    seed: { type: 'string', default: '1' },
    corpora: { type: 'string', default: ['corpora', '../shared/corpora'].join(',') },
    out: { type: 'string', default: 'models/char-rnn' },
  },
});
const cell = args.cell as CellType;
if (cell !== 'lstm' && cell !== 'gru') throw new Error(`--cell must be lstm or gru, not ${args.cell}`);
const H = Number(args.hidden);
const EPOCHS = Number(args.epochs);
const B = Number(args.batch);
const T = Number(args.steps);
const LR = Number(args.lr);
const SEED = Number(args.seed);
const NAME = `char-${cell}`;

// ---- data
/** The book between Project Gutenberg's START and END markers (the licence would otherwise be the validation text). */
function withoutGutenbergBoilerplate(text: string): string {
  const start = text.search(/\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG EBOOK[^\n]*\n/);
  const end = text.search(/\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG EBOOK/);
  if (start < 0 || end < 0) return text.replace(/^\uFEFF/, '');
  return text.slice(text.indexOf('\n', start) + 1, end).trim() + '\n';
}
const seen = new Set<string>();
const texts: Array<{ file: string; text: string }> = [];
for (const dir of args.corpora!.split(',').filter((d) => existsSync(d))) {
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    const text = withoutGutenbergBoilerplate(readFileSync(join(dir, f), 'utf8').replace(/\r\n?/g, '\n'));
    const hash = createHash('sha256').update(text).digest('hex');
    if (seen.has(hash)) continue;
    seen.add(hash);
    texts.push({ file: f, text });
  }
}
if (texts.length === 0) throw new Error(`no .txt files under ${args.corpora}`);
const all = texts.map((t) => t.text).join('\n\n');
const cut = Math.floor(all.length * 0.9);
const trainText = all.slice(0, cut);
const validText = all.slice(cut);
const vocab = [UNKNOWN_CHAR, ...[...new Set(trainText)].sort()];
const V = vocab.length;
const trainIds = encodeChars(trainText, vocab);
const validIds = encodeChars(validText, vocab);
console.log(`${texts.map((t) => t.file).join(', ')}: ${trainIds.length} training and ${validIds.length} validation characters, vocabulary ${V}`);

// ---- baselines: unigram and bigram with add-k smoothing, k chosen on the last tenth of the training text
function ngramPerplexity(fit: number[], test: number[], k: number, order: 1 | 2): number {
  const uni = new Float64Array(V);
  const bi = new Float64Array(V * V);
  for (let i = 0; i < fit.length; i++) {
    uni[fit[i]!] = uni[fit[i]!]! + 1;
    if (i > 0) bi[fit[i - 1]! * V + fit[i]!] = bi[fit[i - 1]! * V + fit[i]!]! + 1;
  }
  let nll = 0;
  for (let i = 1; i < test.length; i++) {
    const p = order === 1 ? (uni[test[i]!]! + k) / (fit.length + k * V) : (bi[test[i - 1]! * V + test[i]!]! + k) / (uni[test[i - 1]!]! + k * V);
    nll -= Math.log(p);
  }
  return Math.exp(nll / (test.length - 1));
}
const KS = [0.01, 0.03, 0.1, 0.3, 1];
const tune = Math.floor(trainIds.length * 0.9);
const pickK = (order: 1 | 2) => KS.reduce((best, k) => (ngramPerplexity(trainIds.slice(0, tune), trainIds.slice(tune), k, order) < ngramPerplexity(trainIds.slice(0, tune), trainIds.slice(tune), best, order) ? k : best));
const kUni = pickK(1);
const kBi = pickK(2);
const baselines = { unigram: { perplexity: ngramPerplexity(trainIds, validIds, kUni, 1), k: kUni }, bigram: { perplexity: ngramPerplexity(trainIds, validIds, kBi, 2), k: kBi } };

// ---- training
await useWasmBackend();
const model = toTf(initWeights(cell, V, H, SEED));
const params = [model.wx, model.wh, model.bx, model.bh, model.wy, model.by];
const optimizer = tf.train.adam(LR);

/** B parallel streams over `ids`; batch j holds characters [j·T, (j+1)·T] of each stream (inputs and next-character targets). */
function streams(ids: number[], batch: number) {
  const length = Math.floor((ids.length - 1) / batch);
  return { length, at: (b: number, i: number) => ids[b * length + i]! };
}

/** Mean cross-entropy of next-character prediction over `steps` steps of every stream; the input and output projections of all steps are one product each. */
function lossOver(m: TfCharRnn, s: ReturnType<typeof streams>, start: number, steps: number, state: State, batch: number): { loss: tf.Scalar; state: State } {
  const ids = (shift: number) => tf.tensor1d(Array.from({ length: steps * batch }, (_, k) => s.at(k % batch, start + Math.floor(k / batch) + shift)), 'int32');
  const xgs = tf.split(inputProjection(m, ids(0)), steps, 0) as tf.Tensor2D[];
  const hs: tf.Tensor2D[] = [];
  let st = state;
  for (let t = 0; t < steps; t++) {
    st = cellStep(m, xgs[t]!, st);
    hs.push(st.h);
  }
  const logits = outputLogits(m, tf.concat(hs, 0));
  const loss = tf.losses.softmaxCrossEntropy(tf.cast(tf.oneHot(ids(1), V), 'float32'), logits) as tf.Scalar;
  return { loss, state: st };
}

function validationPerplexity(): number {
  const batch = 16;
  const s = streams(validIds, batch);
  let state = zeroState(model, batch);
  let total = 0;
  let count = 0;
  for (let start = 0; start + 1 < s.length; start += T) {
    const steps = Math.min(T, s.length - 1 - start);
    const next = tf.tidy(() => {
      const r = lossOver(model, s, start, steps, state, batch);
      return { loss: r.loss.dataSync()[0]!, h: tf.keep(r.state.h), c: r.state.c ? tf.keep(r.state.c) : undefined };
    });
    tf.dispose([state.h, state.c].filter((x): x is tf.Tensor2D => !!x));
    state = { h: next.h, c: next.c };
    total += next.loss * steps;
    count += steps;
  }
  tf.dispose([state.h, state.c].filter((x): x is tf.Tensor2D => !!x));
  return Math.exp(total / count);
}

const train = streams(trainIds, B);
const rand = seededRandom(SEED + 1);
const history: Array<{ epoch: number; trainLoss: number; validPerplexity: number; seconds: number }> = [];
const started = Date.now();
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  // Each epoch starts the streams at a random offset so that windows do not always align the same way.
  const offset = Math.floor(rand() * T);
  let state = zeroState(model, B);
  let sum = 0;
  let batches = 0;
  for (let start = offset; start + T + 1 < train.length; start += T) {
    const st = state;
    const result: { loss: number; state: State } = { loss: 0, state: st };
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const r = lossOver(model, train, start, T, st, B);
        result.state = { h: tf.keep(r.state.h), c: r.state.c ? tf.keep(r.state.c) : undefined };
        return r.loss;
      }, params);
      // Clip the gradient's global norm at 5.
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(5), tf.add(norm, 1e-6)));
      optimizer.applyGradients(Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)])));
      result.loss = value.dataSync()[0]!;
    });
    tf.dispose([st.h, st.c].filter((x): x is tf.Tensor2D => !!x));
    state = result.state;
    sum += result.loss;
    batches++;
    if (batches % 20 === 0) process.stdout.write(`\repoch ${epoch} batch ${batches} loss ${(sum / batches).toFixed(3)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  tf.dispose([state.h, state.c].filter((x): x is tf.Tensor2D => !!x));
  const validPerplexity = validationPerplexity();
  history.push({ epoch, trainLoss: sum / batches, validPerplexity, seconds: (Date.now() - started) / 1000 });
  console.log(`\repoch ${epoch}: training loss ${(sum / batches).toFixed(3)}, validation perplexity ${validPerplexity.toFixed(3)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
const seconds = (Date.now() - started) / 1000;

// ---- export and parity check through the service's runtime
const weights = fromTf(model);
mkdirSync(args.out!, { recursive: true });
const onnxPath = join(args.out!, `${NAME}.onnx`);
writeFileSync(onnxPath, charRnnToOnnx(weights, NAME));
const probe = [encodeChars('Marley was dead: to begin with.', vocab), encodeChars('"Bah!" said Scrooge, "Humbug!"  ', vocab)].map((r) => r.slice(0, 30));
const reference = forwardSequence(weights, probe);
const runtime = new OnnxRuntime({ device: 'cpu', intraOpThreads: 1, interOpThreads: 1, concurrencyPerModel: 1, logger: silentLogger });
const session = await runtime.load(NAME, onnxPath);
let h: Float32Array = new Float32Array(2 * H);
let c: Float32Array = new Float32Array(2 * H);
let maxDiff = 0;
for (let t = 0; t < probe[0]!.length; t++) {
  const feeds = { token: { type: 'int64' as const, data: BigInt64Array.from(probe.map((r) => BigInt(r[t]!))), dims: [2] }, h: { type: 'float32' as const, data: h, dims: [2, H] }, ...(cell === 'lstm' ? { c: { type: 'float32' as const, data: c, dims: [2, H] } } : {}) };
  const out = await session.run(feeds);
  const logits = out.logits!.data as Float32Array;
  for (let i = 0; i < logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[i]! - reference.logits[t]![i]!));
  h = out.h_out!.data as Float32Array;
  if (cell === 'lstm') c = out.c_out!.data as Float32Array;
}
await runtime.close();
if (maxDiff > 1e-3) throw new Error(`the ONNX export differs from the TF.js forward pass by ${maxDiff}`);

const metrics = {
  model: NAME,
  cell,
  hidden: H,
  parameters: params.reduce((n, p) => n + p.size, 0),
  vocabulary: V,
  trainCharacters: trainIds.length,
  validationCharacters: validIds.length,
  validationPerplexity: history.at(-1)!.validPerplexity,
  baselines,
  training: { epochs: EPOCHS, batch: B, bpttSteps: T, learningRate: LR, seed: SEED, seconds, runtime: 'TF.js 4.22 wasm backend', history },
  onnxParityMaxAbsDiff: maxDiff,
};
const manifest: CharRnnManifest = { name: NAME, cell, hidden: H, vocab, trainedOn: texts.map((t) => t.file), metrics };
writeFileSync(join(args.out!, `${NAME}.json`), JSON.stringify(manifest) + '\n');
const metricsPath = join(args.out!, 'metrics.json');
const allMetrics = existsSync(metricsPath) ? (JSON.parse(readFileSync(metricsPath, 'utf8')) as Record<string, unknown>) : {};
allMetrics[NAME] = metrics;
writeFileSync(metricsPath, JSON.stringify(allMetrics, null, 2) + '\n');
await writeResult('char-rnn', { machine: machine(), models: allMetrics });
console.log(table([
  { model: 'unigram (add-k)', 'validation perplexity': baselines.unigram.perplexity },
  { model: 'bigram (add-k)', 'validation perplexity': baselines.bigram.perplexity },
  { model: `${NAME} (H=${H})`, 'validation perplexity': metrics.validationPerplexity },
]));
console.log(`training ${seconds.toFixed(0)} s; ONNX export ${onnxPath} matches TF.js within ${maxDiff.toExponential(2)}`);

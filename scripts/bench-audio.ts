/**
 * Audio and sequence throughput: decoding each container to 16 kHz mono, Silero VAD, the
 * Whisper log-mel front end, and character generation with the trained LSTM and GRU.
 *   npm run bench:audio
 * Speeds are real-time factors (seconds of audio handled per second of wall time) or
 * characters per second. Writes bench/results/audio.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAudio } from '../src/audio/decode.js';
import { SileroVad } from '../src/audio/silero-vad.js';
import { logMelSpectrogram } from '../src/audio/whisper/mel.js';
import { silentLogger } from '../src/core/logger.js';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';
import { SequenceService } from '../src/sequence/sequence-service.js';
import { machine, table, writeResult } from './lib/bench.js';

const fixture = (name: string) => readFileSync(join('tests', 'fixtures', 'audio', name));
const limits = { maxBytes: 1e9, maxSeconds: 3600 };
const runtime = new OnnxRuntime({ device: 'cpu', intraOpThreads: 1, interOpThreads: 1, concurrencyPerModel: 1, logger: silentLogger });

async function timed<T>(fn: () => Promise<T> | T, repeat = 3): Promise<{ seconds: number; value: T }> {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    value = await fn();
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return { seconds: best, value };
}

const rows: Array<Record<string, string | number>> = [];
for (const name of ['speech-16k.wav', 'tone-440.flac', 'tone-440.ogg', 'tone-440.mp3']) {
  const { seconds, value } = await timed(() => decodeAudio(fixture(name), limits), 5);
  rows.push({ stage: `decode ${name}`, 'audio s': value.duration, 'wall s': seconds, 'real-time factor': value.duration / seconds });
}

// One minute of speech and silence: the fixture repeated.
const speech = (await decodeAudio(fixture('speech-16k.wav'), limits)).samples;
const minute = new Float32Array(16_000 * 60);
for (let at = 0; at < minute.length; at += speech.length) minute.set(speech.subarray(0, Math.min(speech.length, minute.length - at)), at);
const vad = await SileroVad.load(runtime);
const vadRun = await timed(() => vad.segments(minute), 2);
rows.push({ stage: `Silero VAD (${vadRun.value.length} segments)`, 'audio s': 60, 'wall s': vadRun.seconds, 'real-time factor': 60 / vadRun.seconds });
const mel = await timed(() => logMelSpectrogram(minute.subarray(0, 480_000)), 3);
rows.push({ stage: 'Whisper log-mel (one 30 s window)', 'audio s': 30, 'wall s': mel.seconds, 'real-time factor': 30 / mel.seconds });
console.log(table(rows));

const sequence = new SequenceService(runtime, 'models/char-rnn');
const gen: Array<Record<string, string | number>> = [];
for (const m of sequence.models()) {
  const run = await timed(() => sequence.generate({ model: m.name, prompt: 'Scrooge', maxTokens: 300, temperature: 0.8, topK: 0, seed: 1 }), 3);
  const metrics = m.metrics as { validationPerplexity: number };
  gen.push({ model: m.name, 'chars/s': 300 / run.seconds, 'validation perplexity': metrics.validationPerplexity });
}
console.log(table(gen));
await runtime.close();
const path = await writeResult('audio', { machine: machine(), note: 'one ONNX Runtime thread; taken on a shared, busy 2-core machine', stages: rows, generation: gen });
console.log(`wrote ${path}`);

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { resample } from '../../src/audio/resample.js';

export const SPEECH_TEXT = 'The quick brown fox jumps over the lazy dog.';
/** Seconds of digital silence before and after the speech. */
export const SPEECH_PAD_SECONDS = 1;
export const SPEECH_FIXTURE = join(process.cwd(), 'tests', 'fixtures', 'audio', 'speech-16k.wav');

/** Whether Debian's espeak-ng is installed (`apt-get install espeak-ng`). */
export function hasEspeak(): boolean {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Renders `text` with espeak-ng as 16 kHz mono samples (espeak writes 22.05 kHz). */
export function renderSpeech(text: string): Float32Array {
  const dir = mkdtempSync(join(tmpdir(), 'espeak-'));
  try {
    const file = join(dir, 'speech.wav');
    execFileSync('espeak-ng', ['-w', file, text]);
    const wav = new wavefile.WaveFile(readFileSync(file));
    wav.toBitDepth('32f');
    const samples = wav.getSamples(false, Float32Array) as unknown as Float32Array;
    return resample(samples, (wav.fmt as { sampleRate: number }).sampleRate, 16_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Silence, speech, silence as a 16-bit 16 kHz WAV: rendered now when espeak-ng is installed,
 * otherwise the fixture that the same code wrote (tests/fixtures/audio/speech-16k.wav).
 */
export function speechWav(): { bytes: Uint8Array; speechStart: number; speechEnd: number } {
  let speech: Float32Array;
  if (hasEspeak()) speech = renderSpeech(SPEECH_TEXT);
  else if (existsSync(SPEECH_FIXTURE)) return { bytes: readFileSync(SPEECH_FIXTURE), ...speechBounds(readFileSync(SPEECH_FIXTURE)) };
  else throw new Error(`neither espeak-ng nor ${SPEECH_FIXTURE} is there`);
  const pad = SPEECH_PAD_SECONDS * 16_000;
  const all = new Float32Array(speech.length + 2 * pad);
  all.set(speech, pad);
  const bytes = pcm16Wav(all, 16_000);
  return { bytes, ...speechBounds(bytes) };
}

/** Where the sound is: the first and last sample above 1% of full scale, in seconds. */
function speechBounds(bytes: Uint8Array): { speechStart: number; speechEnd: number } {
  const wav = new wavefile.WaveFile(bytes);
  const s = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  let first = 0;
  let last = s.length - 1;
  while (first < s.length && Math.abs(s[first]!) < 328) first++;
  while (last > 0 && Math.abs(s[last]!) < 328) last--;
  return { speechStart: first / 16_000, speechEnd: last / 16_000 };
}

/** Samples in [-1, 1] as a 16-bit PCM mono WAV file. */
export function pcm16Wav(samples: Float32Array, rate: number, channels = 1): Uint8Array {
  const wav = new wavefile.WaveFile();
  const ints = Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
  wav.fromScratch(channels, rate, '16', ints);
  return wav.toBuffer();
}

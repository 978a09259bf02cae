import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { multipartUpload } from '../support/multipart.js';
import { pcm16Wav, speechWav } from '../support/speech.js';

describe('audio endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ MAX_AUDIO_SECONDS: '30' });
  });
  afterAll(() => t.app.close());

  it('POST /v1/audio/vad finds the speech of an uploaded WAV', async () => {
    const speech = speechWav();
    const res = await t.app.inject({ method: 'POST', url: '/v1/audio/vad', ...multipartUpload({ minSilenceMs: '500' }, { name: 'speech.wav', content: speech.bytes }) });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { segments: Array<{ start: number; end: number; probability: number }>; audio: { format: string; duration: number } };
    expect(body.audio.format).toBe('wav');
    expect(body.segments.length).toBeGreaterThanOrEqual(1);
    expect(Math.abs(body.segments[0]!.start - speech.speechStart)).toBeLessThan(0.3);
    expect(Math.abs(body.segments.at(-1)!.end - speech.speechEnd)).toBeLessThan(0.6);
  });

  it('POST /v1/audio/vad reads FLAC, Ogg Vorbis and MP3 uploads', async () => {
    for (const name of ['tone-440.flac', 'tone-440.ogg', 'tone-440.mp3']) {
      const content = readFileSync(join(process.cwd(), 'tests', 'fixtures', 'audio', name));
      const res = await t.app.inject({ method: 'POST', url: '/v1/audio/vad', ...multipartUpload({}, { name, content }) });
      expect(res.statusCode, name).toBe(200);
      expect(res.json().audio.duration).toBeGreaterThan(0.98);
    }
  });

  it('answers bad uploads with a 4xx that says what is accepted', async () => {
    const cases: Array<[string, Awaited<ReturnType<typeof t.app.inject>>, number, RegExp]> = [
      ['not audio', await t.app.inject({ method: 'POST', url: '/v1/audio/vad', ...multipartUpload({}, { name: 'a.wav', content: Buffer.from('hello there, not a sound') }) }), 415, /accepted: WAV/],
      ['too long', await t.app.inject({ method: 'POST', url: '/v1/audio/vad', ...multipartUpload({}, { name: 'long.wav', content: pcm16Wav(new Float32Array(8000 * 31), 8000) }) }), 413, /at most 30 s \(MAX_AUDIO_SECONDS\)/],
      ['bad field', await t.app.inject({ method: 'POST', url: '/v1/audio/vad', ...multipartUpload({ threshold: '2' }, { name: 'a.wav', content: speechWav().bytes }) }), 400, /field threshold/],
      ['JSON body', await t.app.inject({ method: 'POST', url: '/v1/audio/vad', payload: { file: 'x' } }), 400, /multipart\/form-data/],
    ];
    for (const [what, res, status, message] of cases) {
      expect(res.statusCode, what).toBe(status);
      expect(res.json().message, what).toMatch(message);
    }
  });
});

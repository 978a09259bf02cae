import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, waitForJob } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { multipartUpload } from '../support/multipart.js';
import { writeFakeWhisper } from '../support/fake-whisper.js';
import { tempDir } from '../support/runtime.js';
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

  it('POST /v1/audio/transcribe without a Whisper model is a 503 that says how to provide one', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/audio/transcribe', ...multipartUpload({}, { name: 'speech.wav', content: speechWav().bytes }) });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'model_unavailable' });
    expect(res.json().message).toMatch(/WHISPER_MODEL.*encoder_model\.onnx.*ALLOW_REMOTE_MODELS=true/);
  });
});

describe('POST /v1/audio/transcribe with a FAKE Whisper export (scripted decoder)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ WHISPER_MODEL: writeFakeWhisper(tempDir('fake-whisper')) });
  });
  afterAll(() => t.app.close());

  it('returns timed segments for the speech VAD finds, and can store the transcript as a document', async () => {
    const speech = speechWav();
    const res = await t.app.inject({ method: 'POST', url: '/v1/audio/transcribe', ...multipartUpload({}, { name: 'speech.wav', content: speech.bytes }) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ language: 'fr', text: 'Hello world again', windows: [{ start: 0, speech: true }] });
    expect(body.segments).toEqual([{ start: 0.2, end: 1, text: 'Hello world' }, { start: 1, end: 1.6, text: 'again' }]);
    expect(body.document).toBeUndefined();

    const stored = await t.app.inject({ method: 'POST', url: '/v1/audio/transcribe', ...multipartUpload({ workspace: 'voice', id: 'memo-1', language: 'en' }, { name: 'memo.wav', content: speech.bytes }) });
    expect(stored.statusCode).toBe(201);
    expect(stored.json().document).toMatchObject({ workspace: 'voice', id: 'memo-1', status: 'created' });
    const doc = (await t.app.inject({ method: 'GET', url: '/v1/workspaces/voice/documents/memo-1' })).json();
    expect(doc.text).toBe('Hello world again');
    expect(doc.document).toMatchObject({ title: 'memo.wav', source: 'memo.wav', mime: 'audio/wav' });
    expect(doc.document.metadata.transcript.language).toBe('en');
  });

  it('transcribes as a background job with async=true, storing the document', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/audio/transcribe', ...multipartUpload({ workspace: 'voice', id: 'memo-2', async: 'true' }, { name: 'memo.flac', content: speechWav().bytes }) });
    expect(res.statusCode).toBe(202);
    const job = await waitForJob(t.app, res.json().jobId);
    expect(job).toMatchObject({ kind: 'transcribe', workspace: 'voice', state: 'succeeded', progress: { filesTotal: 1, filesDone: 1, documents: 1 } });
    const doc = (await t.app.inject({ method: 'GET', url: '/v1/workspaces/voice/documents/memo-2' })).json();
    expect(doc.text).toBe('Hello world again');
    const noWorkspace = await t.app.inject({ method: 'POST', url: '/v1/audio/transcribe', ...multipartUpload({ async: 'true' }, { name: 'a.wav', content: speechWav().bytes }) });
    expect(noWorkspace.statusCode).toBe(400);
    expect(noWorkspace.json().message).toMatch(/needs field workspace/);
  });

  it('answers a language the model does not know with a 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/audio/transcribe', ...multipartUpload({ language: 'xx' }, { name: 'speech.wav', content: speechWav().bytes }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/knows: en, fr, de/);
  });
});

describe('POST /v1/audio/transcribe with authentication on', () => {
  const ADMIN = 'admin-key-for-audio-tests-0123456789';
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ WHISPER_MODEL: writeFakeWhisper(tempDir('fake-whisper')), AUTH: 'on', ADMIN_API_KEY: ADMIN });
  });
  afterAll(() => t.app.close());

  it('stores a transcript only in a workspace the key may write to', async () => {
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    const alpha = (await t.app.inject({ method: 'POST', url: '/v1/keys', headers: as(ADMIN), payload: { name: 'alpha', scopes: { alpha: 'write' } } })).json().key as string;
    const upload = (workspace: string) => {
      const body = multipartUpload({ workspace }, { name: 'memo.wav', content: speechWav().bytes });
      return t.app.inject({ method: 'POST', url: '/v1/audio/transcribe', payload: body.payload, headers: { ...body.headers, ...as(alpha) } });
    };
    const denied = await upload('beta');
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toMatch(/no write access to workspace "beta"/);
    expect((await upload('alpha')).statusCode).toBe(201);
    const noKey = await t.app.inject({ method: 'POST', url: '/v1/audio/vad', ...multipartUpload({}, { name: 'memo.wav', content: speechWav().bytes }) });
    expect(noKey.statusCode).toBe(401);
  });
});

describe('WHISPER_MODEL as a hub repository id (ALLOW_REMOTE_MODELS=true), served by a local FAKE hub', () => {
  it('fetches the export once into the model cache (Hugging Face layout) and transcribes with it', async () => {
    const files = writeFakeWhisper(tempDir('fake-hub-repo'), { withPast: true });
    const requested: string[] = [];
    const server = createServer((req, res) => {
      requested.push(req.url!);
      const match = /^\/acme\/whisper-fake\/resolve\/main\/(.+)$/.exec(req.url!);
      const path = match ? join(files, decodeURIComponent(match[1]!)) : '';
      if (!match || !existsSync(path)) return void res.writeHead(404).end();
      res.writeHead(200).end(readFileSync(path));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // testApp keeps the shared model cache (USE-lite is converted there once); the repository lands under hub/acme/.
    const cached = join(process.cwd(), '.cache', 'models', 'hub', 'acme');
    rmSync(cached, { recursive: true, force: true });
    const t = await testApp({ WHISPER_MODEL: 'acme/whisper-fake', ALLOW_REMOTE_MODELS: 'true', HF_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      const res = await t.app.inject({ method: 'POST', url: '/v1/audio/transcribe', ...multipartUpload({}, { name: 'speech.wav', content: speechWav().bytes }) });
      expect(res.statusCode).toBe(200);
      expect(res.json().text).toBe('Hello world again');
      expect(requested.map((u) => u.replace('/acme/whisper-fake/resolve/main/', ''))).toEqual(['config.json', 'generation_config.json', 'tokenizer.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx']);
      expect(existsSync(join(cached, 'whisper-fake', 'onnx', 'decoder_model.onnx'))).toBe(true);
    } finally {
      await t.app.close();
      server.close();
      rmSync(cached, { recursive: true, force: true });
    }
  });
});

/**
 * Upload limits are enforced on the bytes received, over real sockets: a file of exactly the
 * limit is accepted, one byte more is a 413 naming the limit and its setting, and nothing of a
 * refused upload is stored — whatever the sizes of the chunks the bytes arrive in. Uploads come
 * from a client in another process (fetch + FormData), as in the probe that found files over
 * the limit stored cut to it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { exchange, listenOnLoopback, uploadFromAnotherProcess } from '../../scripts/lib/raw-http.js';
import type { UploadJob } from '../../scripts/lib/raw-http.js';
import { tempDir } from '../support/runtime.js';

const FILE_LIMIT = 64 * 1024;
const IMAGE_LIMIT = 40_000;
const AUDIO_LIMIT = 50_000;
/** Sizes around a limit: at and just under it (accepted), then from one byte to half a MiB over it. */
const around = (limit: number) => [limit - 1, limit, limit + 1, limit + 2, limit + 3, limit + 15, limit + 255, limit + 1000, limit + 4095, limit + 4096, limit + 8191, limit + 16_384, limit + 16_385, limit + 32_768, limit + 65_535, limit + 65_536, limit + 65_537, limit + 131_072, limit + 262_144, limit + 524_288];

let t: TestApp;
let url = '';
let port = 0;
beforeAll(async () => {
  t = await testApp({ MAX_FILE_BYTES: String(FILE_LIMIT), MAX_IMAGE_BYTES: String(IMAGE_LIMIT), MAX_AUDIO_BYTES: String(AUDIO_LIMIT) });
  ({ url, port } = await listenOnLoopback(t.app));
});
afterAll(() => t.app.close());

/** Plain text of exactly `size` bytes: one sentence (different for each tag), padded with spaces (cheap to embed). */
function textOf(size: number, tag: string): Buffer {
  const sentence = `Upload ${tag} tells of Scrooge and Marley.`;
  return Buffer.from(sentence + ' '.repeat(size - sentence.length - 1) + '.');
}

let files = '';
let fileNumber = 0;
/** A job for uploadFromAnotherProcess: the bytes go to a file the client process reads. */
function job(path: string, filename: string, bytes: Buffer, fields: Record<string, string> = {}, base = url): UploadJob {
  files ||= tempDir('uploads');
  const file = join(files, String(fileNumber++));
  writeFileSync(file, bytes);
  return { url: `${base}${path}`, file, filename, fields };
}

async function storedDocuments(ws: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/v1/workspaces/${ws}/documents?limit=500`);
  if (res.status === 404) return new Map();
  const { items } = (await res.json()) as { items: Array<{ id: string; charCount: number }> };
  return new Map(items.map((d) => [d.id, d.charCount]));
}

function expectTooLarge(result: { status: number; body: Record<string, unknown> }, limit: number, setting: string, what: string) {
  expect(result.status, `${what}: ${JSON.stringify(result.body).slice(0, 300)}`).toBe(413);
  expect(Object.keys(result.body).sort()).toEqual(['error', 'message', 'requestId']);
  expect(result.body.error).toBe('payload_too_large');
  expect(result.body.message).toContain(`larger than ${limit} bytes`);
  expect(result.body.message).toContain(`(${setting})`);
}

describe('document uploads around MAX_FILE_BYTES (fetch + FormData)', () => {
  it('accepts exactly the files of at most MAX_FILE_BYTES bytes and stores none of the others', async () => {
    const sizes = around(FILE_LIMIT);
    const results = await uploadFromAnotherProcess(sizes.map((size) => job('/v1/workspaces/sizes/documents', `s${size}.txt`, textOf(size, `s${size}`), { id: `s${size}` })));
    expect(results.map((r, i) => `${sizes[i]}: ${r.status}`)).toEqual(sizes.map((size) => `${size}: ${size <= FILE_LIMIT ? 201 : 413}`));
    for (const [i, result] of results.entries()) if (sizes[i]! > FILE_LIMIT) expectTooLarge(result, FILE_LIMIT, 'MAX_FILE_BYTES', `${sizes[i]} bytes`);
    const stored = await storedDocuments('sizes');
    expect(stored).toEqual(new Map(sizes.filter((s) => s <= FILE_LIMIT).map((s) => [`s${s}`, s])));
  });

  it('refuses a file whose bytes arrive in two reads that split exactly at the limit', async () => {
    // The parser used to flag the overflow only after the last chunk within the limit had been
    // handed on, so a file split there was stored cut to MAX_FILE_BYTES.
    for (const extra of [1, 100, 70_000]) {
      const boundary = '----split-at-the-limit';
      const content = textOf(FILE_LIMIT + extra, `split${extra}`);
      const head = `--${boundary}\r\ncontent-disposition: form-data; name="id"\r\n\r\nsplit${extra}\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="split.txt"\r\ncontent-type: text/plain\r\n\r\n`;
      const tail = `\r\n--${boundary}--\r\n`;
      const length = Buffer.byteLength(head) + content.length + tail.length;
      const request = `POST /v1/workspaces/split/documents HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${length}\r\n\r\n`;
      const res = await exchange(port, [request + head, content.subarray(0, FILE_LIMIT), Buffer.concat([content.subarray(FILE_LIMIT), Buffer.from(tail)])], { pauseMs: 150 });
      expectTooLarge({ status: res.status, body: JSON.parse(res.body) }, FILE_LIMIT, 'MAX_FILE_BYTES', `limit + ${extra}`);
    }
    expect(await storedDocuments('split')).toEqual(new Map());
  });
});

/** A valid PNG of exactly `size` bytes: an 8 × 8 image with a tEXt chunk of padding after IHDR. */
async function pngOf(size: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c83' } }).png().toBuffer();
  const afterIhdr = 8 + 25;
  const padding = size - png.length - 12 - 4;
  const data = Buffer.concat([Buffer.from('pad\0'), Buffer.alloc(padding, 0x61)]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const out = Buffer.concat([png.subarray(0, afterIhdr), chunk, png.subarray(afterIhdr)]);
  expect(out.length).toBe(size);
  return out;
}

/** A valid WAV of exactly `size` bytes: 8-bit mono PCM at 8 kHz, silence. */
function wavOf(size: number): Buffer {
  const samples = size - 44;
  const wav = Buffer.alloc(size, 128);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(size - 8, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(8000, 28); // bytes per second
  wav.writeUInt16LE(1, 32); // block align
  wav.writeUInt16LE(8, 34); // bits per sample
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(samples, 40);
  return wav;
}

describe('image and audio uploads around their own limits', () => {
  const sizes = (limit: number) => [limit - 1, limit, limit + 1, limit + 2, limit + 4096, FILE_LIMIT + 1, limit + 65_536, limit + 524_288];

  it('vision: a PNG of at most MAX_IMAGE_BYTES bytes is classified, a larger one is a 413 naming MAX_IMAGE_BYTES', async () => {
    const results = await uploadFromAnotherProcess(await Promise.all(sizes(IMAGE_LIMIT).map(async (size) => job('/v1/vision/classify', 'padded.png', await pngOf(size)))));
    expect(results.map((r, i) => `${sizes(IMAGE_LIMIT)[i]}: ${r.status}`)).toEqual(sizes(IMAGE_LIMIT).map((size) => `${size}: ${size <= IMAGE_LIMIT ? 200 : 413}`));
    for (const [i, result] of results.entries()) if (sizes(IMAGE_LIMIT)[i]! > IMAGE_LIMIT) expectTooLarge(result, IMAGE_LIMIT, 'MAX_IMAGE_BYTES', `${sizes(IMAGE_LIMIT)[i]} bytes`);
  });

  it('audio: a WAV of at most MAX_AUDIO_BYTES bytes is analysed, a larger one is a 413 naming MAX_AUDIO_BYTES', async () => {
    const results = await uploadFromAnotherProcess(sizes(AUDIO_LIMIT).map((size) => job('/v1/audio/vad', 'padded.wav', wavOf(size))));
    expect(results.map((r, i) => `${sizes(AUDIO_LIMIT)[i]}: ${r.status}`)).toEqual(sizes(AUDIO_LIMIT).map((size) => `${size}: ${size <= AUDIO_LIMIT ? 200 : 413}`));
    results.forEach((result, i) => {
      const size = sizes(AUDIO_LIMIT)[i]!;
      if (size <= AUDIO_LIMIT) expect(result.body.audio).toMatchObject({ format: 'wav', duration: (size - 44) / 8000 });
      else expectTooLarge(result, AUDIO_LIMIT, 'MAX_AUDIO_BYTES', `${size} bytes`);
    });
  });

  it('an image or audio limit above MAX_FILE_BYTES is capped by it, and the 413 names MAX_FILE_BYTES', async () => {
    const capped = await testApp({ MAX_FILE_BYTES: String(FILE_LIMIT), MAX_IMAGE_BYTES: String(4 * FILE_LIMIT), MAX_AUDIO_BYTES: String(4 * FILE_LIMIT) });
    try {
      const { url: cappedUrl } = await listenOnLoopback(capped.app);
      const paths = ['/v1/vision/classify', '/v1/audio/vad'];
      const results = await uploadFromAnotherProcess([job(paths[0]!, 'big.png', await pngOf(FILE_LIMIT + 1), {}, cappedUrl), job(paths[1]!, 'big.wav', wavOf(FILE_LIMIT + 1), {}, cappedUrl)]);
      results.forEach((result, i) => expectTooLarge(result, FILE_LIMIT, 'MAX_FILE_BYTES', paths[i]!));
    } finally {
      await capped.app.close();
    }
  });
});

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ACCEPTED_AUDIO } from '../../audio/formats.js';
import { allows } from '../../auth/access.js';
import { ForbiddenError, InvalidInputError } from '../../core/errors.js';
import type { Audio } from '../../audio/decode.js';
import type { Transcript } from '../../audio/whisper/transcriber.js';
import { MAX_DOCUMENT_ID_LENGTH } from '../../ingestion/ingestor.js';
import type { IngestInput } from '../../ingestion/ingestor.js';
import { errors, IngestResultSchema, JobSchema } from '../schemas.js';
import { readUploadedFile, uploadLimit } from '../upload.js';
import type { UploadLimit } from '../upload.js';
import { clientGone } from '../sse.js';

const Segment = z.object({ start: z.number().describe('seconds'), end: z.number().describe('seconds'), probability: z.number() });
const AudioInfo = z.object({ format: z.string(), duration: z.number().describe('seconds'), originalSampleRate: z.number(), channels: z.number() });

const VadFields = z.object({
  threshold: z.coerce.number().gt(0.15).lt(1).optional(),
  minSpeechMs: z.coerce.number().min(0).max(60_000).optional(),
  minSilenceMs: z.coerce.number().min(0).max(60_000).optional(),
  speechPadMs: z.coerce.number().min(0).max(60_000).optional(),
});

const TranscribeFields = z.object({
  language: z.string().regex(/^[a-z]{2,3}$/).optional(),
  task: z.enum(['transcribe', 'translate']).default('transcribe'),
  timestamps: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  workspace: z.string().min(1).optional(),
  id: z.string().min(1).max(MAX_DOCUMENT_ID_LENGTH).optional(),
  title: z.string().max(1000).optional(),
  async: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

const TranscriptSchema = z.object({
  text: z.string(),
  language: z.string(),
  languageProbability: z.number().nullable(),
  segments: z.array(z.object({ start: z.number(), end: z.number(), text: z.string() })),
  windows: z.array(z.object({ start: z.number(), end: z.number(), speech: z.boolean() })),
  audio: AudioInfo,
  document: IngestResultSchema.extend({ workspace: z.string() }).optional(),
});

const ACCEPTS = `send multipart/form-data with the audio in field "file" (${ACCEPTED_AUDIO})`;

/** The uploaded file (field `file`) and the other form fields. */
async function readUpload(request: FastifyRequest, limit: UploadLimit): Promise<{ bytes: Uint8Array; name: string; fields: ReadonlyMap<string, string> }> {
  if (!request.isMultipart()) throw new InvalidInputError(ACCEPTS);
  const file = await readUploadedFile(request, { ...limit, accepts: ACCEPTS });
  return { bytes: file.bytes, name: `"${file.filename}"`, fields: file.fields };
}

/** Parses form fields with a zod schema; a bad value is a 400 naming the field. */
function parseFields<T extends z.ZodType>(schema: T, fields: ReadonlyMap<string, string>): z.infer<T> {
  // Field names are the client's: a prototype-less object, so that no name means anything but itself.
  const parsed = schema.safeParse(Object.assign(Object.create(null) as Record<string, string>, Object.fromEntries(fields)));
  if (!parsed.success) throw new InvalidInputError(parsed.error.issues.map((i) => `field ${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

export async function audioRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { audio, workspaces, ingestor, jobs, config } = app.services;
  const limit = uploadLimit(config, 'MAX_AUDIO_BYTES');

  r.post(
    '/v1/audio/vad',
    {
      schema: {
        tags: ['audio'],
        summary: 'Voice activity: where the speech is in an uploaded recording (Silero VAD)',
        description: `multipart/form-data with the audio in field "file" (${ACCEPTED_AUDIO}); optional fields threshold (0.5), minSpeechMs (250), minSilenceMs (300), speechPadMs (30).`,
        response: { 200: z.object({ segments: z.array(Segment), audio: AudioInfo }), ...errors },
      },
    },
    async (request, reply) => {
      const upload = await readUpload(request, limit);
      const options = parseFields(VadFields, upload.fields);
      const decoded = await audio.decode(upload.bytes, upload.name);
      const segments = await audio.speechSegments(decoded, options, { signal: clientGone(reply), priority: 'interactive' });
      return { segments, audio: { format: decoded.format, duration: decoded.duration, originalSampleRate: decoded.originalSampleRate, channels: decoded.channels } };
    },
  );

  r.post(
    '/v1/audio/transcribe',
    {
      schema: {
        tags: ['audio'],
        summary: 'Speech to text with Whisper (a user-supplied ONNX export); optionally stored as a document',
        description: `multipart/form-data with the audio in field "file" (${ACCEPTED_AUDIO}); optional fields language (a code such as en; detected when absent), task (transcribe | translate), timestamps (true), and workspace (+ id, title) to add the transcript to a workspace as a document; with async=true (and a workspace) the transcription runs as a background job (202, poll GET /v1/jobs/:id). Long audio is cut into ≤ 30 s windows at the silences VAD finds. 503 when no Whisper model is configured (WHISPER_MODEL).`,
        response: { 200: TranscriptSchema, 201: TranscriptSchema, 202: z.object({ jobId: z.string(), job: JobSchema }), ...errors },
      },
    },
    async (request, reply) => {
      const upload = await readUpload(request, limit);
      const fields = parseFields(TranscribeFields, upload.fields);
      if (fields.async && !fields.workspace) throw new InvalidInputError('async=true needs field workspace: the transcript of a background job is stored as a document there');
      // The workspace comes from a multipart field, which the auth hooks do not read: check the key's write access here.
      if (fields.workspace && !allows(request.principal, fields.workspace, 'write')) throw new ForbiddenError(`this API key has no write access to workspace "${fields.workspace}"`);
      await audio.whisperModel(); // a 503 saying how to provide a model comes before any decoding
      const decoded = await audio.decode(upload.bytes, upload.name);
      const options = { language: fields.language, task: fields.task, timestamps: fields.timestamps };
      const filename = upload.name.slice(1, -1);
      if (fields.async) {
        const ws = await workspaces.get(fields.workspace!, { create: true });
        const job = jobs.start('transcribe', ws.name, async (handle) => {
          handle.update((p) => (p.filesTotal = 1));
          const transcript = await audio.transcribe(decoded, options, { signal: handle.signal, priority: 'batch' });
          const [result] = await ingestor.ingestAll(ws, [transcriptDocument(transcript, decoded, filename, fields)], { signal: handle.signal });
          handle.update((p) => Object.assign(p, { filesDone: 1, documents: 1, chunks: result!.chunks }));
        });
        return reply.status(202).send({ jobId: job.id, job });
      }
      const signal = clientGone(reply);
      const transcript = await audio.transcribe(decoded, options, { signal, priority: 'interactive' });
      const info = { format: decoded.format, duration: decoded.duration, originalSampleRate: decoded.originalSampleRate, channels: decoded.channels };
      if (!fields.workspace) return { ...transcript, audio: info };
      const ws = await workspaces.get(fields.workspace, { create: true });
      const [result] = await ingestor.ingestAll(ws, [transcriptDocument(transcript, decoded, filename, fields)], { signal });
      return reply.status(result!.status === 'created' ? 201 : 200).send({ ...transcript, audio: info, document: { ...result!, workspace: ws.name } });
    },
  );
}

/** A transcript as a document: its text, the timed segments in the metadata. */
function transcriptDocument(transcript: Transcript, audio: Audio, filename: string, fields: { id?: string; title?: string }): IngestInput {
  if (!transcript.text) throw new InvalidInputError('no speech was recognised in the upload, so there is no transcript to store as a document');
  return {
    id: fields.id,
    title: fields.title ?? filename,
    text: transcript.text,
    source: filename,
    mime: `audio/${audio.format}`,
    metadata: { transcript: { language: transcript.language, duration: audio.duration, segments: transcript.segments } },
  };
}

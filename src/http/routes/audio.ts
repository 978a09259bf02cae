import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ACCEPTED_AUDIO } from '../../audio/formats.js';
import { InvalidInputError } from '../../core/errors.js';
import { errors } from '../schemas.js';
import { clientGone } from '../sse.js';

const Segment = z.object({ start: z.number().describe('seconds'), end: z.number().describe('seconds'), probability: z.number() });
const AudioInfo = z.object({ format: z.string(), duration: z.number().describe('seconds'), originalSampleRate: z.number(), channels: z.number() });

const VadFields = z.object({
  threshold: z.coerce.number().gt(0.15).lt(1).optional(),
  minSpeechMs: z.coerce.number().min(0).max(60_000).optional(),
  minSilenceMs: z.coerce.number().min(0).max(60_000).optional(),
  speechPadMs: z.coerce.number().min(0).max(60_000).optional(),
});

/** The uploaded file (field `file`) and the other form fields as strings. */
export async function readUpload(request: FastifyRequest): Promise<{ bytes: Uint8Array; name: string; fields: Record<string, string> }> {
  if (!request.isMultipart()) throw new InvalidInputError(`send multipart/form-data with the audio in field "file" (${ACCEPTED_AUDIO})`);
  const file = await request.file();
  if (!file || file.fieldname !== 'file') throw new InvalidInputError(`multipart upload without a file: send the audio in field "file" (${ACCEPTED_AUDIO})`);
  const bytes = await file.toBuffer();
  const fields: Record<string, string> = {};
  for (const [name, f] of Object.entries(file.fields)) {
    if (f && !Array.isArray(f) && f.type === 'field' && typeof f.value === 'string') fields[name] = f.value;
  }
  return { bytes, name: `"${file.filename}"`, fields };
}

/** Parses form fields with a zod schema; a bad value is a 400 naming the field. */
export function parseFields<T extends z.ZodType>(schema: T, fields: Record<string, string>): z.infer<T> {
  const parsed = schema.safeParse(fields);
  if (!parsed.success) throw new InvalidInputError(parsed.error.issues.map((i) => `field ${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

export async function audioRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { audio } = app.services;

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
      const upload = await readUpload(request);
      const options = parseFields(VadFields, upload.fields);
      const decoded = await audio.decode(upload.bytes, upload.name);
      const segments = await audio.speechSegments(decoded, options, { signal: clientGone(reply), priority: 'interactive' });
      return { segments, audio: { format: decoded.format, duration: decoded.duration, originalSampleRate: decoded.originalSampleRate, channels: decoded.channels } };
    },
  );
}

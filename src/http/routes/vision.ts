import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../../core/errors.js';
import { errors } from '../schemas.js';
import { readUploadedFile, uploadLimit } from '../upload.js';
import type { UploadLimit } from '../upload.js';

const ACCEPTS = 'send the image as multipart/form-data in field "file", or as JSON {"image": "<base64>"} (PNG, JPEG or WebP)';
const ImageBody = z.object({ image: z.string().min(1) });
const Render = z.object({ render: z.enum(['json', 'png']).default('json').describe('png: the image annotated with the results') });
const PointSchema = z.object({ x: z.number(), y: z.number() });
const BoxSchema = z.object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number() });

const OcrResponse = z.object({
  width: z.number(),
  height: z.number(),
  text: z.string(),
  lines: z.array(z.object({ text: z.string(), confidence: z.number(), polygon: z.array(PointSchema), box: BoxSchema, detectionScore: z.number(), rotated: z.boolean() })),
});
const DetectResponse = z.object({
  model: z.string(),
  width: z.number(),
  height: z.number(),
  detections: z.array(z.object({ label: z.string(), classId: z.number(), score: z.number(), box: BoxSchema })),
});
const SegmentResponse = z.object({
  model: z.string(),
  width: z.number(),
  height: z.number(),
  coverage: z.number().describe('share of pixels with person probability ≥ threshold'),
  threshold: z.number(),
  mask: z.string().describe('greyscale PNG (base64) at the image size: person probability × 255'),
});
const UpscaleResponse = z.object({
  model: z.string(),
  scale: z.number(),
  width: z.number(),
  height: z.number(),
  tiles: z.number().describe('128-px tiles the image was processed in'),
  image: z.string().describe('the upscaled image, PNG (base64)'),
});
const ClassifyResponse = z.object({ model: z.string(), predictions: z.array(z.object({ label: z.string(), classId: z.number(), score: z.number() })) });
const ModelInfoSchema = z.object({
  id: z.string(),
  task: z.string(),
  source: z.string(),
  licence: z.string(),
  inputShape: z.array(z.union([z.number(), z.string()])),
  description: z.string().optional(),
  state: z.enum(['available', 'loading', 'loaded', 'failed', 'missing']),
  provider: z.string().nullable(),
  error: z.string().nullable(),
});

/** The uploaded image's bytes: multipart field `file`, or base64 (plain or a data: URL) in JSON `image`. */
async function readImage(request: FastifyRequest, limit: UploadLimit): Promise<Buffer> {
  if (request.isMultipart()) return (await readUploadedFile(request, { ...limit, accepts: ACCEPTS })).bytes;
  const parsed = ImageBody.safeParse(request.body);
  if (!parsed.success) throw new InvalidInputError(`body.image is missing or not a string: ${ACCEPTS}`);
  const b64 = parsed.data.image.replace(/^data:image\/[a-z+.-]+;base64,/i, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw new InvalidInputError(`body.image is not base64: ${ACCEPTS}`);
  return Buffer.from(b64, 'base64');
}

/** An annotated image instead of the JSON body (buffers bypass the response serialiser). */
function sendPng(reply: unknown, png: Buffer): FastifyReply {
  return (reply as FastifyReply).type('image/png').send(png);
}

export async function visionRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { vision, config } = app.services;
  const limit = uploadLimit(config, 'MAX_IMAGE_BYTES');

  r.post(
    '/v1/vision/ocr',
    {
      schema: {
        tags: ['vision'],
        summary: 'Text lines in an image (PP-OCRv4: DBNet detection, direction classifier, CRNN + CTC)',
        description: ACCEPTS,
        querystring: Render,
        response: { 200: OcrResponse, ...errors },
      },
    },
    async (request, reply) => {
      const out = await vision.ocr(await readImage(request, limit));
      if (request.query.render === 'png') return sendPng(reply, await vision.renderOcr(out));
      return out.result;
    },
  );

  r.post(
    '/v1/vision/detect',
    {
      schema: {
        tags: ['vision'],
        summary: 'Objects in an image: boxes, labels and scores after NMS',
        description: `${ACCEPTS}. model: a detector id from GET /v1/models (task "detect").`,
        querystring: Render.extend({
          model: z.string().optional(),
          scoreThreshold: z.coerce.number().min(0).max(1).optional(),
          iouThreshold: z.coerce.number().min(0).max(1).optional(),
          maxDetections: z.coerce.number().int().min(1).max(1000).optional(),
        }),
        response: { 200: DetectResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { render, ...options } = request.query;
      const out = await vision.detect(await readImage(request, limit), options);
      if (render === 'png') return sendPng(reply, await vision.renderDetections(out));
      return out.result;
    },
  );

  r.post(
    '/v1/vision/segment',
    {
      schema: {
        tags: ['vision'],
        summary: 'Person segmentation (MediaPipe selfie, converted): mask PNG and coverage',
        description: `${ACCEPTS}. render=png returns the image with the background darkened.`,
        querystring: Render.extend({ threshold: z.coerce.number().min(0).max(1).default(0.5) }),
        response: { 200: SegmentResponse, ...errors },
      },
    },
    async (request, reply) => {
      const out = await vision.segment(await readImage(request, limit), request.query.threshold);
      if (request.query.render === 'png') return sendPng(reply, await vision.renderSegmentation(out));
      return { ...out.result, mask: out.result.mask.toString('base64') };
    },
  );

  r.post(
    '/v1/vision/upscale',
    {
      schema: {
        tags: ['vision'],
        summary: 'Super-resolution ×2 or ×4 (ESRGAN slim, converted), in tiles',
        description: `${ACCEPTS}. render=png returns the upscaled PNG itself.`,
        querystring: Render.extend({ scale: z.coerce.number().pipe(z.union([z.literal(2), z.literal(4)])).default(2).describe('2 or 4') }),
        response: { 200: UpscaleResponse, ...errors },
      },
    },
    async (request, reply) => {
      const out = await vision.upscale(await readImage(request, limit), request.query.scale);
      const png = await vision.encodeUpscaled(out);
      if (request.query.render === 'png') return sendPng(reply, png);
      return { model: out.model, scale: out.scale, width: out.width, height: out.height, tiles: out.tiles, image: png.toString('base64') };
    },
  );

  r.post(
    '/v1/vision/classify',
    {
      schema: {
        tags: ['vision'],
        summary: 'Top-k labels: a user ResNet/MobileNet ONNX (ImageNet preprocessing) or nsfwjs MobileNetV2 (5 classes, converted)',
        description: `${ACCEPTS}. model: a classifier id from GET /v1/models (task "classify").`,
        querystring: Render.extend({ model: z.string().optional(), topK: z.coerce.number().int().min(1).max(1000).default(5) }),
        response: { 200: ClassifyResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { render, ...options } = request.query;
      const out = await vision.classify(await readImage(request, limit), options);
      if (render === 'png') return sendPng(reply, await vision.renderClassification(out));
      return out.result;
    },
  );

  r.get(
    '/v1/models',
    { schema: { tags: ['vision'], summary: 'Every model the service knows: task, source, licence, input shape, execution provider, load state', response: { 200: z.object({ models: z.array(ModelInfoSchema) }) } } },
    async () => ({ models: vision.listModels() }),
  );
}

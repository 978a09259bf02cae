import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError, NotFoundError, PayloadTooLargeError } from '../../core/errors.js';
import { MAX_DOCUMENT_ID_LENGTH } from '../../ingestion/ingestor.js';
import type { IngestInput } from '../../ingestion/ingestor.js';
import { ACCEPTED_EXTENSIONS } from '../../ingestion/loaders/index.js';
import { ChunkSchema, DocumentRecordSchema, errors, IngestResultSchema, WorkspaceParams } from '../schemas.js';
import { clientGone } from '../sse.js';
import { readUploadedFile, uploadLimit } from '../upload.js';

const JsonDocument = z.object({
  id: z.string().min(1).max(MAX_DOCUMENT_ID_LENGTH).optional(),
  title: z.string().max(1000).optional(),
  text: z.string().refine((t) => t.trim().length > 0, 'text must not be empty'),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const PostResponse = z.object({ workspace: z.string(), id: z.string(), chunks: z.number(), status: IngestResultSchema.shape.status, documents: z.array(IngestResultSchema) });
const DocParams = WorkspaceParams.extend({ id: z.string() });

export async function documentRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { workspaces, ingestor, config, metrics, vision } = app.services;

  /** JSON `{id?, title?, text, metadata?}`, or a multipart upload with the file in field `file`. */
  async function readInputs(request: FastifyRequest): Promise<IngestInput[]> {
    if (request.isMultipart()) {
      const file = await readUploadedFile(request, { ...uploadLimit(config, 'MAX_FILE_BYTES'), accepts: `send the document in field "file" (accepted: ${ACCEPTED_EXTENSIONS.join(', ')}), with optional fields id, title, textField` });
      const field = (name: string) => file.fields.get(name) || undefined;
      const docs = await ingestor.load(file.bytes, file.filename, { textField: field('textField') ?? config.JSON_TEXT_FIELD, maxPdfPages: config.MAX_PDF_PAGES, imageText: vision.imageText });
      if (docs.length > config.MAX_UPLOAD_DOCUMENTS) {
        throw new PayloadTooLargeError(`${file.filename} holds ${docs.length} records; one upload may hold at most ${config.MAX_UPLOAD_DOCUMENTS} (MAX_UPLOAD_DOCUMENTS), because it is written in one transaction within the request. Put larger files under CORPORA_DIR and ingest them as a job (POST /v1/workspaces/:ws/ingest)`);
      }
      const id = field('id');
      return docs.map((doc, i) => ({
        ...doc,
        id: docs.length === 1 ? (id ?? doc.id) : `${id ?? file.filename}#${doc.id ?? i}`,
        title: field('title') ?? doc.title ?? file.filename,
        source: file.filename,
      }));
    }
    const parsed = JsonDocument.safeParse(request.body);
    if (!parsed.success) {
      throw new InvalidInputError(
        `${parsed.error.issues.map((i) => `body${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`).join('; ')}. Send JSON {id?, title?, text, metadata?} or a multipart upload (field "file")`,
      );
    }
    return [{ ...parsed.data, mime: 'text/plain' }];
  }

  r.post(
    '/v1/workspaces/:ws/documents',
    {
      schema: {
        tags: ['workspaces'],
        summary: 'Add or replace a document',
        description: `JSON {id?, title?, text, metadata?} or multipart/form-data with the file in field "file" (${ACCEPTED_EXTENSIONS.join(', ')}); optional fields id, title, textField (for JSON/JSONL). Identical content is a no-op; changed content under an existing id replaces the document atomically.`,
        params: WorkspaceParams,
        response: { 200: PostResponse, 201: PostResponse, ...errors },
      },
    },
    async (request, reply) => {
      const inputs = await readInputs(request);
      const ws = await workspaces.get(request.params.ws, { create: true });
      const signal = clientGone(reply);
      const results = await ingestor.ingestAll(ws, inputs, { signal });
      for (const result of results) {
        metrics.ingestDocuments.inc({ workspace: ws.name, status: result.status });
        if (result.status !== 'unchanged') metrics.ingestChunks.inc({ workspace: ws.name }, result.chunks);
      }
      const first = results[0]!;
      return reply.status(results.some((x) => x.status === 'created') ? 201 : 200).send({ workspace: ws.name, id: first.id, chunks: first.chunks, status: first.status, documents: results });
    },
  );

  r.get(
    '/v1/workspaces/:ws/documents',
    {
      schema: {
        tags: ['workspaces'],
        summary: 'List documents, a page at a time',
        params: WorkspaceParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), offset: z.coerce.number().int().min(0).default(0) }),
        response: { 200: z.object({ items: z.array(DocumentRecordSchema), total: z.number(), limit: z.number(), offset: z.number() }), ...errors },
      },
    },
    async (request) => (await workspaces.get(request.params.ws)).docs.listDocuments(request.query.limit, request.query.offset),
  );

  r.get(
    '/v1/workspaces/:ws/documents/:id',
    {
      schema: {
        tags: ['workspaces'],
        summary: 'One document with its text and chunks',
        params: DocParams,
        response: { 200: z.object({ document: DocumentRecordSchema, text: z.string(), chunks: z.array(ChunkSchema) }), ...errors },
      },
    },
    async (request) => {
      const ws = await workspaces.get(request.params.ws);
      const [document, text, chunks] = await Promise.all([ws.docs.getDocument(request.params.id), ws.docs.getDocumentText(request.params.id), ws.docs.chunksOf(request.params.id)]);
      if (!document || text === undefined) throw new NotFoundError(`document "${request.params.id}" does not exist in workspace "${ws.name}"`);
      return { document, text, chunks };
    },
  );

  r.delete(
    '/v1/workspaces/:ws/documents/:id',
    { schema: { tags: ['workspaces'], summary: 'Remove a document with its chunks, vectors and lexical entries', params: DocParams, response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      const ws = await workspaces.get(request.params.ws);
      if (!(await ws.delete(request.params.id))) throw new NotFoundError(`document "${request.params.id}" does not exist in workspace "${ws.name}"`);
      return reply.status(204).send(null);
    },
  );
}

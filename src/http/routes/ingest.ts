import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkGlob, DEFAULT_GLOB, ingestFolder, resolveUnderRoot } from '../../ingestion/folder-ingest.js';
import { errors, JobSchema, WorkspaceParams } from '../schemas.js';
import { openSse } from '../sse.js';

export async function ingestRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { workspaces, ingestor, jobs, config, metrics } = app.services;

  r.post(
    '/v1/workspaces/:ws/ingest',
    {
      schema: {
        tags: ['workspaces'],
        summary: 'Ingest a folder under the corpora root, as a background job',
        params: WorkspaceParams,
        body: z.object({
          path: z.string().min(1).describe('folder relative to CORPORA_DIR'),
          glob: z.string().min(1).max(500).default(DEFAULT_GLOB),
          textField: z.string().min(1).optional().describe('for .json/.jsonl files: the field that holds the text'),
        }),
        response: { 202: z.object({ jobId: z.string(), job: JobSchema }), ...errors },
      },
    },
    async (request, reply) => {
      resolveUnderRoot(config.CORPORA_DIR, request.body.path); // refuse bad paths now, with a 400
      checkGlob(request.body.glob); // and globs that reach outside the folder
      const ws = await workspaces.get(request.params.ws, { create: true });
      const options = {
        root: config.CORPORA_DIR,
        path: request.body.path,
        glob: request.body.glob,
        load: { textField: request.body.textField ?? config.JSON_TEXT_FIELD, maxPdfPages: config.MAX_PDF_PAGES, imageText: app.services.vision.imageText },
        maxFileBytes: config.MAX_FILE_BYTES,
      };
      const job = jobs.start('ingest-folder', ws.name, async (handle) => {
        let seen = { documents: 0, unchanged: 0, chunks: 0 };
        const unsubscribe = jobs.subscribe(handle.job.id, (j) => {
          metrics.ingestDocuments.inc({ workspace: ws.name, status: 'written' }, j.progress.documents - seen.documents);
          metrics.ingestDocuments.inc({ workspace: ws.name, status: 'unchanged' }, j.progress.unchanged - seen.unchanged);
          metrics.ingestChunks.inc({ workspace: ws.name }, j.progress.chunks - seen.chunks);
          seen = { documents: j.progress.documents, unchanged: j.progress.unchanged, chunks: j.progress.chunks };
        });
        try {
          await ingestFolder(ws, ingestor, options, handle);
        } finally {
          unsubscribe();
        }
      });
      return reply.status(202).send({ jobId: job.id, job });
    },
  );

  r.get('/v1/jobs/:id', { config: { access: { kind: 'workspace', scope: 'read', from: 'job' } }, schema: { tags: ['jobs'], summary: 'A job: state and progress', params: z.object({ id: z.string() }), response: { 200: JobSchema, ...errors } } }, async (request) =>
    jobs.lookup(request.params.id),
  );

  r.delete('/v1/jobs/:id', { config: { access: { kind: 'workspace', scope: 'write', from: 'job' } }, schema: { tags: ['jobs'], summary: 'Cancel a job (it stops after the document it is writing)', params: z.object({ id: z.string() }), response: { 202: JobSchema, ...errors } } }, async (request, reply) => {
    return reply.status(202).send(await jobs.cancel(request.params.id));
  });

  r.get(
    '/v1/jobs/:id/events',
    { config: { access: { kind: 'workspace', scope: 'read', from: 'job' } }, schema: { tags: ['jobs'], summary: 'A job\'s progress as server-sent events ("progress" events, then one "done")', params: z.object({ id: z.string() }), response: { ...errors } } },
    async (request, reply) => {
      const job = await jobs.lookup(request.params.id);
      const sse = openSse(request, reply);
      const finish = (j: typeof job) => {
        sse.send('done', j);
        sse.close();
      };
      if (jobs.isFinished(job)) return finish(job);
      sse.send('progress', job);
      const unsubscribe = jobs.watch(job, (j) => (jobs.isFinished(j) ? (unsubscribe(), finish(j)) : sse.send('progress', j)));
      sse.signal.addEventListener('abort', unsubscribe);
    },
  );
}

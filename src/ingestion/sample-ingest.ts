import type { Services } from '../services.js';
import { DEFAULT_WORKSPACE } from '../store/workspaces.js';
import { DEFAULT_GLOB, ingestFolder } from './folder-ingest.js';

/**
 * On start, an empty default workspace gets the sample texts of CORPORA_DIR, as an ordinary
 * ingest job; /ready reports ready once it has finished.
 */
export async function startSampleIngest(services: Services): Promise<void> {
  const { config, readiness, workspaces, jobs } = services;
  if (readiness.sampleIngest !== 'pending') return;
  const ws = await workspaces.get(DEFAULT_WORKSPACE, { create: true });
  if ((await ws.docs.counts()).documents > 0) {
    readiness.sampleIngest = 'skipped';
    return;
  }
  readiness.sampleIngest = 'running';
  const job = jobs.start('sample-ingest', DEFAULT_WORKSPACE, (handle) =>
    ingestFolder(ws, services.ingestor, { root: config.CORPORA_DIR, path: '.', glob: DEFAULT_GLOB, load: { textField: config.JSON_TEXT_FIELD, maxPdfPages: config.MAX_PDF_PAGES, imageText: services.vision.imageText }, maxFileBytes: config.MAX_FILE_BYTES }, handle),
  );
  readiness.sampleJobId = job.id;
  const unsubscribe = jobs.subscribe(job.id, (j) => {
    if (!jobs.isFinished(j)) return;
    readiness.sampleIngest = j.state === 'succeeded' ? 'done' : 'failed';
    services.logger.info({ job: j.id, state: j.state, progress: j.progress }, 'sample ingest finished');
    unsubscribe();
  });
}

/**
 * The folder-ingest job's own confinement, beneath the request-time glob check: whatever the
 * glob walker returns, a file outside the ingest folder is neither read nor named. The walker
 * (tinyglobby) is replaced by one that returns paths outside the folder, as a future walker bug
 * or an unforeseen pattern might.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Ingestor, IngestInput } from '../../src/ingestion/ingestor.js';
import type { JobHandle, JobProgress } from '../../src/jobs/jobs.js';
import type { Workspace } from '../../src/store/workspace.js';
import { tempDir } from '../support/runtime.js';

const walked: { paths: string[] } = { paths: [] };
vi.mock('tinyglobby', () => ({ glob: async () => walked.paths }));
const { ingestFolder } = await import('../../src/ingestion/folder-ingest.js');

describe('ingestFolder confinement', () => {
  it('drops walked paths outside the folder unread and unnamed, and names no absolute path in its errors', async () => {
    const root = realpathSync(tempDir('confine-root'));
    mkdirSync(join(root, 'sub'));
    mkdirSync(join(root, 'other'));
    writeFileSync(join(root, 'sub', 'a.txt'), 'inside text');
    writeFileSync(join(root, 'other', 'o.txt'), 'sibling text');
    const outside = realpathSync(tempDir('confine-outside'));
    writeFileSync(join(outside, 'secret.txt'), 'outside text');
    walked.paths = [join(root, 'sub', 'a.txt'), join(root, 'other', 'o.txt'), `${root}/sub/../other/o.txt`, join(outside, 'secret.txt'), '/etc/hostname', join(root, 'subx', 'o.txt'), join(root, 'sub', 'vanished.txt')];

    const embedded: IngestInput[] = [];
    const ingestor = {
      load: async (bytes: Buffer) => [{ text: bytes.toString('utf8'), title: null, mime: 'text/plain' }],
      embed: async (_ws: Workspace, inputs: IngestInput[]) => (embedded.push(...inputs), { items: [], vectors: [], truncated: new Set<number>() }),
      write: async () => embedded.map((input) => ({ id: input.id!, status: 'created' as const, chunks: 1, truncatedChunks: 0 })),
    } as unknown as Ingestor;
    const progress: JobProgress = { filesTotal: 0, filesDone: 0, documents: 0, unchanged: 0, chunks: 0, errors: [] };
    const handle = { job: {}, signal: new AbortController().signal, update: (change: (p: JobProgress) => void) => change(progress) } as unknown as JobHandle;

    await ingestFolder({} as Workspace, ingestor, { root, path: 'sub', glob: '**/*', load: { textField: 'text', maxPdfPages: 10 }, maxFileBytes: 1 << 20 }, handle);

    expect(embedded.map((i) => [i.id, i.text])).toEqual([['sub/a.txt', 'inside text']]);
    // A file gone between the walk and the read is named by its path under the corpora root, and its error by its code.
    expect(progress).toMatchObject({ filesTotal: 2, filesDone: 2, errors: [{ file: 'sub/vanished.txt', error: 'could not read it (ENOENT)' }] });
  });
});

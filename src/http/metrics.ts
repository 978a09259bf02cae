import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Workspaces } from '../store/workspaces.js';

/** The service's Prometheus metrics, on a registry of its own (so tests can build many apps). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly ingestDocuments = new Counter({ name: 'ingest_documents_total', help: 'Documents ingested, by outcome', labelNames: ['workspace', 'status'], registers: [this.registry] });
  readonly ingestChunks = new Counter({ name: 'ingest_chunks_total', help: 'Chunks written', labelNames: ['workspace'], registers: [this.registry] });
  readonly connectionsRefused = new Counter({ name: 'http_connections_refused_total', help: 'Connections closed on opening: the client address already held MAX_CONNECTIONS_PER_CLIENT', registers: [this.registry] });
  readonly queryDuration = new Histogram({
    name: 'query_duration_seconds',
    help: 'Query latency by mode and phase',
    labelNames: ['mode', 'phase'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor(workspaces: () => Workspaces | undefined) {
    collectDefaultMetrics({ register: this.registry });
    const sizes = (pick: (ws: Awaited<ReturnType<Workspaces['get']>>) => Promise<number>) =>
      async function (this: Gauge) {
        const all = workspaces();
        if (!all) return;
        for (const name of await all.list()) {
          try {
            this.set({ workspace: name }, await pick(await all.get(name)));
          } catch {
            // a workspace that cannot be opened is reported by its own requests
          }
        }
      };
    new Gauge({ name: 'index_vectors', help: 'Live vectors in the vector index', labelNames: ['workspace'], registers: [this.registry], collect: sizes((ws) => ws.vectors.count()) });
    new Gauge({ name: 'index_documents', help: 'Documents stored', labelNames: ['workspace'], registers: [this.registry], collect: sizes(async (ws) => (await ws.docs.counts()).documents) });
    new Gauge({ name: 'index_chunks', help: 'Chunks stored', labelNames: ['workspace'], registers: [this.registry], collect: sizes(async (ws) => (await ws.docs.counts()).chunks) });
  }
}

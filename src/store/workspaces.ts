import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Workspace } from './workspace.js';
import type { WorkspaceParts } from './workspace.js';

export const DEFAULT_WORKSPACE = 'default';
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Where workspaces live; one implementation per storage backend. */
export interface StorageBackend {
  readonly name: string;
  exists(workspace: string): boolean;
  list(): string[];
  /** Opens (creating when `create` is set) the parts of one workspace. */
  open(workspace: string, create: boolean): WorkspaceParts;
}

export function validateWorkspaceName(name: string): string {
  if (!NAME.test(name)) {
    throw new InvalidInputError(`invalid workspace name "${name}": use 1–64 characters of a–z, 0–9, "-" and "_", starting with a letter or digit`);
  }
  return name;
}

/** Opens workspaces on demand, once each, and closes them together. */
export class Workspaces {
  private readonly open = new Map<string, Workspace>();
  private readonly writeListeners: Array<(ws: Workspace) => void> = [];

  /** `embedder` names the model (and dimension) whose vectors the workspaces hold. */
  constructor(
    private readonly backend: StorageBackend,
    private readonly logger: Logger,
    private readonly embedder = 'unspecified',
  ) {
    if (!backend.exists(DEFAULT_WORKSPACE)) this.get(DEFAULT_WORKSPACE, { create: true }); // "default" always exists
  }

  list(): string[] {
    return this.backend.list().sort();
  }

  exists(name: string): boolean {
    return this.open.has(name) || (NAME.test(name) && this.backend.exists(name));
  }

  /** The workspace `name`; unknown names are a 404 unless `create` is set (a write creates it). */
  get(name: string, options: { create?: boolean } = {}): Workspace {
    validateWorkspaceName(name);
    let ws = this.open.get(name);
    if (ws) return ws;
    if (!options.create && !this.backend.exists(name)) {
      throw new NotFoundError(`workspace "${name}" does not exist; create it with POST /v1/workspaces or by writing a document to it`);
    }
    const parts = this.backend.open(name, true);
    const builtWith = parts.docs.getMeta('embedder');
    if (builtWith === undefined) parts.docs.setMeta('embedder', this.embedder);
    else if (builtWith !== this.embedder) {
      parts.docs.close();
      throw new ConflictError(`workspace "${name}" was indexed with embedder ${builtWith}; this service runs ${this.embedder}. Ingest into a new workspace, or start the service with the embedder it was built with`);
    }
    ws = new Workspace(name, parts, this.logger, (changed) => this.writeListeners.forEach((listen) => listen(changed)));
    ws.reconcile();
    this.open.set(name, ws);
    return ws;
  }

  /** Calls `listener` after every write (documents added, replaced or deleted) to any workspace. */
  onWrite(listener: (ws: Workspace) => void): void {
    this.writeListeners.push(listener);
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const ws of all) await ws.close();
  }
}

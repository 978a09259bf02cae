import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Workspace } from './workspace.js';
import type { WorkspaceParts } from './workspace.js';

export const DEFAULT_WORKSPACE = 'default';
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Where workspaces live; one implementation per storage backend. */
export interface StorageBackend {
  readonly name: string;
  exists(workspace: string): Promise<boolean>;
  list(): Promise<string[]>;
  /** Opens (creating when `create` is set) the parts of one workspace. */
  open(workspace: string, create: boolean): Promise<WorkspaceParts>;
  /** Releases what the backend holds beyond its workspaces (a connection pool); optional. */
  close?(): Promise<void>;
}

export function validateWorkspaceName(name: string): string {
  if (!NAME.test(name)) {
    throw new InvalidInputError(`invalid workspace name "${name}": use 1–64 characters of a–z, 0–9, "-" and "_", starting with a letter or digit`);
  }
  return name;
}

/** Opens workspaces on demand, once each, and closes them together. */
export class Workspaces {
  private readonly open = new Map<string, Promise<Workspace>>();
  private readonly writeListeners: Array<(ws: Workspace) => void> = [];

  /** `embedder` names the model (and dimension) whose vectors the workspaces hold. */
  private constructor(
    private readonly backend: StorageBackend,
    private readonly logger: Logger,
    private readonly embedder: string,
  ) {}

  /** The workspaces of `backend`; "default" always exists (it is created here when missing). */
  static async create(backend: StorageBackend, logger: Logger, embedder = 'unspecified'): Promise<Workspaces> {
    const workspaces = new Workspaces(backend, logger, embedder);
    if (!(await backend.exists(DEFAULT_WORKSPACE))) await workspaces.get(DEFAULT_WORKSPACE, { create: true });
    return workspaces;
  }

  async list(): Promise<string[]> {
    return (await this.backend.list()).sort();
  }

  async exists(name: string): Promise<boolean> {
    return this.open.has(name) || (NAME.test(name) && (await this.backend.exists(name)));
  }

  /** The workspace `name`; unknown names are a 404 unless `create` is set (a write creates it). */
  async get(name: string, options: { create?: boolean } = {}): Promise<Workspace> {
    validateWorkspaceName(name);
    const opened = this.open.get(name);
    if (opened) return opened;
    if (!options.create && !(await this.backend.exists(name))) {
      throw new NotFoundError(`workspace "${name}" does not exist; create it with POST /v1/workspaces or by writing a document to it`);
    }
    // Checked again: another request may have started opening it while this one waited.
    const raced = this.open.get(name);
    if (raced) return raced;
    const opening = this.openWorkspace(name);
    this.open.set(name, opening);
    opening.catch(() => this.open.delete(name));
    return opening;
  }

  /** Calls `listener` after every write (documents added, replaced or deleted) to any workspace. */
  onWrite(listener: (ws: Workspace) => void): void {
    this.writeListeners.push(listener);
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled([...this.open.values()]);
    this.open.clear();
    for (const ws of all) if (ws.status === 'fulfilled') await ws.value.close();
    await this.backend.close?.();
  }

  private async openWorkspace(name: string): Promise<Workspace> {
    const parts = await this.backend.open(name, true);
    const builtWith = await parts.docs.getMeta('embedder');
    if (builtWith === undefined) await parts.docs.setMeta('embedder', this.embedder);
    else if (builtWith !== this.embedder) {
      await parts.docs.close();
      throw new ConflictError(`workspace "${name}" was indexed with embedder ${builtWith}; this service runs ${this.embedder}. Ingest into a new workspace, or start the service with the embedder it was built with`);
    }
    const ws = new Workspace(name, parts, this.logger, (changed) => this.writeListeners.forEach((listen) => listen(changed)));
    await ws.reconcile();
    return ws;
  }
}

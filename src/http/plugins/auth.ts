/**
 * Authentication, rate limiting and workspace authorisation for every route.
 *
 * - onRequest: find the caller (an API key from `Authorization: Bearer …` or `x-api-key`,
 *   ADMIN_API_KEY, or everybody when auth is off), then take a token from its rate bucket.
 * - Which access a route needs comes from its `config.access` rule, or by default from its
 *   URL: a route with a `:ws` parameter needs read (GET) or write (anything else) on that
 *   workspace; other routes need any valid key. Rules that read the workspace from the URL or
 *   from a job are checked in onRequest, before a body is read; rules that read it from the
 *   body are checked in preHandler, after validation.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EVERY_WORKSPACE, UNRESTRICTED, allows } from '../../auth/access.js';
import type { Principal, Scope } from '../../auth/access.js';
import { hashKey } from '../../auth/api-key-store.js';
import { ForbiddenError, TooManyRequestsError, UnauthenticatedError } from '../../core/errors.js';
import { RateLimiter } from '../../core/rate-limiter.js';

/** What a route needs from its caller. */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'any-key' }
  | { kind: 'global-admin' }
  | { kind: 'workspace'; scope: Scope; from: WorkspaceSource };

/** Where the workspace is named: the `:ws` parameter, the job `:id` belongs to, or a body field. */
export type WorkspaceSource = 'params' | 'job' | { body: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessRule;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

const NOBODY: Principal = Object.freeze({ id: 'public', scopes: Object.freeze({}) });
const ADMIN_ENV: Principal = Object.freeze({ id: 'admin-env', scopes: Object.freeze({ [EVERY_WORKSPACE]: 'admin' as const }) });

export function accessRule(request: FastifyRequest): AccessRule {
  const configured = request.routeOptions.config?.access;
  if (configured) return configured;
  const url = request.routeOptions.url ?? '';
  if (url.includes(':ws')) return { kind: 'workspace', scope: request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write', from: 'params' };
  return { kind: 'any-key' };
}

const fromBody = (rule: AccessRule) => rule.kind === 'workspace' && typeof rule.from === 'object';

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^bearer\s+/i.test(header)) return header.replace(/^bearer\s+/i, '').trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

export async function registerAuth(app: FastifyInstance, options: { enabled: boolean }): Promise<void> {
  const { apiKeys, config, jobs } = app.services;
  // Rates are per key, so they apply when keys do (a loopback service without auth has one user).
  const limiter = options.enabled && config.RATE_LIMIT_PER_MINUTE > 0 ? new RateLimiter(config.RATE_LIMIT_PER_MINUTE, config.RATE_LIMIT_BURST) : undefined;
  const adminHash = config.ADMIN_API_KEY ? Buffer.from(hashKey(config.ADMIN_API_KEY), 'hex') : undefined;

  const authenticate = (request: FastifyRequest): Principal => {
    if (!options.enabled) return UNRESTRICTED;
    const key = presentedKey(request);
    if (!key) throw new UnauthenticatedError('an API key is required: send "Authorization: Bearer <key>" (or "x-api-key: <key>"); an admin creates keys with POST /v1/keys');
    if (adminHash && timingSafeEqual(Buffer.from(hashKey(key), 'hex'), adminHash)) return ADMIN_ENV;
    const record = apiKeys.verify(key);
    if (!record) throw new UnauthenticatedError('the API key is unknown or revoked');
    return { id: record.id, scopes: record.scopes };
  };

  const workspaceOf = (request: FastifyRequest, from: WorkspaceSource): string | undefined => {
    if (from === 'params') return (request.params as { ws?: string }).ws;
    if (typeof from === 'object') {
      const value = (request.body as Record<string, unknown> | undefined)?.[from.body];
      return typeof value === 'string' ? value : undefined;
    }
    const id = (request.params as { id?: string }).id;
    return id ? jobs.find(id)?.workspace : undefined; // an unknown job is the route's 404
  };

  const authorise = (request: FastifyRequest, rule: AccessRule): void => {
    if (rule.kind === 'public' || rule.kind === 'any-key') return;
    if (rule.kind === 'global-admin') {
      if (!allows(request.principal, EVERY_WORKSPACE, 'admin')) throw new ForbiddenError('this needs an admin key for every workspace ("*": "admin")');
      return;
    }
    const workspace = workspaceOf(request, rule.from);
    if (workspace !== undefined && !allows(request.principal, workspace, rule.scope)) {
      throw new ForbiddenError(`this API key has no ${rule.scope} access to workspace "${workspace}"`);
    }
  };

  app.decorateRequest('principal', null as unknown as Principal); // set by the hook below on every request
  app.addHook('onRequest', async (request) => {
    const rule = accessRule(request);
    if (rule.kind === 'public') {
      request.principal = NOBODY;
      return;
    }
    request.principal = authenticate(request);
    const verdict = limiter?.take(request.principal.id);
    if (verdict && !verdict.ok) {
      throw new TooManyRequestsError(`rate limit of ${limiter!.perMinute} requests a minute (bursts of ${limiter!.burst}) exceeded; retry in ${verdict.retryAfterSeconds} s (RATE_LIMIT_PER_MINUTE)`, verdict.retryAfterSeconds);
    }
    if (!fromBody(rule)) authorise(request, rule);
  });
  app.addHook('preHandler', async (request) => {
    const rule = accessRule(request);
    if (fromBody(rule)) authorise(request, rule);
  });
}

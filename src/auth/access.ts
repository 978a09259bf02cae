/**
 * What an API key may do: a scope per workspace (or "*" for every workspace). Scopes are
 * ordered: admin includes write, write includes read.
 */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Workspace name (or "*") → scope. */
export type ScopeMap = Readonly<Record<string, Scope>>;

export const EVERY_WORKSPACE = '*';

/** Who is calling: a key's grants, or everything when authentication is off. */
export interface Principal {
  /** Key id, "admin-env" for ADMIN_API_KEY, or "anonymous" when auth is off. */
  readonly id: string;
  readonly scopes: ScopeMap;
}

export const UNRESTRICTED: Principal = Object.freeze({ id: 'anonymous', scopes: Object.freeze({ [EVERY_WORKSPACE]: 'admin' as const }) });

const rank = (scope: Scope | undefined) => (scope ? SCOPES.indexOf(scope) : -1);

/** The scope a principal holds on a workspace: the higher of its own grant and the "*" grant. */
export function scopeOn(principal: Principal, workspace: string): Scope | undefined {
  const own = principal.scopes[workspace];
  const every = principal.scopes[EVERY_WORKSPACE];
  return rank(own) >= rank(every) ? own : every;
}

export function allows(principal: Principal, workspace: string, needed: Scope): boolean {
  return rank(scopeOn(principal, workspace)) >= rank(needed);
}

/** Whether `principal` may hand out every grant in `scopes` (it must be admin where it grants). */
export function mayGrant(principal: Principal, scopes: ScopeMap): boolean {
  return Object.keys(scopes).every((workspace) => allows(principal, workspace, 'admin'));
}

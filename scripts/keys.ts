/**
 * API keys from the command line, straight in <DATA_DIR>/auth.sqlite (for the first admin key,
 * before any key exists to call POST /v1/keys with):
 *   npm run keys -- create --name admin --scope "*=admin" [--scope team-a=read]
 *   npm run keys -- list
 *   npm run keys -- revoke <id>
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SCOPES } from '../src/auth/access.js';
import type { Scope } from '../src/auth/access.js';
import { SqliteApiKeyStore } from '../src/auth/sqlite-api-key-store.js';
import { loadConfig } from '../src/config/config.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' }, scope: { type: 'string', multiple: true } } });
const config = loadConfig();
mkdirSync(config.DATA_DIR, { recursive: true });
const store = new SqliteApiKeyStore(join(config.DATA_DIR, 'auth.sqlite'));
const [command, id] = positionals;

function parseScopes(specs: string[]): Record<string, Scope> {
  return Object.fromEntries(
    specs.map((spec) => {
      const [workspace, scope] = spec.split('=');
      if (!workspace || !SCOPES.includes(scope as Scope)) throw new Error(`--scope "${spec}": write WORKSPACE=SCOPE, with SCOPE one of ${SCOPES.join(', ')} and WORKSPACE a name or "*"`);
      return [workspace, scope as Scope];
    }),
  );
}

try {
  if (command === 'create') {
    if (!values.name || !values.scope?.length) throw new Error('create needs --name and at least one --scope WORKSPACE=SCOPE');
    const { key, record } = store.create(values.name, parseScopes(values.scope));
    console.log(JSON.stringify({ ...record, key }, null, 2));
    console.error('The key is shown once; store it now. Send it as "Authorization: Bearer <key>".');
  } else if (command === 'list') {
    console.table(store.list().map((k) => ({ id: k.id, name: k.name, scopes: JSON.stringify(k.scopes), created: k.createdAt, revoked: k.revokedAt ?? '' })));
  } else if (command === 'revoke' && id) {
    if (!store.revoke(id)) throw new Error(`no key with id ${id}`);
    console.log(`revoked ${id}`);
  } else {
    throw new Error('usage: npm run keys -- create --name NAME --scope WORKSPACE=SCOPE … | list | revoke ID');
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 2;
} finally {
  store.close();
}

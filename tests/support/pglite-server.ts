/** The PGlite wire-protocol server lives with the scripts (bench:postgres uses it too). */
export { startPglite } from '../../scripts/lib/pglite-server.js';
export type { PgliteServer } from '../../scripts/lib/pglite-server.js';

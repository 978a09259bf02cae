/** Starts the service: read the configuration, build the app, listen, close gracefully on a signal. */
import { buildApp } from './app.js';
import { loadConfig } from './config/config.js';

const config = loadConfig();
const app = await buildApp(config);
let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests and writes');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  });
}
await app.listen({ port: config.PORT, host: config.HOST });

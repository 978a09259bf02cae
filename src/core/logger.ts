/** The logging surface the service's modules depend on (pino satisfies it). */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** A logger that drops everything, for tools and tests that do not care. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

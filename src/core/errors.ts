/**
 * Typed errors. Every message says what was wrong and what is accepted, so that a 4xx
 * reaching a client (or a start-up failure reaching an operator) can be acted on.
 */
export class AppError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly statusCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The client sent something we cannot accept (400). */
export class InvalidInputError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'invalid_input', 400, options);
  }
}

/** A configuration value is unusable; raised at start-up. */
export class ConfigError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'invalid_config', 500, options);
  }
}

/** A model file is missing, truncated or unreadable; names the file and the fix. */
export class ModelFileError extends AppError {
  constructor(
    readonly file: string,
    problem: string,
    cause?: unknown,
    fix = 'reinstall the package that ships it (`npm ci`), or delete the model cache folder so that it is rebuilt',
  ) {
    super(`Model file ${file}: ${problem}. Fix: ${fix}.`, 'model_file', 500, { cause });
  }
}

/** A graph uses something the TF.js → ONNX converter does not cover yet. */
export class ConversionError extends AppError {
  constructor(message: string) {
    super(message, 'conversion', 500);
  }
}

/** The work was cancelled by its caller (client disconnect, timeout). */
export class AbortedError extends AppError {
  constructor(message = 'the operation was cancelled') {
    super(message, 'aborted', 499);
  }
}

/** The addressed resource does not exist (404). */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super(message, 'not_found', 404);
  }
}

/** The request is well-formed but too large (413). */
export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(message, 'payload_too_large', 413);
  }
}

/** The media type of an upload is not one we read (415). */
export class UnsupportedMediaError extends AppError {
  constructor(message: string) {
    super(message, 'unsupported_media_type', 415);
  }
}

/** The request conflicts with the state of the resource (409). */
export class ConflictError extends AppError {
  constructor(message: string) {
    super(message, 'conflict', 409);
  }
}

/** No API key, or one that is unknown or revoked (401). */
export class UnauthenticatedError extends AppError {
  constructor(message: string) {
    super(message, 'unauthenticated', 401);
  }
}

/** The API key is valid but does not grant this (403). */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(message, 'forbidden', 403);
  }
}

/** Too many requests or jobs; the client may retry after `retryAfterSeconds` (429). */
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, 'too_many_requests', 429);
  }
}

/** A model or generator call took longer than its configured limit (504). */
export class CallTimeoutError extends AppError {
  constructor(message: string) {
    super(message, 'timeout', 504);
  }
}

/** An error as it crosses a thread boundary (structured clone keeps no class). */
export interface SerialisedError {
  name: string;
  message: string;
  code?: string;
  statusCode?: number;
}

export function serialiseError(error: unknown): SerialisedError {
  if (error instanceof AppError) return { name: error.name, message: error.message, code: error.code, statusCode: error.statusCode };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Typed errors by their code, so that an error thrown in a worker is the same class on this side. */
const BY_CODE = new Map<string, (message: string) => AppError>([
  ['invalid_input', (m) => new InvalidInputError(m)],
  ['not_found', (m) => new NotFoundError(m)],
  ['payload_too_large', (m) => new PayloadTooLargeError(m)],
  ['unsupported_media_type', (m) => new UnsupportedMediaError(m)],
  ['aborted', (m) => new AbortedError(m)],
  ['conflict', (m) => new ConflictError(m)],
  ['timeout', (m) => new CallTimeoutError(m)],
]);

export function reviveError(error: SerialisedError): Error {
  if (error.code !== undefined && error.statusCode !== undefined) {
    const revived = BY_CODE.get(error.code)?.(error.message) ?? new AppError(error.message, error.code, error.statusCode);
    return revived;
  }
  const plain = new Error(error.message);
  plain.name = error.name;
  return plain;
}

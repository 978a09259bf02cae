import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, TooManyRequestsError, UnauthenticatedError } from '../core/errors.js';

interface ErrorBody {
  error: string;
  message: string;
  requestId: string;
  details?: unknown;
}

/**
 * One error handler: typed errors and client mistakes answer with their status and a message
 * that says what was wrong and what is accepted; anything else is a 500 whose detail stays in
 * the log (under the request id), never in the response.
 */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const requestId = String(request.id);
  const send = (status: number, body: Omit<ErrorBody, 'requestId'>) => reply.status(status).send({ ...body, requestId });
  if (error instanceof AppError) {
    if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
    if (error instanceof TooManyRequestsError) reply.header('retry-after', String(error.retryAfterSeconds));
    if (error instanceof UnauthenticatedError) reply.header('www-authenticate', 'Bearer realm="api"');
    return send(error.statusCode, { error: error.code, message: error.message });
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) => ({ where: `${error.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')}`, message: v.message }));
    return send(400, { error: 'invalid_input', message: issues.map((i) => `${i.where}: ${i.message}`).join('; '), details: issues });
  }
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return send(499, { error: 'aborted', message: 'the request was cancelled' });
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT': {
      const { MAX_BODY_BYTES, MAX_FILE_BYTES } = request.server.services.config;
      return send(413, { error: 'payload_too_large', message: `${error.message}. Limits: request body ${MAX_BODY_BYTES} bytes (MAX_BODY_BYTES), uploaded file ${MAX_FILE_BYTES} bytes (MAX_FILE_BYTES), one file per request` });
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return send(415, { error: 'unsupported_media_type', message: `${error.message}; send application/json or multipart/form-data` });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return send(status, { error: 'invalid_request', message: error.message });
  request.log.error({ err: error }, 'unhandled error');
  return send(500, { error: 'internal', message: `internal error; quote request id ${requestId} when reporting it` });
}

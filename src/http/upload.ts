/**
 * Reading one uploaded file from a multipart/form-data request, for every route that takes
 * uploads. The byte limit is enforced on the bytes received, counted here: the parser is told
 * to pass one byte more than the limit, so a file over it always shows as over it (the
 * parser's own "truncated" flag can be set after the last chunk has already been handed on).
 * Malformed bodies (no boundary, a body cut short, a missing closing boundary) are 400s.
 */
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Config } from '../config/config.js';
import { AppError, InvalidInputError, PayloadTooLargeError } from '../core/errors.js';

/** Form fields (other than the file) a request may carry, and the longest value of one. */
export const MAX_FORM_FIELDS = 10;
export const MAX_FIELD_BYTES = 64 * 1024;

export interface UploadLimit {
  /** The most bytes the file may have. */
  maxBytes: number;
  /** The setting that imposes the limit, named in the 413. */
  setting: string;
}

export interface UploadOptions extends UploadLimit {
  /** What a client should send, appended to every refusal. */
  accepts: string;
  /** The form field that carries the file. */
  field?: string;
}

export interface UploadedFile {
  bytes: Buffer;
  filename: string;
  mimetype: string;
  /** The other form fields, by name (before or after the file). */
  fields: ReadonlyMap<string, string>;
}

type UploadSetting = 'MAX_FILE_BYTES' | 'MAX_IMAGE_BYTES' | 'MAX_AUDIO_BYTES';

/** The limit of one kind of upload: its own setting, or MAX_FILE_BYTES where that is tighter (every upload is bound by it). */
export function uploadLimit(config: Pick<Config, UploadSetting>, setting: UploadSetting): UploadLimit {
  return config[setting] <= config.MAX_FILE_BYTES ? { maxBytes: config[setting], setting } : { maxBytes: config.MAX_FILE_BYTES, setting: 'MAX_FILE_BYTES' };
}

/**
 * The one file of a multipart upload (in `field`, "file" by default) with the form fields.
 * Throws a PayloadTooLargeError when more than `maxBytes` arrived, an InvalidInputError for a
 * body that is not well-formed multipart or has no file; the rest of a refused body is read and
 * dropped, so the connection stays usable.
 */
export async function readUploadedFile(request: FastifyRequest, options: UploadOptions): Promise<UploadedFile> {
  const field = options.field ?? 'file';
  if (!request.isMultipart()) throw new InvalidInputError(`expected multipart/form-data: ${options.accepts}`);
  if (boundaryOf(request.headers['content-type'] ?? '') === undefined) throw badBoundary(options);
  const fields = new Map<string, string>();
  let file: Omit<UploadedFile, 'fields'> | undefined;
  try {
    const parts = request.parts({ limits: { fileSize: options.maxBytes + 1, files: 1, fields: MAX_FORM_FIELDS, fieldSize: MAX_FIELD_BYTES } });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== field) throw new InvalidInputError(`the upload has a file in field "${part.fieldname}"; send it in field "${field}": ${options.accepts}`);
        file = { bytes: await readCounted(part.file, part.filename, options), filename: part.filename, mimetype: part.mimetype };
        continue;
      }
      if (part.valueTruncated) throw new PayloadTooLargeError(`form field "${part.fieldname}" is longer than ${MAX_FIELD_BYTES} bytes, the most a field may hold`);
      if (fields.has(part.fieldname)) throw new InvalidInputError(`form field "${part.fieldname}" appears more than once; send each field once`);
      fields.set(part.fieldname, typeof part.value === 'string' ? part.value : JSON.stringify(part.value));
    }
  } catch (error) {
    // Stop parsing and let the rest of the body drain, so that the answer can go out on a usable connection.
    request.raw.unpipe();
    request.raw.resume();
    throw multipartError(error, field, options);
  }
  if (!file) throw new InvalidInputError(`multipart upload without a file: ${options.accepts}`);
  return { ...file, fields };
}

/**
 * The boundary parameter of a multipart content type, or undefined where it is missing, empty,
 * an unterminated quoted string, or longer than the 70 characters RFC 2046 allows.
 */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^\s;"]*))\s*(?:;|$)/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary && boundary.length <= 70 ? boundary : undefined;
}

function badBoundary(options: UploadOptions): InvalidInputError {
  return new InvalidInputError(`content-type multipart/form-data needs a boundary parameter of 1–70 characters (e.g. "multipart/form-data; boundary=----x"), which the body then uses; this one is missing, empty, unterminated or too long: ${options.accepts}`);
}

/** The file's bytes, counted as they arrive; more than the limit is a 413 at once. */
async function readCounted(stream: Readable & { truncated?: boolean }, filename: string, options: UploadOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > options.maxBytes) throw tooLarge(filename, options);
    chunks.push(chunk);
  }
  if (stream.truncated) throw tooLarge(filename, options);
  return Buffer.concat(chunks, total);
}

function tooLarge(filename: string, options: UploadOptions): PayloadTooLargeError {
  return new PayloadTooLargeError(`the uploaded file "${filename}" is larger than ${options.maxBytes} bytes, the most accepted (${options.setting}): ${options.accepts}`);
}

/** What the multipart parser's failures mean to the client: a limit (413) or a malformed body (400). */
function multipartError(error: unknown, field: string, options: UploadOptions): AppError {
  if (error instanceof AppError) return error;
  const { code, message = String(error) } = (error ?? {}) as { code?: string; message?: string };
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PayloadTooLargeError(`the uploaded file is larger than ${options.maxBytes} bytes, the most accepted (${options.setting}): ${options.accepts}`);
    case 'FST_FILES_LIMIT':
      return new PayloadTooLargeError(`the upload holds more than one file; send exactly one, in field "${field}"`);
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new PayloadTooLargeError(`the upload holds more than ${MAX_FORM_FIELDS} form fields besides the file; send only the fields the route documents`);
    case 'FST_PROTO_VIOLATION':
      return new InvalidInputError(`a form field is named after a property of Object.prototype (such as "__proto__" or "constructor"); use the field names the route documents: ${options.accepts}`);
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new InvalidInputError('a form field declared as application/json is not valid JSON; send plain text fields');
    case 'FST_MP_PREMATURE_CLOSE':
      return new InvalidInputError(`the connection closed before the multipart body was complete: ${options.accepts}`);
  }
  if (/boundary|needle/i.test(message)) return badBoundary(options);
  if (/unexpected end|terminated early/i.test(message)) {
    return new InvalidInputError(`the multipart body ended before its closing boundary ("--" + boundary + "--"): the body was cut short or is not multipart/form-data; ${options.accepts}`);
  }
  return new InvalidInputError(`the multipart/form-data body cannot be read (${message}): ${options.accepts}`, { cause: error });
}

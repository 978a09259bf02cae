import { createHash } from 'node:crypto';

export function sha256Hex(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/** A document's id when the client gives none: a hash of its text, so re-posting it is harmless. */
export function contentId(text: string): string {
  return sha256Hex(text).slice(0, 32);
}

import { InvalidInputError } from '../../core/errors.js';
import { decodeUtf8 } from './text.js';
import type { LoadedDocument, Loader } from './types.js';

function toDocument(record: unknown, where: string, textField: string): LoadedDocument {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new InvalidInputError(`${where} is not a JSON object`);
  const r = record as Record<string, unknown>;
  const text = r[textField];
  if (typeof text !== 'string') throw new InvalidInputError(`${where} has no string field "${textField}" (set the text field with the textField option)`);
  const { [textField]: _, id, title, ...rest } = r;
  return {
    text: text.replace(/\r\n?/g, '\n'),
    title: typeof title === 'string' ? title : null,
    id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined,
    metadata: rest,
    mime: 'application/json',
  };
}

/** A JSON object, or an array of objects; each becomes a document. */
export const loadJson: Loader = async (bytes, fileName, options) => {
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8(bytes, fileName));
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(`${fileName} is not valid JSON: ${(error as Error).message}`);
  }
  const records = Array.isArray(value) ? value : [value];
  return atLeastOne(records.map((r, i) => toDocument(r, `${fileName} record ${i}`, options.textField)), fileName);
};

function atLeastOne(docs: LoadedDocument[], fileName: string): LoadedDocument[] {
  if (docs.length === 0) throw new InvalidInputError(`${fileName} holds no records: send a JSON object, an array of objects, or one object per line`);
  return docs;
}

/** One JSON object per line; blank lines are skipped. */
export const loadJsonLines: Loader = async (bytes, fileName, options) => {
  const docs = decodeUtf8(bytes, fileName)
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, n }) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new InvalidInputError(`${fileName} line ${n} is not valid JSON: ${(error as Error).message}`);
      }
      return { ...toDocument(value, `${fileName} line ${n}`, options.textField), mime: 'application/jsonl' };
    });
  return atLeastOne(docs, fileName);
};

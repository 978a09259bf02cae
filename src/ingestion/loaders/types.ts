import type { Section } from '../chunker.js';

/** One document read from an upload or a file, before chunking. */
export interface LoadedDocument {
  text: string;
  title: string | null;
  /** Parts chunks never cross (PDF pages); one section spanning the text when absent. */
  sections?: Section[];
  /** An id the file itself gives the record (JSON/JSONL), if any. */
  id?: string;
  metadata?: Record<string, unknown>;
  mime: string;
  /** Why this record, though read, cannot be ingested (its metadata is past a limit): it is refused at the door. */
  refused?: string;
}

export interface LoadOptions {
  /** For .json/.jsonl: the field holding a record's text. */
  textField: string;
  maxPdfPages: number;
  /** For images (.png/.jpg/.jpeg/.webp): reads the text in an image (OCR); images are refused without it. */
  imageText?: (bytes: Uint8Array) => Promise<string>;
}

/** Reads one file's bytes into documents. Throws InvalidInputError for malformed input. */
export type Loader = (bytes: Buffer, fileName: string, options: LoadOptions) => Promise<LoadedDocument[]>;

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFileError } from '../../core/errors.js';

/** GPT-2's byte ↔ printable-character table, as byte-level BPE vocabularies use it. */
function unicodeToByte(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [String.fromCharCode(cs[i]!), b]));
}

const BYTE_OF = unicodeToByte();

interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens?: Array<{ id: number; content: string }>;
}

/**
 * The parts of a Whisper tokenizer (Hugging Face `tokenizer.json`) that decoding needs: the
 * special tokens of the prompt, the language tokens, the timestamp range, and ids → text.
 */
export class WhisperTokenizer {
  readonly eot: number;
  readonly sot: number;
  readonly transcribe: number;
  readonly translate: number;
  readonly noTimestamps: number;
  /** Ids from here up are timestamps, 0.02 s apart, starting at 0.00. */
  readonly timestampBegin: number;
  /** Language code (en, fr, …) → token id. */
  readonly languages: ReadonlyMap<string, number>;
  private readonly pieces = new Map<number, string>();
  private readonly special = new Set<number>();

  constructor(json: TokenizerJson, file = 'tokenizer.json') {
    for (const [piece, id] of Object.entries(json.model.vocab)) this.pieces.set(id, piece);
    const added = new Map<string, number>();
    for (const t of json.added_tokens ?? []) {
      added.set(t.content, t.id);
      this.special.add(t.id);
    }
    const need = (content: string) => {
      const id = added.get(content) ?? json.model.vocab[content];
      if (id === undefined) throw new ModelFileError(file, `it has no ${content} token, so it is not a Whisper tokenizer`, undefined, 'use the tokenizer.json of a Whisper export');
      this.special.add(id);
      return id;
    };
    this.eot = need('<|endoftext|>');
    this.sot = need('<|startoftranscript|>');
    this.transcribe = need('<|transcribe|>');
    this.translate = need('<|translate|>');
    this.noTimestamps = need('<|notimestamps|>');
    this.timestampBegin = added.get('<|0.00|>') ?? this.noTimestamps + 1;
    this.languages = new Map([...added].filter(([c, id]) => /^<\|[a-z]{2,3}\|>$/.test(c) && id > this.sot && id < this.translate).map(([c, id]) => [c.slice(2, -2), id]));
  }

  static fromFolder(folder: string): WhisperTokenizer {
    const file = join(folder, 'tokenizer.json');
    if (!existsSync(file)) throw new ModelFileError(file, 'it does not exist', undefined, 'a Whisper folder needs tokenizer.json beside its ONNX files');
    return new WhisperTokenizer(JSON.parse(readFileSync(file, 'utf8')) as TokenizerJson, file);
  }

  isTimestamp(id: number): boolean {
    return id >= this.timestampBegin;
  }

  /** Seconds of a timestamp token. */
  timeOf(id: number): number {
    return Math.round((id - this.timestampBegin) * 2) / 100;
  }

  /** The text of `ids`, special tokens and timestamps left out. */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (this.special.has(id) || this.isTimestamp(id)) continue;
      for (const ch of this.pieces.get(id) ?? '') {
        const b = BYTE_OF.get(ch);
        if (b !== undefined) bytes.push(b);
      }
    }
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }
}

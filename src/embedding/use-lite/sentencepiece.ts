/**
 * SentencePiece unigram tokenisation for Universal Sentence Encoder lite: text → piece ids
 * by a Viterbi search over the vocabulary's log-probabilities.
 *
 * It reproduces the tokenisation the model was published with (the `@energetic-ai/embeddings`
 * package), including its tie-breaking: among equal-scoring segmentations the one whose
 * last piece is shorter wins, and a character no piece covers becomes the unknown id 0,
 * with consecutive unknowns collapsed into one.
 */
const WORD_START = '\u2581';
const RESERVED_IDS = 6; // <unk>, <s>, </s> and three extra ids are never produced by matching
export const UNKNOWN_ID = 0;

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Set where a piece ends. */
  piece?: { id: number; score: number; length: number };
}

export type Vocabulary = ReadonlyArray<readonly [piece: string, score: number]>;

export class SentencePieceTokenizer {
  private readonly root: TrieNode = { children: new Map() };
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
    const symbols = [...normalise(text)];
    if (symbols.length === 0) return [this.wordStartId];
    const n = symbols.length;
    const best = new Float64Array(n + 1); // 0 doubles as "not reached yet", as in the reference
    const lastId = new Int32Array(n + 1);
    const lastLength = new Int32Array(n + 1);
    for (let start = 0; start < n; start++) {
      const base = best[start]!;
      let matched = false;
      let node: TrieNode | undefined = this.root;
      for (let end = start; end < n && node; end++) {
        node = node.children.get(symbols[end]!);
        if (node?.piece) {
          matched = true;
          relax(end + 1, node.piece.id, node.piece.length, node.piece.score + base);
        }
      }
      if (!matched) relax(start + 1, UNKNOWN_ID, 1, base);
    }
    function relax(end: number, id: number, length: number, score: number): void {
      if (best[end] === 0 || score >= best[end]!) {
        best[end] = score;
        lastId[end] = id;
        lastLength[end] = length;
      }
    }
    const reversed: number[] = [];
    for (let pos = n; pos > 0; pos -= lastLength[pos]!) reversed.push(lastId[pos]!);
    const ids: number[] = [];
    for (let i = reversed.length - 1; i >= 0; i--) {
      const id = reversed[i]!;
      if (id === UNKNOWN_ID && ids[ids.length - 1] === UNKNOWN_ID) continue;
      ids.push(id);
    }
    return ids;
  }

  private insert(piece: string, id: number, score: number): void {
    let node = this.root;
    const chars = [...piece];
    for (const ch of chars) {
      let next = node.children.get(ch);
      if (!next) {
        next = { children: new Map() };
        node.children.set(ch, next);
      }
      node = next;
    }
    node.piece = { id, score, length: chars.length };
  }
}

/** NFKC, then a word-start mark before the text and in place of every space. */
function normalise(text: string): string {
  const normalised = text.normalize('NFKC');
  return normalised.length > 0 ? WORD_START + normalised.replaceAll(' ', WORD_START) : '';
}

/**
 * How an embedder's token counting is rebuilt in another thread: chunk sizes are measured in
 * the embedder's own tokens, and chunking runs in a CPU worker, which cannot share the
 * embedder's tokenizer object, only a recipe for loading the same one.
 */
import { loadTokenizer } from './hf-onnx/hf-onnx-embedder.js';
import { readVocabulary, SentencePieceTokenizer } from './use-lite/sentencepiece.js';

export type TokenCounterRecipe = { kind: 'sentencepiece'; vocabPath: string } | { kind: 'hf-tokenizer'; folder: string };

export async function loadTokenCounter(recipe: TokenCounterRecipe): Promise<(text: string) => number> {
  switch (recipe.kind) {
    case 'sentencepiece': {
      const tokenizer = new SentencePieceTokenizer(await readVocabulary(recipe.vocabPath));
      return (text) => tokenizer.encode(text).length;
    }
    case 'hf-tokenizer': {
      const tokenizer = await loadTokenizer(recipe.folder);
      return (text) => tokenizer.encode(text).length;
    }
  }
}

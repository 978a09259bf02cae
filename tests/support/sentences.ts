/**
 * Varied sentences for tokenizer and model parity: HotpotQA passages (many longer than the
 * encoder's 128-token window) and questions, plus hand-written edge cases — punctuation,
 * digits, whitespace, accents, CJK, Cyrillic, Arabic, emoji and text NFKC changes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dataDir = fileURLToPath(new URL('../../eval/data/hotpotqa-100/', import.meta.url));

function jsonl<T>(file: string): T[] {
  return readFileSync(dataDir + file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

const EDGE_CASES = [
  'Hi',
  'a',
  '?',
  '...',
  '!!!???',
  '   leading and trailing spaces   ',
  'tabs\tand\nnewlines\r\ninside',
  'multiple    spaces   between words',
  'Phone: +1 (555) 010-9999, ext. 42.',
  '3.14159 2.71828 1,000,000 1e-9 0x1F 007',
  'In 1843, Dickens wrote A Christmas Carol; it sold 6,000 copies by Christmas Eve.',
  'Email someone@example.org or visit https://example.org/a/b?c=d&e=f#g',
  '"Quoted," she said — with an em dash – and an en dash.',
  "It's the users' choice: don't, won't, can't.",
  'Café, naïve, façade, jalapeño, Zürich, Ærøskøbing, Łódź.',
  'Straße and STRASSE are not the same token.',
  '東京は日本の首都です。',
  '北京欢迎你',
  'Москва — столица России.',
  'العربية لغة جميلة',
  'עברית משמאל לימין',
  'Ελληνικά γράμματα: α β γ δ',
  'हिन्दी भाषा',
  '😀 emoji 🎉🎉 in text 👍',
  '🤖🤖🤖',
  'Full-width ＡＢＣ１２３ and ligature ﬁ and ① and ㎏ change under NFKC.',
  'Math: ∑ x² ≤ ∞, ∀ε>0 ∃δ.',
  'Brackets [a] {b} (c) <d> and symbols @#$%^&*_+=|\\/~`',
  'ALL CAPS SENTENCE WITH SHOUTING',
  'mIxEd CaSe WoRdS',
  'word-with-hyphens and under_scores and dots.in.names',
  'Supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis',
  'x'.repeat(300),
  'the '.repeat(200).trim(),
  Array.from({ length: 60 }, (_, i) => `item${i}`).join(', '),
];

/** At least 200 sentences, deterministic. */
export function parityTexts(): string[] {
  const passages = jsonl<{ text: string }>('corpus.jsonl').map((p) => p.text);
  const questions = jsonl<{ question: string }>('questions.jsonl').map((q) => q.question);
  const picked = passages.filter((_, i) => i % 10 === 0).slice(0, 90);
  return [...EDGE_CASES, ...questions.slice(0, 80), ...picked];
}

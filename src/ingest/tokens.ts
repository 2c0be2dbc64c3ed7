/**
 * A tokenizer-free estimate of how many tokens an embedding model's WordPiece/BPE tokenizer makes
 * of a text. The chunker sizes chunks with it, in the ingest worker, before any model is loaded
 * (documents are chunked the moment they are dropped, while the model may still be downloading).
 *
 * Rule: every run of letters/digits counts ceil(length / 6) tokens (WordPiece splits long and rare
 * words into pieces of about that size; common short words are one token), every other visible
 * character one token, and every CJK / kana / Hangul character one token. English prose comes out
 * at about 1.2–1.4 tokens per word, the usual ratio for BERT-style vocabularies; it errs on the
 * high side for long common words. The default chunk size (384) plus its context (document label
 * and heading path, at most about 80 more; see context.ts) stays under the 512-token input limit of the default embedding
 * models unless the estimate misses by more than a fifth; beyond the limit the tokenizer cuts the
 * text, so only the chunk's tail goes unseen by meaning search (keyword search sees all of it).
 */

const PIECE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

export function estimateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(PIECE)) {
    const s = m[0];
    if (s.length === 1 || CJK.test(s)) n += 1;
    else n += /[\p{L}\p{N}]/u.test(s) ? Math.ceil(s.length / 6) : 1;
  }
  return n;
}

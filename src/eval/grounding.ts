/**
 * Grounding of a grounded answer: each sentence marked supported or unsupported by the passages the
 * model was given, and citations that point to a passage which does not support their sentence.
 * Shared by the Evaluate view's scores and the Ask view's per-sentence marks. DOM-free and pure:
 * the caller embeds the sentences and passages (with the library's embedding model) and hands the
 * vectors in, so tests can use vectors whose similarity is known by construction.
 *
 * A sentence is **supported** when either
 * - its embedding's cosine similarity with some passage's is at least SUPPORT_SIMILARITY, or
 * - it cites a passage that holds at least KEY_TERM_SHARE of the sentence's content words (stemmed,
 *   stop words and the question's words left out), so a cited, reworded fact still counts.
 * A **citation without support** is a cited passage that meets neither test for its sentence, or a
 * citation of a passage the prompt did not have.
 * Sentences with fewer than MIN_SENTENCE_TERMS content words ("Yes.", "In short:") are not judged.
 */

import { analyze } from '../index/analyze';
import { parseCitations } from '../generate/citations';
import { KEY_TERM_SHARE } from './answers';

/**
 * Cosine similarity at or above which a passage supports a sentence. Range -1..1; default 0.6,
 * a middle value for sentence-embedding models of the bge/MiniLM family, where paraphrases of one
 * fact score ~0.7–0.9 and sentences on the same topic but another fact ~0.4–0.6. Models differ:
 * the Evaluate view shows the threshold next to the scores.
 */
export const SUPPORT_SIMILARITY = 0.6;

/** Content words below which a sentence is too short to judge. Range 1..10; default 2. */
export const MIN_SENTENCE_TERMS = 2;

export interface SentenceMark {
  text: string;
  /** Null: too short to judge. */
  supported: boolean | null;
  /** The passage (1-based) that supports it best, by similarity or by a cited passage's words. */
  by: number | null;
  /** Best cosine similarity with any passage. */
  similarity: number;
  /** Passages it cites (1-based) that do not support it. */
  unsupportedCitations: number[];
}

export interface Grounding {
  sentences: SentenceMark[];
  /** Null when no sentence could be judged (all too short): no evidence either way, kept out of means. */
  supportedShare: number | null;
  citations: number;
  unsupportedCitations: number;
  /** The similarity threshold it was judged with (SUPPORT_SIMILARITY then), shown beside the marks. */
  threshold: number;
}

/** The sentences of an answer, in order (a citation marker stays with the sentence it ends). */
export function sentencesOf(answer: string): string[] {
  return answer
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=[.!?](?:\s*\[[\d,\s–-]+\])*)\s+(?=[\p{Lu}\p{N}"“(])/u)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * Marks each sentence. `sentenceVectors[i]` embeds `sentences[i]` (as `sentencesOf` returned them),
 * `passageVectors[j]` embeds `passages[j]`, passage j being cited as [j + 1].
 */
export function groundAnswer(
  sentences: readonly string[],
  sentenceVectors: readonly Float32Array[],
  passages: readonly string[],
  passageVectors: readonly Float32Array[],
  question = '',
): Grounding {
  const asked = new Set(analyze(question));
  const passageTerms = passages.map((p) => new Set(analyze(p)));
  let citations = 0;
  let unsupportedCitations = 0;
  const marks = sentences.map((text, i): SentenceMark => {
    const terms = [...new Set(analyze(text.replace(/\[[\d,\s–-]+\]/g, ' ')))].filter((t) => !asked.has(t));
    const sims = passageVectors.map((v) => cosine(sentenceVectors[i]!, v));
    let best = -1;
    let similarity = -1;
    sims.forEach((s, j) => {
      if (s > similarity) [similarity, best] = [s, j];
    });
    const holds = (j: number): boolean => {
      const words = passageTerms[j];
      if (!words || terms.length === 0) return false;
      return terms.filter((t) => words.has(t)).length / terms.length >= KEY_TERM_SHARE;
    };
    const supports = (j: number): boolean => (sims[j] ?? -1) >= SUPPORT_SIMILARITY || holds(j);
    const marked = parseCitations(text, passages.length).flatMap((p) => (p.kind === 'cite' ? [...p.passages, ...p.unknown] : []));
    const cited = [...new Set(marked)].map((n) => n - 1);
    citations += cited.length;
    const unsupported = cited.filter((j) => j >= passages.length || !supports(j)).map((j) => j + 1);
    unsupportedCitations += unsupported.length;
    if (terms.length < MIN_SENTENCE_TERMS) return { text, supported: null, by: null, similarity, unsupportedCitations: unsupported };
    const citedSupport = cited.find((j) => j < passages.length && holds(j));
    const bySimilarity = similarity >= SUPPORT_SIMILARITY ? best : null;
    const by = bySimilarity ?? (citedSupport !== undefined ? citedSupport : null);
    return { text, supported: by !== null, by: by === null ? null : by + 1, similarity, unsupportedCitations: unsupported };
  });
  const judged = marks.filter((m) => m.supported !== null);
  return {
    sentences: marks,
    supportedShare: judged.length === 0 ? null : judged.filter((m) => m.supported).length / judged.length,
    citations,
    unsupportedCitations,
    threshold: SUPPORT_SIMILARITY,
  };
}

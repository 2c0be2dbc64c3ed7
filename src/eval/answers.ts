/**
 * How well an answer matches a reference answer: the answer scores of the with/without comparison,
 * shared by the Evaluate view and `rag-eval` so both score alike. DOM-free.
 *
 * - **Token F1** (SQuAD's normalised token F1): both texts lower-cased, punctuation and the
 *   articles a/an/the removed, numbers written without thousands separators or currency signs
 *   ("$88,945" → "88945"); F1 of the two bags of tokens. Precision = shared tokens / answer tokens,
 *   recall = shared tokens / reference tokens. 0 when either is empty.
 * - **Key facts**: the reference's key numbers (the evidence rule's, src/eval/evidence.ts: no years,
 *   day numbers, list marks or references) each stated by a number of the answer, compared as numbers
 *   at the reference's precision ("$88.9 billion" is stated by "88,945 million", not by "about 89
 *   billion"). A reference without key numbers has key terms instead: its content words (stemmed,
 *   stop words and the question's own words left out); the answer must hold at least
 *   KEY_TERM_SHARE of them. A reference that says the documents do not hold the answer is matched
 *   by an answer that declines too.
 */

import { analyze, QUESTION_WORDS } from '../index/analyze';
import { declines, keyNumbers } from './evidence';
import { numbersIn, statesFact } from './numbers';

/**
 * Share of a reference's key terms an answer must hold to contain its key facts, when the reference
 * has no key numbers. Range 0..1; default 0.6: most of the content words, so an answer may word one
 * or two of them otherwise.
 */
export const KEY_TERM_SHARE = 0.6;

const ARTICLES = new Set(['a', 'an', 'the']);

/** The normalised tokens token F1 compares (see the module header). */
export function answerTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/(\d),(?=\d{3}\b)/g, '$1')
    .replace(/[$€£¥]/g, ' ')
    .split(/[^\p{L}\p{N}.]+/u)
    .map((t) => t.replace(/^\.+|\.+$/g, ''))
    .filter((t) => t !== '' && !ARTICLES.has(t));
}

/** Normalised token F1 of `answer` against `reference`, 0..1. */
export function tokenF1(answer: string, reference: string): number {
  const a = answerTokens(answer);
  const r = answerTokens(reference);
  if (a.length === 0 || r.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const t of r) counts.set(t, (counts.get(t) ?? 0) + 1);
  let shared = 0;
  for (const t of a) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      shared++;
      counts.set(t, n - 1);
    }
  }
  if (shared === 0) return 0;
  const precision = shared / a.length;
  const recall = shared / r.length;
  return (2 * precision * recall) / (precision + recall);
}

export interface KeyFactScore {
  /** Key facts of the reference the answer states, and how many the reference has. */
  found: number;
  total: number;
  /** What was compared: the reference's numbers, its content words, or its saying the documents lack it. */
  by: 'numbers' | 'terms' | 'declines';
  /** The answer contains the reference's key facts (every number; or KEY_TERM_SHARE of the terms). */
  contains: boolean;
}

/** Whether `answer` contains the key facts of `reference` (see the module header). */
export function keyFactScore(answer: string, reference: string, question = ''): KeyFactScore {
  if (declines(reference)) {
    const d = declines(answer);
    return { found: d ? 1 : 0, total: 1, by: 'declines', contains: d };
  }
  const facts = keyNumbers(reference);
  if (facts.length > 0) {
    const stated = numbersIn(answer);
    const found = facts.filter((f) => stated.some((n) => statesFact(n, f))).length;
    return { found, total: facts.length, by: 'numbers', contains: found === facts.length };
  }
  const asked = new Set(analyze(question));
  const terms = [...new Set(analyze(reference))].filter((t) => !asked.has(t) && !QUESTION_WORDS.has(t));
  if (terms.length === 0) return { found: 0, total: 0, by: 'terms', contains: false };
  const held = new Set(analyze(answer));
  const found = terms.filter((t) => held.has(t)).length;
  return { found, total: terms.length, by: 'terms', contains: found / terms.length >= KEY_TERM_SHARE };
}

export interface AnswerScore {
  f1: number;
  facts: KeyFactScore;
}

export function scoreAnswer(answer: string, reference: string, question = ''): AnswerScore {
  return { f1: tokenF1(answer, reference), facts: keyFactScore(answer, reference, question) };
}

/** Both sides of a comparison scored against one reference, and what retrieval changed (grounded minus plain). */
export function scoreComparison(
  plain: string,
  grounded: string,
  reference: string,
  question = '',
): { plain: AnswerScore; grounded: AnswerScore; f1Gain: number; factsGain: -1 | 0 | 1 } {
  const p = scoreAnswer(plain, reference, question);
  const g = scoreAnswer(grounded, reference, question);
  return { plain: p, grounded: g, f1Gain: g.f1 - p.f1, factsGain: ((g.facts.contains ? 1 : 0) - (p.facts.contains ? 1 : 0)) as -1 | 0 | 1 };
}

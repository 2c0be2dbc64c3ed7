/**
 * English text analysis for keyword search: the one function that turns text into BM25 terms, used
 * for chunks at ingest (their stored `KeywordEntry`) and for queries at search time. Both sides MUST
 * go through `analyze()`, or stored terms and query terms stop matching; changing anything here
 * changes the terms of every stored chunk (bump ANALYZER_VERSION so the store can re-analyse).
 *
 * Pipeline (the shape of Elasticsearch's `english` analyzer, which BEIR's BM25 baseline used):
 * Unicode NFKC + lowercase → tokens of letters, marks and digits (apostrophes inside a word kept
 * for the possessive rule) → drop possessive "'s" and inner apostrophes → drop stop words → Porter
 * stemming (the `stemmer` package) → drop over-long tokens.
 */

import { stemmer } from 'stemmer';
import type { KeywordEntry } from './types';

/** Bump when `analyze()` would produce different terms for the same text (stored entries go stale). */
export const ANALYZER_VERSION = 1;

/**
 * Longest token kept, in characters after stemming. Range 16..256; default 64. Longer runs are
 * base64, hashes or glued-together tables: they never match a query and only bloat the index.
 */
export const MAX_TOKEN_LENGTH = 64;

/**
 * English stop words: Lucene's `EnglishAnalyzer` set (the one Elasticsearch's `english` analyzer and
 * BEIR's BM25 baseline use). NLTK's 179-word list measured the same on SciFact (nDCG@10 0.6825 vs
 * 0.6827) but drops words that carry meaning in claims and questions ("not", "more", "against",
 * "after"), so the short list stays.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not', 'of', 'on',
  'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was', 'will', 'with',
]); // prettier-ignore

// Letters, combining marks (Devanagari, decomposed accents) and digits, with apostrophes allowed
// between them so "cell's" and "don't" stay one token until the possessive rule has run.
const TOKEN = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;
const APOSTROPHES = /['’]/g;

/**
 * Stems are memoised: Porter stemming is the costliest step and natural text repeats words heavily
 * (Zipf), so a cache of the most recent words makes ingest several times faster. Range 1k..1M
 * entries; default 50k (a few MB). When full it is simply cleared: cheap and good enough.
 */
const STEM_CACHE_SIZE = 50_000;
const stemCache = new Map<string, string>();

function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    // Porter rules are for Latin-script English; digits and other scripts pass through unchanged.
    s = /^[a-z]+$/.test(word) ? stemmer(word) : word;
    if (stemCache.size >= STEM_CACHE_SIZE) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/** The analysed terms of `text`, in order, with repeats (a query's or a chunk's token stream). */
export function analyze(text: string): string[] {
  const out: string[] = [];
  const lowered = text.normalize('NFKC').toLowerCase();
  for (const m of lowered.matchAll(TOKEN)) {
    let word = m[0];
    if (word.length > 2 && (word.endsWith("'s") || word.endsWith('’s'))) word = word.slice(0, -2);
    if (word.includes("'") || word.includes('’')) word = word.replace(APOSTROPHES, '');
    if (STOP_WORDS.has(word)) continue;
    const term = stem(word);
    if (term.length === 0 || term.length > MAX_TOKEN_LENGTH) continue;
    out.push(term);
  }
  return out;
}

/**
 * Words that make a text a question or a request rather than say what it is about ("How has ...
 * changed?", "Can you list ...", "What does the report say about ..."). Dropped from queries only:
 * chunks keep them, so a stored keyword entry never depends on this list. Matching them scores
 * passages for sharing a question's grammar: in the 10-Q dev set, "has", "been", "any" and "over"
 * pulled up boilerplate such as "there has not been any change in our internal control". Words whose
 * stem a content word shares are not on it: "may" (the month), "us" (U.S.), "provide" ("cash
 * provided by"), "list", "show", "find", "discuss" and "identify" (listing, shows, findings,
 * discussion, identified).
 */
export const QUESTION_WORDS: ReadonlySet<string> = new Set(
  [
    'what', 'which', 'who', 'whom', 'whose', 'when', 'where', 'why', 'how', 'whether',
    'do', 'does', 'did', 'done', 'doing', 'has', 'have', 'had', 'having', 'been', 'being', 'am', 'were',
    'can', 'could', 'would', 'should', 'might', 'must', 'shall',
    'any', 'some', 'about', 'over', 'across', 'please', 'tell', 'me', 'i', 'we', 'you', 'your', 'our', 'my',
    'describe', 'explain', 'give', 'summarize', 'summarise',
  ].map((w) => stem(w)),
); // prettier-ignore

/** A query's terms: `analyze()`, without the words that only make it a question (see QUESTION_WORDS). */
export function analyzeQuery(text: string): string[] {
  const terms = analyze(text).filter((t) => !QUESTION_WORDS.has(t));
  // A query made only of such words ("How?") keeps them: they are all it has.
  return terms.length > 0 ? terms : analyze(text);
}

/** Largest term frequency a `KeywordEntry` can hold (its `tf` is a Uint16Array); higher counts saturate. */
const MAX_TF = 0xffff;

/**
 * A chunk's keyword entry, computed once at ingest and stored with the chunk, so the index can be
 * rebuilt on page load without re-analysing any text. Terms are in first-occurrence order.
 */
export function keywordEntry(chunkId: string, text: string): KeywordEntry {
  const tokens = analyze(text);
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  const terms = [...counts.keys()];
  const tf = new Uint16Array(terms.length);
  let i = 0;
  for (const n of counts.values()) tf[i++] = Math.min(n, MAX_TF);
  return { chunkId, length: tokens.length, terms, tf };
}

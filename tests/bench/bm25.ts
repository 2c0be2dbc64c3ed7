/**
 * BM25 section: the app's keyword index (src/index/keyword.ts) on BEIR SciFact. Two build costs
 * are reported apart because the app pays them at different times: analysing every text into a
 * `KeywordEntry` happens once at ingest; building the index from stored entries happens on every
 * page load. Query latency includes analysing the query text, as in the app.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import { keywordEntry } from '../../src/index/analyze';
import { KeywordIndex } from '../../src/index/keyword';
import { loadBeirFolder } from '../../src/eval/load';
import type { KeywordEntry } from '../../src/index/types';
import { median } from './stats';

export interface Bm25Options {
  dir: string;
  /** Corpus documents used (SciFact has 5,183); 0 = all. */
  maxDocs: number;
  /** Timed repetitions of each build; the median is reported. */
  buildReps: number;
  /** Passes over all queries (each query timed alone); the median over every timing is reported. */
  queryPasses: number;
  k: number;
}

export type Bm25Result =
  | {
      docs: number;
      queries: number;
      /** Analysing every document into a keyword entry (ingest cost), ms. */
      analyzeMs: number;
      /** `KeywordIndex.fromEntries` over all entries (page-load cost), ms. */
      buildMs: number;
      /** Median top-k query latency, ms. */
      queryMs: number;
      queriesPerSec: number;
    }
  | { skipped: string };

export function benchBm25(o: Bm25Options): Bm25Result {
  if (!existsSync(path.join(o.dir, 'corpus.jsonl'))) return { skipped: `no SciFact at ${o.dir} (pass --scifact <dir>)` };
  const data = loadBeirFolder(o.dir);
  const docs = o.maxDocs > 0 ? data.corpus.slice(0, o.maxDocs) : data.corpus;

  const analyzeTimes: number[] = [];
  let entries: KeywordEntry[] = [];
  for (let r = 0; r < o.buildReps; r++) {
    const start = performance.now();
    entries = docs.map((d) => keywordEntry(d.id, d.text));
    analyzeTimes.push(performance.now() - start);
  }

  const buildTimes: number[] = [];
  let index = KeywordIndex.fromEntries(entries); // warm-up: JIT, not timed
  for (let r = 0; r < o.buildReps; r++) {
    const start = performance.now();
    index = KeywordIndex.fromEntries(entries);
    buildTimes.push(performance.now() - start);
  }

  const queries = data.queries.map((q) => q.text);
  for (const q of queries) index.search(q, o.k); // warm-up pass
  const queryTimes: number[] = [];
  for (let p = 0; p < o.queryPasses; p++) {
    for (const q of queries) {
      const start = performance.now();
      index.search(q, o.k);
      queryTimes.push(performance.now() - start);
    }
  }
  const queryMs = median(queryTimes);
  return {
    docs: docs.length,
    queries: queries.length,
    analyzeMs: median(analyzeTimes),
    buildMs: median(buildTimes),
    queryMs,
    queriesPerSec: 1000 / queryMs,
  };
}

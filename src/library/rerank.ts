/**
 * The reranking stage over a library search result: the first stage's top N passages (with their
 * context, as they were indexed) are scored by a cross-encoder and reordered (src/index/rerank.ts).
 * Shared by the page's search (the reranker is the embed worker) and rag-eval (in process). A
 * reranker that cannot load or run leaves the first-stage order in place and says why: the
 * question still gets its passages.
 */

import type { Reranker } from '../embed/reranker';
import { applyRerank } from '../index/rerank';
import { indexedText } from '../ingest/context';
import { errorText, isAppError } from '../core/errors';
import type { SearchResult } from './protocol';

export interface RerankStage {
  reranker: () => Promise<Reranker>;
  model: string;
  /** Candidates to rerank (the search was asked for at least this many). */
  candidates: number;
  signal?: AbortSignal | undefined;
}

/** The first stage's result cut to k, the trace saying which candidates are in it. */
function firstStage(res: SearchResult, k: number): SearchResult {
  const out: SearchResult = { ...res, hits: res.hits.slice(0, k) };
  if (res.candidates) out.candidates = res.candidates.map((c, i) => ({ ...c, inTopK: i < k }));
  return out;
}

/** Reranks `res` (searched with k ≥ candidates) and keeps the top `k`. */
export async function rerankResult(res: SearchResult, query: string, k: number, stage: RerankStage): Promise<SearchResult> {
  const scored = res.hits.slice(0, stage.candidates);
  if (scored.length === 0) return firstStage(res, k);
  try {
    const reranker = await stage.reranker();
    const { scores, ms } = await reranker.rerank({ query, passages: scored.map(indexedText) }, { signal: stage.signal });
    const { hits, candidates } = applyRerank(res.hits, res.candidates, scores, k);
    const out: SearchResult = { ...res, hits, rerank: { model: stage.model, candidates: scored.length, ms } };
    if (candidates) out.candidates = candidates;
    return out;
  } catch (e) {
    if (isAppError(e, 'Cancelled')) throw e;
    const why = isAppError(e) ? e.message : errorText(e);
    return { ...firstStage(res, k), rerankError: `Reranking did not run (${why}); the passages are in first-stage order.` };
  }
}

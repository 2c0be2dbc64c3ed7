/**
 * The reranking step of retrieval: the first-stage ranking's top N candidates, reordered by a
 * cross-encoder's scores (src/embed/reranker.ts), with each one's score and rank change kept for the
 * retrieval trace. Pure: the caller fetched the candidates' texts and had them scored (the model runs
 * in the embed worker, the first stage in the library worker).
 */

import type { Candidate, Hit } from './types';

/** Candidates reranked per question when settings do not say. Range 5..100; default 20 (see RetrievalSettings.rerankCandidates). */
export const DEFAULT_RERANK_CANDIDATES = 20;

/**
 * Reorders `hits` (first-stage order) by `scores` (one per hit, for the first scores.length hits;
 * hits beyond them keep their order after the reranked ones), keeps the top k, and annotates the
 * trace candidates with their reranker score and final order.
 */
export function applyRerank<H extends Hit, C extends Candidate>(
  hits: readonly H[],
  candidates: readonly C[] | undefined,
  scores: ArrayLike<number>,
  k: number,
): { hits: H[]; candidates: C[] | undefined } {
  const n = Math.min(scores.length, hits.length);
  const scored = hits.slice(0, n).map((h, i) => ({ h, score: scores[i]!, from: h.rank }));
  scored.sort((a, b) => b.score - a.score || a.from - b.from);
  const reordered: H[] = [...scored.map(({ h, score, from }) => ({ ...h, score, rerank: { score, from } })), ...hits.slice(n)];
  const top = reordered.slice(0, k).map((h, i) => ({ ...h, rank: i + 1 }));
  if (!candidates) return { hits: top, candidates };
  const byId = new Map(scored.map((s, i) => [s.h.chunkId, { score: s.score, from: s.from, to: i + 1 }]));
  const inTop = new Set(top.map((h) => h.chunkId));
  const reranked = candidates.filter((c) => byId.has(c.chunkId)).sort((a, b) => byId.get(a.chunkId)!.to - byId.get(b.chunkId)!.to);
  const rest = candidates.filter((c) => !byId.has(c.chunkId));
  const annotated = [...reranked, ...rest].map((c) => {
    const r = byId.get(c.chunkId);
    return { ...c, inTopK: inTop.has(c.chunkId), ...(r ? { rerank: { score: r.score, from: r.from } } : {}) };
  });
  return { hits: top, candidates: annotated };
}

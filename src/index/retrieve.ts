/**
 * One retrieval call for the app, the eval CLI and tests: keyword (BM25), dense (cosine) or hybrid
 * (both, fused by RRF), returning hits with the full trace of what each retriever said, and which
 * mode really ran. Dense and hybrid need the question's embedding and stored vectors; when either is
 * missing (the embedding model is still downloading, or the library is not embedded yet) retrieval
 * falls back to keyword search and says why, so the user still gets an answer grounded in their
 * documents and can see that it was keyword-only.
 */

import type { DenseIndex, DenseResult } from './dense';
import { reciprocalRankFusion, DEFAULT_RRF_K } from './fusion';
import type { DocumentIndex } from './documents';
import type { KeywordIndex, KeywordResult } from './keyword';
import { byId } from './topk';
import type { Candidate, Hit, SearchMode } from './types';

/**
 * Candidates kept for the retrieval trace: the best of what the retrievers proposed, beyond the top
 * k, so a user sees what nearly made it. Range k..100; default 20.
 */
export const TRACE_CANDIDATES = 20;

/**
 * How many candidates each retriever contributes to hybrid fusion: N = max(k, this). Fusing only
 * the top k of each list would drop a chunk ranked k+1 by both retrievers, which RRF would rank
 * highly; deeper lists cost little (both searches are top-N selections). Range k..1000; default 100.
 */
export const HYBRID_CANDIDATES = 100;

export interface RetrieveRequest {
  query: string;
  /** The question's unit vector from the embedding model, when it is loaded. */
  queryVector?: Float32Array | undefined;
  /** The model that embedded `queryVector`; checked against the dense index's model. */
  queryModel?: string | undefined;
  mode: SearchMode;
  /** Hits wanted. */
  k: number;
  /** RRF damping (see fusion.ts); default 60. */
  rrfK?: number | undefined;
  /** Per-retriever RRF weights; default 1 each (see fusion.ts). */
  weights?: { keyword: number; dense: number } | undefined;
  /** Per-retriever depth for hybrid; default max(k, HYBRID_CANDIDATES). */
  candidates?: number | undefined;
  /** Document-aware ranking strength (see documents.ts); 0 or absent = off. */
  documentBoost?: number | undefined;
}

export interface Retrievers {
  keyword: KeywordIndex;
  /** Absent or empty until some chunks have vectors. */
  dense?: DenseIndex | null | undefined;
  /** Document profiles, for document-aware ranking. */
  documents?: DocumentIndex | null | undefined;
}

export interface RetrieveResult {
  hits: Hit[];
  /** The mode that actually ran: differs from the request's only on fallback. */
  modeUsed: SearchMode;
  /** Why dense or hybrid fell back to keyword, in words for the trace view. */
  fallbackReason?: string;
  /** What the retrievers proposed, best first (fused order in hybrid), up to max(k, TRACE_CANDIDATES). */
  candidates: Candidate[];
  /** Milliseconds spent in each retriever and in total (fusion included). */
  ms: { keyword?: number; dense?: number; total: number };
}

/** Why dense retrieval cannot run for this request, or null when it can. */
function denseUnavailable(req: RetrieveRequest, dense: DenseIndex | null | undefined): string | null {
  if (!dense || dense.size === 0) return 'No passage has been embedded yet, so keyword search was used.';
  if (!req.queryVector) return 'The question could not be embedded (the embedding model is not loaded), so keyword search was used.';
  return null;
}

/**
 * Runs the request. Throws `EmbeddingModelMismatch` when `queryModel` (or the vector length) does
 * not match the dense index: that is a settings problem the user must fix, not something to hide.
 */
/** The document id of a chunk id (`${docId}:${ordinal}`). */
const docOf = (chunkId: string): string => chunkId.slice(0, chunkId.lastIndexOf(':'));

/**
 * Keyword search with document-aware ranking: BM25 finds a deeper list, each candidate's score is
 * multiplied by 1 + boost × (its document's match / the best match), and the list is re-sorted.
 * Returns the (lifted) results and each chunk's document match (0..1) for the trace.
 */
function keywordSearch(
  req: RetrieveRequest,
  keyword: KeywordIndex,
  documents: DocumentIndex | null | undefined,
  n: number,
): { list: KeywordResult[]; match: Map<string, number> } {
  const boost = req.documentBoost ?? 0;
  const scores = boost > 0 && documents && documents.size > 1 ? documents.score(req.query) : null;
  if (!scores || scores.max <= 0) return { list: keyword.search(req.query, n), match: new Map() };
  const match = new Map<string, number>();
  const lifted = keyword.search(req.query, Math.max(n, HYBRID_CANDIDATES)).map((r) => {
    const m = (scores.byDoc.get(docOf(r.chunkId)) ?? 0) / scores.max;
    if (m > 0) match.set(r.chunkId, m);
    return { chunkId: r.chunkId, score: r.score * (1 + boost * m) };
  });
  lifted.sort((a, b) => b.score - a.score || byId(a.chunkId, b.chunkId));
  return { list: lifted.slice(0, n), match };
}

export function retrieve(req: RetrieveRequest, { keyword, dense, documents }: Retrievers): RetrieveResult {
  const started = performance.now();
  const k = Math.max(0, Math.floor(req.k));
  let mode = req.mode;
  let fallbackReason: string | undefined;
  if (mode !== 'keyword') {
    const why = denseUnavailable(req, dense);
    if (why !== null) {
      mode = 'keyword';
      fallbackReason = why;
    }
  }
  const ms: RetrieveResult['ms'] = { total: 0 };
  const timed = <T>(which: 'keyword' | 'dense', run: () => T): T => {
    const t = performance.now();
    const out = run();
    ms[which] = performance.now() - t;
    return out;
  };

  let hits: Hit[];
  let candidates: Candidate[];
  const depth = Math.max(k, TRACE_CANDIDATES);
  let docMatch = new Map<string, number>();
  if (mode === 'keyword') {
    const { list, match } = timed('keyword', () => keywordSearch(req, keyword, documents, depth));
    docMatch = match;
    candidates = list.map((r, i) => ({ chunkId: r.chunkId, keyword: { rank: i + 1, score: r.score }, inTopK: i < k }));
    hits = list.slice(0, k).map((r, i) => ({ chunkId: r.chunkId, rank: i + 1, score: r.score, keyword: { rank: i + 1, score: r.score } }));
  } else if (mode === 'dense') {
    const list = timed('dense', () => dense!.search(req.queryVector!, depth, req.queryModel));
    candidates = list.map((r, i) => ({ chunkId: r.chunkId, dense: { rank: i + 1, score: r.score }, inTopK: i < k }));
    hits = list.slice(0, k).map((r, i) => ({ chunkId: r.chunkId, rank: i + 1, score: r.score, dense: { rank: i + 1, score: r.score } }));
  } else {
    const n = Math.max(k, req.candidates ?? HYBRID_CANDIDATES);
    const { list: kw, match } = timed('keyword', () => keywordSearch(req, keyword, documents, n));
    docMatch = match;
    const dn: DenseResult[] = timed('dense', () => dense!.search(req.queryVector!, n, req.queryModel));
    const weights = req.weights ?? { keyword: 1, dense: 1 };
    const fused = reciprocalRankFusion([kw, dn], { k: req.rrfK ?? DEFAULT_RRF_K, weights: [weights.keyword, weights.dense] });
    hits = fused.slice(0, k).map((f, i) => {
      const hit: Hit = { chunkId: f.chunkId, rank: i + 1, score: f.score };
      const [kr, dr] = f.ranks as [number, number];
      if (kr > 0) hit.keyword = { rank: kr, score: kw[kr - 1]!.score };
      if (dr > 0) hit.dense = { rank: dr, score: dn[dr - 1]!.score };
      return hit;
    });
    candidates = fused.slice(0, depth).map((f, i) => {
      const c: Candidate = { chunkId: f.chunkId, fused: { rank: i + 1, score: f.score }, inTopK: i < k };
      const [kr, dr] = f.ranks as [number, number];
      if (kr > 0) c.keyword = { rank: kr, score: kw[kr - 1]!.score };
      if (dr > 0) c.dense = { rank: dr, score: dn[dr - 1]!.score };
      return c;
    });
  }
  if (docMatch.size > 0) {
    for (const x of [...hits, ...candidates]) {
      const m = docMatch.get(x.chunkId);
      if (m !== undefined) x.documentMatch = m;
    }
  }
  ms.total = performance.now() - started;
  const result: RetrieveResult = { hits, candidates, modeUsed: mode, ms };
  if (fallbackReason !== undefined) result.fallbackReason = fallbackReason;
  return result;
}

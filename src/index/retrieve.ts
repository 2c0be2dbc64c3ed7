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
import { parseChunkId } from '../core/ids';

/**
 * Candidates kept for the retrieval trace: the best of what the retrievers proposed, beyond the top
 * k, so a user sees what nearly made it. Range k..100; default 20.
 */
export const TRACE_CANDIDATES = 20;

/**
 * How many candidates each retriever contributes, in every mode: N = max(k, this). Fusing only the
 * top k of each list would drop a chunk ranked k+1 by both retrievers, which RRF would rank highly;
 * document lifting and duplicate demotion also pick from below the top k. Deeper lists cost little
 * (both searches are top-N selections). Range k..1000; default 100.
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
  /**
   * How deep each retriever's list goes (fusion, document lifting and duplicate demotion pick from
   * it), in every mode; default max(k, HYBRID_CANDIDATES).
   */
  candidates?: number | undefined;
  /** Document-aware ranking strength (see documents.ts); 0 or absent = off. */
  documentBoost?: number | undefined;
  /** Near-duplicates of higher-ranked passages move down (see demoteNearDuplicates); default true. */
  demoteDuplicates?: boolean | undefined;
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

/** A passage in a ranking, before it is cut into hits and trace candidates. */
type Ranked = Omit<Candidate, 'inTopK'> & { score: number };

/**
 * Two passages whose analysed terms overlap at least this much (Jaccard) say the same thing; the
 * lower-ranked one moves below every passage that is not a near-duplicate. Range 0.5..1; default
 * 0.8: the same paragraph in four quarterly filings (with their own labels) scores about 0.9, two
 * quarters' versions of one table (same labels, other numbers) well below.
 */
export const NEAR_DUPLICATE_JACCARD = 0.8;

/**
 * Moves near-duplicates of higher-ranked passages after the rest, marked for the trace. Only the
 * first `wanted` distinct passages are looked for (what the caller shows); the list after them
 * keeps its order. Cost: at most wanted × (wanted + duplicates) set comparisons, each skipped when
 * the two sizes alone rule the threshold out.
 */
export function demoteNearDuplicates(
  ordered: readonly Ranked[],
  termsOf: (chunkId: string) => readonly string[] | undefined,
  wanted = ordered.length,
): Ranked[] {
  const kept: Array<{ id: string; terms: ReadonlySet<string> }> = [];
  const unique: Ranked[] = [];
  const later: Ranked[] = [];
  let i = 0;
  for (; i < ordered.length && unique.length < wanted; i++) {
    const r = ordered[i]!;
    const terms = new Set(termsOf(r.chunkId) ?? []);
    let dupOf: string | undefined;
    if (terms.size > 0) {
      for (const k of kept) {
        const small = Math.min(terms.size, k.terms.size);
        if (small < NEAR_DUPLICATE_JACCARD * Math.max(terms.size, k.terms.size)) continue;
        let shared = 0;
        for (const t of terms) if (k.terms.has(t)) shared++;
        if (shared / (terms.size + k.terms.size - shared) >= NEAR_DUPLICATE_JACCARD) {
          dupOf = k.id;
          break;
        }
      }
    }
    if (dupOf === undefined) {
      kept.push({ id: r.chunkId, terms });
      unique.push(r);
    } else later.push({ ...r, nearDuplicateOf: dupOf });
  }
  return [...unique, ...later, ...ordered.slice(i)];
}

/**
 * Keyword search with document-aware ranking: each of BM25's top n has its score multiplied by
 * 1 + boost × (its document's match / the best match), and the list is re-sorted. Returns the
 * lifted results, each chunk's document match (0..1) and its own BM25 score, for the trace.
 */
function keywordSearch(
  req: RetrieveRequest,
  keyword: KeywordIndex,
  documents: DocumentIndex | null | undefined,
  n: number,
): { list: KeywordResult[]; match: Map<string, number>; bm25: Map<string, number> } {
  const boost = req.documentBoost ?? 0;
  const scores = boost > 0 && documents && documents.size > 1 ? documents.score(req.query) : null;
  if (!scores || scores.max <= 0) return { list: keyword.search(req.query, n), match: new Map(), bm25: new Map() };
  const match = new Map<string, number>();
  const bm25 = new Map<string, number>();
  const lifted = keyword.search(req.query, n).map((r) => {
    const m = (scores.byDoc.get(parseChunkId(r.chunkId).docId) ?? 0) / scores.max;
    if (m > 0) {
      match.set(r.chunkId, m);
      bm25.set(r.chunkId, r.score);
    }
    return { chunkId: r.chunkId, score: r.score * (1 + boost * m) };
  });
  lifted.sort((a, b) => b.score - a.score || byId(a.chunkId, b.chunkId));
  return { list: lifted, match, bm25 };
}

/**
 * Runs the request. Throws `EmbeddingModelMismatch` when `queryModel` (or the vector length) does
 * not match the dense index: that is a settings problem the user must fix, not something to hide.
 */
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

  // 1. Each retriever's list, deep enough for fusion, document lifting and duplicate demotion.
  const depth = Math.max(k, TRACE_CANDIDATES);
  const pool = Math.max(depth, req.candidates ?? HYBRID_CANDIDATES);
  let kw: KeywordResult[] = [];
  let dn: DenseResult[] = [];
  let docMatch = new Map<string, number>();
  let bm25 = new Map<string, number>();
  if (mode !== 'dense') {
    const found = timed('keyword', () => keywordSearch(req, keyword, documents, pool));
    kw = found.list;
    docMatch = found.match;
    bm25 = found.bm25;
  }
  if (mode !== 'keyword') dn = timed('dense', () => dense!.search(req.queryVector!, pool, req.queryModel));

  // 2. The order the mode gives, with what each retriever said.
  let ordered: Ranked[];
  if (mode === 'keyword') ordered = kw.map((r, i) => ({ chunkId: r.chunkId, score: r.score, keyword: { rank: i + 1, score: r.score } }));
  else if (mode === 'dense') ordered = dn.map((r, i) => ({ chunkId: r.chunkId, score: r.score, dense: { rank: i + 1, score: r.score } }));
  else {
    const weights = req.weights ?? { keyword: 1, dense: 1 };
    const fused = reciprocalRankFusion([kw, dn], { k: req.rrfK ?? DEFAULT_RRF_K, weights: [weights.keyword, weights.dense] });
    ordered = fused.map((f, i) => {
      const r: Ranked = { chunkId: f.chunkId, score: f.score, fused: { rank: i + 1, score: f.score } };
      const [kr, dr] = f.ranks as [number, number];
      if (kr > 0) r.keyword = { rank: kr, score: kw[kr - 1]!.score };
      if (dr > 0) r.dense = { rank: dr, score: dn[dr - 1]!.score };
      return r;
    });
  }
  for (const r of ordered) {
    const m = docMatch.get(r.chunkId);
    if (m !== undefined) r.documentMatch = m;
    const raw = bm25.get(r.chunkId);
    if (raw !== undefined && r.keyword) r.keyword = { ...r.keyword, bm25: raw };
  }

  // 3. Near-duplicates (the same boilerplate in look-alike documents) make way for other passages.
  if (req.demoteDuplicates !== false) ordered = demoteNearDuplicates(ordered, (id) => keyword.termsOf(id), depth);

  const hits: Hit[] = ordered.slice(0, k).map(({ nearDuplicateOf: _, ...r }, i) => ({ ...r, rank: i + 1 }));
  const candidates: Candidate[] = ordered.slice(0, depth).map(({ score: _, ...r }, i) => ({ ...r, inTopK: i < k }));
  ms.total = performance.now() - started;
  const result: RetrieveResult = { hits, candidates, modeUsed: mode, ms };
  if (fallbackReason !== undefined) result.fallbackReason = fallbackReason;
  return result;
}

/**
 * The shapes retrieval shares with storage and the UI. Kept in one DOM-free, import-free module so
 * the store (src/store/), the index (src/index/), the eval and bench CLIs and the compare view
 * agree on them without importing each other's code.
 */

/**
 * A chunk's keyword-index entry, computed once when the document is ingested and stored with it
 * (in the same transaction as the chunk), so reopening the app rebuilds BM25 without re-tokenising
 * any text. Structured-clone friendly.
 */
export interface KeywordEntry {
  chunkId: string;
  /** Analysed length: tokens after stop-word removal and stemming (BM25's document length). */
  length: number;
  /** The chunk's distinct analysed terms. */
  terms: string[];
  /** Term frequencies: `tf[i]` is how often `terms[i]` occurs in the chunk. */
  tf: Uint16Array;
}

export type SearchMode = 'keyword' | 'dense' | 'hybrid';

/**
 * How one search runs, as the settings and a caller's overrides decide it (see
 * src/settings/defaults.ts, RetrievalSettings, for each option's meaning, range and default). Passed
 * whole from the page to the library worker, so a new option needs no plumbing in between.
 */
export interface RetrievalOptions {
  mode: SearchMode;
  /** Passages wanted. */
  k: number;
  /** RRF damping for hybrid (see fusion.ts). */
  rrfK?: number;
  /** How strongly passages of the documents a question is about are lifted (see documents.ts); 0 = off. */
  documentBoost?: number;
  /** Near-duplicates of higher-ranked passages move down (see retrieve.ts); default true. */
  demoteDuplicates?: boolean;
  /**
   * Rerank the top `candidates` with a cross-encoder (src/embed/reranker.ts, src/index/rerank.ts);
   * absent = no reranking. The page runs this stage (the model lives in the embed worker).
   */
  rerank?: { model: string; candidates: number };
}

/** A chunk a retriever proposed, with whether it made the final top k (for the retrieval trace). */
/** A keyword list entry: rank and score as ranked (after document lifting), and BM25's own score when lifting changed it. */
export interface KeywordRank {
  rank: number;
  score: number;
  bm25?: number;
}

export interface Candidate {
  chunkId: string;
  keyword?: KeywordRank;
  dense?: { rank: number; score: number };
  /** Hybrid only: rank and RRF score after fusion. */
  fused?: { rank: number; score: number };
  /** How well its document matches the question (1 = the best-matching document), when that lifted its keyword score. */
  documentMatch?: number;
  /** The higher-ranked passage it nearly repeats, when that moved it down. */
  nearDuplicateOf?: string;
  /** The cross-encoder's score and the rank it had before reranking, when it was reranked (see rerank.ts). */
  rerank?: { score: number; from: number };
  inTopK: boolean;
}

/** One retrieved chunk, with what each retriever said about it (for the retrieval trace). */
export interface Hit {
  chunkId: string;
  /** Final 1-based rank in the result list. */
  rank: number;
  /** The score the final ranking used (BM25, cosine, or the fused RRF score). */
  score: number;
  /** 1-based rank and score in the keyword (BM25) list, when the chunk was in it (see KeywordRank). */
  keyword?: KeywordRank;
  /** 1-based rank and cosine similarity in the dense list, when the chunk was in it. */
  dense?: { rank: number; score: number };
  /** See Candidate.documentMatch. */
  documentMatch?: number;
  /** See Candidate.rerank; `score` is then the reranker's. */
  rerank?: { score: number; from: number };
}

export interface SearchRequest extends RetrievalOptions {
  query: string;
  /** The query's embedding by the open model; without it dense and hybrid fall back to keyword. */
  queryVector?: Float32Array;
  /** Per-retriever weights for hybrid (see src/index/fusion.ts); default 1 each. */
  weights?: { keyword: number; dense: number };
  /**
   * Why the page has no query vector (e.g. the embedding model is still downloading): reported
   * as the fallback reason when dense or hybrid ran as keyword search.
   */
  queryVectorMissing?: string;
}

/** A hit with what the user needs to judge it: the passage, where it comes from, and the trace. */
export interface SearchHit extends Hit {
  docId: string;
  docName: string;
  ordinal: number;
  text: string;
  pages?: number[];
  headingPath: string[];
  /** Where the passage sits (document label, heading path), as it was indexed (see ingest/context.ts). */
  context?: string;
  /** Read by OCR: the mean confidence (0..1) of its OCR pages (see ingest/types.ts Chunk.ocr). */
  ocr?: { confidence: number };
}

/** A candidate for the trace, named for people (no text: the passages are in `hits`). */
export interface TraceCandidate extends Candidate {
  docName: string;
  ordinal: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** What the retrievers proposed beyond the top k too (see src/index/retrieve.ts), for the trace. */
  candidates?: TraceCandidate[];
  /** The mode that actually ran (hybrid/dense fall back to keyword until vectors exist). */
  modeUsed: SearchMode;
  fallbackReason?: string;
  /** Time in the worker: retrieval plus reading the passages, ms. */
  ms: number;
  /** Retrieval alone (both retrievers and fusion), ms. */
  retrieveMs: number;
  /** The reranking stage, when it ran: its model, how many candidates it scored and its time (ms). */
  rerank?: { model: string; candidates: number; ms: number };
  /** Why reranking was asked for but did not run (the first-stage order was kept). */
  rerankError?: string;
}

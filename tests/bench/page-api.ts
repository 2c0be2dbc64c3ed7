/**
 * The contract between the bench CLI (Node, tests/bench/browser.ts) and the bench pages
 * (tests/bench/*.ts, built with Vite and driven through playwright-core): what each page exposes
 * on `globalThis.bench` and what it returns. Types only, so both sides import it freely.
 */

export interface EmbedRunOptions {
  /** Folder name under /models/ (a generated model, e.g. 'minilm-shape'). */
  model: string;
  texts: string[];
  /** Texts per inference call, the same for both paths. */
  batchSize: number;
  /** Timed runs of each path, alternated (app, bare, app, bare, ...) so drift hits both alike. */
  reps: number;
}

export interface EmbedRunResult {
  /** Milliseconds of each timed run of the app's path (page → worker → TransformersEmbedder → page). */
  appMs: number[];
  /** Milliseconds of each timed run of a bare `pipeline('feature-extraction')` loop in the page. */
  bareMs: number[];
  backend: string;
  dtype: string;
  dim: number;
  /** Largest |difference| between the two paths' vectors: both must compute the same thing. */
  maxAbsDiff: number;
  appLoadMs: number;
  bareLoadMs: number;
}

export interface RerankRunOptions {
  /** Folder name under /models/ (a generated cross-encoder, e.g. 'minilm-reranker-shape'). */
  model: string;
  query: string;
  /** Candidate passages; each run reranks the first n of them. */
  passages: string[];
  /** Candidate counts to time (e.g. 20 and 50). */
  counts: number[];
  /** Timed runs per count. */
  reps: number;
}

export interface RerankRunResult {
  backend: string;
  dtype: string;
  loadMs: number;
  /** Milliseconds of each timed run, per candidate count (page → embed worker → TransformersReranker → page). */
  runs: Array<{ n: number; ms: number[] }>;
}

export interface EmbedPage {
  embed(o: EmbedRunOptions): Promise<EmbedRunResult>;
  rerank(o: RerankRunOptions): Promise<RerankRunResult>;
}

export interface IdbStoreOptions {
  /** Chunk texts; chunk i belongs to document floor(i / chunksPerDoc). */
  texts: string[];
  chunksPerDoc: number;
  dim: number;
  /** Seed of the random unit vectors (generated in the page: no 15 MB to ship through CDP). */
  seed: number;
}

export interface IdbStoreResult {
  chunks: number;
  documents: number;
  /** ms to store everything through the app's Store (addDocument + putVectors per document). */
  appMs: number;
  /** ms to encode the same data into one ArrayBuffer and put it as one record in a bare database. */
  rawMs: number;
  /** Size of that one record: the bytes both paths store. */
  rawBytes: number;
}

/** What a freshly loaded page measured, all ms since navigation start (performance.now()). */
export interface IdbReadyResult {
  mode: 'app' | 'raw';
  /** When the bench script started running (page load and script fetch/parse before it). */
  scriptAt: number;
  /** After the database was opened. */
  openedAt: number;
  /** After the keyword entries and vectors were read (and, for raw, decoded). */
  loadedAt: number;
  /** After the keyword and dense indexes were built: ready to query. */
  readyAt: number;
  chunks: number;
}

export interface IdbPage {
  /** Clears both databases, then stores the data through the app's store and through the raw baseline. */
  store(o: IdbStoreOptions): Promise<IdbStoreResult>;
}

/**
 * Database and model names the IndexedDB pages agree on. The app's store is written to the app's
 * own database name, so the real app page (index.html) can be timed opening it too.
 */
export const IDB = { appDb: 'ragscope', rawDb: 'ragscope-bench-raw', model: 'bench-model' } as const;

/** What the real app page measured: navigation start → the library worker's snapshot on the page. */
export interface AppPageReadyResult {
  readyAt: number;
  /** When the page's load event had been handled (its module scripts have run by then). */
  loadedAt: number;
  chunks: number;
  embeddedChunks: number;
}

/**
 * The library worker's protocol: the user's stored documents and the search indexes built over
 * them. The worker owns the IndexedDB store and the in-memory keyword and vector indexes, so large
 * writes, index rebuilds and vector scans never run on the page's thread.
 */

import type { Method } from '../core/rpc';
import type { Progress } from '../core/progress';
import type { DocFormat } from '../ingest/types';
import type { IngestedDocument } from '../ingest/ingest';
import type { IngestSink } from '../ingest/protocol';
import type { SearchRequest, SearchResult } from '../index/types';

// What a search asks and returns is retrieval's vocabulary (src/index/types.ts); the worker speaks it.
export type { SearchHit, SearchRequest, SearchResult, TraceCandidate } from '../index/types';
import type { ComparisonRecord, DocumentRecord, OcrWords } from '../store/schema';
import type { EvalQuestion, EvalResultRecord, EvalRunRecord, QuestionSetRecord, RetrievalScore } from '../eval/runs';
import type { CollectionUsage } from '../store/store';

/** The performance mark the page sets once the library is first open and searchable (the bench reads it). */
export const LIBRARY_READY_MARK = 'ragscope:library-ready';

export interface CollectionInfo {
  id: string;
  name: string;
  createdAt: number;
  documents: number;
  /**
   * Documents without vectors of the open embedding model: searchable by keyword only. Only the
   * open collection is embedded, so another collection's wait until it is opened.
   */
  waiting: number;
}

/** A stored document as the library lists it: its stored record (src/store/schema.ts), as the page needs it. */
export type LibraryDoc = Pick<
  DocumentRecord,
  'id' | 'name' | 'format' | 'size' | 'addedAt' | 'title' | 'chars' | 'chunkCount' | 'originalSize' | 'indexing'
> & {
  pages?: number;
  /** Vectors of the open embedding model are stored: the document is searchable by meaning. */
  embedded: boolean;
  /** Other embedding models this document has vectors of (kept; switching back is instant). */
  otherModels: string[];
};

export interface StorageInfo {
  usage: number;
  quota: number;
  /** The browser promised not to evict this origin's data under storage pressure. */
  persisted: boolean;
}

export interface LibrarySnapshot {
  collections: CollectionInfo[];
  collectionId: string;
  /** The embedding model whose vectors the dense index holds. */
  model: string;
  documents: LibraryDoc[];
  /** Chunks in the keyword index / chunks with vectors in the dense index. */
  chunks: number;
  embeddedChunks: number;
  /** Time to read the store and build both indexes, ms. */
  readyMs: number;
  storage: StorageInfo | null;
}

export interface OpenRequest {
  /** Omitted: the last used collection, or the default one. */
  collectionId?: string;
  model: string;
}

/**
 * A document whose chunks still need vectors of the open model (new, or interrupted by a reload).
 * Counts only: the texts stay in the library worker, which hands them to the embed worker itself.
 */
export interface PendingEmbedding {
  docId: string;
  name: string;
  chunks: number;
  /**
   * Models the document is already embedded with. Non-empty means re-embedding after a model
   * change, which the user is asked about first (it can take long); empty means new or interrupted
   * work, which resumes by itself.
   */
  otherModels: string[];
}

/** A passage inside its surroundings, for the passage view: the text before, the passage, the text after. */
export interface PassageContext {
  before: string;
  text: string;
  after: string;
  pages?: number[];
}

/** The dropped file, kept so a cited passage can be checked against it. */
export interface OriginalFile {
  file: Blob;
  name: string;
  format: DocFormat;
  /** Pages read by OCR: their words with boxes, to highlight a passage on them. */
  ocr?: OcrWords[];
}

/**
 * Pushed to the page on `watch`: the library changed underneath it (another tab or window stored
 * or deleted something; the worker has already rebuilt its indexes), another tab changed a question
 * set or a run (`evaluation`: nothing indexed changed), or the store closed (another
 * tab upgraded or deleted the database) and the page must be reloaded.
 */
export type LibraryEvent = { type: 'changed' } | { type: 'evaluation' } | { type: 'closed'; message: string };

/** A retrieved passage as retrieval scoring needs it. */
export interface RankedPassage {
  docId: string;
  docName: string;
  ordinal: number;
  text: string;
  pages?: number[];
}

/** A stored passage drawn for question generation. */
export interface SampledPassage {
  docId: string;
  docName: string;
  ordinal: number;
  text: string;
  pages?: number[];
}

/** What embedding one document did (see `embed`): its vectors are stored and in the dense index. */
export interface EmbedSummary {
  doc: LibraryDoc;
  chunks: number;
  dim: number;
  /** Time in the embed worker, ms (the page shows chunks per second). */
  ms: number;
}

export type LibraryProtocol = {
  /**
   * Serves this protocol on another port too: an ingest worker stores what it parsed straight
   * into the library (see src/ingest/handler.ts), so no document text crosses the page.
   */
  connect: Method<{ port: MessagePort }, null>;
  /**
   * The embed worker's port (the page makes the channel, each worker gets one end). Null: the embed
   * worker is gone (crashed or stopped), and calls waiting on it fail with `reason` (WorkerCrashed).
   */
  connectEmbedder: Method<{ port: MessagePort | null; reason?: string }, null>;
  /** Opens a collection and builds its indexes (fast: the 10k-chunk target is 500 ms from page load). */
  open: Method<OpenRequest, LibrarySnapshot>;
  /**
   * Stores a parsed document in `collectionId` (the one it was dropped into; omitted: the open
   * one). Into another than the open one, it is indexed when that collection opens.
   */
  add: Method<{ doc: IngestedDocument; original?: Blob; collectionId?: string }, { status: 'added' | 'duplicate'; doc: LibraryDoc }>;
  /**
   * Replaces a stored document with the same file chunked again (see Store.replaceDocument): its
   * vectors go, so it is embedded again. Null when the document was deleted meanwhile.
   */
  replace: Method<{ doc: IngestedDocument }, LibraryDoc | null>;
  /** Stores vectors made elsewhere (tools, tests); the app embeds through `embed`. */
  putVectors: Method<{ docId: string; model: string; dim: number; vectors: Float32Array }, LibraryDoc | null>;
  /**
   * Embeds one stored document with the connected embed worker (whose loaded model must be `model`,
   * the one the library is open for) and stores its vectors in one write. Streams the embed
   * worker's chunk progress. Null when the document was deleted meanwhile.
   */
  embed: Method<{ docId: string; model: string; batchSize: number }, EmbedSummary | null, Progress>;
  remove: Method<{ docId: string }, null>;
  search: Method<SearchRequest, SearchResult>;
  /** The chunk with the text of its neighbours around it (null when the document is gone). */
  context: Method<{ docId: string; ordinal: number }, PassageContext | null>;
  /** The kept original of a document (null when none was kept or the document is gone). */
  original: Method<{ docId: string }, OriginalFile | null>;
  snapshot: Method<null, LibrarySnapshot>;
  createCollection: Method<{ name: string }, CollectionInfo>;
  renameCollection: Method<{ id: string; name: string }, null>;
  deleteCollection: Method<{ id: string }, null>;
  /** Roughly what each collection takes on disk (Store.usage). */
  usage: Method<null, CollectionUsage[]>;
  /** The open collection as a portable bundle (src/bundle/bundle.ts), with its vectors of the open model. */
  exportCollection: Method<
    { originals: boolean; chunking: { chunkTokens: number; overlapTokens: number } },
    { bytes: Uint8Array; name: string }
  >;
  /** Checks a bundle, then adds it as a new collection; `model` is the embedding model questions use. */
  importBundle: Method<{ bytes: Uint8Array; model: string }, { collectionId: string; name: string; documents: number }>;
  /** Past comparisons, newest first (see Store.listComparisons). */
  comparisons: Method<{ limit: number }, ComparisonRecord[]>;
  saveComparison: Method<ComparisonRecord, null>;
  deleteComparison: Method<{ id: string }, null>;
  /** The open collection's question sets (Evaluate view), newest first. */
  questionSets: Method<null, QuestionSetRecord[]>;
  /** Adds or replaces a question set (its collectionId must be an existing collection; it must have questions). */
  saveQuestionSet: Method<QuestionSetRecord, null>;
  /** Deletes a question set with its runs and their results. */
  deleteQuestionSet: Method<{ id: string }, null>;
  /** The open collection's runs (without their results), newest first. */
  evalRuns: Method<null, EvalRunRecord[]>;
  /** One run with its results in question order (null when it was deleted). */
  evalRun: Method<{ id: string }, { run: EvalRunRecord; results: EvalResultRecord[] } | null>;
  /**
   * Adds or updates a run's record (status, settings); its results are untouched and `done` is
   * counted from them. Fails (InvalidRequest) when the run's set or collection was deleted. A run
   * deleted meanwhile cannot be told from a new one: after saveEvalResult refused a result because
   * the run is gone, do not save the run again (it would come back, empty).
   */
  saveEvalRun: Method<EvalRunRecord, null>;
  /**
   * Stores one question's result and the run as it now stands, in one transaction (the run's
   * `done` is counted from the results stored). Fails (InvalidRequest) when the run was deleted
   * meanwhile: nothing is stored, and the run loop stops.
   */
  saveEvalResult: Method<{ result: EvalResultRecord; run: EvalRunRecord }, null>;
  deleteEvalRun: Method<{ id: string }, null>;
  /**
   * Retrieval scored by the evidence rule (src/eval/evidence.ts, via RagEvaluator) for question
   * `index` of `questions`, over the open collection's passages: the worker keeps the evaluator
   * of the last question list until the collection changes. `ranked` is what was retrieved, best first.
   */
  scoreRetrieval: Method<{ questions: EvalQuestion[]; index: number; ranked: RankedPassage[] }, Omit<RetrievalScore, 'by'>>;
  /**
   * Passages spread over the open collection's documents for question generation (round robin
   * over the documents, see src/eval/sample.ts): `count` of them, chosen with `seed`, none shorter
   * than `minChars` characters.
   */
  samplePassages: Method<{ count: number; seed: number; minChars: number }, SampledPassage[]>;
  /** Never resolves on its own: streams LibraryEvents until cancelled. */
  watch: Method<null, null, LibraryEvent>;
};

/**
 * Compile-time check: the library answers every call an ingest worker makes on its port. Each
 * request the ingest worker sends must be one the library takes, and each answer one it expects.
 */
export type ServesIngest = {
  [K in keyof IngestSink]: IngestSink[K]['req'] extends LibraryProtocol[K]['req']
    ? LibraryProtocol[K]['res'] extends IngestSink[K]['res']
      ? true
      : never
    : never;
}[keyof IngestSink];
const servesIngest: ServesIngest = true;
void servesIngest;

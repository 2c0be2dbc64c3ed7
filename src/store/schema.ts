/**
 * The IndexedDB schema: record shapes, keys, indexes and the versioned upgrade. Owns nothing at
 * run time except `upgrade`; the repository (store.ts) is the only code that reads or writes these
 * records.
 *
 * Keys are compound and start with the collection id, so a whole collection, or a whole document
 * inside it, is one key range: deleting a document is one `delete(range)` per store instead of a
 * cursor walk, and loading a collection is one `getAll(range)` per store.
 *
 * The Evaluate view's records (version 2) are the exception: question sets and runs are few and
 * keyed by their own id (a run moves with nothing), found per collection on a `byCollection`
 * index; a run's results are keyed by run id and question index, so a run is one key range.
 */

import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { ComparisonResult, SideRun } from '../compare/run';
import type { PaneSpec } from '../compare/panes';
import type { PaneRun } from '../compare/run-panes';
import type { ChatModelInfo } from '../generate/engine';
import type { DocumentProfile } from '../index/documents';
import type { KeywordEntry } from '../index/types';
import type { Chunk, DocFormat, IndexingStamp } from '../ingest/types';
import type { OcrWord } from '../ingest/ocr';
import type { EvalResultRecord, EvalRunRecord, QuestionSetRecord } from '../eval/runs';

/**
 * Bump when the schema changes, and add an `if (oldVersion < N && newVersion >= N)` block to
 * `upgrade`. 1: collections, documents and what is stored with them, settings, comparisons.
 * 2: the Evaluate view's question sets, runs and results.
 */
export const SCHEMA_VERSION = 2;

/** The collection created on first open; new drops land here until the user makes another. */
export const DEFAULT_COLLECTION = { id: 'default', name: 'My documents' } as const;

export interface CollectionRecord {
  id: string;
  name: string;
  /** ms since the epoch. */
  createdAt: number;
}

export interface DocumentRecord {
  collectionId: string;
  /** SHA-256 of the file's bytes (hex): the same content is stored once per collection. */
  id: string;
  name: string;
  format: DocFormat;
  /** Bytes of the original file. */
  size: number;
  addedAt: number;
  title?: string;
  pageCount?: number;
  encoding?: string;
  warnings: string[];
  /** Characters of extracted text. */
  chars: number;
  chunkCount: number;
  /** Bytes of the kept original file (in the `originals` store), when the caller passed one. */
  originalSize?: number;
  /** What the document says about itself, for document-aware ranking; absent on documents stored before it existed. */
  profile?: DocumentProfile;
  /** How its chunks were made (settings and version); absent on documents stored before it was recorded (see ingest.ts). */
  indexing?: IndexingStamp;
}

/**
 * The dropped file itself, kept so sources can be shown later. In a store of its own, not in the
 * document record: every page load reads all document records, and a Blob in each one cost
 * ~60 ms per 500 documents there (IndexedDB bench), for files only a source view needs.
 */
export interface OriginalRecord {
  collectionId: string;
  docId: string;
  file: Blob;
  /**
   * Pages read by text recognition: their words with boxes (in the OCR image's pixels, with its
   * size), to highlight a passage on the page. Kept here, not with the document record, for the
   * same reason as the file: only a source view needs them.
   */
  ocr?: OcrWords[];
}

/** One OCR page's words, as kept for highlighting. */
export interface OcrWords {
  page: number;
  width: number;
  height: number;
  words: OcrWord[];
}

/**
 * A past comparison, kept so it can be looked at again: the question, every pane's answer with its
 * exact prompt and numbers, and the retrieval they were given. The shape is the compare view's
 * (src/compare/run-panes.ts); the store itself uses only `id` and `createdAt`. Records kept before
 * panes existed hold `plain` and `grounded` instead of `panes` and `runs`; `recordPanes`
 * (run-panes.ts) reads both.
 */
export interface ComparisonRecord extends Omit<ComparisonResult, 'plain' | 'grounded'> {
  id: string;
  /** ms since the epoch (when it was asked). */
  createdAt: number;
  /** The local model that answered (records before panes: the model of both sides), as loaded; null when none did. */
  model: ChatModelInfo | null;
  /** The panes, in their order on screen (no API key: that stays in this browser's Settings). */
  panes?: PaneSpec[];
  /** One per pane, in the panes' order. */
  runs?: PaneRun[];
  /** What the run's plan said: swaps, parallel servers, shared passages. */
  notes?: string[];
  /** Records before panes: the model alone. */
  plain?: SideRun;
  /** Records before panes: the model with the documents. */
  grounded?: SideRun;
}

export interface ChunkRecord extends Chunk {
  collectionId: string;
}

/** One per document: the keyword-index entries of all its chunks, in chunk order. */
export interface KeywordRecord {
  collectionId: string;
  docId: string;
  entries: KeywordEntry[];
}

/**
 * One per document and embedding model: all of the document's vectors in one typed array, so a
 * collection loads as a few hundred large records rather than one small record (or one JS number
 * array) per chunk.
 */
export interface VectorRecord {
  collectionId: string;
  docId: string;
  /** The embedding model's id; vectors of different models never mix. */
  model: string;
  dim: number;
  /** Equals the document's chunkCount. */
  count: number;
  /** count × dim, row-major: row i is the vector of chunk ordinal i. */
  vectors: Float32Array;
}

export interface RagscopeDB extends DBSchema {
  collections: { key: string; value: CollectionRecord };
  documents: {
    key: [collectionId: string, id: string];
    value: DocumentRecord;
    indexes: { byCollection: string };
  };
  // Keyed by ordinal (not by chunk id, whose string order puts ":10" before ":2"), so a
  // document's range comes back in chunk order without sorting.
  chunks: { key: [collectionId: string, docId: string, ordinal: number]; value: ChunkRecord };
  keyword: { key: [collectionId: string, docId: string]; value: KeywordRecord };
  originals: { key: [collectionId: string, docId: string]; value: OriginalRecord };
  vectors: {
    key: [collectionId: string, docId: string, model: string];
    value: VectorRecord;
    // dim is in the index key so a writer can check a model's dim from the key alone, without
    // reading a (possibly megabytes-large) record.
    indexes: { byModel: [collectionId: string, model: string, dim: number] };
  };
  /** Out-of-line keys: any structured-clonable value under a string key. */
  settings: { key: string; value: unknown };
  comparisons: { key: string; value: ComparisonRecord; indexes: { byTime: number } };
  /** The Evaluate view's question sets (src/eval/runs.ts), each belonging to one collection. */
  questionSets: { key: string; value: QuestionSetRecord; indexes: { byCollection: string } };
  /** Runs of a set, without their results (the list reads these only). */
  evalRuns: { key: string; value: EvalRunRecord; indexes: { byCollection: string; bySet: string } };
  /**
   * One record per question of a run, keyed by run and 0-based question index: a run's results are
   * one key range (`runRange`), in question order, and storing a question again replaces its result.
   */
  evalResults: { key: [runId: string, index: number]; value: EvalResultRecord };
}

export type StoreName = StoreNames<RagscopeDB>;

/**
 * Brings the database from `oldVersion` to `newVersion`, one block per version. Each block also
 * checks `newVersion`, so opening at an older version (tests only: see StoreOptions.version) makes
 * exactly that version's schema, and an upgrade from it is tested with the real earlier layout.
 * A block only adds: data already stored stays where it is.
 */
export function upgrade(
  db: IDBPDatabase<RagscopeDB>,
  oldVersion: number,
  newVersion: number,
  tx: IDBPTransaction<RagscopeDB, StoreName[], 'versionchange'>,
): void {
  if (oldVersion < 1 && newVersion >= 1) {
    db.createObjectStore('collections', { keyPath: 'id' });
    const documents = db.createObjectStore('documents', { keyPath: ['collectionId', 'id'] });
    documents.createIndex('byCollection', 'collectionId');
    db.createObjectStore('chunks', { keyPath: ['collectionId', 'docId', 'ordinal'] });
    db.createObjectStore('keyword', { keyPath: ['collectionId', 'docId'] });
    db.createObjectStore('originals', { keyPath: ['collectionId', 'docId'] });
    const vectors = db.createObjectStore('vectors', { keyPath: ['collectionId', 'docId', 'model'] });
    vectors.createIndex('byModel', ['collectionId', 'model', 'dim']);
    db.createObjectStore('settings');
    db.createObjectStore('comparisons', { keyPath: 'id' }).createIndex('byTime', 'createdAt');
    // Not awaited (the upgrade callback is synchronous): the request completes before open()
    // resolves, and its failure aborts the upgrade and so fails the open, which is what we want.
    tx.objectStore('collections')
      .put({ ...DEFAULT_COLLECTION, createdAt: Date.now() })
      .catch(() => undefined);
  }
  if (oldVersion < 2 && newVersion >= 2) {
    db.createObjectStore('questionSets', { keyPath: 'id' }).createIndex('byCollection', 'collectionId');
    const runs = db.createObjectStore('evalRuns', { keyPath: 'id' });
    runs.createIndex('byCollection', 'collectionId');
    // Deleting a set deletes its runs: found on this index without reading every run.
    runs.createIndex('bySet', 'setId');
    db.createObjectStore('evalResults', { keyPath: ['runId', 'index'] });
  }
}

/*
 * Key ranges. Arrays sort after every string and number in IndexedDB's key order, so `[a, []]` is
 * an upper bound for every key that starts with `a`.
 */

export function collectionRange(collectionId: string): IDBKeyRange {
  return IDBKeyRange.bound([collectionId], [collectionId, []]);
}

export function documentRange(collectionId: string, docId: string): IDBKeyRange {
  return IDBKeyRange.bound([collectionId, docId], [collectionId, docId, []]);
}

/** A run's results, in question order. */
export function runRange(runId: string): IDBKeyRange {
  return IDBKeyRange.bound([runId], [runId, []]);
}

/** A model's vectors in a collection, on the `byModel` index. */
export function modelRange(collectionId: string, model: string): IDBKeyRange {
  return IDBKeyRange.bound([collectionId, model], [collectionId, model, []]);
}

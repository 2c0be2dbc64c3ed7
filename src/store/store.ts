/**
 * The repository over IndexedDB: collections, documents with their chunks, keyword entries and
 * vectors, settings, past comparisons, and the Evaluate view's question sets, runs and results.
 * Owns every transaction on the database, the cross-tab change channel and the connection's
 * lifecycle (another tab upgrading or deleting the database closes this one).
 *
 * Atomicity (DESIGN.md): a document, its chunks and its keyword entries are written by one
 * transaction, and all of a document's vectors for one model by another, so a reader never sees
 * half a document. Every value is prepared before its transaction opens, and a transaction awaits
 * nothing but its own requests (idb README, "transaction lifetime"); a failure anywhere aborts it,
 * so nothing partial stays. The same holds for evaluations: a question's result and its run's
 * record (with the done count) are one write, and deleting a set, a run or a collection takes
 * everything that hangs off it in the same transaction.
 *
 * DOM-free: only the IndexedDB, BroadcastChannel and navigator.storage globals, which workers have.
 */

import { unwrap, wrap, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { AppError } from '../core/errors';
import { chunkId, tryParseChunkId } from '../core/ids';
import type { KeywordEntry } from '../index/types';
import type { IngestedDocument } from '../ingest/ingest';
import type { Chunk } from '../ingest/types';
import type { EvalResultRecord, EvalRunRecord, QuestionSetRecord } from '../eval/runs';
import { storageBlocked, storageUnavailable, toStorageError } from './errors';
import { storageEstimate, type StorageEstimate } from '../platform/persistence';
import {
  DEFAULT_COLLECTION,
  SCHEMA_VERSION,
  collectionRange,
  documentRange,
  modelRange,
  upgrade,
  runRange,
  type ChunkRecord,
  type ComparisonRecord,
  type CollectionRecord,
  type DocumentRecord,
  type KeywordRecord,
  type OcrWords,
  type OriginalRecord,
  type RagscopeDB,
  type StoreName,
  type VectorRecord,
} from './schema';

export const DEFAULT_DB_NAME = 'ragscope';
/** The BroadcastChannel committed changes are announced on (src/state listens to it too). */
export const STORE_CHANNEL = 'ragscope-store';

export interface StoreOptions {
  /**
   * The IndexedDB factory; defaults to `globalThis.indexedDB`. Node tests pass a fresh
   * fake-indexeddb `IDBFactory` per test (with `fake-indexeddb/auto` installing the IDB* globals
   * that idb checks values against).
   */
  indexedDB?: IDBFactory | undefined;
  /** Channel name for change notifications; null: none. Default `STORE_CHANNEL`. */
  channel?: string | null;
  /**
   * Schema version to open at; defaults to SCHEMA_VERSION. Only tests set it: higher, to play a
   * newer ragscope that upgrades the database under an open one; lower, to make a database of an
   * earlier release (exactly its schema, see `upgrade`) and check this one upgrades it intact.
   */
  version?: number;
  /** Source of the usage/quota numbers put into StorageQuotaExceeded; defaults to navigator.storage. */
  estimate?: () => Promise<StorageEstimate | null>;
}

/** The document fields a caller supplies; the store adds collectionId, chunkCount and addedAt. */
export type NewDocument = Omit<DocumentRecord, 'collectionId' | 'chunkCount' | 'addedAt' | 'originalSize'> & {
  addedAt?: number;
  /** The dropped file, kept so sources can be shown later. */
  original?: Blob;
  /** Its OCR pages' words (see OriginalRecord.ocr), kept with it. */
  ocrWords?: OcrWords[];
};

/** A stored document as lists show it: its record, plus what is stored with it. */
export interface DocumentSummary extends DocumentRecord {
  /** Embedding models whose vectors are stored for this document. */
  vectorModels: string[];
}

export interface CollectionUsage {
  collectionId: string;
  name: string;
  documents: number;
  originalBytes: number;
  textBytes: number;
  vectorBytes: number;
}

export interface CollectionSummary extends CollectionRecord {
  documents: number;
  /** Documents with vectors of the model asked about (see listCollections). */
  embedded?: number;
}

export interface DocumentVectors {
  docId: string;
  /** Chunk ids in chunk order: `chunkIds[i]` owns row i of `vectors`. */
  chunkIds: string[];
  /** chunkIds.length × dim, row-major. */
  vectors: Float32Array;
}

export interface LoadIndexOptions {
  /**
   * Called with every keyword entry as soon as they are read, while the vectors are still being
   * read: the keyword index can be built meanwhile (the browser reads in another process), which
   * the IndexedDB bench measured as the difference that brings page load under its budget.
   * Synchronous; it must not throw.
   */
  onKeyword?: (entries: KeywordEntry[]) => void;
}

/** Everything needed to rebuild a collection's in-memory indexes, read in one transaction. */
export interface LoadedIndex {
  collectionId: string;
  /** In document-id order, the order of `keyword` and of `vectors.docs`. */
  documents: DocumentSummary[];
  /** Every chunk's keyword entry: documents in id order, chunks in ordinal order. */
  keyword: KeywordEntry[];
  /** The requested model's vectors; documents without them are absent (see documentsMissingVectors). */
  vectors: { model: string; dim: number; chunks: number; docs: DocumentVectors[] } | null;
}

export type ChangeType =
  | 'document-added'
  | 'document-replaced'
  | 'document-deleted'
  | 'vectors-stored'
  | 'collection-created'
  | 'collection-renamed'
  | 'collection-deleted'
  | 'settings-changed'
  /** A question set, a run or a run's result was stored or deleted: nothing indexed changed. */
  | 'evaluation-changed';

/** Posted on the channel after a write commits. */
export interface StoreChange {
  type: ChangeType;
  collectionId: string | null;
  docId: string | null;
}

export interface ClosedInfo {
  reason: 'upgraded-elsewhere' | 'deleted-elsewhere' | 'terminated';
  /** A sentence for the user. */
  message: string;
}

const CLOSED_MESSAGES: Record<ClosedInfo['reason'], string> = {
  'upgraded-elsewhere': 'ragscope was updated in another tab; reload this one to keep working with your documents.',
  'deleted-elsewhere': 'Your ragscope library was deleted in another tab; reload this one to start a new library.',
  terminated: "The browser closed ragscope's storage (site data cleared, or a storage error); reload this page.",
};

type Db = IDBPDatabase<RagscopeDB>;

/** Copies a typed array that is a view into a larger buffer: structured clone stores the whole buffer. */
function compact<T extends Float32Array | Uint16Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

function invalid(message: string): AppError {
  return new AppError('InvalidRequest', message);
}

function collectionGone(collectionId: string): AppError {
  return invalid(`The collection “${collectionId}” no longer exists (deleted in another tab?); nothing was stored.`);
}

function runGone(runId: string): AppError {
  return invalid(`The run “${runId}” no longer exists (deleted, here or in another tab); its result was not stored.`);
}

function setGone(setId: string): AppError {
  return invalid(`The question set “${setId}” no longer exists (deleted, here or in another tab); the run was not stored.`);
}

/** Newest first; ties (the same millisecond) by id, so a list never reorders between reads. */
function newestFirst<T extends { createdAt: number; id: string }>(records: T[]): T[] {
  return records.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw invalid('A collection needs a name.');
  return trimmed;
}

function stripChunk(r: ChunkRecord): Chunk {
  const chunk: Partial<ChunkRecord> = { ...r };
  delete chunk.collectionId;
  return chunk as Chunk;
}

/** Holds a document's chunks and keyword entries to Chunk's contract: the store keys chunks by (docId, ordinal) and getChunks parses ids. */
function checkChunks(doc: Pick<NewDocument, 'id' | 'name'>, chunks: readonly Chunk[], keyword: readonly KeywordEntry[]): void {
  if (keyword.length !== chunks.length) {
    throw invalid(`“${doc.name}”: ${chunks.length} chunks but ${keyword.length} keyword entries.`);
  }
  chunks.forEach((c, i) => {
    if (c.docId !== doc.id || c.ordinal !== i || c.id !== chunkId(doc.id, i) || keyword[i]!.chunkId !== c.id) {
      throw invalid(`“${doc.name}”: chunk ${i} (${c.id}) does not belong at that position of document ${doc.id}.`);
    }
  });
}

/** The records one document is written as (its original aside), computed before any transaction opens. */
function documentRecords(
  collectionId: string,
  doc: Omit<NewDocument, 'original'>,
  chunks: readonly Chunk[],
  keyword: readonly KeywordEntry[],
): { record: DocumentRecord; chunkRecords: ChunkRecord[]; keywordRecord: KeywordRecord } {
  const record: DocumentRecord = {
    collectionId,
    id: doc.id,
    name: doc.name,
    format: doc.format,
    size: doc.size,
    addedAt: doc.addedAt ?? Date.now(),
    warnings: doc.warnings,
    chars: doc.chars,
    chunkCount: chunks.length,
  };
  if (doc.title !== undefined) record.title = doc.title;
  if (doc.pageCount !== undefined) record.pageCount = doc.pageCount;
  if (doc.encoding !== undefined) record.encoding = doc.encoding;
  if (doc.profile !== undefined) record.profile = doc.profile;
  if (doc.indexing !== undefined) record.indexing = doc.indexing;
  return {
    record,
    chunkRecords: chunks.map((c) => ({ ...c, collectionId })),
    keywordRecord: {
      collectionId,
      docId: doc.id,
      entries: keyword.map((e) => ({ chunkId: e.chunkId, length: e.length, terms: e.terms, tf: compact(e.tf) })),
    },
  };
}

function summarize(doc: DocumentRecord, models: string[]): DocumentSummary {
  return { ...doc, vectorModels: models };
}

/** The document fields of an ingested document, ready for `addDocument`. */
export function documentFields(doc: IngestedDocument, original?: Blob): NewDocument {
  const out: NewDocument = {
    id: doc.id,
    name: doc.name,
    format: doc.format,
    size: doc.size,
    warnings: doc.warnings,
    chars: doc.text.length,
  };
  if (doc.title !== undefined) out.title = doc.title;
  if (doc.pageCount !== undefined) out.pageCount = doc.pageCount;
  if (doc.encoding !== undefined) out.encoding = doc.encoding;
  if (doc.profile !== undefined) out.profile = doc.profile;
  out.indexing = doc.indexing;
  if (original) out.original = original;
  // Words for highlighting only where the original is kept (the page is drawn from it).
  if (original && doc.ocr?.length) out.ocrWords = doc.ocr.map((p) => ({ page: p.page, width: p.width, height: p.height, words: p.words }));
  return out;
}

function openConnection(factory: IDBFactory, name: string, version: number): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, version);
    } catch (e) {
      // Some private modes throw here instead of failing the request.
      reject(e);
      return;
    }
    let blocked = false;
    request.onupgradeneeded = (ev) => {
      upgrade(wrap(request.result) as unknown as Db, ev.oldVersion, ev.newVersion ?? version, wrap(request.transaction!) as never);
    };
    request.onblocked = () => {
      // Another connection ignored versionchange (an older ragscope tab). Tell the user now
      // rather than hang; if the other tab closes later, the late connection is dropped below.
      blocked = true;
      reject(storageBlocked());
    };
    request.onsuccess = () => {
      if (blocked) request.result.close();
      else resolve(request.result);
    };
    request.onerror = () => reject(request.error);
  });
}

export class Store {
  private readonly changeListeners = new Set<(change: StoreChange) => void>();
  private readonly closedListeners = new Set<(info: ClosedInfo) => void>();
  private closedInfo: ClosedInfo | null = null;
  private closedByUs = false;

  private constructor(
    private readonly db: Db,
    readonly name: string,
    private readonly channel: BroadcastChannel | null,
    private readonly estimate: () => Promise<StorageEstimate | null>,
  ) {
    const raw = unwrap(db);
    // Closing at once is what lets another tab's upgrade (or delete) proceed instead of blocking.
    raw.addEventListener('versionchange', (ev) => {
      raw.close();
      this.markClosed(ev.newVersion === null ? 'deleted-elsewhere' : 'upgraded-elsewhere');
    });
    raw.addEventListener('close', () => this.markClosed('terminated'));
    if (channel) {
      channel.onmessage = (ev: MessageEvent<unknown>) => {
        const change = ev.data as Partial<StoreChange> | null;
        if (typeof change?.type !== 'string') return;
        for (const cb of this.changeListeners) cb(change as StoreChange);
      };
    }
  }

  /**
   * Opens (creating or upgrading) the database. Fails with StorageUnavailable where IndexedDB is
   * missing or refuses to open, and StorageBlocked where another tab holds an older version open.
   */
  static async open(name = DEFAULT_DB_NAME, opts: StoreOptions = {}): Promise<Store> {
    const factory = 'indexedDB' in opts ? opts.indexedDB : (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) throw storageUnavailable();
    let raw: IDBDatabase;
    try {
      raw = await openConnection(factory, name, opts.version ?? SCHEMA_VERSION);
    } catch (e) {
      if (e instanceof AppError) throw e;
      const mapped = await toStorageError(e, opts.estimate);
      // Whatever else stops the open (private mode, a broken profile) leaves storage unusable.
      throw mapped instanceof AppError ? mapped : storageUnavailable(e);
    }
    const channelName = opts.channel === undefined ? STORE_CHANNEL : opts.channel;
    const channel = channelName !== null && typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(channelName) : null;
    return new Store(wrap(raw) as unknown as Db, name, channel, opts.estimate ?? storageEstimate);
  }

  /** Called with changes other Store instances (other tabs, workers) committed. Returns an unsubscribe. */
  onChange(cb: (change: StoreChange) => void): () => void {
    this.changeListeners.add(cb);
    return () => this.changeListeners.delete(cb);
  }

  /**
   * Called once if the connection closes under us (another tab upgraded or deleted the database,
   * or the browser dropped it); every later call fails with StorageUnavailable and this message.
   */
  onClosed(cb: (info: ClosedInfo) => void): () => void {
    if (this.closedInfo && !this.closedByUs) queueMicrotask(() => cb(this.closedInfo!));
    else this.closedListeners.add(cb);
    return () => this.closedListeners.delete(cb);
  }

  get closed(): boolean {
    return this.closedInfo !== null;
  }

  close(): void {
    // Closing twice, or after another tab closed us, is harmless: IDBDatabase.close is idempotent.
    if (!this.closedInfo) {
      this.closedByUs = true;
      this.closedInfo = { reason: 'terminated', message: 'The library was closed.' };
    }
    this.db.close();
    this.channel?.close();
    this.changeListeners.clear();
    this.closedListeners.clear();
  }

  private markClosed(reason: ClosedInfo['reason']): void {
    if (this.closedInfo) return;
    this.closedInfo = { reason, message: CLOSED_MESSAGES[reason] };
    this.channel?.close();
    for (const cb of this.closedListeners) cb(this.closedInfo);
    this.closedListeners.clear();
    this.changeListeners.clear();
  }

  private conn(): Db {
    if (this.closedInfo) throw storageUnavailable(undefined, this.closedInfo.message);
    return this.db;
  }

  private announce(change: StoreChange): void {
    try {
      this.channel?.postMessage(change);
    } catch {
      // A closed channel (the store closing meanwhile) only means nobody else is told.
    }
  }

  private async fail(e: unknown): Promise<never> {
    if (this.closedInfo && !(e instanceof AppError)) throw storageUnavailable(e, this.closedInfo.message);
    throw await toStorageError(e, this.estimate);
  }

  /**
   * Runs `body` in one transaction and waits for it to commit. Any error thrown by the body
   * (including a synchronous DataCloneError from a put) aborts the transaction, so the writes made
   * before it are rolled back; errors are mapped to the app's storage errors after the abort.
   */
  private async tx<const S extends StoreName[], M extends IDBTransactionMode, T>(
    stores: S,
    mode: M,
    body: (tx: IDBPTransaction<RagscopeDB, S, M>) => Promise<T>,
  ): Promise<T> {
    let tx: IDBPTransaction<RagscopeDB, S, M>;
    try {
      tx = this.conn().transaction(stores, mode);
    } catch (e) {
      return this.fail(e);
    }
    // idb creates `done` eagerly; without a handler an aborted transaction is an unhandled rejection.
    const done = tx.done;
    done.catch(() => undefined);
    let result: T;
    try {
      result = await body(tx);
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // Already aborted by the failing request, or finished.
      }
      return this.fail(e);
    }
    try {
      await done;
    } catch (e) {
      // The commit failed: quota (Chromium reports it here, at commit), a disk error, a close.
      return this.fail(e);
    }
    return result;
  }

  // ---- documents -------------------------------------------------------------------------

  /**
   * Stores a document with its chunks and their keyword entries (`keyword[i]` belongs to
   * `chunks[i]`), in one transaction: all of it or none. Content already in the collection (same
   * id) is left as it is: 'duplicate'.
   */
  async addDocument(
    collectionId: string,
    doc: NewDocument,
    chunks: readonly Chunk[],
    keyword: readonly KeywordEntry[],
  ): Promise<'added' | 'duplicate'> {
    // Everything is computed and checked before the transaction opens.
    checkChunks(doc, chunks, keyword);
    const { record, chunkRecords, keywordRecord } = documentRecords(collectionId, doc, chunks, keyword);
    if (doc.original !== undefined) record.originalSize = doc.original.size;

    const status = await this.tx(['collections', 'documents', 'chunks', 'keyword', 'originals'], 'readwrite', async (tx) => {
      const [collection, existing] = await Promise.all([
        tx.objectStore('collections').getKey(collectionId),
        tx.objectStore('documents').getKey([collectionId, doc.id]),
      ]);
      if (collection === undefined) throw collectionGone(collectionId);
      if (existing !== undefined) return 'duplicate' as const;
      // Raw requests, not idb promises: thousands of puts need no promise each, and a failing
      // one aborts the transaction, which `done` reports.
      unwrap(tx.objectStore('documents')).add(record);
      const chunkStore = unwrap(tx.objectStore('chunks'));
      for (const c of chunkRecords) chunkStore.put(c);
      unwrap(tx.objectStore('keyword')).put(keywordRecord);
      if (doc.original !== undefined) {
        const kept: OriginalRecord = { collectionId, docId: doc.id, file: doc.original };
        if (doc.ocrWords?.length) kept.ocr = doc.ocrWords;
        unwrap(tx.objectStore('originals')).put(kept);
      }
      return 'added' as const;
    });
    if (status === 'added') this.announce({ type: 'document-added', collectionId, docId: doc.id });
    return status;
  }

  /**
   * Replaces a stored document's chunks and keyword entries with new ones (the same file chunked
   * again, e.g. with other chunk settings), in one transaction: its vectors of every model are
   * dropped with the old chunks (they no longer match), its original and its place in the list are
   * kept. Search never sees the document half replaced; 'missing' when it was deleted meanwhile.
   */
  async replaceDocument(
    collectionId: string,
    doc: Omit<NewDocument, 'original'>,
    chunks: readonly Chunk[],
    keyword: readonly KeywordEntry[],
  ): Promise<'replaced' | 'missing'> {
    checkChunks(doc, chunks, keyword);
    const { record, chunkRecords, keywordRecord } = documentRecords(collectionId, doc, chunks, keyword);
    const status = await this.tx(['documents', 'chunks', 'keyword', 'vectors'], 'readwrite', async (tx) => {
      const existing = await tx.objectStore('documents').get([collectionId, doc.id]);
      if (existing === undefined) return 'missing' as const;
      record.addedAt = existing.addedAt;
      if (existing.originalSize !== undefined) record.originalSize = existing.originalSize;
      unwrap(tx.objectStore('chunks')).delete(documentRange(collectionId, doc.id));
      unwrap(tx.objectStore('vectors')).delete(documentRange(collectionId, doc.id));
      unwrap(tx.objectStore('documents')).put(record);
      const chunkStore = unwrap(tx.objectStore('chunks'));
      for (const c of chunkRecords) chunkStore.put(c);
      unwrap(tx.objectStore('keyword')).put(keywordRecord);
      return 'replaced' as const;
    });
    if (status === 'replaced') this.announce({ type: 'document-replaced', collectionId, docId: doc.id });
    return status;
  }

  /**
   * Stores all of a document's vectors for one embedding model (`count × dim` values, row i for
   * chunk ordinal i), replacing earlier ones of that model. Refuses (EmbeddingModelMismatch) a
   * count that is not the document's chunk count or a dim unlike the model's other vectors in the
   * collection. Returns 'missing', writing nothing, when the document is gone (deleted meanwhile).
   */
  async putVectors(collectionId: string, docId: string, model: string, dim: number, vectors: Float32Array): Promise<'stored' | 'missing'> {
    if (!Number.isInteger(dim) || dim <= 0 || vectors.length % dim !== 0) {
      throw new AppError(
        'EmbeddingModelMismatch',
        `The embedding model “${model}” returned ${vectors.length} values, not a whole number of ${dim}-dimensional vectors; nothing was stored. Re-embed the document.`,
        { model, dim, values: vectors.length },
      );
    }
    const count = vectors.length / dim;
    const record: VectorRecord = { collectionId, docId, model, dim, count, vectors: compact(vectors) };
    const status = await this.tx(['documents', 'vectors'], 'readwrite', async (tx) => {
      const [doc, sibling] = await Promise.all([
        tx.objectStore('documents').get([collectionId, docId]),
        tx.objectStore('vectors').index('byModel').openKeyCursor(modelRange(collectionId, model)),
      ]);
      if (!doc) return 'missing' as const;
      if (count !== doc.chunkCount) {
        throw new AppError(
          'EmbeddingModelMismatch',
          `“${doc.name}” has ${doc.chunkCount} chunks but ${count} vectors arrived; nothing was stored. Re-embed the document.`,
          { model, expected: doc.chunkCount, got: count },
        );
      }
      const siblingDim = sibling?.key[2];
      if (siblingDim !== undefined && siblingDim !== dim) {
        throw new AppError(
          'EmbeddingModelMismatch',
          `Vectors of “${model}” in this collection have ${siblingDim} dimensions, these have ${dim}; nothing was stored. Choose the embedding model again or re-embed the collection.`,
          { model, expected: siblingDim, got: dim },
        );
      }
      unwrap(tx.objectStore('vectors')).put(record);
      return 'stored' as const;
    });
    if (status === 'stored') this.announce({ type: 'vectors-stored', collectionId, docId });
    return status;
  }

  /** Removes a document with its chunks, keyword entries and vectors of every model. False if it was not there. */
  async deleteDocument(collectionId: string, docId: string): Promise<boolean> {
    const existed = await this.tx(['documents', 'chunks', 'keyword', 'vectors', 'originals'], 'readwrite', async (tx) => {
      const key = await tx.objectStore('documents').getKey([collectionId, docId]);
      if (key === undefined) return false;
      unwrap(tx.objectStore('documents')).delete([collectionId, docId]);
      unwrap(tx.objectStore('chunks')).delete(documentRange(collectionId, docId));
      unwrap(tx.objectStore('keyword')).delete([collectionId, docId]);
      unwrap(tx.objectStore('vectors')).delete(documentRange(collectionId, docId));
      unwrap(tx.objectStore('originals')).delete([collectionId, docId]);
      return true;
    });
    if (existed) this.announce({ type: 'document-deleted', collectionId, docId });
    return existed;
  }

  /** The collection's documents, oldest first, with sizes, counts and which models embedded them. */
  listDocuments(collectionId: string): Promise<DocumentSummary[]> {
    return this.tx(['documents', 'vectors'], 'readonly', async (tx) => {
      const [docs, vectorKeys] = await Promise.all([
        tx.objectStore('documents').index('byCollection').getAll(collectionId),
        tx.objectStore('vectors').getAllKeys(collectionRange(collectionId)),
      ]);
      return summaries(docs, vectorKeys).sort((a, b) => a.addedAt - b.addedAt || (a.id < b.id ? -1 : 1));
    });
  }

  async getDocument(collectionId: string, docId: string): Promise<DocumentSummary | null> {
    return this.tx(['documents', 'vectors'], 'readonly', async (tx) => {
      const [doc, vectorKeys] = await Promise.all([
        tx.objectStore('documents').get([collectionId, docId]),
        tx.objectStore('vectors').getAllKeys(documentRange(collectionId, docId)),
      ]);
      return doc
        ? summarize(
            doc,
            vectorKeys.map((k) => k[2]),
          )
        : null;
    });
  }

  /** The dropped file, when it was kept. */
  async getOriginal(collectionId: string, docId: string): Promise<Blob | null> {
    return (await this.getOriginalRecord(collectionId, docId))?.file ?? null;
  }

  /** The dropped file with its OCR words, when it was kept. */
  async getOriginalRecord(collectionId: string, docId: string): Promise<OriginalRecord | null> {
    const kept = await this.tx(['originals'], 'readonly', (tx) => tx.objectStore('originals').get([collectionId, docId]));
    return kept ?? null;
  }

  /** Documents without vectors of `model`, oldest first: what to embed after a reload or a model change. */
  async documentsMissingVectors(collectionId: string, model: string): Promise<DocumentSummary[]> {
    const docs = await this.listDocuments(collectionId);
    return docs.filter((d) => !d.vectorModels.includes(model));
  }

  /** The chunks with these ids that exist, by id (ids of deleted documents are simply absent). */
  getChunks(collectionId: string, chunkIds: readonly string[]): Promise<Map<string, Chunk>> {
    return this.tx(['chunks'], 'readonly', async (tx) => {
      const store = tx.objectStore('chunks');
      const found = await Promise.all(
        chunkIds.map((id) => {
          const key = tryParseChunkId(id);
          return key ? store.get([collectionId, key.docId, key.ordinal]) : undefined;
        }),
      );
      const out = new Map<string, Chunk>();
      for (const r of found) if (r) out.set(r.id, stripChunk(r));
      return out;
    });
  }

  /** A document's chunks in order. */
  chunksOf(collectionId: string, docId: string): Promise<Chunk[]> {
    return this.tx(['chunks'], 'readonly', async (tx) =>
      (await tx.objectStore('chunks').getAll(documentRange(collectionId, docId))).map(stripChunk),
    );
  }

  /**
   * Every chunk of the collection, with its text: documents in id order, chunks in ordinal order,
   * in one read. For what needs the whole text (evaluation's evidence scan, passage sampling);
   * search reads only the chunks it returns (getChunks).
   */
  collectionChunks(collectionId: string): Promise<Chunk[]> {
    return this.tx(['chunks'], 'readonly', async (tx) =>
      (await tx.objectStore('chunks').getAll(collectionRange(collectionId))).map(stripChunk),
    );
  }

  /**
   * Reads what rebuilding the collection's search indexes needs, in one transaction (a consistent
   * snapshot) and with one getAll per store: the keyword entries of every document and, when
   * `model` is given, its vectors. Chunk texts are not read; fetch them for hits with getChunks.
   */
  loadIndex(collectionId: string, model?: string, opts: LoadIndexOptions = {}): Promise<LoadedIndex> {
    return this.tx(['documents', 'keyword', 'vectors'], 'readonly', async (tx) => {
      const vectorStore = tx.objectStore('vectors');
      const [docs, keyword, vectorKeys, vectorRecords] = await Promise.all([
        tx.objectStore('documents').index('byCollection').getAll(collectionId),
        tx
          .objectStore('keyword')
          .getAll(collectionRange(collectionId))
          .then((records) => {
            const entries = records.flatMap((r) => r.entries);
            opts.onKeyword?.(entries);
            return entries;
          }),
        vectorStore.getAllKeys(collectionRange(collectionId)),
        model === undefined ? Promise.resolve([]) : vectorStore.index('byModel').getAll(modelRange(collectionId, model)),
      ]);
      let vectors: LoadedIndex['vectors'] = null;
      if (model !== undefined) {
        // putVectors keeps one dim per model and collection; take it from any record.
        const dim = vectorRecords[0]?.dim ?? 0;
        let chunks = 0;
        const out: DocumentVectors[] = [];
        for (const r of vectorRecords) {
          chunks += r.count;
          out.push({ docId: r.docId, chunkIds: Array.from({ length: r.count }, (_, i) => chunkId(r.docId, i)), vectors: r.vectors });
        }
        vectors = { model, dim, chunks, docs: out };
      }
      return { collectionId, documents: summaries(docs, vectorKeys), keyword, vectors };
    });
  }

  // ---- collections -----------------------------------------------------------------------

  /** Collections, oldest first, with their document counts. */
  /**
   * The collections with their document counts, oldest first; given a model, also how many of
   * each collection's documents have its vectors (counted on the index: no vector is read).
   */
  listCollections(model?: string): Promise<CollectionSummary[]> {
    return this.tx(['collections', 'documents', 'vectors'], 'readonly', async (tx) => {
      const collections = await tx.objectStore('collections').getAll();
      const byCollection = tx.objectStore('documents').index('byCollection');
      const byModel = tx.objectStore('vectors').index('byModel');
      const [counts, embedded] = await Promise.all([
        Promise.all(collections.map((c) => byCollection.count(c.id))),
        // One vectors record per document and model (see VectorRecord).
        model === undefined ? null : Promise.all(collections.map((c) => byModel.count(modelRange(c.id, model)))),
      ]);
      // Created in the same millisecond (the default and a first collection, in tests): default first.
      const rank = (c: CollectionRecord): number => (c.id === DEFAULT_COLLECTION.id ? 0 : 1);
      return collections
        .map((c, i) => ({ ...c, documents: counts[i]!, ...(embedded ? { embedded: embedded[i]! } : {}) }))
        .sort((a, b) => a.createdAt - b.createdAt || rank(a) - rank(b) || a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
    });
  }

  /**
   * Roughly what each collection takes on disk, from records' metadata only (no text or vector is
   * read): kept original files, extracted text (counted once, though chunks overlap and keyword
   * entries add to it), and vectors (chunks × dimension × 4 bytes per embedding model).
   */
  usage(): Promise<CollectionUsage[]> {
    return this.tx(['collections', 'documents', 'vectors'], 'readonly', async (tx) => {
      const [collections, docs] = await Promise.all([tx.objectStore('collections').getAll(), tx.objectStore('documents').getAll()]);
      const out = new Map<string, CollectionUsage>(
        collections.map((c) => [c.id, { collectionId: c.id, name: c.name, documents: 0, originalBytes: 0, textBytes: 0, vectorBytes: 0 }]),
      );
      const chunks = new Map<string, number>();
      for (const d of docs) {
        chunks.set(`${d.collectionId}\u0000${d.id}`, d.chunkCount);
        const u = out.get(d.collectionId);
        if (!u) continue;
        u.documents += 1;
        u.originalBytes += d.originalSize ?? 0;
        u.textBytes += d.chars;
      }
      let cursor = await tx.objectStore('vectors').index('byModel').openKeyCursor();
      while (cursor) {
        const [collectionId, , dim] = cursor.key;
        const [, docId] = cursor.primaryKey;
        const u = out.get(collectionId);
        if (u) u.vectorBytes += (chunks.get(`${collectionId}\u0000${docId}`) ?? 0) * dim * 4;
        cursor = await cursor.continue();
      }
      return [...out.values()];
    });
  }

  async createCollection(name: string): Promise<CollectionRecord> {
    const record: CollectionRecord = { id: crypto.randomUUID(), name: checkName(name), createdAt: Date.now() };
    await this.tx(['collections'], 'readwrite', async (tx) => {
      unwrap(tx.objectStore('collections')).add(record);
    });
    this.announce({ type: 'collection-created', collectionId: record.id, docId: null });
    return record;
  }

  /** False when the collection does not exist (deleted in another tab). */
  async renameCollection(id: string, name: string): Promise<boolean> {
    const trimmed = checkName(name);
    const found = await this.tx(['collections'], 'readwrite', async (tx) => {
      const record = await tx.objectStore('collections').get(id);
      if (!record) return false;
      unwrap(tx.objectStore('collections')).put({ ...record, name: trimmed });
      return true;
    });
    if (found) this.announce({ type: 'collection-renamed', collectionId: id, docId: null });
    return found;
  }

  /**
   * Deletes a collection and everything in it (documents and what is stored with them, question
   * sets, runs and their results), in one transaction. There is always at least one collection to
   * drop files into: deleting the last one leaves a fresh, empty default.
   */
  async deleteCollection(id: string): Promise<boolean> {
    const createdAt = Date.now();
    const stores = ['collections', 'documents', 'chunks', 'keyword', 'vectors', 'originals'] as const;
    const evaluations = ['questionSets', 'evalRuns', 'evalResults'] as const;
    const found = await this.tx([...stores, ...evaluations], 'readwrite', async (tx) => {
      const collections = tx.objectStore('collections');
      const [record, all, sets, runs] = await Promise.all([
        collections.get(id),
        collections.getAllKeys(),
        tx.objectStore('questionSets').index('byCollection').getAllKeys(id),
        tx.objectStore('evalRuns').index('byCollection').getAllKeys(id),
      ]);
      if (!record) return false;
      const range = collectionRange(id);
      unwrap(collections).delete(id);
      unwrap(tx.objectStore('documents')).delete(range);
      unwrap(tx.objectStore('chunks')).delete(range);
      unwrap(tx.objectStore('keyword')).delete(range);
      unwrap(tx.objectStore('vectors')).delete(range);
      unwrap(tx.objectStore('originals')).delete(range);
      for (const setId of sets) unwrap(tx.objectStore('questionSets')).delete(setId);
      for (const runId of runs) {
        unwrap(tx.objectStore('evalRuns')).delete(runId);
        unwrap(tx.objectStore('evalResults')).delete(runRange(runId));
      }
      if (all.length === 1) unwrap(collections).put({ ...DEFAULT_COLLECTION, createdAt });
      return true;
    });
    if (found) this.announce({ type: 'collection-deleted', collectionId: id, docId: null });
    return found;
  }

  // ---- comparisons -----------------------------------------------------------------------

  /**
   * Keeps a comparison; the oldest go once more than `keep` are kept (default 200: a workshop's
   * worth, a few MB at most).
   */
  async addComparison(record: ComparisonRecord, keep = 200): Promise<void> {
    await this.tx(['comparisons'], 'readwrite', async (tx) => {
      const store = tx.objectStore('comparisons');
      unwrap(store).put(record);
      const count = await store.count();
      if (count <= keep) return;
      let cursor = await store.index('byTime').openKeyCursor();
      for (let extra = count - keep; cursor && extra > 0; extra--) {
        unwrap(store).delete(cursor.primaryKey);
        cursor = await cursor.continue();
      }
    });
  }

  /** Newest first, at most `limit`. */
  async listComparisons(limit = 50): Promise<ComparisonRecord[]> {
    return this.tx(['comparisons'], 'readonly', async (tx) => {
      const out: ComparisonRecord[] = [];
      let cursor = await tx.objectStore('comparisons').index('byTime').openCursor(null, 'prev');
      while (cursor && out.length < limit) {
        out.push(cursor.value);
        cursor = await cursor.continue();
      }
      return out;
    });
  }

  async deleteComparison(id: string): Promise<void> {
    await this.tx(['comparisons'], 'readwrite', async (tx) => {
      unwrap(tx.objectStore('comparisons')).delete(id);
    });
  }

  // ---- evaluations -----------------------------------------------------------------------

  /** The collection's question sets, newest first (by creation: editing a set does not move it). */
  listQuestionSets(collectionId: string): Promise<QuestionSetRecord[]> {
    return this.tx(['questionSets'], 'readonly', async (tx) =>
      newestFirst(await tx.objectStore('questionSets').index('byCollection').getAll(collectionId)),
    );
  }

  /**
   * Adds a question set or replaces the one with its id. Refuses (InvalidRequest), writing
   * nothing, a set without a name or questions, one for a collection that does not exist (deleted
   * in another tab), and one that would move an existing set to another collection (its runs stay
   * with the collection they ran on).
   */
  async putQuestionSet(record: QuestionSetRecord): Promise<void> {
    if (!record.name.trim()) throw invalid('A question set needs a name.');
    if (!Array.isArray(record.questions) || record.questions.length === 0) {
      throw invalid(`The question set “${record.name}” has no questions; nothing was stored.`);
    }
    await this.tx(['collections', 'questionSets'], 'readwrite', async (tx) => {
      const [collection, existing] = await Promise.all([
        tx.objectStore('collections').getKey(record.collectionId),
        tx.objectStore('questionSets').get(record.id),
      ]);
      if (collection === undefined) throw collectionGone(record.collectionId);
      if (existing && existing.collectionId !== record.collectionId) {
        throw invalid(`The question set “${record.name}” belongs to another collection; nothing was stored.`);
      }
      unwrap(tx.objectStore('questionSets')).put(record);
    });
    this.announce({ type: 'evaluation-changed', collectionId: record.collectionId, docId: null });
  }

  /** Deletes a question set with its runs and their results, in one transaction. False if it was not there. */
  async deleteQuestionSet(id: string): Promise<boolean> {
    const collectionId = await this.tx(['questionSets', 'evalRuns', 'evalResults'], 'readwrite', async (tx) => {
      const [set, runs] = await Promise.all([
        tx.objectStore('questionSets').get(id),
        tx.objectStore('evalRuns').index('bySet').getAllKeys(id),
      ]);
      for (const runId of runs) {
        unwrap(tx.objectStore('evalRuns')).delete(runId);
        unwrap(tx.objectStore('evalResults')).delete(runRange(runId));
      }
      if (!set) return null;
      unwrap(tx.objectStore('questionSets')).delete(id);
      return set.collectionId;
    });
    if (collectionId !== null) this.announce({ type: 'evaluation-changed', collectionId, docId: null });
    return collectionId !== null;
  }

  /** The collection's runs without their results, newest first. */
  listEvalRuns(collectionId: string): Promise<EvalRunRecord[]> {
    return this.tx(['evalRuns'], 'readonly', async (tx) =>
      newestFirst(await tx.objectStore('evalRuns').index('byCollection').getAll(collectionId)),
    );
  }

  /** A run with its results in question order, read together (a consistent pair); null when it is gone. */
  getEvalRun(id: string): Promise<{ run: EvalRunRecord; results: EvalResultRecord[] } | null> {
    return this.tx(['evalRuns', 'evalResults'], 'readonly', async (tx) => {
      const [run, results] = await Promise.all([tx.objectStore('evalRuns').get(id), tx.objectStore('evalResults').getAll(runRange(id))]);
      return run ? { run, results } : null;
    });
  }

  /**
   * Adds a run's record or updates it (status, settings, time); its results are untouched, and
   * `done` is stored as the number of results the store holds for it, whatever the caller counted.
   * Refuses (InvalidRequest), writing nothing, a run whose collection or question set no longer
   * exists (deleted while it ran: storing it would leave a run nothing lists), or one that would
   * move an existing run to another collection or set. Returns the run as stored. A run deleted
   * meanwhile cannot be told from a new one, so it would come back (empty): a caller whose
   * saveEvalResult was refused for a deleted run must not put the run again.
   */
  async putEvalRun(run: EvalRunRecord): Promise<EvalRunRecord> {
    const stored = await this.tx(['collections', 'questionSets', 'evalRuns', 'evalResults'], 'readwrite', async (tx) => {
      const [collection, set, existing, done] = await Promise.all([
        tx.objectStore('collections').getKey(run.collectionId),
        tx.objectStore('questionSets').get(run.setId),
        tx.objectStore('evalRuns').get(run.id),
        tx.objectStore('evalResults').count(runRange(run.id)),
      ]);
      if (collection === undefined) throw collectionGone(run.collectionId);
      if (!set || set.collectionId !== run.collectionId) throw setGone(run.setId);
      if (existing && (existing.collectionId !== run.collectionId || existing.setId !== run.setId)) {
        throw invalid(`The run “${run.label}” belongs to another question set; nothing was stored.`);
      }
      const record: EvalRunRecord = { ...run, done };
      unwrap(tx.objectStore('evalRuns')).put(record);
      return record;
    });
    this.announce({ type: 'evaluation-changed', collectionId: run.collectionId, docId: null });
    return stored;
  }

  /**
   * Stores one question's result and the run as it now stands, in one transaction, so the run's
   * `done` count and the results stored never disagree (`done` is counted from the store, after
   * this result). Storing a question's result again replaces it. Refuses (InvalidRequest), writing
   * nothing, when the run record no longer exists (the run was deleted, here or in another tab,
   * while a question was under way): a result of a deleted run must not be kept, and the caller's
   * loop should stop rather than go on asking questions. Returns the run as stored.
   */
  async saveEvalResult(result: EvalResultRecord, run: EvalRunRecord): Promise<EvalRunRecord> {
    if (result.runId !== run.id) throw invalid(`A result of run “${result.runId}” cannot be stored with run “${run.id}”.`);
    if (!Number.isInteger(result.index) || result.index < 0 || result.index >= run.total) {
      throw invalid(`Question ${result.index} is not in the run “${run.label}” (${run.total} questions); nothing was stored.`);
    }
    const stored = await this.tx(['evalRuns', 'evalResults'], 'readwrite', async (tx) => {
      const existing = await tx.objectStore('evalRuns').get(run.id);
      if (!existing) throw runGone(run.id);
      if (existing.collectionId !== run.collectionId || existing.setId !== run.setId) {
        throw invalid(`The run “${run.label}” belongs to another question set; nothing was stored.`);
      }
      const results = tx.objectStore('evalResults');
      unwrap(results).put(result);
      // Requests run in order: the count sees the put above.
      const record: EvalRunRecord = { ...run, done: await results.count(runRange(run.id)) };
      unwrap(tx.objectStore('evalRuns')).put(record);
      return record;
    });
    this.announce({ type: 'evaluation-changed', collectionId: run.collectionId, docId: null });
    return stored;
  }

  /** Deletes a run with its results, in one transaction. False if it was not there. */
  async deleteEvalRun(id: string): Promise<boolean> {
    const collectionId = await this.tx(['evalRuns', 'evalResults'], 'readwrite', async (tx) => {
      const run = await tx.objectStore('evalRuns').get(id);
      // Results without their run cannot be: the range goes either way.
      unwrap(tx.objectStore('evalResults')).delete(runRange(id));
      if (!run) return null;
      unwrap(tx.objectStore('evalRuns')).delete(id);
      return run.collectionId;
    });
    if (collectionId !== null) this.announce({ type: 'evaluation-changed', collectionId, docId: null });
    return collectionId !== null;
  }

  // ---- settings --------------------------------------------------------------------------

  async getSetting<T = unknown>(key: string): Promise<T | undefined> {
    return (await this.tx(['settings'], 'readonly', (tx) => tx.objectStore('settings').get(key))) as T | undefined;
  }

  /** Any structured-clonable value; `undefined` removes the key. */
  async setSetting(key: string, value: unknown): Promise<void> {
    await this.tx(['settings'], 'readwrite', async (tx) => {
      const store = unwrap(tx.objectStore('settings'));
      if (value === undefined) store.delete(key);
      else store.put(value, key);
    });
    this.announce({ type: 'settings-changed', collectionId: null, docId: null });
  }
}

function summaries(docs: DocumentRecord[], vectorKeys: [string, string, string][]): DocumentSummary[] {
  const models = new Map<string, string[]>();
  for (const [, docId, model] of vectorKeys) {
    const list = models.get(docId);
    if (list) list.push(model);
    else models.set(docId, [model]);
  }
  return docs.map((d) => summarize(d, models.get(d.id) ?? []));
}

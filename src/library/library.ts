/**
 * One open collection: the IndexedDB store plus the in-memory keyword (BM25) and dense indexes
 * built over it, kept in step with every write. The library worker owns one of these; the bench and
 * Node tests drive the very same class. DOM-free.
 *
 * Writes go to the store first and reach the in-memory indexes only after their transaction has
 * committed, so a search never sees a document the store does not hold, and a failed write
 * (quota, a closed connection) leaves both untouched. Changes committed by other tabs arrive on
 * the store's channel; `reload()` rebuilds from the store (one transaction, a consistent snapshot).
 *
 * For the Evaluate view it also scores retrieval by the evidence rule over the collection's own
 * passages (an evaluator kept per question list until the collection changes) and draws passages
 * to generate questions from.
 */

import { DenseIndex } from '../index/dense';
import { DocumentIndex, documentProfile, type DocumentProfile } from '../index/documents';
import { keywordEntry } from '../index/analyze';
import { KeywordIndex } from '../index/keyword';
import { retrieve, type RetrieveRequest } from '../index/retrieve';
import { documentLabel, indexedText } from '../ingest/context';
import type { IngestedDocument } from '../ingest/ingest';
import { AppError, throwIfCancelled } from '../core/errors';
import { chunkId, parseChunkId } from '../core/ids';
import type { Progress } from '../core/progress';
import type { Embedder } from '../embed/embedder';
import type {
  CollectionInfo,
  EmbedSummary,
  LibraryDoc,
  LibrarySnapshot,
  OriginalFile,
  PassageContext,
  PendingEmbedding,
  RankedPassage,
  SampledPassage,
  SearchRequest,
  SearchResult,
  SearchHit,
  TraceCandidate,
} from './protocol';
import { DEFAULT_COLLECTION, documentFields, type DocumentSummary, type Store } from '../store';
import { isPersisted, storageEstimate } from '../platform/persistence';
import { pendingEmbeddings } from './pending';
import { RagEvaluator, type CorpusPassage } from '../eval/rag';
import type { EvalQuestion, RetrievalScore } from '../eval/runs';
import { samplePassageRefs } from '../eval/sample';
import type { Chunk } from '../ingest/types';

/** Settings key remembering the collection the user last opened, so a reload comes back to it. */
export const LAST_COLLECTION_KEY = 'library.lastCollection';

export interface OpenOptions {
  /** Omitted: the last opened collection, or the default one. */
  collectionId?: string | undefined;
  /** The embedding model whose vectors the dense index holds. */
  model: string;
}

/**
 * What stood between two chunks that do not overlap, from the `end` of one to the `start` of the
 * next (chunks keep offsets, not the blank itself). Parsers join blocks with one blank line and
 * collapse other runs of blanks (src/ingest/parsers/blocks.ts), so two characters or more are a
 * paragraph break; one is a space or a line break, shown as a space.
 */
function gap(end: number, start: number): string {
  const n = start - end;
  return n <= 0 ? '' : n === 1 ? ' ' : '\n\n';
}

function toLibraryDoc(d: DocumentSummary, model: string): LibraryDoc {
  const out: LibraryDoc = {
    id: d.id,
    name: d.name,
    format: d.format,
    size: d.size,
    addedAt: d.addedAt,
    chars: d.chars,
    chunkCount: d.chunkCount,
    embedded: d.vectorModels.includes(model),
    otherModels: d.vectorModels.filter((m) => m !== model),
  };
  if (d.title !== undefined) out.title = d.title;
  if (d.indexing !== undefined) out.indexing = d.indexing;
  if (d.pageCount !== undefined) out.pages = d.pageCount;
  if (d.originalSize !== undefined) out.originalSize = d.originalSize;
  return out;
}

/** A stored document's profile; one stored before profiles existed gets one from its name and title. */
function profileOf(d: DocumentSummary): DocumentProfile {
  return d.profile ?? documentProfile(documentLabel(d.name, d.title), '');
}

export class Library {
  private keyword = new KeywordIndex();
  private dense: DenseIndex | null = null;
  /** What each document says about itself, for document-aware ranking. */
  private profiles = new DocumentIndex();
  /** The collection's documents in the order the list shows them (oldest first). */
  private docs = new Map<string, LibraryDoc>();
  private readyMs = 0;
  /**
   * The last rebuild (ms): reading the store (the keyword index is built while the vectors are still
   * being read, so its time is inside `readMs`), then building what was left (the dense index).
   */
  lastLoad = { readMs: 0, buildMs: 0 };
  /**
   * Writes and reloads run one at a time: a reload that read the store before a delete committed
   * must not put the deleted document back into memory after the delete took it out.
   */
  private chain: Promise<unknown> = Promise.resolve();
  /**
   * Bumped whenever the collection's documents or chunks change in memory (a rebuild, an add, a
   * replace, a delete): what was computed from the passages before (the evaluator) is stale.
   */
  private generation = 0;
  /**
   * The evaluator of the last question list asked about (scoreRetrieval), with the generation its
   * passages were read at. Building one reads and analyses every passage of the collection, so a
   * run of hundreds of questions builds it once, not per question.
   */
  private evaluator: { key: string; generation: number; built: Promise<RagEvaluator> } | null = null;

  private constructor(
    readonly store: Store,
    readonly collectionId: string,
    readonly model: string,
  ) {}

  /**
   * Opens a collection and builds its indexes from the store. A collection that no longer exists
   * (deleted in another tab) falls back to the default one rather than failing.
   */
  static async open(store: Store, opts: OpenOptions): Promise<Library> {
    const started = performance.now();
    // Two read-only transactions, run side by side: this is on the page-load path.
    const [collections, last] = await Promise.all([store.listCollections(), store.getSetting<string>(LAST_COLLECTION_KEY)]);
    const wanted = opts.collectionId ?? last;
    const found = collections.find((c) => c.id === wanted) ?? collections.find((c) => c.id === DEFAULT_COLLECTION.id) ?? collections[0];
    if (!found) throw new AppError('StorageUnavailable', 'Your library has no collection to open. Reload the page.');
    const lib = new Library(store, found.id, opts.model);
    await lib.rebuild();
    lib.readyMs = performance.now() - started;
    // Written only when it changes: every write is announced to the other tabs.
    if (last !== found.id) await store.setSetting(LAST_COLLECTION_KEY, found.id);
    return lib;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every write started so far has finished (a successor can then read the store). */
  async idle(): Promise<void> {
    await this.chain;
  }

  /** Rebuilds both indexes and the document list from the store (after another tab's change). */
  reload(): Promise<void> {
    return this.serial(() => this.rebuild());
  }

  private async rebuild(): Promise<void> {
    const started = performance.now();
    let keyword: KeywordIndex | null = null;
    const loaded = await this.store.loadIndex(this.collectionId, this.model, {
      onKeyword: (entries) => (keyword = KeywordIndex.fromEntries(entries)),
    });
    const read = performance.now();
    keyword ??= KeywordIndex.fromEntries(loaded.keyword);
    let dense: DenseIndex | null = null;
    const v = loaded.vectors;
    if (v && v.chunks > 0) {
      dense = new DenseIndex(v.model, v.dim);
      for (const d of v.docs) dense.add(d.chunkIds, d.vectors, v.dim, v.model);
    }
    const docs = new Map<string, LibraryDoc>();
    const profiles = new DocumentIndex();
    for (const d of [...loaded.documents].sort((a, b) => a.addedAt - b.addedAt || (a.id < b.id ? -1 : 1))) {
      docs.set(d.id, toLibraryDoc(d, this.model));
      profiles.set(d.id, profileOf(d));
    }
    this.keyword = keyword;
    this.dense = dense;
    this.docs = docs;
    this.profiles = profiles;
    this.generation++;
    this.lastLoad = { readMs: read - started, buildMs: performance.now() - read };
  }

  /** Chunks searchable by keyword / by meaning. */
  get counts(): { chunks: number; embeddedChunks: number } {
    return { chunks: this.keyword.size, embeddedChunks: this.dense?.size ?? 0 };
  }

  documents(): LibraryDoc[] {
    return [...this.docs.values()];
  }

  /**
   * Stores a parsed document with its chunks and their keyword entries, in one transaction; from
   * then on it is searchable by keyword. Analysis runs before the transaction opens.
   */
  add(doc: IngestedDocument, original?: Blob): Promise<{ status: 'added' | 'duplicate'; doc: LibraryDoc }> {
    return this.serial(() => this.addNow(doc, original));
  }

  /**
   * Stores a document in another collection than the open one (the user opened this one while a
   * drop into that one was being read): the store only, as none of its indexes is in memory; it
   * is indexed, and embedded, when that collection opens. In the write chain, so opening that
   * collection next (which waits for `idle`) reads it.
   */
  addElsewhere(collectionId: string, doc: IngestedDocument, original?: Blob): Promise<{ status: 'added' | 'duplicate'; doc: LibraryDoc }> {
    return this.serial(async () => {
      const entries = doc.chunks.map((c) => keywordEntry(c.id, indexedText(c)));
      const status = await this.store.addDocument(collectionId, documentFields(doc, original), doc.chunks, entries);
      const stored = await this.store.getDocument(collectionId, doc.id);
      if (!stored) throw new AppError('StorageUnavailable', `“${doc.name}” is stored but cannot be read back. Reload the page.`);
      return { status, doc: toLibraryDoc(stored, this.model) };
    });
  }

  private async addNow(doc: IngestedDocument, original?: Blob): Promise<{ status: 'added' | 'duplicate'; doc: LibraryDoc }> {
    const existing = this.docs.get(doc.id);
    if (existing) return { status: 'duplicate', doc: existing };
    const entries = doc.chunks.map((c) => keywordEntry(c.id, indexedText(c)));
    // addedAt fixed here, so the list entry is what was written without reading it back.
    const fields = { ...documentFields(doc, original), addedAt: Date.now() };
    const status = await this.store.addDocument(this.collectionId, fields, doc.chunks, entries);
    if (status === 'duplicate') {
      // Stored meanwhile by another tab whose change has not arrived yet: take it from the store.
      await this.rebuild();
      const stored = this.docs.get(doc.id);
      if (!stored) throw new AppError('StorageUnavailable', `“${doc.name}” is stored but cannot be read back. Reload the page.`);
      return { status, doc: stored };
    }
    this.keyword.add(entries);
    this.profiles.set(doc.id, doc.profile);
    this.generation++;
    const listed = toLibraryDoc(
      {
        ...fields,
        collectionId: this.collectionId,
        chunkCount: doc.chunks.length,
        ...(original ? { originalSize: original.size } : {}),
        vectorModels: [],
      },
      this.model,
    );
    this.docs.set(doc.id, listed);
    return { status, doc: listed };
  }

  /**
   * Replaces a stored document with the same file chunked again (another chunk size, a newer
   * parser): one write, then both indexes drop its old chunks and the keyword index takes the new
   * ones; it has no vectors until it is embedded again. Null when it was deleted meanwhile.
   */
  replace(doc: IngestedDocument): Promise<LibraryDoc | null> {
    return this.serial(async () => {
      const old = this.docs.get(doc.id);
      if (!old) return null;
      const entries = doc.chunks.map((c) => keywordEntry(c.id, indexedText(c)));
      const fields = documentFields(doc);
      if ((await this.store.replaceDocument(this.collectionId, fields, doc.chunks, entries)) === 'missing') return null;
      const ids = Array.from({ length: old.chunkCount }, (_, i) => chunkId(doc.id, i));
      this.keyword.remove(ids);
      this.dense?.remove(ids);
      this.keyword.add(entries);
      this.profiles.set(doc.id, doc.profile);
      this.generation++;
      const updated = toLibraryDoc(
        {
          ...fields,
          collectionId: this.collectionId,
          addedAt: old.addedAt,
          chunkCount: doc.chunks.length,
          ...(old.originalSize !== undefined ? { originalSize: old.originalSize } : {}),
          vectorModels: [],
        },
        this.model,
      );
      this.docs.set(doc.id, updated);
      return updated;
    });
  }

  /**
   * Stores a document's vectors (one write) and adds them to the dense index. Null when the
   * document was deleted meanwhile: nothing is stored and nothing is indexed.
   */
  putVectors(docId: string, model: string, dim: number, vectors: Float32Array): Promise<LibraryDoc | null> {
    return this.serial(() => this.putVectorsNow(docId, model, dim, vectors));
  }

  private async putVectorsNow(docId: string, model: string, dim: number, vectors: Float32Array): Promise<LibraryDoc | null> {
    if (model !== this.model) throw this.modelMismatch(model);
    const status = await this.store.putVectors(this.collectionId, docId, model, dim, vectors);
    const doc = this.docs.get(docId);
    if (status === 'missing' || !doc) return null;
    this.dense ??= new DenseIndex(model, dim);
    const ids = Array.from({ length: doc.chunkCount }, (_, i) => chunkId(docId, i));
    this.dense.add(ids, vectors, dim, model);
    const updated: LibraryDoc = { ...doc, embedded: true };
    this.docs.set(docId, updated);
    return updated;
  }

  private modelMismatch(model: string): AppError {
    return new AppError(
      'EmbeddingModelMismatch',
      `These vectors come from ${model}, but the library is open for ${this.model}; nothing was stored. Reload the page.`,
      { model, expected: this.model },
    );
  }

  /** Deletes a document and everything stored with it; it is gone from both indexes at once. */
  remove(docId: string): Promise<boolean> {
    return this.serial(() => this.removeNow(docId));
  }

  private async removeNow(docId: string): Promise<boolean> {
    const doc = this.docs.get(docId);
    const existed = await this.store.deleteDocument(this.collectionId, docId);
    const count = doc?.chunkCount ?? 0;
    const ids = Array.from({ length: count }, (_, i) => chunkId(docId, i));
    this.keyword.remove(ids);
    this.dense?.remove(ids);
    this.docs.delete(docId);
    this.profiles.remove(docId);
    this.generation++;
    return existed;
  }

  /** Documents still needing vectors of the open model (see pendingEmbeddings). */
  pending(): PendingEmbedding[] {
    return pendingEmbeddings(this.docs.values());
  }

  /**
   * Embeds one stored document's chunks, as they were indexed (with their context), and stores
   * the vectors in one write. `model` is what the embedder has loaded: vectors of any other model
   * than the open one are refused before any work. Null when the document is gone (deleted before
   * or while it was embedded).
   */
  async embed(
    docId: string,
    model: string,
    embedder: Pick<Embedder, 'embed'>,
    opts: { batchSize: number; signal?: AbortSignal; onProgress?: (p: Progress) => void },
  ): Promise<EmbedSummary | null> {
    if (model !== this.model) throw this.modelMismatch(model);
    const doc = this.docs.get(docId);
    if (!doc) return null;
    const chunks = await this.store.chunksOf(this.collectionId, docId);
    // Deleted (or rebuilt with other chunks) between the list and this read: nothing to embed.
    if (chunks.length !== doc.chunkCount) return null;
    const out = await embedder.embed(
      { texts: chunks.map(indexedText), kind: 'passage', batchSize: opts.batchSize },
      { signal: opts.signal, onProgress: opts.onProgress },
    );
    throwIfCancelled(opts.signal);
    const stored = await this.serial(async () => {
      // Chunked again (a rebuild) while it was being embedded: these vectors belong to the old chunks.
      const now = this.docs.get(docId);
      if (!now || now.chunkCount !== doc.chunkCount || JSON.stringify(now.indexing) !== JSON.stringify(doc.indexing)) return null;
      return this.putVectorsNow(docId, model, out.dim, out.vectors);
    });
    return stored && { doc: stored, chunks: out.count, dim: out.dim, ms: out.ms };
  }

  /** Retrieval over the open collection, with each hit's passage, source and trace. */
  async search(req: SearchRequest): Promise<SearchResult> {
    const started = performance.now();
    const r: RetrieveRequest = { query: req.query, mode: req.mode, k: req.k, queryModel: this.model };
    if (req.queryVector) r.queryVector = req.queryVector;
    if (req.rrfK !== undefined) r.rrfK = req.rrfK;
    if (req.weights !== undefined) r.weights = req.weights;
    if (req.documentBoost !== undefined) r.documentBoost = req.documentBoost;
    if (req.demoteDuplicates !== undefined) r.demoteDuplicates = req.demoteDuplicates;
    const result = retrieve(r, { keyword: this.keyword, dense: this.dense, documents: this.profiles });
    // The documents as ranked: one replaced (re-chunked) while the texts are read has other chunks
    // under the same ids, so its hits are left out rather than shown with another chunk's text.
    const ranked = new Map(result.hits.map((h) => [parseChunkId(h.chunkId).docId, this.docs.get(parseChunkId(h.chunkId).docId)]));
    const chunks = await this.store.getChunks(
      this.collectionId,
      result.hits.map((h) => h.chunkId),
    );
    const hits: SearchHit[] = [];
    for (const h of result.hits) {
      const c = chunks.get(h.chunkId);
      // Deleted (by another tab) or replaced between the index lookup and this read: leave it out.
      // (Storing vectors also renews a document's list entry, but keeps its chunks and their stamp.)
      const was = ranked.get(c?.docId ?? '');
      const now = c ? this.docs.get(c.docId) : undefined;
      if (!c || !now || now.chunkCount !== was?.chunkCount || now.indexing !== was.indexing) continue;
      const hit: SearchHit = {
        ...h,
        rank: hits.length + 1,
        docId: c.docId,
        docName: this.docs.get(c.docId)?.name ?? c.docId,
        ordinal: c.ordinal,
        text: c.text,
        headingPath: c.headingPath,
      };
      if (c.pages) hit.pages = c.pages;
      if (c.context) hit.context = c.context;
      if (c.ocr) hit.ocr = c.ocr;
      hits.push(hit);
    }
    const candidates: TraceCandidate[] = result.candidates.map((c) => {
      const { docId, ordinal } = parseChunkId(c.chunkId);
      return { ...c, docName: this.docs.get(docId)?.name ?? docId, ordinal };
    });
    const out: SearchResult = { hits, candidates, modeUsed: result.modeUsed, ms: performance.now() - started, retrieveMs: result.ms.total };
    if (result.fallbackReason !== undefined) out.fallbackReason = result.fallbackReason;
    if (req.queryVectorMissing && out.modeUsed === 'keyword' && req.mode !== 'keyword') out.fallbackReason = req.queryVectorMissing;
    return out;
  }

  /**
   * The chunk with what surrounds it: the part of the previous chunk before it and the part of the
   * next chunk after it, cut by their offsets into the document text, so overlapping chunks never
   * show a sentence twice. Chunks are trimmed, so where two do not overlap the blank between them
   * is in neither: `gap` puts it back, or the view would run "loose." and "The tide" together.
   */
  async context(docId: string, ordinal: number): Promise<PassageContext | null> {
    const ids = [ordinal - 1, ordinal, ordinal + 1].filter((i) => i >= 0).map((i) => chunkId(docId, i));
    const chunks = await this.store.getChunks(this.collectionId, ids);
    const cur = chunks.get(chunkId(docId, ordinal));
    if (!cur) return null;
    const prev = chunks.get(chunkId(docId, ordinal - 1));
    const next = chunks.get(chunkId(docId, ordinal + 1));
    const out: PassageContext = {
      before: prev ? prev.text.slice(0, Math.max(0, cur.start - prev.start)) + gap(prev.end, cur.start) : '',
      text: cur.text,
      after: next ? gap(cur.end, next.start) + next.text.slice(Math.max(0, cur.end - next.start)) : '',
    };
    if (cur.pages) out.pages = cur.pages;
    return out;
  }

  async original(docId: string): Promise<OriginalFile | null> {
    const doc = this.docs.get(docId);
    const kept = doc ? await this.store.getOriginalRecord(this.collectionId, docId) : null;
    if (!doc || !kept) return null;
    return { file: kept.file, name: doc.name, format: doc.format, ...(kept.ocr ? { ocr: kept.ocr } : {}) };
  }

  // ---- evaluation ------------------------------------------------------------------------

  /**
   * The collection's passages as stored (their own text, without indexing context), named by
   * document. Chunks of a document this Library does not list yet (stored by another tab, before
   * its change arrived) are left out: search cannot return them either.
   */
  private async passages(): Promise<Array<Chunk & { docName: string }>> {
    const chunks = await this.store.collectionChunks(this.collectionId);
    const out: Array<Chunk & { docName: string }> = [];
    for (const c of chunks) {
      const doc = this.docs.get(c.docId);
      if (doc) out.push({ ...c, docName: doc.name });
    }
    return out;
  }

  /** The evaluator for this question list over the collection as it stands, built once per list and change. */
  private evaluatorFor(questions: readonly EvalQuestion[]): Promise<RagEvaluator> {
    // Only what the evidence rule reads: a gold passage or a new id does not change it.
    const key = JSON.stringify(questions.map((q) => [q.question, q.answer, q.sources]));
    const cached = this.evaluator;
    if (cached && cached.key === key && cached.generation === this.generation) return cached.built;
    // A change while the passages are read bumps the generation: this one then serves the calls
    // already waiting for it, and the next call builds afresh.
    const generation = this.generation;
    const built = this.passages().then((chunks) => {
      const names = [...this.docs.values()].map((d) => d.name);
      return new RagEvaluator(
        questions,
        names,
        chunks.map((c): CorpusPassage => ({ id: chunkId(c.docId, c.ordinal), doc: c.docName, pages: c.pages, text: c.text })),
      );
    });
    this.evaluator = { key, generation, built };
    built.catch(() => {
      if (this.evaluator?.built === built) this.evaluator = null;
    });
    return built;
  }

  /**
   * Retrieval scored by the evidence rule (src/eval/evidence.ts) for question `index` of
   * `questions`, over the open collection's passages: where the first passage holding evidence
   * sits in `ranked` (best first), where the first passage from a document the question names
   * sits, and how many passages of the whole collection hold evidence.
   */
  async scoreRetrieval(
    questions: readonly EvalQuestion[],
    index: number,
    ranked: readonly RankedPassage[],
  ): Promise<Omit<RetrievalScore, 'by'>> {
    if (!Number.isInteger(index) || index < 0 || index >= questions.length) {
      throw new AppError('InvalidRequest', `There is no question ${index + 1} in a list of ${questions.length}.`);
    }
    const evaluator = await this.evaluatorFor(questions);
    const r = evaluator.score(
      index,
      ranked.map((p) => ({ id: chunkId(p.docId, p.ordinal), doc: p.docName, pages: p.pages, text: p.text })),
    );
    return {
      evidenceRank: r.evidenceRank,
      sourceRank: r.sourceRank,
      named: r.named,
      evidenceInCollection: r.evidenceInCollection,
      declined: r.declined,
    };
  }

  /**
   * `count` passages spread over the collection's documents to generate questions from (round
   * robin over the documents, see src/eval/sample.ts), skipping passages shorter than `minChars`
   * characters (too little to ask about); the same collection and seed give the same passages.
   */
  async samplePassages(req: { count: number; seed: number; minChars: number }): Promise<SampledPassage[]> {
    if (!Number.isInteger(req.count) || req.count < 0 || !Number.isFinite(req.seed) || !(req.minChars >= 0)) {
      throw new AppError('InvalidRequest', 'Passages to sample need a whole count, a seed and a minimum length of 0 or more.');
    }
    // In document then ordinal order (collectionChunks), so list[i] is chunk ordinal i.
    const byDoc = new Map<string, Array<Chunk & { docName: string }>>();
    for (const c of await this.passages()) {
      const list = byDoc.get(c.docId);
      if (list) list.push(c);
      else byDoc.set(c.docId, [c]);
    }
    const docs = [...byDoc].map(([id, list]) => ({ id, chunkCount: list.length }));
    const refs = samplePassageRefs(
      docs,
      req.count,
      req.seed,
      (r) => (byDoc.get(r.docId)?.[r.ordinal]?.text.trim().length ?? 0) >= req.minChars,
    );
    return refs.map((r) => {
      const c = byDoc.get(r.docId)![r.ordinal]!;
      const out: SampledPassage = { docId: c.docId, docName: c.docName, ordinal: c.ordinal, text: c.text };
      if (c.pages) out.pages = c.pages;
      return out;
    });
  }

  async snapshot(): Promise<LibrarySnapshot> {
    const [collections, estimate, persisted] = await Promise.all([
      this.store.listCollections(this.model),
      storageEstimate(),
      isPersisted(),
    ]);
    const infos: CollectionInfo[] = collections.map((c) => ({
      id: c.id,
      name: c.name,
      createdAt: c.createdAt,
      documents: c.documents,
      waiting: c.documents - (c.embedded ?? 0),
    }));
    return {
      collections: infos,
      collectionId: this.collectionId,
      model: this.model,
      documents: this.documents(),
      ...this.counts,
      readyMs: this.readyMs,
      storage: estimate ? { ...estimate, persisted } : null,
    };
  }
}

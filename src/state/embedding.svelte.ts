/**
 * Embedding the library: documents waiting for vectors of the chosen model are embedded one at a
 * time in the embed worker, and their vectors stored by the library worker in one write per
 * document. New documents join the queue as they are added; documents left unfinished by a reload
 * are found again when the library opens. Owns the embed worker.
 *
 * Keyword search never waits for this: a document is searchable by keyword as soon as it is
 * stored, and by meaning once its vectors are.
 */

import { serializeError, type SerializedError } from '../core/errors';
import type { Progress } from '../core/progress';
import type { PendingEmbedding } from '../library/protocol';
import type { EmbedderInfo } from '../embed/embedder';
import type { WorkerEmbedder } from '../embed/client';
import type { Reranker } from '../embed/reranker';
import type { WorkerLibrary } from '../library/client';
import { parseModelSource } from '../platform/model-source';
import type { Settings } from '../settings/defaults';
import { createEmbedder, type Supervised } from './workers';

export type EmbeddingPhase = 'idle' | 'loading' | 'embedding' | 'error' | 'paused';

export class EmbeddingState {
  phase = $state<EmbeddingPhase>('idle');
  /**
   * Model download while loading; while embedding, chunks embedded in this run out of all the run
   * has seen (documents added meanwhile raise the total), with the current document as `item`.
   */
  progress = $state.raw<Progress | null>(null);
  info = $state.raw<EmbedderInfo | null>(null);
  error = $state.raw<SerializedError | null>(null);
  current = $state<string | null>(null);
  /** Documents still waiting (the current one included) and their chunks. */
  queuedDocs = $state(0);
  queuedChunks = $state(0);
  /** Throughput of the last finished document, chunks per second. */
  chunksPerSecond = $state<number | null>(null);
  /**
   * Documents embedded with another model only (the model setting changed). Re-embedding can take
   * long and download a model, so the user is asked first; until then they are keyword-only.
   */
  offered = $state.raw<PendingEmbedding[]>([]);

  private queue: PendingEmbedding[] = [];
  /** Chunks of the documents finished since the queue was last empty (the progress bar's start). */
  private runDone = 0;
  /**
   * The work in progress is void (its document was deleted, or the library re-opened for another
   * collection or embedding model): whoever set this already updated the queue, so the loop just
   * moves on, whatever the abandoned call ends with.
   */
  private skipCurrent = false;
  private currentId: string | null = null;
  private handle: Supervised<WorkerEmbedder> | null = null;
  private loadedKey = '';
  /** The reranking model loaded in the embed worker (its load request, as JSON). */
  private rerankerKey = '';
  private controller: AbortController | null = null;
  private running = false;

  constructor(
    private readonly library: () => WorkerLibrary,
    private readonly settings: () => Settings,
    /** Called after each document's vectors are stored (the library refreshes its list). */
    private readonly onStored: (docId: string) => void,
  ) {}

  /** Adds documents to the queue (once each) and starts working if idle. */
  enqueue(items: PendingEmbedding[]): void {
    for (const item of items) {
      if (item.texts.length === 0 || this.queue.some((q) => q.docId === item.docId)) continue;
      this.queue.push(item);
    }
    this.count();
    if (this.phase !== 'paused') void this.drain();
  }

  /**
   * Starts over with another collection's pending documents: new or interrupted ones are queued,
   * ones embedded only with another model are offered (see `offered`).
   */
  replace(items: PendingEmbedding[]): void {
    this.suspend();
    // A fresh start: an earlier failure (e.g. the previous model could not be downloaded) no
    // longer stands in the way.
    if (this.phase === 'error') {
      this.phase = 'idle';
      this.error = null;
    }
    this.offered = items.filter((i) => i.otherModels.length > 0);
    this.enqueue(items.filter((i) => i.otherModels.length === 0));
  }

  /**
   * The library is re-opening (another collection or embedding model): abandon the work in
   * progress at once, before the re-open, so that vectors of the old model are never offered to
   * the library open for the new one. `replace` brings the new work.
   */
  suspend(): void {
    if (this.currentId !== null) this.skip();
    this.runDone = 0;
    this.queue = [];
    this.offered = [];
    this.count();
  }

  /** The user accepted re-embedding the offered documents with the current model. */
  acceptOffer(): void {
    const items = this.offered;
    this.offered = [];
    this.enqueue(items);
  }

  /** Drops queued work for a document the user deleted. */
  forget(docId: string): void {
    this.queue = this.queue.filter((q) => q.docId !== docId);
    this.offered = this.offered.filter((q) => q.docId !== docId);
    if (this.currentId === docId) this.skip();
    this.count();
  }

  private skip(): void {
    this.skipCurrent = true;
    this.controller?.abort();
  }

  /** Stops embedding; what is stored stays stored, the rest waits for Resume (or the next reload). */
  pause(): void {
    this.phase = 'paused';
    this.controller?.abort();
  }

  resume(): void {
    this.error = null;
    this.phase = 'idle';
    void this.drain();
  }

  /** Loads (or reuses) the embedder for the current settings; used by search for query vectors. */
  async embedder(signal?: AbortSignal): Promise<{ embedder: WorkerEmbedder; info: EmbedderInfo }> {
    const s = this.settings();
    const e = s.embedding;
    const load = { model: e.model, source: parseModelSource(s.modelSource, location.origin), device: e.device, dtype: e.dtype };
    const key = JSON.stringify(load);
    const embedder = this.worker();
    if (key !== this.loadedKey || !this.info) {
      this.info = await embedder.load(load, { signal, onProgress: (p) => (this.progress = p) });
      this.loadedKey = key;
    }
    return { embedder, info: this.info };
  }

  /**
   * Loads (or reuses) a cross-encoder in the embed worker, beside the embedder, on the embedding
   * model's device and source; used by search to rerank candidates.
   */
  async reranker(model: string, onProgress?: (p: Progress) => void): Promise<Reranker> {
    const s = this.settings();
    const load = { model, source: parseModelSource(s.modelSource, location.origin), device: s.embedding.device, dtype: 'auto' as const };
    const key = JSON.stringify(load);
    const client = this.worker();
    if (key !== this.rerankerKey) {
      this.rerankerKey = '';
      await client.loadReranker(load, { onProgress });
      this.rerankerKey = key;
    }
    return client;
  }

  /**
   * The embed worker, started when first needed. A crash (from any call: embedding, a search's
   * question, reranking) forgets it and what it had loaded, so the next call starts afresh instead
   * of failing until a reload.
   */
  private worker(): WorkerEmbedder {
    if (!this.handle) {
      const handle: Supervised<WorkerEmbedder> = createEmbedder(() => {
        if (this.handle !== handle) return;
        this.handle = null;
        this.info = null;
        this.loadedKey = '';
        this.rerankerKey = '';
      });
      this.handle = handle;
    }
    return this.handle.client;
  }

  get ready(): boolean {
    return this.info !== null && this.info.model === this.settings().embedding.model;
  }

  dispose(): void {
    this.controller?.abort();
    this.handle?.terminate();
    this.handle = null;
    this.rerankerKey = '';
  }

  private count(): void {
    this.queuedDocs = this.queue.length;
    this.queuedChunks = this.queue.reduce((n, q) => n + q.texts.length, 0);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && this.phase !== 'paused' && this.phase !== 'error') {
        const item = this.queue[0]!;
        const controller = (this.controller = new AbortController());
        this.currentId = item.docId;
        this.skipCurrent = false;
        try {
          if (!this.ready) this.phase = 'loading';
          const { embedder, info } = await this.embedder(controller.signal);
          this.phase = 'embedding';
          this.current = item.name;
          const overall = (loaded: number): Progress => ({
            stage: 'embed',
            unit: 'chunks',
            loaded: this.runDone + loaded,
            total: this.runDone + this.queuedChunks,
            done: false,
            item: item.name,
          });
          this.progress = overall(0);
          const out = await embedder.embed(
            { texts: item.texts, kind: 'passage', batchSize: this.settings().embedding.batchSize },
            { signal: controller.signal, onProgress: (p) => (this.progress = overall(Math.min(p.loaded, item.texts.length))) },
          );
          this.chunksPerSecond = out.ms > 0 ? Math.round((out.count / out.ms) * 1000) : null;
          // Forgotten while it was being embedded (deleted, or rebuilt with other chunks): store nothing.
          if (this.skipCurrent) continue;
          await this.library().putVectors(item.docId, info.model, out.dim, out.vectors);
          if (this.skipCurrent) continue;
          // Deleted meanwhile, or stored: either way this document is done.
          this.runDone += item.texts.length;
          this.queue = this.queue.filter((q) => q.docId !== item.docId);
          this.count();
          this.onStored(item.docId);
        } catch (err) {
          // Abandoned work may end in any error (Cancelled, or the library refusing vectors of the
          // model it is no longer open for): none of it concerns the user.
          if (this.skipCurrent) continue;
          const error = serializeError(err);
          if (error.name === 'Cancelled' && (this.phase as EmbeddingPhase) === 'paused') break;

          this.error = error;
          this.phase = 'error';
          break;
        } finally {
          if (this.controller === controller) this.controller = null;
          this.currentId = null;
        }
      }
    } finally {
      this.running = false;
      if (this.queue.length === 0) this.runDone = 0;
      this.current = null;
      if (this.phase === 'embedding' || this.phase === 'loading') this.phase = 'idle';
    }
  }
}

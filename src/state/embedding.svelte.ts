/**
 * Embedding the library: documents waiting for vectors of the chosen model are embedded one at a
 * time. The page only schedules: it loads the model (through the engines owner, with progress),
 * then asks the library worker to embed a document, which reads its chunk texts, has the embed
 * worker embed them through their own channel and stores the vectors in one write. New documents
 * join the queue as they are added; documents a reload interrupted are found again when the
 * library opens.
 *
 * Keyword search never waits for this: a document is searchable by keyword as soon as it is
 * stored, and by meaning once its vectors are.
 *
 * Only the open collection is embedded: the library worker holds one collection's indexes, and the
 * GPU goes to the collection the user is asking about. Another collection's documents wait until
 * it is opened again; the library counts them for each collection (CollectionInfo.waiting), so
 * the page can say so.
 */

import { serializeError, type SerializedError } from '../core/errors';
import type { Progress } from '../core/progress';
import type { PendingEmbedding } from '../library/protocol';
import type { Settings } from '../settings/defaults';
import type { Engines } from './engines.svelte';
import type { LibraryState } from './library.svelte';

export type EmbeddingPhase = 'idle' | 'loading' | 'embedding' | 'error' | 'paused';

export class EmbeddingState {
  phase = $state<EmbeddingPhase>('idle');
  error = $state.raw<SerializedError | null>(null);
  /** The document being embedded (null between documents, and once its work is abandoned). */
  current = $state<string | null>(null);
  /** Documents of the open collection waiting for vectors, the current one first while it is embedded. */
  private queue = $state.raw<PendingEmbedding[]>([]);
  /** Documents still waiting (the current one included) and their chunks. */
  readonly queuedDocs = $derived(this.queue.length);
  readonly queuedChunks = $derived(this.queue.reduce((n, q) => n + q.chunks, 0));
  /** Throughput of the last finished document, chunks per second. */
  chunksPerSecond = $state<number | null>(null);
  /**
   * Documents embedded with another model only (the model setting changed). Re-embedding can take
   * long and download a model, so the user is asked first; until then they are keyword-only.
   */
  offered = $state.raw<PendingEmbedding[]>([]);

  /** Chunks of the documents finished since the queue was last empty (the progress bar's start). */
  private runDone = $state(0);
  /** Chunks of the current document embedded so far. */
  private currentDone = $state(0);
  /** The model download, while loading. */
  private download = $state.raw<Progress | null>(null);
  /**
   * Model download while loading; while embedding, chunks embedded in this run out of all the run
   * has seen (documents added meanwhile raise the total), with the current document as `item`.
   * Derived from the queue, so replacing the queue (another collection opened) can never leave a
   * bar counting the old one's chunks against the new one's total.
   */
  readonly progress = $derived.by((): Progress | null => {
    if (this.phase === 'loading') return this.download;
    if (this.phase !== 'embedding' || this.current === null) return null;
    return {
      stage: 'embed',
      unit: 'chunks',
      loaded: this.runDone + this.currentDone,
      total: this.runDone + this.queuedChunks,
      done: false,
      item: this.current,
    };
  });
  /**
   * The work in progress is void (its document was deleted, or the library re-opened for another
   * collection or embedding model): whoever set this already updated the queue, so the loop just
   * moves on, whatever the abandoned call ends with.
   */
  private skipCurrent = false;
  private currentId: string | null = null;
  private controller: AbortController | null = null;
  private running = false;
  private readonly unlisten: () => void;

  constructor(
    private readonly engines: Engines,
    private readonly library: LibraryState,
    private readonly settings: () => Settings,
  ) {
    this.unlisten = library.listen((change) => {
      if (change.type === 'closing') this.suspend();
      else if (change.type === 'opened') this.replace(change.pending);
      else if (change.type === 'removed') this.forget(change.docId);
    });
  }

  /** The embedding model loaded, if any (for the status line). */
  get info() {
    return this.engines.embedInfo;
  }

  /** Adds documents to the queue (once each) and starts working if idle. */
  enqueue(items: PendingEmbedding[]): void {
    const queue = [...this.queue];
    for (const item of items) {
      if (item.chunks === 0 || queue.some((q) => q.docId === item.docId)) continue;
      queue.push(item);
    }
    this.queue = queue;
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
    // Nothing of the new collection is under way yet: no bar until its own work starts.
    if (this.phase === 'embedding' || this.phase === 'loading') this.phase = 'idle';
  }

  /** The user accepted re-embedding the offered documents with the current model. */
  acceptOffer(): void {
    const items = this.offered;
    this.offered = [];
    this.enqueue(items);
  }

  /** Drops queued work for a document the user deleted (or that is being chunked again). */
  forget(docId: string): void {
    this.queue = this.queue.filter((q) => q.docId !== docId);
    this.offered = this.offered.filter((q) => q.docId !== docId);
    if (this.currentId === docId) this.skip();
  }

  private skip(): void {
    this.skipCurrent = true;
    // Its document is no longer counted in the queue: the bar stops counting its chunks too.
    this.current = null;
    this.currentDone = 0;
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

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && this.phase !== 'paused' && this.phase !== 'error') {
        const item = this.queue[0]!;
        const controller = (this.controller = new AbortController());
        const { signal } = controller;
        this.currentId = item.docId;
        this.skipCurrent = false;
        try {
          if (!this.engines.embedReady) this.phase = 'loading';
          const { info } = await this.engines.embedder({ signal, onProgress: (p) => (this.download = p) });
          const lib = await this.library.ready();
          await this.engines.link(lib);
          // Abandoned while the model or the library was awaited (another collection opened).
          if (this.skipCurrent) continue;
          this.phase = 'embedding';
          this.current = item.name;
          this.currentDone = 0;
          const out = await lib.embed(
            { docId: item.docId, model: info.model, batchSize: this.settings().embedding.batchSize },
            {
              signal,
              // Reports of abandoned work can still arrive before its cancellation does: not ours.
              onEvent: (p) => {
                if (!signal.aborted) this.currentDone = Math.min(p.loaded, item.chunks);
              },
            },
          );
          if (out) this.chunksPerSecond = out.ms > 0 ? Math.round((out.chunks / out.ms) * 1000) : null;
          // Forgotten while it was being embedded (deleted, or rebuilt with other chunks): move on.
          if (this.skipCurrent) continue;
          // Deleted meanwhile (null), or stored: either way this document is done.
          this.runDone += item.chunks;
          this.currentDone = 0;
          this.queue = this.queue.filter((q) => q.docId !== item.docId);
          void this.library.refresh();
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

  dispose(): void {
    this.unlisten();
    this.controller?.abort();
  }
}

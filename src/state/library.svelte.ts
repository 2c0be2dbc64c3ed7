/**
 * The page's mirror of the library: the open collection's snapshot (documents, collections,
 * counts), kept current from the library worker, and the user's actions on it (delete, rename,
 * switch, export, import). Owns the library worker. Everything listed is derived from the one
 * snapshot, never copied beside it.
 *
 * Other page state follows the library through `listen` (re-opens, deletions) rather than being
 * called from here, so this class depends on no other: the ingest queue, embedding and rebuild
 * depend on it.
 */

import { AppError, serializeError, type SerializedError } from '../core/errors';
import { LIBRARY_READY_MARK, type LibraryEvent, type LibrarySnapshot, type PendingEmbedding } from '../library/protocol';
import type { WorkerLibrary } from '../library/client';
import { pendingEmbeddings } from '../library/pending';
import type { Settings } from '../settings/defaults';
import { formatBytes } from '../ingest/sizes';
import type { Spawners, Supervised } from './workers';
import { saveFile } from './files';

/**
 * What happened to the library, for the page state that follows it: `closing` before a re-open
 * (another collection or embedding model: work on the old one must stop at once), `opened` after
 * it (with the documents still needing vectors of its model), `removed` when the user deleted a
 * document, `lost` when the library worker crashed (the library then opens again in a new one).
 */
export type LibraryChange =
  | { type: 'closing' }
  | { type: 'opened'; pending: PendingEmbedding[] }
  | { type: 'removed'; docId: string }
  /** The library worker crashed: work waiting on it (files being stored) can never finish. */
  | { type: 'lost'; error: AppError }
  /** Another tab stored or deleted a question set, a run or a result (the Evaluate view reads them again). */
  | { type: 'evaluation' };

export class LibraryState {
  snapshot = $state.raw<LibrarySnapshot | null>(null);
  /** Stored documents of the open collection. */
  readonly documents = $derived(this.snapshot?.documents ?? []);
  readonly collections = $derived(this.snapshot?.collections ?? []);
  readonly collectionId = $derived(this.snapshot?.collectionId ?? null);
  /** Opening the library failed (no IndexedDB, another tab upgrading, ...): shown instead of the list. */
  storeError = $state.raw<SerializedError | null>(null);
  /** An action on the library (delete, rename, ...) failed; shown above the list until the next one. */
  actionError = $state.raw<SerializedError | null>(null);
  /** What the last export or import did, for the status line. */
  bundleStatus = $state<string | null>(null);
  bundleBusy = $state(false);

  private worker: Supervised<WorkerLibrary> | null = null;
  private opening: Promise<void> | null = null;
  private watching: AbortController | null = null;
  /** Sequence numbers of snapshot requests: the last one sent, and the last one shown. */
  private requested = 0;
  /** Opens requested so far: only the latest one's pending documents are handed on. */
  private opens = 0;
  private shown = 0;
  private refreshing: Promise<void> | null = null;
  private refreshWanted = false;
  private readyMarked = false;
  /** When the library worker last crashed (ms), so a crash that repeats at once is not retried forever. */
  private lastCrash = 0;
  /** Who follows the library (see `listen`). Not rendered, so not reactive. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly listeners = new Set<(change: LibraryChange) => void>();

  constructor(
    private readonly spawn: Spawners,
    private readonly settings: () => Settings,
  ) {}

  /** The library worker, started when first needed and again after a crash. */
  client(): WorkerLibrary {
    if (!this.worker) {
      const handle: Supervised<WorkerLibrary> = this.spawn.library(() => this.lost(handle));
      this.worker = handle;
    }
    return this.worker.client;
  }

  /**
   * The library worker crashed. What it had stored is safe in IndexedDB: the same collection opens
   * again in a fresh worker (its calls in flight failed with WorkerCrashed, shown where they were
   * made). A crash that repeats within seconds is shown instead, with what to do.
   */
  private lost(handle: Supervised<WorkerLibrary>): void {
    if (this.worker !== handle) return;
    // An uncaught error may leave it running, still holding the database: stop it.
    handle.terminate();
    this.worker = null;
    this.opening = null;
    this.watching?.abort();
    this.watching = null;
    const error = new AppError('WorkerCrashed', 'The document library stopped unexpectedly. Try again; if it repeats, reload the page.');
    this.emit({ type: 'lost', error });
    const retry = Date.now() - this.lastCrash > 10_000;
    this.lastCrash = Date.now();
    if (retry && this.snapshot) void this.open(this.snapshot.collectionId);
    else this.storeError = serializeError(error);
  }

  /** Follows the library's changes; returns the unsubscribe. */
  listen(fn: (change: LibraryChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(change: LibraryChange): void {
    for (const fn of this.listeners) fn(change);
  }

  /**
   * Opens (or re-opens: another collection, or the embedding model changed) a collection; those
   * following the library then resume embedding what a reload interrupted and offer to re-embed
   * what another model embedded.
   */
  open(collectionId?: string): Promise<void> {
    const run = async (): Promise<void> => {
      const seq = ++this.requested;
      const mine = ++this.opens;
      if (this.snapshot) this.emit({ type: 'closing' });
      try {
        const lib = this.client();
        const snap = await lib.open({ model: this.settings().embedding.model, ...(collectionId ? { collectionId } : {}) });
        if (!this.apply(snap, seq)) return;
        this.storeError = null;
        if (!this.readyMarked) {
          // For performance tools (DevTools, the bench): page load → library ready to query.
          this.readyMarked = true;
          performance.mark?.(LIBRARY_READY_MARK, { detail: { chunks: snap.chunks, embeddedChunks: snap.embeddedChunks } });
        }
        this.watch();
        // A later open (another collection, quickly) brings its own pending documents.
        if (mine === this.opens) this.emit({ type: 'opened', pending: pendingEmbeddings(snap.documents) });
      } catch (e) {
        this.storeError = serializeError(e);
      }
    };
    this.opening = run();
    return this.opening;
  }

  /** Re-opens the library when the embedding model in the settings is not the one it is open for. */
  ensureModel(model: string): void {
    if (this.snapshot && this.snapshot.model !== model) void this.open(this.snapshot.collectionId);
  }

  /** The library worker once the library is open (opening it if nobody has yet). */
  async ready(): Promise<WorkerLibrary> {
    if (!this.opening) void this.open();
    await this.opening;
    return this.client();
  }

  /** Follows the worker's events: other tabs' changes (already indexed there) and a closed store. */
  private watch(): void {
    if (this.watching) return;
    const controller = (this.watching = new AbortController());
    const onEvent = (e: LibraryEvent): void => {
      if (e.type === 'changed') void this.refresh();
      else if (e.type === 'evaluation') this.emit({ type: 'evaluation' });
      else this.storeError = { name: 'StorageUnavailable', message: e.message };
    };
    this.client()
      .watch(onEvent, controller.signal)
      .catch(() => {
        // The worker crashed: the next open() starts watching its successor.
        if (this.watching === controller) this.watching = null;
      });
  }

  /** Runs a user action on the library; a failure is shown by name instead of being lost. */
  async act(work: () => Promise<unknown>): Promise<void> {
    this.actionError = null;
    try {
      await work();
    } catch (e) {
      this.actionError = serializeError(e);
    }
  }

  /**
   * Brings the list up to date. Requests made while one is under way are served by one more round
   * after it (a folder drop stores and embeds hundreds of documents, each asking), and every
   * caller's promise settles after a snapshot taken since it asked.
   */
  refresh(): Promise<void> {
    if (!this.snapshot) return Promise.resolve();
    this.refreshWanted = true;
    this.refreshing ??= (async () => {
      try {
        while (this.refreshWanted) {
          this.refreshWanted = false;
          const seq = ++this.requested;
          try {
            this.apply(await this.client().snapshot(), seq);
          } catch (e) {
            this.storeError = serializeError(e);
          }
        }
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /**
   * Shows a snapshot unless a later request's has been shown already: the worker answers
   * concurrently, so a refresh sent before a re-open (another model) may answer after it, with
   * the old model's counts. Returns whether it was applied.
   */
  private apply(snap: LibrarySnapshot, seq: number): boolean {
    if (seq < this.shown) return false;
    this.shown = seq;
    this.snapshot = snap;
    return true;
  }

  deleteDocument(id: string): Promise<void> {
    return this.act(async () => {
      this.emit({ type: 'removed', docId: id });
      await this.client().remove(id);
      await this.refresh();
    });
  }

  createCollection(name: string): Promise<void> {
    return this.act(async () => {
      const c = await this.client().createCollection(name);
      await this.open(c.id);
    });
  }

  renameCollection(id: string, name: string): Promise<void> {
    return this.act(async () => {
      await this.client().renameCollection(id, name);
      await this.refresh();
    });
  }

  deleteCollection(id: string): Promise<void> {
    return this.act(async () => {
      await this.client().deleteCollection(id);
      await this.open();
    });
  }

  switchCollection(id: string): Promise<void> {
    return this.act(() => this.open(id));
  }

  /**
   * Saves the open collection as one portable file (src/bundle/bundle.ts): chunks, keyword index,
   * the vectors of the current embedding model, and optionally the original files.
   */
  exportCollection(originals: boolean): Promise<void> {
    return this.act(async () => {
      this.bundleBusy = true;
      this.bundleStatus = null;
      try {
        const { ingest } = this.settings();
        const { bytes, name } = await this.client().exportCollection(originals, {
          chunkTokens: ingest.chunkTokens,
          overlapTokens: ingest.overlapTokens,
        });
        saveFile(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), name);
        this.bundleStatus = `Saved ${name} (${formatBytes(bytes.byteLength)}).`;
      } finally {
        this.bundleBusy = false;
      }
    });
  }

  /** Checks a collection file, adds it as a new collection and opens it; a bad file changes nothing. */
  importBundle(file: Blob): Promise<void> {
    return this.act(async () => {
      this.bundleBusy = true;
      this.bundleStatus = null;
      try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const r = await this.client().importBundle(bytes, this.settings().embedding.model);
        await this.open(r.collectionId);
        this.bundleStatus = `Imported “${r.name}”: ${r.documents} document${r.documents === 1 ? '' : 's'}.`;
      } finally {
        this.bundleBusy = false;
      }
    });
  }

  dispose(): void {
    this.watching?.abort();
    this.worker?.terminate();
    this.worker = null;
  }
}

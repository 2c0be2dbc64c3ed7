/**
 * The user's documents and what happened to each dropped file. Owns the ingest worker pool and
 * the library worker (the IndexedDB store and the search indexes); hands new documents to the
 * embedding queue. Parsed documents are not kept on the page: the library worker stores them and
 * the page keeps only the list.
 */

import { AppError, deserializeError, serializeError, type SerializedError } from '../core/errors';
import type { Progress } from '../core/progress';
import {
  LIBRARY_READY_MARK,
  type CollectionInfo,
  type LibraryDoc,
  type LibraryEvent,
  type LibrarySnapshot,
  type PendingEmbedding,
} from '../library/protocol';
import { indexedText } from '../ingest/context';
import { indexingStamp, sameIndexing, type IngestedDocument } from '../ingest/ingest';
import { IngestPool, type PoolJob } from '../ingest/pool';
import type { WorkerLibrary } from '../library/client';
import type { Settings } from '../settings/defaults';
import { requestPersistence } from '../platform/persistence';
import { EmbeddingState } from './embedding.svelte';
import { createIngester, createLibrary, type Supervised } from './workers';
import { saveFile, type PickedFile } from './files';
import { formatBytes } from '../ingest/sizes';

export type EntryStatus = 'queued' | 'reading' | 'storing' | 'parsed' | 'duplicate' | 'needs-password' | 'error' | 'cancelled';

export interface FileEntry {
  key: string;
  name: string;
  size: number;
  status: EntryStatus;
  progress: Progress | null;
  /** Summary of the parsed document (also for duplicates: the one already in the library). */
  docId?: string;
  format?: string;
  pages?: number;
  chars?: number;
  chunks?: number;
  warnings?: string[];
  error?: SerializedError;
}

interface Pending {
  file: Blob;
  name: string;
}

let nextKey = 1;

/** What the browser answered when asked to keep the library under storage pressure. */
export type PersistOutcome = 'granted' | 'refused' | 'unsupported';

export class LibraryState {
  entries = $state<FileEntry[]>([]);
  /** Stored documents of the open collection. */
  documents = $state.raw<LibraryDoc[]>([]);
  collections = $state.raw<CollectionInfo[]>([]);
  collectionId = $state<string | null>(null);
  snapshot = $state.raw<LibrarySnapshot | null>(null);
  /** Opening the library failed (no IndexedDB, another tab upgrading, ...): shown instead of the list. */
  storeError = $state.raw<SerializedError | null>(null);
  running = $state(false);
  /** Set once, on the first ingest: whether the browser promised not to evict the library. */
  persist = $state<PersistOutcome | null>(null);
  /** An action on the library (delete, rename, ...) failed; shown above the list until the next one. */
  actionError = $state.raw<SerializedError | null>(null);
  readonly embedding: EmbeddingState;
  private worker: Supervised<WorkerLibrary> | null = null;
  private opening: Promise<void> | null = null;
  private watching: AbortController | null = null;
  private persistAsked = false;
  /** Sequence numbers of snapshot requests: the last one sent, and the last one shown. */
  private requested = 0;
  private shown = 0;
  private refreshing: Promise<void> | null = null;
  private refreshWanted = false;
  private readyMarked = false;
  private controller: AbortController | null = null;
  private readonly pool = new IngestPool(createIngester);
  /** Files waiting for a password, kept so "Unlock" can retry without a new drop. Not rendered, so not reactive. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly locked = new Map<string, Pending>();
  /** Drops that arrive while one is running wait their turn (one pool, one progress bar). */
  private queue: Promise<void> = Promise.resolve();

  readonly total = $derived(this.entries.length);
  readonly finished = $derived(
    this.entries.filter((e) => e.status !== 'queued' && e.status !== 'reading' && e.status !== 'storing').length,
  );
  readonly current = $derived(this.entries.find((e) => e.status === 'reading') ?? null);

  constructor(private readonly settings: () => Settings) {
    this.embedding = new EmbeddingState(
      () => this.lib,
      settings,
      () => void this.refresh(),
    );
  }

  private get lib(): WorkerLibrary {
    this.worker ??= createLibrary();
    return this.worker.client;
  }

  /**
   * Opens (or re-opens: another collection, or the embedding model changed) a collection, then
   * resumes embedding what a reload interrupted and offers to re-embed what another model embedded.
   */
  open(collectionId?: string): Promise<void> {
    const run = async (): Promise<void> => {
      const seq = ++this.requested;
      // A rebuild reads and writes the open collection: it stops when another one opens.
      this.rebuildController?.abort();
      if (this.snapshot) this.embedding.suspend();
      try {
        const snap = await this.lib.open({ model: this.settings().embedding.model, ...(collectionId ? { collectionId } : {}) });
        if (!this.apply(snap, seq)) return;
        this.storeError = null;
        if (!this.readyMarked) {
          // For performance tools (DevTools, the bench): page load → library ready to query.
          this.readyMarked = true;
          performance.mark?.(LIBRARY_READY_MARK, { detail: { chunks: snap.chunks, embeddedChunks: snap.embeddedChunks } });
        }
        this.watch();
        this.embedding.replace(await this.lib.pending());
      } catch (e) {
        this.storeError = serializeError(e);
        if (this.storeError.name === 'WorkerCrashed') this.worker = null;
      }
    };
    this.opening = run();
    return this.opening;
  }

  /** Re-opens the library when the embedding model in the settings is not the one it is open for. */
  ensureModel(model: string): void {
    if (this.snapshot && this.snapshot.model !== model) void this.open(this.snapshot.collectionId);
  }

  /** Follows the worker's events: other tabs' changes (already indexed there) and a closed store. */
  private watch(): void {
    if (this.watching) return;
    const controller = (this.watching = new AbortController());
    const onEvent = (e: LibraryEvent): void => {
      if (e.type === 'changed') void this.refresh();
      else this.storeError = { name: 'StorageUnavailable', message: e.message };
    };
    this.lib.watch(onEvent, controller.signal).catch(() => {
      // The worker crashed: the next open() starts watching its successor.
      if (this.watching === controller) this.watching = null;
    });
  }

  /** Runs a user action on the library; a failure is shown by name instead of being lost. */
  private async act(work: () => Promise<unknown>): Promise<void> {
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
            this.apply(await this.lib.snapshot(), seq);
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
    this.documents = snap.documents;
    this.collections = snap.collections;
    this.collectionId = snap.collectionId;
    return true;
  }

  deleteDocument(id: string): Promise<void> {
    return this.act(async () => {
      this.embedding.forget(id);
      await this.lib.remove(id);
      await this.refresh();
    });
  }

  createCollection(name: string): Promise<void> {
    return this.act(async () => {
      const c = await this.lib.createCollection(name);
      await this.open(c.id);
    });
  }

  renameCollection(id: string, name: string): Promise<void> {
    return this.act(async () => {
      await this.lib.renameCollection(id, name);
      await this.refresh();
    });
  }

  deleteCollection(id: string): Promise<void> {
    return this.act(async () => {
      await this.lib.deleteCollection(id);
      await this.open();
    });
  }

  switchCollection(id: string): Promise<void> {
    return this.act(() => this.open(id));
  }

  /** What the last export or import did, for the status line. */
  bundleStatus = $state<string | null>(null);
  bundleBusy = $state(false);

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
        const { bytes, name } = await this.lib.exportCollection(originals, {
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
  importBundle(file: File): Promise<void> {
    return this.act(async () => {
      this.bundleBusy = true;
      this.bundleStatus = null;
      try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const r = await this.lib.importBundle(bytes, this.settings().embedding.model);
        await this.open(r.collectionId);
        this.bundleStatus = `Imported “${r.name}”: ${r.documents} document${r.documents === 1 ? '' : 's'}.`;
      } finally {
        this.bundleBusy = false;
      }
    });
  }

  /**
   * Documents chunked otherwise than a drop would be now: with other chunk settings, or by an
   * older ragscope (see INDEXING_VERSION). Rebuilding them needs their original files.
   */
  readonly staleDocuments = $derived.by(() => {
    const now = indexingStamp(this.settings().ingest);
    return this.documents.filter((d) => !sameIndexing(d.indexing, now));
  });

  /**
   * The rebuild in progress (or last finished): documents handled of all, how many were rebuilt,
   * the one being read, the ones that could not be (with why).
   */
  rebuild = $state<{
    done: number;
    rebuilt: number;
    total: number;
    current: string | null;
    failed: string[];
    running: boolean;
    cancelled: boolean;
  } | null>(null);
  private rebuildController: AbortController | null = null;

  /**
   * Chunks the stale documents again from their kept originals with the current settings, one at a
   * time: each is replaced in one write (never half-done) and then embedded again. Documents whose
   * original was not kept are skipped, by name. Cancel abandons the document in hand (it stays as
   * it was); what is rebuilt stays rebuilt. Re-opening the library (another collection or embedding
   * model) cancels it too.
   */
  rebuildLibrary(): Promise<void> {
    return this.act(async () => {
      if (this.rebuild?.running) return;
      const todo = this.staleDocuments;
      const collectionId = this.collectionId;
      const controller = (this.rebuildController = new AbortController());
      const state = {
        done: 0,
        rebuilt: 0,
        total: todo.length,
        current: null as string | null,
        failed: [] as string[],
        running: true,
        cancelled: false,
      };
      this.rebuild = state;
      const s = this.settings();
      // A pool of its own (one worker): drops made meanwhile go on in theirs.
      const pool = new IngestPool(createIngester);
      try {
        for (const d of todo) {
          if (controller.signal.aborted || this.collectionId !== collectionId) break;
          this.rebuild = { ...state, current: d.name };
          const original = d.originalSize !== undefined ? await this.lib.original(d.id) : null;
          if (!original) {
            state.failed.push(`${d.name} (its original file is not kept: delete it, then drop it again)`);
          } else {
            try {
              const doc = await reingest(pool, original.file, d.name, s, controller.signal);
              if (!doc || controller.signal.aborted || this.collectionId !== collectionId) break;
              // Any embedding of its old chunks (queued, running, or offered) is void from here.
              this.embedding.forget(doc.id);
              if (await this.lib.replace(doc)) {
                state.rebuilt++;
                this.embedding.enqueue([toEmbed(doc)]);
              }
            } catch (e) {
              const error = serializeError(e);
              if (error.name === 'Cancelled') break;
              state.failed.push(`${d.name} (${error.message})`);
            }
          }
          state.done++;
          this.rebuild = { ...state };
        }
      } finally {
        pool.dispose();
        state.cancelled = state.done < state.total;
        this.rebuild = { ...state, current: null, running: false };
        if (this.rebuildController === controller) this.rebuildController = null;
        await this.refresh();
      }
    });
  }

  cancelRebuild(): void {
    this.rebuildController?.abort();
  }

  /** Hides the last rebuild's summary. */
  dismissRebuild(): void {
    if (!this.rebuild?.running) this.rebuild = null;
  }

  /** The worker answering searches, once the library is open. */
  async searcher(): Promise<WorkerLibrary> {
    if (!this.opening) void this.open();
    await this.opening;
    return this.lib;
  }

  add(files: PickedFile[]): Promise<void> {
    const jobs = files.map(({ file, path }) => this.enqueue(file, path));
    return this.process(jobs);
  }

  /**
   * Adds the sample set the app serves (public/samples/: invented facts no model learned in
   * training) and returns its suggested question, so a first-time user sees the difference at once.
   */
  async addSamples(): Promise<string | null> {
    const base = `${import.meta.env.BASE_URL}samples/`;
    const fetchOk = async (name: string): Promise<Response> => {
      const res = await fetch(base + name);
      if (!res.ok)
        throw new AppError('InternalError', `The sample file ${name} is missing from this copy of ragscope (HTTP ${res.status}).`);
      return res;
    };
    let question: string | null = null;
    await this.act(async () => {
      // `bundle`: a prepared collection (a workshop kit's), imported whole: nothing to parse or embed.
      const manifest = (await (await fetchOk('samples.json')).json()) as { question?: string; files: string[]; bundle?: string };
      question = manifest.question ?? null;
      if (manifest.bundle) {
        const blob = await (await fetchOk(manifest.bundle)).blob();
        await this.importBundle(new File([blob], manifest.bundle));
        return;
      }
      const files = await Promise.all(
        manifest.files.map(async (name) => ({ file: new File([await (await fetchOk(name)).blob()], name), path: name })),
      );
      void this.add(files);
    });
    return question;
  }

  addText(title: string, text: string): Promise<void> {
    const name = /\.[a-z0-9]{1,5}$/i.test(title) ? title : `${title || 'Pasted text'}.txt`;
    return this.add([{ file: new File([text], name, { type: 'text/plain' }), path: name }]);
  }

  unlock(key: string, password: string): Promise<void> {
    const pending = this.locked.get(key);
    const entry = this.entries.find((e) => e.key === key);
    if (!pending || !entry) return Promise.resolve();
    this.locked.delete(key);
    entry.status = 'queued';
    delete entry.error;
    return this.process([{ key, file: pending.file, name: pending.name, password }]);
  }

  /** The user declines to give a password: the file stays refused, by name. */
  skipPassword(key: string): void {
    this.locked.delete(key);
    const entry = this.entries.find((e) => e.key === key);
    if (entry) entry.status = 'error';
  }

  cancel(): void {
    this.controller?.abort();
  }

  clearFinished(): void {
    this.entries = this.entries.filter(
      (e) => e.status === 'queued' || e.status === 'reading' || e.status === 'storing' || e.status === 'needs-password',
    );
  }

  private enqueue(file: Blob, name: string): PoolJob {
    const key = `f${nextKey++}`;
    this.entries.push({ key, name, size: file.size, status: 'queued', progress: null });
    return { key, file, name };
  }

  private entry(key: string): FileEntry | undefined {
    return this.entries.find((e) => e.key === key);
  }

  private process(jobs: PoolJob[]): Promise<void> {
    this.queue = this.queue.then(() => this.runJobs(jobs));
    return this.queue;
  }

  private async runJobs(jobs: PoolJob[]): Promise<void> {
    if (jobs.length === 0) return;
    if (!this.opening) void this.open();
    await this.opening;
    if (!this.persistAsked) {
      // First ingest: ask the browser not to evict the library under storage pressure (persist()
      // exists on pages only, not in workers). Chromium grants or refuses silently, Firefox asks
      // the user; the outcome is explained next to the storage numbers.
      this.persistAsked = true;
      const supported = typeof navigator !== 'undefined' && typeof navigator.storage?.persist === 'function';
      void requestPersistence().then((granted) => {
        this.persist = granted ? 'granted' : supported ? 'refused' : 'unsupported';
        void this.refresh();
      });
    }
    const s = this.settings();
    // Stores run one after another, in the order files finish, so the list fills in as they do.
    let storing: Promise<void> = Promise.resolve();
    const controller = (this.controller = new AbortController());
    this.running = true;
    try {
      await this.pool.run(
        jobs,
        {
          concurrency: 2,
          timeoutMs: s.ingest.parseTimeoutSeconds * 1000,
          maxBytes: s.ingest.maxFileMB * 1_048_576,
          chunking: { chunkTokens: s.ingest.chunkTokens, overlapTokens: s.ingest.overlapTokens },
          knownIds: () => this.documents.map((d) => d.id),
        },
        {
          start: (job) => {
            const e = this.entry(job.key);
            if (e) e.status = 'reading';
          },
          progress: (job, p) => {
            const e = this.entry(job.key);
            if (e) e.progress = p;
          },
          done: (job, result) => {
            const e = this.entry(job.key);
            if (!e) return;
            if (result.kind === 'duplicate') {
              this.markDuplicate(e, result.id);
              return;
            }
            e.status = 'storing';
            storing = storing.then(() => this.store(e, result.doc, job.file));
          },
          fail: (job, error) => {
            const e = this.entry(job.key);
            if (!e) return;
            e.error = error;
            if (error.name === 'Cancelled') e.status = 'cancelled';
            else if (error.name === 'PasswordProtectedPdf') {
              // Ask (again, if the password was wrong); "Skip" turns it into a refusal.
              e.status = 'needs-password';
              this.locked.set(job.key, { file: job.file, name: job.name });
            } else e.status = 'error';
          },
        },
        controller.signal,
      );
      await storing;
    } finally {
      if (this.controller === controller) this.controller = null;
      this.running = false;
    }
  }

  private markDuplicate(e: FileEntry, id: string): void {
    e.status = 'duplicate';
    e.docId = id;
    const existing = this.documents.find((d) => d.id === id);
    if (existing) e.format = existing.format;
  }

  /** Stores a parsed document (keyword-searchable from here on) and queues it for embedding. */
  private async store(e: FileEntry, doc: IngestedDocument, original: Blob): Promise<void> {
    if (this.storeError) {
      // The library could not be opened (no IndexedDB, blocked by another tab): say that, by name.
      e.error = this.storeError;
      e.status = 'error';
      return;
    }
    try {
      const { status } = await this.lib.add(doc, original);
      if (status === 'duplicate') {
        this.markDuplicate(e, doc.id);
        return;
      }
      Object.assign(e, {
        status: 'parsed',
        docId: doc.id,
        format: doc.format,
        pages: doc.pageCount,
        chars: doc.text.length,
        chunks: doc.chunks.length,
        warnings: doc.warnings,
      } satisfies Partial<FileEntry>);
      // Not awaited: the next file is stored meanwhile, and refreshes coalesce.
      void this.refresh();
      this.embedding.enqueue([toEmbed(doc)]);
    } catch (err) {
      e.error = serializeError(err);
      e.status = 'error';
    }
  }
}

/** A stored document's embedding work: its chunks as they were indexed (with their context). */
function toEmbed(doc: IngestedDocument): PendingEmbedding {
  return { docId: doc.id, name: doc.name, texts: doc.chunks.map(indexedText), otherModels: [] };
}

/** Parses and chunks a kept original with the given settings (no duplicate check: it is stored already). */
async function reingest(pool: IngestPool, file: Blob, name: string, s: Settings, signal: AbortSignal): Promise<IngestedDocument | null> {
  let out: IngestedDocument | null = null;
  let failure: SerializedError | null = null;
  await pool.run(
    [{ key: `rebuild-${name}`, file, name }],
    {
      concurrency: 1,
      timeoutMs: s.ingest.parseTimeoutSeconds * 1000,
      maxBytes: s.ingest.maxFileMB * 1_048_576,
      chunking: { chunkTokens: s.ingest.chunkTokens, overlapTokens: s.ingest.overlapTokens },
      knownIds: () => [],
    },
    {
      start: () => undefined,
      progress: () => undefined,
      done: (_job, result) => {
        if (result.kind === 'parsed') out = result.doc;
      },
      fail: (_job, error) => {
        failure = error;
      },
    },
    signal,
  );
  if (failure) throw deserializeError(failure);
  return out;
}

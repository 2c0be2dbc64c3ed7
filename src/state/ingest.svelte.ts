/**
 * The drop queue: what happened to each dropped file. Files go through a few ingest workers (the
 * pool), each connected to the library worker so a parsed document is stored from there; the page
 * receives progress and a summary per file, never the document's text. Stored documents join the
 * embedding queue. Drops that arrive while one is running wait their turn (one pool, one progress
 * bar); a password-protected PDF waits for its password.
 *
 * Each file belongs to the collection it was dropped into: it is stored there even if the user
 * opens another meanwhile, and the list, its counts and its outcomes are the open collection's.
 * A folder of hundreds of files ends in a summary by outcome ("567 added · 44 not added"), and the
 * list can be narrowed to one outcome, so no failure hides among the successes.
 */

import { OCR_PAGE_TIMEOUT_MS, ocrLanguagePath, type OcrOptions } from '../ingest/ocr';
import { AppError, type SerializedError } from '../core/errors';
import type { Progress } from '../core/progress';
import { IngestPool, type PoolJob, type PoolOptions } from '../ingest/pool';
import type { WorkerIngester } from '../ingest/client';
import type { StoredSummary } from '../ingest/protocol';
import { askToPersist, type PersistOutcome } from '../platform/persistence';
import type { Settings } from '../settings/defaults';
import type { EmbeddingState } from './embedding.svelte';
import type { LibraryState } from './library.svelte';
import type { PickedFile } from './files';
import type { Spawners, Supervised } from './workers';

export type EntryStatus = 'queued' | 'reading' | 'storing' | 'parsed' | 'duplicate' | 'needs-password' | 'error' | 'cancelled';

/** How a file's turn ended (the statuses it can stay in). */
export type Outcome = Exclude<EntryStatus, 'queued' | 'reading' | 'storing'>;

/** The outcomes in the order the summary names them, each in words for `n` files. */
const OUTCOMES: ReadonlyArray<readonly [Outcome, (n: number) => string]> = [
  ['parsed', (n) => `${n} added`],
  ['error', (n) => `${n} not added`],
  ['needs-password', (n) => `${n} ${n === 1 ? 'needs' : 'need'} a password`],
  ['duplicate', (n) => `${n} already added`],
  ['cancelled', (n) => `${n} cancelled`],
];

const inProgress = (e: FileEntry): boolean => e.status === 'queued' || e.status === 'reading' || e.status === 'storing';

export interface FileEntry {
  key: string;
  /**
   * The collection it was dropped into (null until the library has opened one, then the one it
   * opened): the file is stored there and listed with it.
   */
  collectionId: string | null;
  name: string;
  size: number;
  status: EntryStatus;
  progress: Progress | null;
  /** Summary of the stored document (also for duplicates: the one already in the library). */
  docId?: string;
  format?: string;
  pages?: number;
  chars?: number;
  chunks?: number;
  warnings?: string[];
  error?: SerializedError;
}

export type { PersistOutcome };

let nextKey = 1;

/** OCR as these settings ask for it: languages, and where the data of languages the build lacks comes from. */
function ocrOptions(s: Settings): OcrOptions {
  const languages = s.ingest.ocrLanguages.split('+');
  const langPath = ocrLanguagePath(languages, s.modelSource);
  return { languages, pageTimeoutMs: OCR_PAGE_TIMEOUT_MS, ...(langPath ? { langPath } : {}) };
}

/** The pool's settings for these settings (drops and rebuilds read files alike). */
export function poolOptions(s: Settings, store: PoolOptions['store'], knownIds: () => string[]): PoolOptions {
  return {
    // PDFs are CPU-bound and the page needs a core too; a rebuild reads one file at a time.
    concurrency: store === 'add' ? 2 : 1,
    timeoutMs: s.ingest.parseTimeoutSeconds * 1000,
    maxBytes: s.ingest.maxFileMB * 1_048_576,
    chunking: { chunkTokens: s.ingest.chunkTokens, overlapTokens: s.ingest.overlapTokens },
    ...(s.ingest.ocr ? { ocr: ocrOptions(s) } : {}),
    knownIds,
    store,
  };
}

/**
 * An ingest worker connected to the library worker: the page makes a channel and hands one end to
 * each, so parsed documents go straight from one worker to the other.
 */
export function connectedIngester(spawn: Spawners, library: LibraryState): Supervised<WorkerIngester> {
  const worker = spawn.ingester();
  const { port1, port2 } = new MessageChannel();
  // Both calls are sent before any ingest request on this worker, and each worker answers its
  // messages in order, so the connection is made before the first file needs it.
  void library
    .client()
    .connect(port1)
    .catch(() => undefined);
  void worker.client.connectLibrary(port2).catch(() => undefined);
  return worker;
}

export class IngestQueue {
  /** Every file dropped since the page opened, into any collection. */
  private all = $state<FileEntry[]>([]);
  running = $state(false);
  /** Set once, on the first drop: whether the browser promised not to evict the library. */
  persist = $state<PersistOutcome | null>(null);
  /** The one outcome the list is narrowed to (null: every file); see `listed`. */
  filter = $state<Outcome | null>(null);

  /** The files dropped into the open collection. */
  readonly entries = $derived(this.all.filter((e) => this.inOpen(e)));
  readonly total = $derived(this.entries.length);
  readonly finished = $derived(this.entries.filter((e) => !inProgress(e)).length);
  readonly current = $derived(this.entries.find((e) => e.status === 'reading') ?? null);
  /** How the open collection's files ended, by outcome, in words: only the outcomes some file had. */
  readonly outcomes = $derived(
    OUTCOMES.map(([outcome, words]) => {
      const count = this.entries.filter((e) => e.status === outcome).length;
      return { outcome, count, label: words(count) };
    }).filter((o) => o.count > 0),
  );
  /** The filter in effect: none once no file has that outcome any more (the password was given, say). */
  readonly activeFilter = $derived(this.outcomes.some((o) => o.outcome === this.filter) ? this.filter : null);
  /** The files the list shows: the open collection's, narrowed to the filter's outcome. */
  readonly listed = $derived(this.activeFilter ? this.entries.filter((e) => e.status === this.activeFilter) : this.entries);
  /** Files still being added to other collections than the open one (a drop there goes on). */
  readonly elsewhere = $derived(this.all.filter((e) => inProgress(e) && !this.inOpen(e)).length);

  /**
   * The open collection holds no document, so the sample documents may be offered: an empty drop
   * list says nothing (it is empty after every reload). False while the library is still opening,
   * so the offer does not flash up before a full library is listed.
   */
  get collectionEmpty(): boolean {
    return this.library.snapshot !== null && this.library.documents.length === 0;
  }

  private readonly pool: IngestPool;
  private controller: AbortController | null = null;
  /** Per file: stops that file alone (`cancelFile`). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  private readonly fileStops = new Map<string, AbortController>();
  private persistAsked = false;
  /** Files waiting for a password, kept so "Unlock" can retry without a new drop. Not rendered, so not reactive. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly locked = new Map<string, PoolJob>();
  /** Drops that arrive while one is running wait their turn. */
  private queue: Promise<void> = Promise.resolve();
  private readonly unlisten: () => void;

  constructor(
    spawn: Spawners,
    private readonly library: LibraryState,
    private readonly embedding: EmbeddingState,
    private readonly settings: () => Settings,
  ) {
    this.pool = new IngestPool(() => connectedIngester(spawn, library));
    // Files being stored into a crashed library worker would wait forever: end them, by name.
    this.unlisten = library.listen((change) => {
      if (change.type === 'lost') this.pool.fail(change.error);
    });
  }

  add(files: PickedFile[]): Promise<void> {
    return this.process(files.map(({ file, path }) => this.enqueue(file, path)));
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
    await this.library.act(async () => {
      // `bundle`: a prepared collection (a workshop kit's), imported whole: nothing to parse or embed.
      const manifest = (await (await fetchOk('samples.json')).json()) as { question?: string; files: string[]; bundle?: string };
      question = manifest.question ?? null;
      if (manifest.bundle) {
        await this.library.importBundle(await (await fetchOk(manifest.bundle)).blob());
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
    const job = this.locked.get(key);
    const entry = this.entry(key);
    if (!job || !entry) return Promise.resolve();
    this.locked.delete(key);
    entry.status = 'queued';
    delete entry.error;
    return this.process([{ ...job, password }]);
  }

  /** The user declines to give a password: the file stays refused, by name. */
  skipPassword(key: string): void {
    this.locked.delete(key);
    const entry = this.entry(key);
    if (entry) entry.status = 'error';
  }

  cancel(): void {
    this.controller?.abort();
  }

  /** Stops one file being read or waiting (a long scan, say): the rest of the drop goes on. */
  cancelFile(key: string): void {
    this.fileStops.get(key)?.abort();
  }

  /** Clears the open collection's finished files from the list (other collections' stay). */
  clearFinished(): void {
    this.all = this.all.filter((e) => !this.inOpen(e) || inProgress(e) || e.status === 'needs-password');
    this.filter = null;
  }

  dispose(): void {
    this.unlisten();
    this.controller?.abort();
    this.pool.dispose();
  }

  private enqueue(file: Blob, name: string): PoolJob {
    const key = `f${nextKey++}`;
    this.all.push({ key, collectionId: this.library.collectionId, name, size: file.size, status: 'queued', progress: null });
    const stop = new AbortController();
    this.fileStops.set(key, stop);
    return { key, file, name, signal: stop.signal };
  }

  /** Whether a file was dropped into the open collection (or before any was open: into the one that opens). */
  private inOpen(e: FileEntry): boolean {
    return (e.collectionId ?? this.library.collectionId) === this.library.collectionId;
  }

  private entry(key: string): FileEntry | undefined {
    return this.all.find((e) => e.key === key);
  }

  private process(jobs: PoolJob[]): Promise<void> {
    this.queue = this.queue.then(() => this.runJobs(jobs));
    return this.queue;
  }

  private askPersistence(): void {
    if (this.persistAsked) return;
    // First drop: ask the browser not to evict the library under storage pressure (persist()
    // exists on pages only, not in workers). Chromium grants or refuses silently, Firefox asks the
    // user; the outcome is explained next to the storage numbers.
    this.persistAsked = true;
    void askToPersist().then((outcome) => {
      this.persist = outcome;
      void this.library.refresh();
    });
  }

  private async runJobs(jobs: PoolJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.library.ready();
    const storeError = this.library.storeError;
    if (storeError) {
      // The library could not be opened (no IndexedDB, blocked by another tab): say that, by name.
      for (const job of jobs) this.set(job.key, { status: 'error', error: storeError });
      return;
    }
    this.askPersistence();
    // Files dropped before the library had opened a collection belong to the one it opened.
    const targeted = jobs.map((job) => {
      const entry = this.entry(job.key);
      if (entry) entry.collectionId ??= this.library.collectionId;
      return entry?.collectionId ? { ...job, collectionId: entry.collectionId } : job;
    });
    // One drop (or one unlocked file) goes into one collection. Its documents are known only while
    // it is open; for a closed one, the store itself reports a duplicate.
    const target = targeted[0]!.collectionId;
    const known = (): string[] => (this.library.collectionId === target ? this.library.documents.map((d) => d.id) : []);
    const controller = (this.controller = new AbortController());
    this.running = true;
    try {
      await this.pool.run(
        targeted,
        poolOptions(this.settings(), 'add', known),
        {
          start: (job) => this.set(job.key, { status: 'reading' }),
          progress: (job, p) => this.set(job.key, p.stage === 'index' ? { status: 'storing', progress: p } : { progress: p }),
          done: (job, result) => {
            this.fileStops.delete(job.key);
            if (result.kind === 'duplicate') this.markDuplicate(job.key, result.id);
            else if (result.status === 'duplicate') this.markDuplicate(job.key, result.summary.docId);
            else this.stored(job.key, result.summary);
          },
          fail: (job, error) => {
            // A locked file keeps its stop: unlocking reads it again under the same key.
            if (error.name !== 'PasswordProtectedPdf') this.fileStops.delete(job.key);
            if (error.name === 'PasswordProtectedPdf') {
              // Ask (again, if the password was wrong); "Skip" turns it into a refusal.
              this.set(job.key, { status: 'needs-password', error });
              this.locked.set(job.key, job);
            } else this.set(job.key, { status: error.name === 'Cancelled' ? 'cancelled' : 'error', error });
          },
        },
        controller.signal,
      );
    } finally {
      if (this.controller === controller) this.controller = null;
      this.running = false;
    }
  }

  private set(key: string, patch: Partial<FileEntry>): void {
    const e = this.entry(key);
    if (e) Object.assign(e, patch);
  }

  private markDuplicate(key: string, id: string): void {
    const existing = this.library.documents.find((d) => d.id === id);
    this.set(key, { status: 'duplicate', docId: id, ...(existing ? { format: existing.format } : {}) });
  }

  /** A document is stored (searchable by keyword from here on): list it and queue it for embedding. */
  private stored(key: string, s: StoredSummary): void {
    this.set(key, {
      status: 'parsed',
      docId: s.docId,
      format: s.format,
      chars: s.chars,
      chunks: s.chunks,
      warnings: s.warnings,
      ...(s.pages !== undefined ? { pages: s.pages } : {}),
    });
    // Not awaited: the next file is stored meanwhile, and refreshes coalesce.
    void this.library.refresh();
    // Stored in a collection that is not open (the user opened another meanwhile): it is embedded
    // when that one opens, and counted as waiting until then.
    if (this.entry(key)?.collectionId !== this.library.collectionId) return;
    this.embedding.enqueue([{ docId: s.docId, name: s.name, chunks: s.chunks, otherModels: [] }]);
  }
}

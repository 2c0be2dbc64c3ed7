/**
 * The user's documents and what happened to each dropped file. Owns the ingest worker pool.
 * (Documents live in memory for now; the IndexedDB store keeps them across reloads.)
 */

import type { SerializedError } from '../protocol/errors';
import type { Progress } from '../protocol/progress';
import type { IngestedDocument } from '../ingest/ingest';
import { IngestPool, type PoolJob } from '../ingest/pool';
import type { Settings } from '../settings/defaults';
import { createIngester } from './workers';
import type { PickedFile } from './files';

export type EntryStatus = 'queued' | 'reading' | 'parsed' | 'duplicate' | 'needs-password' | 'error' | 'cancelled';

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

export class LibraryState {
  entries = $state<FileEntry[]>([]);
  documents = $state.raw<IngestedDocument[]>([]);
  running = $state(false);
  private controller: AbortController | null = null;
  private readonly pool = new IngestPool(createIngester);
  /** Files waiting for a password, kept so "Unlock" can retry without a new drop. Not rendered, so not reactive. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly locked = new Map<string, Pending>();
  /** Drops that arrive while one is running wait their turn (one pool, one progress bar). */
  private queue: Promise<void> = Promise.resolve();

  readonly total = $derived(this.entries.length);
  readonly finished = $derived(this.entries.filter((e) => e.status !== 'queued' && e.status !== 'reading').length);
  readonly current = $derived(this.entries.find((e) => e.status === 'reading') ?? null);

  constructor(private readonly settings: () => Settings) {}

  add(files: PickedFile[]): Promise<void> {
    const jobs = files.map(({ file, path }) => this.enqueue(file, path));
    return this.process(jobs);
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
    this.entries = this.entries.filter((e) => e.status === 'queued' || e.status === 'reading' || e.status === 'needs-password');
  }

  removeDocument(id: string): void {
    this.documents = this.documents.filter((d) => d.id !== id);
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
    const s = this.settings();
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
            // A file identical to one finished moment ago in the same drop is a duplicate too.
            const id = result.kind === 'parsed' ? result.doc.id : result.id;
            const existing = this.documents.find((d) => d.id === id);
            if (result.kind === 'duplicate' || existing) {
              e.status = 'duplicate';
              e.docId = id;
              if (existing) e.format = existing.format;
              return;
            }
            const doc = result.doc;
            this.documents = [...this.documents, doc];
            Object.assign(e, {
              status: 'parsed',
              docId: doc.id,
              format: doc.format,
              pages: doc.pageCount,
              chars: doc.text.length,
              chunks: doc.chunks.length,
              warnings: doc.warnings,
            } satisfies Partial<FileEntry>);
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
    } finally {
      if (this.controller === controller) this.controller = null;
      this.running = false;
    }
  }
}
